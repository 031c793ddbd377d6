"""roll reviews: what a school's roll sent about a dual-registered pupil, held for a person to
accept or reject; possible duplicates gain the roll's two reasons

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

DUPLICATE_REASONS = ("same_upn", "same_name_birth_date_postcode", "same_name_and_contact")
ROLL_REASONS = ("roll_identity_unconfirmed", "roll_identity_matched")
REASON_CHECK = "ck_possible_duplicates_duplicate_reason"


def _reason_check(reasons: Sequence[str]) -> str:
    return "reason IN (" + ", ".join(f"'{reason}'" for reason in reasons) + ")"


def _replace_reason_check(reasons: Sequence[str]) -> None:
    with op.batch_alter_table("possible_duplicates", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(REASON_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(REASON_CHECK), sa.text(_reason_check(reasons)))


def upgrade() -> None:
    _replace_reason_check((*DUPLICATE_REASONS, *ROLL_REASONS))
    op.create_table(
        "roll_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "dual_registration",
                name="roll_review_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("pupil_changes", JSON_DOCUMENT, nullable=False),
        sa.Column("carer_changes", JSON_DOCUMENT, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "accepted",
                "rejected",
                "withdrawn",
                name="roll_review_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_roll_reviews_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_roll_reviews_collected_for_a_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupils.id"],
            name=op.f("fk_roll_reviews_pupil_id_pupils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_roll_reviews_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_roll_reviews_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roll_reviews")),
    )
    op.create_index(op.f("ix_roll_reviews_pupil_id"), "roll_reviews", ["pupil_id"], unique=False)
    op.create_index(
        op.f("ix_roll_reviews_subject_id"), "roll_reviews", ["subject_id"], unique=False
    )
    op.create_index(
        "ix_roll_reviews_status_detected",
        "roll_reviews",
        ["status", "detected_at", "id"],
        unique=False,
    )
    op.create_index(
        "ix_roll_reviews_school_status", "roll_reviews", ["school_urn", "status"], unique=False
    )
    op.create_index(
        "uq_roll_reviews_open",
        "roll_reviews",
        ["pupil_id", "school_urn"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_roll_reviews_open",
        table_name="roll_reviews",
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_roll_reviews_school_status", table_name="roll_reviews")
    op.drop_index("ix_roll_reviews_status_detected", table_name="roll_reviews")
    op.drop_index(op.f("ix_roll_reviews_subject_id"), table_name="roll_reviews")
    op.drop_index(op.f("ix_roll_reviews_pupil_id"), table_name="roll_reviews")
    op.drop_table("roll_reviews")
    # Pairs flagged for the roll's reasons stay, as possible duplicates for the same UPN.
    op.execute(
        sa.text(
            "UPDATE possible_duplicates SET reason = 'same_upn' WHERE reason IN "
            "('roll_identity_unconfirmed', 'roll_identity_matched')"
        )
    )
    _replace_reason_check(DUPLICATE_REASONS)
