"""Encryption at rest for documents about people (UK GDPR Art 32(1)(a)): AES-256-GCM envelope
encryption with a data key per data subject, wrapped by the service's key-encryption keys.

- ``envelope``: the AEAD operations and the associated data binding each ciphertext to its row;
- ``keyring``: the key-encryption keys (files outside the database), rotation and start-up
  refusal of unsafe keys;
- ``subject_keys``: the per-subject keys in the database, and crypto-shredding.
"""

from app.crypto.envelope import DecryptionFailed, decrypt_document, encrypt_document
from app.crypto.keyring import (
    DocumentKeysError,
    KeyEncryptionKeys,
    UnknownWrappingKey,
    ring_of,
    write_kek,
)
from app.crypto.subject_keys import (
    SubjectKeyDestroyed,
    SubjectKeyMissing,
    data_key_for,
    data_key_for_new_document,
    destroy_subject_key,
    rewrap_subject_keys,
    subject_key_state,
)

__all__ = [
    "DecryptionFailed",
    "DocumentKeysError",
    "KeyEncryptionKeys",
    "SubjectKeyDestroyed",
    "SubjectKeyMissing",
    "UnknownWrappingKey",
    "data_key_for",
    "data_key_for_new_document",
    "decrypt_document",
    "destroy_subject_key",
    "encrypt_document",
    "rewrap_subject_keys",
    "ring_of",
    "subject_key_state",
    "write_kek",
]
