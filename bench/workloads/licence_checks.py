"""The rule checks on a performance licence: a 60-day schedule, 12 children, two chaperones.

The scene: one production, twelve children each holding a performance licence for the same
60 performing days (six on, one off, so ten weeks), and two approved chaperones with six
children each. Every licence is stored with its schedule in ``licence_days``.

Subject: ``app.services.licences.check`` on one of the licences, as a decision runs it: the
production and the chaperone's approval read, every performance rule (licence need, late
application, consecutive days, hours by age, education, breaks, long runs), and the chaperone's
load across the other licences in their care on the same days (one indexed query returning the
other five children's 300 days) swept for capacity. Each run has a session of its own holding
only the licence and its schedule, so nothing is served from a previous run; the findings are
set on the licence and rolled back.

Baseline: the pure rule functions alone on the same facts held in memory (``licence_need``,
``check_performance`` and ``chaperone_capacity`` over the chaperone's 360 duties): what the
check would cost with no database. The ratio is the share of the check's time spent in the
rules; the target is report only.

Also: ``chaperone_capacity`` over 720 duties (all twelve children in one chaperone's care for
all 60 days, at the limit of twelve) against sorting the same duties by day and start, the
least a sweep could cost. In-process only, so it runs once, with SQLite.
"""

from __future__ import annotations

import tempfile
import time as clock
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from app.db import Database
from app.models.licences import Licence, LicenceDay, LicenceKind, LicenceStatus
from app.rules.child_performance import (
    ChaperoneDuty,
    PerformanceApplication,
    PerformanceDay,
    chaperone_capacity,
    check_performance,
    licence_need,
)
from app.services.licences import check, new_reference
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK
from bench.harness import Op, Result, Scale, Workload, measure, sized
from tests.conftest import make_settings
from tests.licence_support import make_adult, make_approved_chaperone, make_person, make_production

CHILDREN = 12
CHAPERONES = 2
PERFORMING_DAYS = 60
#: Six performing days, then a day off.
ON, OFF = 6, 1
FIRST_DAY = date(2027, 2, 1)  # a Monday
RECEIVED_ON = FIRST_DAY - timedelta(days=35)
TODAY = RECEIVED_ON + timedelta(days=7)
BORN = date(2016, 6, 1)  # ten throughout the run


def _schedule() -> list[PerformanceDay]:
    """60 performing days, six on and one off; school days are weekdays, with three hours'
    tutoring on each."""
    days: list[PerformanceDay] = []
    on = FIRST_DAY
    while len(days) < PERFORMING_DAYS:
        if (on - FIRST_DAY).days % (ON + OFF) < ON:
            school_day = on.weekday() < 5
            days.append(
                PerformanceDay(
                    on=on,
                    at_venue_from=time(9, 30),
                    at_venue_until=time(17, 30),
                    performing_minutes=240,
                    longest_continuous_minutes=90,
                    school_day=school_day,
                    absent_from_school=school_day,
                    tutor_minutes=180 if school_day else 0,
                )
            )
        on += timedelta(days=1)
    return days


def _application(days: list[PerformanceDay]) -> PerformanceApplication:
    return PerformanceApplication(
        date_of_birth=BORN,
        received_on=RECEIVED_ON,
        days=tuple(days),
        paid=True,
        charge_made=True,
        licensed_premises=False,
        broadcast_or_recorded=False,
        body_of_persons_approval=False,
        days_performed_in_previous_six_months=0,
    )


def _duties(licences: int, days: list[PerformanceDay]) -> list[ChaperoneDuty]:
    return [
        ChaperoneDuty(f"licence-{n}", d.on, d.at_venue_from, d.at_venue_until, False)
        for n in range(licences)
        for d in days
    ]


@dataclass(slots=True)
class _Scene:
    database: Database
    #: The licence checked, with its schedule, detached from any session.
    licence: Licence
    load_seconds: float


@asynccontextmanager
async def _scene(url: str) -> AsyncIterator[_Scene]:
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    started = clock.perf_counter()
    schedule = _schedule()
    licence_ids = [uuid.uuid4() for _ in range(CHILDREN)]
    try:
        async with database.sessions() as session, session.begin():
            producer = await make_adult(session, forename="Pat", surname="Producer")
            production = await make_production(session, producer)
            approvals = [
                await make_approved_chaperone(
                    session,
                    approved_on=RECEIVED_ON - timedelta(days=365),
                    expires_on=RECEIVED_ON + timedelta(days=2 * 365),
                )
                for _ in range(CHAPERONES)
            ]
            licences: list[dict[str, Any]] = []
            days: list[dict[str, Any]] = []
            for n, licence_id in enumerate(licence_ids):
                child = await make_person(session, forename=f"Child{n}", date_of_birth=BORN)
                chaperone = approvals[n * CHAPERONES // CHILDREN]
                licences.append(
                    {
                        "id": licence_id,
                        "reference": new_reference(RECEIVED_ON),
                        "kind": LicenceKind.PERFORMANCE_LICENCE,
                        "status": LicenceStatus.APPLIED,
                        "person_id": child.id,
                        "forename": child.legal_forename,
                        "surname": child.legal_surname,
                        "date_of_birth": BORN,
                        "production_id": production.id,
                        "chaperone_id": chaperone.id,
                        "received_on": RECEIVED_ON,
                        "starts_on": schedule[0].on,
                        "ends_on": schedule[-1].on,
                        "particulars": {
                            "production_id": str(production.id),
                            "paid": True,
                            "days_performed_in_previous_six_months": 0,
                            "chaperone_id": str(chaperone.id),
                            "chaperone_also_tutor": False,
                        },
                        "findings": [],
                        "subject_id": child.subject_id,
                        "purposes_mask": LICENSING_MASK,
                        "lawful_basis": LICENSING_BASIS,
                        "created_by": "bench-licensing",
                    }
                )
                days.extend(
                    {
                        "id": uuid.uuid4(),
                        "licence_id": licence_id,
                        "on": d.on,
                        "at_venue_from": d.at_venue_from,
                        "at_venue_until": d.at_venue_until,
                        "performing_minutes": d.performing_minutes,
                        "longest_continuous_minutes": d.longest_continuous_minutes,
                        "school_day": d.school_day,
                        "absent_from_school": d.absent_from_school,
                        "tutor_minutes": d.tutor_minutes,
                        "chaperone_id": chaperone.id,
                        "chaperone_tutoring": False,
                    }
                    for d in schedule
                )
            await session.execute(insert(Licence), licences)
            await session.execute(insert(LicenceDay), days)
        async with database.sessions() as session:
            licence = await session.scalar(
                select(Licence)
                .where(Licence.id == licence_ids[0])
                .options(selectinload(Licence.days))
            )
            assert licence is not None and len(licence.days) == PERFORMING_DAYS
        load_seconds = clock.perf_counter() - started
        yield _Scene(database, licence, load_seconds)
    finally:
        await database.dispose()


def _service_check(scene: _Scene) -> Op:
    async def checked() -> object:
        async with scene.database.sessions() as session:
            licence = await session.merge(scene.licence, load=False)
            found, need = await check(session, licence, TODAY)
            assert need is not None and need.needed
            await session.rollback()
            return found

    return checked


def _pure_rules(days: list[PerformanceDay]) -> Op:
    application = _application(days)
    duties = _duties(CHILDREN // CHAPERONES, days)

    async def checked() -> object:
        assert licence_need(application).needed
        return check_performance(application) + chaperone_capacity(duties)

    return checked


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    schedule = _schedule()
    results: list[Result] = []
    async with _scene(url) as scene:
        found = await _service_check(scene)()
        assert isinstance(found, list)
        results.append(
            await measure(
                Workload(
                    name="performance licence check: 60 days, 12 children, 2 chaperones",
                    subject=_service_check(scene),
                    baseline=_pure_rules(schedule),
                    target="report only",
                    note="app.services.licences.check on one stored performance licence "
                    f"({PERFORMING_DAYS} days, six on and one off): production and approval "
                    "reads, every performance rule, and the chaperone-load query over the other "
                    f"{CHILDREN // CHAPERONES - 1} children in the same chaperone's care "
                    f"({(CHILDREN // CHAPERONES - 1) * PERFORMING_DAYS} days) with the capacity "
                    "sweep, in a fresh session each run; against licence_need, "
                    "check_performance and chaperone_capacity on the same facts in memory. "
                    f"The check gives {len(found)} findings. Building the scene took "
                    f"{scene.load_seconds:.1f} s.",
                ),
                backend,
                rounds=sized(scale, quick=50, full=200),
                warmup=20,
            )
        )
    if backend == "sqlite":  # in-process only: one run is enough
        duties = _duties(CHILDREN, schedule)

        async def capacity() -> object:
            return chaperone_capacity(duties)

        async def sort_only() -> object:
            return sorted(duties, key=lambda d: (d.on, d.from_))

        results.append(
            await measure(
                Workload(
                    name=f"chaperone capacity over {len(duties)} duties",
                    subject=capacity,
                    baseline=sort_only,
                    target="report only",
                    note=f"chaperone_capacity over {len(duties)} duties ({CHILDREN} children "
                    f"in one chaperone's care for {PERFORMING_DAYS} days, at the limit), "
                    "against sorting the same duties by day and start time.",
                ),
                backend,
                rounds=sized(scale, quick=50, full=200),
                warmup=20,
            )
        )
    return results
