"""Referral shapes for the API: what a school sends when it refers a pupil, and what it may know
of its referral afterwards.

A school sees its own referral (its own words and figures), the school-facing status, and
the outcome once the case is closed: never the council's notes, chronology, documents,
assigned officer, enforcement or special category data (``ReferralRead`` has no field that
could carry them).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.cases import CaseOutcome, CaseType
from app.schemas.common import (
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
from app.schemas.schools import URN

ReasonText = Annotated[str, bounded(2000), PRINTABLE]
SummaryText = Annotated[str, bounded(2000), PRINTABLE]


@schema_examples("attendance")
class ReferralCaseType(StrEnum):
    """What a school may refer a pupil for (a School Attendance Order case is the council's
    to open). A school's information system refers attendance cases only."""

    ATTENDANCE = "attendance"
    EXCLUSION_SUPPORT = "exclusion_support"


@schema_examples("in_triage")
class ReferralStatus(StrEnum):
    """Where the referral is, in the school's words: ``received`` (not yet looked at),
    ``in_triage`` (the council is deciding what to do), ``in_progress`` (the council is
    working with the family), ``closed`` (see ``outcome``)."""

    RECEIVED = "received"
    IN_TRIAGE = "in_triage"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


@schema_examples("second_concern")
class ReferralLetterKind(StrEnum):
    """Letters the school has already sent the family about attendance or behaviour."""

    FIRST_CONCERN = "first_concern"
    SECOND_CONCERN = "second_concern"
    MEETING_INVITATION = "meeting_invitation"
    FINAL_WARNING = "final_warning"
    OTHER = "other"


_ATTENDANCE: JsonDict = {
    "from_date": "2026-09-01",
    "to_date": "2026-11-27",
    "possible_sessions": 118,
    "attended_sessions": 89,
}
_LETTER: JsonDict = {"sent_on": "2026-10-06", "kind": "first_concern"}
_EVIDENCE: JsonDict = {
    "attendance": _ATTENDANCE,
    "letters": [_LETTER, {"sent_on": "2026-11-03", "kind": "meeting_invitation"}],
    "meeting_notes_summary": "Met mother 10 Nov: morning routines hard since a house move; "
    "agreed a morning check-in. Attendance has not improved since.",
}
_SENT: JsonDict = {
    "reason": "Attendance 75% this term, falling since September despite school support.",
    "evidence": _EVIDENCE,
}
_CREATE: JsonDict = {
    "pupil_id": "aaf1f88f-185b-54d1-a7a9-4562155bfd7d",
    "school_urn": 990028,
    "case_type": "attendance",
    **_SENT,
    "carer_ids": ["bd625931-07b7-5f27-bcae-df1f378a9d61"],
}
_READ: JsonDict = {
    "id": "b966f900-0144-5d32-bdc0-7ca9cb8f412b",
    "reference": "KPAS-2026-7QJ4M2XC",
    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "school_urn": 990028,
    "case_type": "attendance",
    "referred_at": "2026-11-30T09:14:03Z",
    "referred_by": "arbor-hopgarden",
    "referral": _SENT,
    "status": "in_triage",
    "outcome": None,
    "outcome_summary": None,
}


class AttendanceFigures(Input):
    """The school's own attendance figures for the pupil over a period."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ATTENDANCE]})

    from_date: CalendarDate = Field(examples=["2026-09-01"])
    to_date: CalendarDate = Field(examples=["2026-11-27"])
    possible_sessions: int = Field(ge=0, le=1000, examples=[118])
    attended_sessions: int = Field(
        ge=0,
        le=1000,
        description="Present or at an approved educational activity.",
        examples=[89],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.to_date < self.from_date:
            raise ValueError("to_date is before from_date")
        if self.attended_sessions > self.possible_sessions:
            raise ValueError("attended_sessions is more than possible_sessions")
        return self


class LetterSent(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_LETTER]})

    sent_on: CalendarDate = Field(examples=["2026-10-06"])
    kind: ReferralLetterKind


class ReferralEvidence(Input):
    """What the school has seen and done already."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVIDENCE]})

    attendance: AttendanceFigures | None = Field(
        default=None, description="Required for an attendance referral."
    )
    letters: list[LetterSent] = Field(default_factory=list, max_length=20, examples=[[_LETTER]])
    meeting_notes_summary: SummaryText | None = Field(
        default=None,
        description="A short summary of the school's meetings with the family.",
        examples=["Met mother 10 Nov: agreed a morning check-in."],
    )


class ReferralCreate(Input):
    """A school's referral of a pupil on its roll."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    pupil_id: uuid.UUID = Field(
        description="A pupil on the roll of `school_urn` today.",
        examples=["4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"],
    )
    school_urn: URN = Field(description="One of your schools.", examples=[990028])
    case_type: ReferralCaseType
    reason: ReasonText = Field(
        description="Why the school is referring, in its own words.",
        examples=["Attendance 75% this term, falling since September despite school support."],
    )
    evidence: ReferralEvidence
    carer_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="The pupil's parents or carers the council should involve.",
        examples=[["84384276-0289-572a-8f68-ba0a79576c9d"]],
    )

    @model_validator(mode="after")
    def _attendance_figures(self) -> Self:
        if self.case_type is ReferralCaseType.ATTENDANCE and self.evidence.attendance is None:
            raise ValueError("an attendance referral needs evidence.attendance (the figures)")
        return self

    def sent(self) -> dict[str, Any]:
        """What is kept as the referral: the school's own words and figures."""
        return self.model_dump(mode="json", include={"reason", "evidence"})


class ReferralFilters(Input):
    """Query parameters of ``GET /v1/referrals``."""

    school_urn: URN | None = Field(
        default=None, description="Referrals from this school.", examples=[990028]
    )
    status: ReferralStatus | None = Field(
        default=None, description="Referrals with this status.", examples=["in_triage"]
    )
    open: bool | None = Field(
        default=None,
        description="true: open referrals only; false: closed only.",
        examples=[True],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class AttendanceFiguresRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_ATTENDANCE]})

    from_date: CalendarDate
    to_date: CalendarDate
    possible_sessions: int
    attended_sessions: int


class LetterSentRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_LETTER]})

    sent_on: CalendarDate
    kind: ReferralLetterKind


class ReferralEvidenceRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVIDENCE]})

    attendance: AttendanceFiguresRead | None = None
    letters: list[LetterSentRead] = Field(default_factory=list)
    meeting_notes_summary: str | None = None


class ReferralSent(Output):
    """The referral as the school sent it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SENT]})

    reason: str
    evidence: ReferralEvidenceRead


class ReferralRead(Output):
    """A referral as the referring school may know it, and nothing more."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID = Field(description="The referral's id (the id of the case it opened).")
    reference: str = Field(description="The reference to quote to the council.")
    pupil_id: uuid.UUID
    school_urn: int
    case_type: CaseType
    referred_at: datetime
    referred_by: str = Field(description="Who referred: a member of staff or the school's system.")
    referral: ReferralSent | None = Field(description="What the school sent.")
    status: ReferralStatus
    outcome: CaseOutcome | None = Field(description="Once closed: what came of the referral.")
    outcome_summary: str | None = Field(
        description="Once closed: what the council tells the school about the outcome."
    )


#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


class ReferralPage(Page[ReferralRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ], "next_cursor": _NEXT}]}
    )
