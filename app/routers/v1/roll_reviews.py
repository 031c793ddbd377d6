"""`/v1/roll-reviews`: What a school's roll sent about a dual-registered pupil, held for a person
to accept or reject."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.roll_reviews import RollReviewQuery
from app.routers.paging import PagingDep
from app.routers.params import ReviewIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.roll_reviews import (
    RollReviewFilters,
    RollReviewPage,
    RollReviewRead,
    RollReviewSummary,
)
from app.services import roll_reviews
from app.services.roll_reviews import RollReviewView

router = APIRouter(prefix=f"{PREFIX}/roll-reviews", tags=["roll reviews"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No roll review with that id that you may see.")}


def _read(view: RollReviewView) -> RollReviewRead:
    return RollReviewRead.of_view(view.review, pupil=view.pupil, carers=view.carers)


@router.get(
    "", name="roll_reviews_list", summary="List roll reviews", response_model=RollReviewPage
)
async def list_reviews(
    access: Annotated[Access, Policy("roll_review", "list")],
    session: SessionDep,
    filters: Annotated[RollReviewFilters, Query()],
    paging: PagingDep,
) -> RollReviewPage:
    """What schools' rolls sent about pupils on another school's roll too, held for a person to
    accept or reject, oldest first, filtered by status or school. Summaries name the fields each
    review would change, never their values.

    Send `KPAS-Purpose`: attendance managers see schools in their area teams under
    `attendance_duty`; information governance sees all under a governance purpose.
    """
    items, next_cursor = await roll_reviews.list_reviews(
        session,
        access,
        query=RollReviewQuery(status=filters.status, school_urn=filters.school_urn),
        page=paging.page(access, filters),
    )
    return RollReviewPage(
        items=[RollReviewSummary.of(review) for review in items], next_cursor=next_cursor
    )


@router.get(
    "/{review_id}",
    name="roll_reviews_get",
    summary="Get a roll review",
    response_model=RollReviewRead,
    responses=NOT_FOUND,
)
async def get_review(
    access: Annotated[Access, Policy("roll_review", "read")],
    review_id: ReviewIdPath,
    session: SessionDep,
) -> RollReviewRead:
    """What the school's roll sent, next to what KPAS held when it was pushed and what it holds now.
    Send `KPAS-Purpose`: as for listing; 404 for a review outside your reach.
    """
    return _read(await roll_reviews.get_review(session, access, review_id=review_id))


@router.post(
    "/{review_id}/accept",
    name="roll_reviews_accept",
    summary="Accept a roll review",
    response_model=RollReviewRead,
    responses={
        **NOT_FOUND,
        409: problem_response(
            "The review is resolved already, or the pupil's record changed since the roll "
            "was pushed in a field the review would change (nothing is applied)."
        ),
    },
)
async def accept_review(
    access: Annotated[Access, Policy("roll_review", "resolve")],
    review_id: ReviewIdPath,
    session: SessionDep,
) -> RollReviewRead:
    """Apply what the school's roll sent to the pupil and their carers, as the roll applies it to a
    school's own pupils. Attendance managers (area teams) under `attendance_duty`; information
    governance under `subject_rights`.

    Refused with 409, applying nothing, if the review is resolved already or the pupil's record
    changed since the roll was pushed in a field the review would change.
    """
    return _read(await roll_reviews.accept_review(session, access, review_id=review_id))


@router.post(
    "/{review_id}/reject",
    name="roll_reviews_reject",
    summary="Reject a roll review",
    response_model=RollReviewRead,
    responses={**NOT_FOUND, 409: problem_response("The review is resolved already.")},
)
async def reject_review(
    access: Annotated[Access, Policy("roll_review", "resolve")],
    review_id: ReviewIdPath,
    session: SessionDep,
) -> RollReviewRead:
    """Record that what the school's roll sent is not to be applied: nothing else changes. The same
    callers as accepting; 409 if the review is resolved already.
    """
    return _read(await roll_reviews.reject_review(session, access, review_id=review_id))
