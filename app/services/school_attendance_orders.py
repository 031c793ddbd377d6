"""School Attendance Orders (Education Act 1996 s437-s443): the s437(1) notice, the notice of
intention naming a school, the order, and what follows it (amendment, revocation, breach).

Each step is taken on a School Attendance Order case at the stage that uses it, under the
``school_attendance_order`` purpose (which reaches the case's people only while it is at such
a stage: purpose binding). Periods are counted by ``app.rules.school_attendance_orders``; a
step refused by the Act is a 409 naming the section. Serving a notice queues its letter to the
parent through the Notify outbox and writes the chronology, in the request's transaction.

The Children's Wellbeing and Schools Act 2026 replaces this process from a commencement date
(``KPAS_CWSA_2026_COMMENCEMENT``); a process that would begin under it is refused: its
registers and school nomination notices are not built yet, and running the 1996 process in
its place would be unlawful.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.cases import (
    Case,
    CaseEventKind,
    CaseParty,
    CaseStage,
    CaseType,
    SaoRegime,
    SaoStatus,
    SchoolAttendanceOrder,
)
from app.models.schools import School, SchoolStatus
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.repositories.school_attendance_orders import SchoolAttendanceOrderRepository
from app.repositories.schools import SchoolRepository
from app.rules import school_attendance_orders as rules
from app.rules.school_attendance_orders import Regime
from app.schemas.school_attendance_orders import (
    SaoAmendment,
    SaoBreach,
    SaoIntentionCreate,
    SaoNoticeCreate,
    SaoOrderCreate,
    SaoRevocation,
    SaoSatisfied,
)
from app.services.case_letters import queue_case_message
from app.services.cases import add_event, load_case, require_open
from app.services.concurrency import IfMatch, etag_for

#: The rules module names the regimes in full; the order row stores its own short codes.
REGIME_OF: Mapping[Regime, SaoRegime] = {
    Regime.EDUCATION_ACT_1996: SaoRegime.EDUCATION_ACT_1996,
    Regime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026: (
        SaoRegime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026
    ),
}

S437_1 = "Education Act 1996 s437(1)-(2)"
S437_3 = "Education Act 1996 s437(3)-(4), s438"
S438 = "Education Act 1996 s438"


def order_etag(order: SchoolAttendanceOrder) -> str:
    return etag_for(order.id, order.version, order.created_at)


# --- loading ------------------------------------------------------------------------------


async def _case(
    session: AsyncSession, access: Access, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    case = await load_case(session, access, case_id, for_update=for_update)
    if case.case_type is not CaseType.SCHOOL_ATTENDANCE_ORDER:
        raise Conflict(
            "School Attendance Orders are made on School Attendance Order cases only.",
            extra={"case_type": case.case_type.value},
        )
    return case


async def _order(
    session: AsyncSession,
    access: Access,
    case: Case,
    order_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> SchoolAttendanceOrder:
    order = await SchoolAttendanceOrderRepository(session).get(
        case.id, order_id, for_update=for_update
    )
    if order is None:
        raise access.not_found(order_id, "No School Attendance Order with that id on this case.")
    access.touched(subject_ids=[_party(case, order.carer_id).subject_id], resource_id=order.id)
    return order


def _party(case: Case, carer_id: uuid.UUID) -> CaseParty:
    party = next((p for p in case.parties if p.carer_id == carer_id), None)
    if party is None:  # an order names a party of its case
        raise ValueError(f"carer {carer_id} is not a party to case {case.id}")
    return party


async def get_order(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, order_id: uuid.UUID
) -> SchoolAttendanceOrder:
    # Reads take any case: another type of case simply has no orders.
    case = await load_case(session, access, case_id)
    return await _order(session, access, case, order_id)


async def list_orders(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    status: SaoStatus | None,
    page: PageRequest,
) -> tuple[list[SchoolAttendanceOrder], str | None]:
    case = await load_case(session, access, case_id)
    return await SchoolAttendanceOrderRepository(session).page(case.id, page, status=status)


# --- checks -------------------------------------------------------------------------------


def _require_stage(case: Case, stages: frozenset[CaseStage], step: str) -> None:
    if case.stage not in stages:
        names = ", ".join(sorted(s.value for s in stages))
        raise Conflict(
            f"The case is at {case.stage}; {step} only at {names} (the support-first ladder).",
            extra={"stage": case.stage.value, "required_stages": sorted(s.value for s in stages)},
        )


def _require_status(
    order: SchoolAttendanceOrder, statuses: tuple[SaoStatus, ...], step: str
) -> None:
    if order.status not in statuses:
        raise Conflict(
            f"The order is {order.status}; {step} only when it is "
            + " or ".join(s.value for s in statuses)
            + ".",
            extra={"status": order.status.value},
        )


def _not_in_future(access: Access, day: date, pointer: str) -> None:
    if day > access.today:
        raise ValidationFailed(
            "The date cannot be in the future.",
            errors=[body_problem(pointer, "after today", "in_future")],
        )


def _not_before(day: date, earliest: date, pointer: str, what: str) -> None:
    if day < earliest:
        raise ValidationFailed(
            f"The date cannot be before {what} ({earliest.isoformat()}).",
            errors=[body_problem(pointer, f"before {what}", "too_early")],
        )


async def _school(session: AsyncSession, urn: int, pointer: str) -> School:
    school = await SchoolRepository(session).get(urn)
    if school is None:
        raise ValidationFailed(
            "No school has this URN.",
            errors=[body_problem(pointer, "no school has this URN", "unknown_school")],
        )
    if school.status is SchoolStatus.CLOSED:
        raise ValidationFailed(
            "An order cannot name a closed school.",
            errors=[body_problem(pointer, "the school is closed", "school_closed")],
        )
    return school


def _regime(served_on: date, commencement: date | None) -> SaoRegime:
    regime = rules.regime_on(served_on, commencement)
    if regime is Regime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026:
        assert commencement is not None  # regime_on gives 2026 only with a date
        raise Conflict(
            "The Children's Wellbeing and Schools Act 2026 School Attendance Order process "
            f"applies to a notice served on or after {commencement.isoformat()} (its "
            "commencement), and is not yet supported here; the Education Act 1996 process "
            "cannot be run in its place.",
            extra={
                "rule": "cwsa_2026_commenced",
                "source": "Children's Wellbeing and Schools Act 2026; Education Act 1996 "
                "ss436A-436M as inserted",
                "commencement": commencement.isoformat(),
            },
        )
    return REGIME_OF[regime]


# --- letters and chronology ---------------------------------------------------------------


async def _pupil_name(session: AsyncSession, case: Case) -> str:
    pupil = await PupilRepository(session).get(case.pupil_id)
    if pupil is None:  # a case names its pupil (foreign key)
        raise ValueError(f"case {case.id} names no pupil")
    forename = pupil.preferred_forename or pupil.legal_forename
    return f"{forename} {pupil.legal_surname}"


async def _letter(
    session: AsyncSession,
    access: Access,
    case: Case,
    order: SchoolAttendanceOrder,
    message_type: str,
    fields: dict[str, Any],
    templates: Mapping[str, uuid.UUID],
) -> uuid.UUID:
    personalisation = {
        "pupil_name": await _pupil_name(session, case),
        "case_reference": case.reference,
        **fields,
    }
    message = await queue_case_message(
        session,
        access,
        case,
        carer_id=order.carer_id,
        message_type=message_type,
        personalisation=personalisation,
        template_ids=templates,
    )
    return message.id


def _record(
    session: AsyncSession,
    access: Access,
    case: Case,
    order: SchoolAttendanceOrder,
    step: str,
    details: dict[str, str | int | None],
    *,
    text: str | None = None,
) -> None:
    add_event(
        session,
        case,
        CaseEventKind.SCHOOL_ATTENDANCE_ORDER,
        by=access.principal.subject,
        now=access.now,
        text=text,
        details={"order_id": str(order.id), "step": step, **details},
    )
    access.record_change(
        f"school_attendance_order.{step}",
        resource_id=order.id,
        subject_id=_party(case, order.carer_id).subject_id,
        details={"case_id": str(case.id), **details},
    )


# --- the steps ----------------------------------------------------------------------------


async def serve_notice(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    data: SaoNoticeCreate,
    commencement: date | None,
    templates: Mapping[str, uuid.UUID],
) -> SchoolAttendanceOrder:
    """Serve the s437(1) notice on a parent of the case: a new order process for them, under
    the regime in force on the day of service."""
    case = await _case(session, access, case_id, for_update=True)
    require_open(case)
    _require_stage(case, frozenset({CaseStage.SAO_NOTICE}), "the s437(1) notice is served")
    party = next(
        (p for p in case.parties if p.carer_id == data.carer_id and p.removed_at is None), None
    )
    if party is None or not party.parental_responsibility:
        raise ValidationFailed(
            "The notice is served on a parent: a party to the case with parental responsibility.",
            errors=[body_problem("/carer_id", "not a parent on this case", "not_a_parent")],
        )
    _not_before(data.served_on, case.opened_on, "/served_on", "the case opened")
    regime = _regime(data.served_on, commencement)
    earliest = rules.earliest_satisfy_deadline(data.served_on)
    deadline = data.satisfy_by or earliest
    if not rules.satisfy_period_is_lawful(data.served_on, deadline):
        raise ValidationFailed(
            f"The notice must give at least {rules.SATISFY_NOTICE_MIN_DAYS} days beginning "
            f"with the day of service ({S437_1}): the earliest last day is "
            f"{earliest.isoformat()}.",
            errors=[
                body_problem(
                    "/satisfy_by",
                    f"earlier than {earliest.isoformat()} ({S437_1})",
                    "notice_period_too_short",
                )
            ],
        )
    orders = SchoolAttendanceOrderRepository(session)
    running = await orders.live_for(case.id, data.carer_id)
    if running is not None:
        raise Conflict(
            "This parent already has a School Attendance Order process running on the case.",
            extra={"order_id": str(running.id), "status": running.status.value},
        )
    order = SchoolAttendanceOrder(
        id=uuid.uuid4(),
        case_id=case.id,
        carer_id=data.carer_id,
        regime=regime,
        status=SaoStatus.NOTICE_SERVED,
        notice_served_on=data.served_on,
        notice_deadline=deadline,
        recorded_by=access.principal.subject,
    )
    orders.add(order)
    await session.flush()
    message_id = await _letter(
        session, access, case, order, "sao_notice", {"satisfy_by": deadline.isoformat()}, templates
    )
    case.next_action_on = deadline + timedelta(days=1)
    case.next_action = "Decide whether the parent satisfied the council (s437(3))"
    _record(
        session,
        access,
        case,
        order,
        "notice_served",
        {
            "carer_id": str(order.carer_id),
            "regime": regime.value,
            "served_on": data.served_on.isoformat(),
            "deadline": deadline.isoformat(),
            "message_id": str(message_id),
        },
    )
    await session.flush()
    return order


async def record_satisfied(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoSatisfied,
    if_match: IfMatch,
) -> SchoolAttendanceOrder:
    """The parent satisfied the council within the notice's period (s437(1)): no order."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_status(order, (SaoStatus.NOTICE_SERVED,), "the parent can satisfy the notice")
    _not_in_future(access, data.satisfied_on, "/satisfied_on")
    _not_before(data.satisfied_on, order.notice_served_on, "/satisfied_on", "the notice's service")
    if data.satisfied_on > order.notice_deadline:
        raise Conflict(
            f"The notice's period ended on {order.notice_deadline.isoformat()}: the parent "
            f"must satisfy the council within it ({S437_1}); serve a new notice instead.",
            extra={"rule": "within_notice_period", "source": S437_1},
        )
    order.status = SaoStatus.SATISFIED
    case.next_action_on = None
    case.next_action = None
    _record(
        session,
        access,
        case,
        order,
        "satisfied",
        {"satisfied_on": data.satisfied_on.isoformat()},
    )
    await session.flush()
    return order


async def serve_intention(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoIntentionCreate,
    if_match: IfMatch,
    templates: Mapping[str, uuid.UUID],
) -> SchoolAttendanceOrder:
    """Serve the notice of intention naming a school (s437(3)-(4), s438), once the s437(1)
    notice's period has ended without the parent satisfying the council."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_stage(case, frozenset({CaseStage.SAO_NOTICE}), "the notice of intention is served")
    _require_status(order, (SaoStatus.NOTICE_SERVED,), "the notice of intention is served")
    opens = order.notice_deadline + timedelta(days=1)
    if access.today < opens or data.served_on < opens:
        raise Conflict(
            f"The s437(1) notice's period runs to {order.notice_deadline.isoformat()}: the "
            f"notice of intention may be served from {opens.isoformat()} ({S437_3}).",
            extra={
                "rule": "sao_notice_period_over",
                "source": S437_3,
                "earliest": opens.isoformat(),
            },
        )
    school = await _school(session, data.school_urn, "/school_urn")
    deadline = rules.choice_of_school_ends(data.served_on)
    order.status = SaoStatus.INTENTION_SERVED
    order.intention_served_on = data.served_on
    order.intention_school_urn = school.urn
    order.intention_deadline = deadline
    await session.flush()
    message_id = await _letter(
        session,
        access,
        case,
        order,
        "sao_intention",
        {"school_name": school.name, "choose_by": deadline.isoformat()},
        templates,
    )
    case.next_action_on = rules.earliest_order_date(data.served_on)
    case.next_action = "Make the School Attendance Order (s437(3))"
    _record(
        session,
        access,
        case,
        order,
        "intention_served",
        {
            "served_on": data.served_on.isoformat(),
            "school_urn": school.urn,
            "choose_by": deadline.isoformat(),
            "message_id": str(message_id),
        },
    )
    await session.flush()
    return order


async def make_order(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoOrderCreate,
    if_match: IfMatch,
    templates: Mapping[str, uuid.UUID],
) -> SchoolAttendanceOrder:
    """Make the order (s437(3)) once the parent's 15 days to choose have ended, naming the
    school the parent chose in time, else the school of the notice of intention (s438)."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_stage(case, frozenset({CaseStage.SAO_INTENTION}), "the order is made")
    _require_status(order, (SaoStatus.INTENTION_SERVED,), "the order is made")
    assert order.intention_served_on is not None and order.intention_deadline is not None
    assert order.intention_school_urn is not None
    opens = rules.earliest_order_date(order.intention_served_on)
    if access.today < opens or data.made_on < opens:
        raise Conflict(
            f"The parent may choose another school until {order.intention_deadline.isoformat()}"
            f": the order may be made from {opens.isoformat()} ({S438}).",
            extra={
                "rule": "sao_intention_period_over",
                "source": S438,
                "earliest": opens.isoformat(),
            },
        )
    _not_in_future(access, data.made_on, "/made_on")
    urn = order.intention_school_urn
    details: dict[str, str | int | None] = {"made_on": data.made_on.isoformat()}
    choice = data.parent_choice
    if choice is not None:
        chosen = await _school(session, choice.school_urn, "/parent_choice/school_urn")
        _not_before(
            choice.chosen_on,
            order.intention_served_on,
            "/parent_choice/chosen_on",
            "the notice of intention's service",
        )
        in_time = choice.chosen_on <= order.intention_deadline
        details["parent_choice_in_time"] = "yes" if in_time else "no"
        if in_time:
            order.parent_chosen_school_urn = chosen.urn
            urn = chosen.urn
    school = await _school(session, urn, "/parent_choice/school_urn")
    order.status = SaoStatus.ORDER_MADE
    order.order_made_on = data.made_on
    order.order_school_urn = school.urn
    order.approved_by = access.principal.subject
    await session.flush()
    message_id = await _letter(
        session,
        access,
        case,
        order,
        "sao_order",
        {"school_name": school.name, "order_date": data.made_on.isoformat()},
        templates,
    )
    case.next_action_on = None
    case.next_action = None
    details.update({"school_urn": school.urn, "message_id": str(message_id)})
    _record(session, access, case, order, "order_made", details)
    await session.flush()
    return order


async def amend_order(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoAmendment,
    if_match: IfMatch,
    templates: Mapping[str, uuid.UUID],
) -> SchoolAttendanceOrder:
    """Name another school in the order (s440, at the parent's request): the amended order is
    sent to the parent."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_status(order, (SaoStatus.ORDER_MADE,), "the order is amended")
    assert order.order_made_on is not None
    _not_in_future(access, data.amended_on, "/amended_on")
    _not_before(data.amended_on, order.order_made_on, "/amended_on", "the order was made")
    if data.school_urn == order.order_school_urn:
        raise ValidationFailed(
            "The order names this school already.",
            errors=[body_problem("/school_urn", "the order names it already", "unchanged")],
        )
    school = await _school(session, data.school_urn, "/school_urn")
    before = order.order_school_urn
    order.order_school_urn = school.urn
    order.amended_on = data.amended_on
    await session.flush()
    message_id = await _letter(
        session,
        access,
        case,
        order,
        "sao_order",
        {"school_name": school.name, "order_date": data.amended_on.isoformat()},
        templates,
    )
    _record(
        session,
        access,
        case,
        order,
        "amended",
        {
            "amended_on": data.amended_on.isoformat(),
            "from_school_urn": before,
            "school_urn": school.urn,
            "message_id": str(message_id),
        },
    )
    await session.flush()
    return order


async def revoke_order(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoRevocation,
    if_match: IfMatch,
) -> SchoolAttendanceOrder:
    """Revoke the order (s442): it no longer binds the parent."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_status(order, (SaoStatus.ORDER_MADE, SaoStatus.BREACHED), "the order is revoked")
    assert order.order_made_on is not None
    _not_in_future(access, data.revoked_on, "/revoked_on")
    _not_before(data.revoked_on, order.order_made_on, "/revoked_on", "the order was made")
    order.status = SaoStatus.REVOKED
    order.revoked_on = data.revoked_on
    order.revocation_reason = data.reason
    _record(
        session,
        access,
        case,
        order,
        "revoked",
        {"revoked_on": data.revoked_on.isoformat()},
        text=data.reason,
    )
    await session.flush()
    return order


async def record_breach(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    order_id: uuid.UUID,
    data: SaoBreach,
    if_match: IfMatch,
) -> SchoolAttendanceOrder:
    """The parent failed to comply with the order: an offence under s443, prosecuted (after
    considering an education supervision order, s447) as a prosecution on the case."""
    case = await _case(session, access, case_id, for_update=True)
    order = await _order(session, access, case, order_id, for_update=True)
    if_match.require(order_etag(order))
    require_open(case)
    _require_status(order, (SaoStatus.ORDER_MADE,), "a breach is recorded")
    assert order.order_made_on is not None
    _not_in_future(access, data.breached_on, "/breached_on")
    _not_before(data.breached_on, order.order_made_on, "/breached_on", "the order was made")
    order.status = SaoStatus.BREACHED
    order.breached_on = data.breached_on
    case.next_action_on = access.today
    case.next_action = "Consider an education supervision order (s447) before prosecuting (s443)"
    _record(session, access, case, order, "breached", {"breached_on": data.breached_on.isoformat()})
    await session.flush()
    return order
