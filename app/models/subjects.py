"""Data subjects: the people whose personal data KPAS holds, and the states the policy layer
enforces on everything about them (UK GDPR Art 18 and Art 21, and the retention date).

Every personal-data record (a pupil, a carer, a licence applicant, ...) points at one
``DataSubject``. Subject rights and retention set the state here; the policy layer applies it
to every read and every list, so no route can forget it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.models.base import Base, Timestamped, Versioned, text_enum


class SubjectKind(StrEnum):
    PUPIL = "pupil"
    CARER = "carer"
    CHAPERONE = "chaperone"
    REQUESTER = "requester"
    OTHER = "other"


class ObjectionStatus(StrEnum):
    """An Art 21 objection (or a written notice to stop, DPA 2018 Sch 1 para 8(5)).

    - ``pending``: lodged, not yet decided. It suspends the purpose only where the subject also
      asked for restriction while it is decided (Art 18(1)(d), ``restrict_pending``).
    - ``upheld``: processing for the purpose stops, except what the legal obligation requires
      (``PurposeSpec.obligation_continues``).
    - ``rejected``: the objection does not apply (not processing on 6(1)(e)); nothing stops.
    - ``compelling_grounds``: information governance recorded compelling legitimate grounds
      that override the subject's interests (Art 21(1)); processing continues, with the reason
      recorded in ``outcome_reason``.
    """

    PENDING = "pending"
    UPHELD = "upheld"
    REJECTED = "rejected"
    COMPELLING_GROUNDS = "compelling_grounds"


class LegalClaimKind(StrEnum):
    #: A case at prosecution or School Attendance Order stage.
    CASE = "case"
    #: A legal hold placed by information governance.
    LEGAL_HOLD = "legal_hold"


class DataSubject(Timestamped, Versioned, Base):
    __tablename__ = "data_subjects"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[SubjectKind] = mapped_column(text_enum(SubjectKind, "subject_kind"))
    #: Art 18 restriction in force since this moment (None: not restricted).
    restricted_since: Mapped[datetime | None]
    #: Past this date the subject's records are visible only to retention management.
    retain_until: Mapped[date | None] = mapped_column(index=True)


class SubjectObjection(Timestamped, Base):
    __tablename__ = "subject_objections"
    __table_args__ = (UniqueConstraint("subject_id", "purpose"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(60))
    status: Mapped[ObjectionStatus] = mapped_column(text_enum(ObjectionStatus, "objection_status"))
    #: The subject also asked for processing to be restricted while the objection is decided
    #: (Art 18(1)(d)): only then does a pending objection suspend the purpose.
    restrict_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: Why information governance decided as it did (required for ``compelling_grounds``).
    outcome_reason: Mapped[str | None] = mapped_column(String(500))
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]


class SubjectLegalClaim(Timestamped, Base):
    """A live legal claim for one person (UK GDPR Art 18(2)): a case at prosecution or School
    Attendance Order stage, or a legal hold. Only while one is open may its purpose process the
    data of a restricted subject; naming the purpose is not enough. Casework opens and closes
    them."""

    __tablename__ = "subject_legal_claims"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id", ondelete="CASCADE"), index=True
    )
    #: The purpose the claim is pursued for (``prosecution``, ``school_attendance_order``, ...).
    purpose: Mapped[str] = mapped_column(String(60))
    kind: Mapped[LegalClaimKind] = mapped_column(text_enum(LegalClaimKind, "legal_claim_kind"))
    #: The case or hold it belongs to (an id, never personal data).
    reference: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class PersonalRecord:
    """Mixin for every table that holds personal data (UK GDPR Art 5(1)(b) and Art 6).

    A row names its data subject (whose restriction, objections and retention the policy
    layer applies to it), the purposes it was collected for (``purposes_mask``, bits from
    ``app.policies.registry.PURPOSE_BITS``) and its Article 6 basis. The database refuses a
    row without them, so no code path can store personal data without a lawful footing.
    """

    @declared_attr
    def subject_id(cls) -> Mapped[uuid.UUID]:  # noqa: N805 - a declared_attr
        return mapped_column(ForeignKey("data_subjects.id", ondelete="RESTRICT"), index=True)

    @declared_attr
    def subject(cls) -> Mapped[DataSubject]:  # noqa: N805 - a declared_attr
        # Also orders INSERTs: the subject is written before the record that names it.
        return relationship(DataSubject, lazy="raise")

    purposes_mask: Mapped[int]
    lawful_basis: Mapped[str] = mapped_column(String(40))

    @staticmethod
    def table_checks(*, law_enforcement: bool = False) -> tuple[CheckConstraint, ...]:
        """The checks every personal-data table carries; a table that declares its own
        ``__table_args__`` includes these. ``law_enforcement``: the table's records may also
        rest on DPA 2018 s35(2)(b) (Part 3 processing by a competent authority)."""
        bases = "'6(1)(c)', '6(1)(e)', '6(1)(c),6(1)(e)'"
        if law_enforcement:
            bases += ", 's35(2)(b)'"
        return (
            CheckConstraint("purposes_mask > 0", name="collected_for_a_purpose"),
            CheckConstraint(f"lawful_basis IN ({bases})", name="lawful_basis_known"),
        )

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:  # noqa: N805 - a declared_attr
        return PersonalRecord.table_checks()
