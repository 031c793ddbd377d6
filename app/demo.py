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


# People: synthetic pupils and carers on the demo schools' rolls.

#: Demo UPNs use LA number 999, which no English local authority has: they cannot collide
#: with a real pupil's UPN.
DEMO_LA = 999
PUPILS_PER_SCHOOL = 12
#: Demo rolls are as of the start of the 2026/27 school year.
DEMO_ROLL_DATE = date(2026, 9, 1)

_FORENAMES = [
    "Amelia",
    "Olivia",
    "Isla",
    "Ava",
    "Freya",
    "Lily",
    "Poppy",
    "Mia",
    "Zoë",
    "Evie",
    "Oliver",
    "George",
    "Noah",
    "Arthur",
    "Leo",
    "Harry",
    "Oscar",
    "Archie",
    "Theo",
    "Jack",
    "Aarav",
    "Fatima",
    "Kacper",
    "Maja",
    "Chidi",
    "Siobhan",
    "Mateo",
    "Yusuf",
    "Ines",
    "Ravi",
]
_SURNAMES = [
    "Ashdown",
    "Brambleby",
    "Chalcott",
    "Dunmore",
    "Elmsworth",
    "Fairleigh",
    "Greystoke",
    "Hollins",
    "Ivybridge",
    "Jessop",
    "Kettering",
    "Lanyon",
    "Marlowe",
    "Northam",
    "Ockley",
    "Pemberton",
    "Quenby",
    "Rushworth",
    "Stourton",
    "Tillbrook",
    "Underhill",
    "Vosper",
    "Whitcombe",
    "Yarrow",
    "O'Keeffe",
    "Nowak",
    "Okafor",
    "Haddad",
    "Sharma",
    "Dąbrowski",
]
_STREETS = ["Synthetic Street", "Example Road", "Placeholder Lane", "Demo Close", "Sample Way"]
#: Postcode districts by Kent district (real outward codes; the inward parts are made up).
_OUTWARD: dict[District, str] = {
    District.ASHFORD: "TN23",
    District.CANTERBURY: "CT1",
    District.DARTFORD: "DA1",
    District.DOVER: "CT16",
    District.FOLKESTONE_AND_HYTHE: "CT20",
    District.GRAVESHAM: "DA11",
    District.MAIDSTONE: "ME14",
    District.SEVENOAKS: "TN13",
    District.SWALE: "ME10",
    District.THANET: "CT9",
    District.TONBRIDGE_AND_MALLING: "TN9",
    District.TUNBRIDGE_WELLS: "TN1",
}
#: Ages on roll by phase (age on 1 September of the roll year).
_AGES: dict[SchoolPhase, tuple[int, int]] = {
    SchoolPhase.NURSERY: (3, 4),
    SchoolPhase.PRIMARY: (4, 10),
    SchoolPhase.MIDDLE_DEEMED_PRIMARY: (7, 11),
    SchoolPhase.SECONDARY: (11, 15),
    SchoolPhase.MIDDLE_DEEMED_SECONDARY: (9, 13),
    SchoolPhase.ALL_THROUGH: (4, 15),
    SchoolPhase.SIXTEEN_PLUS: (16, 17),
    SchoolPhase.SPECIAL: (5, 18),
    SchoolPhase.ALTERNATIVE_PROVISION: (11, 15),
}


def demo_upn(serial: int) -> str:
    from app.rules.upn import check_letter

    body = f"{DEMO_LA:03d}{serial // 1000:04d}26{serial % 1000:03d}"
    return check_letter(body) + body


async def seed_demo_people(session: AsyncSession) -> int:
    """Give each open demo school a roll of synthetic pupils with one or two carers each.

    Skipped when demo pupils already exist; returns how many pupils were added. A few pupils
    are entered twice with the same UPN, so the possible-duplicates queue has work in it.
    """
    from app.models.people import CarerRelationship, Enrolment, EnrolmentSource, Gender, Pupil
    from app.models.people import RelationshipType as Rel
    from app.rules.retention import pupil_retain_until
    from app.services.duplicates import flag_pupil_duplicates
    from app.services.people import new_carer, new_pupil

    if await session.scalar(select(Pupil.id).where(Pupil.upn.like(f"_{DEMO_LA}%")).limit(1)):
        return 0
    rng = random.Random(DEMO_SEED + 1)  # noqa: S311 - synthetic data, not security
    serial = 0
    pupils: list[Pupil] = []
    for demo in demo_schools():
        if demo.status is not SchoolStatus.OPEN:
            continue
        low, high = _AGES[demo.phase]
        for _ in range(PUPILS_PER_SCHOOL):
            serial += 1
            surname = rng.choice(_SURNAMES)
            age = rng.randint(low, high)
            year_start = date(DEMO_ROLL_DATE.year - age - 1, 9, 1)
            born = date.fromordinal(year_start.toordinal() + rng.randrange(365))
            inward = "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
            postcode = f"{_OUTWARD[demo.district]} {rng.randint(1, 9)}{inward}"
            address = [f"{rng.randint(1, 199)} {rng.choice(_STREETS)}", "Kent (synthetic)"]
            pupil = new_pupil(
                session,
                upn=demo_upn(serial),
                legal_forename=rng.choice(_FORENAMES),
                legal_surname=surname,
                date_of_birth=born,
                gender=rng.choice(list(Gender)),
                address_lines=address,
                postcode=postcode,
            )
            pupils.append(pupil)
            session.add(
                Enrolment(
                    pupil_id=pupil.id,
                    school_urn=demo.urn,
                    on_roll_from=date(DEMO_ROLL_DATE.year - rng.randint(0, 3), 9, 1),
                    source=EnrolmentSource.ROLL,
                )
            )
            relationships = rng.sample(
                [Rel.MOTHER, Rel.FATHER, Rel.GRANDPARENT, Rel.STEP_PARENT], rng.randint(1, 2)
            )
            for priority, relationship in enumerate(relationships, start=1):
                carer = new_carer(
                    session,
                    forename=rng.choice(_FORENAMES),
                    surname=surname,
                    retain_until=pupil_retain_until(born),
                    address_lines=address,
                    postcode=postcode,
                    phone=f"+447700900{rng.randrange(1000):03d}",
                    email=f"carer{serial}-{priority}@example.org",
                )
                session.add(
                    CarerRelationship(
                        pupil_id=pupil.id,
                        carer_id=carer.id,
                        relationship_type=relationship,
                        parental_responsibility=relationship is not Rel.GRANDPARENT,
                        lives_with=priority == 1,
                        contact_priority=priority,
                    )
                )
        await session.flush()
    # Re-entered pupils: the same child recorded twice (as a referral might, before the roll).
    for original in pupils[:: max(1, len(pupils) // 5)][:5]:
        twin = new_pupil(
            session,
            upn=original.upn,
            legal_forename=original.legal_forename,
            legal_surname=original.legal_surname,
            date_of_birth=original.date_of_birth,
            gender=original.gender,
            postcode=original.postcode,
        )
        pupils.append(twin)
    await session.flush()
    await flag_pupil_duplicates(session, [p.id for p in pupils[-5:]])
    return len(pupils)
