"""Engine, sessions and the request's unit of work.

Services and repositories only ever ``flush``; the request boundary (``unit_of_work``) or a
worker's job commits once, or rolls back everything on any error.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from pathlib import Path
from typing import Annotated, Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from sqlalchemy import Connection, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from app.audit.trail import (
    discard_changes_since,
    pending_events,
    record_surviving,
    seal,
    take_surviving,
)
from app.settings import Settings


def normalise_database_url(url: str) -> str:
    """Accept the plain ``postgresql://`` form and pick the async driver the service uses."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


#: Execution option for connections that only read (see ``_configure_sqlite``).
READ_ONLY = "kpas_read_only"


def _configure_sqlite(engine: AsyncEngine) -> None:
    """Give SQLite real transactions (savepoints, transactional DDL) and enforce foreign keys.

    The stdlib driver otherwise opens transactions lazily on its own schedule; SQLAlchemy's
    documented recipe hands BEGIN back to SQLAlchemy.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")  # other processes; ours queue in-process
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front: every request writes (its audit event), and a
        # deferred transaction that read first would fail to upgrade under concurrency. Probes
        # that only read (readiness) ask for READ_ONLY and never wait on a writer.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(settings: Settings) -> AsyncEngine:
    url = normalise_database_url(settings.database_url)
    kwargs: dict[str, Any] = {"echo": settings.database_echo}
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_async_engine(url, pool_size=settings.database_pool_size, **kwargs)
    _check_on_checkout(engine)
    return engine


#: A pooled connection idle for longer than this is pinged before it is lent out again.
IDLE_PING_SECONDS = 5.0
_CHECKED_IN_AT = "kpas_checked_in_at"


def _server_closed(driver_connection: Any) -> bool:
    """The driver has seen the server close this connection (asyncpg: no round trip)."""
    is_closed = getattr(driver_connection, "is_closed", None)
    return bool(is_closed()) if callable(is_closed) else False


def _check_on_checkout(engine: AsyncEngine) -> None:
    """Lend out only live connections, without a round trip per request.

    ``pool_pre_ping`` would ping every checkout: three round trips on asyncpg (it wraps the
    ping in its own transaction), before every request. Instead a connection the server has
    closed (a restart, ``pg_terminate_backend``, an idle timeout) is known without asking:
    the driver saw the socket close. Only a connection that sat idle long enough for a
    silent drop (a firewall, a failover) is pinged. Either way a dead connection is replaced
    before the request uses it, so it never reaches a handler as an error.
    """

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        if _server_closed(proxy.driver_connection):
            # The pool discards this connection and lends a new one.
            raise exc.DisconnectionError("the server closed this pooled connection")
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None or time.monotonic() - checked_in_at < IDLE_PING_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.DisconnectionError("a pooled connection did not answer a ping") from error


class Database:
    """The engine and the session factory one app (or worker) uses."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        migrations_dir: Path,
    ) -> None:
        self.engine = engine
        self.sessions = sessions or async_sessionmaker(engine, expire_on_commit=False)
        self.migrations_dir = migrations_dir
        # SQLite has one writer at a time, and its busy handler retries by sleeping, so under
        # load some waiters starve past the timeout. Requests in this process queue here
        # instead, first come first served. PostgreSQL needs no gate.
        self.write_gate: asyncio.Lock | None = (
            asyncio.Lock() if engine.dialect.name == "sqlite" else None
        )

    def writer(self) -> AbstractAsyncContextManager[object]:
        """Hold while a read-write transaction is open (a no-op on PostgreSQL)."""
        return self.write_gate if self.write_gate is not None else nullcontext()

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(create_engine(settings), migrations_dir=settings.migrations_dir)

    def alembic_config(self) -> Config:
        return alembic_config(self.migrations_dir, str(self.engine.url))

    async def upgrade(self, revision: str = "head") -> None:
        """Run the migrations up to ``revision`` on this database."""
        async with self.engine.begin() as conn:
            await run_migrations(conn, self.migrations_dir, revision)

    @asynccontextmanager
    async def read_only(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads that must never wait on a writer (health probes)."""
        async with self.engine.connect() as conn:
            yield await conn.execution_options(**{READ_ONLY: True})

    async def migrations_at_head(self) -> bool:
        async with self.read_only() as conn:
            current = await conn.run_sync(
                lambda sync: set(MigrationContext.configure(sync).get_current_heads())
            )
        heads = set(ScriptDirectory.from_config(self.alembic_config()).get_heads())
        return current == heads

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(migrations_dir: Path, url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def run_migrations(conn: AsyncConnection, migrations_dir: Path, revision: str) -> None:
    """Upgrade through an existing connection (tests, ``kpas migrate``)."""
    from alembic import command

    def _upgrade(sync_conn: Connection) -> None:
        config = alembic_config(migrations_dir)
        config.attributes["connection"] = sync_conn
        command.upgrade(config, revision)

    await conn.run_sync(_upgrade)


async def get_database(request: Request) -> Database:
    # ``async`` although it awaits nothing: FastAPI runs a plain function in a worker thread.
    database: Database = request.app.state.database
    return database


async def unit_of_work(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[AsyncSession]:
    """One session per request: committed when the handler returns, rolled back on any error.

    Declared with ``scope="function"`` so the commit happens before the response is sent: a
    client never sees a 2xx for work that then failed to commit.
    """
    async with database.writer(), database.sessions() as session:
        try:
            yield session
            # Audit events enter the hash chain in this transaction, right before it commits.
            await seal(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            # A policy decision happened even though the request failed: keep its record.
            surviving = take_surviving(session)
            if surviving:
                await record_surviving(database.sessions, surviving)
            raise


@asynccontextmanager
async def rehearsal(session: AsyncSession) -> AsyncIterator[None]:
    """Run work for real inside a savepoint that is always rolled back (a validate-only
    request): every check and query runs as it would, and nothing the work wrote is kept, nor
    the change events it recorded. Decisions recorded meanwhile stay, as for any request."""
    recorded = len(pending_events(session))
    savepoint = await session.begin_nested()
    try:
        yield
        await session.flush()  # so that everything the work changed is inside the savepoint
    finally:
        if savepoint.is_active:
            await savepoint.rollback()
        discard_changes_since(session, recorded)


SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
