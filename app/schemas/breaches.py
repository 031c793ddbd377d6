"""Breach register shapes for the API: recording a personal data breach, its containment,
the decision to notify the Information Commissioner (UK GDPR Art 33) and the people affected
(Art 34), and its closure. What each shape means is described in ``docs/breaches.md``; the
deadline and the risk matrix are ``app.rules.breaches``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, StringConstraints, model_validator
from pydantic.config import JsonDict

from app.models.breaches import (
    AffectedRecordType,
    Art34Exception,
    BreachOutcome,
    BreachStatus,
    IcoDecision,
    IndividualsDecision,
    Likelihood,
    RiskLevel,
    Severity,
)
from app.models.sharing import DataCategory
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
    schema_examples,
)
from app.schemas.subject_requests import (
    LongReasons,
    QueuedMessageRead,
    Reasons,
    ResponseChannel,
    ShortText,
    ToldReasons,
)

#: The Information Commissioner's reference for a notified breach.
IcoReference = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9/-]*$"
    ),
]

# --- examples --------------------------------------------------------------------------------

#: The demo's breaches (``app.demo_breaches``): an open high-risk breach, and a contained one
#: with everyone told, ready to close.
EXAMPLE_BREACH_ID = "aac7d2fa-872f-581b-b00a-26cb36dc7928"
EXAMPLE_CONTAINED_BREACH_ID = "48d43f81-54e7-5081-804d-3fc081a663cd"
_PUPIL_ID = "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"
_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
_PUPIL_SUBJECT_ID = "0f1e2d3c-4b5a-5968-8776-a5b4c3d2e1f0"
_CARER_SUBJECT_ID = "1a2b3c4d-5e6f-5a7b-8c9d-0e1f2a3b4c5d"
_ACTION_ID = "e43c6bae-749c-5a43-9ec5-d0037b8d8c96"
_MESSAGE_ID = "6d1e2f3a-4b5c-4d7e-8f90-a1b2c3d4e5f6"
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"

_SUBJECTS: list[Any] = [
    {"record_type": "pupil", "record_id": _PUPIL_ID},
    {"record_type": "carer", "record_id": _CARER_ID},
]
_CREATE: JsonDict = {
    "aware_at": "2026-12-02T09:15:00+00:00",
    "occurred_at": "2026-12-01T16:40:00+00:00",
    "description": "An attendance officer emailed a spreadsheet of one school's persistent "
    "absentees, with notes on two pupils' health, to a parent instead of the school's "
    "attendance lead.",
    "data_categories": ["identity_contact", "attendance", "special_category_health"],
    "subjects": _SUBJECTS,
    "unidentified_count": 0,
    "likelihood": "likely",
    "severity": "significant",
    "risk_reasons": "Health information about named children reached a parent at the same "
    "school; it may be shared further, and the families may suffer distress.",
}
_PATCH: JsonDict = {"status": "contained", "unidentified_count": 3}
_CONTAINMENT: JsonDict = {
    "action": "Asked the recipient by telephone to delete the email and any copies; they "
    "confirmed in writing that they had.",
    "taken_at": "2026-12-02T11:05:00+00:00",
    "taken_by": "Attendance team leader, West Kent",
}
_ICO_NOTIFIED: JsonDict = {
    "decision": "notified",
    "notified_at": None,
    "ico_reference": "IC-384920-K7T2",
    "late_reasons": None,
}
_ICO_NOT_NOTIFIED: JsonDict = {
    "decision": "not_notified",
    "reasons": "The email was recalled unread within minutes and the recipient's mailbox is the "
    "council's own: unlikely to result in a risk to anyone.",
}
_TELL: JsonDict = {
    "decision": "told",
    "channel": None,
    "what_happened": "On 1 December a council email with your child's attendance and health "
    "details went to another parent by mistake.",
    "likely_consequences": "Someone outside the school may know of your child's absences and a "
    "health condition; they have confirmed that they deleted it.",
    "measures_taken": "The email was deleted; staff now check recipients before sending "
    "spreadsheets, which are password protected.",
}
_EXCEPTION: JsonDict = {
    "decision": "exception",
    "exception": "art_34_3_a",
    "reasons": "The laptop was encrypted to the council's standard and the key was not "
    "compromised.",
}
_CLOSURE: JsonDict = {
    "outcome": "confirmed",
    "summary": "The letter was retrieved unopened; the family and the ICO were told; the "
    "school's address record is corrected and staff are reminded to check addresses.",
}


# --- input -----------------------------------------------------------------------------------


class AffectedRecord(Input):
    """A person affected, by the record the council holds for them."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECTS[0]]})

    record_type: AffectedRecordType = Field(
        description="`pupil`, `carer`, or `person` (someone on a licence who is not a pupil).",
        examples=["pupil"],
    )
    record_id: uuid.UUID = Field(examples=[_PUPIL_ID])


def _unique_records(records: list[AffectedRecord] | None) -> None:
    if records is None:
        return
    keys = [(r.record_type, r.record_id) for r in records]
    if len(set(keys)) != len(keys):
        raise ValueError("subjects lists the same record twice")


def _occurred_before_aware(occurred_at: datetime | None, aware_at: datetime | None) -> None:
    if occurred_at is not None and aware_at is not None and occurred_at > aware_at:
        raise ValueError("occurred_at is after aware_at: a breach happens before it is known")


DataCategories = Annotated[list[DataCategory], Field(min_length=1, max_length=len(DataCategory))]


class BreachCreate(Input):
    """A suspected or confirmed personal data breach, recorded as soon as the council is aware
    of it (Art 33(5): every breach is documented). The Commissioner's deadline is 72 hours
    after `aware_at`."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    aware_at: Timestamp = Field(
        description="When the council became aware of the breach, with its UTC offset: not in "
        "the future. The 72 hours to tell the Commissioner run from here.",
        examples=["2026-12-02T09:15:00+00:00"],
    )
    occurred_at: Timestamp | None = Field(
        default=None,
        description="When the breach happened, if known: not after `aware_at`.",
        examples=["2026-12-01T16:40:00+00:00"],
    )
    description: LongReasons = Field(
        description="What happened.", examples=[_CREATE["description"]]
    )
    data_categories: DataCategories = Field(
        description="The categories of personal data affected.",
        examples=[["identity_contact", "attendance"]],
    )
    subjects: list[AffectedRecord] = Field(
        default_factory=list,
        max_length=1000,
        description="The people affected whom the council's records identify.",
        examples=[_SUBJECTS],
    )
    unidentified_count: int = Field(
        default=0,
        ge=0,
        le=10_000_000,
        description="People affected who cannot be identified in the council's records.",
        examples=[0],
    )
    likelihood: Likelihood | None = Field(
        default=None, description="How likely harm to the people affected is.", examples=["likely"]
    )
    severity: Severity | None = Field(
        default=None, description="How severe that harm would be.", examples=["significant"]
    )
    risk_reasons: LongReasons | None = Field(
        default=None,
        description="Why the likelihood and severity are what they are (required with them).",
        examples=[_CREATE["risk_reasons"]],
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _occurred_before_aware(self.occurred_at, self.aware_at)
        _unique_records(self.subjects)
        assessed = [self.likelihood is not None, self.severity is not None]
        if any(assessed) and not (all(assessed) and self.risk_reasons is not None):
            raise ValueError("a risk assessment gives likelihood, severity and risk_reasons")
        if len(set(self.data_categories)) != len(self.data_categories):
            raise ValueError("data_categories lists a category twice")
        return self


#: Fields of an amendment that may be set to null.
_NULLABLE_PATCH = frozenset({"occurred_at"})


class BreachPatch(Input):
    """An amendment to an open or contained breach (JSON merge patch): what is known as the
    investigation goes on, the risk assessment (`likelihood`, `severity` and `risk_reasons`
    together), the people affected (`subjects` replaces the list; people already told stay),
    and `status` `contained` once what leaked is recovered or stopped."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PATCH]})

    status: Literal[BreachStatus.OPEN, BreachStatus.CONTAINED] | None = Field(
        default=None,
        description="`open` or `contained` (a breach is closed through its closure).",
        examples=["contained"],
    )
    aware_at: Timestamp | None = Field(default=None, examples=["2026-12-02T09:15:00+00:00"])
    occurred_at: Timestamp | None = Field(default=None, examples=["2026-12-01T16:40:00+00:00"])
    description: LongReasons | None = Field(default=None, examples=[_CREATE["description"]])
    data_categories: DataCategories | None = Field(
        default=None, examples=[["identity_contact", "attendance"]]
    )
    subjects: list[AffectedRecord] | None = Field(
        default=None, max_length=1000, examples=[_SUBJECTS]
    )
    unidentified_count: int | None = Field(default=None, ge=0, le=10_000_000, examples=[3])
    likelihood: Likelihood | None = Field(default=None, examples=["likely"])
    severity: Severity | None = Field(default=None, examples=["significant"])
    risk_reasons: LongReasons | None = Field(default=None, examples=[_CREATE["risk_reasons"]])

    @model_validator(mode="before")
    @classmethod
    def _nulls_only_where_removable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = sorted(k for k, v in data.items() if v is None and k not in _NULLABLE_PATCH)
            if nulls:
                raise ValueError(f"these fields cannot be removed: {', '.join(nulls)}")
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        _unique_records(self.subjects)
        given = {"likelihood", "severity", "risk_reasons"} & self.model_fields_set
        if given and given != {"likelihood", "severity", "risk_reasons"}:
            raise ValueError("a risk assessment gives likelihood, severity and risk_reasons")
        if self.data_categories is not None and len(set(self.data_categories)) != len(
            self.data_categories
        ):
            raise ValueError("data_categories lists a category twice")
        return self

    def changes(self) -> dict[str, Any]:
        return dict(self.model_dump(exclude_unset=True))


class ContainmentActionCreate(Input):
    """Something done to contain the breach or limit its effects."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTAINMENT]})

    action: Reasons = Field(description="What was done.", examples=[_CONTAINMENT["action"]])
    taken_at: Timestamp = Field(
        description="When, with its UTC offset: not in the future.",
        examples=["2026-12-02T11:05:00+00:00"],
    )
    taken_by: ShortText = Field(
        description="Who did it (a name or a team).", examples=[_CONTAINMENT["taken_by"]]
    )


class IcoNotificationCreate(Input):
    """The decision on telling the Information Commissioner (UK GDPR Art 33(1)):
    `notified` (when, with the ICO's reference; `late_reasons` required when later than 72
    hours after awareness), or `not_notified` with the reasons the breach is unlikely to
    result in a risk (only where the assessed risk is `unlikely`)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ICO_NOTIFIED, _ICO_NOT_NOTIFIED]})

    decision: IcoDecision = Field(examples=["notified"])
    notified_at: Timestamp | None = Field(
        default=None,
        description="When the Commissioner was told (`notified` only): not before awareness, "
        "not in the future; left out, now.",
        examples=[None],
    )
    ico_reference: IcoReference | None = Field(
        default=None,
        description="The reference the ICO gave the report (`notified` only; required).",
        examples=["IC-384920-K7T2"],
    )
    late_reasons: LongReasons | None = Field(
        default=None,
        description="Why the Commissioner was told more than 72 hours after awareness "
        "(Art 33(1)); required then.",
        examples=[None],
    )
    reasons: LongReasons | None = Field(
        default=None,
        description="Why the breach is unlikely to result in a risk (`not_notified` only; "
        "required).",
        examples=[_ICO_NOT_NOTIFIED["reasons"]],
    )

    @model_validator(mode="after")
    def _fits_decision(self) -> Self:
        if self.decision is IcoDecision.NOTIFIED:
            if self.ico_reference is None:
                raise ValueError("a notification gives the ICO's reference (ico_reference)")
            if self.reasons is not None:
                raise ValueError("reasons are for a decision not to notify")
        else:
            if self.reasons is None:
                raise ValueError("a decision not to notify gives its reasons")
            if {"notified_at", "ico_reference", "late_reasons"} & {
                k for k in self.model_fields_set if getattr(self, k) is not None
            }:
                raise ValueError(
                    "notified_at, ico_reference and late_reasons are for a notification"
                )
        return self


class IndividualNotificationCreate(Input):
    """The decision on telling the people affected by a high-risk breach (UK GDPR Art 34):
    `told` queues a letter or email to each person affected whose contact details the council
    holds (`breach_notification`; each person once, however often this is sent), or
    `exception` records an Art 34(3) exception with its reasons."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TELL, _EXCEPTION]})

    decision: IndividualsDecision = Field(examples=["told"])
    channel: ResponseChannel | None = Field(
        default=None,
        description="Email or letter for everyone; left out, by email where an address is "
        "held, else by letter.",
        examples=[None],
    )
    what_happened: ToldReasons | None = Field(
        default=None,
        description="What happened, in plain language (sent verbatim; `told` only).",
        examples=[_TELL["what_happened"]],
    )
    likely_consequences: ToldReasons | None = Field(
        default=None,
        description="Its likely consequences for the person (sent verbatim; `told` only).",
        examples=[_TELL["likely_consequences"]],
    )
    measures_taken: ToldReasons | None = Field(
        default=None,
        description="What the council has done and will do (sent verbatim; `told` only).",
        examples=[_TELL["measures_taken"]],
    )
    exception: Art34Exception | None = Field(
        default=None,
        description="`art_34_3_a` (unintelligible: e.g. encrypted), `art_34_3_b` (the high risk "
        "is no longer likely), `art_34_3_c` (disproportionate effort: a public communication "
        "instead). `exception` only.",
        examples=["art_34_3_a"],
    )
    reasons: LongReasons | None = Field(
        default=None,
        description="Why the exception applies (`exception` only; required).",
        examples=[_EXCEPTION["reasons"]],
    )

    @model_validator(mode="after")
    def _fits_decision(self) -> Self:
        told = ("what_happened", "likely_consequences", "measures_taken")
        if self.decision is IndividualsDecision.TOLD:
            missing = [name for name in told if getattr(self, name) is None]
            if missing:
                raise ValueError(f"telling people needs {', '.join(missing)}")
            if self.exception is not None or self.reasons is not None:
                raise ValueError("exception and reasons are for an Art 34(3) exception")
        else:
            if self.exception is None or self.reasons is None:
                raise ValueError("an Art 34(3) exception gives exception and reasons")
            if self.channel is not None or any(getattr(self, name) is not None for name in told):
                raise ValueError("channel and the message fields are for telling people")
        return self


class BreachClosureCreate(Input):
    """Close the breach with its outcome. A confirmed breach closes once the decisions on
    telling the Commissioner and (for a high risk) the people affected are recorded."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CLOSURE]})

    outcome: BreachOutcome = Field(
        description="`confirmed` (a personal data breach, dealt with) or `not_a_breach`.",
        examples=["confirmed"],
    )
    summary: LongReasons = Field(
        description="What was found and done, and what changes to stop it happening again.",
        examples=[_CLOSURE["summary"]],
    )


@schema_examples("overdue")
class IcoDueFilter(StrEnum):
    """Breaches with no decision yet on telling the Commissioner: `overdue` (72 hours have
    passed) or `due_within_24_hours`."""

    OVERDUE = "overdue"
    DUE_WITHIN_24_HOURS = "due_within_24_hours"


class BreachFilters(Input):
    """Query parameters of ``GET /v1/breaches``."""

    status: BreachStatus | None = Field(default=None, examples=["open"])
    due: IcoDueFilter | None = Field(
        default=None,
        description="Breaches with no decision yet on telling the Commissioner: `overdue` "
        "(past `ico_deadline`) or `due_within_24_hours`.",
        examples=["due_within_24_hours"],
    )
    aware_from: Timestamp | None = Field(
        default=None,
        description="Became aware at or after this instant.",
        examples=["2026-11-01T00:00:00+00:00"],
    )
    aware_to: Timestamp | None = Field(
        default=None,
        description="Became aware at or before this instant.",
        examples=["2026-12-31T23:59:59+00:00"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.aware_from and self.aware_to and self.aware_to < self.aware_from:
            raise ValueError("aware_to is before aware_from")
        return self


# --- answers ---------------------------------------------------------------------------------

_SUBJECT_READ: JsonDict = {
    "record_type": "pupil",
    "record_id": _PUPIL_ID,
    "subject_id": _PUPIL_SUBJECT_ID,
    "told_at": None,
    "message_id": None,
}


class AffectedSubjectRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECT_READ]})

    record_type: AffectedRecordType
    record_id: uuid.UUID
    subject_id: uuid.UUID
    told_at: datetime | None = Field(description="When their letter or email was queued.")
    message_id: uuid.UUID | None


_ACTION_READ: JsonDict = {
    "id": _ACTION_ID,
    "action": _CONTAINMENT["action"],
    "taken_at": "2026-12-02T11:05:00Z",
    "taken_by": _CONTAINMENT["taken_by"],
    "recorded_by": "governance-1",
    "recorded_at": "2026-12-02T11:30:00Z",
}


class ContainmentActionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_ACTION_READ]})

    id: uuid.UUID
    action: str
    taken_at: datetime
    taken_by: str
    recorded_by: str
    recorded_at: datetime


_RISK_READ: JsonDict = {
    "likelihood": "likely",
    "severity": "significant",
    "risk": "high_risk",
    "reasons": _CREATE["risk_reasons"],
}


class RiskAssessmentRead(Output):
    """Likelihood and severity of harm, and the risk they amount to (ICO guidance)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RISK_READ]})

    likelihood: Likelihood
    severity: Severity
    risk: RiskLevel = Field(
        description="`unlikely` (unlikely to result in a risk: the Commissioner need not be "
        "told), `risk`, or `high_risk` (the people affected are told too, Art 34)."
    )
    reasons: str | None


_ICO_READ: JsonDict = {
    "deadline": "2026-12-05T09:15:00Z",
    "deadline_local": "2026-12-05T09:15:00+00:00",
    "overdue": False,
    "decision": None,
    "notified_at": None,
    "late": None,
    "ico_reference": None,
    "late_reasons": None,
    "reasons": None,
    "decided_by": None,
    "decided_at": None,
}


class IcoNotificationRead(Output):
    """The Commissioner's deadline and what was decided (UK GDPR Art 33)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ICO_READ]})

    deadline: datetime = Field(
        description="Exactly 72 hours after `aware_at`, as an instant (UTC): a change between "
        "GMT and BST does not move it."
    )
    deadline_local: datetime = Field(
        description="The same instant on the Europe/London clock, with its offset."
    )
    overdue: bool = Field(description="No decision yet, and the deadline has passed.")
    decision: IcoDecision | None
    notified_at: datetime | None
    late: bool | None = Field(description="Told after the deadline (`notified` only).")
    ico_reference: str | None
    late_reasons: str | None
    reasons: str | None = Field(description="Why it was not notified (`not_notified`).")
    decided_by: str | None
    decided_at: datetime | None


_INDIVIDUALS_READ: JsonDict = {
    "required": True,
    "decision": None,
    "told_at": None,
    "exception": None,
    "reasons": None,
    "decided_by": None,
}


class IndividualsNotificationRead(Output):
    """Telling the people affected (UK GDPR Art 34): required for a high risk."""

    model_config = ConfigDict(json_schema_extra={"examples": [_INDIVIDUALS_READ]})

    required: bool = Field(description="The assessed risk is high (Art 34(1)).")
    decision: IndividualsDecision | None
    told_at: datetime | None
    exception: Art34Exception | None
    reasons: str | None
    decided_by: str | None


_OUTCOME_READ: JsonDict = {
    "outcome": "confirmed",
    "summary": _CLOSURE["summary"],
    "closed_at": "2026-12-18T15:10:00Z",
    "closed_by": "governance-1",
}


class BreachOutcomeRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_OUTCOME_READ]})

    outcome: BreachOutcome
    summary: str | None
    closed_at: datetime | None
    closed_by: str | None


_READ: JsonDict = {
    "id": EXAMPLE_BREACH_ID,
    "reference": "BR-2026-0015",
    "status": "open",
    "aware_at": "2026-12-02T09:15:00Z",
    "occurred_at": "2026-12-01T16:40:00Z",
    "description": _CREATE["description"],
    "data_categories": ["identity_contact", "attendance", "special_category_health"],
    "subjects": [_SUBJECT_READ],
    "unidentified_count": 0,
    "risk_assessment": _RISK_READ,
    "ico_notification": _ICO_READ,
    "individuals": _INDIVIDUALS_READ,
    "containment_actions": [_ACTION_READ],
    "outcome": None,
    "messages": [],
    "not_contactable": [],
    "created_by": "governance-1",
    "created_at": "2026-12-02T09:40:00Z",
    "updated_at": "2026-12-02T11:30:00Z",
}


class BreachRead(Output):
    """A breach with the people affected, the risk, the deadlines and decisions on telling the
    Commissioner and the people affected, and what was done to contain it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    reference: str = Field(description="`BR-{year}-{number}`, numbered within the year.")
    status: BreachStatus
    aware_at: datetime
    occurred_at: datetime | None
    description: str
    data_categories: list[DataCategory]
    subjects: list[AffectedSubjectRead]
    unidentified_count: int
    risk_assessment: RiskAssessmentRead | None = Field(description="None until assessed.")
    ico_notification: IcoNotificationRead
    individuals: IndividualsNotificationRead
    containment_actions: list[ContainmentActionRead]
    outcome: BreachOutcomeRead | None
    messages: list[QueuedMessageRead] = Field(
        default_factory=list, description="Letters and emails this call queued."
    )
    not_contactable: list[uuid.UUID] = Field(
        default_factory=list,
        description="Records of people affected this call could not tell: no email or postal "
        "address is held for the channel (tell them another way, and record it).",
    )
    created_by: str
    created_at: datetime
    updated_at: datetime


_SUMMARY: JsonDict = {
    "id": EXAMPLE_BREACH_ID,
    "reference": "BR-2026-0015",
    "status": "open",
    "aware_at": "2026-12-02T09:15:00Z",
    "risk": "high_risk",
    "ico_deadline": "2026-12-05T09:15:00Z",
    "ico_deadline_local": "2026-12-05T09:15:00+00:00",
    "ico_decision": None,
    "ico_overdue": False,
    "subject_count": 2,
    "unidentified_count": 0,
}


class BreachSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    id: uuid.UUID
    reference: str
    status: BreachStatus
    aware_at: datetime
    risk: RiskLevel | None
    ico_deadline: datetime
    ico_deadline_local: datetime
    ico_decision: IcoDecision | None
    ico_overdue: bool
    subject_count: int = Field(description="People affected whom the records identify.")
    unidentified_count: int


class BreachPage(Page[BreachSummary]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SUMMARY], "next_cursor": _NEXT}]}
    )
