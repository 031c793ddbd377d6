"""Licence shapes for the API: work permits, performance licences, chaperone approvals, the
findings of their rule checks, decisions, revocations and the absences they give schools.

The rules behind the findings are in ``app.rules.child_employment``,
``app.rules.child_performance`` and ``app.rules.chaperones``; each finding names its rule,
its source and whether the figure it applied is confirmed against the regulation text.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict

from app.models.licences import LicenceKind, RevocationGround
from app.rules.child_employment import WeekKind
from app.schemas.common import (
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
from app.schemas.contact import PersonName, Upn
from app.schemas.schools import URN

_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _clock_time(value: object) -> object:
    """``HH:MM`` only: a clock time to the minute, with no seconds or offset."""
    if isinstance(value, str):
        if not _CLOCK.match(value):
            raise ValueError("a time as HH:MM (24-hour clock, to the minute)")
        return time(int(value[:2]), int(value[3:]))
    raise ValueError("a time as HH:MM (24-hour clock, to the minute)")


#: A local clock time to the minute, ``HH:MM``.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock_time),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _CLOCK.pattern, "examples": ["07:30"]}),
]
ShortText = Annotated[str, bounded(200), PRINTABLE]
Reasons = Annotated[str, bounded(2000), PRINTABLE]


# --- examples --------------------------------------------------------------------------------

EXAMPLE_LICENCE_ID = "1b21226b-b044-58c4-8aa9-d23eda84faa5"
EXAMPLE_PERSON_ID = "ac7a9092-90a5-5fd1-9ad3-e606e197d801"
EXAMPLE_EMPLOYER_ID = "fd308ffe-a90d-58f3-ae0b-64157ad3a3e5"
EXAMPLE_PRODUCTION_ID = "3903bc2f-e572-5bcd-bcce-f24f6bcdbc8f"
EXAMPLE_CHAPERONE_ID = "83f0f11c-c97f-5210-9646-d792b9d97ff1"

_WORK_PERMIT: JsonDict = {
    "employer_id": EXAMPLE_EMPLOYER_ID,
    "job": "Newspaper delivery",
    "starts_on": "2026-11-28",
    "ends_on": None,
    "school_starts": "08:40",
    "school_ends": "15:10",
    "shifts": [
        {"weeks": "term", "weekday": 5, "starts": "07:30", "ends": "09:00"},
        {"weeks": "holiday", "weekday": 5, "starts": "07:30", "ends": "09:00"},
    ],
}
_DAY: JsonDict = {
    "on": "2027-02-15",
    "at_venue_from": "09:30",
    "at_venue_until": "16:30",
    "performing_minutes": 150,
    "longest_continuous_minutes": 60,
    "school_day": True,
    "absent_from_school": True,
    "tutor_minutes": 180,
}
_PERFORMANCE: JsonDict = {
    "production_id": EXAMPLE_PRODUCTION_ID,
    "paid": True,
    "days_performed_in_previous_six_months": 0,
    "chaperone_id": EXAMPLE_CHAPERONE_ID,
    "chaperone_also_tutor": False,
    "days": [_DAY],
}
_CHAPERONE: JsonDict = {
    "dbs_certificate_number": "001234567890",
    "dbs_issued_on": "2026-10-01",
    "update_service_checked_on": "2026-11-20",
    "references_received": 2,
    "training_completed_on": "2026-09-15",
}
_CREATE: JsonDict = {
    "kind": "work_permit",
    "person_id": EXAMPLE_PERSON_ID,
    "parent_id": None,
    "received_on": "2026-11-23",
    "work_permit": _WORK_PERMIT,
}
_FINDING: JsonDict = {
    "rule": "performance.late_application",
    "severity": "warning",
    "source": "Children (Performances and Activities) (England) Regulations 2014 reg 5",
    "message": "The application arrived 18 days before the first performance; it should "
    "arrive at least 21 days before. The council may refuse a late application.",
    "where": "/received_on",
    "confirmed": True,
    "facts": {"days_before": 18, "required": 21},
}
_HOLIDAY_FINDING: JsonDict = {
    "rule": "employment.holiday_weeks_free",
    "severity": "warning",
    "source": "Children and Young Persons Act 1933 s18(1)(j); Kent County Council byelaws on "
    "the employment of children",
    "message": "The child must have at least 2 consecutive weeks without any work during the "
    "school holidays each year; the pattern cannot show which weeks, so the employer must keep "
    "them free.",
    "where": None,
    "confirmed": True,
    "facts": {"consecutive_weeks": 2},
}
_DECISION: JsonDict = {
    "outcome": "granted",
    "reasons": "The hours are within the limits for the child's age. The employer confirmed "
    "the child will have two consecutive weeks free of work in the summer holidays.",
    "acknowledged": ["employment.holiday_weeks_free"],
}
_REVOCATION: JsonDict = {
    "ground": "health_welfare_or_education",
    "reasons": "The school reports the child's attendance has fallen since the permit was granted.",
}
_READ: JsonDict = {
    "id": EXAMPLE_LICENCE_ID,
    "reference": "LIC-2026-7KQ2M9XD",
    "kind": "work_permit",
    "status": "applied",
    "pupil_id": None,
    "person_id": EXAMPLE_PERSON_ID,
    "subject_id": "3f6b8d0e-2a4c-4e6f-8a0b-2c4e6f8a0b2c",
    "forename": "Ruby",
    "surname": "Ashdown",
    "date_of_birth": "2013-03-14",
    "parent_id": None,
    "school_urn": None,
    "received_on": "2026-11-23",
    "starts_on": "2026-11-28",
    "ends_on": None,
    "expires_on": None,
    "work_permit": _WORK_PERMIT,
    "performance": None,
    "chaperone": None,
    "health_needs": None,
    "licence_need": None,
    "findings": [_HOLIDAY_FINDING],
    "decision": None,
    "revocation": None,
    "absence": None,
    "messages": [],
}
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


# --- the application -----------------------------------------------------------------------


_SHIFT: JsonDict = {"weeks": "term", "weekday": 5, "starts": "07:30", "ends": "09:00"}


class ShiftInput(Input):
    """One period of work in the weekly pattern."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SHIFT]})

    weeks: WeekKind = Field(
        description="`term` for term weeks, `holiday` for school-holiday weeks.",
        examples=["term"],
    )
    weekday: int = Field(ge=0, le=6, description="0 is Monday, 6 is Sunday.", examples=[5])
    starts: ClockTime = Field(examples=["07:30"])
    ends: ClockTime = Field(description="The same day (no work past midnight).", examples=["09:00"])


class WorkPermitInput(Input):
    """A child's employment: the employer, the job and the weekly pattern of hours."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WORK_PERMIT]})

    employer_id: uuid.UUID = Field(
        description="The employer: an adult person (`/v1/people`).", examples=[EXAMPLE_EMPLOYER_ID]
    )
    job: ShortText = Field(
        description="What the child will do (for example newspaper delivery, shop work).",
        examples=["Newspaper delivery"],
    )
    starts_on: CalendarDate = Field(description="The first day of work.", examples=["2026-11-28"])
    ends_on: CalendarDate | None = Field(
        default=None,
        description="The last day of work, if the job is for a fixed time; the permit also "
        "ends when the child leaves compulsory school age.",
        examples=[None],
    )
    school_starts: ClockTime = Field(
        description="When the child's school day starts.", examples=["08:40"]
    )
    school_ends: ClockTime = Field(
        description="When the child's school day ends.", examples=["15:10"]
    )
    shifts: list[ShiftInput] = Field(min_length=1, max_length=28)

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on is before starts_on")
        if self.school_ends <= self.school_starts:
            raise ValueError("school_ends must be after school_starts")
        return self


class PerformanceDayInput(Input):
    """One day of the schedule."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DAY]})

    on: CalendarDate = Field(examples=["2027-02-15"])
    at_venue_from: ClockTime = Field(
        description="Arrival at the place of performance or rehearsal.", examples=["09:30"]
    )
    at_venue_until: ClockTime = Field(
        description="Leaving it, the same day (a schedule past midnight is refused).",
        examples=["16:30"],
    )
    performing_minutes: int = Field(
        ge=0, le=1440, description="Time performing or rehearsing that day.", examples=[150]
    )
    longest_continuous_minutes: int = Field(
        ge=0, le=1440, description="The longest continuous spell of it.", examples=[60]
    )
    school_day: JsonBool = Field(
        description="The child's school is open that day.", examples=[True]
    )
    absent_from_school: JsonBool = Field(
        description="The child misses school that day for this.", examples=[True]
    )
    tutor_minutes: int = Field(
        default=0, ge=0, le=1440, description="Education a tutor gives that day.", examples=[180]
    )


class PerformanceInput(Input):
    """A performance licence application: the production, the schedule, pay, school absence,
    the chaperone and the tutor's hours."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PERFORMANCE]})

    production_id: uuid.UUID = Field(
        description="A production (`/v1/productions`).", examples=[EXAMPLE_PRODUCTION_ID]
    )
    paid: JsonBool = Field(
        description="The child, or anyone on their behalf, is paid for it.", examples=[True]
    )
    days_performed_in_previous_six_months: int = Field(
        ge=0,
        le=183,
        description="Days the child performed in the six months before the first day (the "
        "4-day exemption, CYPA 1963 s37(3)(a)).",
        examples=[0],
    )
    chaperone_id: uuid.UUID | None = Field(
        default=None,
        description="The id of the chaperone's approval (`/v1/chaperones`); null where a parent "
        "or a teacher at the child's school supervises.",
        examples=[EXAMPLE_CHAPERONE_ID],
    )
    chaperone_also_tutor: JsonBool = Field(
        default=False,
        description="The chaperone also acts as the child's tutor (at most 3 children then).",
        examples=[False],
    )
    days: list[PerformanceDayInput] = Field(min_length=1, max_length=366)


class ChaperoneInput(Input):
    """A chaperone approval application: DBS, references and training."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHAPERONE]})

    dbs_certificate_number: Annotated[str, bounded(20), PRINTABLE] | None = Field(
        default=None,
        description="The enhanced DBS certificate (with children's barred list) number.",
        examples=["001234567890"],
    )
    dbs_issued_on: CalendarDate | None = Field(default=None, examples=["2026-10-01"])
    update_service_checked_on: CalendarDate | None = Field(
        default=None,
        description="When the council checked the certificate on the DBS Update Service.",
        examples=["2026-11-20"],
    )
    references_received: int = Field(ge=0, le=20, examples=[2])
    training_completed_on: CalendarDate | None = Field(default=None, examples=["2026-09-15"])


_PUPIL_MATCH: JsonDict = {
    "upn": "B801200005001",
    "legal_surname": "Example",
    "date_of_birth": "2013-05-02",
}


class PupilMatch(Input):
    """A child on a Kent roll, identified by three facts that must all match the roll."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUPIL_MATCH]})

    upn: Upn = Field(examples=["B801200005001"])
    legal_surname: PersonName = Field(examples=["Example"])
    date_of_birth: PastBirthDate = Field(examples=["2013-05-02"])


class LicenceCreate(Input):
    """An application. Name the holder once: `pupil` (a child on a Kent roll, matched by UPN,
    legal surname and date of birth) or `person_id` (`/v1/people`). Give the block of the
    kind: `work_permit`, `performance` or `chaperone`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    kind: LicenceKind = Field(examples=["work_permit"])
    pupil: PupilMatch | None = Field(default=None)
    person_id: uuid.UUID | None = Field(default=None, examples=[EXAMPLE_PERSON_ID])
    parent_id: uuid.UUID | None = Field(
        default=None,
        description="The parent or carer applying with or for the child: an adult person.",
        examples=[None],
    )
    school_urn: URN | None = Field(
        default=None,
        description="For a pupil on more than one Kent roll: the school told of an absence.",
        examples=[None],
    )
    received_on: CalendarDate = Field(
        description="When the council received the application.", examples=["2026-11-23"]
    )
    health_needs: Annotated[str, bounded(2000), PRINTABLE] | None = Field(
        default=None,
        description="Health needs the chaperone or employer must know (special category data).",
        examples=[None],
    )
    work_permit: WorkPermitInput | None = None
    performance: PerformanceInput | None = None
    chaperone: ChaperoneInput | None = None

    @model_validator(mode="after")
    def _one_holder_one_block(self) -> Self:
        if (self.pupil is None) == (self.person_id is None):
            raise ValueError("name the holder once: pupil or person_id")
        blocks = {
            LicenceKind.WORK_PERMIT: self.work_permit,
            LicenceKind.PERFORMANCE_LICENCE: self.performance,
            LicenceKind.CHAPERONE_APPROVAL: self.chaperone,
        }
        for kind, block in blocks.items():
            if kind is self.kind and block is None:
                raise ValueError(f"a {kind.value} application needs its block")
            if kind is not self.kind and block is not None:
                raise ValueError(f"a {self.kind.value} application has no {kind.value} block")
        if self.kind is LicenceKind.CHAPERONE_APPROVAL and self.pupil is not None:
            raise ValueError("a chaperone is an adult person, not a pupil")
        return self


class LicenceUpdate(Input):
    """An amended application (only while it is undecided): the fields sent replace what is
    held, and every rule is checked again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"work_permit": _WORK_PERMIT}]})

    received_on: CalendarDate | None = Field(default=None, examples=["2026-11-23"])
    health_needs: Annotated[str, bounded(2000), PRINTABLE] | None = Field(
        default=None, examples=[None]
    )
    work_permit: WorkPermitInput | None = None
    performance: PerformanceInput | None = None
    chaperone: ChaperoneInput | None = None

    def changes(self) -> dict[str, Any]:
        return dict(self.model_dump(exclude_unset=True))


@schema_examples("granted")
class DecisionOutcome(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


@schema_examples("applied")
class StatusFilter(StrEnum):
    """A licence's status as lists filter it: ``granted`` is in force, ``expired`` granted and
    past its expiry."""

    APPLIED = "applied"
    GRANTED = "granted"
    EXPIRED = "expired"
    REFUSED = "refused"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class DecisionCreate(Input):
    """Grant or refuse, with reasons. A grant is refused while a blocking finding stands, and
    must acknowledge each warning (`acknowledged`: their rule ids)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION]})

    outcome: DecisionOutcome = Field(examples=["granted"])
    reasons: Reasons = Field(examples=[_DECISION["reasons"]])
    acknowledged: list[Annotated[str, bounded(60), PRINTABLE]] = Field(
        default_factory=list, max_length=50, examples=[["performance.late_application"]]
    )


class RevocationCreate(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_REVOCATION]})

    ground: RevocationGround = Field(examples=["health_welfare_or_education"])
    reasons: Reasons = Field(examples=[_REVOCATION["reasons"]])


class LicenceFilters(Input):
    """Query parameters of ``GET /v1/licences``."""

    kind: LicenceKind | None = Field(default=None, examples=["performance_licence"])
    status: StatusFilter | None = Field(default=None, examples=["applied"])
    pupil_id: uuid.UUID | None = Field(default=None, examples=[None])
    person_id: uuid.UUID | None = Field(default=None, examples=[None])
    employer_id: uuid.UUID | None = Field(default=None, examples=[None])
    production_id: uuid.UUID | None = Field(default=None, examples=[None])
    from_date: CalendarDate | None = Field(
        default=None, description="Starting on or after this day.", examples=["2027-01-01"]
    )
    to_date: CalendarDate | None = Field(
        default=None, description="Starting on or before this day.", examples=["2027-12-31"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class ChaperoneFilters(Input):
    """Query parameters of ``GET /v1/chaperones``."""

    status: StatusFilter | None = Field(
        default=None,
        description="As for licences; `granted` is approved now.",
        examples=["granted"],
    )
    expiring_before: CalendarDate | None = Field(
        default=None,
        description="Approvals in force that expire before this day (for reminders).",
        examples=["2027-03-31"],
    )
    person_id: uuid.UUID | None = Field(default=None, examples=[None])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class AbsenceFilters(Input):
    """Query parameters of ``GET /v1/licensed-absences``."""

    school_urn: URN | None = Field(default=None, examples=[990028])
    pupil_id: uuid.UUID | None = Field(default=None, examples=[None])
    from_date: CalendarDate | None = Field(
        default=None, description="Absences ending on or after this day.", examples=["2027-01-01"]
    )
    to_date: CalendarDate | None = Field(
        default=None, description="Absences starting on or before this day.", examples=[None]
    )
    include_cancelled: bool = Field(default=False, examples=[False])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- answers -----------------------------------------------------------------------------------


class FindingRead(Output):
    """The result of one rule check."""

    model_config = ConfigDict(json_schema_extra={"examples": [_FINDING]})

    rule: str = Field(description="Stable rule id, `<area>.<rule>`.")
    severity: str = Field(description="`blocking` stops a grant; `warning` is for the decision.")
    source: str = Field(description="The provision it comes from.")
    message: str
    where: str | None = Field(description="Where in the application it arises (a JSON pointer).")
    confirmed: bool = Field(
        description="False where the figure applied is not confirmed against the regulation text."
    )
    facts: dict[str, Any]


_NEED: JsonDict = {
    "needed": True,
    "exemption": None,
    "reasons": [
        "The child is paid for taking part, so a licence is needed (Children and Young "
        "Persons Act 1963 s37(2))."
    ],
    "source": "Children and Young Persons Act 1963 s37",
}


class LicenceNeedRead(Output):
    """Whether a performance needs a licence at all (CYPA 1963 s37), explained either way."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NEED]})

    needed: bool
    exemption: str | None = Field(description="`four_day_rule` or `body_of_persons_approval`.")
    reasons: list[str]
    source: str


_DECISION_READ: JsonDict = {
    "outcome": "granted",
    "decided_by": "licensing-1",
    "decided_at": "2026-11-25T10:02:11Z",
    "reasons": _DECISION["reasons"],
    "acknowledged": ["employment.holiday_weeks_free"],
}


class DecisionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION_READ]})

    outcome: str
    decided_by: str
    decided_at: datetime
    reasons: str
    acknowledged: list[str]


_REVOCATION_READ: JsonDict = {
    **_REVOCATION,
    "revoked_by": "licensing-1",
    "revoked_at": "2026-12-01T09:30:00Z",
}


class RevocationRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_REVOCATION_READ]})

    ground: RevocationGround
    revoked_by: str
    revoked_at: datetime
    reasons: str


_ABSENCE: JsonDict = {
    "id": "5f2a1c9e-7b3d-4e8a-9c6f-1d2e3f4a5b6c",
    "licence_id": "91c3358f-21a6-5ac7-94a7-21fda965ddf9",
    "licence_reference": "LIC-2026-PERF0001",
    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "school_urn": 990028,
    "days": ["2027-01-08"],
    "first_day": "2027-01-08",
    "last_day": "2027-01-08",
    "attendance_code": "C1",
    "notified_at": "2026-11-20T10:00:00Z",
    "cancelled_at": None,
}


class AbsenceRead(Output):
    """What a granted licence tells the child's Kent school: the school days to record with
    code C1 (SI 2024/208 reg 10, leave for a regulated performance)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ABSENCE]})

    id: uuid.UUID
    licence_id: uuid.UUID
    licence_reference: str
    pupil_id: uuid.UUID
    school_urn: int
    days: list[date]
    first_day: date
    last_day: date
    attendance_code: str = Field(examples=["C1"])
    notified_at: datetime
    cancelled_at: datetime | None


_QUEUED: JsonDict = {
    "person_id": EXAMPLE_EMPLOYER_ID,
    "channel": "email",
    "message_id": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
}


class MessageQueuedRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_QUEUED]})

    person_id: uuid.UUID
    channel: str
    message_id: uuid.UUID


class LicenceRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    reference: str
    kind: LicenceKind
    status: str = Field(
        description="`applied`, `granted`, `expired` (granted, past `expires_on`), `refused`, "
        "`revoked` or `withdrawn`."
    )
    pupil_id: uuid.UUID | None
    person_id: uuid.UUID | None
    subject_id: uuid.UUID = Field(description="The holder's data subject (audit trail filter).")
    forename: str
    surname: str
    date_of_birth: date | None
    parent_id: uuid.UUID | None
    school_urn: int | None
    received_on: date
    starts_on: date
    ends_on: date | None
    expires_on: date | None
    work_permit: dict[str, Any] | None
    performance: dict[str, Any] | None
    chaperone: dict[str, Any] | None
    health_needs: str | None = Field(
        description="Served only under a purpose with an Article 9 condition for your role."
    )
    licence_need: LicenceNeedRead | None
    findings: list[FindingRead]
    decision: DecisionRead | None
    revocation: RevocationRead | None
    absence: AbsenceRead | None
    messages: list[MessageQueuedRead] = Field(
        default_factory=list, description="Messages this request queued (decision letters)."
    )


_SUMMARY: JsonDict = {
    key: _READ[key]
    for key in (
        "id",
        "reference",
        "kind",
        "status",
        "pupil_id",
        "person_id",
        "subject_id",
        "forename",
        "surname",
        "received_on",
        "starts_on",
        "ends_on",
        "expires_on",
    )
} | {
    "employer_id": EXAMPLE_EMPLOYER_ID,
    "production_id": None,
    "blocking_findings": 0,
    "warnings": 1,
}


class LicenceSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: uuid.UUID
    reference: str
    kind: LicenceKind
    status: str
    pupil_id: uuid.UUID | None
    person_id: uuid.UUID | None
    subject_id: uuid.UUID
    forename: str
    surname: str
    employer_id: uuid.UUID | None
    production_id: uuid.UUID | None
    received_on: date
    starts_on: date
    ends_on: date | None
    expires_on: date | None
    blocking_findings: int
    warnings: int


class LicencePage(Page[LicenceSummary]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


_CHAPERONE_READ: JsonDict = {
    "licence_id": EXAMPLE_CHAPERONE_ID,
    "reference": "LIC-2025-CHAP0001",
    "person_id": "49ec17ca-f3d9-5b75-818a-f38bdac70c52",
    "subject_id": "2b4d6f80-1a3c-4e5f-9a7b-3c5d7e9f1a2b",
    "forename": "Chris",
    "surname": "Chaperone",
    "status": "granted",
    "approved_on": "2025-09-01",
    "expires_on": "2028-08-31",
    "reminder_queued_on": None,
}


class ChaperoneRead(Output):
    """An adult approved (or applying) to supervise children in performances."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHAPERONE_READ]})

    licence_id: uuid.UUID
    reference: str
    person_id: uuid.UUID
    subject_id: uuid.UUID
    forename: str
    surname: str
    status: str
    approved_on: date | None
    expires_on: date | None
    reminder_queued_on: date | None


class ChaperonePage(Page[ChaperoneRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})


class AbsencePage(Page[AbsenceRead]):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})
