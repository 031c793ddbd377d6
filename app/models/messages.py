"""The outbox: letters, texts and emails waiting to go out through GOV.UK Notify, and what
became of them (GOV.UK Notify API v2).

A message is written in the same transaction as the business change that causes it, so it
is never lost when that change commits and never exists when it rolls back. The worker
claims due messages, sends them, and records Notify's id and later its delivery status.
The recipient and personalisation are personal data: they are cleared once the message is
final and the documented holding period has passed; the row (ids, type, status) remains.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, Timestamped, text_enum
from app.models.people import Pupil
from app.models.subjects import PersonalRecord


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"


class MessageStatus(StrEnum):
    """Where a message is. ``queued`` and ``sending`` are ours; the rest follow Notify."""

    QUEUED = "queued"  # waiting for the worker (first try or a retry)
    SENDING = "sending"  # claimed by a worker; the request to Notify may be in flight
    ACCEPTED = "accepted"  # Notify has it (created / sending / pending / sent / accepted)
    DELIVERED = "delivered"  # a text or email delivered (never a letter)
    DISPATCHED = "dispatched"  # a letter printed and posted (Notify: ``received``)
    RETURNED = "returned"  # a letter Royal Mail sent back (Notify's returned-letter report)
    PERMANENT_FAILURE = "permanent_failure"  # Notify could not deliver; do not retry
    TEMPORARY_FAILURE = "temporary_failure"  # e.g. phone off for 72 hours; final for Notify
    TECHNICAL_FAILURE = "technical_failure"
    REJECTED = "rejected"  # Notify refused the request (400/403): permanent, not retried
    DEAD = "dead"  # retries exhausted: for a person to look at
    CANCELLED = "cancelled"


#: Statuses after which Notify has nothing more to tell us about a message (a dispatched letter
#: may still be recorded as returned).
FINAL_STATUSES = frozenset(
    {
        MessageStatus.DELIVERED,
        MessageStatus.DISPATCHED,
        MessageStatus.RETURNED,
        MessageStatus.PERMANENT_FAILURE,
        MessageStatus.TEMPORARY_FAILURE,
        MessageStatus.TECHNICAL_FAILURE,
        MessageStatus.REJECTED,
        MessageStatus.DEAD,
        MessageStatus.CANCELLED,
    }
)


class OutboundMessage(PersonalRecord, Timestamped, Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        # The worker's claim query: due queued messages, oldest first.
        Index("ix_outbound_messages_due", "status", "next_attempt_at"),
        Index("ix_outbound_messages_pupil_created", "pupil_id", "created_at"),
        # The retention sweep: messages made before its cut-off.
        Index("ix_outbound_messages_created_at", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: Our message type (``app.messages.templates``), e.g. ``penalty_notice_letter``.
    message_type: Mapped[str] = mapped_column(String(60))
    channel: Mapped[Channel] = mapped_column(text_enum(Channel, "message_channel"))
    template_id: Mapped[uuid.UUID]
    #: Opaque and unique: Notify's ``reference``, the key for reconciling after a timeout.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    #: Phone number (E.164) or email address; None for letters (the address is in the
    #: personalisation). Cleared with the personalisation.
    recipient: Mapped[str | None] = mapped_column(String(254))
    personalisation: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    #: The pupil the message is about, if any (the policy layer reaches messages through it).
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupils.id"))
    carer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("carers.id"))
    #: The case the message was sent on, if any (a returned letter shows on the case).
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(60))
    status: Mapped[MessageStatus] = mapped_column(
        text_enum(MessageStatus, "message_status"), default=MessageStatus.QUEUED
    )
    #: Notify's own status word, as last reported.
    notify_status: Mapped[str | None] = mapped_column(String(32))
    notify_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    #: Which worker holds the message and until when (a crashed worker's claim expires).
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]
    #: Set when a request to Notify may have reached it without our hearing back: the next
    #: attempt asks Notify for the reference before sending again.
    outcome_unknown: Mapped[bool] = mapped_column(default=False)
    #: The last error's Notify error type or our code (never message text).
    last_error: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: When a request for this message may first have reached Notify (the first claim): Notify
    #: holds notifications for 7 days, after which a lookup by reference cannot find it.
    first_attempt_at: Mapped[datetime | None]
    #: A letter sent back by Royal Mail: when, and who said so (``notify`` or a staff member).
    returned_at: Mapped[datetime | None]
    returned_reported_by: Mapped[str | None] = mapped_column(String(255))
    #: When the recipient and personalisation were cleared.
    personal_data_cleared_at: Mapped[datetime | None]

    pupil: Mapped[Pupil | None] = relationship(lazy="raise")

    # Where the message's pupil is on roll (the policy layer's Python-side checks).

    @property
    def current_school_urns(self) -> frozenset[int]:
        return self.pupil.current_school_urns if self.pupil else frozenset()

    @property
    def current_area_teams(self) -> frozenset[str]:
        return self.pupil.current_area_teams if self.pupil else frozenset()

    @property
    def current_districts(self) -> frozenset[str]:
        return self.pupil.current_districts if self.pupil else frozenset()


class NotifySendBudget(Base):
    """Sending state shared by every worker on one Notify service: the rate limiter's next
    free slot (``rate:{key type}``; Notify's limit is per service and key type) and the
    channels paused by Notify's daily limits (``daily:{channel}``) until they reset."""

    __tablename__ = "notify_send_budgets"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    #: The next free slot (rate) or the moment the pause ends (daily).
    available_at: Mapped[datetime]
    updated_at: Mapped[datetime]
