"""The retention sweep: N data subjects of whom 10% are past retention (and the grace period),
each of those with a document key to destroy.

Subject: the sweep (``app.services.retention.sweep``): the due subjects found in id order a
batch at a time, each checked for legal holds, its records found by walking the schema from
the data subject, destroyed, its key crypto-shredded, a destruction record and an audit event
written and committed, a few subjects per transaction (each wholly in one). Baseline: the dry
run over the same database (the same search and the same walk, nothing written).

Memory: the peak resident set above the level before the sweep (Linux ``VmHWM``, reset
through ``/proc/self/clear_refs``), at two sizes ten times apart: flat memory means the second
is no larger than the first.
"""

from __future__ import annotations

import gc
import os
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from app.db import Database
from app.models import DataSubject, SubjectKey
from app.services.retention import SweepOptions, sweep
from bench.harness import Measurement, Result, Scale
from tests.conftest import make_settings

#: Subjects in the database, small and large, by scale.
SIZES = {Scale.QUICK: (10_000, 100_000), Scale.FULL: (100_000, 1_000_000)}
DUE_EVERY = 10  # one subject in ten is due
PER_TRANSACTION = SweepOptions(as_of=date.today(), grace_days=0).per_transaction
INSERT_CHUNK = 5_000
TODAY = date.today()


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


async def _populate(database: Database, subjects: int) -> int:
    """``subjects`` data subjects, every tenth past retention long ago with a document key;
    the others kept until a future day. Returns how many are due."""
    now = datetime.now(UTC)
    past = TODAY - timedelta(days=400)
    future = TODAY + timedelta(days=400)
    due = 0
    for start in range(0, subjects, INSERT_CHUNK):
        rows: list[dict[str, Any]] = []
        keys: list[dict[str, Any]] = []
        for n in range(start, min(subjects, start + INSERT_CHUNK)):
            subject_id = uuid.uuid4()
            is_due = n % DUE_EVERY == 0
            rows.append(
                {
                    "id": subject_id,
                    "kind": "pupil",
                    "retain_until": past if is_due else future,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            if is_due:
                due += 1
                keys.append(
                    {
                        "subject_id": subject_id,
                        "wrapping_key_id": "bench-kek",
                        "wrapped_key": os.urandom(60),
                        "created_at": now,
                    }
                )
        async with database.engine.begin() as conn:
            await conn.execute(insert(DataSubject.__table__), rows)
            await conn.execute(insert(SubjectKey.__table__), keys)
    return due


async def _one_size(backend: str, url: str, subjects: int) -> tuple[float, float, int, int]:
    """Dry-run seconds, sweep seconds, peak KiB of the sweep (-1: not measurable), due."""
    database = Database.from_settings(make_settings(url))
    try:
        await database.upgrade()
        due = await _populate(database, subjects)
        options = SweepOptions(as_of=TODAY, grace_days=30, actor="bench")
        async with database.sessions() as session:
            started = time.perf_counter()
            dry = await sweep(session, SweepOptions(**{**_fields(options), "dry_run": True}))
            dry_seconds = time.perf_counter() - started
            await session.rollback()
        assert len(dry.would_destroy) == due, (len(dry.would_destroy), due)
        del dry
        gc.collect()
        measurable = _reset_peak()
        before = _rss_kib("VmRSS") if measurable else 0
        async with database.sessions() as session:
            started = time.perf_counter()
            outcome = await sweep(session, options)
            sweep_seconds = time.perf_counter() - started
        peak = _rss_kib("VmHWM") - before if measurable else -1
        assert outcome.run.destroyed == due, (outcome.run.destroyed, due)
        return dry_seconds, sweep_seconds, peak, due
    finally:
        await database.dispose()


def _fields(options: SweepOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in SweepOptions.__slots__}


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    results: list[Result] = []
    memory: dict[int, int] = {}
    for subjects in SIZES[scale]:
        # The larger size is added to the same database: the smaller sweep's subjects are
        # destroyed or kept already, so only the new tenth is due.
        dry_seconds, sweep_seconds, peak, due = await _one_size(backend, url, subjects)
        memory[subjects] = peak
        subject = Measurement("subject", [sweep_seconds])
        baseline = Measurement("baseline", [dry_seconds])
        memory_note = f"peak +{peak / 1024:.0f} MiB" if peak >= 0 else "peak not measurable"
        results.append(
            Result(
                f"retention sweep ({subjects:,} subjects, {due:,} due)",
                backend,
                subject,
                baseline,
                target="memory flat: the larger sweep's peak no more than the smaller's",
                note=(
                    f"Sweep of {subjects:,} data subjects of whom {due:,} are due (each with a "
                    f"document key): {sweep_seconds:.1f} s ({due / sweep_seconds:,.0f} "
                    f"subjects destroyed/s), {PER_TRANSACTION} subjects per transaction, "
                    f"each whole in one; the dry run over the "
                    f"same database {dry_seconds:.1f} s. Resident memory during the sweep: "
                    f"{memory_note}. One operation is one whole sweep."
                ),
            )
        )
    return results
