"""Penalty-threshold events through the worker's recompute: each event spends the sessions that
raised it (SI 2024/210 national framework), only sessions while the child is of compulsory
school age count (Education Act 1996 s8, s444; SI 1998/1607), no alerts are computed for a
restricted pupil or one with an upheld objection (UK GDPR Art 18, Art 21), and a pupil's
records are kept until the day before the 25th birthday (Family Law Reform Act 1969 s9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AlertKind, AlertStatus, AttendanceAlert
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.policies.guard import local_today
from app.policies.registry import Purpose
from app.policies.subject_state import SubjectState, refusal
from app.rules.attendance import Session
from app.rules.retention import birthday, pupil_retain_until
from app.services.attendance_recompute import RecomputeCounts, recompute
from tests.attendance_support import AM, school_days, sessions_of, write_marks
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school

PENALTY = AlertKind.PENALTY_THRESHOLD
AUTUMN_2024 = date(2024, 9, 2)


def monday(n: int, first: date = AUTUMN_2024) -> date:
    return first + timedelta(weeks=n)


def week_marks(week: date, codes: Sequence[str] = ()) -> dict[tuple[date, str], str]:
    """The week's ten sessions from Monday morning: ``codes`` first, then present."""
    marks: dict[tuple[date, str], str] = {}
    days = school_days(week, week + timedelta(days=4))
    for index, (day, name) in enumerate(sessions_of(days)):
        marks[(day, name)] = codes[index] if index < len(codes) else ("/" if name == AM else "\\")
    return marks


async def record(
    session: AsyncSession, pupil: Pupil, school: School, weeks: Mapping[date, Sequence[str]]
) -> None:
    marks: dict[tuple[date, str], str] = {}
    for week, codes in weeks.items():
        marks.update(week_marks(week, codes))
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks=marks)


def present(*weeks: date) -> dict[date, Sequence[str]]:
    return {week: () for week in weeks}


async def drain(session: AsyncSession) -> RecomputeCounts:
    total = RecomputeCounts()
    while True:
        counts = await recompute(session)
        total.add(counts)
        if not counts.weeks:
            return total


async def alerts_of(
    session: AsyncSession, pupil: Pupil, kind: AlertKind | None = None
) -> list[AttendanceAlert]:
    stmt = (
        select(AttendanceAlert)
        .where(AttendanceAlert.pupil_id == pupil.id)
        .order_by(AttendanceAlert.kind, AttendanceAlert.period_start)
        .execution_options(populate_existing=True)
    )
    if kind is not None:
        stmt = stmt.where(AttendanceAlert.kind == kind)
    return list((await session.scalars(stmt)).all())


async def open_events(session: AsyncSession, pupil: Pupil) -> list[tuple[date, date]]:
    return [
        (a.period_start, a.period_end)
        for a in await alerts_of(session, pupil, PENALTY)
        if a.status is AlertStatus.OPEN
    ]


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school)


# --- each event spends its sessions -----------------------------------------------------------


async def test_two_term_time_holidays_ten_school_weeks_apart_raise_two_events(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(14)]
    await record(session, pupil, school, present(*weeks))
    await drain(session)
    await record(session, pupil, school, {monday(1): ["G"] * 10})
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]
    # The second holiday is within ten school weeks of the first: its sessions are new.
    await record(session, pupil, school, {monday(10): ["G"] * 10})
    await drain(session)
    assert await open_events(session, pupil) == [
        (monday(1), monday(1)),
        (monday(10), monday(10)),
    ]


async def test_both_holidays_in_one_import_raise_two_events(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(14)]
    await record(
        session, pupil, school, {**present(*weeks), monday(1): ["G"] * 10, monday(11): ["G"] * 10}
    )
    await drain(session)
    assert await open_events(session, pupil) == [
        (monday(1), monday(1)),
        (monday(11), monday(11)),
    ]


async def test_sessions_after_the_tenth_carry_over_to_the_next_event(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(6)]
    await record(
        session,
        pupil,
        school,
        {**present(*weeks), monday(1): ["N"] * 8, monday(2): ["N"] * 4},
    )
    await drain(session)
    (first,) = await alerts_of(session, pupil, PENALTY)
    assert (first.period_start, first.period_end) == (monday(1), monday(2))
    # The tenth session is Monday afternoon of week 2; Tuesday's two carry over.
    assert (first.spent_through_date, first.spent_through_session) == (monday(2), Session.PM)
    await record(session, pupil, school, {monday(3): ["N"] * 8})
    await drain(session)
    assert await open_events(session, pupil) == [
        (monday(1), monday(2)),
        (monday(2), monday(3)),
    ]
    second = (await alerts_of(session, pupil, PENALTY))[1]
    # Two carried over and eight new: the eighth is Thursday afternoon of week 3.
    assert (second.spent_through_date, second.spent_through_session) == (
        monday(3) + timedelta(days=3),
        Session.PM,
    )


async def test_a_correction_below_the_threshold_withdraws_the_event(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(14)]
    await record(
        session, pupil, school, {**present(*weeks), monday(1): ["G"] * 10, monday(11): ["G"] * 10}
    )
    await drain(session)
    await record(session, pupil, school, {monday(11): ["G"] * 9})
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]
    statuses = {a.period_start: a.status for a in await alerts_of(session, pupil, PENALTY)}
    assert statuses[monday(11)] is AlertStatus.WITHDRAWN
    # Corrected back: the same alert is reopened.
    await record(session, pupil, school, {monday(11): ["G"] * 10})
    await drain(session)
    assert await open_events(session, pupil) == [
        (monday(1), monday(1)),
        (monday(11), monday(11)),
    ]
    assert len(await alerts_of(session, pupil, PENALTY)) == 2


async def test_withdrawing_the_first_event_frees_its_sessions_for_a_later_one(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(6)]
    await record(
        session,
        pupil,
        school,
        {**present(*weeks), monday(1): ["N"] * 8, monday(2): ["N"] * 4, monday(3): ["N"] * 8},
    )
    await drain(session)
    assert await open_events(session, pupil) == [
        (monday(1), monday(2)),
        (monday(2), monday(3)),
    ]
    # Week 2's absences were authorised after all: 8 and 8 make one event in week 3.
    await record(session, pupil, school, {monday(2): ["C"] * 4})
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(3))]


# --- restricted and objecting pupils ------------------------------------------------------------


async def restrict(session: AsyncSession, pupil: Pupil, since: datetime | None) -> None:
    await session.execute(
        update(DataSubject).where(DataSubject.id == pupil.subject_id).values(restricted_since=since)
    )
    await session.flush()


NOW = datetime(2024, 12, 1, tzinfo=UTC)


async def test_no_alerts_are_computed_for_a_restricted_pupil_and_they_return_once_lifted(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await restrict(session, pupil, NOW)
    weeks = [monday(n) for n in range(4)]
    await record(session, pupil, school, {**present(*weeks), monday(1): ["N"] * 10})
    await drain(session)
    assert await alerts_of(session, pupil) == []
    await restrict(session, pupil, None)
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]
    kinds = {a.kind for a in await alerts_of(session, pupil) if a.status is AlertStatus.OPEN}
    assert kinds == {PENALTY, AlertKind.PERSISTENT_ABSENCE}


async def test_restricting_a_pupil_withdraws_their_open_alerts(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    weeks = [monday(n) for n in range(4)]
    await record(session, pupil, school, {**present(*weeks), monday(1): ["N"] * 10})
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]
    await restrict(session, pupil, NOW)
    await record(session, pupil, school, {monday(3): ["/"]})
    await drain(session)
    assert all(a.status is AlertStatus.WITHDRAWN for a in await alerts_of(session, pupil))
    await restrict(session, pupil, None)
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]


@pytest.mark.parametrize(
    ("status", "computed"),
    [(ObjectionStatus.UPHELD, False), (ObjectionStatus.PENDING, True)],
)
async def test_an_upheld_objection_stops_alerts(
    session: AsyncSession,
    school: School,
    pupil: Pupil,
    status: ObjectionStatus,
    computed: bool,
) -> None:
    objection = SubjectObjection(
        subject_id=pupil.subject_id, purpose=Purpose.ATTENDANCE_DUTY.value, status=status
    )
    session.add(objection)
    await session.flush()
    weeks = [monday(n) for n in range(4)]
    await record(session, pupil, school, {**present(*weeks), monday(1): ["N"] * 10})
    await drain(session)
    assert bool(await open_events(session, pupil)) is computed
    if computed:
        return
    objection.status = ObjectionStatus.REJECTED
    await session.flush()
    await drain(session)
    assert await open_events(session, pupil) == [(monday(1), monday(1))]


# --- compulsory school age --------------------------------------------------------------------


SEPTEMBER_2025 = date(2025, 9, 1)


@pytest.mark.parametrize(
    ("born", "alerted"),
    [
        (date(2008, 6, 1), False),  # 17: past compulsory school age since 27 June 2024
        (date(2021, 6, 1), False),  # 4: compulsory school age starts 31 August 2026
        (date(2014, 5, 17), True),
    ],
)
async def test_only_a_pupil_of_compulsory_school_age_reaches_the_threshold(
    session: AsyncSession, school: School, born: date, alerted: bool
) -> None:
    pupil = await make_pupil(session, school=school, date_of_birth=born)
    weeks = [monday(n, SEPTEMBER_2025) for n in range(3)]
    await record(session, pupil, school, {**present(*weeks), weeks[0]: ["N"] * 10})
    await drain(session)
    assert bool(await open_events(session, pupil)) is alerted
    if not alerted:
        # Outside DfE's cohort (aged 5 to 15 on 31 August) too: no absence alerts either.
        assert await alerts_of(session, pupil) == []


@pytest.mark.parametrize(
    ("born", "first", "events"),
    [
        # Fifth birthday 30 December 2024: of compulsory school age from 31 December, so
        # Monday's two sessions do not count and the event needs two more the next week.
        (date(2019, 12, 30), date(2024, 12, 30), [(date(2024, 12, 30), date(2025, 1, 6))]),
        # Fifth birthday 1 January 2025, just after a prescribed day: not until 31 March.
        (date(2020, 1, 1), date(2024, 12, 30), []),
        # Fifth birthday on the prescribed day itself (Monday 31 March 2025): it counts.
        (date(2020, 3, 31), date(2025, 3, 31), [(date(2025, 3, 31), date(2025, 3, 31))]),
        # Fifth birthday 1 April 2025: not until 31 August 2025.
        (date(2020, 4, 1), date(2025, 3, 31), []),
    ],
)
async def test_compulsory_school_age_starts_on_the_prescribed_day_after_the_fifth_birthday(
    session: AsyncSession,
    school: School,
    born: date,
    first: date,
    events: list[tuple[date, date]],
) -> None:
    pupil = await make_pupil(session, school=school, date_of_birth=born)
    weeks = [monday(n, first) for n in range(3)]
    await record(
        session, pupil, school, {**present(*weeks), weeks[0]: ["N"] * 10, weeks[1]: ["N"] * 2}
    )
    await drain(session)
    assert await open_events(session, pupil) == events


@pytest.mark.parametrize(
    ("codes", "events"),
    [
        # Ten in the week of 23 June 2025, ending on the last Friday in June: counted.
        ({date(2025, 6, 23): ["N"] * 10}, [(date(2025, 6, 23), date(2025, 6, 23))]),
        # Six before the last Friday in June and ten after it: only six count.
        ({date(2025, 6, 23): ["N"] * 6, date(2025, 6, 30): ["N"] * 10}, []),
        ({date(2025, 7, 7): ["N"] * 10}, []),
    ],
)
async def test_a_child_turning_16_in_july_is_counted_until_the_last_friday_in_june(
    session: AsyncSession,
    school: School,
    codes: dict[date, Sequence[str]],
    events: list[tuple[date, date]],
) -> None:
    pupil = await make_pupil(session, school=school, date_of_birth=date(2009, 7, 15))
    weeks = [monday(n, date(2025, 6, 9)) for n in range(6)]
    await record(session, pupil, school, {**present(*weeks), **codes})
    await drain(session)
    assert await open_events(session, pupil) == events


# --- retention through the policy layer -------------------------------------------------------


def born_years_before(day: date, years: int) -> date:
    """A date of birth whose ``years``th birthday is ``day``."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a common year: born on a 29 February
        return date(day.year - years, 2, 29)


@pytest.mark.parametrize(("turns_25_in_days", "status"), [(1, 200), (0, 404)])
async def test_a_pupil_is_served_until_the_day_before_the_25th_birthday(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    turns_25_in_days: int,
    status: int,
) -> None:
    today = local_today(datetime.now(UTC))
    born = born_years_before(today + timedelta(days=turns_25_in_days), 25)
    pupil = await make_pupil(session, school=school, date_of_birth=born)
    assert birthday(born, 25) == today + timedelta(days=turns_25_in_days)
    headers = auth("school_staff", school_urns=(school.urn,), purpose="attendance_duty")
    response = await client.get(f"/v1/pupils/{pupil.id}", headers=headers)
    if status == 200:
        assert response.status_code == 200, response.text
    else:
        assert_problem(response, 404)


@pytest.mark.parametrize(
    ("today", "served"),
    [(date(2033, 2, 28), True), (date(2033, 3, 1), False)],
)
def test_a_29_february_child_is_served_until_28_february_in_a_common_year(
    today: date, served: bool
) -> None:
    state = SubjectState(retain_until=pupil_retain_until(date(2008, 2, 29)))
    reason = refusal(state, Purpose.ATTENDANCE_DUTY, today)
    assert (reason is None) is served
