"""Retention sweeps side by side (each worker's schedule, a run started through the API, on
their own connections): each subject past retention is destroyed by exactly one of them,
with one destruction record, counted by that sweep's run alone."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update

from app.audit.verification import verify_chain
from app.db import Database
from app.models import DataSubject
from app.models.retention import RetentionDestruction
from app.services.retention import SweepOptions, SweepOutcome, sweep
from tests.audit_support import migrated_database
from tests.conftest import make_settings
from tests.factories import make_pupil

DUE = 8
GRACE = 30


async def sweep_with(database: Database, actor: str) -> SweepOutcome:
    options = SweepOptions(
        as_of=datetime.now(UTC).date(),
        grace_days=GRACE,
        actor=actor,
        batch_size=4,
        per_transaction=2,
    )
    async with database.writer(), database.sessions() as session:
        return await sweep(session, options)


async def test_two_sweeps_at_once_destroy_each_subject_once(backend: str, tmp_path: Path) -> None:
    async with migrated_database(backend, tmp_path) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        second = Database.from_settings(make_settings(url))
        try:
            async with first.sessions() as session:
                due = [(await make_pupil(session)).subject_id for _ in range(DUE)]
                await session.execute(
                    update(DataSubject)
                    .where(DataSubject.id.in_(due))
                    .values(retain_until=datetime.now(UTC).date() - timedelta(days=GRACE + 5))
                )
                await session.commit()

            a, b = await asyncio.gather(sweep_with(first, "sweep-a"), sweep_with(second, "sweep-b"))

            assert a.run.destroyed + b.run.destroyed == DUE
            async with first.sessions() as session:
                destroyed = (
                    await session.scalars(
                        select(RetentionDestruction.subject_id).where(
                            RetentionDestruction.subject_id.is_not(None)
                        )
                    )
                ).all()
                runs = {
                    run_id: count
                    for run_id, count in (
                        await session.execute(
                            select(RetentionDestruction.run_id, func.count()).group_by(
                                RetentionDestruction.run_id
                            )
                        )
                    ).all()
                }
                assert (await verify_chain(session)).ok
            assert sorted(destroyed) == sorted(due)
            assert runs == {run.id: run.destroyed for run in (a.run, b.run) if run.destroyed}
        finally:
            await second.dispose()


async def test_two_sweeps_at_once_destroy_each_record_kept_by_its_own_age_once(
    backend: str, tmp_path: Path
) -> None:
    """The same for records swept by their own age (closed requests and complaints, closed
    breaches, disclosures, messages): each due record is in exactly one destruction record."""
    from tests.test_retention_by_age import make_world

    async with migrated_database(backend, tmp_path) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        second = Database.from_settings(make_settings(url))
        try:
            async with first.sessions() as session:
                worlds = [await make_world(session, due_today=True) for _ in range(3)]
                await session.commit()
            expected = {
                "subject_request": {w.request for w in worlds},
                "complaint": {w.complaint for w in worlds},
                "breach": {w.breach for w in worlds},
                "disclosure": {w.disclosure for w in worlds},
                "outbound_message": {w.message for w in worlds},
            }

            await asyncio.gather(sweep_with(first, "sweep-a"), sweep_with(second, "sweep-b"))

            async with first.sessions() as session:
                rows = (
                    await session.execute(
                        select(
                            RetentionDestruction.record_type, RetentionDestruction.record_ids
                        ).where(RetentionDestruction.record_type.in_(list(expected)))
                    )
                ).all()
                assert (await verify_chain(session)).ok
            destroyed: dict[str, list[str]] = {record_type: [] for record_type in expected}
            for record_type, record_ids in rows:
                destroyed[record_type].extend(record_ids or [])
            for record_type, ids in expected.items():
                assert sorted(destroyed[record_type]) == sorted(str(i) for i in ids), record_type
        finally:
            await second.dispose()
