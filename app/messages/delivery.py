"""What became of a message after Notify accepted it: delivery receipts and status polls.

Notify POSTs a receipt when a text or email reaches a final status (``/v1/notify/callbacks``);
letters get none, so the worker asks Notify (``GET /v2/notifications/{id}``) for accepted
letters, and for texts and emails whose receipt is overdue. Both paths land here and obey the
same rules:

- a receipt is matched by Notify's id, else by our reference (a send whose answer was lost
  and not yet reconciled: the receipt tells us Notify has it);
- a receipt for a letter is ignored (Notify sends none, so one is not Notify's news: a letter's
  status comes only from asking Notify), and so is one whose type is not the message's channel;
- an id or reference we do not know is ignored (logged with ids only);
- a final status is never changed, and applying the same news twice changes nothing, so
  Notify's retries and replays are harmless;
- a status word we do not know is ignored rather than guessed at.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from app.log import get_logger
from app.models.messages import FINAL_STATUSES, Channel, MessageStatus
from app.notify.schemas import DeliveryReceipt, Notification, NotificationStatus
from app.repositories.messages import OutboxRepository

__all__ = [
    "NOTIFY_STATUSES",
    "ReceiptOutcome",
    "apply_notification",
    "apply_receipt",
    "message_status",
]

_log = get_logger("app.messages.delivery")

N = NotificationStatus
#: Notify's status words and what they mean for a message. ``sent`` is an international text
#: with no further receipt: as delivered as Notify can tell. ``received`` is a letter printed
#: and handed to Royal Mail: dispatched, never "delivered" (nobody knows whether it arrived);
#: a letter that comes back is reported separately, as returned.
NOTIFY_STATUSES: dict[str, MessageStatus] = {
    N.CREATED: MessageStatus.ACCEPTED,
    N.SENDING: MessageStatus.ACCEPTED,
    N.PENDING: MessageStatus.ACCEPTED,
    N.ACCEPTED: MessageStatus.ACCEPTED,
    N.PENDING_VIRUS_CHECK: MessageStatus.ACCEPTED,
    N.SENT: MessageStatus.DELIVERED,
    N.DELIVERED: MessageStatus.DELIVERED,
    N.RECEIVED: MessageStatus.DISPATCHED,
    N.PERMANENT_FAILURE: MessageStatus.PERMANENT_FAILURE,
    N.VALIDATION_FAILED: MessageStatus.PERMANENT_FAILURE,
    N.RETURNED_LETTER: MessageStatus.RETURNED,
    N.TEMPORARY_FAILURE: MessageStatus.TEMPORARY_FAILURE,
    N.TECHNICAL_FAILURE: MessageStatus.TECHNICAL_FAILURE,
    N.VIRUS_SCAN_FAILED: MessageStatus.TECHNICAL_FAILURE,
    N.CANCELLED: MessageStatus.CANCELLED,
}


def message_status(notify_status: str) -> MessageStatus | None:
    """The message status for one of Notify's status words; None for a word we do not know."""
    return NOTIFY_STATUSES.get(notify_status)


class ReceiptOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"  # already final, a replay, or a status word we do not know
    UNKNOWN = "unknown"  # no message with that id or reference
    OTHER_NOTIFICATION = "other_notification"  # our reference, another notification's id
    NOT_RECEIPTED = "not_receipted"  # a letter, or not the message's channel: no receipts come


async def apply_receipt(
    session: AsyncSession, receipt: DeliveryReceipt, *, now: datetime, check_after: timedelta
) -> ReceiptOutcome:
    """Apply a delivery receipt in the caller's transaction. ``check_after``: when to ask
    Notify again if the receipt's status is not final (Notify only sends final ones)."""
    if receipt.notification_type == Channel.LETTER.value:
        _log.warning("notify_receipt_for_letter_ignored", notification_id=str(receipt.id))
        return ReceiptOutcome.NOT_RECEIPTED
    outbox = OutboxRepository(session)
    found = await outbox.find_for_receipt(receipt.id, receipt.reference)
    if found is None:
        _log.info("notify_receipt_unknown", notification_id=str(receipt.id))
        return ReceiptOutcome.UNKNOWN
    message_id, current, notify_id, channel = found
    if channel is Channel.LETTER or channel.value != receipt.notification_type:
        _log.warning(
            "notify_receipt_channel_ignored",
            message_id=str(message_id),
            notification_id=str(receipt.id),
            channel=channel.value,
        )
        return ReceiptOutcome.NOT_RECEIPTED
    if notify_id is not None and notify_id != receipt.id:
        # Two notifications under one reference: the message already has the one it keeps.
        _log.warning(
            "notify_receipt_for_other_notification",
            message_id=str(message_id),
            notification_id=str(receipt.id),
            kept_notification_id=str(notify_id),
        )
        return ReceiptOutcome.OTHER_NOTIFICATION
    status = message_status(receipt.status)
    if status is None or current in FINAL_STATUSES:
        return ReceiptOutcome.UNCHANGED
    changed = await outbox.update_from_notify(
        message_id=message_id,
        notify_id=receipt.id,
        status=status,
        notify_status=receipt.status,
        now=now,
        sent_at=receipt.sent_at or receipt.created_at,
        completed_at=receipt.completed_at,
        next_check_at=None if status in FINAL_STATUSES else now + check_after,
    )
    if changed:
        _log.info(
            "notify_receipt_applied",
            message_id=str(message_id),
            notification_id=str(receipt.id),
            status=status.value,
        )
    return ReceiptOutcome.APPLIED if changed else ReceiptOutcome.UNCHANGED


async def apply_notification(
    session: AsyncSession,
    message_id: uuid.UUID,
    notification: Notification,
    *,
    now: datetime,
    check_after: timedelta,
) -> bool:
    """Apply Notify's answer to a status poll in the caller's transaction; True if the
    message changed. A status that is not final yet schedules the next poll."""
    known = message_status(notification.status)
    if known is None:
        _log.warning(
            "notify_status_unknown",
            message_id=str(message_id),
            notification_id=str(notification.id),
        )
    status = known or MessageStatus.ACCEPTED
    final = status in FINAL_STATUSES
    return await OutboxRepository(session).update_from_notify(
        message_id=message_id,
        notify_id=notification.id,
        status=status,
        notify_status=notification.status if known is not None else None,
        now=now,
        sent_at=notification.sent_at or notification.created_at,
        completed_at=notification.completed_at,
        next_check_at=None if final else now + check_after,
    )
