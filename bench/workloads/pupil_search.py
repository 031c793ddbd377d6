"""Searching pupils by name at 10,000 and at 240,000 pupils (Kent's whole school population).

Subject: ``GET /v1/pupils?name=<prefix>&limit=50`` as an attendance manager of one area team,
through the ASGI app: token, policy decision (need-to-know, collected-for purpose and the
subject-state filters inside the SQL), audit event and commit, serialisation. Baseline: the
same name range and page read directly, with what the response carries for each pupil (its
enrolments with their schools' names, and its retention date), with no policy filter and no
audit.

The search is a range over the ``(surname_key, forename_key)`` index, so its cost should follow
the page size, not the table. The last result runs the same API search against a database of
240k pupils and one of 10k side by side, interleaved, and compares their medians.
"""

from __future__ import annotations

import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.orm import selectinload

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models import DataSubject, Enrolment, Pupil, School, SchoolPhase, SchoolStatus
from app.rules.kent import AREA_TEAM_OF_DISTRICT, District
from app.rules.names import name_key, prefix_upper_bound
from app.rules.retention import pupil_retain_until
from app.rules.upn import check_letter
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from bench.harness import Op, Result, Scale, Workload, measure, short, sized
from tests.conftest import make_settings
from tests.databases import fresh_database

PAGE = 50
SIZES = {Scale.QUICK: (10_000, 40_000), Scale.FULL: (10_000, 240_000)}
SCHOOLS_PER_DISTRICT = 50
BATCH = 10_000
#: Synthetic surnames: every first part with every second (360 names, clearly fake).
_FIRSTS = [
    "Ash", "Bram", "Chal", "Dun", "Elm", "Fair", "Grey", "Hol", "Ivy", "Jes", "Ket", "Lan",
    "Mar", "Nor", "Ock", "Pem", "Quen", "Rush", "Stour", "Till", "Under", "Vos", "Whit", "Yar",
]  # fmt: skip
_SECONDS = [
    "down", "by", "cott", "more", "worth", "leigh", "stoke", "lins", "bridge", "sop", "ton",
    "yon", "lowe", "ham", "ley",
]  # fmt: skip
_FORENAMES = [
    "Amelia", "Olivia", "Isla", "Ava", "Freya", "Lily", "Poppy", "Mia", "Zoë", "Evie",
    "Oliver", "George", "Noah", "Arthur", "Leo", "Harry", "Oscar", "Archie", "Theo", "Jack",
    "Aarav", "Fatima", "Kacper", "Maja", "Chidi", "Siobhan", "Mateo", "Yusuf", "Ines", "Ravi",
]  # fmt: skip
#: What searchers type: the start of a surname.
PREFIXES = [first.lower() for first in _FIRSTS]


def _schools() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    urn = 700000
    for district in District:
        for number in range(SCHOOLS_PER_DISTRICT):
            urn += 1
            rows.append(
                {
                    "urn": urn,
                    "name": f"Synthetic School {district.value} {number}",
                    "phase": SchoolPhase.PRIMARY,
                    "district": district,
                    "area_team": AREA_TEAM_OF_DISTRICT[district],
                    "status": SchoolStatus.OPEN,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
    return rows


def _people(
    start: int, count: int, urns: list[int], rng: random.Random
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows for ``count`` pupils (serials from ``start``): subjects, pupils, enrolments."""
    now = datetime.now(UTC)
    subjects, pupils, enrolments = [], [], []
    for serial in range(start, start + count):
        born = date(2010, 9, 1) + timedelta(days=rng.randrange(365 * 11))
        forename = rng.choice(_FORENAMES)
        surname = rng.choice(_FIRSTS) + rng.choice(_SECONDS)
        body = f"999{serial // 1000:04d}26{serial % 1000:03d}"
        subject_id, pupil_id = uuid.uuid4(), uuid.uuid4()
        subjects.append(
            {
                "id": subject_id,
                "kind": "pupil",
                "restricted_since": None,
                "retain_until": pupil_retain_until(born),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        pupils.append(
            {
                "id": pupil_id,
                "subject_id": subject_id,
                "purposes_mask": PEOPLE_PURPOSES_MASK,
                "lawful_basis": PEOPLE_BASIS,
                "upn": check_letter(body) + body,
                "legal_forename": forename,
                "legal_surname": surname,
                "date_of_birth": born,
                "gender": rng.choice(["female", "male", "not_known"]),
                "surname_key": name_key(surname),
                "forename_key": name_key(forename),
                "postcode": "CT9 1AA",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        enrolments.append(
            {
                "id": uuid.uuid4(),
                "pupil_id": pupil_id,
                "school_urn": rng.choice(urns),
                "on_roll_from": date(2024, 9, 1),
                "off_roll_on": None,
                "source": "roll",
                "created_at": now,
                "updated_at": now,
            }
        )
    return subjects, pupils, enrolments


async def _load(database: Database, start: int, count: int, urns: list[int]) -> None:
    """Bulk-load pupils: COPY on PostgreSQL, batched executemany on SQLite."""
    rng = random.Random(start)
    for offset in range(0, count, BATCH):
        batch = _people(start + offset, min(BATCH, count - offset), urns, rng)
        async with database.sessions() as session, session.begin():
            for model, rows in zip((DataSubject, Pupil, Enrolment), batch, strict=True):
                table = model.__table__
                if database.engine.dialect.name == "postgresql":
                    raw = await (await session.connection()).get_raw_connection()
                    columns = list(rows[0])
                    await raw.driver_connection.copy_records_to_table(
                        table.name,
                        records=[tuple(row[c] for c in columns) for row in rows],
                        columns=columns,
                    )
                else:
                    await session.execute(insert(table), rows)
    async with database.sessions() as session, session.begin():
        await session.execute(text("ANALYZE"))


@dataclass(slots=True)
class _Population:
    """One database holding ``size`` pupils, and the app serving it."""

    size: int
    database: Database
    client: httpx.AsyncClient
    headers: dict[str, str]
    load_seconds: float


@asynccontextmanager
async def _population(url: str, size: int) -> AsyncIterator[_Population]:
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    schools = _schools()
    async with database.sessions() as session, session.begin():
        await session.execute(insert(School.__table__), schools)
    started = time.perf_counter()
    await _load(database, 0, size, [row["urn"] for row in schools])
    load_seconds = time.perf_counter() - started
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject="bench-manager",
        roles=[Role.ATTENDANCE_MANAGER],
        area_teams=("east",),
        ttl_seconds=3600,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "KPAS-Purpose": "attendance_duty"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield _Population(size, database, client, headers, load_seconds)
    finally:
        await database.dispose()


def _through_api(population: _Population, rng: random.Random) -> Op:
    async def search() -> object:
        response = await population.client.get(
            "/v1/pupils",
            params={"name": rng.choice(PREFIXES), "limit": PAGE},
            headers=population.headers,
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == PAGE
        return response

    return search


def _direct_query(population: _Population, rng: random.Random) -> Op:
    """The page read directly, with what each item of the response carries besides the
    pupil's own columns: its enrolments with their schools' names, and its retention date."""

    async def search() -> object:
        prefix = rng.choice(PREFIXES)
        async with population.database.sessions() as session:
            stmt = (
                select(Pupil, DataSubject.retain_until)
                .join(DataSubject, DataSubject.id == Pupil.subject_id)
                .where(
                    Pupil.surname_key >= prefix,
                    Pupil.surname_key < prefix_upper_bound(prefix),
                    Pupil.merged_into_id.is_(None),
                )
                .options(selectinload(Pupil.enrolments).joinedload(Enrolment.school))
                .order_by(Pupil.surname_key, Pupil.forename_key, Pupil.id)
                .limit(PAGE + 1)
            )
            return (await session.execute(stmt)).all()

    return search


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    small_size, large_size = SIZES[scale]
    large, small = short(large_size), short(small_size)
    rng = random.Random(11)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as workdir:
        # Two databases side by side, so the two sizes are measured interleaved, in the same
        # conditions, rather than one after the other.
        async with (
            _population(url, small_size) as small_population,
            fresh_database(backend, Path(workdir)) as large_url,
            _population(large_url, large_size) as large_population,
        ):
            for population in (small_population, large_population):
                results.append(
                    await measure(
                        Workload(
                            name=f"pupil name search at {population.size:,} pupils",
                            subject=_through_api(population, rng),
                            baseline=_direct_query(population, rng),
                            target="report only",
                            note="GET /v1/pupils?name=<surname prefix>&limit=50 as an area-team "
                            "manager (token, policy filter in the SQL, audit, commit) against "
                            "the same name range read directly, with each pupil's enrolments, "
                            "schools and retention date, without policy or audit. "
                            f"Bulk loading the pupils took {population.load_seconds:.0f} s.",
                        ),
                        backend,
                        rounds=sized(scale, quick=50, full=100),
                        warmup=10,
                    )
                )
            results.append(
                await measure(
                    Workload(
                        name=f"pupil name search, {large} against {small}",
                        subject=_through_api(large_population, rng),
                        baseline=_through_api(small_population, rng),
                        target=f"ratio >= 0.5 ({large} within 2x of {small})",
                        note=f"The same API search against {large_size:,} pupils (subject) and "
                        f"against {small_size:,} (baseline), interleaved in one run: the ratio "
                        f"is the {small} median over the {large} median.",
                    ),
                    backend,
                    rounds=sized(scale, quick=50, full=100),
                    warmup=10,
                )
            )
    return results
