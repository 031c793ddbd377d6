"""`/v1/pupils`: Pupils: the children KPAS holds records about, their enrolments and carers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.people import PupilQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import CarerIdPath, PupilIdPath, SurvivorIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.people import (
    CarerLink,
    PupilCarerList,
    PupilCarerRead,
    PupilCreate,
    PupilFilters,
    PupilMerge,
    PupilPage,
    PupilRead,
    PupilUpdate,
    RelationshipUpdate,
)
from app.services import pupils
from app.services.pupils import PupilRecord, name_prefix, pupil_etag, relationship_etag

router = APIRouter(prefix=f"{PREFIX}/pupils", tags=["pupils"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No pupil with that id that you may see.")}
LINK_NOT_FOUND: Responses = {
    404: problem_response("No such pupil, or no such carer linked to them, that you may see.")
}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
MERGED: Responses = {409: problem_response("The record was merged into another.")}


def _read(record: PupilRecord) -> PupilRead:
    return PupilRead.of(record.pupil, record.retain_until)


def released(
    access: Access,
    body: BaseModel,
    *,
    subject_ids: Iterable[uuid.UUID],
    resource_id: object | None = None,
    etag: str | None = None,
) -> Response:
    """Serialise ``body`` once: the disclosure written for a partner or inspector hashes
    exactly the bytes they receive."""
    content = body.model_dump_json().encode()
    pupils.record_release(access, subject_ids=subject_ids, content=content, resource_id=resource_id)
    headers = {"ETag": etag} if etag else None
    return Response(content, media_type="application/json", headers=headers)


@router.get("", name="pupils_list", summary="List pupils", response_model=PupilPage)
async def list_pupils(
    access: Annotated[Access, Policy("pupil", "list")],
    session: SessionDep,
    filters: Annotated[PupilFilters, Query()],
    paging: PagingDep,
) -> Response:
    """Pupils you may see for the stated purpose, filtered by name prefix, UPN, school or date of
    birth; merged records only with `include_merged`.

    Send `KPAS-Purpose`: attendance managers see pupils on roll at schools in their area teams,
    school staff their own schools' pupils, information governance any pupil under a governance
    purpose, partners the districts of their sharing agreement and inspectors their grant's schools.
    Pupils whose processing is restricted or objected to for the purpose are left out. A partner's
    or inspector's read is recorded as a disclosure.
    """
    query = PupilQuery(
        name=name_prefix(filters.name) if filters.name else None,
        upn=filters.upn,
        school_urn=filters.school_urn,
        date_of_birth=filters.date_of_birth,
        include_merged=filters.include_merged,
    )
    records, next_cursor = await pupils.list_pupils(
        session, access, query=query, page=paging.page(access, filters)
    )
    page = PupilPage(items=[_read(r) for r in records], next_cursor=next_cursor)
    return released(access, page, subject_ids=[r.pupil.subject_id for r in records])


@router.post(
    "",
    name="pupils_create",
    summary="Create a pupil",
    status_code=201,
    response_model=PupilRead,
)
async def create_pupil(
    access: Annotated[Access, Policy("pupil", "create")],
    body: PupilCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a child KPAS works with, with their first enrolment. Attendance managers only, for
    schools in their area teams, under an attendance purpose. Returns the pupil with `ETag` and
    `Location`; send an `Idempotency-Key` to retry safely. A record that may be the same child as
    another is flagged as a possible duplicate, not refused.
    """

    async def create() -> Created:
        record = await pupils.create_pupil(session, access, data=body)
        return Created(
            _read(record),
            location=f"/v1/pupils/{record.pupil.id}",
            etag=pupil_etag(record.pupil),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{pupil_id}",
    name="pupils_get",
    summary="Get a pupil",
    response_model=PupilRead,
    responses=NOT_FOUND,
)
async def get_pupil(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    session: SessionDep,
) -> Response:
    """One pupil's record: identity, enrolments and retention date, with its `ETag`.

    Send `KPAS-Purpose`: the same people and purposes as listing pupils. A pupil you may not see is
    a 404, as is one that does not exist, so the answer never reveals that a record exists. A
    partner's or inspector's read is recorded as a disclosure.
    """
    record = await pupils.get_pupil_record(session, access, pupil_id=pupil_id)
    return released(
        access,
        _read(record),
        subject_ids=[record.pupil.subject_id],
        resource_id=record.pupil.id,
        etag=pupil_etag(record.pupil),
    )


@router.patch(
    "/{pupil_id}",
    name="pupils_update",
    summary="Update a pupil",
    response_model=PupilRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **MERGED},
)
async def update_pupil(
    access: Annotated[Access, Policy("pupil", "update")],
    pupil_id: PupilIdPath,
    body: PupilUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PupilRead:
    """Correct or update a pupil's record (a JSON merge patch), with `If-Match`. Attendance managers
    for pupils in their area teams under an attendance purpose; information governance under
    `subject_rights` (rectification). Refused with 409 if the record was merged into another: update
    the surviving record.
    """
    record = await pupils.update_pupil(
        session, access, pupil_id=pupil_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = pupil_etag(record.pupil)
    return _read(record)


@router.get(
    "/{pupil_id}/carers",
    name="pupils_carers_list",
    summary="List a pupil's carers",
    response_model=PupilCarerList,
    responses=NOT_FOUND,
)
async def list_pupil_carers(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    session: SessionDep,
) -> Response:
    """The parents, guardians and carers linked to the pupil, with each relationship (parental
    responsibility, lives with, contact order).

    Send `KPAS-Purpose`: whoever may read the pupil, for the same purposes. 404 if the pupil is not
    yours to see.
    """
    pupil, relationships = await pupils.list_pupil_carers(session, access, pupil_id=pupil_id)
    body = PupilCarerList(items=[PupilCarerRead.of(r) for r in relationships])
    return released(
        access,
        body,
        subject_ids=[pupil.subject_id, *(r.carer.subject_id for r in relationships)],
        resource_id=pupil.id,
    )


@router.post(
    "/{pupil_id}/carers",
    name="pupils_carers_link",
    summary="Link a carer to a pupil",
    status_code=201,
    response_model=PupilCarerRead,
    responses={
        404: problem_response("No such pupil, or no such carer, that you may see."),
        409: problem_response("The carer is already linked, or a record was merged."),
    },
)
async def link_carer(
    access: Annotated[Access, Policy("pupil", "update")],
    pupil_id: PupilIdPath,
    body: CarerLink,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Link an existing carer, or a new one given in full, to the pupil, with the relationship.
    Attendance managers (area teams) under an attendance purpose, information governance under
    `subject_rights`; send an `Idempotency-Key` to retry safely. Refused with 409 if the carer is
    already linked or a record was merged.
    """

    async def create() -> Created:
        relationship = await pupils.link_carer(session, access, pupil_id=pupil_id, data=body)
        return Created(
            PupilCarerRead.of(relationship),
            location=f"/v1/pupils/{pupil_id}/carers/{relationship.carer_id}",
            etag=relationship_etag(relationship),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{pupil_id}/carers/{carer_id}",
    name="pupils_carers_get",
    summary="Get a pupil's carer",
    response_model=PupilCarerRead,
    responses=LINK_NOT_FOUND,
)
async def get_pupil_carer(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    carer_id: CarerIdPath,
    session: SessionDep,
) -> Response:
    """One carer of the pupil and the relationship between them, with the relationship's `ETag`.
    Send `KPAS-Purpose`: whoever may read the pupil. 404 unless the carer is linked to a pupil you
    may see.
    """
    pupil, relationship = await pupils.get_pupil_carer(
        session, access, pupil_id=pupil_id, carer_id=carer_id
    )
    return released(
        access,
        PupilCarerRead.of(relationship),
        subject_ids=[pupil.subject_id, relationship.carer.subject_id],
        resource_id=pupil.id,
        etag=relationship_etag(relationship),
    )


@router.patch(
    "/{pupil_id}/carers/{carer_id}",
    name="pupils_carers_update",
    summary="Update a carer relationship",
    response_model=PupilCarerRead,
    responses={**LINK_NOT_FOUND, **PRECONDITIONS},
)
async def update_pupil_carer(
    access: Annotated[Access, Policy("pupil", "update")],
    pupil_id: PupilIdPath,
    carer_id: CarerIdPath,
    body: RelationshipUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PupilCarerRead:
    """Change the relationship between a pupil and a carer (type, parental responsibility, lives
    with, contact priority), with `If-Match`. Attendance managers under an attendance purpose;
    information governance under `subject_rights`.
    """
    relationship = await pupils.update_relationship(
        session, access, pupil_id=pupil_id, carer_id=carer_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = relationship_etag(relationship)
    return PupilCarerRead.of(relationship)


@router.delete(
    "/{pupil_id}/carers/{carer_id}",
    name="pupils_carers_unlink",
    summary="Unlink a carer from a pupil",
    status_code=204,
    response_class=Response,
    responses={**LINK_NOT_FOUND, **PRECONDITIONS},
)
async def unlink_pupil_carer(
    access: Annotated[Access, Policy("pupil", "update")],
    pupil_id: PupilIdPath,
    carer_id: CarerIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """End the link between the pupil and the carer; the carer's own record stays. Attendance
    managers under an attendance purpose, information governance under `subject_rights`; with
    `If-Match`.
    """
    await pupils.unlink_carer(
        session, access, pupil_id=pupil_id, carer_id=carer_id, if_match=if_match
    )
    return Response(status_code=204)


@router.post(
    "/{pupil_id}/merge",
    name="pupils_merge",
    summary="Merge a duplicate pupil record",
    response_model=PupilRead,
    responses={
        404: problem_response("One of the two pupils does not exist or is not yours to see."),
        409: problem_response("The possible duplicate is resolved, or a record was merged."),
        **PRECONDITIONS,
    },
)
async def merge_pupils(
    access: Annotated[Access, Policy("pupil", "merge")],
    pupil_id: SurvivorIdPath,
    body: PupilMerge,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PupilRead:
    """Merge another record of the same child into this one (the survivor), resolving their possible
    duplicate. Both records are kept: the other is marked as merged into this one and its
    enrolments, carers and history move here. Send the survivor's `ETag` as `If-Match`.

    Attendance managers (both pupils in their area teams) under an attendance purpose; information
    governance under `subject_rights`. 404 if either record is not yours to see; 409 if the
    duplicate is already resolved or either record was merged already.
    """
    record = await pupils.merge_pupils(
        session, access, pupil_id=pupil_id, data=body, if_match=if_match
    )
    response.headers["ETag"] = pupil_etag(record.pupil)
    return _read(record)
