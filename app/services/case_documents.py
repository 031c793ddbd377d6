"""Documents on a case (letters, meeting notes, contracts, evidence, court papers), encrypted
at rest exactly as a pupil's identification documents are (``app.services.documents``).

An upload is ``multipart/form-data`` read as a stream up to the deployment's file allowance;
its type is what its content is (sniffed, never the client's word): PDF, PNG, JPEG, plain
text (UTF-8 without control characters) or a Word document (DOCX). A declared part type that
disagrees, another type, or a file that is not complete is refused (415) before anything is
stored. The content is encrypted with the case pupil's data key (AES-GCM, bound to the
document's id and the pupil's subject), so destroying that key at the end of retention
destroys every copy; only the ciphertext, a SHA-256 of the plaintext and the metadata are
stored.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto import (
    DecryptionFailed,
    KeyEncryptionKeys,
    SubjectKeyDestroyed,
    SubjectKeyMissing,
    UnknownWrappingKey,
    data_key_for,
    decrypt_document,
    subject_key_state,
)
from app.errors import (
    Gone,
    UnsupportedMediaType,
    ValidationFailed,
    body_problem,
    field_errors,
)
from app.log import get_logger
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
from app.schemas.sensitive import ContentStatus
from app.services.cases import add_event, load_case, require_open
from app.services.concurrency import etag_for
from app.services.documents import (
    ALIASES,
    UNDECLARED,
    DocumentUnreadable,
    Upload,
    _complete,
    encrypt_for_subject,
    sniff,
)

log = get_logger("kpas.case_documents")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"

#: What may be stored, by sniffed media type: a name for messages and a file extension.
ACCEPTED: dict[str, tuple[str, str]] = {
    "application/pdf": ("PDF", "pdf"),
    "image/png": ("PNG", "png"),
    "image/jpeg": ("JPEG", "jpg"),
    TEXT: ("plain text", "txt"),
    DOCX: ("DOCX", "docx"),
}
#: The multipart text fields of an upload (besides ``file``).
TEXT_FIELDS = frozenset(CaseDocumentUploadFields.model_fields)

#: Line layout a text file may hold; every other control character means it is not text.
_TEXT_LAYOUT = frozenset("\n\r\t\f")
_UTF8_BOM = b"\xef\xbb\xbf"


def case_document_etag(document: CaseDocument) -> str:
    """Documents never change: the ETag names the document itself."""
    return etag_for(document.id, 1, document.created_at)


# --- checking an upload ------------------------------------------------------------------------


def _is_text(content: bytes) -> bool:
    """UTF-8 text (a byte order mark allowed) with no control characters but line layout."""
    try:
        text = content.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch in _TEXT_LAYOUT or unicodedata.category(ch) != "Cc" for ch in text)


def _is_docx(content: bytes) -> bool:
    """A complete zip (its central directory readable) holding a Word document's main part.
    Only the directory is read: nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def sniff_case_document(content: bytes) -> str | None:
    """What the content is, by its own bytes: a type ``filetype`` knows, else plain text if
    it is text, else None."""
    media_type = sniff(content)
    if media_type is None and _is_text(content):
        return TEXT
    return media_type


def _complete_file(media_type: str, content: bytes) -> bool:
    if media_type == DOCX:
        return _is_docx(content)
    return _complete(media_type, content)


def _accepted_list() -> str:
    names = [name for name, _ in ACCEPTED.values()]
    return ", ".join(names[:-1]) + " or " + names[-1]


@dataclass(frozen=True, slots=True)
class CheckedCaseUpload:
    fields: CaseDocumentUploadFields
    content: bytes
    media_type: str
    sha256: str

    def fingerprint(self) -> CaseDocumentFingerprint:
        return CaseDocumentFingerprint(
            kind=self.fields.kind,
            title=self.fields.title,
            media_type=self.media_type,
            size_bytes=len(self.content),
            sha256=self.sha256,
        )


def _missing_file() -> dict[str, str]:
    return body_problem("/file", "Field required", "missing")


def check_upload(upload: Upload) -> CheckedCaseUpload:
    """Validate the fields (422), then the file: present and not empty (422), of an accepted
    type that its declared type agrees with, and complete (415)."""
    try:
        fields = CaseDocumentUploadFields.model_validate(upload.fields)
    except ValidationError as exc:
        errors = field_errors({**e, "loc": ("body", *e["loc"])} for e in exc.errors())
        if not upload.has_file:
            errors.append(_missing_file())
        raise ValidationFailed(
            f"{len(errors)} field(s) failed validation.", errors=errors
        ) from None
    if not upload.has_file:
        raise ValidationFailed("1 field(s) failed validation.", errors=[_missing_file()])
    if not upload.content:
        raise ValidationFailed(
            "1 field(s) failed validation.",
            errors=[body_problem("/file", "the file is empty", "empty")],
        )
    media_type = sniff_case_document(upload.content)
    if media_type not in ACCEPTED:
        what = f"is {media_type}" if media_type else "is of no recognised type"
        raise UnsupportedMediaType(
            f"The file's content {what}; only {_accepted_list()} files are accepted."
        )
    declared = ALIASES.get(upload.declared_type, upload.declared_type)
    if declared not in UNDECLARED and declared != media_type:
        raise UnsupportedMediaType(
            f"The file's content is {media_type}, not what its part declares."
        )
    if not _complete_file(media_type, upload.content):
        raise UnsupportedMediaType(
            f"The file's content is not a complete {ACCEPTED[media_type][0]} file."
        )
    return CheckedCaseUpload(
        fields=fields,
        content=upload.content,
        media_type=media_type,
        sha256=hashlib.sha256(upload.content).hexdigest(),
    )


# --- use cases -----------------------------------------------------------------------------------


def document_read(document: CaseDocument, key: SubjectKey | None) -> CaseDocumentRead:
    destroyed = key is not None and key.destroyed_at is not None
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
        content_status=ContentStatus.DESTROYED if destroyed else ContentStatus.AVAILABLE,
        content_destroyed_at=key.destroyed_at if key is not None else None,
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
        media_type=upload.media_type,
        size_bytes=len(upload.content),
        sha256=upload.sha256,
        nonce=nonce,
        ciphertext=ciphertext,
        recorded_by=access.principal.subject,
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
    try:
        data_key = await data_key_for(session, keys, case.subject_id)
        content = decrypt_document(
            data_key,
            document_id=document.id,
            subject_id=case.subject_id,
            nonce=document.nonce,
            ciphertext=document.ciphertext,
        )
    except SubjectKeyDestroyed:
        raise Gone(
            "This document's content was destroyed under the retention schedule; only its "
            "record remains."
        ) from None
    except (SubjectKeyMissing, UnknownWrappingKey, DecryptionFailed) as exc:
        raise _unreadable(exc, case.subject_id, document.id) from None
    return document, content


def _unreadable(
    exc: Exception, subject_id: uuid.UUID, document_id: uuid.UUID | None = None
) -> DocumentUnreadable:
    """Log the server-side fault (ids only) and the problem to answer with."""
    log.error(
        "case_document_unreadable",
        reason=type(exc).__name__,
        kek_id=getattr(exc, "kek_id", None),
        subject_id=str(subject_id),
        document_id=str(document_id) if document_id else None,
    )
    return DocumentUnreadable(
        "The service cannot decrypt this pupil's documents: its encryption keys need "
        "attention. The incident has been logged."
    )
