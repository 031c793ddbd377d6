"""Data-subject request shapes for the API: recording a request received by post, email,
telephone, in person or through a school; its requester and the person it is about; the
statutory clock with its stops and extension; the search made; closure and internal reviews.

The clock itself is ``app.rules.subject_rights``; what each shape means in the lifecycle is
described in ``docs/subject-requests.md``.

Storage notes other modules rely on: ``SubjectRequest.requester_address`` holds the address
lines with the postcode as the last line (as a letter's address is written), and
``SubjectRequest.subject_details`` holds ``SubjectDetails`` as JSON.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.subject_requests import (
    ChildCompetence,
    ClockEventKind,
    RequesterKind,
    RequestOutcome,
    RequestRight,
    RequestStatus,
    ReviewOutcome,
)
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    JsonBool,
    Output,
    Page,
    PastBirthDate,
    bounded,
    schema_examples,
)
from app.schemas.contact import AddressLine, Email, PersonName, Phone, Postcode, Upn
from app.schemas.schools import URN

#: A person's full name as they give it (a requester may write "Dr A. N. Example").
FullName = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
ShortText = Annotated[str, bounded(200), PRINTABLE]
Note = Annotated[str, bounded(1000), PRINTABLE]
Reasons = Annotated[str, bounded(2000), PRINTABLE]
LongReasons = Annotated[str, bounded(4000), PRINTABLE]
#: Who did something, as the council's identity provider names them.
StaffSubject = Annotated[str, bounded(255), PRINTABLE]
#: What the requester is told verbatim in a letter or email: one line, as Notify takes it.
ToldReasons = Annotated[str, bounded(200), PRINTABLE]

# --- examples --------------------------------------------------------------------------------

EXAMPLE_REQUEST_ID = "27d5d1d9-2c48-5708-aa34-d358f3000d50"
_REQUESTER_SUBJECT_ID = "75bdb157-83de-5f0c-b9ee-860491588923"
_MESSAGE_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
_EVENT_ID = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
_REVIEW_ID = "51ddec67-291a-5ea1-93aa-13808e80a017"
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"

_REQUESTER: JsonDict = {
    "kind": "parent_or_carer",
    "name": "Evie Tillbrook",
    "email": "carer313-1@example.org",
    "phone": None,
    "address_lines": None,
    "postcode": None,
}
_SUBJECT_DETAILS: JsonDict = {
    "forename": "Isla",
    "surname": "Tillbrook",
    "other_names": [],
    "date_of_birth": "2016-09-29",
    "upn": "P999000026313",
    "postcode": "CT1 4XT",
    "school_urn": 990028,
}
_COMPETENCE: JsonDict = {
    "judgement": "not_competent",
    "reasons": "Isla is 10. Her mother asks on her behalf; Isla's teacher and mother agree she "
    "does not yet understand what the request involves.",
}
_CREATE: JsonDict = {
    "right": "access",
    "channel": "email",
    "via_school_urn": None,
    "received_on": "2026-11-30",
    "description": "Please send me copies of everything the council holds about my daughter's "
    "attendance, including any letters and notes of meetings.",
    "requester": _REQUESTER,
    "authority_evidence": "Parent with parental responsibility, as on the school's contact "
    "record; email address matches the one the school holds",
    "authority_accepted": True,
    "subject_details": _SUBJECT_DETAILS,
    "child_competence": _COMPETENCE,
    "identity_required": False,
    "identity_note": None,
    "identity_method": "Request came from the email address the school holds for this parent",
    "assigned_to": "governance-1",
}
_SEARCHED: JsonDict = {
    "system": "KPAS",
    "modules": ["pupils", "carers", "attendance", "cases", "documents", "messages", "audit"],
    "searched_by": ["UPN", "legal name and date of birth", "carer's email address"],
    "from_date": "2024-09-01",
    "to_date": "2026-11-30",
    "searched_on": "2026-12-02",
    "reason": "The system of record for attendance casework: every module holding records "
    "about a pupil or their carers.",
}
_NOT_SEARCHED: JsonDict = {
    "system": "Archived paper files (pre-2019)",
    "reason": "Isla started school in 2021: no paper file can be about her.",
}
_SEARCH_RECORD: JsonDict = {
    "searched": [_SEARCHED],
    "not_searched": [_NOT_SEARCHED],
    "proportionality": "The request is for attendance records; KPAS holds every attendance "
    "record the council keeps, so searching it in full by identifier is reasonable and "
    "proportionate.",
}
_UPDATE: JsonDict = {"assigned_to": "governance-2"}
_CLOCK_EVENT: JsonDict = {
    "kind": "clarification_requested",
    "note": "The request names 'the file'; we hold attendance, casework and licensing records "
    "for the child and need to know which the requester means.",
}
_EXTENSION: JsonDict = {
    "months": 2,
    "reasons": "The request covers six years of casework with many third-party records to "
    "review before release.",
}
_CLOSURE: JsonDict = {
    "outcome": "completed",
    "reasons": "The address held was corrected to the one the requester gave, and the schools "
    "that received it were told.",
    "response_channel": "letter",
}
_REVIEW: JsonDict = {
    "grounds": "The requester says the council should have erased the records of a case that "
    "was closed with no further action.",
}
_REVIEW_DECISION: JsonDict = {
    "outcome": "upheld",
    "reasons": "The case records are kept for the retention period the law requires; the "
    "original answer stands. The requester was told how to complain to the ICO.",
}


# --- the requester and the person the request is about ------------------------------------


class ContactToAnswer(Input):
    """A person the council answers in writing: an email address, or a postal address (lines
    and postcode), or both. A telephone number alone is not enough: answers go by email or
    letter. ``answered_with`` names what is sent, for the refusal."""

    answered_with: ClassVar[str] = "the response"

    name: FullName = Field(examples=["Evie Tillbrook"])
    email: Email | None = Field(default=None, examples=["carer313-1@example.org"])
    phone: Phone | None = Field(default=None, examples=[None])
    address_lines: list[AddressLine] | None = Field(
        default=None,
        min_length=1,
        max_length=5,
        description="The postal address without the postcode (a letter adds the name first "
        "and the postcode last: at most 7 lines in all).",
        examples=[["87 Example Road", "Canterbury"]],
    )
    postcode: Postcode | None = Field(default=None, examples=["CT1 4XT"])

    @model_validator(mode="after")
    def _a_way_to_answer(self) -> Self:
        if (self.address_lines is None) != (self.postcode is None):
            raise ValueError("a postal address needs both address_lines and postcode")
        if self.email is None and self.address_lines is None:
            raise ValueError(
                "give an email address or a postal address: "
                f"{self.answered_with} is sent by one of them"
            )
        return self


class RequesterDetails(ContactToAnswer):
    """Who made the request and how to answer them: an email address, or a postal address
    (lines and postcode), or both. A telephone number alone is not enough: a response is sent
    by email or letter."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REQUESTER]})

    kind: RequesterKind = Field(
        description="`subject` (the person the request is about), `parent_or_carer` or "
        "`representative` (a solicitor, advocate or other person acting for them).",
        examples=["parent_or_carer"],
    )


class SubjectDetails(Input):
    """What the requester told us to find the person the request is about: the identifiers
    matching uses. Names as the requester gives them; ``other_names`` for former or
    preferred names."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECT_DETAILS]})

    forename: PersonName = Field(examples=["Isla"])
    surname: PersonName = Field(examples=["Tillbrook"])
    other_names: list[PersonName] = Field(
        default_factory=list,
        max_length=10,
        description="Former or preferred names (a name before adoption or marriage).",
        examples=[[]],
    )
    date_of_birth: PastBirthDate = Field(
        description="Decides whether the subject was a child (under 18) when the request was "
        "received, and so whether a competence judgement is needed.",
        examples=["2016-09-29"],
    )
    upn: Upn | None = Field(default=None, examples=["P999000026313"])
    postcode: Postcode | None = Field(default=None, examples=["CT1 4XT"])
    school_urn: URN | None = Field(
        default=None, description="A school they attend or attended.", examples=[990028]
    )


@schema_examples("not_competent")
class CompetenceJudgement(StrEnum):
    """The judgement recorded for a child subject (under 18 when the request was received)."""

    COMPETENT = "competent"
    NOT_COMPETENT = "not_competent"


class ChildCompetenceInput(Input):
    """For a child subject: whether the child understands their rights well enough to make
    the request themselves (or, where a parent or representative makes it, to be asked about
    it), with the reasons. Where a parent or representative asks about a competent child,
    the child is asked first: `child_to_be_asked` in the answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPETENCE]})

    judgement: CompetenceJudgement = Field(examples=["not_competent"])
    reasons: Note = Field(examples=[_COMPETENCE["reasons"]])


# --- the search (Art 15(1A)) ---------------------------------------------------------------


class SearchedPlace(Input):
    """One system or store searched: which parts, by which identifiers, over which dates,
    when, and why it was searched."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCHED]})

    system: ShortText = Field(description="The system or store searched.", examples=["KPAS"])
    modules: list[ShortText] = Field(
        default_factory=list,
        max_length=30,
        description="The parts of it searched (for KPAS: pupils, carers, attendance, cases, "
        "documents, licences, disclosures, messages, audit).",
        examples=[_SEARCHED["modules"]],
    )
    searched_by: list[ShortText] = Field(
        min_length=1,
        max_length=10,
        description="The identifiers searched by (never their values).",
        examples=[_SEARCHED["searched_by"]],
    )
    from_date: CalendarDate | None = Field(
        default=None, description="The earliest records searched for.", examples=["2024-09-01"]
    )
    to_date: CalendarDate | None = Field(default=None, examples=["2026-11-30"])
    searched_on: CalendarDate = Field(examples=["2026-12-02"])
    reason: Reasons = Field(
        description="Why this place was searched.", examples=[_SEARCHED["reason"]]
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.from_date and self.to_date and self.to_date < self.from_date:
            raise ValueError("to_date is before from_date")
        return self


class NotSearched(Input):
    """A place that might hold records and was not searched, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NOT_SEARCHED]})

    system: ShortText = Field(examples=[_NOT_SEARCHED["system"]])
    reason: Reasons = Field(examples=[_NOT_SEARCHED["reason"]])


class SearchRecord(Input):
    """The search made for the subject's data, recorded as reasonable and proportionate
    (UK GDPR Art 15(1A), inserted by the Data (Use and Access) Act 2025): what was searched,
    what was not, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCH_RECORD]})

    searched: list[SearchedPlace] = Field(min_length=1, max_length=50)
    not_searched: list[NotSearched] = Field(default_factory=list, max_length=50)
    proportionality: Reasons = Field(
        description="Why the search, as a whole, is reasonable and proportionate.",
        examples=[_SEARCH_RECORD["proportionality"]],
    )


# --- recording and amending a request -------------------------------------------------------


@schema_examples("email")
class StaffChannel(StrEnum):
    """How a request staff record reached the council (the public form records its own)."""

    POST = "post"
    EMAIL = "email"
    TELEPHONE = "telephone"
    IN_PERSON = "in_person"
    SCHOOL = "school"


class SubjectRequestCreate(Input):
    """A request received by post, email, telephone, in person or through a school.

    `received_on` is day 1 of the clock unless `identity_required` is true: then the clock
    starts when the identity information asked for arrives (record it with a clock event)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    right: RequestRight = Field(examples=["access"])
    channel: StaffChannel = Field(examples=["email"])
    via_school_urn: URN | None = Field(
        default=None,
        description="The school that passed the request on: required for channel `school`, "
        "and only then.",
        examples=[None],
    )
    received_on: CalendarDate = Field(
        description="The day the council (or the school for it) received the request: not in "
        "the future, and not before 25 May 2018.",
        examples=["2026-11-30"],
    )
    description: LongReasons = Field(
        description="What the requester asks for, in their words or a faithful summary.",
        examples=[_CREATE["description"]],
    )
    requester: RequesterDetails
    authority_evidence: Annotated[str, bounded(500), PRINTABLE] | None = Field(
        default=None,
        description="For a parent, carer or representative: the evidence of authority seen "
        "(a signed letter of authority, a court order, parental responsibility on the school's "
        "record). Required for them, refused for the subject's own request.",
        examples=[_CREATE["authority_evidence"]],
    )
    authority_accepted: JsonBool = Field(
        default=False,
        description="The evidence of authority has been checked and accepted (recorded with "
        "who accepted it and when).",
        examples=[True],
    )
    subject_details: SubjectDetails
    child_competence: ChildCompetenceInput | None = Field(
        default=None,
        description="Required when the subject was under 18 on `received_on`; refused otherwise.",
    )
    identity_required: JsonBool = Field(
        description="True when the council reasonably needs information to confirm the "
        "requester's identity and asks for it: the clock does not start until it arrives.",
        examples=[False],
    )
    identity_note: Note | None = Field(
        default=None,
        description="With `identity_required`: what is asked for and why (required then).",
        examples=[None],
    )
    identity_method: ShortText | None = Field(
        default=None,
        description="Without `identity_required`: how identity was confirmed on receipt "
        "(documents seen, known contact details; no document numbers).",
        examples=[_CREATE["identity_method"]],
    )
    assigned_to: StaffSubject | None = Field(default=None, examples=["governance-1"])


#: Fields of an amendment that may be set to null (to remove them).
_NULLABLE_UPDATES = frozenset({"assigned_to", "authority_evidence"})


class SubjectRequestUpdate(Input):
    """An amendment to an open request (JSON merge patch): the fields sent replace what is
    held, a block whole. `assigned_to: null` unassigns."""

    model_config = ConfigDict(json_schema_extra={"examples": [_UPDATE]})

    description: LongReasons | None = Field(default=None, examples=[_CREATE["description"]])
    requester: RequesterDetails | None = None
    authority_evidence: Annotated[str, bounded(500), PRINTABLE] | None = Field(
        default=None, examples=[_CREATE["authority_evidence"]]
    )
    authority_accepted: JsonBool | None = Field(
        default=None,
        description="Accept (true) or withdraw the acceptance of (false) the evidence of "
        "authority.",
        examples=[True],
    )
    subject_details: SubjectDetails | None = None
    child_competence: ChildCompetenceInput | None = None
    assigned_to: StaffSubject | None = Field(default=None, examples=["governance-2"])
    search_record: SearchRecord | None = None

    @model_validator(mode="before")
    @classmethod
    def _nulls_only_where_removable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in _NULLABLE_UPDATES)
            if nulls:
                raise ValueError(f"these fields cannot be removed: {', '.join(nulls)}")
        return data

    def changes(self) -> dict[str, Any]:
        return dict(self.model_dump(exclude_unset=True))


class ClockEventCreate(Input):
    """A stop or start of the clock: identity asked for or received, a clarification asked
    for or received.

    - `identity_requested`: the clock stops (or does not start) until the identity
      information arrives; `note` says what was asked for. Once per request.
    - `identity_received`: the clock starts on `on` (day 1); `method` says how identity was
      confirmed.
    - `clarification_requested`: the clock stops; `note` says why the clarification is
      needed (required). One at a time.
    - `clarification_received`: the clock resumes; the days from the request to the answer,
      both included, do not count (Art 12A, DPA 2018 s54(3C)).
    """

    model_config = ConfigDict(json_schema_extra={"examples": [_CLOCK_EVENT]})

    kind: ClockEventKind = Field(examples=["clarification_requested"])
    on: CalendarDate | None = Field(
        default=None,
        description="The day it happened (the letter sent, the answer received); today when "
        "left out. Not in the future, not before the request was received nor before the "
        "previous clock event.",
        examples=["2026-12-03"],
    )
    note: Note | None = Field(
        default=None,
        description="What was asked for and why (required for `identity_requested` and "
        "`clarification_requested`). No personal data beyond what the request needs.",
        examples=[_CLOCK_EVENT["note"]],
    )
    method: ShortText | None = Field(
        default=None,
        description="For `identity_received` (required then): how identity was confirmed "
        "(documents seen, known contact details; no document numbers).",
        examples=[None],
    )


class ExtensionCreate(Input):
    """Extend the time to respond by one or two further months, because of the complexity or
    number of the person's requests (UK GDPR Art 12(3); DPA 2018 s54(3A)). Decided and told
    within the first month; the reasons are told to the requester as written."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXTENSION]})

    months: int = Field(ge=1, le=2, examples=[2])
    reasons: ToldReasons = Field(
        description="Why more time is needed, written for the requester (sent verbatim).",
        examples=[_EXTENSION["reasons"]],
    )
    decided_on: CalendarDate | None = Field(
        default=None,
        description="The day the extension was decided; today when left out.",
        examples=[None],
    )


@schema_examples("email")
class ResponseChannel(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


#: Outcomes whose reasons the requester must be given (Art 12(4); a partial answer says what
#: was not done and why; a withdrawal records how it was withdrawn).
OUTCOMES_NEEDING_REASONS = frozenset(
    {
        RequestOutcome.REFUSED,
        RequestOutcome.MANIFESTLY_UNFOUNDED,
        RequestOutcome.PARTLY_COMPLETED,
        RequestOutcome.WITHDRAWN,
    }
)


class ClosureCreate(Input):
    """Close the request with its outcome, and send the response by email or letter."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLOSURE]})

    outcome: RequestOutcome = Field(examples=["completed"])
    reasons: LongReasons | None = Field(
        default=None,
        description="Required for `refused`, `manifestly_unfounded`, `partly_completed` and "
        "`withdrawn`.",
        examples=[_CLOSURE["reasons"]],
    )
    response_channel: ResponseChannel = Field(
        description="How the response is sent: to the email address or the postal address "
        "held for the requester.",
        examples=["letter"],
    )

    @model_validator(mode="after")
    def _reasons_where_needed(self) -> Self:
        if self.outcome in OUTCOMES_NEEDING_REASONS and self.reasons is None:
            raise ValueError(f"an outcome of {self.outcome.value} needs its reasons")
        return self


class ReviewCreate(Input):
    """The requester asks for an internal review of the council's answer."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW]})

    requested_on: CalendarDate | None = Field(
        default=None,
        description="The day the review was asked for; today when left out. Not before the "
        "request was closed.",
        examples=[None],
    )
    grounds: Reasons = Field(
        description="What the requester says is wrong with the answer.",
        examples=[_REVIEW["grounds"]],
    )


class ReviewDecisionCreate(Input):
    """The outcome of an internal review: the answer upheld, or changed (a new response
    follows). The requester is told by the channel the original response used."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW_DECISION]})

    outcome: ReviewOutcome = Field(examples=["upheld"])
    reasons: Reasons = Field(examples=[_REVIEW_DECISION["reasons"]])
    decided_on: CalendarDate | None = Field(
        default=None, description="Today when left out.", examples=[None]
    )


@schema_examples("overdue")
class DueFilter(StrEnum):
    """Open requests by their deadline: `overdue` (due before today) or `due_within_7_days`
    (due today or in the next seven days)."""

    OVERDUE = "overdue"
    DUE_WITHIN_7_DAYS = "due_within_7_days"


class SubjectRequestFilters(Input):
    """Query parameters of ``GET /v1/subject-requests``."""

    status: RequestStatus | None = Field(default=None, examples=["in_progress"])
    right: RequestRight | None = Field(default=None, examples=["access"])
    due: DueFilter | None = Field(
        default=None,
        description="Open requests only: `overdue` (due date passed) or `due_within_7_days` "
        "(due today or in the next seven days). Requests whose clock is not running have no "
        "due date and are in neither.",
        examples=["due_within_7_days"],
    )
    received_from: CalendarDate | None = Field(
        default=None, description="Received on or after this day.", examples=["2026-11-01"]
    )
    received_to: CalendarDate | None = Field(
        default=None, description="Received on or before this day.", examples=["2026-11-30"]
    )
    assigned_to: StaffSubject | None = Field(default=None, examples=["governance-1"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.received_from and self.received_to and self.received_to < self.received_from:
            raise ValueError("received_to is before received_from")
        return self


class ReviewFilters(Input):
    """Query parameters of ``GET /v1/subject-requests/{request_id}/reviews``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- answers ---------------------------------------------------------------------------------

_REQUESTER_READ: JsonDict = {
    "kind": "parent_or_carer",
    "name": "Evie Tillbrook",
    "email": "carer313-1@example.org",
    "phone": None,
    "address": None,
    "subject_id": _REQUESTER_SUBJECT_ID,
}


class RequesterRead(Output):
    """The requester, and their data subject (this row is personal data of theirs)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REQUESTER_READ]})

    kind: RequesterKind
    name: str
    email: str | None
    phone: str | None
    address: list[str] | None = Field(description="Address lines, the postcode last.")
    subject_id: uuid.UUID


_AUTHORITY: JsonDict = {
    "evidence": _CREATE["authority_evidence"],
    "accepted": True,
    "accepted_by": "governance-1",
    "accepted_at": "2026-11-30T10:05:00Z",
}


class AuthorityRead(Output):
    """The evidence of a parent's, carer's or representative's authority, and its acceptance."""

    model_config = ConfigDict(json_schema_extra={"examples": [_AUTHORITY]})

    evidence: str | None
    accepted: bool
    accepted_by: str | None
    accepted_at: datetime | None


class SubjectDetailsRead(Output):
    """The identifiers the requester gave for the person the request is about."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECT_DETAILS]})

    forename: str | None = None
    surname: str | None = None
    other_names: list[str] = Field(default_factory=list)
    date_of_birth: date | None = None
    upn: str | None = None
    postcode: str | None = None
    school_urn: int | None = None


_COMPETENCE_READ: JsonDict = {
    "subject_is_child": True,
    "judgement": "not_competent",
    "reasons": _COMPETENCE["reasons"],
    "judged_by": "governance-1",
    "child_to_be_asked": False,
}


class ChildCompetenceRead(Output):
    """Whether the subject was a child when the request was received, and the competence
    judgement recorded for them. `child_to_be_asked`: a parent or representative asks about
    a competent child, so the child is asked before their data is given to anyone else."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPETENCE_READ]})

    subject_is_child: bool | None = Field(
        description="Under 18 on the day the request was received (null: no date of birth)."
    )
    judgement: ChildCompetence | None
    reasons: str | None
    judged_by: str | None
    child_to_be_asked: bool


_IDENTITY: JsonDict = {
    "asked_on": None,
    "received_on": None,
    "verified_at": "2026-11-30T10:05:00Z",
    "verified_by": "governance-1",
    "method": _CREATE["identity_method"],
}


class IdentityRead(Output):
    """Identity: whether information to confirm it was asked for (the clock then starts on
    its arrival), and how it was confirmed."""

    model_config = ConfigDict(json_schema_extra={"examples": [_IDENTITY]})

    asked_on: date | None
    received_on: date | None
    verified_at: datetime | None
    verified_by: str | None
    method: str | None


_STOP: JsonDict = {
    "asked_on": "2026-12-03",
    "answered_on": "2026-12-07",
    "days_not_counted": 5,
    "note": _CLOCK_EVENT["note"],
}


class ClockStopRead(Output):
    """A clarification the council asked for: the clock stops from the day asked, and the
    days to the answer do not count."""

    model_config = ConfigDict(json_schema_extra={"examples": [_STOP]})

    asked_on: date
    answered_on: date | None = Field(description="Null while the answer is awaited.")
    days_not_counted: int | None = Field(
        description="Days added to the deadline for this stop (null while it is open)."
    )
    note: str | None


_EXTENSION_READ: JsonDict = {
    "months": 2,
    "reasons": _EXTENSION["reasons"],
    "decided_on": "2026-12-10",
    "decided_by": "governance-1",
    "message_id": _MESSAGE_ID,
}


class ExtensionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXTENSION_READ]})

    months: int
    reasons: str | None
    decided_on: date | None
    decided_by: str | None
    message_id: uuid.UUID | None = Field(description="The letter or email that told the requester.")


_CLOCK: JsonDict = {
    "rule": "uk_gdpr_art_12a",
    "source": "UK GDPR Art 12A (Data (Use and Access) Act 2025 s76; SI 2026/82 reg 2, from "
    "5 February 2026); DPA 2018 s54(3)-(3D) for law enforcement requests",
    "received_on": "2026-11-30",
    "started_on": "2026-11-30",
    "due_on": "2026-12-30",
    "extension_decide_by": "2026-12-30",
    "stops": [],
    "days_paused": 0,
    "extension": None,
    "running": True,
}


class ClockRead(Output):
    """The statutory clock, recomputed from the request and its clock events: day 1 is the
    day it started, the deadline one calendar month on (the month's last day where the date
    does not exist), plus the days stopped and any extension, moved to the next working day
    over weekends and England and Wales bank holidays."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLOCK]})

    rule: str = Field(
        description="`uk_gdpr_art_12a` for requests received from 5 February 2026, "
        "`ico_guidance` before."
    )
    source: str
    received_on: date
    started_on: date | None = Field(description="Day 1; null while identity is awaited.")
    due_on: date | None = Field(
        description="The deadline; null while the clock has not started or is stopped."
    )
    extension_decide_by: date | None = Field(
        description="The last day an extension may be decided and told: the end of the first "
        "month, stopped days excluded (not moved for a weekend)."
    )
    stops: list[ClockStopRead]
    days_paused: int | None = Field(
        description="Days not counted over every answered clarification (null while one is open)."
    )
    extension: ExtensionRead | None
    running: bool = Field(description="The clock has started and is not stopped.")


_EVENT: JsonDict = {
    "id": _EVENT_ID,
    "kind": "clarification_requested",
    "on": "2026-12-03",
    "note": _CLOCK_EVENT["note"],
    "recorded_by": "governance-1",
    "recorded_at": "2026-12-03T09:12:00Z",
}


class ClockEventRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT]})

    id: uuid.UUID
    kind: ClockEventKind
    on: date
    note: str | None
    recorded_by: str
    recorded_at: datetime


class SearchedPlaceRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCHED]})

    system: str
    modules: list[str] = Field(default_factory=list)
    searched_by: list[str] = Field(default_factory=list)
    from_date: date | None = None
    to_date: date | None = None
    searched_on: date | None = None
    reason: str | None = None


class NotSearchedRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_NOT_SEARCHED]})

    system: str
    reason: str | None = None


_SEARCH_RECORD_READ: JsonDict = {
    **_SEARCH_RECORD,
    "recorded_by": "governance-1",
    "recorded_at": "2026-12-02T15:40:00Z",
}


class SearchRecordRead(Output):
    """The search made (Art 15(1A)), as last recorded."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCH_RECORD_READ]})

    searched: list[SearchedPlaceRead] = Field(default_factory=list)
    not_searched: list[NotSearchedRead] = Field(default_factory=list)
    proportionality: str | None = None
    recorded_by: str | None = None
    recorded_at: datetime | None = None


_OUTCOME: JsonDict = {
    "outcome": "completed",
    "reasons": None,
    "closed_on": "2026-12-21",
    "closed_at": "2026-12-21T16:02:00Z",
    "closed_by": "governance-1",
    "on_time": True,
    "response_message_id": _MESSAGE_ID,
}


class OutcomeRead(Output):
    """How the request was closed; `on_time` when closed on or before the due date."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OUTCOME]})

    outcome: RequestOutcome
    reasons: str | None
    closed_on: date | None
    closed_at: datetime | None
    closed_by: str | None
    on_time: bool | None = Field(description="Null where the clock never started.")
    response_message_id: uuid.UUID | None


_QUEUED: JsonDict = {"message_type": "sar_acknowledgement", "channel": "email", "id": _MESSAGE_ID}


class QueuedMessageRead(Output):
    """A letter or email this call queued in the Notify outbox (`/v1/messages` follows it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_QUEUED]})

    message_type: str
    channel: str
    id: uuid.UUID


_READ: JsonDict = {
    "id": EXAMPLE_REQUEST_ID,
    "reference": "SR-7KQ2M9XD4P",
    "right": "access",
    "channel": "email",
    "via_school_urn": None,
    "status": "in_progress",
    "received_on": "2026-11-30",
    "description": _CREATE["description"],
    "requester": _REQUESTER_READ,
    "authority": _AUTHORITY,
    "subject_details": _SUBJECT_DETAILS,
    "child_competence": _COMPETENCE_READ,
    "identity": _IDENTITY,
    "clock": _CLOCK,
    "overdue": False,
    "events": [],
    "search_record": None,
    "assigned_to": "governance-1",
    "outcome": None,
    "bundle_sha256": None,
    "acknowledgement_message_id": _MESSAGE_ID,
    "messages": [_QUEUED],
    "created_by": "governance-1",
    "created_at": "2026-11-30T10:05:00Z",
    "updated_at": "2026-11-30T10:05:00Z",
}


class SubjectRequestRead(Output):
    """A request with its clock, its events and where it stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    reference: str = Field(description="What the requester is told and quotes back.")
    right: RequestRight
    channel: str
    via_school_urn: int | None
    status: RequestStatus
    received_on: date
    description: str
    requester: RequesterRead
    authority: AuthorityRead | None = Field(description="Null for the subject's own request.")
    subject_details: SubjectDetailsRead
    child_competence: ChildCompetenceRead
    identity: IdentityRead
    clock: ClockRead
    overdue: bool = Field(description="Open, and the due date has passed.")
    events: list[ClockEventRead] = Field(description="Every stop and start, in order.")
    search_record: SearchRecordRead | None
    assigned_to: str | None
    outcome: OutcomeRead | None
    bundle_sha256: str | None = Field(
        description="The SHA-256 of the access bundle released, once one has been."
    )
    acknowledgement_message_id: uuid.UUID | None
    messages: list[QueuedMessageRead] = Field(
        default_factory=list, description="Letters and emails this call queued."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


_SUMMARY: JsonDict = {
    "id": EXAMPLE_REQUEST_ID,
    "reference": "SR-7KQ2M9XD4P",
    "right": "access",
    "status": "in_progress",
    "channel": "email",
    "received_on": "2026-11-30",
    "due_on": "2026-12-30",
    "overdue": False,
    "extension_months": 0,
    "requester_kind": "parent_or_carer",
    "requester_name": "Evie Tillbrook",
    "requester_subject_id": _REQUESTER_SUBJECT_ID,
    "subject_name": "Isla Tillbrook",
    "assigned_to": "governance-1",
    "outcome": None,
    "closed_on": None,
}


class SubjectRequestSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: uuid.UUID
    reference: str
    right: RequestRight
    status: RequestStatus
    channel: str
    received_on: date
    due_on: date | None
    overdue: bool
    extension_months: int
    requester_kind: RequesterKind
    requester_name: str
    requester_subject_id: uuid.UUID
    subject_name: str = Field(description="The subject's names as the requester gave them.")
    assigned_to: str | None
    outcome: RequestOutcome | None
    closed_on: date | None


class SubjectRequestPage(Page[SubjectRequestSummary]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": _NEXT}]}
    )


_REVIEW_READ: JsonDict = {
    "id": _REVIEW_ID,
    "request_id": EXAMPLE_REQUEST_ID,
    "requested_on": "2027-01-08",
    "grounds": _REVIEW["grounds"],
    "outcome": None,
    "outcome_reasons": None,
    "reviewed_by": None,
    "decided_on": None,
    "recorded_by": "governance-1",
    "recorded_at": "2027-01-08T11:20:00Z",
    "messages": [],
}


class ReviewRead(Output):
    """An internal review of the council's answer to a request."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW_READ]})

    id: uuid.UUID
    request_id: uuid.UUID
    requested_on: date
    grounds: str
    outcome: ReviewOutcome | None
    outcome_reasons: str | None
    reviewed_by: str | None
    decided_on: date | None
    recorded_by: str
    recorded_at: datetime
    messages: list[QueuedMessageRead] = Field(
        default_factory=list, description="Letters and emails this call queued."
    )


class ReviewPage(Page[ReviewRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})
