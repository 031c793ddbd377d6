"""`/v1/carers`: Parents, guardians and carers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.people import CarerQuery
from app.routers.deps import IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import CarerIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.routers.v1.pupils import released
from app.schemas.people import CarerFilters, CarerPage, CarerRead, CarerSummary, CarerUpdate
from app.services import carers
from app.services.carers import CarerRecord, carer_etag
from app.services.pupils import name_prefix

router = APIRouter(prefix=f"{PREFIX}/carers", tags=["carers"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No carer with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


def _read(record: CarerRecord) -> CarerRead:
    return CarerRead.of_visible(record.carer, record.relationships, record.retain_until)


@router.get("", name="carers_list", summary="List carers", response_model=CarerPage)
async def list_carers(
    access: Annotated[Access, Policy("carer", "list")],
    session: SessionDep,
    filters: Annotated[CarerFilters, Query()],
    paging: PagingDep,
) -> Response:
    """Parents, guardians and carers of pupils you may see, filtered by name prefix; merged records
    only with `include_merged`.

    Send `KPAS-Purpose`: the same people and purposes as for pupils: a carer is reached through
    their pupils. A partner's or inspector's read is recorded as a disclosure.
    """
    query = CarerQuery(
        name=name_prefix(filters.name) if filters.name else None,
        include_merged=filters.include_merged,
    )
    items, next_cursor = await carers.list_carers(
        session, access, query=query, page=paging.page(access, filters)
    )
    page = CarerPage(items=[CarerSummary.of(c) for c in items], next_cursor=next_cursor)
    return released(access, page, subject_ids=[c.subject_id for c in items])


@router.get(
    "/{carer_id}",
    name="carers_get",
    summary="Get a carer",
    response_model=CarerRead,
    responses=NOT_FOUND,
)
async def get_carer(
    access: Annotated[Access, Policy("carer", "read")],
    carer_id: CarerIdPath,
    session: SessionDep,
) -> Response:
    """One carer: contact details and the pupils you may see that they are linked to, with its
    `ETag`. Send `KPAS-Purpose`: a carer you may not reach through a pupil is a 404.
    """
    record = await carers.get_carer(session, access, carer_id=carer_id)
    return released(
        access,
        _read(record),
        subject_ids=record.subject_ids,
        resource_id=record.carer.id,
        etag=carer_etag(record.carer),
    )


@router.patch(
    "/{carer_id}",
    name="carers_update",
    summary="Update a carer",
    response_model=CarerRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The record was merged into another."),
    },
)
async def update_carer(
    access: Annotated[Access, Policy("carer", "update")],
    carer_id: CarerIdPath,
    body: CarerUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> CarerRead:
    """Correct or update a carer's name and contact details (a JSON merge patch), with `If-Match`.
    Attendance managers under an attendance purpose, information governance under `subject_rights`.
    Refused with 409 if the record was merged into another.
    """
    record = await carers.update_carer(
        session, access, carer_id=carer_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = carer_etag(record.carer)
    return _read(record)
