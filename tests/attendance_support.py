"""Building attendance scenes for tests: marks written straight to the tables (the import
pipeline has tests of its own), registers of school days, and the stale-week queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AttendanceImport,
    AttendanceMark,
    AttendanceStaleWeek,
    ImportMode,
    ImportStatus,
)
from app.models.base import utcnow
from app.rules.attendance import Session, week_start

AM, PM = Session.AM.value, Session.PM.value


def school_days(first: date, last: date) -> Iterator[date]:
    """Weekdays from ``first`` to ``last`` inclusive."""
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def sessions_of(days: Iterable[date]) -> Iterator[tuple[date, str]]:
    for day in days:
        yield day, AM
        yield day, PM


async def make_import(session: AsyncSession, *, submitted_by: str = "mis-test") -> uuid.UUID:
    """An import record for marks written directly."""
    record = AttendanceImport(
        id=uuid.uuid4(),
        submitted_by=submitted_by,
        mode=ImportMode.ATOMIC,
        status=ImportStatus.APPLIED,
        media_type="application/json",
        content_sha256="0" * 64,
        school_urns=[],
        rows_received=0,
        rows_applied=0,
        rows_refused=0,
        marks_created=0,
        marks_replaced=0,
        marks_unchanged=0,
        problems=[],
        problem_count=0,
    )
    session.add(record)
    await session.flush()
    return record.id


async def write_marks(
    session: AsyncSession,
    *,
    pupil_id: uuid.UUID,
    school_urn: int,
    marks: Mapping[tuple[date, str], str],
    queue_stale: bool = True,
) -> None:
    """Write (or overwrite) marks for one pupil at one school, and queue the school weeks
    they fall in for the worker, as an import would."""
    import_id = await make_import(session)
    now = utcnow()
    for (day, session_name), code in marks.items():
        existing = await session.get(AttendanceMark, (pupil_id, day, session_name, school_urn))
        if existing is not None:
            existing.code = code
            existing.import_id = import_id
            existing.recorded_at = now
        else:
            session.add(
                AttendanceMark(
                    pupil_id=pupil_id,
                    school_urn=school_urn,
                    mark_date=day,
                    session=session_name,
                    code=code,
                    import_id=import_id,
                    recorded_at=now,
                )
            )
    if queue_stale:
        # As an import does: queue each week, or move an already queued week's time forward.
        for week in {week_start(day) for day, _ in marks}:
            queued = await session.get(AttendanceStaleWeek, (school_urn, week))
            if queued is None:
                session.add(
                    AttendanceStaleWeek(school_urn=school_urn, week_start=week, queued_at=now)
                )
            else:
                queued.queued_at = now
    await session.flush()


def every_session(days: Iterable[date], code: str) -> dict[tuple[date, str], str]:
    return dict.fromkeys(sessions_of(days), code)
