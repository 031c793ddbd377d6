"""Partitioned marks, mark history and audit trail (PostgreSQL): revision 0023 keeps every row
of populated tables both ways, date-bounded reads touch only their school year's partition, and
rows beyond the partitions wait in DEFAULT until ``ensure_partitions`` moves them. SQLite keeps
plain tables and every step is a no-op there."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, event, select, text, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from app.audit.trail import seal
from app.audit.verification import verify_chain
from app.db import Database, alembic_config, create_engine, run_migrations
from app.models.attendance import AttendanceMark, AttendanceMarkHistory
from app.repositories.attendance_figures import AttendanceFigureRepository
from app.repositories.partitions import (
    SEQ_BLOCK,
    ensure_partitions,
    partitions_of,
    school_year,
)
from app.services.partitions import PartitionKeeper
from app.settings import PROJECT_ROOT
from tests.attendance_support import AM, PM, make_import
from tests.audit_support import build_chain
from tests.conftest import make_settings
from tests.databases import fresh_database
from tests.factories import make_pupil, make_school
from tests.live import kpas, service_env

TABLES = ("attendance_marks", "attendance_mark_history", "audit_events", "audit_event_subjects")
RECORDED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
#: Two school years and a date beyond any partition the migration makes.
MARK_DAYS = (date(2023, 10, 2), date(2024, 8, 30), date(2025, 9, 1), date(2026, 11, 30))
FAR = date(2031, 1, 6)


async def _snapshot(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the partitioned tables, in a stable order."""
    found = {}
    async with engine.connect() as conn:
        for table in TABLES:
            rows = await conn.execute(text(f"SELECT * FROM {table}"))  # noqa: S608
            found[table] = sorted((tuple(row) for row in rows), key=repr)
    return found


async def _populate(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        school = await make_school(session)
        pupil = await make_pupil(session, school=school)
        import_id = await make_import(session)
        for day in (*MARK_DAYS, FAR):
            for name, code in ((AM, "/"), (PM, "N")):
                session.add(
                    AttendanceMark(
                        pupil_id=pupil.id,
                        school_urn=school.urn,
                        mark_date=day,
                        session=name,
                        code=code,
                        import_id=import_id,
                        recorded_at=RECORDED,
                    )
                )
                session.add(
                    AttendanceMarkHistory(
                        pupil_id=pupil.id,
                        school_urn=school.urn,
                        mark_date=day,
                        session=name,
                        code="O",
                        import_id=import_id,
                        recorded_at=RECORDED,
                        replaced_at=RECORDED,
                        replaced_by_import_id=import_id,
                    )
                )
        await build_chain(session, 25)
        await seal(session)
        await session.commit()


async def test_partitioning_keeps_every_row_both_ways(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        settings = make_settings(url)
        engine = create_engine(settings)
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        def downgrade(sync_conn: Connection) -> None:
            config = alembic_config(settings.migrations_dir)
            config.attributes["connection"] = sync_conn
            command.downgrade(config, "0022")

        try:
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "0022")
            await _populate(sessions)
            before = await _snapshot(engine)
            assert len(before["attendance_marks"]) == 10
            assert len(before["audit_events"]) >= 25

            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "head")
            assert await _snapshot(engine) == before
            async with sessions() as session:
                verified = await verify_chain(session)
            assert verified.ok, verified
            assert verified.events_checked == len(before["audit_events"])
            if backend == "postgresql":
                async with engine.connect() as conn:
                    made = await conn.run_sync(partitions_of, "attendance_marks")
                    where = await conn.execute(
                        text("SELECT tableoid::regclass::text, mark_date FROM attendance_marks")
                    )
                    placed = {day: table for table, day in where}
                assert {"attendance_marks_y2023", "attendance_marks_y2025"} <= set(made)
                assert placed[date(2024, 8, 30)] == "attendance_marks_y2023"
                assert placed[date(2025, 9, 1)] == "attendance_marks_y2025"
                assert placed[FAR] == "attendance_marks_default"

            async with engine.begin() as conn:
                await conn.run_sync(downgrade)
            assert await _snapshot(engine) == before
            async with sessions() as session:
                assert (await verify_chain(session)).ok
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "head")
            assert await _snapshot(engine) == before
        finally:
            await engine.dispose()


def _postgresql_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("only PostgreSQL partitions tables")


async def _where(connection: AsyncConnection, table: str, **match: object) -> list[str]:
    condition = " AND ".join(f"{name} = :{name}" for name in match)
    rows = await connection.execute(
        text(f"SELECT tableoid::regclass::text FROM {table} WHERE {condition}"),  # noqa: S608
        match,
    )
    return [name for (name,) in rows]


async def test_a_mark_beyond_the_partitions_waits_in_default_until_ensure_moves_it(
    backend: str, session: AsyncSession, connection: AsyncConnection
) -> None:
    school = await make_school(session)
    pupil = await make_pupil(session, school=school)
    import_id = await make_import(session)
    far = date(date.today().year + 4, 3, 2)
    session.add_all(
        [
            AttendanceMark(
                pupil_id=pupil.id,
                school_urn=school.urn,
                mark_date=far,
                session=AM,
                code="/",
                import_id=import_id,
                recorded_at=RECORDED,
            ),
            AttendanceMarkHistory(
                pupil_id=pupil.id,
                school_urn=school.urn,
                mark_date=far,
                session=AM,
                code="N",
                import_id=import_id,
                recorded_at=RECORDED,
                replaced_at=RECORDED,
                replaced_by_import_id=import_id,
            ),
        ]
    )
    await session.flush()
    if backend == "sqlite":
        assert await ensure_partitions(session, through=far) == []
        assert await session.scalar(select(AttendanceMark.code).where(true())) == "/"
        return

    assert await _where(connection, "attendance_marks", pupil_id=pupil.id) == [
        "attendance_marks_default"
    ]
    made = await ensure_partitions(session, through=far)
    year = school_year(far)
    assert f"attendance_marks_y{year}" in made
    assert f"attendance_mark_history_y{year}" in made
    assert await _where(connection, "attendance_marks", pupil_id=pupil.id) == [
        f"attendance_marks_y{year}"
    ]
    assert await _where(connection, "attendance_mark_history", pupil_id=pupil.id) == [
        f"attendance_mark_history_y{year}"
    ]
    # Made once: a second run finds nothing to do, and the keys still hold on the new one.
    assert await ensure_partitions(session, through=far) == []
    duplicate = text(
        "INSERT INTO attendance_marks (pupil_id, mark_date, session, school_urn, code, "
        "import_id, recorded_at) VALUES (:p, :d, 'AM', :u, 'N', :i, now())"
    )
    with pytest.raises(IntegrityError, match="duplicate key"):
        async with session.begin_nested():
            await session.execute(
                duplicate, {"p": pupil.id, "d": far, "u": school.urn, "i": import_id}
            )


async def _plan(connection: AsyncConnection, run: Any) -> str:
    """The plan of the statement ``run`` sends (the repository's own query)."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    sync = connection.sync_connection
    assert sync is not None
    event.listen(sync, "before_cursor_execute", capture)
    try:
        await run()
    finally:
        event.remove(sync, "before_cursor_execute", capture)
    statement, parameters = sent[-1]
    rows = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    return "\n".join(line for (line,) in rows)


async def test_date_bounded_reads_touch_only_their_school_years_partition(
    backend: str, session: AsyncSession, connection: AsyncConnection
) -> None:
    _postgresql_only(backend)
    this_year = school_year(date.today())
    await ensure_partitions(
        session, through=date(this_year + 1, 9, 1), since=date(this_year - 2, 9, 1)
    )
    repository = AttendanceFigureRepository(session)
    first, last = date(this_year, 9, 1), date(this_year + 1, 7, 22)

    summary = await _plan(connection, lambda: repository.mark_counts(400123, days=[(first, last)]))
    pupil = await _plan(
        connection,
        lambda: repository.marks_of_pupil(uuid.uuid4(), first=first, last=last, schools=true()),
    )
    replaced = await _plan(
        connection,
        lambda: repository.replaced_marks_of_pupil(
            uuid.uuid4(), first=first, last=last, schools=true()
        ),
    )
    for plan, table in (
        (summary, "attendance_marks"),
        (pupil, "attendance_marks"),
        (replaced, "attendance_mark_history"),
    ):
        assert f"{table}_y{this_year}" in plan, plan
        for other in (this_year - 2, this_year - 1, this_year + 1):
            assert f"{table}_y{other}" not in plan, plan
        assert f"{table}_default" not in plan, plan


async def test_the_workers_daily_run_moves_marks_out_of_default(
    backend: str,
    migrated_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    connection: AsyncConnection,
) -> None:
    far = date(date.today().year + 4, 3, 2)
    # The worker's database, its transactions savepoints of the test's.
    database = Database(migrated_engine, sessions, migrations_dir=PROJECT_ROOT / "migrations")
    async with sessions() as session:
        school = await make_school(session)
        pupil = await make_pupil(session, school=school)
        import_id = await make_import(session)
        session.add(
            AttendanceMark(
                pupil_id=pupil.id,
                school_urn=school.urn,
                mark_date=far,
                session=PM,
                code="/",
                import_id=import_id,
                recorded_at=RECORDED,
            )
        )
        await seal(session)
        await session.commit()
    # The day the partitions made a year ahead reach the mark's school year.
    keeper = PartitionKeeper(database, clock=lambda: datetime(far.year - 1, 12, 1, 12, tzinfo=UTC))
    made = await keeper.run_once()
    if backend == "sqlite":
        assert made == []
        found = await connection.scalar(
            select(AttendanceMark.mark_date).where(AttendanceMark.pupil_id == pupil.id)
        )
        assert found == far
        return
    assert f"attendance_marks_y{school_year(far)}" in made
    assert await _where(connection, "attendance_marks", pupil_id=pupil.id) == [
        f"attendance_marks_y{school_year(far)}"
    ]
    assert await keeper.run_once() == []


def test_the_ensure_command(backend: str, tmp_path: Path) -> None:
    _postgresql_only(backend)

    async def run() -> None:
        async with fresh_database(backend, tmp_path) as url:
            settings = make_settings(url)
            engine = create_engine(settings)
            try:
                async with engine.begin() as conn:
                    await run_migrations(conn, settings.migrations_dir, "head")
            finally:
                await engine.dispose()
            # Beyond the year ahead the migration made partitions through.
            through = date(date.today().year + 5, 1, 6)
            done = await asyncio.to_thread(
                kpas, "partitions", "ensure", "--through", through.isoformat(), env=service_env(url)
            )
            year = school_year(through)
            assert f"attendance_marks_y{year}" in done.stdout, done.stdout
            assert f"attendance_mark_history_y{year}" in done.stdout, done.stdout

    asyncio.run(run())


async def test_events_past_the_spare_block_wait_in_default_until_ensure_moves_them(
    backend: str, session: AsyncSession, connection: AsyncConnection
) -> None:
    _postgresql_only(backend)
    seq = 2 * SEQ_BLOCK + 5
    # As if the chain had grown that far since the last run: the head and its newest event.
    await session.execute(text("UPDATE audit_chain_head SET seq = :seq"), {"seq": seq})
    await session.execute(
        text(
            "INSERT INTO audit_events (seq, id, occurred_at, kind, action, details, prev_hash, "
            "hash) VALUES (:seq, :id, now(), 'change', 'school.update', '{}', :h, :h)"
        ),
        {"seq": seq, "id": uuid.uuid4(), "h": "0" * 64},
    )
    assert await _where(connection, "audit_events", seq=seq) == ["audit_events_default"]
    made = await ensure_partitions(session, through=date.today())
    assert made == ["audit_events_s0002", "audit_events_s0003"]
    assert await _where(connection, "audit_events", seq=seq) == ["audit_events_s0002"]
