"""the retention registry (every record type's rule, versioned), legal holds, retention runs
and destruction records

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04

The registry is seeded from the schedule the service ships with
(``app.rules.retention_schedule.SCHEDULE``, as it was written at this revision: the rows are
copied here so a later change to the schedule cannot rewrite history), each rule at version 1.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Policy ids are uuid5(POLICY_NAMESPACE, record_type), so every database agrees on them.
POLICY_NAMESPACE = uuid.UUID("0b6a4d1e-52f3-5a8e-9c21-7d4e3f1a2b60")
SEEDED_BY = "migration 0020"
SEED_REASON = "The schedule the service ships with."


def _schedule() -> list[dict[str, object]]:
    return [
        {
            "record_type": "pupil_linked",
            "description": "Pupils, their carers, attendance marks and figures, alerts, sensitive "
            "entries, documents, cases and every casework record, exclusions",
            "starts": "date_of_birth",
            "years": 25,
            "action": "delete",
            "reason": "The privacy notice promises pupil-linked information is kept from the "
            "child's date of birth until they reach 25, then made inaccessible or "
            "securely destroyed; this covers claims the young person may bring after "
            "reaching 18 (Limitation Act 1980 s28, s2, s11).",
            "source": "KPAS privacy notice, 'How long we keep your information'; Limitation Act "
            "1980",
        },
        {
            "record_type": "licensed_child",
            "description": "Children on work permits and performance licences who are not on a "
            "Kent roll, and their licences",
            "starts": "date_of_birth",
            "years": 25,
            "action": "delete",
            "reason": "A child's licensing records are pupil-linked records: kept until the 25th "
            "birthday like the rest of a child's records.",
            "source": "KPAS privacy notice, 'How long we keep your information'",
        },
        {
            "record_type": "licensing_adult",
            "description": "Employers, producers and chaperones, with their licences and approvals",
            "starts": "last_licence_ends",
            "years": 6,
            "action": "delete",
            "reason": "Kept for six years after the last licence or approval they are on ends: the "
            "limitation period for a claim in contract or tort.",
            "source": "Limitation Act 1980 ss2, 5; council retention schedule",
        },
        {
            "record_type": "subject_request",
            "description": "Data-subject requests, their matches, actions, reviews and released "
            "bundles",
            "starts": "closed",
            "years": 6,
            "action": "delete",
            "reason": "Kept for six years after the request is closed, so the council can show how "
            "it answered if the ICO or a court asks (complaints to the ICO and claims "
            "under DPA 2018 s167-169).",
            "source": "UK GDPR Art 5(2) (accountability); council retention schedule",
        },
        {
            "record_type": "complaint",
            "description": "Data protection complaints to the council as controller",
            "starts": "closed",
            "years": 6,
            "action": "delete",
            "reason": "Kept for six years after the outcome is told, as the subject request it "
            "concerns.",
            "source": "DPA 2018 s164A; council retention schedule",
        },
        {
            "record_type": "breach",
            "description": "The breach register: what happened, the risk assessment, who was told "
            "and when",
            "starts": "closed",
            "years": 6,
            "action": "anonymise",
            "reason": "The register is kept (Art 33(5)); after six years the links to affected "
            "people are removed and the facts, dates and decisions stay.",
            "source": "UK GDPR Art 33(5); council retention schedule",
        },
        {
            "record_type": "disclosure",
            "description": "The disclosure log: every release of personal data outside the service",
            "starts": "created",
            "years": 6,
            "action": "anonymise",
            "reason": "Kept six years after the release so a subject access request can say who "
            "received the data; then the person is removed and the release stays as a "
            "count.",
            "source": "UK GDPR Art 15(1)(c), Art 30; council retention schedule",
        },
        {
            "record_type": "outbound_message",
            "description": "Letters, texts and emails sent through GOV.UK Notify",
            "starts": "created",
            "years": 2,
            "action": "anonymise",
            "reason": "The personalisation and address are needed only to show what was sent; "
            "after two years they are cleared and the delivery record stays without "
            "them.",
            "source": "Council retention schedule",
        },
        {
            "record_type": "audit_event",
            "description": "The audit trail: every decision of the policy layer and every change",
            "starts": "created",
            "years": 7,
            "action": "anonymise",
            "reason": "Events hold ids and codes only; the chain is kept whole for seven years "
            "(six plus the current) so every read and change can be accounted for; the "
            "subject index rows of destroyed subjects are removed with the subject.",
            "source": "DPA 2018 s62 (logging, Part 3); UK GDPR Art 5(2); council retention "
            "schedule",
        },
    ]


def upgrade() -> None:
    op.create_table(
        "retention_destructions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("run_id", sa.Uuid(), nullable=True),
        sa.Column("subject_kind", sa.String(length=32), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("record_type", sa.String(length=40), nullable=True),
        sa.Column("record_ids", JSON_DOCUMENT, nullable=True),
        sa.Column("through_seq", sa.BigInteger(), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("policy_versions", JSON_DOCUMENT, nullable=False),
        sa.Column("counts", JSON_DOCUMENT, nullable=False),
        sa.Column("key_destroyed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_destructions")),
        sa.UniqueConstraint("subject_id", name=op.f("uq_retention_destructions_subject_id")),
    )
    with op.batch_alter_table("retention_destructions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_destructions_run_id"), ["run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_retention_destructions_record_type"), ["record_type"], unique=False
        )
    op.create_table(
        "retention_policies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "starts",
            sa.Enum(
                "date_of_birth",
                "last_licence_ends",
                "closed",
                "created",
                name="retention_start",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "delete",
                "anonymise",
                name="retention_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policies")),
        sa.UniqueConstraint("record_type", name=op.f("uq_retention_policies_record_type")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "completed",
                name="retention_run_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=255), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("past_retention", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("held", sa.Integer(), nullable=False),
        sa.Column("destroyed", sa.Integer(), nullable=False),
        sa.Column("policy_versions", JSON_DOCUMENT, nullable=False),
        sa.Column("counts", JSON_DOCUMENT, nullable=False),
        sa.Column("records", JSON_DOCUMENT, nullable=True),
        sa.Column("subject_ids", JSON_DOCUMENT, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "proceedings",
                "subject_request",
                "breach_investigation",
                name="legal_hold_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("placed_by", sa.String(length=255), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=255), nullable=True),
        sa.Column("lift_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_legal_holds_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_holds_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_lifted_at"), ["lifted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_holds_subject_id"), ["subject_id"], unique=False)
    op.create_table(
        "retention_policy_versions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "starts",
            sa.Enum(
                "date_of_birth",
                "last_licence_ends",
                "closed",
                "created",
                name="retention_start",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column(
            "action",
            sa.Enum(
                "delete",
                "anonymise",
                name="retention_action",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["retention_policies.id"],
            name=op.f("fk_retention_policy_versions_policy_id_retention_policies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_policy_versions")),
        sa.UniqueConstraint(
            "policy_id", "version", name=op.f("uq_retention_policy_versions_policy_id_version")
        ),
    )
    with op.batch_alter_table("retention_policy_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_retention_policy_versions_policy_id"), ["policy_id"], unique=False
        )
    now = datetime.now(UTC)
    when = sa.DateTime(timezone=True)
    policies = sa.table(
        "retention_policies",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", when),
        sa.column("updated_at", when),
        *(sa.column(name) for name in ("record_type", "description", "starts", "years")),
        *(sa.column(name) for name in ("action", "reason", "source", "changed_by")),
        *(sa.column(name) for name in ("change_reason", "version")),
    )
    versions = sa.table(
        "retention_policy_versions",
        sa.column("id", sa.Uuid()),
        sa.column("policy_id", sa.Uuid()),
        sa.column("changed_at", when),
        *(sa.column(name) for name in ("version", "record_type", "description", "starts")),
        *(sa.column(name) for name in ("years", "action", "reason", "source", "changed_by")),
        sa.column("change_reason"),
    )
    policy_rows = []
    version_rows = []
    for rule in _schedule():
        policy_id = uuid.uuid5(POLICY_NAMESPACE, str(rule["record_type"]))
        common = {**rule, "changed_by": SEEDED_BY, "change_reason": SEED_REASON}
        policy_rows.append(
            {**common, "id": policy_id, "created_at": now, "updated_at": now, "version": 1}
        )
        version_rows.append(
            {
                **common,
                "id": uuid.uuid5(policy_id, "1"),
                "policy_id": policy_id,
                "version": 1,
                "changed_at": now,
            }
        )
    op.bulk_insert(policies, policy_rows)
    op.bulk_insert(versions, version_rows)


def downgrade() -> None:
    op.drop_table("retention_policy_versions")
    op.drop_table("legal_holds")
    op.drop_table("retention_runs")
    op.drop_table("retention_policies")
    op.drop_table("retention_destructions")
