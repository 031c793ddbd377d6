"""`/v1/pupils/{id}/sensitive` and `/v1/pupils/{id}/documents`: a pupil's special category
data and identification documents, held apart from the ordinary record."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from app.crypto import ring_of
from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import DocumentIdPath, EntryIdPath, PupilIdPath
from app.routers.route import BODY_LIMIT_SETTING, KpasRoute, download_responses, problem_response
from app.routers.v1 import PREFIX
from app.schemas.sensitive import (
    DocumentFilters,
    DocumentPage,
    DocumentRead,
    SensitiveEntryCreate,
    SensitiveEntryPage,
    SensitiveEntryRead,
    SensitiveFilters,
    document_upload_schema,
    entry_read,
)
from app.services import documents, sensitive
from app.services.documents import ACCEPTED, DOCUMENTS_DATA, document_etag
from app.services.sensitive import data_categories_of, entry_etag

router = APIRouter(prefix=f"{PREFIX}/pupils", tags=["special category data"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]

NOT_FOUND: Responses = {404: problem_response("No such pupil, entry or document that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
#: Special category data is never kept in shared or browser caches.
NO_STORE = {"Cache-Control": "no-store"}


def _released(
    access: Access,
    body: BaseModel,
    *,
    subject_id: uuid.UUID,
    categories: Iterable[str],
    resource_id: object,
    etag: str | None = None,
) -> Response:
    """Render ``body`` once: the bytes a partner or inspector receives are the bytes their
    disclosure record hashes."""
    content = body.model_dump_json().encode()
    access.record_release(
        subject_ids=[subject_id], categories=categories, content=content, resource_id=resource_id
    )
    headers = {**NO_STORE, **({"ETag": etag} if etag else {})}
    return Response(content, media_type="application/json", headers=headers)


# --- special category entries --------------------------------------------------------------


@router.get(
    "/{pupil_id}/sensitive",
    name="pupils_sensitive_list",
    summary="List a pupil's special category data",
    response_model=SensitiveEntryPage,
    responses=NOT_FOUND,
)
async def list_entries(
    access: Annotated[Access, Policy("pupil_sensitive", "list")],
    pupil_id: PupilIdPath,
    session: SessionDep,
    filters: Annotated[SensitiveFilters, Query()],
    paging: PagingDep,
) -> Response:
    """The pupil's special category entries (health, SEND, ethnicity, social care) that the purpose
    and your role reach, optionally for one category. Sent with `Cache-Control: no-store`.

    Send `KPAS-Purpose`: attendance managers (area teams) under an attendance purpose, information
    governance under a governance purpose; never school staff or MIS clients. Partners and
    inspectors see only the categories their agreement or grant covers, and each read is recorded as
    a disclosure.
    """
    pupil, entries, next_cursor, categories = await sensitive.list_entries(
        session,
        access,
        pupil_id=pupil_id,
        category=filters.category,
        page=paging.page(access, filters),
    )
    page = SensitiveEntryPage(items=[entry_read(e) for e in entries], next_cursor=next_cursor)
    released = {e.category for e in entries} or set(categories)
    return _released(
        access,
        page,
        subject_id=pupil.subject_id,
        categories=data_categories_of(released),
        resource_id=pupil.id,
    )


@router.post(
    "/{pupil_id}/sensitive",
    name="pupils_sensitive_create",
    summary="Record special category data",
    status_code=201,
    response_model=SensitiveEntryRead,
    responses=NOT_FOUND,
)
async def create_entry(
    access: Annotated[Access, Policy("pupil_sensitive", "create")],
    pupil_id: PupilIdPath,
    body: SensitiveEntryCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record one item of special category data for the pupil, with its source and the Article 9
    condition of the request's purpose. Attendance managers (area teams) under an attendance
    purpose. Returns the entry with `ETag` and `Location`; send an `Idempotency-Key` to retry
    safely.
    """

    async def create() -> Created:
        entry = await sensitive.create_entry(session, access, pupil_id=pupil_id, data=body.root)
        return Created(
            entry_read(entry),
            location=f"/v1/pupils/{pupil_id}/sensitive/{entry.id}",
            etag=entry_etag(entry),
            extra_headers=dict(NO_STORE),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{pupil_id}/sensitive/{entry_id}",
    name="pupils_sensitive_get",
    summary="Get a special category entry",
    response_model=SensitiveEntryRead,
    responses=NOT_FOUND,
)
async def get_entry(
    access: Annotated[Access, Policy("pupil_sensitive", "read")],
    pupil_id: PupilIdPath,
    entry_id: EntryIdPath,
    session: SessionDep,
) -> Response:
    """One special category entry of the pupil, with its `ETag`, sent with `Cache-Control:
    no-store`. Send `KPAS-Purpose`: as for listing entries; 404 for an entry outside your reach.
    """
    pupil, entry = await sensitive.get_entry(session, access, pupil_id=pupil_id, entry_id=entry_id)
    return _released(
        access,
        entry_read(entry),
        subject_id=pupil.subject_id,
        categories=data_categories_of({entry.category}),
        resource_id=entry.id,
        etag=entry_etag(entry),
    )


@router.delete(
    "/{pupil_id}/sensitive/{entry_id}",
    name="pupils_sensitive_delete",
    summary="Delete a special category entry",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def delete_entry(
    access: Annotated[Access, Policy("pupil_sensitive", "delete")],
    pupil_id: PupilIdPath,
    entry_id: EntryIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Erase an entry recorded in error or no longer needed, with `If-Match`. Attendance managers
    under an attendance purpose; information governance under `subject_rights`.
    """
    await sensitive.delete_entry(
        session, access, pupil_id=pupil_id, entry_id=entry_id, if_match=if_match
    )
    return Response(status_code=204)


# --- identification documents and photographs ----------------------------------------------


@router.post(
    "/{pupil_id}/documents",
    name="pupils_documents_upload",
    summary="Upload an identification document",
    status_code=201,
    response_model=DocumentRead,
    responses={
        **NOT_FOUND,
        409: problem_response("The pupil's documents were destroyed (retention)."),
        413: problem_response("The file is over the size limit."),
        415: problem_response(
            "Not multipart/form-data, or the file's content is not an accepted type, is not "
            "what its part declares, or is not an image where a photograph is expected."
        ),
    },
    openapi_extra={
        "requestBody": document_upload_schema(list(ACCEPTED)),
        BODY_LIMIT_SETTING: "document_max_bytes",
    },
)
async def upload_document(
    access: Annotated[Access, Policy("pupil_sensitive", "create")],
    pupil_id: PupilIdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Upload an identification document or a passport-style photograph as `multipart/form-data`
    (`kind`, `source`, `article9_condition`, `file`). Its type is sniffed from the content and it is
    stored encrypted with the pupil's own key. Attendance managers (area teams) under an attendance
    purpose; send an `Idempotency-Key` to retry safely.

    Refused with 413 over the deployment's file allowance, 415 for a type that is not accepted or
    does not match its part, and 409 once the pupil's documents were destroyed under the retention
    schedule.
    """
    pupil = await sensitive.visible_pupil(session, access, pupil_id)
    upload = documents.check_upload(
        await documents.read_upload(
            request.headers.get("content-type"),
            request.stream(),
            max_file_bytes=settings.document_max_bytes,
        )
    )

    async def create() -> Created:
        document, key = await documents.upload_document(
            session, access, ring_of(request.app), pupil=pupil, upload=upload
        )
        return Created(
            documents.document_read(document, key),
            location=f"/v1/pupils/{pupil_id}/documents/{document.id}",
            etag=document_etag(document),
            extra_headers=dict(NO_STORE),
        )

    return await idempotency.run(access, upload.fingerprint(), create)


@router.get(
    "/{pupil_id}/documents",
    name="pupils_documents_list",
    summary="List a pupil's documents",
    response_model=DocumentPage,
    responses=NOT_FOUND,
)
async def list_documents(
    access: Annotated[Access, Policy("pupil_sensitive", "list")],
    pupil_id: PupilIdPath,
    session: SessionDep,
    filters: Annotated[DocumentFilters, Query()],
    paging: PagingDep,
) -> Response:
    """The pupil's identification documents and photographs: metadata only, the content has its own
    route. Send `KPAS-Purpose`: as for special category data; a partner's or inspector's read is
    recorded as a disclosure.
    """
    pupil, items, next_cursor = await documents.list_documents(
        session, access, pupil_id=pupil_id, page=paging.page(access, filters)
    )
    return _released(
        access,
        DocumentPage(items=items, next_cursor=next_cursor),
        subject_id=pupil.subject_id,
        categories=[DOCUMENTS_DATA],
        resource_id=pupil.id,
    )


@router.get(
    "/{pupil_id}/documents/{document_id}",
    name="pupils_documents_get",
    summary="Get a document's metadata",
    response_model=DocumentRead,
    responses=NOT_FOUND,
)
async def get_document(
    access: Annotated[Access, Policy("pupil_sensitive", "read")],
    pupil_id: PupilIdPath,
    document_id: DocumentIdPath,
    session: SessionDep,
) -> Response:
    """One document's metadata; `content_status` says whether its content still exists. Send
    `KPAS-Purpose`: as for special category data.
    """
    pupil, document, key = await documents.get_document(
        session, access, pupil_id=pupil_id, document_id=document_id
    )
    return _released(
        access,
        documents.document_read(document, key),
        subject_id=pupil.subject_id,
        categories=[DOCUMENTS_DATA],
        resource_id=document.id,
        etag=document_etag(document),
    )


@router.get(
    "/{pupil_id}/documents/{document_id}/content",
    name="pupils_documents_content",
    summary="Download a document",
    response_class=Response,
    responses=download_responses(ACCEPTED, NOT_FOUND),
)
async def document_content(
    access: Annotated[Access, Policy("pupil_sensitive", "read")],
    pupil_id: PupilIdPath,
    document_id: DocumentIdPath,
    request: Request,
    session: SessionDep,
) -> Response:
    """The document's content, decrypted, as the media type sniffed on upload, with an opaque file
    name, `Cache-Control: no-store` and a sandboxing `Content-Security-Policy`.

    Send `KPAS-Purpose`: as for special category data; each download by a partner or inspector is
    recorded as a disclosure. 410 once the content was destroyed under the retention schedule.
    """
    pupil, document, content = await documents.document_content(
        session, access, ring_of(request.app), pupil_id=pupil_id, document_id=document_id
    )
    access.record_release(
        subject_ids=[pupil.subject_id],
        categories=[DOCUMENTS_DATA],
        content=content,
        resource_id=document.id,
    )
    extension = ACCEPTED.get(document.media_type, ("", "bin"))[1]
    filename = f"pupil-document-{document.id}.{extension}"  # opaque: no name, no kind
    return Response(
        content,
        media_type=document.media_type,
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": document_etag(document),
        },
    )


@router.delete(
    "/{pupil_id}/documents/{document_id}",
    name="pupils_documents_delete",
    summary="Delete a document",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def delete_document(
    access: Annotated[Access, Policy("pupil_sensitive", "delete")],
    pupil_id: PupilIdPath,
    document_id: DocumentIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Destroy a document and its content, with `If-Match`. Attendance managers under an attendance
    purpose; information governance under `subject_rights`.
    """
    await documents.delete_document(
        session, access, pupil_id=pupil_id, document_id=document_id, if_match=if_match
    )
    return Response(status_code=204)
