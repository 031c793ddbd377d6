"""pupils, enrolments, carers, special category data, documents, possible duplicates,
disclosures and inspection grants; sharing agreements gain a district scope

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
#: Byte-wise comparison on PostgreSQL, so prefix ranges on name keys are exact and indexed.
NAME_KEY = sa.String(length=100).with_variant(sa.String(100, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "possible_duplicates",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pupil",
                "carer",
                name="person_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("first_id", sa.Uuid(), nullable=False),
        sa.Column("second_id", sa.Uuid(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "same_upn",
                "same_name_birth_date_postcode",
                "same_name_and_contact",
                name="duplicate_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "merged",
                "not_duplicate",
                name="duplicate_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=255), nullable=True),
        sa.Column("survivor_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "first_id <> second_id", name=op.f("ck_possible_duplicates_two_records")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_possible_duplicates")),
        sa.UniqueConstraint(
            "kind",
            "first_id",
            "second_id",
            name=op.f("uq_possible_duplicates_kind_first_id_second_id"),
        ),
    )
    op.create_index(
        op.f("ix_possible_duplicates_first_id"), "possible_duplicates", ["first_id"], unique=False
    )
    op.create_index(
        op.f("ix_possible_duplicates_second_id"), "possible_duplicates", ["second_id"], unique=False
    )
    op.create_index(
        "ix_possible_duplicates_status_detected",
        "possible_duplicates",
        ["status", "detected_at"],
        unique=False,
    )
    op.create_table(
        "carers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=20), nullable=True),
        sa.Column("forename", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("surname_key", NAME_KEY, nullable=False),
        sa.Column("forename_key", NAME_KEY, nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("address_lines", JSON_DOCUMENT, nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_carers_lawful_basis_known"),
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_carers_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["carers.id"], name=op.f("fk_carers_merged_into_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_carers_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carers")),
    )
    op.create_index("ix_carers_name_keys", "carers", ["surname_key", "forename_key"], unique=False)
    op.create_index(op.f("ix_carers_subject_id"), "carers", ["subject_id"], unique=False)
    op.create_table(
        "inspection_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("inspector", sa.String(length=255), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("school_urns", JSON_DOCUMENT, nullable=False),
        sa.Column("data_categories", JSON_DOCUMENT, nullable=False),
        sa.Column("granted_by", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_inspection_grants_ends_after_starts")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_inspection_grants_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_grants")),
    )
    op.create_index(
        op.f("ix_inspection_grants_inspector"), "inspection_grants", ["inspector"], unique=False
    )
    op.create_index(
        op.f("ix_inspection_grants_recipient_id"),
        "inspection_grants",
        ["recipient_id"],
        unique=False,
    )
    op.create_table(
        "pupils",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("upn", sa.String(length=13), nullable=True),
        sa.Column("legal_forename", sa.String(length=100), nullable=False),
        sa.Column("legal_middle_names", sa.String(length=200), nullable=True),
        sa.Column("legal_surname", sa.String(length=100), nullable=False),
        sa.Column("preferred_forename", sa.String(length=100), nullable=True),
        sa.Column("preferred_surname", sa.String(length=100), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column(
            "gender",
            sa.Enum(
                "female",
                "male",
                "not_known",
                name="gender",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("surname_key", NAME_KEY, nullable=False),
        sa.Column("forename_key", NAME_KEY, nullable=False),
        sa.Column("merged_into_id", sa.Uuid(), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("address_lines", JSON_DOCUMENT, nullable=True),
        sa.Column("postcode", sa.String(length=8), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_pupils_lawful_basis_known"),
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_pupils_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["pupils.id"], name=op.f("fk_pupils_merged_into_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_pupils_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupils")),
    )
    op.create_index(
        "ix_pupils_duplicate_keys",
        "pupils",
        ["surname_key", "forename_key", "date_of_birth"],
        unique=False,
    )
    op.create_index("ix_pupils_name_keys", "pupils", ["surname_key", "forename_key"], unique=False)
    op.create_index(op.f("ix_pupils_subject_id"), "pupils", ["subject_id"], unique=False)
    op.create_index(op.f("ix_pupils_upn"), "pupils", ["upn"], unique=False)
    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("wrapping_key_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_subject_keys_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_keys")),
    )
    op.create_table(
        "disclosures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("inspection_grant_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=60), nullable=False),
        sa.Column("lawful_basis", sa.String(length=60), nullable=False),
        sa.Column("data_categories", JSON_DOCUMENT, nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "api",
                "secure_email",
                "secure_file_transfer",
                "post",
                "in_person",
                "telephone",
                "court_bundle",
                name="disclosure_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=255), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_reference", sa.String(length=100), nullable=True),
        sa.Column("resource_type", sa.String(length=60), nullable=True),
        sa.Column("resource_id", sa.String(length=100), nullable=True),
        sa.Column("decision_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "automatic OR approved_by IS NOT NULL",
            name=op.f("ck_disclosures_manual_releases_are_approved"),
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["sharing_agreements.id"],
            name=op.f("fk_disclosures_agreement_id_sharing_agreements"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_grant_id"],
            ["inspection_grants.id"],
            name=op.f("fk_disclosures_inspection_grant_id_inspection_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"], ["recipients.id"], name=op.f("fk_disclosures_recipient_id_recipients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
    )
    op.create_index(op.f("ix_disclosures_purpose"), "disclosures", ["purpose"], unique=False)
    op.create_index(
        "ix_disclosures_recipient_disclosed_at",
        "disclosures",
        ["recipient_id", "disclosed_at"],
        unique=False,
    )
    op.create_table(
        "pupil_carers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("carer_id", sa.Uuid(), nullable=False),
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
        sa.Column("lives_with", sa.Boolean(), nullable=False),
        sa.Column("contact_priority", sa.SmallInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "contact_priority IS NULL OR contact_priority BETWEEN 1 AND 9",
            name=op.f("ck_pupil_carers_contact_priority_range"),
        ),
        sa.ForeignKeyConstraint(
            ["carer_id"], ["carers.id"], name=op.f("fk_pupil_carers_carer_id_carers")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_carers_pupil_id_pupils")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_carers")),
        sa.UniqueConstraint("pupil_id", "carer_id", name=op.f("uq_pupil_carers_pupil_id_carer_id")),
    )
    op.create_index(op.f("ix_pupil_carers_carer_id"), "pupil_carers", ["carer_id"], unique=False)
    op.create_index(op.f("ix_pupil_carers_pupil_id"), "pupil_carers", ["pupil_id"], unique=False)
    op.create_table(
        "pupil_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "passport",
                "birth_certificate",
                "driving_licence",
                "residence_permit",
                "other_identification",
                "photograph",
                name="document_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.LargeBinary(length=12), nullable=False),
        sa.Column("ciphertext", sa.LargeBinary(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("article9_condition", sa.String(length=20), nullable=False),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_pupil_documents_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_pupil_documents_collected_for_a_purpose")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_pupil_documents_not_empty")),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_documents_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_pupil_documents_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_documents")),
    )
    op.create_index(
        op.f("ix_pupil_documents_pupil_id"), "pupil_documents", ["pupil_id"], unique=False
    )
    op.create_index(
        op.f("ix_pupil_documents_subject_id"), "pupil_documents", ["subject_id"], unique=False
    )
    op.create_table(
        "pupil_enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("on_roll_from", sa.Date(), nullable=False),
        sa.Column("off_roll_on", sa.Date(), nullable=True),
        sa.Column(
            "source",
            sa.Enum(
                "roll",
                "manual",
                name="enrolment_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "off_roll_on IS NULL OR off_roll_on >= on_roll_from",
            name=op.f("ck_pupil_enrolments_leaves_after_joining"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_enrolments_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_pupil_enrolments_school_urn_schools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_enrolments")),
    )
    op.create_index(
        op.f("ix_pupil_enrolments_pupil_id"), "pupil_enrolments", ["pupil_id"], unique=False
    )
    op.create_index(
        "ix_pupil_enrolments_school_on_roll",
        "pupil_enrolments",
        ["school_urn", "off_roll_on"],
        unique=False,
    )
    op.create_index(
        "uq_pupil_enrolments_open",
        "pupil_enrolments",
        ["pupil_id", "school_urn"],
        unique=True,
        sqlite_where=sa.text("off_roll_on IS NULL"),
        postgresql_where=sa.text("off_roll_on IS NULL"),
    )
    op.create_table(
        "pupil_sensitive_entries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "ethnicity",
                "health",
                "send",
                "social_care",
                name="sensitive_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("article9_condition", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_pupil_sensitive_entries_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_pupil_sensitive_entries_collected_for_a_purpose")
        ),
        sa.CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name=op.f("ck_pupil_sensitive_entries_ends_after_starts"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_pupil_sensitive_entries_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_pupil_sensitive_entries_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_sensitive_entries")),
    )
    op.create_index(
        op.f("ix_pupil_sensitive_entries_pupil_id"),
        "pupil_sensitive_entries",
        ["pupil_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_pupil_sensitive_entries_subject_id"),
        "pupil_sensitive_entries",
        ["subject_id"],
        unique=False,
    )
    op.create_table(
        "disclosure_subjects",
        sa.Column("disclosure_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["disclosure_id"],
            ["disclosures.id"],
            name=op.f("fk_disclosure_subjects_disclosure_id_disclosures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_disclosure_subjects_subject_id_data_subjects"),
        ),
        sa.PrimaryKeyConstraint("disclosure_id", "subject_id", name=op.f("pk_disclosure_subjects")),
    )
    op.create_index(
        op.f("ix_disclosure_subjects_subject_id"),
        "disclosure_subjects",
        ["subject_id"],
        unique=False,
    )
    # Existing agreements cover the whole county (an empty list), as before this revision.
    with op.batch_alter_table("sharing_agreements") as batch_op:
        batch_op.add_column(
            sa.Column("districts", JSON_DOCUMENT, nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("sharing_agreements") as batch_op:
        batch_op.alter_column("districts", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sharing_agreements") as batch_op:
        batch_op.drop_column("districts")
    op.drop_index(op.f("ix_disclosure_subjects_subject_id"), table_name="disclosure_subjects")
    op.drop_table("disclosure_subjects")
    op.drop_index(
        op.f("ix_pupil_sensitive_entries_subject_id"), table_name="pupil_sensitive_entries"
    )
    op.drop_index(op.f("ix_pupil_sensitive_entries_pupil_id"), table_name="pupil_sensitive_entries")
    op.drop_table("pupil_sensitive_entries")
    op.drop_index(
        "uq_pupil_enrolments_open",
        table_name="pupil_enrolments",
        sqlite_where=sa.text("off_roll_on IS NULL"),
        postgresql_where=sa.text("off_roll_on IS NULL"),
    )
    op.drop_index("ix_pupil_enrolments_school_on_roll", table_name="pupil_enrolments")
    op.drop_index(op.f("ix_pupil_enrolments_pupil_id"), table_name="pupil_enrolments")
    op.drop_table("pupil_enrolments")
    op.drop_index(op.f("ix_pupil_documents_subject_id"), table_name="pupil_documents")
    op.drop_index(op.f("ix_pupil_documents_pupil_id"), table_name="pupil_documents")
    op.drop_table("pupil_documents")
    op.drop_index(op.f("ix_pupil_carers_pupil_id"), table_name="pupil_carers")
    op.drop_index(op.f("ix_pupil_carers_carer_id"), table_name="pupil_carers")
    op.drop_table("pupil_carers")
    op.drop_index("ix_disclosures_recipient_disclosed_at", table_name="disclosures")
    op.drop_index(op.f("ix_disclosures_purpose"), table_name="disclosures")
    op.drop_table("disclosures")
    op.drop_table("subject_keys")
    op.drop_index(op.f("ix_pupils_upn"), table_name="pupils")
    op.drop_index(op.f("ix_pupils_subject_id"), table_name="pupils")
    op.drop_index("ix_pupils_name_keys", table_name="pupils")
    op.drop_index("ix_pupils_duplicate_keys", table_name="pupils")
    op.drop_table("pupils")
    op.drop_index(op.f("ix_inspection_grants_recipient_id"), table_name="inspection_grants")
    op.drop_index(op.f("ix_inspection_grants_inspector"), table_name="inspection_grants")
    op.drop_table("inspection_grants")
    op.drop_index(op.f("ix_carers_subject_id"), table_name="carers")
    op.drop_index("ix_carers_name_keys", table_name="carers")
    op.drop_table("carers")
    op.drop_index("ix_possible_duplicates_status_detected", table_name="possible_duplicates")
    op.drop_index(op.f("ix_possible_duplicates_second_id"), table_name="possible_duplicates")
    op.drop_index(op.f("ix_possible_duplicates_first_id"), table_name="possible_duplicates")
    op.drop_table("possible_duplicates")
