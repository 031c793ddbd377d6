"""Queries behind attendance figures: a pupil's marks and their corrections, and a school's
sessions counted per pupil, from its marks and from the worker's weekly tallies."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AttendanceMark,
    AttendanceMarkHistory,
    AttendancePupilWeek,
    AttendanceStaleWeek,
)
from app.models.people import Pupil
from app.models.schools import School
from app.rules.attendance import AttendanceFigures


@dataclass(frozen=True, slots=True)
class CountedPupil:
    """A pupil counted in a school's summary, as the summary names them."""

    id: uuid.UUID
    subject_id: uuid.UUID
    legal_forename: str
    legal_surname: str
    preferred_forename: str | None
    preferred_surname: str | None


#: Values per IN list: well under SQLite's and asyncpg's limits on bound parameters.
IN_CHUNK = 5000

_PUPIL_COLUMNS = (
    Pupil.id,
    Pupil.subject_id,
    Pupil.legal_forename,
    Pupil.legal_surname,
    Pupil.preferred_forename,
    Pupil.preferred_surname,
)


def _recorded_by(school_urn: Any, schools: ColumnElement[bool]) -> ColumnElement[bool]:
    """SQL: ``school_urn`` names a school that passes ``schools``."""
    recorded: ColumnElement[bool] = school_urn.in_(select(School.urn).where(schools))
    return recorded


class AttendanceFigureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- one pupil ----------------------------------------------------------------------

    async def marks_of_pupil(
        self, pupil_id: uuid.UUID, *, first: date, last: date, schools: ColumnElement[bool]
    ) -> list[AttendanceMark]:
        """The pupil's current marks from ``first`` to ``last`` inclusive, recorded by the
        schools that pass ``schools`` (a filter on the schools table), in date, session and
        school order (the primary key's order)."""
        rows = await self.session.scalars(
            select(AttendanceMark)
            .where(
                AttendanceMark.pupil_id == pupil_id,
                AttendanceMark.mark_date >= first,
                AttendanceMark.mark_date <= last,
                _recorded_by(AttendanceMark.school_urn, schools),
            )
            .order_by(AttendanceMark.mark_date, AttendanceMark.session, AttendanceMark.school_urn)
        )
        return list(rows.all())

    async def replaced_marks_of_pupil(
        self, pupil_id: uuid.UUID, *, first: date, last: date, schools: ColumnElement[bool]
    ) -> list[AttendanceMarkHistory]:
        """Marks that corrections replaced, for sessions in the period, recorded by the
        schools that pass ``schools``, oldest first."""
        rows = await self.session.scalars(
            select(AttendanceMarkHistory)
            .where(
                AttendanceMarkHistory.pupil_id == pupil_id,
                AttendanceMarkHistory.mark_date >= first,
                AttendanceMarkHistory.mark_date <= last,
                _recorded_by(AttendanceMarkHistory.school_urn, schools),
            )
            .order_by(
                AttendanceMarkHistory.mark_date,
                AttendanceMarkHistory.session,
                AttendanceMarkHistory.replaced_at,
                AttendanceMarkHistory.id,
            )
        )
        return list(rows.all())

    # --- one school ---------------------------------------------------------------------

    async def stale_weeks(self, school_urn: int, *, first_week: date, last_week: date) -> set[date]:
        """The school's weeks from ``first_week`` to ``last_week`` (Mondays) whose marks
        changed since the worker last counted them."""
        rows = await self.session.scalars(
            select(AttendanceStaleWeek.week_start).where(
                AttendanceStaleWeek.school_urn == school_urn,
                AttendanceStaleWeek.week_start >= first_week,
                AttendanceStaleWeek.week_start <= last_week,
            )
        )
        return set(rows.all())

    async def week_tallies(
        self, school_urn: int, *, first_week: date, last_week: date, skip: Collection[date]
    ) -> dict[uuid.UUID, AttendanceFigures]:
        """The worker's weekly tallies of the school's pupils for weeks ``first_week`` to
        ``last_week`` (Mondays) except ``skip``, summed per pupil (over the primary key). The
        worker keeps a row only for a pupil-week with a possible session."""
        week = AttendancePupilWeek
        stmt = (
            select(
                week.pupil_id,
                func.sum(week.possible),
                func.sum(week.present),
                func.sum(week.approved_activity),
                func.sum(week.authorised),
                func.sum(week.unauthorised),
            )
            .where(
                week.school_urn == school_urn,
                week.week_start >= first_week,
                week.week_start <= last_week,
            )
            .group_by(week.pupil_id)
        )
        if skip:
            stmt = stmt.where(week.week_start.not_in(sorted(skip)))
        return {
            pupil_id: AttendanceFigures(
                int(possible), int(present), int(approved), int(authorised), int(unauthorised)
            )
            for pupil_id, possible, present, approved, authorised, unauthorised in (
                await self.session.execute(stmt)
            )
        }

    async def mark_counts(
        self, school_urn: int, *, days: Sequence[tuple[date, date]]
    ) -> list[tuple[uuid.UUID, str, int]]:
        """The school's marks on ``days`` (inclusive ranges), counted per pupil and code over
        the school and date index: ``(pupil_id, code, sessions)``."""
        if not days:
            return []
        mark = AttendanceMark
        rows = await self.session.execute(
            select(mark.pupil_id, mark.code, func.count())
            .where(
                mark.school_urn == school_urn,
                or_(*(and_(mark.mark_date >= a, mark.mark_date <= b) for a, b in days)),
            )
            .group_by(mark.pupil_id, mark.code)
        )
        return [(pupil_id, code, int(sessions)) for pupil_id, code, sessions in rows]

    async def pupils_among(
        self, pupil_ids: Collection[uuid.UUID], *, visible: ColumnElement[bool]
    ) -> list[CountedPupil]:
        """Of these pupils, those that pass ``visible``, by primary key (a school's few
        thousand, never a scan of every pupil)."""
        found: list[CountedPupil] = []
        ordered = sorted(pupil_ids)
        for start in range(0, len(ordered), IN_CHUNK):
            rows = await self.session.execute(
                select(*_PUPIL_COLUMNS).where(
                    Pupil.id.in_(ordered[start : start + IN_CHUNK]), visible
                )
            )
            found.extend(CountedPupil(*row) for row in rows)
        return found
