"""A licensing officer's licence list at 10,000 and at 200,000 licences.

Subject: ``GET /v1/licences?limit=50`` as a licensing officer under
``child_employment_licensing``, through the ASGI app: token, policy decision (the purpose's
collected-for filter and the data subjects' state, inside the SQL), the audit event naming
every data subject on the page, commit, serialisation. The first page is the latest starts,
so it should cost the same whatever the table holds: the comparison runs both sizes side by
side, interleaved, and the target is the 200k median within 1.5x of the 10k one
(ratio >= 0.67).

The licences are a county's several years of licensing: performance licences, work permits
and chaperone approvals, most granted, some applied, refused, revoked or withdrawn, starting
over five years, about three to a child. Each size is its own database.

Plan (EXPLAIN ANALYZE on PostgreSQL 15): a Limit of 51 over a nested loop: an Index Scan
Backward using ``ix_licences_starts_on`` (``starts_on``, ``id``) with the purposes-mask test as
a filter, and for each row its data subject's restriction and retention checked through
``pk_data_subjects`` (memoized); no sort, no scan of the table, about 0.4 ms in the database
at either size. Each run on PostgreSQL names the indexes the page's plan uses in its note.
"""

from __future__ import annotations

import json
import random
import re
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, insert, select, text
from sqlalchemy.sql.schema import Table

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models.licences import Licence, Person, Production
from app.models.subjects import DataSubject
from app.rules.licensing import Finding, Severity
from app.rules.retention import pupil_retain_until
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK
from bench.harness import Op, Result, Scale, Workload, measure, short, sized
from tests.conftest import make_settings
from tests.databases import fresh_database

PAGE = 50
SIZES = {Scale.QUICK: (1_000, 20_000), Scale.FULL: (10_000, 200_000)}
#: Licences per child: a child may hold several over the years.
LICENCES_PER_CHILD = 3
PRODUCTIONS = 40
OFFICER = "bench-licensing"
PURPOSE = "child_employment_licensing"
BATCH = 20_000
#: Kinds and stored statuses, with their shares.
KINDS = (("performance_licence", 6), ("work_permit", 3), ("chaperone_approval", 1))
STATUSES = (("granted", 14), ("applied", 3), ("refused", 1), ("revoked", 1), ("withdrawn", 1))
WARNING = Finding(
    rule="performance.late_application",
    severity=Severity.WARNING,
    source="SI 2014/3309 reg 4",
    message="The application was received fewer than 21 days before the first performance.",
    facts={"days_before": 14},
).as_dict()


def _weighted(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    return [name for name, weight in pairs for _ in range(weight)]


def _subject(kind: str, retain_until: date | None, now: datetime) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "restricted_since": None,
        "retain_until": retain_until,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _person(
    subject_id: uuid.UUID, person_type: str, serial: int, born: date, now: datetime
) -> dict[str, Any]:
    child = person_type == "child"
    return {
        "id": uuid.uuid4(),
        "person_type": person_type,
        "legal_forename": f"Forename{serial % 997}",
        "legal_surname": f"Surname{serial}",
        "surname_key": f"surname{serial}",
        "forename_key": f"forename{serial % 997}",
        "date_of_birth": born,
        "organisation": None,
        "education": "independent_school" if child else None,
        "school_name": None,
        "created_by": OFFICER,
        "purposes_mask": LICENSING_MASK,
        "lawful_basis": LICENSING_BASIS,
        "subject_id": subject_id,
        "address_lines": None,
        "postcode": None,
        "phone": None,
        "email": None,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


@dataclass(slots=True)
class _Rows:
    subjects: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    productions: list[dict[str, Any]] = field(default_factory=list)
    licences: list[dict[str, Any]] = field(default_factory=list)


def _rows(size: int) -> _Rows:
    """Subjects, people, productions and ``size`` licences."""
    rng = random.Random(size)
    now = datetime.now(UTC)
    today = now.date()
    out = _Rows()

    def person(person_type: str, serial: int, born: date) -> dict[str, Any]:
        child = person_type == "child"
        subject = _subject("other", pupil_retain_until(born) if child else None, now)
        out.subjects.append(subject)
        row = _person(subject["id"], person_type, serial, born, now)
        out.people.append(row)
        return row

    producer = person("adult", 0, date(1975, 3, 1))
    for number in range(PRODUCTIONS):
        out.productions.append(
            {
                "id": uuid.uuid4(),
                "title": f"Production {number}",
                "title_key": f"production {number}",
                "kind": rng.choice(["theatre", "film", "television"]),
                "company": "Synthetic Productions Ltd",
                "producer_id": producer["id"],
                "venue": "Synthetic Theatre, Canterbury",
                "charge_made": True,
                "licensed_premises": False,
                "broadcast_or_recorded": False,
                "body_of_persons_approval": None,
                "created_by": OFFICER,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    kinds, statuses = _weighted(KINDS), _weighted(STATUSES)
    children: list[dict[str, Any]] = []
    adults: list[dict[str, Any]] = []
    for serial in range(size):
        kind = rng.choice(kinds)
        if kind == "chaperone_approval":
            if not adults or rng.random() < 0.7:
                born = date(1960, 1, 1) + timedelta(days=rng.randrange(365 * 40))
                adults.append(person("adult", serial, born))
            holder = rng.choice(adults)
        else:
            if not children or len(children) * LICENCES_PER_CHILD < serial:
                born = today - timedelta(days=365 * 5 + rng.randrange(365 * 11))
                children.append(person("child", serial, born))
            holder = rng.choice(children[-50:])
        starts = today - timedelta(days=rng.randrange(5 * 365))
        received = starts - timedelta(days=rng.randrange(10, 60))
        status = rng.choice(statuses)
        ends = starts + timedelta(days=rng.randrange(90))
        decided = status not in {"applied", "withdrawn"}
        if kind == "chaperone_approval":
            ends_on = None
            expires = starts + timedelta(days=3 * 365)
            particulars: dict[str, Any] = {
                "dbs_certificate_number": f"{serial:012d}",
                "dbs_issued_on": received.isoformat(),
                "update_service_checked_on": received.isoformat(),
                "references_received": 2,
                "training_completed_on": received.isoformat(),
            }
            production_id = None
        elif kind == "work_permit":
            ends_on = ends
            expires = ends
            particulars = {
                "employer_id": None,
                "job": "Newspaper delivery",
                "starts_on": starts.isoformat(),
                "ends_on": ends.isoformat(),
                "school_starts": "08:40",
                "school_ends": "15:10",
                "shifts": [{"weeks": "term", "weekday": 5, "starts": "07:30", "ends": "09:00"}],
            }
            production_id = None
        else:
            ends_on = ends
            expires = ends
            production_id = rng.choice(out.productions)["id"]
            particulars = {
                "production_id": str(production_id),
                "paid": True,
                "days_performed_in_previous_six_months": 0,
                "chaperone_id": None,
                "chaperone_also_tutor": False,
            }
        at = datetime.combine(received, datetime.min.time(), tzinfo=UTC)
        out.licences.append(
            {
                "id": uuid.uuid4(),
                "reference": f"LIC-BENCH-{serial:07d}",
                "kind": kind,
                "status": status,
                "pupil_id": None,
                "person_id": holder["id"],
                "forename": holder["legal_forename"],
                "surname": holder["legal_surname"],
                "date_of_birth": holder["date_of_birth"],
                "parent_id": None,
                "school_urn": None,
                "employer_id": None,
                "production_id": production_id,
                "chaperone_id": None,
                "received_on": received,
                "starts_on": starts,
                "ends_on": ends_on,
                "expires_on": expires if status in {"granted", "revoked"} else None,
                "particulars": particulars,
                "health_needs": None,
                "findings": [WARNING] if rng.random() < 0.2 else [],
                "decided_by": OFFICER if decided else None,
                "decided_at": at + timedelta(days=7) if decided else None,
                "decision_reasons": "Decided on the application." if decided else None,
                "acknowledged": None,
                "revoked_by": OFFICER if status == "revoked" else None,
                "revoked_at": at + timedelta(days=30) if status == "revoked" else None,
                "revocation_ground": "conditions_breached" if status == "revoked" else None,
                "revocation_reasons": "Conditions broken." if status == "revoked" else None,
                "reminder_queued_on": None,
                "created_by": OFFICER,
                "purposes_mask": LICENSING_MASK,
                "lawful_basis": LICENSING_BASIS,
                "subject_id": holder["subject_id"],
                "created_at": at,
                "updated_at": at,
                "version": 1,
            }
        )
    return out


#: Columns stored as JSON: COPY takes them as text.
_JSON_COLUMNS = {"particulars", "findings", "acknowledged", "address_lines"}


async def _copy(database: Database, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk-load rows: COPY on PostgreSQL, batched executemany on SQLite."""
    for offset in range(0, len(rows), BATCH):
        batch = rows[offset : offset + BATCH]
        async with database.sessions() as session, session.begin():
            if database.engine.dialect.name == "postgresql":
                raw = await (await session.connection()).get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                columns = list(batch[0])
                await driver.copy_records_to_table(
                    table.name,
                    records=[
                        tuple(
                            json.dumps(row[c])
                            if c in _JSON_COLUMNS and row[c] is not None
                            else row[c]
                            for c in columns
                        )
                        for row in batch
                    ],
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
    load_seconds: float


@asynccontextmanager
async def _population(url: str, size: int) -> AsyncIterator[_Population]:
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    started = time.perf_counter()
    rows = _rows(size)
    for model, table_rows in (
        (DataSubject, rows.subjects),
        (Person, rows.people),
        (Production, rows.productions),
        (Licence, rows.licences),
    ):
        await _copy(database, model.__table__, table_rows)  # type: ignore[arg-type]
    async with database.sessions() as session, session.begin():
        await session.execute(text("ANALYZE"))
    load_seconds = time.perf_counter() - started
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject=OFFICER, roles=[Role.LICENSING_OFFICER], ttl_seconds=3600
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "KPAS-Purpose": PURPOSE}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield _Population(size, database, client, headers, load_seconds)
    finally:
        await database.dispose()


def _through_api(population: _Population) -> Op:
    async def listed() -> object:
        response = await population.client.get(
            "/v1/licences", params={"limit": PAGE}, headers=population.headers
        )
        assert response.status_code == 200, response.text
        assert len(response.json()["items"]) == PAGE
        return response

    return listed


def _direct_list(population: _Population) -> Op:
    """The same page read directly: the latest starts first; no policy, no audit."""

    async def listed() -> object:
        async with population.database.sessions() as session:
            stmt = (
                select(Licence)
                .order_by(Licence.starts_on.desc(), Licence.id.desc())
                .limit(PAGE + 1)
            )
            return (await session.scalars(stmt)).all()

    return listed


async def _plan_indexes(population: _Population) -> list[str]:
    """The indexes PostgreSQL's plan for the page's query uses, from EXPLAIN of the SQL the
    API sends."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "FROM licences" in statement and "LIMIT" in statement:
            seen.append((statement, parameters))

    engine = population.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await _through_api(population)()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert seen, "the page query was not seen"
    statement, parameters = seen[0]
    async with population.database.engine.connect() as conn:
        plan = (await conn.exec_driver_sql("EXPLAIN " + statement, parameters)).scalars().all()
    return list(dict.fromkeys(re.findall(r"using (\w+)", "\n".join(plan), flags=re.IGNORECASE)))


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
            plan = ""
            if backend == "postgresql":
                indexes = await _plan_indexes(large)
                plan = (
                    f" The page's plan at {large.size:,} uses: {', '.join(indexes) or 'no index'}."
                )
            for population in (small, large):
                results.append(
                    await measure(
                        Workload(
                            name=f"licensing officer's licence list at {population.size:,}",
                            subject=_through_api(population),
                            baseline=_direct_list(population),
                            target="report only",
                            note=f"GET /v1/licences?limit={PAGE} as a licensing officer (token, "
                            "purpose and subject-state filters in the SQL, audit naming every "
                            "subject on the page, commit) against the same page read directly. "
                            f"Loading the licences took {population.load_seconds:.0f} s.",
                        ),
                        backend,
                        rounds=sized(scale, quick=50, full=100),
                        warmup=10,
                    )
                )
            results.append(
                await measure(
                    Workload(
                        name=f"licence list, {large_label} licences against {small_label}",
                        subject=_through_api(large),
                        baseline=_through_api(small),
                        target=f"ratio >= 0.67 ({large_label} within 1.5x of {small_label})",
                        note=f"The same API list against {large_size:,} licences (subject) and "
                        f"{small_size:,} (baseline), interleaved: the first page is the same "
                        "work in both." + plan,
                    ),
                    backend,
                    rounds=sized(scale, quick=50, full=100),
                    warmup=10,
                )
            )
    return results
