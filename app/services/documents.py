"""Identification documents and passport-style photographs of pupils, encrypted at rest.

An upload is read as a stream and held in memory only up to the size limit (never spooled
to disk, where plaintext would outlive the request). Its type is what its content is, sniffed
with ``filetype``: a declared part type that disagrees, a type that is not accepted, or a
photograph that is not an image is refused (415); nothing is stored until every check has
passed. The content is then encrypted with the pupil's data key (``app.crypto``), bound to
the document's id and the pupil's subject, and only the ciphertext, a SHA-256 of the
plaintext and the metadata are stored.

Destroying the subject key (retention) leaves the metadata, marked destroyed, and makes the
content unreadable: reading it answers 410 Gone.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

import filetype
from pydantic import ValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto import (
    DecryptionFailed,
    KeyEncryptionKeys,
    SubjectKeyDestroyed,
    SubjectKeyMissing,
    UnknownWrappingKey,
    data_key_for,
    data_key_for_new_document,
    decrypt_document,
    encrypt_document,
    subject_key_state,
)
from app.errors import (
    Conflict,
    Gone,
    InternalError,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
    field_errors,
)
from app.log import get_logger
from app.models.people import DocumentKind, Pupil, PupilDocument, SubjectKey
from app.models.sharing import DataCategory
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.sensitive import PupilDocumentRepository
from app.schemas.sensitive import (
    ContentStatus,
    DocumentRead,
    DocumentUploadFields,
    DocumentUploadFingerprint,
)
from app.services.concurrency import IfMatch, etag_for
from app.services.sensitive import require_purpose_condition, visible_pupil

log = get_logger("kpas.documents")

MULTIPART = "multipart/form-data"

#: What may be stored, by sniffed media type: a name for messages and a file extension.
ACCEPTED: dict[str, tuple[str, str]] = {
    "image/jpeg": ("JPEG", "jpg"),
    "image/png": ("PNG", "png"),
    "image/heic": ("HEIC", "heic"),
    "application/pdf": ("PDF", "pdf"),
}
IMAGES = frozenset({"image/jpeg", "image/png", "image/heic"})
#: Part types clients send for "I don't know": the content decides.
UNDECLARED = frozenset({"", "application/octet-stream"})
#: Other names clients use for accepted types.
ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}

DOCUMENTS_DATA = DataCategory.IDENTIFICATION_DOCUMENTS.value

#: Whose documents messages name, and the log event of a document the service cannot read.
PUPILS = "this pupil's"
UNREADABLE_EVENT = "document_unreadable"

_FILE = "file"
_TEXT_FIELDS = frozenset(DocumentUploadFields.model_fields)
_MAX_TEXT_FIELD_BYTES = 1024
_MAX_PARTS = 8
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,62}/[a-z0-9][a-z0-9!#$&^_.+-]{0,62}")


class DocumentUnreadable(InternalError):
    """The server cannot decrypt a stored document: a key-encryption key is missing from its
    key directory, or the stored data failed its integrity check. Never the caller's fault."""


class _Identified(Protocol):
    id: uuid.UUID
    created_at: datetime


def document_etag(document: _Identified) -> str:
    """Documents never change: the ETag names the document itself (any stored document: a
    pupil's, a case's, a licence's)."""
    return etag_for(document.id, 1, document.created_at)


# --- reading an upload ---------------------------------------------------------------------


@dataclass(slots=True)
class Upload:
    """A document upload as received: its text fields and the file, not yet checked."""

    fields: dict[str, str]
    content: bytes
    #: The part's Content-Type, lower-cased, without parameters ("" if none).
    declared_type: str
    has_file: bool


@dataclass(slots=True)
class _Part:
    name: str = ""
    content_type: str = ""
    data: bytearray = field(default_factory=bytearray)
    limit: int = 0


class _FormReader:
    """Callbacks for python-multipart's streaming parser, with limits enforced as bytes
    arrive: the file up to ``max_file_bytes``, each text field up to 1 KiB."""

    def __init__(self, max_file_bytes: int, text_fields: frozenset[str] = _TEXT_FIELDS) -> None:
        self.max_file_bytes = max_file_bytes
        self.text_fields = text_fields
        self.parts: dict[str, _Part] = {}
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.count = 0
        self.finished = False

    def on_part_begin(self) -> None:
        self.count += 1
        if self.count > _MAX_PARTS:
            raise InvalidRequest("The upload has too many parts.")
        self.part = _Part()
        self.headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.headers[bytes(self.header_name).lower()] = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        disposition, options = parse_options_header(self.headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise InvalidRequest("Each part needs Content-Disposition: form-data with a name.")
        name = options[b"name"].decode("latin-1")
        if name != _FILE and name not in self.text_fields:
            raise _field_error(name, "Extra inputs are not permitted", "extra_forbidden")
        if name in self.parts:
            raise _field_error(name, "given more than once", "duplicate")
        declared, _ = parse_options_header(self.headers.get(b"content-type"))
        self.part = _Part(
            name=name,
            content_type=declared.decode("latin-1"),
            limit=self.max_file_bytes if name == _FILE else _MAX_TEXT_FIELD_BYTES,
        )
        self.parts[name] = self.part

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        if len(part.data) + (end - start) > part.limit:
            if part.name == _FILE:
                raise PayloadTooLarge(f"The file exceeds the limit of {part.limit} bytes.")
            raise _field_error(part.name, f"longer than {part.limit} bytes", "too_long")
        part.data += data[start:end]

    def on_end(self) -> None:
        self.finished = True


def _field_error(name: str, detail: str, code: str) -> ValidationFailed:
    pointer = "/" + name[:100].replace("~", "~0").replace("/", "~1")  # RFC 6901 escaping
    return ValidationFailed(
        "1 field(s) failed validation.",
        errors=[{"location": "body", "pointer": pointer, "detail": detail, "code": code}],
    )


async def read_upload(
    content_type: str | None,
    chunks: AsyncIterator[bytes],
    *,
    max_file_bytes: int,
    text_fields: frozenset[str] = _TEXT_FIELDS,
) -> Upload:
    """Parse a ``multipart/form-data`` body as it streams in: a ``file`` part and the
    ``text_fields`` (a pupil document's by default).

    415 for another media type, 400 for a malformed body, 413 as soon as the file passes
    ``max_file_bytes``, 422 for unknown, repeated or oversized text fields.
    """
    media, options = parse_options_header(content_type)
    if media.decode("latin-1") != MULTIPART:
        raise UnsupportedMediaType(
            f"Send the upload as {MULTIPART}.", headers={"Accept-Post": MULTIPART}
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise InvalidRequest("The multipart body has no boundary.")
    reader = _FormReader(max_file_bytes, text_fields)
    try:
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": reader.on_part_begin,
                "on_part_data": reader.on_part_data,
                "on_header_field": reader.on_header_field,
                "on_header_value": reader.on_header_value,
                "on_header_end": reader.on_header_end,
                "on_headers_finished": reader.on_headers_finished,
                "on_end": reader.on_end,
            },
        )
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError):
        raise InvalidRequest("The body is not valid multipart/form-data.") from None
    if not reader.finished:
        raise InvalidRequest("The multipart body ended before its closing boundary.")
    fields: dict[str, str] = {}
    for name, part in reader.parts.items():
        if name == _FILE:
            continue
        try:
            fields[name] = bytes(part.data).decode("utf-8")
        except UnicodeDecodeError:
            raise _field_error(name, "not UTF-8 text", "string_unicode") from None
    file = reader.parts.get(_FILE)
    return Upload(
        fields=fields,
        content=bytes(file.data) if file else b"",
        declared_type=file.content_type if file else "",
        has_file=file is not None,
    )


# --- checking it ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckedUpload:
    fields: DocumentUploadFields
    content: bytes
    media_type: str
    sha256: str

    def fingerprint(self) -> DocumentUploadFingerprint:
        return DocumentUploadFingerprint(
            kind=self.fields.kind,
            source=self.fields.source,
            article9_condition=self.fields.article9_condition,
            media_type=self.media_type,
            size_bytes=len(self.content),
            sha256=self.sha256,
        )


def _accepted_list(types: frozenset[str] | set[str] | None = None) -> str:
    names = [ACCEPTED[t][0] for t in ACCEPTED if types is None or t in types]
    return ", ".join(names[:-1]) + " or " + names[-1]


def sniff(content: bytes) -> str | None:
    """What the content is (by its own bytes, never the client's word), or None."""
    guess = filetype.guess_mime(content)
    return str(guess) if guess else None


def _complete(media_type: str, content: bytes) -> bool:
    """Beyond the magic number: the structure an intact file of the type has at its ends,
    so a truncated file, or other content behind a borrowed signature, is refused."""
    if media_type == "image/png":
        return content[12:16] == b"IHDR" and content[-8:-4] == b"IEND"
    if media_type == "image/jpeg":
        return b"\xff\xd9" in content[3:]  # an end-of-image marker (data may follow it)
    if media_type == "application/pdf":
        return b"%%EOF" in content[-1024:]
    return True


def check_upload(upload: Upload) -> CheckedUpload:
    """Validate the fields (422), then the file: present and not empty (422), of an accepted
    type that its declared type agrees with (415), a photograph only as an image (415)."""
    try:
        fields = DocumentUploadFields.model_validate(upload.fields)
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
        raise _field_error(_FILE, "the file is empty", "empty")
    media_type = sniff(upload.content)
    if media_type not in ACCEPTED:
        what = f"is {media_type}" if media_type else "is of no recognised type"
        raise UnsupportedMediaType(
            f"The file's content {what}; only {_accepted_list()} files are accepted."
        )
    declared = ALIASES.get(upload.declared_type, upload.declared_type)
    if declared not in UNDECLARED and declared != media_type:
        # Name the declared type only when it is one: the header is the client's free text.
        said = declared if _MEDIA_TYPE.fullmatch(declared) else "what its part declares"
        raise UnsupportedMediaType(f"The file's content is {media_type}, not {said}.")
    if not _complete(media_type, upload.content):
        raise UnsupportedMediaType(
            f"The file's content is not a complete {ACCEPTED[media_type][0]} file."
        )
    if fields.kind is DocumentKind.PHOTOGRAPH and media_type not in IMAGES:
        raise UnsupportedMediaType(
            f"A photograph must be a {_accepted_list(set(IMAGES))} image; the file's "
            f"content is {media_type}."
        )
    return CheckedUpload(
        fields=fields,
        content=upload.content,
        media_type=media_type,
        sha256=hashlib.sha256(upload.content).hexdigest(),
    )


def _missing_file() -> dict[str, str]:
    return {"location": "body", "pointer": "/file", "detail": "Field required", "code": "missing"}


# --- use cases -----------------------------------------------------------------------------


def releasable(access: Access) -> bool:
    """Documents may be served to this caller (always inside KPAS; for a partner or an
    inspector, when their agreement or grant covers identification documents)."""
    return bool(access.releasable(frozenset({DOCUMENTS_DATA})))


def content_state(key: SubjectKey | None) -> tuple[ContentStatus, datetime | None]:
    """Whether a document's content still exists (its subject's key not destroyed), and
    when it was destroyed."""
    destroyed_at = key.destroyed_at if key is not None else None
    status = ContentStatus.DESTROYED if destroyed_at is not None else ContentStatus.AVAILABLE
    return status, destroyed_at


def document_read(document: PupilDocument, key: SubjectKey | None) -> DocumentRead:
    status, destroyed_at = content_state(key)
    return DocumentRead(
        id=document.id,
        pupil_id=document.pupil_id,
        kind=document.kind,
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        source=document.source,
        article9_condition=document.article9_condition,
        recorded_by=document.recorded_by,
        created_at=document.created_at,
        content_status=status,
        content_destroyed_at=destroyed_at,
    )


async def visible_pupil_for_documents(
    session: AsyncSession, access: Access, pupil_id: uuid.UUID
) -> Pupil:
    pupil = await visible_pupil(session, access, pupil_id)
    if not releasable(access):
        raise access.not_found(pupil_id, f"No documents of pupil {pupil_id} are shared with you.")
    return pupil


async def encrypt_for_subject(
    session: AsyncSession,
    keys: KeyEncryptionKeys,
    subject_id: uuid.UUID,
    content: bytes,
    *,
    whose: str = PUPILS,
    event: str = UNREADABLE_EVENT,
) -> tuple[uuid.UUID, bytes, bytes]:
    """A new document's id, nonce and ciphertext: ``content`` encrypted with the subject's
    data key (made if they have none). 409 once the subject's documents were destroyed; a
    500 the operator must see (logged as ``event``) when the key cannot be unwrapped.
    ``whose`` names the subject in messages ("this pupil's")."""
    try:
        data_key = await data_key_for_new_document(session, keys, subject_id)
    except SubjectKeyDestroyed:
        raise Conflict(
            f"{whose.capitalize()} documents were destroyed under the retention schedule; no "
            "new documents can be stored for them."
        ) from None
    except (UnknownWrappingKey, DecryptionFailed) as exc:
        raise _unreadable(exc, subject_id, whose=whose, event=event) from None
    document_id = uuid.uuid4()
    nonce, ciphertext = encrypt_document(
        data_key, document_id=document_id, subject_id=subject_id, plaintext=content
    )
    return document_id, nonce, ciphertext


async def upload_document(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    pupil: Pupil,
    upload: CheckedUpload,
) -> tuple[PupilDocument, SubjectKey | None]:
    """Encrypt and store a checked upload for a pupil the caller may see."""
    require_purpose_condition(access, upload.fields.article9_condition)
    document_id, nonce, ciphertext = await encrypt_for_subject(
        session, keys, pupil.subject_id, upload.content
    )
    document = PupilDocument(
        id=document_id,
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask,
        lawful_basis=pupil.lawful_basis,
        kind=upload.fields.kind,
        media_type=upload.media_type,
        size_bytes=len(upload.content),
        sha256=upload.sha256,
        nonce=nonce,
        ciphertext=ciphertext,
        source=upload.fields.source,
        article9_condition=upload.fields.article9_condition,
        recorded_by=access.principal.subject,
    )
    await PupilDocumentRepository(session).add(document)
    access.record_change(
        "pupil_document.uploaded",
        resource_id=document.id,
        subject_id=pupil.subject_id,
        details={"pupil_id": str(pupil.id)},
    )
    return document, await subject_key_state(session, pupil.subject_id)


async def list_documents(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    page: PageRequest,
) -> tuple[Pupil, list[DocumentRead], str | None]:
    pupil = await visible_pupil_for_documents(session, access, pupil_id)
    documents, next_cursor = await PupilDocumentRepository(session).page(
        pupil.id, visible=access.filter(), page=page
    )
    access.touched(subject_ids=[pupil.subject_id], resource_id=pupil.id)
    key = await subject_key_state(session, pupil.subject_id) if documents else None
    return pupil, [document_read(d, key) for d in documents], next_cursor


async def get_document(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    document_id: uuid.UUID,
    with_content: bool = False,
) -> tuple[Pupil, PupilDocument, SubjectKey | None]:
    pupil = await visible_pupil_for_documents(session, access, pupil_id)
    document = await PupilDocumentRepository(session).get(
        pupil.id, document_id, visible=access.filter(), with_content=with_content
    )
    if document is None:
        raise access.not_found(document_id, f"No document {document_id} for this pupil.")
    access.touched(subject_ids=[pupil.subject_id], resource_id=document.id)
    return pupil, document, await subject_key_state(session, pupil.subject_id)


async def document_content(
    session: AsyncSession,
    access: Access,
    keys: KeyEncryptionKeys,
    *,
    pupil_id: uuid.UUID,
    document_id: uuid.UUID,
) -> tuple[Pupil, PupilDocument, bytes]:
    """The decrypted content. 410 once the pupil's key was destroyed."""
    pupil, document, _ = await get_document(
        session, access, pupil_id=pupil_id, document_id=document_id, with_content=True
    )
    content = await decrypt_for_subject(
        session,
        keys,
        pupil.subject_id,
        document_id=document.id,
        nonce=document.nonce,
        ciphertext=document.ciphertext,
    )
    return pupil, document, content


async def delete_document(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    document_id: uuid.UUID,
    if_match: IfMatch,
) -> None:
    pupil, document, _ = await get_document(
        session, access, pupil_id=pupil_id, document_id=document_id
    )
    if_match.require(document_etag(document))
    await PupilDocumentRepository(session).delete(document)
    access.record_change(
        "pupil_document.deleted",
        resource_id=document_id,
        subject_id=pupil.subject_id,
        details={"pupil_id": str(pupil.id)},
    )


async def decrypt_for_subject(
    session: AsyncSession,
    keys: KeyEncryptionKeys,
    subject_id: uuid.UUID,
    *,
    document_id: uuid.UUID,
    nonce: bytes,
    ciphertext: bytes,
    whose: str = PUPILS,
    event: str = UNREADABLE_EVENT,
) -> bytes:
    """A stored document's content, decrypted with the subject's data key. 410 once the key
    was destroyed under the retention schedule; a 500 the operator must see (logged as
    ``event``) when it cannot be unwrapped or the data fails its integrity check."""
    try:
        data_key = await data_key_for(session, keys, subject_id)
        return decrypt_document(
            data_key,
            document_id=document_id,
            subject_id=subject_id,
            nonce=nonce,
            ciphertext=ciphertext,
        )
    except SubjectKeyDestroyed:
        raise Gone(
            "This document's content was destroyed under the retention schedule; only its "
            "record remains."
        ) from None
    except (SubjectKeyMissing, UnknownWrappingKey, DecryptionFailed) as exc:
        raise _unreadable(exc, subject_id, document_id, whose=whose, event=event) from None


def _unreadable(
    exc: Exception,
    subject_id: uuid.UUID,
    document_id: uuid.UUID | None = None,
    *,
    whose: str,
    event: str,
) -> DocumentUnreadable:
    """Log the server-side fault (ids only) and the problem to answer with."""
    log.error(
        event,
        reason=type(exc).__name__,
        kek_id=getattr(exc, "kek_id", None),
        subject_id=str(subject_id),
        document_id=str(document_id) if document_id else None,
    )
    return DocumentUnreadable(
        f"The service cannot decrypt {whose} documents: its encryption keys need "
        "attention. The incident has been logged."
    )
