"""identity, audit trail and data subjects

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

# PostgreSQL links sealed events into the chain inside COMMIT (app/audit/trail.py): the
# application queues each event with the SHA-256 of its canonical content, and this deferred
# trigger, firing once per event in the order they were queued, locks the head, computes the
# link hash exactly as ``app.audit.trail.link_hash`` does, and moves the event into the chain.
AUDIT_CHAIN_FUNCTION = """
CREATE FUNCTION audit_chain_append() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    next_seq bigint;
    prev varchar(64);
    link varchar(64);
BEGIN
    SELECT seq, hash INTO next_seq, prev FROM audit_chain_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'audit chain head row is missing';
    END IF;
    next_seq := next_seq + 1;
    link := encode(
        sha256(convert_to(
            'kpas-audit-v1|' || next_seq || '|' || prev || '|' || NEW.digest, 'UTF8'
        )),
        'hex'
    );
    INSERT INTO audit_events (
        seq, prev_hash, hash, id, occurred_at, kind, action, outcome, decision_id, rule,
        purpose, basis, actor, actor_role, resource_type, resource_id, subject_id, request_id,
        details
    ) VALUES (
        next_seq, prev, link, NEW.id, NEW.occurred_at, NEW.kind, NEW.action, NEW.outcome,
        NEW.decision_id, NEW.rule, NEW.purpose, NEW.basis, NEW.actor, NEW.actor_role,
        NEW.resource_type, NEW.resource_id, NEW.subject_id, NEW.request_id, NEW.details
    );
    UPDATE audit_chain_head SET seq = next_seq, hash = link WHERE id = 1;
    DELETE FROM audit_events_pending WHERE id = NEW.id;
    RETURN NULL;
END
$$
"""
AUDIT_CHAIN_TRIGGER = """
CREATE CONSTRAINT TRIGGER audit_chain_append AFTER INSERT ON audit_events_pending
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_append()
"""


def upgrade() -> None:
    op.create_table(
        "api_clients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "attendance_officer",
                "attendance_manager",
                "licensing_officer",
                "information_governance",
                "admin",
                "school_staff",
                "mis_integration",
                "partner",
                "inspector",
                name="client_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("org", sa.String(length=100), nullable=True),
        sa.Column("school_urns", JSON_DOCUMENT, nullable=False),
        sa.Column("secret_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_clients")),
    )
    op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_chain_head_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    # The chain starts from a fixed genesis hash; every append locks and advances this row.
    head = sa.table(
        "audit_chain_head", sa.column("id", sa.Integer), sa.column("seq"), sa.column("hash")
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=True),
        sa.Column("basis", sa.String(length=60), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("actor_role", sa.String(length=40), nullable=True),
        sa.Column("resource_type", sa.String(length=60), nullable=True),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_events_hash")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_events_id")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_actor_seq", ["actor", "seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index("ix_audit_events_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_purpose"), ["purpose"], unique=False)
        batch_op.create_index("ix_audit_events_subject_seq", ["subject_id", "seq"], unique=False)

    op.create_table(
        "audit_events_pending",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=True),
        sa.Column("basis", sa.String(length=60), nullable=True),
        sa.Column("actor", sa.String(length=255), nullable=True),
        sa.Column("actor_role", sa.String(length=40), nullable=True),
        sa.Column("resource_type", sa.String(length=60), nullable=True),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events_pending")),
    )
    if op.get_context().dialect.name == "postgresql":
        # Always empty between transactions, so there is nothing for the WAL to protect.
        op.execute("ALTER TABLE audit_events_pending SET UNLOGGED")
        op.execute(AUDIT_CHAIN_FUNCTION)
        op.execute(AUDIT_CHAIN_TRIGGER)

    op.create_table(
        "data_subjects",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pupil",
                "carer",
                "chaperone",
                "requester",
                "other",
                name="subject_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("restricted_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_subjects")),
    )
    with op.batch_alter_table("data_subjects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_data_subjects_retain_until"), ["retain_until"], unique=False
        )

    op.create_table(
        "subject_objections",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "upheld",
                "rejected",
                name="objection_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_objections_subject_id_data_subjects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_objections")),
        sa.UniqueConstraint(
            "subject_id", "purpose", name=op.f("uq_subject_objections_subject_id_purpose")
        ),
    )
    with op.batch_alter_table("subject_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_objections_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("subject_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_objections_subject_id"))

    op.drop_table("subject_objections")
    with op.batch_alter_table("data_subjects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_data_subjects_retain_until"))

    op.drop_table("data_subjects")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_subject_seq")
        batch_op.drop_index(batch_op.f("ix_audit_events_purpose"))
        batch_op.drop_index("ix_audit_events_occurred_at")
        batch_op.drop_index(batch_op.f("ix_audit_events_decision_id"))
        batch_op.drop_index("ix_audit_events_actor_seq")

    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_chain_append ON audit_events_pending")
        op.execute("DROP FUNCTION audit_chain_append()")
    op.drop_table("audit_events_pending")
    op.drop_table("audit_events")
    op.drop_table("audit_chain_head")
    op.drop_table("api_clients")
