"""Queries over the suspensions and permanent exclusions schools report. Lists and single reads
take the policy layer's SQL filter; the counts behind the 45-day cap and the board's duties
read a pupil's own record at one school (the caller's decision has already reached it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.exclusions import Exclusion, ExclusionKind
from app.models.people import Pupil
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class ExclusionQuery:
    school_urn: int | None = None
    pupil_id: uuid.UUID | None = None
    kind: ExclusionKind | None = None
    #: Starting on or after / on or before.
    starts_from: date | None = None
    starts_to: date | None = None


class ExclusionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, exclusion: Exclusion) -> None:
        self.session.add(exclusion)

    async def get(
        self, exclusion_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> Exclusion | None:
        """The exclusion, if visible; ``for_update`` locks it until the transaction ends."""
        stmt = (
            select(Exclusion)
            .where(Exclusion.id == exclusion_id, visible)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Exclusion)
        return await self.session.scalar(stmt)

    async def page(
        self, query: ExclusionQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[Exclusion], str | None]:
        """Exclusions by start date, latest first."""
        stmt = select(Exclusion).where(visible)
        if query.school_urn is not None:
            stmt = stmt.where(Exclusion.school_urn == query.school_urn)
        if query.pupil_id is not None:
            stmt = stmt.where(Exclusion.pupil_id == query.pupil_id)
        if query.kind is not None:
            stmt = stmt.where(Exclusion.kind == query.kind)
        if query.starts_from is not None:
            stmt = stmt.where(Exclusion.starts_on >= query.starts_from)
        if query.starts_to is not None:
            stmt = stmt.where(Exclusion.starts_on <= query.starts_to)
        keys = (Exclusion.starts_on, Exclusion.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def suspensions_at(
        self,
        pairs: Collection[tuple[uuid.UUID, int]],
        *,
        between: tuple[date, date],
    ) -> list[Exclusion]:
        """The suspensions (not withdrawn) of each (pupil, school) pair starting in
        ``between`` (inclusive): what the cumulative counts are made of."""
        if not pairs:
            return []
        wanted = set(pairs)
        stmt = select(Exclusion).where(
            Exclusion.pupil_id.in_(sorted({pupil for pupil, _ in wanted}, key=str)),
            Exclusion.school_urn.in_(sorted({urn for _, urn in wanted})),
            Exclusion.kind == ExclusionKind.SUSPENSION,
            Exclusion.withdrawn_on.is_(None),
            Exclusion.starts_on >= between[0],
            Exclusion.starts_on <= between[1],
        )
        rows = await self.session.scalars(stmt.order_by(Exclusion.starts_on, Exclusion.id))
        return [row for row in rows.all() if (row.pupil_id, row.school_urn) in wanted]

    async def lock_pupil(self, pupil_id: uuid.UUID) -> None:
        """Lock the pupil's row until the transaction ends: two suspensions reported for one
        pupil at once are counted against the cap one after the other."""
        await self.session.execute(select(Pupil.id).where(Pupil.id == pupil_id).with_for_update())
