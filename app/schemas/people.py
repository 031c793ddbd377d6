"""Pupil, carer and possible-duplicate shapes for the API.

Output shapes are built from the ORM records explicitly, so the search keys and the
collected-for bookkeeping never reach a response by accident.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict

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
from app.rules.calendar import LONDON
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
    JsonBool,
    MergePatch,
    Output,
    Page,
    PastBirthDate,
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


def _within_retention(value: date) -> date:
    """Recent enough that a pupil's record is not already past its retention date (the 25th
    birthday)."""
    if pupil_retain_until(value) < datetime.now(LONDON).date():
        raise ValueError("a pupil's record is kept only until their 25th birthday")
    return value


#: A pupil's date of birth: not in the future, and within the retention period.
BirthDate = Annotated[PastBirthDate, AfterValidator(_within_retention)]


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


# --- examples -------------------------------------------------------------------------------
# The pupil shown is the common case: on one school's roll now, merged into no other record.

_PUPIL_ID = "3a58f793-11dc-43c5-b8ef-744610a81630"
_CARER_ID = "d7ccca9f-566b-4533-a139-42646984f1a8"
_ENROLMENT: JsonDict = {
    "id": "874309a5-3653-4c1c-b1f8-fc20a9670c59",
    "school_urn": 990105,
    "school_name": "Wrenfield Academy (synthetic)",
    "on_roll_from": "2023-09-04",
    "off_roll_on": None,
    "source": "roll",
}
_PUPIL: JsonDict = {
    "id": _PUPIL_ID,
    "subject_id": "543d3a6d-2ad2-476d-af9b-6027fc2c3525",
    "upn": "K999000026017",
    "legal_forename": "Isabella",
    "legal_middle_names": "Grace",
    "legal_surname": "Hollins",
    "preferred_forename": "Izzy",
    "preferred_surname": "Hollins-Reid",
    "date_of_birth": "2012-05-14",
    "gender": "female",
    "address_lines": ["17 Orchard Close", "Folkestone"],
    "postcode": "CT20 2QN",
    "phone": "+447700900318",
    "email": "izzy.hollins@example.org",
    "enrolments": [_ENROLMENT],
    "retain_until": "2037-05-14",
    "merged_into_id": None,
    "created_at": "2023-09-04T17:41:09Z",
    "updated_at": "2026-11-20T15:02:37Z",
}
_CARER: JsonDict = {
    "id": _CARER_ID,
    "subject_id": "b313062e-2edd-49f2-b86f-211ad3960555",
    "title": "Mrs",
    "forename": "Fatima",
    "surname": "Hollins",
    "address_lines": ["17 Orchard Close", "Folkestone"],
    "postcode": "CT20 2QN",
    "phone": "+447700900482",
    "email": "fatima.hollins@example.org",
    "merged_into_id": None,
}
_CARER_OF_PUPIL: JsonDict = {
    "pupil_id": _PUPIL_ID,
    "relationship_type": "mother",
    "parental_responsibility": True,
    "lives_with": True,
    "contact_priority": 1,
}
#: A pupil on a school's roll and the same child entered again with the same UPN, not yet
#: looked at: a pair the demo data holds.
_DUPLICATE: JsonDict = {
    "id": "18d133eb-a2eb-5899-ae87-80d91e6eaa20",
    "kind": "pupil",
    "first_id": "1666f5a9-9a5d-52f7-b269-a5739e92dbef",
    "second_id": "3c413c32-0c57-519b-9038-8ed7f735b7cf",
    "reason": "same_upn",
    "status": "open",
    "detected_at": "2026-11-20T15:02:38Z",
    "resolved_at": None,
    "resolved_by": None,
    "survivor_id": None,
}
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "Aa03QSjxxqdfT5GcbRmNhhG136W9WNUk6uUNBLpJlNcyzcvnTLt65YE"

# --- pupils ---------------------------------------------------------------------------------


class EnrolmentCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"school_urn": 990028, "on_roll_from": "2026-09-03"}]}
    )

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
                    "date_of_birth": "2017-03-17",
                    "gender": "female",
                    "address_lines": ["12 Orchard Close", "Canterbury"],
                    "postcode": "CT1 3AB",
                    "enrolment": {"school_urn": 990028, "on_roll_from": "2025-09-03"},
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"address_lines": ["3 Hopgarden Lane", "Canterbury"], "postcode": "CT2 7NA"}
            ]
        }
    )

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
    model_config = ConfigDict(json_schema_extra={"examples": [_ENROLMENT]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [_PUPIL]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PUPIL], "next_cursor": _NEXT}]}
    )


class PupilFilters(Input):
    """Query parameters of ``GET /v1/pupils``."""

    name: NameSearch | None = Field(default=None, examples=["Isla Till"])
    upn: Upn | None = Field(default=None, examples=["P999000026313"])
    school_urn: URN | None = Field(
        default=None, description="On this school's roll now.", examples=[990028]
    )
    date_of_birth: CalendarDate | None = Field(default=None, examples=["2016-09-29"])
    include_merged: bool = Field(
        default=False, description="Include records merged into another.", examples=[False]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class PupilMerge(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"duplicate_id": _DUPLICATE["id"], "merge_from": _DUPLICATE["second_id"]}]
        }
    )

    duplicate_id: uuid.UUID = Field(description="The open possible duplicate naming both pupils.")
    merge_from: uuid.UUID = Field(
        description="The other pupil: its history moves to this one, and it is kept, marked "
        "as merged."
    )


# --- carers ---------------------------------------------------------------------------------


class CarerCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "title": "Mrs",
                    "forename": "Fatima",
                    "surname": "Hollins",
                    "phone": "07700 900482",
                    "email": "fatima.hollins@example.org",
                }
            ]
        }
    )

    title: Title | None = None
    forename: PersonName
    surname: PersonName
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class CarerUpdate(PeoplePatch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "07700 900731"}]})

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

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "carer": {"forename": "Daniel", "surname": "Hollins", "phone": "07700 900615"},
                    "relationship_type": "father",
                    "parental_responsibility": True,
                    "lives_with": False,
                    "contact_priority": 2,
                },
                {
                    "carer_id": _CARER_ID,
                    "relationship_type": "mother",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                },
            ]
        }
    )

    carer_id: uuid.UUID | None = None
    carer: CarerCreate | None = None
    relationship_type: RelationshipType
    parental_responsibility: JsonBool
    lives_with: JsonBool
    contact_priority: ContactPriority | None = None


class RelationshipUpdate(PeoplePatch):
    model_config = ConfigDict(json_schema_extra={"examples": [{"contact_priority": 2}]})

    clearable: ClassVar[frozenset[str]] = frozenset({"contact_priority"})

    relationship_type: RelationshipType | None = None
    parental_responsibility: JsonBool | None = None
    lives_with: JsonBool | None = None
    contact_priority: ContactPriority | None = None


class CarerSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_CARER]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_CARER], "next_cursor": _NEXT}]}
    )


class PupilCarerRead(Output):
    """A carer of a pupil, and how they are related to that pupil."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_CARER_OF_PUPIL, "carer": _CARER}]}
    )

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

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [{**_CARER_OF_PUPIL, "carer": _CARER}]}]}
    )

    items: list[PupilCarerRead]


class CarerPupilRead(Output):
    """A carer's relationship to one pupil."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CARER_OF_PUPIL]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_CARER,
                    "pupils": [_CARER_OF_PUPIL],
                    "retain_until": "2037-05-14",
                    "created_at": "2025-09-03T07:12:44Z",
                    "updated_at": "2026-10-05T14:21:36Z",
                }
            ]
        }
    )

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

    name: NameSearch | None = Field(default=None, examples=["Evie Till"])
    include_merged: bool = Field(
        default=False, description="Include records merged into another.", examples=[False]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- possible duplicates --------------------------------------------------------------------


class PossibleDuplicateRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_DUPLICATE]})

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
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DUPLICATE], "next_cursor": None}]}
    )


class PossibleDuplicateFilters(Input):
    """Query parameters of ``GET /v1/possible-duplicates``."""

    status: DuplicateStatus | None = Field(default=None, examples=["open"])
    kind: PersonKind | None = Field(default=None, examples=["pupil"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
