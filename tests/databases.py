"""Fresh test databases on SQLite and PostgreSQL.

PostgreSQL comes from ``KPAS_TEST_POSTGRES_URL`` (a server URL whose database we may connect
to in order to create others). Each run creates its own databases and drops them afterwards.
Without that variable the PostgreSQL half of the suite is skipped locally, and fails under CI
(``CI=true`` or ``KPAS_REQUIRE_POSTGRES=1``): a missing server in CI is a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import normalise_database_url

BACKENDS = ("sqlite", "postgresql")


def postgres_server_url() -> str | None:
    url = os.environ.get("KPAS_TEST_POSTGRES_URL")
    return normalise_database_url(url) if url else None


def postgres_required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "KPAS_REQUIRE_POSTGRES", ""
    ) in {"1", "true"}


def skip_or_fail_without_postgres() -> None:
    message = "KPAS_TEST_POSTGRES_URL is not set: PostgreSQL tests cannot run"
    if postgres_required():
        pytest.fail(message + " (required under CI)")
    pytest.skip(message)


@asynccontextmanager
async def fresh_database(backend: str, workdir: Path) -> AsyncIterator[str]:
    """Yield the URL of a new, empty database; remove it afterwards."""
    name = f"kpas_test_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = postgres_server_url()
    if server is None:
        skip_or_fail_without_postgres()
        raise AssertionError("unreachable")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        await admin.dispose()
        pytest.fail(f"PostgreSQL at {make_url(server).host} is not reachable: {exc}")
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
