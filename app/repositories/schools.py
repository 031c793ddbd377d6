"""Queries over schools."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.schools import School, SchoolPhase, SchoolStatus
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.kent import AreaTeam, District


@dataclass(frozen=True, slots=True)
class SchoolQuery:
    district: District | None = None
    area_team: AreaTeam | None = None
    phase: SchoolPhase | None = None
    status: SchoolStatus | None = None
    name: str | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SchoolRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, urn: int, *, visible: ColumnElement[bool] | None = None) -> School | None:
        if visible is None:
            return await self.session.get(School, urn)
        return await self.session.scalar(select(School).where(School.urn == urn, visible))

    async def page(
        self,
        query: SchoolQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool] | None = None,
    ) -> tuple[list[School], str | None]:
        stmt = select(School)
        if visible is not None:
            stmt = stmt.where(visible)
        if query.district is not None:
            stmt = stmt.where(School.district == query.district)
        if query.area_team is not None:
            stmt = stmt.where(School.area_team == query.area_team)
        if query.phase is not None:
            stmt = stmt.where(School.phase == query.phase)
        if query.status is not None:
            stmt = stmt.where(School.status == query.status)
        if query.name:
            pattern = f"%{_escape_like(query.name.lower())}%"
            stmt = stmt.where(func.lower(School.name).like(pattern, escape="\\"))
        return await keyset_page(self.session, stmt, [School.urn], page)

    async def add(self, school: School) -> School:
        self.session.add(school)
        await self.session.flush()
        return school

    async def delete(self, school: School) -> None:
        await self.session.delete(school)
        await self.session.flush()
