"""The people on licences who are not pupils on a Kent roll: a child at an independent school,
home educated or from another area, and the adults on licences (employers, producers,
chaperones).

Each person is collected for ``child_employment_licensing`` only, on UK GDPR Art 6(1)(c) and
6(1)(e) (the council's duties under the Children and Young Persons Act 1933 s18 and 1963 s37),
and gets a data subject of their own in the same transaction. A child's records are kept until
the day before their 25th birthday (``app.rules.retention.pupil_retain_until``, as a pupil's);
an adult's retention is set from the licences they are on, so it starts unset.

A person who may be the same as another is flagged as a possible duplicate, not refused
(``app.services.duplicates.flag_person_duplicates``). Every read goes through the policy
layer's SQL filter; a person the caller may not see is a 404. Changes are audited with ids
only, and flushed (the request commits).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed, body_problem
from app.models.licences import Person, PersonType
from app.models.subjects import DataSubject, SubjectKind
from app.policies import Access
from app.policies.registry import LawfulBasis, Purpose, purposes_mask
from app.repositories.licensing_people import PersonQuery, PersonRepository
from app.repositories.pagination import PageRequest
from app.rules.names import name_key
from app.rules.retention import PUPIL_RECORD_YEARS, pupil_retain_until
from app.schemas.licensing_people import PersonCreate, PersonUpdate, person_shape_problems
from app.services import duplicates
from app.services.concurrency import IfMatch, etag_for
from app.services.people import new_subject
from app.services.retention_periods import (
    LICENSED_CHILD,
    set_retention_dates,
    years_in_force,
)

#: What a person on a licence is collected for (UK GDPR Art 5(1)(b), purpose limitation).
LICENSING_MASK = purposes_mask((Purpose.CHILD_EMPLOYMENT_LICENSING,))
#: Article 6(1)(c) legal obligation and 6(1)(e) public task.
LICENSING_BASIS = f"{LawfulBasis.LEGAL_OBLIGATION.value},{LawfulBasis.PUBLIC_TASK.value}"

#: Fields whose change may make (or unmake) a possible duplicate.
DUPLICATE_FIELDS = frozenset(
    {"legal_forename", "legal_surname", "date_of_birth", "postcode", "email"}
)


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person with their retention date (held on their data subject)."""

    person: Person
    retain_until: date | None


@dataclass(frozen=True, slots=True)
class CreatedPerson:
    """A new person, and the open possible duplicates of them the caller may see."""

    record: PersonRecord
    possible_duplicates: int


def person_etag(person: Person) -> str:
    return etag_for(person.id, person.version, person.created_at)


def child_retain_until(
    person_type: PersonType, date_of_birth: date | None, years: int = PUPIL_RECORD_YEARS
) -> date | None:
    """A child's records are kept until the day before their 25th birthday (or the birthday
    the registry's ``licensed_child`` period in force names); an adult's date comes from
    their licences (none yet)."""
    if person_type is PersonType.CHILD and date_of_birth is not None:
        return pupil_retain_until(date_of_birth, years)
    return None


async def recompute_child_retention(session: AsyncSession, years: int) -> int:
    """Every child on a licence's retention date from their date of birth under a new
    ``licensed_child`` period; how many moved. A batch at a time, in the caller's
    transaction."""
    moved = 0
    after: uuid.UUID | None = None
    while True:
        stmt = (
            select(Person.id, Person.subject_id, Person.date_of_birth, DataSubject.retain_until)
            .join(DataSubject, DataSubject.id == Person.subject_id)
            .where(Person.person_type == PersonType.CHILD, Person.date_of_birth.is_not(None))
            .order_by(Person.id)
            .limit(1000)
        )
        if after is not None:
            stmt = stmt.where(Person.id > after)
        rows = (await session.execute(stmt)).all()
        if not rows:
            break
        after = rows[-1][0]
        changes = [
            {"id": subject_id, "retain_until": until}
            for _, subject_id, born, kept in rows
            if (until := child_retain_until(PersonType.CHILD, born, years)) != kept
        ]
        moved += await set_retention_dates(session, changes)
    return moved


def _check_shape(
    *,
    person_type: PersonType,
    date_of_birth: date | None,
    organisation: str | None,
    education: Any,
    school_name: str | None,
) -> None:
    problems = person_shape_problems(
        person_type=person_type,
        date_of_birth=date_of_birth,
        organisation=organisation,
        education=education,
        school_name=school_name,
    )
    if problems:
        raise ValidationFailed(
            f"{len(problems)} field(s) failed validation.",
            errors=[body_problem(pointer, detail, code) for pointer, detail, code in problems],
        )


# --- reading --------------------------------------------------------------------------------


async def list_people(
    session: AsyncSession, access: Access, *, query: PersonQuery, page: PageRequest
) -> tuple[list[PersonRecord], str | None]:
    found, next_cursor = await PersonRepository(session).page(query, page, visible=access.filter())
    access.touched(subject_ids=[person.subject_id for person, _ in found])
    return [PersonRecord(person, retain_until) for person, retain_until in found], next_cursor


async def _load(
    session: AsyncSession, access: Access, person_id: uuid.UUID, *, for_update: bool = False
) -> PersonRecord:
    found = await PersonRepository(session).get(
        person_id, visible=access.filter(), for_update=for_update
    )
    if found is None:
        raise access.not_found(person_id, "No person with that id that you may see.")
    person, retain_until = found
    access.touched(subject_ids=[person.subject_id], resource_id=person.id)
    return PersonRecord(person, retain_until)


async def get_person(
    session: AsyncSession, access: Access, *, person_id: uuid.UUID
) -> PersonRecord:
    return await _load(session, access, person_id)


# --- creating and changing ------------------------------------------------------------------


def new_person(
    session: AsyncSession,
    *,
    person_type: PersonType,
    legal_forename: str,
    legal_surname: str,
    date_of_birth: date | None,
    created_by: str,
    retain_until: date | None = None,
    child_years: int = PUPIL_RECORD_YEARS,
    **fields: Any,
) -> Person:
    """A person on a licence and their data subject (not yet flushed): made one way by the
    API, the demo data and the tests. A child is kept to the day before their 25th
    birthday; an adult from ``retain_until`` (their licences set it later)."""
    subject = new_subject(
        session,
        SubjectKind.OTHER,
        child_retain_until(person_type, date_of_birth, child_years) or retain_until,
    )
    person = Person(
        id=fields.pop("id", None) or uuid.uuid4(),
        subject=subject,
        subject_id=subject.id,
        person_type=person_type,
        legal_forename=legal_forename,
        legal_surname=legal_surname,
        surname_key=name_key(legal_surname),
        forename_key=name_key(legal_forename),
        date_of_birth=date_of_birth,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by=created_by,
        **fields,
    )
    session.add(person)
    return person


async def create_person(
    session: AsyncSession, access: Access, *, data: PersonCreate
) -> CreatedPerson:
    """A new person and their data subject. A child needs a date of birth (422 naming
    ``/date_of_birth`` otherwise). Possible duplicates are flagged, and the answer counts
    those naming someone the caller may see."""
    _check_shape(
        person_type=data.person_type,
        date_of_birth=data.date_of_birth,
        organisation=data.organisation,
        education=data.education,
        school_name=data.school_name,
    )
    person = new_person(
        session,
        created_by=access.principal.subject,
        child_years=await years_in_force(session, LICENSED_CHILD),
        **data.model_dump(),
    )
    if not access.permits(person):
        raise access.refuse(
            "the new person would be outside the caller's reach", code="condition_not_met"
        )
    await session.flush()
    flagged = await duplicates.flag_person_duplicates(session, [person.id])
    access.record_change(
        "person.created",
        resource_id=person.id,
        subject_id=person.subject_id,
        details={"person_type": person.person_type.value, "possible_duplicates": flagged},
    )
    access.touched(subject_ids=[person.subject_id], resource_id=person.id)
    seen = await duplicates.person_pairs_seen(session, access, person.id)
    return CreatedPerson(PersonRecord(person, person.subject.retain_until), seen)


async def update_person(
    session: AsyncSession,
    access: Access,
    *,
    person_id: uuid.UUID,
    changes: PersonUpdate,
    if_match: IfMatch,
) -> PersonRecord:
    """Correct or update a person (a JSON merge patch, with If-Match). A child keeps a date
    of birth; a change of name, date of birth, postcode or email is checked for possible
    duplicates again."""
    record = await _load(session, access, person_id, for_update=True)
    person = record.person
    if_match.require(person_etag(person))
    fields: dict[str, Any] = changes.changes()
    if not fields:
        return record
    merged = {
        name: fields.get(name, getattr(person, name))
        for name in ("date_of_birth", "organisation", "education", "school_name")
    }
    _check_shape(person_type=person.person_type, **merged)
    for field, value in fields.items():
        setattr(person, field, value)
    if "legal_forename" in fields:
        person.forename_key = name_key(person.legal_forename)
    if "legal_surname" in fields:
        person.surname_key = name_key(person.legal_surname)
    retain_until = record.retain_until
    if "date_of_birth" in fields and person.person_type is PersonType.CHILD:
        subject = await PersonRepository(session).subject(person.subject_id)
        subject.retain_until = retain_until = child_retain_until(
            person.person_type,
            person.date_of_birth,
            await years_in_force(session, LICENSED_CHILD),
        )
    await session.flush()
    if frozenset(fields) & DUPLICATE_FIELDS:
        await duplicates.flag_person_duplicates(session, [person.id])
    access.record_change(
        "person.updated",
        resource_id=person.id,
        subject_id=person.subject_id,
        details={"fields": ",".join(sorted(fields))},
    )
    return PersonRecord(person, retain_until)
