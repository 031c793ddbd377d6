"""Sealed list cursors: AES-256-GCM under a per-deployment key, bound to what they were issued
for.

A cursor carries the sort values of the last row a page served, and those may be names, so it
is encrypted, not merely signed: cursors travel in URLs and logs. Its associated data binds it
to what it was issued for (the list, the caller, the filters), and it carries its own expiry.
A cursor that fails any check is refused exactly as one that never was a cursor.

The key is 32 random bytes, base64 on one line, in ``cursor.secret`` in
``settings.signing_keys_dir``: the directory every API process of a deployment already shares
for its signing keys. The first process to start without it creates it; processes racing to
do so all keep the winner's key. A new key only ends the cursors already issued (their lists
start again from the first page), so the key is not rotated and has no history. The name ends
in neither ``.pem`` nor ``.key``, so neither key ring would ever take it for one of its own,
even where both key directories are one.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import struct
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.crypto.envelope import KEY_BYTES, NONCE_BYTES, TAG_BYTES, new_key
from app.crypto.files import create_secret_file
from app.log import get_logger
from app.settings import Settings

log = get_logger("kpas.crypto.cursors")

KEY_FILE = "cursor.secret"
#: How long a cursor stays usable: long enough to work through a list in one sitting.
CURSOR_LIFETIME = timedelta(hours=24)
#: The longest cursor accepted. A sealed page position (two 100-character names and an id at
#: most) stays well below it.
MAX_CURSOR_CHARS = 2048

#: The first byte of every cursor: its format, so a later format can be told apart.
_FORMAT = b"\x01"
#: Associated-data prefix: versioned and used for nothing else, so no other ciphertext of the
#: service can ever be accepted as a cursor.
_LABEL = b"kpas/list-cursor/v1\x00"
_EXPIRY = struct.Struct(">Q")
_MIN_BYTES = len(_FORMAT) + NONCE_BYTES + _EXPIRY.size + TAG_BYTES
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class CursorKeyError(RuntimeError):
    """The cursor key file cannot be used: unreadable, or not a 32-byte base64 key."""


@dataclass(frozen=True, slots=True)
class CursorKey:
    """The deployment's cursor key."""

    secret: bytes = field(repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> CursorKey:
        """The key in the signing keys directory, created there if it is missing."""
        return load_cursor_key(settings.signing_keys_dir / KEY_FILE)


def load_cursor_key(path: Path) -> CursorKey:
    """Read the key at ``path``, creating it first (owner-only, atomically) if it is missing."""
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            created = create_secret_file(path, base64.b64encode(new_key()) + b"\n")
        except OSError as exc:
            raise CursorKeyError(f"cannot create {path}: {exc.strerror or exc}") from exc
        if created:
            log.info("cursor_key_generated", file=path.name)
    try:
        secret = base64.b64decode(path.read_text(encoding="ascii").strip(), validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error, ValueError) as exc:
        raise CursorKeyError(f"{path.name} is not a readable base64-encoded key") from exc
    if len(secret) != KEY_BYTES:
        raise CursorKeyError(f"{path.name} does not hold a {KEY_BYTES}-byte key")
    return CursorKey(secret)


def cursor_key_of(app: Any) -> CursorKey:
    """The application's cursor key, loaded from its settings the first time it is needed
    (the application factory loads it at start, so a bad key file stops the start)."""
    key: CursorKey | None = getattr(app.state, "cursor_key", None)
    if key is None:
        key = CursorKey.from_settings(app.state.settings)
        app.state.cursor_key = key
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class CursorSeal:
    """Seals and opens the cursors of one list, for one caller and one set of filters.

    ``binding`` names all three (canonical bytes, e.g. sorted JSON); it is the ciphertext's
    associated data, so a cursor opens only under the binding it was sealed with.
    """

    __slots__ = ("_aad", "_aead", "_now", "lifetime")

    def __init__(
        self,
        key: CursorKey,
        binding: bytes,
        *,
        now: datetime,
        lifetime: timedelta = CURSOR_LIFETIME,
    ) -> None:
        self._aead = AESGCM(key.secret)
        self._aad = _LABEL + binding
        self._now = int(now.timestamp())
        self.lifetime = lifetime

    def seal(self, payload: bytes) -> str:
        """A cursor carrying ``payload``, usable until the lifetime from now has passed."""
        nonce = os.urandom(NONCE_BYTES)
        expires = self._now + int(self.lifetime.total_seconds())
        sealed = self._aead.encrypt(nonce, _EXPIRY.pack(expires) + payload, self._aad)
        cursor = _b64(_FORMAT + nonce + sealed)
        if len(cursor) > MAX_CURSOR_CHARS:
            raise ValueError("a page position too large for a cursor")
        return cursor

    def open(self, cursor: str) -> bytes | None:
        """The payload of a cursor sealed under this binding and not yet expired; None for
        anything else. Deliberately one answer: why a cursor is refused is not told."""
        if len(cursor) > MAX_CURSOR_CHARS or not _BASE64URL.fullmatch(cursor):
            return None
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            return None
        # Only the one canonical spelling: unused trailing bits may not vary.
        if _b64(raw) != cursor or len(raw) < _MIN_BYTES or raw[:1] != _FORMAT:
            return None
        nonce, sealed = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
        try:
            plain = self._aead.decrypt(nonce, sealed, self._aad)
        except InvalidTag:
            return None
        (expires,) = _EXPIRY.unpack_from(plain)
        if self._now >= expires:
            return None
        return plain[_EXPIRY.size :]
