"""partitioned attendance marks, their history and the audit trail (PostgreSQL)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04

Kent's marks (about 91 million a year, kept until each child's 25th birthday), their history
and the audit trail grow without bound. On PostgreSQL each becomes a declaratively partitioned
table (``app.repositories.partitions`` says why, by what, and how partitions are kept ahead):

- ``attendance_marks`` and ``attendance_mark_history`` by RANGE(mark_date), one partition a
  school year (1 September to 31 August), the unit attendance reads are bounded by. The
  history's primary key becomes (id, mark_date): PostgreSQL requires every unique constraint
  of a partitioned table to include the partition key, and ``id`` is a random UUID, so it
  stays unique in practice as it was.
- ``audit_events`` by RANGE(seq), ``SEQ_BLOCK`` events a partition, not by time: the primary
  key stays ``seq`` alone, so the database still refuses a second event at a position of the
  chain (partitioned by ``occurred_at`` it would have to become (seq, occurred_at), letting
  two events share a position in different years); verification and every list walk ``seq``,
  which now prunes to a partition; and a partition's block of positions is fixed, whatever the
  clock says. ``unique(id)`` and ``unique(hash)`` cannot include ``seq`` without meaning
  nothing, so they become a plain index on ``id`` (the subject index and the retention sweep
  join on it) and no constraint on ``hash``. What they guarded is still guarded: ``id`` is a
  random UUID minted per event, and each event's hash covers its ``seq`` and its
  predecessor's hash, so a copied or forged event is found by verification (a position twice
  is a gap, a hash twice a broken link) as an edited one is.
- ``audit_event_subjects`` is not partitioned: it has no time or sequence of its own, and the
  retention sweep removes its rows once their events are past the audit trail's period, so it
  stays as large as that period's reads and no larger.

Existing rows are kept: the table is renamed aside, the partitioned table made in its place
with the same columns (``LIKE``), partitions made from the school year of its first row through
next school year (the trail's blocks through the one after the head), every row copied, then
keys, indexes and foreign keys added and the old table dropped. Rows beyond those partitions
(a mistyped far-future date) go to the DEFAULT partition. Nothing references these tables by
foreign key; the trigger deleting a pupil's marks and the one moving queued events into the
chain name the tables, so they reach the new ones unchanged. Downgrade copies the rows back
into plain tables the same way. Either way every row is rewritten in the migration's one
transaction: on a populated database, plan for the time that takes and for room for a second
copy of the three tables while it runs.

SQLite is not partitioned; there only the keys change as the models do (the history's
primary key, the audit trail's two unique constraints).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from alembic import op
from sqlalchemy import Connection, text

from app.repositories.partitions import (
    ATTENDANCE_MARK_HISTORY,
    ATTENDANCE_MARKS,
    AUDIT_EVENTS,
    SEQ_BLOCK,
    PartitionedTable,
    ahead_of,
    ensure_table,
    head_seq,
)

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_MARK_INDEXES = ("CREATE INDEX ix_attendance_marks_school_date ON {t} (school_urn, mark_date)",)
_HISTORY_KEYS = (
    "ALTER TABLE {t} ADD CONSTRAINT fk_attendance_mark_history_import_id_attendance_imports "
    "FOREIGN KEY (import_id) REFERENCES attendance_imports (id)",
    "ALTER TABLE {t} ADD CONSTRAINT fk_attendance_mark_history_pupil_id_pupils "
    "FOREIGN KEY (pupil_id) REFERENCES pupils (id) ON DELETE CASCADE",
    "ALTER TABLE {t} ADD CONSTRAINT "
    "fk_attendance_mark_history_replaced_by_import_id_attendance_imports "
    "FOREIGN KEY (replaced_by_import_id) REFERENCES attendance_imports (id)",
    "ALTER TABLE {t} ADD CONSTRAINT fk_attendance_mark_history_school_urn_schools "
    "FOREIGN KEY (school_urn) REFERENCES schools (urn)",
    "CREATE INDEX ix_attendance_mark_history_pupil ON {t} (pupil_id, mark_date, session)",
)
_EVENT_INDEXES = (
    "CREATE INDEX ix_audit_events_actor_seq ON {t} (actor, seq)",
    "CREATE INDEX ix_audit_events_decision_id ON {t} (decision_id)",
    "CREATE INDEX ix_audit_events_occurred_at ON {t} (occurred_at)",
    "CREATE INDEX ix_audit_events_purpose ON {t} (purpose)",
    "CREATE INDEX ix_audit_events_subject_seq ON {t} (subject_id, seq)",
    "CREATE INDEX ix_audit_events_resource_seq ON {t} (resource_id, seq)",
    "CREATE INDEX ix_audit_events_action_seq ON {t} (action, seq)",
)
_MARKS_PK = (
    "ALTER TABLE {t} ADD CONSTRAINT pk_attendance_marks "
    "PRIMARY KEY (pupil_id, mark_date, session, school_urn)"
)
#: What each table has beside its columns, NOT NULLs and CHECKs, partitioned and plain: SQL run
#: after the rows are in (building an index once is cheaper than keeping it up row by row).
KEYS: dict[str, dict[str, tuple[str, ...]]] = {
    ATTENDANCE_MARKS.name: {
        "partitioned": (_MARKS_PK, *_MARK_INDEXES),
        "plain": (_MARKS_PK, *_MARK_INDEXES),
    },
    ATTENDANCE_MARK_HISTORY.name: {
        "partitioned": (
            "ALTER TABLE {t} ADD CONSTRAINT pk_attendance_mark_history PRIMARY KEY (id, mark_date)",
            *_HISTORY_KEYS,
        ),
        "plain": (
            "ALTER TABLE {t} ADD CONSTRAINT pk_attendance_mark_history PRIMARY KEY (id)",
            *_HISTORY_KEYS,
        ),
    },
    AUDIT_EVENTS.name: {
        "partitioned": (
            "ALTER TABLE {t} ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq)",
            "CREATE INDEX ix_audit_events_id ON {t} (id)",
            *_EVENT_INDEXES,
        ),
        "plain": (
            "ALTER TABLE {t} ADD CONSTRAINT pk_audit_events PRIMARY KEY (seq)",
            "ALTER TABLE {t} ADD CONSTRAINT uq_audit_events_hash UNIQUE (hash)",
            "ALTER TABLE {t} ADD CONSTRAINT uq_audit_events_id UNIQUE (id)",
            *_EVENT_INDEXES,
        ),
    },
}


def _set_aside(connection: Connection, table: str, aside: str) -> None:
    """Rename ``table`` to ``aside`` and drop its keys and indexes, whose names the new table
    takes (its rows are about to be copied out, and it dropped)."""
    connection.execute(text(f"ALTER TABLE {table} RENAME TO {aside}"))
    constraints = connection.scalars(
        text(
            "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass(:t) "
            "AND contype IN ('p', 'u', 'f')"
        ),
        {"t": aside},
    ).all()
    for name in constraints:
        connection.execute(text(f"ALTER TABLE {aside} DROP CONSTRAINT {name}"))
    indexes = connection.scalars(
        text(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = to_regclass(:t)"
        ),
        {"t": aside},
    ).all()
    for name in indexes:
        connection.execute(text(f"DROP INDEX {name}"))


def _columns(connection: Connection, table: str) -> str:
    names = connection.scalars(
        text(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) "
            "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
        ),
        {"t": table},
    ).all()
    return ", ".join(names)


def _first_key(connection: Connection, table: PartitionedTable, source: str) -> date | int | None:
    found = connection.scalar(text(f"SELECT min({table.key}) FROM {source}"))  # noqa: S608
    return found if isinstance(found, date | int) else None


def _partition(connection: Connection, table: PartitionedTable) -> None:
    aside = f"{table.name}_unpartitioned"
    _set_aside(connection, table.name, aside)
    connection.execute(
        text(
            f"CREATE TABLE {table.name} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            f" PARTITION BY RANGE ({table.key})"
        )
    )
    first = _first_key(connection, table, aside)
    if table.by == "seq":
        ensure_table(connection, table, through=head_seq(connection) + SEQ_BLOCK, since=0)
    else:
        today = date.today()
        since = min(first, today) if isinstance(first, date) else today
        ensure_table(connection, table, through=ahead_of(today), since=since)
    columns = _columns(connection, aside)
    connection.execute(
        text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {aside}")  # noqa: S608
    )
    for statement in KEYS[table.name]["partitioned"]:
        connection.execute(text(statement.format(t=table.name)))
    connection.execute(text(f"DROP TABLE {aside}"))


def _unpartition(connection: Connection, table: PartitionedTable) -> None:
    aside = f"{table.name}_partitioned"
    _set_aside(connection, table.name, aside)
    connection.execute(
        text(f"CREATE TABLE {table.name} (LIKE {aside} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    )
    columns = _columns(connection, aside)
    connection.execute(
        text(f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {aside}")  # noqa: S608
    )
    for statement in KEYS[table.name]["plain"]:
        connection.execute(text(statement.format(t=table.name)))
    # Its partitions go with it.
    connection.execute(text(f"DROP TABLE {aside}"))


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table in (ATTENDANCE_MARKS, ATTENDANCE_MARK_HISTORY, AUDIT_EVENTS):
            _partition(connection, table)
        return
    with op.batch_alter_table("attendance_mark_history", schema=None) as batch_op:
        batch_op.drop_constraint("pk_attendance_mark_history", type_="primary")
        batch_op.create_primary_key("pk_attendance_mark_history", ["id", "mark_date"])
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_audit_events_hash", type_="unique")
        batch_op.drop_constraint("uq_audit_events_id", type_="unique")
        batch_op.create_index("ix_audit_events_id", ["id"], unique=False)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for table in (AUDIT_EVENTS, ATTENDANCE_MARK_HISTORY, ATTENDANCE_MARKS):
            _unpartition(connection, table)
        return
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_id")
        batch_op.create_unique_constraint("uq_audit_events_id", ["id"])
        batch_op.create_unique_constraint("uq_audit_events_hash", ["hash"])
    with op.batch_alter_table("attendance_mark_history", schema=None) as batch_op:
        batch_op.drop_constraint("pk_attendance_mark_history", type_="primary")
        batch_op.create_primary_key("pk_attendance_mark_history", ["id"])
