"""The incremental recompute: weekly tallies from marks, school weeks, and the alerts they
raise and withdraw (SI 2024/210 penalty threshold; DfE persistent and severe absence), driven
through the stale-week queue as imports leave it."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.models.attendance import (
    AlertKind,
    AlertStatus,
    AttendanceAlert,
    AttendancePupilWeek,
    AttendanceSchoolWeek,
    AttendanceStaleWeek,
)
from app.models.people import Pupil
from app.models.schools import School
from app.repositories.attendance_tallies import AttendanceTallyRepository
from app.services.attendance_recompute import (
    RecomputeCounts,
    recompute,
    recompute_claimed,
)
from app.settings import PROJECT_ROOT
from tests.attendance_support import AM, school_days, sessions_of, write_marks
from tests.audit_support import migrated_database
from tests.factories import make_pupil, make_school
from tests.live import kpas, service_env

PENALTY = AlertKind.PENALTY_THRESHOLD
PERSISTENT = AlertKind.PERSISTENT_ABSENCE
SEVERE = AlertKind.SEVERE_ABSENCE

#: The first Monday of the 2024/25 autumn term; Kent's half-term is the week of 28 October.
AUTUMN_2024 = date(2024, 9, 2)
HALF_TERM_2024 = date(2024, 10, 28)


def monday(n: int, first: date = AUTUMN_2024) -> date:
    return first + timedelta(weeks=n)


def friday(week: date) -> date:
    return week + timedelta(days=4)


def week_marks(week: date, codes: Sequence[str] = ()) -> dict[tuple[date, str], str]:
    """The week's ten sessions from Monday morning: ``codes`` first, then present."""
    marks: dict[tuple[date, str], str] = {}
    for index, (day, name) in enumerate(sessions_of(school_days(week, friday(week)))):
        if index < len(codes):
            marks[(day, name)] = codes[index]
        else:
            marks[(day, name)] = "/" if name == AM else "\\"
    return marks


async def record(
    session: AsyncSession,
    pupil: Pupil,
    school: School,
    weeks: Mapping[date, Sequence[str]],
) -> None:
    """One import of whole weeks for one pupil: each week's codes first, then present."""
    marks: dict[tuple[date, str], str] = {}
    for week, codes in weeks.items():
        marks.update(week_marks(week, codes))
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks=marks)


def present(*weeks: date) -> dict[date, Sequence[str]]:
    return {week: () for week in weeks}


async def drain(session: AsyncSession) -> RecomputeCounts:
    """Passes until the queue is empty, as the worker runs them."""
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
        .order_by(AttendanceAlert.school_urn, AttendanceAlert.kind, AttendanceAlert.period_start)
        .execution_options(populate_existing=True)
    )
    if kind is not None:
        stmt = stmt.where(AttendanceAlert.kind == kind)
    return list((await session.scalars(stmt)).all())


async def open_alerts(
    session: AsyncSession, pupil: Pupil, kind: AlertKind | None = None
) -> list[AttendanceAlert]:
    return [a for a in await alerts_of(session, pupil, kind) if a.status is AlertStatus.OPEN]


async def alert_states(
    session: AsyncSession, pupil: Pupil
) -> set[tuple[uuid.UUID, AlertKind, AlertStatus, date, datetime]]:
    return {
        (a.id, a.kind, a.status, a.period_end, a.updated_at)
        for a in await alerts_of(session, pupil)
    }


async def queued(session: AsyncSession) -> set[tuple[int, date]]:
    rows = await session.execute(
        select(AttendanceStaleWeek.school_urn, AttendanceStaleWeek.week_start)
    )
    return {(row.school_urn, row.week_start) for row in rows}


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school)


# --- tallies --------------------------------------------------------------------------------


async def test_pupil_weeks_count_each_category_and_school_weeks_sum_the_possible(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    other = await make_pupil(session, school=school)
    week = monday(0)
    await record(session, pupil, school, {week: ["/", "L", "V", "I", "N", "D", "#", "Z", "U"]})
    await record(session, other, school, present(week))
    counts = await drain(session)
    assert (counts.weeks, counts.pupil_weeks, counts.school_weeks) == (1, 2, 1)
    row = await session.get(AttendancePupilWeek, (school.urn, week, pupil.id))
    assert row is not None
    # The tenth session is present (PM): /, L and \ present; V approved; I authorised;
    # N and U unauthorised; D, # and Z are not possible sessions.
    assert (row.possible, row.present, row.approved_activity) == (7, 3, 1)
    assert (row.authorised, row.unauthorised) == (1, 2)
    school_week = await session.get(AttendanceSchoolWeek, (school.urn, week))
    assert school_week is not None and school_week.possible_sessions == 7 + 10
    assert await queued(session) == set()


async def test_a_week_of_closure_marks_is_not_a_school_week_but_a_part_closed_one_is(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {monday(0): ["#"] * 10, monday(1): ["#"] * 4})
    await drain(session)
    assert await session.get(AttendanceSchoolWeek, (school.urn, monday(0))) is None
    assert await session.get(AttendancePupilWeek, (school.urn, monday(0), pupil.id)) is None
    part = await session.get(AttendanceSchoolWeek, (school.urn, monday(1)))
    assert part is not None and part.possible_sessions == 6


async def test_a_pass_takes_whole_schools_up_to_its_limit_and_leaves_the_rest_queued(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    """A school's weeks are never split between passes (the alerts would then depend on
    where the queue was cut): the first school goes whole even past the limit, later schools
    only while they fit."""
    other = await make_school(session)
    their_pupil = await make_pupil(session, school=other, on_roll_from=AUTUMN_2024)
    await record(session, pupil, school, present(monday(0), monday(1), monday(2)))
    await record(session, their_pupil, other, present(monday(0)))
    counts = await recompute(session, limit=2)
    assert (counts.weeks, counts.unqueued) == (3, 3)
    assert await queued(session) == {(other.urn, monday(0))}
    assert (await recompute(session, limit=2)).weeks == 1
    assert (await recompute(session, limit=2)).weeks == 0


# --- the penalty-notice threshold -------------------------------------------------------------


async def test_nine_unauthorised_sessions_raise_nothing_and_the_tenth_raises_an_alert(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    # One N a week for nine weeks, imported week by week as a school's system sends them.
    for n in range(9):
        await record(session, pupil, school, {monday(n): ["N"]})
        await drain(session)
    assert await alerts_of(session, pupil, PENALTY) == []
    await record(session, pupil, school, {monday(9): ["N"]})
    counts = await drain(session)
    assert counts.raised == 1
    (alert,) = await alerts_of(session, pupil, PENALTY)
    assert alert.status is AlertStatus.OPEN
    assert (alert.period_start, alert.period_end) == (monday(0), monday(9))
    assert alert.school_urn == school.urn
    assert alert.possible_sessions == 100
    assert alert.unauthorised_sessions == 10
    assert (alert.attended_sessions, alert.authorised_sessions) == (90, 0)
    assert alert.withdrawn_at is None


async def test_sessions_count_in_any_mix_and_need_not_be_consecutive(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(
        session,
        pupil,
        school,
        {
            **present(*(monday(n) for n in range(12))),
            monday(1): ["G", "O", "U"],
            monday(4): ["/", "N", "N"],
            monday(6): ["N", "/", "G"],
            monday(8): ["/", "U", "O", "G"],
        },
    )
    await drain(session)
    (alert,) = await open_alerts(session, pupil, PENALTY)
    # The first session is in week 1 and the tenth in week 8: the event spans them.
    assert (alert.period_start, alert.period_end) == (monday(1), monday(8))
    assert alert.unauthorised_sessions == 10


async def test_ten_sessions_across_eleven_school_weeks_raise_nothing(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(
        session,
        pupil,
        school,
        {**present(*(monday(n) for n in range(12))), monday(0): ["N"] * 5, monday(10): ["N"] * 5},
    )
    await drain(session)
    assert await alerts_of(session, pupil, PENALTY) == []


async def test_a_window_reaches_past_half_term(session: AsyncSession, school: School) -> None:
    """Half-term has no marks, so it is no school week: 10 school weeks from 9 September
    reach 18 November, 11 calendar weeks later."""
    assert monday(8) == HALF_TERM_2024
    term = [monday(n) for n in range(14) if n != 8]
    within = await make_pupil(session, school=school)
    beyond = await make_pupil(session, school=school)
    await record(
        session, within, school, {**present(*term), monday(1): ["N"] * 5, monday(11): ["N"] * 5}
    )
    await record(
        session, beyond, school, {**present(*term), monday(1): ["N"] * 5, monday(12): ["N"] * 5}
    )
    await drain(session)
    assert await session.get(AttendanceSchoolWeek, (school.urn, HALF_TERM_2024)) is None
    (alert,) = await open_alerts(session, within, PENALTY)
    assert (alert.period_start, alert.period_end) == (monday(1), monday(11))
    assert alert.possible_sessions == 100  # ten school weeks, half-term not among them
    # Ten school weeks back from 25 November start on 16 September: week 1 is outside.
    assert await alerts_of(session, beyond, PENALTY) == []


async def test_a_window_spans_two_school_years_across_the_summer(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    summer = [date(2025, 6, 2) + timedelta(weeks=n) for n in range(7)]  # to 14 July
    autumn = [date(2025, 9, 1) + timedelta(weeks=n) for n in range(3)]  # to 15 September
    await record(session, pupil, school, {**present(*summer), date(2025, 6, 23): ["N"] * 5})
    await drain(session)
    await record(session, pupil, school, {**present(*autumn), date(2025, 9, 15): ["N"] * 5})
    await drain(session)
    (alert,) = await open_alerts(session, pupil, PENALTY)
    # From the week of the first session it spends (23 June) to 15 September: seven school
    # weeks, the summer holiday not among them.
    assert (alert.period_start, alert.period_end) == (date(2025, 6, 23), date(2025, 9, 15))
    assert alert.unauthorised_sessions == 10
    assert alert.possible_sessions == 70


async def test_closure_weeks_are_not_school_weeks_so_the_window_reaches_past_them(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(
        session,
        pupil,
        school,
        {
            **present(*(monday(n) for n in range(12))),
            monday(1): ["N"] * 5,
            monday(5): ["#"] * 10,
            monday(11): ["N"] * 5,
        },
    )
    await drain(session)
    (alert,) = await open_alerts(session, pupil, PENALTY)
    assert (alert.period_start, alert.period_end) == (monday(1), monday(11))
    assert alert.possible_sessions == 100  # ten school weeks, the closure week not among them
    assert alert.unauthorised_sessions == 10


async def test_a_correction_from_n_to_m_withdraws_the_alert_and_back_reopens_it(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(
        session, pupil, school, {**present(*(monday(n) for n in range(10))), monday(3): ["N"] * 10}
    )
    await drain(session)
    (raised,) = await open_alerts(session, pupil, PENALTY)
    raised_at = raised.raised_at
    # The reason arrives: the Thursday morning was a medical appointment.
    thursday_am = (monday(3) + timedelta(days=3), AM)
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks={thursday_am: "M"})
    counts = await drain(session)
    assert counts.withdrawn == 1
    (withdrawn,) = await alerts_of(session, pupil, PENALTY)
    assert withdrawn.id == raised.id
    assert withdrawn.status is AlertStatus.WITHDRAWN
    assert withdrawn.withdrawn_at is not None
    # It was not a medical appointment after all: the same alert is open again.
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks={thursday_am: "N"})
    counts = await drain(session)
    assert (counts.reopened, counts.raised) == (1, 0)
    (reopened,) = await alerts_of(session, pupil, PENALTY)
    assert reopened.id == raised.id
    assert reopened.status is AlertStatus.OPEN and reopened.withdrawn_at is None
    assert reopened.raised_at >= raised_at


async def test_a_school_week_appearing_before_later_ones_shifts_other_pupils_windows(
    session: AsyncSession, school: School
) -> None:
    """Week 5's register arrives late, naming another pupil only: it becomes a school week,
    so a pupil with no marks in it now has ten sessions across eleven school weeks."""
    pupil = await make_pupil(session, school=school)
    other = await make_pupil(session, school=school)
    weeks = [monday(n) for n in range(12) if n != 5]
    await record(
        session, pupil, school, {**present(*weeks), monday(0): ["N"] * 5, monday(10): ["N"] * 5}
    )
    await record(session, other, school, present(*weeks))
    await drain(session)
    (alert,) = await open_alerts(session, pupil, PENALTY)
    assert (alert.period_start, alert.period_end) == (monday(0), monday(10))
    await record(session, other, school, present(monday(5)))
    counts = await drain(session)
    assert counts.withdrawn == 1
    (withdrawn,) = await alerts_of(session, pupil, PENALTY)
    assert withdrawn.status is AlertStatus.WITHDRAWN


async def test_a_week_queued_again_during_a_pass_stays_queued_for_the_next(
    backend: str, session: AsyncSession, school: School, pupil: Pupil
) -> None:
    """PostgreSQL: an import may commit while a pass runs. (SQLite's single writer lets no
    import in while a pass holds the write lock.)"""
    if backend != "postgresql":
        pytest.skip("imports and passes overlap only on PostgreSQL")
    await record(session, pupil, school, {monday(n): ["N"] for n in range(10)})
    claimed = await AttendanceTallyRepository(session).claim(limit=100)
    assert len(claimed) == 10
    # An import corrects week 9 after the claim: it queues the week again, moving it on.
    await write_marks(
        session, pupil_id=pupil.id, school_urn=school.urn, marks={(monday(9), AM): "M"}
    )
    later = datetime.now(UTC) + timedelta(seconds=1)
    await session.execute(
        update(AttendanceStaleWeek)
        .where(AttendanceStaleWeek.week_start == monday(9))
        .values(queued_at=later)
    )
    counts = await recompute_claimed(session, claimed)
    assert (counts.weeks, counts.unqueued) == (10, 9)
    assert await queued(session) == {(school.urn, monday(9))}
    assert (await drain(session)).weeks == 1
    assert await queued(session) == set()
    assert await alerts_of(session, pupil, PENALTY) == []


async def test_a_week_queued_by_plain_sql_leaves_the_queue(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    """Whatever form another writer stored ``queued_at`` in, a pass takes the week off."""
    await record(session, pupil, school, present(monday(0)))
    await session.execute(delete(AttendanceStaleWeek))
    await session.execute(
        text(
            "INSERT INTO attendance_stale_weeks (school_urn, week_start, queued_at) "
            "VALUES (:urn, :week, CURRENT_TIMESTAMP)"
        ),
        {"urn": school.urn, "week": monday(0)},
    )
    counts = await recompute(session)
    assert (counts.weeks, counts.unqueued) == (1, 1)
    assert await queued(session) == set()


async def test_passes_over_the_same_weeks_again_change_nothing(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(
        session,
        pupil,
        school,
        {**present(*(monday(n) for n in range(10))), monday(2): ["N"] * 6, monday(7): ["N"] * 4},
    )
    await drain(session)
    before = await alert_states(session, pupil)
    assert {kind for _, kind, *_ in before} == {PENALTY, PERSISTENT}
    tallies = await session.scalar(select(func.count()).select_from(AttendancePupilWeek))
    for n in range(10):
        session.add(AttendanceStaleWeek(school_urn=school.urn, week_start=monday(n)))
    await session.flush()
    counts = await drain(session)
    assert counts.weeks == 10
    assert (counts.raised, counts.reopened, counts.updated, counts.withdrawn) == (0, 0, 0, 0)
    assert await alert_states(session, pupil) == before
    assert await session.scalar(select(func.count()).select_from(AttendancePupilWeek)) == tallies


async def test_dual_registration_counts_each_session_at_one_school_only(
    session: AsyncSession,
) -> None:
    """At each school the other school's sessions are D: not possible, so not absent."""
    main = await make_school(session)
    unit = await make_school(session)
    pupil = await make_pupil(session, school=main)
    weeks = [monday(n) for n in range(3)]
    # Monday to Wednesday at the main school, Thursday and Friday at the unit (absent).
    await record(session, pupil, main, {week: ["/", "\\"] * 3 + ["D"] * 4 for week in weeks})
    await record(session, pupil, unit, {week: ["D"] * 6 + ["N"] * 4 for week in weeks})
    await drain(session)
    alerts = await open_alerts(session, pupil)
    assert {(a.school_urn, a.kind) for a in alerts} == {
        (unit.urn, PENALTY),
        (unit.urn, PERSISTENT),
        (unit.urn, SEVERE),
    }
    penalty = next(a for a in alerts if a.kind is PENALTY)
    assert (penalty.possible_sessions, penalty.unauthorised_sessions) == (12, 12)
    at_main = await session.get(AttendancePupilWeek, (main.urn, monday(0), pupil.id))
    assert at_main is not None and (at_main.possible, at_main.unauthorised) == (6, 0)


async def test_a_whole_registers_reads_pick_out_the_same_pupils(
    session: AsyncSession, school: School, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many pupils are read by the school's weeks and picked out in Python, not in SQL: the
    alerts come out the same."""
    from app.repositories import attendance_tallies

    monkeypatch.setattr(attendance_tallies, "FEW_PUPILS", 0)
    absent = await make_pupil(session, school=school)
    corrected = await make_pupil(session, school=school)
    steady = await make_pupil(session, school=school)
    weeks = present(*(monday(n) for n in range(4)))
    await record(session, absent, school, {**weeks, monday(1): ["N"] * 10})
    await record(session, corrected, school, {**weeks, monday(3): ["I", "I", "N"]})
    await record(session, steady, school, {**weeks, monday(0): ["I"] * 5})
    await drain(session)
    await write_marks(
        session, pupil_id=corrected.id, school_urn=school.urn, marks={(monday(0), AM): "N"}
    )
    await drain(session)
    assert {a.kind for a in await open_alerts(session, absent)} == {PENALTY, PERSISTENT}
    (persistent,) = await open_alerts(session, corrected)
    assert (persistent.kind, persistent.unauthorised_sessions) == (PERSISTENT, 2)
    assert persistent.period_end == friday(monday(3))
    (steady_alert,) = await open_alerts(session, steady)
    assert steady_alert.kind is PERSISTENT and steady_alert.period_end == friday(monday(3))


async def test_a_mark_with_a_code_outside_the_2024_set_counts_as_no_session(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    """The import refuses such codes; a mark written some other way must not stop the
    worker."""
    await record(session, pupil, school, {monday(0): ["H", "N"]})
    counts = await drain(session)
    assert counts.weeks == 1
    row = await session.get(AttendancePupilWeek, (school.urn, monday(0), pupil.id))
    assert row is not None and (row.possible, row.unauthorised) == (9, 1)


# --- persistent and severe absence ------------------------------------------------------------


async def test_persistent_absence_is_raised_kept_current_and_withdrawn(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {monday(0): ["I", "I"]})
    await drain(session)
    (alert,) = await open_alerts(session, pupil)
    assert alert.kind is PERSISTENT
    assert (alert.period_start, alert.period_end) == (date(2024, 8, 1), friday(monday(0)))
    assert (alert.possible_sessions, alert.authorised_sessions, alert.attended_sessions) == (
        10,
        2,
        8,
    )
    # Still 10% after a week of full attendance: the same alert, its figures brought up to date.
    await record(session, pupil, school, present(monday(1)))
    counts = await drain(session)
    assert counts.updated == 1
    (current,) = await open_alerts(session, pupil)
    assert current.id == alert.id
    assert (current.possible_sessions, current.period_end) == (20, friday(monday(1)))
    # Another good week: 2 of 30 is under 10%, so it is withdrawn, with its last figures.
    await record(session, pupil, school, present(monday(2)))
    counts = await drain(session)
    assert counts.withdrawn == 1
    (withdrawn,) = await alerts_of(session, pupil)
    assert withdrawn.status is AlertStatus.WITHDRAWN
    assert withdrawn.possible_sessions == 20


async def test_a_correction_to_an_earlier_week_keeps_the_period_to_the_latest_day(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {monday(0): ["I", "I", "I"], **present(monday(1))})
    await record(session, pupil, school, {monday(2): ["/"] * 9 + ["#"]})  # Friday PM closed
    await drain(session)
    (alert,) = await open_alerts(session, pupil)
    assert (alert.authorised_sessions, alert.period_end) == (3, friday(monday(2)))
    await write_marks(
        session, pupil_id=pupil.id, school_urn=school.urn, marks={(monday(0), AM): "N"}
    )
    counts = await drain(session)
    assert (counts.weeks, counts.updated) == (1, 1)
    (current,) = await open_alerts(session, pupil)
    assert (current.authorised_sessions, current.unauthorised_sessions) == (2, 1)
    assert current.period_end == friday(monday(2))


async def test_severe_absence_is_raised_beside_persistent_absence(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {monday(0): ["N", "I", "C", "N", "O"]})
    await drain(session)
    alerts = await open_alerts(session, pupil)
    assert {a.kind for a in alerts} == {PERSISTENT, SEVERE}
    severe = next(a for a in alerts if a.kind is SEVERE)
    assert (severe.possible_sessions, severe.authorised_sessions) == (10, 2)
    assert severe.unauthorised_sessions == 3
    # Recovering below 50% withdraws severe absence but not persistent absence.
    await record(session, pupil, school, present(monday(1)))
    await drain(session)
    assert {a.kind for a in await open_alerts(session, pupil)} == {PERSISTENT}


async def test_absence_alerts_wait_for_ten_possible_sessions_in_the_school_year(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    tuesday = monday(0) + timedelta(days=1)
    first_two_days = {
        key: code for key, code in week_marks(monday(0), ["N", "N"]).items() if key[0] <= tuesday
    }
    assert len(first_two_days) == 4  # four possible sessions, two of them absent
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks=first_two_days)
    await drain(session)
    assert await alerts_of(session, pupil) == []
    await record(session, pupil, school, {monday(0): ["N", "N"]})  # the rest of the week
    await drain(session)
    (alert,) = await open_alerts(session, pupil)
    assert (alert.kind, alert.possible_sessions, alert.unauthorised_sessions) == (
        PERSISTENT,
        10,
        2,
    )


async def test_a_new_school_year_starts_its_own_absence_alerts(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {date(2025, 7, 14): ["I", "I"]})
    await drain(session)
    await record(session, pupil, school, present(date(2025, 9, 1)))
    await drain(session)
    (alert,) = await open_alerts(session, pupil)
    # The summer's alert stands for 2024/25; 2025/26 has none so far.
    assert alert.period_start == date(2024, 8, 1)


async def test_alerts_are_held_on_the_pupils_footing(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    await record(session, pupil, school, {monday(0): ["N"] * 10})
    await drain(session)
    alerts = await alerts_of(session, pupil)
    assert {a.kind for a in alerts} == {PENALTY, PERSISTENT, SEVERE}
    for alert in alerts:
        assert alert.subject_id == pupil.subject_id
        assert alert.purposes_mask == pupil.purposes_mask
        assert alert.lawful_basis == pupil.lawful_basis


# --- the command and the worker ---------------------------------------------------------------


def _scene(database_url: str) -> uuid.UUID:
    """A school, a pupil and a week of unauthorised absence, committed and queued."""

    async def build() -> uuid.UUID:
        from app.db import create_engine
        from tests.conftest import make_settings

        engine = create_engine(make_settings(database_url))
        database = Database(engine, migrations_dir=PROJECT_ROOT / "migrations")
        try:
            async with database.sessions() as session:
                school = await make_school(session)
                pupil = await make_pupil(session, school=school)
                await record(session, pupil, school, {monday(0): ["N"] * 10})
                await session.commit()
                return pupil.id
        finally:
            await database.dispose()

    return asyncio.run(build())


def _table_count(database: Path, table: str) -> int:
    import sqlite3

    with sqlite3.connect(database) as conn:
        count: int = conn.execute(f"select count(*) from {table}").fetchone()[0]  # noqa: S608
        return count


def test_the_recompute_command_drains_the_queue_and_reports_counts(tmp_path: Path) -> None:
    database = tmp_path / "kpas.db"
    env = service_env(f"sqlite+aiosqlite:///{database}")
    kpas("migrate", env=env)
    _scene(f"sqlite+aiosqlite:///{database}")
    assert _table_count(database, "attendance_stale_weeks") == 1
    done = kpas("attendance", "recompute", "--batch-weeks", "5", env=env)
    assert "recomputed 1 school weeks (1 pupil weeks" in done.stdout
    assert "3 raised" in done.stdout
    assert _table_count(database, "attendance_stale_weeks") == 0
    assert _table_count(database, "attendance_alerts") == 3
    again = kpas("attendance", "recompute", env=env)
    assert "recomputed 0 school weeks" in again.stdout


def test_the_worker_recomputes_beside_the_outbox_and_stops_on_sigterm(tmp_path: Path) -> None:
    database = tmp_path / "kpas.db"
    env = service_env(f"sqlite+aiosqlite:///{database}")
    kpas("migrate", env=env)
    log = tmp_path / "worker.log"
    with log.open("w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", "--idle", "0.05"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
        try:
            _scene(f"sqlite+aiosqlite:///{database}")  # queued while the worker runs
            deadline = time.monotonic() + 30
            while _table_count(database, "attendance_alerts") < 3:
                assert worker.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.1)
            assert _table_count(database, "attendance_stale_weeks") == 0
        finally:
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(15) == 0, log.read_text()[-3000:]
    text = log.read_text()
    assert "attendance_recompute_pass" in text
    assert "outbox_worker_stopped" in text and "attendance_recompute_stopped" in text


def test_the_worker_once_drains_the_attendance_queue_too(tmp_path: Path) -> None:
    database = tmp_path / "kpas.db"
    env = service_env(f"sqlite+aiosqlite:///{database}")
    kpas("migrate", env=env)
    _scene(f"sqlite+aiosqlite:///{database}")
    once = kpas("worker", "--once", env=env)
    assert "outbox_worker_pass" in once.stderr
    assert _table_count(database, "attendance_stale_weeks") == 0
    assert _table_count(database, "attendance_alerts") == 3


async def test_two_passes_at_once_never_take_the_same_school(backend: str, tmp_path: Path) -> None:
    """PostgreSQL: a pass locks the schools it takes, and another skips them. (SQLite has one
    writer at a time, so passes cannot overlap there.)"""
    if backend != "postgresql":
        pytest.skip("passes overlap only on PostgreSQL")
    async with migrated_database(backend, tmp_path) as database:
        async with database.sessions() as setup:
            first = await make_school(setup)
            second = await make_school(setup)
            for school in (first, second):
                pupil = await make_pupil(setup, school=school)
                await record(setup, pupil, school, {monday(0): ["N"] * 10})
            await setup.commit()
        async with database.sessions() as one, database.sessions() as two:
            taken_by_one = await AttendanceTallyRepository(one).claim(limit=1)
            taken_by_two = await AttendanceTallyRepository(two).claim(limit=10)
            assert len(taken_by_one) == len(taken_by_two) == 1
            assert taken_by_one[0].school_urn != taken_by_two[0].school_urn
            counts_one = await recompute_claimed(one, taken_by_one)
            counts_two = await recompute_claimed(two, taken_by_two)
            await one.commit()
            await two.commit()
        assert counts_one.raised == counts_two.raised == 3
        async with database.sessions() as check:
            assert await queued(check) == set()
