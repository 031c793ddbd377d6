"""The audit trail: append-only events in a SHA-256 hash chain.

Events carry ids and codes only, never personal data. ``seq`` is assigned under the chain
lock, so it has no gaps: a missing number is a deleted event.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONDocument

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_subject_seq", "subject_id", "seq"),
        Index("ix_audit_events_actor_seq", "actor", "seq"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        # "Every access to this record" and a school's roll-push history: one index range each,
        # newest first, however long the trail grows.
        Index("ix_audit_events_resource_seq", "resource_id", "seq"),
        Index("ix_audit_events_action_seq", "action", "seq"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: Indexed, not unique: on PostgreSQL the table is partitioned by ``seq``
    #: (``app.repositories.partitions``), and a unique constraint there must hold ``seq``. A
    #: random UUID minted per event; a copied event is found by verification (its ``seq``).
    id: Mapped[uuid.UUID] = mapped_column(index=True, default=uuid.uuid4)
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))  # "decision" or "change"
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(10))  # allow / deny for decisions
    decision_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    rule: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(String(60), index=True)
    basis: Mapped[str | None] = mapped_column(String(60))
    actor: Mapped[str | None] = mapped_column(String(255))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    resource_type: Mapped[str | None] = mapped_column(String(60))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    subject_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: Not a unique constraint, for the same reason: it covers ``seq`` and the previous hash,
    #: so a repeated hash breaks the chain, which verification reports.
    hash: Mapped[str] = mapped_column(String(64))


class AuditEventPending(Base):
    """Events sealed by a PostgreSQL transaction that has not committed yet.

    A deferred constraint trigger (migration 0002) moves each row into ``audit_events`` inside
    COMMIT, linking it to the chain head there, so the head lock is held for the commit alone
    and never across a round trip to the application. Empty between transactions (and
    unlogged on PostgreSQL for that reason); unused on SQLite, whose single writer lets the
    application link events itself.
    """

    __tablename__ = "audit_events_pending"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str | None] = mapped_column(String(10))
    decision_id: Mapped[uuid.UUID | None]
    rule: Mapped[str | None] = mapped_column(String(100))
    purpose: Mapped[str | None] = mapped_column(String(60))
    basis: Mapped[str | None] = mapped_column(String(60))
    actor: Mapped[str | None] = mapped_column(String(255))
    actor_role: Mapped[str | None] = mapped_column(String(40))
    resource_type: Mapped[str | None] = mapped_column(String(60))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    subject_id: Mapped[uuid.UUID | None]
    request_id: Mapped[str | None] = mapped_column(String(128))
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: SHA-256 of the event's canonical content, computed by the application.
    digest: Mapped[str] = mapped_column(String(64))


class AuditEventSubject(Base):
    """Which data subjects an event touched: one row per (subject, event), written in the
    same transaction as the event, so "every access to subject S" is one index range.

    An index, not the record: the chained event carries the same ids (its ``subject_id``
    and the ``subject_ids`` detail), and verification checks the two agree. No foreign key:
    on PostgreSQL the event reaches ``audit_events`` only inside COMMIT.
    """

    __tablename__ = "audit_event_subjects"
    __table_args__ = (Index("ix_audit_event_subjects_event_id", "event_id"),)

    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class AuditChainHead(Base):
    """One row: the last sealed event. Locked while appending so the chain never forks."""

    __tablename__ = "audit_chain_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
