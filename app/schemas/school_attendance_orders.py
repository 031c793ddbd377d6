"""School Attendance Order shapes for the API (Education Act 1996 s437-s443).

Each step takes the day it happened (or, for a notice, the day it is served): the periods the
Act gives are counted from those days by ``app.rules.school_attendance_orders``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.cases import SaoRegime, SaoStatus, SchoolAttendanceOrder
from app.rules.school_attendance_orders import earliest_order_date
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
from app.schemas.schools import URN

_ORDER_ID = "5b8f3a52-3c1e-4d7a-9b0e-2f4c6a8d1e37"
_CASE_ID = "9f3e5227-e179-58bb-8f63-d4be6defc373"
_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
#: The parent on the demo School Attendance Order case with no notice served yet.
_NEW_CARER_ID = "de02a877-5fcc-5b4b-987c-a55b94d7e9ad"
_READ: JsonDict = {
    "id": _ORDER_ID,
    "case_id": _CASE_ID,
    "carer_id": _CARER_ID,
    "regime": "education_act_1996",
    "status": "intention_served",
    "notice_served_on": "2026-11-02",
    "notice_deadline": "2026-11-16",
    "intention_from": "2026-11-17",
    "intention_served_on": "2026-11-18",
    "intention_school_urn": 990028,
    "intention_deadline": "2026-12-02",
    "order_from": "2026-12-03",
    "parent_chosen_school_urn": None,
    "order_made_on": None,
    "order_school_urn": None,
    "approved_by": None,
    "amended_on": None,
    "revoked_on": None,
    "revocation_reason": None,
    "breached_on": None,
    "recorded_by": "attendance-officer-2",
    "created_at": "2026-11-02T09:14:00Z",
    "updated_at": "2026-11-18T10:02:00Z",
}


class SaoNoticeCreate(Input):
    """The s437(1) notice: the parent must satisfy the council, within the period it gives,
    that the child is receiving suitable education."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"carer_id": _NEW_CARER_ID, "served_on": "2026-11-02", "satisfy_by": "2026-11-16"}
            ]
        }
    )

    carer_id: uuid.UUID = Field(
        description="The parent it is served on: a party to the case with parental responsibility.",
        examples=[_CARER_ID],
    )
    served_on: CalendarDate = Field(
        description="The day the notice is served (by post: the day it is taken to be "
        "delivered). Day 1 of the period.",
        examples=["2026-11-02"],
    )
    satisfy_by: CalendarDate | None = Field(
        default=None,
        description="The last day of the period the notice gives: at least 15 days beginning "
        "with the day of service (s437(2)), so no earlier than `served_on` + 14. Leave out for "
        "exactly that.",
        examples=["2026-11-16"],
    )


class SaoIntentionCreate(Input):
    """The notice of intention to serve an order, naming the school (s437(3)-(4), s438)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"served_on": "2026-11-18", "school_urn": 990028}]}
    )

    served_on: CalendarDate = Field(
        description="The day it is served: after the s437(1) notice's period has ended.",
        examples=["2026-11-18"],
    )
    school_urn: URN = Field(description="The school the council intends to name.")


class ParentChoice(Input):
    """A school the parent chose in answer to the notice of intention (s438(4)-(5))."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"school_urn": 990028, "chosen_on": "2026-11-25"}]}
    )

    school_urn: URN
    chosen_on: CalendarDate = Field(
        description="When the council received the parent's choice. It counts only within the "
        "15 days beginning with the notice of intention's service.",
        examples=["2026-11-25"],
    )


class SaoOrderCreate(Input):
    """Make the order (s437(3)): a manager's decision."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"made_on": "2026-11-02", "parent_choice": None},
                {
                    "made_on": "2026-12-03",
                    "parent_choice": {"school_urn": 990028, "chosen_on": "2026-11-25"},
                },
            ]
        }
    )

    made_on: CalendarDate = Field(
        description="The day the order is made and served: after the parent's 15 days to "
        "choose another school.",
        examples=["2026-12-03"],
    )
    parent_choice: ParentChoice | None = Field(
        default=None,
        description="The school the parent chose, if they did: named in the order when chosen "
        "in time, else the school of the notice of intention is.",
    )


class SaoRevocation(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "revoked_on": "2026-11-30",
                    "reason": "Parent showed suitable education is now provided otherwise.",
                }
            ]
        }
    )

    revoked_on: CalendarDate = Field(examples=["2026-11-30"])
    reason: Annotated[str, bounded(500), PRINTABLE] = Field(
        description="Why the order is revoked (s442): LA-internal, never sent to a school.",
        examples=["Parent showed suitable education is now provided otherwise."],
    )


class SaoAmendment(Input):
    """Name another school in the order (s440, at the parent's request)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"school_urn": 990002, "amended_on": "2026-11-23"}]}
    )

    school_urn: URN
    amended_on: CalendarDate = Field(examples=["2026-11-23"])


class SaoBreach(Input):
    """The parent failed to comply with the order: an offence under s443."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"breached_on": "2026-11-27"}]})

    breached_on: CalendarDate = Field(
        description="The day the failure to comply was established.", examples=["2026-11-27"]
    )


class SaoSatisfied(Input):
    """The parent satisfied the council within the notice's period: no order follows."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"satisfied_on": "2026-10-01"}]})

    satisfied_on: CalendarDate = Field(examples=["2026-10-01"])


class SaoFilters(Input):
    """Query parameters of the list."""

    status: SaoStatus | None = Field(default=None, examples=["order_made"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class SaoRead(Output):
    """One School Attendance Order process for one parent and child."""

    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    case_id: uuid.UUID
    carer_id: uuid.UUID
    regime: SaoRegime = Field(
        description="The process it runs under, by the day its first notice was served."
    )
    status: SaoStatus
    notice_served_on: date
    notice_deadline: date = Field(description="The last day of the s437(1) notice's period.")
    intention_from: date = Field(
        description="The first day the notice of intention may be served (the notice's period "
        "has ended)."
    )
    intention_served_on: date | None
    intention_school_urn: int | None
    intention_deadline: date | None = Field(
        description="The last day of the parent's 15 days to choose another school (s438)."
    )
    order_from: date | None = Field(description="The first day the order may be made.")
    parent_chosen_school_urn: int | None
    order_made_on: date | None
    order_school_urn: int | None = Field(description="The school the order names now.")
    approved_by: str | None = Field(description="The manager who made the order.")
    amended_on: date | None
    revoked_on: date | None
    revocation_reason: str | None
    breached_on: date | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: SchoolAttendanceOrder) -> SaoRead:
        return cls(
            id=order.id,
            case_id=order.case_id,
            carer_id=order.carer_id,
            regime=order.regime,
            status=order.status,
            notice_served_on=order.notice_served_on,
            notice_deadline=order.notice_deadline,
            intention_from=order.notice_deadline + timedelta(days=1),
            intention_served_on=order.intention_served_on,
            intention_school_urn=order.intention_school_urn,
            intention_deadline=order.intention_deadline,
            order_from=(
                earliest_order_date(order.intention_served_on)
                if order.intention_served_on is not None
                else None
            ),
            parent_chosen_school_urn=order.parent_chosen_school_urn,
            order_made_on=order.order_made_on,
            order_school_urn=order.order_school_urn,
            approved_by=order.approved_by,
            amended_on=order.amended_on,
            revoked_on=order.revoked_on,
            revocation_reason=order.revocation_reason,
            breached_on=order.breached_on,
            recorded_by=order.recorded_by,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )


class SaoPage(Page[SaoRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ], "next_cursor": None}]}
    )
