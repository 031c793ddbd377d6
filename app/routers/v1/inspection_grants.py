"""``/v1/inspection-grants``: inspectors' read-only windows (Ofsted, HMIP), issued and revoked
by information governance."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.inspection_grants import GrantQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import GrantIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.inspection_grants import (
    InspectionGrantCreate,
    InspectionGrantFilters,
    InspectionGrantPage,
    InspectionGrantRead,
)
from app.services import inspection_grants
from app.services.inspection_grants import grant_etag

router = APIRouter(
    prefix=f"{PREFIX}/inspection-grants", tags=["inspection grants"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No inspection grant with that id.")}


@router.get(
    "",
    name="inspection_grants_list",
    summary="List inspection grants",
    response_model=InspectionGrantPage,
)
async def list_grants(
    access: Annotated[Access, Policy("inspection_grant", "list")],
    session: SessionDep,
    filters: Annotated[InspectionGrantFilters, Query()],
    paging: PagingDep,
) -> InspectionGrantPage:
    """Inspectors' read-only windows (Ofsted, HMIP), filtered by whether active now, inspector or
    recipient. Information governance only.
    """
    query = GrantQuery(
        active=filters.active,
        now=access.now,
        inspector=filters.inspector,
        recipient_id=filters.recipient_id,
    )
    items, next_cursor = await inspection_grants.list_grants(
        session, access, query=query, page=paging.page(access, filters)
    )
    return InspectionGrantPage(
        items=[InspectionGrantRead.of(grant, now=access.now) for grant in items],
        next_cursor=next_cursor,
    )


@router.post(
    "",
    name="inspection_grants_create",
    summary="Issue an inspection grant",
    status_code=201,
    response_model=InspectionGrantRead,
)
async def create_grant(
    access: Annotated[Access, Policy("inspection_grant", "create")],
    body: InspectionGrantCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Give a named inspector of an inspectorate read-only access to the listed schools' pupils for
    `statutory_inspection`, from `starts_at` to `ends_at`. Information governance only; send an
    `Idempotency-Key` to retry safely.

    Refused with 422 if the window has closed or starts over a year ahead, the recipient is unknown,
    inactive or not an inspectorate, or a URN is not a registered school.
    """

    async def create() -> Created:
        grant = await inspection_grants.create_grant(session, access, data=body)
        return Created(
            InspectionGrantRead.of(grant, now=access.now),
            location=f"/v1/inspection-grants/{grant.id}",
            etag=grant_etag(grant),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{grant_id}",
    name="inspection_grants_get",
    summary="Get an inspection grant",
    response_model=InspectionGrantRead,
    responses=NOT_FOUND,
)
async def get_grant(
    access: Annotated[Access, Policy("inspection_grant", "read")],
    grant_id: GrantIdPath,
    session: SessionDep,
    response: Response,
) -> InspectionGrantRead:
    """One inspection grant, with whether it is active now. Information governance only; 404 if
    there is none.
    """
    grant = await inspection_grants.get_grant(session, access, grant_id=grant_id)
    response.headers["ETag"] = grant_etag(grant)
    return InspectionGrantRead.of(grant, now=access.now)


@router.post(
    "/{grant_id}/revocation",
    name="inspection_grants_revoke",
    summary="Revoke an inspection grant",
    response_model=InspectionGrantRead,
    responses={
        **NOT_FOUND,
        409: problem_response("The grant is already revoked."),
        412: problem_response("If-Match does not match the current ETag."),
        428: problem_response("If-Match is missing."),
    },
)
async def revoke_grant(
    access: Annotated[Access, Policy("inspection_grant", "update")],
    grant_id: GrantIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> InspectionGrantRead:
    """End an inspection grant at once: the inspector's next request is refused. Information
    governance only, with `If-Match`; 409 if it is already revoked.
    """
    grant = await inspection_grants.revoke_grant(
        session, access, grant_id=grant_id, if_match=if_match
    )
    response.headers["ETag"] = grant_etag(grant)
    return InspectionGrantRead.of(grant, now=access.now)
