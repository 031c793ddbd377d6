"""Letters, texts and emails sent on a case, through the Notify outbox in the same
transaction as the step that sends them: a notice to improve, a penalty notice, a meeting
invitation, the School Attendance Order notices. Each is recorded on the case's chronology,
and a letter Royal Mail returns shows on the case."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed, body_problem
from app.models.cases import Case, CaseEventKind
from app.models.messages import Channel, OutboundMessage
from app.models.people import Carer
from app.policies import Access
from app.policies.registry import Purpose
from app.services.cases import add_event
from app.services.messages import addressee_of
from app.services.outbox import OutboxRefusal
from app.services.queued_messages import queue_about


async def queue_case_message(
    session: AsyncSession,
    access: Access,
    case: Case,
    *,
    carer_id: uuid.UUID,
    message_type: str,
    personalisation: Mapping[str, Any],
    template_ids: Mapping[str, uuid.UUID],
    channel: Channel = Channel.LETTER,
    purpose: Purpose | None = None,
    pointer: str = "/carer_id",
) -> OutboundMessage:
    """Queue a message to a party of ``case`` (the carer must be a current party), under the
    request's purpose (or ``purpose``), and record it on the chronology. A message the
    template or the address cannot take is a 422 naming ``pointer``; nothing is written."""
    party = next((p for p in case.parties if p.carer_id == carer_id and p.removed_at is None), None)
    if party is None:
        raise ValidationFailed(
            "The carer is not a party to this case.",
            errors=[body_problem(pointer, "not a party to this case", "not_a_party")],
        )
    carer = await session.scalar(select(Carer).where(Carer.id == carer_id))
    if carer is None:  # a party names a carer row (foreign key)
        raise ValueError(f"party {party.id} names no carer")
    used = purpose or access.purpose
    if used is None:
        raise ValueError("a case message needs a purpose")
    try:
        message = queue_about(
            session,
            access,
            carer,
            to=addressee_of(carer, channel),
            message_type=message_type,
            channel=channel,
            personalisation=personalisation,
            purpose=used,
            template_ids=template_ids,
            details={"case_id": str(case.id)},
            pupil_id=case.pupil_id,
            carer_id=carer.id,
            case_id=case.id,
        )
    except OutboxRefusal as exc:
        raise ValidationFailed(
            "The message cannot be sent to this carer.",
            errors=[
                body_problem(pointer, f"{field}: {problem}", "message_refused")
                for field, problem in sorted(exc.problems.items())
            ],
        ) from None
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.LETTER_QUEUED,
        by=access.principal.subject,
        now=access.now,
        details={
            "message_id": str(message.id),
            "message_type": message_type,
            "channel": channel.value,
            "carer_id": str(carer.id),
        },
    )
    return message
