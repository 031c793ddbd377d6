"""`/v1/cases`: Prosecutions on a case (Education Act 1996 s443, s444; DPA 2018 Part 3)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.policies import Access
from app.policies.case_guard import CasePolicy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import (
    EXAMPLE_PROSECUTION_ID,
    ApprovedCaseIdPath,
    ApprovedProsecutionIdPath,
    CourtCaseIdPath,
    LaidProsecutionIdPath,
    ProsecutionCaseIdPath,
    ProsecutionNewCaseIdPath,
)
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.prosecutions import (
    CourtDisclosure,
    ProsecutionApproval,
    ProsecutionCreate,
    ProsecutionFilters,
    ProsecutionLaying,
    ProsecutionOutcome,
    ProsecutionPage,
    ProsecutionRead,
    ProsecutionUpdate,
)
from app.services import prosecutions
from app.services.prosecutions import ProsecutionView, prosecution_etag

router = APIRouter(prefix=f"{PREFIX}/cases", tags=["cases"], route_class=KpasRoute)

ProsecutionIdPath = Annotated[
    uuid.UUID, Path(description="The prosecution's id.", examples=[str(EXAMPLE_PROSECUTION_ID)])
]

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {
    404: problem_response("No such case, or no such prosecution on it, that you may see.")
}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the prosecution's current ETag."),
    428: problem_response("If-Match is missing."),
}
PATH = "/{case_id}/prosecutions"
ONE = PATH + "/{prosecution_id}"


def _read(view: ProsecutionView) -> ProsecutionRead:
    return ProsecutionRead.of(view.prosecution, view.case, view.window.earliest)


def _respond(view: ProsecutionView, response: Response) -> ProsecutionRead:
    response.headers["ETag"] = prosecution_etag(view.prosecution)
    return _read(view)


async def _step(
    response: Response, step: Callable[[], Awaitable[ProsecutionView]]
) -> ProsecutionRead:
    return _respond(await step(), response)


def _conflict(detail: str) -> Responses:
    return {**NOT_FOUND, **PRECONDITIONS, 409: problem_response(detail)}


@router.post(
    PATH,
    name="prosecutions_create",
    summary="Prepare a prosecution",
    status_code=201,
    response_model=ProsecutionRead,
    responses={
        404: problem_response("No case with that id that you may see."),
        409: problem_response(
            "The case is not at the prosecution_preparation stage, the parent has a "
            "prosecution running, no breach of an order is recorded (s443), or the time to lay "
            "the information has passed (Magistrates' Courts Act 1980 s127)."
        ),
    },
)
async def prepare(
    access: Annotated[Access, CasePolicy("prosecution", "create")],
    case_id: ProsecutionNewCaseIdPath,
    body: ProsecutionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Prepare the prosecution of a parent of the case: the offence (s444(1) or s444(1A) on an
    attendance case, s443 on a School Attendance Order case after a breach), its period, any
    unpaid penalty notice for it, the evidence list and the witness statement's data. Returns
    `lay_by`, the last day the information may be laid (6 months from the offence period's
    last day), and `lay_from`.

    Attendance officers (their cases) and managers (their area teams), at the
    `prosecution_preparation` stage (so after an education supervision order was considered,
    s447). Under `prosecution` (the default; DPA 2018 Part 3): every decision is logged with
    the case's id (DPA 2018 s62).
    """

    async def create() -> Created:
        view = await prosecutions.prepare(session, access, case_id=case_id, data=body)
        return Created(
            _read(view),
            location=f"/v1/cases/{case_id}/prosecutions/{view.prosecution.id}",
            etag=prosecution_etag(view.prosecution),
        )

    return await idempotency.run(access, body, create)


@router.get(
    PATH,
    name="prosecutions_list",
    summary="List a case's prosecutions",
    response_model=ProsecutionPage,
    responses={404: problem_response("No case with that id that you may see.")},
)
async def list_prosecutions(
    access: Annotated[Access, CasePolicy("prosecution", "list")],
    case_id: ProsecutionCaseIdPath,
    session: SessionDep,
    filters: Annotated[ProsecutionFilters, Query()],
    paging: PagingDep,
) -> ProsecutionPage:
    """The case's prosecutions, oldest first, optionally by status. Attendance officers (their
    cases), managers (their area teams); information governance under a governance purpose.
    Under `prosecution` by default: the case is reachable only at the enforcement stages, and
    every read is logged with the case's id (DPA 2018 s62)."""
    items, next_cursor = await prosecutions.list_prosecutions(
        session,
        access,
        case_id=case_id,
        status=filters.status,
        page=paging.page(access, filters),
    )
    return ProsecutionPage(items=[_read(v) for v in items], next_cursor=next_cursor)


@router.get(
    ONE,
    name="prosecutions_get",
    summary="Get a prosecution",
    response_model=ProsecutionRead,
    responses=NOT_FOUND,
)
async def get_prosecution(
    access: Annotated[Access, CasePolicy("prosecution", "read")],
    case_id: ProsecutionCaseIdPath,
    prosecution_id: ProsecutionIdPath,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """One prosecution, with its `ETag`. The same callers and purpose as the list; every
    read is logged with the case's id (DPA 2018 s62)."""
    view = await prosecutions.get_prosecution(
        session, access, case_id=case_id, prosecution_id=prosecution_id
    )
    return _respond(view, response)


@router.patch(
    ONE,
    name="prosecutions_update",
    summary="Update a prosecution's evidence or statement",
    response_model=ProsecutionRead,
    responses=_conflict("The information has been laid, or the prosecution has ended."),
)
async def update_prosecution(
    access: Annotated[Access, CasePolicy("prosecution", "update")],
    case_id: ProsecutionCaseIdPath,
    prosecution_id: ProsecutionIdPath,
    body: ProsecutionUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """Replace the evidence list or the witness statement's data (a JSON merge patch) while the
    prosecution is being prepared, with `If-Match`. A change after a manager's approval
    withdraws it: the manager approves the evidence as it stands. Attendance officers and
    managers, under `prosecution`."""
    return await _step(
        response,
        lambda: prosecutions.update(
            session,
            access,
            case_id=case_id,
            prosecution_id=prosecution_id,
            changes=body,
            if_match=if_match,
        ),
    )


@router.post(
    ONE + "/approval",
    name="prosecutions_approve",
    summary="Approve a prosecution",
    response_model=ProsecutionRead,
    responses=_conflict(
        "The case is not at the prosecution_preparation stage, the evidence list is empty, or "
        "the time to lay has passed."
    ),
)
async def approve(
    access: Annotated[Access, CasePolicy("prosecution", "approve")],
    case_id: ProsecutionCaseIdPath,
    prosecution_id: ProsecutionIdPath,
    body: ProsecutionApproval,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """Approve the prosecution on the evidence list as it stands: recorded on the case
    (`approved_by`, `approved_at`) and its chronology; the case may then move to the
    `prosecution` stage. Attendance managers only (their area teams), under `prosecution`,
    with `If-Match`."""
    return await _step(
        response,
        lambda: prosecutions.approve(
            session,
            access,
            case_id=case_id,
            prosecution_id=prosecution_id,
            data=body,
            if_match=if_match,
        ),
    )


@router.post(
    ONE + "/laying",
    name="prosecutions_lay",
    summary="Record the laying of the information",
    response_model=ProsecutionRead,
    responses=_conflict(
        "The case is not at the prosecution stage, the prosecution is not approved, or the "
        "day is after `lay_by` (Magistrates' Courts Act 1980 s127) or before a penalty "
        "notice's payment period has ended."
    ),
)
async def lay(
    access: Annotated[Access, CasePolicy("prosecution", "update")],
    case_id: ApprovedCaseIdPath,
    prosecution_id: ApprovedProsecutionIdPath,
    body: ProsecutionLaying,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """Record that the information was laid before the magistrates' court, and where: no later
    than `lay_by`, and not before `lay_from` (an unpaid penalty notice's payment period must
    have ended first). Only once the case is at the `prosecution` stage. Attendance officers
    and managers, under `prosecution`, with `If-Match`."""
    return await _step(
        response,
        lambda: prosecutions.lay(
            session,
            access,
            case_id=case_id,
            prosecution_id=prosecution_id,
            data=body,
            if_match=if_match,
        ),
    )


@router.post(
    ONE + "/outcome",
    name="prosecutions_outcome",
    summary="Record a prosecution's outcome",
    response_model=ProsecutionRead,
    responses=_conflict("The prosecution has ended, or (for a verdict) was never laid."),
)
async def record_outcome(
    access: Annotated[Access, CasePolicy("prosecution", "update")],
    case_id: CourtCaseIdPath,
    prosecution_id: LaidProsecutionIdPath,
    body: ProsecutionOutcome,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """Record the outcome: `convicted` or `acquitted` once the information was laid, or
    `withdrawn` at any time before the end. Attendance officers and managers, under
    `prosecution`, with `If-Match`."""
    return await _step(
        response,
        lambda: prosecutions.record_outcome(
            session,
            access,
            case_id=case_id,
            prosecution_id=prosecution_id,
            data=body,
            if_match=if_match,
        ),
    )


@router.post(
    ONE + "/court-disclosure",
    name="prosecutions_court_disclosure",
    summary="Record the court bundle sent to HMCTS",
    response_model=ProsecutionRead,
    responses=_conflict("The information has not been laid."),
)
async def court_disclosure(
    access: Annotated[Access, CasePolicy("prosecution", "approve")],
    case_id: CourtCaseIdPath,
    prosecution_id: LaidProsecutionIdPath,
    body: CourtDisclosure,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProsecutionRead:
    """Record the court bundle sent to HM Courts and Tribunals Service as a disclosure: the
    recipient, purpose (`prosecution`, or `court_disclosure` with its ground and the court's
    reference), categories, channel, the SHA-256 of exactly what was sent, and the calling
    manager as approver; it names the parent and the child, and is linked on the prosecution
    (`disclosure_id`). Attendance managers only, under `prosecution`, with `If-Match`."""
    view, _ = await prosecutions.record_court_disclosure(
        session,
        access,
        case_id=case_id,
        prosecution_id=prosecution_id,
        data=body,
        if_match=if_match,
    )
    return _respond(view, response)
