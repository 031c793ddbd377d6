"""letters dispatched or returned, first send attempts, and sending state shared by workers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

A letter Notify reports ``received`` is now ``dispatched`` (never ``delivered``), and a letter
Royal Mail sends back is ``returned``. Workers share Notify's rate limit and daily-limit pauses
through ``notify_send_budgets``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "ck_outbound_messages_message_status"
STATUSES = (
    "queued",
    "sending",
    "accepted",
    "delivered",
    "permanent_failure",
    "temporary_failure",
    "technical_failure",
    "rejected",
    "dead",
    "cancelled",
)
LETTER_STATUSES = ("dispatched", "returned")


def _status_check(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(STATUS_CHECK), sa.text(_status_check((*STATUSES, *LETTER_STATUSES)))
        )
        batch_op.add_column(sa.Column("first_attempt_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("returned_at", sa.DateTime(timezone=True)))
        batch_op.add_column(sa.Column("returned_reported_by", sa.String(length=255)))
    # Letters Notify reported as received were recorded as delivered.
    op.execute(
        "UPDATE outbound_messages SET status = 'dispatched' "
        "WHERE channel = 'letter' AND status = 'delivered'"
    )
    op.create_table(
        "notify_send_budgets",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_notify_send_budgets")),
    )


def downgrade() -> None:
    op.drop_table("notify_send_budgets")
    op.execute(
        "UPDATE outbound_messages SET status = 'delivered' "
        "WHERE channel = 'letter' AND status IN ('dispatched', 'returned')"
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("returned_reported_by")
        batch_op.drop_column("returned_at")
        batch_op.drop_column("first_attempt_at")
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.text(_status_check(STATUSES)))
