"""The message types KPAS sends, each mapped to a GOV.UK Notify template and the
personalisation that template needs (GOV.UK Notify API v2).

Casework, licensing and subject rights name a message type, never a template id: the ids
belong to the Notify service the deployment uses and are configured per environment
(``KPAS_NOTIFY_TEMPLATES``, a JSON object of ``"{type}.{channel}": "<template uuid>"``). The
defaults are the templates of the demo and test fake, derived from the type and channel, so
the demo sends without configuration. Personalisation is validated here before a message is
queued: a message the template cannot render never reaches the outbox.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from app.models.messages import Channel

#: Namespace of the default (demo and test) template ids.
DEFAULT_TEMPLATE_NAMESPACE = uuid.UUID("5e0f3c1a-7b2d-5c4e-8f9a-1b2c3d4e5f60")


class FieldKind(StrEnum):
    TEXT = "text"  # a line of text, at most 200 characters
    DATE = "date"  # an ISO date; rendered "29 November 2026"
    MONEY = "money"  # whole pounds or pence, rendered "£80.00"
    REFERENCE = "reference"  # a short code: letters, digits, hyphens


@dataclass(frozen=True, slots=True)
class MessageType:
    code: str
    description: str
    channels: frozenset[Channel]
    #: Personalisation fields the templates need (letters also take address_line_1..7).
    fields: Mapping[str, FieldKind]
    #: The purposes under which this message may be sent.
    purposes: frozenset[str]

    def template_body(self, channel: Channel) -> str:
        """The body of the demo/test template (Notify's ``((placeholder))`` syntax)."""
        lines = [self.description + "."] + [f"{name}: (({name}))" for name in self.fields]
        return "\n".join(lines)


def _type(
    code: str,
    description: str,
    channels: set[Channel],
    fields: dict[str, FieldKind],
    *purposes: str,
) -> MessageType:
    return MessageType(code, description, frozenset(channels), fields, frozenset(purposes))


T, D, M, R = FieldKind.TEXT, FieldKind.DATE, FieldKind.MONEY, FieldKind.REFERENCE
ALL = {Channel.SMS, Channel.EMAIL, Channel.LETTER}

MESSAGE_TYPES: dict[str, MessageType] = {
    t.code: t
    for t in (
        _type(
            "attendance_concern",
            "We are concerned about your child's attendance at school",
            ALL,
            {"pupil_first_name": T, "school_name": T, "contact_number": T},
            "attendance_duty",
            "intervention",
        ),
        _type(
            "meeting_invitation",
            "You are invited to a meeting about your child's attendance",
            ALL,
            {"pupil_first_name": T, "meeting_date": D, "meeting_time": T, "venue": T},
            "attendance_duty",
            "intervention",
            "exclusion_support",
        ),
        _type(
            "notice_to_improve",
            "Notice to improve your child's attendance",
            {Channel.LETTER},
            {"pupil_name": T, "school_name": T, "improvement_period_ends": D, "case_reference": R},
            "attendance_duty",
            "prosecution",
        ),
        _type(
            "penalty_notice_letter",
            "Penalty notice for your child's absence from school",
            {Channel.LETTER},
            {
                "pupil_name": T,
                "notice_number": R,
                "reduced_amount": M,
                "reduced_by": D,
                "full_amount": M,
                "full_by": D,
            },
            "prosecution",
        ),
        _type(
            "sar_acknowledgement",
            "We have received your request for your personal information",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R, "due_date": D},
            "subject_rights",
        ),
        _type(
            "licence_decision",
            "A decision on your licence application",
            {Channel.EMAIL, Channel.LETTER},
            {"licence_reference": R, "decision": T},
            "child_employment_licensing",
        ),
        _type(
            "chaperone_expiry_reminder",
            "Your chaperone approval is due to expire",
            {Channel.EMAIL, Channel.SMS},
            {"expiry_date": D},
            "child_employment_licensing",
        ),
    )
}


def default_template_id(message_type: str, channel: Channel) -> uuid.UUID:
    return uuid.uuid5(DEFAULT_TEMPLATE_NAMESPACE, f"{message_type}.{channel.value}")


class PersonalisationError(ValueError):
    """What is wrong with a personalisation, by field (never repeating the values)."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
        self.problems = problems


_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/-]{0,39}$")


def _render(kind: FieldKind, value: Any) -> str:
    if kind is FieldKind.DATE:
        try:
            day = date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            # The parser's own message repeats the value, which may be personal data.
            raise ValueError("expected an ISO date") from None
        if not isinstance(day, date):
            raise ValueError("expected an ISO date")
        return f"{day.day} {day:%B %Y}"
    if kind is FieldKind.MONEY:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError("expected a whole number of pence")
        return f"£{value // 100:,}.{value % 100:02d}"
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected text")
    if any(ch in value for ch in "\r\n\x00") or len(value) > 200:
        raise ValueError("expected one line of at most 200 characters")
    if kind is FieldKind.REFERENCE and not _REFERENCE.match(value):
        raise ValueError("expected a short reference (letters, digits, / and -)")
    return value


def render_personalisation(message_type: MessageType, values: Mapping[str, Any]) -> dict[str, str]:
    """Check and render the personalisation for ``message_type``: every field present and
    well formed, nothing unexpected. Raises ``PersonalisationError``."""
    problems: dict[str, str] = {}
    rendered: dict[str, str] = {}
    for name in values.keys() - message_type.fields.keys():
        problems[name] = "not a field of this message type"
    for name, kind in message_type.fields.items():
        if name not in values:
            problems[name] = "required"
            continue
        try:
            rendered[name] = _render(kind, values[name])
        except ValueError as exc:
            problems[name] = str(exc)
    if problems:
        raise PersonalisationError(problems)
    return rendered


def demo_templates() -> list[tuple[uuid.UUID, str, Channel, str, str | None]]:
    """(id, name, channel, body, subject) of the default template of every registered type and
    channel: what the demo and test fake Notify holds, so the demo sends without setup."""
    out = []
    for spec in MESSAGE_TYPES.values():
        for channel in sorted(spec.channels):
            subject = None if channel is Channel.SMS else spec.description
            out.append(
                (
                    default_template_id(spec.code, channel),
                    f"{spec.code} ({channel.value})",
                    channel,
                    spec.template_body(channel),
                    subject,
                )
            )
    return out
