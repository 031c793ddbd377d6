"""`/v1/cases`: A case's chronology, meetings, attendance contracts and documents."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.crypto import ring_of
from app.db import SessionDep
from app.errors import NotAcceptable
from app.policies import Access
from app.policies.case_guard import CasePolicy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import (
    EXAMPLE_CONTRACT_ID,
    EXAMPLE_ID,
    EXAMPLE_MEETING_ID,
    CaseIdPath,
    DocumentIdPath,
    SupportCaseIdPath,
)
from app.routers.problems import preferred
from app.routers.route import BODY_LIMIT_SETTING, KpasRoute, download_responses, problem_response
from app.routers.v1 import PREFIX
from app.schemas.case_records import (
    CaseChronology,
    CaseDocumentFilters,
    CaseDocumentPage,
    CaseDocumentRead,
    CaseEventCreate,
    CaseEventFilters,
    CaseEventPage,
    CaseEventRead,
    CaseMessageFilters,
    CaseMessagePage,
    ContractCreate,
    ContractFilters,
    ContractPage,
    ContractRead,
    ContractUpdate,
    MeetingCreate,
    MeetingFilters,
    MeetingPage,
    MeetingRead,
    MeetingUpdate,
    case_document_upload_schema,
)
from app.schemas.messages import MessageRead
from app.services import case_documents, case_records, chronology
from app.services.case_documents import ACCEPTED, case_document_etag
from app.services.case_records import contract_etag, event_etag, meeting_etag
from app.services.chronology import ChronologyFormat
from app.services.documents import read_upload

router = APIRouter(prefix=f"{PREFIX}/cases", tags=["cases"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]

EventIdPath = Annotated[
    uuid.UUID, Path(description="The chronology entry's id.", examples=[str(EXAMPLE_ID)])
]
MeetingIdPath = Annotated[
    uuid.UUID, Path(description="The meeting's id.", examples=[str(EXAMPLE_MEETING_ID)])
]
ContractIdPath = Annotated[
    uuid.UUID,
    Path(description="The attendance contract's id.", examples=[str(EXAMPLE_CONTRACT_ID)]),
]

NOT_FOUND: Responses = {404: problem_response("No such case, or record on it, that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
CLOSED: Responses = {409: problem_response("The case is closed; nothing more is recorded on it.")}

JSON = "application/json"
HTML = "text/html"
#: The printable chronology runs nothing and loads nothing: its own inline styles only.
HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)


# --- the chronology ------------------------------------------------------------------------


@router.get(
    "/{case_id}/events",
    name="cases_events_list",
    summary="List a case's chronology",
    response_model=CaseEventPage,
    responses=NOT_FOUND,
)
async def list_events(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[CaseEventFilters, Query()],
    paging: PagingDep,
) -> CaseEventPage:
    """The case's chronology in the order things happened (then by entry id): what the service
    recorded as the case changed, and officers' notes and contacts; optionally one `kind`.

    Attendance officers (their own cases, and their team's unassigned ones) and managers (their
    area teams) under the case's purpose, which is the default; information governance under a
    governance purpose. Never the referring school.
    """
    events, next_cursor = await case_records.list_events(
        session, access, case_id=case_id, kind=filters.kind, page=paging.page(access, filters)
    )
    return CaseEventPage(items=[CaseEventRead.of(e) for e in events], next_cursor=next_cursor)


@router.post(
    "/{case_id}/events",
    name="cases_events_create",
    summary="Record a note or contact",
    status_code=201,
    response_model=CaseEventRead,
    responses={**NOT_FOUND, **CLOSED},
)
async def create_event(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    body: CaseEventCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a note, a phone call, a home visit, a letter, an email or another contact on the
    case's chronology, in the officer's words. Officers and managers who work on the case,
    under its purpose; send an `Idempotency-Key` to retry safely.

    Entries are never edited: to correct one, record another with `corrects_id`. Refused with
    422 (nothing written) when `occurred_at` is in the future or before the case opened.
    """

    async def create() -> Created:
        event = await case_records.record_event(session, access, case_id=case_id, data=body)
        return Created(
            CaseEventRead.of(event),
            location=f"/v1/cases/{case_id}/events/{event.id}",
            etag=event_etag(event),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{case_id}/events/{event_id}",
    name="cases_events_get",
    summary="Get a chronology entry",
    response_model=CaseEventRead,
    responses=NOT_FOUND,
)
async def get_event(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    event_id: EventIdPath,
    session: SessionDep,
    response: Response,
) -> CaseEventRead:
    """One entry of the case's chronology, with its `ETag`. The same callers as the list."""
    event = await case_records.get_event(session, access, case_id=case_id, event_id=event_id)
    response.headers["ETag"] = event_etag(event)
    return CaseEventRead.of(event)


@router.get(
    "/{case_id}/chronology",
    name="cases_chronology_export",
    summary="Export a case's chronology",
    response_model=CaseChronology,
    responses={
        200: {
            "description": "The chronology: JSON, or a printable HTML page (by `Accept`).",
            "content": {
                JSON: {"schema": {"$ref": "#/components/schemas/CaseChronology"}},
                HTML: {"schema": {"type": "string"}},
            },
        },
        **NOT_FOUND,
        406: problem_response("Neither JSON nor HTML is acceptable."),
    },
)
async def export_chronology(
    access: Annotated[Access, CasePolicy("case", "export")],
    case_id: CaseIdPath,
    request: Request,
    session: SessionDep,
) -> Response:
    """The chronology a court bundle needs: the case reference, the pupil (name, date of birth,
    UPN), the parties, and every entry in the order things happened, with who recorded it and
    when.

    Content negotiation by `Accept`: `application/json` (the default, and for `*/*`), or
    `text/html` for one self-contained printable page (no scripts or external assets; A4 print
    styles; times in UK local time); 406 for neither. Officers and managers who work on the
    case, under its purpose; information governance under a governance purpose. Each export is
    recorded in the audit trail.
    """
    chosen = preferred(request.headers.get("accept"), (JSON, HTML))
    if chosen is None:
        raise NotAcceptable(f"The chronology is served as {JSON} or {HTML}.")
    output = ChronologyFormat.HTML if chosen == HTML else ChronologyFormat.JSON
    exported = await chronology.export_chronology(session, access, case_id=case_id, output=output)
    if output is ChronologyFormat.HTML:
        return HTMLResponse(
            chronology.render_html(exported),
            headers={"Vary": "Accept", "Content-Security-Policy": HTML_POLICY},
        )
    return Response(exported.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})


# --- meetings --------------------------------------------------------------------------------


@router.post(
    "/{case_id}/meetings",
    name="cases_meetings_create",
    summary="Arrange a meeting",
    status_code=201,
    response_model=MeetingRead,
    responses={**NOT_FOUND, **CLOSED},
)
async def create_meeting(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    body: MeetingCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Arrange a meeting with the case's parties. With `send_invitations`, the
    `meeting_invitation` message is queued to each invited party in the same transaction (by
    letter unless `channel` says otherwise; 422, nothing written, when a carer cannot receive
    it). Officers and managers who work on the case, under its purpose; send an
    `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        meeting = await case_records.schedule_meeting(
            session, access, case_id=case_id, data=body, template_ids=settings.notify_templates
        )
        return Created(
            MeetingRead.of(meeting),
            location=f"/v1/cases/{case_id}/meetings/{meeting.id}",
            etag=meeting_etag(meeting),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{case_id}/meetings",
    name="cases_meetings_list",
    summary="List a case's meetings",
    response_model=MeetingPage,
    responses=NOT_FOUND,
)
async def list_meetings(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[MeetingFilters, Query()],
    paging: PagingDep,
) -> MeetingPage:
    """The case's meetings in the order they are (or were) due. The same callers as the
    chronology."""
    meetings, next_cursor = await case_records.list_meetings(
        session, access, case_id=case_id, page=paging.page(access, filters)
    )
    return MeetingPage(items=[MeetingRead.of(m) for m in meetings], next_cursor=next_cursor)


@router.get(
    "/{case_id}/meetings/{meeting_id}",
    name="cases_meetings_get",
    summary="Get a meeting",
    response_model=MeetingRead,
    responses=NOT_FOUND,
)
async def get_meeting(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    meeting_id: MeetingIdPath,
    session: SessionDep,
    response: Response,
) -> MeetingRead:
    """One meeting, with its `ETag`. The same callers as the chronology."""
    meeting = await case_records.get_meeting(
        session, access, case_id=case_id, meeting_id=meeting_id
    )
    response.headers["ETag"] = meeting_etag(meeting)
    return MeetingRead.of(meeting)


@router.patch(
    "/{case_id}/meetings/{meeting_id}",
    name="cases_meetings_update",
    summary="Update a meeting",
    response_model=MeetingRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The case is closed, or the meeting was cancelled or held."),
    },
)
async def update_meeting(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    meeting_id: MeetingIdPath,
    body: MeetingUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> MeetingRead:
    """Rearrange a meeting, record that it was held (the day, who came, whether an officer
    attended, notes and agreed actions), or cancel it: a JSON merge patch with `If-Match`.
    Governing board and independent review panel meetings record whether an officer attended
    once held. Officers and managers who work on the case, under its purpose.
    """
    meeting = await case_records.update_meeting(
        session, access, case_id=case_id, meeting_id=meeting_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = meeting_etag(meeting)
    return MeetingRead.of(meeting)


# --- attendance contracts ----------------------------------------------------------------------


@router.post(
    "/{case_id}/attendance-contracts",
    name="cases_contracts_create",
    summary="Record an attendance contract",
    status_code=201,
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        409: problem_response(
            "The case is closed, or has an active contract already (`active_contract_id`)."
        ),
    },
)
async def create_contract(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: SupportCaseIdPath,
    body: ContractCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record an attendance contract the parents agreed: a voluntary written agreement of
    actions by the parents, school, council and pupil, with a review date (DfE, *Working
    together to improve school attendance*, 2024). One active contract per case (409 while one
    is active); 422 for a review before the agreement. Officers and managers who work on the
    case, under its purpose; send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        contract = await case_records.agree_contract(session, access, case_id=case_id, data=body)
        return Created(
            ContractRead.of(contract),
            location=f"/v1/cases/{case_id}/attendance-contracts/{contract.id}",
            etag=contract_etag(contract),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{case_id}/attendance-contracts",
    name="cases_contracts_list",
    summary="List a case's attendance contracts",
    response_model=ContractPage,
    responses=NOT_FOUND,
)
async def list_contracts(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[ContractFilters, Query()],
    paging: PagingDep,
) -> ContractPage:
    """The case's attendance contracts, oldest agreement first. The same callers as the
    chronology."""
    contracts, next_cursor = await case_records.list_contracts(
        session, access, case_id=case_id, page=paging.page(access, filters)
    )
    return ContractPage(items=[ContractRead.of(c) for c in contracts], next_cursor=next_cursor)


@router.get(
    "/{case_id}/attendance-contracts/{contract_id}",
    name="cases_contracts_get",
    summary="Get an attendance contract",
    response_model=ContractRead,
    responses=NOT_FOUND,
)
async def get_contract(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    contract_id: ContractIdPath,
    session: SessionDep,
    response: Response,
) -> ContractRead:
    """One attendance contract, with its `ETag`. The same callers as the chronology."""
    contract = await case_records.get_contract(
        session, access, case_id=case_id, contract_id=contract_id
    )
    response.headers["ETag"] = contract_etag(contract)
    return ContractRead.of(contract)


@router.patch(
    "/{case_id}/attendance-contracts/{contract_id}",
    name="cases_contracts_update",
    summary="Update an attendance contract",
    response_model=ContractRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The case is closed, or the contract has ended."),
    },
)
async def update_contract(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    contract_id: ContractIdPath,
    body: ContractUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ContractRead:
    """Move an active contract's review, change its actions, or end it (`completed`, `broken`
    or `ended`, on `ended_on`: today when left out): a JSON merge patch with `If-Match`. An
    ended contract changes no more (409). Officers and managers who work on the case, under
    its purpose.
    """
    contract = await case_records.update_contract(
        session,
        access,
        case_id=case_id,
        contract_id=contract_id,
        changes=body,
        if_match=if_match,
    )
    response.headers["ETag"] = contract_etag(contract)
    return ContractRead.of(contract)


# --- documents ---------------------------------------------------------------------------------


@router.post(
    "/{case_id}/documents",
    name="cases_documents_upload",
    summary="Upload a case document",
    status_code=201,
    response_model=CaseDocumentRead,
    responses={
        **NOT_FOUND,
        409: problem_response(
            "The case is closed, or the pupil's documents were destroyed (retention)."
        ),
        413: problem_response("The file is over the size limit."),
        415: problem_response(
            "Not multipart/form-data, or the file's content is not an accepted type, is not "
            "what its part declares, or is not a complete file."
        ),
    },
    openapi_extra={
        "requestBody": case_document_upload_schema(list(ACCEPTED)),
        BODY_LIMIT_SETTING: "document_max_bytes",
    },
)
async def upload_document(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Upload a document to the case as `multipart/form-data` (`kind`, `title`, `file`): PDF,
    PNG, JPEG, plain text (UTF-8) or a Word document (DOCX). Its type is sniffed from the
    content, never taken from the client, and it is stored encrypted with the pupil's own key.
    Officers and managers who work on the case, under its purpose; send an `Idempotency-Key`
    to retry safely.

    Refused with 413 over the deployment's file allowance and 415 for a type that is not
    accepted or does not match its part.
    """
    case = await case_documents.visible_case(session, access, case_id)
    upload = case_documents.check_upload(
        await read_upload(
            request.headers.get("content-type"),
            request.stream(),
            max_file_bytes=settings.document_max_bytes,
            text_fields=case_documents.TEXT_FIELDS,
        )
    )

    async def create() -> Created:
        document, key = await case_documents.upload_document(
            session, access, ring_of(request.app), case=case, upload=upload
        )
        return Created(
            case_documents.document_read(document, key),
            location=f"/v1/cases/{case_id}/documents/{document.id}",
            etag=case_document_etag(document),
        )

    return await idempotency.run(access, upload.fingerprint(), create)


@router.get(
    "/{case_id}/documents",
    name="cases_documents_list",
    summary="List a case's documents",
    response_model=CaseDocumentPage,
    responses=NOT_FOUND,
)
async def list_documents(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[CaseDocumentFilters, Query()],
    paging: PagingDep,
) -> CaseDocumentPage:
    """The case's documents in the order they were stored: metadata only, the content has its
    own route. The same callers as the chronology."""
    items, next_cursor = await case_documents.list_documents(
        session, access, case_id=case_id, page=paging.page(access, filters)
    )
    return CaseDocumentPage(items=items, next_cursor=next_cursor)


@router.get(
    "/{case_id}/documents/{document_id}",
    name="cases_documents_get",
    summary="Get a case document's metadata",
    response_model=CaseDocumentRead,
    responses=NOT_FOUND,
)
async def get_document(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    document_id: DocumentIdPath,
    session: SessionDep,
    response: Response,
) -> CaseDocumentRead:
    """One document's metadata; `content_status` says whether its content still exists. The
    same callers as the chronology."""
    _, document, key = await case_documents.get_document(
        session, access, case_id=case_id, document_id=document_id
    )
    response.headers["ETag"] = case_document_etag(document)
    return case_documents.document_read(document, key)


@router.get(
    "/{case_id}/documents/{document_id}/content",
    name="cases_documents_content",
    summary="Download a case document",
    response_class=Response,
    responses=download_responses(ACCEPTED, NOT_FOUND),
)
async def document_content(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    document_id: DocumentIdPath,
    request: Request,
    session: SessionDep,
) -> Response:
    """The document's content, decrypted, as the media type sniffed on upload, as an attachment
    with a generated file name (never the uploaded one) and a sandboxing
    `Content-Security-Policy`. The same callers as the chronology; 410 once the content was
    destroyed under the retention schedule.
    """
    document, content = await case_documents.document_content(
        session, access, ring_of(request.app), case_id=case_id, document_id=document_id
    )
    extension = ACCEPTED.get(document.media_type, ("", "bin"))[1]
    filename = f"case-document-{document.id}.{extension}"  # opaque: no name, no title
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "ETag": case_document_etag(document),
        },
    )


# --- messages sent on the case ---------------------------------------------------------------


@router.get(
    "/{case_id}/messages",
    name="cases_messages_list",
    summary="List the messages sent on a case",
    response_model=CaseMessagePage,
    responses=NOT_FOUND,
)
async def list_messages(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[CaseMessageFilters, Query()],
    paging: PagingDep,
) -> CaseMessagePage:
    """The letters, texts and emails sent on the case (notices, invitations), newest first, with
    what became of each: a letter Royal Mail sent back shows `returned` and `returned_at`. No
    recipient details or personalisation. The same callers as the chronology.
    """
    messages, next_cursor = await case_records.list_messages(
        session,
        access,
        case_id=case_id,
        status=filters.status,
        page=paging.page(access, filters),
    )
    return CaseMessagePage(items=[MessageRead.of(m) for m in messages], next_cursor=next_cursor)
