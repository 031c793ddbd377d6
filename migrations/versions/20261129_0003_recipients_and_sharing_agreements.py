"""recipients and sharing agreements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

#: Recipient ids are uuid5(RECIPIENT_NAMESPACE, code): the same in every database, forever.
RECIPIENT_NAMESPACE = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")

RECIPIENT_KINDS = (
    "school",
    "kcc_team",
    "specialist_service",
    "police",
    "commissioned_provider",
    "health",
    "processor",
    "inspectorate",
    "court",
    "law_enforcement_other",
)

#: Every recipient the privacy notice names ("Who we share your personal information with"):
#: (code, name, kind, the notice's wording).
NOTICE_RECIPIENTS: tuple[tuple[str, str, str, str], ...] = (
    ("schools", "Schools", "school", "schools"),
    (
        "kcc-children-young-people-teams",
        "KCC teams working to improve outcomes for children and young people",
        "kcc_team",
        "teams within KCC working to improve outcomes for children and young people",
    ),
    (
        "stls",
        "Specialist Teaching and Learning Service (STLS)",
        "specialist_service",
        "professionals from Specialist Teaching and Learning Service (STLS)",
    ),
    (
        "ess",
        "Education Safeguarding Service (ESS)",
        "specialist_service",
        "professionals from Education Safeguarding Service (ESS)",
    ),
    (
        "virtual-school-kent",
        "Virtual School Kent (VSK)",
        "specialist_service",
        "professionals from Virtual School Kent (VSK)",
    ),
    ("kent-police", "Kent Police", "police", "professionals from Kent Police"),
    (
        "the-education-people",
        "The Education People (School Improvement Service)",
        "commissioned_provider",
        "commissioned providers of local authority services, such as the School Improvement "
        "Service from The Education People (TEP)",
    ),
    (
        "nhs-kent-medway",
        "NHS bodies under the Kent and Medway Information Sharing Agreement",
        "health",
        "partner organisations signed up to the Kent and Medway Information Sharing Agreement "
        "where necessary, which may include medical professionals from the NHS",
    ),
    (
        "gov-uk-notify",
        "GOV.UK Notify",
        "processor",
        "the gov.uk Notify Service, which sends out postal correspondence and text messages on "
        "our behalf",
    ),
    (
        "ofsted",
        "Ofsted",
        "inspectorate",
        "Ofsted and His Majesty's Inspectorate of Probation (HMIP) in the event of a statutory "
        "local authority inspection",
    ),
    (
        "hmip",
        "His Majesty's Inspectorate of Probation (HMIP)",
        "inspectorate",
        "Ofsted and His Majesty's Inspectorate of Probation (HMIP) in the event of a statutory "
        "local authority inspection",
    ),
    (
        "hmcts",
        "HM Courts and Tribunals Service",
        "court",
        "His Majesty's Court and Tribunals Service",
    ),
    (
        "law-enforcement-other",
        "Law enforcement or other authorities where the law requires",
        "law_enforcement_other",
        "Law enforcement or other authorities if required by applicable law",
    ),
)


def recipient_id(code: str) -> uuid.UUID:
    return uuid.uuid5(RECIPIENT_NAMESPACE, code)


def upgrade() -> None:
    recipients = op.create_table(
        "recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *RECIPIENT_KINDS,
                name="recipient_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("notice_wording", sa.String(length=500), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipients")),
        sa.UniqueConstraint("code", name=op.f("uq_recipients_code")),
    )
    op.create_table(
        "sharing_agreements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("purposes", JSON_DOCUMENT, nullable=False),
        sa.Column("data_categories", JSON_DOCUMENT, nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on",
            name=op.f("ck_sharing_agreements_ends_after_starts"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_sharing_agreements_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sharing_agreements")),
    )
    with op.batch_alter_table("sharing_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sharing_agreements_recipient_id"), ["recipient_id"], unique=False
        )

    # The recipients the privacy notice names. Agreements are made by administrators.
    now = datetime.now(UTC)
    op.bulk_insert(
        recipients,
        [
            {
                "id": recipient_id(code),
                "code": code,
                "name": name,
                "kind": kind,
                "notice_wording": wording,
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for code, name, kind, wording in NOTICE_RECIPIENTS
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("sharing_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sharing_agreements_recipient_id"))

    op.drop_table("sharing_agreements")
    op.drop_table("recipients")
