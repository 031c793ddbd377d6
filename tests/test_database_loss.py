"""The database going away under a request: the client gets a 503 problem with
``Retry-After``, never a 500; the transaction is gone whole, so nothing is half written; and
the next request succeeds with no restart.

On PostgreSQL the request's server process is terminated (``pg_terminate_backend``, as a
restart or an operator would) while it waits on a lock the test holds; on SQLite another
connection keeps the database locked past the busy timeout, or the file cannot be opened.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.audit.verification import verify_chain
from app.auth.principal import Role
from app.db import Database
from app.errors import database_unavailable
from app.main import create_app
from app.models import AuditEvent
from app.models.attendance import AttendanceImport, AttendanceMark, AttendanceStaleWeek
from app.models.schools import School
from tests.conftest import make_settings
from tests.databases import fresh_database
from tests.factories import make_pupil, make_school, school_body
from tests.live import free_port

PROBLEM = "application/problem+json"
IMPORTS = "/v1/attendance/imports"
#: A Monday in the past, under the 2024 code set.
WEEK = [date(2025, 11, 24 + offset) for offset in range(5)]


@dataclass
class Served:
    client: httpx.AsyncClient
    app: FastAPI
    database: Database
    url: str
    school: School
    upns: list[str]

    def headers(self) -> dict[str, str]:
        """The school's own information system."""
        token = self.app.state.token_issuer.issue(
            subject="mis-1", roles=[Role.MIS_INTEGRATION], school_urns=(self.school.urn,)
        )
        return {"Authorization": f"Bearer {token.access_token}"}

    def marks(self, code: str = "/") -> dict[str, Any]:
        rows = [
            {"school_urn": self.school.urn, "upn": upn, "date": day.isoformat(), "session": s}
            for upn in self.upns
            for day in WEEK
            for s in ("AM", "PM")
        ]
        return {"marks": [{**row, "code": code} for row in rows]}

    async def counts(self) -> dict[str, int]:
        """Rows an import writes, and the changes recorded in the audit trail (a refused
        request's decision is kept on purpose: it is not part of the import)."""
        async with self.database.sessions() as session:
            found = {
                model.__tablename__: int(
                    await session.scalar(select(func.count()).select_from(model)) or 0
                )
                for model in (AttendanceImport, AttendanceMark, AttendanceStaleWeek)
            }
            changes = select(func.count()).where(AuditEvent.kind == "change")
            found["audited changes"] = int(await session.scalar(changes) or 0)
            return found

    async def chain_verifies(self) -> bool:
        async with self.database.sessions() as session:
            return (await verify_chain(session)).ok


@asynccontextmanager
async def serving(backend: str, tmp_path: Path) -> AsyncIterator[Served]:
    """A migrated database of the test's own, whose sessions really commit, with a school
    and three pupils on its roll, and the app serving it in process."""
    async with fresh_database(backend, tmp_path) as url:
        database = Database.from_settings(make_settings(url))
        await database.upgrade()
        async with database.sessions() as session:
            school = await make_school(session)
            pupils = [await make_pupil(session, school=school) for _ in range(3)]
            await session.commit()
        app = create_app(make_settings(url), database)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as c:
                yield Served(c, app, database, url, school, [str(p.upn) for p in pupils])
        finally:
            await database.dispose()


@pytest.fixture
async def on_postgres(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving("postgresql", tmp_path) as served:
        yield served


@pytest.fixture
async def on_sqlite(tmp_path: Path) -> AsyncIterator[Served]:
    async with serving("sqlite", tmp_path) as served:
        yield served


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["type"].endswith("/service-unavailable")
    assert body["status"] == 503
    assert "Traceback" not in response.text


async def _waiting_backend(admin: AsyncConnection) -> int:
    """The server process of the request that waits on a lock."""
    for _ in range(250):
        pid = await admin.scalar(
            text(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
        if pid is not None:
            return int(pid)
        await asyncio.sleep(0.02)
    raise AssertionError("no request came to wait on the lock")


async def test_a_connection_killed_mid_import_is_a_503_and_nothing_is_half_written(
    on_postgres: Served,
) -> None:
    served = on_postgres
    before = await served.counts()
    admin = create_async_engine(served.url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as holder, admin.connect() as operator:
            # Every write ends by appending to the audit chain under its head's lock: held
            # here, the import has written all its rows and waits for it, uncommitted.
            await holder.execute(text("BEGIN"))
            await holder.execute(text("SELECT seq FROM audit_chain_head FOR UPDATE"))
            sending = asyncio.create_task(
                served.client.post(IMPORTS, json=served.marks(), headers=served.headers())
            )
            pid = await _waiting_backend(operator)
            await operator.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await asyncio.sleep(0.1)
            # The refusal's own decision record waits for the lock too.
            await holder.execute(text("ROLLBACK"))
            response = await asyncio.wait_for(sending, 10)
    finally:
        await admin.dispose()

    assert_unavailable(response)
    assert await served.counts() == before
    assert await served.chain_verifies()

    retried = await served.client.post(IMPORTS, json=served.marks(), headers=served.headers())
    assert retried.status_code == 201, retried.text
    assert (await served.counts())["attendance_marks"] == len(served.upns) * len(WEEK) * 2
    assert await served.chain_verifies()


async def test_a_database_locked_past_the_busy_timeout_is_a_503_then_the_next_succeeds(
    on_sqlite: Served,
) -> None:
    served = on_sqlite

    # A short busy timeout, set after the service's own, so the wait ends in a second.
    @event.listens_for(served.database.engine.sync_engine, "connect")
    def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=200")
        cursor.close()

    await served.database.engine.dispose()  # new connections, with the short timeout
    before = await served.counts()
    path = served.database.engine.url.database
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")  # another process writing, for too long
        response = await served.client.post(IMPORTS, json=served.marks(), headers=served.headers())
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert_unavailable(response)
    assert await served.counts() == before
    retried = await served.client.post(IMPORTS, json=served.marks(), headers=served.headers())
    assert retried.status_code == 201, retried.text
    assert await served.chain_verifies()


async def test_a_database_file_that_cannot_be_opened_is_a_503(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'kpas.db'}")
    database = Database.from_settings(settings)  # makes the directory ...
    (tmp_path / "gone").rmdir()  # ... which goes away, as a volume that came unmounted
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(subject="a", roles=[Role.ADMIN]).access_token
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
            response = await client.post(
                "/v1/schools",
                json=school_body(118899),
                headers={"Authorization": f"Bearer {token}"},
            )
    finally:
        await database.dispose()
    assert_unavailable(response)


async def test_a_database_server_refusing_connections_is_a_503(tmp_path: Path) -> None:
    # Nothing listens on this port: every connection is refused, as when the server is down.
    settings = make_settings(f"postgresql://kpas@127.0.0.1:{free_port()}/kpas")
    app = create_app(settings)
    token = app.state.token_issuer.issue(subject="a", roles=[Role.ADMIN]).access_token
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
            response = await client.get("/v1/schools", headers={"Authorization": f"Bearer {token}"})
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")
    finally:
        await app.state.database.dispose()
    assert_unavailable(response)
    assert ready.status_code == 503
    assert ready.headers["content-type"] == PROBLEM
    assert alive.status_code == 200


def test_only_errors_of_an_unavailable_database_are_503s(tmp_path: Path) -> None:
    """A locked database is unavailable; a statement the database refuses is a bug (500)."""
    path = tmp_path / "kpas.db"
    holder = sqlite3.connect(path, isolation_level=None)
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        holder.execute("CREATE TABLE t (x INTEGER)")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DBAPIError) as locked, engine.connect() as conn:
            conn.execute(text("SELECT * FROM t"))
        holder.execute("ROLLBACK")
        with pytest.raises(DBAPIError) as wrong, engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
    finally:
        holder.close()
        engine.dispose()
    assert database_unavailable(locked.value)
    assert not database_unavailable(wrong.value)
    assert database_unavailable(ConnectionRefusedError(111, "Connection refused"))
    assert not database_unavailable(RuntimeError("anything else"))
