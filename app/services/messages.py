"""Messages to pupils' parents and carers through the Notify outbox, and what became of them.

Staff send a registered message type about a pupil they may see, to one of that pupil's
carers, for a purpose the policy layer allows; the message (addressed from the carer's
record) and its audit event are written in the request's transaction, and the worker sends it
once that commits. The same ``app.services.outbox.enqueue`` serves casework, licensing and
subject rights.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record
from app.errors import Conflict, ValidationFailed
from app.log import get_logger
from app.messages.delivery import ReceiptOutcome, apply_receipt
from app.messages.retention import NOTIFY_RETENTION, WORKER_ROLE
from app.models.cases import CaseEvent, CaseEventKind
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.people import Carer
from app.notify.schemas import DeliveryReceipt, ReturnedLetter
from app.policies import Access
from app.policies.registry import PURPOSE_BITS, REGISTRY, Purpose
from app.repositories.messages import MessageQuery, MessageRepository, pupil_visible
from app.repositories.pagination import PageRequest
from app.repositories.people import CarerRepository, PupilRepository
from app.schemas.messages import MessageCreate
from app.services.concurrency import IfMatch, etag_for
from app.services.outbox import Addressee, OutboxRefusal, message_type
from app.services.outbox import new_reference as new_message_reference
from app.services.queued_messages import queue_about

_log = get_logger("app.services.messages")

#: When a receipt reports a status that is not final, ask Notify again after this long.
RECEIPT_RECHECK = timedelta(hours=1)


def message_etag(message: OutboundMessage) -> str:
    """Changes whenever the message does (every write stamps ``updated_at``)."""
    version = int(message.updated_at.timestamp() * 1_000_000)
    return etag_for(message.id, version, message.created_at)


def _visible(access: Access) -> ColumnElement[bool]:
    """The message decision's filter, and the pupil it is about visible too."""
    return and_(access.filter(), pupil_visible(access.filter(through="pupil")))


def _carer_filter(access: Access, purpose: Purpose) -> ColumnElement[bool]:
    """The carer may be processed for this purpose: collected for it, not merged away, and
    their own data subject's restriction, objections and retention allow it."""
    clauses = [Carer.merged_into_id.is_(None), access.visible_subjects(Carer.subject_id)]
    if not REGISTRY[purpose].governance:
        clauses.append(Carer.purposes_mask.op("&")(PURPOSE_BITS[purpose]) != 0)
    return and_(*clauses)


def addressee_of(carer: Carer, channel: Channel) -> Addressee:
    if channel is Channel.SMS:
        return Addressee(phone=carer.phone)
    if channel is Channel.EMAIL:
        return Addressee(email=carer.email)
    name = " ".join(part for part in (carer.title, carer.forename, carer.surname) if part)
    lines = [name, *(carer.address_lines or [])]
    if carer.postcode:
        lines.append(carer.postcode)
    return Addressee(address_lines=lines)


_FIELD_POINTERS = {
    "message_type": ("body", "/message_type", "message_type"),
    "channel": ("body", "/channel", "channel"),
    "purpose": ("header", "/KPAS-Purpose", "purpose"),
    "recipient": ("body", "/carer_id", "recipient"),
    "address": ("body", "/carer_id", "recipient"),
}


def _refused(refusal: OutboxRefusal) -> ValidationFailed:
    errors = []
    for field, detail in sorted(refusal.problems.items()):
        if field.startswith("personalisation."):
            name = field.split(".", 1)[1].replace("~", "~0").replace("/", "~1")
            location, pointer, code = "body", f"/personalisation/{name}", "personalisation"
        else:
            location, pointer, code = _FIELD_POINTERS.get(field, ("body", "", field))
        if code == "recipient":
            detail = f"the carer's record: {detail}"
        errors.append({"location": location, "pointer": pointer, "detail": detail, "code": code})
    return ValidationFailed("The message cannot be sent as asked.", errors=errors)


async def send_message(
    session: AsyncSession,
    access: Access,
    *,
    data: MessageCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> OutboundMessage:
    """Queue ``data`` for the worker, with its audit event, in the caller's transaction."""
    purpose = access.purpose
    if purpose is None:  # the message resource holds personal data: the guard set one
        raise ValueError("sending a message needs a purpose")
    try:
        message_type(data.message_type, data.channel, purpose)
    except OutboxRefusal as exc:
        raise _refused(exc) from None
    pupil = await PupilRepository(session).get(
        data.pupil_id, visible=access.filter(through="pupil")
    )
    if pupil is None:
        raise access.not_found(data.pupil_id, "No pupil with that id that you may see.")
    if pupil.merged_into_id is not None:
        raise Conflict(
            f"This pupil's record was merged into another ({pupil.merged_into_id}): send the "
            "message about the surviving record."
        )
    relationship = await CarerRepository(session).relationship(
        pupil.id, data.carer_id, carer_visible=_carer_filter(access, purpose)
    )
    if relationship is None:
        raise access.not_found(data.carer_id, "No carer of that pupil that you may contact.")
    carer = relationship.carer
    try:
        message = queue_about(
            session,
            access,
            carer,
            to=addressee_of(carer, data.channel),
            message_type=data.message_type,
            channel=data.channel,
            personalisation=data.personalisation,
            purpose=purpose,
            template_ids=template_ids,
            details={"pupil_id": str(pupil.id)},
            pupil_id=pupil.id,
            carer_id=carer.id,
        )
    except OutboxRefusal as exc:
        raise _refused(exc) from None
    await session.flush()
    return message


async def list_messages(
    session: AsyncSession,
    access: Access,
    *,
    query: MessageQuery,
    page: PageRequest,
) -> tuple[list[OutboundMessage], str | None]:
    found, next_cursor = await MessageRepository(session).page(
        query, page=page, visible=_visible(access)
    )
    access.touched(subject_ids=[m.subject_id for m in found])
    return found, next_cursor


async def get_message(
    session: AsyncSession, access: Access, *, message_id: uuid.UUID
) -> OutboundMessage:
    message = await MessageRepository(session).get(message_id, visible=_visible(access))
    if message is None:
        raise access.not_found(message_id, "No message with that id that you may see.")
    access.touched(subject_ids=[message.subject_id], resource_id=message.id)
    return message


async def retry_message(
    session: AsyncSession,
    access: Access,
    *,
    message_id: uuid.UUID,
    if_match: IfMatch,
    send_as_new: bool = False,
) -> OutboundMessage:
    """Put a dead-lettered message back in the queue, attempts counted afresh.

    Never twice: a message whose send may have reached Notify is looked up by its reference
    before it is sent again, but Notify forgets notifications after ``NOTIFY_RETENTION``. Past
    that, the retry is refused unless ``send_as_new`` (a new reference, audited as such)."""
    message = await get_message(session, access, message_id=message_id)
    if_match.require(message_etag(message))
    if message.status is not MessageStatus.DEAD:
        raise Conflict(
            f"Only a dead-lettered message can be retried; this one is {message.status.value}."
        )
    if message.personal_data_cleared_at is not None:
        raise Conflict(
            "This message's recipient and personalisation have been cleared: send a new one."
        )
    first = message.first_attempt_at
    beyond_lookup = (
        message.outcome_unknown and first is not None and access.now - first > NOTIFY_RETENTION
    )
    if beyond_lookup and not send_as_new:
        raise Conflict(
            f"This message may have reached Notify on {first:%d %B %Y} and Notify keeps "
            f"notifications for {NOTIFY_RETENTION.days} days, so it can no longer say whether it "
            "has it: retrying could send it twice. Check with the recipient, then retry with "
            "send_as_new=true to send it as a new message."
        )
    new_reference = new_message_reference() if send_as_new else None
    if not await MessageRepository(session).requeue_dead(
        message.id, now=access.now, new_reference=new_reference
    ):
        raise Conflict("The message changed meanwhile; fetch it again.")
    await session.refresh(message)
    access.record_change(
        "message.retried",
        resource_id=message.id,
        subject_id=message.subject_id,
        details={
            "last_error": message.last_error,
            "send_as_new": send_as_new,
            "beyond_notify_retention": bool(beyond_lookup),
        },
    )
    return message


async def record_receipt(
    session: AsyncSession, receipt: DeliveryReceipt, *, now: datetime
) -> ReceiptOutcome:
    """Apply a Notify delivery receipt (see ``app.messages.delivery``)."""
    return await apply_receipt(session, receipt, now=now, check_after=RECEIPT_RECHECK)


async def record_returned_letter(
    session: AsyncSession, letter: ReturnedLetter, *, now: datetime
) -> bool:
    """Apply Notify's returned-letter callback: the letter's message becomes ``returned``.
    Unknown letters and repeats change nothing. Audited as the worker's change."""
    message = await MessageRepository(session).find_letter(letter.notification_id, letter.reference)
    if message is None:
        _log.info("notify_returned_letter_unknown", notification_id=str(letter.notification_id))
        return False
    changed = await MessageRepository(session).record_returned(
        message.id, returned_at=now, reported_by="notify", now=now
    )
    if changed:
        _returned_on_case(session, message, returned_at=now, by="notify", now=now)
        record(
            session,
            PendingAuditEvent(
                kind="change",
                action="message.returned",
                purpose=message.purpose,
                basis=message.lawful_basis,
                actor="notify",
                actor_role=WORKER_ROLE,
                resource_type="message",
                resource_id=str(message.id),
                subject_id=message.subject_id,
                details={"notify_id": str(letter.notification_id), "reported_by": "notify"},
            ),
        )
    return changed


def _returned_on_case(
    session: AsyncSession,
    message: OutboundMessage,
    *,
    returned_at: datetime,
    by: str,
    now: datetime,
) -> None:
    """A letter sent on a case came back: its chronology says so (ids only)."""
    if message.case_id is None:
        return
    session.add(
        CaseEvent(
            id=uuid.uuid4(),
            case_id=message.case_id,
            kind=CaseEventKind.LETTER_RETURNED,
            occurred_at=returned_at,
            recorded_at=now,
            recorded_by=by,
            details={
                "message_id": str(message.id),
                "message_type": message.message_type,
                "carer_id": str(message.carer_id) if message.carer_id else None,
            },
        )
    )


async def mark_returned(
    session: AsyncSession,
    access: Access,
    *,
    message_id: uuid.UUID,
    if_match: IfMatch,
    returned_on: date | None,
) -> OutboundMessage:
    """A member of staff records that a letter came back (Royal Mail returned it to the
    council rather than to Notify, or before Notify's report)."""
    message = await get_message(session, access, message_id=message_id)
    if_match.require(message_etag(message))
    if message.channel is not Channel.LETTER:
        raise Conflict("Only a letter can be returned; this message is not a letter.")
    if message.status not in (MessageStatus.ACCEPTED, MessageStatus.DISPATCHED):
        raise Conflict(
            "Only a letter Notify accepted or dispatched can be returned; this one is "
            f"{message.status.value}."
        )
    when = access.now
    if returned_on is not None:
        when = datetime(returned_on.year, returned_on.month, returned_on.day, tzinfo=UTC)
    if not await MessageRepository(session).record_returned(
        message.id, returned_at=when, reported_by=access.principal.subject, now=access.now
    ):
        raise Conflict("The message changed meanwhile; fetch it again.")
    await session.refresh(message)
    _returned_on_case(
        session, message, returned_at=when, by=access.principal.subject, now=access.now
    )
    access.record_change(
        "message.returned",
        resource_id=message.id,
        subject_id=message.subject_id,
        details={"reported_by": "staff"},
    )
    return message
