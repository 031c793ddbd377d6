"""The record store failing under an upload: documents on a case and on a licence are kept in
the database (encrypted with the subject's own key; no file is written anywhere), so a full
disk or a store turned read-only is the database refusing the write. Either is a 503 problem
with ``Retry-After``, never a 500; nothing of the upload is left behind (no document, no
subject key, no chronology entry, no change in the audit trail, which still verifies); and
the same upload succeeds once the fault clears.

The faults are the databases' own errors, raised by the databases: on SQLite the file may
grow no further (``max_page_count``: "database or disk is full") or the connection may only
read (``query_only``: "attempt to write a readonly database"); on PostgreSQL a trigger raises
SQLSTATE 53100 (``disk_full``: what the server sends when it cannot extend a file), and the
transaction is made read-only (``read_only_sql_transaction``, as on a standby)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection, event, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.audit.verification import verify_chain
from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models import AuditEvent
from app.models.base import Base
from app.rules.kent import District
from tests.audit_support import migrated_database
from tests.case_support import CASE_URN, make_case, officer_headers
from tests.conftest import AuthHeaders, make_settings
from tests.factories import assert_problem, make_school
from tests.licence_support import licensing_headers, make_licence, make_person

#: Plain text larger than a few SQLite pages, so that storing it needs new pages.
CONTENT = ("Notes of the home visit. " * 4000).encode()
T = TypeVar("T")
AUDIT_TABLES = {"audit_events", "audit_chain_head", "audit_event_subjects"}


@asynccontextmanager
async def disk_full(connection: AsyncConnection, table: str) -> AsyncIterator[None]:
    """PostgreSQL refusing inserts into ``table`` as when it cannot extend the table's file
    (on SQLite a full disk ends the test's own transaction: see the committing test below)."""
    await connection.exec_driver_sql(
        "CREATE FUNCTION pg_temp.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'could not extend file: No space left on device' "
        "USING ERRCODE = 'disk_full'; END $$"
    )
    await connection.exec_driver_sql(
        f"CREATE TRIGGER disk_full BEFORE INSERT ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION pg_temp.disk_full()"
    )
    try:
        yield
    finally:
        await connection.exec_driver_sql(f"DROP TRIGGER disk_full ON {table}")
        await connection.exec_driver_sql("DROP FUNCTION pg_temp.disk_full()")


@asynccontextmanager
async def read_only(connection: AsyncConnection, table: str) -> AsyncIterator[None]:
    if connection.dialect.name == "sqlite":
        await connection.exec_driver_sql("PRAGMA query_only = ON")
        try:
            yield
        finally:
            await connection.exec_driver_sql("PRAGMA query_only = OFF")
        return
    # A transaction may turn read-only at any point, never back: inside a savepoint, whose
    # rollback undoes the setting with everything else.
    savepoint = await connection.begin_nested()
    await connection.exec_driver_sql("SET LOCAL transaction_read_only = on")
    try:
        yield
    finally:
        await savepoint.rollback()


FAULTS = {"disk-full": disk_full, "read-only": read_only}


async def rows(session: AsyncSession) -> dict[str, int]:
    """Rows in every table (the audit trail's included), in one query."""
    counts = union_all(
        *(
            select(literal(table.name).label("name"), func.count().label("n")).select_from(table)
            for table in Base.metadata.sorted_tables
        )
    )
    return {name: int(n) for name, n in await session.execute(counts)}


async def changes(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "change")
        )
        or 0
    )


Upload = Callable[[], Awaitable[httpx.Response]]


async def case_upload(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> tuple[str, Upload]:
    school = await make_school(session, urn=CASE_URN, district=District.THANET)
    world = await make_case(session, school=school)
    await session.commit()

    async def upload() -> httpx.Response:
        return await client.post(
            f"/v1/cases/{world.case.id}/documents",
            data={"kind": "evidence", "title": "Notes of the home visit"},
            files={"file": ("visit notes", CONTENT, "text/plain")},
            headers=officer_headers(auth),
        )

    return "case_documents", upload


async def licence_upload(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> tuple[str, Upload]:
    licence = await make_licence(session, await make_person(session))
    await session.commit()

    async def upload() -> httpx.Response:
        return await client.post(
            f"/v1/licences/{licence.id}/documents",
            data={"kind": "dbs_certificate", "title": "Enhanced DBS certificate"},
            files={"file": ("certificate", CONTENT, "text/plain")},
            headers=licensing_headers(auth),
        )

    return "licence_documents", upload


TARGETS = {"case": case_upload, "licence": licence_upload}


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("target", sorted(TARGETS))
async def test_an_upload_the_store_cannot_take_is_a_503_and_leaves_nothing(
    app: FastAPI,
    client: httpx.AsyncClient,
    connection: AsyncConnection,
    session: AsyncSession,
    auth: AuthHeaders,
    fault: str,
    target: str,
) -> None:
    if fault == "disk-full" and connection.dialect.name == "sqlite":
        pytest.skip(
            "SQLite rolls the whole transaction back when the disk is full, the test's "
            "own with it: see test_a_full_sqlite_database_refuses_uploads_with_a_503 "
            "(make resilience)"
        )
    table, upload = await TARGETS[target](client, session, auth)
    before = await rows(session)
    changes_before = await changes(session)
    async with FAULTS[fault](connection, table):
        refused = await upload()
    problem = assert_problem(refused, 503)
    assert str(problem["type"]).endswith("/service-unavailable"), problem
    assert int(refused.headers["retry-after"]) >= 1
    after = await rows(session)
    left = {t: n - before[t] for t, n in after.items() if n != before[t] and t not in AUDIT_TABLES}
    assert left == {}
    assert await changes(session) == changes_before
    assert (await verify_chain(session)).ok
    # The fault cleared, the same upload is stored.
    stored = await upload()
    assert stored.status_code == 201, stored.text
    assert (await rows(session))[table] == before[table] + 1
    assert await changes(session) == changes_before + 1
    assert (await verify_chain(session)).ok


def auth_of(app: FastAPI) -> AuthHeaders:
    """Headers with a token from ``app``'s own issuer, as the ``auth`` fixture makes them."""

    def headers(
        *roles: str,
        subject: str = "tester-1",
        area_teams: tuple[str, ...] = (),
        purpose: str | None = None,
    ) -> dict[str, str]:
        issued = app.state.token_issuer.issue(
            subject=subject, roles=[Role(r) for r in roles], area_teams=area_teams
        )
        return {"Authorization": f"Bearer {issued.access_token}"} | (
            {"KPAS-Purpose": purpose} if purpose else {}
        )

    return headers


@pytest.mark.resilience
async def test_a_full_sqlite_database_refuses_uploads_with_a_503(tmp_path: Path) -> None:
    """On a database whose requests really commit: SQLite ends the transaction itself when the
    disk is full, so the rolled-back test transaction cannot stand in for it."""
    async with migrated_database("sqlite", tmp_path) as database:
        app = create_app(make_settings(str(database.engine.url)), database)
        full: list[int] = []  # the page count the file may not grow past, while full

        def on_begin(conn: Connection) -> None:
            limit = full[0] if full else 1_073_741_823
            conn.exec_driver_sql(f"PRAGMA max_page_count = {limit}")

        event.listen(database.engine.sync_engine, "begin", on_begin)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
            for target, start in TARGETS.items():
                async with database.sessions() as session:
                    table, upload = await start(client, session, auth_of(app))
                # Each look in a transaction of its own: SQLite has one writer at a time.
                before = await look(database, rows)
                changes_before = await look(database, changes)
                async with database.engine.connect() as probe:
                    pages = (await probe.exec_driver_sql("PRAGMA page_count")).scalar_one()
                full[:] = [int(pages)]
                refused = await upload()
                full.clear()
                problem = assert_problem(refused, 503)
                assert str(problem["type"]).endswith("/service-unavailable"), target
                assert int(refused.headers["retry-after"]) >= 1
                after = await look(database, rows)
                left = {t for t, n in after.items() if n != before[t]} - AUDIT_TABLES
                assert left == set(), target
                # The decision that allowed the upload is kept, as for any failed request.
                assert await look(database, changes) == changes_before
                assert await look(database, chain_ok)
                stored = await upload()
                assert stored.status_code == 201, stored.text
                assert (await look(database, rows))[table] == before[table] + 1
                assert await look(database, changes) == changes_before + 1
                assert await look(database, chain_ok)


async def look(database: Database, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with database.sessions() as session:
        return await read(session)


async def chain_ok(session: AsyncSession) -> bool:
    return (await verify_chain(session)).ok
