"""A pass recomputes a batch of schools together: the result is the same as recomputing
them one school at a time, and an import that waits on a pass keeps the week it queues."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AlertStatus,
    AttendanceAlert,
    AttendancePupilWeek,
    AttendanceSchoolWeek,
    AttendanceStaleWeek,
)
from app.models.people import Pupil
from app.models.schools import School
from app.repositories.attendance_marks import AttendanceMarksRepository
from app.repositories.attendance_tallies import AttendanceTallyRepository, StaleWeek
from app.services.attendance_recompute import RecomputeCounts, recompute, recompute_claimed
from tests.attendance_support import write_marks
from tests.audit_support import migrated_database
from tests.factories import make_pupil, make_school
from tests.test_attendance_recompute import AUTUMN_2024, monday, present, record

#: Who is absent without reason when, in the first import and in the corrections after it.
ABSENT = {
    0: {monday(0): ["N"] * 6, monday(1): ["N"] * 5, monday(6): ["O"] * 4},
    1: {monday(2): ["G"] * 10, monday(3): ["N"] * 10},
    2: {monday(4): ["N"] * 3, monday(5): ["U"] * 8},
}
CORRECTED = {
    # N becomes M in week 1: the first event falls below the threshold.
    0: {monday(1): ["M"] * 5},
    # More absence in week 7 and a whole week of illness in week 3.
    1: {monday(7): ["N"] * 10, monday(3): ["I"] * 10},
    # A week of closure marks: week 8 stops being a school week for the school.
    2: {monday(8): ["#"] * 10},
}


async def _scene(session: AsyncSession) -> list[tuple[School, list[Pupil]]]:
    scene = []
    for n in range(3):
        school = await make_school(session, name=f"Batch School {n}")
        pupils = [
            await make_pupil(session, school=school, on_roll_from=AUTUMN_2024) for _ in range(3)
        ]
        for index, pupil in enumerate(pupils):
            weeks: dict[date, Sequence[str]] = {**present(*(monday(w) for w in range(10)))}
            weeks.update(ABSENT[(index + n) % 3])
            await record(session, pupil, school, weeks)
        scene.append((school, pupils))
    return scene


async def _correct(session: AsyncSession, scene: list[tuple[School, list[Pupil]]]) -> None:
    for n, (school, pupils) in enumerate(scene):
        for index, pupil in enumerate(pupils):
            weeks = CORRECTED[(index + n) % 3]
            if (index + n) % 3 == 2:
                # The closure week is every pupil's at the school.
                for everyone in pupils:
                    await record(session, everyone, school, weeks)
            else:
                await record(session, pupil, school, weeks)


async def _state(session: AsyncSession) -> dict[str, Any]:
    alerts = (
        await session.execute(
            select(
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
        )
    ).all()
    tallies = (await session.execute(select(AttendancePupilWeek.__table__))).all()
    school_weeks = (await session.execute(select(AttendanceSchoolWeek.__table__))).all()
    return {
        "alerts": sorted(map(tuple, alerts), key=repr),
        "pupil_weeks": sorted(map(tuple, tallies), key=repr),
        "school_weeks": sorted(map(tuple, school_weeks), key=repr),
    }


async def _drain(session: AsyncSession, *, limit: int) -> RecomputeCounts:
    total = RecomputeCounts()
    while (counts := await recompute(session, limit=limit)).weeks:
        total.add(counts)
    return total


async def _both_ways(session: AsyncSession) -> tuple[dict[str, Any], dict[str, Any]]:
    """The state after recomputing every stale week one school at a time (as passes did
    before schools were batched), and after recomputing them all as one batch, each from the
    same start."""
    claimed = await AttendanceTallyRepository(session).claim(limit=1000)
    by_school: dict[int, list[StaleWeek]] = defaultdict(list)
    for stale in claimed:
        by_school[stale.school_urn].append(stale)
    assert len(by_school) > 1
    savepoint = await session.begin_nested()
    one_by_one = RecomputeCounts()
    for weeks in by_school.values():
        one_by_one.add(await recompute_claimed(session, weeks))
    school_by_school = await _state(session)
    await savepoint.rollback()
    batched = await recompute_claimed(session, claimed)
    assert batched == one_by_one
    assert await _drain(session, limit=1000) == RecomputeCounts()
    return school_by_school, await _state(session)


async def test_a_batch_of_schools_gives_what_one_school_at_a_time_gives(
    session: AsyncSession,
) -> None:
    """Corrections across weeks: an event withdrawn, new absence after a week of illness, a
    week that stops being a school week."""
    scene = await _scene(session)
    school_by_school, batched = await _both_ways(session)
    assert batched["alerts"], "the scene raises alerts"
    assert school_by_school == batched
    await _correct(session, scene)
    school_by_school, batched = await _both_ways(session)
    assert {row[3] for row in batched["alerts"]} == {AlertStatus.OPEN, AlertStatus.WITHDRAWN}
    assert school_by_school == batched


async def test_an_import_waiting_on_a_pass_keeps_its_week_queued(
    backend: str, tmp_path: Path
) -> None:
    """PostgreSQL: an import for a school a pass holds waits for the pass to commit; the week
    it queues then stays queued for the next pass, however the two interleave."""
    if backend != "postgresql":
        pytest.skip("imports and passes overlap only on PostgreSQL")
    async with migrated_database(backend, tmp_path) as database:
        async with database.sessions() as setup:
            school = await make_school(setup)
            pupil = await make_pupil(setup, school=school, on_roll_from=AUTUMN_2024)
            await record(setup, pupil, school, present(monday(0)))
            await setup.commit()
        async with database.sessions() as worker, database.sessions() as importer:
            claimed = await AttendanceTallyRepository(worker).claim(limit=10)
            assert [stale.school_urn for stale in claimed] == [school.urn]

            async def correct() -> None:
                await AttendanceMarksRepository(importer).lock_schools([school.urn])
                await write_marks(
                    importer,
                    pupil_id=pupil.id,
                    school_urn=school.urn,
                    marks={(monday(0), "AM"): "N"},
                )
                await importer.commit()

            waiting = asyncio.create_task(correct())
            await asyncio.sleep(0.3)
            assert not waiting.done(), "the import waits for the pass to release the school"
            await recompute_claimed(worker, claimed)
            await worker.commit()
            await asyncio.wait_for(waiting, 10)
        async with database.sessions() as check:
            queued = (
                await check.execute(
                    select(AttendanceStaleWeek.school_urn, AttendanceStaleWeek.week_start)
                )
            ).all()
            assert [tuple(row) for row in queued] == [(school.urn, monday(0))]
            counts = await _drain(check, limit=10)
            assert counts.weeks == 1
            unauthorised = await check.scalar(
                select(AttendancePupilWeek.unauthorised).where(
                    AttendancePupilWeek.pupil_id == pupil.id
                )
            )
            assert unauthorised == 1
