"""Field types for people: names, UK postcodes, addresses, phone numbers and emails.

Phone numbers are parsed with ``phonenumbers`` (Google's libphonenumber metadata) and stored
in E.164; emails are checked with ``email-validator`` (syntax only: no DNS lookups, which would
make validation depend on the network). Both refuse with a message that does not repeat the
input, so a problem response never echoes personal data back into logs.
"""

from __future__ import annotations

import re
from typing import Annotated

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, Field, WithJsonSchema

from app.rules.upn import InvalidUpn, validate_upn
from app.schemas.common import NOT_FORMULA, PRINTABLE, bounded

PersonName = Annotated[str, bounded(100), PRINTABLE, NOT_FORMULA]
MiddleNames = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
AddressLine = Annotated[str, bounded(100), PRINTABLE, NOT_FORMULA]

#: UK postcode shapes (Royal Mail PAF), including GIR 0AA; checked after removing spaces.
_POSTCODE = re.compile(
    r"^(GIR0AA|[A-PR-UWYZ](\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?)\d[ABD-HJLNP-UW-Z]{2})$"
)


def _postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value).upper()
    if not _POSTCODE.match(compact):
        raise ValueError("not a UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


#: Ofcom reserves 07700 900000-900999 for drama and testing (GOV.UK Notify's test numbers
#: live there). libphonenumber calls them invalid; they are real UK mobile numbers in shape,
#: and the demo data and Notify's simulated failures need them.
_OFCOM_DRAMA_MOBILES = re.compile(r"^\+447700900\d{3}$")


def _uk_phone(value: str) -> str:
    try:
        parsed = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not (phonenumbers.is_valid_number(parsed) or _OFCOM_DRAMA_MOBILES.match(e164)):
        raise ValueError("not a valid phone number")
    return e164


def is_uk_mobile(e164: str) -> bool:
    """A UK mobile number (for text messages)."""
    if _OFCOM_DRAMA_MOBILES.match(e164):
        return True
    parsed = phonenumbers.parse(e164, "GB")
    return parsed.country_code == 44 and phonenumbers.number_type(parsed) in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    )


def _email(value: str) -> str:
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return str(checked.normalized)


def _upn(value: str) -> str:
    try:
        return validate_upn(value)
    except InvalidUpn as exc:
        raise ValueError(str(exc)) from None


def _distinct_lines(lines: list[str]) -> list[str]:
    return [line for line in lines if line]


Postcode = Annotated[
    str,
    Field(min_length=5, max_length=10, examples=["ME14 1XQ"]),
    AfterValidator(_postcode),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 5,
            "maxLength": 10,
            "pattern": r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$",
            "description": "A UK postcode; stored in its normal form (`ME14 1XQ`).",
            "examples": ["ME14 1XQ"],
        }
    ),
]

Phone = Annotated[
    str,
    Field(min_length=3, max_length=30, examples=["07700 900123"]),
    AfterValidator(_uk_phone),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 3,
            "maxLength": 30,
            "pattern": r"^\+?[0-9 ()-]{3,29}$",
            "description": "A phone number, UK unless it starts with +; stored in E.164.",
            "examples": ["07700 900123"],
        }
    ),
]

Email = Annotated[
    str,
    Field(min_length=3, max_length=254, examples=["carer@example.org"]),
    AfterValidator(_email),
    WithJsonSchema(
        {
            "type": "string",
            "format": "email",
            "minLength": 3,
            "maxLength": 254,
            "examples": ["parent@example.org"],
        }
    ),
]

Upn = Annotated[
    str,
    Field(min_length=13, max_length=13, examples=["W886450125001"]),
    AfterValidator(_upn),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 13,
            "maxLength": 13,
            "pattern": r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$",
            "description": "Unique Pupil Number, with a valid DfE check letter.",
            "examples": ["B801200005001"],
        }
    ),
]

AddressLines = Annotated[
    list[AddressLine],
    Field(min_length=1, max_length=6, description="Address lines, without the postcode."),
    AfterValidator(_distinct_lines),
]
