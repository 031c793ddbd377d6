"""Putting messages in the outbox: validated, addressed, and written in the caller's
transaction, for the worker to send through the GOV.UK Notify API (v2).

Whatever causes a message (a penalty notice issued, a subject request received, a meeting
arranged) calls :func:`enqueue` in its own unit of work. If that transaction commits, the
message is there for the worker; if it rolls back, the message never existed. Recipients are
checked here with Notify's own rules (``app.notify.recipients``), so a recipient Notify would
refuse is the caller's problem to fix now, not a message rejected later. References are
random and carry nothing about the person.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.messages.templates import (
    MESSAGE_TYPES,
    MessageType,
    PersonalisationError,
    default_template_id,
    render_personalisation,
)
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.notify.recipients import (
    MAX_LINES,
    RecipientRefused,
    check_email_address,
    check_letter_address,
    check_phone_number,
)
from app.policies.registry import Purpose


class OutboxRefusal(ValueError):
    """The message cannot be queued; ``problems`` maps a field to what is wrong with it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in sorted(problems.items())))
        self.problems = dict(problems)


@dataclass(frozen=True, slots=True)
class Addressee:
    """Where a message goes: a phone number, an email address, or postal address lines (the
    last being the postcode)."""

    phone: str | None = None
    email: str | None = None
    address_lines: Sequence[str] = ()


def new_reference() -> str:
    """An opaque, unique reference: no personal data, safe to show Notify and its logs."""
    return "kpas-" + secrets.token_hex(16)


def _refused(exc: RecipientRefused, field: str = "recipient") -> OutboxRefusal:
    return OutboxRefusal({field: f"{exc.reason} (Notify: {exc.message})"})


def _letter_address(lines: Sequence[str], *, international: bool) -> dict[str, str]:
    """The ``address_line_N`` personalisation for ``lines``, checked as Notify checks it."""
    given = [line.strip() for line in lines if line and line.strip()]
    if len(given) > MAX_LINES:
        raise OutboxRefusal(
            {
                "address": f"a letter's address may have at most {MAX_LINES} lines, including "
                f"the postcode (Notify: Address must be no more than {MAX_LINES} lines)"
            }
        )
    try:
        address = check_letter_address(
            {f"address_line_{i}": line for i, line in enumerate(given, start=1)},
            international=international,
        )
    except RecipientRefused as exc:
        raise _refused(exc, "address") from None
    return {f"address_line_{i}": line for i, line in enumerate(address.lines, start=1)}


def _recipient(
    channel: Channel, to: Addressee, *, international_letters: bool = False
) -> tuple[str | None, dict[str, str]]:
    """The normalised recipient and (for letters) the address personalisation."""
    if channel is Channel.SMS:
        if not to.phone:
            raise OutboxRefusal({"recipient": "no mobile number to text"})
        try:
            return check_phone_number(to.phone), {}
        except RecipientRefused as exc:
            raise _refused(exc) from None
    if channel is Channel.EMAIL:
        if not to.email:
            raise OutboxRefusal({"recipient": "no email address"})
        try:
            return check_email_address(to.email), {}
        except RecipientRefused as exc:
            raise _refused(exc) from None
    return None, _letter_address(to.address_lines, international=international_letters)


def message_type(code: str, channel: Channel, purpose: Purpose) -> MessageType:
    spec = MESSAGE_TYPES.get(code)
    if spec is None:
        raise OutboxRefusal({"message_type": "not a registered message type"})
    if channel not in spec.channels:
        raise OutboxRefusal({"channel": f"{code} is not sent by {channel.value}"})
    if purpose.value not in spec.purposes:
        raise OutboxRefusal({"purpose": f"{code} is not sent for {purpose.value}"})
    return spec


def enqueue(
    session: AsyncSession,
    *,
    message_type_code: str,
    channel: Channel,
    to: Addressee,
    personalisation: Mapping[str, Any],
    purpose: Purpose,
    subject_id: uuid.UUID,
    purposes_mask: int,
    lawful_basis: str,
    created_by: str,
    now: datetime,
    pupil_id: uuid.UUID | None = None,
    carer_id: uuid.UUID | None = None,
    template_ids: Mapping[str, uuid.UUID] | None = None,
    case_id: uuid.UUID | None = None,
) -> OutboundMessage:
    """Validate and add a message to the outbox in the caller's transaction (no I/O)."""
    spec = message_type(message_type_code, channel, purpose)
    try:
        rendered = render_personalisation(spec, personalisation)
    except PersonalisationError as exc:
        raise OutboxRefusal({f"personalisation.{k}": v for k, v in exc.problems.items()}) from None
    recipient, address = _recipient(channel, to)
    key = f"{spec.code}.{channel.value}"
    template_id = (template_ids or {}).get(key) or default_template_id(spec.code, channel)
    message = OutboundMessage(
        id=uuid.uuid4(),
        message_type=spec.code,
        channel=channel,
        template_id=template_id,
        reference=new_reference(),
        recipient=recipient,
        personalisation={**rendered, **address},
        pupil_id=pupil_id,
        carer_id=carer_id,
        case_id=case_id,
        purpose=purpose.value,
        status=MessageStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        subject_id=subject_id,
        purposes_mask=purposes_mask,
        lawful_basis=lawful_basis,
        created_by=created_by,
    )
    session.add(message)
    return message
