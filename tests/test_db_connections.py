"""A pooled connection the database has dropped never reaches a request (PostgreSQL).

The pool does not ping on every checkout: a connection the server closed is known from its
socket, and one idle for long is pinged first. Either way the next request gets a live one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import app.db
from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from tests.conftest import make_settings
from tests.databases import fresh_database, postgres_server_url


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str], str]]:
    if postgres_server_url() is None:
        pytest.skip("PostgreSQL only: SQLite has no server to drop the connection")
    async with fresh_database("postgresql", tmp_path) as url:
        database = Database.from_settings(make_settings(url))
        await database.upgrade()
        application = create_app(make_settings(url), database)
        token = application.state.token_issuer.issue(
            subject="pool-tester", roles=[Role.ATTENDANCE_OFFICER], ttl_seconds=600
        ).access_token
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
                yield client, {"Authorization": f"Bearer {token}"}, url
        finally:
            await database.dispose()


async def _drop_connections(url: str) -> None:
    """Terminate every other session on the database, as a restart would, and wait until
    their server processes are gone."""
    admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f"SELECT pg_terminate_backend(pid) {others}"))
            for _ in range(100):
                if not (await conn.execute(text(f"SELECT count(*) {others}"))).scalar_one():
                    break
                await asyncio.sleep(0.02)
    finally:
        await admin.dispose()
    await asyncio.sleep(0.05)  # the event loop reads the closed sockets


async def test_a_connection_the_server_closed_is_replaced_before_the_next_request(
    served: tuple[httpx.AsyncClient, dict[str, str], str],
) -> None:
    client, headers, url = served
    assert (await client.get("/v1/schools", headers=headers)).status_code == 200

    await _drop_connections(url)

    assert (await client.get("/v1/schools", headers=headers)).status_code == 200


async def test_an_idle_connection_is_pinged_and_replaced_when_it_does_not_answer(
    served: tuple[httpx.AsyncClient, dict[str, str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, headers, url = served
    assert (await client.get("/v1/schools", headers=headers)).status_code == 200
    # A drop the socket has not shown (a firewall, a failover): only the ping can find it.
    monkeypatch.setattr(app.db, "IDLE_PING_SECONDS", 0.0)
    monkeypatch.setattr(app.db, "_server_closed", lambda _driver: False)

    await _drop_connections(url)

    assert (await client.get("/v1/schools", headers=headers)).status_code == 200
