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
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from app.notify.errors import ErrorType
from app.notify.fake.config import FakeTemplate
from app.notify.recipients import RecipientRefused, check_email_address, check_phone_number

__all__ = [
    "EMAIL_REQUEST",
    "LETTER_REQUEST",
    "PRECOMPILED_LETTER_REQUEST",
    "SMS_REQUEST",
    "Refusal",
    "RequestSchema",
    "additional_properties",
    "check_personalisation",
    "check_schema",
    "decode_pdf",
    "render",
]

FieldKind = Literal[
    "string",
    "uuid",
    "object",
    "phone_number",
    "email_address",
    "postage",
    "datetime_or_null",
    "array_or_null",
]

SMS_MAX_CHARACTERS = 918


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
        "scheduled_for": "datetime_or_null",
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
        "scheduled_for": "datetime_or_null",
        "email_reply_to_id": "uuid",
        "one_click_unsubscribe_url": "string",
        "sanitise_content_for": "array_or_null",
    },
    required=("email_address", "template_id"),
)
LETTER_REQUEST = RequestSchema(
    properties={"template_id": "uuid", "reference": "string", "personalisation": "object"},
    required=("template_id", "personalisation"),
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
    if kind == "array_or_null":
        if value is None or isinstance(value, list):
            return None
        return f"{name} {_shown(value)} is not of type array, null"
    if kind == "datetime_or_null":
        return None if value is None else _scheduled_for_problem(name, value)
    if not isinstance(value, str):
        return f"{name} {_shown(value)} is not of type string"
    try:
        # The schema allows any number Notify could text; the service's permissions come later.
        if kind == "phone_number":
            check_phone_number(value, international=True, uk_landlines=True)
        if kind == "email_address":
            check_email_address(value)
    except RecipientRefused as exc:
        return exc.message
    if kind == "postage" and value not in ("first", "second", "economy"):
        return "postage invalid. It must be either first, second or economy."
    return None


def _scheduled_for_problem(name: str, value: Any) -> str | None:
    """Notify takes a send scheduled up to 24 hours ahead."""
    if not isinstance(value, str):
        return f"{name} {_shown(value)} is not of type string, null"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return (
            f"{name} datetime format is invalid. It must be a valid ISO8601 date time format, "
            "https://en.wikipedia.org/wiki/ISO_8601"
        )
    now = datetime.now(UTC).replace(tzinfo=None)
    moment = moment.replace(tzinfo=None)
    if moment < now:
        return f"{name} datetime can not be in the past"
    if moment > now + timedelta(hours=24):
        return f"{name} datetime can only be 24 hours in the future"
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
