"""``kpas document-keys create | rotate | rewrap``: the key-encryption keys an operator keeps,
and moving every person's document key to the newest of them."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.cli import main
from app.crypto import (
    KeyEncryptionKeys,
    data_key_for,
    data_key_for_new_document,
    destroy_subject_key,
)
from app.crypto.keyring import read_keks
from app.db import Database
from app.models import SubjectKey
from app.models.audit import AuditEvent
from app.models.subjects import DataSubject, SubjectKind
from app.settings import get_settings
from tests.conftest import make_settings
from tests.databases import fresh_database
from tests.live import kpas, service_env
from tests.operations_support import run_kpas


@pytest.fixture
def key_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """``KPAS_DOCUMENT_KEYS_DIR`` for commands run in this process with ``main``."""
    directory = tmp_path / "document-keys"
    monkeypatch.setenv("KPAS_DOCUMENT_KEYS_DIR", str(directory))
    get_settings.cache_clear()
    yield directory
    get_settings.cache_clear()


class TestCreate:
    def test_writes_the_first_key_readable_by_the_owner_only(
        self, key_directory: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["document-keys", "create"]) == 0
        [key] = read_keks(key_directory)
        assert key.file_name.startswith("kek-") and not key.development
        assert stat.S_IMODE((key_directory / key.file_name).stat().st_mode) == 0o600
        assert capsys.readouterr().out == (
            f"new key-encryption key {key.id} ({key.file_name}) in {key_directory}\n"
        )

    def test_refuses_a_directory_that_has_keys(
        self, key_directory: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["document-keys", "create"]) == 0
        capsys.readouterr()
        assert main(["document-keys", "create"]) == 1
        assert "already holds key-encryption keys" in capsys.readouterr().err
        assert len(read_keks(key_directory)) == 1


class TestRotate:
    def test_refuses_an_empty_directory(
        self, key_directory: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["document-keys", "rotate"]) == 1
        assert "`kpas document-keys create` makes the first" in capsys.readouterr().err
        assert not key_directory.exists()

    def test_adds_a_newest_key_and_keeps_the_older(
        self, key_directory: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        assert main(["document-keys", "create"]) == 0
        [first] = read_keks(key_directory)
        assert main(["document-keys", "rotate"]) == 0
        keys = read_keks(key_directory)
        assert len(keys) == 2 and keys[0].id == first.id
        assert "then run `kpas document-keys rewrap`" in capsys.readouterr().out


async def subjects_with_keys(
    url: str, ring: KeyEncryptionKeys, count: int
) -> dict[uuid.UUID, bytes]:
    """``count`` data subjects with a data key wrapped by ``ring``, and one whose key was
    destroyed (it must be left alone)."""
    database = Database.from_settings(make_settings(url))
    try:
        async with database.sessions() as session, session.begin():
            subjects = [DataSubject(kind=SubjectKind.OTHER) for _ in range(count + 1)]
            session.add_all(subjects)
            await session.flush()
            keys = {s.id: await data_key_for_new_document(session, ring, s.id) for s in subjects}
            destroyed = subjects[-1].id
            assert await destroy_subject_key(session, destroyed)
            del keys[destroyed]
        return keys
    finally:
        await database.dispose()


async def read_back(url: str, ring: KeyEncryptionKeys) -> tuple[dict[uuid.UUID, bytes], int]:
    """Every live subject's data key, read with ``ring``; and how many rewraps were audited."""
    database = Database.from_settings(make_settings(url))
    try:
        async with database.sessions() as session:
            live = await session.scalars(
                select(SubjectKey.subject_id).where(SubjectKey.destroyed_at.is_(None))
            )
            keys = {subject: await data_key_for(session, ring, subject) for subject in live}
            audited = await session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "document_keys.rewrapped")
            )
            return keys, int(audited or 0)
    finally:
        await database.dispose()


class TestRewrap:
    async def test_moves_every_live_subject_key_to_the_newest_key(
        self, backend: str, tmp_path: Path
    ) -> None:
        directory = tmp_path / "document-keys"
        async with fresh_database(backend, tmp_path) as url:
            env = service_env(url, KPAS_DOCUMENT_KEYS_DIR=str(directory))
            kpas("migrate", env=env)
            kpas("document-keys", "create", env=env)
            [old] = read_keks(directory)
            data_keys = await subjects_with_keys(url, KeyEncryptionKeys([old]), count=3)
            kpas("document-keys", "rotate", env=env)

            result = kpas("document-keys", "rewrap", "--batch-size", "2", env=env)

            newest = read_keks(directory)[-1]
            assert result.stdout.splitlines() == [
                f"rewrapped 3 subject keys; every live subject key is now wrapped by "
                f"{newest.id} ({newest.file_name})",
                f"no live subject key needs these any more: {old.file_name}; remove them once "
                "no backup you may have to restore was written before this rewrap",
            ]
            # The older key can go: the newest alone reads every subject's key.
            read, audited = await read_back(url, KeyEncryptionKeys([newest]))
            assert read == data_keys
            assert audited == 2  # one event per batch of 2
            assert "audit chain intact" in kpas("audit", "verify", env=env).stdout
            again = kpas("document-keys", "rewrap", env=env)
            assert again.stdout.startswith("rewrapped 0 subject keys;")

    async def test_stops_when_a_wrapping_key_is_missing(self, tmp_path: Path) -> None:
        directory = tmp_path / "document-keys"
        url = f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}"
        env = service_env(url, KPAS_DOCUMENT_KEYS_DIR=str(directory))
        kpas("migrate", env=env)
        kpas("document-keys", "create", env=env)
        [lost] = read_keks(directory)
        await subjects_with_keys(url, KeyEncryptionKeys([lost]), count=1)
        (directory / lost.file_name).unlink()
        kpas("document-keys", "create", env=env)

        result = run_kpas("document-keys", "rewrap", env=env)

        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"stopped: a subject key is wrapped by {lost.id}, which is not in {directory}; "
            "put that key file back and run again"
        ]
