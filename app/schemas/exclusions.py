"""Suspension and permanent exclusion shapes for the API.

Reason codes are the DfE school census's exclusion reason codes (schools return up to three
reasons for each suspension or permanent exclusion since the autumn 2020 census). Sources: DfE,
"School census: guide" and the Common Basic Data Set code set for exclusion reasons, as school
information systems carry it; the list below was read from a school MIS vendor's reference
table and ScholarPack's help page "Record a Suspension or Exclusion" (the codes are "DfE
defined and collected during the census"), not from the DfE's own page: confirm against the
current year's census guide. The 2020/21 codes removed "Other" (OT); the 2024/25 census added
finer codes (weapons brought in, online behaviour, harmful sexual behaviour, misogyny and
misandry, drugs, alcohol, smoking and vaping separately, low-level and challenging disruption,
mobile phones, misbehaviour outside school) while the broader earlier codes stay valid.

The computed figures (cumulative days, the governing board's duty, sixth-day education) come
from ``app.rules.exclusions`` over the school's calendar; see that module for their sources.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.exclusions import ExclusionKind
from app.rules.exclusions import ReviewCase
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    CalendarDate,
    Cursor,
    Input,
    JsonBool,
    MergePatch,
    Output,
    Page,
    schema_examples,
)
from app.schemas.schools import URN

#: DfE census exclusion reason codes (see the module docstring for the source).
EXCLUSION_REASON_CODES: dict[str, str] = {
    "PP": "Physical assault against a pupil",
    "PA": "Physical assault against an adult",
    "VP": "Verbal abuse or threatening behaviour against a pupil",
    "VA": "Verbal abuse or threatening behaviour against an adult",
    "OW": "Use or threat of use of an offensive weapon or prohibited item",
    "BW": "Found to have brought a weapon or prohibited item into school",
    "BU": "Bullying",
    "TB": "Cyber-bullying or threatening behaviour online",
    "RA": "Racist abuse, including bullying",
    "LG": "Abuse against sexual orientation and gender identity, including bullying",
    "DS": "Abuse relating to disability, including bullying",
    "SM": "Sexual misconduct",
    "SB": "Harmful sexual behaviour",
    "MB": "Misogynistic behaviour",
    "AB": "Misandrist behaviour",
    "DA": "Drug and alcohol related",
    "DR": "Drug related",
    "AR": "Alcohol related",
    "SR": "Smoking related",
    "VR": "Vape related",
    "DM": "Damage to property",
    "TH": "Theft",
    "DB": "Persistent or general disruptive behaviour",
    "LD": "Persistent disruptive behaviour: low-level disruption",
    "CB": "Persistent disruptive behaviour: challenging behaviour",
    "MT": "Inappropriate use of social media or online technology",
    "MP": "Use of a mobile phone",
    "OS": "Misbehaviour outside school",
    "PH": "Wilful and repeated transgression of protective measures in place to protect "
    "public health",
}
#: The census takes up to three reasons for one suspension or exclusion.
MAX_REASONS = 3


def _known_reason(code: str) -> str:
    if code not in EXCLUSION_REASON_CODES:
        raise ValueError(
            "not a DfE census exclusion reason code (for example PP, VA, BU, DA, DB, OW)"
        )
    return code


ReasonCode = Annotated[str, AfterValidator(_known_reason)]


@schema_examples("reinstated")
class BoardDecision(StrEnum):
    """The governing board's decision when it considers reinstatement."""

    REINSTATED = "reinstated"
    NOT_REINSTATED = "not_reinstated"


@schema_examples("school")
class ProvisionDutyHolder(StrEnum):
    """Who must arrange full-time education from the sixth school day."""

    SCHOOL = "school"
    LOCAL_AUTHORITY = "local_authority"


_CREATE: JsonDict = {
    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "school_urn": 990028,
    "kind": "suspension",
    "starts_on": "2026-11-23",
    "school_days": 3,
    "notified_on": "2026-11-20",
    "reasons": ["VA"],
    "public_exam_missed": False,
    "parents_representations_on": None,
}
_PATCH: JsonDict = {"board_decision": "not_reinstated", "board_considered_on": "2026-12-01"}
_DAYS: JsonDict = {
    "term": "2026-27 Term 2",
    "term_days": 8,
    "school_year": "2026-27",
    "school_year_days": 11,
    "school_year_days_remaining": 34,
}
_BOARD: JsonDict = {
    "required": True,
    "case": "over_5_days_on_representations",
    "within_school_days": 50,
    "deadline": "2027-02-12",
}
_SIXTH: JsonDict = {"from_date": "2026-12-01", "duty_holder": "school"}
_READ: JsonDict = {
    "id": "6c1f1d6e-2b8a-4f4e-9d11-0e7a4b2c9a51",
    **_CREATE,
    "parents_representations_on": "2026-11-24",
    "board_considered_on": None,
    "board_decision": None,
    "withdrawn_on": None,
    "reported_by": "staff-hopgarden-1",
    "reported_at": "2026-11-20T15:02:11Z",
    "suspension_days": _DAYS,
    "governing_board": _BOARD,
    "sixth_day_education": None,
    "calendar": "Kent County Council term dates for community and voluntary controlled schools",
}
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


class ExclusionCreate(Input):
    """A suspension or permanent exclusion a school reports."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    pupil_id: uuid.UUID = Field(
        description="A pupil on the roll of `school_urn` today.",
        examples=["4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"],
    )
    school_urn: URN = Field(description="One of your schools.", examples=[990028])
    kind: ExclusionKind = Field(examples=["suspension"])
    starts_on: CalendarDate = Field(
        description="The first school day the pupil is excluded.", examples=["2026-11-23"]
    )
    school_days: int | None = Field(
        default=None,
        ge=1,
        le=45,
        description="School days of a suspension (leave out for a permanent exclusion).",
        examples=[3],
    )
    notified_on: CalendarDate = Field(
        description="When the parents were told (the board's deadlines run from it).",
        examples=["2026-11-20"],
    )
    reasons: list[ReasonCode] = Field(
        min_length=1,
        max_length=MAX_REASONS,
        description="One to three DfE census exclusion reason codes.",
        examples=[["VA"]],
    )
    public_exam_missed: JsonBool = Field(
        default=False,
        description="The pupil would miss a public examination or national curriculum test.",
        examples=[False],
    )
    parents_representations_on: CalendarDate | None = Field(
        default=None,
        description="When the parents made representations to the governing board, if they did.",
        examples=[None],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.kind is ExclusionKind.SUSPENSION and self.school_days is None:
            raise ValueError("a suspension needs school_days")
        if self.kind is ExclusionKind.PERMANENT and self.school_days is not None:
            raise ValueError("a permanent exclusion has no school_days")
        if len(set(self.reasons)) != len(self.reasons):
            raise ValueError("each reason code once")
        if (
            self.parents_representations_on is not None
            and self.parents_representations_on < self.notified_on
        ):
            raise ValueError("parents_representations_on is before notified_on")
        return self


class ExclusionUpdate(MergePatch):
    """What a school records afterwards: the board's decision, the parents' representations, or
    the exclusion's withdrawal. Only the fields sent change."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PATCH]})

    board_decision: BoardDecision | None = None
    board_considered_on: CalendarDate | None = Field(default=None, examples=["2026-12-01"])
    parents_representations_on: CalendarDate | None = Field(default=None, examples=["2026-11-24"])
    withdrawn_on: CalendarDate | None = Field(
        default=None,
        description="The headteacher withdrew the suspension or exclusion on this day.",
        examples=["2026-11-25"],
    )

    @model_validator(mode="after")
    def _decision_with_date(self) -> Self:
        if (self.board_decision is None) != (self.board_considered_on is None):
            raise ValueError("board_decision and board_considered_on go together")
        return self


class ExclusionFilters(Input):
    """Query parameters of ``GET /v1/exclusions``."""

    school_urn: URN | None = Field(default=None, examples=[990028])
    pupil_id: uuid.UUID | None = Field(
        default=None, examples=["4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"]
    )
    kind: ExclusionKind | None = Field(default=None, examples=["suspension"])
    from_date: CalendarDate | None = Field(
        default=None, description="Starting on or after this day.", examples=["2026-09-01"]
    )
    to_date: CalendarDate | None = Field(
        default=None, description="Starting on or before this day.", examples=["2026-12-31"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class SuspensionDaysRead(Output):
    """The pupil's suspension days at this school (withdrawn ones left out)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DAYS]})

    term: str | None = Field(description="The term the exclusion starts in.")
    term_days: int = Field(description="Suspension school days in that term.")
    school_year: str
    school_year_days: int = Field(description="Suspension school days in that school year.")
    school_year_days_remaining: int = Field(
        description="Of the 45 a school year allows (SI 2012/1033 reg 4)."
    )


class GoverningBoardRead(Output):
    """Whether the governing board must consider reinstatement, and by when (SI 2012/1033
    reg 6: 15 school days; 50 where parents make representations about more than 5 and up to
    15 days in a term; no duty for 5 or fewer)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BOARD]})

    required: bool
    case: ReviewCase
    within_school_days: int | None
    deadline: date | None = Field(description="The last school day for the board's meeting.")


class SixthDayEducationRead(Output):
    """Full-time education from the sixth school day: the school's for a suspension of more
    than five days, the council's for a permanent exclusion."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SIXTH]})

    from_date: date
    duty_holder: ProvisionDutyHolder


class ExclusionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    pupil_id: uuid.UUID
    school_urn: int
    kind: ExclusionKind
    starts_on: date
    school_days: int | None
    notified_on: date
    reasons: list[str]
    public_exam_missed: bool
    parents_representations_on: date | None
    board_considered_on: date | None
    board_decision: str | None
    withdrawn_on: date | None
    reported_by: str
    reported_at: datetime
    suspension_days: SuspensionDaysRead | None = Field(
        description="Null where the school calendar held does not cover the dates."
    )
    governing_board: GoverningBoardRead | None = Field(
        description="Null once withdrawn, or where the calendar does not cover the dates."
    )
    sixth_day_education: SixthDayEducationRead | None = Field(
        description="Null for a suspension of five days or fewer, or once withdrawn."
    )
    calendar: str = Field(description="The school calendar the school days were counted on.")


class ExclusionPage(Page[ExclusionRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ], "next_cursor": _NEXT}]}
    )
