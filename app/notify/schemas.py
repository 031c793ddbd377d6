"""GOV.UK Notify's request and response shapes, as far as this service uses them.

Response models ignore fields they do not know, because Notify adds fields without notice. Fields
that carry a recipient or message content are left out of ``repr``, so a model that reaches a log
line by accident shows ids, statuses and times only.

Also here: the statuses Notify reports (``NotificationStatus`` and the final-status sets), the
delivery receipt Notify POSTs to our callback URL (``DeliveryReceipt``), and
``address_personalisation``, which turns address lines and a postcode into the
``address_line_1..7`` personalisation a letter needs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "DELIVERED_STATUSES",
    "FAILED_STATUSES",
    "FINAL_STATUSES",
    "MAX_ADDRESS_LINES",
    "MIN_ADDRESS_LINES",
    "DeliveryReceipt",
    "EmailContent",
    "LetterContent",
    "Notification",
    "NotificationStatus",
    "NotificationTemplate",
    "NotificationType",
    "Personalisation",
    "Postage",
    "ReturnedLetter",
    "Sent",
    "SentEmail",
    "SentLetter",
    "SentPrecompiledLetter",
    "SentSms",
    "SmsContent",
    "Template",
    "address_personalisation",
]

NotificationType = Literal["sms", "email", "letter"]
Postage = Literal["first", "second", "economy", "europe", "rest-of-world"]

#: Placeholder values: text, numbers, or a list (shown as bullet points).
Personalisation = Mapping[str, str | int | float | Sequence[str]]

#: Notify's rule for a letter's address: 3 to 7 lines, the last a UK postcode (or a country).
MIN_ADDRESS_LINES = 3
MAX_ADDRESS_LINES = 7


class NotificationStatus(StrEnum):
    """Statuses Notify reports. Letters show ``accepted`` and ``received`` instead of
    ``created``/``sending`` and ``delivered``."""

    CREATED = "created"
    SENDING = "sending"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    PERMANENT_FAILURE = "permanent-failure"
    TEMPORARY_FAILURE = "temporary-failure"
    TECHNICAL_FAILURE = "technical-failure"
    ACCEPTED = "accepted"
    RECEIVED = "received"
    CANCELLED = "cancelled"
    VALIDATION_FAILED = "validation-failed"
    PENDING_VIRUS_CHECK = "pending-virus-check"
    VIRUS_SCAN_FAILED = "virus-scan-failed"
    RETURNED_LETTER = "returned-letter"


#: Reached the recipient as far as Notify can tell (``sent``: an international text with no
#: further receipt; ``received``: the letter was printed and posted).
DELIVERED_STATUSES = frozenset(
    {NotificationStatus.DELIVERED, NotificationStatus.SENT, NotificationStatus.RECEIVED}
)
#: Will not reach the recipient without a new send.
FAILED_STATUSES = frozenset(
    {
        NotificationStatus.PERMANENT_FAILURE,
        NotificationStatus.TEMPORARY_FAILURE,
        NotificationStatus.TECHNICAL_FAILURE,
        NotificationStatus.CANCELLED,
        NotificationStatus.VALIDATION_FAILED,
        NotificationStatus.VIRUS_SCAN_FAILED,
        NotificationStatus.RETURNED_LETTER,
    }
)
FINAL_STATUSES = DELIVERED_STATUSES | FAILED_STATUSES


def _utc(value: Any) -> Any:
    """Notify writes times as ``2024-05-17T15:58:38.342838Z`` (UTC); older answers omit the zone."""
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


UtcTime = Annotated[datetime, BeforeValidator(_utc)]


class _NotifyModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class NotificationTemplate(_NotifyModel):
    """The template (and its version) a notification was made from."""

    id: UUID
    version: int
    uri: str


class Sent(_NotifyModel):
    """Notify accepted a notification: its id, and the reference we gave it."""

    id: UUID
    reference: str | None = None


class SmsContent(_NotifyModel):
    body: str = Field(repr=False)
    from_number: str


class EmailContent(_NotifyModel):
    body: str = Field(repr=False)
    subject: str = Field(repr=False)
    from_email: str
    one_click_unsubscribe_url: str | None = Field(default=None, repr=False)


class LetterContent(_NotifyModel):
    body: str = Field(repr=False)
    subject: str = Field(repr=False)


class SentSms(Sent):
    uri: str
    template: NotificationTemplate
    content: SmsContent
    scheduled_for: str | None = None


class SentEmail(Sent):
    uri: str
    template: NotificationTemplate
    content: EmailContent
    scheduled_for: str | None = None


class SentLetter(Sent):
    uri: str
    template: NotificationTemplate
    content: LetterContent
    scheduled_for: str | None = None


class SentPrecompiledLetter(Sent):
    postage: str


class Notification(_NotifyModel):
    """One notification as ``GET /v2/notifications/{id}`` shows it."""

    id: UUID
    reference: str | None = None
    type: NotificationType
    status: str
    template: NotificationTemplate
    email_address: str | None = Field(default=None, repr=False)
    phone_number: str | None = Field(default=None, repr=False)
    line_1: str | None = Field(default=None, repr=False)
    line_2: str | None = Field(default=None, repr=False)
    line_3: str | None = Field(default=None, repr=False)
    line_4: str | None = Field(default=None, repr=False)
    line_5: str | None = Field(default=None, repr=False)
    line_6: str | None = Field(default=None, repr=False)
    line_7: str | None = Field(default=None, repr=False)
    postcode: str | None = Field(default=None, repr=False)
    postage: str | None = None
    body: str | None = Field(default=None, repr=False)
    subject: str | None = Field(default=None, repr=False)
    created_at: UtcTime
    created_by_name: str | None = Field(default=None, repr=False)
    sent_at: UtcTime | None = None
    completed_at: UtcTime | None = None
    scheduled_for: str | None = None
    estimated_delivery: UtcTime | None = None

    @property
    def is_final(self) -> bool:
        """No further status change is expected (a received letter can still be returned)."""
        return self.status in FINAL_STATUSES

    @property
    def is_delivered(self) -> bool:
        return self.status in DELIVERED_STATUSES

    @property
    def is_failed(self) -> bool:
        return self.status in FAILED_STATUSES


class Template(_NotifyModel):
    """A template as ``GET /v2/template/{id}`` shows it (its latest or a given version)."""

    id: UUID
    name: str
    type: NotificationType
    version: int
    created_at: UtcTime
    updated_at: UtcTime | None = None
    created_by: str | None = Field(default=None, repr=False)
    subject: str | None = None
    body: str
    letter_contact_block: str | None = None
    postage: str | None = None


class DeliveryReceipt(_NotifyModel):
    """What Notify POSTs to our callback URL when an email or text message is delivered or fails.

    Notify sends it with ``Authorization: Bearer <the token we configured>``; compare that token
    in constant time before trusting the body. Notify sends no receipts for letters. The same
    receipt can arrive more than once (Notify retries), so applying it must be idempotent.
    """

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
                    "reference": "b1f4c2de-7a35-4c8e-9a61-3f0d2e8b7c45",
                    "to": "07700900123",
                    "status": "delivered",
                    "created_at": "2026-12-03T09:15:02.000000Z",
                    "completed_at": "2026-12-03T09:15:09.000000Z",
                    "sent_at": "2026-12-03T09:15:03.000000Z",
                    "notification_type": "sms",
                    "template_id": "f33517ff-2a88-4f6e-b855-c550268ce08a",
                    "template_version": 3,
                }
            ]
        }
    )

    id: UUID
    reference: str | None = None
    to: str = Field(repr=False)
    status: str
    created_at: UtcTime
    completed_at: UtcTime | None = None
    sent_at: UtcTime | None = None
    notification_type: NotificationType
    template_id: UUID | None = None
    template_version: int | None = None


class ReturnedLetter(_NotifyModel):
    """What Notify POSTs to the returned-letter callback URL when Royal Mail sends a letter
    back (the same fields as its returned-letter report). Authenticated like delivery
    receipts; it may arrive more than once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "notification_id": "740e5834-3a29-46b4-9a6f-16142fde533a",
                    "reference": "kpas-5f0c2a4e9b7d4c1e8a3f6b2d9e0c7a15",
                    "date_sent": "2026-12-01T10:16:31.000000Z",
                    "sent_by": "API",
                    "template_name": "attendance_concern (letter)",
                    "template_id": "a5aae301-78b5-520f-b968-6444c88900e5",
                    "template_version": 1,
                }
            ]
        }
    )

    notification_id: UUID
    reference: str | None = None
    date_sent: str | None = None
    sent_by: str | None = Field(default=None, repr=False)
    template_name: str | None = None
    template_id: UUID | None = None
    template_version: int | None = None


def address_personalisation(lines: Sequence[str], postcode: str) -> dict[str, str]:
    """``address_line_1..n`` for a letter: the non-blank ``lines``, then ``postcode`` last.

    Raises ValueError (without repeating the address) unless that makes 3 to 7 lines.
    """
    kept = [line.strip() for line in lines if line.strip()]
    kept.append(postcode.strip())
    if not MIN_ADDRESS_LINES <= len(kept) <= MAX_ADDRESS_LINES:
        raise ValueError(
            f"a letter address needs {MIN_ADDRESS_LINES} to {MAX_ADDRESS_LINES} lines "
            "including the postcode"
        )
    return {f"address_line_{number}": line for number, line in enumerate(kept, start=1)}
