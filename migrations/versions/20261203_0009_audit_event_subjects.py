"""audit event subjects: which data subjects each audit event touched

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_event_subjects",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "event_id", name=op.f("pk_audit_event_subjects")),
    )
    with op.batch_alter_table("audit_event_subjects", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_subjects_event_id", ["event_id"], unique=False)
    # Events recorded before this revision named at most one subject, in ``subject_id``.
    op.execute(
        "INSERT INTO audit_event_subjects (subject_id, event_id) "
        "SELECT subject_id, id FROM audit_events WHERE subject_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event_subjects", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_subjects_event_id")
    op.drop_table("audit_event_subjects")
