"""The service's key-encryption keys (KEKs): the keys that wrap every subject's data key.

Each KEK is a file in ``settings.document_keys_dir`` holding 32 random bytes, base64 encoded
on one line, named ``kek-<UTC stamp>.key`` (``dev-<UTC stamp>.key`` for a development key).
The newest wraps new subject keys; every key in the directory unwraps, so after a rotation
the subject keys wrapped by an older KEK stay readable (``rewrap_subject_keys`` moves them to
the newest, after which the older file can be retired).

A KEK's id, stored beside each subject key it wraps, is derived from the key itself, so it
names that key and no other and survives renaming the file.

Outside production an empty directory gets a generated development key. Production refuses
to start without a key, or with any development key: development keys live in working trees
and test runs, not in a key store.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.crypto.envelope import KEY_BYTES, new_key, unwrap_key, wrap_key
from app.crypto.files import write_secret_file
from app.log import get_logger
from app.settings import Environment, Settings

log = get_logger("kpas.crypto.keys")

DEV_PREFIX = "dev-"
KEK_PREFIX = "kek-"
SUFFIX = ".key"
_STAMP = re.compile(r"(\d{8}T\d{12}Z)\.key$")
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"
_ID_LABEL = b"kpas/key-encryption-key-id/v1\x00"


class DocumentKeysError(RuntimeError):
    """The key-encryption keys cannot be used: none in production, a development key in
    production, or a file that is not a 32-byte base64 key."""


class UnknownWrappingKey(RuntimeError):
    """A subject key was wrapped by a key-encryption key this server does not hold: the key
    directory is missing a key (a configuration fault, never the caller's)."""

    def __init__(self, kek_id: str) -> None:
        super().__init__(f"no key-encryption key with id {kek_id} in the key directory")
        self.kek_id = kek_id


def kek_id_for(secret: bytes) -> str:
    """A stable id naming the key itself (a hash of it: it reveals nothing about the key)."""
    return "kek_" + hashlib.sha256(_ID_LABEL + secret).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class KeyEncryptionKey:
    id: str
    file_name: str
    created: datetime
    development: bool
    secret: bytes = field(repr=False)

    @classmethod
    def from_file(cls, path: Path) -> KeyEncryptionKey:
        try:
            secret = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
        except (UnicodeDecodeError, binascii.Error, ValueError):
            raise DocumentKeysError(f"{path.name} is not a base64-encoded key") from None
        if len(secret) != KEY_BYTES:
            raise DocumentKeysError(f"{path.name} does not hold a {KEY_BYTES}-byte key")
        return cls(
            id=kek_id_for(secret),
            file_name=path.name,
            created=_created(path),
            development=path.name.startswith(DEV_PREFIX),
            secret=secret,
        )


def _created(path: Path) -> datetime:
    """When a key was made: the UTC stamp in its name, else the file's modification time."""
    match = _STAMP.search(path.name)
    if match:
        return datetime.strptime(match.group(1), _STAMP_FORMAT).replace(tzinfo=UTC)
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def read_keks(directory: Path) -> list[KeyEncryptionKey]:
    """Every key in ``directory``, oldest first. Hidden and non-``.key`` files are ignored."""
    if not directory.is_dir():
        return []
    paths = [p for p in directory.glob(f"*{SUFFIX}") if not p.name.startswith(".") and p.is_file()]
    keys = [KeyEncryptionKey.from_file(p) for p in paths]
    keys.sort(key=lambda k: (k.created, k.file_name))
    return keys


def write_kek(directory: Path, *, development: bool) -> Path:
    """Generate a key and write it atomically, readable by the owner only."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = datetime.now(UTC).strftime(_STAMP_FORMAT)
    path = directory / f"{DEV_PREFIX if development else KEK_PREFIX}{stamp}{SUFFIX}"
    return write_secret_file(path, base64.b64encode(new_key()) + b"\n")


class KeyEncryptionKeys:
    """The key ring: the newest key wraps, every key unwraps."""

    def __init__(self, keys: Sequence[KeyEncryptionKey]) -> None:
        if not keys:
            raise DocumentKeysError("a key ring needs at least one key-encryption key")
        self._keys = tuple(keys)
        self._by_id = {k.id: k for k in keys}

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyEncryptionKeys:
        """Load the keys; outside production, generate a development key if there are none.

        In production, refuse (``DocumentKeysError``) without keys or with a development key.
        """
        directory = settings.document_keys_dir
        keys = read_keks(directory)
        if settings.env is Environment.PRODUCTION:
            if not keys:
                raise DocumentKeysError(
                    f"no key-encryption keys in {directory}: documents cannot be encrypted"
                )
            development = sorted(k.file_name for k in keys if k.development)
            if development:
                raise DocumentKeysError(
                    "development key-encryption keys are refused in production: "
                    + ", ".join(development)
                )
        elif not keys:
            path = write_kek(directory, development=True)
            log.warning("development_document_key_generated", file=path.name)
            keys = read_keks(directory)
        return cls(keys)

    @property
    def keys(self) -> tuple[KeyEncryptionKey, ...]:
        return self._keys

    @property
    def active(self) -> KeyEncryptionKey:
        return self._keys[-1]

    def wrap(self, subject_id: uuid.UUID, data_key: bytes) -> tuple[str, bytes]:
        """``(kek id, wrapped key)`` of a subject's data key, under the newest key."""
        kek = self.active
        return kek.id, wrap_key(kek.secret, kek_id=kek.id, subject_id=subject_id, data_key=data_key)

    def unwrap(self, subject_id: uuid.UUID, kek_id: str, wrapped: bytes) -> bytes:
        """The subject's data key. ``UnknownWrappingKey`` if this ring lacks the key that
        wrapped it; ``DecryptionFailed`` if the wrapped key was altered or moved."""
        kek = self._by_id.get(kek_id)
        if kek is None:
            raise UnknownWrappingKey(kek_id)
        return unwrap_key(kek.secret, kek_id=kek.id, subject_id=subject_id, wrapped=wrapped)


def ring_of(app: Any) -> KeyEncryptionKeys:
    """The application's key ring, loaded from its settings the first time it is needed
    (the application factory may load it at start, so a bad key directory stops the start)."""
    ring: KeyEncryptionKeys | None = getattr(app.state, "document_keys", None)
    if ring is None:
        ring = KeyEncryptionKeys.from_settings(app.state.settings)
        app.state.document_keys = ring
    return ring
