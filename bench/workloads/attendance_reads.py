"""Attendance reads over a year of marks: the alerts list and a school's summary.

Scene (``SCENES``, by scale and backend): at the full size 10 million marks on PostgreSQL, 13
secondary schools of 2,000 pupils with every school day from 1 September 2025 (1 million on
SQLite: 5 schools of 1,000 pupils, 100 days); at the quick size 300,000 and 100,000. The marks
are copied straight into ``attendance_marks``; then the worker's recompute drains the
queue, building the weekly tallies and the alerts from scratch (its time is in the note).

- Alerts: ``GET /v1/attendance/alerts`` (first page of 50, an attendance manager's area team,
  attendance_duty) through the ASGI app: token, policy filter in SQL, audit, JSON. Baseline:
  the same page with a plain SQL query (open alerts at the team's schools, newest first) with
  no policy, audit or HTTP.
- School summary: ``GET /v1/schools/{urn}/attendance/summary`` for one school over the school
  year so far. Baseline: one GROUP BY per pupil over that school's marks for the period, with
  no policy, audit or HTTP.
"""

from __future__ import annotations

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
from app.rules.attendance import ATTENDANCE_CODES, CodeCategory
from app.rules.kent import District, area_team_for
from app.services.attendance_recompute import AttendanceRecomputer
from bench.attendance_scene import (
    create_schools_and_pupils,
    insert_import_row,
    mark_records,
    raw_connection,
    school_days,
)
from bench.harness import Result, Scale, Workload, measure
from tests.conftest import make_settings

#: (schools, pupils per school, school days) by scale and backend: 13 x 2,000 x 385 sessions
#: is 10.0M.
SCENES = {
    Scale.FULL: {"postgresql": (13, 2000, 193), "sqlite": (5, 1000, 100)},
    Scale.QUICK: {"postgresql": (3, 500, 100), "sqlite": (2, 500, 50)},
}
FIRST_DAY = date(2025, 9, 1)
ROUNDS = 30
WARMUP = 3
COPY_BATCH = 200_000


def _codes(category: CodeCategory) -> str:
    return ", ".join(
        "'" + code.replace("'", "''") + "'"
        for code, found in ATTENDANCE_CODES.items()
        if found.category is category
    )


SUMMARY_BASELINE = f"""
SELECT pupil_id,
       SUM(CASE WHEN code IN ({_codes(CodeCategory.PRESENT)}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY)})
                THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.AUTHORISED_ABSENCE)}) THEN 1 ELSE 0 END),
       SUM(CASE WHEN code IN ({_codes(CodeCategory.UNAUTHORISED_ABSENCE)}) THEN 1 ELSE 0 END)
FROM attendance_marks
WHERE school_urn = :urn AND mark_date BETWEEN :first AND :last
GROUP BY pupil_id
"""  # noqa: S608 - codes from the rules module, not input

ALERTS_BASELINE = """
SELECT a.id, a.kind, a.status, a.period_start, a.period_end, a.possible_sessions,
       a.attended_sessions, a.authorised_sessions, a.unauthorised_sessions, a.raised_at,
       p.id, p.legal_forename, p.legal_surname, s.urn, s.name
FROM attendance_alerts a
JOIN pupils p ON p.id = a.pupil_id
JOIN schools s ON s.urn = a.school_urn
WHERE a.status = 'open' AND s.area_team = :team
ORDER BY a.raised_at DESC, a.id DESC
LIMIT 50
"""


async def _copy_marks(database: Database, records: Any, backend: str) -> int:
    """Marks straight into the table (and their weeks onto the worker's queue)."""
    copied = 0
    batch: list[tuple[Any, ...]] = []

    async def flush() -> None:
        nonlocal copied
        async with database.engine.begin() as conn:
            if backend == "postgresql":
                raw = await raw_connection(conn)
                await raw.copy_records_to_table(
                    "attendance_marks", records=batch, columns=list(MARK_COLUMNS)
                )
            else:
                await conn.exec_driver_sql(
                    "INSERT INTO attendance_marks (pupil_id, mark_date, session, school_urn, "
                    "code, import_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (r[0].hex, r[1].isoformat(), r[2], r[3], r[4], r[5].hex, str(r[6]))
                        for r in batch
                    ],
                )
        copied += len(batch)
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= COPY_BATCH:
            await flush()
    if batch:
        await flush()
    return copied


#: Every school week with marks onto the worker's queue (week_start is the Monday).
QUEUE_ALL = {
    "postgresql": "INSERT INTO attendance_stale_weeks (school_urn, week_start, queued_at) "
    "SELECT DISTINCT school_urn, date_trunc('week', mark_date)::date, CURRENT_TIMESTAMP "
    "FROM attendance_marks",
    "sqlite": "INSERT INTO attendance_stale_weeks (school_urn, week_start, queued_at) "
    "SELECT DISTINCT school_urn, date(mark_date, '-' || "
    "((CAST(strftime('%w', mark_date) AS INTEGER) + 6) % 7) || ' days'), CURRENT_TIMESTAMP "
    "FROM attendance_marks",
}


async def _queue_every_week(database: Database) -> None:
    dialect = database.engine.dialect.name
    async with database.engine.begin() as conn:
        await conn.execute(text(QUEUE_ALL[dialect]))
        if dialect == "postgresql":
            await conn.execute(text("ANALYZE"))


def _marks(count: int) -> str:
    return f"{count / 1e6:.0f}M" if count >= 1_000_000 else f"{count / 1e3:.0f}k"


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    schools, per_school, day_count = SCENES[scale][backend]
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    district = District.DOVER
    pupils = await create_schools_and_pupils(
        database, schools=schools, pupils_per_school=per_school, district=district
    )
    days = school_days(FIRST_DAY, day_count)
    import_id = await insert_import_row(database)
    started = time.perf_counter()
    marks = await _copy_marks(
        database, mark_records(pupils, days, len(pupils) * len(days) * 2, import_id), backend
    )
    copy_seconds = time.perf_counter() - started
    await _queue_every_week(database)
    started = time.perf_counter()
    recomputed = await AttendanceRecomputer(database, batch_weeks=50).drain()
    recompute_seconds = time.perf_counter() - started
    if database.engine.dialect.name == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))

    app = create_app(settings, database)
    team = area_team_for(district)
    token = app.state.token_issuer.issue(
        subject="bench-manager",
        roles=[Role.ATTENDANCE_MANAGER],
        area_teams=(team.value,),
        ttl_seconds=7200,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "KPAS-Purpose": "attendance_duty"}
    urn = pupils[0].school_urn
    first, last = days[0], days[-1]
    summary_path = (
        f"/v1/schools/{urn}/attendance/summary?from={first.isoformat()}&to={last.isoformat()}"
    )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        first_page = await client.get("/v1/attendance/alerts?limit=50", headers=headers)
        assert first_page.status_code == 200, first_page.text[:2000]
        alerts_on_page = len(first_page.json()["items"])

        async def alerts() -> object:
            response = await client.get("/v1/attendance/alerts?limit=50", headers=headers)
            assert response.status_code == 200, response.text[:500]
            return response

        async def alerts_baseline() -> object:
            async with database.engine.connect() as conn:
                return (await conn.execute(text(ALERTS_BASELINE), {"team": team.value})).all()

        async def summary() -> object:
            response = await client.get(summary_path, headers=headers)
            assert response.status_code == 200, response.text[:500]
            return response

        async def summary_baseline() -> object:
            async with database.engine.connect() as conn:
                return (
                    await conn.execute(
                        text(SUMMARY_BASELINE), {"urn": urn, "first": first, "last": last}
                    )
                ).all()

        scene = (
            f"{marks:,} marks ({len(pupils):,} pupils at {schools} schools, {len(days)} school "
            f"days from {first.isoformat()}); copied in {copy_seconds:.1f} s; the worker's "
            f"recompute from scratch ({recomputed.weeks} school weeks, "
            f"{recomputed.raised:,} alerts raised) took "
            f"{recompute_seconds:.1f} s"
        )
        alerts_result = await measure(
            Workload(
                name=f"attendance alerts, first page of 50 ({_marks(marks)} marks)",
                subject=alerts,
                baseline=alerts_baseline,
                target="report only",
                note=(
                    f"{scene}. GET /v1/attendance/alerts?limit=50 as an attendance manager "
                    f"({alerts_on_page} alerts on the page) against the same page by plain SQL."
                ),
            ),
            backend,
            rounds=ROUNDS,
            warmup=WARMUP,
        )
        summary_result = await measure(
            Workload(
                name=f"school attendance summary, {per_school:,} pupils ({_marks(marks)} marks)",
                subject=summary,
                baseline=summary_baseline,
                target="report only",
                note=(
                    f"{scene}. GET /v1/schools/{{urn}}/attendance/summary over "
                    f"{len(days)} school days ({per_school * len(days) * 2:,} marks at that "
                    "school) against one GROUP BY per pupil over the same marks by plain SQL."
                ),
            ),
            backend,
            rounds=max(5, ROUNDS // 3),
            warmup=1,
        )
    await database.dispose()
    return [alerts_result, summary_result]
