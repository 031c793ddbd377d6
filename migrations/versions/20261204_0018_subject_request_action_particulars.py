"""subject request actions: the ground, the objection's purpose and outcome, a
rectification's values before and after, what an erasure erased, and the message that told
the requester

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("subject_request_actions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ground", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column(
                "objection_outcome",
                sa.Enum(
                    "pending",
                    "upheld",
                    "rejected",
                    "compelling_grounds",
                    name="objection_status",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("changes", JSON_DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("erased", JSON_DOCUMENT, nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_subject_request_actions_message_id_outbound_messages"),
            "outbound_messages",
            ["message_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_request_actions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_subject_request_actions_message_id_outbound_messages"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(op.f("ck_subject_request_actions_objection_status"), type_="check")
        batch_op.drop_column("message_id")
        batch_op.drop_column("erased")
        batch_op.drop_column("changes")
        batch_op.drop_column("objection_outcome")
        batch_op.drop_column("purpose")
        batch_op.drop_column("ground")
