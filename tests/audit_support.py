"""Helpers for the audit trail tests: events to record, chains to build, databases to commit to."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import CANONICAL_FIELDS, PendingAuditEvent, record, seal
from app.db import Database
from app.models import AuditChainHead, AuditEvent
from tests.conftest import make_settings
from tests.databases import fresh_database


def decision(outcome: str = "allow", **fields: Any) -> PendingAuditEvent:
    values: dict[str, Any] = {
        "kind": "decision",
        "action": "school.read",
        "outcome": outcome,
        "decision_id": uuid.uuid4(),
        "rule": "schools.read",
        "actor": "officer-1",
        "actor_role": "attendance_officer",
        "resource_type": "school",
        "resource_id": "118800",
        "details": {"reason": "allowed" if outcome == "allow" else "role"},
    }
    values.update(fields)
    return PendingAuditEvent(**values)


def change(**fields: Any) -> PendingAuditEvent:
    values: dict[str, Any] = {
        "kind": "change",
        "action": "school.update",
        "actor": "admin-1",
        "actor_role": "admin",
        "resource_type": "school",
        "resource_id": "118800",
        "details": {"fields": 1},
    }
    values.update(fields)
    return PendingAuditEvent(**values)


async def append(session: AsyncSession, *events: PendingAuditEvent) -> list[int]:
    """Record and seal ``events``; return their sequence numbers."""
    before = await head_seq(session)
    for event in events:
        record(session, event)
    await seal(session)
    return list(range(before + 1, before + 1 + len(events)))


async def build_chain(session: AsyncSession, length: int) -> list[int]:
    """A chain of ``length`` events, decisions and changes alternating."""
    events = [decision() if i % 2 == 0 else change() for i in range(length)]
    return await append(session, *events)


async def head_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(AuditChainHead.seq).where(AuditChainHead.id == 1)) or 0)


async def events_by_seq(session: AsyncSession) -> list[dict[str, Any]]:
    columns = [AuditEvent.__table__.c[name] for name in (*CANONICAL_FIELDS, "hash")]
    rows = await session.execute(select(*columns).order_by(AuditEvent.seq))
    return [dict(row) for row in rows.mappings()]


async def raw(session: AsyncSession, sql: str, **params: Any) -> None:
    """Tamper the way someone with database access would: plain SQL, no ORM."""
    await session.execute(text(sql), params)


@asynccontextmanager
async def migrated_database(
    backend: str, workdir: Path, *, pool_size: int = 10
) -> AsyncIterator[Database]:
    """A fresh, migrated database whose sessions really commit."""
    async with fresh_database(backend, workdir) as url:
        database = Database.from_settings(make_settings(url, database_pool_size=pool_size))
        try:
            await database.upgrade()
            yield database
        finally:
            await database.dispose()
