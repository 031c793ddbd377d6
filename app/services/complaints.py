"""Complaints to the council as controller (DPA 2018 s164A, inserted by the Data (Use and
Access) Act 2025 s103, in force 19 June 2026): recording them, acknowledging them within 30
days beginning with the day of receipt, telling the complainant of progress and of the
outcome, and linking each to the subject request or breach it concerns.

A complaint's row is the complainant's personal data (a data subject of their own), held under
``subject_rights`` on 6(1)(c), as a request's row is the requester's. Every acknowledgement,
progress update and outcome goes through the Notify outbox in the same transaction as the
change, and is kept as a ``ComplaintUpdate`` with the message that carried it, so the record
shows what the complainant was told and when. Staff record complaints received by post, email,
telephone or in person here; the public form (``app.services.public_intake``) records its own
through ``record_complaint`` and acknowledges them at once through ``acknowledge_now``.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.messages import Channel
from app.models.subject_requests import (
    Complaint,
    ComplaintStatus,
    ComplaintUpdate,
    RequestChannel,
)
from app.models.subjects import SubjectKind
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.complaints import ComplaintQuery, ComplaintRepository
from app.repositories.pagination import PageRequest
from app.rules.subject_rights import COMPLAINTS_DUTY_COMMENCED, complaint_acknowledge_by
from app.schemas.complaints import (
    ComplainantDetails,
    ComplaintAcknowledgementCreate,
    ComplaintClosureCreate,
    ComplaintCreate,
    ComplaintPatch,
    ComplaintProgressCreate,
)
from app.schemas.subject_requests import ResponseChannel
from app.services.breaches import resolve_link
from app.services.concurrency import IfMatch, etag_for
from app.services.outbox import Addressee, OutboxRefusal
from app.services.people import new_subject
from app.services.queued_messages import queue_about
from app.services.subject_requests import REQUESTER_BASIS, REQUESTER_MASK, QueuedMessage

NOT_FOUND = "No complaint with that id that you may see."

SUBJECT_RIGHTS = Purpose.SUBJECT_RIGHTS
#: A complaint's row is the complainant's personal data, held to deal with the complaint (the
#: council's legal obligation under s164A), on the same footing as a request's requester.
COMPLAINANT_MASK = REQUESTER_MASK
COMPLAINANT_BASIS = REQUESTER_BASIS
COMPLAINTS_SOURCE = "DPA 2018 s164A (Data (Use and Access) Act 2025 s103)"
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

#: What each ``ComplaintUpdate.kind`` records.
ACKNOWLEDGEMENT = "acknowledgement"
PROGRESS = "progress"
OUTCOME = "outcome"


def complaint_etag(complaint: Complaint) -> str:
    return etag_for(complaint.id, complaint.version, complaint.created_at)


def new_reference() -> str:
    """What the complainant quotes: ``CP-`` and ten characters, random, never a count."""
    return "CP-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def acknowledgement_overdue(complaint: Complaint, today: date) -> bool:
    """Not acknowledged, and the last day to acknowledge it has passed."""
    return complaint.status is ComplaintStatus.RECEIVED and complaint.acknowledge_by < today


def is_statutory(complaint: Complaint) -> bool:
    """Received once DPA 2018 s164A was in force."""
    return complaint.received_on >= COMPLAINTS_DUTY_COMMENCED


@dataclass(slots=True)
class ComplaintView:
    """A complaint, what the complainant has been told, and the messages this call queued."""

    complaint: Complaint
    updates: list[ComplaintUpdate] = field(default_factory=list)
    messages: list[QueuedMessage] = field(default_factory=list)


async def load_complaint(
    session: AsyncSession, access: Access, complaint_id: uuid.UUID, *, for_update: bool = False
) -> Complaint:
    """The complaint, if the caller may see it (else a recorded 404); the complainant's
    subject id joins the request's audit event."""
    complaint = await ComplaintRepository(session).get(
        complaint_id, visible=access.filter(), for_update=for_update
    )
    if complaint is None:
        raise access.not_found(complaint_id, NOT_FOUND)
    access.touched(subject_ids=[complaint.subject_id], resource_id=complaint.id)
    return complaint


async def _view(
    session: AsyncSession, complaint: Complaint, messages: list[QueuedMessage] | None = None
) -> ComplaintView:
    updates = await ComplaintRepository(session).updates(complaint.id)
    return ComplaintView(complaint, updates, messages or [])


# --- checks ----------------------------------------------------------------------------------


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _open(complaint: Complaint) -> None:
    if complaint.status is ComplaintStatus.CLOSED:
        raise Conflict(
            "The complaint is closed: it changes no more, and nothing more is told about it.",
            extra={"rule": "complaint_open", "source": "council practice"},
        )


async def _check_request(
    access: Access, repository: ComplaintRepository, request_id: uuid.UUID
) -> None:
    """The subject request a complaint is linked to exists and the caller may see it."""
    visible = access.related_filter("subject_request", "read")
    if not await repository.request_visible(request_id, visible):
        raise _refuse(
            "/request_id",
            "No subject request with this id that you may see.",
            "unknown_subject_request",
        )


def _apply_complainant(complaint: Complaint, complainant: ComplainantDetails) -> None:
    complaint.complainant_name = complainant.name
    complaint.complainant_email = complainant.email
    complaint.complainant_phone = complainant.phone
    complaint.complainant_address = (
        [*complainant.address_lines, complainant.postcode]
        if complainant.address_lines is not None and complainant.postcode is not None
        else None
    )


# --- letters and emails ----------------------------------------------------------------------


def _channel(complaint: Complaint, chosen: ResponseChannel | None) -> Channel:
    """The channel asked for (422 where no address for it is held), else email where the
    complainant gave an address for it, else a letter."""
    if chosen is None:
        return Channel.EMAIL if complaint.complainant_email else Channel.LETTER
    if chosen is ResponseChannel.EMAIL and not complaint.complainant_email:
        raise _refuse(
            "/channel",
            "No email address is held for the complainant: write to them, or record their "
            "email address first.",
            "no_email_address",
        )
    if chosen is ResponseChannel.LETTER and not complaint.complainant_address:
        raise _refuse(
            "/channel",
            "No postal address is held for the complainant: email them, or record their "
            "address first.",
            "no_postal_address",
        )
    return Channel(chosen.value)


def _addressee(complaint: Complaint, channel: Channel) -> Addressee:
    if channel is Channel.EMAIL:
        return Addressee(email=complaint.complainant_email)
    return Addressee(
        address_lines=[complaint.complainant_name, *(complaint.complainant_address or [])]
    )


def _tell(
    session: AsyncSession,
    access: Access,
    complaint: Complaint,
    message_type: str,
    personalisation: Mapping[str, Any],
    template_ids: Mapping[str, uuid.UUID],
    *,
    channel: Channel,
    pointer: str,
) -> QueuedMessage:
    """Queue a letter or email to the complainant in this transaction (422 when Notify would
    refuse the address: the change is refused with it, so nothing is half done)."""
    try:
        message = queue_about(
            session,
            access,
            complaint,
            to=_addressee(complaint, channel),
            message_type=message_type,
            channel=channel,
            personalisation=personalisation,
            purpose=SUBJECT_RIGHTS,
            template_ids=template_ids,
            details={"complaint_id": str(complaint.id)},
        )
    except OutboxRefusal as exc:
        detail = f"The {channel.value} to the complainant cannot be sent: {exc}."
        raise _refuse(pointer, detail, "complainant_message_refused") from None
    return QueuedMessage(message_type, channel, message.id)


def _told(
    session: AsyncSession,
    access: Access,
    complaint: Complaint,
    kind: str,
    summary: str,
    queued: QueuedMessage,
) -> ComplaintUpdate:
    update = ComplaintUpdate(
        id=uuid.uuid4(),
        complaint_id=complaint.id,
        kind=kind,
        summary=summary,
        message_id=queued.id,
        recorded_by=access.principal.subject,
        recorded_at=access.now,
    )
    ComplaintRepository(session).add(update)
    return update


# --- use cases -------------------------------------------------------------------------------


async def record_complaint(
    session: AsyncSession,
    access: Access,
    *,
    channel: RequestChannel,
    received_on: date,
    complainant: ComplainantDetails,
    description: str,
    request_id: uuid.UUID | None = None,
    request_reference_given: str | None = None,
    breach_id: uuid.UUID | None = None,
    breach_reference: str | None = None,
) -> Complaint:
    """Record a complaint its channel has already checked, due to be acknowledged within 30
    days beginning with ``received_on`` (s164A(3)). The complainant becomes a data subject of
    their own."""
    repository = ComplaintRepository(session)
    reference = new_reference()
    while await repository.reference_taken(reference):
        reference = new_reference()
    subject = new_subject(session, SubjectKind.REQUESTER, None)
    complaint = Complaint(
        id=uuid.uuid4(),
        reference=reference,
        status=ComplaintStatus.RECEIVED,
        channel=channel,
        received_on=received_on,
        acknowledge_by=complaint_acknowledge_by(received_on),
        description=description,
        request_id=request_id,
        request_reference_given=request_reference_given,
        breach_id=breach_id,
        breach_reference=breach_reference,
        subject_id=subject.id,
        purposes_mask=COMPLAINANT_MASK,
        lawful_basis=COMPLAINANT_BASIS,
        created_by=access.principal.subject,
    )
    _apply_complainant(complaint, complainant)
    if not access.permits(complaint):
        raise access.refuse(
            "the complaint would be outside the caller's reach", code="condition_not_met"
        )
    repository.add(complaint)
    await session.flush()
    access.record_change(
        "complaint.recorded",
        resource_id=complaint.id,
        subject_id=complaint.subject_id,
        details={
            "channel": channel.value,
            "received_on": received_on.isoformat(),
            "acknowledge_by": complaint.acknowledge_by.isoformat(),
            "request_id": str(request_id) if request_id else None,
            "request_reference_given": request_reference_given is not None,
            "breach_linked": breach_reference is not None,
        },
    )
    access.touched(subject_ids=[complaint.subject_id], resource_id=complaint.id)
    return complaint


async def create_complaint(
    session: AsyncSession, access: Access, *, data: ComplaintCreate
) -> ComplaintView:
    """Record a complaint received by post, email, telephone or in person. It is acknowledged
    separately (``acknowledge``), by ``acknowledge_by``."""
    if data.received_on > access.today:
        raise _refuse("/received_on", "This date is in the future.", "in_future")
    if data.request_id is not None:
        await _check_request(access, ComplaintRepository(session), data.request_id)
    breach_id, breach_reference = await resolve_link(
        session, access, breach_id=data.breach_id, breach_reference=data.breach_reference
    )
    complaint = await record_complaint(
        session,
        access,
        channel=RequestChannel(data.channel.value),
        received_on=data.received_on,
        complainant=data.complainant,
        description=data.description,
        request_id=data.request_id,
        breach_id=breach_id,
        breach_reference=breach_reference,
    )
    return ComplaintView(complaint)


async def get_complaint(
    session: AsyncSession, access: Access, *, complaint_id: uuid.UUID
) -> ComplaintView:
    return await _view(session, await load_complaint(session, access, complaint_id))


async def list_complaints(
    session: AsyncSession, access: Access, *, query: ComplaintQuery, page: PageRequest
) -> tuple[list[Complaint], str | None]:
    found, next_cursor = await ComplaintRepository(session).page(
        query, page, visible=access.filter(), today=access.today
    )
    access.touched(subject_ids=[complaint.subject_id for complaint in found])
    return found, next_cursor


async def update_complaint(
    session: AsyncSession,
    access: Access,
    *,
    complaint_id: uuid.UUID,
    data: ComplaintPatch,
    if_match: IfMatch,
) -> ComplaintView:
    """Amend an open complaint (If-Match; 409 once closed): the complainant's details, and
    the subject request or breach it is linked to (null unlinks)."""
    complaint = await load_complaint(session, access, complaint_id, for_update=True)
    if_match.require(complaint_etag(complaint))
    _open(complaint)
    changes = data.changes()
    if not changes:
        return await _view(session, complaint)
    repository = ComplaintRepository(session)
    if data.complainant is not None:
        _apply_complainant(complaint, data.complainant)
    if "request_id" in changes:
        if data.request_id is not None and data.request_id != complaint.request_id:
            await _check_request(access, repository, data.request_id)
        complaint.request_id = data.request_id
    if {"breach_id", "breach_reference"} & changes.keys():
        complaint.breach_id, complaint.breach_reference = await resolve_link(
            session, access, breach_id=data.breach_id, breach_reference=data.breach_reference
        )
    complaint.updated_at = access.now
    await session.flush()
    access.record_change(
        "complaint.amended",
        resource_id=complaint.id,
        subject_id=complaint.subject_id,
        details={
            "fields": ",".join(sorted(changes)),
            "request_id": str(complaint.request_id) if complaint.request_id else None,
            "breach_id": str(complaint.breach_id) if complaint.breach_id else None,
        },
    )
    return await _view(session, complaint)


def acknowledge_now(
    session: AsyncSession,
    access: Access,
    complaint: Complaint,
    *,
    channel: ResponseChannel | None,
    template_ids: Mapping[str, uuid.UUID],
) -> QueuedMessage:
    """Acknowledge a complaint not yet acknowledged: queue the acknowledgement with its
    reference, record when, and keep it among what the complainant was told."""
    how = _channel(complaint, channel)
    queued = _tell(
        session,
        access,
        complaint,
        "complaint_acknowledgement",
        {"complaint_reference": complaint.reference},
        template_ids,
        channel=how,
        pointer="/channel" if channel is not None else "/complainant",
    )
    complaint.status = ComplaintStatus.ACKNOWLEDGED
    complaint.acknowledged_at = access.now
    complaint.acknowledgement_message_id = queued.id
    complaint.updated_at = access.now
    _told(session, access, complaint, ACKNOWLEDGEMENT, f"Acknowledged by {how.value}.", queued)
    access.record_change(
        "complaint.acknowledged",
        resource_id=complaint.id,
        subject_id=complaint.subject_id,
        details={
            "message_id": str(queued.id),
            "channel": how.value,
            "on_time": access.today <= complaint.acknowledge_by,
        },
    )
    return queued


async def acknowledge(
    session: AsyncSession,
    access: Access,
    *,
    complaint_id: uuid.UUID,
    data: ComplaintAcknowledgementCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> ComplaintView:
    """Acknowledge the complaint (If-Match), once: a second acknowledgement is refused."""
    complaint = await load_complaint(session, access, complaint_id, for_update=True)
    if_match.require(complaint_etag(complaint))
    _open(complaint)
    if complaint.acknowledged_at is not None:
        raise Conflict(
            f"The complaint was acknowledged on {complaint.acknowledged_at.date()}: it is "
            "acknowledged once. Tell the complainant of progress with a progress update.",
            extra={"rule": "complaint_acknowledged_once", "source": COMPLAINTS_SOURCE},
        )
    queued = acknowledge_now(
        session, access, complaint, channel=data.channel, template_ids=template_ids
    )
    await session.flush()
    return await _view(session, complaint, [queued])


async def tell_progress(
    session: AsyncSession,
    access: Access,
    *,
    complaint_id: uuid.UUID,
    data: ComplaintProgressCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> ComplaintView:
    """Tell the complainant how their complaint is progressing (If-Match; s164A(4)), once it
    has been acknowledged."""
    complaint = await load_complaint(session, access, complaint_id, for_update=True)
    if_match.require(complaint_etag(complaint))
    _open(complaint)
    if complaint.acknowledged_at is None:
        raise Conflict(
            "The complaint has not been acknowledged: acknowledge it first (the "
            "acknowledgement gives the complainant their reference).",
            extra={"rule": "complaint_acknowledged_first", "source": COMPLAINTS_SOURCE},
        )
    queued = _tell(
        session,
        access,
        complaint,
        "complaint_progress",
        {"complaint_reference": complaint.reference, "update": data.update},
        template_ids,
        channel=_channel(complaint, data.channel),
        pointer="/channel" if data.channel is not None else "/complainant",
    )
    update = _told(session, access, complaint, PROGRESS, data.update, queued)
    complaint.updated_at = access.now
    await session.flush()
    access.record_change(
        "complaint.progress_told",
        resource_id=complaint.id,
        subject_id=complaint.subject_id,
        details={
            "update_id": str(update.id),
            "message_id": str(queued.id),
            "channel": queued.channel.value,
        },
    )
    return await _view(session, complaint, [queued])


async def close(
    session: AsyncSession,
    access: Access,
    *,
    complaint_id: uuid.UUID,
    data: ComplaintClosureCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> ComplaintView:
    """Close the complaint with its outcome and tell the complainant (If-Match; s164A(4))."""
    complaint = await load_complaint(session, access, complaint_id, for_update=True)
    if_match.require(complaint_etag(complaint))
    _open(complaint)
    queued = _tell(
        session,
        access,
        complaint,
        "complaint_outcome",
        {"complaint_reference": complaint.reference, "outcome": data.reasons},
        template_ids,
        channel=_channel(complaint, data.channel),
        pointer="/channel" if data.channel is not None else "/complainant",
    )
    _told(session, access, complaint, OUTCOME, data.reasons, queued)
    was_acknowledged = complaint.acknowledged_at is not None
    complaint.status = ComplaintStatus.CLOSED
    complaint.outcome = data.outcome
    complaint.outcome_reasons = data.reasons
    complaint.closed_at = access.now
    complaint.closed_by = access.principal.subject
    complaint.updated_at = access.now
    await session.flush()
    access.record_change(
        "complaint.closed",
        resource_id=complaint.id,
        subject_id=complaint.subject_id,
        details={
            "outcome": data.outcome.value,
            "message_id": str(queued.id),
            "channel": queued.channel.value,
            "was_acknowledged": was_acknowledged,
        },
    )
    return await _view(session, complaint, [queued])
