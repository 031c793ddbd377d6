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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from app.models.messages import Channel
from app.rules.attendance import (
    PENALTY_FULL_DAYS,
    PENALTY_FULL_POUNDS,
    PENALTY_REDUCED_DAYS,
    PENALTY_REDUCED_POUNDS,
    PENALTY_REPEAT_YEARS,
)

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
    #: Fields that may be left out (the template does not show them as placeholders).
    optional: frozenset[str] = frozenset()
    #: The template body, where the generic one (a line per field) will not do.
    body: str | None = None
    #: Checks across fields and values the template's conditional content needs (Notify's
    #: ``((flag??text))``): problems by field, and the values to add.
    derive: Callable[[Mapping[str, Any]], tuple[dict[str, str], dict[str, str]]] | None = field(
        default=None, compare=False
    )

    def template_body(self, channel: Channel) -> str:
        """The body of the demo/test template (Notify's ``((placeholder))`` syntax)."""
        if self.body is not None:
            return self.body
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


def _pounds(pounds: int) -> str:
    return f"£{pounds:,}.00"


#: Telling someone of a breach of their personal data (UK GDPR Art 34(2)): in clear and plain
#: language, what happened, its likely consequences, what the council has done and will do,
#: and whom to contact (the Data Protection Officer), as Art 33(3)(b) to (d) require.
BREACH_NOTIFICATION_BODY = "\n".join(
    (
        "We are writing to tell you about a data protection incident that affects your "
        "personal information.",
        "Our reference: ((breach_reference))",
        "What happened: ((what_happened))",
        "What this could mean for you: ((likely_consequences))",
        "What we have done and will do: ((measures_taken))",
        "If you have any questions, contact our Data Protection Officer through the "
        "Information Resilience and Transparency Team at data.protection@kent.gov.uk, quoting "
        "our reference. You also have the right to complain to the Information Commissioner's "
        "Office (ico.org.uk, 0303 123 1113).",
    )
)


#: The penalty notice letter (Education (Penalty Notices) (England) Regulations 2007,
#: SI 2007/1867, as amended by SI 2024/210). One template serves a first notice and a second
#: within 3 years of a first: Notify's conditional content shows the reduced rate only on a
#: first notice (``first_notice`` yes) and says why there is none on a second. The amounts
#: and periods come from ``app.rules.attendance``.
PENALTY_NOTICE_BODY = "\n".join(
    (
        "Penalty notice for your child's absence from school.",
        "Child: ((pupil_name))",
        "Notice number: ((notice_number))",
        f"((first_notice??If you pay within {PENALTY_REDUCED_DAYS} days of receiving this "
        f"notice, the penalty is {_pounds(PENALTY_REDUCED_POUNDS)}. If you do not, the penalty "
        f"is {_pounds(PENALTY_FULL_POUNDS)}, payable within {PENALTY_FULL_DAYS} days of "
        "receiving this notice.))",
        f"((second_notice??This is a second penalty notice for your child within "
        f"{PENALTY_REPEAT_YEARS} years of a first, so there is no reduced rate: the penalty is "
        f"{_pounds(PENALTY_FULL_POUNDS)}, payable within {PENALTY_FULL_DAYS} days of receiving "
        "this notice.))",
        "Pay ((full_amount)) by ((full_by)).",
    )
)


def _penalty_notice_terms(values: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """A first notice gives the reduced amount and date, a second neither; the amounts are
    the regulations' own."""
    problems: dict[str, str] = {}
    reduced = [name for name in ("reduced_amount", "reduced_by") if name in values]
    if len(reduced) == 1:
        other = ({"reduced_amount", "reduced_by"} - set(reduced)).pop()
        problems[other] = "required with " + reduced[0] + " (a first notice gives both)"
    if values.get("full_amount") != PENALTY_FULL_POUNDS * 100:
        problems["full_amount"] = f"a penalty notice is {_pounds(PENALTY_FULL_POUNDS)}"
    if "reduced_amount" in values and values["reduced_amount"] != PENALTY_REDUCED_POUNDS * 100:
        problems["reduced_amount"] = (
            f"a first notice's reduced amount is {_pounds(PENALTY_REDUCED_POUNDS)}"
        )
    first = "yes" if reduced else "no"
    return problems, {"first_notice": first, "second_notice": "no" if reduced else "yes"}


def _penalty_notice_letter() -> MessageType:
    return MessageType(
        "penalty_notice_letter",
        "Penalty notice for your child's absence from school",
        frozenset({Channel.LETTER}),
        {
            "pupil_name": T,
            "notice_number": R,
            "reduced_amount": M,
            "reduced_by": D,
            "full_amount": M,
            "full_by": D,
        },
        frozenset({"prosecution"}),
        optional=frozenset({"reduced_amount", "reduced_by"}),
        body=PENALTY_NOTICE_BODY,
        derive=_penalty_notice_terms,
    )


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
        _penalty_notice_letter(),
        # School Attendance Orders (Education Act 1996 s437-s443), sent to the parent.
        _type(
            "sao_notice",
            "Notice to satisfy the council that your child is receiving a suitable education",
            {Channel.LETTER},
            {"pupil_name": T, "satisfy_by": D, "case_reference": R},
            "school_attendance_order",
        ),
        _type(
            "sao_intention",
            "Notice of intention to serve a School Attendance Order",
            {Channel.LETTER},
            {"pupil_name": T, "school_name": T, "choose_by": D, "case_reference": R},
            "school_attendance_order",
        ),
        _type(
            "sao_order",
            "School Attendance Order",
            {Channel.LETTER},
            {"pupil_name": T, "school_name": T, "order_date": D, "case_reference": R},
            "school_attendance_order",
        ),
        _type(
            "sar_acknowledgement",
            "We have received your request for your personal information",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R, "due_date": D},
            "subject_rights",
        ),
        _type(
            "subject_request_identity",
            "We need to confirm your identity before we can answer your request",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R},
            "subject_rights",
        ),
        _type(
            "subject_request_clarification",
            "We need more information to answer your request",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R},
            "subject_rights",
        ),
        _type(
            "subject_request_extension",
            "We need more time to answer your request",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R, "due_date": D, "reasons": T},
            "subject_rights",
        ),
        _type(
            "subject_request_response",
            "Our response to your request",
            {Channel.EMAIL, Channel.LETTER},
            {"request_reference": R, "outcome": T},
            "subject_rights",
        ),
        _type(
            "complaint_acknowledgement",
            "We have received your data protection complaint",
            {Channel.EMAIL, Channel.LETTER},
            {"complaint_reference": R},
            "subject_rights",
        ),
        _type(
            "complaint_progress",
            "An update on your data protection complaint",
            {Channel.EMAIL, Channel.LETTER},
            {"complaint_reference": R, "update": T},
            "subject_rights",
        ),
        _type(
            "complaint_outcome",
            "The outcome of your data protection complaint",
            {Channel.EMAIL, Channel.LETTER},
            {"complaint_reference": R, "outcome": T},
            "subject_rights",
        ),
        MessageType(
            "breach_notification",
            "A data protection incident affecting your personal information",
            frozenset({Channel.EMAIL, Channel.LETTER}),
            {
                "breach_reference": R,
                "what_happened": T,
                "likely_consequences": T,
                "measures_taken": T,
            },
            frozenset({"breach_management"}),
            body=BREACH_NOTIFICATION_BODY,
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
            if name not in message_type.optional:
                problems[name] = "required"
            continue
        try:
            rendered[name] = _render(kind, values[name])
        except ValueError as exc:
            problems[name] = str(exc)
    if not problems and message_type.derive is not None:
        found, derived = message_type.derive(values)
        problems.update(found)
        rendered.update(derived)
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
