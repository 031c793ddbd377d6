"""indexes for the retention sweep: records found by when they were closed or made

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04

The sweep destroys subject requests, complaints and breaches some years after they were
closed, and anonymises disclosures and messages some years after they were made: each is a
range read on that time, daily, over tables that grow for as long as the service runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_subject_requests_closed_at", "subject_requests", "closed_at"),
    ("ix_complaints_closed_at", "complaints", "closed_at"),
    ("ix_breaches_closed_at", "breaches", "closed_at"),
    ("ix_disclosures_disclosed_at", "disclosures", "disclosed_at"),
    ("ix_outbound_messages_created_at", "outbound_messages", "created_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
