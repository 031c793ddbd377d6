"""attendance: marks and their history, imports, weekly tallies, stale weeks and alerts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


#: A pupil's marks go with the pupil. ``attendance_marks`` has no foreign key to ``pupils`` (the
#: bulk import would pay a key check per mark), so this trigger does what ON DELETE CASCADE would.
PUPIL_MARKS_TRIGGER = "pupils_delete_attendance_marks"
POSTGRESQL_TRIGGER = (
    """
    CREATE FUNCTION delete_pupil_attendance_marks() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM attendance_marks WHERE pupil_id = OLD.id;
        RETURN OLD;
    END
    $$
    """,
    """
    CREATE TRIGGER pupils_delete_attendance_marks AFTER DELETE ON pupils
    FOR EACH ROW EXECUTE FUNCTION delete_pupil_attendance_marks()
    """,
)
SQLITE_TRIGGER = (
    """
    CREATE TRIGGER pupils_delete_attendance_marks AFTER DELETE ON pupils FOR EACH ROW
    BEGIN
        DELETE FROM attendance_marks WHERE pupil_id = OLD.id;
    END
    """,
)


def upgrade() -> None:
    op.create_table(
        "attendance_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "atomic",
                "partial",
                name="import_mode",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "partially_applied",
                "rejected",
                name="import_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("school_urns", JSON_DOCUMENT, nullable=False),
        sa.Column("rows_received", sa.Integer(), nullable=False),
        sa.Column("rows_applied", sa.Integer(), nullable=False),
        sa.Column("rows_refused", sa.Integer(), nullable=False),
        sa.Column("marks_created", sa.Integer(), nullable=False),
        sa.Column("marks_replaced", sa.Integer(), nullable=False),
        sa.Column("marks_unchanged", sa.Integer(), nullable=False),
        sa.Column("problems", JSON_DOCUMENT, nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_imports")),
    )
    op.create_index(
        "ix_attendance_imports_submitted_by", "attendance_imports", ["submitted_by"], unique=False
    )

    op.create_table(
        "attendance_school_weeks",
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("possible_sessions", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
            name=op.f("fk_attendance_school_weeks_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint(
            "school_urn", "week_start", name=op.f("pk_attendance_school_weeks")
        ),
    )
    op.create_table(
        "attendance_stale_weeks",
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
            name=op.f("fk_attendance_stale_weeks_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint("school_urn", "week_start", name=op.f("pk_attendance_stale_weeks")),
    )
    op.create_table(
        "attendance_alerts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "penalty_threshold",
                "persistent_absence",
                "severe_absence",
                name="alert_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "withdrawn",
                name="alert_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("possible_sessions", sa.Integer(), nullable=False),
        sa.Column("attended_sessions", sa.Integer(), nullable=False),
        sa.Column("authorised_sessions", sa.Integer(), nullable=False),
        sa.Column("unauthorised_sessions", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_attendance_alerts_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_attendance_alerts_collected_for_a_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.id"],
            name=op.f("fk_attendance_alerts_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_attendance_alerts_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_attendance_alerts_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_alerts")),
        sa.UniqueConstraint(
            "pupil_id",
            "school_urn",
            "kind",
            "period_start",
            name=op.f("uq_attendance_alerts_pupil_id_school_urn_kind_period_start"),
        ),
    )
    op.create_index(
        "ix_attendance_alerts_pupil_id", "attendance_alerts", ["pupil_id"], unique=False
    )
    op.create_index(
        "ix_attendance_alerts_status_raised",
        "attendance_alerts",
        ["status", "raised_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_attendance_alerts_school_status",
        "attendance_alerts",
        ["school_urn", "status", "kind"],
        unique=False,
    )
    op.create_index(
        "ix_attendance_alerts_subject_id", "attendance_alerts", ["subject_id"], unique=False
    )

    op.create_table(
        "attendance_mark_history",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("mark_date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by_import_id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "session IN ('AM', 'PM')", name=op.f("ck_attendance_mark_history_session_known")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["attendance_imports.id"],
            name=op.f("fk_attendance_mark_history_import_id_attendance_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.id"],
            name=op.f("fk_attendance_mark_history_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_import_id"],
            ["attendance_imports.id"],
            name=op.f("fk_attendance_mark_history_replaced_by_import_id_attendance_imports"),
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
            name=op.f("fk_attendance_mark_history_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_mark_history")),
    )
    op.create_index(
        "ix_attendance_mark_history_pupil",
        "attendance_mark_history",
        ["pupil_id", "mark_date", "session"],
        unique=False,
    )

    op.create_table(
        "attendance_marks",
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("mark_date", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("import_id", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "session IN ('AM', 'PM')", name=op.f("ck_attendance_marks_session_known")
        ),
        sa.PrimaryKeyConstraint(
            "pupil_id", "mark_date", "session", "school_urn", name=op.f("pk_attendance_marks")
        ),
    )
    op.create_index(
        "ix_attendance_marks_school_date",
        "attendance_marks",
        ["school_urn", "mark_date"],
        unique=False,
    )

    op.create_table(
        "attendance_pupil_weeks",
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("possible", sa.SmallInteger(), nullable=False),
        sa.Column("present", sa.SmallInteger(), nullable=False),
        sa.Column("approved_activity", sa.SmallInteger(), nullable=False),
        sa.Column("authorised", sa.SmallInteger(), nullable=False),
        sa.Column("unauthorised", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.id"],
            name=op.f("fk_attendance_pupil_weeks_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
            name=op.f("fk_attendance_pupil_weeks_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint(
            "school_urn", "week_start", "pupil_id", name=op.f("pk_attendance_pupil_weeks")
        ),
    )
    op.create_index(
        "ix_attendance_pupil_weeks_pupil",
        "attendance_pupil_weeks",
        ["pupil_id", "school_urn", "week_start"],
        unique=False,
    )

    statements = (
        POSTGRESQL_TRIGGER if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGER
    )
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    op.execute(
        f"DROP TRIGGER IF EXISTS {PUPIL_MARKS_TRIGGER}"
        + (" ON pupils" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS delete_pupil_attendance_marks()")
    op.drop_index("ix_attendance_pupil_weeks_pupil", table_name="attendance_pupil_weeks")

    op.drop_table("attendance_pupil_weeks")
    op.drop_index("ix_attendance_marks_school_date", table_name="attendance_marks")

    op.drop_table("attendance_marks")
    op.drop_index("ix_attendance_mark_history_pupil", table_name="attendance_mark_history")

    op.drop_table("attendance_mark_history")
    op.drop_index("ix_attendance_alerts_subject_id", table_name="attendance_alerts")
    op.drop_index("ix_attendance_alerts_school_status", table_name="attendance_alerts")
    op.drop_index("ix_attendance_alerts_status_raised", table_name="attendance_alerts")
    op.drop_index("ix_attendance_alerts_pupil_id", table_name="attendance_alerts")

    op.drop_table("attendance_alerts")
    op.drop_table("attendance_stale_weeks")
    op.drop_table("attendance_school_weeks")
    op.drop_index("ix_attendance_imports_submitted_by", table_name="attendance_imports")

    op.drop_table("attendance_imports")
