"""Attendance reads as marks accumulate: the same reads at two sizes of the marks table, side
by side in one run, so it shows whether reads stay flat as Kent's years of marks pile up.

Scene: schools and pupils as in ``attendance_reads``, every school day of the school year from
1 September 2025 copied straight into ``attendance_marks`` (binary COPY on PostgreSQL), the
worker's recompute building the weekly tallies and alerts, then the reads measured: that is
the small size. Then four earlier school years of the same pupils' marks are added (marks are
kept until each child's 25th birthday, so the table holds many years) and the same reads are
measured again: the large size, five times the marks. In each row the large size is the
subject and the small size the baseline, so the ratio is how much slower the read became.

Sizes (``SIZES``): full is 10M and 50M marks on PostgreSQL (13 schools of 2,000 pupils, 193
days a year), 200k and 1M on SQLite (2 schools of 500, 100 days: what SQLite builds in a few
minutes); quick is 1M and 5M on PostgreSQL, 50k and 250k on SQLite.

The partitions of the five school years are made before the marks are copied in, as
``kpas partitions ensure --since`` does before a backfill of earlier years (rows copied in
first would wait in the DEFAULT partition until the worker's daily run moved them).

- Alerts: ``GET /v1/attendance/alerts?limit=50`` as an area team's attendance manager.
- School summary: ``GET /v1/schools/{urn}/attendance/summary`` over the current school year.
- Pupil figures: ``GET /v1/pupils/{id}/attendance`` over the current school year.
- School marks by SQL: one GROUP BY per pupil over one school's marks for the current school
  year, no API around it (the read partitioning is for; the summary reads the tallies).

On PostgreSQL ``attendance_marks`` is partitioned by school year (migration 0023), so each
date-bounded read touches the current year's partition whatever the other years hold.
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
from app.repositories.partitions import ensure_partitions
from app.rules.kent import District, area_team_for
from app.services.attendance_recompute import AttendanceRecomputer
from bench.attendance_scene import (
    create_schools_and_pupils,
    insert_import_row,
    mark_records,
    school_days,
)
from bench.harness import Measurement, Result, Scale, Workload, measure
from bench.workloads.attendance_reads import SUMMARY_BASELINE, _copy_marks, _queue_every_week
from tests.conftest import make_settings

#: (schools, pupils per school, school days a year) by scale and backend; each size is that
#: many school years: the small size one, the large five.
SIZES = {
    Scale.FULL: {"postgresql": (13, 2000, 193), "sqlite": (2, 500, 100)},
    Scale.QUICK: {"postgresql": (5, 1000, 100), "sqlite": (1, 250, 100)},
}
YEARS = 5
CURRENT_YEAR = 2025
ROUNDS = 10
WARMUP = 2


async def _settle(database: Database) -> None:
    if database.engine.dialect.name == "postgresql":
        async with database.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))


async def _partitions(database: Database) -> str:
    if database.engine.dialect.name != "postgresql":
        return "one table (SQLite is not partitioned)"
    async with database.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT c.relname, c.reltuples::bigint FROM pg_inherits i "
                "JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = 'attendance_marks'::regclass AND c.reltuples > 0 "
                "ORDER BY c.relname"
            )
        )
        return ", ".join(f"{name} ~{count / 1e6:.1f}M" for name, count in rows)


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    schools, per_school, day_count = SIZES[scale][backend]
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    district = District.DOVER
    pupils = await create_schools_and_pupils(
        database, schools=schools, pupils_per_school=per_school, district=district
    )
    import_id = await insert_import_row(database)
    async with database.sessions() as session:
        await ensure_partitions(
            session,
            through=date(CURRENT_YEAR, 9, 1),
            since=date(CURRENT_YEAR - YEARS + 1, 9, 1),
        )
        await session.commit()
    per_year = len(pupils) * day_count * 2

    async def copy_year(year: int) -> tuple[list[date], float]:
        days = school_days(date(year, 9, 1), day_count)
        started = time.perf_counter()
        await _copy_marks(database, mark_records(pupils, days, per_year, import_id), backend)
        return days, time.perf_counter() - started

    days, copy_seconds = await copy_year(CURRENT_YEAR)
    await _queue_every_week(database)
    started = time.perf_counter()
    await AttendanceRecomputer(database, batch_weeks=50).drain()
    recompute_seconds = time.perf_counter() - started
    await _settle(database)

    app = create_app(settings, database)
    team = area_team_for(district)
    token = app.state.token_issuer.issue(
        subject="bench-manager",
        roles=[Role.ATTENDANCE_MANAGER],
        area_teams=(team.value,),
        ttl_seconds=7200,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "KPAS-Purpose": "attendance_duty"}
    urn, pupil_id = pupils[0].school_urn, pupils[25].id  # pupil 25 is often absent
    first, last = days[0], days[-1]
    period = f"from={first.isoformat()}&to={last.isoformat()}"
    paths = {
        "alerts": "/v1/attendance/alerts?limit=50",
        "summary": f"/v1/schools/{urn}/attendance/summary?{period}",
        "pupil": f"/v1/pupils/{pupil_id}/attendance?{period}",
    }
    timings: dict[str, dict[str, Measurement]] = {name: {} for name in (*paths, "sql")}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        def get(path: str) -> Any:
            async def op() -> object:
                response = await client.get(path, headers=headers)
                assert response.status_code == 200, response.text[:500]
                return response

            return op

        async def school_marks() -> object:
            async with database.engine.connect() as conn:
                return (
                    await conn.execute(
                        text(SUMMARY_BASELINE), {"urn": urn, "first": first, "last": last}
                    )
                ).all()

        async def measure_all(size: str) -> None:
            ops = {**{name: get(path) for name, path in paths.items()}, "sql": school_marks}
            for name, op in ops.items():
                # The harness times a pair; here both sides are the same read, so their
                # samples together are this size's.
                pair = await measure(
                    Workload(name=name, subject=op, baseline=op, target=""),
                    backend,
                    rounds=ROUNDS,
                    warmup=WARMUP,
                )
                timings[name][size] = Measurement(
                    size, [*pair.subject.samples, *pair.baseline.samples]
                )

        await measure_all("small")
        small_partitions = await _partitions(database)
        older_seconds = 0.0
        for year in range(CURRENT_YEAR - YEARS + 1, CURRENT_YEAR):
            older_seconds += (await copy_year(year))[1]
        await _settle(database)
        await measure_all("large")
        large_partitions = await _partitions(database)
    await database.dispose()

    small, large = per_year, per_year * YEARS
    sized = f"{large / 1e6:g}M vs {small / 1e6:g}M marks" + (
        "" if backend == "postgresql" else ", the size SQLite builds in minutes"
    )
    scene = (
        f"{len(pupils):,} pupils at {schools} schools, {day_count} school days a year; "
        f"{small:,} marks of {CURRENT_YEAR}/{CURRENT_YEAR + 1 - 2000} copied in "
        f"{copy_seconds:.1f} s and recomputed in {recompute_seconds:.1f} s (small size: "
        f"{small_partitions}); then {large - small:,} marks of {YEARS - 1} earlier school "
        f"years copied in {older_seconds:.1f} s (large size: {large_partitions}). Subject is "
        f"the large size, baseline the small; reads over {CURRENT_YEAR}/"
        f"{CURRENT_YEAR + 1 - 2000} ({first.isoformat()} to {last.isoformat()})"
    )
    target = (
        "ratio >= 0.67 (large within 1.5x of small)" if backend == "postgresql" else "report only"
    )
    described = {
        "alerts": ("attendance alerts, first page of 50", "GET /v1/attendance/alerts?limit=50"),
        "summary": (
            f"school attendance summary, {per_school:,} pupils",
            "GET /v1/schools/{urn}/attendance/summary over the school year",
        ),
        "pupil": (
            "pupil attendance figures",
            "GET /v1/pupils/{id}/attendance over the school year",
        ),
        "sql": (
            f"school's marks for the year by SQL, {per_school:,} pupils",
            "one GROUP BY per pupil over one school's marks for the school year",
        ),
    }
    results = []
    for name, (title, what) in described.items():
        results.append(
            Result(
                workload=f"{title} as marks grow ({sized})",
                backend=backend,
                subject=timings[name]["large"],
                baseline=timings[name]["small"],
                target=target,
                note=f"{what}. {scene}.",
            )
        )
    return results
