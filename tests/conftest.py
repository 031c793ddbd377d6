"""Shared fixtures: every database test runs on SQLite and on PostgreSQL, each test inside a
transaction that is rolled back, against a schema built by running the migrations."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.principal import InspectionGrant, Role
from app.db import Database, create_engine, run_migrations
from app.main import create_app
from app.messages.templates import MESSAGE_TYPES
from app.metrics import Metrics
from app.settings import Environment, Settings
from tests.databases import BACKENDS, fresh_database

#: Signing keys for the whole test run live outside the project tree.
TEST_KEYS_DIR = Path(tempfile.mkdtemp(prefix="kpas-test-keys-"))


#: A production deployment's own Notify key and receipt token (made up; never used to send).
PRODUCTION_NOTIFY: dict[str, object] = {
    "notify_base_url": "https://api.notifications.service.gov.uk",
    "notify_api_key": (
        "kpas_live-26785a09-ab16-4eb0-8407-a37497a57506-3d1ce039-5476-414c-99b2-fac1e6add62c"
    ),
    "notify_callback_token": "receipt-token-" + "0123456789abcdef" * 2,
    # Production names its own template for every message type and channel.
    "notify_templates": {
        f"{spec.code}.{channel.value}": uuid.uuid5(uuid.NAMESPACE_URL, f"{spec.code}.{channel}")
        for spec in MESSAGE_TYPES.values()
        for channel in spec.channels
    },
}


def make_settings(
    database_url: str = "sqlite+aiosqlite:///:memory:", **overrides: object
) -> Settings:
    if overrides.get("env") is Environment.PRODUCTION:
        overrides = {**PRODUCTION_NOTIFY, **overrides}
    values: dict[str, object] = {
        "env": Environment.TEST,
        "database_url": database_url,
        "log_format": "json",
        "signing_keys_dir": TEST_KEYS_DIR,
        "document_keys_dir": TEST_KEYS_DIR / "documents",
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(scope="session")
async def migrated_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """One migrated database per backend for the whole run."""
    workdir = tmp_path_factory.mktemp(backend)
    async with fresh_database(backend, workdir) as url:
        settings = make_settings(url)
        engine = create_engine(settings)
        async with engine.begin() as conn:
            await run_migrations(conn, settings.migrations_dir, "head")
        yield engine
        await engine.dispose()


@pytest_asyncio.fixture
async def connection(migrated_engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with migrated_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            yield conn
        finally:
            await transaction.rollback()


@pytest.fixture
def sessions(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    """Sessions joined to the test's transaction: their commits are savepoints."""
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


@pytest_asyncio.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessions() as s:
        yield s


def build_app(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    """A new application of its own, for tests that add routes to it."""
    settings = make_settings(str(engine.url))
    return create_app(settings, Database(engine, sessions, migrations_dir=settings.migrations_dir))


@pytest.fixture
def own_app(migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    """Use as ``app`` in modules whose tests add routes: ``app = own_app`` at module level
    would not work with fixtures, so such modules define ``app`` returning ``own_app``."""
    return build_app(migrated_engine, sessions)


@pytest.fixture(scope="session")
def shared_app(migrated_engine: AsyncEngine) -> tuple[FastAPI, dict[str, object]]:
    """One application per backend for the whole run, and its state as first built.

    Building an app compiles every route's dependencies and schemas (a fifth of a second with
    this many routes), so tests share one and get it back in its first state each time.
    """
    settings = make_settings(str(migrated_engine.url))
    app = create_app(settings, Database(migrated_engine, migrations_dir=settings.migrations_dir))
    return app, dict(app.state._state)


@pytest.fixture
def app(
    shared_app: tuple[FastAPI, dict[str, object]],
    migrated_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
) -> FastAPI:
    """The shared app, reset to its first state, using this test's transaction."""
    app, pristine = shared_app
    app.state._state.clear()
    app.state._state.update(pristine)
    # Figures read from the database are kept for a while between scrapes: each test starts
    # with none, so it reads its own data rather than an earlier test's.
    app.state.metrics = Metrics()
    settings: Settings = app.state.settings
    app.state.database = Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    return app


@pytest_asyncio.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as c:
        yield c


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


AuthHeaders = Callable[..., dict[str, str]]


@pytest.fixture
def auth(app: FastAPI) -> AuthHeaders:
    """Headers with a real token from the app's own issuer: ``auth("admin")``."""

    def headers(
        *roles: Role | str,
        subject: str = "tester-1",
        area_teams: tuple[str, ...] = (),
        school_urns: tuple[int, ...] = (),
        org: str | None = None,
        inspection: InspectionGrant | None = None,
        purpose: str | None = None,
    ) -> dict[str, str]:
        issued = app.state.token_issuer.issue(
            subject=subject,
            roles=[Role(r) for r in roles],
            area_teams=area_teams,
            school_urns=school_urns,
            org=org,
            inspection=inspection,
        )
        out = {"Authorization": f"Bearer {issued.access_token}"}
        if purpose:
            out["KPAS-Purpose"] = purpose
        return out

    return headers
