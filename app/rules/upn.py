"""Unique Pupil Numbers (DfE data standard "Unique Pupil Number (UPN) v2.0").

A UPN is 13 characters: a check letter, then the LA number (3 digits), the establishment
number (4), the year of allocation (2) and a serial (3). A temporary UPN ends in a letter
instead of the serial's last digit.

The check letter is sum(value * weight) mod 23 over characters 2-13 with weights 2..13, mapped
through ``ABCDEFGHJKLMNPQRTUVWXYZ`` (no I, O or S). A temporary UPN's final letter is valued by
its position in the same table. Valid examples: ``B801200005001``, ``P207000016049`` (some
vendor help pages wrongly give ``Q`` for the latter).
"""

from __future__ import annotations

import re

#: The check-letter table: index = value.
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"

_SHAPE = re.compile(rf"^[{CHECK_LETTERS}]\d{{11}}[0-9{CHECK_LETTERS}]$")


class InvalidUpn(ValueError):
    """The text is not a valid UPN; the message says why, without repeating the text."""


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it."""
    if len(body) != 12:
        raise InvalidUpn("a UPN has 12 characters after its check letter")
    total = 0
    for weight, ch in enumerate(body, start=2):
        if ch.isdigit():
            value = int(ch)
        else:
            value = CHECK_LETTERS.find(ch)
            if value < 0 or weight != 13:
                raise InvalidUpn("only a temporary UPN's last character may be a letter")
        total += value * weight
    return CHECK_LETTERS[total % 23]


def is_temporary(upn: str) -> bool:
    return upn[-1].isalpha()


def validate_upn(text: str) -> str:
    """The UPN in its normal form (upper case), or ``InvalidUpn``."""
    upn = text.strip().upper()
    if len(upn) != 13:
        raise InvalidUpn("a UPN is 13 characters")
    if not _SHAPE.match(upn):
        raise InvalidUpn(
            "a UPN is a check letter (not I, O or S), 11 digits, then a digit or a letter"
        )
    if check_letter(upn[1:]) != upn[0]:
        raise InvalidUpn("the UPN's check letter does not match its digits")
    return upn
