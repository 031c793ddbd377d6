"""Notify's request checks, with Notify's error types and messages.

Notify validates each POST body against a JSON schema (draft 4, ``additionalProperties: false``)
and reports every problem as ``{"error": "ValidationError", "message": "<field> <problem>"}``;
after that come business checks (template, personalisation, address, international numbers)
reported one at a time as ``BadRequestError`` or ``ValidationError``. The rules below follow
notifications-api and notifications-utils; the messages match theirs.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from app.notify.errors import ErrorType
from app.notify.fake.config import FakeTemplate

__all__ = [
    "EMAIL_REQUEST",
    "LETTER_REQUEST",
    "PRECOMPILED_LETTER_REQUEST",
    "SMS_REQUEST",
    "InvalidPhoneNumber",
    "Refusal",
    "RequestSchema",
    "additional_properties",
    "address_lines",
    "check_address",
    "check_personalisation",
    "check_schema",
    "decode_pdf",
    "is_international",
    "is_uk_postcode",
    "is_valid_email",
    "normalise_uk_mobile",
    "render",
]

FieldKind = Literal["string", "uuid", "object", "phone_number", "email_address", "postage"]

SMS_MAX_CHARACTERS = 918
ADDRESS_MIN_LINES = 3
ADDRESS_MAX_LINES = 7
_FORBIDDEN_LINE_STARTS = "@()=[]”\\/,<>"
_INVALID_START_MESSAGE = (
    "Address lines must not start with any of the following characters: @ ( ) = [ ] ” \\ / , < >"
)


class Refusal(Exception):
    """A Notify error answer: ``{"status_code": status, "errors": [{"error", "message"}, ...]}``."""

    def __init__(self, status: int, errors: list[tuple[str, str]]) -> None:
        super().__init__(status, errors)
        self.status = status
        self.errors = errors

    @classmethod
    def one(cls, status: int, error: str, message: str) -> Refusal:
        return cls(status, [(error, message)])

    def body(self) -> dict[str, Any]:
        return {
            "status_code": self.status,
            "errors": [{"error": error, "message": message} for error, message in self.errors],
        }


@dataclass(frozen=True)
class RequestSchema:
    properties: Mapping[str, FieldKind]
    required: tuple[str, ...]
    #: ``(property, key)``: a key the nested object must have (Notify's letter personalisation).
    nested_required: tuple[tuple[str, str], ...] = ()


SMS_REQUEST = RequestSchema(
    properties={
        "phone_number": "phone_number",
        "template_id": "uuid",
        "reference": "string",
        "personalisation": "object",
        "sms_sender_id": "uuid",
    },
    required=("phone_number", "template_id"),
)
EMAIL_REQUEST = RequestSchema(
    properties={
        "email_address": "email_address",
        "template_id": "uuid",
        "reference": "string",
        "personalisation": "object",
        "email_reply_to_id": "uuid",
        "one_click_unsubscribe_url": "string",
    },
    required=("email_address", "template_id"),
)
LETTER_REQUEST = RequestSchema(
    properties={"template_id": "uuid", "reference": "string", "personalisation": "object"},
    required=("template_id", "personalisation"),
    nested_required=(("personalisation", "address_line_1"),),
)
PRECOMPILED_LETTER_REQUEST = RequestSchema(
    properties={"reference": "string", "content": "string", "postage": "postage"},
    required=("reference", "content"),
)


def additional_properties(names: list[str]) -> str:
    """jsonschema's message for unknown properties, as Notify passes it on."""
    verb = "was" if len(names) == 1 else "were"
    return f"Additional properties are not allowed ({', '.join(names)} {verb} unexpected)"


def _shown(value: Any) -> str:
    """A value as jsonschema's messages show it, after Notify strips the quotes."""
    return repr(value).replace("'", "")


class InvalidPhoneNumber(ValueError):
    pass


def normalise_uk_mobile(number: str) -> str:
    """``447700900123`` for a UK mobile number; ``InvalidPhoneNumber`` with Notify's reason."""
    digits = number
    for character in "() -+":
        digits = digits.replace(character, "")
    if not digits.isdigit():
        raise InvalidPhoneNumber("Must not contain letters or symbols")
    digits = digits.lstrip("0")
    if digits.startswith("44"):
        digits = digits[2:].lstrip("0")
    if not digits.startswith("7"):
        raise InvalidPhoneNumber("Not a UK mobile number")
    if len(digits) > 10:
        raise InvalidPhoneNumber("Too many digits")
    if len(digits) < 10:
        raise InvalidPhoneNumber("Not enough digits")
    return f"44{digits}"


def is_international(number: str) -> bool:
    """A number written with a country code other than the UK's."""
    compact = re.sub(r"[\s()-]", "", number)
    if compact.startswith("+"):
        return not compact.startswith("+44")
    if compact.startswith("00"):
        return not compact.startswith("0044")
    return False


_EMAIL = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@([^.@][^@\s]+)$")
_HOSTNAME_PART = re.compile(r"^(xn|[a-z0-9]+)(-?-[a-z0-9]+)*$", re.IGNORECASE)
_TLD_PART = re.compile(r"^([a-z]{2,63}|xn--([a-z0-9]+-)*[a-z0-9]+)$", re.IGNORECASE)


def is_valid_email(address: str) -> bool:
    """Notify's email address check (notifications-utils), without the IDNA step."""
    address = address.strip()
    match = _EMAIL.match(address)
    if not match or len(address) > 320 or ".." in address:
        return False
    hostname = match.group(1)
    parts = hostname.split(".")
    if len(hostname) > 253 or len(parts) < 2:
        return False
    if any(not part or len(part) > 63 or not _HOSTNAME_PART.match(part) for part in parts):
        return False
    return bool(_TLD_PART.match(parts[-1]))


def _field_problem(name: str, kind: FieldKind, value: Any) -> str | None:
    if kind == "uuid":
        # Notify's uuid definition carries its own message, used for every problem with it.
        if not isinstance(value, str):
            return f"{name} is not a valid UUID"
        try:
            uuid.UUID(value)
        except ValueError:
            return f"{name} is not a valid UUID"
        return None
    if kind == "object":
        return None if isinstance(value, dict) else f"{name} {_shown(value)} is not of type object"
    if not isinstance(value, str):
        return f"{name} {_shown(value)} is not of type string"
    if kind == "phone_number" and not is_international(value):
        try:
            normalise_uk_mobile(value)
        except InvalidPhoneNumber as exc:
            return f"{name} {exc}"
    if kind == "email_address" and not is_valid_email(value):
        return f"{name} Not a valid email address"
    if kind == "postage" and value not in ("first", "second"):
        return "postage invalid. It must be either first or second."
    return None


def check_schema(body: Any, schema: RequestSchema) -> dict[str, Any]:
    """The body if it fits the schema; otherwise a 400 listing every problem, as Notify does."""
    if not isinstance(body, dict):
        raise Refusal.one(400, ErrorType.VALIDATION, f"{_shown(body)} is not of type object")
    problems: list[str] = []
    for name in schema.required:
        if name not in body:
            problems.append(f"{name} is a required property")
    unexpected = [name for name in body if name not in schema.properties]
    if unexpected:
        problems.append(additional_properties(unexpected))
    for name, kind in schema.properties.items():
        if name in body:
            problem = _field_problem(name, kind, body[name])
            if problem:
                problems.append(problem)
    for outer, inner in schema.nested_required:
        nested = body.get(outer)
        if isinstance(nested, dict) and inner not in nested:
            problems.append(f"{outer} {inner} is a required property")
    if problems:
        raise Refusal(400, [(ErrorType.VALIDATION, problem) for problem in problems])
    return body


def _insensitive(key: str) -> str:
    """Notify matches placeholder names ignoring case, spaces, hyphens and underscores."""
    return re.sub(r"[\s_-]", "", key).lower()


def check_personalisation(template: FakeTemplate, personalisation: Mapping[str, Any]) -> None:
    """400 ``BadRequestError`` naming the placeholders without a value, as Notify does."""
    given = {_insensitive(key) for key, value in personalisation.items() if value is not None}
    address = {_insensitive(f"address_line_{n}") for n in range(1, 8)} | {"postcode"}
    missing = [
        name
        for name in template.placeholders
        if _insensitive(name) not in given and _insensitive(name) not in address
    ]
    if missing:
        raise Refusal.one(
            400, ErrorType.BAD_REQUEST, f"Missing personalisation: {', '.join(missing)}"
        )


def _as_text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "\n".join(f"* {item}" for item in value)
    return str(value)


def _truthy(value: Any) -> bool:
    return bool(value) and str(value).strip().lower() not in {"no", "false", "0"}


def render(text: str | None, personalisation: Mapping[str, Any]) -> str | None:
    """The template text with its placeholders filled in."""
    if text is None:
        return None
    values = {_insensitive(key): value for key, value in personalisation.items()}

    def fill(match: re.Match[str]) -> str:
        name, _, shown_if = match.group(1).partition("??")
        value = values.get(_insensitive(name.strip()))
        if shown_if:
            return shown_if if _truthy(value) else ""
        return _as_text(value) if value is not None else match.group(0)

    return re.sub(r"\(\(([^()]+)\)\)", fill, text)


_UK_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?[0-9][A-BD-HJLNP-UW-Z]{2}$")


def is_uk_postcode(line: str) -> bool:
    return bool(_UK_POSTCODE.match(re.sub(r"\s+", "", line).upper()))


def address_lines(personalisation: Mapping[str, Any]) -> list[str]:
    """The letter's address: ``address_line_1..7`` (``postcode`` as an old name for the last),
    blank lines dropped."""
    values = {_insensitive(key): value for key, value in personalisation.items()}
    keys = [_insensitive(f"address_line_{n}") for n in range(1, 8)] + ["postcode"]
    lines = [str(values[key]).strip() for key in keys if values.get(key) is not None]
    return [line for line in lines if line]


def check_address(lines: list[str]) -> None:
    """Notify's address rules for letters (this fake does not send abroad)."""
    if len(lines) < ADDRESS_MIN_LINES:
        raise Refusal.one(
            400, ErrorType.VALIDATION, f"Address must be at least {ADDRESS_MIN_LINES} lines"
        )
    if len(lines) > ADDRESS_MAX_LINES:
        raise Refusal.one(
            400, ErrorType.VALIDATION, f"Address must be no more than {ADDRESS_MAX_LINES} lines"
        )
    if not is_uk_postcode(lines[-1]):
        raise Refusal.one(400, ErrorType.VALIDATION, "Must be a real UK postcode")
    if any(line[0] in _FORBIDDEN_LINE_STARTS for line in lines):
        raise Refusal.one(400, ErrorType.VALIDATION, _INVALID_START_MESSAGE)


def decode_pdf(content: str) -> bytes:
    """A precompiled letter's PDF from its base64 text, refused as Notify refuses it."""
    try:
        pdf = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError):
        raise Refusal.one(
            400, ErrorType.BAD_REQUEST, "Cannot decode letter content (invalid base64 encoding)"
        ) from None
    if not pdf.startswith(b"%PDF-"):
        raise Refusal.one(400, ErrorType.BAD_REQUEST, "Letter content is not a valid PDF")
    return pdf
