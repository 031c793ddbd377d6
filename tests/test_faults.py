"""Faults and races a real deployment meets: many clients changing one record at once, one
request replayed concurrently under one ``Idempotency-Key``. Each runs against a fresh database
whose sessions really commit, through the application with its own connection pool, so the
requests truly overlap (on PostgreSQL, on separate connections)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.verification import verify_chain
from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models import AuditEvent
from app.models.attendance import AttendanceImport, AttendanceMark, AttendanceMarkHistory
from app.models.cases import Case
from tests.audit_support import migrated_database
from tests.case_support import CASE_URN, make_case
from tests.conftest import make_settings
from tests.factories import assert_problem, make_pupil, make_school

RACERS = 50
#: A Monday well in the past, under the 2024 code set.
IMPORT_DAY = date(2025, 11, 24)


@pytest_asyncio.fixture(scope="module")
async def committing(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[FastAPI, Database]]:
    """The application on a fresh database of its own whose every request commits, with a
    pool as large as the number of racing requests."""
    workdir = tmp_path_factory.mktemp(f"faults-{backend}")
    async with migrated_database(backend, workdir, pool_size=RACERS + 5) as database:
        settings = make_settings(str(database.engine.url), database_pool_size=RACERS + 5)
        yield create_app(settings, database), database


@pytest_asyncio.fixture
async def live_client(committing: tuple[FastAPI, Database]) -> AsyncIterator[httpx.AsyncClient]:
    app, _ = committing
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        yield client


def token(
    app: FastAPI,
    *roles: str,
    subject: str,
    area_teams: tuple[str, ...] = (),
    school_urns: tuple[int, ...] = (),
) -> str:
    issued = app.state.token_issuer.issue(
        subject=subject,
        roles=[Role(r) for r in roles],
        area_teams=area_teams,
        school_urns=school_urns,
    )
    return f"Bearer {issued.access_token}"


async def changes_to(database: Database, resource_id: uuid.UUID, action: str) -> int:
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.resource_id == str(resource_id), AuditEvent.action == action)
        )
        return int(count or 0)


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def chain_verifies(database: Database) -> bool:
    async with database.sessions() as session:
        return (await verify_chain(session)).ok


@pytest.mark.resilience
class TestConflictingUpdates:
    async def test_of_fifty_updates_with_one_etag_exactly_one_wins_each_round(
        self, committing: tuple[FastAPI, Database], live_client: httpx.AsyncClient
    ) -> None:
        app, database = committing
        async with database.sessions() as session:
            school = await make_school(session, urn=CASE_URN)
            world = await make_case(session, school=school)
            await session.commit()
        case_id = world.case.id
        headers = {
            "Authorization": token(
                app, "attendance_officer", subject="officer-1", area_teams=(school.area_team,)
            ),
            "KPAS-Purpose": "attendance_duty",
        }
        url = f"/v1/cases/{case_id}"
        read = await live_client.get(url, headers=headers)
        assert read.status_code == 200, read.text
        etag = read.headers["ETag"]
        for round_ in range(2):
            async with database.sessions() as session:
                version = (await session.get_one(Case, case_id)).version
            before = await changes_to(database, case_id, "case.updated")

            async def update(n: int, etag: str = etag, round_: int = round_) -> httpx.Response:
                return await live_client.patch(
                    url,
                    json={"next_action": f"Round {round_}: call {n}"},
                    headers={**headers, "If-Match": etag},
                )

            responses = await asyncio.gather(*(update(n) for n in range(RACERS)))
            statuses = Counter(r.status_code for r in responses)
            assert statuses == {200: 1, 412: RACERS - 1}, statuses
            for refused in (r for r in responses if r.status_code == 412):
                assert_problem(refused, 412)
            (winner,) = (r for r in responses if r.status_code == 200)
            assert winner.headers["ETag"] != etag
            async with database.sessions() as session:
                case = await session.get_one(Case, case_id)
                assert case.version == version + 1
                assert case.next_action == winner.json()["next_action"]
            assert await changes_to(database, case_id, "case.updated") == before + 1
            etag = winner.headers["ETag"]
        assert await chain_verifies(database)


IMPORT_REPLAYS = 10


class TestConcurrentIdempotentImport:
    async def test_one_import_sent_ten_times_at_once_under_one_key_is_applied_once(
        self, committing: tuple[FastAPI, Database], live_client: httpx.AsyncClient
    ) -> None:
        app, database = committing
        async with database.sessions() as session:
            school = await make_school(session)
            pupils = [
                await make_pupil(session, school=school, on_roll_from=date(2024, 9, 1))
                for _ in range(3)
            ]
            await session.commit()
        marks = [
            {
                "school_urn": school.urn,
                "upn": pupil.upn,
                "date": day.isoformat(),
                "session": half,
                "code": "N",
            }
            for pupil in pupils
            for day in (IMPORT_DAY, IMPORT_DAY + timedelta(days=1))
            for half in ("AM", "PM")
        ]
        headers = {
            "Authorization": token(
                app, "mis_integration", subject="mis-faults", school_urns=(school.urn,)
            ),
            "Idempotency-Key": f"register-{uuid.uuid4()}",
        }

        async def send() -> httpx.Response:
            return await live_client.post(
                "/v1/attendance/imports", json={"marks": marks}, headers=headers
            )

        responses = await asyncio.gather(*(send() for _ in range(IMPORT_REPLAYS)))
        # The later ones wait for the first to commit, then replay its response.
        assert [r.status_code for r in responses] == [201] * IMPORT_REPLAYS, [
            r.text for r in responses if r.status_code != 201
        ]
        firsts = [r for r in responses if "idempotent-replayed" not in r.headers]
        assert len(firsts) == 1, [r.headers.get("idempotent-replayed") for r in responses]
        (first,) = firsts
        for replay in responses:
            assert replay.json() == first.json()
            assert replay.headers["location"] == first.headers["location"]
        import_id = uuid.UUID(first.json()["id"])
        async with database.sessions() as session:
            assert await count(session, AttendanceImport) == 1
            assert await count(session, AttendanceMark) == len(marks)
            assert await count(session, AttendanceMarkHistory) == 0
        assert await changes_to(database, import_id, "attendance_marks.imported") == 1
        # Once the first has committed, the key replays its response.
        again = await send()
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert await chain_verifies(database)
