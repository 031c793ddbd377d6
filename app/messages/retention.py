"""Clearing the personal data the outbox holds once a message is done with.

A queued message holds its recipient (a phone number or email address) and its
personalisation (names, dates, amounts, and for a letter the postal address): the worker
needs them to send it, and to send it again after a failure. Once the message is final
(delivered, failed, rejected, cancelled or dead-lettered) nothing will send it again, so they
are kept only for a short holding period, ``KPAS_OUTBOX_PERSONAL_DATA_DAYS`` (30 days by
default): long enough for staff to see a failure, put a dead-lettered message back in the
queue, or answer "what did you send me?" within the month; after it they are cleared and
``personal_data_cleared_at`` is set. The row itself (ids, type, channel, status, times,
attempts, error codes) stays, as the record of what was sent to whom, when and why.

A message Notify accepted but never reported as final is treated as final once Notify has
forgotten it (Notify keeps notifications for 7 days): its data is cleared the same holding
period after that.

Each cleared message gets an audit event (``message.personal_data_cleared``) in the same
transaction. A dead-lettered message whose data has been cleared cannot be retried: send a new
one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record
from app.repositories.messages import OutboxRepository

__all__ = ["NOTIFY_RETENTION", "WORKER_ROLE", "clear_personal_data"]

#: How long Notify keeps a notification (its default data retention).
NOTIFY_RETENTION = timedelta(days=7)
#: The ``actor_role`` of audit events the outbox worker records.
WORKER_ROLE = "outbox_worker"


async def clear_personal_data(
    session: AsyncSession,
    *,
    now: datetime,
    holding_days: int,
    actor: str,
    limit: int = 500,
) -> int:
    """Clear the recipient and personalisation of up to ``limit`` messages that have been
    done with for ``holding_days``, with an audit event each, in the caller's transaction
    (which must ``seal`` before it commits). Returns how many were cleared."""
    holding = timedelta(days=holding_days)
    cleared = await OutboxRepository(session).clear_personal_data(
        final_before=now - holding,
        accepted_before=now - holding - NOTIFY_RETENTION,
        now=now,
        limit=limit,
    )
    for message_id, subject_id, purpose, basis in cleared:
        record(
            session,
            PendingAuditEvent(
                kind="change",
                action="message.personal_data_cleared",
                purpose=purpose,
                basis=basis,
                actor=actor,
                actor_role=WORKER_ROLE,
                resource_type="message",
                resource_id=str(message_id),
                subject_id=subject_id,
                details={"holding_days": holding_days},
            ),
        )
    return len(cleared)
