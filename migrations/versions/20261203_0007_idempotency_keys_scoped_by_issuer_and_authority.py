"""idempotency keys scoped by issuer and subject, with the authority that made the response

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

A remembered response is a cache of at most ``KPAS_IDEMPOTENCY_TTL_HOURS``. The records written
before this revision say neither which issuer vouched for the caller nor what the caller was
allowed to see, so none of them can be replayed safely: the table is rebuilt empty rather than
altered. A client repeating a request across the upgrade has its request run again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _drop_idempotency_records() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_records_expires_at"))
    op.drop_table("idempotency_records")


def _create_expires_at_index() -> None:
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_records_expires_at"), ["expires_at"], unique=False
        )


def upgrade() -> None:
    _drop_idempotency_records()
    op.create_table(
        "idempotency_records",
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("authority_hash", sa.String(length=64), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", JSON_DOCUMENT, nullable=False),
        sa.Column("response_headers", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "subject", "key", name=op.f("pk_idempotency_records")),
    )
    _create_expires_at_index()


def downgrade() -> None:
    _drop_idempotency_records()
    op.create_table(
        "idempotency_records",
        sa.Column("caller", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", JSON_DOCUMENT, nullable=False),
        sa.Column("response_headers", JSON_DOCUMENT, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller", "key", name=op.f("pk_idempotency_records")),
    )
    _create_expires_at_index()
