"""`/v1/exclusions`: Suspensions and permanent exclusions schools report."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.exclusions import ExclusionQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import EXAMPLE_EXCLUSION_ID
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.exclusions import (
    ExclusionCreate,
    ExclusionFilters,
    ExclusionPage,
    ExclusionRead,
    ExclusionUpdate,
    GoverningBoardRead,
    SixthDayEducationRead,
    SuspensionDaysRead,
)
from app.services import exclusions
from app.services.exclusions import ExclusionView, exclusion_etag

router = APIRouter(prefix=f"{PREFIX}/exclusions", tags=["exclusions"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No exclusion with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}

ExclusionIdPath = Annotated[
    uuid.UUID, Path(description="The exclusion's id.", examples=[str(EXAMPLE_EXCLUSION_ID)])
]


def _read(view: ExclusionView) -> ExclusionRead:
    exclusion = view.exclusion
    days = view.days
    board = view.board
    sixth = view.sixth_day
    return ExclusionRead(
        id=exclusion.id,
        pupil_id=exclusion.pupil_id,
        school_urn=exclusion.school_urn,
        kind=exclusion.kind,
        starts_on=exclusion.starts_on,
        school_days=exclusion.school_days,
        notified_on=exclusion.notified_on,
        reasons=list(exclusion.reasons),
        public_exam_missed=exclusion.public_exam_missed,
        parents_representations_on=exclusion.parents_representations_on,
        board_considered_on=exclusion.board_considered_on,
        board_decision=exclusion.board_decision,
        withdrawn_on=exclusion.withdrawn_on,
        reported_by=exclusion.reported_by,
        reported_at=exclusion.reported_at,
        suspension_days=SuspensionDaysRead(
            term=days.term,
            term_days=days.term_days,
            school_year=days.school_year,
            school_year_days=days.school_year_days,
            school_year_days_remaining=days.school_year_days_remaining,
        )
        if days is not None
        else None,
        governing_board=GoverningBoardRead(
            required=board.review.required,
            case=board.review.case,
            within_school_days=board.review.within_school_days,
            deadline=board.deadline,
        )
        if board is not None
        else None,
        sixth_day_education=SixthDayEducationRead(
            from_date=sixth.from_date, duty_holder=sixth.duty_holder
        )
        if sixth is not None
        else None,
        calendar=view.calendar.source,
    )


@router.post(
    "",
    name="exclusions_create",
    summary="Report a suspension or permanent exclusion",
    status_code=201,
    response_model=ExclusionRead,
    responses={
        409: problem_response(
            "The suspension would take the pupil over 45 school days of suspension in a school "
            "year at this school (SI 2012/1033 reg 4)."
        ),
    },
)
async def report_exclusion(
    access: Annotated[Access, Policy("exclusion", "create")],
    body: ExclusionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Report a suspension or permanent exclusion of a pupil on one of your schools' rolls today.
    The answer gives the pupil's suspension days this term and school year at the school, the
    governing board's duty to consider reinstatement and its deadline, and who must arrange
    full-time education from the sixth school day, and when. Send an `Idempotency-Key` to
    retry safely.

    School staff under `KPAS-Purpose: exclusion_support`. 422 if the pupil is not on the
    school's roll today, `starts_on` is not a school day, or a reason is not a DfE census code;
    409 (naming the rule and its source, writing nothing) if a suspension would take the pupil
    over 45 school days in the school year at the school.
    """

    async def create() -> Created:
        view = await exclusions.report_exclusion(session, access, data=body)
        return Created(
            _read(view),
            location=f"{PREFIX}/exclusions/{view.exclusion.id}",
            etag=exclusion_etag(view.exclusion),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="exclusions_list", summary="List exclusions", response_model=ExclusionPage)
async def list_exclusions(
    access: Annotated[Access, Policy("exclusion", "list")],
    session: SessionDep,
    filters: Annotated[ExclusionFilters, Query()],
    paging: PagingDep,
) -> ExclusionPage:
    """Suspensions and permanent exclusions, latest start first, filtered by school, pupil, kind
    or start date, each with its statutory figures.

    Send `KPAS-Purpose: exclusion_support`: school staff see their own schools'; attendance
    managers their area teams'; attendance officers those of pupils in their cases;
    information governance all, under a governance purpose.
    """
    items, next_cursor = await exclusions.list_exclusions(
        session,
        access,
        query=ExclusionQuery(
            school_urn=filters.school_urn,
            pupil_id=filters.pupil_id,
            kind=filters.kind,
            starts_from=filters.from_date,
            starts_to=filters.to_date,
        ),
        page=paging.page(access, filters),
    )
    return ExclusionPage(items=[_read(view) for view in items], next_cursor=next_cursor)


@router.get(
    "/{exclusion_id}",
    name="exclusions_get",
    summary="Get an exclusion",
    response_model=ExclusionRead,
    responses=NOT_FOUND,
)
async def get_exclusion(
    access: Annotated[Access, Policy("exclusion", "read")],
    exclusion_id: ExclusionIdPath,
    session: SessionDep,
    response: Response,
) -> ExclusionRead:
    """One suspension or permanent exclusion with its statutory figures. Send `KPAS-Purpose`: as
    for listing; 404 for an exclusion outside your reach.
    """
    view = await exclusions.get_exclusion(session, access, exclusion_id=exclusion_id)
    response.headers["ETag"] = exclusion_etag(view.exclusion)
    return _read(view)


@router.patch(
    "/{exclusion_id}",
    name="exclusions_update",
    summary="Record a board decision or withdrawal",
    response_model=ExclusionRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The exclusion was withdrawn; nothing more can be recorded."),
    },
)
async def update_exclusion(
    access: Annotated[Access, Policy("exclusion", "update")],
    exclusion_id: ExclusionIdPath,
    body: ExclusionUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ExclusionRead:
    """Record the governing board's decision and the day it considered reinstatement, the day
    the parents made representations (which can bring in the board's 50-day duty), or the
    headteacher's withdrawal. Only the fields sent change. School staff of the reporting school
    under `KPAS-Purpose: exclusion_support`, with `If-Match`; 409 once withdrawn.
    """
    view = await exclusions.update_exclusion(
        session, access, exclusion_id=exclusion_id, data=body, if_match=if_match
    )
    response.headers["ETag"] = exclusion_etag(view.exclusion)
    return _read(view)
