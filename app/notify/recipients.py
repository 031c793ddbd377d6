"""GOV.UK Notify's recipient rules: which phone numbers, email addresses and postal addresses
Notify accepts, and the error it answers with when it refuses one.

The outbox checks every recipient with these rules before queueing, so a recipient Notify
would refuse is a problem for the caller to fix, never a message rejected hours later; the
fake Notify applies the same rules to what it is sent. Each refusal carries Notify's error
type and message (``RecipientRefused.error`` and ``.message``) and a reason in plain words
for our callers (``.reason``).

The rules, as Notify applies them to the v2 API:

- **Phone numbers** may contain digits, spaces, ``( ) + -`` only. A number without a country
  code is read as a UK number; one that is not possible as written is tried again as an
  international number without its ``+``. It must be a valid fixed-line, mobile or personal
  number (Ofcom's drama numbers, 07700 900000 to 900999, count as valid). A service without
  the international texts permission cannot text abroad ("Cannot send to international mobile
  numbers"), and one without the UK landlines permission cannot text a UK landline ("Not a UK
  mobile number"). The Crown dependencies share the UK's +44.
- **Email addresses**: an ASCII local part of letters, digits and ``.!#$%&'*+/=?^_`{|}~-``,
  no two dots in a row anywhere, at most 320 characters; the domain (after IDNA encoding) at
  most 253 characters, at least two labels of at most 63 letters, digits and inner hyphens, the
  last a top-level domain of 2 to 63 letters (or an ``xn--`` one).
- **Postal addresses**: ``address_line_1`` to ``address_line_6`` and then ``address_line_7``
  if it is given, otherwise ``postcode``. Blank lines, runs of whitespace, trailing commas and
  spaces before punctuation are tidied away; trailing lines naming the UK are dropped. The
  address needs 3 to 7 lines; the first two must each hold a letter or a digit; the last line
  must be a real UK postcode (a known postcode area, then Royal Mail's pattern), a BFPO number
  line (``BFPO 123``, with no country after it), or, for a service allowed to post abroad, a
  country Notify knows (postage ``europe`` or ``rest-of-world`` follows from the country). No
  line may start with ``@ ( ) = [ ] " \\ / , < >`` or ``~`` (Notify's error message lists a
  curly quote instead of the straight one and leaves out ``~``; the check refuses both), and
  no line may be "NFA" or mention "no fixed abode" or "no fixed address".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import phonenumbers

from app.notify.countries import UK, country, postage_zone

__all__ = [
    "INVALID_LINE_STARTS",
    "LetterAddress",
    "RecipientRefused",
    "check_email_address",
    "check_letter_address",
    "check_phone_number",
    "is_real_uk_postcode",
]

ErrorType = Literal["ValidationError", "BadRequestError", "InvalidPhoneError"]


class RecipientRefused(ValueError):
    """Notify would refuse this recipient: 400 with ``error`` and ``message``, as Notify says
    it. ``field`` is the request property Notify names when the schema check refuses it (its
    message is then prefixed with the field, as Notify's schema errors are)."""

    def __init__(
        self, error: ErrorType, message: str, reason: str, *, field: str | None = None
    ) -> None:
        super().__init__(reason)
        self.error = error
        self.notify_message = f"{field} {message}" if field else message
        self.reason = reason

    @property
    def message(self) -> str:
        return self.notify_message


# --- phone numbers -----------------------------------------------------------------------

_WHITESPACE = " \t\n\r\v\f\u180e\u200b\u200c\u200d\u2060\ufeff\u2028\u2029\u00a0\u202f"
_PHONE_CHARACTERS = frozenset(_WHITESPACE + "()-+0123456789")
_N = phonenumbers.PhoneNumberType
_ALLOWED_TYPES = frozenset(
    {_N.FIXED_LINE, _N.MOBILE, _N.FIXED_LINE_OR_MOBILE, _N.UAN, _N.PERSONAL_NUMBER}
)
_LANDLINE_TYPES = frozenset({_N.FIXED_LINE, _N.FIXED_LINE_OR_MOBILE, _N.UAN})
_V = phonenumbers.ValidationResult

#: Notify's message for a number of the right length that no network uses.
INVALID_NUMBER = "Number is not valid \u2013 double check the phone number you entered"
_PHONE_REASONS = {
    "Must not contain letters or symbols": (
        "a phone number may only contain digits, spaces and ( ) + -"
    ),
    "Not enough digits": "the phone number has too few digits",
    "Too many digits": "the phone number has too many digits",
    "Not a valid country prefix": "the phone number's country code does not exist",
    INVALID_NUMBER: "the phone number is not a valid number",
}


def _schema_phone_refusal(message: str) -> RecipientRefused:
    return RecipientRefused(
        "ValidationError", message, _PHONE_REASONS[message], field="phone_number"
    )


def _parse_phone(number: str) -> phonenumbers.PhoneNumber:
    if set(number) - _PHONE_CHARACTERS:
        raise _schema_phone_refusal("Must not contain letters or symbols")
    if not number:
        raise _schema_phone_refusal("Not enough digits")
    try:
        parsed = phonenumbers.parse(number, "GB")
    except phonenumbers.NumberParseException:
        raise _schema_phone_refusal(INVALID_NUMBER) from None
    reason = phonenumbers.is_possible_number_with_reason(parsed)
    if reason != _V.IS_POSSIBLE:
        forced = None
        try:
            forced = phonenumbers.parse("+" + number)
        except phonenumbers.NumberParseException:
            forced = None
        if forced is not None and phonenumbers.is_possible_number(forced):
            parsed = forced
        elif reason == _V.TOO_LONG:
            raise _schema_phone_refusal("Too many digits")
        elif reason in (_V.TOO_SHORT, _V.IS_POSSIBLE_LOCAL_ONLY):
            raise _schema_phone_refusal("Not enough digits")
        elif reason == _V.INVALID_COUNTRY_CODE:
            raise _schema_phone_refusal("Not a valid country prefix")
        else:
            raise _schema_phone_refusal(INVALID_NUMBER)
    valid = phonenumbers.is_valid_number(parsed)
    if not (valid and phonenumbers.number_type(parsed) in _ALLOWED_TYPES):
        national = str(parsed.national_number)
        # Ofcom's numbers for drama (07700 900000 to 900999) are not in the library's data.
        if not (len(national) == 10 and national.startswith("7700")):
            raise _schema_phone_refusal(INVALID_NUMBER)
    return parsed


def check_phone_number(
    number: str, *, international: bool = False, uk_landlines: bool = False
) -> str:
    """The number in E.164 form (``+447700900123``) if Notify would text it; otherwise
    ``RecipientRefused``. ``international`` and ``uk_landlines`` are the service's
    permissions."""
    try:
        parsed = _parse_phone(number)
    except RecipientRefused:
        # Notify gives a number with a stray leading 0 or + the benefit of the doubt.
        tidied = number.replace("+", "").lstrip("0")
        if tidied == number:
            raise
        parsed = _parse_phone(tidied)
    if parsed.country_code != 44:
        if not international:
            raise RecipientRefused(
                "BadRequestError",
                "Cannot send to international mobile numbers",
                "texts go to UK mobile numbers only",
            )
    elif not uk_landlines and phonenumbers.number_type(parsed) in _LANDLINE_TYPES:
        raise RecipientRefused(
            "InvalidPhoneError",
            "Not a UK mobile number",
            "this is a UK landline number: texts go to mobile numbers only",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


# --- email addresses ---------------------------------------------------------------------

_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_LABEL = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TOP_LEVEL = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


def _email_refused(reason: str) -> RecipientRefused:
    return RecipientRefused(
        "ValidationError", "Not a valid email address", reason, field="email_address"
    )


def check_email_address(address: str) -> str:
    """The address as Notify keeps it (stripped, lower case) if Notify would email it;
    otherwise ``RecipientRefused``."""
    for character in _WHITESPACE[6:]:
        address = address.replace(character, "")
    address = address.strip()
    match = _EMAIL.match(address)
    if not match:
        raise _email_refused(
            "an email address needs a name of ASCII letters, digits and . ! # $ % & ' * + / = "
            "? ^ _ ` { | } ~ -, an @ and a domain"
        )
    if len(address) > 320:
        raise _email_refused("an email address may be at most 320 characters long")
    if ".." in address:
        raise _email_refused("an email address must not have two dots in a row")
    try:
        hostname = match.group(1).encode("idna").decode("ascii")
    except UnicodeError:
        raise _email_refused("the email address's domain is not a valid domain name") from None
    labels = hostname.split(".")
    if len(hostname) > 253:
        raise _email_refused("the email address's domain is longer than 253 characters")
    if len(labels) < 2:
        raise _email_refused("the email address's domain needs a top-level domain")
    if any(not label or len(label) > 63 or not _LABEL.match(label) for label in labels):
        raise _email_refused("the email address's domain is not a valid domain name")
    if not _TOP_LEVEL.match(labels[-1]):
        raise _email_refused(
            "the email address's top-level domain must be 2 to 63 letters (such as .uk)"
        )
    return address.lower()


# --- postal addresses --------------------------------------------------------------------

MIN_LINES, MAX_LINES = 3, 7
#: What no address line may start with (Notify's check, not its error message's list).
INVALID_LINE_STARTS = '@()=[]"\\/,<>~'
#: The first one or two letters of every UK postcode (Royal Mail's postcode areas, with the
#: Crown dependencies, BFPO's BF and BX for non-geographic addresses).
_AREAS = (
    "AB AL B BA BB BD BF BH BL BN BR BS BT BX CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH "
    "DL DN DT DY E EC EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA "
    "KT KW KY L GIR LA LD LE LL LN LS LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL "
    "PO PR RG RH RM S SA SE SG SK SL SM SN SO SP SR SS ST SW SY TA TD TF TN TQ TR TS TW UB "
    "W WA WC WD WF WN WR WS WV YO ZE"
)
POSTCODE_AREAS = tuple(_AREAS.split())
_POSTCODE = re.compile(rf"(?:{'|'.join(POSTCODE_AREAS)})[0-9][0-9A-Z]?[0-9][ABD-HJLNP-UW-Z]{{2}}")
_BFPO = re.compile(r"^\s*bfpo\s*(?:c/o)?(?:\s*(\d+))?\s*$")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"(?<![ \t])[ \t]+([,.])")

_INVALID_START = (
    "Address lines must not start with any of the following characters: @ ( ) = [ ] \u201d "
    "\\ / , < >"
)


def _compact(postcode: str) -> str:
    for character in _WHITESPACE:
        postcode = postcode.replace(character, "")
    return postcode.upper()


def is_real_uk_postcode(line: str) -> bool:
    return bool(_POSTCODE.fullmatch(_compact(line)))


def _tidy(line: str) -> str:
    for character in "\u00a0\u202f":
        line = line.replace(character, " ")
    for character in "\u180e\u200b\u200c\u200d\u2060\ufeff\u2028\u2029":
        line = line.replace(character, "")
    line = " ".join(line.split()).rstrip(" ,")
    return _SPACE_BEFORE_PUNCTUATION.sub(lambda m: m.group(1), line)


@dataclass(frozen=True, slots=True)
class LetterAddress:
    """An address Notify accepts: its lines as Notify prints them, and the postage it
    implies abroad (None: posted in the UK at the template's postage)."""

    lines: tuple[str, ...]
    postage: Literal["europe", "rest-of-world"] | None = None
    bfpo: int | None = None


def _address_refused(message: str, reason: str) -> RecipientRefused:
    return RecipientRefused("ValidationError", message, reason)


def address_text(personalisation: Mapping[str, Any]) -> list[str]:
    """The raw lines Notify reads: lines 1 to 6, then ``address_line_7`` if that key is
    given (even empty), otherwise ``postcode``."""
    keys = [f"address_line_{n}" for n in range(1, 7)]
    keys.append("address_line_7" if "address_line_7" in personalisation else "postcode")
    text = "\n".join(str(personalisation.get(key) or "") for key in keys)
    return text.splitlines()


def check_letter_address(
    personalisation: Mapping[str, Any], *, international: bool = False
) -> LetterAddress:
    """The address in a letter's personalisation if Notify would post it; otherwise
    ``RecipientRefused``. ``international``: the service may post abroad."""
    lines = [line for line in (_tidy(raw) for raw in address_text(personalisation)) if line]
    bfpo: int | None = None
    for line in lines:
        match = _BFPO.match(line.lower())
        if match and match.group(1):
            bfpo = int(match.group(1))
            lines = [other for other in lines if not _BFPO.match(other.lower())]
            break
    # Trailing lines naming the UK are dropped; any other country ends the address abroad.
    named = country(lines[-1]) if lines else None
    abroad: str | None = None
    if named == UK:
        while lines and country(lines[-1]) == UK:
            lines.pop()
    elif named is not None:
        abroad = named
        lines.pop()
    postcode = None
    if abroad is None and lines and is_real_uk_postcode(lines[-1]):
        compact = _compact(lines[-1])
        postcode = f"{compact[:-3]} {compact[-3:]}"
        lines[-1] = postcode
    if bfpo is not None:
        lines.append(f"BFPO {bfpo}")
    if abroad is not None:
        lines.append(abroad)

    if len(lines) < MIN_LINES:
        raise _address_refused(
            f"Address must be at least {MIN_LINES} lines",
            f"a letter's address needs at least {MIN_LINES} lines, including the postcode",
        )
    if len(lines) > MAX_LINES:
        raise _address_refused(
            f"Address must be no more than {MAX_LINES} lines",
            f"a letter's address may have at most {MAX_LINES} lines, including the postcode",
        )
    if not all(re.search(r"[a-zA-Z0-9]", line) for line in lines[:2]):
        raise _address_refused(
            "The first 2 lines of the address must both include at least one alphanumeric "
            "character",
            "the first two lines of the address must each contain a letter or a digit",
        )
    if bfpo is not None and abroad is not None:
        raise _address_refused(
            "The last line of a BFPO address must not be a country.",
            "a BFPO address must not end with a country",
        )
    valid_last_line = (
        (international and abroad is not None and bfpo is None)
        or postcode is not None
        or bfpo is not None
    )
    if not valid_last_line:
        if international:
            raise _address_refused(
                "Last line of address must be a real UK postcode or another country",
                "the last line of the address must be a real UK postcode or a country",
            )
        raise _address_refused(
            "Must be a real UK postcode",
            "the last line of the address must be a real UK postcode (letters go to UK "
            "addresses and BFPO numbers only)",
        )
    if any(line.startswith(tuple(INVALID_LINE_STARTS)) for line in lines):
        raise _address_refused(
            _INVALID_START,
            'no address line may start with @ ( ) = [ ] " \\ / , < > or ~',
        )
    if any(line.lower() == "nfa" for line in lines) or re.search(
        r"no fixed (abode|address)", "\n".join(lines), re.IGNORECASE
    ):
        raise _address_refused(
            "Must be a real address",
            "letters cannot be sent to an address of no fixed abode",
        )
    postage: Literal["europe", "rest-of-world"] | None = None
    if abroad is not None:
        postage = "europe" if postage_zone(abroad) == "europe" else "rest-of-world"
    return LetterAddress(tuple(lines), postage, bfpo)
