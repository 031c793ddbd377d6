"""Queries over inspection grants."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.disclosures import InspectionGrant
from app.models.schools import School
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class GrantQuery:
    #: Open at ``now`` (True), or not (False).
    active: bool | None = None
    now: datetime | None = None
    inspector: str | None = None
    recipient_id: uuid.UUID | None = None


def open_at(moment: datetime) -> ColumnElement[bool]:
    """Grants open at ``moment``: the SQL form of ``InspectionGrant.active_at``."""
    return and_(
        InspectionGrant.revoked_at.is_(None),
        InspectionGrant.starts_at <= moment,
        InspectionGrant.ends_at > moment,
    )


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, grant_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> InspectionGrant | None:
        stmt = select(InspectionGrant).where(InspectionGrant.id == grant_id)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def page(
        self,
        query: GrantQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[InspectionGrant], str | None]:
        stmt = select(InspectionGrant).where(visible)
        if query.active is not None and query.now is not None:
            is_open = open_at(query.now)
            stmt = stmt.where(is_open if query.active else not_(is_open))
        if query.inspector is not None:
            stmt = stmt.where(InspectionGrant.inspector == query.inspector)
        if query.recipient_id is not None:
            stmt = stmt.where(InspectionGrant.recipient_id == query.recipient_id)
        return await keyset_page(self.session, stmt, [InspectionGrant.id], page)

    async def known_schools(self, urns: Iterable[int]) -> set[int]:
        """Of these URNs, those on the register of schools."""
        wanted = list(urns)
        if not wanted:
            return set()
        return set(await self.session.scalars(select(School.urn).where(School.urn.in_(wanted))))

    async def add(self, grant: InspectionGrant) -> InspectionGrant:
        self.session.add(grant)
        await self.session.flush()
        return grant
