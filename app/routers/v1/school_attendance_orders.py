"""`/v1/cases`: School Attendance Orders on a case (Education Act 1996 s437-s443)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.models.cases import SchoolAttendanceOrder
from app.policies import Access
from app.policies.case_guard import CasePolicy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import (
    EXAMPLE_SAO_ORDER_ID,
    SaoCaseIdPath,
    SaoIntentionCaseIdPath,
    SaoIntentionOrderIdPath,
    SaoMadeOrderIdPath,
    SaoNewCaseIdPath,
    SaoOrderCaseIdPath,
)
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.school_attendance_orders import (
    SaoAmendment,
    SaoBreach,
    SaoFilters,
    SaoIntentionCreate,
    SaoNoticeCreate,
    SaoOrderCreate,
    SaoPage,
    SaoRead,
    SaoRevocation,
    SaoSatisfied,
)
from app.services import school_attendance_orders as orders
from app.services.school_attendance_orders import order_etag

router = APIRouter(prefix=f"{PREFIX}/cases", tags=["cases"], route_class=KpasRoute)

OrderIdPath = Annotated[
    uuid.UUID,
    Path(description="The School Attendance Order's id.", examples=[str(EXAMPLE_SAO_ORDER_ID)]),
]

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {
    404: problem_response("No such case, or no such order on it, that you may see.")
}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the order's current ETag."),
    428: problem_response("If-Match is missing."),
}
PATH = "/{case_id}/school-attendance-orders"
ONE = PATH + "/{order_id}"


def _respond(order: SchoolAttendanceOrder, response: Response) -> SaoRead:
    response.headers["ETag"] = order_etag(order)
    return SaoRead.of(order)


def _conflict(detail: str) -> Responses:
    return {**NOT_FOUND, **PRECONDITIONS, 409: problem_response(detail)}


@router.post(
    PATH,
    name="school_attendance_orders_create",
    summary="Serve a School Attendance Order notice",
    status_code=201,
    response_model=SaoRead,
    responses={
        404: problem_response("No case with that id that you may see."),
        409: problem_response(
            "The case is not a School Attendance Order case at the sao_notice stage, the "
            "parent has a process running already, or the Children's Wellbeing and Schools "
            "Act 2026 process applies (not yet supported)."
        ),
    },
)
async def serve_notice(
    access: Annotated[Access, CasePolicy("school_attendance_order", "create")],
    case_id: SaoNewCaseIdPath,
    body: SaoNoticeCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Serve the s437(1) notice on a parent of the case: they must satisfy the council, within
    at least 15 days beginning with the day of service, that the child is receiving suitable
    education. Queues the letter to the parent and writes the chronology.

    Attendance officers (their cases) and managers (their area teams), under
    `school_attendance_order` (the default): the case must be at the `sao_notice` stage. The
    regime is the one in force on the day of service; the Children's Wellbeing and Schools
    Act 2026 process, once commenced, is refused with 409 (not yet supported).
    """

    async def create() -> Created:
        order = await orders.serve_notice(
            session,
            access,
            case_id=case_id,
            data=body,
            commencement=settings.cwsa_2026_commencement,
            templates=settings.notify_templates,
        )
        return Created(
            SaoRead.of(order),
            location=f"/v1/cases/{case_id}/school-attendance-orders/{order.id}",
            etag=order_etag(order),
        )

    return await idempotency.run(access, body, create)


@router.get(
    PATH,
    name="school_attendance_orders_list",
    summary="List a case's School Attendance Orders",
    response_model=SaoPage,
    responses={404: problem_response("No case with that id that you may see.")},
)
async def list_orders(
    access: Annotated[Access, CasePolicy("school_attendance_order", "list")],
    case_id: SaoCaseIdPath,
    session: SessionDep,
    filters: Annotated[SaoFilters, Query()],
    paging: PagingDep,
) -> SaoPage:
    """The case's School Attendance Order processes, oldest first, optionally by status.

    Attendance officers (their cases), managers (their area teams) under
    `school_attendance_order`; information governance under a governance purpose.
    """
    items, next_cursor = await orders.list_orders(
        session,
        access,
        case_id=case_id,
        status=filters.status,
        page=paging.page(access, filters),
    )
    return SaoPage(items=[SaoRead.of(o) for o in items], next_cursor=next_cursor)


@router.get(
    ONE,
    name="school_attendance_orders_get",
    summary="Get a School Attendance Order",
    response_model=SaoRead,
    responses=NOT_FOUND,
)
async def get_order(
    access: Annotated[Access, CasePolicy("school_attendance_order", "read")],
    case_id: SaoCaseIdPath,
    order_id: OrderIdPath,
    session: SessionDep,
    response: Response,
) -> SaoRead:
    """One order process with its dates and the first day each next step may be taken, with
    its `ETag`. The same callers as the list."""
    order = await orders.get_order(session, access, case_id=case_id, order_id=order_id)
    return _respond(order, response)


async def _step(
    response: Response, step: Callable[[], Awaitable[SchoolAttendanceOrder]]
) -> SaoRead:
    return _respond(await step(), response)


@router.post(
    ONE + "/intention",
    name="school_attendance_orders_intention",
    summary="Serve a notice of intention naming a school",
    response_model=SaoRead,
    responses=_conflict(
        "The s437(1) notice's period has not ended, the order is past this step, or the case "
        "is not at the sao_notice stage."
    ),
)
async def serve_intention(
    access: Annotated[Access, CasePolicy("school_attendance_order", "update")],
    case_id: SaoCaseIdPath,
    order_id: OrderIdPath,
    body: SaoIntentionCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SaoRead:
    """Serve the notice of intention to make an order, naming the school (s437(3)-(4), s438):
    only once the s437(1) notice's period has ended. The parent then has 15 days beginning
    with its service to choose another school. Queues the letter; `If-Match` on the order.

    Attendance officers and managers, under `school_attendance_order`.
    """
    return await _step(
        response,
        lambda: orders.serve_intention(
            session,
            access,
            case_id=case_id,
            order_id=order_id,
            data=body,
            if_match=if_match,
            templates=settings.notify_templates,
        ),
    )


@router.post(
    ONE + "/order",
    name="school_attendance_orders_make",
    summary="Make a School Attendance Order",
    response_model=SaoRead,
    responses=_conflict(
        "The parent's period to choose a school has not ended, or the case is not at the "
        "sao_intention stage."
    ),
)
async def make_order(
    access: Annotated[Access, CasePolicy("school_attendance_order", "approve")],
    case_id: SaoIntentionCaseIdPath,
    order_id: SaoIntentionOrderIdPath,
    body: SaoOrderCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SaoRead:
    """Make and serve the order (s437(3)) once the parent's 15 days to choose have ended. It
    names the school the parent chose in time, else the school of the notice of intention.
    Queues the order letter; `If-Match` on the order.

    Attendance managers only (their area teams), under `school_attendance_order`: the order
    is a manager's decision and records them as its approver.
    """
    return await _step(
        response,
        lambda: orders.make_order(
            session,
            access,
            case_id=case_id,
            order_id=order_id,
            data=body,
            if_match=if_match,
            templates=settings.notify_templates,
        ),
    )


@router.post(
    ONE + "/amendment",
    name="school_attendance_orders_amend",
    summary="Amend the school a School Attendance Order names",
    response_model=SaoRead,
    responses=_conflict("The order is not in force."),
)
async def amend_order(
    access: Annotated[Access, CasePolicy("school_attendance_order", "update")],
    case_id: SaoOrderCaseIdPath,
    order_id: SaoMadeOrderIdPath,
    body: SaoAmendment,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SaoRead:
    """Name another school in an order in force (s440, at the parent's request); the amended
    order is sent to the parent. `If-Match` on the order. Attendance officers and managers,
    under `school_attendance_order`.
    """
    return await _step(
        response,
        lambda: orders.amend_order(
            session,
            access,
            case_id=case_id,
            order_id=order_id,
            data=body,
            if_match=if_match,
            templates=settings.notify_templates,
        ),
    )


@router.post(
    ONE + "/revocation",
    name="school_attendance_orders_revoke",
    summary="Revoke a School Attendance Order",
    response_model=SaoRead,
    responses=_conflict("No order has been made, or it is revoked already."),
)
async def revoke_order(
    access: Annotated[Access, CasePolicy("school_attendance_order", "update")],
    case_id: SaoOrderCaseIdPath,
    order_id: SaoMadeOrderIdPath,
    body: SaoRevocation,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SaoRead:
    """Revoke an order (s442), with the day and the reason (kept LA-internal). `If-Match` on
    the order. Attendance officers and managers, under `school_attendance_order`.
    """
    return await _step(
        response,
        lambda: orders.revoke_order(
            session, access, case_id=case_id, order_id=order_id, data=body, if_match=if_match
        ),
    )


@router.post(
    ONE + "/breach",
    name="school_attendance_orders_breach",
    summary="Record a breach of a School Attendance Order",
    response_model=SaoRead,
    responses=_conflict("The order is not in force."),
)
async def record_breach(
    access: Annotated[Access, CasePolicy("school_attendance_order", "update")],
    case_id: SaoOrderCaseIdPath,
    order_id: SaoMadeOrderIdPath,
    body: SaoBreach,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SaoRead:
    """Record that the parent failed to comply with the order: an offence under s443. The case
    may then move on to considering an education supervision order (s447) and a prosecution.
    `If-Match` on the order. Attendance officers and managers, under `school_attendance_order`.
    """
    return await _step(
        response,
        lambda: orders.record_breach(
            session, access, case_id=case_id, order_id=order_id, data=body, if_match=if_match
        ),
    )


@router.post(
    ONE + "/satisfied",
    name="school_attendance_orders_satisfied",
    summary="Record that the parent satisfied the council",
    response_model=SaoRead,
    responses=_conflict("The notice's period has ended, or the order is past this step."),
)
async def record_satisfied(
    access: Annotated[Access, CasePolicy("school_attendance_order", "update")],
    case_id: SaoCaseIdPath,
    order_id: OrderIdPath,
    body: SaoSatisfied,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SaoRead:
    """Record that the parent satisfied the council, within the s437(1) notice's period, that
    the child is receiving suitable education: no order follows. `If-Match` on the order.
    Attendance officers and managers, under `school_attendance_order`.
    """
    return await _step(
        response,
        lambda: orders.record_satisfied(
            session, access, case_id=case_id, order_id=order_id, data=body, if_match=if_match
        ),
    )
