"""withheld attendance alerts, spent penalty sessions, and retention dates the day before the
25th birthday

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

Pupil-linked records are inaccessible from the 25th birthday itself (an age is attained at
the start of the anniversary, Family Law Reform Act 1969 s9), so a stored retention date, the
last day a record is kept, moves one day earlier. Every stored date so far was a pupil's 25th
birthday (pupils, and carers linked to them).

A penalty-threshold event spends the 10 sessions that reached the threshold: the alert records
the date and session of the last of them. Alerts raised before this have none, and are read as
having spent every session to the end of their week.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_SHIFT = {
    ("postgresql", -1): "UPDATE data_subjects SET retain_until = retain_until - 1 "
    "WHERE retain_until IS NOT NULL",
    ("postgresql", 1): "UPDATE data_subjects SET retain_until = retain_until + 1 "
    "WHERE retain_until IS NOT NULL",
    ("sqlite", -1): "UPDATE data_subjects SET retain_until = date(retain_until, '-1 day') "
    "WHERE retain_until IS NOT NULL",
    ("sqlite", 1): "UPDATE data_subjects SET retain_until = date(retain_until, '+1 day') "
    "WHERE retain_until IS NOT NULL",
}


def _shift_retention(days: int) -> None:
    op.execute(_SHIFT[(op.get_bind().dialect.name, days)])


def upgrade() -> None:
    op.create_table(
        "attendance_withheld_pupils",
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("first_week", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.id"],
            name=op.f("fk_attendance_withheld_pupils_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"],
            ["schools.urn"],
            name=op.f("fk_attendance_withheld_pupils_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint(
            "school_urn", "pupil_id", name=op.f("pk_attendance_withheld_pupils")
        ),
    )
    with op.batch_alter_table("attendance_alerts") as batch:
        batch.add_column(sa.Column("spent_through_date", sa.Date(), nullable=True))
        batch.add_column(sa.Column("spent_through_session", sa.String(length=2), nullable=True))
    _shift_retention(-1)


def downgrade() -> None:
    _shift_retention(1)
    with op.batch_alter_table("attendance_alerts") as batch:
        batch.drop_column("spent_through_session")
        batch.drop_column("spent_through_date")
    op.drop_table("attendance_withheld_pupils")
