"""What every document kept as a record of work shares: documents on a case (letters, meeting
notes, evidence, court papers) and on a licence (DBS evidence, contracts, schedules,
photographs, references, training certificates).

Accepted are the files an officer works with: PDF, PNG, JPEG, plain text (UTF-8 without
control characters) and Word documents (DOCX). A file's type is what its content is, sniffed
from its own bytes, never the client's word: a declared part type that disagrees, another
type, or a file that is not complete is refused (415) before anything is stored. The text
fields of an upload are validated against the model the caller names (422).

Reading the multipart body and encrypting and decrypting with the subject's data key are
those of a pupil's identification documents (``app.services.documents``): the content is
encrypted with the data subject's own key, bound to the document's id and the subject, so
destroying that key at the end of retention destroys every copy; only the ciphertext, a
SHA-256 of the plaintext and the metadata are stored. A document never changes, so its
ETag names the document itself.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import UnsupportedMediaType, ValidationFailed, body_problem, field_errors
from app.services.documents import ALIASES, UNDECLARED, Upload, _complete, sniff

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
#: The accepted types that are photographs.
IMAGES = frozenset({"image/png", "image/jpeg"})

#: Line layout a text file may hold; every other control character means it is not text.
_TEXT_LAYOUT = frozenset("\n\r\t\f")
_UTF8_BOM = b"\xef\xbb\xbf"

F = TypeVar("F", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)


class StoredDocument(Protocol):
    id: uuid.UUID
    created_at: datetime
    media_type: str


def text_fields(model: type[BaseModel]) -> frozenset[str]:
    """The multipart text fields of an upload (besides ``file``): the model's fields."""
    return frozenset(model.model_fields)


def download_headers(document: StoredDocument, *, name: str, etag: str) -> dict[str, str]:
    """The headers content is served with: an attachment with a generated file name (``name``
    and the id: never the uploaded name, never the title) and a sandboxing policy."""
    extension = ACCEPTED.get(document.media_type, ("", "bin"))[1]
    filename = f"{name}-{document.id}.{extension}"
    return {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "ETag": etag,
    }


# --- what a file is ------------------------------------------------------------------------------


def is_text(content: bytes) -> bool:
    """UTF-8 text (a byte order mark allowed) with no control characters but line layout."""
    try:
        text = content.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch in _TEXT_LAYOUT or unicodedata.category(ch) != "Cc" for ch in text)


def is_docx(content: bytes) -> bool:
    """A complete zip (its central directory readable) holding a Word document's main part.
    Only the directory is read: nothing is decompressed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def sniff_document(content: bytes) -> str | None:
    """What the content is, by its own bytes: a type ``filetype`` knows, else plain text if
    it is text, else None."""
    media_type = sniff(content)
    if media_type is None and is_text(content):
        return TEXT
    return media_type


def complete_file(media_type: str, content: bytes) -> bool:
    """The structure an intact file of the type has (a Word document: its zip directory)."""
    if media_type == DOCX:
        return is_docx(content)
    return _complete(media_type, content)


def accepted_list(types: frozenset[str] | None = None) -> str:
    names = [
        name for media_type, (name, _) in ACCEPTED.items() if types is None or media_type in types
    ]
    return ", ".join(names[:-1]) + " or " + names[-1]


# --- checking an upload --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckedDocument(Generic[F, P]):
    """An upload that passed every check: its fields, the content and what it is, and the
    model of what makes two uploads the same request."""

    fields: F
    content: bytes
    media_type: str
    sha256: str
    fingerprint_model: type[P]

    @property
    def size_bytes(self) -> int:
        return len(self.content)

    def stored_columns(
        self, *, nonce: bytes, ciphertext: bytes, recorded_by: str
    ) -> dict[str, Any]:
        """The ``EncryptedContent`` columns of the document this upload becomes, once its
        content is encrypted (``nonce``, ``ciphertext``)."""
        return {
            "media_type": self.media_type,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "nonce": nonce,
            "ciphertext": ciphertext,
            "recorded_by": recorded_by,
        }

    def fingerprint(self) -> P:
        """What makes two uploads the same request, for ``Idempotency-Key``: the fields and
        the content's type, size and digest."""
        return self.fingerprint_model.model_validate(
            {
                **self.fields.model_dump(),
                "media_type": self.media_type,
                "size_bytes": self.size_bytes,
                "sha256": self.sha256,
            }
        )


def _missing_file() -> dict[str, str]:
    return body_problem("/file", "Field required", "missing")


def check_upload(
    upload: Upload, fields_model: type[F], fingerprint_model: type[P]
) -> CheckedDocument[F, P]:
    """Validate the fields against ``fields_model`` (422), then the file: present and not
    empty (422), of an accepted type that its declared type agrees with, and complete
    (415)."""
    try:
        fields = fields_model.model_validate(upload.fields)
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
    media_type = sniff_document(upload.content)
    if media_type not in ACCEPTED:
        what = f"is {media_type}" if media_type else "is of no recognised type"
        raise UnsupportedMediaType(
            f"The file's content {what}; only {accepted_list()} files are accepted."
        )
    declared = ALIASES.get(upload.declared_type, upload.declared_type)
    if declared not in UNDECLARED and declared != media_type:
        raise UnsupportedMediaType(
            f"The file's content is {media_type}, not what its part declares."
        )
    if not complete_file(media_type, upload.content):
        raise UnsupportedMediaType(
            f"The file's content is not a complete {ACCEPTED[media_type][0]} file."
        )
    return CheckedDocument(
        fields=fields,
        content=upload.content,
        media_type=media_type,
        sha256=hashlib.sha256(upload.content).hexdigest(),
        fingerprint_model=fingerprint_model,
    )
