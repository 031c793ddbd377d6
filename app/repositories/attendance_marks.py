"""Queries behind an attendance import, all set-based: no statement runs per row.

The rows that pass the checks in Python are staged in a temporary table without indexes (on
PostgreSQL by binary ``COPY``, on SQLite by ``executemany``). An import of new marks only is
written from there in one statement that matches each row to its pupil on the way
(``insert_all_new``). Otherwise set-based statements match each row to a pupil on that
school's roll on that day together with the mark it would replace, find rows repeating an
earlier row of the import, and finally write new marks, corrections with their history, and
the stale-week queue in the request's transaction. The
temporary tables are dropped when the import is done (and on PostgreSQL at commit in any
case).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import AsyncIterable, AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction

from app.models.attendance import (
    AttendanceImport,
    AttendanceMark,
    AttendanceMarkHistory,
    AttendanceStaleWeek,
)
from app.models.base import UTCDateTime
from app.models.people import Enrolment, Pupil
from app.models.schools import School

#: A staged row: (row_no, school_urn, upn, mark_date, session, code, week_start).
StagedRow = tuple[int, int, str, date, str, str, date]
#: URNs per query when looking schools up (well under either database's parameter limit).
SCHOOLS_PER_QUERY = 1000
#: ``work_mem`` of an import's transaction on PostgreSQL.
IMPORT_WORK_MEM = "64MB"
_KEY = ("pupil_id", "mark_date", "session", "school_urn")
STAGED_COLUMNS = ("row_no", "school_urn", "upn", "mark_date", "session", "code", "week_start")
#: A pupil's place on a roll: (pupil, on roll from, off roll on).
RollEntry = tuple[uuid.UUID, date, date | None]
#: The columns ``copy_marks`` writes, in the order ``MarkEncoder`` encodes them.
MARK_COLUMNS = (
    "pupil_id",
    "mark_date",
    "session",
    "school_urn",
    "code",
    "import_id",
    "recorded_at",
)
URN_ARRAY = postgresql.ARRAY(Integer)
UUID_ARRAY = postgresql.ARRAY(Uuid)
DATE_ARRAY = postgresql.ARRAY(Date)
TEXT_ARRAY = postgresql.ARRAY(String)
#: (school, day, session) triples, or weeks, per statement.
KEYS_PER_QUERY = 1000
#: PostgreSQL's codes for a lock not available (NOWAIT) and a unique key violated.
LOCK_NOT_AVAILABLE = "55P03"
UNIQUE_VIOLATION = "23505"

MARKS = cast(Table, AttendanceMark.__table__)
HISTORY = cast(Table, AttendanceMarkHistory.__table__)
STALE_WEEKS = cast(Table, AttendanceStaleWeek.__table__)
PUPILS = cast(Table, Pupil.__table__)
ENROLMENTS = cast(Table, Enrolment.__table__)


class new_uuid(GenericFunction[uuid.UUID]):  # noqa: N801 - reads as the SQL function it is
    """A random (version 4) UUID made by the database, for rows written set-based."""

    type = Uuid()
    inherit_cache = True


@compiles(new_uuid, "postgresql")
def _new_uuid_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return "gen_random_uuid()"


@compiles(new_uuid, "sqlite")
def _new_uuid_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    # 32 hex digits, as SQLAlchemy stores a UUID on SQLite, with the version 4 and variant bits.
    return (
        "lower(hex(randomblob(4)) || hex(randomblob(2)) || '4' || substr(hex(randomblob(2)), 2)"
        " || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2)"
        " || hex(randomblob(6)))"
    )


def _on_roll(enrolment: Any, staged: Any) -> ColumnElement[bool]:
    """The enrolment row puts the staged row's pupil on that school's roll on its day: from
    ``on_roll_from``, until ``off_roll_on`` (the first day off roll, as the roll push sets it
    for a pupil it leaves out)."""
    return and_(
        enrolment.c.school_urn == staged.c.school_urn,
        enrolment.c.upn == staged.c.upn,
        enrolment.c.on_roll_from <= staged.c.mark_date,
        or_(enrolment.c.off_roll_on.is_(None), staged.c.mark_date < enrolment.c.off_roll_on),
    )


class Staging:
    """One import's temporary tables: the staged rows, the rolls of its schools, and the
    rows matched to pupils with the mark each would replace."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:16]
        metadata = MetaData()
        options: dict[str, Any] = {"prefixes": ["TEMPORARY"], "postgresql_on_commit": "DROP"}
        self.staged = Table(
            f"attendance_staged_{suffix}",
            metadata,
            Column("row_no", Integer, nullable=False),
            Column("school_urn", Integer, nullable=False),
            Column("upn", String(13), nullable=False),
            Column("mark_date", Date, nullable=False),
            Column("session", String(2), nullable=False),
            Column("code", String(2), nullable=False),
            Column("week_start", Date, nullable=False),
            **options,
        )
        #: Every live pupil's enrolments at the import's schools; ``rank`` orders pupils who
        #: share a UPN on one roll, oldest record first.
        self.rolls = Table(
            f"attendance_rolls_{suffix}",
            metadata,
            Column("school_urn", Integer, nullable=False),
            Column("upn", String(13), nullable=False),
            Column("pupil_id", Uuid, nullable=False),
            Column("on_roll_from", Date, nullable=False),
            Column("off_roll_on", Date),
            Column("rank", Integer, nullable=False),
            **options,
        )
        self.matched = Table(
            f"attendance_matched_{suffix}",
            metadata,
            Column("row_no", Integer, nullable=False),
            Column("pupil_id", Uuid, nullable=False),
            Column("school_urn", Integer, nullable=False),
            Column("mark_date", Date, nullable=False),
            Column("session", String(2), nullable=False),
            Column("code", String(2), nullable=False),
            Column("week_start", Date, nullable=False),
            # The mark this row replaces, if there is one.
            Column("old_code", String(2)),
            Column("old_import_id", Uuid),
            Column("old_recorded_at", UTCDateTime),
            **options,
        )
        self.created: list[Table] = []
        #: Whether two rows of ``rolls`` share a school and UPN (None until it is filled).
        self.shared: bool | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What applying the matched rows does (or would do)."""

    created: int
    replaced: int
    unchanged: int


class AttendanceMarksRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    # --- schools ------------------------------------------------------------------------------

    async def schools(self, urns: Collection[int]) -> list[School]:
        """The schools with these URNs (looked up a thousand at a time: the first rows of an
        import may name any number of them)."""
        ordered = sorted(urns)
        found: list[School] = []
        for start in range(0, len(ordered), SCHOOLS_PER_QUERY):
            chunk = ordered[start : start + SCHOOLS_PER_QUERY]
            found.extend(await self.session.scalars(select(School).where(School.urn.in_(chunk))))
        return found

    async def lock_schools(self, urns: Collection[int], *, nowait: bool = False) -> bool:
        """Hold the schools until the transaction ends, so imports (and roll pushes) for one
        school run one after the other: what the import reads of the marks it replaces stays
        true until it writes. Always in URN order, so two imports cannot deadlock. A writer
        that already holds a school of higher URN asks ``nowait``: it does not wait for one
        another transaction holds, and is answered False (its transaction, or savepoint, is
        then to be rolled back)."""
        if not urns:
            return True
        try:
            await self.session.execute(
                select(School.urn)
                .where(School.urn.in_(urns))
                .order_by(School.urn)
                .with_for_update(key_share=True, nowait=nowait)
            )
        except DBAPIError as exc:
            if nowait and _sqlstate(exc) == LOCK_NOT_AVAILABLE:
                return False
            raise
        return True

    # --- staging ------------------------------------------------------------------------------

    async def _connection(self) -> AsyncConnection:
        return await self.session.connection()

    async def _create(self, staging: Staging, table: Table) -> None:
        await (await self._connection()).run_sync(partial(table.create, checkfirst=False))
        staging.created.append(table)

    async def open_staging(self) -> Staging:
        if self.dialect == "postgresql":
            # The import's joins and groupings hash its schools' rolls and its rows: let them
            # do it in memory (for this transaction only).
            await self.session.execute(text(f"SET LOCAL work_mem = '{IMPORT_WORK_MEM}'"))
        staging = Staging()
        await self._create(staging, staging.staged)
        return staging

    async def stage(self, staging: Staging, rows: Sequence[StagedRow]) -> None:
        """Add rows to the staging table, in one round trip."""
        if not rows:
            return
        connection = await self._connection()
        if self.dialect == "postgresql":
            raw = (await connection.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_records_to_table(
                staging.staged.name, records=rows, columns=STAGED_COLUMNS
            )
            return
        await connection.exec_driver_sql(
            f"INSERT INTO {staging.staged.name} VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - our name
            [
                (row, urn, upn, day.isoformat(), session, code, week.isoformat())
                for row, urn, upn, day, session, code, week in rows
            ],
        )

    async def close_staging(self, staging: Staging) -> None:
        connection = await self._connection()
        for table in reversed(staging.created):
            await connection.run_sync(partial(table.drop, checkfirst=False))
        staging.created.clear()

    # --- writing new marks straight into the marks (PostgreSQL) ----------------------------

    async def rolls(self, school_urns: Collection[int]) -> dict[int, dict[str, list[RollEntry]]]:
        """The rolls of these schools, as ``fill_rolls`` copies them: by school and UPN,
        every live (unmerged) pupil's enrolments there as ``(pupil, on roll from, off roll
        on)``, where two share a school and UPN the oldest record first (the order
        ``fill_rolls`` ranks them in).

        Read straight from the driver in index look-ups (the schools' enrolments, then their
        pupils by key) and joined here: a roll is thousands of rows, the pupils' ids go back
        out unchanged in the COPY (``copy_marks``), and a join left to the planner can take
        a nested loop over every pupil when the tables' statistics are behind."""
        rolls: dict[int, dict[str, list[RollEntry]]] = {urn: {} for urn in school_urns}
        if not school_urns:
            return rolls
        connection = await self._connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        enrolments = await raw.fetch(
            self._driver_sql(
                connection,
                select(
                    ENROLMENTS.c.pupil_id,
                    ENROLMENTS.c.school_urn,
                    ENROLMENTS.c.on_roll_from,
                    ENROLMENTS.c.off_roll_on,
                ).where(ENROLMENTS.c.school_urn == func.any(bindparam("urns", type_=URN_ARRAY))),
            ),
            sorted(school_urns),
        )
        if not enrolments:
            return rolls
        live = PUPILS.c.merged_into_id.is_(None), PUPILS.c.upn.is_not(None)
        by_id = func.any(bindparam("ids", type_=UUID_ARRAY))
        upns: dict[uuid.UUID, str] = dict(
            await raw.fetch(
                self._driver_sql(
                    connection, select(PUPILS.c.id, PUPILS.c.upn).where(PUPILS.c.id == by_id, *live)
                ),
                list({row[0] for row in enrolments}),
            )
        )
        shared: list[list[RollEntry]] = []
        for pupil, urn, start, end in enrolments:
            upn = upns.get(pupil)
            if upn is None:
                continue
            roll = rolls[urn]
            entries = roll.get(upn)
            if entries is None:
                roll[upn] = [(pupil, start, end)]
            else:
                entries.append((pupil, start, end))
                shared.append(entries)
        if shared:
            # Two rows for one school and UPN: ranked as ``fill_rolls`` does, oldest record
            # first, then by its id, then by date.
            created: dict[uuid.UUID, datetime] = dict(
                await raw.fetch(
                    self._driver_sql(
                        connection,
                        select(PUPILS.c.id, PUPILS.c.created_at).where(PUPILS.c.id == by_id),
                    ),
                    list({entry[0] for entries in shared for entry in entries}),
                )
            )
            for entries in shared:
                entries.sort(key=lambda entry: (created[entry[0]], entry[0], entry[1]))
        return rolls

    @staticmethod
    def _driver_sql(connection: AsyncConnection, statement: Any) -> str:
        """The statement as the driver takes it (its parameters in order, by position)."""
        return str(statement.compile(dialect=connection.dialect))

    async def marks_held_at(
        self, keys: Collection[tuple[int, date, str]]
    ) -> set[tuple[int, date, str]]:
        """Those of these (school, day, session) KPAS holds a mark of: one probe of the
        school and date index each (PostgreSQL)."""
        ordered = sorted(keys)
        held: set[tuple[int, date, str]] = set()
        # The probes run while an import writes its marks: the table's statistics may say it
        # is empty (a new school year's partition, or one just cleared) while it holds the
        # marks written so far, and a sequential scan per key would read them all. The
        # index is asked for here alone: the setting is put back after.
        setting = await self.session.scalar(
            text(
                "SELECT current_setting('enable_seqscan')"
                " || left(set_config('enable_seqscan', 'off', true), 0)"
            )
        )
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            rows = await self.session.execute(
                text(
                    # A lateral probe with a limit, so each key is one index look-up
                    # whatever the planner thinks of the table's size.
                    "SELECT k.school_urn, k.mark_date, k.session"
                    " FROM unnest(:urns, :days, :sessions) AS k(school_urn, mark_date, session)"
                    " CROSS JOIN LATERAL (SELECT FROM attendance_marks m"
                    " WHERE m.school_urn = k.school_urn AND m.mark_date = k.mark_date"
                    " AND m.session = k.session LIMIT 1) AS found"
                ).bindparams(
                    bindparam("urns", [key[0] for key in chunk], type_=URN_ARRAY),
                    bindparam("days", [key[1] for key in chunk], type_=DATE_ARRAY),
                    bindparam("sessions", [key[2] for key in chunk], type_=TEXT_ARRAY),
                )
            )
            held.update((int(urn), day, str(session)) for urn, day, session in rows)
        await self.session.execute(
            text("SELECT set_config('enable_seqscan', :setting, true)").bindparams(setting=setting)
        )
        return held

    async def copy_marks(self, rows: AsyncIterable[bytes]) -> bool:
        """Write marks with binary ``COPY`` as ``rows`` yields them, each piece rows made by
        a ``MarkEncoder`` (PostgreSQL): the rows may be made while the server writes the
        ones before. False when the mark's key refuses one (a mark already held, or two
        rows for one mark): the transaction (or savepoint) is then to be rolled back, which
        undoes the marks written."""
        connection = await self._connection()
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None

        async def framed() -> AsyncIterator[bytes]:
            yield COPY_HEADER
            async for piece in rows:
                yield piece
            yield COPY_TRAILER

        try:
            await raw.copy_to_table(
                MARKS.name, source=framed(), columns=MARK_COLUMNS, format="binary"
            )
        except Exception as exc:
            if _sqlstate(exc) == UNIQUE_VIOLATION:
                return False
            raise
        return True

    async def queue_weeks(self, weeks: Collection[tuple[int, date]], *, now: datetime) -> None:
        """Queue these school weeks for the worker (as ``apply_changes`` queues those of the
        marks it writes)."""
        ordered = sorted(weeks)
        for start in range(0, len(ordered), KEYS_PER_QUERY):
            chunk = ordered[start : start + KEYS_PER_QUERY]
            queue = self._insert(STALE_WEEKS).values(
                [{"school_urn": urn, "week_start": week, "queued_at": now} for urn, week in chunk]
            )
            await self.session.execute(
                queue.on_conflict_do_update(
                    index_elements=["school_urn", "week_start"],
                    set_={"queued_at": queue.excluded.queued_at},
                )
            )

    async def _analyze(self, table: Table) -> None:
        # Temporary tables have no statistics until asked; the joins below need them.
        if self.dialect == "postgresql":
            await self.session.execute(text(f"ANALYZE {table.name}"))

    # --- matching -----------------------------------------------------------------------------

    async def fill_rolls(self, staging: Staging, school_urns: Collection[int]) -> None:
        """Copy the rolls of the import's schools into ``staging.rolls`` (once per import):
        every live (unmerged) pupil's enrolments there, ranked oldest record first where two
        share a UPN."""
        if staging.shared is not None:
            return
        rolls, staged = staging.rolls, staging.staged
        await self._create(staging, rolls)
        rank = func.row_number().over(
            partition_by=(ENROLMENTS.c.school_urn, PUPILS.c.upn),
            order_by=(PUPILS.c.created_at, PUPILS.c.id, ENROLMENTS.c.on_roll_from),
        )
        await self.session.execute(
            insert(rolls).from_select(
                ["school_urn", "upn", "pupil_id", "on_roll_from", "off_roll_on", "rank"],
                select(
                    ENROLMENTS.c.school_urn,
                    PUPILS.c.upn,
                    PUPILS.c.id,
                    ENROLMENTS.c.on_roll_from,
                    ENROLMENTS.c.off_roll_on,
                    rank,
                )
                .join(PUPILS, PUPILS.c.id == ENROLMENTS.c.pupil_id)
                .where(
                    ENROLMENTS.c.school_urn.in_(school_urns),
                    PUPILS.c.merged_into_id.is_(None),
                    PUPILS.c.upn.is_not(None),
                ),
            )
        )
        await self._analyze(rolls)
        await self._analyze(staged)
        # Where a roll has two rows for one UPN (two records sharing it, or a pupil who left
        # and came back), the first row whose dates fit wins; most imports need no such test.
        staging.shared = bool(await self.session.scalar(select(exists().where(rolls.c.rank > 1))))

    def _first_fit(self, staging: Staging) -> ColumnElement[bool]:
        """The roll row joined to a staged row is the first that puts the UPN on the roll
        that day (``fill_rolls`` ranks them)."""
        rolls, staged = staging.rolls, staging.staged
        older = rolls.alias("older")
        if not staging.shared:
            return true()
        return ~exists().where(_on_roll(older, staged), older.c.rank < rolls.c.rank)

    async def any_marks(
        self, school_urns: Collection[int], days: tuple[date, date], sessions: Collection[str]
    ) -> bool:
        """Whether KPAS holds any mark of these schools and sessions from the first to the
        last of ``days``: one probe of the school and date index. None means every row of an
        import over them is a new mark (``insert_all_new``)."""
        if not school_urns or not sessions:
            return False
        return bool(
            await self.session.scalar(
                select(
                    exists().where(
                        MARKS.c.school_urn.in_(sorted(school_urns)),
                        MARKS.c.mark_date.between(*days),
                        MARKS.c.session.in_(sorted(sessions)),
                    )
                )
            )
        )

    async def insert_all_new(
        self,
        staging: Staging,
        school_urns: Collection[int],
        *,
        staged: int,
        import_id: uuid.UUID,
        now: datetime,
    ) -> bool:
        """Write every staged row straight into the marks, each matched to its pupil on the
        way (one ``INSERT ... SELECT`` in key order, no table of matched rows in between),
        and queue the school weeks they fall in. For an import of new marks only: the caller
        holds the schools (``lock_schools``) and found no stored mark where the rows fall
        (``any_marks``). All or nothing: False, with nothing written, when a row matches no
        pupil on the roll (fewer rows written than ``staged``) or the mark's key refuses a
        row (two rows of the import are the same mark, or another writer added one); the
        caller then takes the matching path, which reports why."""
        await self.fill_rolls(staging, school_urns)
        rolls, rows = staging.rolls, staging.staged
        key = (rolls.c.pupil_id, rows.c.mark_date, rows.c.session, rows.c.school_urn)
        statement = insert(MARKS).from_select(
            [*_KEY, "code", "import_id", "recorded_at"],
            select(*key, rows.c.code, literal(import_id, Uuid()), literal(now, UTCDateTime()))
            .select_from(rows.join(rolls, _on_roll(rolls, rows)))
            .where(self._first_fit(staging))
            .order_by(*key),
        )
        connection = await self._connection()
        savepoint = await connection.begin_nested()
        try:
            result = await connection.execute(statement)
        except IntegrityError:
            await savepoint.rollback()
            return False
        if int(getattr(result, "rowcount", 0) or 0) != staged:
            await savepoint.rollback()
            return False
        await savepoint.commit()
        await self._queue_weeks(
            select(rows.c.school_urn, rows.c.week_start, literal(now, UTCDateTime()))
            .where(true())  # SQLite reads ON CONFLICT after a SELECT without WHERE as a join's
            .distinct()
        )
        return True

    async def match_pupils(
        self, staging: Staging, school_urns: Collection[int], days: tuple[date, date]
    ) -> int:
        """Match each staged row to the live (unmerged) pupil with its UPN on that school's
        roll on that day (the oldest record where two share the UPN, as the roll push does),
        with the mark it would replace. Rows that match no one are left out. Returns the
        number matched. ``days`` are the first and last days the rows name: only the marks
        of those schools in that period are read."""
        await self.fill_rolls(staging, school_urns)
        rolls, staged, matched = staging.rolls, staging.staged, staging.matched
        await self._create(staging, matched)
        stored = (
            select(MARKS)
            .where(MARKS.c.school_urn.in_(school_urns), MARKS.c.mark_date.between(*days))
            .subquery("stored")
        )
        same_mark = and_(
            stored.c.pupil_id == rolls.c.pupil_id,
            stored.c.mark_date == staged.c.mark_date,
            stored.c.session == staged.c.session,
            stored.c.school_urn == staged.c.school_urn,
        )
        result = await self.session.execute(
            insert(matched).from_select(
                [column.name for column in matched.c],
                select(
                    staged.c.row_no,
                    rolls.c.pupil_id,
                    staged.c.school_urn,
                    staged.c.mark_date,
                    staged.c.session,
                    staged.c.code,
                    staged.c.week_start,
                    stored.c.code,
                    stored.c.import_id,
                    stored.c.recorded_at,
                )
                .select_from(
                    staged.join(rolls, _on_roll(rolls, staged)).outerjoin(stored, same_mark)
                )
                .where(self._first_fit(staging)),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def unmatched(self, staging: Staging, *, limit: int) -> list[int]:
        """The first ``limit`` staged rows that matched no pupil, by row."""
        staged, matched = staging.staged, staging.matched
        return list(
            await self.session.scalars(
                select(staged.c.row_no)
                .where(~exists().where(matched.c.row_no == staged.c.row_no))
                .order_by(staged.c.row_no)
                .limit(limit)
            )
        )

    # --- repeats ------------------------------------------------------------------------------

    def _repeats(self, staging: Staging, *, stored_only: bool) -> Any:
        """Matched rows for the same pupil, date, session and school as an earlier row of the
        import, with the earlier row's number. ``stored_only``: only rows for a mark KPAS
        already holds (writing them could not catch the repeat)."""
        matched = staging.matched
        key = (matched.c.pupil_id, matched.c.mark_date, matched.c.session, matched.c.school_urn)
        among: ColumnElement[bool] = matched.c.old_code.is_not(None) if stored_only else true()
        first = (
            select(*key, func.min(matched.c.row_no).label("first_row"))
            .where(among)
            .group_by(*key)
            .having(func.count() > 1)
            .subquery("first")
        )
        return (
            select(matched.c.row_no, first.c.first_row)
            .join(first, and_(*(column == first.c[column.name] for column in key)))
            .where(matched.c.row_no != first.c.first_row)
            .subquery("repeats")
        )

    async def any_stored_repeats(self, staging: Staging) -> bool:
        """Whether two rows of the import are for the same mark already stored. (Rows for a
        new mark that repeat each other are caught by the mark's key when written.)"""
        repeats = self._repeats(staging, stored_only=True)
        return bool(await self.session.scalar(select(exists().select_from(repeats))))

    async def remove_repeats(self, staging: Staging, *, limit: int) -> tuple[int, list[Any]]:
        """Take out matched rows that repeat an earlier row of the import: their number, and
        the first ``limit`` of them as ``(row, first row)``, by row."""
        repeats = self._repeats(staging, stored_only=False)
        listed = (
            await self.session.execute(
                select(repeats.c.row_no, repeats.c.first_row, func.count().over())
                .order_by(repeats.c.row_no)
                .limit(limit)
            )
        ).all()
        if not listed:
            return 0, []
        matched = staging.matched
        again = self._repeats(staging, stored_only=False)
        await self.session.execute(
            delete(matched).where(matched.c.row_no.in_(select(again.c.row_no)))
        )
        return int(listed[0][2]), [(row, first) for row, first, _ in listed]

    # --- applying -----------------------------------------------------------------------------

    async def outcome(self, staging: Staging) -> Outcome:
        matched = staging.matched
        row = (
            await self.session.execute(
                select(
                    func.count().filter(matched.c.old_code.is_(None)),
                    func.count().filter(matched.c.old_code != matched.c.code),
                    func.count().filter(matched.c.old_code == matched.c.code),
                )
            )
        ).one()
        return Outcome(created=int(row[0]), replaced=int(row[1]), unchanged=int(row[2]))

    async def insert_new_marks(
        self, staging: Staging, *, import_id: uuid.UUID, now: datetime
    ) -> bool:
        """Insert the matched rows for marks KPAS does not hold yet, in key order (the
        indexes fill in order). Plain inserts: the caller holds the schools
        (``lock_schools``), so no other import adds these marks meanwhile. False, with
        nothing inserted, when the mark's key refuses a row: two rows of this import are the
        same new mark (``remove_repeats`` finds them), or another writer added one."""
        matched = staging.matched
        key = (matched.c.pupil_id, matched.c.mark_date, matched.c.session, matched.c.school_urn)
        statement = insert(MARKS).from_select(
            [*(column.name for column in key), "code", "import_id", "recorded_at"],
            select(*key, matched.c.code, literal(import_id, Uuid()), literal(now, UTCDateTime()))
            .where(matched.c.old_code.is_(None))
            .order_by(*key),
        )
        connection = await self._connection()
        try:
            # A savepoint of the connection's own: only this statement is undone.
            async with connection.begin_nested():
                await connection.execute(statement)
        except IntegrityError:
            return False
        return True

    async def apply_changes(
        self, staging: Staging, outcome: Outcome, *, import_id: uuid.UUID, now: datetime
    ) -> None:
        """Write the corrections (the replaced mark into history, the new code into the
        mark) and queue the school weeks of new and corrected marks for the worker. A mark
        sent again with the same code writes nothing."""
        matched = staging.matched
        stamp = literal(now, UTCDateTime())
        by_import = literal(import_id, Uuid())
        replaced = matched.c.old_code != matched.c.code
        if outcome.replaced:
            await self.session.execute(
                insert(HISTORY).from_select(
                    [
                        "id",
                        "pupil_id",
                        "school_urn",
                        "mark_date",
                        "session",
                        "code",
                        "import_id",
                        "recorded_at",
                        "replaced_at",
                        "replaced_by_import_id",
                    ],
                    select(
                        new_uuid(),
                        matched.c.pupil_id,
                        matched.c.school_urn,
                        matched.c.mark_date,
                        matched.c.session,
                        matched.c.old_code,
                        matched.c.old_import_id,
                        matched.c.old_recorded_at,
                        stamp,
                        by_import,
                    ).where(replaced),
                )
            )
            await self.session.execute(
                update(MARKS)
                .values(code=matched.c.code, import_id=by_import, recorded_at=stamp)
                .where(
                    MARKS.c.pupil_id == matched.c.pupil_id,
                    MARKS.c.mark_date == matched.c.mark_date,
                    MARKS.c.session == matched.c.session,
                    MARKS.c.school_urn == matched.c.school_urn,
                    replaced,
                )
            )
        if outcome.created or outcome.replaced:
            await self._queue_weeks(
                select(matched.c.school_urn, matched.c.week_start, stamp)
                .where(or_(matched.c.old_code.is_(None), replaced))
                .distinct()
            )

    async def _queue_weeks(self, weeks: Any) -> None:
        """Queue the ``(school_urn, week_start, queued_at)`` rows ``weeks`` selects. The
        worker clears only entries queued before it started: a week queued again must move
        its time forward, or the worker would drop it unrecomputed."""
        queue = self._insert(STALE_WEEKS).from_select(
            ["school_urn", "week_start", "queued_at"], weeks
        )
        await self.session.execute(
            queue.on_conflict_do_update(
                index_elements=["school_urn", "week_start"],
                set_={"queued_at": queue.excluded.queued_at},
            )
        )

    def _insert(self, table: Table) -> Any:
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # --- reports ------------------------------------------------------------------------------

    async def add_import(self, record: AttendanceImport) -> AttendanceImport:
        self.session.add(record)
        await self.session.flush()
        return record

    async def get_import(
        self, import_id: uuid.UUID, *, visible: ColumnElement[bool]
    ) -> AttendanceImport | None:
        found: AttendanceImport | None = await self.session.scalar(
            select(AttendanceImport).where(AttendanceImport.id == import_id, visible)
        )
        return found

    # --- merging two records of one pupil -----------------------------------------------------

    async def mark_days(self, pupil_id: uuid.UUID) -> list[tuple[int, date]]:
        """The distinct (school, day) pairs the pupil has marks for: at most one row per
        school day, however many sessions."""
        rows = await self.session.execute(
            select(MARKS.c.school_urn, MARKS.c.mark_date)
            .where(MARKS.c.pupil_id == pupil_id)
            .distinct()
        )
        return [(row.school_urn, row.mark_date) for row in rows]

    async def move_marks(self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID) -> int:
        """Give ``to_pupil`` every mark of ``from_pupil`` for a date, session and school it
        has no mark for, in one statement. Returns how many moved."""
        theirs = MARKS.alias("survivor_mark")
        result = await self.session.execute(
            update(MARKS)
            .where(
                MARKS.c.pupil_id == from_pupil,
                ~exists().where(_same_mark(theirs, MARKS), theirs.c.pupil_id == to_pupil),
            )
            .values(pupil_id=to_pupil)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def supersede_marks(
        self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID, now: datetime
    ) -> int:
        """Where both pupils have a mark for one date, session and school, keep
        ``to_pupil``'s and write ``from_pupil``'s into ``to_pupil``'s history, as a correction
        would (replaced now, by the import that wrote the mark that stands), then remove it.
        Two set-based statements. Returns how many were superseded."""
        ours = MARKS.alias("merged_mark")
        stands = MARKS.alias("survivor_mark")
        await self.session.execute(
            insert(HISTORY).from_select(
                [
                    "id",
                    "pupil_id",
                    "school_urn",
                    "mark_date",
                    "session",
                    "code",
                    "import_id",
                    "recorded_at",
                    "replaced_at",
                    "replaced_by_import_id",
                ],
                select(
                    new_uuid(),
                    stands.c.pupil_id,
                    ours.c.school_urn,
                    ours.c.mark_date,
                    ours.c.session,
                    ours.c.code,
                    ours.c.import_id,
                    ours.c.recorded_at,
                    literal(now, UTCDateTime()),
                    stands.c.import_id,
                )
                .join_from(
                    ours,
                    stands,
                    and_(_same_mark(stands, ours), stands.c.pupil_id == to_pupil),
                )
                .where(ours.c.pupil_id == from_pupil),
            )
        )
        theirs = MARKS.alias("survivor_mark")
        result = await self.session.execute(
            delete(MARKS).where(
                MARKS.c.pupil_id == from_pupil,
                exists().where(_same_mark(theirs, MARKS), theirs.c.pupil_id == to_pupil),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_history(self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID) -> int:
        """Make ``from_pupil``'s replaced marks ``to_pupil``'s history (one statement)."""
        result = await self.session.execute(
            update(HISTORY).where(HISTORY.c.pupil_id == from_pupil).values(pupil_id=to_pupil)
        )
        return int(getattr(result, "rowcount", 0) or 0)


#: PostgreSQL's binary COPY format: the signature, flags and header extension length; and
#: the end of the rows.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
_PG_EPOCH_DAY = date(2000, 1, 1).toordinal()
_PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class MarkEncoder:
    """Marks in PostgreSQL's binary COPY format (the one the driver writes for
    ``copy_records_to_table``), made of pieces encoded once: a row is its start and its
    pupil's id, then the piece of its day, session and school, then that of its code with the import
    and time every row shares. An import names few days, sessions, schools and codes, and
    each pupil once a session, so a row costs four appends."""

    def __init__(self, import_id: uuid.UUID, now: datetime) -> None:
        self._shared = _field(import_id.bytes) + struct.pack(">iq", 8, _microseconds(now))

    #: The start of a row: its number of fields, and the length of the pupil's id (the id's
    #: 16 bytes follow).
    ROW_START = struct.pack(">hi", len(MARK_COLUMNS), 16)

    @staticmethod
    def place(day: date, session: str, school_urn: int) -> bytes:
        return (
            struct.pack(">ii", 4, day.toordinal() - _PG_EPOCH_DAY)
            + _field(session.encode())
            + struct.pack(">ii", 4, school_urn)
        )

    def code(self, code: str) -> bytes:
        """The end of a row: the code, the import and the time."""
        return _field(code.encode()) + self._shared


def _field(value: bytes) -> bytes:
    return struct.pack(">i", len(value)) + value


def _microseconds(moment: datetime) -> int:
    delta = moment - _PG_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _sqlstate(exc: BaseException) -> str:
    """PostgreSQL's code for the error, raised by asyncpg or wrapped by SQLAlchemy."""
    for error in (exc, getattr(exc, "orig", None)):
        code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
        if code:
            return str(code)
    return ""


def _same_mark(one: Any, other: Any) -> ColumnElement[bool]:
    """Two mark rows are for the same date, session and school (of any pupils)."""
    return and_(
        one.c.mark_date == other.c.mark_date,
        one.c.session == other.c.session,
        one.c.school_urn == other.c.school_urn,
    )
