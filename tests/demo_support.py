"""A database holding the demo data, as ``kpas seed-demo`` loads it, for module fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import create_engine, run_migrations
from app.demo import (
    seed_demo,
    seed_demo_agreements,
    seed_demo_cases,
    seed_demo_clients,
    seed_demo_marks,
    seed_demo_people,
)
from app.demo_licensing import seed_demo_licences
from app.demo_subject_requests import seed_demo_subject_requests
from tests.conftest import make_settings
from tests.databases import fresh_database


@asynccontextmanager
async def demo_engine_on(
    backend: str, workdir: Path, *, marks_on: date | None = None
) -> AsyncIterator[AsyncEngine]:
    """A fresh ``backend`` database, migrated and seeded with the demo schools, agreements,
    people and MIS client; with the demo marks up to ``marks_on`` when it is given."""
    async with fresh_database(backend, workdir) as url:
        settings = make_settings(url)
        engine = create_engine(settings)
        async with engine.begin() as conn:
            await run_migrations(conn, settings.migrations_dir, "head")
        async with AsyncSession(bind=engine, expire_on_commit=False) as session:
            await seed_demo(session)
            await seed_demo_agreements(session)
            await seed_demo_people(session)
            await seed_demo_clients(session)
            await seed_demo_cases(session)
            await seed_demo_licences(session)
            await seed_demo_subject_requests(session)
            if marks_on is not None:
                await seed_demo_marks(session, today=marks_on)
            await session.commit()
        try:
            yield engine
        finally:
            await engine.dispose()
