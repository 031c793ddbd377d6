"""Message shapes for the API: sending a registered message type, and following its status.

Responses say what was sent, to whom (ids), why and what became of it; they never carry the
recipient's phone number, email or address, or the personalisation: those are personal data
held only until the message is done with (``app.messages.retention``), and the carer's
record is where contact details are read.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field
from pydantic.config import JsonDict

from app.messages.templates import MESSAGE_TYPES
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    Output,
    Page,
    bounded,
)


def _registered(code: str) -> str:
    if code not in MESSAGE_TYPES:
        raise ValueError("not a registered message type")
    return code


MessageTypeCode = Annotated[
    str,
    bounded(60),
    AfterValidator(_registered),
    Field(
        description="A registered message type: it fixes the Notify template, the channels it "
        "may go by, the purposes it may be sent for and the personalisation it needs.",
        json_schema_extra={"enum": sorted(MESSAGE_TYPES)},
        examples=["attendance_concern"],
    ),
]
PersonalisationKey = Annotated[str, bounded(60), PRINTABLE]
PersonalisationText = Annotated[str, bounded(200), PRINTABLE]
#: Money fields are whole pence.
PersonalisationNumber = Annotated[int, Field(ge=0, le=100_000_000)]


#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"
#: A text that Notify delivered.
_MESSAGE: JsonDict = {
    "id": "8a6185a8-cf4c-434e-bada-cc8ead97a3ea",
    "message_type": "attendance_concern",
    "channel": "sms",
    "status": "delivered",
    "notify_status": "delivered",
    "notify_id": "dce690a9-f970-49a8-a84b-7e0b44293dc2",
    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "carer_id": "84384276-0289-572a-8f68-ba0a79576c9d",
    "purpose": "attendance_duty",
    "attempts": 1,
    "last_error": None,
    "retry_at": None,
    "created_by": "a.pemberton@kent.gov.uk",
    "created_at": "2026-12-01T10:15:02Z",
    "updated_at": "2026-12-01T10:16:41Z",
    "sent_at": "2026-12-01T10:16:31Z",
    "completed_at": "2026-12-01T10:16:41Z",
    "personal_data_cleared_at": "2026-12-03T02:00:07Z",
}


class MessageCreate(Input):
    """Send a registered message type to one of a pupil's parents or carers, addressed from
    the carer's record: a letter to their postal address, a text to their mobile, an email to
    their email address. The purpose is the request's ``KPAS-Purpose``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "message_type": "attendance_concern",
                    "channel": "sms",
                    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
                    "carer_id": "84384276-0289-572a-8f68-ba0a79576c9d",
                    "personalisation": {
                        "pupil_first_name": "Isla",
                        "school_name": "Hopgarden Primary School",
                        "contact_number": "03000 412121",
                    },
                }
            ]
        }
    )

    message_type: MessageTypeCode
    channel: Channel
    pupil_id: uuid.UUID = Field(description="The pupil the message is about.")
    carer_id: uuid.UUID = Field(description="The parent or carer it goes to (one of the pupil's).")
    personalisation: dict[PersonalisationKey, PersonalisationText | PersonalisationNumber] = Field(
        default_factory=dict,
        max_length=20,
        description="The message type's fields: text (one line, at most 200 characters), "
        "dates as YYYY-MM-DD, money as whole pence.",
        examples=[
            {
                "pupil_first_name": "Alex",
                "school_name": "Synthetic Primary School",
                "contact_number": "03000 412121",
            }
        ],
    )


class MessageRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_MESSAGE]})

    id: uuid.UUID
    message_type: str
    channel: Channel
    status: MessageStatus = Field(
        description="queued (waiting, or waiting to retry), sending, accepted by Notify, then "
        "delivered (texts and emails) or a failure; a letter is dispatched once printed and "
        "posted (Notify cannot know it arrived) and returned if Royal Mail sends it back; "
        "rejected (Notify refused it, not retried) or dead (retries used up: "
        "`POST /v1/messages/{id}/retry` puts it back)."
    )
    notify_status: str | None = Field(description="Notify's own status word, as last reported.")
    notify_id: uuid.UUID | None
    pupil_id: uuid.UUID | None
    carer_id: uuid.UUID | None
    purpose: str
    attempts: int
    last_error: str | None = Field(
        description="The last failure: HTTP status and Notify's error types (never text)."
    )
    retry_at: datetime | None = Field(description="When a queued message is next tried.")
    created_by: str
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    completed_at: datetime | None
    personal_data_cleared_at: datetime | None = Field(
        description="When the recipient and personalisation were cleared (the message is final "
        "and its holding period has passed)."
    )
    returned_at: datetime | None = Field(
        default=None,
        description="A returned letter: when it came back (or when that was recorded).",
        examples=["2026-12-09T00:00:00Z"],
    )
    returned_reported_by: str | None = Field(
        default=None,
        description="Who said the letter came back: `notify` (its returned-letter callback) or "
        "the member of staff who recorded it.",
        examples=["notify"],
    )

    @classmethod
    def of(cls, message: OutboundMessage) -> MessageRead:
        return cls(
            id=message.id,
            message_type=message.message_type,
            channel=message.channel,
            status=message.status,
            notify_status=message.notify_status,
            notify_id=message.notify_id,
            pupil_id=message.pupil_id,
            carer_id=message.carer_id,
            purpose=message.purpose,
            attempts=message.attempts,
            last_error=message.last_error,
            retry_at=message.next_attempt_at if message.status is MessageStatus.QUEUED else None,
            created_by=message.created_by,
            created_at=message.created_at,
            updated_at=message.updated_at,
            sent_at=message.sent_at,
            completed_at=message.completed_at,
            personal_data_cleared_at=message.personal_data_cleared_at,
            returned_at=message.returned_at,
            returned_reported_by=message.returned_reported_by,
        )


class MessageReturned(Input):
    """Record a returned letter: the day it came back, if known (today otherwise)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"returned_on": "2026-12-09"}]})

    returned_on: date | None = Field(
        default=None,
        description="The day the letter came back (YYYY-MM-DD); today if left out.",
        examples=["2026-12-09"],
    )


class MessagePage(Page[MessageRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_MESSAGE],
                    "next_cursor": _NEXT,
                }
            ]
        }
    )


class MessageFilters(Input):
    """Query parameters of ``GET /v1/messages``."""

    pupil_id: uuid.UUID | None = Field(
        default=None,
        description="Only messages about this pupil.",
        examples=["4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"],
    )
    status: MessageStatus | None = Field(
        default=None, description="Only messages in this state.", examples=["queued"]
    )
    message_type: MessageTypeCode | None = Field(
        default=None, description="Only messages of this type.", examples=["attendance_concern"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
