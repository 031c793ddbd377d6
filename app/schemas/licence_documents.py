"""Documents on a licence: DBS evidence, contracts, schedules, the photographs the
regulations require, references and training certificates, as uploaded and as served."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.licences import LicenceDocumentKind
from app.schemas.case_records import Title, case_document_upload_schema
from app.schemas.common import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Cursor, Input, Output, Page
from app.schemas.sensitive import ContentStatus

#: A chaperone's DBS certificate on their approval.
_DOCUMENT: JsonDict = {
    "id": "3f0c8a52-6d1e-4b7a-9c2f-5e8d7a6b4c31",
    "licence_id": "1b21226b-b044-58c4-8aa9-d23eda84faa5",
    "kind": "dbs_certificate",
    "title": "Enhanced DBS certificate, issued 14 October",
    "media_type": "application/pdf",
    "size_bytes": 91544,
    "sha256": "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
    "recorded_by": "licensing-1",
    "created_at": "2026-12-03T10:15:00Z",
    "content_status": "available",
    "content_destroyed_at": None,
}


class LicenceDocumentUploadFields(Input):
    """The text fields of a licence document upload (the ``file`` part is read apart)."""

    kind: LicenceDocumentKind
    title: Title = Field(
        description="A short title (never the file's name).",
        examples=["Enhanced DBS certificate, issued 14 October"],
    )


class LicenceDocumentFingerprint(Input):
    """What makes two uploads the same request, for ``Idempotency-Key``."""

    kind: LicenceDocumentKind
    title: Title
    media_type: str
    size_bytes: int
    sha256: str


class LicenceDocumentRead(Output):
    """A document on a licence: what it is and its fingerprint, never its content (fetch that
    from its `content` link)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DOCUMENT]})

    id: uuid.UUID
    licence_id: uuid.UUID
    kind: LicenceDocumentKind
    title: str
    size_bytes: int
    recorded_by: str
    created_at: datetime
    media_type: str = Field(description="What the content is, as sniffed on upload.")
    sha256: str = Field(description="SHA-256 (hex) of the content.")
    content_status: ContentStatus
    content_destroyed_at: datetime | None = None


class LicenceDocumentPage(Page[LicenceDocumentRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DOCUMENT], "next_cursor": None}]}
    )


class LicenceDocumentFilters(Input):
    """Query parameters of ``GET /v1/licences/{licence_id}/documents``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


def licence_document_upload_schema(accepted_media_types: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of a licence document upload (``multipart/form-data``): a
    case document upload's, with a licence document's kinds."""
    body = case_document_upload_schema(accepted_media_types)
    properties = body["content"]["multipart/form-data"]["schema"]["properties"]
    properties["kind"] = {"type": "string", "enum": [k.value for k in LicenceDocumentKind]}
    return body
