"""`/v1/people`: People on licences who are not pupils on a Kent roll."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.licensing_people import PersonQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import PersonIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.licensing_people import (
    PersonCreate,
    PersonCreated,
    PersonFilters,
    PersonPage,
    PersonRead,
    PersonUpdate,
)
from app.services import licensing_people
from app.services.licensing_people import PersonRecord, person_etag
from app.services.pupils import name_prefix

router = APIRouter(prefix=f"{PREFIX}/people", tags=["people"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No person with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


def _read(record: PersonRecord) -> PersonRead:
    return PersonRead.of(record.person, record.retain_until)


@router.post(
    "",
    name="people_create",
    summary="Record a person on a licence",
    status_code=201,
    response_model=PersonCreated,
)
async def create_person(
    access: Annotated[Access, Policy("person", "create")],
    body: PersonCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a child who is not on a Kent school roll (independent school, home educated, from
    another area), or an adult on a licence (an employer, a producer, a chaperone). A child
    needs a date of birth; only a child has `education` and `school_name`, only an adult an
    `organisation`. Returns the person with `ETag` and `Location`; send an `Idempotency-Key`
    to retry safely.

    Licensing officers under `KPAS-Purpose: child_employment_licensing`. A person who may be
    the same as another (same names and date of birth; for adults, same names and postcode or
    email) is flagged as a possible duplicate, not refused: `possible_duplicates` counts those
    naming someone you may see.
    """

    async def create() -> Created:
        created = await licensing_people.create_person(session, access, data=body)
        read = _read(created.record)
        return Created(
            PersonCreated(**read.model_dump(), possible_duplicates=created.possible_duplicates),
            location=f"{PREFIX}/people/{created.record.person.id}",
            etag=person_etag(created.record.person),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="people_list", summary="List people on licences", response_model=PersonPage)
async def list_people(
    access: Annotated[Access, Policy("person", "list")],
    session: SessionDep,
    filters: Annotated[PersonFilters, Query()],
    paging: PagingDep,
) -> PersonPage:
    """People on licences in name order, filtered by name prefix, date of birth, type or the
    start of an organisation's name.

    Send `KPAS-Purpose`: licensing officers under `child_employment_licensing`; information
    governance under a governance purpose (read only). People whose processing is restricted
    or objected to for the purpose are left out.
    """
    items, next_cursor = await licensing_people.list_people(
        session,
        access,
        query=PersonQuery(
            name=name_prefix(filters.name) if filters.name else None,
            date_of_birth=filters.date_of_birth,
            person_type=filters.person_type,
            organisation=filters.organisation,
        ),
        page=paging.page(access, filters),
    )
    return PersonPage(items=[_read(record) for record in items], next_cursor=next_cursor)


@router.get(
    "/{person_id}",
    name="people_get",
    summary="Get a person on a licence",
    response_model=PersonRead,
    responses=NOT_FOUND,
)
async def get_person(
    access: Annotated[Access, Policy("person", "read")],
    person_id: PersonIdPath,
    session: SessionDep,
    response: Response,
) -> PersonRead:
    """One person's record with its `ETag`. Send `KPAS-Purpose`: as for listing. A person you
    may not see is a 404, as is one that does not exist.
    """
    record = await licensing_people.get_person(session, access, person_id=person_id)
    response.headers["ETag"] = person_etag(record.person)
    return _read(record)


@router.patch(
    "/{person_id}",
    name="people_update",
    summary="Update a person on a licence",
    response_model=PersonRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_person(
    access: Annotated[Access, Policy("person", "update")],
    person_id: PersonIdPath,
    body: PersonUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PersonRead:
    """Correct or update a person's record (a JSON merge patch: `null` removes an optional
    field), with `If-Match`. A child's date of birth cannot be removed, and a person's type
    does not change. Licensing officers under `KPAS-Purpose: child_employment_licensing`. A
    change of name, date of birth, postcode or email is checked for possible duplicates again.
    """
    record = await licensing_people.update_person(
        session, access, person_id=person_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = person_etag(record.person)
    return _read(record)
