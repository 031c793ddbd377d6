"""Text a spreadsheet would run as a formula.

Source: OWASP, *CSV Injection* (https://owasp.org/www-community/attacks/CSV_Injection): a cell
whose text begins with ``=``, ``+``, ``-`` or ``@``, or with a tab or a carriage return (which
some spreadsheets skip before looking), is read as a formula when the file is opened, and a
formula can run commands or send the sheet's contents elsewhere. The service refuses such names
and addresses when they come in, and every file it writes neutralises them on the way out.
"""

from __future__ import annotations

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(text: str) -> bool:
    """``text`` would be read as a formula: it begins with a trigger, after any spaces (which
    some spreadsheets also skip)."""
    return text.lstrip(" ").startswith(FORMULA_TRIGGERS)
