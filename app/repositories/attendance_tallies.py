"""Queries behind the weekly tallies the worker keeps: the stale-week queue, pupils' and
schools' weekly counts, and the narrow reads the alerts are computed from.

Every query here is bounded by a school and a range of weeks (and, where it reads marks, by
the school and date index), so recomputing after an import costs in proportion to the weeks
it touched, never a year of marks.

Claiming is by school: a pass locks the ``schools`` rows of the schools it takes (``FOR NO
KEY UPDATE SKIP LOCKED`` on PostgreSQL, which leaves foreign-key checks against the school
free, so imports are never held up), then takes those schools' stale weeks. Two workers
therefore never recompute weeks of the same school at once, which matters because a school's
penalty windows read weeks other than the stale ones. SQLite has one writer at a time, which
serialises passes the same way. The stale rows themselves are not locked: on PostgreSQL an
import that queues a week again meanwhile stamps a new ``queued_at``, and ``unqueue`` then
leaves it for the next pass.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AttendanceMark,
    AttendancePupilWeek,
    AttendanceSchoolWeek,
    AttendanceStaleWeek,
)
from app.models.schools import School
from app.rules.attendance import (
    ATTENDANCE_CODES,
    PENALTY_CODES,
    PENALTY_WINDOW_SCHOOL_WEEKS,
    POSSIBLE_CATEGORIES,
    AttendanceFigures,
    CodeCategory,
    Session,
    SessionKey,
)

PUPIL_WEEKS = cast(Table, AttendancePupilWeek.__table__)
SCHOOL_WEEKS = cast(Table, AttendanceSchoolWeek.__table__)
STALE_WEEKS = cast(Table, AttendanceStaleWeek.__table__)
MARKS = cast(Table, AttendanceMark.__table__)
_P = PUPIL_WEEKS.c
_S = SCHOOL_WEEKS.c
_Q = STALE_WEEKS.c
_M = MARKS.c

#: Up to this many pupils are picked out in SQL; for more (an import of a whole register),
#: the school's rows for the weeks are read in one range scan and picked out here, which is
#: cheaper than matching every row against a long list of pupils.
FEW_PUPILS = 20
#: Schools, and pupils, named in one query of a batch (well under either database's
#: parameter limit).
SCHOOLS_PER_QUERY = 1000
PUPILS_PER_QUERY = 5000


def codes_of(*categories: CodeCategory) -> list[str]:
    """The 2024 codes in these categories (``app.rules.attendance`` is the only code list)."""
    return sorted(c.code for c in ATTENDANCE_CODES.values() if c.category in categories)


POSSIBLE_CODES = codes_of(*POSSIBLE_CATEGORIES)


def _sessions(codes: Sequence[str]) -> ColumnElement[Any]:
    """SQL: how many of the group's marks have one of ``codes``."""
    return func.sum(case((_M.code.in_(codes), 1), else_=0))


#: A pupil-week's counts from its marks, by ``attendance_pupil_weeks`` column. Summing in
#: the database costs less than fetching counts per code and inserting the rows back.
_COUNTS: dict[str, ColumnElement[Any]] = {
    "possible": _sessions(POSSIBLE_CODES),
    "present": _sessions(codes_of(CodeCategory.PRESENT)),
    "approved_activity": _sessions(codes_of(CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY)),
    "authorised": _sessions(codes_of(CodeCategory.AUTHORISED_ABSENCE)),
    "unauthorised": _sessions(codes_of(CodeCategory.UNAUTHORISED_ABSENCE)),
}


@dataclass(frozen=True, slots=True)
class StaleWeek:
    """A claimed entry of the queue, with the ``queued_at`` it was claimed at."""

    school_urn: int
    week_start: date
    queued_at: datetime


@dataclass(frozen=True, slots=True)
class PupilWeek:
    """One row of ``attendance_pupil_weeks``."""

    pupil_id: uuid.UUID
    week_start: date
    possible: int
    present: int
    approved_activity: int
    authorised: int
    unauthorised: int

    @property
    def figures(self) -> AttendanceFigures:
        return AttendanceFigures(
            possible=self.possible,
            present=self.present,
            approved_activity=self.approved_activity,
            authorised=self.authorised,
            unauthorised=self.unauthorised,
        )


@dataclass(frozen=True, slots=True)
class YearToDate:
    """A pupil's figures at a school over part of a school year, and the last week in it
    with a possible session."""

    figures: AttendanceFigures
    last_week: date


class Counted(NamedTuple):
    """What a batch's recount hands back of each new pupil-week."""

    pupil_id: uuid.UUID
    week_start: date
    possible: int


@dataclass(slots=True)
class BatchRecount:
    """What recounting one school's weeks in a batch found (``recount_schools``)."""

    #: Pupils the replaced rows named.
    before: set[uuid.UUID]
    #: The new rows, as much of them as the pass needs.
    after: list[Counted] = field(default_factory=list)


def stale_query() -> Select[tuple[bool]]:
    """Is any school week waiting to be recomputed? A read (no write lock)."""
    return select(exists(select(_Q.school_urn)))


class AttendanceTallyRepository:
    """The worker's side of the tallies. Each method runs in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the queue ----------------------------------------------------------------------

    async def claim(self, *, limit: int) -> list[StaleWeek]:
        """The stale weeks of the schools waiting longest, up to ``limit`` weeks: those
        schools are locked for this transaction (skipping any another worker holds). A
        school's weeks are never split between passes: its alerts are computed from all its
        weeks' tallies, and a week left queued would still hold counts from before its marks
        changed, so the alerts would depend on how the queue was cut. The first school is
        taken whole even with more weeks than ``limit``; the schools after it only while
        they fit."""
        waiting = (
            await self.session.scalars(
                select(_Q.school_urn)
                .group_by(_Q.school_urn)
                .order_by(func.min(_Q.queued_at), _Q.school_urn)
                .limit(limit)
            )
        ).all()
        if not waiting:
            return []
        locked = set(
            (
                await self.session.scalars(
                    select(School.urn)
                    .where(School.urn.in_(waiting))
                    .order_by(School.urn)
                    .with_for_update(skip_locked=True, key_share=True)
                )
            ).all()
        )
        rows = (
            await self.session.execute(
                select(_Q.school_urn, _Q.week_start, _Q.queued_at)
                .where(_Q.school_urn.in_(locked))
                .order_by(_Q.school_urn, _Q.week_start)
            )
        ).all()
        by_school: dict[int, list[StaleWeek]] = {}
        for row in rows:
            by_school.setdefault(row.school_urn, []).append(
                StaleWeek(row.school_urn, row.week_start, row.queued_at)
            )
        claimed: list[StaleWeek] = []
        for urn in waiting:
            weeks = by_school.get(urn, [])
            if claimed and len(claimed) + len(weeks) > limit:
                break
            claimed.extend(weeks)
        return claimed

    async def queued_of_schools(self, schools: Collection[int]) -> list[StaleWeek]:
        """Every queued week of ``schools`` (which the caller has claimed and so holds)."""
        if not schools:
            return []
        rows = (
            await self.session.execute(
                select(_Q.school_urn, _Q.week_start, _Q.queued_at)
                .where(_Q.school_urn.in_(schools))
                .order_by(_Q.school_urn, _Q.week_start)
            )
        ).all()
        return [StaleWeek(row.school_urn, row.week_start, row.queued_at) for row in rows]

    async def unqueue(self, claimed: Sequence[StaleWeek]) -> int:
        """Remove the claimed weeks that no import has queued again since they were claimed.

        On PostgreSQL an import that queues a week again meanwhile stamps ``queued_at``
        afresh, so a week whose ``queued_at`` is no longer the one claimed stays for the next
        pass (equality, not ``<=``: two imports' stamps need not arrive in order). SQLite's
        single writer lets no import in while the pass holds the write lock, so there the
        claimed weeks simply go (and a ``queued_at`` another writer stored as text in a
        format of its own cannot keep a week queued for ever).
        """
        if not claimed:
            return 0
        exact = self.session.get_bind().dialect.name == "postgresql"
        removed = await self.session.execute(
            delete(STALE_WEEKS)
            .where(
                or_(
                    *(
                        and_(
                            _Q.school_urn == stale.school_urn,
                            _Q.week_start == stale.week_start,
                            _Q.queued_at == stale.queued_at if exact else true(),
                        )
                        for stale in claimed
                    )
                )
            )
            .returning(_Q.school_urn)
        )
        return len(removed.all())

    # --- weekly tallies -----------------------------------------------------------------

    async def school_weeks_around(
        self,
        school_urn: int,
        first: date,
        last: date,
        *,
        reach: int = PENALTY_WINDOW_SCHOOL_WEEKS,
        after: int | None = PENALTY_WINDOW_SCHOOL_WEEKS,
    ) -> tuple[list[date], list[date]]:
        """The school's school weeks a change from ``first`` to ``last`` can matter to: up to
        ``reach`` before ``first``, and from ``first`` to ``after`` after ``last`` (every
        later one when ``after`` is None), both ascending."""
        before = list(
            (
                await self.session.scalars(
                    select(_S.week_start)
                    .where(_S.school_urn == school_urn, _S.week_start < first)
                    .order_by(_S.week_start.desc())
                    .limit(reach)
                )
            ).all()
        )
        before.reverse()
        weeks_between = (last - first).days // 7 + 1
        following = select(_S.week_start).where(_S.school_urn == school_urn, _S.week_start >= first)
        if after is not None:
            following = following.limit(weeks_between + after)
        later = list((await self.session.scalars(following.order_by(_S.week_start))).all())
        beyond = [week for week in later if week > last]
        if after is not None:
            beyond = beyond[:after]
        return before, [week for week in later if week <= last] + beyond

    async def school_weeks_from(self, school_urn: int, first: date) -> list[date]:
        """The school's school weeks from ``first`` on, ascending."""
        rows = await self.session.scalars(
            select(_S.week_start)
            .where(_S.school_urn == school_urn, _S.week_start >= first)
            .order_by(_S.week_start)
        )
        return list(rows.all())

    async def queue(self, school_urn: int, weeks: Collection[date], now: datetime) -> None:
        """Queue ``weeks`` of the school for recomputing, as an import does: a week already
        queued takes the new time (one statement, safe beside a concurrent import)."""
        if not weeks:
            return
        dialect = self.session.get_bind().dialect.name
        insert_ = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert_(STALE_WEEKS).values(
            [{"school_urn": school_urn, "week_start": week, "queued_at": now} for week in weeks]
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["school_urn", "week_start"],
                set_={"queued_at": stmt.excluded.queued_at},
            )
        )

    async def unauthorised_sessions(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], first: date, last: date
    ) -> dict[uuid.UUID, list[SessionKey]]:
        """Each pupil's unauthorised sessions at the school in the weeks from ``first`` to
        ``last`` (Mondays, inclusive), in date and session order."""
        if not pupil_ids:
            return {}
        rows = await self.session.execute(
            select(_M.pupil_id, _M.mark_date, _M.session)
            .where(
                _M.school_urn == school_urn,
                _M.pupil_id.in_(list(pupil_ids)),
                _M.mark_date >= first,
                _M.mark_date <= last + timedelta(days=6),
                _M.code.in_(sorted(PENALTY_CODES)),
            )
            .order_by(_M.pupil_id, _M.mark_date, _M.session)
        )
        found: dict[uuid.UUID, list[SessionKey]] = defaultdict(list)
        for pupil_id, mark_date, session_name in rows:
            found[pupil_id].append((_as_date(mark_date), Session(session_name)))
        return dict(found)

    async def unauthorised_weeks(
        self, school_urn: int, first: date, last: date
    ) -> list[tuple[uuid.UUID, date, int]]:
        """``(pupil, week, sessions)`` for the school's pupil-weeks from ``first`` to ``last``
        with any unauthorised absence: what penalty windows count, and nothing else."""
        rows = await self.session.execute(
            select(_P.pupil_id, _P.week_start, _P.unauthorised).where(
                _P.school_urn == school_urn,
                _P.week_start >= first,
                _P.week_start <= last,
                _P.unauthorised > 0,
            )
        )
        return [(row.pupil_id, row.week_start, int(row.unauthorised)) for row in rows]

    async def pupil_weeks(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], first: date, last: date
    ) -> list[PupilWeek]:
        """These pupils' weeks at the school from ``first`` to ``last``."""
        wanted = set(pupil_ids)
        query = select(
            _P.pupil_id,
            _P.week_start,
            _P.possible,
            _P.present,
            _P.approved_activity,
            _P.authorised,
            _P.unauthorised,
        ).where(
            _P.school_urn == school_urn,
            _P.week_start >= first,
            _P.week_start <= last,
        )
        if len(wanted) <= FEW_PUPILS:
            query = query.where(_P.pupil_id.in_(wanted))
        rows = await self.session.execute(query)
        return [PupilWeek(*row) for row in rows if row.pupil_id in wanted]

    async def year_to_date(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], first: date, before: date
    ) -> dict[uuid.UUID, YearToDate]:
        """These pupils' figures at the school over weeks starting from ``first`` and before
        ``before`` (a school year), summed in the database.

        A few pupils (a correction) are read through the pupil index; many (an import of a
        whole register) are summed over the school's weeks in one range scan (see
        ``FEW_PUPILS``)."""
        wanted = set(pupil_ids)
        query = (
            select(
                _P.pupil_id,
                func.sum(_P.possible),
                func.sum(_P.present),
                func.sum(_P.approved_activity),
                func.sum(_P.authorised),
                func.sum(_P.unauthorised),
                func.max(_P.week_start),
            )
            .where(
                _P.school_urn == school_urn,
                _P.week_start >= first,
                _P.week_start < before,
            )
            .group_by(_P.pupil_id)
        )
        if len(wanted) <= FEW_PUPILS:
            query = query.where(_P.pupil_id.in_(wanted))
        found: dict[uuid.UUID, YearToDate] = {}
        for (
            pupil_id,
            possible,
            present,
            approved,
            authorised,
            unauthorised,
            last,
        ) in await self.session.execute(query):
            if pupil_id not in wanted:
                continue
            figures = AttendanceFigures(
                possible=int(possible),
                present=int(present),
                approved_activity=int(approved),
                authorised=int(authorised),
                unauthorised=int(unauthorised),
            )
            found[pupil_id] = YearToDate(figures, _as_date(last))
        return found

    async def last_possible_sessions(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], week: date
    ) -> dict[uuid.UUID, date]:
        """The last day in ``week`` each pupil has a possible session at the school (read
        from that one week's marks, over the school and date index)."""
        wanted = set(pupil_ids)
        query = (
            select(_M.pupil_id, func.max(_M.mark_date))
            .where(
                _M.school_urn == school_urn,
                _M.mark_date >= week,
                _M.mark_date < week + timedelta(days=7),
                _M.code.in_(POSSIBLE_CODES),
            )
            .group_by(_M.pupil_id)
        )
        if len(wanted) <= FEW_PUPILS:
            query = query.where(_M.pupil_id.in_(wanted))
        rows = await self.session.execute(query)
        return {pupil_id: _as_date(day) for pupil_id, day in rows if pupil_id in wanted}

    # --- many schools at once (a pass's batch) -------------------------------------------

    async def recount_schools(
        self, weeks_by_school: Mapping[int, Sequence[date]]
    ) -> dict[int, BatchRecount]:
        """Recount the pupil-weeks of a batch of schools from their marks: one ``DELETE``
        and one ``INSERT ... SELECT`` per distinct week, each over every school of the batch
        that week is stale for (a day's imports leave one week for every school: two
        statements in all). A pupil with no possible session in a week (only ``D``, ``#``
        and the like) gets no row for it."""
        recounts = {urn: BatchRecount(before=set()) for urn in weeks_by_school}
        for week, urns in _schools_by_week(weeks_by_school).items():
            for chunk in _chunks(urns):
                removed = await self.session.execute(
                    delete(PUPIL_WEEKS)
                    .where(_P.week_start == week, _P.school_urn.in_(chunk))
                    .returning(_P.school_urn, _P.pupil_id)
                )
                for urn, pupil_id in removed:
                    recounts[urn].before.add(pupil_id)
                counted = (
                    select(_M.school_urn, literal(week, Date), _M.pupil_id, *_COUNTS.values())
                    .where(
                        _M.school_urn.in_(chunk),
                        _M.mark_date >= week,
                        _M.mark_date < week + timedelta(days=7),
                    )
                    .group_by(_M.school_urn, _M.pupil_id)
                    .having(_COUNTS["possible"] > 0)
                )
                inserted = await self.session.execute(
                    insert(PUPIL_WEEKS)
                    .from_select(["school_urn", "week_start", "pupil_id", *_COUNTS], counted)
                    .returning(_P.school_urn, _P.pupil_id, _P.possible)
                )
                for urn, pupil_id, possible in inserted:
                    recounts[urn].after.append(Counted(pupil_id, week, possible))
        return recounts

    async def replace_schools_weeks(
        self,
        weeks_by_school: Mapping[int, Sequence[date]],
        possible: Mapping[int, Mapping[date, int]],
    ) -> dict[int, set[date]]:
        """Set the school weeks of a batch of schools among their ``weeks_by_school``: a row
        for each week with possible sessions (``possible``), none for the others. Returns,
        by school, which of its weeks were school weeks before."""
        were: dict[int, set[date]] = {urn: set() for urn in weeks_by_school}
        for week, urns in _schools_by_week(weeks_by_school).items():
            for chunk in _chunks(urns):
                removed = await self.session.execute(
                    delete(SCHOOL_WEEKS)
                    .where(_S.week_start == week, _S.school_urn.in_(chunk))
                    .returning(_S.school_urn)
                )
                for (urn,) in removed:
                    were[urn].add(week)
        rows = [
            {"school_urn": urn, "week_start": week, "possible_sessions": sessions}
            for urn in sorted(possible)
            for week, sessions in sorted(possible[urn].items())
            if sessions > 0
        ]
        if rows:
            await self.session.execute(insert(SCHOOL_WEEKS), rows)
        return were

    def pupils_of_weeks(
        self, weeks_by_school: Mapping[int, Sequence[date]]
    ) -> Select[tuple[uuid.UUID]]:
        """A query of the pupils with a tally in these weeks of these schools (so that what
        a batch needs of each pupil is read in one statement, not by a list of ids)."""
        return select(_P.pupil_id).where(
            or_(
                *(
                    and_(_P.week_start == week, _P.school_urn.in_(urns))
                    for week, urns in _schools_by_week(weeks_by_school).items()
                )
            )
        )

    async def school_weeks_around_schools(
        self, firsts: Mapping[int, date], *, reach: int = PENALTY_WINDOW_SCHOOL_WEEKS
    ) -> dict[int, tuple[list[date], list[date]]]:
        """``school_weeks_around(..., after=None)`` for a batch of schools, by school: up to
        ``reach`` school weeks before its first changed week, and every one from it on. One
        query of each kind per distinct first week."""
        by_first: dict[date, list[int]] = defaultdict(list)
        for urn, first in firsts.items():
            by_first[first].append(urn)
        found: dict[int, tuple[list[date], list[date]]] = {urn: ([], []) for urn in firsts}
        for first, urns in by_first.items():
            for chunk in _chunks(urns):
                rank = (
                    func.row_number()
                    .over(partition_by=_S.school_urn, order_by=_S.week_start.desc())
                    .label("rank")
                )
                earlier = (
                    select(_S.school_urn, _S.week_start, rank)
                    .where(_S.school_urn.in_(chunk), _S.week_start < first)
                    .subquery("earlier")
                )
                rows = await self.session.execute(
                    select(earlier.c.school_urn, earlier.c.week_start)
                    .where(earlier.c.rank <= reach)
                    .order_by(earlier.c.school_urn, earlier.c.week_start)
                )
                for urn, week in rows:
                    found[urn][0].append(_as_date(week))
                rows = await self.session.execute(
                    select(_S.school_urn, _S.week_start)
                    .where(_S.school_urn.in_(chunk), _S.week_start >= first)
                    .order_by(_S.school_urn, _S.week_start)
                )
                for urn, week in rows:
                    found[urn][1].append(_as_date(week))
        return found

    async def unauthorised_weeks_of_schools(
        self, spans: Mapping[int, tuple[date, date]]
    ) -> dict[int, list[tuple[uuid.UUID, date, int]]]:
        """``unauthorised_weeks`` for a batch of schools, each over its own span of weeks
        (read over the span of them all, one query)."""
        found: dict[int, list[tuple[uuid.UUID, date, int]]] = {urn: [] for urn in spans}
        if not spans:
            return found
        first = min(span[0] for span in spans.values())
        last = max(span[1] for span in spans.values())
        for chunk in _chunks(list(spans)):
            rows = await self.session.execute(
                select(_P.school_urn, _P.pupil_id, _P.week_start, _P.unauthorised).where(
                    _P.school_urn.in_(chunk),
                    _P.week_start >= first,
                    _P.week_start <= last,
                    _P.unauthorised > 0,
                )
            )
            for urn, pupil_id, week, sessions in rows:
                week = _as_date(week)
                if spans[urn][0] <= week <= spans[urn][1]:
                    found[urn].append((pupil_id, week, int(sessions)))
        return found

    async def unauthorised_sessions_of_schools(
        self, schools: Collection[int], first: date, last: date
    ) -> dict[tuple[int, uuid.UUID], list[SessionKey]]:
        """``unauthorised_sessions`` for a batch: the unauthorised sessions in the weeks from
        ``first`` to ``last`` of each pupil with unauthorised absence in those weeks' tallies
        at a school of the batch, by (school, pupil), in date and session order. The pupils
        are picked by a query of the tallies, not a list of ids."""
        found: dict[tuple[int, uuid.UUID], list[SessionKey]] = defaultdict(list)
        for chunk in _chunks(sorted(schools)):
            absent = (
                select(_P.school_urn, _P.pupil_id)
                .where(
                    _P.school_urn.in_(chunk),
                    _P.week_start >= first,
                    _P.week_start <= last,
                    _P.unauthorised > 0,
                )
                .distinct()
                .subquery("absent")
            )
            rows = await self.session.execute(
                select(_M.school_urn, _M.pupil_id, _M.mark_date, _M.session)
                .join(
                    absent,
                    and_(absent.c.school_urn == _M.school_urn, absent.c.pupil_id == _M.pupil_id),
                )
                .where(
                    _M.school_urn.in_(chunk),
                    _M.mark_date >= first,
                    _M.mark_date <= last + timedelta(days=6),
                    _M.code.in_(sorted(PENALTY_CODES)),
                )
                .order_by(_M.school_urn, _M.pupil_id, _M.mark_date, _M.session)
            )
            for urn, pupil_id, mark_date, session_name in rows:
                found[(urn, pupil_id)].append((_as_date(mark_date), Session(session_name)))
        return dict(found)

    async def year_to_date_of_schools(
        self, schools: Collection[int], first: date, before: date
    ) -> dict[int, dict[uuid.UUID, YearToDate]]:
        """``year_to_date`` of every pupil at a batch of schools (one range scan of their
        weekly rows, summed in the database)."""
        found: dict[int, dict[uuid.UUID, YearToDate]] = {urn: {} for urn in schools}
        for chunk in _chunks(sorted(schools)):
            rows = await self.session.execute(
                select(
                    _P.school_urn,
                    _P.pupil_id,
                    func.sum(_P.possible),
                    func.sum(_P.present),
                    func.sum(_P.approved_activity),
                    func.sum(_P.authorised),
                    func.sum(_P.unauthorised),
                    func.max(_P.week_start),
                )
                .where(
                    _P.school_urn.in_(chunk),
                    _P.week_start >= first,
                    _P.week_start < before,
                )
                .group_by(_P.school_urn, _P.pupil_id)
            )
            for urn, pupil_id, possible, present, approved, authorised, unauthorised, last in rows:
                figures = AttendanceFigures(
                    possible=int(possible),
                    present=int(present),
                    approved_activity=int(approved),
                    authorised=int(authorised),
                    unauthorised=int(unauthorised),
                )
                found[urn][pupil_id] = YearToDate(figures, _as_date(last))
        return found

    async def last_possible_sessions_of_schools(
        self, schools: Collection[int], week: date
    ) -> dict[tuple[int, uuid.UUID], date]:
        """``last_possible_sessions`` of every pupil at a batch of schools in ``week``, by
        (school, pupil)."""
        found: dict[tuple[int, uuid.UUID], date] = {}
        for chunk in _chunks(sorted(schools)):
            rows = await self.session.execute(
                select(_M.school_urn, _M.pupil_id, func.max(_M.mark_date))
                .where(
                    _M.school_urn.in_(chunk),
                    _M.mark_date >= week,
                    _M.mark_date < week + timedelta(days=7),
                    _M.code.in_(POSSIBLE_CODES),
                )
                .group_by(_M.school_urn, _M.pupil_id)
            )
            found.update(((urn, pupil_id), _as_date(day)) for urn, pupil_id, day in rows)
        return found

    async def delete_pupil_weeks(
        self, pupil_id: uuid.UUID, school_urn: int, weeks: Collection[date]
    ) -> int:
        """Remove the pupil's tallies at the school for ``weeks`` (the pupil's marks there
        went to another record: the worker recounts that record from the stale-week queue).
        Returns how many went."""
        if not weeks:
            return 0
        result = await self.session.execute(
            delete(PUPIL_WEEKS).where(
                _P.pupil_id == pupil_id,
                _P.school_urn == school_urn,
                _P.week_start.in_(sorted(weeks)),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)


def _schools_by_week(weeks_by_school: Mapping[int, Sequence[date]]) -> dict[date, list[int]]:
    by_week: dict[date, list[int]] = defaultdict(list)
    for urn, weeks in weeks_by_school.items():
        for week in weeks:
            by_week[week].append(urn)
    return dict(sorted(by_week.items()))


def _chunks(items: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    """``items`` a bounded number at a time (well under either database's parameter limit)."""
    step = size or SCHOOLS_PER_QUERY
    for start in range(0, len(items), step):
        yield items[start : start + step]


def _as_date(value: Any) -> date:
    """Aggregates of a date column come back as text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))
