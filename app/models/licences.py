"""Children in employment and entertainment: work permits, performance licences and chaperone
approvals, the people on them who are not pupils on a Kent roll, and the productions children
perform in.

A licence is about one person, its data subject: the child a work permit or performance licence
is for (a pupil on a Kent roll, or a ``Person``), or the adult a chaperone approval is for. It is
collected for ``child_employment_licensing`` only; the one part of it the attendance side sees
is the ``LicensedAbsence`` a granted licence gives the child's Kent school, which that school
records in its register.

Every check of the rules (``app.rules.child_employment``, ``app.rules.child_performance``,
``app.rules.chaperones``) is stored on the licence as findings, so a decision is made on what
the officer saw, and a grant with a blocking finding is refused.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, EncryptedContent, JSONDocument, Timestamped, Versioned, text_enum
from app.models.people import Contactable, NameKey
from app.models.subjects import PersonalRecord


class PersonType(StrEnum):
    CHILD = "child"
    ADULT = "adult"


class ChildEducation(StrEnum):
    """Where a child who is not on a Kent roll is educated."""

    INDEPENDENT_SCHOOL = "independent_school"
    HOME_EDUCATED = "home_educated"
    SCHOOL_IN_ANOTHER_AREA = "school_in_another_area"
    OTHER = "other"


class Person(PersonalRecord, Contactable, Timestamped, Versioned, Base):
    """Someone on a licence who is not a pupil on a Kent roll: a child at an independent
    school, home educated or from another authority; an employer; a producer; a chaperone.
    Each has a data subject of their own (a child's records are kept until the 25th
    birthday)."""

    __tablename__ = "people"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        Index("ix_people_name_keys", "surname_key", "forename_key"),
        CheckConstraint(
            "person_type <> 'child' OR date_of_birth IS NOT NULL", name="child_has_birth_date"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    person_type: Mapped[PersonType] = mapped_column(text_enum(PersonType, "person_type"))
    legal_forename: Mapped[str] = mapped_column(String(100))
    legal_surname: Mapped[str] = mapped_column(String(100))
    surname_key: Mapped[str] = mapped_column(NameKey)
    forename_key: Mapped[str] = mapped_column(NameKey)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: The business or company an employer or producer acts for.
    organisation: Mapped[str | None] = mapped_column(String(200))
    #: A child's education outside Kent's rolls, and the school's name where there is one.
    education: Mapped[ChildEducation | None] = mapped_column(
        text_enum(ChildEducation, "child_education")
    )
    school_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(255))


class ProductionKind(StrEnum):
    THEATRE = "theatre"
    FILM = "film"
    TELEVISION = "television"
    RADIO = "radio"
    ADVERTISING = "advertising"
    MODELLING = "modelling"
    MUSIC = "music"
    SPORT = "sport"
    OTHER = "other"


class Production(Timestamped, Versioned, Base):
    """A performance, production or activity children take part in, and the facts that decide
    whether a licence is needed (CYPA 1963 s37(2), s37(3)). No personal data of its own: the
    producer is a ``Person``."""

    __tablename__ = "productions"
    __table_args__ = (Index("ix_productions_title", "title_key"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(String(200))
    title_key: Mapped[str] = mapped_column(NameKey)
    kind: Mapped[ProductionKind] = mapped_column(text_enum(ProductionKind, "production_kind"))
    company: Mapped[str] = mapped_column(String(200))
    producer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("people.id"), index=True)
    venue: Mapped[str] = mapped_column(String(300))
    charge_made: Mapped[bool] = mapped_column(Boolean)
    licensed_premises: Mapped[bool] = mapped_column(Boolean)
    broadcast_or_recorded: Mapped[bool] = mapped_column(Boolean)
    #: A Body of Persons Approval the production holds (s37(3)(b)): the granting authority's
    #: reference.
    body_of_persons_approval: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(255))


class LicenceKind(StrEnum):
    WORK_PERMIT = "work_permit"
    PERFORMANCE_LICENCE = "performance_licence"
    CHAPERONE_APPROVAL = "chaperone_approval"


class LicenceStatus(StrEnum):
    """Where an application is. ``expired`` is not stored: a granted licence past its
    ``expires_on`` reads as expired."""

    APPLIED = "applied"
    GRANTED = "granted"
    REFUSED = "refused"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class RevocationGround(StrEnum):
    """Why a licence was revoked (CYPA 1933 s18, CYPA 1963 s37(6) and the 2014 Regulations)."""

    UNLAWFUL_EMPLOYMENT = "unlawful_employment"
    HEALTH_WELFARE_OR_EDUCATION = "health_welfare_or_education"
    CONDITIONS_BREACHED = "conditions_breached"
    CHAPERONE_NO_LONGER_SUITABLE = "chaperone_no_longer_suitable"
    APPLICANT_REQUEST = "applicant_request"
    OTHER = "other"


class Licence(PersonalRecord, Timestamped, Versioned, Base):
    """An application and, once decided, the licence: a work permit, a performance licence or
    a chaperone approval."""

    __tablename__ = "licences"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint(
            "(pupil_id IS NULL) <> (person_id IS NULL)", name="for_a_pupil_or_a_person"
        ),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_starts"),
        Index("ix_licences_starts_on", "starts_on", "id"),
        Index("ix_licences_kind_status", "kind", "status", "starts_on"),
        Index("ix_licences_expiry", "kind", "status", "expires_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: Quoted on letters and calls; no personal data.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[LicenceKind] = mapped_column(text_enum(LicenceKind, "licence_kind"))
    status: Mapped[LicenceStatus] = mapped_column(text_enum(LicenceStatus, "licence_status"))
    #: Who it is for: a pupil on a Kent roll, or a person.
    pupil_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupils.id"), index=True)
    person_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    #: The holder's names and date of birth as the application gives them: the licensing
    #: team's own record (a pupil's roll record is collected for the attendance duty).
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    #: The holder's date of birth the checks used (a child's is required).
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    #: The parent or carer who applied with or for the child (told of the decision).
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    #: The child's Kent school, told of an approved absence.
    school_urn: Mapped[int | None] = mapped_column(ForeignKey("schools.urn"), index=True)
    employer_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("people.id"), index=True)
    production_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("productions.id"), index=True
    )
    #: A performance licence's chaperone: their approval.
    chaperone_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("licences.id"), index=True)
    received_on: Mapped[date] = mapped_column(Date)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Set on grant: the last day the licence is valid.
    expires_on: Mapped[date | None] = mapped_column(Date)
    #: What the application says, by kind (validated by ``app.schemas.licences``).
    particulars: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Health needs the child's chaperone or employer must know (special category data).
    health_needs: Mapped[str | None] = mapped_column(String(2000))
    #: The last check's findings (``app.rules.licensing.Finding.as_dict``).
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]
    decision_reasons: Mapped[str | None] = mapped_column(Text)
    #: The warnings the officer weighed in granting (rule ids).
    acknowledged: Mapped[list[str] | None] = mapped_column(JSONDocument)
    revoked_by: Mapped[str | None] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]
    revocation_ground: Mapped[RevocationGround | None] = mapped_column(
        text_enum(RevocationGround, "revocation_ground")
    )
    revocation_reasons: Mapped[str | None] = mapped_column(Text)
    #: A chaperone approval's expiry reminder was queued on this day.
    reminder_queued_on: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(255))

    days: Mapped[list[LicenceDay]] = relationship(
        lazy="raise",
        order_by="LicenceDay.on",
        cascade="all, delete-orphan",
        foreign_keys="LicenceDay.licence_id",
    )


class LicenceDay(Base):
    """One day of a performance licence's schedule. ``chaperone_id`` repeats the licence's
    chaperone so a chaperone's load across every licence is one indexed query."""

    __tablename__ = "licence_days"
    __table_args__ = (
        UniqueConstraint("licence_id", "on"),
        Index("ix_licence_days_chaperone_on", "chaperone_id", "on"),
        CheckConstraint("at_venue_until > at_venue_from", name="ends_after_starts"),
        CheckConstraint(
            "performing_minutes >= 0 AND longest_continuous_minutes >= 0 AND tutor_minutes >= 0",
            name="minutes_not_negative",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    licence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("licences.id", ondelete="CASCADE"))
    on: Mapped[date] = mapped_column(Date)
    at_venue_from: Mapped[time] = mapped_column(Time)
    at_venue_until: Mapped[time] = mapped_column(Time)
    performing_minutes: Mapped[int] = mapped_column(SmallInteger)
    longest_continuous_minutes: Mapped[int] = mapped_column(SmallInteger)
    school_day: Mapped[bool] = mapped_column(Boolean)
    absent_from_school: Mapped[bool] = mapped_column(Boolean)
    tutor_minutes: Mapped[int] = mapped_column(SmallInteger)
    chaperone_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("licences.id", ondelete="SET NULL")
    )
    #: The chaperone is also the child's tutor that day (at most 3 children then).
    chaperone_tutoring: Mapped[bool] = mapped_column(Boolean)


class LicenceDocumentKind(StrEnum):
    DBS_CERTIFICATE = "dbs_certificate"
    CONTRACT = "contract"
    SCHEDULE = "schedule"
    PHOTOGRAPH = "photograph"
    REFERENCE = "reference"
    TRAINING_CERTIFICATE = "training_certificate"
    OTHER = "other"


class LicenceDocument(PersonalRecord, EncryptedContent, Timestamped, Base):
    """A document on a licence (DBS evidence, a contract, the schedule, the photographs the
    regulations require), encrypted at rest with the holder's subject key."""

    __tablename__ = "licence_documents"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint("size_bytes > 0", name="not_empty"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    licence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("licences.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[LicenceDocumentKind] = mapped_column(
        text_enum(LicenceDocumentKind, "licence_document_kind")
    )
    title: Mapped[str] = mapped_column(String(200))


class LicensedAbsence(PersonalRecord, Timestamped, Base):
    """What a granted licence tells the child's Kent school: the school days the child is
    away under it, to record with code C1 (SI 2024/208 reg 10: leave for a regulated
    performance or regulated employment abroad). Collected for the attendance duty as well
    as licensing: it is the school's register entry's authority. Cancelled when the licence is
    revoked."""

    __tablename__ = "licensed_absences"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        Index("ix_licensed_absences_school", "school_urn", "first_day"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    licence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("licences.id", ondelete="CASCADE"), unique=True
    )
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"), index=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    #: The school days away, ISO dates in order.
    days: Mapped[list[str]] = mapped_column(JSONDocument)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    attendance_code: Mapped[str] = mapped_column(String(4))
    notified_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
