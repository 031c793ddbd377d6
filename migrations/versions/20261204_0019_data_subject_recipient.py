"""the data subject as a recipient: a released access bundle is written in the disclosure log
like every other release of personal data outside KPAS

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04

A subject access request is answered by releasing the person's data to them, or to the parent,
carer or representative who asked for them (UK GDPR Art 15; DPA 2018 s45). The disclosure log
records that release with the SHA-256 of the bundle, so it needs a recipient: a new kind,
``data_subject``, and one recipient of that kind, seeded with a stable id as the notice's
recipients were (migration 0003).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND_CHECK = "ck_recipients_recipient_kind"
KINDS = (
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
DATA_SUBJECT = "data_subject"

#: As migration 0003: recipient ids are uuid5(RECIPIENT_NAMESPACE, code).
RECIPIENT_NAMESPACE = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
CODE = "data-subject"


def _kind_check(kinds: Sequence[str]) -> str:
    return "kind IN (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def upgrade() -> None:
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(KIND_CHECK), sa.text(_kind_check((*KINDS, DATA_SUBJECT)))
        )
    recipients = sa.table(
        "recipients",
        sa.column("id", sa.Uuid()),
        sa.column("code", sa.String()),
        sa.column("name", sa.String()),
        sa.column("kind", sa.String()),
        sa.column("notice_wording", sa.String()),
        sa.column("active", sa.Boolean()),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer()),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        recipients,
        [
            {
                "id": uuid.uuid5(RECIPIENT_NAMESPACE, CODE),
                "code": CODE,
                "name": "The data subject, or the person who asked for their information",
                "kind": DATA_SUBJECT,
                "notice_wording": "your right of access: a copy of your information, given to "
                "you or to the person you authorised to ask for it",
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        ],
    )


def downgrade() -> None:
    # Refused (by the foreign key) while any release to a data subject is in the disclosure
    # log: the log is never rewritten to undo a migration.
    op.execute(sa.text("DELETE FROM recipients WHERE code = :code").bindparams(code=CODE))
    with op.batch_alter_table("recipients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CHECK), sa.text(_kind_check(KINDS)))
