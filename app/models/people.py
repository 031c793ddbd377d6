"""Pupils, their school enrolments, parents and carers, and the special category data held
about pupils apart from their ordinary record (UK GDPR Art 9).

Every table that holds personal data mixes in ``PersonalRecord``: a row names its data subject
(whose restriction, objections and retention the policy layer applies), the purposes it was
collected for and its Article 6 basis.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    EncryptedContent,
    JSONDocument,
    Timestamped,
    Versioned,
    text_enum,
    utcnow,
)
from app.models.schools import School
from app.models.subjects import PersonalRecord


class Gender(StrEnum):
    """Gender as school census returns record it (CBDS: F, M, and not known)."""

    FEMALE = "female"
    MALE = "male"
    NOT_KNOWN = "not_known"


class EnrolmentSource(StrEnum):
    ROLL = "roll"  # a school information system's roll push
    MANUAL = "manual"  # entered by staff


class RelationshipType(StrEnum):
    """A carer's relationship to a pupil (CBDS relationship codes, in words)."""

    MOTHER = "mother"
    FATHER = "father"
    STEP_PARENT = "step_parent"
    PARENTS_PARTNER = "parents_partner"
    GRANDPARENT = "grandparent"
    OTHER_RELATIVE = "other_relative"
    FOSTER_CARER = "foster_carer"
    GUARDIAN = "guardian"
    SOCIAL_WORKER = "social_worker"
    OTHER = "other"


class SensitiveCategory(StrEnum):
    """Kinds of special category data held about a pupil (UK GDPR Art 9)."""

    ETHNICITY = "ethnicity"
    HEALTH = "health"
    SEND = "send"
    SOCIAL_CARE = "social_care"


class DocumentKind(StrEnum):
    PASSPORT = "passport"
    BIRTH_CERTIFICATE = "birth_certificate"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_PERMIT = "residence_permit"
    OTHER_IDENTIFICATION = "other_identification"
    PHOTOGRAPH = "photograph"


class DuplicateReason(StrEnum):
    SAME_UPN = "same_upn"
    SAME_NAME_BIRTH_DATE_POSTCODE = "same_name_birth_date_postcode"
    SAME_NAME_AND_CONTACT = "same_name_and_contact"
    #: Two people on licences with the same legal names and date of birth (a child's date of
    #: birth is always held; their address often is not).
    SAME_NAME_AND_BIRTH_DATE = "same_name_and_birth_date"
    #: A school's roll sent a UPN KPAS holds with a legal name or date of birth that does not
    #: match the record: the school's row was kept as a record of its own.
    ROLL_IDENTITY_UNCONFIRMED = "roll_identity_unconfirmed"
    #: A school's roll sent a UPN, legal names and date of birth matching a record KPAS
    #: holds that could not join its roll: the pupil is on another school's roll (dual
    #: registration, or a move not yet recorded there), or their record may not be changed at
    #: present. The school's row was kept as a record of its own.
    ROLL_IDENTITY_MATCHED = "roll_identity_matched"


class DuplicateStatus(StrEnum):
    OPEN = "open"
    MERGED = "merged"
    NOT_DUPLICATE = "not_duplicate"


class PersonKind(StrEnum):
    PUPIL = "pupil"
    CARER = "carer"
    #: Someone on a licence who is not a pupil on a Kent roll (``app.models.licences.Person``).
    PERSON = "person"


#: Name keys compare byte-wise on PostgreSQL (``COLLATE "C"``), so the prefix range
#: ``key >= 'smi' AND key < 'smj'`` matches exactly what starts with "smi" and uses the index,
#: whatever the database's default collation. SQLite compares byte-wise already.
NameKey = String(100).with_variant(String(100, collation="C"), "postgresql")


class Contactable:
    """Address and contact fields shared by pupils and carers."""

    #: Address lines without the postcode (1 to 6 lines).
    address_lines: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: UK postcode in its normal form ("ME14 1XQ").
    postcode: Mapped[str | None] = mapped_column(String(8))
    #: E.164 ("+447700900123").
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))


class Pupil(PersonalRecord, Contactable, Timestamped, Versioned, Base):
    __tablename__ = "pupils"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        Index("ix_pupils_name_keys", "surname_key", "forename_key"),
        Index("ix_pupils_duplicate_keys", "surname_key", "forename_key", "date_of_birth"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: Unique Pupil Number, check letter validated (``app.rules.upn``). Not unique here:
    #: two records with the same UPN are flagged as possible duplicates for a person to merge.
    upn: Mapped[str | None] = mapped_column(String(13), index=True)
    legal_forename: Mapped[str] = mapped_column(String(100))
    legal_middle_names: Mapped[str | None] = mapped_column(String(200))
    legal_surname: Mapped[str] = mapped_column(String(100))
    preferred_forename: Mapped[str | None] = mapped_column(String(100))
    preferred_surname: Mapped[str | None] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[Gender] = mapped_column(text_enum(Gender, "gender"))
    #: Search keys: legal names folded to lower-case ASCII (``app.rules.names.name_key``).
    surname_key: Mapped[str] = mapped_column(NameKey)
    forename_key: Mapped[str] = mapped_column(NameKey)
    #: Set when this record was merged into another; both histories are kept.
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pupils.id"))

    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="pupil", lazy="raise", order_by="Enrolment.on_roll_from"
    )

    # Where the pupil is on roll now, as the policy layer's conditions read it (needs the
    # enrolments, and for teams and districts their schools, loaded).

    @property
    def current_enrolments(self) -> list[Enrolment]:
        return [e for e in self.enrolments if e.off_roll_on is None]

    @property
    def current_school_urns(self) -> frozenset[int]:
        return frozenset(e.school_urn for e in self.current_enrolments)

    @property
    def current_area_teams(self) -> frozenset[str]:
        return frozenset(e.school.area_team for e in self.current_enrolments)

    @property
    def current_districts(self) -> frozenset[str]:
        return frozenset(e.school.district for e in self.current_enrolments)


class Enrolment(Timestamped, Base):
    """A pupil on a school's roll from one date, and (once they leave) off it from another."""

    __tablename__ = "pupil_enrolments"
    __table_args__ = (
        CheckConstraint(
            "off_roll_on IS NULL OR off_roll_on >= on_roll_from", name="leaves_after_joining"
        ),
        Index("ix_pupil_enrolments_school_on_roll", "school_urn", "off_roll_on"),
        # At most one open enrolment per pupil and school.
        Index(
            "uq_pupil_enrolments_open",
            "pupil_id",
            "school_urn",
            unique=True,
            sqlite_where=text("off_roll_on IS NULL"),
            postgresql_where=text("off_roll_on IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"), index=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    on_roll_from: Mapped[date] = mapped_column(Date)
    off_roll_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[EnrolmentSource] = mapped_column(text_enum(EnrolmentSource, "enrolment_source"))

    pupil: Mapped[Pupil] = relationship(back_populates="enrolments", lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")


class Carer(PersonalRecord, Contactable, Timestamped, Versioned, Base):
    """A parent, guardian or carer of one or more pupils."""

    __tablename__ = "carers"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        Index("ix_carers_name_keys", "surname_key", "forename_key"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str | None] = mapped_column(String(20))
    forename: Mapped[str] = mapped_column(String(100))
    surname: Mapped[str] = mapped_column(String(100))
    surname_key: Mapped[str] = mapped_column(NameKey)
    forename_key: Mapped[str] = mapped_column(NameKey)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("carers.id"))

    relationships: Mapped[list[CarerRelationship]] = relationship(
        back_populates="carer", lazy="raise"
    )

    # The policy layer reaches a carer through their pupils (needs relationships, pupils,
    # enrolments and schools loaded).

    @property
    def school_urns(self) -> frozenset[int]:
        return frozenset().union(*(r.pupil.current_school_urns for r in self.relationships))

    @property
    def area_teams(self) -> frozenset[str]:
        return frozenset().union(*(r.pupil.current_area_teams for r in self.relationships))

    @property
    def districts(self) -> frozenset[str]:
        return frozenset().union(*(r.pupil.current_districts for r in self.relationships))


class CarerRelationship(Timestamped, Versioned, Base):
    """How a carer is related to a pupil. Penalty notices and prosecutions are per parent,
    per child, so parental responsibility is recorded here, per pupil."""

    __tablename__ = "pupil_carers"
    __table_args__ = (
        UniqueConstraint("pupil_id", "carer_id"),
        CheckConstraint(
            "contact_priority IS NULL OR contact_priority BETWEEN 1 AND 9",
            name="contact_priority_range",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"), index=True)
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"), index=True)
    relationship_type: Mapped[RelationshipType] = mapped_column(
        text_enum(RelationshipType, "relationship_type")
    )
    parental_responsibility: Mapped[bool] = mapped_column(Boolean)
    lives_with: Mapped[bool] = mapped_column(Boolean)
    #: 1 is contacted first; None when the school gave no order.
    contact_priority: Mapped[int | None] = mapped_column(SmallInteger)

    carer: Mapped[Carer] = relationship(back_populates="relationships", lazy="raise")
    pupil: Mapped[Pupil] = relationship(lazy="raise")


class SensitiveEntry(PersonalRecord, Timestamped, Versioned, Base):
    """One item of special category data about a pupil, with where it came from and the
    Article 9 condition it was recorded under."""

    __tablename__ = "pupil_sensitive_entries"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint(
            "valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from",
            name="ends_after_starts",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"), index=True)
    category: Mapped[SensitiveCategory] = mapped_column(
        text_enum(SensitiveCategory, "sensitive_category")
    )
    #: Category-specific fields, validated by ``app.schemas.sensitive``.
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Where the information came from (a school's census return, a health professional, ...).
    source: Mapped[str] = mapped_column(String(200))
    #: The Article 9(2) condition it was recorded under, e.g. "9(2)(g)".
    article9_condition: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(255))


class SubjectKey(Base):
    """A data subject's own data key, wrapped by the service's key-encryption key.

    Documents about the subject are encrypted with it (AES-256-GCM). Destroying it
    (``destroyed_at`` set, ``wrapped_key`` emptied) makes every copy of them unreadable:
    crypto-shredding, which is how retention destroys documents, backups included.
    """

    __tablename__ = "subject_keys"

    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id", ondelete="RESTRICT"), primary_key=True
    )
    #: Which key-encryption key wrapped this key (its id in the key ring).
    wrapping_key_id: Mapped[str] = mapped_column(String(64))
    wrapped_key: Mapped[bytes | None] = mapped_column(LargeBinary(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    destroyed_at: Mapped[datetime | None]


class PupilDocument(PersonalRecord, EncryptedContent, Timestamped, Base):
    """An identification document or passport-style photograph, encrypted at rest with the
    pupil's subject key. The media type is what the content is, sniffed on upload."""

    __tablename__ = "pupil_documents"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint("size_bytes > 0", name="not_empty"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(text_enum(DocumentKind, "document_kind"))
    source: Mapped[str] = mapped_column(String(200))
    article9_condition: Mapped[str] = mapped_column(String(20))


class PossibleDuplicate(Base):
    """Two records that may be the same person, for a person to resolve (ids only)."""

    __tablename__ = "possible_duplicates"
    __table_args__ = (
        UniqueConstraint("kind", "first_id", "second_id"),
        CheckConstraint("first_id <> second_id", name="two_records"),
        Index("ix_possible_duplicates_status_detected", "status", "detected_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[PersonKind] = mapped_column(text_enum(PersonKind, "person_kind"))
    #: The two record ids, in ascending order so a pair is stored once.
    first_id: Mapped[uuid.UUID] = mapped_column(index=True)
    second_id: Mapped[uuid.UUID] = mapped_column(index=True)
    reason: Mapped[DuplicateReason] = mapped_column(text_enum(DuplicateReason, "duplicate_reason"))
    status: Mapped[DuplicateStatus] = mapped_column(
        text_enum(DuplicateStatus, "duplicate_status"), default=DuplicateStatus.OPEN
    )
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(255))
    #: After a merge: the record that remains.
    survivor_id: Mapped[uuid.UUID | None]
