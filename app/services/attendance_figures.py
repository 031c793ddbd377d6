"""Attendance figures for a period: a pupil's marks and figures, and a school's summary.

The arithmetic is ``AttendanceFigures``'s (``app.rules.attendance``): marks are counted by
code, codes classified by the 2024 code set, and the figures derived from the counts.

- A pupil's attendance is decided on the pupil: whoever may read the pupil for the purpose
  sees their marks, and the council's own roles see them at every school that recorded them
  (the common transfer file a school's information system sends on carries them too), with
  their figures across those schools. A dual-registered pupil's sessions at the other school
  are marked D, which is not a possible session, so adding the schools' counts together is
  right. A caller whose reach comes from their schools (school staff, an inspector's grant)
  sees only the marks their own schools recorded, and figures computed from those marks
  alone: the rule's ``parts`` condition says so, and its filter travels into the queries.
- A school's summary is about the school: who may see it is decided on the school. It counts
  only pupils whose data may be processed for the purpose today (not restricted, objecting or
  past retention, and collected for the purpose); anyone else is left out of the totals and
  the lists alike. Persistent and severe absence are over the period asked for. Whole weeks
  are read from the weekly tallies the worker keeps (``attendance_pupil_weeks``), so a year's
  summary reads tens of thousands of rows rather than most of a million marks.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed
from app.models.attendance import AttendanceMark, AttendanceMarkHistory
from app.models.people import Pupil
from app.models.schools import School
from app.models.sharing import DataCategory
from app.policies import Access
from app.policies.registry import PURPOSE_BITS, REGISTRY
from app.repositories.attendance_figures import AttendanceFigureRepository, CountedPupil
from app.repositories.schools import SchoolRepository
from app.rules.attendance import (
    AttendanceFigures,
    CodeCategory,
    classify,
    school_year_start,
    week_start,
)
from app.services.pupils import get_pupil

#: What attendance figures and marks are, as sharing agreements and inspection grants name it.
ATTENDANCE_DATA = frozenset({DataCategory.ATTENDANCE.value})

#: The longest period one request may ask for: two school years of marks.
LONGEST_PERIOD_YEARS = 2

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Period:
    """From ``first`` to ``last``, both inclusive."""

    first: date
    last: date


def _years_before(day: date, years: int) -> date:
    """The same date ``years`` earlier (28 February for 29 February), or the first date
    there is."""
    if day.year <= years:
        return date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def _query_problem(pointer: str, detail: str, code: str) -> dict[str, str]:
    return {"location": "query", "pointer": pointer, "detail": detail, "code": code}


def period_of(access: Access, *, first: date | None, last: date | None) -> Period:
    """The period a request asks for: ``last`` defaults to today (London), ``first`` to the
    start of the school year containing ``last``. Refuses (422) a period that ends before it
    starts or spans more than two years."""
    last = last or access.today
    if first is None:
        first = school_year_start(last) if last >= date(1, 8, 1) else date.min
    if first > last:
        raise ValidationFailed(
            "The period ends before it starts.",
            errors=[_query_problem("/from", "must not be after `to`", "period_reversed")],
        )
    if first < _years_before(last, LONGEST_PERIOD_YEARS):
        raise ValidationFailed(
            f"A period may span at most {LONGEST_PERIOD_YEARS} years.",
            errors=[
                _query_problem(
                    "/from",
                    f"must be at most {LONGEST_PERIOD_YEARS} years before `to`",
                    "period_too_long",
                )
            ],
        )
    return Period(first, last)


def record_release(
    access: Access, *, subject_ids: Iterable[uuid.UUID], content: bytes, resource_id: object
) -> None:
    """Write the disclosure for a partner's or inspector's read of attendance (nothing for
    callers inside KPAS, or when nothing about anyone is sent). ``content`` is exactly the
    bytes released."""
    subjects = set(subject_ids)
    if access.release is None or not subjects:
        return
    access.record_release(
        subject_ids=subjects,
        categories=access.releasable(ATTENDANCE_DATA),
        content=content,
        resource_id=resource_id,
    )


# --- a pupil's attendance -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkEntry:
    """A current mark and the marks corrections replaced for the same session, oldest first."""

    mark: AttendanceMark
    category: CodeCategory
    replaced: list[AttendanceMarkHistory]


@dataclass(frozen=True, slots=True)
class PupilAttendance:
    pupil: Pupil
    period: Period
    figures: AttendanceFigures
    marks: list[MarkEntry]


async def pupil_attendance(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    first: date | None,
    last: date | None,
) -> PupilAttendance:
    """The pupil's marks in the period, each with its corrections, and their figures across
    the schools that recorded them. A pupil the caller may not see is a 404.

    Whether the caller sees the pupil is decided on the pupil, as for the pupil's record;
    which of the pupil's marks they see, on the school that recorded each (the decision's
    parts filter): every school's for the council's roles, their own schools' for a school.
    The figures are computed from the marks served, and nothing else.
    """
    pupil = await get_pupil(session, access, pupil_id=pupil_id)
    period = period_of(access, first=first, last=last)
    repository = AttendanceFigureRepository(session)
    schools = access.parts_filter()
    marks = await repository.marks_of_pupil(
        pupil.id, first=period.first, last=period.last, schools=schools
    )
    replaced: dict[tuple[date, str, int], list[AttendanceMarkHistory]] = defaultdict(list)
    for old in await repository.replaced_marks_of_pupil(
        pupil.id, first=period.first, last=period.last, schools=schools
    ):
        replaced[(old.mark_date, old.session, old.school_urn)].append(old)
    counts: dict[CodeCategory, int] = defaultdict(int)
    entries = []
    for mark in marks:
        category = classify(mark.code)
        counts[category] += 1
        key = (mark.mark_date, mark.session, mark.school_urn)
        entries.append(MarkEntry(mark, category, replaced.get(key, [])))
    return PupilAttendance(pupil, period, AttendanceFigures.of_categories(counts), entries)


# --- a school's summary ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PupilFigures:
    pupil: CountedPupil
    figures: AttendanceFigures

    @property
    def name(self) -> str:
        """The name the pupil is known by."""
        forename = self.pupil.preferred_forename or self.pupil.legal_forename
        surname = self.pupil.preferred_surname or self.pupil.legal_surname
        return f"{forename} {surname}"


@dataclass(frozen=True, slots=True)
class SchoolSummary:
    school: School
    period: Period
    figures: AttendanceFigures
    pupils_with_marks: int
    persistent_absentees: list[PupilFigures]
    severe_absentees: list[PupilFigures]

    @property
    def named_subjects(self) -> set[uuid.UUID]:
        """The data subjects the summary names (its lists)."""
        listed = self.persistent_absentees + self.severe_absentees
        return {entry.pupil.subject_id for entry in listed}


async def school_for_summary(session: AsyncSession, access: Access, *, urn: int) -> School:
    """The school whose summary this caller may read: 404 when there is no such school, 403
    when it is outside the caller's reach (schools are public, so the refusal hides nothing)."""
    school = await SchoolRepository(session).get(urn)
    if school is None:
        raise access.not_found(urn, f"No school with URN {urn}.")
    if not access.permits(school):
        raise access.refuse(
            "the school is outside the caller's reach", code="not_own_school", resource_id=urn
        )
    return school


def _countable(access: Access) -> ColumnElement[bool]:
    """SQL: the pupil may be processed for this request's purpose today (not restricted,
    objecting or past retention, and collected for the purpose)."""
    purpose = access.purpose
    assert purpose is not None  # attendance is personal data: the decision has a purpose
    collected: ColumnElement[bool] = (
        true()
        if REGISTRY[purpose].governance
        else Pupil.purposes_mask.op("&")(PURPOSE_BITS[purpose]) != 0
    )
    return and_(access.visible_subjects(Pupil.subject_id), collected)


def _by_absence(entry: PupilFigures) -> tuple[Fraction, str, str]:
    figures = entry.figures
    return -Fraction(figures.absent, figures.possible), entry.name, str(entry.pupil.id)


def whole_weeks(period: Period) -> tuple[tuple[date, date] | None, list[tuple[date, date]]]:
    """Split ``period`` into the whole weeks (Monday to Sunday) inside it, as their first and
    last Mondays (None when there are none), and the days outside them, as inclusive ranges.
    A period under two weeks is all days (it keeps week arithmetic off the calendar's ends)."""
    if (period.last - period.first).days < 2 * WEEK.days - 1:
        return None, [(period.first, period.last)]
    first_week = week_start(period.first)
    if first_week < period.first:
        first_week += WEEK
    last_week = week_start(period.last)
    if period.last - last_week < WEEK - DAY:  # the period ends before that Sunday
        last_week -= WEEK
    edges = []
    if period.first < first_week:
        edges.append((period.first, first_week - DAY))
    if period.last - last_week >= WEEK:
        edges.append((last_week + WEEK, period.last))
    return (first_week, last_week), edges


def _joined(ranges: Iterable[tuple[date, date]]) -> list[tuple[date, date]]:
    """Inclusive date ranges, sorted, with touching ranges joined into one."""
    joined: list[tuple[date, date]] = []
    for first, last in sorted(ranges):
        if joined and first <= joined[-1][1] + DAY:
            joined[-1] = (joined[-1][0], max(last, joined[-1][1]))
        else:
            joined.append((first, last))
    return joined


async def school_summary(
    session: AsyncSession,
    access: Access,
    *,
    urn: int,
    first: date | None,
    last: date | None,
) -> SchoolSummary:
    """The school's figures over the period and its persistent and severe absentees (highest
    absence first), counting only the pupils the purpose may process.

    Whole weeks inside the period come from the worker's weekly tallies, unless the week is
    waiting to be recounted (its marks changed since); the days of partial weeks at either
    end, and waiting weeks, come from the marks. A week is counted from exactly one of the
    two, so a recount that lands during the read never counts a week twice. Only pupils with
    a possible session in the period are counted (the tallies hold nothing else).
    """
    school = await school_for_summary(session, access, urn=urn)
    period = period_of(access, first=first, last=last)
    repository = AttendanceFigureRepository(session)
    figures: dict[uuid.UUID, AttendanceFigures] = defaultdict(AttendanceFigures)
    weeks, days = whole_weeks(period)
    if weeks is not None:
        first_week, last_week = weeks
        stale = await repository.stale_weeks(school.urn, first_week=first_week, last_week=last_week)
        figures.update(
            await repository.week_tallies(
                school.urn, first_week=first_week, last_week=last_week, skip=stale
            )
        )
        days += [(week, week + WEEK - DAY) for week in stale]
    counts: dict[uuid.UUID, dict[CodeCategory, int]] = defaultdict(lambda: defaultdict(int))
    for pupil_id, code, sessions in await repository.mark_counts(school.urn, days=_joined(days)):
        counts[pupil_id][classify(code)] += sessions
    for pupil_id, by_category in counts.items():
        figures[pupil_id] += AttendanceFigures.of_categories(by_category)
    counted = await repository.pupils_among(
        [pupil_id for pupil_id, each in figures.items() if each.possible > 0],
        visible=_countable(access),
    )
    each = [PupilFigures(pupil, figures[pupil.id]) for pupil in counted]
    total = sum((entry.figures for entry in each), AttendanceFigures())
    persistent = sorted((e for e in each if e.figures.persistent_absence), key=_by_absence)
    # The totals are about everyone counted; the lists name the absentees.
    access.touched(subject_ids=[e.pupil.subject_id for e in persistent], resource_id=school.urn)
    return SchoolSummary(
        school=school,
        period=period,
        figures=total,
        pupils_with_marks=len(each),
        persistent_absentees=persistent,
        severe_absentees=[e for e in persistent if e.figures.severe_absence],
    )
