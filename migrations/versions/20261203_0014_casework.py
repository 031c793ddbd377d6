"""casework: cases, their parties and chronology, meetings, attendance contracts, notices to
improve, penalty notices, School Attendance Orders, prosecutions, case documents, and the
suspensions and permanent exclusions schools report

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column(
            "case_type",
            sa.Enum(
                "attendance",
                "exclusion_support",
                "school_attendance_order",
                name="case_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "referral",
                "triage",
                "support",
                "attendance_contract",
                "notice_to_improve",
                "penalty_notice",
                "eso_considered",
                "prosecution_preparation",
                "prosecution",
                "sao_notice",
                "sao_intention",
                "sao_order",
                "reintegration",
                "closed",
                name="case_stage",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("district", sa.String(length=40), nullable=False),
        sa.Column("area_team", sa.String(length=20), nullable=False),
        sa.Column("assigned_officer", sa.String(length=255), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "referral_source",
            sa.Enum(
                "school",
                "alert",
                "council",
                name="referral_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("referred_by", sa.String(length=255), nullable=False),
        sa.Column("referral", JSON_DOCUMENT, nullable=True),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("next_action", sa.String(length=200), nullable=True),
        sa.Column(
            "eso_decision",
            sa.Enum(
                "apply",
                "not_appropriate",
                name="eso_decision",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("eso_considered_on", sa.Date(), nullable=True),
        sa.Column("eso_reason", sa.String(length=2000), nullable=True),
        sa.Column("eso_recorded_by", sa.String(length=255), nullable=True),
        sa.Column("prosecution_approved_by", sa.String(length=255), nullable=True),
        sa.Column("prosecution_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "attendance_improved",
                "referral_declined",
                "moved_school",
                "left_area",
                "elective_home_education",
                "referred_to_other_service",
                "penalty_paid",
                "education_supervision_order",
                "convicted",
                "acquitted",
                "prosecution_withdrawn",
                "order_complied_with",
                "order_revoked",
                "reintegrated",
                "no_further_action",
                "merged",
                name="case_outcome",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_summary", sa.String(length=500), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(stage = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_cases_closed_at_stage_closed"),
        ),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_cases_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "closed_at IS NULL OR outcome IS NOT NULL", name=op.f("ck_cases_closed_with_outcome")
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_cases_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["attendance_alerts.id"],
            name=op.f("fk_cases_alert_id_attendance_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name=op.f("fk_cases_pupil_id_pupils")),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_cases_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_cases_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    op.create_index(op.f("ix_cases_alert_id"), "cases", ["alert_id"], unique=False)
    op.create_index(
        "ix_cases_officer",
        "cases",
        ["assigned_officer", "closed_at", "next_action_on", "id"],
        unique=False,
    )
    op.create_index("ix_cases_pupil_open", "cases", ["pupil_id", "closed_at"], unique=False)
    op.create_index(op.f("ix_cases_school_urn"), "cases", ["school_urn"], unique=False)
    op.create_index(op.f("ix_cases_stage"), "cases", ["stage"], unique=False)
    op.create_index(op.f("ix_cases_subject_id"), "cases", ["subject_id"], unique=False)
    op.create_index(
        "ix_cases_team", "cases", ["area_team", "assigned_officer", "closed_at", "id"], unique=False
    )
    op.create_table(
        "attendance_contracts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("review_on", sa.Date(), nullable=False),
        sa.Column("carer_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("actions", JSON_DOCUMENT, nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "completed",
                "broken",
                "ended",
                name="contract_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'active') = (ended_on IS NULL)",
            name=op.f("ck_attendance_contracts_ended_has_date"),
        ),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= agreed_on",
            name=op.f("ck_attendance_contracts_ended_after_agreement"),
        ),
        sa.CheckConstraint(
            "review_on >= agreed_on", name=op.f("ck_attendance_contracts_review_after_agreement")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_attendance_contracts_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_contracts")),
    )
    op.create_index(
        "ix_attendance_contracts_case",
        "attendance_contracts",
        ["case_id", "agreed_on"],
        unique=False,
    )
    op.create_index(
        "uq_attendance_contracts_active",
        "attendance_contracts",
        ["case_id"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "case_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "letter",
                "meeting_notes",
                "attendance_contract",
                "chronology",
                "evidence",
                "witness_statement",
                "court_document",
                "other",
                name="case_document_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_case_documents_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_case_documents_collected_for_a_purpose")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_case_documents_not_empty")),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_documents_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_case_documents_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_documents")),
    )
    op.create_index(op.f("ix_case_documents_case_id"), "case_documents", ["case_id"], unique=False)
    op.create_index(
        op.f("ix_case_documents_subject_id"), "case_documents", ["subject_id"], unique=False
    )
    op.create_table(
        "case_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "opened",
                "assigned",
                "stage_changed",
                "party_added",
                "party_removed",
                "eso_considered",
                "prosecution_approved",
                "meeting",
                "attendance_contract",
                "notice_to_improve",
                "penalty_notice",
                "school_attendance_order",
                "prosecution",
                "document",
                "letter_queued",
                "letter_returned",
                "disclosure",
                "merged",
                "exclusion_reported",
                "closed",
                "note",
                "phone_call",
                "home_visit",
                "letter",
                "email",
                "school_contact",
                "other_contact",
                name="case_event_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"], ["case_events.id"], name=op.f("fk_case_events_corrects_id_case_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    op.create_index(
        "ix_case_events_chronology", "case_events", ["case_id", "occurred_at", "id"], unique=False
    )
    op.create_table(
        "case_meetings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "attendance_meeting",
                "early_help",
                "contract_review",
                "reintegration",
                "governing_board",
                "independent_review_panel",
                "other",
                name="meeting_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column("invited_carer_ids", JSON_DOCUMENT, nullable=False),
        sa.Column("attended_carer_ids", JSON_DOCUMENT, nullable=True),
        sa.Column("officer_attended", sa.Boolean(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("agreed_actions", JSON_DOCUMENT, nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_meetings_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_meetings")),
    )
    op.create_index(
        "ix_case_meetings_case", "case_meetings", ["case_id", "scheduled_for"], unique=False
    )
    op.create_table(
        "case_parties",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column(
            "relationship_type",
            sa.Enum(
                "mother",
                "father",
                "step_parent",
                "parents_partner",
                "grandparent",
                "other_relative",
                "foster_carer",
                "guardian",
                "social_worker",
                "other",
                name="relationship_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parental_responsibility", sa.Boolean(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_case_parties_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_parties_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_case_parties_subject_id_data_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_parties")),
        sa.UniqueConstraint("case_id", "carer_id", name=op.f("uq_case_parties_case_id_carer_id")),
    )
    op.create_index(op.f("ix_case_parties_carer_id"), "case_parties", ["carer_id"], unique=False)
    op.create_index(
        op.f("ix_case_parties_subject_id"), "case_parties", ["subject_id"], unique=False
    )
    op.create_table(
        "exclusions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "suspension",
                "permanent",
                name="exclusion_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("school_days", sa.SmallInteger(), nullable=True),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("reasons", JSON_DOCUMENT, nullable=False),
        sa.Column("public_exam_missed", sa.Boolean(), nullable=False),
        sa.Column("parents_representations_on", sa.Date(), nullable=True),
        sa.Column("board_considered_on", sa.Date(), nullable=True),
        sa.Column("board_decision", sa.String(length=40), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("reported_by", sa.String(length=255), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(kind = 'suspension') = (school_days IS NOT NULL)",
            name=op.f("ck_exclusions_suspensions_have_days"),
        ),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_exclusions_lawful_basis_known"),
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_exclusions_collected_for_a_purpose")),
        sa.CheckConstraint(
            "school_days IS NULL OR school_days > 0", name=op.f("ck_exclusions_days_positive")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_exclusions_case_id_cases"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_exclusions_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_exclusions_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_exclusions_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
    )
    op.create_index(op.f("ix_exclusions_case_id"), "exclusions", ["case_id"], unique=False)
    op.create_index(
        "ix_exclusions_pupil_start",
        "exclusions",
        ["pupil_id", "school_urn", "starts_on"],
        unique=False,
    )
    op.create_index(
        "ix_exclusions_school_start", "exclusions", ["school_urn", "starts_on"], unique=False
    )
    op.create_index(op.f("ix_exclusions_subject_id"), "exclusions", ["subject_id"], unique=False)
    op.create_table(
        "notices_to_improve",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("improvement_weeks", sa.SmallInteger(), nullable=False),
        sa.Column("period_ends_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "improved",
                "not_improved",
                "withdrawn",
                name="notice_to_improve_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("outcome_on", sa.Date(), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "improvement_weeks BETWEEN 3 AND 6",
            name=op.f("ck_notices_to_improve_improvement_period"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_notices_to_improve_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_notices_to_improve_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_notices_to_improve_message_id_outbound_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices_to_improve")),
        sa.UniqueConstraint(
            "case_id",
            "carer_id",
            "issued_on",
            name=op.f("uq_notices_to_improve_case_id_carer_id_issued_on"),
        ),
    )
    op.create_index(
        op.f("ix_notices_to_improve_carer_id"), "notices_to_improve", ["carer_id"], unique=False
    )
    op.create_index(
        op.f("ix_notices_to_improve_case_id"), "notices_to_improve", ["case_id"], unique=False
    )
    op.create_table(
        "penalty_notices",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("pupil_subject_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column("alert_id", sa.Uuid(), nullable=True),
        sa.Column(
            "ground",
            sa.Enum(
                "irregular_attendance",
                "term_time_holiday",
                name="notice_ground",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("offence_from", sa.Date(), nullable=False),
        sa.Column("offence_to", sa.Date(), nullable=False),
        sa.Column("sequence", sa.SmallInteger(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column(
            "service_method",
            sa.Enum(
                "hand",
                "first_class_post",
                name="service_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("served_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("reduced_amount_pence", sa.Integer(), nullable=True),
        sa.Column("reduced_due_on", sa.Date(), nullable=True),
        sa.Column("full_amount_pence", sa.Integer(), nullable=False),
        sa.Column("full_due_on", sa.Date(), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "issued",
                "paid",
                "withdrawn",
                "unpaid",
                name="penalty_notice_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_amount_pence", sa.Integer(), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_on IS NOT NULL)",
            name=op.f("ck_penalty_notices_paid_has_date"),
        ),
        sa.CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_on IS NOT NULL)",
            name=op.f("ck_penalty_notices_withdrawn_has_date"),
        ),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)', 's35(2)(b)')",
            name=op.f("ck_penalty_notices_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "offence_to >= offence_from", name=op.f("ck_penalty_notices_offence_period_in_order")
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_penalty_notices_collected_for_a_purpose")
        ),
        sa.CheckConstraint(
            "served_on >= issued_on", name=op.f("ck_penalty_notices_served_after_issue")
        ),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["attendance_alerts.id"],
            name=op.f("fk_penalty_notices_alert_id_attendance_alerts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_penalty_notices_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_penalty_notices_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["outbound_messages.id"],
            name=op.f("fk_penalty_notices_message_id_outbound_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_penalty_notices_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_penalty_notices_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalty_notices")),
        sa.UniqueConstraint("reference", name=op.f("uq_penalty_notices_reference")),
    )
    op.create_index(
        op.f("ix_penalty_notices_alert_id"), "penalty_notices", ["alert_id"], unique=False
    )
    op.create_index(
        op.f("ix_penalty_notices_case_id"), "penalty_notices", ["case_id"], unique=False
    )
    op.create_index(
        "ix_penalty_notices_parent_child",
        "penalty_notices",
        ["carer_id", "pupil_id", "issued_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_penalty_notices_pupil_subject_id"),
        "penalty_notices",
        ["pupil_subject_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_penalty_notices_subject_id"), "penalty_notices", ["subject_id"], unique=False
    )
    op.create_index(
        "uq_penalty_notices_parent_child_period",
        "penalty_notices",
        ["carer_id", "pupil_id", "offence_from", "offence_to"],
        unique=True,
        sqlite_where=sa.text("status <> 'withdrawn'"),
        postgresql_where=sa.text("status <> 'withdrawn'"),
    )
    op.create_table(
        "school_attendance_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "regime",
            sa.Enum(
                "education_act_1996",
                "cwsa_2026",
                name="sao_regime",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "notice_served",
                "satisfied",
                "intention_served",
                "order_made",
                "revoked",
                "breached",
                name="sao_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notice_served_on", sa.Date(), nullable=False),
        sa.Column("notice_deadline", sa.Date(), nullable=False),
        sa.Column("intention_served_on", sa.Date(), nullable=True),
        sa.Column("intention_school_urn", sa.Integer(), nullable=True),
        sa.Column("intention_deadline", sa.Date(), nullable=True),
        sa.Column("parent_chosen_school_urn", sa.Integer(), nullable=True),
        sa.Column("order_made_on", sa.Date(), nullable=True),
        sa.Column("order_school_urn", sa.Integer(), nullable=True),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("amended_on", sa.Date(), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("revocation_reason", sa.String(length=500), nullable=True),
        sa.Column("breached_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "notice_deadline >= notice_served_on",
            name=op.f("ck_school_attendance_orders_notice_period"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_school_attendance_orders_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_school_attendance_orders_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intention_school_urn"],
            ["schools.urn"],
            name=op.f("fk_school_attendance_orders_intention_school_urn_schools"),
        ),
        sa.ForeignKeyConstraint(
            ["order_school_urn"],
            ["schools.urn"],
            name=op.f("fk_school_attendance_orders_order_school_urn_schools"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_chosen_school_urn"],
            ["schools.urn"],
            name=op.f("fk_school_attendance_orders_parent_chosen_school_urn_schools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_attendance_orders")),
    )
    op.create_index(
        op.f("ix_school_attendance_orders_carer_id"),
        "school_attendance_orders",
        ["carer_id"],
        unique=False,
    )
    op.create_index(
        "ix_school_attendance_orders_case",
        "school_attendance_orders",
        ["case_id", "notice_served_on"],
        unique=False,
    )
    op.create_table(
        "prosecutions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
        sa.Column(
            "offence",
            sa.Enum(
                "s444(1)",
                "s444(1A)",
                "s443",
                name="offence",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("offence_from", sa.Date(), nullable=False),
        sa.Column("offence_to", sa.Date(), nullable=False),
        sa.Column("penalty_notice_id", sa.Uuid(), nullable=True),
        sa.Column("lay_by", sa.Date(), nullable=False),
        sa.Column("evidence", JSON_DOCUMENT, nullable=False),
        sa.Column("witness_statement", JSON_DOCUMENT, nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "preparing",
                "laid",
                "concluded",
                "withdrawn",
                name="prosecution_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("laid_on", sa.Date(), nullable=True),
        sa.Column("court", sa.String(length=200), nullable=True),
        sa.Column("hearing_on", sa.Date(), nullable=True),
        sa.Column("disclosure_id", sa.Uuid(), nullable=True),
        sa.Column("outcome", sa.String(length=500), nullable=True),
        sa.Column("concluded_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "offence_to >= offence_from", name=op.f("ck_prosecutions_offence_period_in_order")
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_prosecutions_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_prosecutions_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosures.id"],
            name=op.f("fk_prosecutions_disclosure_id_disclosures"),
        ),
        sa.ForeignKeyConstraint(
            ["penalty_notice_id"],
            ["penalty_notices.id"],
            name=op.f("fk_prosecutions_penalty_notice_id_penalty_notices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prosecutions")),
    )
    op.create_index(op.f("ix_prosecutions_carer_id"), "prosecutions", ["carer_id"], unique=False)
    op.create_index("ix_prosecutions_case", "prosecutions", ["case_id"], unique=False)
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_id", sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbound_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_messages_case_id_cases"),
            "cases",
            ["case_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_outbound_messages_case_id_cases"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbound_messages_case_id"))
        batch_op.drop_column("case_id")
    op.drop_table("prosecutions")
    op.drop_table("school_attendance_orders")
    op.drop_table("penalty_notices")
    op.drop_table("notices_to_improve")
    op.drop_table("exclusions")
    op.drop_table("case_parties")
    op.drop_table("case_meetings")
    op.drop_table("case_events")
    op.drop_table("case_documents")
    op.drop_table("attendance_contracts")
    op.drop_table("cases")
