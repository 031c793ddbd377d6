"""The real service (``kpas serve``) with PostgreSQL behind a TCP proxy the test stops and
starts: it starts while the database is down and stays up, answers 503 problems meanwhile
(``/healthz`` still 200), and serves as soon as the database is back, with no restart; and
when every connection is cut mid-run, the request caught in flight gets a 503 and the next
ones succeed."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from app.audit.verification import verify_chain
from app.auth.identity import development_token
from app.auth.principal import Role
from app.db import Database
from app.models.schools import School
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.databases import fresh_database
from tests.factories import school_body
from tests.live import running_server, service_env
from tests.messages_support import queue_messages, start_outbox_fake
from tests.notify_support import NOTIFY_KEY, ledger
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.resilience

PROBLEM = "application/problem+json"


def worker_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--idle", "0.2"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


async def eventually(ask: Callable[[], Awaitable[httpx.Response]], within: float = 15.0) -> None:
    """Until ``ask()`` answers 200."""
    deadline = time.monotonic() + within
    while (await ask()).status_code != 200:
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["type"].endswith("/service-unavailable")


def proxied(url: str, proxy: TcpProxy) -> str:
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(False)


async def school_count(url: str) -> int:
    database = Database.from_settings(make_settings(url))
    try:
        async with database.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(School)) or 0)
    finally:
        await database.dispose()


async def chain_verifies(url: str) -> bool:
    database = Database.from_settings(make_settings(url))
    try:
        async with database.sessions() as session:
            return (await verify_chain(session)).ok
    finally:
        await database.dispose()


async def test_the_service_starts_without_its_database_and_serves_once_it_is_back(
    tmp_path: Path,
) -> None:
    """The API and the worker both start while the database is down, and neither stops."""
    async with fresh_database("postgresql", tmp_path) as url:
        database = Database.from_settings(make_settings(url))
        await database.upgrade()
        target = make_url(url)
        fake = start_outbox_fake()
        worker_log = tmp_path / "worker.log"
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as proxy:
            # Not started: every connection to the database is refused.
            env = service_env(
                proxied(url, proxy),
                KPAS_LOG_FORMAT="json",
                KPAS_NOTIFY_BASE_URL=fake.url,
                KPAS_NOTIFY_API_KEY=NOTIFY_KEY.formatted(),
            )
            token = development_token(make_settings(url), subject="ops", roles=[Role.ADMIN])
            auth = {"Authorization": f"Bearer {token}"}
            worker = worker_process(env, worker_log)
            try:
                with running_server(
                    env, tmp_path / "server.log", ready_path="/healthz", start_within=120
                ) as (base, process):
                    client = httpx.AsyncClient(base_url=base, timeout=10)
                    ready = await client.get("/readyz")
                    assert_unavailable(ready)
                    assert (await client.get("/healthz")).status_code == 200
                    refused = await client.get("/v1/schools", headers=auth)
                    assert_unavailable(refused)
                    assert int(refused.headers["retry-after"]) > 0
                    # The worker has found the database down, and carries on.
                    deadline = time.monotonic() + 120
                    while '"outbox_pass_failed"' not in worker_log.read_text():
                        assert worker.poll() is None, worker_log.read_text()[-3000:]
                        assert time.monotonic() < deadline, worker_log.read_text()[-3000:]
                        await asyncio.sleep(0.2)
                    await asyncio.sleep(1)
                    assert process.poll() is None, "the API stopped while its database was down"
                    assert worker.poll() is None, "the worker stopped while its database was down"

                    proxy.start()
                    await eventually(lambda: client.get("/readyz"))
                    assert (await client.get("/v1/schools", headers=auth)).status_code == 200
                    created = await client.post(
                        "/v1/schools", json=school_body(118870), headers=auth
                    )
                    assert created.status_code == 201, created.text
                    assert process.poll() is None
                    await client.aclose()
                    # And the worker sends what is queued now, with no restart either.
                    await queue_messages(database, 3)
                    deadline = time.monotonic() + 30
                    while len(ledger(fake)["accepted_by_reference"]) < 3:
                        assert time.monotonic() < deadline, worker_log.read_text()[-3000:]
                        await asyncio.sleep(0.2)
            finally:
                worker.send_signal(signal.SIGTERM)
                stopped = worker.wait(30)
                fake.stop()
                await database.dispose()
            log = (tmp_path / "server.log").read_text()
        assert stopped == 0, worker_log.read_text()[-3000:]
        assert '"status": 500' not in log, log[-3000:]
        assert await school_count(url) == 1
        assert await chain_verifies(url)


async def test_connections_cut_mid_run_are_503s_then_the_service_recovers(
    tmp_path: Path,
) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        database = Database.from_settings(make_settings(url))
        await database.upgrade()
        await database.dispose()
        target = make_url(url)
        with TcpProxy(target.host or "127.0.0.1", target.port or 5432).start() as proxy:
            env = service_env(proxied(url, proxy), KPAS_LOG_FORMAT="json")
            token = development_token(make_settings(url), subject="ops", roles=[Role.ADMIN])
            auth = {"Authorization": f"Bearer {token}"}
            with running_server(
                env, tmp_path / "server.log", ready_path="/healthz", start_within=120
            ) as (base, process):
                client = httpx.AsyncClient(base_url=base, timeout=15)
                await eventually(lambda: client.get("/readyz"))
                for urn in (118871, 118872):  # the pool holds live connections now
                    first = await client.post("/v1/schools", json=school_body(urn), headers=auth)
                    assert first.status_code == 201, first.text

                # A write caught in flight: its insert waits on a lock on the table, held
                # directly (not through the proxy), when every connection through the proxy
                # is cut. It never reached its commit, so none of it is kept.
                admin = create_async_engine(url, isolation_level="AUTOCOMMIT")
                try:
                    async with admin.connect() as holder, admin.connect() as watcher:
                        await holder.execute(text("BEGIN"))
                        await holder.execute(text("LOCK TABLE schools IN EXCLUSIVE MODE"))
                        sending = asyncio.create_task(
                            client.post("/v1/schools", json=school_body(118873), headers=auth)
                        )
                        await _until_waiting(watcher)
                        proxy.drop()
                        caught = await asyncio.wait_for(sending, 15)
                        await holder.execute(text("ROLLBACK"))
                finally:
                    await admin.dispose()
                assert_unavailable(caught)
                assert await school_count(url) == 2
                again = await client.post("/v1/schools", json=school_body(118873), headers=auth)
                assert again.status_code == 201, again.text

                # The proxy goes away altogether: refused, then back.
                proxy.stop()
                down = await client.post("/v1/schools", json=school_body(118874), headers=auth)
                assert_unavailable(down)
                assert (await client.get("/readyz")).status_code == 503
                assert (await client.get("/healthz")).status_code == 200
                proxy.start()
                recovered = await client.post("/v1/schools", json=school_body(118874), headers=auth)
                assert recovered.status_code == 201, recovered.text
                assert (await client.get("/readyz")).status_code == 200
                assert process.poll() is None
                await client.aclose()
            log = (tmp_path / "server.log").read_text()
        assert '"status": 500' not in log, log[-3000:]
        assert await school_count(url) == 4
        assert await chain_verifies(url)


async def _until_waiting(admin: AsyncConnection) -> None:
    """Until some session of this database waits on a lock (``admin`` outside any
    transaction: a transaction sees one snapshot of the server's activity)."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
    )
    for _ in range(500):
        if await admin.scalar(query):
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no request came to wait on the lock")
