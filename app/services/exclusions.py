"""Suspensions and permanent exclusions schools report, and the statutory dates that follow.

A school reports a suspension or permanent exclusion of a pupil on its roll; the service
refuses a suspension that would take the pupil over 45 school days in a school year at that
school (``app.rules.exclusions.check_suspension_cap``), and answers every read with the
cumulative suspension days in the term and school year, the governing board's duty to
consider reinstatement and its deadline, and who must arrange full-time education from the
sixth school day, counted in school days on the school's calendar.

Schools' own calendars are not held yet: every school is counted on Kent County Council's
term pattern (``app.rules.calendar.KENT_MAINTAINED_2024_2027``), which the answer names.

A report for a pupil with an open exclusion-support case is linked to that case and written
on its chronology (``app.services.referrals.link_exclusion``). The request commits: a refused
report writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.cases import CaseType
from app.models.exclusions import Exclusion, ExclusionKind
from app.models.people import Pupil
from app.policies import Access
from app.policies.registry import Purpose, purposes_mask
from app.repositories.exclusions import ExclusionQuery, ExclusionRepository
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.repositories.referrals import on_roll
from app.rules import exclusions as rules
from app.rules.calendar import (
    KENT_MAINTAINED_2024_2027,
    CalendarNotKnown,
    SchoolCalendar,
    school_year_label,
    school_year_of,
)
from app.rules.exclusions import ReinstatementReview, Suspension
from app.schemas.exclusions import ExclusionCreate, ExclusionUpdate, ProvisionDutyHolder
from app.services.cases import case_basis
from app.services.concurrency import IfMatch, etag_for
from app.services.referrals import link_exclusion

CAP_RULE = "suspension_cap"
CAP_SOURCE = (
    "School Discipline (Pupil Exclusions and Reviews) (England) Regulations 2012 "
    "(SI 2012/1033) reg 4; DfE, Suspension and permanent exclusion guidance"
)


def calendar_for(school_urn: int) -> SchoolCalendar:
    """The school's calendar: the council's term pattern until schools' own are held."""
    return KENT_MAINTAINED_2024_2027


def exclusion_etag(exclusion: Exclusion) -> str:
    return etag_for(exclusion.id, exclusion.version, exclusion.created_at)


@dataclass(frozen=True, slots=True)
class SuspensionDays:
    term: str | None
    term_days: int
    school_year: str
    school_year_days: int
    school_year_days_remaining: int


@dataclass(frozen=True, slots=True)
class BoardDuty:
    review: ReinstatementReview
    deadline: date | None


@dataclass(frozen=True, slots=True)
class SixthDay:
    from_date: date
    duty_holder: ProvisionDutyHolder


@dataclass(frozen=True, slots=True)
class ExclusionView:
    """An exclusion with what follows from it on the school's calendar (None where the
    calendar held does not cover its dates)."""

    exclusion: Exclusion
    calendar: SchoolCalendar
    days: SuspensionDays | None
    board: BoardDuty | None
    sixth_day: SixthDay | None


# --- the statutory figures ------------------------------------------------------------------


def _as_suspension(exclusion: Exclusion) -> Suspension:
    assert exclusion.school_days is not None
    return Suspension(exclusion.starts_on, exclusion.school_days)


def _school_year_range(years: Iterable[int]) -> tuple[date, date]:
    """Start dates that can put suspension days in these school years (one may run over a
    summer holiday into the next)."""
    ordered = sorted(years)
    return date(ordered[0] - 1, 9, 1), date(ordered[-1] + 1, 8, 31)


def _combined_span(
    calendar: SchoolCalendar, exclusion: Exclusion, suspensions: Sequence[Exclusion]
) -> Suspension:
    """The suspension with any back-to-back suspensions before it (each ending the school
    day before the next starts): they count as one for the sixth-day duty."""
    span = _as_suspension(exclusion)
    earlier = [s for s in suspensions if s.id != exclusion.id and s.starts_on < span.first_day]
    extended = True
    while extended:
        extended = False
        for other in earlier:
            before = _as_suspension(other)
            last = rules.suspension_dates(calendar, before)[-1]
            if calendar.add_school_days(last, 1) == span.first_day:
                span = Suspension(before.first_day, before.school_days + span.school_days)
                earlier.remove(other)
                extended = True
                break
    return span


def _view(
    calendar: SchoolCalendar, exclusion: Exclusion, suspensions: Sequence[Exclusion]
) -> ExclusionView:
    """``suspensions``: the pupil's suspensions at the school (not withdrawn), this one
    included if it is one."""
    try:
        counted = [_as_suspension(s) for s in suspensions]
        by_year = rules.suspension_days_by_school_year(calendar, counted)
        by_term = rules.suspension_days_by_term(calendar, counted)
        year = school_year_of(exclusion.starts_on)
        term = calendar.term_of(exclusion.starts_on)
        days = SuspensionDays(
            term=term.name if term else None,
            term_days=by_term[term] if term else 0,
            school_year=school_year_label(year),
            school_year_days=by_year[year],
            school_year_days_remaining=max(
                rules.MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR - by_year[year], 0
            ),
        )
        if exclusion.withdrawn_on is not None:
            return ExclusionView(exclusion, calendar, days, None, None)
        permanent = exclusion.kind is ExclusionKind.PERMANENT
        if permanent:
            term_days = 0
        else:
            # The busiest term the suspension falls in decides the board's duty.
            terms = {
                calendar.term_of(day)
                for day in rules.suspension_dates(calendar, _as_suspension(exclusion))
            }
            term_days = max(by_term[t] for t in terms if t is not None)
        review = rules.reinstatement_review(
            permanent=permanent,
            term_suspension_days=term_days,
            misses_public_exam=exclusion.public_exam_missed,
            parents_made_representations=exclusion.parents_representations_on is not None,
        )
        board = BoardDuty(
            review, rules.reinstatement_deadline(calendar, review, exclusion.notified_on)
        )
        sixth: SixthDay | None = None
        if permanent:
            sixth = SixthDay(
                rules.local_authority_provision_from(calendar, exclusion.starts_on),
                ProvisionDutyHolder.LOCAL_AUTHORITY,
            )
        else:
            span = _combined_span(calendar, exclusion, suspensions)
            from_date = rules.school_provision_from(calendar, span)
            if from_date is not None:
                sixth = SixthDay(from_date, ProvisionDutyHolder.SCHOOL)
        return ExclusionView(exclusion, calendar, days, board, sixth)
    except CalendarNotKnown:
        return ExclusionView(exclusion, calendar, None, None, None)


async def _views(session: AsyncSession, exclusions: Sequence[Exclusion]) -> list[ExclusionView]:
    """Each exclusion with its figures, from one query for all of their pupils' suspensions."""
    if not exclusions:
        return []
    found = await ExclusionRepository(session).suspensions_at(
        {(e.pupil_id, e.school_urn) for e in exclusions},
        between=_school_year_range(school_year_of(e.starts_on) for e in exclusions),
    )
    views = []
    for exclusion in exclusions:
        theirs = [
            s
            for s in found
            if s.pupil_id == exclusion.pupil_id and s.school_urn == exclusion.school_urn
        ]
        views.append(_view(calendar_for(exclusion.school_urn), exclusion, theirs))
    return views


# --- reporting ------------------------------------------------------------------------------


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _not_after_today(access: Access, pointer: str, day: date | None) -> None:
    if day is not None and day > access.today:
        raise _refuse(pointer, "This date is in the future.", "in_future")


def _check_dates(calendar: SchoolCalendar, data: ExclusionCreate) -> None:
    try:
        if not calendar.is_school_day(data.starts_on):
            raise _refuse(
                "/starts_on",
                "An exclusion starts on a school day: this day is not one on the school's "
                "calendar.",
                "not_a_school_day",
            )
        if data.school_days is not None:
            rules.suspension_dates(calendar, Suspension(data.starts_on, data.school_days))
        else:
            rules.local_authority_provision_from(calendar, data.starts_on)
    except CalendarNotKnown:
        raise _refuse(
            "/starts_on",
            "The school calendar held does not cover these dates, so its school days cannot "
            "be counted.",
            "outside_calendar",
        ) from None


async def report_exclusion(
    session: AsyncSession, access: Access, *, data: ExclusionCreate
) -> ExclusionView:
    """Record a suspension or permanent exclusion a school reports (422 for a pupil not on
    the school's roll today; 409 for a suspension over the 45-day cap), link it to the pupil's
    open exclusion-support case, and answer with its statutory figures."""
    if data.school_urn not in access.principal.school_urns:
        raise _refuse(
            "/school_urn",
            "A school reports exclusions from its own schools only: this URN is not one of yours.",
            "not_your_school",
        )
    _not_after_today(access, "/notified_on", data.notified_on)
    _not_after_today(access, "/parents_representations_on", data.parents_representations_on)
    calendar = calendar_for(data.school_urn)
    _check_dates(calendar, data)
    # The pupil's own record is collected for the roll's purposes, not this one: what
    # decides is that they are on the school's roll today and their data subject may be
    # processed for this purpose (no restriction, objection or retention bars it).
    pupil = await PupilRepository(session).get(
        data.pupil_id, visible=access.visible_subjects(Pupil.subject_id)
    )
    if (
        pupil is None
        or pupil.merged_into_id is not None
        or not await on_roll(session, pupil.id, data.school_urn, access.today)
    ):
        access.withheld(data.pupil_id)
        raise _refuse(
            "/pupil_id",
            "A school reports exclusions of a pupil on its own roll today: no pupil with that "
            "id is on this school's roll.",
            "not_on_roll",
        )
    repository = ExclusionRepository(session)
    await repository.lock_pupil(pupil.id)
    suspensions = await repository.suspensions_at(
        {(pupil.id, data.school_urn)},
        between=_school_year_range([school_year_of(data.starts_on)]),
    )
    if data.kind is ExclusionKind.SUSPENSION:
        assert data.school_days is not None
        check = rules.check_suspension_cap(
            calendar,
            [_as_suspension(s) for s in suspensions],
            Suspension(data.starts_on, data.school_days),
        )
        if not check.allowed:
            raise Conflict(
                f"Refused by the 45-day rule: {check.reason}. Source: {CAP_SOURCE}.",
                extra={
                    "rule": CAP_RULE,
                    "source": CAP_SOURCE,
                    "days_used": {school_year_label(y): n for y, n in check.days_used.items()},
                    "days_remaining": {
                        school_year_label(y): n for y, n in check.days_remaining.items()
                    },
                },
            )
    exclusion = Exclusion(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=purposes_mask({Purpose.EXCLUSION_SUPPORT}),
        lawful_basis=case_basis(CaseType.EXCLUSION_SUPPORT),
        school_urn=data.school_urn,
        kind=data.kind,
        starts_on=data.starts_on,
        school_days=data.school_days,
        notified_on=data.notified_on,
        reasons=list(data.reasons),
        public_exam_missed=data.public_exam_missed,
        parents_representations_on=data.parents_representations_on,
        reported_by=access.principal.subject,
        reported_at=access.now,
    )
    if not access.permits(exclusion):
        raise access.refuse(
            "the exclusion would be outside the caller's reach", code="condition_not_met"
        )
    repository.add(exclusion)
    await session.flush()
    case = await link_exclusion(session, access, exclusion)
    await session.flush()
    access.record_change(
        "exclusion.reported",
        resource_id=exclusion.id,
        subject_id=exclusion.subject_id,
        details={
            "kind": exclusion.kind.value,
            "school_urn": exclusion.school_urn,
            "school_days": exclusion.school_days,
            "case_id": str(case.id) if case is not None else None,
        },
    )
    access.touched(subject_ids=[exclusion.subject_id], resource_id=exclusion.id)
    counted = (
        [*suspensions, exclusion] if exclusion.kind is ExclusionKind.SUSPENSION else suspensions
    )
    return _view(calendar, exclusion, counted)


async def _load(
    session: AsyncSession, access: Access, exclusion_id: uuid.UUID, *, for_update: bool = False
) -> Exclusion:
    exclusion = await ExclusionRepository(session).get(
        exclusion_id, visible=access.filter(), for_update=for_update
    )
    if exclusion is None:
        raise access.not_found(exclusion_id, "No exclusion with that id that you may see.")
    access.touched(subject_ids=[exclusion.subject_id], resource_id=exclusion.id)
    return exclusion


async def get_exclusion(
    session: AsyncSession, access: Access, *, exclusion_id: uuid.UUID
) -> ExclusionView:
    exclusion = await _load(session, access, exclusion_id)
    return (await _views(session, [exclusion]))[0]


async def list_exclusions(
    session: AsyncSession, access: Access, *, query: ExclusionQuery, page: PageRequest
) -> tuple[list[ExclusionView], str | None]:
    found, next_cursor = await ExclusionRepository(session).page(
        query, page, visible=access.filter()
    )
    access.touched(subject_ids=[e.subject_id for e in found])
    return await _views(session, found), next_cursor


async def update_exclusion(
    session: AsyncSession,
    access: Access,
    *,
    exclusion_id: uuid.UUID,
    data: ExclusionUpdate,
    if_match: IfMatch,
) -> ExclusionView:
    """Record the board's decision, the parents' representations or a withdrawal (If-Match;
    409 once withdrawn)."""
    exclusion = await _load(session, access, exclusion_id, for_update=True)
    if_match.require(exclusion_etag(exclusion))
    if exclusion.withdrawn_on is not None:
        raise Conflict("The exclusion was withdrawn; nothing more can be recorded on it.")
    changes = data.changes()
    for name in ("board_considered_on", "parents_representations_on", "withdrawn_on"):
        day = changes.get(name)
        if day is None:
            continue
        _not_after_today(access, f"/{name}", day)
        if day < exclusion.notified_on:
            raise _refuse(f"/{name}", "This date is before the parents were notified.", "too_early")
    if "withdrawn_on" in changes and changes["withdrawn_on"] < exclusion.starts_on:
        raise _refuse(
            "/withdrawn_on", "A withdrawal cannot be before the exclusion starts.", "too_early"
        )
    for name, value in changes.items():
        setattr(exclusion, name, value.value if name == "board_decision" else value)
    await session.flush()
    details: dict[str, str | int | bool | None] = {"fields": ",".join(sorted(changes))}
    if "board_decision" in changes:
        details["board_decision"] = changes["board_decision"].value
    access.record_change(
        "exclusion.withdrawn" if "withdrawn_on" in changes else "exclusion.updated",
        resource_id=exclusion.id,
        subject_id=exclusion.subject_id,
        details=details,
    )
    return (await _views(session, [exclusion]))[0]
