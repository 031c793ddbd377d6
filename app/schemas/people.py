"""Pupil, carer and possible-duplicate shapes for the API.

Output shapes are built from the ORM records explicitly, so the search keys and the
collected-for bookkeeping never reach a response by accident.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from app.models.people import (
    Carer,
    CarerRelationship,
    DuplicateReason,
    DuplicateStatus,
    Enrolment,
    EnrolmentSource,
    Gender,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    RelationshipType,
)
from app.rules.names import name_key
from app.rules.retention import pupil_retain_until
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    MergePatch,
    Output,
    Page,
    bounded,
)
from app.schemas.contact import (
    AddressLines,
    Email,
    MiddleNames,
    PersonName,
    Phone,
    Postcode,
    Upn,
)
from app.schemas.schools import URN

Title = Annotated[str, bounded(20), PRINTABLE, NOT_FORMULA]
ContactPriority = Annotated[
    int, Field(ge=1, le=9, description="1 is contacted first; 9 last.", examples=[1])
]


LONDON = ZoneInfo("Europe/London")


def _plausible_birth_date(value: date) -> date:
    """A pupil's date of birth: not in the future, and recent enough that the record is not
    already past its retention date (the 25th birthday)."""
    today = datetime.now(LONDON).date()
    if value > today:
        raise ValueError("a date of birth cannot be in the future")
    if pupil_retain_until(value) < today:
        raise ValueError("a pupil's record is kept only until their 25th birthday")
    return value


BirthDate = Annotated[CalendarDate, AfterValidator(_plausible_birth_date)]


def _searchable(value: str) -> str:
    if not name_key(value):
        raise ValueError("a name search needs at least one letter or digit")
    return value


NameSearch = Annotated[
    str,
    bounded(100),
    PRINTABLE,
    AfterValidator(_searchable),
    Field(
        description="The start of a surname, or a forename and the start of a surname "
        "(`Zoe Ok` finds Zoë O'Keeffe). Case and accents are ignored.",
    ),
]


class PeoplePatch(MergePatch):
    """A JSON merge patch (RFC 7396): the fields present change; ``null`` removes an optional
    field (those named in ``clearable``). Required fields cannot be removed."""

    clearable: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        # Nulls are checked per field (``_required_stays``) so the problem names the field.
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _required_stays(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.clearable:
            raise ValueError("this field cannot be removed")
        return value


# --- pupils ---------------------------------------------------------------------------------


class EnrolmentCreate(Input):
    school_urn: URN
    on_roll_from: CalendarDate


class PupilCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "upn": "W886450125001",
                    "legal_forename": "Ellie",
                    "legal_surname": "Marsh",
                    "date_of_birth": "2014-03-17",
                    "gender": "female",
                    "address_lines": ["12 Orchard Close", "Ashford"],
                    "postcode": "TN23 1AB",
                    "enrolment": {"school_urn": 990002, "on_roll_from": "2025-09-03"},
                }
            ]
        }
    )

    upn: Upn | None = None
    legal_forename: PersonName
    legal_middle_names: MiddleNames | None = None
    legal_surname: PersonName
    preferred_forename: PersonName | None = None
    preferred_surname: PersonName | None = None
    date_of_birth: BirthDate
    gender: Gender
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None
    enrolment: EnrolmentCreate = Field(description="The school the pupil is on roll at now.")


class PupilUpdate(PeoplePatch):
    clearable: ClassVar[frozenset[str]] = frozenset(
        {
            "upn",
            "legal_middle_names",
            "preferred_forename",
            "preferred_surname",
            "address_lines",
            "postcode",
            "phone",
            "email",
        }
    )

    upn: Upn | None = None
    legal_forename: PersonName | None = None
    legal_middle_names: MiddleNames | None = None
    legal_surname: PersonName | None = None
    preferred_forename: PersonName | None = None
    preferred_surname: PersonName | None = None
    date_of_birth: BirthDate | None = None
    gender: Gender | None = None
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class EnrolmentRead(Output):
    id: uuid.UUID
    school_urn: int
    school_name: str
    on_roll_from: date
    off_roll_on: date | None
    source: EnrolmentSource

    @classmethod
    def of(cls, enrolment: Enrolment) -> EnrolmentRead:
        return cls(
            id=enrolment.id,
            school_urn=enrolment.school_urn,
            school_name=enrolment.school.name,
            on_roll_from=enrolment.on_roll_from,
            off_roll_on=enrolment.off_roll_on,
            source=enrolment.source,
        )


class PupilRead(Output):
    id: uuid.UUID
    subject_id: uuid.UUID = Field(
        description="The data subject this record is about: the id the audit trail "
        "(`GET /v1/audit/events?subject_id=`) and subject access requests use."
    )
    upn: str | None
    legal_forename: str
    legal_middle_names: str | None
    legal_surname: str
    preferred_forename: str | None
    preferred_surname: str | None
    date_of_birth: date
    gender: Gender
    address_lines: list[str] | None
    postcode: str | None
    phone: str | None
    email: str | None
    enrolments: list[EnrolmentRead]
    retain_until: date | None = Field(
        description="The record is kept until the end of this day (the 25th birthday)."
    )
    merged_into_id: uuid.UUID | None = Field(
        description="Set when this record was merged into another; both are kept."
    )
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, pupil: Pupil, retain_until: date | None) -> PupilRead:
        return cls(
            id=pupil.id,
            subject_id=pupil.subject_id,
            upn=pupil.upn,
            legal_forename=pupil.legal_forename,
            legal_middle_names=pupil.legal_middle_names,
            legal_surname=pupil.legal_surname,
            preferred_forename=pupil.preferred_forename,
            preferred_surname=pupil.preferred_surname,
            date_of_birth=pupil.date_of_birth,
            gender=pupil.gender,
            address_lines=pupil.address_lines,
            postcode=pupil.postcode,
            phone=pupil.phone,
            email=pupil.email,
            enrolments=[EnrolmentRead.of(e) for e in pupil.enrolments],
            retain_until=retain_until,
            merged_into_id=pupil.merged_into_id,
            created_at=pupil.created_at,
            updated_at=pupil.updated_at,
        )


class PupilPage(Page[PupilRead]):
    pass


class PupilFilters(Input):
    """Query parameters of ``GET /v1/pupils``."""

    name: NameSearch | None = None
    upn: Upn | None = None
    school_urn: URN | None = Field(default=None, description="On this school's roll now.")
    date_of_birth: CalendarDate | None = None
    include_merged: bool = Field(default=False, description="Include records merged into another.")
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None


class PupilMerge(Input):
    duplicate_id: uuid.UUID = Field(description="The open possible duplicate naming both pupils.")
    merge_from: uuid.UUID = Field(
        description="The other pupil: its history moves to this one, and it is kept, marked "
        "as merged."
    )


# --- carers ---------------------------------------------------------------------------------


class CarerCreate(Input):
    title: Title | None = None
    forename: PersonName
    surname: PersonName
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class CarerUpdate(PeoplePatch):
    clearable: ClassVar[frozenset[str]] = frozenset(
        {"title", "address_lines", "postcode", "phone", "email"}
    )

    title: Title | None = None
    forename: PersonName | None = None
    surname: PersonName | None = None
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class CarerLink(Input):
    """Link a carer to a pupil: an existing carer (``carer_id``) or a new one (``carer``)."""

    carer_id: uuid.UUID | None = None
    carer: CarerCreate | None = None
    relationship_type: RelationshipType
    parental_responsibility: bool
    lives_with: bool
    contact_priority: ContactPriority | None = None


class RelationshipUpdate(PeoplePatch):
    clearable: ClassVar[frozenset[str]] = frozenset({"contact_priority"})

    relationship_type: RelationshipType | None = None
    parental_responsibility: bool | None = None
    lives_with: bool | None = None
    contact_priority: ContactPriority | None = None


class CarerSummary(Output):
    id: uuid.UUID
    subject_id: uuid.UUID = Field(
        description="The data subject this record is about: the id the audit trail "
        "(`GET /v1/audit/events?subject_id=`) and subject access requests use."
    )
    title: str | None
    forename: str
    surname: str
    address_lines: list[str] | None
    postcode: str | None
    phone: str | None
    email: str | None
    merged_into_id: uuid.UUID | None

    @classmethod
    def of(cls, carer: Carer) -> CarerSummary:
        return cls(
            id=carer.id,
            subject_id=carer.subject_id,
            title=carer.title,
            forename=carer.forename,
            surname=carer.surname,
            address_lines=carer.address_lines,
            postcode=carer.postcode,
            phone=carer.phone,
            email=carer.email,
            merged_into_id=carer.merged_into_id,
        )


class CarerPage(Page[CarerSummary]):
    pass


class PupilCarerRead(Output):
    """A carer of a pupil, and how they are related to that pupil."""

    pupil_id: uuid.UUID
    carer: CarerSummary
    relationship_type: RelationshipType
    parental_responsibility: bool
    lives_with: bool
    contact_priority: int | None

    @classmethod
    def of(cls, relationship: CarerRelationship) -> PupilCarerRead:
        return cls(
            pupil_id=relationship.pupil_id,
            carer=CarerSummary.of(relationship.carer),
            relationship_type=relationship.relationship_type,
            parental_responsibility=relationship.parental_responsibility,
            lives_with=relationship.lives_with,
            contact_priority=relationship.contact_priority,
        )


class PupilCarerList(Output):
    """A pupil's carers, first contact first (all of them: a pupil has few)."""

    items: list[PupilCarerRead]


class CarerPupilRead(Output):
    """A carer's relationship to one pupil."""

    pupil_id: uuid.UUID
    relationship_type: RelationshipType
    parental_responsibility: bool
    lives_with: bool
    contact_priority: int | None

    @classmethod
    def of(cls, relationship: CarerRelationship) -> CarerPupilRead:
        return cls(
            pupil_id=relationship.pupil_id,
            relationship_type=relationship.relationship_type,
            parental_responsibility=relationship.parental_responsibility,
            lives_with=relationship.lives_with,
            contact_priority=relationship.contact_priority,
        )


class CarerRead(CarerSummary):
    pupils: list[CarerPupilRead] = Field(
        description="Relationships to the pupils this caller may see (others are left out)."
    )
    retain_until: date | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of_visible(
        cls,
        carer: Carer,
        relationships: list[CarerRelationship],
        retain_until: date | None,
    ) -> CarerRead:
        return cls(
            **CarerSummary.of(carer).model_dump(),
            pupils=[CarerPupilRead.of(r) for r in relationships],
            retain_until=retain_until,
            created_at=carer.created_at,
            updated_at=carer.updated_at,
        )


class CarerFilters(Input):
    """Query parameters of ``GET /v1/carers``."""

    name: NameSearch | None = None
    include_merged: bool = Field(default=False, description="Include records merged into another.")
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None


# --- possible duplicates --------------------------------------------------------------------


class PossibleDuplicateRead(Output):
    id: uuid.UUID
    kind: PersonKind
    first_id: uuid.UUID
    second_id: uuid.UUID
    reason: DuplicateReason
    status: DuplicateStatus
    detected_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    survivor_id: uuid.UUID | None

    @classmethod
    def of(cls, duplicate: PossibleDuplicate) -> PossibleDuplicateRead:
        return cls.model_validate(duplicate)


class PossibleDuplicatePage(Page[PossibleDuplicateRead]):
    pass


class PossibleDuplicateFilters(Input):
    """Query parameters of ``GET /v1/possible-duplicates``."""

    status: DuplicateStatus | None = None
    kind: PersonKind | None = None
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None
