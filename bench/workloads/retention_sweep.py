"""The retention sweep: N data subjects of whom 10% are past retention (and the grace period),
each of those with a document key to destroy.

Subject: the sweep as an operator runs it, ``kpas retention sweep`` in a process of its own
(``app.services.retention.sweep``): the due subjects found in id order a batch at a time, each
checked for legal holds, its records found by walking the schema from the data subject,
destroyed, its key crypto-shredded, a destruction record and an audit event written and
committed, a few subjects per transaction (each wholly in one). Baseline: ``kpas retention
sweep --dry-run`` over the same database (the same search and the same walk, nothing
written).

Memory: the peak resident set of the sweep's own process (``ru_maxrss`` of the child), at two
sizes ten times apart: flat memory means the second is no larger than the first (plus a
little: the dry run's list of due ids grows with them).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from app.db import Database
from app.models import DataSubject, SubjectKey
from app.services.retention import SweepOptions
from app.settings import PROJECT_ROOT
from bench.harness import Measurement, Result, Scale
from tests.conftest import make_settings
from tests.live import service_env

#: Subjects in the database, small and large, by scale.
SIZES = {Scale.QUICK: (10_000, 100_000), Scale.FULL: (100_000, 1_000_000)}
DUE_EVERY = 10  # one subject in ten is due
PER_TRANSACTION = SweepOptions(as_of=date.today(), grace_days=0).per_transaction
INSERT_CHUNK = 5_000
TODAY = date.today()


def _sweep_in_child(url: str, *, dry_run: bool) -> tuple[float, int]:
    """Run ``kpas retention sweep`` (with the grace period the population is past) in a
    process of its own: wall seconds and the process's peak resident set in KiB."""
    argv = [sys.executable, "-m", "app.cli", "retention", "sweep", "--grace-days", "30"]
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603 - fixed argv
            [*argv, "--dry-run"] if dry_run else argv,
            env=service_env(url),
            cwd=PROJECT_ROOT,
            stdout=out,
            stderr=out,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            raise RuntimeError(out.read().decode(errors="replace")[-2000:])
    return seconds, int(usage.ru_maxrss)


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
    """Dry-run seconds, sweep seconds, the sweep process's peak KiB, and how many were due."""
    database = Database.from_settings(make_settings(url))
    try:
        await database.upgrade()
        due = await _populate(database, subjects)
        dry_seconds, _ = _sweep_in_child(url, dry_run=True)
        sweep_seconds, peak = _sweep_in_child(url, dry_run=False)
        async with database.sessions() as session:
            keys_left = await session.scalar(
                select(func.count())
                .select_from(SubjectKey)
                .where(SubjectKey.wrapped_key.is_not(None))
            )
        assert keys_left == 0, (keys_left, due)  # every due subject's key destroyed
        return dry_seconds, sweep_seconds, peak, due
    finally:
        await database.dispose()


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
        memory_note = f"peak {peak / 1024:.0f} MiB"
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
                    f"same database {dry_seconds:.1f} s. Resident memory of the sweep's "
                    f"process: {memory_note}. One operation is one whole sweep, each side "
                    f"including the command's start-up."
                ),
            )
        )
    return results
