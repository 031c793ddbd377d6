"""Revision 0011 moves each stored retention date to the day before the 25th birthday (Family
Law Reform Act 1969 s9: an age is attained at the start of the anniversary), and back again on
downgrade, on both databases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from sqlalchemy import Connection

from app.db import alembic_config, create_engine, run_migrations
from tests.conftest import make_settings
from tests.databases import fresh_database

SUBJECTS = sa.table(
    "data_subjects",
    sa.column("id", sa.Uuid()),
    sa.column("kind", sa.String()),
    sa.column("retain_until", sa.Date()),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("updated_at", sa.DateTime(timezone=True)),
    sa.column("version", sa.Integer()),
)


async def test_retention_dates_move_to_the_day_before_the_25th_birthday(
    backend: str, tmp_path: Path
) -> None:
    kept = {
        uuid.uuid4(): date(2039, 5, 17),
        uuid.uuid4(): date(2033, 3, 1),  # born 29 February 2008: 25 on 1 March 2033
        uuid.uuid4(): None,
    }
    async with fresh_database(backend, tmp_path) as url:
        settings = make_settings(url)
        engine = create_engine(settings)

        def downgrade(sync_conn: Connection) -> None:
            config = alembic_config(settings.migrations_dir)
            config.attributes["connection"] = sync_conn
            command.downgrade(config, "0010")

        async def stored() -> dict[uuid.UUID, date | None]:
            async with engine.connect() as conn:
                rows = await conn.execute(sa.select(SUBJECTS.c.id, SUBJECTS.c.retain_until))
                return {row.id: row.retain_until for row in rows}

        try:
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "0010")
                now = datetime(2026, 12, 1, tzinfo=UTC)
                await conn.execute(
                    sa.insert(SUBJECTS),
                    [
                        {
                            "id": subject_id,
                            "kind": "pupil",
                            "retain_until": until,
                            "created_at": now,
                            "updated_at": now,
                            "version": 1,
                        }
                        for subject_id, until in kept.items()
                    ],
                )
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "0011")
            moved = await stored()
            assert sorted(d for d in moved.values() if d) == [
                date(2033, 2, 28),
                date(2039, 5, 16),
            ]
            assert [d for d in moved.values() if d is None] == [None]
            async with engine.begin() as conn:
                await conn.run_sync(downgrade)
            assert await stored() == kept
        finally:
            await engine.dispose()
