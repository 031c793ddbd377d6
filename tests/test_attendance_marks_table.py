"""The marks table keeps no foreign key to pupils (the bulk import would pay a check per
mark); a trigger deletes a pupil's marks with the pupil instead."""

from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceMark
from app.models.people import Enrolment, Pupil
from tests.attendance_support import AM, PM, write_marks
from tests.factories import make_pupil, make_school


async def count_marks(session: AsyncSession, pupil: Pupil) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AttendanceMark)
            .where(AttendanceMark.pupil_id == pupil.id)
        )
        or 0
    )


async def test_deleting_a_pupil_deletes_their_marks_and_only_theirs(
    session: AsyncSession,
) -> None:
    school = await make_school(session)
    leaving = await make_pupil(session, school=school)
    staying = await make_pupil(session, school=school)
    day = date(2026, 11, 23)
    for pupil in (leaving, staying):
        await write_marks(
            session,
            pupil_id=pupil.id,
            school_urn=school.urn,
            marks={(day, AM): "/", (day, PM): "N"},
        )
    assert await count_marks(session, leaving) == 2

    await session.execute(delete(Enrolment).where(Enrolment.pupil_id == leaving.id))
    await session.execute(delete(Pupil).where(Pupil.id == leaving.id))

    assert await count_marks(session, leaving) == 0
    assert await count_marks(session, staying) == 2
