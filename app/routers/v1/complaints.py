"""`/v1/complaints`: complaints to the council as controller (DPA 2018 s164A), as the
information governance team runs them: recorded, acknowledged within 30 days of receipt, kept
informed, closed with the outcome, and linked to the request or breach they concern."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.models.subject_requests import Complaint, ComplaintUpdate
from app.policies import Access, Policy
from app.repositories.complaints import ComplaintQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import AcknowledgedComplaintIdPath, ComplaintIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.complaints import (
    AcknowledgementFilter,
    ComplainantRead,
    ComplaintAcknowledgementCreate,
    ComplaintClosureCreate,
    ComplaintCreate,
    ComplaintFilters,
    ComplaintOutcomeRead,
    ComplaintPage,
    ComplaintPatch,
    ComplaintProgressCreate,
    ComplaintRead,
    ComplaintSummary,
    ComplaintUpdateRead,
)
from app.schemas.subject_requests import QueuedMessageRead
from app.services import complaints
from app.services.complaints import (
    NOT_FOUND as COMPLAINT_NOT_FOUND,
)
from app.services.complaints import (
    ComplaintView,
    acknowledgement_overdue,
    complaint_etag,
    is_statutory,
)

router = APIRouter(prefix=f"{PREFIX}/complaints", tags=["complaints"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(COMPLAINT_NOT_FOUND)}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
MESSAGE_PROBLEMS = problem_response(
    "Invalid fields; no email address (`no_email_address`) or postal address "
    "(`no_postal_address`) held for the channel chosen; or an address the message cannot be "
    "sent to (`complainant_message_refused`)."
)


# --- shaping answers -------------------------------------------------------------------------


def _update(update: ComplaintUpdate) -> ComplaintUpdateRead:
    return ComplaintUpdateRead(
        id=update.id,
        kind=update.kind,
        summary=update.summary,
        message_id=update.message_id,
        recorded_by=update.recorded_by,
        recorded_at=update.recorded_at,
    )


def _read(access: Access, view: ComplaintView) -> ComplaintRead:
    complaint = view.complaint
    return ComplaintRead(
        id=complaint.id,
        reference=complaint.reference,
        status=complaint.status,
        channel=complaint.channel.value,
        received_on=complaint.received_on,
        acknowledge_by=complaint.acknowledge_by,
        acknowledgement_overdue=acknowledgement_overdue(complaint, access.today),
        statutory=is_statutory(complaint),
        complainant=ComplainantRead(
            name=complaint.complainant_name,
            email=complaint.complainant_email,
            phone=complaint.complainant_phone,
            address=complaint.complainant_address,
            subject_id=complaint.subject_id,
        ),
        description=complaint.description,
        request_id=complaint.request_id,
        request_reference_given=complaint.request_reference_given,
        breach_id=complaint.breach_id,
        breach_reference=complaint.breach_reference,
        acknowledged_at=complaint.acknowledged_at,
        acknowledgement_message_id=complaint.acknowledgement_message_id,
        outcome=ComplaintOutcomeRead(
            outcome=complaint.outcome,
            reasons=complaint.outcome_reasons,
            closed_at=complaint.closed_at,
            closed_by=complaint.closed_by,
        )
        if complaint.outcome is not None
        else None,
        updates=[_update(u) for u in view.updates],
        messages=[
            QueuedMessageRead(message_type=m.message_type, channel=m.channel.value, id=m.id)
            for m in view.messages
        ],
        created_by=complaint.created_by,
        created_at=complaint.created_at,
        updated_at=complaint.updated_at,
    )


def _summary(access: Access, complaint: Complaint) -> ComplaintSummary:
    return ComplaintSummary(
        id=complaint.id,
        reference=complaint.reference,
        status=complaint.status,
        channel=complaint.channel.value,
        received_on=complaint.received_on,
        acknowledge_by=complaint.acknowledge_by,
        acknowledgement_overdue=acknowledgement_overdue(complaint, access.today),
        complainant_name=complaint.complainant_name,
        complainant_subject_id=complaint.subject_id,
        request_id=complaint.request_id,
        breach_id=complaint.breach_id,
        breach_reference=complaint.breach_reference,
        outcome=complaint.outcome,
    )


def _respond(access: Access, view: ComplaintView, response: Response) -> ComplaintRead:
    response.headers["ETag"] = complaint_etag(view.complaint)
    return _read(access, view)


# --- routes ----------------------------------------------------------------------------------


@router.post(
    "",
    name="complaints_create",
    summary="Record a complaint",
    status_code=201,
    response_model=ComplaintRead,
    responses={
        422: problem_response(
            "Invalid fields, no way to answer the complainant, received in the future, a "
            "`request_id` naming no subject request you may see (`unknown_subject_request`), "
            "or a breach not in the register (`unknown_breach`, `breach_link_mismatch`)."
        )
    },
)
async def create_complaint(
    access: Annotated[Access, Policy("complaint", "create")],
    body: ComplaintCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a complaint to the council as controller (DPA 2018 s164A) received by post,
    email, telephone or in person. It must be acknowledged by `acknowledge_by`: 30 days
    beginning with `received_on` (the day of receipt is day 1; days, not working days).
    Acknowledge it with `POST /v1/complaints/{complaint_id}/acknowledgement`. Link it to the
    subject request it concerns (`request_id`) or a breach in the register (`breach_id` or
    `breach_reference`). Information
    governance, under `subject_rights`. Send an `Idempotency-Key` to retry safely."""

    async def create() -> Created:
        view = await complaints.create_complaint(session, access, data=body)
        return Created(
            _read(access, view),
            location=f"{PREFIX}/complaints/{view.complaint.id}",
            etag=complaint_etag(view.complaint),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "",
    name="complaints_list",
    summary="List complaints",
    response_model=ComplaintPage,
)
async def list_complaints(
    access: Annotated[Access, Policy("complaint", "list")],
    session: SessionDep,
    filters: Annotated[ComplaintFilters, Query()],
    paging: PagingDep,
) -> ComplaintPage:
    """Complaints by the last day to acknowledge them, soonest first (so oldest received
    first). `acknowledgement=overdue` lists those not acknowledged in time,
    `acknowledgement=due_within_7_days` those to acknowledge today or in the next seven days;
    filter too by status and the dates received. Information governance only."""
    query = ComplaintQuery(
        status=filters.status,
        acknowledgement_overdue=filters.acknowledgement is AcknowledgementFilter.OVERDUE,
        acknowledgement_due_soon=filters.acknowledgement is AcknowledgementFilter.DUE_WITHIN_7_DAYS,
        received_from=filters.received_from,
        received_to=filters.received_to,
    )
    found, next_cursor = await complaints.list_complaints(
        session, access, query=query, page=paging.page(access, filters)
    )
    return ComplaintPage(items=[_summary(access, c) for c in found], next_cursor=next_cursor)


@router.get(
    "/{complaint_id}",
    name="complaints_get",
    summary="Get a complaint",
    response_model=ComplaintRead,
    responses=NOT_FOUND,
)
async def get_complaint(
    access: Annotated[Access, Policy("complaint", "read")],
    complaint_id: ComplaintIdPath,
    session: SessionDep,
    response: Response,
) -> ComplaintRead:
    """One complaint with its `ETag`: the complainant, the deadline to acknowledge it and
    whether it has passed, everything the complainant has been told (each with its message),
    the outcome, and the request or breach it concerns."""
    view = await complaints.get_complaint(session, access, complaint_id=complaint_id)
    return _respond(access, view, response)


@router.patch(
    "/{complaint_id}",
    name="complaints_update",
    summary="Amend or link a complaint",
    response_model=ComplaintRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The complaint is closed (`rule`: `complaint_open`)."),
        422: problem_response(
            "Invalid fields, a `request_id` naming no subject request you may see "
            "(`unknown_subject_request`), or a breach not in the register (`unknown_breach`, "
            "`breach_link_mismatch`)."
        ),
    },
)
async def update_complaint(
    access: Annotated[Access, Policy("complaint", "update")],
    complaint_id: ComplaintIdPath,
    body: ComplaintPatch,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ComplaintRead:
    """Amend an open complaint, with `If-Match`: the complainant's contact details (the block
    whole), and what it concerns: a subject request (`request_id`) or a breach in the register
    (`breach_id` or `breach_reference`); `null` unlinks either."""
    view = await complaints.update_complaint(
        session, access, complaint_id=complaint_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{complaint_id}/acknowledgement",
    name="complaints_acknowledge",
    summary="Acknowledge a complaint",
    response_model=ComplaintRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Already acknowledged (`complaint_acknowledged_once`), or closed (`complaint_open`)."
        ),
        422: MESSAGE_PROBLEMS,
    },
)
async def acknowledge_complaint(
    access: Annotated[Access, Policy("complaint", "update")],
    complaint_id: ComplaintIdPath,
    body: ComplaintAcknowledgementCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ComplaintRead:
    """Acknowledge the complaint, with `If-Match`: the acknowledgement with its reference is
    queued to the complainant (`complaint_acknowledgement`, by email where an address is held,
    else by letter) and `acknowledged_at` recorded. DPA 2018 s164A(3) asks for it within 30
    days beginning with the day of receipt (`acknowledge_by`). Once only; complaints made
    through the public form are acknowledged as they arrive."""
    view = await complaints.acknowledge(
        session,
        access,
        complaint_id=complaint_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{complaint_id}/progress",
    name="complaints_progress",
    summary="Tell a complainant of progress",
    response_model=ComplaintRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Not yet acknowledged (`complaint_acknowledged_first`), or closed (`complaint_open`)."
        ),
        422: MESSAGE_PROBLEMS,
    },
)
async def tell_progress(
    access: Annotated[Access, Policy("complaint", "update")],
    complaint_id: AcknowledgedComplaintIdPath,
    body: ComplaintProgressCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ComplaintRead:
    """Tell the complainant how their complaint is progressing, with `If-Match` (DPA 2018
    s164A(4): enquiries and progress without undue delay). `update` is sent as written
    (`complaint_progress`) and kept among what the complainant was told, with its message."""
    view = await complaints.tell_progress(
        session,
        access,
        complaint_id=complaint_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{complaint_id}/closure",
    name="complaints_close",
    summary="Close a complaint and tell the outcome",
    response_model=ComplaintRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("Already closed (`complaint_open`)."),
        422: MESSAGE_PROBLEMS,
    },
)
async def close_complaint(
    access: Annotated[Access, Policy("complaint", "close")],
    complaint_id: AcknowledgedComplaintIdPath,
    body: ComplaintClosureCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> ComplaintRead:
    """Close the complaint with its outcome (`upheld`, `partly_upheld`, `not_upheld`,
    `withdrawn`), with `If-Match`, and tell the complainant: `reasons` is sent as written
    (`complaint_outcome`; say there that they may complain to the Information Commissioner).
    A closed complaint changes no more."""
    view = await complaints.close(
        session,
        access,
        complaint_id=complaint_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)
