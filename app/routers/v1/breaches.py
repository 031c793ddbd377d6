"""`/v1/breaches`: the register of personal data breaches (UK GDPR Arts 33 and 34), as
information governance keeps it: every breach recorded, its risk assessed, contained, the
Information Commissioner told within 72 hours of awareness (or the decision not to, with
reasons), the people affected told of a high-risk breach, and closed with its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.models.breaches import Breach, BreachContainmentAction, BreachSubject, RiskLevel
from app.models.sharing import DataCategory
from app.policies import Access, Policy
from app.repositories.breaches import BreachQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import BreachIdPath, ContainedBreachIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.rules.breaches import notified_late
from app.schemas.breaches import (
    AffectedSubjectRead,
    BreachClosureCreate,
    BreachCreate,
    BreachFilters,
    BreachOutcomeRead,
    BreachPage,
    BreachPatch,
    BreachRead,
    BreachSummary,
    ContainmentActionCreate,
    ContainmentActionRead,
    IcoDueFilter,
    IcoNotificationCreate,
    IcoNotificationRead,
    IndividualNotificationCreate,
    IndividualsNotificationRead,
    RiskAssessmentRead,
)
from app.schemas.subject_requests import QueuedMessageRead
from app.services import breaches
from app.services.breaches import (
    NOT_FOUND as BREACH_NOT_FOUND,
)
from app.services.breaches import (
    BreachView,
    breach_etag,
    deadline_local,
    ico_overdue,
)

router = APIRouter(prefix=f"{PREFIX}/breaches", tags=["breaches"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(BREACH_NOT_FOUND)}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
CLOSED: Responses = {409: problem_response("The breach is closed (`rule`: `breach_open`).")}


# --- shaping answers -------------------------------------------------------------------------


def _subject(subject: BreachSubject) -> AffectedSubjectRead:
    return AffectedSubjectRead(
        record_type=subject.record_type,
        record_id=subject.record_id,
        subject_id=subject.subject_id,
        told_at=subject.told_at,
        message_id=subject.message_id,
    )


def _action(action: BreachContainmentAction) -> ContainmentActionRead:
    return ContainmentActionRead(
        id=action.id,
        action=action.action,
        taken_at=action.taken_at,
        taken_by=action.taken_by,
        recorded_by=action.recorded_by,
        recorded_at=action.recorded_at,
    )


def _ico(breach: Breach, now: datetime) -> IcoNotificationRead:
    return IcoNotificationRead(
        deadline=breach.ico_deadline,
        deadline_local=deadline_local(breach),
        overdue=ico_overdue(breach, now),
        decision=breach.ico_decision,
        notified_at=breach.ico_notified_at,
        late=notified_late(breach.aware_at, breach.ico_notified_at)
        if breach.ico_notified_at
        else None,
        ico_reference=breach.ico_reference,
        late_reasons=breach.ico_late_reasons,
        reasons=breach.ico_decision_reasons,
        decided_by=breach.ico_decided_by,
        decided_at=breach.ico_decided_at,
    )


def _read(access: Access, view: BreachView) -> BreachRead:
    breach = view.breach
    return BreachRead(
        id=breach.id,
        reference=breach.reference,
        status=breach.status,
        aware_at=breach.aware_at,
        occurred_at=breach.occurred_at,
        description=breach.description,
        data_categories=[DataCategory(c) for c in breach.data_categories],
        subjects=[_subject(s) for s in view.subjects],
        unidentified_count=breach.unidentified_count,
        risk_assessment=RiskAssessmentRead(
            likelihood=breach.likelihood,
            severity=breach.severity,
            risk=breach.risk,
            reasons=breach.risk_reasons,
        )
        if breach.likelihood is not None and breach.severity is not None and breach.risk is not None
        else None,
        ico_notification=_ico(breach, access.now),
        individuals=IndividualsNotificationRead(
            required=breach.risk is RiskLevel.HIGH_RISK,
            decision=breach.individuals_decision,
            told_at=breach.individuals_told_at,
            exception=breach.individuals_exception,
            reasons=breach.individuals_reasons,
            decided_by=breach.individuals_decided_by,
        ),
        containment_actions=[_action(a) for a in view.actions],
        outcome=BreachOutcomeRead(
            outcome=breach.outcome,
            summary=breach.outcome_summary,
            closed_at=breach.closed_at,
            closed_by=breach.closed_by,
        )
        if breach.outcome is not None
        else None,
        messages=[
            QueuedMessageRead(message_type=m.message_type, channel=m.channel.value, id=m.id)
            for m in view.messages
        ],
        not_contactable=view.not_contactable,
        created_by=breach.created_by,
        created_at=breach.created_at,
        updated_at=breach.updated_at,
    )


def _summary(access: Access, breach: Breach, subject_count: int) -> BreachSummary:
    return BreachSummary(
        id=breach.id,
        reference=breach.reference,
        status=breach.status,
        aware_at=breach.aware_at,
        risk=breach.risk,
        ico_deadline=breach.ico_deadline,
        ico_deadline_local=deadline_local(breach),
        ico_decision=breach.ico_decision,
        ico_overdue=ico_overdue(breach, access.now),
        subject_count=subject_count,
        unidentified_count=breach.unidentified_count,
    )


def _respond(access: Access, view: BreachView, response: Response) -> BreachRead:
    response.headers["ETag"] = breach_etag(view.breach)
    return _read(access, view)


# --- routes ----------------------------------------------------------------------------------


@router.post(
    "",
    name="breaches_create",
    summary="Record a breach",
    status_code=201,
    response_model=BreachRead,
    responses={
        422: problem_response(
            "Invalid fields, awareness in the future (`in_future`), `occurred_at` after "
            "`aware_at`, or a person affected naming no record you may see "
            "(`unknown_breach_subject`)."
        )
    },
)
async def create_breach(
    access: Annotated[Access, Policy("breach", "create")],
    body: BreachCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a suspected or confirmed personal data breach as soon as the council is aware of
    it (UK GDPR Art 33(5): every breach is documented). The Commissioner must be told within
    72 hours of `aware_at` unless the breach is unlikely to result in a risk
    (`ico_notification.deadline`, exactly 72 hours later however the clocks change). The
    people affected are named by their pupil, carer or person record; others are counted.
    Information governance, under `breach_management`. Send an `Idempotency-Key` to retry
    safely."""

    async def create() -> Created:
        view = await breaches.create_breach(session, access, data=body)
        return Created(
            _read(access, view),
            location=f"{PREFIX}/breaches/{view.breach.id}",
            etag=breach_etag(view.breach),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="breaches_list", summary="List breaches", response_model=BreachPage)
async def list_breaches(
    access: Annotated[Access, Policy("breach", "list")],
    session: SessionDep,
    filters: Annotated[BreachFilters, Query()],
    paging: PagingDep,
) -> BreachPage:
    """Breaches by the Commissioner's deadline, soonest first (so by awareness). `due=overdue`
    lists those with no decision on telling the Commissioner although 72 hours have passed,
    `due=due_within_24_hours` those whose deadline falls in the next 24 hours; filter too by
    status and when the council became aware. Information governance only."""
    query = BreachQuery(
        status=filters.status,
        ico_overdue=filters.due is IcoDueFilter.OVERDUE,
        ico_due_soon=filters.due is IcoDueFilter.DUE_WITHIN_24_HOURS,
        aware_from=filters.aware_from,
        aware_to=filters.aware_to,
    )
    found, subjects, next_cursor = await breaches.list_breaches(
        session, access, query=query, page=paging.page(access, filters)
    )
    return BreachPage(
        items=[_summary(access, b, len(subjects.get(b.id, []))) for b in found],
        next_cursor=next_cursor,
    )


@router.get(
    "/{breach_id}",
    name="breaches_get",
    summary="Get a breach",
    response_model=BreachRead,
    responses=NOT_FOUND,
)
async def get_breach(
    access: Annotated[Access, Policy("breach", "read")],
    breach_id: BreachIdPath,
    session: SessionDep,
    response: Response,
) -> BreachRead:
    """One breach with its `ETag`: the people and data affected, the risk, the Commissioner's
    deadline (as an instant and on the London clock) and what was decided, whether the people
    affected were told, what was done to contain it, and its outcome."""
    view = await breaches.get_breach(session, access, breach_id=breach_id)
    return _respond(access, view, response)


@router.patch(
    "/{breach_id}",
    name="breaches_update",
    summary="Amend a breach",
    response_model=BreachRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The breach is closed (`breach_open`), or the new list of people affected leaves "
            "out someone already told (`breach_told_subject_kept`)."
        ),
        422: problem_response(
            "Invalid fields, times out of order, or a person affected naming no record you may "
            "see (`unknown_breach_subject`)."
        ),
    },
)
async def update_breach(
    access: Annotated[Access, Policy("breach", "update")],
    breach_id: BreachIdPath,
    body: BreachPatch,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> BreachRead:
    """Amend an open or contained breach, with `If-Match`, as the investigation learns more:
    what happened, the data and people affected (`subjects` replaces the list), the risk
    assessment (`likelihood`, `severity` and `risk_reasons` together; the risk follows), and
    `status` `contained`. A changed `aware_at` moves the Commissioner's deadline with it."""
    view = await breaches.update_breach(
        session, access, breach_id=breach_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{breach_id}/containment-actions",
    name="breaches_containment_create",
    summary="Record a containment action",
    response_model=BreachRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        **CLOSED,
        422: problem_response("Invalid fields, or taken in the future (`in_future`)."),
    },
)
async def add_containment_action(
    access: Annotated[Access, Policy("breach", "update")],
    breach_id: BreachIdPath,
    body: ContainmentActionCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> BreachRead:
    """Record something done to contain the breach or limit its effects, when and by whom,
    with `If-Match` (UK GDPR Art 33(5): the remedial action taken)."""
    view = await breaches.add_containment_action(
        session, access, breach_id=breach_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{breach_id}/ico-notification",
    name="breaches_ico_notification",
    summary="Record the decision on telling the ICO",
    response_model=BreachRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Closed (`breach_open`), already notified (`breach_ico_notified_once`), or the "
            "risk not yet assessed (`breach_risk_assessed_first`)."
        ),
        422: problem_response(
            "Invalid fields; told more than 72 hours after awareness without `late_reasons` "
            "(`ico_late_reasons_required`); not notifying a breach assessed as a risk "
            "(`ico_notification_required`); told before awareness or in the future."
        ),
    },
)
async def record_ico_decision(
    access: Annotated[Access, Policy("breach", "notify")],
    breach_id: BreachIdPath,
    body: IcoNotificationCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> BreachRead:
    """Record, with `If-Match`, that the Information Commissioner was told (when, and the ICO's
    reference), or the decision not to tell them because the breach is unlikely to result in a
    risk to people's rights and freedoms, with the reasons (UK GDPR Art 33(1)). Told more than
    72 hours after awareness, the reasons for the delay are required."""
    view = await breaches.record_ico_decision(
        session, access, breach_id=breach_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{breach_id}/individual-notifications",
    name="breaches_individual_notifications",
    summary="Tell the people affected",
    response_model=BreachRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Closed (`breach_open`), not assessed as a high risk (`art34_high_risk_only`), or an "
            "exception after people were told (`breach_individuals_told`)."
        ),
        422: problem_response(
            "Invalid fields, or an address Notify would refuse (`breach_message_refused`)."
        ),
    },
)
async def notify_individuals(
    access: Annotated[Access, Policy("breach", "notify")],
    breach_id: BreachIdPath,
    body: IndividualNotificationCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> BreachRead:
    """For a breach assessed as a high risk (UK GDPR Art 34(1)), with `If-Match`: `told`
    queues a letter or email (`breach_notification`) to each person affected whose contact
    details the council holds, saying in plain language what happened, its likely
    consequences, what the council has done, and how to contact the Data Protection Officer.
    Each person is told once: sent again, it queues only for people added since. `exception`
    records the Art 34(3) exception relied on instead, with its reasons."""
    view = await breaches.notify_individuals(
        session,
        access,
        breach_id=breach_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{breach_id}/closure",
    name="breaches_close",
    summary="Close a breach",
    response_model=BreachRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Already closed (`breach_open`), or a confirmed breach with no decision yet on "
            "telling the Commissioner (`breach_ico_decided_first`) or, for a high risk, the "
            "people affected (`breach_individuals_decided_first`)."
        ),
    },
)
async def close_breach(
    access: Annotated[Access, Policy("breach", "close")],
    breach_id: ContainedBreachIdPath,
    body: BreachClosureCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> BreachRead:
    """Close the breach with its outcome, with `If-Match`: `confirmed` (once the decisions on
    telling the Commissioner and, for a high risk, the people affected are recorded) or
    `not_a_breach`. A closed breach changes no more."""
    view = await breaches.close_breach(
        session, access, breach_id=breach_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)
