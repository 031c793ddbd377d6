"""Queueing a letter, text or email to a person about one of their records, with its audit
event: the one way a use case tells someone something. The outbox worker sends it
(``app.services.outbox``); the message is written in the caller's transaction, so it goes
out exactly when the change it reports commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.messages import Channel, OutboundMessage
from app.models.subjects import PersonalRecord
from app.policies import Access
from app.policies.registry import Purpose
from app.services.outbox import Addressee, enqueue


def queue_about(
    session: AsyncSession,
    access: Access,
    record: PersonalRecord,
    *,
    to: Addressee,
    message_type: str,
    channel: Channel,
    personalisation: Mapping[str, Any],
    purpose: Purpose,
    template_ids: Mapping[str, uuid.UUID] | None,
    details: Mapping[str, str],
    pupil_id: uuid.UUID | None = None,
    carer_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
) -> OutboundMessage:
    """Queue a message to ``to`` on the footing of ``record`` (its data subject, purposes and
    basis) and record ``message.queued`` with ``details`` (ids only). Raises
    ``OutboxRefusal`` when Notify would refuse it: the caller turns that into its problem."""
    message = enqueue(
        session,
        message_type_code=message_type,
        channel=channel,
        to=to,
        personalisation=personalisation,
        purpose=purpose,
        subject_id=record.subject_id,
        purposes_mask=record.purposes_mask,
        lawful_basis=record.lawful_basis,
        created_by=access.principal.subject,
        now=access.now,
        pupil_id=pupil_id,
        carer_id=carer_id,
        case_id=case_id,
        template_ids=template_ids,
    )
    access.record_change(
        "message.queued",
        resource_id=message.id,
        subject_id=record.subject_id,
        details={"message_type": message_type, "channel": channel.value, **details},
    )
    return message
