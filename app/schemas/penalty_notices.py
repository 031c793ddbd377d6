"""Notice to improve and penalty notice shapes for the API.

A penalty notice's response shows every date the rules computed (receipt, the reduced-rate and
payment-period last days, the first day proceedings may be brought) with the rule behind each,
and where the notice stands today.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.cases import (
    NoticeGround,
    NoticeToImproveStatus,
    PenaltyNoticeStatus,
    ServiceMethod,
)
from app.rules.notices_to_improve import IMPROVEMENT_WEEKS_MAX, IMPROVEMENT_WEEKS_MIN
from app.rules.penalty_notices import PaymentStatus, Tier
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
)
from app.services.penalty_notices import NoticeToImproveView, PenaltyNoticeView

_CASE_ID = "e410e17f-7d82-58b1-bbfd-d6224c017a2b"
_PUPIL_ID = "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"
_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
#: The parent on the demo case at support with no notice yet, and the enforcement case's.
_SUPPORT_CARER_ID = "88965730-3ff4-588e-99d1-9407375ce898"
_ENFORCEMENT_CARER_ID = "8252a1d3-103b-5e50-a89f-5140f12269f1"
_NOTICE_ID = "3f2b8c1e-5d4a-4e7b-9c6f-1a2b3c4d5e6f"
_MESSAGE_ID = "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f"
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"

WithdrawalReason = Annotated[str, bounded(500), PRINTABLE]

# --- notices to improve --------------------------------------------------------------------

_NTI_CREATE: JsonDict = {"carer_id": _SUPPORT_CARER_ID, "improvement_weeks": 4}
_NTI: JsonDict = {
    "id": _NOTICE_ID,
    "case_id": _CASE_ID,
    "carer_id": _CARER_ID,
    "issued_on": "2026-11-02",
    "improvement_weeks": 4,
    "period_ends_on": "2026-11-30",
    "period_rule": "4 weeks from the issue date (the period is 3 to 6 weeks): DfE, Working "
    "together to improve school attendance (2024): national framework",
    "status": "issued",
    "outcome_on": None,
    "message_id": _MESSAGE_ID,
    "recorded_by": "demo-officer",
    "created_at": "2026-11-02T10:15:00Z",
    "updated_at": "2026-11-02T10:15:00Z",
}


class NoticeToImproveCreate(Input):
    """Issue a notice to improve to a parent on the case (its letter is queued with it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NTI_CREATE]})

    carer_id: uuid.UUID = Field(
        description="A parent on the case with parental responsibility for the pupil.",
        examples=[_CARER_ID],
    )
    improvement_weeks: int = Field(
        ge=IMPROVEMENT_WEEKS_MIN,
        le=IMPROVEMENT_WEEKS_MAX,
        description="The improvement period in whole weeks: 3 to 6 (DfE national framework, 2024).",
        examples=[4],
    )
    issued_on: CalendarDate | None = Field(
        default=None,
        description="The issue date: today if left out; not in the future, not before the "
        "case opened.",
        examples=["2026-11-02"],
    )


class NoticeToImproveOutcome(Input):
    """How the improvement period went."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"outcome": "improved", "outcome_on": "2026-12-01"}]}
    )

    outcome: Literal["improved", "not_improved", "withdrawn"] = Field(
        description="`not_improved` only once the improvement period has ended (the day after "
        "`period_ends_on`).",
        examples=["improved"],
    )
    outcome_on: CalendarDate | None = Field(
        default=None,
        description="When it was decided: today if left out; not before the issue date.",
        examples=["2026-12-01"],
    )


class NoticeToImproveRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_NTI]})

    id: uuid.UUID = Field(examples=[_NOTICE_ID])
    case_id: uuid.UUID = Field(examples=[_CASE_ID])
    carer_id: uuid.UUID = Field(description="The parent it was issued to.", examples=[_CARER_ID])
    issued_on: date = Field(examples=["2026-11-02"])
    improvement_weeks: int = Field(examples=[4])
    period_ends_on: date = Field(
        description="The last day of the improvement period (the issue date plus the weeks).",
        examples=["2026-11-30"],
    )
    period_rule: str = Field(
        description="How the period was computed, and its source.", examples=[_NTI["period_rule"]]
    )
    status: NoticeToImproveStatus = Field(examples=["issued"])
    outcome_on: date | None = Field(examples=[None])
    message_id: uuid.UUID | None = Field(
        description="The letter queued to the parent (the Notify outbox).", examples=[_MESSAGE_ID]
    )
    recorded_by: str = Field(examples=["demo-officer"])
    created_at: datetime = Field(examples=["2026-11-02T10:15:00Z"])
    updated_at: datetime = Field(examples=["2026-11-02T10:15:00Z"])

    @classmethod
    def of(cls, view: NoticeToImproveView) -> NoticeToImproveRead:
        n = view.notice
        return cls(
            id=n.id,
            case_id=n.case_id,
            carer_id=n.carer_id,
            issued_on=n.issued_on,
            improvement_weeks=n.improvement_weeks,
            period_ends_on=n.period_ends_on,
            period_rule=view.period_rule,
            status=n.status,
            outcome_on=n.outcome_on,
            message_id=n.message_id,
            recorded_by=n.recorded_by,
            created_at=n.created_at,
            updated_at=n.updated_at,
        )


class NoticeToImprovePage(Page[NoticeToImproveRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_NTI], "next_cursor": None}]}
    )


class NoticeFilters(Input):
    """Query parameters of a case's notice lists."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- penalty notices -----------------------------------------------------------------------

_PN_CREATE: JsonDict = {
    "carer_id": _ENFORCEMENT_CARER_ID,
    "ground": "term_time_holiday",
    "offence_from": "2026-11-16",
    "offence_to": "2026-11-20",
    "issued_on": "2026-11-30",
    "service_method": "first_class_post",
    "served_on": "2026-11-30",
}
_PN: JsonDict = {
    "id": _NOTICE_ID,
    "reference": "PN-2026-7KQ2M9XD",
    "case_id": _CASE_ID,
    "pupil_id": _PUPIL_ID,
    "carer_id": _CARER_ID,
    "alert_id": None,
    "ground": "irregular_attendance",
    "offence_from": "2026-09-08",
    "offence_to": "2026-11-13",
    "tier": "first",
    "tier_rule": "No notice to this parent for this child counts in the 3 years ending with "
    "the issue date (withdrawn notices do not count): £80 within 21 days of receipt, else £160 "
    "within 28 days.",
    "issued_on": "2026-11-20",
    "service_method": "first_class_post",
    "served_on": "2026-11-20",
    "received_on": "2026-11-24",
    "received_rule": "Posted first class: taken as received on the 2nd working day (England "
    "and Wales) after posting.",
    "reduced_amount_pence": 8000,
    "reduced_due_on": "2026-12-14",
    "reduced_due_rule": "£80 if paid within the 21 days beginning with the day of receipt "
    "(that day is day 1).",
    "full_amount_pence": 16000,
    "full_due_on": "2026-12-21",
    "full_due_rule": "£160 within the 28 days beginning with the day of receipt (that day is "
    "day 1).",
    "proceedings_not_before": "2026-12-22",
    "proceedings_rule": "No proceedings for the offence before the payment period has ended: "
    "Education Act 1996 s444A.",
    "approved_by": "demo-manager",
    "status": "issued",
    "status_today": "payable_at_reduced_rate",
    "paid_on": None,
    "paid_amount_pence": None,
    "withdrawn_on": None,
    "withdrawal_reason": None,
    "message_id": _MESSAGE_ID,
    "recorded_by": "demo-manager",
    "created_at": "2026-11-20T09:30:00Z",
    "updated_at": "2026-11-20T09:30:00Z",
}


class PenaltyNoticeCreate(Input):
    """Issue a penalty notice to one parent for the case's pupil."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PN_CREATE]})

    carer_id: uuid.UUID = Field(
        description="A parent on the case with parental responsibility (a notice is per "
        "parent, per child).",
        examples=[_CARER_ID],
    )
    ground: NoticeGround = Field(examples=["irregular_attendance"])
    offence_from: CalendarDate = Field(
        description="The first day of the offence period.", examples=["2026-09-08"]
    )
    offence_to: CalendarDate = Field(
        description="The last day of the offence period: not before `offence_from`, not after "
        "the issue date.",
        examples=["2026-11-13"],
    )
    issued_on: CalendarDate | None = Field(
        default=None,
        description="The issue date: today if left out; not in the future, not before the "
        "case opened.",
        examples=["2026-11-20"],
    )
    service_method: ServiceMethod = Field(
        description="`hand`: received the day served; `first_class_post`: taken as received "
        "on the second working day after posting.",
        examples=["first_class_post"],
    )
    served_on: CalendarDate | None = Field(
        default=None,
        description="The day it was handed over or posted: the issue date if left out; not "
        "before it, not in the future.",
        examples=["2026-11-20"],
    )
    alert_id: uuid.UUID | None = Field(
        default=None,
        description="The pupil's penalty-threshold alert the notice follows, if any.",
        examples=[None],
    )


class PenaltyNoticePayment(Input):
    """A payment the parent made."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"paid_on": "2026-10-30", "amount_pence": 8000}]}
    )

    paid_on: CalendarDate = Field(
        description="The day it was paid: not in the future, not before the notice was served.",
        examples=["2026-10-30"],
    )
    amount_pence: int = Field(
        ge=1,
        description="Exactly what is due on that day: £80 (8000) to the 21st day counting "
        "receipt as day 1 on a first notice, else £160 (16000) to the 28th day.",
        examples=[8000],
    )


class PenaltyNoticeWithdrawal(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "withdrawn_on": "2026-11-02",
                    "reason": "Issued to a parent who did not live with the child in the "
                    "offence period",
                }
            ]
        }
    )

    withdrawn_on: CalendarDate = Field(
        description="Not in the future, not before the issue date.", examples=["2026-11-02"]
    )
    reason: WithdrawalReason = Field(
        description="Why (recorded on the notice; not in the audit trail).",
        examples=["Issued in error: the absence was authorised"],
    )


class PenaltyNoticeRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_PN]})

    id: uuid.UUID = Field(examples=[_NOTICE_ID])
    reference: str = Field(
        description="The notice number printed on it.", examples=["PN-2026-7KQ2M9XD"]
    )
    case_id: uuid.UUID = Field(examples=[_CASE_ID])
    pupil_id: uuid.UUID = Field(examples=[_PUPIL_ID])
    carer_id: uuid.UUID = Field(description="The parent it was issued to.", examples=[_CARER_ID])
    alert_id: uuid.UUID | None = Field(examples=[None])
    ground: NoticeGround = Field(examples=["irregular_attendance"])
    offence_from: date = Field(examples=["2026-09-08"])
    offence_to: date = Field(examples=["2026-11-13"])
    tier: Tier = Field(
        description="`first` (£80 / £160) or `second` within 3 years (£160 flat).",
        examples=["first"],
    )
    tier_rule: str = Field(examples=[_PN["tier_rule"]])
    issued_on: date = Field(examples=["2026-11-20"])
    service_method: ServiceMethod = Field(examples=["first_class_post"])
    served_on: date = Field(examples=["2026-11-20"])
    received_on: date = Field(
        description="When the parent is taken to have received it.", examples=["2026-11-24"]
    )
    received_rule: str = Field(examples=[_PN["received_rule"]])
    reduced_amount_pence: int | None = Field(
        description="Null on a second notice (no reduced rate).", examples=[8000]
    )
    reduced_due_on: date | None = Field(
        description="The last day of the reduced rate.", examples=["2026-12-14"]
    )
    reduced_due_rule: str | None = Field(examples=[_PN["reduced_due_rule"]])
    full_amount_pence: int = Field(examples=[16000])
    full_due_on: date = Field(
        description="The last day of the payment period.", examples=["2026-12-21"]
    )
    full_due_rule: str = Field(examples=[_PN["full_due_rule"]])
    proceedings_not_before: date = Field(
        description="The first day proceedings for the offence may be brought if unpaid.",
        examples=["2026-12-22"],
    )
    proceedings_rule: str = Field(examples=[_PN["proceedings_rule"]])
    approved_by: str = Field(
        description="The attendance manager who approved and issued it.",
        examples=["demo-manager"],
    )
    status: PenaltyNoticeStatus = Field(
        description="What was recorded: `issued`, `paid` or `withdrawn`.", examples=["issued"]
    )
    status_today: PaymentStatus = Field(
        description="Where it stands today: `payable_at_reduced_rate`, `payable_at_full_rate`, "
        "`paid`, `withdrawn`, or `prosecute_or_withdraw` (unpaid after the payment period).",
        examples=["payable_at_reduced_rate"],
    )
    paid_on: date | None = Field(examples=[None])
    paid_amount_pence: int | None = Field(examples=[None])
    withdrawn_on: date | None = Field(examples=[None])
    withdrawal_reason: str | None = Field(examples=[None])
    message_id: uuid.UUID | None = Field(
        description="The letter queued to the parent (the Notify outbox).", examples=[_MESSAGE_ID]
    )
    recorded_by: str = Field(examples=["demo-manager"])
    created_at: datetime = Field(examples=["2026-11-20T09:30:00Z"])
    updated_at: datetime = Field(examples=["2026-11-20T09:30:00Z"])

    @classmethod
    def of(cls, view: PenaltyNoticeView) -> PenaltyNoticeRead:
        n = view.notice
        return cls(
            id=n.id,
            reference=n.reference,
            case_id=n.case_id,
            pupil_id=n.pupil_id,
            carer_id=n.carer_id,
            alert_id=n.alert_id,
            ground=n.ground,
            offence_from=n.offence_from,
            offence_to=n.offence_to,
            tier=view.tier,
            tier_rule=view.tier_rule,
            issued_on=n.issued_on,
            service_method=n.service_method,
            served_on=n.served_on,
            received_on=n.received_on,
            received_rule=view.received_rule,
            reduced_amount_pence=n.reduced_amount_pence,
            reduced_due_on=n.reduced_due_on,
            reduced_due_rule=view.reduced_due_rule,
            full_amount_pence=n.full_amount_pence,
            full_due_on=n.full_due_on,
            full_due_rule=view.full_due_rule,
            proceedings_not_before=view.proceedings_not_before,
            proceedings_rule=view.proceedings_rule,
            approved_by=n.approved_by,
            status=n.status,
            status_today=view.status_today,
            paid_on=n.paid_on,
            paid_amount_pence=n.paid_amount_pence,
            withdrawn_on=n.withdrawn_on,
            withdrawal_reason=n.withdrawal_reason,
            message_id=n.message_id,
            recorded_by=n.recorded_by,
            created_at=n.created_at,
            updated_at=n.updated_at,
        )


class PenaltyNoticePage(Page[PenaltyNoticeRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PN], "next_cursor": None}]}
    )
