"""licences: work permits, performance licences and chaperone approvals, their schedules,
documents and the absences they give schools; the people on them who are not pupils on a Kent
roll, and productions; person duplicates

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NAME_KEY = sa.String(length=100).with_variant(sa.String(length=100, collation="C"), "postgresql")
PERSON_KIND_CHECK = "ck_possible_duplicates_person_kind"
REASON_CHECK = "ck_possible_duplicates_duplicate_reason"
REASONS = (
    "same_upn",
    "same_name_birth_date_postcode",
    "same_name_and_contact",
    "roll_identity_unconfirmed",
    "roll_identity_matched",
)


def _person_kind_check(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _reason_check(reasons: Sequence[str]) -> str:
    return "reason IN (" + ", ".join(f"'{reason}'" for reason in reasons) + ")"


def upgrade() -> None:
    with op.batch_alter_table("possible_duplicates", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(PERSON_KIND_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(PERSON_KIND_CHECK), sa.text(_person_kind_check(("pupil", "carer", "person")))
        )
        batch_op.drop_constraint(op.f(REASON_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(REASON_CHECK), sa.text(_reason_check((*REASONS, "same_name_and_birth_date")))
        )
    op.create_table(
        "people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "person_type",
            sa.Enum(
                "child",
                "adult",
                name="person_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("legal_forename", sa.String(length=100), nullable=False),
        sa.Column("legal_surname", sa.String(length=100), nullable=False),
        sa.Column("surname_key", NAME_KEY, nullable=False),
        sa.Column("forename_key", NAME_KEY, nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("organisation", sa.String(length=200), nullable=True),
        sa.Column(
            "education",
            sa.Enum(
                "independent_school",
                "home_educated",
                "school_in_another_area",
                "other",
                name="child_education",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("school_name", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
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
            name=op.f("ck_people_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "person_type <> 'child' OR date_of_birth IS NOT NULL",
            name=op.f("ck_people_child_has_birth_date"),
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_people_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_people_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.create_index("ix_people_name_keys", ["surname_key", "forename_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_people_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "productions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("title_key", NAME_KEY, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "theatre",
                "film",
                "television",
                "radio",
                "advertising",
                "modelling",
                "music",
                "sport",
                "other",
                name="production_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("company", sa.String(length=200), nullable=False),
        sa.Column("producer_id", sa.Uuid(), nullable=False),
        sa.Column("venue", sa.String(length=300), nullable=False),
        sa.Column("charge_made", sa.Boolean(), nullable=False),
        sa.Column("licensed_premises", sa.Boolean(), nullable=False),
        sa.Column("broadcast_or_recorded", sa.Boolean(), nullable=False),
        sa.Column("body_of_persons_approval", sa.String(length=100), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_id"], ["people.id"], name=op.f("fk_productions_producer_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_productions")),
    )
    with op.batch_alter_table("productions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_productions_producer_id"), ["producer_id"], unique=False
        )
        batch_op.create_index("ix_productions_title", ["title_key"], unique=False)

    op.create_table(
        "licences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("reference", sa.String(length=20), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "work_permit",
                "performance_licence",
                "chaperone_approval",
                name="licence_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "applied",
                "granted",
                "refused",
                "revoked",
                "withdrawn",
                name="licence_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("pupil_id", sa.Uuid(), nullable=True),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("forename", sa.String(length=100), nullable=False),
        sa.Column("surname", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("school_urn", sa.Integer(), nullable=True),
        sa.Column("employer_id", sa.Uuid(), nullable=True),
        sa.Column("production_id", sa.Uuid(), nullable=True),
        sa.Column("chaperone_id", sa.Uuid(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("particulars", JSON_DOCUMENT, nullable=False),
        sa.Column("health_needs", sa.String(length=2000), nullable=True),
        sa.Column("findings", JSON_DOCUMENT, nullable=False),
        sa.Column("decided_by", sa.String(length=255), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reasons", sa.Text(), nullable=True),
        sa.Column("acknowledged", JSON_DOCUMENT, nullable=True),
        sa.Column("revoked_by", sa.String(length=255), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "revocation_ground",
            sa.Enum(
                "unlawful_employment",
                "health_welfare_or_education",
                "conditions_breached",
                "chaperone_no_longer_suitable",
                "applicant_request",
                "other",
                name="revocation_ground",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("revocation_reasons", sa.Text(), nullable=True),
        sa.Column("reminder_queued_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_licences_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "(pupil_id IS NULL) <> (person_id IS NULL)",
            name=op.f("ck_licences_for_a_pupil_or_a_person"),
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_licences_ends_after_starts")
        ),
        sa.CheckConstraint("purposes_mask > 0", name=op.f("ck_licences_collected_for_a_purpose")),
        sa.ForeignKeyConstraint(
            ["chaperone_id"], ["licences.id"], name=op.f("fk_licences_chaperone_id_licences")
        ),
        sa.ForeignKeyConstraint(
            ["employer_id"], ["people.id"], name=op.f("fk_licences_employer_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["people.id"], name=op.f("fk_licences_parent_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_licences_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["production_id"],
            ["productions.id"],
            name=op.f("fk_licences_production_id_productions"),
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_licences_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_licences_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_licences_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licences")),
        sa.UniqueConstraint("reference", name=op.f("uq_licences_reference")),
    )
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licences_chaperone_id"), ["chaperone_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licences_employer_id"), ["employer_id"], unique=False)
        batch_op.create_index("ix_licences_expiry", ["kind", "status", "expires_on"], unique=False)
        batch_op.create_index(
            "ix_licences_kind_status", ["kind", "status", "starts_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licences_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_licences_production_id"), ["production_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_licences_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_school_urn"), ["school_urn"], unique=False)
        batch_op.create_index("ix_licences_starts_on", ["starts_on", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_licences_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "licence_days",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("at_venue_from", sa.Time(), nullable=False),
        sa.Column("at_venue_until", sa.Time(), nullable=False),
        sa.Column("performing_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("longest_continuous_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("school_day", sa.Boolean(), nullable=False),
        sa.Column("absent_from_school", sa.Boolean(), nullable=False),
        sa.Column("tutor_minutes", sa.SmallInteger(), nullable=False),
        sa.Column("chaperone_id", sa.Uuid(), nullable=True),
        sa.Column("chaperone_tutoring", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "at_venue_until > at_venue_from", name=op.f("ck_licence_days_ends_after_starts")
        ),
        sa.CheckConstraint(
            "performing_minutes >= 0 AND longest_continuous_minutes >= 0 AND tutor_minutes >= 0",
            name=op.f("ck_licence_days_minutes_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["chaperone_id"],
            ["licences.id"],
            name=op.f("fk_licence_days_chaperone_id_licences"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licences.id"],
            name=op.f("fk_licence_days_licence_id_licences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_days")),
        sa.UniqueConstraint("licence_id", "on", name=op.f("uq_licence_days_licence_id_on")),
    )
    with op.batch_alter_table("licence_days", schema=None) as batch_op:
        batch_op.create_index("ix_licence_days_chaperone_on", ["chaperone_id", "on"], unique=False)

    op.create_table(
        "licence_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "dbs_certificate",
                "contract",
                "schedule",
                "photograph",
                "reference",
                "training_certificate",
                "other",
                name="licence_document_kind",
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
            name=op.f("ck_licence_documents_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_licence_documents_collected_for_a_purpose")
        ),
        sa.CheckConstraint("size_bytes > 0", name=op.f("ck_licence_documents_not_empty")),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licences.id"],
            name=op.f("fk_licence_documents_licence_id_licences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_licence_documents_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_documents")),
    )
    with op.batch_alter_table("licence_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licence_documents_licence_id"), ["licence_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_licence_documents_subject_id"), ["subject_id"], unique=False
        )

    op.create_table(
        "licensed_absences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("licence_id", sa.Uuid(), nullable=False),
        sa.Column("pupil_id", sa.Uuid(), nullable=False),
        sa.Column("school_urn", sa.Integer(), nullable=False),
        sa.Column("days", JSON_DOCUMENT, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("attendance_code", sa.String(length=4), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purposes_mask", sa.Integer(), nullable=False),
        sa.Column("lawful_basis", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lawful_basis IN ('6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)')",
            name=op.f("ck_licensed_absences_lawful_basis_known"),
        ),
        sa.CheckConstraint(
            "purposes_mask > 0", name=op.f("ck_licensed_absences_collected_for_a_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["licence_id"],
            ["licences.id"],
            name=op.f("fk_licensed_absences_licence_id_licences"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupils.id"], name=op.f("fk_licensed_absences_pupil_id_pupils")
        ),
        sa.ForeignKeyConstraint(
            ["school_urn"], ["schools.urn"], name=op.f("fk_licensed_absences_school_urn_schools")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["data_subjects.id"],
            name=op.f("fk_licensed_absences_subject_id_data_subjects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licensed_absences")),
        sa.UniqueConstraint("licence_id", name=op.f("uq_licensed_absences_licence_id")),
    )
    with op.batch_alter_table("licensed_absences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_licensed_absences_pupil_id"), ["pupil_id"], unique=False
        )
        batch_op.create_index(
            "ix_licensed_absences_school", ["school_urn", "first_day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_licensed_absences_subject_id"), ["subject_id"], unique=False
        )


def downgrade() -> None:
    op.execute("DELETE FROM possible_duplicates WHERE kind = 'person'")
    with op.batch_alter_table("possible_duplicates", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(PERSON_KIND_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(PERSON_KIND_CHECK), sa.text(_person_kind_check(("pupil", "carer")))
        )
        batch_op.drop_constraint(op.f(REASON_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(REASON_CHECK), sa.text(_reason_check(REASONS)))
    with op.batch_alter_table("licensed_absences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licensed_absences_subject_id"))
        batch_op.drop_index("ix_licensed_absences_school")
        batch_op.drop_index(batch_op.f("ix_licensed_absences_pupil_id"))

    op.drop_table("licensed_absences")
    with op.batch_alter_table("licence_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licence_documents_subject_id"))
        batch_op.drop_index(batch_op.f("ix_licence_documents_licence_id"))

    op.drop_table("licence_documents")
    with op.batch_alter_table("licence_days", schema=None) as batch_op:
        batch_op.drop_index("ix_licence_days_chaperone_on")

    op.drop_table("licence_days")
    with op.batch_alter_table("licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_licences_subject_id"))
        batch_op.drop_index("ix_licences_starts_on")
        batch_op.drop_index(batch_op.f("ix_licences_school_urn"))
        batch_op.drop_index(batch_op.f("ix_licences_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_licences_production_id"))
        batch_op.drop_index(batch_op.f("ix_licences_person_id"))
        batch_op.drop_index(batch_op.f("ix_licences_parent_id"))
        batch_op.drop_index("ix_licences_kind_status")
        batch_op.drop_index("ix_licences_expiry")
        batch_op.drop_index(batch_op.f("ix_licences_employer_id"))
        batch_op.drop_index(batch_op.f("ix_licences_chaperone_id"))

    op.drop_table("licences")
    with op.batch_alter_table("productions", schema=None) as batch_op:
        batch_op.drop_index("ix_productions_title")
        batch_op.drop_index(batch_op.f("ix_productions_producer_id"))

    op.drop_table("productions")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_subject_id"))
        batch_op.drop_index("ix_people_name_keys")

    op.drop_table("people")
