"""Queries over pupils and carers. Every query takes the policy layer's SQL filter."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, contains_eager, selectinload

from app.models.people import (
    Carer,
    CarerRelationship,
    Enrolment,
    Pupil,
    PupilDocument,
    SensitiveEntry,
)
from app.models.subjects import DataSubject
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.names import prefix_upper_bound

#: What the policy layer's Python checks and the API read of a pupil: enrolments and schools
#: (each enrolment's school joined to it: one query for both, not two).
PUPIL_LOADS = (selectinload(Pupil.enrolments).joinedload(Enrolment.school, innerjoin=True),)

#: A carer with their pupils' enrolments (the policy layer reaches carers through pupils).
CARER_LOADS = (
    selectinload(Carer.relationships)
    .selectinload(CarerRelationship.pupil)
    .selectinload(Pupil.enrolments)
    .selectinload(Enrolment.school),
)


@dataclass(frozen=True, slots=True)
class NamePrefix:
    """A name search as name keys: the start of a surname, and optionally of a forename."""

    surname: str
    forename: str | None = None


@dataclass(frozen=True, slots=True)
class PupilQuery:
    name: NamePrefix | None = None
    upn: str | None = None
    school_urn: int | None = None
    date_of_birth: date | None = None
    include_merged: bool = False


#: The pupils' list order: surname key, forename key, id.
_PUPIL_KEYS = (Pupil.surname_key, Pupil.forename_key, Pupil.id)

#: The pupil's own data subject, joined for its retention date. Aliased, so the policy filter's
#: subqueries over data subjects do not correlate with this join; built once, since building an
#: alias costs more than the rest of the statement.
_LISTED_SUBJECT = aliased(DataSubject, name="listed_subject")


@dataclass(frozen=True, slots=True)
class CarerQuery:
    name: NamePrefix | None = None
    include_merged: bool = False


def _starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as a range a plain B-tree index serves on both
    databases (``LIKE 'x%'`` does not, under PostgreSQL's default operator class)."""
    clause: ColumnElement[bool] = (column >= prefix) & (column < prefix_upper_bound(prefix))
    return clause


def _name_filter(surname_key: Any, forename_key: Any, name: NamePrefix) -> ColumnElement[bool]:
    clause = _starts_with(surname_key, name.surname)
    if name.forename:
        clause = clause & _starts_with(forename_key, name.forename)
    return clause


class PupilRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, pupil_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Pupil | None:
        stmt = select(Pupil).where(Pupil.id == pupil_id).options(*PUPIL_LOADS)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def page(
        self,
        query: PupilQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[Pupil], str | None]:
        """Pupils in name order (surname key, forename key, id)."""
        return await keyset_page(
            self.session, self._listed(select(Pupil), query, visible), _PUPIL_KEYS, page
        )

    async def page_with_retention(
        self,
        query: PupilQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[tuple[Pupil, date | None]], str | None]:
        """``page``, each pupil with its retention date, read in the same query."""
        subject = _LISTED_SUBJECT
        stmt = select(Pupil, subject.retain_until).join(subject, subject.id == Pupil.subject_id)
        rows, next_cursor = await keyset_page(
            self.session,
            self._listed(stmt, query, visible),
            _PUPIL_KEYS,
            page,
            scalars=False,
            values_of=lambda row: (row[0].surname_key, row[0].forename_key, row[0].id),
        )
        return [(pupil, retain_until) for pupil, retain_until in rows], next_cursor

    @staticmethod
    def _listed(
        stmt: Select[*tuple[Any, ...]], query: PupilQuery, visible: ColumnElement[bool]
    ) -> Select[Any]:
        """``stmt`` over pupils, narrowed to ``visible`` and ``query``'s filters."""
        stmt = stmt.where(visible).options(*PUPIL_LOADS)
        if not query.include_merged:
            stmt = stmt.where(Pupil.merged_into_id.is_(None))
        if query.name is not None:
            stmt = stmt.where(_name_filter(Pupil.surname_key, Pupil.forename_key, query.name))
        if query.upn is not None:
            stmt = stmt.where(Pupil.upn == query.upn)
        if query.date_of_birth is not None:
            stmt = stmt.where(Pupil.date_of_birth == query.date_of_birth)
        if query.school_urn is not None:
            stmt = stmt.where(
                exists(
                    select(Enrolment.id).where(
                        Enrolment.pupil_id == Pupil.id,
                        Enrolment.school_urn == query.school_urn,
                        Enrolment.off_roll_on.is_(None),
                    )
                )
            )
        return stmt

    async def retention_dates(self, subject_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, date]:
        """Each subject's retention date (subjects without one are left out)."""
        if not subject_ids:
            return {}
        rows = await self.session.execute(
            select(DataSubject.id, DataSubject.retain_until).where(
                DataSubject.id.in_(sorted(set(subject_ids))),
                DataSubject.retain_until.is_not(None),
            )
        )
        return {
            subject_id: retain_until
            for subject_id, retain_until in rows
            if retain_until is not None
        }

    async def subject(self, subject_id: uuid.UUID) -> DataSubject:
        subject = await self.session.get(DataSubject, subject_id)
        if subject is None:  # the foreign key makes this impossible
            raise LookupError(f"no data subject {subject_id}")
        return subject

    async def add_enrolment(self, enrolment: Enrolment) -> Enrolment:
        self.session.add(enrolment)
        await self.session.flush()
        return enrolment

    async def delete_enrolment(self, enrolment: Enrolment) -> None:
        await self.session.delete(enrolment)
        await self.session.flush()

    async def sensitive_entries(self, pupil_id: uuid.UUID) -> list[SensitiveEntry]:
        rows = await self.session.scalars(
            select(SensitiveEntry).where(SensitiveEntry.pupil_id == pupil_id)
        )
        return list(rows.all())

    async def documents(self, pupil_id: uuid.UUID) -> list[PupilDocument]:
        rows = await self.session.scalars(
            select(PupilDocument).where(PupilDocument.pupil_id == pupil_id)
        )
        return list(rows.all())


class CarerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, carer_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Carer | None:
        stmt = select(Carer).where(Carer.id == carer_id).options(*CARER_LOADS)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def find(self, carer_id: uuid.UUID, *, visible: ColumnElement[bool]) -> Carer | None:
        """The carer alone, without their pupils."""
        return await self.session.scalar(select(Carer).where(Carer.id == carer_id, visible))

    async def page(
        self,
        query: CarerQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[Carer], str | None]:
        """Carers in name order (surname key, forename key, id)."""
        stmt = select(Carer).where(visible)
        if not query.include_merged:
            stmt = stmt.where(Carer.merged_into_id.is_(None))
        if query.name is not None:
            stmt = stmt.where(_name_filter(Carer.surname_key, Carer.forename_key, query.name))
        keys = (Carer.surname_key, Carer.forename_key, Carer.id)
        return await keyset_page(self.session, stmt, keys, page)

    # Relationships between carers and pupils.

    async def relationships_of_pupil(
        self, pupil_id: uuid.UUID, *, carer_visible: ColumnElement[bool]
    ) -> list[CarerRelationship]:
        """A pupil's carers (with the carer loaded) that pass ``carer_visible``, first
        contact first, then by name."""
        rows = await self.session.scalars(
            select(CarerRelationship)
            .join(Carer, Carer.id == CarerRelationship.carer_id)
            .where(CarerRelationship.pupil_id == pupil_id, carer_visible)
            .options(contains_eager(CarerRelationship.carer))
            .order_by(
                CarerRelationship.contact_priority.is_(None),
                CarerRelationship.contact_priority,
                Carer.surname_key,
                Carer.forename_key,
                Carer.id,
            )
        )
        return list(rows.unique().all())

    async def relationship(
        self,
        pupil_id: uuid.UUID,
        carer_id: uuid.UUID,
        *,
        carer_visible: ColumnElement[bool] | None = None,
    ) -> CarerRelationship | None:
        stmt = (
            select(CarerRelationship)
            .join(Carer, Carer.id == CarerRelationship.carer_id)
            .where(CarerRelationship.pupil_id == pupil_id, CarerRelationship.carer_id == carer_id)
            .options(contains_eager(CarerRelationship.carer))
        )
        if carer_visible is not None:
            stmt = stmt.where(carer_visible)
        return await self.session.scalar(stmt)

    async def relationships_of_carer(
        self, carer_id: uuid.UUID, *, pupil_visible: ColumnElement[bool]
    ) -> list[tuple[CarerRelationship, uuid.UUID]]:
        """A carer's relationships to the pupils that pass ``pupil_visible``, with each
        pupil's data-subject id."""
        rows = await self.session.execute(
            select(CarerRelationship, Pupil.subject_id)
            .join(Pupil, Pupil.id == CarerRelationship.pupil_id)
            .where(CarerRelationship.carer_id == carer_id, pupil_visible)
            .order_by(CarerRelationship.contact_priority.is_(None), CarerRelationship.pupil_id)
        )
        return [(relationship, subject_id) for relationship, subject_id in rows]

    async def relationships_of_pupil_unfiltered(
        self, pupil_id: uuid.UUID
    ) -> list[CarerRelationship]:
        """Every carer link of a pupil, whoever may see the carers (for merging records)."""
        rows = await self.session.scalars(
            select(CarerRelationship).where(CarerRelationship.pupil_id == pupil_id)
        )
        return list(rows.all())

    async def add_relationship(self, relationship: CarerRelationship) -> CarerRelationship:
        self.session.add(relationship)
        await self.session.flush()
        return relationship

    async def delete_relationship(self, relationship: CarerRelationship) -> None:
        await self.session.delete(relationship)
        await self.session.flush()

    async def latest_pupil_retention(
        self, carer_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, tuple[DataSubject, date]]:
        """For each carer linked to a pupil: the carer's data subject, and the latest retention
        date among their pupils."""
        if not carer_ids:
            return {}
        latest = (
            select(
                CarerRelationship.carer_id.label("carer_id"),
                func.max(DataSubject.retain_until).label("retain_until"),
            )
            .join(Pupil, Pupil.id == CarerRelationship.pupil_id)
            .join(DataSubject, DataSubject.id == Pupil.subject_id)
            .where(CarerRelationship.carer_id.in_(sorted(set(carer_ids))))
            .group_by(CarerRelationship.carer_id)
            .subquery()
        )
        rows = await self.session.execute(
            select(Carer.id, DataSubject, latest.c.retain_until)
            .join(latest, latest.c.carer_id == Carer.id)
            .join(DataSubject, DataSubject.id == Carer.subject_id)
        )
        return {
            carer_id: (subject, retain_until)
            for carer_id, subject, retain_until in rows
            if retain_until is not None
        }
