"""Documents on a licence: the evidence a licensing officer keeps with an application and
the licence it becomes.

Sources:
- Children and Young Persons Act 1963 s37 and the Children (Performances and Activities)
  (England) Regulations 2014 (SI 2014/3309) reg 4 and Schedule 2: what a performance licence
  application must be accompanied by, including photographs of the child (the number and age
  of the photographs are the Schedule's; not re-checked here against its current text).
- SI 2014/3309 reg 15 and council practice: a chaperone's approval rests on an enhanced DBS
  certificate, references and training, kept as evidence with the approval.
- Children and Young Persons Act 1933 s18 and the county's child employment byelaws: a work
  permit's application and the employer's particulars (council practice to keep the
  contract and the schedule of hours).

An upload is checked exactly as a case document is (``app.services.stored_documents``: PDF,
PNG, JPEG, plain text or DOCX, sniffed from the content; 415 otherwise); a photograph must be
a PNG or JPEG image. The content is encrypted with the licence holder's subject key (the
child's, or the adult's a chaperone approval is for), so destroying that key at the end of
retention destroys every copy. A licence that was refused, revoked or withdrawn still takes
documents: they are the evidence of the decision.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto import KeyEncryptionKeys, subject_key_state
from app.errors import UnsupportedMediaType
from app.models.licences import Licence, LicenceDocument, LicenceDocumentKind
from app.models.people import SubjectKey
from app.policies import Access
from app.repositories.licences import LicenceRepository
from app.repositories.pagination import PageRequest
from app.schemas.licence_documents import (
    LicenceDocumentFingerprint,
    LicenceDocumentRead,
    LicenceDocumentUploadFields,
)
from app.services.documents import (
    Upload,
    content_state,
    decrypt_for_subject,
    document_etag,
    encrypt_for_subject,
)
from app.services.licences import load_licence
from app.services.stored_documents import ACCEPTED as ACCEPTED
from app.services.stored_documents import (
    IMAGES,
    CheckedDocument,
    accepted_list,
    text_fields,
)
from app.services.stored_documents import check_upload as check_document

#: The multipart text fields of an upload (besides ``file``).
TEXT_FIELDS = text_fields(LicenceDocumentUploadFields)
#: Whose documents messages name, and the log event of a document the service cannot read.
HOLDERS = "the licence holder's"
UNREADABLE_EVENT = "licence_document_unreadable"
NOT_FOUND = "No document with that id on this licence."

#: Documents never change: the ETag names the document itself.
licence_document_etag = document_etag

#: A licence document upload that passed every check.
CheckedLicenceUpload = CheckedDocument[LicenceDocumentUploadFields, LicenceDocumentFingerprint]


def check_upload(upload: Upload) -> CheckedLicenceUpload:
    """Validate the fields (422), then the file as a case document's (422, 415), and a
    photograph only as an image (415)."""
    checked = check_document(upload, LicenceDocumentUploadFields, LicenceDocumentFingerprint)
    if checked.fields.kind is LicenceDocumentKind.PHOTOGRAPH and checked.media_type not in IMAGES:
        raise UnsupportedMediaType(
            f"A photograph must be a {accepted_list(IMAGES)} image; the file's content is "
            f"{checked.media_type}."
        )
    return checked


def document_read(document: LicenceDocument, key: SubjectKey | None) -> LicenceDocumentRead:
    status, destroyed_at = content_state(key)
    return LicenceDocumentRead(
        id=document.id,
        licence_id=document.licence_id,
        kind=document.kind,
        title=document.title,
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        recorded_by=document.recorded_by,
        created_at=document.created_at,
        content_status=status,
        content_destroyed_at=destroyed_at,
    )


@dataclass(frozen=True, slots=True)
class StoredLicenceDocument:
    """A document as stored, and the state of its holder's key (None: no key yet)."""

    document: LicenceDocument
    key: SubjectKey | None

    def read(self) -> LicenceDocumentRead:
        return document_read(self.document, self.key)


# --- use cases -----------------------------------------------------------------------------------


async def visible_licence(session: AsyncSession, access: Access, licence_id: uuid.UUID) -> Licence:
    """The licence, before an upload's body is read (a 404 costs the caller nothing to
    send). Any status: a refused or revoked licence still takes its evidence."""
    return await load_licence(session, access, licence_id)


async def upload_document(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    licence: Licence,
    upload: CheckedLicenceUpload,
) -> StoredLicenceDocument:
    """Encrypt and store a checked upload on a licence the caller may see. 409 once the
    holder's documents were destroyed under the retention schedule."""
    document_id, nonce, ciphertext = await encrypt_for_subject(
        session,
        keys,
        licence.subject_id,
        upload.content,
        whose=HOLDERS,
        event=UNREADABLE_EVENT,
    )
    document = LicenceDocument(
        id=document_id,
        licence_id=licence.id,
        subject_id=licence.subject_id,
        purposes_mask=licence.purposes_mask,
        lawful_basis=licence.lawful_basis,
        kind=upload.fields.kind,
        title=upload.fields.title,
        **upload.stored_columns(
            nonce=nonce, ciphertext=ciphertext, recorded_by=access.principal.subject
        ),
        created_at=access.now,
        updated_at=access.now,
    )
    session.add(document)
    await session.flush()
    access.record_change(
        "licence_document.uploaded",
        resource_id=document.id,
        subject_id=licence.subject_id,
        details={"licence_id": str(licence.id), "kind": document.kind.value},
    )
    return StoredLicenceDocument(document, await subject_key_state(session, licence.subject_id))


async def list_documents(
    session: AsyncSession, access: Access, *, licence_id: uuid.UUID, page: PageRequest
) -> tuple[list[LicenceDocumentRead], str | None]:
    licence = await load_licence(session, access, licence_id)
    documents, next_cursor = await LicenceRepository(session).document_page(licence.id, page)
    key = await subject_key_state(session, licence.subject_id) if documents else None
    return [document_read(d, key) for d in documents], next_cursor


async def get_document(
    session: AsyncSession,
    access: Access,
    *,
    licence_id: uuid.UUID,
    document_id: uuid.UUID,
    with_content: bool = False,
) -> tuple[Licence, StoredLicenceDocument]:
    licence = await load_licence(session, access, licence_id)
    document = await LicenceRepository(session).document(
        licence.id, document_id, with_content=with_content
    )
    if document is None:
        raise access.not_found(document_id, NOT_FOUND)
    access.touched(subject_ids=[licence.subject_id], resource_id=document.id)
    key = await subject_key_state(session, licence.subject_id)
    return licence, StoredLicenceDocument(document, key)


async def document_content(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    licence_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[LicenceDocument, bytes]:
    """The decrypted content. 410 once the holder's key was destroyed."""
    licence, stored = await get_document(
        session, access, licence_id=licence_id, document_id=document_id, with_content=True
    )
    document = stored.document
    content = await decrypt_for_subject(
        session,
        keys,
        licence.subject_id,
        document_id=document.id,
        nonce=document.nonce,
        ciphertext=document.ciphertext,
        whose=HOLDERS,
        event=UNREADABLE_EVENT,
    )
    return document, content
