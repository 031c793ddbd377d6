"""The retention registry, legal holds, sweeps and destruction records (UK GDPR Art 5(1)(e),
Art 5(2); the KPAS privacy notice, "How long we keep your information").

- ``RetentionPolicy``: one row per record type of the schedule (``app.rules.retention_schedule``)
  as it stands now; every change is a new ``RetentionPolicyVersion`` (the history is kept whole).
- ``LegalHold``: information governance stops destruction of a person's records (or of a
  case's) while proceedings, a subject request or a breach investigation need them.
- ``RetentionRun``: one sweep (or dry run): when, as of which day, with which grace period, what
  it found and what it did.
- ``RetentionDestruction``: one per destroyed data subject, and one per transaction of records
  destroyed by their own age (subject requests, complaints, breaches, disclosures, messages,
  the audit trail's subject index): what was destroyed (counts per record type), when, under
  which policy versions. Ids and counts only: no personal data.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum
from app.rules.retention_schedule import RetentionAction, RetentionStart


class RetentionPolicy(Timestamped, Versioned, Base):
    """The current rule for one record type; ``version`` is the registry version in force."""

    __tablename__ = "retention_policies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    record_type: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text)
    starts: Mapped[RetentionStart] = mapped_column(text_enum(RetentionStart, "retention_start"))
    years: Mapped[int] = mapped_column(Integer)
    action: Mapped[RetentionAction] = mapped_column(text_enum(RetentionAction, "retention_action"))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(255))
    change_reason: Mapped[str] = mapped_column(Text)


class RetentionPolicyVersion(Base):
    """One version of a record type's rule, as it was from ``changed_at``."""

    __tablename__ = "retention_policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    policy_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("retention_policies.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    starts: Mapped[RetentionStart] = mapped_column(text_enum(RetentionStart, "retention_start"))
    years: Mapped[int] = mapped_column(Integer)
    action: Mapped[RetentionAction] = mapped_column(text_enum(RetentionAction, "retention_action"))
    reason: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime]
    change_reason: Mapped[str] = mapped_column(Text)


class LegalHoldKind(StrEnum):
    #: Ongoing or expected legal proceedings (a claim, a prosecution, a tribunal).
    PROCEEDINGS = "proceedings"
    #: A subject request that needs the records to be answered.
    SUBJECT_REQUEST = "subject_request"
    #: A personal data breach under investigation.
    BREACH_INVESTIGATION = "breach_investigation"


class LegalHold(Timestamped, Versioned, Base):
    """A hold on a data subject's records, or on a case's (its subject and the people party to
    it): nothing of theirs is destroyed while it is live (``lifted_at`` empty)."""

    __tablename__ = "legal_holds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[LegalHoldKind] = mapped_column(text_enum(LegalHoldKind, "legal_hold_kind"))
    #: The data subject held (for a case hold, the case's own subject).
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id", ondelete="RESTRICT"), index=True
    )
    #: The case held, where the hold is on a case (kept as an id: the hold outlives the case).
    case_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: Why: the proceedings, request or breach, by reference (no personal data).
    reason: Mapped[str] = mapped_column(String(500))
    #: A reference to what the hold is for (a court or ICO reference, a request reference).
    reference: Mapped[str | None] = mapped_column(String(100))
    placed_by: Mapped[str] = mapped_column(String(255))
    placed_at: Mapped[datetime]
    lifted_at: Mapped[datetime | None] = mapped_column(index=True)
    lifted_by: Mapped[str | None] = mapped_column(String(255))
    lift_reason: Mapped[str | None] = mapped_column(String(500))


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"


class RetentionRun(Timestamped, Base):
    """One sweep or dry run. A run that stopped part-way stays ``running``; the next run
    finishes its work (each subject's destruction is one transaction)."""

    __tablename__ = "retention_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dry_run: Mapped[bool]
    status: Mapped[RunStatus] = mapped_column(text_enum(RunStatus, "retention_run_status"))
    #: The day the sweep counted from (records past retention before ``as_of - grace_days``).
    as_of: Mapped[date]
    grace_days: Mapped[int] = mapped_column(Integer)
    started_by: Mapped[str] = mapped_column(String(255))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    #: Subjects past retention on ``as_of`` (inaccessible), past it by more than the grace
    #: period (due), held by a legal hold, and destroyed by this run.
    past_retention: Mapped[int] = mapped_column(Integer, default=0)
    due: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    destroyed: Mapped[int] = mapped_column(Integer, default=0)
    #: Registry versions in force, by record type.
    policy_versions: Mapped[dict[str, Any]]
    #: Rows that go (dry run) or went, by record type.
    counts: Mapped[dict[str, Any]]
    #: Records swept by their own age, by record type: ``{"due": n, "held": n, "destroyed":
    #: n}`` (a dry run: destroyed is what would be).
    records: Mapped[dict[str, Any] | None]
    #: A dry run: the ids of the subjects that would be destroyed (ids only).
    subject_ids: Mapped[dict[str, Any] | None]


class RetentionDestruction(Base):
    """What was destroyed for one data subject, or for a batch of records of one record type
    destroyed by their own age (``record_type`` set, ``subject_id`` empty). Ids, counts and
    codes only."""

    __tablename__ = "retention_destructions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The destroyed subject's id (their data-subject row stays as an empty tombstone); empty
    #: for records destroyed by their own age.
    subject_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    run_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    subject_kind: Mapped[str | None] = mapped_column(String(32))
    retain_until: Mapped[date | None]
    #: Records destroyed by their own age: their record type (``subject_request``,
    #: ``complaint``, ``breach``, ``disclosure``, ``outbound_message``, ``audit_event``) ...
    record_type: Mapped[str | None] = mapped_column(String(40), index=True)
    #: ... the ids of the records deleted or anonymised (for ``audit_event``, none: the
    #: events stay whole) ...
    record_ids: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: ... and, for ``audit_event``, the last event (by ``seq``) whose subject index rows were
    #: removed: verification accepts index rows missing for events up to it.
    through_seq: Mapped[int | None] = mapped_column(BigInteger)
    destroyed_at: Mapped[datetime]
    #: Registry versions the destruction was under, by record type.
    policy_versions: Mapped[dict[str, Any]]
    #: Rows deleted or anonymised, by table, and ``record_types`` by record type.
    counts: Mapped[dict[str, Any]]
    #: The subject's document key was destroyed (their documents crypto-shredded).
    key_destroyed: Mapped[bool]
