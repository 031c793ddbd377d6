"""`/v1/possible-duplicates`: Records that may be the same person, for a person to resolve."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.paging import PagingDep
from app.routers.params import DuplicateIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.people import (
    PossibleDuplicateFilters,
    PossibleDuplicatePage,
    PossibleDuplicateRead,
)
from app.services import duplicates
from app.services.duplicates import DuplicateQuery

router = APIRouter(
    prefix=f"{PREFIX}/possible-duplicates", tags=["possible duplicates"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No possible duplicate with that id.")}


@router.get(
    "",
    name="possible_duplicates_list",
    summary="List possible duplicates",
    response_model=PossibleDuplicatePage,
)
async def list_duplicates(
    access: Annotated[Access, Policy("possible_duplicate", "list")],
    session: SessionDep,
    filters: Annotated[PossibleDuplicateFilters, Query()],
    paging: PagingDep,
) -> PossibleDuplicatePage:
    """Pairs of pupil, carer or licensing person records that may be the same person, oldest
    first, filtered by status or kind (`pupil`, `carer`, `person`: people on licences who are not
    pupils). Ids only: read the records themselves under a purpose.

    Send `KPAS-Purpose`: attendance managers under an attendance purpose, licensing officers
    under `child_employment_licensing`, information governance under `subject_rights`; each sees
    only pairs with a record they may see. Pairs of people on licences are dismissed only (not
    merged).
    """
    items, next_cursor = await duplicates.list_duplicates(
        session,
        access,
        query=DuplicateQuery(status=filters.status, kind=filters.kind),
        page=paging.page(access, filters),
    )
    return PossibleDuplicatePage(
        items=[PossibleDuplicateRead.of(d) for d in items], next_cursor=next_cursor
    )


@router.get(
    "/{duplicate_id}",
    name="possible_duplicates_get",
    summary="Get a possible duplicate",
    response_model=PossibleDuplicateRead,
    responses=NOT_FOUND,
)
async def get_duplicate(
    access: Annotated[Access, Policy("possible_duplicate", "read")],
    duplicate_id: DuplicateIdPath,
    session: SessionDep,
) -> PossibleDuplicateRead:
    """One pair of records that may be the same person, with the reasons it was flagged and its
    status. Send `KPAS-Purpose`: as for listing; 404 for a pair outside your reach.
    """
    duplicate = await duplicates.get_duplicate(session, access, duplicate_id=duplicate_id)
    return PossibleDuplicateRead.of(duplicate)


@router.post(
    "/{duplicate_id}/dismissal",
    name="possible_duplicates_dismiss",
    summary="Dismiss a possible duplicate",
    response_model=PossibleDuplicateRead,
    responses={**NOT_FOUND, 409: problem_response("The possible duplicate is already resolved.")},
)
async def dismiss_duplicate(
    access: Annotated[Access, Policy("possible_duplicate", "update")],
    duplicate_id: DuplicateIdPath,
    session: SessionDep,
) -> PossibleDuplicateRead:
    """Record that the two records are different people. The same callers as listing; 409 if the
    pair is already resolved. To merge them instead, use `POST /v1/pupils/{pupil_id}/merge`.
    """
    duplicate = await duplicates.dismiss_duplicate(session, access, duplicate_id=duplicate_id)
    return PossibleDuplicateRead.of(duplicate)
