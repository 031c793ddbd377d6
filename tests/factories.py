"""Test data builders. They flush, never commit: the test's transaction is rolled back."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.schools import School, SchoolPhase, SchoolStatus
from app.rules.kent import District, area_team_for

_urns = itertools.count(400000)


async def make_school(
    session: AsyncSession,
    *,
    urn: int | None = None,
    name: str = "Test Primary School",
    phase: SchoolPhase = SchoolPhase.PRIMARY,
    district: District = District.DOVER,
    status: SchoolStatus = SchoolStatus.OPEN,
) -> School:
    school = School(
        urn=urn if urn is not None else next(_urns),
        name=name,
        phase=phase,
        district=district,
        area_team=area_team_for(district),
        status=status,
    )
    session.add(school)
    await session.flush()
    return school


def school_body(urn: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "urn": urn,
        "name": "Larkspur Primary School",
        "phase": "primary",
        "district": "thanet",
    }
    body.update(overrides)
    return body
