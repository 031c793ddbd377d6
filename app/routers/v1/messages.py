"""`/v1/messages`: letters, texts and emails to pupils' parents and carers, and their status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.messages import MessageQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import MessageIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.messages import (
    MessageCreate,
    MessageFilters,
    MessagePage,
    MessageRead,
    MessageReturned,
)
from app.services import messages
from app.services.messages import message_etag

router = APIRouter(prefix=f"{PREFIX}/messages", tags=["messages"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No message with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


@router.post(
    "",
    name="messages_create",
    summary="Send a message to a carer",
    status_code=201,
    response_model=MessageRead,
    responses={
        404: problem_response("No such pupil, or no such carer of theirs, that you may see."),
        409: problem_response("The pupil's record was merged into another."),
    },
)
async def send_message(
    access: Annotated[Access, Policy("message", "create")],
    body: MessageCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Queue a registered message type (letter, text or email through GOV.UK Notify) for one of a
    pupil's carers. The worker sends it once this request commits; follow it with `GET
    /v1/messages/{message_id}`. Send an `Idempotency-Key` to retry safely.

    Send `KPAS-Purpose`: attendance managers, for pupils in their area teams, under an attendance
    purpose. 404 if the pupil or carer is not yours to see; 409 if the pupil's record was merged;
    422 if it cannot be sent as asked (a missing personalisation field, or no address on the carer's
    record for the channel).
    """

    async def create() -> Created:
        message = await messages.send_message(
            session, access, data=body, template_ids=settings.notify_templates
        )
        return Created(
            MessageRead.of(message),
            location=f"{PREFIX}/messages/{message.id}",
            etag=message_etag(message),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="messages_list", summary="List messages", response_model=MessagePage)
async def list_messages(
    access: Annotated[Access, Policy("message", "list")],
    session: SessionDep,
    filters: Annotated[MessageFilters, Query()],
    paging: PagingDep,
) -> MessagePage:
    """Messages newest first, filtered by pupil, status or message type, with their status and never
    their recipient or content.

    Send `KPAS-Purpose`: attendance managers (area teams) under an attendance purpose; information
    governance under a governance purpose.
    """
    query = MessageQuery(
        pupil_id=filters.pupil_id, status=filters.status, message_type=filters.message_type
    )
    items, next_cursor = await messages.list_messages(
        session, access, query=query, page=paging.page(access, filters)
    )
    return MessagePage(items=[MessageRead.of(m) for m in items], next_cursor=next_cursor)


@router.get(
    "/{message_id}",
    name="messages_get",
    summary="Get a message",
    response_model=MessageRead,
    responses=NOT_FOUND,
)
async def get_message(
    access: Annotated[Access, Policy("message", "read")],
    message_id: MessageIdPath,
    session: SessionDep,
    response: Response,
) -> MessageRead:
    """One message and its delivery status. Send `KPAS-Purpose`: as for listing; 404 for a message
    outside your reach.
    """
    message = await messages.get_message(session, access, message_id=message_id)
    response.headers["ETag"] = message_etag(message)
    return MessageRead.of(message)


@router.post(
    "/{message_id}/retry",
    name="messages_retry",
    summary="Retry a dead-lettered message",
    response_model=MessageRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The message is not dead-lettered, its personal data has been cleared, or Notify "
            "can no longer say whether it has it (retry with `send_as_new=true`)."
        ),
    },
)
async def retry_message(
    access: Annotated[Access, Policy("message", "retry")],
    message_id: MessageIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
    send_as_new: Annotated[
        bool,
        Query(
            description="Send it as a new message, under a new reference, even though Notify "
            "can no longer say whether it already has it (audited).",
            examples=[False],
        ),
    ] = False,
) -> MessageRead:
    """Put a dead-lettered message back in the queue with a fresh count of attempts. If its last
    send may have reached Notify, the worker asks Notify before sending it again. Attendance
    managers under an attendance purpose, with `If-Match`.

    Notify keeps a notification for 7 days: if a send may have reached Notify more than 7 days
    ago, Notify can no longer say whether it has it, and the retry is refused with 409 unless
    `send_as_new=true` (the recipient may get it twice; the choice is audited). Also refused with
    409 if the message is not dead-lettered or its personal data has been cleared.
    """
    message = await messages.retry_message(
        session, access, message_id=message_id, if_match=if_match, send_as_new=send_as_new
    )
    response.headers["ETag"] = message_etag(message)
    return MessageRead.of(message)


@router.post(
    "/{message_id}/returned",
    name="messages_returned",
    summary="Record a returned letter",
    response_model=MessageRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The message is not a letter Notify accepted or dispatched."),
    },
)
async def record_returned_letter(
    access: Annotated[Access, Policy("message", "retry")],
    message_id: MessageIdPath,
    body: MessageReturned,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> MessageRead:
    """Record that a letter came back undelivered (Royal Mail returned it to the council, or
    before Notify's returned-letter report arrived): the message becomes `returned`, with when
    and by whom. Those who may retry a message may record its return, with `If-Match`.

    Refused with 409 unless the message is a letter Notify accepted or dispatched.
    """
    message = await messages.mark_returned(
        session, access, message_id=message_id, if_match=if_match, returned_on=body.returned_on
    )
    response.headers["ETag"] = message_etag(message)
    return MessageRead.of(message)
