"""The alerts are a function of the marks alone: however the worker drains the stale-week
queue (all at once, a week a pass forwards, backwards or shuffled, passes between imports)
the open alerts are those a recompute from scratch gives, and draining the same queue in any
order leaves the same alerts, withdrawn ones included. Random scenes, seeded, of two schools
over twelve weeks with corrections across them (withdrawn events, new absence, closure
weeks)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AlertStatus,
    AttendanceAlert,
    AttendanceMark,
    AttendancePupilWeek,
    AttendanceSchoolWeek,
    AttendanceStaleWeek,
)
from app.models.base import utcnow
from app.models.people import Pupil
from app.models.schools import School
from app.repositories.attendance_tallies import AttendanceTallyRepository
from app.rules.attendance import week_start
from app.services.attendance_recompute import recompute, recompute_claimed
from tests.factories import make_pupil, make_school
from tests.test_attendance_recompute import AUTUMN_2024, monday, record

WEEKS = 12
UNAUTHORISED = ("N", "O", "G", "U")


@dataclass(frozen=True, slots=True)
class Import:
    """One import: one pupil's codes for some weeks (a closure week is every pupil's)."""

    school: int
    pupil: int
    weeks: dict[int, tuple[str, ...]]


def _codes(rng: random.Random) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.35:
        return ()
    if roll < 0.85:
        return tuple(rng.choice(UNAUTHORISED) for _ in range(rng.randint(1, 10)))
    return tuple(rng.choice(("I", "M", "N")) for _ in range(rng.randint(1, 10)))


def _scene(seed: int) -> tuple[list[Import], list[Import]]:
    """The first imports (every pupil, every week) and the corrections after them."""
    rng = random.Random(seed)
    first = [
        Import(school, pupil, {week: _codes(rng) for week in range(WEEKS)})
        for school in range(2)
        for pupil in range(3)
    ]
    corrections: list[Import] = []
    for _ in range(rng.randint(4, 8)):
        school, pupil = rng.randrange(2), rng.randrange(3)
        weeks = rng.sample(range(WEEKS), rng.randint(1, 3))
        if rng.random() < 0.15:
            # A week of closure marks: it stops being a school week for the school.
            week = weeks[0]
            corrections.extend(Import(school, p, {week: ("#",) * 10}) for p in range(3))
            continue
        corrections.append(Import(school, pupil, {week: _codes(rng) for week in weeks}))
    rng.shuffle(corrections)
    return first, corrections


Cast = tuple[list[School], list[list[Pupil]]]


async def _cast(session: AsyncSession) -> Cast:
    schools = [await make_school(session, name=f"Order School {n}") for n in range(2)]
    pupils = [
        [await make_pupil(session, school=school, on_roll_from=AUTUMN_2024) for _ in range(3)]
        for school in schools
    ]
    return schools, pupils


async def _apply(session: AsyncSession, cast: Cast, done: Import) -> None:
    schools, pupils = cast
    await record(
        session,
        pupils[done.school][done.pupil],
        schools[done.school],
        {monday(week): codes for week, codes in done.weeks.items()},
    )


async def _alerts(session: AsyncSession, *, open_only: bool) -> list[tuple[Any, ...]]:
    """Who, where, kind, status, period, figures and the last session spent: of every alert,
    or only of the open ones (a recompute from scratch has no history of withdrawn ones)."""
    stmt = select(
        AttendanceAlert.pupil_id,
        AttendanceAlert.school_urn,
        AttendanceAlert.kind,
        AttendanceAlert.status,
        AttendanceAlert.period_start,
        AttendanceAlert.period_end,
        AttendanceAlert.possible_sessions,
        AttendanceAlert.attended_sessions,
        AttendanceAlert.authorised_sessions,
        AttendanceAlert.unauthorised_sessions,
        AttendanceAlert.spent_through_date,
        AttendanceAlert.spent_through_session,
    )
    if open_only:
        stmt = stmt.where(AttendanceAlert.status == AlertStatus.OPEN)
    return sorted(map(tuple, (await session.execute(stmt)).all()), key=repr)


async def _tallies(session: AsyncSession) -> list[list[tuple[Any, ...]]]:
    return [
        sorted(map(tuple, (await session.execute(select(table))).all()), key=repr)
        for table in (AttendancePupilWeek.__table__, AttendanceSchoolWeek.__table__)
    ]


async def _queued(session: AsyncSession) -> int:
    return len((await session.scalars(select(AttendanceStaleWeek.week_start))).all())


async def _all_at_once(session: AsyncSession) -> None:
    while (await recompute(session, limit=10_000)).weeks:
        pass


async def _a_week_a_pass(session: AsyncSession, order: Callable[[list[Any]], list[Any]]) -> None:
    """Each stale week in a pass of its own, in ``order``."""
    claimed = await AttendanceTallyRepository(session).claim(limit=10_000)
    for stale in order(claimed):
        await recompute_claimed(session, [stale])
    assert await _queued(session) == 0


async def _one_week_limit(session: AsyncSession) -> None:
    while (await recompute(session, limit=1)).weeks:
        pass


def _shuffled(seed: int) -> Callable[[list[Any]], list[Any]]:
    def order(claimed: list[Any]) -> list[Any]:
        shuffled = list(claimed)
        random.Random(seed).shuffle(shuffled)
        return shuffled

    return order


async def _from_scratch(session: AsyncSession) -> None:
    """Forget every derived row and queue every week with marks: one pass over them all."""
    for model in (AttendanceAlert, AttendancePupilWeek, AttendanceSchoolWeek, AttendanceStaleWeek):
        await session.execute(delete(model))
    now = utcnow()
    marked = (
        await session.execute(
            select(AttendanceMark.school_urn, AttendanceMark.mark_date).distinct()
        )
    ).all()
    for urn, week in {(urn, week_start(day)) for urn, day in marked}:
        session.add(AttendanceStaleWeek(school_urn=urn, week_start=week, queued_at=now))
    await session.flush()
    await _all_at_once(session)


Outcome = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[list[tuple[Any, ...]]]]


async def _outcome(
    session: AsyncSession, drain: Callable[[AsyncSession], Awaitable[None]] | None = None
) -> Outcome:
    """Every alert, the open ones and the tallies after ``drain`` (rolled back after)."""
    savepoint = await session.begin_nested()
    if drain is not None:
        await drain(session)
    await session.flush()
    outcome = (
        await _alerts(session, open_only=False),
        await _alerts(session, open_only=True),
        await _tallies(session),
    )
    await savepoint.rollback()
    session.expunge_all()
    return outcome


def _differences(expected: Sequence[Any], found: Sequence[Any]) -> dict[str, list[Any]]:
    return {
        "missing": [row for row in expected if row not in found],
        "unexpected": [row for row in found if row not in expected],
    }


@pytest.mark.parametrize("seed", [1, 2])
async def test_the_alerts_do_not_depend_on_how_the_queue_is_drained(
    session: AsyncSession, seed: int
) -> None:
    """Every alert, withdrawn ones too, is the same drained all at once or a week a pass in
    any order; the open ones are those a recompute from scratch gives. Odd seeds drain the
    first imports before the corrections arrive, even ones queue a school's whole term."""
    first, corrections = _scene(seed)
    cast = await _cast(session)
    for done in first:
        await _apply(session, cast, done)
    if seed % 2:
        await _all_at_once(session)
    for done in corrections:
        await _apply(session, cast, done)
    assert await _queued(session) > 0

    every, open_, tallies = await _outcome(session, _all_at_once)
    assert open_, "the scene raises alerts"
    _, scratch, scratch_tallies = await _outcome(session, _from_scratch)
    assert tallies == scratch_tallies
    assert open_ == scratch, _differences(scratch, open_)
    ways: dict[str, Callable[[AsyncSession], Awaitable[None]]] = {
        "earliest first": lambda s: _a_week_a_pass(
            s, lambda c: sorted(c, key=lambda w: (w.week_start, w.school_urn))
        ),
        "latest first": lambda s: _a_week_a_pass(
            s, lambda c: sorted(c, key=lambda w: (w.week_start, w.school_urn), reverse=True)
        ),
        "shuffled": lambda s: _a_week_a_pass(s, _shuffled(seed)),
        "a pass of one week's limit": _one_week_limit,
    }
    for name, drain in ways.items():
        found = await _outcome(session, drain)
        assert found[2] == tallies, name
        assert found[0] == every, (name, _differences(every, found[0]))


@pytest.mark.parametrize("seed", [1])
async def test_passes_between_imports_give_what_one_pass_after_them_gives(
    session: AsyncSession, seed: int
) -> None:
    """Imports arrive while the worker runs: a pass of a few weeks after each import, then
    the rest; the open alerts are those a recompute from scratch of the final marks gives
    (the withdrawn ones are the history of what the marks said on the way)."""
    first, corrections = _scene(seed)
    cast = await _cast(session)
    rng = random.Random(seed)
    for done in first + corrections:
        await _apply(session, cast, done)
        await recompute(session, limit=rng.randint(1, 3))
    await _all_at_once(session)
    _, interleaved, tallies = await _outcome(session)
    _, scratch, scratch_tallies = await _outcome(session, _from_scratch)
    assert interleaved, "the scene raises alerts"
    assert tallies == scratch_tallies
    assert interleaved == scratch, _differences(scratch, interleaved)
