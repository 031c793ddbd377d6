"""Name keys for searching and matching people, whatever the accents or case.

A key folds a name to lower-case ASCII letters, digits, spaces, hyphens and apostrophes
("Zoë O\u2019Neill" -> "zoe o'neill"), so that search and duplicate detection compare like with
like and can use an ordinary index on both databases.
"""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})
_DROP = re.compile(r"[^a-z0-9 '\-]")
_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.translate(_APOSTROPHES))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = _DROP.sub("", ascii_only.casefold())
    return _SPACES.sub(" ", folded).strip()


def prefix_upper_bound(prefix: str) -> str:
    """The smallest key greater than every key starting with ``prefix`` (for range scans:
    ``key >= prefix AND key < bound`` uses a plain B-tree index on any collation)."""
    return prefix + "\U0010ffff" if not prefix else prefix[:-1] + chr(ord(prefix[-1]) + 1)
