"""Attendance ingest: marks through ``POST /v1/attendance/imports`` against a raw binary COPY.

Subject: a CSV import of N new marks through the ASGI app (the daily case: KPAS holds no
mark of those schools and sessions on those days, so the import writes them straight from
its staged rows): the MIS client's token, the policy decision per school, the body streamed
and every row checked (UPN check letter, date, session, code), staging, the school locks and
the check that every mark is new, matching each row to a pupil on that school's roll on that
date as it is written, the stale-week queue, the import report, the audit event and the
commit. The marks are cleared between rounds, outside the clock. ``scale`` sets the size
(``MARKS``, ``SCHOOLS``).
Baseline: the same N rows, already built as tuples, written with binary ``COPY`` into an
empty table with the same columns and indexes as ``attendance_marks`` (``LIKE ... INCLUDING
ALL``: the primary key, the school/date index and the checks). On SQLite the baseline is
``executemany`` of the same rows (SQLite has no COPY).

Memory: the peak resident set above the level before the import (Linux ``VmHWM``, reset per
import through ``/proc/self/clear_refs``), for a small and a ten-times-larger import. The body
is built before the measurement starts, so what grows is the server's side.
"""

from __future__ import annotations

import gc
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.repositories.attendance_marks import MARK_COLUMNS
from app.rules.kent import District
from bench.attendance_scene import (
    create_schools_and_pupils,
    csv_body,
    insert_import_row,
    mark_records,
    raw_connection,
    school_days,
)
from bench.harness import Measurement, Result, Scale
from tests.conftest import make_settings

#: Marks per import, by scale and backend: at the full size PostgreSQL takes the issue's
#: million, SQLite a fifth of it; the quick size a tenth of those.
MARKS = {
    Scale.FULL: {"postgresql": 1_000_000, "sqlite": 200_000},
    Scale.QUICK: {"postgresql": 100_000, "sqlite": 20_000},
}
#: Schools by scale, of ``PUPILS_PER_SCHOOL`` each: at the full size 100,000 pupils, so one
#: import is a school week of them.
SCHOOLS = {Scale.FULL: 50, Scale.QUICK: 10}
PUPILS_PER_SCHOOL = 2000
ROUNDS = 3
FIRST_DAY = date(2026, 11, 2)
RAW_TABLE = "bench_raw_marks"


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


async def _clear_marks(database: Database) -> None:
    async with database.engine.begin() as conn:
        for table in ("attendance_mark_history", "attendance_marks", "attendance_stale_weeks"):
            await conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608 - fixed names
    if database.engine.dialect.name == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE attendance_marks"))


async def _create_raw_table(database: Database) -> None:
    async with database.engine.begin() as conn:
        if database.engine.dialect.name == "postgresql":
            await conn.execute(
                text(f"CREATE TABLE {RAW_TABLE} (LIKE attendance_marks INCLUDING ALL)")
            )
        else:
            await conn.execute(
                text(
                    f"CREATE TABLE {RAW_TABLE} (pupil_id CHAR(32) NOT NULL, mark_date DATE NOT "
                    "NULL, session VARCHAR(2) NOT NULL, school_urn INTEGER NOT NULL, code "
                    "VARCHAR(2) NOT NULL, import_id CHAR(32) NOT NULL, recorded_at DATETIME NOT "
                    "NULL, PRIMARY KEY (pupil_id, mark_date, session, school_urn))"
                )
            )
            await conn.execute(
                text(f"CREATE INDEX ix_raw_school_date ON {RAW_TABLE} (school_urn, mark_date)")
            )


async def _clear_raw(database: Database) -> None:
    async with database.engine.begin() as conn:
        await conn.execute(text(f"DELETE FROM {RAW_TABLE}"))  # noqa: S608 - fixed name
    if database.engine.dialect.name == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f"VACUUM ANALYZE {RAW_TABLE}"))


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    marks = MARKS[scale][backend]
    schools = SCHOOLS[scale]
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    pupils = await create_schools_and_pupils(
        database, schools=schools, pupils_per_school=PUPILS_PER_SCHOOL, district=District.DOVER
    )
    days = school_days(FIRST_DAY, -(-marks // (2 * len(pupils))))
    await _create_raw_table(database)
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject="bench-mis",
        roles=[Role.MIS_INTEGRATION],
        school_urns=tuple(sorted({p.school_urn for p in pupils})),
        ttl_seconds=7200,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}

    # Built before any clock starts: the body as the client sends it, and the same rows as
    # the tuples COPY takes.
    body = csv_body(pupils, days, marks)
    small_body = csv_body(pupils, days, marks // 10)
    baseline_import = await insert_import_row(database)
    records = list(mark_records(pupils, days, marks, baseline_import))
    gc.collect()
    gc.freeze()

    subject = Measurement("subject")
    baseline = Measurement("baseline")
    memory: dict[int, int] = {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", timeout=3600
    ) as client:

        async def post(chunks: list[bytes], expected: int) -> None:
            async def stream() -> Any:
                for chunk in chunks:
                    yield chunk

            response = await client.post(
                "/v1/attendance/imports", content=stream(), headers=headers
            )
            assert response.status_code == 201, response.text[:2000]
            report = response.json()
            assert report["marks_created"] == expected, report

        async def copy_raw() -> None:
            async with database.engine.begin() as conn:
                if backend == "postgresql":
                    raw = await raw_connection(conn)
                    await raw.copy_records_to_table(
                        RAW_TABLE, records=records, columns=list(MARK_COLUMNS)
                    )
                else:
                    await conn.exec_driver_sql(
                        f"INSERT INTO {RAW_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                        [
                            (r[0].hex, r[1], r[2], r[3], r[4], r[5].hex, r[6].isoformat())
                            for r in records
                        ],
                    )

        for _ in range(ROUNDS):
            await _clear_raw(database)
            started = time.perf_counter()
            await copy_raw()
            baseline.samples.append(time.perf_counter() - started)
            await _clear_marks(database)
            started = time.perf_counter()
            await post(body, marks)
            subject.samples.append(time.perf_counter() - started)

        # Peak memory of a small import and one ten times larger, each from a clean table.
        for size, chunks in ((marks // 10, small_body), (marks, body)):
            await _clear_marks(database)
            gc.collect()
            if not _reset_peak():
                break
            before = _rss_kib("VmRSS")
            await post(chunks, size)
            memory[size] = _rss_kib("VmHWM") - before
    gc.unfreeze()
    await database.dispose()

    rate = marks / subject.median
    raw_rate = marks / baseline.median
    memory_note = (
        "; ".join(f"{size:,} marks: peak +{kib / 1024:.0f} MiB" for size, kib in memory.items())
        if memory
        else "peak memory not measurable here"
    )
    note = (
        f"CSV import of {marks:,} new marks ({len(pupils):,} pupils at {schools} schools, "
        f"{len(days)} school day{'' if len(days) == 1 else 's'}) through the ASGI app: "
        f"{rate:,.0f} marks/s against "
        f"{raw_rate:,.0f} marks/s for the raw "
        f"{'binary COPY' if backend == 'postgresql' else 'executemany'} of the same rows into "
        f"an empty table with the same columns and indexes. Peak resident memory above the "
        f"level before the import: {memory_note}. One operation is one whole import."
    )
    return [
        Result(
            f"attendance import ({marks:,} marks)",
            backend,
            subject,
            baseline,
            target=">= 0.8 of raw COPY and >= 100,000 marks/s (PostgreSQL)",
            note=note,
        )
    ]
