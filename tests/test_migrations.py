"""Models and migrations agree, on both databases, in both directions."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db import alembic_config, create_engine, run_migrations
from app.models import Base
from app.repositories.partitions import include_name
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.databases import fresh_database


async def test_models_match_migrations(migrated_engine: AsyncEngine) -> None:
    """The equivalent of ``alembic check``: autogenerate finds nothing to do."""

    def diff(sync_conn: Connection) -> list[object]:
        context = MigrationContext.configure(
            sync_conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                # Partitions (PostgreSQL) are not models: their parents are.
                "include_name": include_name,
            },
        )
        return list(compare_metadata(context, Base.metadata))

    async with migrated_engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == [], f"models and migrations differ: {differences}"


async def test_downgrade_to_base_and_back(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        settings = make_settings(url)
        engine = create_engine(settings)

        def downgrade(sync_conn: Connection) -> None:
            config = alembic_config(settings.migrations_dir)
            config.attributes["connection"] = sync_conn
            command.downgrade(config, "base")

        async with engine.begin() as conn:
            await run_migrations(conn, settings.migrations_dir, "head")
        async with engine.begin() as conn:
            await conn.run_sync(downgrade)
        async with engine.begin() as conn:
            await run_migrations(conn, settings.migrations_dir, "head")
        await engine.dispose()


def test_migration_files_are_date_stamped_and_linear() -> None:
    directory = PROJECT_ROOT / "migrations" / "versions"
    for path in directory.glob("*.py"):
        assert path.name[:8].isdigit() and path.name[8] == "_", path.name
    script = ScriptDirectory.from_config(alembic_config(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1, "migrations must form one line"
