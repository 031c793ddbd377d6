"""purpose binding and legal conditions: live legal claims per person; objection outcomes
(compelling grounds, restriction asked for while pending); the ground of a release on request;
roll records no longer collected for prosecution or School Attendance Orders; the retired
legal_disclosure purpose split into court_disclosure and crime_prevention_disclosure

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
OBJECTION_CHECK = "ck_subject_objections_objection_status"
OLD_STATUSES = ("pending", "upheld", "rejected")
NEW_STATUSES = (*OLD_STATUSES, "compelling_grounds")

#: Tables of personal records, each with a ``purposes_mask``.
PERSONAL_TABLES = (
    "pupils",
    "carers",
    "pupil_sensitive_entries",
    "pupil_documents",
    "outbound_messages",
    "roll_reviews",
    "attendance_alerts",
)
PROSECUTION = 1 << 2
SCHOOL_ATTENDANCE_ORDER = 1 << 3
#: ``legal_disclosure``: retired, never reused.
LEGAL_DISCLOSURE = 1 << 10
COURT_DISCLOSURE = 1 << 12
CRIME_PREVENTION_DISCLOSURE = 1 << 13
CASE_PURPOSES = PROSECUTION | SCHOOL_ATTENDANCE_ORDER


def _status_check(statuses: Sequence[str]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


def _replace_status_check(statuses: Sequence[str]) -> None:
    with op.batch_alter_table("subject_objections", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(OBJECTION_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(OBJECTION_CHECK), sa.text(_status_check(statuses)))


def _mask(name: str) -> tuple[sa.TableClause, sa.ColumnClause[int]]:
    column: sa.ColumnClause[int] = sa.column("purposes_mask", sa.Integer())
    return sa.table(name, column), column


def _replace_purpose(old: str, new: Sequence[str]) -> None:
    """Agreements name purposes by code (a JSON list): rewrite ``old`` as ``new``."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, purposes FROM sharing_agreements")).all()
    for agreement_id, purposes in rows:
        codes = json.loads(purposes) if isinstance(purposes, str) else list(purposes)
        if old not in codes:
            continue
        replaced: list[str] = []
        for code in codes:
            for each in new if code == old else (code,):
                if each not in replaced:
                    replaced.append(each)
        conn.execute(
            sa.text("UPDATE sharing_agreements SET purposes = :purposes WHERE id = :id").bindparams(
                sa.bindparam("purposes", type_=JSON_DOCUMENT)
            ),
            {"purposes": replaced, "id": agreement_id},
        )


def upgrade() -> None:
    _replace_status_check(NEW_STATUSES)
    with op.batch_alter_table("subject_objections", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("restrict_pending", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("outcome_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "subject_legal_claims",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "case",
                "legal_hold",
                name="legal_claim_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_legal_claims_subject_id_data_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_legal_claims")),
    )
    with op.batch_alter_table("subject_legal_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_legal_claims_subject_id"), ["subject_id"], unique=False
        )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ground", sa.String(length=60), nullable=True))

    # Purpose binding (UK GDPR Art 5(1)(b)): records came from rolls and staff entry, never from
    # a case at prosecution or SAO stage (there are none yet), so they were never collected
    # for those purposes. Cases will attach them to the people concerned.
    for table in PERSONAL_TABLES:
        records, mask = _mask(table)
        dropped = mask - mask.op("&")(CASE_PURPOSES)
        op.execute(
            sa.update(records)
            .where(mask.op("&")(CASE_PURPOSES) != 0, dropped > 0)
            .values(purposes_mask=dropped)
        )
        # legal_disclosure's bit is retired: its records move to the two purposes it became.
        op.execute(
            sa.update(records)
            .where(mask.op("&")(LEGAL_DISCLOSURE) != 0)
            .values(
                purposes_mask=mask
                - LEGAL_DISCLOSURE
                + (COURT_DISCLOSURE | CRIME_PREVENTION_DISCLOSURE)
            )
        )
    # Releases recorded as legal_disclosure: a court bundle answered a court or an enactment;
    # anything else answered an authority's request.
    op.execute(
        "UPDATE disclosures SET purpose = 'court_disclosure'"
        " WHERE purpose = 'legal_disclosure' AND channel = 'court_bundle'"
    )
    op.execute(
        "UPDATE disclosures SET purpose = 'crime_prevention_disclosure'"
        " WHERE purpose = 'legal_disclosure'"
    )
    _replace_purpose("legal_disclosure", ("crime_prevention_disclosure",))


def downgrade() -> None:
    _replace_purpose("crime_prevention_disclosure", ("legal_disclosure",))
    _replace_purpose("court_disclosure", ("legal_disclosure",))
    op.execute(
        "UPDATE disclosures SET purpose = 'legal_disclosure'"
        " WHERE purpose IN ('court_disclosure', 'crime_prevention_disclosure')"
    )
    both = COURT_DISCLOSURE | CRIME_PREVENTION_DISCLOSURE
    for table in PERSONAL_TABLES:
        records, mask = _mask(table)
        op.execute(
            sa.update(records)
            .where(mask.op("&")(both) != 0)
            .values(purposes_mask=mask - mask.op("&")(both) + LEGAL_DISCLOSURE)
        )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_column("ground")
    with op.batch_alter_table("subject_legal_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_legal_claims_subject_id"))
    op.drop_table("subject_legal_claims")
    op.execute(
        "UPDATE subject_objections SET status = 'rejected' WHERE status = 'compelling_grounds'"
    )
    with op.batch_alter_table("subject_objections", schema=None) as batch_op:
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("outcome_reason")
        batch_op.drop_column("restrict_pending")
    _replace_status_check(OLD_STATUSES)
