"""Queries over attendance alerts: the API's policy-filtered list and single read, and the
worker's reads of the alerts it keeps up to date."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.attendance import (
    AlertKind,
    AlertStatus,
    AttendanceAlert,
    AttendanceWithheldPupil,
)
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.attendance import Session, SessionKey
from app.rules.kent import District

ABSENCE_KINDS = (AlertKind.PERSISTENT_ABSENCE, AlertKind.SEVERE_ABSENCE)
#: Pupils, and schools, named in one query (well under either database's parameter limit).
PUPILS_PER_QUERY = 500
SCHOOLS_PER_QUERY = 1000

#: The alert's pupil and school as the list joins them: aliases, because the policy's filter
#: asks its own questions of ``schools`` (the school's area team) and must not be correlated
#: to these joins.
ALERT_PUPIL = aliased(Pupil, name="alert_pupil")
ALERT_SCHOOL = aliased(School, name="alert_school")


@dataclass(frozen=True, slots=True)
class AlertQuery:
    school_urn: int | None = None
    district: District | None = None
    kinds: frozenset[AlertKind] = frozenset()
    status: AlertStatus = AlertStatus.OPEN
    raised_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertEntry:
    """An alert with the little the API shows of its pupil and school."""

    alert: AttendanceAlert
    pupil_forename: str
    pupil_surname: str
    school_name: str

    @property
    def pupil_name(self) -> str:
        return f"{self.pupil_forename} {self.pupil_surname}"


@dataclass(frozen=True, slots=True)
class PupilFooting:
    """What an alert copies from its pupil: whose data it is, and on what footing it is
    held (an alert is about the pupil, so it is held as the pupil's record is)."""

    subject_id: uuid.UUID
    purposes_mask: int
    lawful_basis: str
    date_of_birth: date
    #: Restricted (UK GDPR Art 18) or with an upheld objection (Art 21) to a purpose alerts
    #: serve: no alert is computed.
    withheld: bool = False


@dataclass(slots=True)
class AlertRow:
    """An alert as the worker reads and changes it, without the ORM: a pass keeps thousands
    of alerts' figures current, and writes the changed ones back in one ``executemany``
    (``update_alerts``)."""

    id: uuid.UUID
    pupil_id: uuid.UUID
    school_urn: int
    kind: AlertKind
    status: AlertStatus
    period_start: date
    period_end: date
    possible_sessions: int
    attended_sessions: int
    authorised_sessions: int
    unauthorised_sessions: int
    spent_through_date: date | None
    spent_through_session: str | None
    raised_at: datetime
    updated_at: datetime
    withdrawn_at: datetime | None


#: The columns of ``AlertRow``, in its order.
_ROW_COLUMNS = tuple(getattr(AttendanceAlert, name) for name in AlertRow.__slots__)
#: What the worker may change on an alert.
_CHANGEABLE = (
    "status",
    "period_end",
    "possible_sessions",
    "attended_sessions",
    "authorised_sessions",
    "unauthorised_sessions",
    "spent_through_date",
    "spent_through_session",
    "raised_at",
    "updated_at",
    "withdrawn_at",
)


def _entries() -> Select[AttendanceAlert, str, str, str]:
    """Alerts joined to the pupil's known-by name and the school's name: nothing else of
    either record is read."""
    return (
        select(
            AttendanceAlert,
            func.coalesce(ALERT_PUPIL.preferred_forename, ALERT_PUPIL.legal_forename),
            func.coalesce(ALERT_PUPIL.preferred_surname, ALERT_PUPIL.legal_surname),
            ALERT_SCHOOL.name,
        )
        .join(ALERT_PUPIL, ALERT_PUPIL.id == AttendanceAlert.pupil_id)
        .join(ALERT_SCHOOL, ALERT_SCHOOL.urn == AttendanceAlert.school_urn)
    )


#: PostgreSQL plans a prepared statement afresh on every execution while it judges the custom
#: plan cheaper than the generic one ("auto"). For the list, with the policy's EXISTS tests
#: over schools, data subjects and objections, planning (about 2.5 ms) costs several times the
#: execution (about 0.5 ms). The generic plan is the same walk down
#: ``ix_attendance_alerts_status_raised`` (newest first, stopping at the page): the list's
#: parameters (equality tests, a date bound, the page size) do not change which plan is best.
_GENERIC_PLANS = text("SET LOCAL plan_cache_mode = force_generic_plan")


async def _plan_once(session: AsyncSession) -> None:
    """Let PostgreSQL reuse the list's plan for the rest of this transaction (the request's
    only other statement is its audit insert). A no-op on SQLite, which plans every time."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_GENERIC_PLANS)


class AttendanceAlertRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- the API's reads -----------------------------------------------------------------

    async def get(self, alert_id: uuid.UUID, *, visible: ColumnElement[bool]) -> AlertEntry | None:
        row = (
            await self.session.execute(_entries().where(AttendanceAlert.id == alert_id, visible))
        ).one_or_none()
        return None if row is None else _entry(row)

    async def page(
        self,
        query: AlertQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[AlertEntry], str | None]:
        """Alerts most recently raised first (``raised_at``, then id, descending), in one
        query: the policy's filter, the caller's filters and the page together."""
        stmt = _entries().where(visible, AttendanceAlert.status == query.status)
        if query.school_urn is not None:
            stmt = stmt.where(AttendanceAlert.school_urn == query.school_urn)
        if query.district is not None:
            stmt = stmt.where(ALERT_SCHOOL.district == query.district)
        if query.kinds:
            stmt = stmt.where(AttendanceAlert.kind.in_(sorted(query.kinds)))
        if query.raised_since is not None:
            stmt = stmt.where(AttendanceAlert.raised_at >= query.raised_since)
        keys = (AttendanceAlert.raised_at, AttendanceAlert.id)
        await _plan_once(self.session)
        rows, next_cursor = await keyset_page(
            self.session,
            stmt,
            keys,
            page,
            descending=True,
            scalars=False,
            values_of=lambda row: (row[0].raised_at, row[0].id),
        )
        return [_entry(row) for row in rows], next_cursor

    # --- the worker's reads ------------------------------------------------------------

    async def penalty_alerts(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], *, ending_from: date
    ) -> dict[tuple[uuid.UUID, date], AttendanceAlert]:
        """The school's penalty-threshold alerts (open or withdrawn) for these pupils whose
        window ends on or after ``ending_from``, by (pupil, first week of the window)."""
        if not pupil_ids:
            return {}
        rows = await self.session.scalars(
            select(AttendanceAlert).where(
                AttendanceAlert.school_urn == school_urn,
                AttendanceAlert.kind == AlertKind.PENALTY_THRESHOLD,
                AttendanceAlert.period_end >= ending_from,
            )
        )
        return {
            (alert.pupil_id, alert.period_start): alert
            for alert in rows
            if alert.pupil_id in pupil_ids
        }

    async def pupils_with_open_penalty_alerts(
        self, school_urn: int, *, ending_from: date
    ) -> set[uuid.UUID]:
        """Pupils with an open penalty-threshold alert at the school whose window ends on or
        after ``ending_from``."""
        rows = await self.session.scalars(
            select(AttendanceAlert.pupil_id).where(
                AttendanceAlert.school_urn == school_urn,
                AttendanceAlert.status == AlertStatus.OPEN,
                AttendanceAlert.kind == AlertKind.PENALTY_THRESHOLD,
                AttendanceAlert.period_end >= ending_from,
            )
        )
        return set(rows.all())

    async def absence_alerts(
        self, school_urn: int, years: Sequence[date]
    ) -> dict[tuple[uuid.UUID, AlertKind, date], AttendanceAlert]:
        """The school's persistent and severe absence alerts for these school years, by
        (pupil, kind, first day of the school year)."""
        rows = await self.session.scalars(
            select(AttendanceAlert).where(
                AttendanceAlert.school_urn == school_urn,
                AttendanceAlert.kind.in_(ABSENCE_KINDS),
                AttendanceAlert.period_start.in_(years),
            )
        )
        return {(alert.pupil_id, alert.kind, alert.period_start): alert for alert in rows}

    async def footings(
        self,
        pupil_ids: Collection[uuid.UUID] | Select[tuple[uuid.UUID]],
        *,
        purposes: Collection[str] = (),
    ) -> dict[uuid.UUID, PupilFooting]:
        """Each pupil's footing, date of birth, and whether alerts are withheld: the data
        subject is restricted, or has an upheld objection to one of ``purposes``. The pupils
        are given by id, or (a batch's thousands) as a query of their ids."""
        if isinstance(pupil_ids, Select):
            return await self._footings(Pupil.id.in_(pupil_ids), purposes)
        found: dict[uuid.UUID, PupilFooting] = {}
        ordered = list(pupil_ids)
        for start in range(0, len(ordered), PUPILS_PER_QUERY):
            chunk = ordered[start : start + PUPILS_PER_QUERY]
            found.update(await self._footings(Pupil.id.in_(chunk), purposes))
        return found

    async def _footings(
        self, which: ColumnElement[bool], purposes: Collection[str]
    ) -> dict[uuid.UUID, PupilFooting]:
        objecting = exists(
            select(SubjectObjection.id).where(
                SubjectObjection.subject_id == Pupil.subject_id,
                SubjectObjection.status == ObjectionStatus.UPHELD,
                SubjectObjection.purpose.in_(sorted(purposes)),
            )
        )
        rows = await self.session.execute(
            select(
                Pupil.id,
                Pupil.subject_id,
                Pupil.purposes_mask,
                Pupil.lawful_basis,
                Pupil.date_of_birth,
                DataSubject.restricted_since.is_not(None) | objecting,
            )
            .join(DataSubject, DataSubject.id == Pupil.subject_id)
            .where(which)
        )
        return {row[0]: PupilFooting(row[1], row[2], row[3], row[4], bool(row[5])) for row in rows}

    # --- many schools at once (a pass's batch) -------------------------------------------

    async def penalty_alerts_of_schools(
        self, schools: Collection[int], *, ending_from: date
    ) -> dict[int, list[AlertRow]]:
        """The penalty-threshold alerts (open or withdrawn) of a batch of schools whose
        window ends on or after ``ending_from``, by school."""
        found: dict[int, list[AlertRow]] = {urn: [] for urn in schools}
        for chunk in _chunks(sorted(schools)):
            rows = await self.session.execute(
                select(*_ROW_COLUMNS).where(
                    AttendanceAlert.school_urn.in_(chunk),
                    AttendanceAlert.kind == AlertKind.PENALTY_THRESHOLD,
                    AttendanceAlert.period_end >= ending_from,
                )
            )
            for row in rows:
                found[row.school_urn].append(AlertRow(*row))
        return found

    async def absence_alerts_of_schools(
        self, schools: Collection[int], years: Collection[date]
    ) -> dict[int, list[AlertRow]]:
        """The persistent and severe absence alerts of a batch of schools for these school
        years, by school."""
        found: dict[int, list[AlertRow]] = {urn: [] for urn in schools}
        for chunk in _chunks(sorted(schools)):
            rows = await self.session.execute(
                select(*_ROW_COLUMNS).where(
                    AttendanceAlert.school_urn.in_(chunk),
                    AttendanceAlert.kind.in_(ABSENCE_KINDS),
                    AttendanceAlert.period_start.in_(sorted(years)),
                )
            )
            for row in rows:
                found[row.school_urn].append(AlertRow(*row))
        return found

    async def update_alerts(self, changed: Sequence[AlertRow]) -> None:
        """Write back what the worker changed of these alerts: one ``executemany``."""
        if not changed:
            return
        alerts = cast(Table, AttendanceAlert.__table__)
        await self.session.execute(
            update(alerts)
            .where(alerts.c.id == bindparam("alert_id"))
            .values({name: bindparam(name, type_=alerts.c[name].type) for name in _CHANGEABLE}),
            [
                {"alert_id": row.id, **{name: getattr(row, name) for name in _CHANGEABLE}}
                for row in changed
            ],
        )

    async def open_penalty_ends_of_schools(
        self, schools: Collection[int], *, ending: tuple[date, date]
    ) -> list[tuple[int, uuid.UUID, date, date | None, str | None]]:
        """``(school, pupil, period_end, spent_through_date, spent_through_session)`` of the
        open penalty-threshold alerts of a batch of schools ending within ``ending`` (first
        and last inclusive): what ``spent_through`` reads, for many schools at once."""
        found: list[tuple[int, uuid.UUID, date, date | None, str | None]] = []
        for chunk in _chunks(sorted(schools)):
            rows = await self.session.execute(
                select(
                    AttendanceAlert.school_urn,
                    AttendanceAlert.pupil_id,
                    AttendanceAlert.period_end,
                    AttendanceAlert.spent_through_date,
                    AttendanceAlert.spent_through_session,
                ).where(
                    AttendanceAlert.school_urn.in_(chunk),
                    AttendanceAlert.kind == AlertKind.PENALTY_THRESHOLD,
                    AttendanceAlert.status == AlertStatus.OPEN,
                    AttendanceAlert.period_end >= ending[0],
                    AttendanceAlert.period_end <= ending[1],
                )
            )
            found.extend((row[0], row[1], row[2], row[3], row[4]) for row in rows)
        return found

    async def spent_through(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID], *, ending: tuple[date, date]
    ) -> dict[uuid.UUID, SessionKey]:
        """Each pupil's last spent session at the school: the latest the open penalty-threshold
        alerts whose school week is within ``ending`` (first and last inclusive) spent. An
        alert that does not record it spent every session to the end of its week."""
        if not pupil_ids:
            return {}
        rows = await self.session.execute(
            select(
                AttendanceAlert.pupil_id,
                AttendanceAlert.period_end,
                AttendanceAlert.spent_through_date,
                AttendanceAlert.spent_through_session,
            ).where(
                AttendanceAlert.school_urn == school_urn,
                AttendanceAlert.kind == AlertKind.PENALTY_THRESHOLD,
                AttendanceAlert.status == AlertStatus.OPEN,
                AttendanceAlert.period_end >= ending[0],
                AttendanceAlert.period_end <= ending[1],
                AttendanceAlert.pupil_id.in_(list(pupil_ids)),
            )
        )
        return latest_spent(rows)

    async def open_alerts_of(
        self, school_urn: int, pupil_ids: Collection[uuid.UUID]
    ) -> list[AttendanceAlert]:
        if not pupil_ids:
            return []
        # Refreshed: the worker writes alerts back without the ORM (``update_alerts``), so an
        # alert this session loaded before may hold what it was then.
        rows = await self.session.scalars(
            select(AttendanceAlert)
            .where(
                and_(
                    AttendanceAlert.school_urn == school_urn,
                    AttendanceAlert.status == AlertStatus.OPEN,
                    AttendanceAlert.pupil_id.in_(list(pupil_ids)),
                )
            )
            .execution_options(populate_existing=True)
        )
        return list(rows.all())

    # --- merging two records of one pupil ------------------------------------------------

    async def withdraw_clashing(
        self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID, now: datetime
    ) -> int:
        """Withdraw ``from_pupil``'s alerts that ``to_pupil`` has one of its own for (same
        school, kind and period start): they stay where they are, withdrawn (an open one from
        ``now``; one already withdrawn keeps its date). Returns how many clash."""
        alerts = cast(Table, AttendanceAlert.__table__)
        theirs = alerts.alias("survivor_alert")
        opened = alerts.c.status == AlertStatus.OPEN
        result = await self.session.execute(
            update(alerts)
            .where(
                alerts.c.pupil_id == from_pupil,
                exists().where(_same_alert(theirs, alerts), theirs.c.pupil_id == to_pupil),
            )
            .values(
                status=AlertStatus.WITHDRAWN,
                withdrawn_at=case((opened, now), else_=alerts.c.withdrawn_at),
                updated_at=case((opened, now), else_=alerts.c.updated_at),
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def move_alerts(
        self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID, now: datetime
    ) -> int:
        """Give ``to_pupil`` every alert of ``from_pupil`` it has none like (same school,
        kind and period start), held on its footing; ids stay, so what points at an alert
        (a case, a penalty notice) still does. One statement; returns how many moved."""
        footing = (await self.footings({to_pupil}))[to_pupil]
        alerts = cast(Table, AttendanceAlert.__table__)
        theirs = alerts.alias("survivor_alert")
        result = await self.session.execute(
            update(alerts)
            .where(
                alerts.c.pupil_id == from_pupil,
                ~exists().where(_same_alert(theirs, alerts), theirs.c.pupil_id == to_pupil),
            )
            .values(
                pupil_id=to_pupil,
                subject_id=footing.subject_id,
                purposes_mask=footing.purposes_mask,
                lawful_basis=footing.lawful_basis,
                updated_at=now,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def fold_withheld(self, *, from_pupil: uuid.UUID, to_pupil: uuid.UUID) -> None:
        """Make ``from_pupil``'s withheld-alert markers ``to_pupil``'s: moved where
        ``to_pupil`` has none at the school, folded into its own (the earlier first week)
        where it has."""
        markers = cast(Table, AttendanceWithheldPupil.__table__)
        theirs = markers.alias("merged_marker")
        at_school = and_(
            theirs.c.pupil_id == from_pupil, theirs.c.school_urn == markers.c.school_urn
        )
        await self.session.execute(
            update(markers)
            .where(
                markers.c.pupil_id == to_pupil,
                exists().where(at_school, theirs.c.first_week < markers.c.first_week),
            )
            .values(first_week=select(theirs.c.first_week).where(at_school).scalar_subquery())
        )
        ours = markers.alias("survivor_marker")
        await self.session.execute(
            update(markers)
            .where(
                markers.c.pupil_id == from_pupil,
                ~exists().where(
                    ours.c.pupil_id == to_pupil, ours.c.school_urn == markers.c.school_urn
                ),
            )
            .values(pupil_id=to_pupil)
        )
        await self.session.execute(delete(markers).where(markers.c.pupil_id == from_pupil))


def latest_spent(rows: Iterable[Sequence[Any]]) -> dict[uuid.UUID, SessionKey]:
    """Each pupil's last spent session from ``(pupil, period_end, spent_through_date,
    spent_through_session)`` of open penalty-threshold alerts. An alert that does not record
    it spent every session to the end of its week."""
    found: dict[uuid.UUID, SessionKey] = {}
    for pupil_id, period_end, spent_date, spent_session in rows:
        spent: SessionKey = (
            (spent_date, Session(spent_session))
            if spent_date is not None and spent_session is not None
            else (period_end + timedelta(days=6), Session.PM)
        )
        if pupil_id not in found or spent > found[pupil_id]:
            found[pupil_id] = spent
    return found


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), SCHOOLS_PER_QUERY):
        yield items[start : start + SCHOOLS_PER_QUERY]


def _entry(row: Row[AttendanceAlert, str, str, str]) -> AlertEntry:
    alert, forename, surname, school_name = row
    return AlertEntry(alert, forename, surname, school_name)


def _same_alert(one: Any, other: Any) -> ColumnElement[bool]:
    """Two alert rows are for the same school, kind and period (of any pupils)."""
    return and_(
        one.c.school_urn == other.c.school_urn,
        one.c.kind == other.c.kind,
        one.c.period_start == other.c.period_start,
    )
