"""Queries over the breach register: breaches, the people affected, containment actions."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.breaches import (
    AffectedRecordType,
    Breach,
    BreachContainmentAction,
    BreachStatus,
    BreachSubject,
)
from app.models.licences import Person
from app.models.people import Carer, Pupil
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.breaches import DUE_SOON_HOURS

#: The record table behind each kind of affected record.
RECORD_MODELS: dict[AffectedRecordType, type[Pupil] | type[Carer] | type[Person]] = {
    AffectedRecordType.PUPIL: Pupil,
    AffectedRecordType.CARER: Carer,
    AffectedRecordType.PERSON: Person,
}


@dataclass(frozen=True, slots=True)
class BreachQuery:
    status: BreachStatus | None = None
    #: Not closed, no decision on telling the Commissioner, and the deadline has passed.
    ico_overdue: bool = False
    #: Not closed, no decision yet, and the deadline falls in the next 24 hours.
    ico_due_soon: bool = False
    aware_from: datetime | None = None
    aware_to: datetime | None = None


@dataclass(frozen=True, slots=True)
class BreachFigures:
    """For ``/metrics``: breaches not closed, and those with no decision on telling the
    Commissioner although the 72 hours have run."""

    open_total: int
    ico_overdue: int


def _undecided() -> ColumnElement[bool]:
    return (Breach.status != BreachStatus.CLOSED) & Breach.ico_decision.is_(None)


class BreachRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

    async def get(
        self, breach_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> Breach | None:
        stmt = (
            select(Breach)
            .where(Breach.id == breach_id, visible)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Breach)
        return await self.session.scalar(stmt)

    async def subjects(self, breach_id: uuid.UUID) -> list[BreachSubject]:
        rows = await self.session.scalars(
            select(BreachSubject)
            .where(BreachSubject.breach_id == breach_id)
            .order_by(BreachSubject.record_type, BreachSubject.record_id)
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def subjects_of(self, breach_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
        """The data subjects affected by each of these breaches (for a list page's audit)."""
        found: dict[uuid.UUID, list[uuid.UUID]] = {b: [] for b in breach_ids}
        if not breach_ids:
            return found
        rows = await self.session.execute(
            select(BreachSubject.breach_id, BreachSubject.subject_id).where(
                BreachSubject.breach_id.in_(breach_ids)
            )
        )
        for breach_id, subject_id in rows:
            found[breach_id].append(subject_id)
        return found

    async def actions(self, breach_id: uuid.UUID) -> list[BreachContainmentAction]:
        rows = await self.session.scalars(
            select(BreachContainmentAction)
            .where(BreachContainmentAction.breach_id == breach_id)
            .order_by(BreachContainmentAction.taken_at, BreachContainmentAction.id)
        )
        return list(rows)

    async def record(
        self, record_type: AffectedRecordType, record_id: uuid.UUID, visible: ColumnElement[bool]
    ) -> Pupil | Carer | Person | None:
        """The pupil, carer or person, if the caller may see it for this purpose."""
        model = RECORD_MODELS[record_type]
        found: Pupil | Carer | Person | None = await self.session.scalar(
            select(model).where(model.id == record_id, visible)
        )
        return found

    async def page(
        self, query: BreachQuery, page: PageRequest, *, visible: ColumnElement[bool], now: datetime
    ) -> tuple[list[Breach], str | None]:
        """Breaches by the Commissioner's deadline (so by awareness), earliest first."""
        stmt = select(Breach).where(visible)
        if query.status is not None:
            stmt = stmt.where(Breach.status == query.status)
        if query.ico_overdue:
            stmt = stmt.where(_undecided(), Breach.ico_deadline < now)
        if query.ico_due_soon:
            stmt = stmt.where(
                _undecided(),
                Breach.ico_deadline >= now,
                Breach.ico_deadline <= now + timedelta(hours=DUE_SOON_HOURS),
            )
        if query.aware_from is not None:
            stmt = stmt.where(Breach.aware_at >= query.aware_from)
        if query.aware_to is not None:
            stmt = stmt.where(Breach.aware_at <= query.aware_to)
        keys = (Breach.ico_deadline, Breach.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def last_number(self, year: int) -> int:
        """The highest number given to a breach of ``year`` (0 for none)."""
        prefix = f"BR-{year}-"
        references = await self.session.scalars(
            select(Breach.reference).where(Breach.reference.like(prefix + "%"))
        )
        numbers = [int(r[len(prefix) :]) for r in references if r[len(prefix) :].isdigit()]
        return max(numbers, default=0)

    async def with_reference(self, reference: str) -> uuid.UUID | None:
        found: uuid.UUID | None = await self.session.scalar(
            select(Breach.id).where(func.upper(Breach.reference) == reference.upper())
        )
        return found

    async def reference_of(self, breach_id: uuid.UUID) -> str | None:
        found: str | None = await self.session.scalar(
            select(Breach.reference).where(Breach.id == breach_id)
        )
        return found

    async def figures(self, now: datetime) -> BreachFigures:
        """Counts for ``/metrics`` in one query."""
        open_total = func.count().filter(Breach.status != BreachStatus.CLOSED)
        overdue = func.count().filter(_undecided(), Breach.ico_deadline < now)
        row = (await self.session.execute(select(open_total, overdue).select_from(Breach))).one()
        return BreachFigures(open_total=int(row[0]), ico_overdue=int(row[1]))
