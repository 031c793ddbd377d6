"""subject requests (the clock's stops and starts, matched people, per-record answers,
actions taken, internal reviews) and complaints to the council as controller

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "subject_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column(
            "right",
            sa.Enum(
                "access",
                "rectification",
                "erasure",
                "restriction",
                "objection",
                "portability",
                "automated_decisions",
                name="request_right",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "post",
                "email",
                "school",
                "telephone",
                "in_person",
                "public_form",
                name="request_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "awaiting_identity",
                "in_progress",
                "awaiting_clarification",
                "closed",
                name="request_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("via_school_urn", sa.Integer(), nullable=True),
        sa.Column(
            "requester_kind",
            sa.Enum(
                "subject",
                "parent_or_carer",
                "representative",
                name="requester_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("requester_name", sa.String(length=200), nullable=False),
        sa.Column("requester_email", sa.String(length=254), nullable=True),
        sa.Column("requester_phone", sa.String(length=30), nullable=True),
        sa.Column("requester_address", JSON_DOCUMENT, nullable=True),
        sa.Column("authority_evidence", sa.String(length=500), nullable=True),
        sa.Column("authority_accepted_by", sa.String(length=255), nullable=True),
        sa.Column("authority_accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("subject_details", JSON_DOCUMENT, nullable=False),
        sa.Column(
            "child_competence",
            sa.Enum(
                "competent",
                "not_competent",
                "not_a_child",
                name="child_competence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("child_competence_reasons", sa.String(length=1000), nullable=True),
        sa.Column("child_competence_by", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("identity_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("identity_verified_by", sa.String(length=255), nullable=True),
        sa.Column("identity_method", sa.String(length=300), nullable=True),
        sa.Column("clock_started_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("clock_rule", sa.String(length=40), nullable=False),
        sa.Column("extension_months", sa.Integer(), nullable=False),
        sa.Column("extension_reasons", sa.String(length=2000), nullable=True),
        sa.Column("extension_decided_on", sa.Date(), nullable=True),
        sa.Column("extension_decided_by", sa.String(length=255), nullable=True),
        sa.Column("extension_message_id", sa.Uuid(), nullable=True),
        sa.Column("search_record", JSON_DOCUMENT, nullable=True),
        sa.Column("assigned_to", sa.String(length=255), nullable=True),
        sa.Column("acknowledgement_message_id", sa.Uuid(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "completed",
                "partly_completed",
                "refused",
                "manifestly_unfounded",
                "withdrawn",
                "no_data_held",
                name="request_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_reasons", sa.String(length=4000), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("response_message_id", sa.Uuid(), nullable=True),
        sa.Column("bundle_sha256", sa.String(length=64), nullable=True),
        sa.Column("bundle_disclosure_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_subject_requests_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "extension_months BETWEEN 0 AND 2",
            name=op.f("ck_subject_requests_extension_at_most_two_months"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_subject_requests_collected_for_a_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["acknowledgement_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_subject_requests_acknowledgement_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["bundle_disclosure_id"],
            ["disclosures.id"],
            name=op.f("fk_subject_requests_bundle_disclosure_id_disclosures"),
        ),
        sa.ForeignKeyConstraint(
            ["extension_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_subject_requests_extension_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["response_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_subject_requests_response_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_requests_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["via_school_urn"],
            ["schools.urn"],
            name=op.f("fk_subject_requests_via_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_requests")),
        sa.UniqueConstraint("reference", name=op.f("uq_subject_requests_reference")),
    )
    with op.batch_alter_table("subject_requests", schema=None) as batch_op:
        batch_op.create_index("ix_subject_requests_received_on", ["received_on"], unique=False)
        batch_op.create_index(
            "ix_subject_requests_status_due_on", ["status", "due_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subject_requests_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "complaints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "acknowledged",
                "closed",
                name="complaint_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "post",
                "email",
                "school",
                "telephone",
                "in_person",
                "public_form",
                name="request_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("complainant_name", sa.String(length=200), nullable=False),
        sa.Column("complainant_email", sa.String(length=254), nullable=True),
        sa.Column("complainant_phone", sa.String(length=30), nullable=True),
        sa.Column("complainant_address", JSON_DOCUMENT, nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("breach_reference", sa.String(length=40), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledgement_message_id", sa.Uuid(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "upheld",
                "partly_upheld",
                "not_upheld",
                "withdrawn",
                name="complaint_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_reasons", sa.String(length=4000), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_complaints_lawful_basis_known"),
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_complaints_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["acknowledgement_message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_complaints_acknowledgement_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_complaints_request_id_subject_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_complaints_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaints_request_id"), ["request_id"], unique=False)
        batch_op.create_index(
            "ix_complaints_status_acknowledge_by", ["status", "acknowledge_by"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "subject_request_actions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "rectified",
                "restricted",
                "restriction_lifted",
                "objection_recorded",
                "objection_decided",
                "erased",
                name="request_action_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=True),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("fields", JSON_DOCUMENT, nullable=False),
        sa.Column("recipients_to_tell", JSON_DOCUMENT, nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("performed_by", sa.String(length=255), nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_subject_request_actions_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_request_actions_subject_id_data_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_actions")),
    )
    with op.batch_alter_table("subject_request_actions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_actions_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "subject_request_clock_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "identity_requested",
                "identity_received",
                "clarification_requested",
                "clarification_received",
                name="clock_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_subject_request_clock_events_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_clock_events")),
    )
    with op.batch_alter_table("subject_request_clock_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_clock_events_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "subject_request_items",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("resource_id", sa.String(length=100), nullable=False),
        sa.Column(
            "decision",
            sa.Enum(
                "released",
                "withheld",
                "restricted",
                "third_party_review",
                name="item_decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "exemption",
            sa.Enum(
                "crime_and_taxation",
                "third_party",
                "social_work_serious_harm",
                "education_serious_harm",
                "legal_professional_privilege",
                "part3_prejudice",
                name="exemption",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_subject_request_items_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_request_items_subject_id_data_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_items")),
        sa.UniqueConstraint(
            "request_id",
            "resource_type",
            "resource_id",
            name=op.f("uq_subject_request_items_request_id_resource_type_resource_id"),
        ),
    )
    with op.batch_alter_table("subject_request_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_items_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "subject_request_matches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("record_type", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "possible",
                "confirmed",
                "rejected",
                name="match_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("matched_on", JSON_DOCUMENT, nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_subject_request_matches_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_request_matches_subject_id_data_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_matches")),
        sa.UniqueConstraint(
            "request_id",
            "subject_id",
            name=op.f("uq_subject_request_matches_request_id_subject_id"),
        ),
    )
    with op.batch_alter_table("subject_request_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_matches_request_id"), ["request_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_subject_request_matches_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "subject_request_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("grounds", sa.String(length=2000), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "upheld",
                "changed",
                name="review_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_reasons", sa.String(length=2000), nullable=True),
        sa.Column("reviewed_by", sa.String(length=255), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["subject_requests.id"],
            name=op.f("fk_subject_request_reviews_request_id_subject_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_request_reviews")),
    )
    with op.batch_alter_table("subject_request_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_subject_request_reviews_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "complaint_updates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("complaint_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("summary", sa.String(length=2000), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_updates_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_complaint_updates_message_id_outbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_updates")),
    )
    with op.batch_alter_table("complaint_updates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_updates_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("complaint_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_updates_complaint_id"))

    op.drop_table("complaint_updates")
    with op.batch_alter_table("subject_request_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_reviews_request_id"))

    op.drop_table("subject_request_reviews")
    with op.batch_alter_table("subject_request_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_matches_subject_id"))
        batch_op.drop_index(batch_op.f("ix_subject_request_matches_request_id"))

    op.drop_table("subject_request_matches")
    with op.batch_alter_table("subject_request_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_items_request_id"))

    op.drop_table("subject_request_items")
    with op.batch_alter_table("subject_request_clock_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_clock_events_request_id"))

    op.drop_table("subject_request_clock_events")
    with op.batch_alter_table("subject_request_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_request_actions_request_id"))

    op.drop_table("subject_request_actions")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_subject_id"))
        batch_op.drop_index("ix_complaints_status_acknowledge_by")
        batch_op.drop_index(batch_op.f("ix_complaints_request_id"))

    op.drop_table("complaints")
    with op.batch_alter_table("subject_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subject_requests_subject_id"))
        batch_op.drop_index("ix_subject_requests_status_due_on")
        batch_op.drop_index("ix_subject_requests_received_on")

    op.drop_table("subject_requests")
