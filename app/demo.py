"""Deterministic, clearly synthetic demo data for ``make run`` and local exploration.

Every name is invented and marked as such; URNs come from the 990000 range, which GIAS does
not use for Kent, so demo records can never be mistaken for real establishments.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.sharing import DataCategory, Recipient, SharingAgreement
from app.policies.registry import Purpose
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


#: Demo agreement ids are uuid5(DEMO_AGREEMENT_NAMESPACE, key): re-seeding finds them.
DEMO_AGREEMENT_NAMESPACE = uuid.UUID("0d4c7f0e-8a51-5b1e-9c2d-4e6f7a8b9c01")


@dataclass(frozen=True, slots=True)
class DemoAgreement:
    key: str
    recipient_code: str
    name: str
    reference: str
    purposes: tuple[Purpose, ...]
    data_categories: tuple[DataCategory, ...]
    starts_on: date
    ends_on: date | None = None

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, self.key)


def demo_agreements() -> list[DemoAgreement]:
    """A few synthetic sharing agreements with recipients the migrations seed from the notice."""
    kmisa = "Kent and Medway Information Sharing Agreement (synthetic)"
    return [
        DemoAgreement(
            key="kent-police-kmisa",
            recipient_code="kent-police",
            name=kmisa,
            reference="DEMO-KMISA-POLICE",
            purposes=(Purpose.PROSECUTION, Purpose.LEGAL_DISCLOSURE),
            data_categories=(
                DataCategory.IDENTITY_CONTACT,
                DataCategory.ATTENDANCE,
                DataCategory.CASEWORK,
            ),
            starts_on=date(2024, 4, 1),
        ),
        DemoAgreement(
            key="nhs-kmisa",
            recipient_code="nhs-kent-medway",
            name=kmisa,
            reference="DEMO-KMISA-NHS",
            purposes=(Purpose.INTERVENTION, Purpose.EXCLUSION_SUPPORT),
            data_categories=(
                DataCategory.IDENTITY_CONTACT,
                DataCategory.ATTENDANCE,
                DataCategory.SPECIAL_CATEGORY_HEALTH,
            ),
            starts_on=date(2024, 4, 1),
        ),
        DemoAgreement(
            key="tep-school-improvement",
            recipient_code="the-education-people",
            name="School Improvement Service data processing contract (synthetic)",
            reference="DEMO-TEP-2024",
            purposes=(Purpose.INTERVENTION,),
            data_categories=(DataCategory.ATTENDANCE,),
            starts_on=date(2024, 9, 1),
            ends_on=date(2027, 8, 31),
        ),
        DemoAgreement(
            key="notify-processing",
            recipient_code="gov-uk-notify",
            name="GOV.UK Notify terms of use (synthetic)",
            reference="DEMO-NOTIFY",
            purposes=(
                Purpose.ATTENDANCE_DUTY,
                Purpose.PROSECUTION,
                Purpose.CHILD_EMPLOYMENT_LICENSING,
            ),
            data_categories=(DataCategory.IDENTITY_CONTACT,),
            starts_on=date(2024, 1, 1),
        ),
    ]


async def seed_demo_agreements(session: AsyncSession) -> int:
    """Insert the demo agreements that are not there yet; returns how many were added.

    An agreement whose recipient is missing (the database predates the recipients) is skipped.
    """
    existing = set((await session.scalars(select(SharingAgreement.id))).all())
    recipients = {r.code: r for r in (await session.scalars(select(Recipient))).all()}
    added = 0
    for demo in demo_agreements():
        recipient = recipients.get(demo.recipient_code)
        if demo.id in existing or recipient is None:
            continue
        session.add(
            SharingAgreement(
                id=demo.id,
                recipient=recipient,
                name=demo.name,
                reference=demo.reference,
                purposes=[p.value for p in demo.purposes],
                data_categories=[c.value for c in demo.data_categories],
                starts_on=demo.starts_on,
                ends_on=demo.ends_on,
            )
        )
        added += 1
    await session.flush()
    return added
