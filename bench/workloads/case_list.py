"""An attendance officer's case list at 10,000 and at 1,000,000 cases, and one case read.

Subject: ``GET /v1/cases?limit=50`` as an attendance officer of the east area team, through
the ASGI app: token, policy decision (the officer's need to know: cases assigned to them, and
their team's unassigned open cases, inside the SQL; the collected-for purpose and subject-state
filters), the audit event naming every data subject on the page, commit, serialisation.

Both databases give the officer the same work (60 open and 100 closed cases assigned to them,
40 unassigned open cases in their team); the rest are other officers' and other teams' cases,
nine in ten closed, as a county's history of casework would be. So the list should cost what
the officer can see, not what the table holds: the comparison runs both side by side,
interleaved, and the target is the 1M median within 1.5x of the 10k one (ratio >= 0.67).

The case read (``GET /v1/cases/{id}``: the case, its parties and the steps open to it, with
policy and audit) runs against the same reads done directly, with neither.
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
from app.models import Case, CaseParty, DataSubject, Pupil, School
from app.models.subjects import SubjectKind
from app.policies.registry import purposes_mask
from app.repositories.cases import CaseRepository
from app.rules import casework
from app.rules.casework import CaseFacts, next_steps
from app.services.cases import case_basis
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from bench.harness import Op, Result, Scale, Workload, measure, short, sized
from bench.workloads.pupil_search import _load, _schools
from tests.conftest import make_settings
from tests.databases import fresh_database

PAGE = 50
SIZES = {Scale.QUICK: (1_000, 50_000), Scale.FULL: (10_000, 1_000_000)}
#: Cases per pupil: a county's history of casework is several cases for some children.
CASES_PER_PUPIL = 4
OFFICER = "bench-officer"
TEAM = "east"
MINE_OPEN, MINE_CLOSED, TRIAGE = 60, 100, 40
OTHER_OFFICERS = 200
BATCH = 20_000


def _case_rows(
    count: int, pupils: list[tuple[uuid.UUID, uuid.UUID]], schools: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rng = random.Random(count)
    now = datetime.now(UTC)
    east = [s for s in schools if s["area_team"] == TEAM]
    mask = purposes_mask(set(casework.COLLECTED_FOR[casework.CaseType.ATTENDANCE]))
    basis = case_basis(casework.CaseType.ATTENDANCE)
    rows = []
    for serial in range(count):
        pupil_id, subject_id = pupils[serial % len(pupils)]
        if serial < MINE_OPEN + MINE_CLOSED + TRIAGE:
            school = rng.choice(east)
            officer: str | None = OFFICER if serial < MINE_OPEN + MINE_CLOSED else None
            closed = MINE_OPEN <= serial < MINE_OPEN + MINE_CLOSED
        else:
            school = rng.choice(schools)
            officer = f"officer-{rng.randrange(OTHER_OFFICERS)}"
            closed = rng.random() < 0.9
        opened = now - timedelta(days=rng.randrange(5 * 365), seconds=rng.randrange(86_400))
        rows.append(
            {
                "id": uuid.uuid4(),
                "reference": f"KPAS-BENCH-{serial:09d}",
                "case_type": "attendance",
                "purpose": "attendance_duty",
                "pupil_id": pupil_id,
                "subject_id": subject_id,
                "purposes_mask": mask,
                "lawful_basis": basis,
                "stage": "closed" if closed else rng.choice(["triage", "support", "support"]),
                "school_urn": school["urn"],
                "district": school["district"].value,
                "area_team": school["area_team"].value,
                "assigned_officer": officer,
                "assigned_at": opened if officer else None,
                "referral_source": "council",
                "referred_by": "bench-manager",
                "referral": None,
                "alert_id": None,
                "opened_on": opened.date(),
                "next_action_on": (opened + timedelta(days=rng.randrange(60))).date(),
                "next_action": None,
                "eso_decision": None,
                "eso_considered_on": None,
                "eso_reason": None,
                "eso_recorded_by": None,
                "prosecution_approved_by": None,
                "prosecution_approved_at": None,
                "closed_at": opened + timedelta(days=90) if closed else None,
                "outcome": "attendance_improved" if closed else None,
                "outcome_summary": None,
                "created_at": opened,
                "updated_at": opened,
                "version": 1,
            }
        )
    return rows


async def _copy(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    for offset in range(0, len(rows), BATCH):
        batch = rows[offset : offset + BATCH]
        async with database.sessions() as session, session.begin():
            if database.engine.dialect.name == "postgresql":
                raw = await (await session.connection()).get_raw_connection()
                columns = list(batch[0])
                await raw.driver_connection.copy_records_to_table(
                    table.name,
                    records=[tuple(row[c] for c in columns) for row in batch],
                    columns=columns,
                )
            else:
                await session.execute(insert(table), batch)


@dataclass(slots=True)
class _Population:
    size: int
    database: Database
    client: httpx.AsyncClient
    headers: dict[str, str]
    mine: list[uuid.UUID]
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
    await _load(database, 0, max(1, size // CASES_PER_PUPIL), [row["urn"] for row in schools])
    async with database.sessions() as session:
        pupils = [tuple(row) for row in await session.execute(select(Pupil.id, Pupil.subject_id))]
    cases = _case_rows(size, pupils, schools)  # type: ignore[arg-type]
    await _copy(database, Case.__table__, cases)
    # Each of the officer's cases involves one parent: a carer of the case's pupil.
    await _parents(database, cases[: MINE_OPEN + MINE_CLOSED + TRIAGE])
    async with database.sessions() as session, session.begin():
        await session.execute(text("ANALYZE"))
    load_seconds = time.perf_counter() - started
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject=OFFICER,
        roles=[Role.ATTENDANCE_OFFICER],
        area_teams=(TEAM,),
        ttl_seconds=3600,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "KPAS-Purpose": "attendance_duty"}
    mine = [row["id"] for row in cases[:MINE_OPEN]]
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield _Population(size, database, client, headers, mine, load_seconds)
    finally:
        await database.dispose()


async def _parents(database: Database, cases: list[dict[str, Any]]) -> None:
    from app.models import Carer, CarerRelationship

    now = datetime.now(UTC)
    async with database.sessions() as session, session.begin():
        for case in cases:
            subject = DataSubject(
                id=uuid.uuid4(), kind=SubjectKind.CARER, retain_until=date(2040, 1, 1)
            )
            carer = Carer(
                id=uuid.uuid4(),
                subject_id=subject.id,
                purposes_mask=PEOPLE_PURPOSES_MASK,
                lawful_basis=PEOPLE_BASIS,
                forename="Parent",
                surname="Synthetic",
                surname_key="synthetic",
                forename_key="parent",
            )
            session.add_all([subject, carer])
            await session.flush()
            session.add(
                CarerRelationship(
                    pupil_id=case["pupil_id"],
                    carer_id=carer.id,
                    relationship_type="mother",
                    parental_responsibility=True,
                    lives_with=True,
                )
            )
            session.add(
                CaseParty(
                    case_id=case["id"],
                    carer_id=carer.id,
                    subject_id=subject.id,
                    relationship_type="mother",
                    parental_responsibility=True,
                    added_at=now,
                )
            )


def _through_api(population: _Population) -> Op:
    async def listed() -> object:
        response = await population.client.get(
            "/v1/cases", params={"limit": PAGE}, headers=population.headers
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == PAGE
        return response

    return listed


def _direct_list(population: _Population) -> Op:
    """The same page read directly: the officer's open cases and their team's unassigned
    ones, newest first, with their parties; no policy, no audit."""

    async def listed() -> object:
        async with population.database.sessions() as session:
            stmt = (
                select(Case)
                .where(
                    Case.closed_at.is_(None),
                    (Case.assigned_officer == OFFICER)
                    | (Case.assigned_officer.is_(None) & (Case.area_team == TEAM)),
                )
                .options(selectinload(Case.parties))
                .order_by(Case.created_at.desc(), Case.id.desc())
                .limit(PAGE + 1)
            )
            return (await session.scalars(stmt)).all()

    return listed


def _read_through_api(population: _Population, rng: random.Random) -> Op:
    async def read() -> object:
        case_id = rng.choice(population.mine)
        response = await population.client.get(f"/v1/cases/{case_id}", headers=population.headers)
        assert response.status_code == 200, response.text
        return response

    return read


def _read_directly(population: _Population, rng: random.Random) -> Op:
    """What the case read loads, read directly: the case with its parties and the facts its
    next steps are computed from; no policy, no audit."""

    async def read() -> object:
        case_id = rng.choice(population.mine)
        today = datetime.now(UTC).date()
        async with population.database.sessions() as session:
            case = await session.scalar(
                select(Case).where(Case.id == case_id).options(selectinload(Case.parties))
            )
            assert case is not None
            found = await CaseRepository(session).facts(case.id, today)
            return next_steps(
                CaseFacts(
                    case_type=case.case_type,
                    stage=case.stage,
                    today=today,
                    assigned=case.assigned_officer is not None,
                    parents=len(case.parties),
                    **found,
                )
            )

    return read


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    results: list[Result] = []
    small_size, large_size = SIZES[scale]
    large_label, small_label = short(large_size), short(small_size)
    with tempfile.TemporaryDirectory() as workdir:
        async with (
            _population(url, small_size) as small,
            fresh_database(backend, Path(workdir)) as large_url,
            _population(large_url, large_size) as large,
        ):
            for population in (small, large):
                results.append(
                    await measure(
                        Workload(
                            name=f"officer's case list at {population.size:,} cases",
                            subject=_through_api(population),
                            baseline=_direct_list(population),
                            target="report only",
                            note=f"GET /v1/cases?limit={PAGE} as an attendance officer "
                            "(token, need-to-know and subject-state filters in the SQL, audit "
                            "naming every subject on the page, commit) against the same page "
                            "read directly with its parties. Loading the pupils and cases "
                            f"took {population.load_seconds:.0f} s.",
                        ),
                        backend,
                        rounds=sized(scale, quick=50, full=100),
                        warmup=10,
                    )
                )
            results.append(
                await measure(
                    Workload(
                        name=f"officer's case list, {large_label} cases against {small_label}",
                        subject=_through_api(large),
                        baseline=_through_api(small),
                        target=f"ratio >= 0.67 ({large_label} within 1.5x of {small_label}); "
                        "median < 25 ms on PostgreSQL",
                        note=f"The same API list against {large_size:,} cases (subject) and "
                        f"{small_size:,} (baseline), interleaved: the officer's own work is the "
                        "same in both.",
                    ),
                    backend,
                    rounds=sized(scale, quick=50, full=100),
                    warmup=10,
                )
            )
            rng = random.Random(11)
            results.append(
                await measure(
                    Workload(
                        name="case read with policy and audit, against the bare reads",
                        subject=_read_through_api(small, rng),
                        baseline=_read_directly(small, rng),
                        target="ratio >= 0.5",
                        note="GET /v1/cases/{id} as its assigned officer: the case, its "
                        "parties and the steps open to it, with token, policy and audit, "
                        "against the same case, parties and step facts read directly.",
                    ),
                    backend,
                    rounds=sized(scale, quick=100, full=200),
                    warmup=20,
                )
            )
    return results
