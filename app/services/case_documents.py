"""Documents on a case (letters, meeting notes, contracts, evidence, court papers), encrypted
at rest exactly as a pupil's identification documents are (``app.services.documents``).

An upload is ``multipart/form-data`` read as a stream up to the deployment's file allowance;
its type is what its content is (sniffed, never the client's word): PDF, PNG, JPEG, plain
text (UTF-8 without control characters) or a Word document (DOCX). A declared part type that
disagrees, another type, or a file that is not complete is refused (415) before anything is
stored (``app.services.stored_documents``, shared with documents on a licence). The content
is encrypted with the case pupil's data key (AES-GCM, bound to the document's id and the
pupil's subject), so destroying that key at the end of retention destroys every copy; only
the ciphertext, a SHA-256 of the plaintext and the metadata are stored.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto import KeyEncryptionKeys, subject_key_state
from app.models.cases import Case, CaseDocument, CaseEventKind
from app.models.people import SubjectKey
from app.policies import Access
from app.repositories.case_records import CaseDocumentRepository
from app.repositories.pagination import PageRequest
from app.schemas.case_records import (
    CaseDocumentFingerprint,
    CaseDocumentRead,
    CaseDocumentUploadFields,
)
from app.services.cases import add_event, load_case, require_open
from app.services.documents import (
    Upload,
    content_state,
    decrypt_for_subject,
    document_etag,
    encrypt_for_subject,
)
from app.services.stored_documents import ACCEPTED as ACCEPTED
from app.services.stored_documents import CheckedDocument, text_fields
from app.services.stored_documents import check_upload as check_document

#: The multipart text fields of an upload (besides ``file``).
TEXT_FIELDS = text_fields(CaseDocumentUploadFields)
#: The log event of a case document the service cannot decrypt.
UNREADABLE_EVENT = "case_document_unreadable"

#: Documents never change: the ETag names the document itself.
case_document_etag = document_etag


#: A case document upload that passed every check.
CheckedCaseUpload = CheckedDocument[CaseDocumentUploadFields, CaseDocumentFingerprint]


def check_upload(upload: Upload) -> CheckedCaseUpload:
    """Validate the fields (422), then the file: present and not empty (422), of an accepted
    type that its declared type agrees with, and complete (415)."""
    return check_document(upload, CaseDocumentUploadFields, CaseDocumentFingerprint)


# --- use cases -----------------------------------------------------------------------------------


def document_read(document: CaseDocument, key: SubjectKey | None) -> CaseDocumentRead:
    status, destroyed_at = content_state(key)
    return CaseDocumentRead(
        id=document.id,
        case_id=document.case_id,
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


async def visible_case(session: AsyncSession, access: Access, case_id: uuid.UUID) -> Case:
    """The case, before an upload's body is read (a 404 costs the caller nothing to send)."""
    return await load_case(session, access, case_id)


async def upload_document(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    case: Case,
    upload: CheckedCaseUpload,
) -> tuple[CaseDocument, SubjectKey | None]:
    """Encrypt and store a checked upload on a case the caller may see, and say so on the
    chronology. 409 on a closed case, or once the pupil's documents were destroyed."""
    require_open(case)
    document_id, nonce, ciphertext = await encrypt_for_subject(
        session, keys, case.subject_id, upload.content
    )
    document = CaseDocument(
        id=document_id,
        case_id=case.id,
        subject_id=case.subject_id,
        purposes_mask=case.purposes_mask,
        lawful_basis=case.lawful_basis,
        kind=upload.fields.kind,
        title=upload.fields.title,
        **upload.stored_columns(
            nonce=nonce, ciphertext=ciphertext, recorded_by=access.principal.subject
        ),
        created_at=access.now,
        updated_at=access.now,
    )
    await CaseDocumentRepository(session).add(document)
    add_event(
        session,
        case,
        CaseEventKind.DOCUMENT,
        by=access.principal.subject,
        now=access.now,
        details={
            "document_id": str(document.id),
            "document_kind": document.kind.value,
            "media_type": document.media_type,
        },
    )
    access.record_change(
        "case_document.uploaded",
        resource_id=document.id,
        subject_id=case.subject_id,
        details={"case_id": str(case.id), "kind": document.kind.value},
    )
    return document, await subject_key_state(session, case.subject_id)


async def list_documents(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, page: PageRequest
) -> tuple[list[CaseDocumentRead], str | None]:
    case = await load_case(session, access, case_id)
    documents, next_cursor = await CaseDocumentRepository(session).page(case.id, page)
    key = await subject_key_state(session, case.subject_id) if documents else None
    return [document_read(d, key) for d in documents], next_cursor


async def get_document(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    document_id: uuid.UUID,
    with_content: bool = False,
) -> tuple[Case, CaseDocument, SubjectKey | None]:
    case = await load_case(session, access, case_id)
    document = await CaseDocumentRepository(session).get(
        case.id, document_id, with_content=with_content
    )
    if document is None:
        raise access.not_found(document_id, "No document with that id on this case.")
    access.touched(subject_ids=[case.subject_id], resource_id=document.id)
    return case, document, await subject_key_state(session, case.subject_id)


async def document_content(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    case_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[CaseDocument, bytes]:
    """The decrypted content. 410 once the pupil's key was destroyed."""
    case, document, _ = await get_document(
        session, access, case_id=case_id, document_id=document_id, with_content=True
    )
    content = await decrypt_for_subject(
        session,
        keys,
        case.subject_id,
        document_id=document.id,
        nonce=document.nonce,
        ciphertext=document.ciphertext,
        event=UNREADABLE_EVENT,
    )
    return document, content
