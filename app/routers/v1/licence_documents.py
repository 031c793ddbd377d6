"""`/v1/licences/{licence_id}/documents`: documents on a licence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.crypto import ring_of
from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import DocumentIdPath, LicenceIdPath
from app.routers.route import BODY_LIMIT_SETTING, KpasRoute, download_responses, problem_response
from app.routers.v1 import PREFIX
from app.schemas.licence_documents import (
    LicenceDocumentFilters,
    LicenceDocumentPage,
    LicenceDocumentRead,
    licence_document_upload_schema,
)
from app.services import licence_documents
from app.services.documents import read_upload
from app.services.licence_documents import ACCEPTED, licence_document_etag
from app.services.stored_documents import download_headers

router = APIRouter(prefix=f"{PREFIX}/licences", tags=["licences"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {
    404: problem_response("No such licence, or document on it, that you may see.")
}


@router.post(
    "/{licence_id}/documents",
    name="licences_documents_upload",
    summary="Upload a licence document",
    status_code=201,
    response_model=LicenceDocumentRead,
    responses={
        **NOT_FOUND,
        409: problem_response("The holder's documents were destroyed (retention)."),
        413: problem_response("The file is over the size limit."),
        415: problem_response(
            "Not multipart/form-data, or the file's content is not an accepted type, is not "
            "what its part declares, is not a complete file, or is a photograph that is not "
            "an image."
        ),
    },
    openapi_extra={
        "requestBody": licence_document_upload_schema(list(ACCEPTED)),
        BODY_LIMIT_SETTING: "document_max_bytes",
    },
)
async def upload_document(
    access: Annotated[Access, Policy("licence_document", "create")],
    licence_id: LicenceIdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Upload a document to an application or licence as `multipart/form-data` (`kind`,
    `title`, `file`): a DBS certificate, contract, schedule, photograph, reference, training
    certificate or other evidence, as PDF, PNG, JPEG, plain text (UTF-8) or a Word document
    (DOCX); a photograph must be a PNG or JPEG. Its type is sniffed from the content, never
    taken from the client, and it is stored encrypted with the holder's own key. A refused or
    revoked licence still takes documents. Licensing officers, under
    `KPAS-Purpose: child_employment_licensing` (the default); send an `Idempotency-Key` to
    retry safely.

    Refused with 413 over the deployment's file allowance and 415 for a type that is not
    accepted or does not match its part.
    """
    licence = await licence_documents.visible_licence(session, access, licence_id)
    upload = licence_documents.check_upload(
        await read_upload(
            request.headers.get("content-type"),
            request.stream(),
            max_file_bytes=settings.document_max_bytes,
            text_fields=licence_documents.TEXT_FIELDS,
        )
    )

    async def create() -> Created:
        stored = await licence_documents.upload_document(
            session, access, ring_of(request.app), licence=licence, upload=upload
        )
        return Created(
            stored.read(),
            location=f"{PREFIX}/licences/{licence_id}/documents/{stored.document.id}",
            etag=licence_document_etag(stored.document),
        )

    return await idempotency.run(access, upload.fingerprint(), create)


@router.get(
    "/{licence_id}/documents",
    name="licences_documents_list",
    summary="List a licence's documents",
    response_model=LicenceDocumentPage,
    responses=NOT_FOUND,
)
async def list_documents(
    access: Annotated[Access, Policy("licence_document", "list")],
    licence_id: LicenceIdPath,
    session: SessionDep,
    filters: Annotated[LicenceDocumentFilters, Query()],
    paging: PagingDep,
) -> LicenceDocumentPage:
    """The licence's documents in the order they were stored: metadata only, the content has
    its own route. Licensing officers; information governance under a governance purpose."""
    items, next_cursor = await licence_documents.list_documents(
        session, access, licence_id=licence_id, page=paging.page(access, filters)
    )
    return LicenceDocumentPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{licence_id}/documents/{document_id}",
    name="licences_documents_get",
    summary="Get a licence document's metadata",
    response_model=LicenceDocumentRead,
    responses=NOT_FOUND,
)
async def get_document(
    access: Annotated[Access, Policy("licence_document", "read")],
    licence_id: LicenceIdPath,
    document_id: DocumentIdPath,
    session: SessionDep,
    response: Response,
) -> LicenceDocumentRead:
    """One document's metadata, with its `ETag`; `content_status` says whether its content
    still exists. Licensing officers; information governance under a governance purpose."""
    _, stored = await licence_documents.get_document(
        session, access, licence_id=licence_id, document_id=document_id
    )
    response.headers["ETag"] = licence_document_etag(stored.document)
    return stored.read()


@router.get(
    "/{licence_id}/documents/{document_id}/content",
    name="licences_documents_content",
    summary="Download a licence document",
    response_class=Response,
    responses=download_responses(ACCEPTED, NOT_FOUND),
)
async def document_content(
    access: Annotated[Access, Policy("licence_document", "read")],
    licence_id: LicenceIdPath,
    document_id: DocumentIdPath,
    request: Request,
    session: SessionDep,
) -> Response:
    """The document's content, decrypted, as the media type sniffed on upload, as an attachment
    with a generated file name (never the uploaded one) and a sandboxing
    `Content-Security-Policy`. Licensing officers; information governance under a governance
    purpose; 410 once the content was destroyed under the retention schedule.
    """
    document, content = await licence_documents.document_content(
        session, access, ring_of(request.app), licence_id=licence_id, document_id=document_id
    )
    return Response(
        content,
        media_type=document.media_type,
        headers=download_headers(
            document, name="licence-document", etag=licence_document_etag(document)
        ),
    )
