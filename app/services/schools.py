"""Schools: the register of establishments, maintained by administrators."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models.schools import School
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.schools import SchoolQuery, SchoolRepository
from app.rules.kent import area_team_for
from app.schemas.schools import SchoolCreate, SchoolUpdate
from app.services.concurrency import IfMatch, etag_for


def school_etag(school: School) -> str:
    return etag_for(school.urn, school.version, school.created_at)


async def list_schools(
    session: AsyncSession, access: Access, *, query: SchoolQuery, page: PageRequest
) -> tuple[list[School], str | None]:
    return await SchoolRepository(session).page(query, page=page, visible=access.filter())


async def get_school(session: AsyncSession, access: Access, *, urn: int) -> School:
    school = await SchoolRepository(session).get(urn, visible=access.filter())
    if school is None:
        raise access.not_found(urn, f"No school with URN {urn}.")
    return school


async def create_school(session: AsyncSession, access: Access, *, data: SchoolCreate) -> School:
    schools = SchoolRepository(session)
    if await schools.get(data.urn) is not None:
        raise Conflict(f"A school with URN {data.urn} already exists.")
    school = School(
        urn=data.urn,
        name=data.name,
        phase=data.phase,
        district=data.district,
        area_team=area_team_for(data.district),
        status=data.status,
    )
    await schools.add(school)
    access.record_change("school.created", resource_id=school.urn)
    return school


async def update_school(
    session: AsyncSession,
    access: Access,
    *,
    urn: int,
    changes: SchoolUpdate,
    if_match: IfMatch,
) -> School:
    school = await get_school(session, access, urn=urn)
    if_match.require(school_etag(school))
    fields = changes.changes()
    if not fields:
        return school
    for field, value in fields.items():
        setattr(school, field, value)
    if "district" in fields:
        school.area_team = area_team_for(school.district)
    await session.flush()
    access.record_change(
        "school.updated", resource_id=urn, details={"fields": ",".join(sorted(fields))}
    )
    return school


async def delete_school(
    session: AsyncSession, access: Access, *, urn: int, if_match: IfMatch
) -> None:
    """Remove a school entered in error. A school with history is closed, not deleted."""
    school = await get_school(session, access, urn=urn)
    if_match.require(school_etag(school))
    await SchoolRepository(session).delete(school)
    access.record_change("school.deleted", resource_id=urn)
