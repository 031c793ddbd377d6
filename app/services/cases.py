"""Cases: opening them, moving them up and down the support-first ladder, assigning them, and
the chronology every change writes.

Shared by every part of casework (penalty notices, School Attendance Orders, prosecutions,
meetings, documents): each loads its case with ``load_case`` (the policy layer's filter
decides; a case the caller may not see is a 404), records what it did with ``add_event`` and
the audit trail, and moves the case with ``move_case``, which keeps purpose binding in step
(``sync_claims``). The request commits: a refused step leaves nothing written.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.errors import Conflict, ValidationFailed, body_problem
from app.models.attendance import AttendanceAlert
from app.models.cases import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseOutcome,
    CaseParty,
    CaseStage,
    CaseType,
    EsoDecision,
    NoticeGround,
    ReferralSource,
)
from app.models.people import Carer, CarerRelationship, Enrolment, Pupil
from app.models.subjects import LegalClaimKind, SubjectLegalClaim
from app.policies import Access
from app.policies.registry import REGISTRY, LawfulBasis, Purpose, purposes_mask
from app.repositories.cases import CaseQuery, CaseRepository
from app.repositories.pagination import PageRequest
from app.repositories.schools import SchoolRepository
from app.rules import casework
from app.rules.casework import CaseFacts, Guard, IllegalStep
from app.services.concurrency import IfMatch, etag_for
from app.services.people import PEOPLE_PURPOSES

#: Detail a refused step carries for each guard that failed.
GuardProblem = dict[str, str]


def case_etag(case: Case) -> str:
    return etag_for(case.id, case.version, case.created_at)


def new_reference(opened_on: date) -> str:
    """A reference to quote on letters and calls: the year and 8 random characters (no
    personal data, nothing to guess from)."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return f"KPAS-{opened_on.year}-" + "".join(secrets.choice(alphabet) for _ in range(8))


def case_basis(case_type: CaseType) -> str:
    """The Article 6 basis of a case's records: its purpose's UK GDPR bases."""
    spec = REGISTRY[casework.CASE_PURPOSE[case_type]]
    bases = [b.value for b in spec.bases if b is not LawfulBasis.LAW_ENFORCEMENT_TASK]
    return ",".join(bases)


def subjects_of(case: Case) -> list[uuid.UUID]:
    """The data subjects a case's read touches: the pupil and every current party."""
    return [case.subject_id, *(p.subject_id for p in case.parties if p.removed_at is None)]


# --- loading ------------------------------------------------------------------------------


async def load_case(
    session: AsyncSession,
    access: Access,
    case_id: uuid.UUID,
    *,
    for_update: bool = False,
    through: str | None = None,
) -> Case:
    """The case, if the caller's decision reaches it (a 404 otherwise, recorded); its people
    are recorded as touched. ``for_update`` locks it for a change."""
    case = await CaseRepository(session).get(
        case_id, visible=access.filter(through), for_update=for_update
    )
    if case is None:
        raise access.not_found(case_id, "No case with that id that you may see.")
    access.touched(subject_ids=subjects_of(case), resource_id=case.id)
    return case


async def list_cases(
    session: AsyncSession, access: Access, *, query: CaseQuery, page: PageRequest
) -> tuple[list[Case], str | None]:
    cases, next_cursor = await CaseRepository(session).page(query, page, visible=access.filter())
    access.touched(subject_ids=[s for case in cases for s in subjects_of(case)])
    return cases, next_cursor


# --- the chronology -------------------------------------------------------------------------


def add_event(
    session: AsyncSession,
    case: Case,
    kind: CaseEventKind,
    *,
    by: str,
    now: datetime,
    occurred_at: datetime | None = None,
    text: str | None = None,
    details: dict[str, Any] | None = None,
    corrects_id: uuid.UUID | None = None,
) -> CaseEvent:
    """Write one chronology entry in the request's transaction."""
    event = CaseEvent(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=kind,
        occurred_at=occurred_at or now,
        recorded_at=now,
        recorded_by=by,
        text=text,
        details=details or {},
        corrects_id=corrects_id,
    )
    CaseRepository(session).add_event(event)
    return event


# --- purpose binding ----------------------------------------------------------------------


async def sync_claims(session: AsyncSession, case: Case, now: datetime) -> None:
    """Keep the case's live legal claims equal to what its stage binds: one claim per person
    of the case (pupil and parties) and bound purpose; the rest closed."""
    repository = CaseRepository(session)
    wanted = {
        (subject, purpose.value)
        for purpose in (
            casework.bound_purposes(case.case_type, case.stage)
            if case.closed_at is None
            else frozenset()
        )
        for subject in subjects_of(case)
    }
    live = await repository.case_claims(case.id)
    have = {(c.subject_id, c.purpose) for c in live}
    for claim in live:
        if (claim.subject_id, claim.purpose) not in wanted:
            claim.closed_at = now
    for subject, purpose in sorted(wanted - have, key=str):
        repository.add_claim(
            SubjectLegalClaim(
                id=uuid.uuid4(),
                subject_id=subject,
                purpose=purpose,
                kind=LegalClaimKind.CASE,
                reference=str(case.id),
                opened_at=now,
            )
        )
    await session.flush()


# --- the ladder ---------------------------------------------------------------------------


async def facts_of(
    session: AsyncSession, case: Case, today: date, *, ground: NoticeGround | None = None
) -> CaseFacts:
    found = await CaseRepository(session).facts(case.id, today)
    return CaseFacts(
        case_type=case.case_type,
        stage=case.stage,
        today=today,
        assigned=case.assigned_officer is not None,
        parents=sum(1 for p in case.parties if p.removed_at is None and p.parental_responsibility),
        ground=ground,
        eso_recorded=case.eso_decision is not None,
        prosecution_approved=case.prosecution_approved_by is not None,
        **found,
    )


def guard_problems(unmet: Iterable[Guard]) -> list[GuardProblem]:
    return [{"code": g.code, "rule": g.rule, "source": g.source} for g in unmet]


def refuse_step(case: Case, to: CaseStage, unmet: tuple[Guard, ...]) -> Conflict:
    names = "; ".join(f"{g.rule} ({g.source})" for g in unmet)
    return Conflict(
        f"The case cannot move from {case.stage} to {to}: {names}.",
        extra={"unmet": guard_problems(unmet)},
    )


async def move_case(
    session: AsyncSession,
    access: Access,
    case: Case,
    to: CaseStage,
    *,
    ground: NoticeGround | None = None,
    outcome: CaseOutcome | None = None,
    outcome_summary: str | None = None,
    note: str | None = None,
) -> None:
    """Move the case to ``to`` if the ladder has that step and every guard holds (a 409
    naming each one that does not), writing the chronology and audit, and keeping purpose
    binding in step."""
    facts = await facts_of(session, case, access.today, ground=ground)
    try:
        unmet = casework.check_step(facts, to)
    except IllegalStep as exc:
        raise Conflict(f"The case cannot move there: {exc}.") from None
    if unmet:
        raise refuse_step(case, to, unmet)
    before = case.stage
    case.stage = to
    details: dict[str, Any] = {"from": before.value, "to": to.value}
    if ground is not None:
        details["ground"] = ground.value
    if to is CaseStage.CLOSED:
        if outcome is None:
            raise ValidationFailed(
                "Closing a case needs its outcome.",
                errors=[body_problem("/outcome", "required to close a case", "missing")],
            )
        case.closed_at = access.now
        case.outcome = outcome
        case.outcome_summary = outcome_summary
        case.next_action_on = None
        case.next_action = None
        details["outcome"] = outcome.value
    await session.flush()
    kind = CaseEventKind.CLOSED if to is CaseStage.CLOSED else CaseEventKind.STAGE_CHANGED
    add_event(
        session, case, kind, by=access.principal.subject, now=access.now, text=note, details=details
    )
    await sync_claims(session, case, access.now)
    access.record_change(
        "case.closed" if to is CaseStage.CLOSED else "case.stage_changed",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"from": before.value, "to": to.value},
    )


async def record_eso(
    session: AsyncSession,
    access: Access,
    case: Case,
    *,
    decision: EsoDecision,
    considered_on: date,
    reason: str,
) -> None:
    """Education Act 1996 s447: record that an education supervision order was considered,
    and the decision, before prosecution."""
    if considered_on > access.today:
        raise ValidationFailed(
            "The consideration cannot be in the future.",
            errors=[body_problem("/eso/considered_on", "after today", "in_future")],
        )
    if considered_on < case.opened_on:
        raise ValidationFailed(
            "The consideration cannot be before the case opened.",
            errors=[body_problem("/eso/considered_on", "before the case opened", "too_early")],
        )
    case.eso_decision = decision
    case.eso_considered_on = considered_on
    case.eso_reason = reason
    case.eso_recorded_by = access.principal.subject
    add_event(
        session,
        case,
        CaseEventKind.ESO_CONSIDERED,
        by=access.principal.subject,
        now=access.now,
        details={"decision": decision.value, "considered_on": considered_on.isoformat()},
    )
    access.record_change(
        "case.eso_considered",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"decision": decision.value},
    )


# --- opening --------------------------------------------------------------------------------


async def add_parties(
    session: AsyncSession, case: Case, carer_ids: Iterable[uuid.UUID], *, now: datetime
) -> list[CaseParty]:
    """Add the pupil's carers to the case (each must be linked to the pupil; a 422 names any
    that is not). Already-current parties are left as they are."""
    wanted = list(dict.fromkeys(carer_ids))
    if not wanted:
        return []
    rows = await session.execute(
        select(CarerRelationship, Pupil.id)
        .join(Pupil, Pupil.id == CarerRelationship.pupil_id)
        .where(CarerRelationship.pupil_id == case.pupil_id, CarerRelationship.carer_id.in_(wanted))
    )
    links = {rel.carer_id: rel for rel, _ in rows}
    missing = [c for c in wanted if c not in links]
    if missing:
        raise ValidationFailed(
            "Every party must be a carer linked to the case's pupil.",
            errors=[
                body_problem(
                    f"/carer_ids/{wanted.index(c)}", "not a carer of this pupil", "not_linked"
                )
                for c in missing
            ],
        )
    subjects: dict[uuid.UUID, uuid.UUID] = {
        carer_id: subject_id
        for carer_id, subject_id in await session.execute(
            select(Carer.id, Carer.subject_id).where(Carer.id.in_(wanted))
        )
    }
    current = {p.carer_id for p in case.parties if p.removed_at is None}
    added = []
    for carer_id in wanted:
        if carer_id in current:
            continue
        rel = links[carer_id]
        party = CaseParty(
            id=uuid.uuid4(),
            case_id=case.id,
            carer_id=carer_id,
            subject_id=subjects[carer_id],
            relationship_type=rel.relationship_type,
            parental_responsibility=rel.parental_responsibility,
            added_at=now,
        )
        session.add(party)
        case.parties.append(party)
        added.append(party)
    await session.flush()
    return added


async def open_case(
    session: AsyncSession,
    access: Access,
    *,
    case_type: CaseType,
    pupil: Pupil,
    school_urn: int,
    source: ReferralSource,
    carer_ids: Iterable[uuid.UUID] = (),
    alert: AttendanceAlert | None = None,
    referral: dict[str, Any] | None = None,
    assigned_officer: str | None = None,
    next_action_on: date | None = None,
    next_action: str | None = None,
) -> Case:
    """A new case for ``pupil`` (already checked visible to the caller by the route's service)
    at the school's area team. One open case per pupil and type: a second is a 409 naming
    the open one's reference, if the caller may see it."""
    repository = CaseRepository(session)
    school = await SchoolRepository(session).get(school_urn)
    if school is None:
        raise ValidationFailed(
            "No school has this URN.",
            errors=[body_problem("/school_urn", "no school has this URN", "unknown_school")],
        )
    existing = await repository.open_case_of_type(pupil.id, case_type)
    if existing is not None:
        raise Conflict(
            f"The pupil already has an open {case_type} case; add to it instead.",
            extra={"open_case_id": str(existing.id)} if access.permits(existing) else None,
        )
    purpose = casework.CASE_PURPOSE[case_type]
    today = access.today
    case = Case(
        id=uuid.uuid4(),
        reference=new_reference(today),
        case_type=case_type,
        purpose=purpose.value,
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=purposes_mask(set(casework.COLLECTED_FOR[case_type])),
        lawful_basis=case_basis(case_type),
        stage=casework.FIRST_STAGE[source is ReferralSource.SCHOOL],
        school_urn=school.urn,
        district=school.district,
        area_team=school.area_team,
        assigned_officer=assigned_officer,
        assigned_at=access.now if assigned_officer else None,
        referral_source=source,
        referred_by=access.principal.subject,
        referral=referral,
        alert_id=alert.id if alert is not None else None,
        opened_on=today,
        next_action_on=next_action_on,
        next_action=next_action,
    )
    case.parties = []
    if not access.permits(case):
        raise access.refuse(
            "the case would be outside the caller's reach", code="condition_not_met"
        )
    repository.add(case)
    await session.flush()
    await add_parties(session, case, carer_ids, now=access.now)
    details: dict[str, Any] = {"case_type": case_type.value, "source": source.value}
    if alert is not None:
        details["alert_id"] = str(alert.id)
    add_event(
        session,
        case,
        CaseEventKind.OPENED,
        by=access.principal.subject,
        now=access.now,
        details=details,
    )
    if assigned_officer:
        add_event(
            session,
            case,
            CaseEventKind.ASSIGNED,
            by=access.principal.subject,
            now=access.now,
            details={"officer": assigned_officer},
        )
    access.record_change(
        "case.opened",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"case_type": case_type.value, "school_urn": school.urn},
    )
    access.touched(subject_ids=subjects_of(case), resource_id=case.id)
    return case


def purposes_for(case: Case) -> list[Purpose]:
    """The purposes the case serves now: its own, and those its stage binds."""
    bound = casework.bound_purposes(case.case_type, case.stage) if case.closed_at is None else ()
    return [Purpose(case.purpose), *sorted(bound)]


def require_current(case: Case, if_match: IfMatch) -> None:
    if_match.require(case_etag(case))


def require_open(case: Case) -> None:
    if case.closed_at is not None:
        raise Conflict("The case is closed; nothing more can be recorded on it.")


# --- the use cases behind /v1/cases --------------------------------------------------------


async def steps_of(session: AsyncSession, case: Case, today: date) -> tuple[casework.Step, ...]:
    return casework.next_steps(await facts_of(session, case, today))


async def create_case(
    session: AsyncSession,
    access: Access,
    *,
    case_type: CaseType,
    alert_id: uuid.UUID | None,
    pupil_id: uuid.UUID | None,
    school_urn: int | None,
    carer_ids: list[uuid.UUID],
    assigned_officer: str | None,
    next_action_on: date | None,
    next_action: str | None,
) -> Case:
    """Open a case from an alert the caller may see, or for a pupil they may see."""
    purpose = access.purpose
    if purpose not in casework.COLLECTED_FOR[case_type]:
        allowed = ", ".join(sorted(p.value for p in casework.COLLECTED_FOR[case_type]))
        raise ValidationFailed(
            f"A {case_type} case is opened under {allowed}.",
            errors=[body_problem("/case_type", f"opened under {allowed}", "purpose_mismatch")],
        )
    alert: AttendanceAlert | None = None
    if alert_id is not None:
        alert = await session.scalar(
            select(AttendanceAlert).where(
                AttendanceAlert.id == alert_id,
                access.related_filter("attendance_alert", "read", purpose=Purpose.ATTENDANCE_DUTY),
            )
        )
        if alert is None:
            raise ValidationFailed(
                "No attendance alert with that id that you may see.",
                errors=[
                    body_problem("/alert_id", "no such alert that you may see", "unknown_alert")
                ],
            )
        if (pupil_id is not None and pupil_id != alert.pupil_id) or (
            school_urn is not None and school_urn != alert.school_urn
        ):
            raise ValidationFailed(
                "The alert names its own pupil and school: leave them out.",
                errors=[body_problem("/alert_id", "pupil or school differ", "alert_mismatch")],
            )
        pupil_id, school_urn = alert.pupil_id, alert.school_urn
    if pupil_id is None or school_urn is None:
        raise ValidationFailed(
            "Name an alert, or a pupil and a school.",
            errors=[body_problem("/pupil_id", "required without an alert", "missing")],
        )
    if alert is None:
        # Roll records are collected for the attendance duty and interventions: a pupil is
        # found for an exclusion-support case as the intervention it is.
        lookup = purpose if purpose in PEOPLE_PURPOSES else Purpose.INTERVENTION
        pupil = await session.scalar(
            select(Pupil).where(
                Pupil.id == pupil_id, access.related_filter("pupil", "read", purpose=lookup)
            )
        )
    else:
        pupil = await session.scalar(select(Pupil).where(Pupil.id == pupil_id))
    if pupil is None:
        raise ValidationFailed(
            "No pupil with that id that you may see.",
            errors=[body_problem("/pupil_id", "no such pupil that you may see", "unknown_pupil")],
        )
    if pupil.merged_into_id is not None:
        raise Conflict(
            f"This pupil's record was merged into another ({pupil.merged_into_id}): open the "
            "case on the surviving record."
        )
    if case_type is not CaseType.SCHOOL_ATTENDANCE_ORDER and alert is None:
        enrolled = await session.scalar(
            select(Enrolment.id).where(
                Enrolment.pupil_id == pupil.id, Enrolment.school_urn == school_urn
            )
        )
        if enrolled is None:
            raise ValidationFailed(
                "The pupil has never been on this school's roll.",
                errors=[body_problem("/school_urn", "not the pupil's school", "not_on_roll")],
            )
    if (
        assigned_officer is not None
        and Role.ATTENDANCE_MANAGER not in access.principal.roles
        and assigned_officer != access.principal.subject
    ):
        raise ValidationFailed(
            "An officer may assign a new case only to themselves; a manager assigns others.",
            errors=[body_problem("/assigned_officer", "not yourself", "not_yours")],
        )
    return await open_case(
        session,
        access,
        case_type=case_type,
        pupil=pupil,
        school_urn=school_urn,
        source=ReferralSource.ALERT if alert is not None else ReferralSource.COUNCIL,
        carer_ids=carer_ids,
        alert=alert,
        assigned_officer=assigned_officer,
        next_action_on=next_action_on,
        next_action=next_action,
    )


async def update_case(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    changes: dict[str, Any],
    if_match: IfMatch,
) -> Case:
    case = await load_case(session, access, case_id, for_update=True)
    require_current(case, if_match)
    require_open(case)
    if not changes:
        return case
    for field, value in changes.items():
        setattr(case, field, value)
    await session.flush()
    access.record_change(
        "case.updated",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"fields": ",".join(sorted(changes))},
    )
    return case


async def transition_case(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    to: CaseStage,
    if_match: IfMatch,
    ground: NoticeGround | None = None,
    eso: tuple[EsoDecision, date, str] | None = None,
    outcome: CaseOutcome | None = None,
    outcome_summary: str | None = None,
    note: str | None = None,
) -> Case:
    case = await load_case(session, access, case_id, for_update=True)
    require_current(case, if_match)
    if eso is not None and to is not CaseStage.ESO_CONSIDERED:
        raise ValidationFailed(
            "An education supervision order consideration goes with the move to eso_considered.",
            errors=[
                body_problem("/eso", "only when moving to eso_considered", "not_for_this_step")
            ],
        )
    if to is CaseStage.ESO_CONSIDERED and eso is None and case.eso_decision is None:
        raise ValidationFailed(
            "Moving to eso_considered records the consideration (Education Act 1996 s447).",
            errors=[body_problem("/eso", "required for eso_considered", "missing")],
        )
    if to is not CaseStage.CLOSED and (outcome is not None or outcome_summary is not None):
        raise ValidationFailed(
            "An outcome goes with closing the case.",
            errors=[body_problem("/outcome", "only when closing", "not_for_this_step")],
        )
    if eso is not None:
        if case.closed_at is not None:
            raise Conflict("The case is closed.")
        decision, considered_on, reason = eso
        await record_eso(
            session, access, case, decision=decision, considered_on=considered_on, reason=reason
        )
    await move_case(
        session,
        access,
        case,
        to,
        ground=ground,
        outcome=outcome,
        outcome_summary=outcome_summary,
        note=note,
    )
    return case


async def assign_case(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    officer: str | None,
    if_match: IfMatch,
) -> Case:
    """A manager assigns the case to an officer, or returns it to the team's triage queue."""
    case = await load_case(session, access, case_id, for_update=True)
    require_current(case, if_match)
    require_open(case)
    if officer == case.assigned_officer:
        return case
    before = case.assigned_officer
    case.assigned_officer = officer
    case.assigned_at = access.now if officer is not None else None
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.ASSIGNED,
        by=access.principal.subject,
        now=access.now,
        details={"officer": officer, "previous_officer": before},
    )
    access.record_change(
        "case.assigned",
        resource_id=case.id,
        subject_id=case.subject_id,
        details={"officer": officer, "previous_officer": before},
    )
    return case


async def add_party(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    carer_id: uuid.UUID,
    if_match: IfMatch,
) -> Case:
    case = await load_case(session, access, case_id, for_update=True)
    require_current(case, if_match)
    require_open(case)
    added = await add_parties(session, case, [carer_id], now=access.now)
    if not added:
        raise Conflict("The carer is already a party to this case.")
    case.updated_at = access.now
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.PARTY_ADDED,
        by=access.principal.subject,
        now=access.now,
        details={"carer_id": str(carer_id)},
    )
    await sync_claims(session, case, access.now)
    access.record_change(
        "case.party_added",
        resource_id=case.id,
        subject_id=added[0].subject_id,
        details={"carer_id": str(carer_id)},
    )
    access.touched(subject_ids=[added[0].subject_id])
    return case


async def remove_party(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    carer_id: uuid.UUID,
    if_match: IfMatch,
) -> Case:
    case = await load_case(session, access, case_id, for_update=True)
    require_current(case, if_match)
    require_open(case)
    party = next((p for p in case.parties if p.carer_id == carer_id and p.removed_at is None), None)
    if party is None:
        raise access.not_found(carer_id, "No such party to this case.")
    party.removed_at = access.now
    case.updated_at = access.now
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.PARTY_REMOVED,
        by=access.principal.subject,
        now=access.now,
        details={"carer_id": str(carer_id)},
    )
    await sync_claims(session, case, access.now)
    access.record_change(
        "case.party_removed",
        resource_id=case.id,
        subject_id=party.subject_id,
        details={"carer_id": str(carer_id)},
    )
    return case
