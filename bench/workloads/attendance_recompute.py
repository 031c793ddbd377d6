"""Attendance recompute after a day's imports: the worker's time for a county's schools.

Scene (``SCENES``, by scale): secondary schools of 300 pupils (600 schools at the full size, a
county; 60 at the quick size), with the week before already recomputed (its tallies and
alerts in place), then one school day of both sessions for every pupil copied into
``attendance_marks`` and its school week queued for every school, as a day of imports leaves
it (360,000 marks at the full size).

Subject: ``AttendanceRecomputer.drain()``, the worker's passes in their own transactions until
the queue is empty: claiming the schools, recounting the pupil-weeks and school weeks,
recomputing penalty, persistent and severe absence alerts, and taking the weeks off the queue.
Before each round (outside the clock) the week's tallies are removed, the alerts put back as
the week before left them and the day's weeks queued again, so every round does the same
work.

Baseline: the pupil-week tallies of the same weeks computed by one bare SQL statement
(``INSERT ... SELECT ... GROUP BY`` over the day's marks into a scratch table): the least a
recompute could cost, with no alert, no queue and no transaction per batch.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

from sqlalchemy import text

from app.db import Database
from app.rules.attendance import ATTENDANCE_CODES, POSSIBLE_CATEGORIES, CodeCategory
from app.rules.kent import District
from app.services.attendance_recompute import AttendanceRecomputer
from bench.attendance_scene import create_schools_and_pupils, insert_import_row, mark_records
from bench.harness import Measurement, Result, Scale
from bench.workloads.attendance_reads import QUEUE_ALL, _copy_marks
from tests.conftest import make_settings

#: Schools by scale (pupils per school: ``PUPILS_PER_SCHOOL``).
SCENES = {Scale.FULL: 600, Scale.QUICK: 60}
PUPILS_PER_SCHOOL = 300
#: The school week before the measured day (already recomputed) and the day itself.
EARLIER_DAYS = [date(2026, 11, 16) + timedelta(days=n) for n in range(5)]
DAY = date(2026, 11, 23)
ROUNDS = {Scale.FULL: 2, Scale.QUICK: 3}
SCRATCH = "bench_pupil_weeks"
#: The alerts as the week before left them, put back before each round.
ALERTS = "bench_alerts"


def _codes(*categories: CodeCategory) -> str:
    return ", ".join(
        "'" + code.replace("'", "''") + "'"
        for code, found in ATTENDANCE_CODES.items()
        if found.category in categories
    )


BASELINE = f"""
INSERT INTO {SCRATCH}
SELECT school_urn, :week, pupil_id,
       SUM(CASE WHEN code IN ({_codes(*POSSIBLE_CATEGORIES)}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.PRESENT)}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY)})
                THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.AUTHORISED_ABSENCE)}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.UNAUTHORISED_ABSENCE)}) THEN 1 ELSE 0 END)
FROM attendance_marks
WHERE mark_date >= :week AND mark_date < :next
GROUP BY school_urn, pupil_id
"""  # noqa: S608 - codes from the rules module, not input


async def _reset(database: Database, week: date) -> None:
    """The state a day's imports leave: the week's tallies gone, its weeks queued."""
    dialect = database.engine.dialect.name
    async with database.engine.begin() as conn:
        for table in ("attendance_pupil_weeks", "attendance_school_weeks"):
            await conn.execute(
                text(f"DELETE FROM {table} WHERE week_start = :week"),  # noqa: S608 - fixed
                {"week": week},
            )
        await conn.execute(text(f"DELETE FROM {SCRATCH}"))  # noqa: S608 - fixed name
        await conn.execute(text("DELETE FROM attendance_stale_weeks"))
        await conn.execute(text("DELETE FROM attendance_alerts"))
        await conn.execute(text(f"INSERT INTO attendance_alerts SELECT * FROM {ALERTS}"))  # noqa: S608
        queue = QUEUE_ALL[dialect] + " WHERE mark_date >= :week"
        await conn.execute(text(queue), {"week": week})
    if dialect == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    schools = SCENES[scale]
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    pupils = await create_schools_and_pupils(
        database, schools=schools, pupils_per_school=PUPILS_PER_SCHOOL, district=District.DOVER
    )
    import_id = await insert_import_row(database)
    days = [*EARLIER_DAYS, DAY]
    every = len(pupils) * 2
    # The week before: copied in and recomputed, outside the clock.
    await _copy_marks(
        database, mark_records(pupils, days, every * len(EARLIER_DAYS), import_id), backend
    )
    async with database.engine.begin() as conn:
        await conn.execute(text(QUEUE_ALL[backend]))
        await conn.execute(
            text(
                f"CREATE TABLE {SCRATCH} (school_urn INTEGER, week_start DATE, pupil_id "
                f"{'UUID' if backend == 'postgresql' else 'CHAR(32)'}, possible INTEGER, "
                "present INTEGER, approved INTEGER, authorised INTEGER, unauthorised INTEGER)"
            )
        )
    started = time.perf_counter()
    earlier = await AttendanceRecomputer(database).drain()
    earlier_seconds = time.perf_counter() - started
    async with database.engine.begin() as conn:
        await conn.execute(
            text(f"CREATE TABLE {ALERTS} AS SELECT * FROM attendance_alerts")  # noqa: S608
        )
    # The day: every pupil's two sessions (``mark_records`` gives the day after the others).
    day_marks = list(
        islice(
            mark_records(pupils, days, every * len(days), import_id),
            every * len(EARLIER_DAYS),
            None,
        )
    )
    await _copy_marks(database, iter(day_marks), backend)
    week = DAY - timedelta(days=DAY.weekday())

    subject = Measurement("subject")
    baseline = Measurement("baseline")
    weeks = raised = 0
    for _ in range(ROUNDS[scale]):
        await _reset(database, week)
        started = time.perf_counter()
        async with database.engine.begin() as conn:
            await conn.execute(text(BASELINE), {"week": week, "next": week + timedelta(days=7)})
        baseline.samples.append(time.perf_counter() - started)
        await _reset(database, week)
        started = time.perf_counter()
        counts = await AttendanceRecomputer(database).drain()
        subject.samples.append(time.perf_counter() - started)
        weeks, raised = counts.weeks, max(raised, counts.raised)
        assert counts.pupil_weeks == len(pupils), counts
    await database.dispose()
    note = (
        f"{len(day_marks):,} marks of one day ({len(pupils):,} pupils at {schools} schools, "
        f"both sessions) on top of a week already recomputed ({earlier.weeks} school weeks in "
        f"{earlier_seconds:.1f} s); each round the worker drains {weeks} stale school weeks "
        f"({raised} alerts raised in the first): {subject.median:.1f} s of worker time "
        f"against {baseline.median:.2f} s for the same pupil-week tallies by one bare "
        "INSERT ... SELECT ... GROUP BY. One operation is one whole drain."
    )
    return [
        Result(
            f"attendance recompute after a day ({schools} schools, {len(day_marks):,} marks)",
            backend,
            subject,
            baseline,
            target="under 30 s of worker time for 600 schools",
            note=note,
        )
    ]
