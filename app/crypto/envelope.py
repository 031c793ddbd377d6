"""AES-256-GCM as the service uses it (``cryptography``'s AEAD).

Two layers, the usual envelope:

- a **data key** per data subject encrypts every document about them;
- the data key is stored only **wrapped** (encrypted) by one of the service's key-encryption
  keys, which live outside the database (``app.crypto.keyring``).

Every ciphertext is bound, as GCM associated data, to the row it belongs to: a wrapped key to
its subject and the key-encryption key that wrapped it, a document to its own id and its
subject. A ciphertext copied into another row, or a wrapped key moved to another subject,
then fails its authentication check instead of decrypting as someone else's data.
"""

from __future__ import annotations

import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: AES-256 keys, and GCM's standard 96-bit nonce (NIST SP 800-38D §5.2.1.1), random per
#: encryption: a key encrypts far fewer than 2^32 messages, so random nonces are safe.
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES

# Associated-data prefixes: a versioned label per use, so one use's ciphertext can never be
# accepted as another's.
_SUBJECT_KEY_LABEL = b"kpas/subject-key/v1\x00"
_DOCUMENT_LABEL = b"kpas/pupil-document/v1\x00"


class DecryptionFailed(Exception):
    """The ciphertext, its nonce or its associated data was altered, or it was sealed under
    another key. Nothing of the plaintext is returned."""


def new_key() -> bytes:
    """A fresh random AES-256 key (a data key or a key-encryption key)."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _check_key(key: bytes) -> AESGCM:
    if len(key) != KEY_BYTES:
        raise ValueError(f"AES-256 keys are {KEY_BYTES} bytes")
    return AESGCM(key)


def subject_key_aad(subject_id: uuid.UUID, kek_id: str) -> bytes:
    """Associated data of a wrapped subject key: the subject (fixed 16 bytes) and the KEK id."""
    return _SUBJECT_KEY_LABEL + subject_id.bytes + kek_id.encode("ascii")


def document_aad(document_id: uuid.UUID, subject_id: uuid.UUID) -> bytes:
    """Associated data of a document's ciphertext: the document and its subject."""
    return _DOCUMENT_LABEL + document_id.bytes + subject_id.bytes


def wrap_key(kek: bytes, *, kek_id: str, subject_id: uuid.UUID, data_key: bytes) -> bytes:
    """``nonce || ciphertext || tag`` of a subject's data key under a key-encryption key."""
    if len(data_key) != KEY_BYTES:
        raise ValueError(f"data keys are {KEY_BYTES} bytes")
    nonce = os.urandom(NONCE_BYTES)
    sealed = _check_key(kek).encrypt(nonce, data_key, subject_key_aad(subject_id, kek_id))
    return nonce + sealed


def unwrap_key(kek: bytes, *, kek_id: str, subject_id: uuid.UUID, wrapped: bytes) -> bytes:
    """The data key inside ``wrapped``; ``DecryptionFailed`` unless it is intact and was
    wrapped for this subject under this key-encryption key."""
    if len(wrapped) != WRAPPED_KEY_BYTES:
        raise DecryptionFailed("a wrapped key has the wrong length")
    nonce, sealed = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
    try:
        return _check_key(kek).decrypt(nonce, sealed, subject_key_aad(subject_id, kek_id))
    except InvalidTag:
        raise DecryptionFailed("the wrapped key failed its integrity check") from None


def encrypt_document(
    data_key: bytes, *, document_id: uuid.UUID, subject_id: uuid.UUID, plaintext: bytes
) -> tuple[bytes, bytes]:
    """``(nonce, ciphertext with tag)`` of a document under its subject's data key."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = _check_key(data_key).encrypt(
        nonce, plaintext, document_aad(document_id, subject_id)
    )
    return nonce, ciphertext


def decrypt_document(
    data_key: bytes,
    *,
    document_id: uuid.UUID,
    subject_id: uuid.UUID,
    nonce: bytes,
    ciphertext: bytes,
) -> bytes:
    """The document's plaintext; ``DecryptionFailed`` unless the ciphertext is intact and
    belongs to this document and subject."""
    if len(nonce) != NONCE_BYTES:
        raise DecryptionFailed("a document nonce has the wrong length")
    try:
        return _check_key(data_key).decrypt(
            nonce, ciphertext, document_aad(document_id, subject_id)
        )
    except InvalidTag:
        raise DecryptionFailed("the document failed its integrity check") from None
