"""Demo licensing data: people on licences who are not pupils on a Kent roll, a production,
two chaperone approvals, and work permit and performance licence applications at different
stages. Clearly fake, deterministic, and dated so the examples in the API contract work on it
(``app.routers.params`` names the same ids).

- Ruby Ashdown (an independent school pupil) has an undecided work permit for a Saturday paper
  round with Corner Newsagents; her parent is told of decisions.
- Leo Marsh (home educated) has a granted work permit with the same employer.
- A pupil on Hopgarden's roll has a granted performance licence in the production with one
  school day away: Hopgarden sees the C1 absence.
- Chris Chaperone's approval runs to 2028; Jamie Chaperone's expires in January 2027 (a
  reminder is due).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import DEMO_AGREEMENT_NAMESPACE, DEMO_CASE_URN
from app.models.licences import (
    ChildEducation,
    Licence,
    LicenceDay,
    LicenceKind,
    LicenceStatus,
    LicensedAbsence,
    Person,
    PersonType,
    Production,
    ProductionKind,
)
from app.models.people import Enrolment, Pupil
from app.rules.chaperones import approval_expires_on
from app.rules.child_employment import permit_expires_on
from app.rules.names import name_key
from app.rules.retention import licensing_adult_retain_until, pupil_retain_until
from app.services.licences import ABSENCE_MASK, LICENSED_ABSENCE_CODE, check
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK, new_person

DEMO_LICENSING_NAMESPACE = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "licensing")
LICENSING_OFFICER = "licensing-1"


def demo_licensing_id(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_LICENSING_NAMESPACE, name)


CHILD = demo_licensing_id("child-1")
HOME_EDUCATED_CHILD = demo_licensing_id("child-2")
EMPLOYER = demo_licensing_id("employer-1")
PRODUCER = demo_licensing_id("producer-1")
PARENT = demo_licensing_id("parent-1")
CHAPERONE = demo_licensing_id("chaperone-1")
EXPIRING_CHAPERONE = demo_licensing_id("chaperone-2")
PRODUCTION = demo_licensing_id("production-1")
APPLIED_PERMIT = demo_licensing_id("work-permit-applied")
GRANTED_PERMIT = demo_licensing_id("work-permit-granted")
GRANTED_PERFORMANCE = demo_licensing_id("performance-granted")
CHAPERONE_APPROVAL = demo_licensing_id("chaperone-approval-1")
EXPIRING_APPROVAL = demo_licensing_id("chaperone-approval-2")

_ADDRESS = ["1 Synthetic Street", "Canterbury"]


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _person(
    session: AsyncSession,
    person_id: uuid.UUID,
    person_type: PersonType,
    forename: str,
    surname: str,
    *,
    born: date | None,
    retain_until: date | None,
    **fields: Any,
) -> Person:
    return new_person(
        session,
        id=person_id,
        person_type=person_type,
        legal_forename=forename,
        legal_surname=surname,
        date_of_birth=born,
        created_by=LICENSING_OFFICER,
        retain_until=retain_until,
        **fields,
    )


def _licence(
    licence_id: uuid.UUID,
    kind: LicenceKind,
    status: LicenceStatus,
    *,
    reference: str,
    subject_id: uuid.UUID,
    forename: str,
    surname: str,
    born: date | None,
    received_on: date,
    starts_on: date,
    particulars: dict[str, object],
    **fields: object,
) -> Licence:
    return Licence(
        id=licence_id,
        reference=reference,
        kind=kind,
        status=status,
        forename=forename,
        surname=surname,
        date_of_birth=born,
        received_on=received_on,
        starts_on=starts_on,
        particulars=particulars,
        findings=[],
        subject_id=subject_id,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by=LICENSING_OFFICER,
        **fields,
    )


def _paper_round(starts_on: date) -> dict[str, object]:
    return {
        "employer_id": str(EMPLOYER),
        "job": "Newspaper delivery",
        "starts_on": starts_on.isoformat(),
        "ends_on": None,
        "school_starts": "08:40",
        "school_ends": "15:10",
        "shifts": [
            {"weeks": "term", "weekday": 5, "starts": "07:30", "ends": "09:00"},
            {"weeks": "holiday", "weekday": 5, "starts": "07:30", "ends": "09:00"},
        ],
    }


def _chaperone_particulars(checked: date) -> dict[str, object]:
    return {
        "dbs_certificate_number": "001234567890",
        "dbs_issued_on": checked.isoformat(),
        "update_service_checked_on": checked.isoformat(),
        "references_received": 2,
        "training_completed_on": checked.isoformat(),
    }


async def seed_demo_licences(session: AsyncSession) -> int:
    """Add the demo licensing records (skipped when they exist); returns how many licences
    were added. Findings are computed by the same checks the API runs."""
    if await session.get(Licence, APPLIED_PERMIT) is not None:
        return 0
    ruby_born, leo_born = date(2013, 3, 14), date(2012, 7, 9)
    adults_until = licensing_adult_retain_until(date(2029, 6, 29))
    ruby = _person(
        session,
        CHILD,
        PersonType.CHILD,
        "Ruby",
        "Ashdown",
        born=ruby_born,
        retain_until=pupil_retain_until(ruby_born),
        education=ChildEducation.INDEPENDENT_SCHOOL,
        school_name="Oakleigh House School (synthetic)",
        address_lines=_ADDRESS,
        postcode="CT1 1AA",
    )
    leo = _person(
        session,
        HOME_EDUCATED_CHILD,
        PersonType.CHILD,
        "Leo",
        "Marsh",
        born=leo_born,
        retain_until=pupil_retain_until(leo_born),
        education=ChildEducation.HOME_EDUCATED,
    )
    _person(
        session,
        EMPLOYER,
        PersonType.ADULT,
        "Sam",
        "Newsagent",
        born=None,
        retain_until=adults_until,
        organisation="Corner Newsagents (synthetic)",
        email="corner.newsagents@example.com",
    )
    _person(
        session,
        PRODUCER,
        PersonType.ADULT,
        "Alex",
        "Producer",
        born=None,
        retain_until=adults_until,
        organisation="Bluebell Lane Productions Ltd (synthetic)",
        email="productions@example.com",
    )
    _person(
        session,
        PARENT,
        PersonType.ADULT,
        "Dana",
        "Ashdown",
        born=date(1984, 6, 2),
        retain_until=adults_until,
        address_lines=_ADDRESS,
        postcode="CT1 1AA",
    )
    chris = _person(
        session,
        CHAPERONE,
        PersonType.ADULT,
        "Chris",
        "Chaperone",
        born=date(1979, 4, 20),
        retain_until=adults_until,
        email="chris.chaperone@example.com",
    )
    jamie = _person(
        session,
        EXPIRING_CHAPERONE,
        PersonType.ADULT,
        "Jamie",
        "Chaperone",
        born=date(1975, 10, 1),
        retain_until=adults_until,
        phone="+447700900321",
    )
    await session.flush()
    session.add(
        Production(
            id=PRODUCTION,
            title="The Snow Queen (synthetic)",
            title_key=name_key("The Snow Queen (synthetic)"),
            kind=ProductionKind.THEATRE,
            company="Bluebell Lane Productions Ltd (synthetic)",
            producer_id=PRODUCER,
            venue="Example Theatre, Canterbury",
            charge_made=True,
            licensed_premises=False,
            broadcast_or_recorded=False,
            created_by=LICENSING_OFFICER,
        )
    )
    approvals = [
        (CHAPERONE_APPROVAL, chris, date(2025, 9, 1), "LIC-2025-CHAP0001"),
        (EXPIRING_APPROVAL, jamie, date(2024, 1, 15), "LIC-2024-CHAP0002"),
    ]
    for licence_id, adult, approved_on, reference in approvals:
        session.add(
            _licence(
                licence_id,
                LicenceKind.CHAPERONE_APPROVAL,
                LicenceStatus.GRANTED,
                reference=reference,
                subject_id=adult.subject_id,
                forename=adult.legal_forename,
                surname=adult.legal_surname,
                born=adult.date_of_birth,
                received_on=approved_on,
                starts_on=approved_on,
                particulars=_chaperone_particulars(approved_on),
                person_id=adult.id,
                expires_on=approval_expires_on(approved_on),
                decided_by=LICENSING_OFFICER,
                decided_at=_at(approved_on),
                decision_reasons="DBS, references and training checked.",
                acknowledged=[],
            )
        )
    applied = _licence(
        APPLIED_PERMIT,
        LicenceKind.WORK_PERMIT,
        LicenceStatus.APPLIED,
        reference="LIC-2026-WORK0001",
        subject_id=ruby.subject_id,
        forename=ruby.legal_forename,
        surname=ruby.legal_surname,
        born=ruby_born,
        received_on=date(2026, 11, 23),
        starts_on=date(2026, 11, 28),
        particulars=_paper_round(date(2026, 11, 28)),
        person_id=ruby.id,
        parent_id=PARENT,
        employer_id=EMPLOYER,
        days=[],
    )
    granted_start = date(2026, 10, 3)
    granted = _licence(
        GRANTED_PERMIT,
        LicenceKind.WORK_PERMIT,
        LicenceStatus.GRANTED,
        reference="LIC-2026-WORK0002",
        subject_id=leo.subject_id,
        forename=leo.legal_forename,
        surname=leo.legal_surname,
        born=leo_born,
        received_on=date(2026, 9, 28),
        starts_on=granted_start,
        particulars=_paper_round(granted_start),
        person_id=leo.id,
        employer_id=EMPLOYER,
        expires_on=permit_expires_on(leo_born, granted_start, None),
        decided_by=LICENSING_OFFICER,
        decided_at=_at(date(2026, 9, 30)),
        decision_reasons="Within the limits for a 14-year-old.",
        acknowledged=["employment.holiday_weeks_free"],
        days=[],
    )
    session.add_all([applied, granted])
    await session.flush()
    added = 4
    # A pupil on Hopgarden's roll in the pantomime, one school day away with a tutor.
    pupil = await session.scalar(
        select(Pupil)
        .join(Enrolment, Enrolment.pupil_id == Pupil.id)
        .where(
            Enrolment.school_urn == DEMO_CASE_URN,
            Enrolment.off_roll_on.is_(None),
            Pupil.merged_into_id.is_(None),
        )
        .order_by(Pupil.legal_surname.desc(), Pupil.legal_forename.desc(), Pupil.id)
        .limit(1)
    )
    if pupil is not None:
        days = [date(2027, 1, 8), date(2027, 1, 9)]
        performance = _licence(
            GRANTED_PERFORMANCE,
            LicenceKind.PERFORMANCE_LICENCE,
            LicenceStatus.GRANTED,
            reference="LIC-2026-PERF0001",
            subject_id=pupil.subject_id,
            forename=pupil.legal_forename,
            surname=pupil.legal_surname,
            born=pupil.date_of_birth,
            received_on=date(2026, 11, 16),
            starts_on=days[0],
            particulars={
                "production_id": str(PRODUCTION),
                "paid": True,
                "days_performed_in_previous_six_months": 0,
                "chaperone_id": str(CHAPERONE_APPROVAL),
                "chaperone_also_tutor": False,
            },
            pupil_id=pupil.id,
            school_urn=DEMO_CASE_URN,
            production_id=PRODUCTION,
            chaperone_id=CHAPERONE_APPROVAL,
            ends_on=days[-1],
            expires_on=days[-1],
            decided_by=LICENSING_OFFICER,
            decided_at=_at(date(2026, 11, 20)),
            decision_reasons="Schedule within the limits; tutor arranged for the school day.",
            acknowledged=[],
            days=[
                LicenceDay(
                    id=demo_licensing_id(f"performance-day-{day.isoformat()}"),
                    licence_id=GRANTED_PERFORMANCE,
                    on=day,
                    at_venue_from=time(10),
                    at_venue_until=time(16),
                    performing_minutes=150,
                    longest_continuous_minutes=60,
                    school_day=day.weekday() < 5,
                    absent_from_school=day.weekday() < 5,
                    tutor_minutes=180 if day.weekday() < 5 else 0,
                    chaperone_id=CHAPERONE_APPROVAL,
                    chaperone_tutoring=False,
                )
                for day in days
            ],
        )
        session.add(performance)
        await session.flush()
        session.add(
            LicensedAbsence(
                id=demo_licensing_id("absence-1"),
                licence_id=GRANTED_PERFORMANCE,
                pupil_id=pupil.id,
                school_urn=DEMO_CASE_URN,
                days=[days[0].isoformat()],
                first_day=days[0],
                last_day=days[0],
                attendance_code=LICENSED_ABSENCE_CODE,
                notified_at=_at(date(2026, 11, 20)),
                subject_id=pupil.subject_id,
                purposes_mask=ABSENCE_MASK,
                lawful_basis=LICENSING_BASIS,
            )
        )
        added += 1
    await session.flush()
    today = date(2026, 11, 23)
    for licence_id in (APPLIED_PERMIT, GRANTED_PERMIT, GRANTED_PERFORMANCE):
        licence = await session.get(Licence, licence_id)
        if licence is not None:
            await session.refresh(licence, ["days"])
            await check(session, licence, today)
    await session.flush()
    return added
