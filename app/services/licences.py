"""Licences: applications for work permits, performance licences and chaperone approvals, the
rule checks on them, decisions, revocations, the letters they send and the absences they give
schools.

An application names its holder once: a child on a Kent roll (matched by UPN, legal surname and
date of birth, all three, so a shared UPN alone never opens a pupil's record) or a person
(``/v1/people``). Every create, amendment and decision runs the rules again
(``app.rules.child_employment``, ``app.rules.child_performance``, ``app.rules.chaperones``)
and stores their findings on the licence; a grant is refused while a blocking finding stands,
and must acknowledge each warning. A performance licence's chaperone is checked across every
live licence in their care, whoever holds them.

A granted performance licence for a pupil that takes them out of school gives their Kent
school a ``LicensedAbsence``: the days to record with code C1. Decision letters go to the
parent, the employer or producer, and the chaperone through the Notify outbox in the same
transaction. The request commits: a refused request writes nothing.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.licences import (
    Licence,
    LicenceDay,
    LicenceKind,
    LicenceStatus,
    LicensedAbsence,
    Person,
    PersonType,
    Production,
    RevocationGround,
)
from app.models.messages import Channel, OutboundMessage
from app.models.people import Pupil
from app.models.subjects import DataSubject
from app.policies import Access
from app.policies.registry import Purpose, purposes_mask
from app.repositories.licences import AbsenceQuery, LicenceQuery, LicenceRepository
from app.repositories.pagination import PageRequest
from app.rules import chaperones as chaperone_rules
from app.rules import child_employment as employment
from app.rules import child_performance as performance
from app.rules.licensing import Finding, Severity, ShapeProblem, blocking
from app.rules.retention import licensing_adult_retain_until
from app.schemas.licences import (
    ChaperoneInput,
    DecisionCreate,
    DecisionOutcome,
    LicenceCreate,
    LicenceUpdate,
    PerformanceInput,
    RevocationCreate,
    StatusFilter,
    WorkPermitInput,
)
from app.services.concurrency import IfMatch, etag_for
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK
from app.services.outbox import Addressee, OutboxRefusal, enqueue
from app.services.retention_periods import (
    LICENSING_ADULT,
    set_retention_dates,
    years_in_force,
)

LICENSING = Purpose.CHILD_EMPLOYMENT_LICENSING
#: The absence notice is the school register's authority too (SI 2024/208 reg 10).
ABSENCE_MASK = purposes_mask({LICENSING, Purpose.ATTENDANCE_DUTY})
#: SI 2024/208 reg 10: leave of absence for a regulated performance or regulated employment
#: abroad. (Not C2, a temporary reduced timetable, nor C, exceptional circumstances.)
LICENSED_ABSENCE_CODE = "C1"
ABSENCE_SOURCE = (
    "School Attendance (Pupil Registration) (England) Regulations 2024 (SI 2024/208) reg 10, "
    "code C1"
)
#: The block of an application that carries each kind's particulars.
BLOCK = {
    LicenceKind.WORK_PERMIT: "work_permit",
    LicenceKind.PERFORMANCE_LICENCE: "performance",
    LicenceKind.CHAPERONE_APPROVAL: "chaperone",
}
NOT_FOUND = "No licence with that id that you may see."


def licence_etag(licence: Licence) -> str:
    return etag_for(licence.id, licence.version, licence.created_at)


def new_reference(received_on: date) -> str:
    """A reference to quote on letters and calls: no personal data, nothing to guess from."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"LIC-{received_on.year}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def effective_status(licence: Licence, today: date) -> str:
    """The stored status, with a granted licence past its expiry read as ``expired``."""
    if (
        licence.status is LicenceStatus.GRANTED
        and licence.expires_on is not None
        and licence.expires_on < today
    ):
        return "expired"
    return licence.status.value


@dataclass(slots=True)
class QueuedMessage:
    person_id: uuid.UUID
    channel: Channel
    message_id: uuid.UUID


@dataclass(slots=True)
class LicenceView:
    """A licence with what the checks and this request added to it."""

    licence: Licence
    need: performance.LicenceNeed | None = None
    absence: LicensedAbsence | None = None
    messages: list[QueuedMessage] = field(default_factory=list)


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _shape(problems: Sequence[ShapeProblem], prefix: str) -> None:
    if problems:
        raise ValidationFailed(
            "The schedule cannot be checked: " + problems[0].message,
            errors=[body_problem(prefix + p.where, p.message, p.code) for p in problems],
        )


# --- the rule checks -----------------------------------------------------------------------


def _work_permit_application(
    block: Mapping[str, Any], date_of_birth: date, received_on: date
) -> employment.WorkPermitApplication:
    data = WorkPermitInput.model_validate(block)
    return employment.WorkPermitApplication(
        date_of_birth=date_of_birth,
        start_on=data.starts_on,
        received_on=received_on,
        shifts=tuple(employment.Shift(s.weeks, s.weekday, s.starts, s.ends) for s in data.shifts),
        school_starts=data.school_starts,
        school_ends=data.school_ends,
    )


def _performance_days(days: Iterable[Any]) -> tuple[performance.PerformanceDay, ...]:
    """The rules' days from stored schedule days or an application's (both carry the same
    fields), in the order given (a shape problem points at its position)."""
    return tuple(
        performance.PerformanceDay(
            on=d.on,
            at_venue_from=d.at_venue_from,
            at_venue_until=d.at_venue_until,
            performing_minutes=d.performing_minutes,
            longest_continuous_minutes=d.longest_continuous_minutes,
            school_day=d.school_day,
            absent_from_school=d.absent_from_school,
            tutor_minutes=d.tutor_minutes,
        )
        for d in days
    )


def _performance_application(
    licence: Licence, production: Production
) -> performance.PerformanceApplication:
    block = licence.particulars
    assert licence.date_of_birth is not None
    return performance.PerformanceApplication(
        date_of_birth=licence.date_of_birth,
        received_on=licence.received_on,
        days=_performance_days(sorted(licence.days, key=lambda d: d.on)),
        paid=block["paid"],
        charge_made=production.charge_made,
        licensed_premises=production.licensed_premises,
        broadcast_or_recorded=production.broadcast_or_recorded,
        body_of_persons_approval=production.body_of_persons_approval is not None,
        days_performed_in_previous_six_months=block["days_performed_in_previous_six_months"],
    )


def _chaperone_application(licence: Licence) -> chaperone_rules.ChaperoneApplication:
    data = ChaperoneInput.model_validate(licence.particulars)
    return chaperone_rules.ChaperoneApplication(
        date_of_birth=licence.date_of_birth,
        received_on=licence.received_on,
        dbs_certificate_number=data.dbs_certificate_number,
        dbs_issued_on=data.dbs_issued_on,
        update_service_checked_on=data.update_service_checked_on,
        references_received=data.references_received,
        training_completed_on=data.training_completed_on,
    )


async def _chaperone_findings(repository: LicenceRepository, licence: Licence) -> list[Finding]:
    """The named chaperone is approved over the whole schedule, and not over capacity on any
    day across every live licence in their care."""
    days = sorted(licence.days, key=lambda d: d.on)
    if licence.chaperone_id is None:
        return [
            Finding(
                rule="performance.no_chaperone",
                severity=Severity.WARNING,
                source=f"{performance.REGULATIONS} reg 14",
                message="No approved chaperone is named: the child must be in the charge of a "
                "parent or a teacher at their school, or an approved chaperone, throughout.",
                where="/performance/chaperone_id",
            )
        ]
    approval = await repository.session.get(Licence, licence.chaperone_id)
    found: list[Finding] = []
    if (
        approval is None
        or approval.status is not LicenceStatus.GRANTED
        or approval.expires_on is None
        or approval.expires_on < days[-1].on
    ):
        found.append(
            Finding(
                rule="performance.chaperone_not_approved",
                severity=Severity.BLOCKING,
                source=f"{performance.REGULATIONS} reg 14-15; {chaperone_rules.COUNCIL_PRACTICE}",
                message="The chaperone named is not approved for every day of the schedule "
                "(an approval not granted, or expiring before the last day).",
                where="/performance/chaperone_id",
                facts={
                    "expires_on": approval.expires_on.isoformat()
                    if approval is not None and approval.expires_on is not None
                    else None,
                    "last_day": days[-1].on.isoformat(),
                },
            )
        )
    others = await repository.chaperone_load(
        {licence.chaperone_id}, {d.on for d in days}, besides=licence.id
    )
    duties = [
        performance.ChaperoneDuty(
            str(d.licence_id), d.on, d.at_venue_from, d.at_venue_until, d.chaperone_tutoring
        )
        for d in [*days, *others]
    ]
    found += [
        replace(finding, where="/performance/chaperone_id")
        for finding in performance.chaperone_capacity(duties)
    ]
    return found


async def check(
    session: AsyncSession, licence: Licence, today: date
) -> tuple[list[Finding], performance.LicenceNeed | None]:
    """Every rule check on the licence as it stands; the findings are stored on it."""
    repository = LicenceRepository(session)
    need: performance.LicenceNeed | None = None
    if licence.kind is LicenceKind.WORK_PERMIT:
        assert licence.date_of_birth is not None
        application = _work_permit_application(
            licence.particulars, licence.date_of_birth, licence.received_on
        )
        found = [_pointed(f, "/work_permit") for f in employment.check_work_permit(application)]
    elif licence.kind is LicenceKind.PERFORMANCE_LICENCE:
        assert licence.production_id is not None
        production = await repository.production(licence.production_id)
        assert production is not None  # a foreign key
        application_p = _performance_application(licence, production)
        need = performance.licence_need(application_p)
        found = [_pointed(f, "/performance") for f in performance.check_performance(application_p)]
        found += await _chaperone_findings(repository, licence)
    else:
        found = [
            _pointed(f, "/chaperone")
            for f in chaperone_rules.check_chaperone(_chaperone_application(licence), today)
        ]
    licence.findings = [f.as_dict() for f in found]
    return found, need


def _pointed(finding: Finding, prefix: str) -> Finding:
    """The finding with its pointer made absolute in the application body."""
    where = finding.where
    if where is None or where.startswith(prefix) or where == "/received_on":
        return finding
    return replace(finding, where=prefix + where)


# --- who it is for, and who else it names -------------------------------------------------


async def _adult(
    session: AsyncSession, access: Access, person_id: uuid.UUID, pointer: str
) -> Person:
    person = await LicenceRepository(session).person(
        person_id, visible=access.related_filter("person", "read")
    )
    if person is None or person.person_type is not PersonType.ADULT:
        access.withheld(person_id)
        raise _refuse(pointer, "No adult person with that id that you may see.", "unknown_person")
    return person


@dataclass(frozen=True, slots=True)
class Holder:
    subject_id: uuid.UUID
    forename: str
    surname: str
    date_of_birth: date | None
    pupil_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    school_urn: int | None = None
    adult: Person | None = None


async def _holder(session: AsyncSession, access: Access, data: LicenceCreate) -> Holder:
    repository = LicenceRepository(session)
    if data.pupil is not None:
        pupil = await repository.matching_pupil(
            upn=data.pupil.upn,
            legal_surname=data.pupil.legal_surname,
            date_of_birth=data.pupil.date_of_birth,
            visible=access.visible_subjects(Pupil.subject_id),
        )
        schools = await repository.current_schools(pupil.id) if pupil is not None else []
        if pupil is None or not schools:
            raise _refuse(
                "/pupil",
                "No pupil on a Kent roll matches this UPN, legal surname and date of birth "
                "together. Check them with the school, or record the child as a person.",
                "no_matching_pupil",
            )
        if data.school_urn is not None and data.school_urn not in schools:
            raise _refuse("/school_urn", "The pupil is not on this school's roll.", "not_on_roll")
        if data.school_urn is None and len(schools) > 1:
            raise _refuse(
                "/school_urn",
                "The pupil is on more than one Kent roll: name the school told of an absence.",
                "school_needed",
            )
        return Holder(
            subject_id=pupil.subject_id,
            forename=pupil.legal_forename,
            surname=pupil.legal_surname,
            date_of_birth=pupil.date_of_birth,
            pupil_id=pupil.id,
            school_urn=data.school_urn or schools[0],
        )
    assert data.person_id is not None
    person = await repository.person(
        data.person_id, visible=access.related_filter("person", "read")
    )
    wanted = PersonType.ADULT if data.kind is LicenceKind.CHAPERONE_APPROVAL else PersonType.CHILD
    if person is None or person.person_type is not wanted:
        access.withheld(data.person_id)
        raise _refuse(
            "/person_id",
            f"No {wanted.value} person with that id that you may see.",
            "unknown_person",
        )
    if data.school_urn is not None:
        raise _refuse(
            "/school_urn",
            "Only a pupil on a Kent roll has a Kent school to tell.",
            "not_a_pupil",
        )
    return Holder(
        subject_id=person.subject_id,
        forename=person.legal_forename,
        surname=person.legal_surname,
        date_of_birth=person.date_of_birth,
        person_id=person.id,
        adult=person if wanted is PersonType.ADULT else None,
    )


# --- the particulars -----------------------------------------------------------------------


async def _apply_block(
    session: AsyncSession,
    access: Access,
    licence: Licence,
    *,
    work_permit: WorkPermitInput | None,
    performance_block: PerformanceInput | None,
    chaperone: ChaperoneInput | None,
) -> None:
    """Store the kind's particulars (after checking their shape and what they name)."""
    repository = LicenceRepository(session)
    if licence.kind is LicenceKind.WORK_PERMIT:
        assert work_permit is not None
        _shape(
            employment.shape_problems(
                [employment.Shift(s.weeks, s.weekday, s.starts, s.ends) for s in work_permit.shifts]
            ),
            "/work_permit",
        )
        await _adult(session, access, work_permit.employer_id, "/work_permit/employer_id")
        licence.employer_id = work_permit.employer_id
        licence.starts_on = work_permit.starts_on
        licence.ends_on = work_permit.ends_on
        licence.particulars = work_permit.model_dump(mode="json")
        return
    if licence.kind is LicenceKind.CHAPERONE_APPROVAL:
        assert chaperone is not None
        licence.starts_on = licence.received_on
        licence.ends_on = None
        licence.particulars = chaperone.model_dump(mode="json")
        return
    assert performance_block is not None
    block = performance_block
    days = _performance_days(block.days)
    _shape(performance.shape_problems(days), "/performance")
    production = await repository.production(block.production_id)
    if production is None:
        raise _refuse(
            "/performance/production_id", "No production with that id.", "unknown_production"
        )
    if block.chaperone_id is not None:
        approval = await session.get(Licence, block.chaperone_id)
        if approval is None or approval.kind is not LicenceKind.CHAPERONE_APPROVAL:
            raise _refuse(
                "/performance/chaperone_id",
                "No chaperone approval with that id.",
                "unknown_chaperone",
            )
    licence.production_id = block.production_id
    licence.chaperone_id = block.chaperone_id
    ordered = sorted(block.days, key=lambda d: d.on)
    licence.starts_on = ordered[0].on
    licence.ends_on = ordered[-1].on
    licence.particulars = block.model_dump(mode="json", exclude={"days"})
    if licence.days:
        await repository.delete_days(licence)
    licence.days = [
        LicenceDay(
            id=uuid.uuid4(),
            licence_id=licence.id,
            on=d.on,
            at_venue_from=d.at_venue_from,
            at_venue_until=d.at_venue_until,
            performing_minutes=d.performing_minutes,
            longest_continuous_minutes=d.longest_continuous_minutes,
            school_day=d.school_day,
            absent_from_school=d.absent_from_school,
            tutor_minutes=d.tutor_minutes,
            chaperone_id=block.chaperone_id,
            chaperone_tutoring=block.chaperone_also_tutor,
        )
        for d in ordered
    ]


def _last_day(licence: Licence) -> date:
    return licence.expires_on or licence.ends_on or licence.starts_on


async def _adults_named(session: AsyncSession, licence: Licence) -> list[uuid.UUID]:
    """The adults a licence names, in the order they are told of a decision: the parent, the
    employer or the producer, and the chaperone an approval is for."""
    ids = [licence.parent_id, licence.employer_id]
    if licence.production_id is not None:
        production = await session.get(Production, licence.production_id)
        ids.append(production.producer_id if production is not None else None)
    if licence.kind is LicenceKind.CHAPERONE_APPROVAL:
        ids.append(licence.person_id)
    return list(dict.fromkeys(i for i in ids if i is not None))


async def _keep_adults_records(session: AsyncSession, licence: Licence) -> None:
    """Adults on a licence are kept for ``LICENSING_ADULT_YEARS`` after its last day (only
    ever extended here; a child's records are kept to their 25th birthday)."""
    wanted = await _adults_named(session, licence)
    if not wanted:
        return
    keep_until = licensing_adult_retain_until(
        _last_day(licence), await years_in_force(session, LICENSING_ADULT)
    )
    rows = await session.execute(
        select(DataSubject)
        .join(Person, Person.subject_id == DataSubject.id)
        .where(Person.id.in_(wanted), Person.person_type == PersonType.ADULT)
    )
    for (subject,) in rows:
        if subject.retain_until is None or subject.retain_until < keep_until:
            subject.retain_until = keep_until


async def recompute_adult_retention(session: AsyncSession, years: int) -> int:
    """Every adult on a licence's retention date under a new ``licensing_adult`` period:
    ``years`` after the last day of the last licence they are on (an adult on none keeps
    the date they had); how many moved. Licences a batch at a time, in the caller's
    transaction."""
    last: dict[uuid.UUID, date] = {}
    after: uuid.UUID | None = None
    while True:
        stmt = select(Licence).order_by(Licence.id).limit(500)
        if after is not None:
            stmt = stmt.where(Licence.id > after)
        licences = list((await session.scalars(stmt)).all())
        if not licences:
            break
        after = licences[-1].id
        for licence in licences:
            day = _last_day(licence)
            for person_id in await _adults_named(session, licence):
                if person_id not in last or last[person_id] < day:
                    last[person_id] = day
    moved = 0
    ordered = sorted(last)
    for start in range(0, len(ordered), 500):
        rows = await session.execute(
            select(Person.id, Person.subject_id, DataSubject.retain_until)
            .join(DataSubject, DataSubject.id == Person.subject_id)
            .where(
                Person.id.in_(ordered[start : start + 500]), Person.person_type == PersonType.ADULT
            )
        )
        changes = [
            {"id": subject_id, "retain_until": until}
            for person_id, subject_id, kept in rows.all()
            if (until := licensing_adult_retain_until(last[person_id], years)) != kept
        ]
        moved += await set_retention_dates(session, changes)
    return moved


# --- use cases -----------------------------------------------------------------------------


async def create_licence(
    session: AsyncSession, access: Access, *, data: LicenceCreate
) -> LicenceView:
    """Record an application and check it (422 for a schedule that cannot be checked, or a
    holder, employer, production or chaperone that does not exist or is not yours to see)."""
    holder = await _holder(session, access, data)
    if data.kind is not LicenceKind.CHAPERONE_APPROVAL and holder.date_of_birth is None:
        raise _refuse("/person_id", "A child's licence needs their date of birth.", "no_birth_date")
    if data.received_on > access.today:
        raise _refuse("/received_on", "This date is in the future.", "in_future")
    parent = None
    if data.parent_id is not None:
        parent = await _adult(session, access, data.parent_id, "/parent_id")
    licence = Licence(
        id=uuid.uuid4(),
        reference=new_reference(data.received_on),
        kind=data.kind,
        status=LicenceStatus.APPLIED,
        pupil_id=holder.pupil_id,
        person_id=holder.person_id,
        forename=holder.forename,
        surname=holder.surname,
        date_of_birth=holder.date_of_birth,
        parent_id=parent.id if parent is not None else None,
        school_urn=holder.school_urn,
        received_on=data.received_on,
        starts_on=data.received_on,
        health_needs=data.health_needs if access.special_category else None,
        findings=[],
        subject_id=holder.subject_id,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by=access.principal.subject,
        particulars={},
        days=[],
    )
    await _apply_block(
        session,
        access,
        licence,
        work_permit=data.work_permit,
        performance_block=data.performance,
        chaperone=data.chaperone,
    )
    if not access.permits(licence):
        raise access.refuse(
            "the licence would be outside the caller's reach", code="condition_not_met"
        )
    LicenceRepository(session).add(licence)
    await session.flush()
    found, need = await check(session, licence, access.today)
    await _keep_adults_records(session, licence)
    await session.flush()
    access.record_change(
        "licence.applied",
        resource_id=licence.id,
        subject_id=licence.subject_id,
        details={
            "kind": licence.kind.value,
            "blocking": len(blocking(found)),
            "warnings": len(found) - len(blocking(found)),
        },
    )
    access.touched(subject_ids=[licence.subject_id], resource_id=licence.id)
    return LicenceView(licence, need=need)


async def load_licence(
    session: AsyncSession,
    access: Access,
    licence_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Licence:
    licence = await LicenceRepository(session).get(
        licence_id, visible=access.filter(), for_update=for_update
    )
    if licence is None:
        raise access.not_found(licence_id, NOT_FOUND)
    access.touched(subject_ids=[licence.subject_id], resource_id=licence.id)
    return licence


async def view_of(session: AsyncSession, licence: Licence) -> LicenceView:
    need = None
    if licence.kind is LicenceKind.PERFORMANCE_LICENCE and licence.production_id is not None:
        production = await LicenceRepository(session).production(licence.production_id)
        if production is not None:
            need = performance.licence_need(_performance_application(licence, production))
    absence = await LicenceRepository(session).absence_of(licence.id)
    return LicenceView(licence, need=need, absence=absence)


async def get_licence(
    session: AsyncSession, access: Access, *, licence_id: uuid.UUID
) -> LicenceView:
    return await view_of(session, await load_licence(session, access, licence_id))


def status_query(status: StatusFilter | None, today: date) -> dict[str, Any]:
    """A status filter as the stored status and the expiry test."""
    if status is None:
        return {}
    if status is StatusFilter.GRANTED:
        return {"status": LicenceStatus.GRANTED, "in_force_on": today}
    if status is StatusFilter.EXPIRED:
        return {"status": LicenceStatus.GRANTED, "expired_before": today}
    return {"status": LicenceStatus(status.value)}


async def list_licences(
    session: AsyncSession, access: Access, *, query: LicenceQuery, page: PageRequest
) -> tuple[list[Licence], str | None]:
    found, next_cursor = await LicenceRepository(session).page(query, page, visible=access.filter())
    access.touched(subject_ids=[licence.subject_id for licence in found])
    return found, next_cursor


async def list_chaperones(
    session: AsyncSession,
    access: Access,
    *,
    status: StatusFilter | None,
    expiring_before: date | None,
    person_id: uuid.UUID | None,
    page: PageRequest,
) -> tuple[list[Licence], str | None]:
    query = LicenceQuery(
        kind=LicenceKind.CHAPERONE_APPROVAL,
        person_id=person_id,
        expiring_before=expiring_before,
        **status_query(status, access.today),
    )
    found, next_cursor = await LicenceRepository(session).page(query, page, visible=access.filter())
    access.touched(subject_ids=[licence.subject_id for licence in found])
    return found, next_cursor


async def update_licence(
    session: AsyncSession,
    access: Access,
    *,
    licence_id: uuid.UUID,
    data: LicenceUpdate,
    if_match: IfMatch,
) -> LicenceView:
    """Amend an undecided application (If-Match; 409 once decided) and check it again."""
    licence = await load_licence(session, access, licence_id, for_update=True)
    if_match.require(licence_etag(licence))
    if licence.status is not LicenceStatus.APPLIED:
        raise Conflict(f"The licence was {licence.status.value}: a decided licence is not amended.")
    changes = data.changes()
    for kind, name in BLOCK.items():
        if name in changes and kind is not licence.kind:
            raise _refuse(f"/{name}", f"A {licence.kind.value} has no {name} block.", "wrong_kind")
    if "received_on" in changes:
        if data.received_on is None:
            raise _refuse("/received_on", "The date received cannot be removed.", "required")
        if data.received_on > access.today:
            raise _refuse("/received_on", "This date is in the future.", "in_future")
        licence.received_on = data.received_on
    if "health_needs" in changes and access.special_category:
        licence.health_needs = data.health_needs
    block_name = BLOCK[licence.kind]
    if block_name in changes:
        await _apply_block(
            session,
            access,
            licence,
            work_permit=data.work_permit,
            performance_block=data.performance,
            chaperone=data.chaperone,
        )
    elif licence.kind is LicenceKind.CHAPERONE_APPROVAL:
        licence.starts_on = licence.received_on
    await session.flush()
    found, need = await check(session, licence, access.today)
    await _keep_adults_records(session, licence)
    await session.flush()
    access.record_change(
        "licence.amended",
        resource_id=licence.id,
        subject_id=licence.subject_id,
        details={"fields": ",".join(sorted(changes)), "blocking": len(blocking(found))},
    )
    return LicenceView(licence, need=need)


def _expiry(licence: Licence, today: date) -> date:
    if licence.kind is LicenceKind.WORK_PERMIT:
        assert licence.date_of_birth is not None
        return employment.permit_expires_on(
            licence.date_of_birth, licence.starts_on, licence.ends_on
        )
    if licence.kind is LicenceKind.PERFORMANCE_LICENCE:
        return licence.ends_on or licence.starts_on
    return chaperone_rules.approval_expires_on(today)


def _absence(access: Access, licence: Licence) -> LicensedAbsence | None:
    """The school days a granted performance licence takes a Kent pupil out of school."""
    if licence.pupil_id is None or licence.school_urn is None:
        return None
    away = [
        d.on
        for d in sorted(licence.days, key=lambda d: d.on)
        if d.school_day and d.absent_from_school
    ]
    if not away:
        return None
    return LicensedAbsence(
        id=uuid.uuid4(),
        licence_id=licence.id,
        pupil_id=licence.pupil_id,
        school_urn=licence.school_urn,
        days=[d.isoformat() for d in away],
        first_day=away[0],
        last_day=away[-1],
        attendance_code=LICENSED_ABSENCE_CODE,
        notified_at=access.now,
        subject_id=licence.subject_id,
        purposes_mask=ABSENCE_MASK,
        lawful_basis=LICENSING_BASIS,
    )


async def _recipients(session: AsyncSession, access: Access, licence: Licence) -> list[Person]:
    """Who is told of a decision: the parent, the employer or the producer, and the
    chaperone an approval is for (people whose processing is not restricted or objected to)."""
    ids = await _adults_named(session, licence)
    if not ids:
        return []
    rows = await session.scalars(
        select(Person).where(Person.id.in_(ids), access.visible_subjects(Person.subject_id))
    )
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in ids if i in by_id]


def _addressee(person: Person) -> tuple[Channel, Addressee] | None:
    if person.email:
        return Channel.EMAIL, Addressee(email=person.email)
    if person.address_lines and person.postcode:
        name = " ".join((person.legal_forename, person.legal_surname))
        return Channel.LETTER, Addressee(
            address_lines=[name, *person.address_lines, person.postcode]
        )
    return None


def _tell(
    session: AsyncSession,
    access: Access,
    licence: Licence,
    people: Sequence[Person],
    decision: str,
    template_ids: Mapping[str, uuid.UUID],
) -> list[QueuedMessage]:
    """Queue the decision letter or email to each person, in this transaction. A person with
    no usable email or address is skipped (the decision stands; the officer writes)."""
    queued: list[QueuedMessage] = []
    for person in people:
        route = _addressee(person)
        if route is None:
            continue
        channel, to = route
        try:
            message: OutboundMessage = enqueue(
                session,
                message_type_code="licence_decision",
                channel=channel,
                to=to,
                personalisation={"licence_reference": licence.reference, "decision": decision},
                purpose=LICENSING,
                subject_id=person.subject_id,
                purposes_mask=person.purposes_mask,
                lawful_basis=person.lawful_basis,
                created_by=access.principal.subject,
                now=access.now,
                template_ids=template_ids,
            )
        except OutboxRefusal:
            continue
        access.record_change(
            "message.queued",
            resource_id=message.id,
            subject_id=person.subject_id,
            details={
                "message_type": "licence_decision",
                "channel": channel.value,
                "licence_id": str(licence.id),
            },
        )
        queued.append(QueuedMessage(person.id, channel, message.id))
    return queued


async def decide(
    session: AsyncSession,
    access: Access,
    *,
    licence_id: uuid.UUID,
    data: DecisionCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> LicenceView:
    """Grant or refuse (If-Match). The rules run again first; a grant is a 409 while a
    blocking finding stands or a warning is not acknowledged, and writes nothing."""
    licence = await load_licence(session, access, licence_id, for_update=True)
    if_match.require(licence_etag(licence))
    if licence.status is not LicenceStatus.APPLIED:
        raise Conflict(f"The licence was already {licence.status.value}.")
    found, need = await check(session, licence, access.today)
    if data.outcome is DecisionOutcome.GRANTED:
        stopping = blocking(found)
        if stopping:
            names = "; ".join(f"{f.rule} ({f.source})" for f in stopping)
            raise Conflict(
                f"The licence cannot be granted while a blocking finding stands: {names}. Amend "
                "the application, or refuse it.",
                extra={"findings": [f.as_dict() for f in stopping]},
            )
        unacknowledged = sorted(
            {f.rule for f in found if f.severity is Severity.WARNING} - set(data.acknowledged)
        )
        if unacknowledged:
            raise Conflict(
                "A grant acknowledges every warning it weighed: " + ", ".join(unacknowledged) + ".",
                extra={"unacknowledged": unacknowledged},
            )
    licence.status = (
        LicenceStatus.GRANTED if data.outcome is DecisionOutcome.GRANTED else LicenceStatus.REFUSED
    )
    licence.decided_by = access.principal.subject
    licence.decided_at = access.now
    licence.decision_reasons = data.reasons
    licence.acknowledged = sorted(set(data.acknowledged))
    absence = None
    if licence.status is LicenceStatus.GRANTED:
        licence.expires_on = _expiry(licence, access.today)
        if licence.kind is LicenceKind.PERFORMANCE_LICENCE:
            absence = _absence(access, licence)
            if absence is not None:
                LicenceRepository(session).add(absence)
    await session.flush()
    await _keep_adults_records(session, licence)
    people = await _recipients(session, access, licence)
    messages = _tell(session, access, licence, people, licence.status.value, template_ids)
    await session.flush()
    access.record_change(
        f"licence.{licence.status.value}",
        resource_id=licence.id,
        subject_id=licence.subject_id,
        details={
            "kind": licence.kind.value,
            "acknowledged": ",".join(licence.acknowledged) or None,
            "expires_on": licence.expires_on.isoformat() if licence.expires_on else None,
            "absence_id": str(absence.id) if absence is not None else None,
        },
    )
    return LicenceView(licence, need=need, absence=absence, messages=messages)


async def revoke(
    session: AsyncSession,
    access: Access,
    *,
    licence_id: uuid.UUID,
    data: RevocationCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> LicenceView:
    """Revoke a licence in force, with reasons (If-Match; 409 for one not in force). The
    absence it gave a school is cancelled; the people on it are told."""
    licence = await load_licence(session, access, licence_id, for_update=True)
    if_match.require(licence_etag(licence))
    status = effective_status(licence, access.today)
    if status != LicenceStatus.GRANTED.value:
        raise Conflict(f"Only a licence in force is revoked; this one is {status}.")
    licence.status = LicenceStatus.REVOKED
    licence.revoked_by = access.principal.subject
    licence.revoked_at = access.now
    licence.revocation_ground = RevocationGround(data.ground)
    licence.revocation_reasons = data.reasons
    absence = await LicenceRepository(session).absence_of(licence.id)
    if absence is not None and absence.cancelled_at is None:
        absence.cancelled_at = access.now
    await session.flush()
    people = await _recipients(session, access, licence)
    messages = _tell(session, access, licence, people, "revoked", template_ids)
    await session.flush()
    access.record_change(
        "licence.revoked",
        resource_id=licence.id,
        subject_id=licence.subject_id,
        details={"kind": licence.kind.value, "ground": licence.revocation_ground.value},
    )
    return LicenceView(licence, absence=absence, messages=messages)


# --- absences ------------------------------------------------------------------------------


async def list_absences(
    session: AsyncSession, access: Access, *, query: AbsenceQuery, page: PageRequest
) -> tuple[list[LicensedAbsence], dict[uuid.UUID, str], str | None]:
    repository = LicenceRepository(session)
    found, next_cursor = await repository.absence_page(query, page, visible=access.filter())
    access.touched(subject_ids=[a.subject_id for a in found])
    references = await repository.references_of({a.licence_id for a in found})
    return found, references, next_cursor
