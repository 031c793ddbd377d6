"""`/v1/pupils`: Pupils: the children KPAS holds records about, their enrolments and carers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.people import PupilQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
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

PupilIdPath = Annotated[uuid.UUID, Path(description="The pupil's id.")]
CarerIdPath = Annotated[uuid.UUID, Path(description="The carer's id.")]
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


@router.get("", name="pupils_list", response_model=PupilPage)
async def list_pupils(
    access: Annotated[Access, Policy("pupil", "list")],
    session: SessionDep,
    filters: Annotated[PupilFilters, Query()],
    paging: PagingDep,
) -> Response:
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
    status_code=201,
    response_model=PupilRead,
)
async def create_pupil(
    access: Annotated[Access, Policy("pupil", "create")],
    body: PupilCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    async def create() -> Created:
        record = await pupils.create_pupil(session, access, data=body)
        return Created(
            _read(record),
            location=f"/v1/pupils/{record.pupil.id}",
            etag=pupil_etag(record.pupil),
        )

    return await idempotency.run(access, body, create)


@router.get("/{pupil_id}", name="pupils_get", response_model=PupilRead, responses=NOT_FOUND)
async def get_pupil(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    session: SessionDep,
) -> Response:
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
    record = await pupils.update_pupil(
        session, access, pupil_id=pupil_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = pupil_etag(record.pupil)
    return _read(record)


@router.get(
    "/{pupil_id}/carers",
    name="pupils_carers_list",
    response_model=PupilCarerList,
    responses=NOT_FOUND,
)
async def list_pupil_carers(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    session: SessionDep,
) -> Response:
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
    response_model=PupilCarerRead,
    responses=LINK_NOT_FOUND,
)
async def get_pupil_carer(
    access: Annotated[Access, Policy("pupil", "read")],
    pupil_id: PupilIdPath,
    carer_id: CarerIdPath,
    session: SessionDep,
) -> Response:
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
    relationship = await pupils.update_relationship(
        session, access, pupil_id=pupil_id, carer_id=carer_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = relationship_etag(relationship)
    return PupilCarerRead.of(relationship)


@router.delete(
    "/{pupil_id}/carers/{carer_id}",
    name="pupils_carers_unlink",
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
    await pupils.unlink_carer(
        session, access, pupil_id=pupil_id, carer_id=carer_id, if_match=if_match
    )
    return Response(status_code=204)


@router.post(
    "/{pupil_id}/merge",
    name="pupils_merge",
    response_model=PupilRead,
    responses={
        404: problem_response("One of the two pupils does not exist or is not yours to see."),
        409: problem_response("The possible duplicate is resolved, or a record was merged."),
        **PRECONDITIONS,
    },
)
async def merge_pupils(
    access: Annotated[Access, Policy("pupil", "merge")],
    pupil_id: PupilIdPath,
    body: PupilMerge,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PupilRead:
    """Merge another record of the same child into this one (the survivor). Both records are
    kept: the other is marked as merged into this one, and its history moves here."""
    record = await pupils.merge_pupils(
        session, access, pupil_id=pupil_id, data=body, if_match=if_match
    )
    response.headers["ETag"] = pupil_etag(record.pupil)
    return _read(record)
