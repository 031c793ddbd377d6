"""`/v1/productions`: Productions children perform in, and the facts that decide whether a
licence is needed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.productions import ProductionQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import ProductionIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.productions import (
    ProductionCreate,
    ProductionFilters,
    ProductionPage,
    ProductionRead,
    ProductionUpdate,
)
from app.services import productions
from app.services.productions import production_etag, title_key

router = APIRouter(prefix=f"{PREFIX}/productions", tags=["licences"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No production with that id.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


@router.post(
    "",
    name="productions_create",
    summary="Record a production",
    status_code=201,
    response_model=ProductionRead,
)
async def create_production(
    access: Annotated[Access, Policy("production", "create")],
    body: ProductionCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a performance, production or activity children take part in, with the facts that
    decide whether a licence is needed: a charge made, licensed premises, broadcast or
    recorded, and any Body of Persons Approval. Returns it with `ETag` and `Location`; send an
    `Idempotency-Key` to retry safely.

    Licensing officers. The producer must be an adult person (`/v1/people`) you may see under
    `child_employment_licensing`: 422 naming `/producer_id` otherwise.
    """

    async def create() -> Created:
        production = await productions.create_production(session, access, data=body)
        return Created(
            ProductionRead.of(production),
            location=f"{PREFIX}/productions/{production.id}",
            etag=production_etag(production),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="productions_list", summary="List productions", response_model=ProductionPage)
async def list_productions(
    access: Annotated[Access, Policy("production", "list")],
    session: SessionDep,
    filters: Annotated[ProductionFilters, Query()],
    paging: PagingDep,
) -> ProductionPage:
    """Productions in title order, filtered by the start of the title, kind or producer.
    Licensing officers and information governance.
    """
    items, next_cursor = await productions.list_productions(
        session,
        access,
        query=ProductionQuery(
            title_key=title_key(filters.title) if filters.title else None,
            kind=filters.kind,
            producer_id=filters.producer_id,
        ),
        page=paging.page(access, filters),
    )
    return ProductionPage(items=[ProductionRead.of(p) for p in items], next_cursor=next_cursor)


@router.get(
    "/{production_id}",
    name="productions_get",
    summary="Get a production",
    response_model=ProductionRead,
    responses=NOT_FOUND,
)
async def get_production(
    access: Annotated[Access, Policy("production", "read")],
    production_id: ProductionIdPath,
    session: SessionDep,
    response: Response,
) -> ProductionRead:
    """One production with its `ETag`. Licensing officers and information governance; 404 for
    an unknown id.
    """
    production = await productions.get_production(session, access, production_id=production_id)
    response.headers["ETag"] = production_etag(production)
    return ProductionRead.of(production)


@router.patch(
    "/{production_id}",
    name="productions_update",
    summary="Update a production",
    response_model=ProductionRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_production(
    access: Annotated[Access, Policy("production", "update")],
    production_id: ProductionIdPath,
    body: ProductionUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ProductionRead:
    """Change a production (a JSON merge patch: only `body_of_persons_approval` may be removed
    with `null`), with `If-Match`. Licensing officers; a new producer must be an adult person
    you may see under `child_employment_licensing` (422 naming `/producer_id` otherwise).
    """
    production = await productions.update_production(
        session, access, production_id=production_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = production_etag(production)
    return ProductionRead.of(production)
