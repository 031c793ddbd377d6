"""Concurrent writers never fork the chain or leave a gap: each on its own connection, all
committing at once, against a fresh database."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.audit.trail import record, seal
from app.audit.verification import verify_chain
from app.db import Database
from app.models import AuditChainHead
from app.models.audit import GENESIS_HASH, AuditEventPending
from tests.audit_support import change, decision, events_by_seq, migrated_database

WRITERS = 20
EVENTS_PER_WRITER = 3
ROUNDS = 3


async def write(database: Database, writer: int, round_: int, *, savepoint: bool) -> None:
    async with database.sessions() as session:
        if savepoint:
            # Inside a savepoint the application links events itself, under the head lock.
            await session.begin_nested()
        for n in range(EVENTS_PER_WRITER):
            make = decision if n % 2 == 0 else change
            record(session, make(action=f"w{writer}.r{round_}.e{n}"))
        # Yield to the other writers between recording and sealing, so they interleave.
        await asyncio.sleep(0)
        await seal(session)
        if savepoint:
            await session.commit()  # the savepoint
        await session.commit()


@pytest.mark.parametrize("savepoint", [False, True], ids=["commit-time", "in-savepoint"])
async def test_concurrent_writers_make_one_unbroken_chain(
    backend: str, tmp_path: Path, savepoint: bool
) -> None:
    async with migrated_database(backend, tmp_path, pool_size=WRITERS) as database:
        for round_ in range(ROUNDS):
            await asyncio.gather(
                *(write(database, w, round_, savepoint=savepoint) for w in range(WRITERS))
            )
        total = WRITERS * EVENTS_PER_WRITER * ROUNDS
        async with database.sessions() as session:
            rows = await events_by_seq(session)
            assert [r["seq"] for r in rows] == list(range(1, total + 1))  # no gaps
            # No fork: every hash is the prev_hash of exactly one event, but the last.
            uses = Counter(r["prev_hash"] for r in rows)
            assert max(uses.values()) == 1
            assert set(uses) == {GENESIS_HASH} | {r["hash"] for r in rows[:-1]}
            # Each writer's events are contiguous and in the order it recorded them.
            actions = [r["action"] for r in rows]
            for start in range(0, total, EVENTS_PER_WRITER):
                block = actions[start : start + EVENTS_PER_WRITER]
                prefix = block[0].rsplit(".", 1)[0]
                assert block == [f"{prefix}.e{n}" for n in range(EVENTS_PER_WRITER)]
            head = await session.get(AuditChainHead, 1)
            assert head is not None
            assert (head.seq, head.hash) == (total, rows[-1]["hash"])
            result = await verify_chain(session)
            assert result.ok, result
            assert result.events_checked == total
            queued = await session.scalar(select(func.count()).select_from(AuditEventPending))
            assert queued == 0
