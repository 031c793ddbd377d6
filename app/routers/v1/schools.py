"""``/v1/schools``: the register of schools."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.schools import SchoolQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import UrnPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.schools import SchoolCreate, SchoolFilters, SchoolPage, SchoolRead, SchoolUpdate
from app.services import schools
from app.services.schools import school_etag

router = APIRouter(prefix=f"{PREFIX}/schools", tags=["schools"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No school with that URN.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


@router.get("", name="schools_list", summary="List schools", response_model=SchoolPage)
async def list_schools(
    access: Annotated[Access, Policy("school", "list")],
    session: SessionDep,
    filters: Annotated[SchoolFilters, Query()],
    paging: PagingDep,
) -> SchoolPage:
    """The register of schools, ordered by URN, filtered by district, area team, phase, status or a
    name prefix, one cursor page at a time.

    Schools hold no personal data: every staff role, school staff and inspectors may list them, and
    no `KPAS-Purpose` is needed.
    """
    query = SchoolQuery(
        district=filters.district,
        area_team=filters.area_team,
        phase=filters.phase,
        status=filters.status,
        name=filters.name,
    )
    items, next_cursor = await schools.list_schools(
        session, access, query=query, page=paging.page(access, filters)
    )
    return SchoolPage(items=[SchoolRead.model_validate(s) for s in items], next_cursor=next_cursor)


@router.post(
    "",
    name="schools_create",
    summary="Register a school",
    status_code=201,
    response_model=SchoolRead,
    responses={409: problem_response("A school with that URN already exists.")},
)
async def create_school(
    access: Annotated[Access, Policy("school", "create")],
    body: SchoolCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a school to the register. Administrators only. Returns the school with its `ETag` and
    `Location`; send an `Idempotency-Key` to retry safely.

    Refused with 409 if a school with that URN is already registered.
    """

    async def create() -> Created:
        school = await schools.create_school(session, access, data=body)
        return Created(
            SchoolRead.model_validate(school),
            location=f"/v1/schools/{school.urn}",
            etag=school_etag(school),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{urn}",
    name="schools_get",
    summary="Get a school",
    response_model=SchoolRead,
    responses=NOT_FOUND,
)
async def get_school(
    access: Annotated[Access, Policy("school", "read")],
    urn: UrnPath,
    session: SessionDep,
    response: Response,
) -> SchoolRead:
    """One school by its URN, with its `ETag` for a later update. Readable by every staff role,
    school staff and inspectors; 404 if no school has that URN.
    """
    school = await schools.get_school(session, access, urn=urn)
    response.headers["ETag"] = school_etag(school)
    return SchoolRead.model_validate(school)


@router.patch(
    "/{urn}",
    name="schools_update",
    summary="Update a school",
    response_model=SchoolRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_school(
    access: Annotated[Access, Policy("school", "update")],
    urn: UrnPath,
    body: SchoolUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SchoolRead:
    """Change a school's name, phase, district or status (a JSON merge patch: omitted fields are
    kept). Administrators only. Send the `ETag` you read as `If-Match`: 428 without it, 412 if the
    school changed since. Returns the school and its new `ETag`.
    """
    school = await schools.update_school(session, access, urn=urn, changes=body, if_match=if_match)
    response.headers["ETag"] = school_etag(school)
    return SchoolRead.model_validate(school)


@router.delete(
    "/{urn}",
    name="schools_delete",
    summary="Delete a school",
    status_code=204,
    response_class=Response,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("Records still refer to this school; close it instead."),
    },
)
async def delete_school(
    access: Annotated[Access, Policy("school", "delete")],
    urn: UrnPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Remove a school registered in error. Administrators only, with `If-Match`. Refused with 409
    while any record still refers to the school: close it (`status`) instead.
    """
    await schools.delete_school(session, access, urn=urn, if_match=if_match)
    return Response(status_code=204)
