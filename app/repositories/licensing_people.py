"""Queries over the people on licences who are not pupils on a Kent roll. Every query takes the
policy layer's SQL filter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.licences import Person, PersonType
from app.models.subjects import DataSubject
from app.repositories.pagination import PageRequest, keyset_page
from app.repositories.people import NamePrefix, _name_filter

#: The people list's order: surname key, forename key, id.
_PERSON_KEYS = (Person.surname_key, Person.forename_key, Person.id)

#: The person's own data subject, joined for its retention date. Aliased, so the policy
#: filter's subqueries over data subjects do not correlate with this join.
_LISTED_SUBJECT = aliased(DataSubject, name="listed_subject")


@dataclass(frozen=True, slots=True)
class PersonQuery:
    name: NamePrefix | None = None
    date_of_birth: date | None = None
    person_type: PersonType | None = None
    #: The start of an adult's organisation, any case.
    organisation: str | None = None


class PersonRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, person_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> tuple[Person, date | None] | None:
        """The person, if visible, with their retention date; ``for_update`` locks the row
        until the transaction ends."""
        subject = _LISTED_SUBJECT
        stmt = (
            select(Person, subject.retain_until)
            .join(subject, subject.id == Person.subject_id)
            .where(Person.id == person_id, visible)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Person)
        row = (await self.session.execute(stmt)).first()
        return None if row is None else (row[0], row[1])

    async def find(self, person_id: uuid.UUID, *, visible: ColumnElement[bool]) -> Person | None:
        """The person alone, if visible."""
        found: Person | None = await self.session.scalar(
            select(Person).where(Person.id == person_id, visible)
        )
        return found

    async def page(
        self, query: PersonQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[tuple[Person, date | None]], str | None]:
        """People in name order (surname key, forename key, id), each with their retention
        date, read in the same query."""
        subject = _LISTED_SUBJECT
        stmt = (
            select(Person, subject.retain_until)
            .join(subject, subject.id == Person.subject_id)
            .where(visible)
        )
        if query.name is not None:
            stmt = stmt.where(_name_filter(Person.surname_key, Person.forename_key, query.name))
        if query.date_of_birth is not None:
            stmt = stmt.where(Person.date_of_birth == query.date_of_birth)
        if query.person_type is not None:
            stmt = stmt.where(Person.person_type == query.person_type)
        if query.organisation is not None:
            stmt = stmt.where(
                func.lower(Person.organisation).startswith(
                    query.organisation.lower(), autoescape=True
                )
            )
        rows, next_cursor = await keyset_page(
            self.session,
            stmt,
            _PERSON_KEYS,
            page,
            scalars=False,
            values_of=lambda row: (row[0].surname_key, row[0].forename_key, row[0].id),
        )
        return [(person, retain_until) for person, retain_until in rows], next_cursor

    async def subject(self, subject_id: uuid.UUID) -> DataSubject:
        subject = await self.session.get(DataSubject, subject_id)
        if subject is None:  # the foreign key makes this impossible
            raise LookupError(f"no data subject {subject_id}")
        return subject
