"""Keeping what attendance alerts need up to date after each import, incrementally.

An import queues the school weeks whose marks it changed (``attendance_stale_weeks``). One
pass (``recompute``) claims a batch of schools with their stale weeks and, in the caller's
transaction (steps 1 and 2 for the whole batch at once, step 3 school by school from reads
made for the whole batch, see ``_Batch``):

1. recounts those weeks' pupil-weeks from the marks (``attendance_pupil_weeks``);
2. sets which of them are school weeks (``attendance_school_weeks``: a week with at least one
   possible session for the school; a week of ``#`` closure marks, or a holiday, is not);
3. recomputes the alerts of the pupils whose marks changed:

   - **penalty threshold** (SI 2024/210): ``penalty_threshold_events`` over the school's
     school weeks. Each event spends the 10 sessions that reached the threshold (the alert
     records the last of them), so a change can move every later event: events ending from
     the earliest changed week on are recomputed, fed from ten school weeks before it and
     starting after the last session the open events before it spent. Only sessions while the
     child is of compulsory school age count (Education Act 1996 s8 and s444). Each event is
     an alert keyed by the week of its first session; an open alert from the changed week on
     that the events no longer report is withdrawn (a correction took the count below the
     threshold), and one reported again is reopened. When a school week appeared or
     disappeared with school weeks after it, every window across it shifts, so the pupils
     with unauthorised absence in the span (or an open alert in it) are recomputed too;
   - **persistent and severe absence** (DfE methodology): the school year's figures at the
     school so far, summed from the pupil-weeks, for DfE's cohort (aged 5 to 15 on 31 August
     before the school year). Open while the flag holds and the pupil has had at least the
     council's ``absence_alert_min_possible_sessions`` possible sessions, figures kept current
     while open, withdrawn when it no longer holds;

   Pupils who are restricted (UK GDPR Art 18) or have an upheld objection (Art 21) to a
   purpose alerts serve get none: their open alerts at the school are withdrawn and they are
   remembered (``attendance_withheld_pupils``), so that once neither holds their weeks are
   queued again and the next pass computes their alerts;

4. takes the claimed weeks off the queue, unless an import queued one again meanwhile.

A pass takes all of a school's queued weeks (``claim`` never splits a school between passes):
the alerts are then a function of the marks alone, whatever order or batches the queue is
drained in, since no alert is ever worked out beside a week whose tallies are not yet counted
from its marks.

Every read is bounded by a school and a range of weeks: for penalty events from ten school
weeks before the change to the school's latest, reading only the unauthorised marks of the
pupils concerned; for absence figures the school year so far, summed from weekly rows.
Alerts follow the school whose marks raised them; a dual-registered pupil's
sessions at the other school are marked ``D``, not a possible session, so each session counts
at one school only.

The pass writes no per-pupil audit events: it decides nothing about anyone, it only keeps
derived figures in step with the marks, and it logs counts (never ids of pupils). Reading an
alert is what the policy layer audits.

``AttendanceRecomputer`` runs passes in their own transactions: ``kpas worker`` runs it
beside the outbox, ``kpas attendance recompute`` drains the queue once.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import Database
from app.log import get_logger
from app.models.attendance import (
    AlertKind,
    AlertStatus,
    AttendanceAlert,
    AttendanceWithheldPupil,
)
from app.models.base import utcnow
from app.repositories.attendance_alerts import (
    AlertRow,
    AttendanceAlertRepository,
    PupilFooting,
    latest_spent,
)
from app.repositories.attendance_tallies import (
    AttendanceTallyRepository,
    BatchRecount,
    PupilWeek,
    StaleWeek,
    YearToDate,
    stale_query,
)
from app.repositories.partitions import hold_partitions_steady
from app.rules.attendance import (
    AttendanceFigures,
    PenaltyWindow,
    SessionKey,
    penalty_threshold_events,
    school_year_start,
    week_start,
)
from app.rules.school_age import (
    compulsory_school_age_ends,
    compulsory_school_age_starts,
    in_absence_cohort,
)
from app.services.changes import set_changed
from app.settings import get_settings

_log = get_logger("app.services.attendance_recompute")

#: The purposes alerts serve: an upheld objection (UK GDPR Art 21) to either stops them.
ALERT_PURPOSES = ("attendance_duty", "intervention")

#: Stale school weeks one pass takes (all of a school's, schools waiting longest first; a
#: school with more is taken whole, alone). A pass is one transaction and holds its schools
#: (and, on SQLite, the only write lock) throughout, so it is kept to a few seconds: after a
#: day's imports, 200 schools' one week.
DEFAULT_BATCH_WEEKS = 200


@dataclass(slots=True)
class RecomputeCounts:
    """What passes did, for logs, the command's report and tests."""

    weeks: int = 0
    pupil_weeks: int = 0
    school_weeks: int = 0
    raised: int = 0
    reopened: int = 0
    updated: int = 0
    withdrawn: int = 0
    unqueued: int = 0

    def add(self, other: RecomputeCounts) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_log(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


class _AlertWriter:
    """Raises, updates, reopens and withdraws one school's alerts, keeping ids stable."""

    def __init__(
        self,
        session: AsyncSession,
        school_urn: int,
        now: datetime,
        counts: RecomputeCounts,
        *,
        footings: dict[uuid.UUID, PupilFooting] | None = None,
    ) -> None:
        self.session = session
        self.school_urn = school_urn
        self.now = now
        self.counts = counts
        self._new: list[
            tuple[uuid.UUID, AlertKind, date, date, AttendanceFigures, SessionKey | None]
        ] = []
        #: Pupils' footings, read for the whole batch (a pupil's is the same at any school).
        self.footings: dict[uuid.UUID, PupilFooting] = {} if footings is None else footings
        #: Alerts read without the ORM that this writer changed (written by the batch).
        self.changed: list[AlertRow] = []

    async def standing(
        self, alerts: AttendanceAlertRepository, pupils: set[uuid.UUID]
    ) -> dict[uuid.UUID, PupilFooting]:
        """The footings of ``pupils`` (read once per pass and school)."""
        missing = pupils - self.footings.keys()
        if missing:
            self.footings.update(await alerts.footings(missing, purposes=ALERT_PURPOSES))
        return {p: self.footings[p] for p in pupils if p in self.footings}

    def hold(
        self,
        existing: AttendanceAlert | AlertRow | None,
        *,
        pupil_id: uuid.UUID,
        kind: AlertKind,
        period_start: date,
        period_end: date,
        figures: AttendanceFigures,
        spent_through: SessionKey | None = None,
    ) -> None:
        """The alert holds: open it (or keep it open) with these figures."""
        if existing is None:
            self._new.append((pupil_id, kind, period_start, period_end, figures, spent_through))
            return
        changed = _set(existing, period_end=period_end, figures=figures, spent=spent_through)
        if existing.status is AlertStatus.WITHDRAWN:
            existing.status = AlertStatus.OPEN
            existing.withdrawn_at = None
            existing.raised_at = self.now  # raised again: news for whoever reads new alerts
            self.counts.reopened += 1
            changed = True
        elif changed:
            self.counts.updated += 1
        if changed:
            existing.updated_at = self.now
            self._changed(existing)

    def lapse(self, existing: AttendanceAlert | AlertRow | None) -> None:
        """The alert no longer holds: withdraw it if open. It keeps the figures it last had
        while open."""
        if existing is None or existing.status is AlertStatus.WITHDRAWN:
            return
        existing.status = AlertStatus.WITHDRAWN
        existing.withdrawn_at = self.now
        existing.updated_at = self.now
        self.counts.withdrawn += 1
        self._changed(existing)

    def _changed(self, alert: AttendanceAlert | AlertRow) -> None:
        # An ORM alert is written by the session's flush; a row is kept for ``update_alerts``.
        if isinstance(alert, AlertRow):
            self.changed.append(alert)

    async def flush(self, alerts: AttendanceAlertRepository) -> None:
        """Insert the new alerts, each on its pupil's footing."""
        if not self._new:
            return
        footings = await self.standing(alerts, {pupil_id for pupil_id, *_ in self._new})
        for pupil_id, kind, period_start, period_end, figures, spent in self._new:
            footing = footings.get(pupil_id)
            if footing is None:  # the pupil's key on the marks makes this unreachable
                continue
            alert = self._alert(pupil_id, footing, kind, period_start, period_end, figures)
            _set(alert, period_end=period_end, figures=figures, spent=spent)
            self.session.add(alert)
            self.counts.raised += 1
        self._new.clear()

    def _alert(
        self,
        pupil_id: uuid.UUID,
        footing: PupilFooting,
        kind: AlertKind,
        period_start: date,
        period_end: date,
        figures: AttendanceFigures,
    ) -> AttendanceAlert:
        return AttendanceAlert(
            id=uuid.uuid4(),
            pupil_id=pupil_id,
            school_urn=self.school_urn,
            kind=kind,
            status=AlertStatus.OPEN,
            period_start=period_start,
            period_end=period_end,
            **_figure_columns(figures),
            raised_at=self.now,
            updated_at=self.now,
            withdrawn_at=None,
            subject_id=footing.subject_id,
            purposes_mask=footing.purposes_mask,
            lawful_basis=footing.lawful_basis,
        )


def _figure_columns(figures: AttendanceFigures) -> dict[str, int]:
    """The figures an alert stores, by column."""
    return {
        "possible_sessions": figures.possible,
        "attended_sessions": figures.attended,
        "authorised_sessions": figures.authorised,
        "unauthorised_sessions": figures.unauthorised,
    }


def _set(
    alert: AttendanceAlert | AlertRow,
    *,
    period_end: date,
    figures: AttendanceFigures,
    spent: SessionKey | None = None,
) -> bool:
    """Write the period end, figures and last spent session; True if any changed."""
    return set_changed(
        alert,
        {
            "period_end": period_end,
            **_figure_columns(figures),
            "spent_through_date": spent[0] if spent else None,
            "spent_through_session": spent[1].value if spent else None,
        },
    )


def _next_school_year(start: date) -> date:
    return start.replace(year=start.year + 1)


async def recompute(
    session: AsyncSession, *, limit: int = DEFAULT_BATCH_WEEKS, now: datetime | None = None
) -> RecomputeCounts:
    """One pass over up to ``limit`` stale school weeks, in the caller's transaction (which
    the caller commits). Returns what it did; ``weeks`` is 0 when nothing was waiting."""
    await hold_partitions_steady(session)
    await _release_withheld(session, now or utcnow())
    claimed = await AttendanceTallyRepository(session).claim(limit=limit)
    return await recompute_claimed(session, claimed, now=now)


async def recompute_claimed(
    session: AsyncSession, claimed: Sequence[StaleWeek], *, now: datetime | None = None
) -> RecomputeCounts:
    """Steps 1 to 4 for weeks already claimed (``AttendanceTallyRepository.claim``) in this
    transaction. The batch's schools are recounted together and what their alerts are
    computed from is read for all of them at once (``_Batch``); then each school's alerts
    are worked out in turn from what was read.

    Every queued week of a claimed school is taken with it, even one the caller left out: a
    queued week's tallies still hold the counts from before its marks changed, so alerts
    worked out beside it would depend on how the queue was cut into passes, not on the
    marks alone (a week left for later would raise, then withdraw, alerts the marks never
    supported)."""
    now = now or utcnow()
    claimed = await _whole_schools(session, claimed)
    counts = RecomputeCounts(weeks=len(claimed))
    by_school: dict[int, list[date]] = defaultdict(list)
    for stale in claimed:
        by_school[stale.school_urn].append(stale.week_start)
    weeks_by_school = {urn: sorted(weeks) for urn, weeks in by_school.items()}
    if weeks_by_school:
        batch = await _Batch.load(session, weeks_by_school)
        changed: list[AlertRow] = []
        for school_urn, weeks in weeks_by_school.items():
            changed += await _recompute_school(
                session, batch, school_urn, weeks, now=now, counts=counts
            )
        await session.flush()
        await batch.alerts.update_alerts(changed)
    await session.flush()
    counts.unqueued = await AttendanceTallyRepository(session).unqueue(claimed)
    return counts


async def _whole_schools(session: AsyncSession, claimed: Sequence[StaleWeek]) -> list[StaleWeek]:
    """``claimed`` and the other queued weeks of its schools (which the claim holds)."""
    taken = {(stale.school_urn, stale.week_start) for stale in claimed}
    queued = await AttendanceTallyRepository(session).queued_of_schools(
        {stale.school_urn for stale in claimed}
    )
    return [*claimed, *(s for s in queued if (s.school_urn, s.week_start) not in taken)]


@dataclass(slots=True)
class _Batch:
    """What one pass reads for all the schools it claimed, set-based: the recount of their
    stale weeks (step 1 and 2), and everything their alerts are computed from. Each read is
    bounded by the batch's schools and the weeks a change can reach, as the per-school reads
    are; each school then takes its own part (``_recompute_school``)."""

    tallies: AttendanceTallyRepository
    alerts: AttendanceAlertRepository
    schools: list[int]
    recounts: dict[int, BatchRecount]
    possible: dict[int, Counter[date]]
    were: dict[int, set[date]]
    #: By school: the school weeks up to ten before its first changed week, and those from it.
    around: dict[int, tuple[list[date], list[date]]]
    unauthorised_weeks: dict[int, list[tuple[uuid.UUID, date, int]]]
    #: Unauthorised sessions of each school's pupils with any in its span, by (school, pupil).
    sessions: dict[tuple[int, uuid.UUID], list[SessionKey]]
    spent_rows: dict[int, list[tuple[uuid.UUID, date, date | None, str | None]]]
    penalty: dict[int, list[AlertRow]]
    absence: dict[int, list[AlertRow]]
    #: By school year, then school: each pupil's figures so far.
    year_to_date: dict[date, dict[int, dict[uuid.UUID, YearToDate]]]
    footings: dict[uuid.UUID, PupilFooting]
    #: By week, read when a school first asks for it: each pupil's last possible day.
    last_days: dict[date, dict[tuple[int, uuid.UUID], date]]

    @classmethod
    async def load(cls, session: AsyncSession, weeks_by_school: dict[int, list[date]]) -> _Batch:
        tallies = AttendanceTallyRepository(session)
        alerts = AttendanceAlertRepository(session)
        schools = sorted(weeks_by_school)
        recounts = await tallies.recount_schools(weeks_by_school)
        possible: dict[int, Counter[date]] = {}
        for urn, recount in recounts.items():
            possible[urn] = Counter()
            for row in recount.after:
                possible[urn][row.week_start] += row.possible
        were = await tallies.replace_schools_weeks(weeks_by_school, possible)
        firsts = {urn: weeks[0] for urn, weeks in weeks_by_school.items()}
        around = await tallies.school_weeks_around_schools(firsts)
        spans = {
            urn: (feed[0], feed[-1])
            for urn, (earlier, later) in around.items()
            if (feed := earlier + later)
        }
        unauthorised = await tallies.unauthorised_weeks_of_schools(spans)
        with_absence = [urn for urn, rows in unauthorised.items() if rows]
        sessions = (
            await tallies.unauthorised_sessions_of_schools(
                with_absence,
                min(span[0] for span in spans.values()),
                max(span[1] for span in spans.values()),
            )
            if with_absence
            else {}
        )
        # What open events before each school's change spent, and the alerts a change from it
        # can touch: from the start of its feed (or its first changed week, with no feed).
        starts = {urn: spans[urn][0] if urn in spans else firsts[urn] for urn in schools}
        spent_rows: dict[int, list[tuple[uuid.UUID, date, date | None, str | None]]] = defaultdict(
            list
        )
        for (
            urn,
            pupil_id,
            period_end,
            spent_date,
            spent_session,
        ) in await alerts.open_penalty_ends_of_schools(
            schools,
            ending=(min(starts.values()), max(firsts.values()) - timedelta(days=1)),
        ):
            spent_rows[urn].append((pupil_id, period_end, spent_date, spent_session))
        penalty = await alerts.penalty_alerts_of_schools(schools, ending_from=min(starts.values()))
        years_of = {
            urn: {school_year_start(week) for week in weeks}
            for urn, weeks in weeks_by_school.items()
        }
        every_year = sorted(set().union(*years_of.values()))
        absence = await alerts.absence_alerts_of_schools(schools, every_year)
        year_to_date = {
            year: await tallies.year_to_date_of_schools(
                [urn for urn in schools if year in years_of[urn]], year, _next_school_year(year)
            )
            for year in every_year
        }
        # The pupils counted now, by a query of the new tallies; those whose tallies went,
        # by id (a correction moving a pupil's last marks of a week: a few).
        footings = await alerts.footings(
            tallies.pupils_of_weeks(weeks_by_school), purposes=ALERT_PURPOSES
        )
        gone = {
            pupil_id
            for recount in recounts.values()
            for pupil_id in recount.before
            if pupil_id not in footings
        }
        footings.update(await alerts.footings(gone, purposes=ALERT_PURPOSES))
        return cls(
            tallies=tallies,
            alerts=alerts,
            schools=schools,
            recounts=recounts,
            possible=possible,
            were=were,
            around=around,
            unauthorised_weeks=unauthorised,
            sessions=sessions,
            spent_rows=dict(spent_rows),
            penalty=penalty,
            absence=absence,
            year_to_date=year_to_date,
            footings=footings,
            last_days={},
        )

    async def last_possible_days(
        self, school_urn: int, pupil_ids: Sequence[uuid.UUID], week: date
    ) -> dict[uuid.UUID, date]:
        """``AttendanceTallyRepository.last_possible_sessions`` from the batch's read of
        that week (one read per week for every school of the batch)."""
        if week not in self.last_days:
            self.last_days[week] = await self.tallies.last_possible_sessions_of_schools(
                self.schools, week
            )
        days = self.last_days[week]
        return {
            pupil_id: days[(school_urn, pupil_id)]
            for pupil_id in pupil_ids
            if (school_urn, pupil_id) in days
        }


async def _recompute_school(
    session: AsyncSession,
    batch: _Batch,
    school_urn: int,
    weeks: Sequence[date],
    *,
    now: datetime,
    counts: RecomputeCounts,
) -> list[AlertRow]:
    """One school's alerts from the batch's reads; returns the alerts it changed (which the
    batch writes back together)."""
    alerts = batch.alerts
    recount = batch.recounts[school_urn]
    possible = batch.possible[school_urn]
    were = batch.were[school_urn]
    now_school_weeks = {week for week, sessions in possible.items() if sessions > 0}
    counts.pupil_weeks += len(recount.after)
    counts.school_weeks += len(now_school_weeks)
    pupils = recount.before | {row.pupil_id for row in recount.after}
    writer = _AlertWriter(session, school_urn, now, counts, footings=batch.footings)
    pupils = await _withhold(session, alerts, writer, school_urn, weeks[0], pupils)
    await _penalty_alerts(
        batch,
        writer,
        school_urn=school_urn,
        weeks=weeks,
        pupils=pupils,
        moved=were ^ now_school_weeks,
    )
    await _absence_alerts(batch, writer, school_urn=school_urn, weeks=weeks, pupils=pupils)
    await writer.flush(alerts)
    return writer.changed


async def _withhold(
    session: AsyncSession,
    alerts: AttendanceAlertRepository,
    writer: _AlertWriter,
    school_urn: int,
    first_week: date,
    pupils: set[uuid.UUID],
) -> set[uuid.UUID]:
    """Take out of ``pupils`` those whose alerts are withheld: a restricted data subject
    (UK GDPR Art 18: derived processing stops too) or an upheld objection (Art 21) to a
    purpose alerts serve. Their open alerts at the school are withdrawn, so an officer sees
    nothing computed about them, and a marker remembers them so that the alerts come back
    once neither holds. Returns the pupils whose alerts are computed."""
    footings = await writer.standing(alerts, pupils)
    withheld = {pupil_id for pupil_id, footing in footings.items() if footing.withheld}
    if not withheld:
        return pupils
    earliest: dict[uuid.UUID, date] = dict.fromkeys(withheld, first_week)
    for alert in await alerts.open_alerts_of(school_urn, withheld):
        earliest[alert.pupil_id] = min(earliest[alert.pupil_id], week_start(alert.period_start))
        writer.lapse(alert)
    for pupil_id, week in earliest.items():
        marker = await session.get(AttendanceWithheldPupil, (school_urn, pupil_id))
        if marker is None:
            session.add(
                AttendanceWithheldPupil(school_urn=school_urn, pupil_id=pupil_id, first_week=week)
            )
        elif week < marker.first_week:
            marker.first_week = week
    return pupils - withheld


async def _release_withheld(session: AsyncSession, now: datetime) -> None:
    """Queue again the weeks of pupils whose alerts were withheld and no longer are (the
    restriction lifted, the objection no longer upheld), so this pass computes them."""
    markers = list((await session.scalars(select(AttendanceWithheldPupil))).all())
    if not markers:
        return
    alerts = AttendanceAlertRepository(session)
    footings = await alerts.footings({m.pupil_id for m in markers}, purposes=ALERT_PURPOSES)
    tallies = AttendanceTallyRepository(session)
    for marker in markers:
        footing = footings.get(marker.pupil_id)
        if footing is not None and footing.withheld:
            continue
        if footing is not None:
            weeks = await tallies.school_weeks_from(marker.school_urn, marker.first_week)
            await tallies.queue(marker.school_urn, weeks, now)
        await session.execute(
            delete(AttendanceWithheldPupil).where(
                AttendanceWithheldPupil.school_urn == marker.school_urn,
                AttendanceWithheldPupil.pupil_id == marker.pupil_id,
            )
        )


async def _penalty_alerts(
    batch: _Batch,
    writer: _AlertWriter,
    *,
    school_urn: int,
    weeks: Sequence[date],
    pupils: set[uuid.UUID],
    moved: set[date],
) -> None:
    """Recompute the penalty windows a change to ``weeks`` can affect (see the module
    docstring) for ``pupils``, and for everyone with absence across a school week that
    appeared or disappeared (``moved``) when later school weeks exist."""
    tallies, alerts = batch.tallies, batch.alerts
    first_changed = weeks[0]
    # Each event spends its sessions, so a change can move every later event: the span runs
    # to the school's latest school week. The ten before the change give the windows that
    # end in it their full reach; the open events before the change say what is spent.
    earlier, school_weeks = batch.around[school_urn]
    feed = earlier + school_weeks
    counts_by_pupil: dict[uuid.UUID, dict[date, int]] = defaultdict(dict)
    if feed:
        for pupil_id, week, sessions in batch.unauthorised_weeks[school_urn]:
            counts_by_pupil[pupil_id][week] = sessions
    if moved and school_weeks and school_weeks[-1] > min(moved):
        pupils = pupils | set(counts_by_pupil)
        pupils |= await alerts.pupils_with_open_penalty_alerts(
            school_urn, ending_from=first_changed
        )
        pupils = await _withhold(writer.session, alerts, writer, school_urn, first_changed, pupils)
    if not pupils:
        return
    footings = await writer.standing(alerts, pupils)
    with_absence = {pupil_id for pupil_id in pupils if counts_by_pupil.get(pupil_id)}
    sessions_by_pupil: dict[uuid.UUID, list[SessionKey]] = {}
    if feed and with_absence:
        reach = (feed[0], feed[-1] + timedelta(days=6))
        for pupil_id in with_absence:
            found_sessions = [
                key
                for key in batch.sessions.get((school_urn, pupil_id), ())
                if reach[0] <= key[0] <= reach[1]
            ]
            if found_sessions:
                sessions_by_pupil[pupil_id] = found_sessions
    ending = (feed[0] if feed else first_changed, first_changed - timedelta(days=1))
    spent = latest_spent(
        row
        for row in batch.spent_rows.get(school_urn, ())
        if row[0] in with_absence and ending[0] <= row[1] <= ending[1]
    )
    windows: dict[uuid.UUID, list[PenaltyWindow]] = {}
    for pupil_id in with_absence:
        counted = _of_compulsory_school_age(
            sessions_by_pupil.get(pupil_id, []), footings.get(pupil_id)
        )
        if not counted:
            continue
        found = [
            window
            for window in penalty_threshold_events(feed, counted, spent_through=spent.get(pupil_id))
            if window.last_week >= first_changed
        ]
        if found:
            windows[pupil_id] = found
    ending_from = feed[0] if feed else first_changed
    existing = {
        (alert.pupil_id, alert.period_start): alert
        for alert in batch.penalty[school_urn]
        if alert.pupil_id in pupils and alert.period_end >= ending_from
    }
    figures = await _window_figures(tallies, school_urn, windows)
    kept: set[tuple[uuid.UUID, date]] = set()
    for pupil_id, found in windows.items():
        for window in found:
            key = (pupil_id, window.first_week)
            if key in kept:  # two events from one week's sessions: more than 10 in the week
                continue
            kept.add(key)
            writer.hold(
                existing.get(key),
                pupil_id=pupil_id,
                kind=AlertKind.PENALTY_THRESHOLD,
                period_start=window.first_week,
                period_end=window.last_week,
                figures=figures[key],
                spent_through=window.spent_through,
            )
    for key, alert in existing.items():
        if key[0] in pupils and alert.period_end >= first_changed and key not in kept:
            writer.lapse(alert)


def _of_compulsory_school_age(
    sessions: Sequence[SessionKey], footing: PupilFooting | None
) -> list[SessionKey]:
    """The sessions while the child was of compulsory school age: only those can found an
    offence (Education Act 1996 s8 and s444)."""
    if footing is None:
        return list(sessions)
    starts = compulsory_school_age_starts(footing.date_of_birth)
    ends = compulsory_school_age_ends(footing.date_of_birth)
    return [key for key in sessions if starts <= key[0] <= ends]


async def _window_figures(
    tallies: AttendanceTallyRepository,
    school_urn: int,
    windows: dict[uuid.UUID, list[PenaltyWindow]],
) -> dict[tuple[uuid.UUID, date], AttendanceFigures]:
    """Each window's figures: the pupil's sessions at the school over its school weeks."""
    if not windows:
        return {}
    first = min(w.first_week for found in windows.values() for w in found)
    last = max(w.last_week for found in windows.values() for w in found)
    rows: dict[uuid.UUID, list[PupilWeek]] = defaultdict(list)
    for row in await tallies.pupil_weeks(school_urn, set(windows), first, last):
        rows[row.pupil_id].append(row)
    figures: dict[tuple[uuid.UUID, date], AttendanceFigures] = {}
    for pupil_id, found in windows.items():
        for window in found:
            total = sum(
                (
                    row.figures
                    for row in rows[pupil_id]
                    if window.first_week <= row.week_start <= window.last_week
                ),
                AttendanceFigures(),
            )
            figures[(pupil_id, window.first_week)] = total
    return figures


async def _absence_alerts(
    batch: _Batch,
    writer: _AlertWriter,
    *,
    school_urn: int,
    weeks: Sequence[date],
    pupils: set[uuid.UUID],
) -> None:
    """Recompute persistent and severe absence for ``pupils`` over each school year the
    changed weeks fall in (a week belongs to the school year its Monday does)."""
    if not pupils:
        return
    years = sorted({school_year_start(week) for week in weeks})
    existing = {
        (alert.pupil_id, alert.kind, alert.period_start): alert
        for alert in batch.absence[school_urn]
        if alert.period_start in years
    }
    minimum = get_settings().absence_alert_min_possible_sessions
    footings = await writer.standing(batch.alerts, pupils)
    for year in years:
        at_school = batch.year_to_date[year][school_urn]
        so_far = {pupil_id: at_school[pupil_id] for pupil_id in pupils if pupil_id in at_school}
        holding: dict[tuple[uuid.UUID, AlertKind], AttendanceFigures] = {}
        for pupil_id in pupils:
            found = so_far.get(pupil_id)
            figures = found.figures if found else AttendanceFigures()
            footing = footings.get(pupil_id)
            # DfE's measures cover pupils of compulsory school age: aged 5 to 15 at the
            # start of the school year. The minimum is council practice, not law.
            cohort = footing is not None and in_absence_cohort(footing.date_of_birth, year.year)
            enough = cohort and figures.possible >= minimum
            for kind, holds in (
                (AlertKind.PERSISTENT_ABSENCE, figures.persistent_absence),
                (AlertKind.SEVERE_ABSENCE, figures.severe_absence),
            ):
                if holds and enough:
                    holding[(pupil_id, kind)] = figures
                else:
                    writer.lapse(existing.get((pupil_id, kind, year)))
        last_days = await _last_days(
            batch,
            school_urn,
            {pupil_id: so_far[pupil_id].last_week for pupil_id, _ in holding},
        )
        for (pupil_id, kind), held in holding.items():
            writer.hold(
                existing.get((pupil_id, kind, year)),
                pupil_id=pupil_id,
                kind=kind,
                period_start=year,
                period_end=last_days[pupil_id],
                figures=held,
            )


async def _last_days(
    batch: _Batch, school_urn: int, last_weeks: dict[uuid.UUID, date]
) -> dict[uuid.UUID, date]:
    """The last day each pupil had a possible session, from their last such week's marks
    (read once per distinct week for the whole batch: usually just the current one)."""
    by_week: dict[date, list[uuid.UUID]] = defaultdict(list)
    for pupil_id, week in last_weeks.items():
        by_week[week].append(pupil_id)
    found: dict[uuid.UUID, date] = {}
    for week, pupil_ids in by_week.items():
        days = await batch.last_possible_days(school_urn, pupil_ids, week)
        # The week has a possible session for each of them, so each has a day; the week's
        # Monday is only a fallback against marks changing under a concurrent import.
        found.update((pupil_id, days.get(pupil_id, week)) for pupil_id in pupil_ids)
    return found


# --- running passes ---------------------------------------------------------------------------


class AttendanceRecomputer:
    """Runs ``recompute`` passes, each in a transaction of its own: ``drain`` until nothing
    is waiting (the scheduled command), or ``run`` until ``stop`` (beside the outbox in
    ``kpas worker``)."""

    def __init__(
        self,
        database: Database,
        *,
        batch_weeks: int = DEFAULT_BATCH_WEEKS,
        idle_seconds: float = 1.0,
    ) -> None:
        if batch_weeks < 1:
            raise ValueError("a pass must take at least one week")
        self.database = database
        self.batch_weeks = batch_weeks
        self.idle_seconds = idle_seconds
        self.totals = RecomputeCounts()
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Finish the pass in progress, then return from ``run``."""
        self._stop.set()

    async def anything_stale(self) -> bool:
        async with self.database.read_only() as conn:
            return bool(await conn.scalar(stale_query()))

    async def run_pass(self) -> RecomputeCounts:
        """One pass, committed."""
        async with self.database.writer(), self.database.sessions() as session:
            try:
                counts = await recompute(session, limit=self.batch_weeks)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        if counts.weeks:
            _log.info("attendance_recompute_pass", **counts.as_log())
        self.totals.add(counts)
        return counts

    async def drain(self) -> RecomputeCounts:
        """Passes until one finds nothing it may take; returns their totals."""
        drained = RecomputeCounts()
        while not self._stop.is_set():
            counts = await self.run_pass()
            drained.add(counts)
            if not counts.weeks:
                break
        return drained

    async def run(self) -> None:
        """Drain whenever weeks are waiting, until ``stop()``. A pass that fails on the
        database (a restart, a failover) is logged and tried again after the idle interval;
        its weeks stay queued."""
        _log.info("attendance_recompute_started")
        try:
            while not self._stop.is_set():
                try:
                    if await self.anything_stale():
                        await self.drain()
                except (OSError, DBAPIError) as exc:
                    _log.error("attendance_recompute_failed", failure=type(exc).__name__)
                if not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.idle_seconds)
        finally:
            _log.info("attendance_recompute_stopped", **self.totals.as_log())
