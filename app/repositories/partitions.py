"""Partitions of the tables that grow without bound (PostgreSQL only).

Attendance marks (about 91 million a year for Kent, kept until each child's 25th birthday),
their history, and the audit trail would otherwise be single tables of hundreds of millions
of rows: every index deeper, every vacuum longer, every date-bounded read one index over all
of it. On PostgreSQL they are declaratively partitioned (migration 0023):

- ``attendance_marks`` and ``attendance_mark_history`` by RANGE on ``mark_date``, one
  partition per school year (1 September to 31 August: ``attendance_marks_y2025`` holds
  2025-09-01 to 2026-08-31), the unit every attendance read is bounded by (a school's summary,
  a pupil's figures, the alerts' year so far), so such a read touches one or two partitions;
- ``audit_events`` by RANGE on ``seq``, ``SEQ_BLOCK`` events a partition
  (``audit_events_s0000`` holds seq 0 to 9,999,999): the chain's primary key stays ``seq``
  alone, so a duplicated position is still refused by the database, and verification, which
  walks the chain in ``seq`` order, reads one partition at a time.

Each table also has a DEFAULT partition (``<table>_default``) that takes any row no other
partition covers (a mark dated beyond the partitions made so far, a burst of events past the
spare block), so no write ever fails for want of a partition. :func:`ensure_partitions_sync`
makes the partitions the coming year (or the next block of events) needs before it arrives,
and moves rows already sitting in DEFAULT into the partitions it makes for them. The worker
runs it daily (``app.services.partitions``), as does ``kpas partitions ensure``.

A partition is made as a table of its own and then attached: the rows of its range are moved
out of DEFAULT first (PostgreSQL refuses to attach a range DEFAULT still holds rows of), and a
CHECK constraint on the range lets the attach skip scanning the new table. Attaching takes a
SHARE UPDATE EXCLUSIVE lock on the parent, so reads and writes to other partitions carry on;
DEFAULT itself is locked while its rows move.

SQLite has no partitioning: the same models, one table each, and every function here does
nothing there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncSession

#: Events in each ``audit_events`` partition: a month or so of a busy authority's trail.
SEQ_BLOCK: Final = 10_000_000

#: The first month of a school year.
SCHOOL_YEAR_MONTH: Final = 9

#: How far ahead the daily run makes partitions: a year, so the next school year's partitions
#: exist from the first day of the current one.
AHEAD: Final = timedelta(days=366)


@dataclass(frozen=True, slots=True)
class PartitionedTable:
    """A table partitioned by RANGE on ``key``, by school year or by blocks of ``seq``."""

    name: str
    key: str
    by: Literal["school_year", "seq"]

    @property
    def default(self) -> str:
        return f"{self.name}_default"

    def number(self, value: date | int) -> int:
        """The partition number ``value`` falls in: a school year's first calendar year, or a
        block of ``SEQ_BLOCK`` sequence numbers."""
        if isinstance(value, date):
            return school_year(value)
        return value // SEQ_BLOCK

    def partition(self, number: int) -> tuple[str, str, str]:
        """The partition's name and its bounds (SQL literals, upper bound excluded)."""
        if self.by == "school_year":
            return (
                f"{self.name}_y{number:04d}",
                f"DATE '{number:04d}-09-01'",
                f"DATE '{number + 1:04d}-09-01'",
            )
        return (
            f"{self.name}_s{number:04d}",
            str(number * SEQ_BLOCK),
            str((number + 1) * SEQ_BLOCK),
        )

    def number_of(self, partition_name: str) -> int | None:
        match = re.fullmatch(rf"{re.escape(self.name)}_[ys](\d{{4}})", partition_name)
        return int(match.group(1)) if match else None

    @property
    def key_number(self) -> str:
        """SQL for the partition number of a row's key."""
        if self.by == "school_year":
            return (
                f"(EXTRACT(YEAR FROM {self.key})::int"
                f" - CASE WHEN EXTRACT(MONTH FROM {self.key}) < {SCHOOL_YEAR_MONTH}"
                " THEN 1 ELSE 0 END)"
            )
        return f"({self.key} / {SEQ_BLOCK})"


ATTENDANCE_MARKS: Final = PartitionedTable("attendance_marks", "mark_date", "school_year")
ATTENDANCE_MARK_HISTORY: Final = PartitionedTable(
    "attendance_mark_history", "mark_date", "school_year"
)
AUDIT_EVENTS: Final = PartitionedTable("audit_events", "seq", "seq")
PARTITIONED: Final = (ATTENDANCE_MARKS, ATTENDANCE_MARK_HISTORY, AUDIT_EVENTS)

_PARTITION_NAME: Final = re.compile(
    r"(attendance_marks|attendance_mark_history)_(y\d{4}|default)|audit_events_(s\d{4}|default)"
)


#: Taken for the transaction by every run, so two workers never make the same partition.
_ADVISORY_LOCK: Final = 0x4B504153_0000_0001


def is_partition(name: str | None) -> bool:
    """Whether ``name`` is one of the partitions made here: tables the models do not declare
    (their parents are the models' tables)."""
    return name is not None and _PARTITION_NAME.fullmatch(name) is not None


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: leave partitions out when the models and the schema
    are compared."""
    return not (type_ == "table" and is_partition(name))


def school_year(day: date) -> int:
    """The calendar year a school year starts in (1 September to 31 August)."""
    return day.year if day.month >= SCHOOL_YEAR_MONTH else day.year - 1


def is_partitioned(connection: Connection, table: str) -> bool:
    """Whether ``table`` is a partitioned table here (never on SQLite)."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.scalar(
        text("SELECT relkind::text FROM pg_class WHERE oid = to_regclass(:name)"), {"name": table}
    )
    return bool(kind == "p")


def partitions_of(connection: Connection, table: str) -> list[str]:
    """The names of ``table``'s partitions, DEFAULT included."""
    rows = connection.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:name) ORDER BY c.relname"
        ),
        {"name": table},
    )
    return list(rows.all())


def _default_numbers(connection: Connection, table: PartitionedTable) -> set[int]:
    """The partition numbers of the rows sitting in DEFAULT (kept small by design)."""
    rows = connection.scalars(
        text(f"SELECT DISTINCT {table.key_number} FROM {table.default}")  # noqa: S608
    )
    return {int(n) for n in rows.all()}


def ensure_table(
    connection: Connection,
    table: PartitionedTable,
    *,
    through: date | int,
    since: date | int | None = None,
) -> list[str]:
    """Make ``table``'s missing partitions, from its first (or ``since``'s) through the one
    holding ``through``, and any earlier one DEFAULT holds rows of; return their names.

    Rows in DEFAULT beyond ``through`` stay there until a later run reaches them, so one
    mistyped far-future date does not make decades of empty partitions.
    """
    if not is_partitioned(connection, table.name):
        return []
    existing = partitions_of(connection, table.name)
    if table.default not in existing:
        connection.execute(text(f"CREATE TABLE {table.default} PARTITION OF {table.name} DEFAULT"))
    numbers = {n for n in map(table.number_of, existing) if n is not None}
    last = table.number(through)
    first = min([*numbers, last, *([table.number(since)] if since is not None else [])])
    wanted = set(range(first, last + 1))
    wanted |= {n for n in _default_numbers(connection, table) if n <= last}
    made = []
    for number in sorted(wanted - numbers):
        made.append(_make_partition(connection, table, number))
    return made


def _make_partition(connection: Connection, table: PartitionedTable, number: int) -> str:
    """Make one partition, moving into it the rows of its range DEFAULT holds."""
    name, low, high = table.partition(number)
    bound = f"{table.key} IS NOT NULL AND {table.key} >= {low} AND {table.key} < {high}"
    # Writers to DEFAULT wait while its rows move, so none can slip in before the attach.
    connection.execute(text(f"LOCK TABLE {table.default} IN SHARE ROW EXCLUSIVE MODE"))
    connection.execute(
        text(f"CREATE TABLE {name} (LIKE {table.name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    connection.execute(text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_bound CHECK ({bound})"))
    connection.execute(
        text(
            f"WITH moved AS (DELETE FROM {table.default} WHERE {bound} RETURNING *) "  # noqa: S608
            f"INSERT INTO {name} SELECT * FROM moved"
        )
    )
    connection.execute(
        text(
            f"ALTER TABLE {table.name} ATTACH PARTITION {name} FOR VALUES FROM ({low}) TO ({high})"
        )
    )
    # The partition's own bound now says the same; the check would only cost on writes.
    connection.execute(text(f"ALTER TABLE {name} DROP CONSTRAINT {name}_bound"))
    return name


def head_seq(connection: Connection) -> int:
    """The audit chain's last sequence number (0 before the first event)."""
    found = connection.scalar(text("SELECT seq FROM audit_chain_head WHERE id = 1"))
    return int(found or 0)


def ensure_partitions_sync(
    connection: Connection, *, through: date, since: date | None = None
) -> list[str]:
    """Make every partitioned table's missing partitions: attendance through the school year
    holding ``through`` (from ``since``'s, if given), the audit trail through the block after
    the chain head's; return the names made. Nothing on SQLite."""
    if connection.dialect.name != "postgresql":
        return []
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    made = []
    for table in (ATTENDANCE_MARKS, ATTENDANCE_MARK_HISTORY):
        made += ensure_table(connection, table, through=through, since=since)
    spare = head_seq(connection) + SEQ_BLOCK
    made += ensure_table(connection, AUDIT_EVENTS, through=spare, since=0)
    return made


async def ensure_partitions(
    session: AsyncSession, *, through: date, since: date | None = None
) -> list[str]:
    """:func:`ensure_partitions_sync` on the session's connection (the caller commits)."""
    connection = await session.connection()
    return await connection.run_sync(
        lambda sync: ensure_partitions_sync(sync, through=through, since=since)
    )


async def hold_partitions_steady(session: AsyncSession) -> None:
    """Keep the partition upkeep from moving rows until this transaction ends (PostgreSQL).

    While upkeep moves a year's rows out of DEFAULT into a new partition, a statement whose
    snapshot predates the move's commit but whose plan sees the new partition attached
    finds those rows in neither place. Transactions that store what they read of the marks
    (the recompute's tallies, an import's decision that its marks are new) take this
    shared lock before they read or write any mark; upkeep takes it exclusively
    (``ensure_partitions_sync``), so it waits for them and they for it."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": _ADVISORY_LOCK}
        )


def ahead_of(today: date) -> date:
    """The day the daily run makes partitions through: a year after ``today``."""
    return today + AHEAD
