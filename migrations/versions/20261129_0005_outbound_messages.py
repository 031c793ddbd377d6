"""the Notify outbox: outbound messages and their delivery status

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_type", sa.String(length=60), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "sms",
                "email",
                "letter",
                name="message_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("template_id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("personalisation", JSON_DOCUMENT, nullable=True),
        sa.Column("pupil_id", sa.Uuid(), nullable=True),
        sa.Column("carer_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
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
                name="message_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notify_status", sa.String(length=32), nullable=True),
        sa.Column("notify_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_unknown", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("personal_data_cleared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_outbound_messages_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_outbound_messages_attempts_not_negative")
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_outbound_messages_collected_for_a_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_outbound_messages_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_outbound_messages_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_outbound_messages_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("notify_id", name=op.f("uq_outbound_messages_notify_id")),
        sa.UniqueConstraint("reference", name=op.f("uq_outbound_messages_reference")),
    )
    op.create_index(
        "ix_outbound_messages_due", "outbound_messages", ["status", "next_attempt_at"], unique=False
    )
    op.create_index(
        "ix_outbound_messages_pupil_created",
        "outbound_messages",
        ["pupil_id", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outbound_messages_subject_id"), "outbound_messages", ["subject_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbound_messages_subject_id"), table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_pupil_created", table_name="outbound_messages")
    op.drop_index("ix_outbound_messages_due", table_name="outbound_messages")
    op.drop_table("outbound_messages")
