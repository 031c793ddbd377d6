"""Deterministic, clearly synthetic demo data for ``make run`` and local exploration.

Every name is invented and marked as such; URNs come from the 990000 range, which GIAS does
not use for Kent, so demo records can never be mistaken for real establishments.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.schools import School, SchoolPhase, SchoolStatus
from app.rules.kent import District, area_team_for

DEMO_SEED = 20240819
DEMO_URN_START = 990001
SCHOOLS_PER_DISTRICT = 25

_PLACES = [
    "Oakfield",
    "Hazelbrook",
    "Millbank",
    "Larkspur",
    "Cobbleford",
    "Wrenfield",
    "Fernhill",
    "Brackenwood",
    "Kestrel Down",
    "Marshgate",
    "Orchard Vale",
    "Chalkpit",
    "Hopgarden",
    "Saltmarsh",
    "Beacon Ridge",
    "Willowmere",
    "Foxglove",
    "Ashcombe",
    "Holloway Green",
    "Rookery",
    "Thistledown",
    "Meadowsweet",
    "Kingfisher",
    "Elderbrook",
    "Pebblestone",
]
_KINDS: list[tuple[SchoolPhase, str, int]] = [
    (SchoolPhase.PRIMARY, "Primary School", 14),
    (SchoolPhase.SECONDARY, "Academy", 5),
    (SchoolPhase.NURSERY, "Nursery School", 1),
    (SchoolPhase.SPECIAL, "Special School", 2),
    (SchoolPhase.ALL_THROUGH, "All-Through School", 1),
    (SchoolPhase.ALTERNATIVE_PROVISION, "Pupil Referral Unit", 1),
    (SchoolPhase.SIXTEEN_PLUS, "Sixth Form College", 1),
]


@dataclass(frozen=True, slots=True)
class DemoSchool:
    urn: int
    name: str
    phase: SchoolPhase
    district: District
    status: SchoolStatus


def demo_schools() -> list[DemoSchool]:
    """The demo register: 25 schools in each of Kent's 12 districts, the same every time."""
    rng = random.Random(DEMO_SEED)  # noqa: S311 - synthetic data, not security
    phases = [phase for phase, _, weight in _KINDS for _ in range(weight)]
    suffix = {phase: label for phase, label, _ in _KINDS}
    schools: list[DemoSchool] = []
    urn = DEMO_URN_START
    for district in District:
        places = rng.sample(_PLACES, SCHOOLS_PER_DISTRICT)
        for place in places:
            phase = rng.choice(phases)
            status = SchoolStatus.CLOSED if rng.random() < 0.03 else SchoolStatus.OPEN
            schools.append(
                DemoSchool(
                    urn=urn,
                    name=f"{place} {suffix[phase]} (synthetic)",
                    phase=phase,
                    district=district,
                    status=status,
                )
            )
            urn += 1
    return schools


async def seed_demo(session: AsyncSession) -> int:
    """Insert the demo schools that are not there yet; returns how many were added."""
    existing = set((await session.scalars(select(School.urn))).all())
    added = 0
    for demo in demo_schools():
        if demo.urn in existing:
            continue
        session.add(
            School(
                urn=demo.urn,
                name=demo.name,
                phase=demo.phase,
                district=demo.district,
                area_team=area_team_for(demo.district),
                status=demo.status,
            )
        )
        added += 1
    await session.flush()
    return added
