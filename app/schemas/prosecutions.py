"""Prosecution shapes for the API (Education Act 1996 s443, s444; DPA 2018 Part 3).

The witness statement is structured data (the officer, the attendance figures for a period,
the interventions tried, by id and date): the prose statement is drafted from it and filed as
a case document.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict, JsonValue

from app.models.cases import Case, Offence, Prosecution, ProsecutionStatus
from app.models.disclosures import DisclosureGround
from app.models.sharing import DataCategory
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    MergePatch,
    Output,
    Page,
    Timestamp,
    bounded,
)
from app.schemas.disclosures import ManualChannel, RequestReference, Sha256Hex

_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
#: The parent on the demo case at prosecution preparation with no prosecution yet.
_NEW_CARER_ID = "5e12d9af-5501-5750-ba78-da7ff16c0075"
_CASE_ID = "e410e17f-7d82-58b1-bbfd-d6224c017a2b"
_DOCUMENT_ID = "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f"
_EVIDENCE_ITEM: JsonDict = {
    "item": "Attendance register extract, autumn term 2026",
    "document_id": None,
}
_EVIDENCE: list[JsonValue] = [
    _EVIDENCE_ITEM,
    {"item": "Notice to improve and covering letter", "document_id": None},
]
_ATTENDANCE: JsonDict = {
    "from": "2026-09-03",
    "to": "2026-11-20",
    "possible_sessions": 110,
    "attended_sessions": 71,
    "unauthorised_sessions": 33,
}
_INTERVENTION: JsonDict = {"kind": "notice_to_improve", "on": "2026-10-08", "id": _DOCUMENT_ID}
_STATEMENT: JsonDict = {
    "officer": "attendance-officer-2",
    "attendance": {
        "from": "2026-09-03",
        "to": "2026-11-20",
        "possible_sessions": 110,
        "attended_sessions": 71,
        "unauthorised_sessions": 33,
    },
    "interventions": [
        {"kind": "meeting", "on": "2026-09-24", "id": None},
        {"kind": "notice_to_improve", "on": "2026-10-08", "id": _DOCUMENT_ID},
    ],
}
_READ: JsonDict = {
    "id": "6c1d0f3e-8a2b-4e5c-9d7f-0b1a2c3d4e5f",
    "case_id": _CASE_ID,
    "carer_id": _CARER_ID,
    "offence": "s444(1)",
    "offence_from": "2026-09-03",
    "offence_to": "2026-11-20",
    "penalty_notice_id": None,
    "lay_by": "2027-05-20",
    "lay_from": "2026-11-21",
    "evidence": _EVIDENCE,
    "witness_statement": _STATEMENT,
    "status": "preparing",
    "approved_by": None,
    "approved_at": None,
    "laid_on": None,
    "court": None,
    "hearing_on": None,
    "disclosure_id": None,
    "outcome": None,
    "concluded_on": None,
    "recorded_by": "attendance-officer-2",
    "created_at": "2026-11-25T09:30:00Z",
    "updated_at": "2026-11-25T09:30:00Z",
}

ItemText = Annotated[str, bounded(200), PRINTABLE]


class EvidenceItem(Input):
    """One item the prosecution relies on, with the case document that holds it, if any."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVIDENCE_ITEM]})

    item: ItemText = Field(
        description="What the item is (no names: the document holds the detail).",
        examples=["Attendance register extract, autumn term 2026"],
    )
    document_id: uuid.UUID | None = Field(
        default=None,
        description="A document on the same case that holds it.",
        examples=[_DOCUMENT_ID],
    )


class AttendanceFigures(Input):
    """The attendance figures the statement gives, for one period."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [_ATTENDANCE]})

    from_: CalendarDate = Field(alias="from", examples=["2026-09-03"])
    to: CalendarDate = Field(examples=["2026-11-20"])
    possible_sessions: int = Field(ge=0, le=1000, examples=[110])
    attended_sessions: int = Field(ge=0, le=1000, examples=[71])
    unauthorised_sessions: int = Field(ge=0, le=1000, examples=[33])

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.to < self.from_:
            raise ValueError("the period ends before it starts")
        if self.attended_sessions + self.unauthorised_sessions > self.possible_sessions:
            raise ValueError("attended and unauthorised sessions exceed the possible sessions")
        return self


class InterventionKind(StrEnum):
    MEETING = "meeting"
    HOME_VISIT = "home_visit"
    ATTENDANCE_CONTRACT = "attendance_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    PENALTY_NOTICE = "penalty_notice"
    EARLY_HELP = "early_help"
    EDUCATION_SUPERVISION_ORDER_CONSIDERED = "education_supervision_order_considered"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order"
    OTHER = "other"


class Intervention(Input):
    """An intervention tried before prosecuting, by kind, date and the record's id."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INTERVENTION]})

    kind: InterventionKind = Field(examples=["notice_to_improve"])
    on: CalendarDate = Field(examples=["2026-10-08"])
    id: uuid.UUID | None = Field(
        default=None,
        description="The record of it in KPAS (a meeting, notice or document), if any.",
        examples=[_DOCUMENT_ID],
    )


class WitnessStatement(Input):
    """The structured data of the officer's witness statement."""

    model_config = ConfigDict(json_schema_extra={"examples": [_STATEMENT]})

    officer: Annotated[str, bounded(255), PRINTABLE] = Field(
        description="The officer making the statement (their staff identity).",
        examples=["attendance-officer-2"],
    )
    attendance: AttendanceFigures
    interventions: list[Intervention] = Field(default_factory=list, max_length=100)


Evidence = Annotated[
    list[EvidenceItem],
    Field(max_length=200, description="What the prosecution relies on.", examples=[_EVIDENCE]),
]


class ProsecutionCreate(Input):
    """A prosecution of one parent for one child, prepared for a manager's approval."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "carer_id": _NEW_CARER_ID,
                    "offence": "s444(1)",
                    "offence_from": "2026-09-03",
                    "offence_to": "2026-11-20",
                    "penalty_notice_id": None,
                    "evidence": _EVIDENCE,
                    "witness_statement": _STATEMENT,
                }
            ]
        }
    )

    carer_id: uuid.UUID = Field(
        description="The parent prosecuted: a party to the case with parental responsibility.",
        examples=[_CARER_ID],
    )
    offence: Offence = Field(
        description="`s444(1)` or `s444(1A)` on an attendance case; `s443` on a School "
        "Attendance Order case after the parent's breach of the order.",
        examples=["s444(1)"],
    )
    offence_from: CalendarDate = Field(examples=["2026-09-03"])
    offence_to: CalendarDate = Field(
        description="The offence period's last day: the 6 months to lay run from it.",
        examples=["2026-11-20"],
    )
    penalty_notice_id: uuid.UUID | None = Field(
        default=None,
        description="The penalty notice for this offence, issued to this parent for this child "
        "on this case and not paid: no information may be laid until its payment period ends.",
        examples=[None],
    )
    evidence: Evidence = Field(default_factory=list)
    witness_statement: WitnessStatement | None = None

    @model_validator(mode="after")
    def _period(self) -> Self:
        if self.offence_to < self.offence_from:
            raise ValueError("offence_to is before offence_from")
        return self


class ProsecutionUpdate(MergePatch):
    """Change the evidence list or the witness statement while the prosecution is prepared. A
    change after a manager approved withdraws the approval: the manager approves what they saw."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"evidence": _EVIDENCE}, {"witness_statement": _STATEMENT}]}
    )

    evidence: Evidence | None = None
    witness_statement: WitnessStatement | None = None


class ProsecutionApproval(Input):
    """A manager's approval to prosecute, of the evidence list as it stands."""

    model_config = ConfigDict(json_schema_extra={"examples": [{}, {"note": "Evidence complete."}]})

    note: Annotated[str, bounded(500), PRINTABLE] | None = Field(
        default=None,
        description="The manager's note, LA-internal (kept on the chronology).",
        examples=["Evidence complete."],
    )


class ProsecutionLaying(Input):
    """The information laid before the magistrates' court."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "laid_on": "2026-12-01",
                    "court": "Margate Magistrates' Court",
                    "hearing_on": "2027-01-14",
                }
            ]
        }
    )

    laid_on: CalendarDate = Field(
        description="The day the information was laid: no later than `lay_by` (Magistrates' "
        "Courts Act 1980 s127).",
        examples=["2026-12-01"],
    )
    court: Annotated[str, bounded(200), PRINTABLE] = Field(examples=["Margate Magistrates' Court"])
    hearing_on: CalendarDate | None = Field(default=None, examples=["2027-01-14"])


class ProsecutionOutcomeKind(StrEnum):
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    WITHDRAWN = "withdrawn"


class ProsecutionOutcome(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "convicted", "on": "2026-11-30"}]}
    )

    outcome: ProsecutionOutcomeKind = Field(
        description="`convicted` or `acquitted` once laid; `withdrawn` at any time before.",
        examples=["convicted"],
    )
    on: CalendarDate = Field(examples=["2026-11-30"])


_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class CourtDisclosure(Input):
    """The court bundle sent to HM Courts and Tribunals Service, recorded as a disclosure."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "prosecution",
                    "data_categories": ["identity_contact", "attendance", "casework"],
                    "channel": "secure_email",
                    "disclosed_at": "2026-12-01T14:00:00Z",
                    "content_sha256": _HASH,
                    "request_reference": None,
                    "ground": None,
                }
            ]
        }
    )

    purpose: Literal["prosecution", "court_disclosure"] = Field(
        default="prosecution",
        description="`prosecution`: the council, as prosecutor, serves its case on the court "
        "(DPA 2018 Part 3); `court_disclosure`: the court required it (an order or an "
        "enactment; name the ground and the court's reference).",
        examples=["prosecution"],
    )
    data_categories: list[DataCategory] = Field(
        min_length=1, max_length=len(DataCategory), examples=[["identity_contact", "attendance"]]
    )
    channel: ManualChannel = Field(default=ManualChannel.SECURE_EMAIL, examples=["secure_email"])
    disclosed_at: Timestamp = Field(examples=["2026-12-01T14:00:00Z"])
    content_sha256: Sha256Hex = Field(
        description="SHA-256 of exactly the bundle sent, as 64 lower-case hex digits."
    )
    request_reference: RequestReference | None = None
    ground: DisclosureGround | None = Field(default=None, examples=[None])


class ProsecutionFilters(Input):
    status: ProsecutionStatus | None = Field(default=None, examples=["preparing"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class ProsecutionRead(Output):
    """A prosecution of one parent for one child."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    case_id: uuid.UUID
    carer_id: uuid.UUID
    offence: Offence
    offence_from: date
    offence_to: date
    penalty_notice_id: uuid.UUID | None
    lay_by: date = Field(
        description="The last day the information may be laid (Magistrates' Courts Act 1980 "
        "s127: 6 months from the offence period's last day)."
    )
    lay_from: date = Field(
        description="The first day it may be laid: after the offence period, and after an "
        "unpaid penalty notice's payment period."
    )
    evidence: list[dict[str, Any]]
    witness_statement: dict[str, Any] | None
    status: ProsecutionStatus
    approved_by: str | None = Field(description="The manager who approved it, on the case.")
    approved_at: datetime | None
    laid_on: date | None
    court: str | None
    hearing_on: date | None
    disclosure_id: uuid.UUID | None = Field(
        description="The disclosure recording the bundle sent to HMCTS."
    )
    outcome: str | None
    concluded_on: date | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, prosecution: Prosecution, case: Case, lay_from: date) -> ProsecutionRead:
        return cls(
            id=prosecution.id,
            case_id=prosecution.case_id,
            carer_id=prosecution.carer_id,
            offence=prosecution.offence,
            offence_from=prosecution.offence_from,
            offence_to=prosecution.offence_to,
            penalty_notice_id=prosecution.penalty_notice_id,
            lay_by=prosecution.lay_by,
            lay_from=lay_from,
            evidence=prosecution.evidence,
            witness_statement=prosecution.witness_statement,
            status=prosecution.status,
            approved_by=case.prosecution_approved_by,
            approved_at=case.prosecution_approved_at,
            laid_on=prosecution.laid_on,
            court=prosecution.court,
            hearing_on=prosecution.hearing_on,
            disclosure_id=prosecution.disclosure_id,
            outcome=prosecution.outcome,
            concluded_on=prosecution.concluded_on,
            recorded_by=prosecution.recorded_by,
            created_at=prosecution.created_at,
            updated_at=prosecution.updated_at,
        )


class ProsecutionPage(Page[ProsecutionRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ], "next_cursor": None}]}
    )
