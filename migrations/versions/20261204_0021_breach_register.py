"""the breach register: personal data breaches, the people they affect, containment actions;
complaints link to the breach they concern

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04

UK GDPR Art 33(5) asks the council to document every personal data breach: the facts, its
effects and the remedial action taken. ``breaches`` holds each one with the Information
Commissioner's deadline (72 hours after awareness, Art 33(1)) and the decisions on telling the
Commissioner and the people affected (Art 34); ``breach_subjects`` names the people affected by
their records, with the message that told each; ``breach_containment_actions`` what was done.
A complaint names the breach it concerns by ``breach_id`` beside the reference it already kept.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "breaches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("status", _enum("breach_status", "open", "contained", "closed"), nullable=False),
        sa.Column("aware_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("data_categories", JSON_DOCUMENT, nullable=False),
        sa.Column("unidentified_count", sa.Integer(), nullable=False),
        sa.Column("likelihood", _enum("likelihood", "remote", "possible", "likely"), nullable=True),
        sa.Column("severity", _enum("severity", "minimal", "significant", "severe"), nullable=True),
        sa.Column("risk", _enum("risk_level", "unlikely", "risk", "high_risk"), nullable=True),
        sa.Column("risk_reasons", sa.String(length=4000), nullable=True),
        sa.Column("ico_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ico_decision", _enum("ico_decision", "notified", "not_notified"), nullable=True),
        sa.Column("ico_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ico_reference", sa.String(length=40), nullable=True),
        sa.Column("ico_late_reasons", sa.String(length=4000), nullable=True),
        sa.Column("ico_decision_reasons", sa.String(length=4000), nullable=True),
        sa.Column("ico_decided_by", sa.String(length=255), nullable=True),
        sa.Column("ico_decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "individuals_decision",
            _enum("individuals_decision", "told", "exception"),
            nullable=True,
        ),
        sa.Column("individuals_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "individuals_exception",
            _enum("art34_exception", "art_34_3_a", "art_34_3_b", "art_34_3_c"),
            nullable=True,
        ),
        sa.Column("individuals_reasons", sa.String(length=4000), nullable=True),
        sa.Column("individuals_decided_by", sa.String(length=255), nullable=True),
        sa.Column("outcome", _enum("breach_outcome", "confirmed", "not_a_breach"), nullable=True),
        sa.Column("outcome_summary", sa.String(length=4000), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "unidentified_count >= 0",
            name=op.f("ck_breaches_unidentified_count_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaches")),
        sa.UniqueConstraint("reference", name=op.f("uq_breaches_reference")),
    )
    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.create_index("ix_breaches_aware_at", ["aware_at"], unique=False)
        batch_op.create_index(
            "ix_breaches_status_ico_deadline", ["status", "ico_deadline"], unique=False
        )

    op.create_table(
        "breach_subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "record_type",
            _enum("affected_record_type", "pupil", "carer", "person"),
            nullable=False,
        ),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breaches.id"],
            name=op.f("fk_breach_subjects_breach_id_breaches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_breach_subjects_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_breach_subjects_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_subjects")),
        sa.UniqueConstraint(
            "breach_id", "subject_id", name=op.f("uq_breach_subjects_breach_id_subject_id")
        ),
    )
    with op.batch_alter_table("breach_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breach_subjects_breach_id"), ["breach_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breach_subjects_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "breach_containment_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("breach_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=2000), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["breaches.id"],
            name=op.f("fk_breach_containment_actions_breach_id_breaches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breach_containment_actions")),
    )
    with op.batch_alter_table("breach_containment_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breach_containment_actions_breach_id"), ["breach_id"], unique=False
        )

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(sa.Column("breach_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_complaints_breach_id"), ["breach_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_complaints_breach_id_breaches"), "breaches", ["breach_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_complaints_breach_id_breaches"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_complaints_breach_id"))
        batch_op.drop_column("breach_id")

    with op.batch_alter_table("breach_containment_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_containment_actions_breach_id"))
    op.drop_table("breach_containment_actions")

    with op.batch_alter_table("breach_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breach_subjects_subject_id"))
        batch_op.drop_index(batch_op.f("ix_breach_subjects_breach_id"))
    op.drop_table("breach_subjects")

    with op.batch_alter_table("breaches", schema=None) as batch_op:
        batch_op.drop_index("ix_breaches_status_ico_deadline")
        batch_op.drop_index("ix_breaches_aware_at")
    op.drop_table("breaches")
