"""``kpas audit verify``: exit 0 on an intact chain, non-zero naming the first bad event."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.audit.trail import record, seal
from app.db import Database
from tests.audit_support import change, decision
from tests.conftest import make_settings
from tests.live import kpas, service_env


async def write_events(url: str, batches: int) -> None:
    database = Database.from_settings(make_settings(url))
    try:
        for _ in range(batches):
            async with database.sessions() as session:
                record(session, decision())
                record(session, change())
                await seal(session)
                await session.commit()
    finally:
        await database.dispose()


@pytest.fixture
async def audited_database(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "kpas.db"
    url = f"sqlite+aiosqlite:///{path}"
    env = service_env(url)
    kpas("migrate", env=env)
    await write_events(url, batches=3)  # six events
    return path, env


def verify(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return kpas("audit", "verify", env=env)
    except subprocess.CalledProcessError as failed:
        return subprocess.CompletedProcess(
            failed.cmd, failed.returncode, failed.stdout, failed.stderr
        )


def test_an_intact_chain_exits_zero(audited_database: tuple[Path, dict[str, str]]) -> None:
    _, env = audited_database
    result = verify(env)
    assert result.returncode == 0, result.stderr
    assert "audit chain intact: 6 events verified, head seq 6" in result.stdout


def test_an_empty_chain_is_intact(tmp_path: Path) -> None:
    env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    kpas("migrate", env=env)
    result = verify(env)
    assert result.returncode == 0
    assert "0 events verified" in result.stdout


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            "UPDATE audit_events SET outcome = 'deny' WHERE seq = 3",
            "BROKEN at event seq 3: hash mismatch (edited)",
        ),
        ("DELETE FROM audit_events WHERE seq = 4", "BROKEN at event seq 4: sequence gap"),
        ("DELETE FROM audit_events WHERE seq = 6", "BROKEN at event seq 6: head does not match"),
        (
            "UPDATE audit_events SET seq = -1 WHERE seq = 2;"
            "UPDATE audit_events SET seq = 2 WHERE seq = 5;"
            "UPDATE audit_events SET seq = 5 WHERE seq = -1;",
            "BROKEN at event seq 2: prev_hash mismatch",
        ),
    ],
    ids=["edited", "deleted", "tail-deleted", "reordered"],
)
def test_a_tampered_chain_exits_non_zero_naming_the_event(
    audited_database: tuple[Path, dict[str, str]], tamper: str, message: str
) -> None:
    path, env = audited_database
    with sqlite3.connect(path) as conn:
        conn.executescript(tamper)
    result = verify(env)
    assert result.returncode == 1
    assert message in result.stderr
