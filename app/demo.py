"""Deterministic, clearly synthetic demo data for ``make run`` and local exploration.

Every name is invented and marked as such; URNs come from the 990000 range, which GIAS does
not use for Kent, so demo records can never be mistaken for real establishments.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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
            purposes=(Purpose.PROSECUTION, Purpose.CRIME_PREVENTION_DISCLOSURE),
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


# A school information system's client, so an integrator has one to try the API with.

#: The demo MIS client's id (its ``client_id``), fixed so examples and guides can name it.
DEMO_MIS_CLIENT_ID = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "mis-client-990028")
DEMO_MIS_CLIENT_URN = 990028


async def seed_demo_clients(session: AsyncSession) -> int:
    """Add the demo MIS client for Hopgarden Primary School (synthetic), if it is missing.

    Its secret is random and never shown: an administrator issues one with
    ``POST /v1/clients/{client_id}/secret``, as for any client.
    """
    from app.auth.client_secrets import generate_secret, hash_secret
    from app.auth.principal import Role
    from app.models.clients import ApiClient

    if await session.get(ApiClient, DEMO_MIS_CLIENT_ID) is not None:
        return 0
    session.add(
        ApiClient(
            id=DEMO_MIS_CLIENT_ID,
            name="Hopgarden Primary School MIS (synthetic)",
            role=Role.MIS_INTEGRATION,
            school_urns=[DEMO_MIS_CLIENT_URN],
            secret_hash=await hash_secret(generate_secret()),
        )
    )
    await session.flush()
    return 1


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


#: Demo pupil and carer ids are uuid5(DEMO_PEOPLE_NAMESPACE, key): the same on every seed, so
#: the API's examples can name them.
DEMO_PEOPLE_NAMESPACE = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "people")


def demo_pupil_id(serial: int, *, again: bool = False) -> uuid.UUID:
    """The id of the ``serial``-th demo pupil (in roll order); ``again`` for their re-entry."""
    return uuid.uuid5(DEMO_PEOPLE_NAMESPACE, f"pupil-{serial}{'-again' if again else ''}")


def demo_carer_id(serial: int, priority: int) -> uuid.UUID:
    """The id of the ``serial``-th demo pupil's carer contacted ``priority``-th."""
    return uuid.uuid5(DEMO_PEOPLE_NAMESPACE, f"carer-{serial}-{priority}")


def demo_subject_id(person: uuid.UUID) -> uuid.UUID:
    """The id of the data subject a demo pupil or carer (by their id) is."""
    return uuid.uuid5(DEMO_PEOPLE_NAMESPACE, f"subject-{person}")


def demo_duplicate_id(first: uuid.UUID, second: uuid.UUID) -> uuid.UUID:
    """The id of the possible duplicate the demo flags for these two pupils."""
    return uuid.uuid5(DEMO_PEOPLE_NAMESPACE, f"duplicate-{first}-{second}")


def demo_upn(serial: int) -> str:
    from app.rules.upn import check_letter

    body = f"{DEMO_LA:03d}{serial // 1000:04d}26{serial % 1000:03d}"
    return check_letter(body) + body


async def seed_demo_people(session: AsyncSession) -> int:
    """Give each open demo school a roll of synthetic pupils with one or two carers each.

    Skipped when demo pupils already exist; returns how many pupils were added. A few pupils
    are entered twice with the same UPN, so the possible-duplicates queue has work in it.
    """
    from app.models.people import (
        CarerRelationship,
        Enrolment,
        EnrolmentSource,
        Gender,
        PossibleDuplicate,
        Pupil,
    )
    from app.models.people import RelationshipType as Rel
    from app.rules.retention import pupil_retain_until
    from app.services.duplicates import flag_pupil_duplicates
    from app.services.people import new_carer, new_pupil

    if await session.scalar(select(Pupil.id).where(Pupil.upn.like(f"_{DEMO_LA}%")).limit(1)):
        return 0
    rng = random.Random(DEMO_SEED + 1)  # noqa: S311 - synthetic data, not security
    serial = 0
    pupils: list[Pupil] = []
    schools_of: dict[uuid.UUID, int] = {}
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
            pupil.id = demo_pupil_id(serial)
            pupil.subject.id = pupil.subject_id = demo_subject_id(pupil.id)
            pupils.append(pupil)
            schools_of[pupil.id] = demo.urn
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
                carer.id = demo_carer_id(serial, priority)
                carer.subject.id = carer.subject_id = demo_subject_id(carer.id)
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
    # Re-entered pupils: the same child entered again by staff at the same school, so the
    # possible-duplicates queue has pairs its area team can see and merge.
    for index in range(0, len(pupils), max(1, len(pupils) // 5))[:5]:
        original = pupils[index]
        twin = new_pupil(
            session,
            upn=original.upn,
            legal_forename=original.legal_forename,
            legal_surname=original.legal_surname,
            date_of_birth=original.date_of_birth,
            gender=original.gender,
            postcode=original.postcode,
        )
        twin.id = demo_pupil_id(index + 1, again=True)
        twin.subject.id = twin.subject_id = demo_subject_id(twin.id)
        pupils.append(twin)
        session.add(
            Enrolment(
                pupil_id=twin.id,
                school_urn=schools_of[original.id],
                on_roll_from=DEMO_ROLL_DATE,
                source=EnrolmentSource.MANUAL,
            )
        )
    await session.flush()
    await flag_pupil_duplicates(session, [p.id for p in pupils[-5:]])
    # The pairs' ids too are fixed, so the API's examples can name one.
    twins = [p.id for p in pupils[-5:]]
    flagged = await session.scalars(
        select(PossibleDuplicate).where(
            PossibleDuplicate.first_id.in_(twins) | PossibleDuplicate.second_id.in_(twins)
        )
    )
    for pair in flagged.all():
        pair.id = demo_duplicate_id(pair.first_id, pair.second_id)
    await session.flush()
    return len(pupils)


# Attendance: marks for the demo pupils over the last few school weeks.

#: The import every demo mark names; re-seeding finds it and adds nothing.
DEMO_MARKS_IMPORT_ID = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "attendance-marks")
#: Demo marks cover at most this many school weeks of the current school year.
DEMO_MARK_WEEKS = 6
#: Pupils (in roll order) who are severely absent, and who take a week's holiday in term time
#: (ten G sessions: the penalty-notice threshold). About one in 25 others is persistently
#: absent.
_SEVERE_PUPILS = 2
_HOLIDAY_PUPILS = 5
_PERSISTENT_SHARE = 0.04


def _nth_monday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _last_monday(year: int, month: int) -> date:
    after = date(year + month // 12, month % 12 + 1, 1)
    return after - timedelta(days=(after.weekday() or 7))


def demo_term_days(year_start: date, last: date) -> list[date]:
    """School days of a synthetic term calendar shaped like Kent's (not its published dates)
    from ``year_start`` (1 August) to ``last``: weekdays from 3 September to 21 July, less
    half-term weeks (from the last Monday of October, the third Monday of February and the
    last Monday of May), Christmas (20 December to 3 January), two Easter weeks (from the first
    Monday of April) and the early May bank holiday."""
    autumn, spring = year_start.year, year_start.year + 1
    weeks = [
        _last_monday(autumn, 10),
        _nth_monday(spring, 2, 3),
        _nth_monday(spring, 4, 1),
        _nth_monday(spring, 4, 2),
        _last_monday(spring, 5),
    ]
    closed = {week + timedelta(days=n) for week in weeks for n in range(5)}
    closed.add(_nth_monday(spring, 5, 1))
    christmas = (date(autumn, 12, 20), date(spring, 1, 3))
    days = []
    day = max(year_start, date(autumn, 9, 3))
    end = min(last, date(spring, 7, 21))
    while day <= end:
        if day.weekday() < 5 and day not in closed and not christmas[0] <= day <= christmas[1]:
            days.append(day)
        day += timedelta(days=1)
    return days


def demo_mark_days(today: date) -> list[date]:
    """The school days demo marks cover: the current school year's up to yesterday, in its
    last ``DEMO_MARK_WEEKS`` school weeks."""
    from app.rules.attendance import school_year_start, week_start

    yesterday = today - timedelta(days=1)
    days = demo_term_days(school_year_start(today), yesterday)
    weeks = sorted({week_start(day) for day in days})[-DEMO_MARK_WEEKS:]
    return [day for day in days if weeks and week_start(day) >= weeks[0]]


#: Each school day's registration sessions and the code for present at each.
_SESSIONS = (("AM", "/"), ("PM", "\\"))
#: Absence codes by how often each is recorded: (code, weight).
_ORDINARY_ABSENCE = (("I", 70), ("M", 15), ("N", 8), ("O", 4), ("U", 3))
_PERSISTENT_ABSENCE = (("I", 45), ("M", 10), ("N", 20), ("O", 12), ("U", 8), ("G", 5))
_SEVERE_ABSENCE = (("N", 40), ("O", 30), ("I", 20), ("U", 10))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([code for code, _ in weighted], [weight for _, weight in weighted])[0]


def demo_codes(rng: random.Random, profile: str, days: list[date]) -> list[str]:
    """One pupil's codes for the AM and PM sessions of ``days``, in order."""
    from app.rules.attendance import week_start

    absence = {"severe": 0.6, "persistent": 0.18, "holiday": 0.02}.get(profile, 0.03)
    mix = {"severe": _SEVERE_ABSENCE, "persistent": _PERSISTENT_ABSENCE}.get(
        profile, _ORDINARY_ABSENCE
    )
    holiday: set[date] = set()
    if profile == "holiday":
        weeks: dict[date, list[date]] = {}
        for day in days:
            weeks.setdefault(week_start(day), []).append(day)
        whole = [week for week, in_week in weeks.items() if len(in_week) == 5] or list(weeks)
        holiday = set(weeks[rng.choice(whole)]) if whole else set()
    codes = []
    for day in days:
        for _, present in _SESSIONS:
            if day in holiday:
                codes.append("G")
            elif rng.random() < absence:
                codes.append(_pick(rng, mix))
            elif rng.random() < 0.02:
                codes.append("L")
            else:
                codes.append(present)
    return codes


async def seed_demo_marks(session: AsyncSession, today: date | None = None) -> int:
    """Give the demo pupils on an open roll marks for the current school year's school weeks
    up to yesterday (the last ``DEMO_MARK_WEEKS`` of them), and queue those weeks for the
    worker, which raises the alerts they call for. Mostly present; some illness,
    appointments and unexplained absence; a few pupils persistently and two severely absent;
    a handful on a week's holiday in term time. Skipped when the demo marks exist already;
    returns how many marks were added.

    The codes are drawn in Python, in roll order, so they are the same every time; the marks
    other than ``/`` and ``\\`` are inserted as rows, and the present marks are generated in
    the database by one ``INSERT ... SELECT`` over the rolls and the school days.
    """
    from sqlalchemy import Table, and_, exists, insert, literal, true, union_all

    from app.models.attendance import (
        AttendanceImport,
        AttendanceMark,
        AttendanceStaleWeek,
        ImportMode,
        ImportStatus,
    )
    from app.models.base import utcnow
    from app.models.people import Enrolment, Pupil
    from app.models.sharing import london_today
    from app.repositories.attendance_marks import MARK_COLUMNS
    from app.rules.attendance import week_start

    if await session.get(AttendanceImport, DEMO_MARKS_IMPORT_ID) is not None:
        return 0
    days = demo_mark_days(today or london_today())
    last_urn = DEMO_URN_START + len(demo_schools()) - 1
    on_open_roll = and_(
        Enrolment.school_urn.between(DEMO_URN_START, last_urn),
        Enrolment.off_roll_on.is_(None),
        Pupil.upn.like(f"_{DEMO_LA}%"),
    )
    on_roll = (
        await session.execute(
            select(Enrolment.pupil_id, Enrolment.school_urn)
            .join(Pupil, Pupil.id == Enrolment.pupil_id)
            .where(on_open_roll)
            .order_by(Enrolment.school_urn, Pupil.upn)
        )
    ).all()
    if not days or not on_roll:
        return 0
    rng = random.Random(DEMO_SEED + 2)  # noqa: S311 - synthetic data, not security
    chosen = rng.sample(range(len(on_roll)), min(len(on_roll), _SEVERE_PUPILS + _HOLIDAY_PUPILS))
    profiles = {index: "severe" for index in chosen[:_SEVERE_PUPILS]}
    profiles.update({index: "holiday" for index in chosen[_SEVERE_PUPILS:]})
    now = utcnow()
    marks = AttendanceMark.__table__
    assert isinstance(marks, Table)
    sessions = [(day, name, present) for day in days for name, present in _SESSIONS]
    other: list[dict[str, object]] = []
    for index, (pupil_id, urn) in enumerate(on_roll):
        persistent = rng.random() < _PERSISTENT_SHARE
        profile = profiles.get(index, "persistent" if persistent else "ordinary")
        for (day, name, present), code in zip(
            sessions, demo_codes(rng, profile, days), strict=True
        ):
            if code != present:
                other.append(
                    {
                        "pupil_id": pupil_id,
                        "mark_date": day,
                        "session": name,
                        "school_urn": urn,
                        "code": code,
                        "import_id": DEMO_MARKS_IMPORT_ID,
                        "recorded_at": now,
                    }
                )
    await session.execute(insert(marks), other)
    # Every other session on the rolls: present.
    register = union_all(
        *(
            select(
                literal(day, marks.c.mark_date.type).label("mark_date"),
                literal(name).label("session"),
                literal(present).label("code"),
            )
            for day, name, present in sessions
        )
    ).subquery("register")
    already = exists().where(
        marks.c.pupil_id == Enrolment.pupil_id,
        marks.c.mark_date == register.c.mark_date,
        marks.c.session == register.c.session,
        marks.c.school_urn == Enrolment.school_urn,
    )
    present_marks = (
        select(
            Enrolment.pupil_id,
            register.c.mark_date,
            register.c.session,
            Enrolment.school_urn,
            register.c.code,
            literal(DEMO_MARKS_IMPORT_ID, marks.c.import_id.type),
            literal(now, marks.c.recorded_at.type),
        )
        .select_from(Enrolment)
        .join(Pupil, Pupil.id == Enrolment.pupil_id)
        .join(register, true())
        .where(on_open_roll, ~already)
        .order_by(Enrolment.pupil_id, register.c.mark_date, register.c.session)
    )
    inserted = await session.execute(insert(marks).from_select(MARK_COLUMNS, present_marks))
    added = len(other) + int(inserted.rowcount)  # type: ignore[attr-defined]
    urns = sorted({urn for _, urn in on_roll})
    weeks = sorted({week_start(day) for day in days})
    rows = await session.execute(
        select(AttendanceStaleWeek.school_urn, AttendanceStaleWeek.week_start)
    )
    queued = {(urn, week) for urn, week in rows}
    session.add_all(
        AttendanceStaleWeek(school_urn=urn, week_start=week, queued_at=now)
        for urn in urns
        for week in weeks
        if (urn, week) not in queued
    )
    session.add(
        AttendanceImport(
            id=DEMO_MARKS_IMPORT_ID,
            submitted_by="demo-seed",
            received_at=now,
            mode=ImportMode.ATOMIC,
            status=ImportStatus.APPLIED,
            media_type="application/json",
            content_sha256="0" * 64,
            school_urns=urns,
            rows_received=added,
            rows_applied=added,
            rows_refused=0,
            marks_created=added,
            marks_replaced=0,
            marks_unchanged=0,
            problems=[],
            problem_count=0,
        )
    )
    await session.flush()
    return added


# Casework: cases at Hopgarden Primary School (URN 990028) for officer-1 of the east area
# team, each at the stage (and with the records) that one step of the ladder needs, so every
# casework route has a real case to work on. They opened on a fixed past day, so what the
# examples date (meetings held, notices served, orders made) is after it and not to come.

DEMO_CASES_NAMESPACE = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "cases")
#: The day the demo cases opened: Monday 14 September 2026, the second week of the autumn term.
DEMO_CASES_OPENED = date(2026, 9, 14)
#: Isla Tillbrook's attendance case: at support, with a meeting to come, an attendance
#: contract in force and a notice to improve whose outcome is not recorded yet.
DEMO_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "attendance-1")
DEMO_MEETING_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "meeting-1")
DEMO_CONTRACT_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "contract-1")
DEMO_NOTICE_TO_IMPROVE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "notice-to-improve-1")
#: An attendance case at support with no contract or notice yet (the first of each).
DEMO_SUPPORT_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "attendance-2")
#: An attendance case at the penalty notice stage (a term-time holiday), with a notice issued
#: to the first parent and not yet paid.
DEMO_ENFORCEMENT_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "penalty-1")
DEMO_PENALTY_NOTICE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "penalty-notice-1")
#: A School Attendance Order case at the s437(1) notice stage: the first parent's notice has
#: been served and its period is over; the second parent has none yet.
DEMO_SAO_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-1")
DEMO_SAO_ORDER_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-order-1")
#: A School Attendance Order case at the notice of intention stage: the parent's 15 days to
#: choose a school are over.
DEMO_SAO_INTENTION_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-2")
DEMO_SAO_INTENTION_ORDER_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-order-2")
#: A School Attendance Order case whose order is made.
DEMO_SAO_ORDER_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-3")
DEMO_SAO_MADE_ORDER_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-order-3")
#: A School Attendance Order case at the s437(1) notice stage with no notice served yet.
DEMO_SAO_NEW_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "sao-4")
#: An attendance case at prosecution preparation (an education supervision order considered
#: and not thought appropriate) with no prosecution prepared yet.
DEMO_PROSECUTION_NEW_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-3")
#: An attendance case at prosecution preparation whose prosecution is being prepared.
DEMO_PROSECUTION_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-1")
DEMO_PROSECUTION_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-1-parent-1")
#: An attendance case at prosecution, approved by a manager: the information is ready to lay.
DEMO_APPROVED_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-2")
DEMO_APPROVED_PROSECUTION_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-2-parent-1")
#: An attendance case at prosecution whose information was laid and heard.
DEMO_COURT_CASE_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-4")
DEMO_LAID_PROSECUTION_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "prosecution-4-parent-1")
#: A school's referral, waiting in the east area team's triage queue.
DEMO_REFERRAL_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "referral-1")
#: A suspension Hopgarden reported for Isla Tillbrook.
DEMO_EXCLUSION_ID = uuid.uuid5(DEMO_CASES_NAMESPACE, "exclusion-1")
DEMO_OFFICER = "officer-1"
DEMO_MANAGER = "manager-1"
DEMO_CASE_URN = 990028
#: Isla Tillbrook (synthetic), the demo pupil the API's examples name.
DEMO_EXAMPLE_PUPIL_SERIAL = 313
#: Hopgarden pupils the examples open a case or refer (so the demo gives them none): the
#: examples of ``POST /v1/cases`` and ``POST /v1/referrals``.
DEMO_UNCASED_PUPILS = (
    uuid.UUID("7017d9f3-ad3a-5dc1-8acd-1c52189db9b9"),  # Aarav Lanyon
    uuid.UUID("aaf1f88f-185b-54d1-a7a9-4562155bfd7d"),  # Noah Nowak
)


@dataclass(frozen=True, slots=True)
class _DemoCase:
    id: uuid.UUID
    case_type: str
    #: The ladder's steps from triage (or referral) to where the case is.
    stages: tuple[str, ...]
    #: Whether the pupil has a second parent, who is not (yet) a party.
    two_parents: bool = False
    officer: str | None = DEMO_OFFICER


def _demo_case_plan() -> tuple[_DemoCase, ...]:
    attendance, sao_type = "attendance", "school_attendance_order"
    support = ("triage", "support")
    enforcement = (*support, "penalty_notice")
    eso = (*enforcement, "eso_considered", "prosecution_preparation")
    sao = (*support, "sao_notice")
    return (
        _DemoCase(DEMO_CASE_ID, attendance, support),
        _DemoCase(DEMO_ENFORCEMENT_CASE_ID, attendance, enforcement, two_parents=True),
        _DemoCase(DEMO_SAO_CASE_ID, sao_type, sao),
        _DemoCase(DEMO_REFERRAL_ID, attendance, ("referral",), officer=None),
        _DemoCase(DEMO_SUPPORT_CASE_ID, attendance, support),
        _DemoCase(DEMO_SAO_INTENTION_CASE_ID, sao_type, (*sao, "sao_intention")),
        _DemoCase(DEMO_SAO_ORDER_CASE_ID, sao_type, (*sao, "sao_intention", "sao_order")),
        _DemoCase(DEMO_SAO_NEW_CASE_ID, sao_type, sao),
        _DemoCase(DEMO_PROSECUTION_NEW_CASE_ID, attendance, eso),
        _DemoCase(DEMO_PROSECUTION_CASE_ID, attendance, eso),
        _DemoCase(DEMO_APPROVED_CASE_ID, attendance, (*eso, "prosecution")),
        _DemoCase(DEMO_COURT_CASE_ID, attendance, (*eso, "prosecution")),
    )


async def seed_demo_cases(session: AsyncSession, today: date | None = None) -> int:
    """Open the demo cases with their records (skipped when they exist); returns how many
    cases were opened. ``today`` is unused: the cases are dated from ``DEMO_CASES_OPENED``."""
    from datetime import UTC, datetime, time

    from app.models.cases import (
        Case,
        CaseEventKind,
        CaseParty,
        CaseStage,
        CaseType,
        EsoDecision,
        ReferralSource,
    )
    from app.models.people import Carer, CarerRelationship, Enrolment, EnrolmentSource, Pupil
    from app.policies.registry import purposes_mask
    from app.rules import casework
    from app.services.cases import add_event, case_basis, sync_claims

    del today
    if await session.get(Case, DEMO_CASE_ID) is not None:
        return 0
    school = await session.get(School, DEMO_CASE_URN)
    if school is None:
        return 0
    isla = demo_pupil_id(DEMO_EXAMPLE_PUPIL_SERIAL)
    # The cases' pupils: Hopgarden's first, then other schools' in its area team (one case
    # each), each pupil with their parents.
    schools = {
        row.urn: row
        for row in await session.scalars(select(School).where(School.area_team == school.area_team))
    }
    rows = await session.execute(
        select(Pupil.id, Pupil.subject_id, Enrolment.school_urn, CarerRelationship.carer_id)
        .join(Enrolment, Enrolment.pupil_id == Pupil.id)
        .join(CarerRelationship, CarerRelationship.pupil_id == Pupil.id)
        .where(
            Enrolment.school_urn.in_(list(schools)),
            Enrolment.source == EnrolmentSource.ROLL,
            Enrolment.off_roll_on.is_(None),
            CarerRelationship.parental_responsibility.is_(True),
        )
        .order_by(
            Enrolment.school_urn != DEMO_CASE_URN,
            Enrolment.school_urn,
            Pupil.id,
            CarerRelationship.contact_priority,
            CarerRelationship.carer_id,
        )
    )
    subjects: dict[uuid.UUID, uuid.UUID] = {}
    school_of: dict[uuid.UUID, int] = {}
    carers_of: dict[uuid.UUID, list[uuid.UUID]] = {}
    for pupil_id, subject_id, urn, carer_id in rows:
        subjects[pupil_id] = subject_id
        school_of.setdefault(pupil_id, urn)
        carers_of.setdefault(pupil_id, []).append(carer_id)
    if isla not in carers_of:
        return 0
    plan = _demo_case_plan()
    free = [p for p in carers_of if p != isla and p not in DEMO_UNCASED_PUPILS]
    pupils: dict[uuid.UUID, uuid.UUID] = {DEMO_CASE_ID: isla}
    for item in plan:
        if item.id in pupils:
            continue
        pupil = next((p for p in free if len(carers_of[p]) >= 2 or not item.two_parents), None)
        if pupil is None:
            return 0
        free.remove(pupil)
        pupils[item.id] = pupil
    carer_ids = [c for item in plan for c in carers_of[pupils[item.id]][:2]]
    carer_subjects: dict[uuid.UUID, uuid.UUID] = {
        carer_id: subject_id
        for carer_id, subject_id in await session.execute(
            select(Carer.id, Carer.subject_id).where(Carer.id.in_(carer_ids))
        )
    }
    relationships: dict[tuple[uuid.UUID, uuid.UUID], object] = {
        (pupil_id, carer_id): kind
        for pupil_id, carer_id, kind in await session.execute(
            select(
                CarerRelationship.pupil_id,
                CarerRelationship.carer_id,
                CarerRelationship.relationship_type,
            ).where(CarerRelationship.carer_id.in_(carer_ids))
        )
    }
    opened = DEMO_CASES_OPENED
    now = datetime.combine(opened, time(9, 30), tzinfo=UTC)
    cases: dict[uuid.UUID, Case] = {}
    for number, item in enumerate(plan, start=1):
        pupil_id = pupils[item.id]
        case_type = CaseType(item.case_type)
        school_referral = item.stages[0] == "referral"
        stage = CaseStage(item.stages[-1])
        school = schools[school_of[pupil_id]]
        case = Case(
            id=item.id,
            reference=f"KPAS-{opened.year}-DEMO{number:04d}",
            case_type=case_type,
            purpose=casework.CASE_PURPOSE[case_type].value,
            pupil_id=pupil_id,
            subject_id=subjects[pupil_id],
            purposes_mask=purposes_mask(set(casework.COLLECTED_FOR[case_type])),
            lawful_basis=case_basis(case_type),
            stage=stage,
            school_urn=school.urn,
            district=school.district,
            area_team=school.area_team,
            assigned_officer=item.officer,
            assigned_at=now if item.officer else None,
            referral_source=ReferralSource.SCHOOL if school_referral else ReferralSource.COUNCIL,
            referred_by="staff-990028" if school_referral else DEMO_MANAGER,
            referral={"reason": "Attendance has fallen below 85% this half term (synthetic)."}
            if school_referral
            else None,
            opened_on=opened,
        )
        if "eso_considered" in item.stages:
            case.eso_decision = EsoDecision.NOT_APPROPRIATE
            case.eso_considered_on = date(2026, 11, 2)
            case.eso_reason = "The family has not engaged with support; an order would not help."
            case.eso_recorded_by = DEMO_OFFICER
        if "prosecution" in item.stages:
            case.prosecution_approved_by = DEMO_MANAGER
            case.prosecution_approved_at = datetime(2026, 11, 16, 14, 0, tzinfo=UTC)
        case.parties = []
        session.add(case)
        await session.flush()
        for carer_id in carers_of[pupil_id][:1]:
            party = CaseParty(
                case_id=case.id,
                carer_id=carer_id,
                subject_id=carer_subjects[carer_id],
                relationship_type=relationships[(pupil_id, carer_id)],
                parental_responsibility=True,
                added_at=now,
            )
            session.add(party)
            case.parties.append(party)
        await session.flush()
        add_event(session, case, CaseEventKind.OPENED, by=case.referred_by, now=now)
        for before, after in zip(item.stages, item.stages[1:], strict=False):
            details: dict[str, object] = {"from": before, "to": after}
            if after == "penalty_notice":
                details["ground"] = "term_time_holiday"
            if after == "eso_considered":
                add_event(
                    session,
                    case,
                    CaseEventKind.ESO_CONSIDERED,
                    by=DEMO_OFFICER,
                    now=now,
                    details={"decision": "not_appropriate", "considered_on": "2026-11-02"},
                )
            add_event(
                session,
                case,
                CaseEventKind.STAGE_CHANGED,
                by=DEMO_OFFICER,
                now=now,
                details=details,
            )
        await sync_claims(session, case, now)
        cases[case.id] = case
    await session.flush()
    await _seed_demo_case_records(session, cases, now)
    await session.flush()
    return len(plan)


async def _seed_demo_case_records(
    session: AsyncSession, cases: dict[uuid.UUID, Any], now: Any
) -> None:
    """The records the demo cases' steps left: written as the services write them, dated by
    the rules (periods, days of receipt, time limits)."""
    from datetime import UTC, datetime

    from app.models.cases import (
        AttendanceContract,
        CaseEventKind,
        CaseMeeting,
        CaseType,
        ContractStatus,
        MeetingKind,
        NoticeGround,
        NoticeToImprove,
        NoticeToImproveStatus,
        Offence,
        PenaltyNotice,
        PenaltyNoticeStatus,
        Prosecution,
        ProsecutionStatus,
        SaoRegime,
        SaoStatus,
        SchoolAttendanceOrder,
        ServiceMethod,
    )
    from app.models.exclusions import Exclusion, ExclusionKind
    from app.policies.registry import LawfulBasis, Purpose, purposes_mask
    from app.rules import notices_to_improve as nti_rules
    from app.rules import penalty_notices as pn_rules
    from app.rules import school_attendance_orders as sao_rules
    from app.rules.prosecution import last_day_to_lay
    from app.services.cases import add_event, case_basis

    def parent(case_id: uuid.UUID, index: int = 0) -> uuid.UUID:
        carer_id: uuid.UUID = cases[case_id].parties[index].carer_id
        return carer_id

    def event(case_id: uuid.UUID, kind: CaseEventKind, **details: object) -> None:
        add_event(session, cases[case_id], kind, by=DEMO_OFFICER, now=now, details=details)

    # Isla's case: an attendance meeting to come, a contract in force, a notice to improve.
    evie = parent(DEMO_CASE_ID)
    session.add(
        CaseMeeting(
            id=DEMO_MEETING_ID,
            case_id=DEMO_CASE_ID,
            kind=MeetingKind.ATTENDANCE_MEETING,
            scheduled_for=datetime(2026, 11, 19, 10, 30, tzinfo=UTC),
            location="Hopgarden Primary School, meeting room 2",
            invited_carer_ids=[str(evie)],
            recorded_by=DEMO_OFFICER,
        )
    )
    event(DEMO_CASE_ID, CaseEventKind.MEETING, meeting_id=str(DEMO_MEETING_ID), change="scheduled")
    session.add(
        AttendanceContract(
            id=DEMO_CONTRACT_ID,
            case_id=DEMO_CASE_ID,
            agreed_on=date(2026, 10, 1),
            review_on=date(2026, 11, 26),
            carer_ids=[str(evie)],
            actions=[
                {"action": "Bring Isla to the school gate by 08:40 each day.", "by": "parent"},
                {"action": "A daily check-in with the class teacher.", "by": "school"},
            ],
            status=ContractStatus.ACTIVE,
            recorded_by=DEMO_OFFICER,
        )
    )
    event(
        DEMO_CASE_ID,
        CaseEventKind.ATTENDANCE_CONTRACT,
        contract_id=str(DEMO_CONTRACT_ID),
        change="agreed",
    )
    nti_issued = date(2026, 11, 2)
    session.add(
        NoticeToImprove(
            id=DEMO_NOTICE_TO_IMPROVE_ID,
            case_id=DEMO_CASE_ID,
            carer_id=evie,
            issued_on=nti_issued,
            improvement_weeks=4,
            period_ends_on=nti_rules.period_ends_on(nti_issued, 4),
            status=NoticeToImproveStatus.ISSUED,
            recorded_by=DEMO_OFFICER,
        )
    )
    event(
        DEMO_CASE_ID,
        CaseEventKind.NOTICE_TO_IMPROVE,
        action="issued",
        notice_id=str(DEMO_NOTICE_TO_IMPROVE_ID),
        carer_id=str(evie),
        issued_on=nti_issued.isoformat(),
        period_ends_on=nti_rules.period_ends_on(nti_issued, 4).isoformat(),
    )

    # The enforcement case: a first penalty notice for a week's term-time holiday.
    enforcement = cases[DEMO_ENFORCEMENT_CASE_ID]
    issued, method = date(2026, 10, 19), ServiceMethod.FIRST_CLASS_POST
    received = pn_rules.deemed_received(issued, pn_rules.ServiceMethod(method.value))
    terms = pn_rules.terms_for(pn_rules.Tier.FIRST)
    assert terms.reduced_pounds is not None
    first_parent = parent(DEMO_ENFORCEMENT_CASE_ID)
    session.add(
        PenaltyNotice(
            id=DEMO_PENALTY_NOTICE_ID,
            reference="PN-2026-DEMO0001",
            case_id=enforcement.id,
            pupil_id=enforcement.pupil_id,
            pupil_subject_id=enforcement.subject_id,
            carer_id=first_parent,
            subject_id=enforcement.parties[0].subject_id,
            purposes_mask=purposes_mask({Purpose.PROSECUTION}),
            lawful_basis=LawfulBasis.LAW_ENFORCEMENT_TASK.value,
            ground=NoticeGround.TERM_TIME_HOLIDAY,
            offence_from=date(2026, 10, 5),
            offence_to=date(2026, 10, 9),
            sequence=1,
            issued_on=issued,
            service_method=method,
            served_on=issued,
            received_on=received,
            reduced_amount_pence=terms.reduced_pounds * 100,
            reduced_due_on=pn_rules.reduced_rate_last_day(received),
            full_amount_pence=terms.full_pounds * 100,
            full_due_on=pn_rules.payment_period_last_day(received),
            approved_by=DEMO_MANAGER,
            status=PenaltyNoticeStatus.ISSUED,
            recorded_by=DEMO_OFFICER,
        )
    )
    event(
        DEMO_ENFORCEMENT_CASE_ID,
        CaseEventKind.PENALTY_NOTICE,
        action="issued",
        notice_id=str(DEMO_PENALTY_NOTICE_ID),
        reference="PN-2026-DEMO0001",
        carer_id=str(first_parent),
        tier="first",
        issued_on=issued.isoformat(),
        received_on=received.isoformat(),
    )

    # School Attendance Orders, one at each step.
    def order(
        order_id: uuid.UUID, case_id: uuid.UUID, served: date, **fields: Any
    ) -> SchoolAttendanceOrder:
        row = SchoolAttendanceOrder(
            id=order_id,
            case_id=case_id,
            carer_id=parent(case_id),
            regime=SaoRegime(sao_rules.regime_on(served, None).value),
            notice_served_on=served,
            notice_deadline=sao_rules.earliest_satisfy_deadline(served),
            recorded_by=DEMO_OFFICER,
            **fields,
        )
        session.add(row)
        event(
            case_id,
            CaseEventKind.SCHOOL_ATTENDANCE_ORDER,
            order_id=str(order_id),
            step="notice_served",
            served_on=served.isoformat(),
            deadline=row.notice_deadline.isoformat(),
        )
        return row

    order(DEMO_SAO_ORDER_ID, DEMO_SAO_CASE_ID, date(2026, 9, 21), status=SaoStatus.NOTICE_SERVED)
    intention = date(2026, 10, 12)
    order(
        DEMO_SAO_INTENTION_ORDER_ID,
        DEMO_SAO_INTENTION_CASE_ID,
        date(2026, 9, 21),
        status=SaoStatus.INTENTION_SERVED,
        intention_served_on=intention,
        intention_school_urn=DEMO_CASE_URN,
        intention_deadline=sao_rules.choice_of_school_ends(intention),
    )
    event(
        DEMO_SAO_INTENTION_CASE_ID,
        CaseEventKind.SCHOOL_ATTENDANCE_ORDER,
        order_id=str(DEMO_SAO_INTENTION_ORDER_ID),
        step="intention_served",
        served_on=intention.isoformat(),
        school_urn=DEMO_CASE_URN,
    )
    made = date(2026, 11, 2)
    assert made >= sao_rules.earliest_order_date(intention)
    order(
        DEMO_SAO_MADE_ORDER_ID,
        DEMO_SAO_ORDER_CASE_ID,
        date(2026, 9, 21),
        status=SaoStatus.ORDER_MADE,
        intention_served_on=intention,
        intention_school_urn=DEMO_CASE_URN,
        intention_deadline=sao_rules.choice_of_school_ends(intention),
        order_made_on=made,
        order_school_urn=DEMO_CASE_URN,
        approved_by=DEMO_MANAGER,
    )
    event(
        DEMO_SAO_ORDER_CASE_ID,
        CaseEventKind.SCHOOL_ATTENDANCE_ORDER,
        order_id=str(DEMO_SAO_MADE_ORDER_ID),
        step="order_made",
        made_on=made.isoformat(),
        school_urn=DEMO_CASE_URN,
    )

    # Prosecutions under s444(1): one being prepared, one approved to lay, one laid and heard.
    evidence = [
        {"item": "Attendance register extract, autumn term 2026", "document_id": None},
        {"item": "Notice to improve and covering letter", "document_id": None},
    ]

    def prosecution(
        prosecution_id: uuid.UUID, case_id: uuid.UUID, index: int, **fields: Any
    ) -> None:
        offence_to = date(2026, 11, 13)
        session.add(
            Prosecution(
                id=prosecution_id,
                case_id=case_id,
                carer_id=parent(case_id, index),
                offence=Offence.FAILURE_TO_SECURE_REGULAR_ATTENDANCE,
                offence_from=date(2026, 9, 14),
                offence_to=offence_to,
                lay_by=last_day_to_lay(offence_to),
                evidence=evidence,
                recorded_by=DEMO_OFFICER,
                **fields,
            )
        )
        event(
            case_id,
            CaseEventKind.PROSECUTION,
            prosecution_id=str(prosecution_id),
            step="prepared",
            carer_id=str(parent(case_id, index)),
            offence="s444(1)",
            offence_to=offence_to.isoformat(),
            lay_by=last_day_to_lay(offence_to).isoformat(),
        )

    prosecution(
        DEMO_PROSECUTION_ID, DEMO_PROSECUTION_CASE_ID, 0, status=ProsecutionStatus.PREPARING
    )
    prosecution(
        DEMO_APPROVED_PROSECUTION_ID, DEMO_APPROVED_CASE_ID, 0, status=ProsecutionStatus.PREPARING
    )
    prosecution(
        DEMO_LAID_PROSECUTION_ID,
        DEMO_COURT_CASE_ID,
        0,
        status=ProsecutionStatus.LAID,
        laid_on=date(2026, 11, 16),
        court="Margate Magistrates' Court",
        hearing_on=date(2026, 11, 30),
    )
    for case_id in (DEMO_APPROVED_CASE_ID, DEMO_COURT_CASE_ID):
        event(case_id, CaseEventKind.PROSECUTION_APPROVED, evidence_items=len(evidence))

    # A two-day suspension of Isla, with her mother's representations to the board.
    isla_case = cases[DEMO_CASE_ID]
    session.add(
        Exclusion(
            id=DEMO_EXCLUSION_ID,
            pupil_id=isla_case.pupil_id,
            subject_id=isla_case.subject_id,
            purposes_mask=purposes_mask({Purpose.EXCLUSION_SUPPORT}),
            lawful_basis=case_basis(CaseType.EXCLUSION_SUPPORT),
            school_urn=DEMO_CASE_URN,
            kind=ExclusionKind.SUSPENSION,
            starts_on=date(2026, 11, 9),
            school_days=2,
            notified_on=date(2026, 11, 6),
            reasons=["VA"],
            public_exam_missed=False,
            parents_representations_on=date(2026, 11, 10),
            reported_by="staff-990028",
            reported_at=datetime(2026, 11, 6, 15, 0, tzinfo=UTC),
        )
    )
