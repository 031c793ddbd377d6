"""Envelope encryption of documents: round trips, refusal of anything altered or moved, the
key ring's start-up rules, and crypto-shredding of a subject's key."""

from __future__ import annotations

import base64
import stat
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crypto import (
    DecryptionFailed,
    DocumentKeysError,
    KeyEncryptionKeys,
    SubjectKeyDestroyed,
    UnknownWrappingKey,
    data_key_for,
    data_key_for_new_document,
    decrypt_document,
    destroy_subject_key,
    encrypt_document,
    rewrap_subject_keys,
    write_kek,
)
from app.crypto.envelope import new_key
from app.crypto.keyring import read_keks
from app.models import SubjectKey
from app.settings import Environment
from tests.conftest import make_settings
from tests.factories import make_pupil

PLAINTEXT = b"%PDF-1.4 synthetic passport page for a fictional pupil\n%%EOF"


def ring_in(directory: Path, *, development: bool = True) -> KeyEncryptionKeys:
    write_kek(directory, development=development)
    return KeyEncryptionKeys(read_keks(directory))


class TestDocuments:
    def test_round_trip(self) -> None:
        key, document, subject = new_key(), uuid.uuid4(), uuid.uuid4()
        nonce, ciphertext = encrypt_document(
            key, document_id=document, subject_id=subject, plaintext=PLAINTEXT
        )
        assert len(nonce) == 12
        assert PLAINTEXT not in ciphertext
        assert len(ciphertext) == len(PLAINTEXT) + 16  # the GCM tag
        plaintext = decrypt_document(
            key, document_id=document, subject_id=subject, nonce=nonce, ciphertext=ciphertext
        )
        assert plaintext == PLAINTEXT

    def test_the_same_document_encrypts_differently_each_time(self) -> None:
        key, document, subject = new_key(), uuid.uuid4(), uuid.uuid4()
        first = encrypt_document(key, document_id=document, subject_id=subject, plaintext=b"x")
        second = encrypt_document(key, document_id=document, subject_id=subject, plaintext=b"x")
        assert first != second

    @pytest.mark.parametrize(
        "change",
        [
            pytest.param({"flip": 5}, id="a flipped ciphertext byte"),
            pytest.param({"ciphertext": b"truncated"}, id="a truncated ciphertext"),
            pytest.param({"nonce": bytes(12)}, id="another nonce"),
            pytest.param({"document_id": uuid.uuid4()}, id="another document's row"),
            pytest.param({"subject_id": uuid.uuid4()}, id="another subject's row"),
            pytest.param({"key": new_key()}, id="another key"),
        ],
    )
    def test_anything_altered_or_moved_is_refused(self, change: dict[str, object]) -> None:
        key, document, subject = new_key(), uuid.uuid4(), uuid.uuid4()
        nonce, ciphertext = encrypt_document(
            key, document_id=document, subject_id=subject, plaintext=PLAINTEXT
        )
        change = dict(change)
        if "flip" in change:
            flipped = bytearray(ciphertext)
            flipped[int(str(change.pop("flip")))] ^= 0x01
            ciphertext = bytes(flipped)
        arguments: dict[str, object] = {
            "document_id": document,
            "subject_id": subject,
            "nonce": nonce,
            "ciphertext": ciphertext,
            **change,
        }
        data_key = arguments.pop("key", key)
        with pytest.raises(DecryptionFailed):
            decrypt_document(data_key, **arguments)


class TestKeyRing:
    def test_wraps_and_unwraps_a_subject_key(self, tmp_path: Path) -> None:
        ring = ring_in(tmp_path)
        subject, data_key = uuid.uuid4(), new_key()
        kek_id, wrapped = ring.wrap(subject, data_key)
        assert kek_id == ring.active.id and data_key not in wrapped
        assert ring.unwrap(subject, kek_id, wrapped) == data_key

    def test_a_wrapped_key_moved_to_another_subject_or_altered_is_refused(
        self, tmp_path: Path
    ) -> None:
        ring = ring_in(tmp_path)
        kek_id, wrapped = ring.wrap(uuid.uuid4(), new_key())
        with pytest.raises(DecryptionFailed):
            ring.unwrap(uuid.uuid4(), kek_id, wrapped)
        altered = bytearray(wrapped)
        altered[-1] ^= 0x80
        with pytest.raises(DecryptionFailed):
            ring.unwrap(uuid.uuid4(), kek_id, bytes(altered))

    def test_a_key_wrapped_by_a_kek_the_ring_lacks_is_a_clear_error(self, tmp_path: Path) -> None:
        subject = uuid.uuid4()
        kek_id, wrapped = ring_in(tmp_path / "a").wrap(subject, new_key())
        other = ring_in(tmp_path / "b")
        with pytest.raises(UnknownWrappingKey) as raised:
            other.unwrap(subject, kek_id, wrapped)
        assert raised.value.kek_id == kek_id
        # Claiming the other ring's key id does not help: the id is bound into the tag.
        with pytest.raises(DecryptionFailed):
            other.unwrap(subject, other.active.id, wrapped)

    def test_after_rotation_the_newest_wraps_and_the_old_still_unwraps(
        self, tmp_path: Path
    ) -> None:
        old = ring_in(tmp_path)
        subject, data_key = uuid.uuid4(), new_key()
        old_id, wrapped = old.wrap(subject, data_key)
        write_kek(tmp_path, development=True)
        rotated = KeyEncryptionKeys(read_keks(tmp_path))
        assert rotated.active.id != old_id and len(rotated.keys) == 2
        assert rotated.unwrap(subject, old_id, wrapped) == data_key

    def test_development_creates_an_owner_only_key_once(self, tmp_path: Path) -> None:
        directory = tmp_path / "document-keys"
        settings = make_settings(document_keys_dir=directory)
        first = KeyEncryptionKeys.from_settings(settings)
        (path,) = directory.iterdir()
        assert path.name.startswith("dev-") and path.suffix == ".key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert first.active.development
        again = KeyEncryptionKeys.from_settings(settings)
        assert again.active.id == first.active.id
        assert len(list(directory.iterdir())) == 1
        assert first.active.secret.hex() not in repr(first.active)

    def test_production_refuses_no_keys_and_development_keys(self, tmp_path: Path) -> None:
        def production() -> KeyEncryptionKeys:
            # Only the key ring's own production rules are under test here.
            settings = make_settings(document_keys_dir=tmp_path)
            live = settings.model_copy(update={"env": Environment.PRODUCTION})
            return KeyEncryptionKeys.from_settings(live)

        with pytest.raises(DocumentKeysError, match="no key-encryption keys"):
            production()
        assert not any(tmp_path.iterdir())  # nothing generated in production
        write_kek(tmp_path, development=False)
        assert not production().active.development
        write_kek(tmp_path, development=True)
        with pytest.raises(DocumentKeysError, match="development"):
            production()

    @pytest.mark.parametrize(
        "content", [b"not base64 at all!", base64.b64encode(b"too short"), b"\xff\xfe"]
    )
    def test_a_file_that_is_not_a_key_is_refused(self, tmp_path: Path, content: bytes) -> None:
        (tmp_path / "kek-20260101T000000000000Z.key").write_bytes(content)
        with pytest.raises(DocumentKeysError):
            read_keks(tmp_path)


class TestSubjectKeys:
    async def test_one_key_per_subject_made_on_first_use(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        ring = ring_in(tmp_path)
        pupil = await make_pupil(session)
        first = await data_key_for_new_document(session, ring, pupil.subject_id)
        again = await data_key_for_new_document(session, ring, pupil.subject_id)
        assert first == again == await data_key_for(session, ring, pupil.subject_id)
        stored = (
            await session.scalars(
                select(SubjectKey).where(SubjectKey.subject_id == pupil.subject_id)
            )
        ).all()
        assert len(stored) == 1 and stored[0].wrapping_key_id == ring.active.id
        assert stored[0].wrapped_key is not None and first not in stored[0].wrapped_key

    async def test_destroying_the_key_shreds_every_document(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        ring = ring_in(tmp_path)
        pupil = await make_pupil(session)
        await data_key_for_new_document(session, ring, pupil.subject_id)
        assert await destroy_subject_key(session, pupil.subject_id)
        with pytest.raises(SubjectKeyDestroyed):
            await data_key_for(session, ring, pupil.subject_id)
        with pytest.raises(SubjectKeyDestroyed):  # and no new key is quietly made
            await data_key_for_new_document(session, ring, pupil.subject_id)
        stored = await session.get(SubjectKey, pupil.subject_id, populate_existing=True)
        assert stored is not None and stored.wrapped_key is None and stored.destroyed_at
        assert not await destroy_subject_key(session, pupil.subject_id)  # already destroyed

    async def test_rewrap_moves_keys_to_the_newest_kek(
        self, session: AsyncSession, tmp_path: Path
    ) -> None:
        old = ring_in(tmp_path)
        pupil = await make_pupil(session)
        data_key = await data_key_for_new_document(session, old, pupil.subject_id)
        write_kek(tmp_path, development=True)
        rotated = KeyEncryptionKeys(read_keks(tmp_path))
        assert await rewrap_subject_keys(session, rotated) >= 1
        stored = await session.get(SubjectKey, pupil.subject_id, populate_existing=True)
        assert stored is not None and stored.wrapping_key_id == rotated.active.id
        # The old key file can now be retired: the newest alone reads the subject's key.
        newest_only = KeyEncryptionKeys([rotated.active])
        assert await data_key_for(session, newest_only, pupil.subject_id) == data_key
