"""`/v1/subject-requests`: data-subject requests as the information governance team runs
them, from receipt to closure and internal review, on the statutory clock."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.models.subject_requests import (
    SubjectRequest,
    SubjectRequestClockEvent,
    SubjectRequestReview,
)
from app.policies import Access, Policy
from app.repositories.subject_requests import SubjectRequestQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import (
    ClosableSubjectRequestIdPath,
    ClosedSubjectRequestIdPath,
    SubjectRequestIdPath,
    SubjectRequestReviewIdPath,
)
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.subject_requests import (
    AuthorityRead,
    ChildCompetenceRead,
    ClockEventCreate,
    ClockEventRead,
    ClockRead,
    ClockStopRead,
    ClosureCreate,
    DueFilter,
    ExtensionCreate,
    ExtensionRead,
    IdentityRead,
    OutcomeRead,
    QueuedMessageRead,
    RequesterRead,
    ReviewCreate,
    ReviewDecisionCreate,
    ReviewFilters,
    ReviewPage,
    ReviewRead,
    SearchRecordRead,
    SubjectDetailsRead,
    SubjectRequestCreate,
    SubjectRequestFilters,
    SubjectRequestPage,
    SubjectRequestRead,
    SubjectRequestSummary,
    SubjectRequestUpdate,
)
from app.services import subject_requests
from app.services.subject_requests import (
    NOT_FOUND as REQUEST_NOT_FOUND,
)
from app.services.subject_requests import (
    REVIEW_NOT_FOUND,
    QueuedMessage,
    RequestView,
    ReviewView,
    child_to_be_asked,
    clock_events_in_order,
    clock_view,
    closed_on_time,
    is_overdue,
    request_etag,
    subject_is_child,
    subject_name,
)

router = APIRouter(
    prefix=f"{PREFIX}/subject-requests", tags=["subject requests"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(REQUEST_NOT_FOUND)}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
CLOSED: Responses = {
    409: problem_response("The request is closed (`rule`: `request_open`); it changes no more.")
}


# --- shaping answers -------------------------------------------------------------------------


def _messages(queued: list[QueuedMessage]) -> list[QueuedMessageRead]:
    return [
        QueuedMessageRead(message_type=m.message_type, channel=m.channel.value, id=m.id)
        for m in queued
    ]


def _event(event: SubjectRequestClockEvent) -> ClockEventRead:
    return ClockEventRead(
        id=event.id,
        kind=event.kind,
        on=event.on,
        note=event.note,
        recorded_by=event.recorded_by,
        recorded_at=event.recorded_at,
    )


def _clock(request: SubjectRequest) -> ClockRead:
    view = clock_view(request)
    return ClockRead(
        rule=request.clock_rule,
        source=view.source,
        received_on=request.received_on,
        started_on=view.started_on,
        due_on=view.due_on,
        extension_decide_by=view.extension_decide_by,
        stops=[
            ClockStopRead(
                asked_on=stop.asked_on,
                answered_on=stop.answered_on,
                days_not_counted=stop.days_not_counted,
                note=stop.note,
            )
            for stop in view.stops
        ],
        days_paused=view.days_paused,
        extension=ExtensionRead(
            months=request.extension_months,
            reasons=request.extension_reasons,
            decided_on=request.extension_decided_on,
            decided_by=request.extension_decided_by,
            message_id=request.extension_message_id,
        )
        if request.extension_months
        else None,
        running=view.started_on is not None and view.due_on is not None,
    )


def _read(access: Access, view: RequestView) -> SubjectRequestRead:
    request = view.request
    clock = clock_view(request).clock
    details = request.subject_details or {}
    child = subject_is_child(details, request.received_on)
    return SubjectRequestRead(
        id=request.id,
        reference=request.reference,
        right=request.right,
        channel=request.channel.value,
        via_school_urn=request.via_school_urn,
        status=request.status,
        received_on=request.received_on,
        description=request.description,
        requester=RequesterRead(
            kind=request.requester_kind,
            name=request.requester_name,
            email=request.requester_email,
            phone=request.requester_phone,
            address=request.requester_address,
            subject_id=request.subject_id,
        ),
        authority=AuthorityRead(
            evidence=request.authority_evidence,
            accepted=request.authority_accepted_at is not None,
            accepted_by=request.authority_accepted_by,
            accepted_at=request.authority_accepted_at,
        )
        if request.authority_evidence is not None
        else None,
        subject_details=SubjectDetailsRead.model_validate(details),
        child_competence=ChildCompetenceRead(
            subject_is_child=child,
            judgement=request.child_competence,
            reasons=request.child_competence_reasons,
            judged_by=request.child_competence_by,
            child_to_be_asked=child_to_be_asked(request),
        ),
        identity=IdentityRead(
            asked_on=clock.identity_asked_on,
            received_on=clock.identity_received_on,
            verified_at=request.identity_verified_at,
            verified_by=request.identity_verified_by,
            method=request.identity_method,
        ),
        clock=_clock(request),
        overdue=is_overdue(request, access.today),
        events=[_event(e) for e in clock_events_in_order(request)],
        search_record=SearchRecordRead.model_validate(request.search_record)
        if request.search_record
        else None,
        assigned_to=request.assigned_to,
        outcome=OutcomeRead(
            outcome=request.outcome,
            reasons=request.outcome_reasons,
            closed_on=request.closed_on,
            closed_at=request.closed_at,
            closed_by=request.closed_by,
            on_time=closed_on_time(request),
            response_message_id=request.response_message_id,
        )
        if request.outcome is not None
        else None,
        bundle_sha256=request.bundle_sha256,
        acknowledgement_message_id=request.acknowledgement_message_id,
        messages=_messages(view.messages),
        created_by=request.created_by,
        created_at=request.created_at,
        updated_at=request.updated_at,
    )


def _summary(access: Access, request: SubjectRequest) -> SubjectRequestSummary:
    return SubjectRequestSummary(
        id=request.id,
        reference=request.reference,
        right=request.right,
        status=request.status,
        channel=request.channel.value,
        received_on=request.received_on,
        due_on=request.due_on,
        overdue=is_overdue(request, access.today),
        extension_months=request.extension_months,
        requester_kind=request.requester_kind,
        requester_name=request.requester_name,
        requester_subject_id=request.subject_id,
        subject_name=subject_name(request.subject_details or {}),
        assigned_to=request.assigned_to,
        outcome=request.outcome,
        closed_on=request.closed_on,
    )


def _respond(access: Access, view: RequestView, response: Response) -> SubjectRequestRead:
    response.headers["ETag"] = request_etag(view.request)
    return _read(access, view)


def _review(review: SubjectRequestReview, queued: list[QueuedMessage]) -> ReviewRead:
    return ReviewRead(
        id=review.id,
        request_id=review.request_id,
        requested_on=review.requested_on,
        grounds=review.grounds,
        outcome=review.outcome,
        outcome_reasons=review.outcome_reasons,
        reviewed_by=review.reviewed_by,
        decided_on=review.decided_on,
        recorded_by=review.recorded_by,
        recorded_at=review.recorded_at,
        messages=_messages(queued),
    )


def _review_read(view: ReviewView) -> ReviewRead:
    return _review(view.review, view.messages)


# --- the request ---------------------------------------------------------------------------


@router.post(
    "",
    name="subject_requests_create",
    summary="Record a data-subject request",
    status_code=201,
    response_model=SubjectRequestRead,
    responses={
        422: problem_response(
            "Invalid fields, or a request that cannot be recorded as sent: received in the "
            "future or before 25 May 2018, no evidence of authority for someone else's request, "
            "no competence judgement for a child subject (`child_competence_required`), no way "
            "to answer the requester; `errors` points at each."
        )
    },
)
async def create_subject_request(
    access: Annotated[Access, Policy("subject_request", "create")],
    body: SubjectRequestCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a request received by post, email, telephone, in person or through a school.

    The clock starts on `received_on` (day 1), and the due date is one calendar month on,
    moved to the next working day over weekends and England and Wales bank holidays. With
    `identity_required` the clock waits for the identity information asked for (recorded as
    an `identity_requested` clock event on `received_on`), and the requester is sent that
    request instead of an acknowledgement: no due date is told before there is one.
    Otherwise the acknowledgement with the due date is queued, by email where an address is
    held, else by letter. For someone else's request give `authority_evidence`; for a child
    subject (under 18 on `received_on`) give `child_competence`. Information governance,
    under `subject_rights` (the default purpose). Send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        view = await subject_requests.create_request(
            session, access, data=body, template_ids=settings.notify_templates
        )
        return Created(
            _read(access, view),
            location=f"{PREFIX}/subject-requests/{view.request.id}",
            etag=request_etag(view.request),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "",
    name="subject_requests_list",
    summary="List data-subject requests",
    response_model=SubjectRequestPage,
)
async def list_subject_requests(
    access: Annotated[Access, Policy("subject_request", "list")],
    session: SessionDep,
    filters: Annotated[SubjectRequestFilters, Query()],
    paging: PagingDep,
) -> SubjectRequestPage:
    """Requests by due date, soonest first (those whose clock is not running last), then by
    date received. `due=overdue` is the overdue list and `due=due_within_7_days` the due-soon
    list (open requests due today or in the next seven days); filter too by status, right,
    the dates received and who a request is assigned to. Information governance only."""
    query = SubjectRequestQuery(
        status=filters.status,
        right=filters.right,
        overdue=filters.due is DueFilter.OVERDUE,
        due_soon=filters.due is DueFilter.DUE_WITHIN_7_DAYS,
        received_from=filters.received_from,
        received_to=filters.received_to,
        assigned_to=filters.assigned_to,
    )
    found, next_cursor = await subject_requests.list_requests(
        session, access, query=query, page=paging.page(access, filters)
    )
    return SubjectRequestPage(
        items=[_summary(access, item) for item in found], next_cursor=next_cursor
    )


@router.get(
    "/{request_id}",
    name="subject_requests_get",
    summary="Get a data-subject request",
    response_model=SubjectRequestRead,
    responses=NOT_FOUND,
)
async def get_subject_request(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: SubjectRequestIdPath,
    session: SessionDep,
    response: Response,
) -> SubjectRequestRead:
    """One request with its `ETag`: the requester, the subject's identifiers, the competence
    judgement, identity, the clock (rule and source, start, due date, each stop with the days
    it adds, the extension), every clock event, the search made, and whether it is overdue."""
    view = await subject_requests.get_request(session, access, request_id=request_id)
    return _respond(access, view, response)


@router.patch(
    "/{request_id}",
    name="subject_requests_update",
    summary="Amend a data-subject request",
    response_model=SubjectRequestRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **CLOSED},
)
async def update_subject_request(
    access: Annotated[Access, Policy("subject_request", "update")],
    request_id: SubjectRequestIdPath,
    body: SubjectRequestUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SubjectRequestRead:
    """Amend an open request, with `If-Match`: the requester's details, the subject's
    identifiers, the evidence of authority and its acceptance, the competence judgement, who
    it is assigned to (`null` unassigns), and the search made (`search_record`: what was
    searched, by which identifiers, over which dates, what was not and why: UK GDPR Art
    15(1A)). The fields sent replace what is held, a block whole; the request is checked
    again as a whole. The dates received and the clock change only through clock events."""
    view = await subject_requests.update_request(
        session, access, request_id=request_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{request_id}/clock-events",
    name="subject_requests_clock",
    summary="Stop or start a request's clock",
    response_model=SubjectRequestRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The event does not fit the clock (`rule` names which): identity received with "
            "none asked for, identity asked for twice, a clarification asked for while one is "
            "open, or an answer with none open; or the request is closed."
        ),
        422: problem_response(
            "Invalid fields, a missing note or method, or a date in the future, before the "
            "request was received or before the previous clock event."
        ),
    },
)
async def record_clock_event(
    access: Annotated[Access, Policy("subject_request", "clock")],
    request_id: SubjectRequestIdPath,
    body: ClockEventCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SubjectRequestRead:
    """Record a stop or start of the clock, with `If-Match`, and get the request back with
    its due date recomputed. Asking for identity information or a clarification queues the
    letter or email that asks; identity information arriving starts the clock on `on` and
    queues the acknowledgement with the due date; a clarification's answer resumes it, the
    days from the request to the answer (both included, UK GDPR Art 12A; DPA 2018 s54(3C))
    not counting. A clarification stop is allowed under both clock rules; its `note` records
    why it is needed."""
    view = await subject_requests.record_clock_event(
        session,
        access,
        request_id=request_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{request_id}/extension",
    name="subject_requests_extend",
    summary="Extend the time to respond",
    response_model=SubjectRequestRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The extension is refused (`rule` names which): after the first month "
            "(`extension_within_first_month`, UK GDPR Art 12(3), DPA 2018 s54(3B)), already "
            "extended (`extension_once`), or the clock not running; or the request is closed."
        ),
    },
)
async def extend_subject_request(
    access: Annotated[Access, Policy("subject_request", "extend")],
    request_id: SubjectRequestIdPath,
    body: ExtensionCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SubjectRequestRead:
    """Extend by one or two further months where the request is complex or the person has
    made many, with `If-Match`. It must be decided and told within the first month (the
    clock's `extension_decide_by`, stopped days excluded); the letter or email telling the
    requester the new due date and `reasons` is queued now, so today must be within it too.
    One extension per request: a one-month extension may be raised to two while the first
    month lasts, never more."""
    view = await subject_requests.extend(
        session,
        access,
        request_id=request_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{request_id}/closure",
    name="subject_requests_close",
    summary="Close a request and send the response",
    response_model=SubjectRequestRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Already closed (`request_open`); an answer while the identity information asked "
            "for is awaited (`identity_confirmed`); or an access request answered without a "
            "released bundle (`response_released`): a closure without a response."
        ),
        422: problem_response(
            "Invalid fields, reasons missing for the outcome, or no email address or postal "
            "address held for the channel chosen."
        ),
    },
)
async def close_subject_request(
    access: Annotated[Access, Policy("subject_request", "close")],
    request_id: ClosableSubjectRequestIdPath,
    body: ClosureCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SubjectRequestRead:
    """Close the request with its outcome, with `If-Match`, and queue the response to the
    requester by email or letter. Reasons are required for `refused`,
    `manifestly_unfounded`, `partly_completed` and `withdrawn`. The request is on time when
    closed on or before its due date (`outcome.on_time`; the on-time rate is in `/metrics`)."""
    view = await subject_requests.close(
        session,
        access,
        request_id=request_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


# --- internal reviews ------------------------------------------------------------------------

REVIEW_MISSING: Responses = {404: problem_response(f"{REQUEST_NOT_FOUND} Or: {REVIEW_NOT_FOUND}")}


@router.get(
    "/{request_id}/reviews",
    name="subject_requests_reviews_list",
    summary="List a request's internal reviews",
    response_model=ReviewPage,
    responses=NOT_FOUND,
)
async def list_reviews(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: ClosedSubjectRequestIdPath,
    session: SessionDep,
    filters: Annotated[ReviewFilters, Query()],
    paging: PagingDep,
) -> ReviewPage:
    """The internal reviews the requester asked for, in the order they were recorded."""
    found, next_cursor = await subject_requests.list_reviews(
        session, access, request_id=request_id, page=paging.page(access, filters)
    )
    return ReviewPage(items=[_review(r, []) for r in found], next_cursor=next_cursor)


@router.post(
    "/{request_id}/reviews",
    name="subject_requests_reviews_create",
    summary="Record a request for an internal review",
    status_code=201,
    response_model=ReviewRead,
    responses={
        **NOT_FOUND,
        409: problem_response("The request is still open (`request_closed`): nothing to review."),
        422: problem_response("Invalid fields, or `requested_on` before the request was closed."),
    },
)
async def create_review(
    access: Annotated[Access, Policy("subject_request", "review")],
    request_id: ClosedSubjectRequestIdPath,
    body: ReviewCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record that the requester asked for an internal review of a closed request's answer,
    with their grounds. Send an `Idempotency-Key` to retry safely."""

    async def create() -> Created:
        view = await subject_requests.request_review(
            session, access, request_id=request_id, data=body
        )
        return Created(
            _review_read(view),
            location=f"{PREFIX}/subject-requests/{request_id}/reviews/{view.review.id}",
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{request_id}/reviews/{review_id}",
    name="subject_requests_reviews_get",
    summary="Get an internal review",
    response_model=ReviewRead,
    responses=REVIEW_MISSING,
)
async def get_review(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: ClosedSubjectRequestIdPath,
    review_id: SubjectRequestReviewIdPath,
    session: SessionDep,
) -> ReviewRead:
    """One internal review and, once decided, its outcome."""
    view = await subject_requests.get_review(
        session, access, request_id=request_id, review_id=review_id
    )
    return _review_read(view)


@router.post(
    "/{request_id}/reviews/{review_id}/decision",
    name="subject_requests_reviews_decide",
    summary="Decide an internal review",
    response_model=ReviewRead,
    responses={
        **REVIEW_MISSING,
        409: problem_response("The review was already decided (`review_decided_once`)."),
        422: problem_response("Invalid fields, or `decided_on` before the review was asked for."),
    },
)
async def decide_review(
    access: Annotated[Access, Policy("subject_request", "review")],
    request_id: ClosedSubjectRequestIdPath,
    review_id: SubjectRequestReviewIdPath,
    body: ReviewDecisionCreate,
    session: SessionDep,
    settings: SettingsDep,
) -> ReviewRead:
    """Record the review's outcome (`upheld`: the answer stands; `changed`: a new response
    follows) with its reasons, once, and tell the requester by email where an address is
    held, else by letter."""
    view = await subject_requests.decide_review(
        session,
        access,
        request_id=request_id,
        review_id=review_id,
        data=body,
        template_ids=settings.notify_templates,
    )
    return _review_read(view)
