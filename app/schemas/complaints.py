"""Complaint shapes for the API: a complaint to the council as controller (DPA 2018 s164A)
recorded by staff, its acknowledgement, the progress and outcome told to the complainant, and
its links to the subject request or breach it concerns.

The acknowledgement deadline is ``app.rules.subject_rights.complaint_acknowledge_by``; what
each shape means in the complaint's life is described in ``docs/complaints.md``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

from app.models.subject_requests import ComplaintOutcome, ComplaintStatus
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    Output,
    Page,
    bounded,
    schema_examples,
)
from app.schemas.subject_requests import (
    ContactToAnswer,
    LongReasons,
    QueuedMessageRead,
    ResponseChannel,
    ToldReasons,
)

#: A breach as the council's breach register names it (letters, digits, / and -).
BreachReference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]*$"
    ),
]
#: A subject request reference as a member of the public types it (kept as given).
QuotedReference = Annotated[str, bounded(40), PRINTABLE, NOT_FORMULA]

# --- examples --------------------------------------------------------------------------------

EXAMPLE_COMPLAINT_ID = "7ffb6c09-18ee-589f-87c3-24583ab6f2a9"
_REQUEST_ID = "e797e662-59b0-5d08-b150-99ee5c4cc55c"
_COMPLAINANT_SUBJECT_ID = "a3c6f0d1-7e2b-5c94-8d15-6b0f2e9a7c43"
_MESSAGE_ID = "6d1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6"
_UPDATE_ID = "b8f3c2d1-0e9a-4b7c-8d6e-5f4a3b2c1d0e"
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"

_COMPLAINANT: JsonDict = {
    "name": "Jordan Reeve",
    "email": None,
    "phone": None,
    "address_lines": ["12 Example Road", "Ashford"],
    "postcode": "TN23 1AA",
}
_CREATE: JsonDict = {
    "channel": "post",
    "received_on": "2026-11-27",
    "complainant": _COMPLAINANT,
    "description": "I asked the council to correct my address three weeks ago and have heard "
    "nothing since, although I sent the proof of address it asked for.",
    "request_id": _REQUEST_ID,
    "breach_reference": None,
}
#: The demo's open breach (``app.demo_breaches``).
_BREACH_ID = "aac7d2fa-872f-581b-b00a-26cb36dc7928"
_PATCH: JsonDict = {"breach_id": _BREACH_ID}
_ACKNOWLEDGEMENT: JsonDict = {"channel": None}
_PROGRESS: JsonDict = {
    "update": "We have asked the attendance team for the letters sent to the old address and "
    "expect to reply in full within two weeks.",
    "channel": None,
}
_CLOSURE: JsonDict = {
    "outcome": "partly_upheld",
    "reasons": "A letter went to your old address after you told us of the new one; the "
    "address is now corrected everywhere. You may also complain to the ICO.",
    "channel": None,
}


# --- the complainant ---------------------------------------------------------------------------


class ComplainantDetails(ContactToAnswer):
    """Who complains and how to answer them: an email address, or a postal address (lines and
    postcode), or both. The acknowledgement, progress and outcome go by email or letter."""

    answered_with: ClassVar[str] = "the acknowledgement"

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPLAINANT]})


# --- recording and amending a complaint ------------------------------------------------------


@schema_examples("post")
class StaffComplaintChannel(StrEnum):
    """How a complaint staff record reached the council (the public form records its own)."""

    POST = "post"
    EMAIL = "email"
    TELEPHONE = "telephone"
    IN_PERSON = "in_person"


class ComplaintCreate(Input):
    """A complaint received by post, email, telephone or in person. It is acknowledged by
    `acknowledge_by` (30 days beginning with `received_on`, DPA 2018 s164A(3)) through the
    acknowledgement route."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    channel: StaffComplaintChannel = Field(examples=["post"])
    received_on: CalendarDate = Field(
        description="The day the council received the complaint (day 1 of the 30 days to "
        "acknowledge it): not in the future.",
        examples=["2026-11-27"],
    )
    complainant: ComplainantDetails
    description: LongReasons = Field(
        description="The complaint in the complainant's words, or a faithful summary.",
        examples=[_CREATE["description"]],
    )
    request_id: uuid.UUID | None = Field(
        default=None,
        description="The subject request the complaint is about, if any.",
        examples=[_REQUEST_ID],
    )
    breach_id: uuid.UUID | None = Field(
        default=None,
        description="The breach the complaint is about, by its id in the breach register.",
        examples=[None],
    )
    breach_reference: BreachReference | None = Field(
        default=None,
        description="The breach the complaint is about, by the breach register's reference "
        "(`BR-2026-0014`); with `breach_id`, both must name the same breach.",
        examples=[None],
    )


#: Fields of an amendment that may be set to null (to unlink).
_NULLABLE_PATCH = frozenset({"request_id", "breach_id", "breach_reference"})


class ComplaintPatch(Input):
    """An amendment to an open complaint (JSON merge patch): the complainant's details (a
    block whole), and what it is about: `request_id`, and `breach_id` or `breach_reference`
    (a breach in the register), link it; `null` unlinks."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PATCH]})

    complainant: ComplainantDetails | None = None
    request_id: uuid.UUID | None = Field(default=None, examples=[_REQUEST_ID])
    breach_id: uuid.UUID | None = Field(default=None, examples=[_BREACH_ID])
    breach_reference: BreachReference | None = Field(default=None, examples=["BR-2026-0015"])

    @model_validator(mode="before")
    @classmethod
    def _nulls_only_where_removable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in _NULLABLE_PATCH)
            if nulls:
                raise ValueError(f"these fields cannot be removed: {', '.join(nulls)}")
        return data

    def changes(self) -> dict[str, Any]:
        return dict(self.model_dump(exclude_unset=True))


class ComplaintAcknowledgementCreate(Input):
    """Acknowledge the complaint: the acknowledgement with its reference goes to the
    complainant now."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ACKNOWLEDGEMENT]})

    channel: ResponseChannel | None = Field(
        default=None,
        description="Email or letter; left out, by email where an address is held, else by letter.",
        examples=[None],
    )


class ComplaintProgressCreate(Input):
    """Progress told to the complainant (DPA 2018 s164A(4): enquiries and progress without
    undue delay)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PROGRESS]})

    update: ToldReasons = Field(
        description="What has been done and what happens next, written for the complainant "
        "(sent verbatim).",
        examples=[_PROGRESS["update"]],
    )
    channel: ResponseChannel | None = Field(
        default=None,
        description="Email or letter; left out, by email where an address is held, else by letter.",
        examples=[None],
    )


class ComplaintClosureCreate(Input):
    """Close the complaint with its outcome, and tell the complainant (DPA 2018 s164A(4))."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLOSURE]})

    outcome: ComplaintOutcome = Field(examples=["partly_upheld"])
    reasons: ToldReasons = Field(
        description="The outcome and its reasons, written for the complainant (sent verbatim).",
        examples=[_CLOSURE["reasons"]],
    )
    channel: ResponseChannel | None = Field(
        default=None,
        description="Email or letter; left out, by email where an address is held, else by letter.",
        examples=[None],
    )


@schema_examples("overdue")
class AcknowledgementFilter(StrEnum):
    """Complaints not yet acknowledged, by their deadline: `overdue` (the last day to
    acknowledge has passed) or `due_within_7_days` (it is today or in the next seven days)."""

    OVERDUE = "overdue"
    DUE_WITHIN_7_DAYS = "due_within_7_days"


class ComplaintFilters(Input):
    """Query parameters of ``GET /v1/complaints``."""

    status: ComplaintStatus | None = Field(default=None, examples=["received"])
    acknowledgement: AcknowledgementFilter | None = Field(
        default=None,
        description="Complaints not yet acknowledged: `overdue` (past `acknowledge_by`) or "
        "`due_within_7_days`.",
        examples=["overdue"],
    )
    received_from: CalendarDate | None = Field(
        default=None, description="Received on or after this day.", examples=["2026-11-01"]
    )
    received_to: CalendarDate | None = Field(
        default=None, description="Received on or before this day.", examples=["2026-11-30"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.received_from and self.received_to and self.received_to < self.received_from:
            raise ValueError("received_to is before received_from")
        return self


# --- answers ---------------------------------------------------------------------------------

_COMPLAINANT_READ: JsonDict = {
    "name": "Jordan Reeve",
    "email": None,
    "phone": None,
    "address": ["12 Example Road", "Ashford", "TN23 1AA"],
    "subject_id": _COMPLAINANT_SUBJECT_ID,
}


class ComplainantRead(Output):
    """The complainant, and their data subject (the complaint is personal data of theirs)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPLAINANT_READ]})

    name: str
    email: str | None
    phone: str | None
    address: list[str] | None = Field(description="Address lines, the postcode last.")
    subject_id: uuid.UUID


_UPDATE_READ: JsonDict = {
    "id": _UPDATE_ID,
    "kind": "acknowledgement",
    "summary": "Acknowledged by letter.",
    "message_id": _MESSAGE_ID,
    "recorded_by": "governance-1",
    "recorded_at": "2026-11-30T09:40:00Z",
}


class ComplaintUpdateRead(Output):
    """What the complainant was told, and the message that carried it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_UPDATE_READ]})

    id: uuid.UUID
    kind: str = Field(description="`acknowledgement`, `progress` or `outcome`.")
    summary: str
    message_id: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime


_OUTCOME_READ: JsonDict = {
    "outcome": "partly_upheld",
    "reasons": _CLOSURE["reasons"],
    "closed_at": "2026-12-18T15:10:00Z",
    "closed_by": "governance-1",
}


class ComplaintOutcomeRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUTCOME_READ]})

    outcome: ComplaintOutcome
    reasons: str | None
    closed_at: datetime | None
    closed_by: str | None


_READ: JsonDict = {
    "id": EXAMPLE_COMPLAINT_ID,
    "reference": "CP-4HZ7QK2M9D",
    "status": "acknowledged",
    "channel": "post",
    "received_on": "2026-11-27",
    "acknowledge_by": "2026-12-26",
    "acknowledgement_overdue": False,
    "statutory": True,
    "complainant": _COMPLAINANT_READ,
    "description": _CREATE["description"],
    "request_id": _REQUEST_ID,
    "request_reference_given": None,
    "breach_id": None,
    "breach_reference": None,
    "acknowledged_at": "2026-11-30T09:40:00Z",
    "acknowledgement_message_id": _MESSAGE_ID,
    "outcome": None,
    "updates": [_UPDATE_READ],
    "messages": [],
    "created_by": "governance-1",
    "created_at": "2026-11-27T14:02:00Z",
    "updated_at": "2026-11-30T09:40:00Z",
}


class ComplaintRead(Output):
    """A complaint with its deadline to acknowledge, what the complainant has been told, and
    what it is about."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    reference: str = Field(description="What the complainant is told and quotes back.")
    status: ComplaintStatus
    channel: str = Field(
        description="`post`, `email`, `telephone`, `in_person`, or `public_form` for a "
        "complaint made through `POST /v1/public/complaints`."
    )
    received_on: date
    acknowledge_by: date = Field(
        description="The last day to acknowledge it: 30 days beginning with `received_on` "
        "(DPA 2018 s164A(3))."
    )
    acknowledgement_overdue: bool = Field(
        description="Not acknowledged, and `acknowledge_by` has passed."
    )
    statutory: bool = Field(
        description="Received on or after 19 June 2026, when DPA 2018 s164A came into force; "
        "an earlier complaint is handled the same way as council practice."
    )
    complainant: ComplainantRead
    description: str
    request_id: uuid.UUID | None = Field(description="The subject request it is about.")
    request_reference_given: str | None = Field(
        description="The request reference the complainant quoted, as given (it may name no "
        "request: check `request_id`)."
    )
    breach_id: uuid.UUID | None = Field(description="The breach in the register it is about.")
    breach_reference: str | None
    acknowledged_at: datetime | None
    acknowledgement_message_id: uuid.UUID | None
    outcome: ComplaintOutcomeRead | None
    updates: list[ComplaintUpdateRead] = Field(
        description="Everything told to the complainant, in order."
    )
    messages: list[QueuedMessageRead] = Field(
        default_factory=list, description="Letters and emails this call queued."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


_SUMMARY: JsonDict = {
    "id": EXAMPLE_COMPLAINT_ID,
    "reference": "CP-4HZ7QK2M9D",
    "status": "received",
    "channel": "post",
    "received_on": "2026-11-27",
    "acknowledge_by": "2026-12-26",
    "acknowledgement_overdue": False,
    "complainant_name": "Jordan Reeve",
    "complainant_subject_id": _COMPLAINANT_SUBJECT_ID,
    "request_id": _REQUEST_ID,
    "breach_id": None,
    "breach_reference": None,
    "outcome": None,
}


class ComplaintSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: uuid.UUID
    reference: str
    status: ComplaintStatus
    channel: str
    received_on: date
    acknowledge_by: date
    acknowledgement_overdue: bool
    complainant_name: str
    complainant_subject_id: uuid.UUID
    request_id: uuid.UUID | None
    breach_id: uuid.UUID | None
    breach_reference: str | None
    outcome: ComplaintOutcome | None


class ComplaintPage(Page[ComplaintSummary]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": _NEXT}]}
    )
