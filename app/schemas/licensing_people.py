"""Shapes for the people on licences who are not pupils on a Kent roll: a child at an
independent school, home educated or from another area; an employer; a producer; a chaperone.

A child's date of birth is required: the licensing rules are worked out from it (Children and
Young Persons Act 1933 s18, 1963 s37). Contact fields are checked as a carer's are
(``app.schemas.contact``). Output shapes are built from the ORM records explicitly, so the
search keys and the collected-for bookkeeping never reach a response.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Self

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.licences import ChildEducation, Person, PersonType
from app.rules.calendar import LONDON
from app.rules.retention import pupil_retain_until
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    Output,
    Page,
    PastBirthDate,
    bounded,
)
from app.schemas.contact import AddressLines, Email, PersonName, Phone, Postcode
from app.schemas.people import NameSearch, PeoplePatch

Organisation = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
SchoolName = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]


#: Where a child is educated that has a school to name.
AT_A_SCHOOL = frozenset(
    {ChildEducation.INDEPENDENT_SCHOOL, ChildEducation.SCHOOL_IN_ANOTHER_AREA, ChildEducation.OTHER}
)


def person_shape_problems(
    *,
    person_type: PersonType,
    date_of_birth: date | None,
    organisation: str | None,
    education: ChildEducation | None,
    school_name: str | None,
) -> list[tuple[str, str, str]]:
    """What is wrong with a person's fields for their type, as (pointer, detail, code): a
    child needs a date of birth and has no organisation; an adult has no education or school;
    a school is named only for a child educated at one. Shared by create and update."""
    problems: list[tuple[str, str, str]] = []
    if person_type is PersonType.CHILD:
        if date_of_birth is None:
            problems.append(
                ("/date_of_birth", "a child's date of birth is required", "birth_date_required")
            )
        elif pupil_retain_until(date_of_birth) < datetime.now(LONDON).date():
            problems.append(
                (
                    "/date_of_birth",
                    "a child's record is kept only until their 25th birthday",
                    "too_old",
                )
            )
        if organisation is not None:
            problems.append(("/organisation", "a child has no organisation", "not_for_a_child"))
        if school_name is not None and education not in AT_A_SCHOOL:
            problems.append(
                (
                    "/school_name",
                    "a school is named only for a child educated at one",
                    "no_school",
                )
            )
    else:
        for field, value in (("education", education), ("school_name", school_name)):
            if value is not None:
                problems.append(
                    (f"/{field}", "only a child's education is recorded", "not_for_an_adult")
                )
    return problems


# --- examples -------------------------------------------------------------------------------

_CHILD_CREATE: JsonDict = {
    "person_type": "child",
    "legal_forename": "Poppy",
    "legal_surname": "Wrenfield",
    "date_of_birth": "2015-02-11",
    "education": "independent_school",
    "school_name": "Oakhurst House School (synthetic)",
    "address_lines": ["4 Mill Lane", "Faversham"],
    "postcode": "ME13 8AB",
    "phone": "07700 900214",
    "email": "wrenfield.family@example.org",
}
_ADULT_CREATE: JsonDict = {
    "person_type": "adult",
    "legal_forename": "Marcus",
    "legal_surname": "Hallow",
    "organisation": "Bluebell Lane Productions Ltd (synthetic)",
    "phone": "07700 900577",
    "email": "marcus.hallow@example.org",
}
_PERSON: JsonDict = {
    "id": "ac7a9092-90a5-5fd1-9ad3-e606e197d801",
    "subject_id": "e0c6a9b2-4d17-4f83-b2a5-91c8d3e7f604",
    **_CHILD_CREATE,
    "phone": "+447700900214",
    "organisation": None,
    "retain_until": "2040-02-10",
    "created_by": "licensing-officer-1",
    "created_at": "2026-11-20T10:14:03Z",
    "updated_at": "2026-11-20T10:14:03Z",
}
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


# --- input ----------------------------------------------------------------------------------


class PersonCreate(Input):
    """A child, employer, producer or chaperone on a licence who is not a pupil on a Kent
    roll."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHILD_CREATE, _ADULT_CREATE]})

    person_type: PersonType = Field(
        description="A child, or an adult (an employer, a producer, a chaperone). A child "
        "needs `date_of_birth`; only a child has `education` and `school_name`, only an adult "
        "an `organisation`.",
        examples=["child"],
    )
    legal_forename: PersonName = Field(description="Legal forename.", examples=["Poppy"])
    legal_surname: PersonName = Field(description="Legal surname.", examples=["Wrenfield"])
    date_of_birth: PastBirthDate | None = Field(
        default=None,
        description="Required for a child: the licensing rules are worked out from it.",
        examples=["2015-02-11"],
    )
    organisation: Organisation | None = Field(
        default=None,
        description="An adult's business or company (an employer's, a producer's).",
        examples=["Bluebell Lane Productions Ltd (synthetic)"],
    )
    education: ChildEducation | None = Field(
        default=None,
        description="Where a child is educated, outside Kent's school rolls.",
        examples=["independent_school"],
    )
    school_name: SchoolName | None = Field(
        default=None,
        description="The child's school, where they attend one.",
        examples=["Oakhurst House School (synthetic)"],
    )
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class PersonUpdate(PeoplePatch):
    """A JSON merge patch: the fields sent change; `null` removes an optional field. A
    person's type does not change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"postcode": "ME13 7QZ", "phone": "07700 900388"}]}
    )

    clearable: ClassVar[frozenset[str]] = frozenset(
        {
            "date_of_birth",
            "organisation",
            "education",
            "school_name",
            "address_lines",
            "postcode",
            "phone",
            "email",
        }
    )

    legal_forename: PersonName | None = Field(default=None, examples=["Poppy"])
    legal_surname: PersonName | None = Field(default=None, examples=["Wrenfield"])
    date_of_birth: PastBirthDate | None = Field(
        default=None, description="A child's cannot be removed.", examples=["2015-02-11"]
    )
    organisation: Organisation | None = Field(default=None, description="An adult's only.")
    education: ChildEducation | None = Field(
        default=None, description="A child's only.", examples=["home_educated"]
    )
    school_name: SchoolName | None = Field(default=None, description="A child's only.")
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class PersonFilters(Input):
    """Query parameters of ``GET /v1/people``."""

    name: NameSearch | None = Field(default=None, examples=["Poppy Wren"])
    date_of_birth: CalendarDate | None = Field(default=None, examples=["2015-02-11"])
    person_type: PersonType | None = Field(default=None, examples=["child"])
    organisation: Annotated[str, bounded(200), PRINTABLE] | None = Field(
        default=None,
        description="The start of an adult's organisation (case is ignored).",
        examples=["Bluebell"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- output ---------------------------------------------------------------------------------


class PersonRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_PERSON]})

    id: uuid.UUID
    subject_id: uuid.UUID = Field(
        description="The data subject this record is about: the id the audit trail "
        "(`GET /v1/audit/events?subject_id=`) and subject access requests use."
    )
    person_type: PersonType
    legal_forename: str
    legal_surname: str
    date_of_birth: date | None
    organisation: str | None
    education: ChildEducation | None
    school_name: str | None
    address_lines: list[str] | None
    postcode: str | None
    phone: str | None
    email: str | None
    retain_until: date | None = Field(
        description="The record is kept until the end of this day: a child's until the day "
        "before their 25th birthday; an adult's is set from the licences they are on."
    )
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, person: Person, retain_until: date | None) -> Self:
        fields: dict[str, Any] = {
            name: getattr(person, name)
            for name in PersonRead.model_fields
            if name != "retain_until"
        }
        return cls(**fields, retain_until=retain_until)


class PersonCreated(PersonRead):
    """The new person, and how many possible duplicates of them you may see."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{**_PERSON, "possible_duplicates": 0}]}
    )

    possible_duplicates: int = Field(
        description="Open possible duplicates naming this person with another you may see "
        "(`GET /v1/possible-duplicates?kind=person`)."
    )


class PersonPage(Page[PersonRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PERSON], "next_cursor": _NEXT}]}
    )
