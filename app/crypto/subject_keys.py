"""Per-subject data keys in the database, and crypto-shredding.

A subject's data key is made when the first document about them is stored and kept only
wrapped by the key ring's newest key-encryption key. ``destroy_subject_key`` empties it: from
then on every document about the subject, in the database and in every backup of it, is
ciphertext nobody can read. That is how retention destroys documents.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto.envelope import new_key
from app.crypto.keyring import KeyEncryptionKeys
from app.models.people import SubjectKey
from app.repositories.sensitive import SubjectKeyRepository


class SubjectKeyDestroyed(Exception):
    """The subject's key was destroyed: their documents can no longer be read or added."""

    def __init__(self, subject_id: uuid.UUID, destroyed_at: datetime | None) -> None:
        super().__init__(f"the key of subject {subject_id} was destroyed")
        self.subject_id = subject_id
        self.destroyed_at = destroyed_at


class SubjectKeyMissing(Exception):
    """Documents exist for a subject who has no key row: the database is inconsistent."""


def _usable(key: SubjectKey, ring: KeyEncryptionKeys) -> bytes:
    if key.destroyed_at is not None or key.wrapped_key is None:
        raise SubjectKeyDestroyed(key.subject_id, key.destroyed_at)
    return ring.unwrap(key.subject_id, key.wrapping_key_id, key.wrapped_key)


async def data_key_for_new_document(
    session: AsyncSession, ring: KeyEncryptionKeys, subject_id: uuid.UUID
) -> bytes:
    """The subject's data key, made (and stored wrapped) if they have none yet.

    Raises ``SubjectKeyDestroyed`` once the key has been destroyed: nothing new is stored for
    a subject whose documents were shredded.
    """
    keys = SubjectKeyRepository(session)
    stored = await keys.get(subject_id)
    if stored is None:
        kek_id, wrapped = ring.wrap(subject_id, new_key())
        stored = await keys.add_if_absent(
            subject_id=subject_id, wrapping_key_id=kek_id, wrapped_key=wrapped
        )
    return _usable(stored, ring)


async def data_key_for(
    session: AsyncSession, ring: KeyEncryptionKeys, subject_id: uuid.UUID
) -> bytes:
    """The subject's data key, to read their documents. ``SubjectKeyDestroyed`` after
    crypto-shredding; ``SubjectKeyMissing`` if there never was one."""
    stored = await SubjectKeyRepository(session).get(subject_id)
    if stored is None:
        raise SubjectKeyMissing(f"subject {subject_id} has no data key")
    return _usable(stored, ring)


async def subject_key_state(session: AsyncSession, subject_id: uuid.UUID) -> SubjectKey | None:
    """The subject's key row (to tell whether their documents were destroyed), if any."""
    return await SubjectKeyRepository(session).get(subject_id)


async def destroy_subject_key(
    session: AsyncSession, subject_id: uuid.UUID, *, now: datetime | None = None
) -> bool:
    """Crypto-shred every document about the subject: empty their wrapped key and record
    when. True if a live key was destroyed; False if there was none (or it was destroyed
    already). The caller records the change in the audit trail."""
    return await SubjectKeyRepository(session).destroy(subject_id, at=now or datetime.now(UTC))


async def rewrap_subject_keys(
    session: AsyncSession, ring: KeyEncryptionKeys, *, limit: int = 500
) -> int:
    """Re-wrap up to ``limit`` live subject keys under the ring's newest key-encryption key
    (after a rotation), so older key files can be retired. Returns how many were moved."""
    keys = SubjectKeyRepository(session)
    active = ring.active
    moved = 0
    for stored in await keys.wrapped_by_other_than(active.id, limit=limit):
        data_key = _usable(stored, ring)
        stored.wrapping_key_id, stored.wrapped_key = ring.wrap(stored.subject_id, data_key)
        moved += 1
    await keys.flush()
    return moved
