"""Case shapes for the API: a case, its parties, the steps open to it, and the requests that
open, move, assign and change it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from app.models.cases import (
    Case,
    CaseOutcome,
    CaseParty,
    CaseStage,
    CaseType,
    EsoDecision,
    NoticeGround,
    ReferralSource,
)
from app.models.people import RelationshipType
from app.rules.casework import Step
from app.rules.kent import District
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    MergePatch,
    Output,
    Page,
    bounded,
)
from app.schemas.schools import URN

_CASE_ID = "b966f900-0144-5d32-bdc0-7ca9cb8f412b"
_PUPIL_ID = "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"
_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"

#: A token subject: who an officer is, as the council's identity provider names them.
OfficerSubject = Annotated[str, bounded(255), PRINTABLE]
OfficerText = Annotated[str, StringConstraints(min_length=1, max_length=2000), PRINTABLE]
ShortText = Annotated[str, bounded(200), PRINTABLE]

_PARTY: JsonDict = {
    "carer_id": _CARER_ID,
    "relationship_type": "mother",
    "parental_responsibility": True,
    "added_at": "2026-11-02T10:15:00Z",
}
_GUARD: JsonDict = {
    "code": "notice_to_improve_issued",
    "rule": "a notice to improve is issued on the case",
    "source": "DfE, Working together to improve school attendance (2024)",
}
_STEP: JsonDict = {"to": "notice_to_improve", "allowed": False, "unmet": [_GUARD]}
_SUMMARY: JsonDict = {
    "id": _CASE_ID,
    "reference": "KPAS-2026-HQ7M2XRT",
    "case_type": "attendance",
    "purpose": "attendance_duty",
    "pupil_id": _PUPIL_ID,
    "school_urn": 990028,
    "district": "canterbury",
    "area_team": "east",
    "stage": "support",
    "assigned_officer": "officer-1",
    "referral_source": "alert",
    "opened_on": "2026-11-02",
    "next_action_on": "2026-12-10",
    "next_action": "Attendance meeting at school",
    "overdue": False,
    "closed_at": None,
    "outcome": None,
}
_CASE: JsonDict = {
    **_SUMMARY,
    "purposes": ["attendance_duty"],
    "assigned_at": "2026-11-02T10:15:00Z",
    "referred_by": "manager-1",
    "referral": None,
    "alert_id": None,
    "eso": None,
    "prosecution_approved_by": None,
    "prosecution_approved_at": None,
    "outcome_summary": None,
    "parties": [_PARTY],
    "next_steps": [
        {"to": "attendance_contract", "allowed": False, "unmet": [_GUARD]},
        _STEP,
        {
            "to": "penalty_notice",
            "allowed": False,
            "unmet": [
                {
                    "code": "notice_to_improve_failed",
                    "rule": "a notice to improve's improvement period has ended without "
                    "improvement, unless the ground is a term-time holiday",
                    "source": "DfE, Working together to improve school attendance (2024)",
                }
            ],
        },
    ],
    "created_at": "2026-11-02T10:15:00Z",
    "updated_at": "2026-11-20T14:02:11Z",
}


class CaseFilters(Input):
    """Query parameters of ``GET /v1/cases``."""

    mine: bool = Field(default=False, description="Only cases assigned to you.", examples=[True])
    unassigned: bool = Field(
        default=False,
        description="Only cases assigned to nobody: your area teams' triage queue.",
        examples=[False],
    )
    stage: CaseStage | None = Field(default=None, examples=["support"])
    case_type: CaseType | None = Field(default=None, examples=["attendance"])
    school_urn: URN | None = Field(default=None, examples=[990028])
    district: District | None = Field(default=None, examples=["canterbury"])
    pupil_id: uuid.UUID | None = Field(default=None, examples=[_PUPIL_ID])
    overdue: bool = Field(
        default=False,
        description="Only open cases whose next action was due before today.",
        examples=[False],
    )
    include_closed: bool = Field(
        default=False, description="Closed cases too (left out by default).", examples=[False]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class PartyRead(Output):
    """A parent or carer the case involves."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PARTY]})

    carer_id: uuid.UUID
    relationship_type: RelationshipType
    parental_responsibility: bool = Field(
        description="Penalty notices and prosecutions are only for parents with it."
    )
    added_at: datetime

    @classmethod
    def of(cls, party: CaseParty) -> PartyRead:
        return cls(
            carer_id=party.carer_id,
            relationship_type=party.relationship_type,
            parental_responsibility=party.parental_responsibility,
            added_at=party.added_at,
        )


class GuardRead(Output):
    """A condition the law, the guidance or council practice sets on a step."""

    model_config = ConfigDict(json_schema_extra={"examples": [_GUARD]})

    code: str = Field(description="Stable code of the guard.")
    rule: str = Field(description="What must hold.")
    source: str = Field(description="Where the rule comes from.")


class StepRead(Output):
    """A stage the case may move to next, and what still stops it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_STEP]})

    to: CaseStage
    allowed: bool
    unmet: list[GuardRead]

    @classmethod
    def of(cls, step: Step) -> StepRead:
        return cls(
            to=step.to,
            allowed=step.allowed,
            unmet=[GuardRead(code=g.code, rule=g.rule, source=g.source) for g in step.unmet],
        )


class EsoRead(Output):
    """Education Act 1996 s447: the education supervision order, considered."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "not_appropriate",
                    "considered_on": "2026-11-30",
                    "reason": "Parents engaging; an order would add nothing to the support "
                    "already in place.",
                    "recorded_by": "officer-1",
                }
            ]
        }
    )

    decision: EsoDecision
    considered_on: date
    reason: str
    recorded_by: str


class CaseSummary(Output):
    """A case in a list."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: uuid.UUID
    reference: str = Field(description="The case's reference, to quote on letters and calls.")
    case_type: CaseType
    purpose: str = Field(description="The purpose the case serves; routes on it default to it.")
    pupil_id: uuid.UUID
    school_urn: int
    district: str
    area_team: str
    stage: CaseStage
    assigned_officer: str | None = Field(description="Null: in the area team's triage queue.")
    referral_source: ReferralSource
    opened_on: date
    next_action_on: date | None
    next_action: str | None
    overdue: bool = Field(description="Open, and the next action was due before today.")
    closed_at: datetime | None
    outcome: CaseOutcome | None

    @classmethod
    def fields_of(cls, case: Case, today: date) -> dict[str, Any]:
        return {
            "id": case.id,
            "reference": case.reference,
            "case_type": case.case_type,
            "purpose": case.purpose,
            "pupil_id": case.pupil_id,
            "school_urn": case.school_urn,
            "district": case.district,
            "area_team": case.area_team,
            "stage": case.stage,
            "assigned_officer": case.assigned_officer,
            "referral_source": case.referral_source,
            "opened_on": case.opened_on,
            "next_action_on": case.next_action_on,
            "next_action": case.next_action,
            "overdue": case.closed_at is None
            and case.next_action_on is not None
            and case.next_action_on < today,
            "closed_at": case.closed_at,
            "outcome": case.outcome,
        }

    @classmethod
    def of(cls, case: Case, today: date) -> CaseSummary:
        return cls(**cls.fields_of(case, today))


class CasePage(Page[CaseSummary]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": _NEXT}]}
    )


class CaseRead(CaseSummary):
    """A case: who it is about, where it is on the ladder, and the steps open to it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CASE]})

    purposes: list[str] = Field(
        description="The purposes the case serves now: its own, and those its stage binds its "
        "people to (`prosecution` from the penalty notice stage; `school_attendance_order` "
        "through the order's stages)."
    )
    assigned_at: datetime | None
    referred_by: str = Field(description="Who referred or opened the case (a token subject).")
    referral: dict[str, Any] | None = Field(
        description="The referring school's reason and evidence, as the school sent them."
    )
    alert_id: uuid.UUID | None = Field(description="The attendance alert the case came from.")
    eso: EsoRead | None
    prosecution_approved_by: str | None
    prosecution_approved_at: datetime | None
    outcome_summary: str | None
    parties: list[PartyRead]
    next_steps: list[StepRead] = Field(
        description="Every stage the case may go to from here, each with the guards that still "
        "stop it. Closing is always open, with an outcome."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_case(
        cls, case: Case, *, today: date, purposes: list[str], steps: tuple[Step, ...]
    ) -> CaseRead:
        eso = (
            EsoRead(
                decision=case.eso_decision,
                considered_on=case.eso_considered_on,
                reason=case.eso_reason or "",
                recorded_by=case.eso_recorded_by or "",
            )
            if case.eso_decision is not None and case.eso_considered_on is not None
            else None
        )
        return cls(
            **CaseSummary.fields_of(case, today),
            purposes=purposes,
            assigned_at=case.assigned_at,
            referred_by=case.referred_by,
            referral=case.referral,
            alert_id=case.alert_id,
            eso=eso,
            prosecution_approved_by=case.prosecution_approved_by,
            prosecution_approved_at=case.prosecution_approved_at,
            outcome_summary=case.outcome_summary,
            parties=[PartyRead.of(p) for p in case.parties if p.removed_at is None],
            next_steps=[StepRead.of(s) for s in steps],
            created_at=case.created_at,
            updated_at=case.updated_at,
        )


class CaseCreate(Input):
    """Open a case: from an attendance alert (its pupil and school), or for a pupil you may
    see (attendance managers)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_type": "attendance",
                    "pupil_id": "7017d9f3-ad3a-5dc1-8acd-1c52189db9b9",
                    "school_urn": 990028,
                    "carer_ids": ["08339a43-1a44-5216-802d-e9c5a88cdd00"],
                    "next_action_on": "2026-12-10",
                    "next_action": "Call the school's attendance lead",
                }
            ]
        }
    )

    case_type: CaseType = Field(examples=["attendance"])
    alert_id: uuid.UUID | None = Field(
        default=None,
        description="Open the case from this attendance alert: the pupil and school are the "
        "alert's.",
        examples=["2f0e6c2a-9d8b-5c7e-8a41-0b6f3e2d1c09"],
    )
    pupil_id: uuid.UUID | None = Field(
        default=None,
        description="Without an alert: the pupil (attendance managers, for pupils they may see).",
        examples=[_PUPIL_ID],
    )
    school_urn: URN | None = Field(
        default=None,
        description="Without an alert: the school the case is about (for attendance and "
        "exclusion-support cases, one the pupil is or was on the roll of).",
        examples=[990028],
    )
    carer_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=10,
        description="The pupil's carers the case involves.",
        examples=[[_CARER_ID]],
    )
    assigned_officer: OfficerSubject | None = Field(
        default=None,
        description="Assign at once (managers anyone; an officer only themselves). Leave out "
        "for the area team's triage queue.",
        examples=["officer-1"],
    )
    next_action_on: date | None = Field(default=None, examples=["2026-12-10"])
    next_action: ShortText | None = Field(default=None, examples=["Call the school"])


class CaseUpdate(MergePatch):
    """Change a case's next action (a JSON merge patch)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"next_action_on": "2026-12-17", "next_action": "Review attendance after meeting"}
            ]
        }
    )

    next_action_on: date | None = Field(default=None, examples=["2026-12-17"])
    next_action: ShortText | None = Field(default=None, examples=["Review attendance"])


class EsoConsideration(Input):
    """Education Act 1996 s447: the council considered applying for an education supervision
    order before prosecuting."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "decision": "not_appropriate",
                    "considered_on": "2026-11-30",
                    "reason": "Parents engaging with support; an order would add nothing.",
                }
            ]
        }
    )

    decision: EsoDecision = Field(examples=["not_appropriate"])
    considered_on: date = Field(examples=["2026-11-30"])
    reason: OfficerText = Field(examples=["Parents engaging with support."])


class TransitionCreate(Input):
    """Move a case to another stage of its ladder, or close it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "to": "notice_to_improve",
                    "note": "Notice to improve issued to Evie Tillbrook on 2 November.",
                }
            ]
        }
    )

    to: CaseStage = Field(examples=["support"])
    ground: NoticeGround | None = Field(
        default=None,
        description="Moving to `penalty_notice`: the ground. A term-time holiday needs no "
        "notice to improve first.",
        examples=["term_time_holiday"],
    )
    eso: EsoConsideration | None = Field(
        default=None, description="Moving to `eso_considered`: the consideration (required)."
    )
    outcome: CaseOutcome | None = Field(
        default=None,
        description="Closing: the outcome (required).",
        examples=["attendance_improved"],
    )
    outcome_summary: Annotated[str, bounded(500), PRINTABLE] | None = Field(
        default=None,
        description="Closing: what the referring school is told with the outcome. No "
        "council-internal detail.",
        examples=["Attendance has improved to 96% over the last half term."],
    )
    note: OfficerText | None = Field(
        default=None,
        description="Why, for the chronology.",
        examples=["Contract agreed at the meeting today."],
    )


class AssignmentUpdate(Input):
    """Assign a case to an officer, or return it to the area team's triage queue (null)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"officer": "officer-2"}]})

    officer: OfficerSubject | None = Field(examples=["officer-2"])


class AssignmentRead(Output):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"officer": "officer-1", "assigned_at": "2026-11-02T10:15:00Z"}]
        }
    )

    officer: str | None
    assigned_at: datetime | None


#: The second parent of the demo enforcement case's pupil, not yet on the case.
_SECOND_PARENT_ID = "685542b0-52b6-5219-9162-5775f9d2ff45"


class PartyCreate(Input):
    """Involve one of the pupil's carers in the case."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"carer_id": _SECOND_PARENT_ID}]})

    carer_id: uuid.UUID = Field(examples=[_SECOND_PARENT_ID])
