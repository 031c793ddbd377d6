"""Queries over licences, their schedules and the absences they give schools. Lists and
single reads take the policy layer's SQL filter; a chaperone's load across every licence is one
indexed query on ``licence_days`` (the checks need every child in their care, whoever may see
those licences)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer, selectinload

from app.models.licences import (
    Licence,
    LicenceDay,
    LicenceDocument,
    LicenceKind,
    LicenceStatus,
    LicensedAbsence,
    Person,
    Production,
)
from app.models.people import Enrolment, Pupil
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.names import name_key

#: Listing and reading a document's metadata never loads its ciphertext.
_METADATA_ONLY = defer(LicenceDocument.ciphertext, raiseload=True)
#: Applications and licences whose schedules count towards a chaperone's load.
LIVE = (LicenceStatus.APPLIED, LicenceStatus.GRANTED)


@dataclass(frozen=True, slots=True)
class LicenceQuery:
    kind: LicenceKind | None = None
    #: A stored status; ``in_force_on`` / ``expired_before`` refine ``granted``.
    status: LicenceStatus | None = None
    in_force_on: date | None = None
    expired_before: date | None = None
    pupil_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    employer_id: uuid.UUID | None = None
    production_id: uuid.UUID | None = None
    starts_from: date | None = None
    starts_to: date | None = None
    #: Granted, and expiring before this day (the reminders list).
    expiring_before: date | None = None


@dataclass(frozen=True, slots=True)
class AbsenceQuery:
    school_urn: int | None = None
    pupil_id: uuid.UUID | None = None
    ends_from: date | None = None
    starts_to: date | None = None
    include_cancelled: bool = False


class LicenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

    async def get(
        self, licence_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> Licence | None:
        """The licence with its schedule, if visible; ``for_update`` locks it."""
        stmt = (
            select(Licence)
            .where(Licence.id == licence_id, visible)
            .options(selectinload(Licence.days))
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Licence)
        return await self.session.scalar(stmt)

    async def page(
        self, query: LicenceQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[Licence], str | None]:
        """Licences by start date, latest first."""
        stmt = select(Licence).where(visible)
        if query.kind is not None:
            stmt = stmt.where(Licence.kind == query.kind)
        if query.status is not None:
            stmt = stmt.where(Licence.status == query.status)
        if query.in_force_on is not None:
            stmt = stmt.where(Licence.expires_on >= query.in_force_on)
        if query.expired_before is not None:
            stmt = stmt.where(Licence.expires_on < query.expired_before)
        for column, value in (
            (Licence.pupil_id, query.pupil_id),
            (Licence.person_id, query.person_id),
            (Licence.employer_id, query.employer_id),
            (Licence.production_id, query.production_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if query.starts_from is not None:
            stmt = stmt.where(Licence.starts_on >= query.starts_from)
        if query.starts_to is not None:
            stmt = stmt.where(Licence.starts_on <= query.starts_to)
        if query.expiring_before is not None:
            stmt = stmt.where(
                Licence.status == LicenceStatus.GRANTED, Licence.expires_on < query.expiring_before
            )
        keys = (Licence.starts_on, Licence.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    # --- the people and things a licence names ---------------------------------------------

    async def person(self, person_id: uuid.UUID, *, visible: ColumnElement[bool]) -> Person | None:
        return await self.session.scalar(select(Person).where(Person.id == person_id, visible))

    async def production(self, production_id: uuid.UUID) -> Production | None:
        return await self.session.get(Production, production_id)

    async def matching_pupil(
        self, *, upn: str, legal_surname: str, date_of_birth: date, visible: ColumnElement[bool]
    ) -> Pupil | None:
        """The one pupil on a Kent roll today whose UPN, legal surname and date of birth all
        match (a shared UPN alone is not an identity); None where none or more than one do."""
        stmt = (
            select(Pupil)
            .where(
                Pupil.upn == upn,
                Pupil.surname_key == name_key(legal_surname),
                Pupil.date_of_birth == date_of_birth,
                Pupil.merged_into_id.is_(None),
                visible,
            )
            .options(selectinload(Pupil.enrolments))
            .limit(2)
        )
        found = list(await self.session.scalars(stmt))
        return found[0] if len(found) == 1 else None

    async def current_schools(self, pupil_id: uuid.UUID) -> list[int]:
        rows = await self.session.scalars(
            select(Enrolment.school_urn).where(
                Enrolment.pupil_id == pupil_id, Enrolment.off_roll_on.is_(None)
            )
        )
        return sorted(rows)

    async def chaperone_load(
        self, chaperone_ids: Collection[uuid.UUID], days: Collection[date], *, besides: uuid.UUID
    ) -> list[LicenceDay]:
        """The schedule days of every live licence (other than ``besides``) in the care of
        these chaperones on these days."""
        if not chaperone_ids or not days:
            return []
        stmt = (
            select(LicenceDay)
            .join(Licence, Licence.id == LicenceDay.licence_id)
            .where(
                LicenceDay.chaperone_id.in_(sorted(chaperone_ids, key=str)),
                LicenceDay.on.in_(sorted(days)),
                LicenceDay.licence_id != besides,
                Licence.status.in_(LIVE),
            )
        )
        return list(await self.session.scalars(stmt))

    async def delete_days(self, licence: Licence) -> None:
        for day in list(licence.days):
            await self.session.delete(day)
        await self.session.flush()

    # --- absences ---------------------------------------------------------------------------

    async def absence_of(self, licence_id: uuid.UUID) -> LicensedAbsence | None:
        return await self.session.scalar(
            select(LicensedAbsence).where(LicensedAbsence.licence_id == licence_id)
        )

    async def references_of(self, licence_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Licence id -> reference, for the absences of a page."""
        if not licence_ids:
            return {}
        rows = await self.session.execute(
            select(Licence.id, Licence.reference).where(Licence.id.in_(list(licence_ids)))
        )
        return {licence_id: reference for licence_id, reference in rows}

    async def absence_page(
        self, query: AbsenceQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[LicensedAbsence], str | None]:
        """Absences by first day, latest first."""
        stmt = select(LicensedAbsence).where(visible)
        if query.school_urn is not None:
            stmt = stmt.where(LicensedAbsence.school_urn == query.school_urn)
        if query.pupil_id is not None:
            stmt = stmt.where(LicensedAbsence.pupil_id == query.pupil_id)
        if query.ends_from is not None:
            stmt = stmt.where(LicensedAbsence.last_day >= query.ends_from)
        if query.starts_to is not None:
            stmt = stmt.where(LicensedAbsence.first_day <= query.starts_to)
        if not query.include_cancelled:
            stmt = stmt.where(LicensedAbsence.cancelled_at.is_(None))
        keys = (LicensedAbsence.first_day, LicensedAbsence.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    # --- documents --------------------------------------------------------------------------

    async def document_page(
        self, licence_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[LicenceDocument], str | None]:
        """A licence's documents in the order they were stored: metadata only."""
        stmt = (
            select(LicenceDocument)
            .where(LicenceDocument.licence_id == licence_id)
            .options(_METADATA_ONLY)
        )
        keys = (LicenceDocument.created_at, LicenceDocument.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def document(
        self, licence_id: uuid.UUID, document_id: uuid.UUID, *, with_content: bool
    ) -> LicenceDocument | None:
        """One document of the licence; its ciphertext only when ``with_content``."""
        stmt = select(LicenceDocument).where(
            LicenceDocument.licence_id == licence_id, LicenceDocument.id == document_id
        )
        if not with_content:
            stmt = stmt.options(_METADATA_ONLY)
        document: LicenceDocument | None = await self.session.scalar(stmt)
        return document

    # --- reminders --------------------------------------------------------------------------

    async def approvals_due_a_reminder(
        self, *, today: date, expiring_by: date, visible: ColumnElement[bool], limit: int
    ) -> list[tuple[Licence, Person]]:
        """Granted chaperone approvals in force on ``today`` that end by ``expiring_by`` and
        have had no reminder, with their chaperone (``visible``: who may be processed for it
        today); locked, skipping any another worker holds, so two workers never remind
        twice."""
        stmt = (
            select(Licence, Person)
            .join(Person, Person.id == Licence.person_id)
            .where(
                Licence.kind == LicenceKind.CHAPERONE_APPROVAL,
                Licence.status == LicenceStatus.GRANTED,
                Licence.expires_on >= today,
                Licence.expires_on <= expiring_by,
                Licence.reminder_queued_on.is_(None),
                visible,
            )
            .order_by(Licence.expires_on, Licence.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Licence)
        )
        rows = await self.session.execute(stmt)
        return [(licence, person) for licence, person in rows]
