"""The audit chain's cost: sealing an event into the chain against a plain insert of the row.

Three comparisons, each in its own transaction per operation, committed:

- append one event to the chain (lock the head, hash, insert, move the head) against a plain
  INSERT of the same row into an unchained copy of the table, sequentially;
- the same at 32 concurrent writers (PostgreSQL), where the head lock serialises the chain;
- an audited read (one SELECT plus one decision event sealed and committed) against the bare
  read, at 32 concurrent clients (PostgreSQL).
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, Index, MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record, seal
from app.db import Database
from app.demo import seed_demo
from app.models import AuditEvent, School
from bench.harness import Result, Scale, Workload, measure, measure_concurrent, sized
from tests.conftest import make_settings

CLIENTS = 32
READ_URN = 990001  # the first demo school

_plain_metadata = MetaData()
PLAIN = Table(
    "bench_audit_events_plain",
    _plain_metadata,
    *(
        Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
        for c in AuditEvent.__table__.c
    ),
)
# The same indexes and unique constraints as audit_events, so the baseline pays for them too.
Index("ix_bench_plain_id", PLAIN.c.id, unique=True)
Index("ix_bench_plain_hash", PLAIN.c.hash, unique=True)
Index("ix_bench_plain_subject_seq", PLAIN.c.subject_id, PLAIN.c.seq)
Index("ix_bench_plain_actor_seq", PLAIN.c.actor, PLAIN.c.seq)
Index("ix_bench_plain_occurred_at", PLAIN.c.occurred_at)
Index("ix_bench_plain_decision_id", PLAIN.c.decision_id)
Index("ix_bench_plain_purpose", PLAIN.c.purpose)


def _event() -> PendingAuditEvent:
    return PendingAuditEvent(
        kind="decision",
        action="read",
        outcome="allow",
        decision_id=uuid.uuid4(),
        rule="school.read.admin",
        purpose="attendance_duty",
        basis="6(1)(e)",
        actor="bench-client",
        actor_role="admin",
        resource_type="school",
        resource_id=str(READ_URN),
        subject_id=uuid.uuid4(),
        details={"fields": 8},
    )


def _plain_row(seq: int) -> dict[str, Any]:
    event = _event()
    return {
        "seq": seq,
        "id": uuid.uuid4(),
        "occurred_at": datetime.now(UTC),
        "kind": event.kind,
        "action": event.action,
        "outcome": event.outcome,
        "decision_id": event.decision_id,
        "rule": event.rule,
        "purpose": event.purpose,
        "basis": event.basis,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "subject_id": event.subject_id,
        "request_id": None,
        "details": dict(event.details),
        "prev_hash": "0" * 64,
        "hash": uuid.uuid4().hex * 2,
    }


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    settings = make_settings(url, log_level="WARNING", database_pool_size=CLIENTS + 2)
    database = Database.from_settings(settings)
    await database.upgrade()
    async with database.engine.begin() as conn:
        await conn.run_sync(_plain_metadata.create_all)
    async with database.sessions() as session, session.begin():
        await seed_demo(session)
    plain_seq = itertools.count(1)

    async def append_to_chain() -> object:
        async with database.sessions() as session:
            record(session, _event())
            await seal(session)
            await session.commit()
        return None

    async def plain_insert() -> object:
        async with database.sessions() as session:
            await session.execute(insert(PLAIN), [_plain_row(next(plain_seq))])
            await session.commit()
        return None

    async def read_school(session: AsyncSession) -> School:
        school = (await session.scalars(select(School).where(School.urn == READ_URN))).one()
        return school

    async def audited_read() -> object:
        async with database.sessions() as session:
            school = await read_school(session)
            record(session, _event())
            await seal(session)
            await session.commit()
        return school

    async def bare_read() -> object:
        async with database.sessions() as session:
            school = await read_school(session)
            await session.commit()
        return school

    append = Workload(
        name="audit append, sequential",
        subject=append_to_chain,
        baseline=plain_insert,
        target="report only",
        note="record + seal + commit of one event (head lock, SHA-256, insert, head update) "
        "against a plain INSERT of the same row into an unchained copy of the table + commit.",
    )
    results = [await measure(append, backend, rounds=sized(scale, quick=60, full=200))]
    if backend == "postgresql":
        results.append(
            await measure_concurrent(
                Workload(
                    name=f"audit append, {CLIENTS} concurrent writers",
                    subject=append_to_chain,
                    baseline=plain_insert,
                    target="report only",
                    note=f"as above with {CLIENTS} concurrent sessions; the chain serialises on "
                    "its head row. ms columns are wall time per operation (1 / throughput).",
                ),
                backend,
                clients=CLIENTS,
                rounds=sized(scale, quick=3, full=8),
            )
        )
        results.append(
            await measure_concurrent(
                Workload(
                    name=f"audited read, {CLIENTS} concurrent clients",
                    subject=audited_read,
                    baseline=bare_read,
                    target="ratio >= 0.5",
                    note="SELECT one school + one decision event sealed and committed, against "
                    "the same SELECT and commit without the event. ms columns are wall time per "
                    "operation (1 / throughput).",
                ),
                backend,
                clients=CLIENTS,
                rounds=sized(scale, quick=3, full=8),
            )
        )
    await database.dispose()
    return results
