"""Data-subject requests: recording them, their statutory clock, and closing them.

A request is recorded with its requester (a new data subject of kind ``requester``: the row
is their personal data, held under ``subject_rights`` on 6(1)(c)), the identifiers of the
person it is about, and, for a child subject, the competence judgement. Its clock is never
edited by hand: ``recompute_clock`` rebuilds it from the row and its clock events
(``app.rules.subject_rights``) after every change, and sets the start, the due date and the
status. Every letter or email goes through the Notify outbox in the same transaction, so a
refused request queues nothing. Closing an access request needs the response itself: the
released bundle's hash.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.messages import Channel
from app.models.subject_requests import (
    ChildCompetence,
    ClockEventKind,
    RequestChannel,
    RequesterKind,
    RequestOutcome,
    RequestRight,
    RequestStatus,
    ReviewOutcome,
    SubjectRequest,
    SubjectRequestClockEvent,
    SubjectRequestReview,
)
from app.models.subjects import SubjectKind
from app.policies import Access
from app.policies.registry import Purpose, purposes_mask
from app.repositories.pagination import PageRequest
from app.repositories.subject_requests import SubjectRequestQuery, SubjectRequestRepository
from app.rules.calendar import CalendarNotKnown
from app.rules.retention import birthday
from app.rules.subject_rights import (
    CLOCK_RULE_SOURCES,
    Clock,
    Pause,
    due_on,
    extension_deadline,
    extension_refusal,
    paused_days,
    started_on,
)
from app.schemas.subject_requests import (
    ChildCompetenceInput,
    ClockEventCreate,
    ClosureCreate,
    ExtensionCreate,
    RequesterDetails,
    ResponseChannel,
    ReviewCreate,
    ReviewDecisionCreate,
    SearchRecord,
    StaffChannel,
    SubjectDetails,
    SubjectRequestCreate,
    SubjectRequestUpdate,
)
from app.services.concurrency import IfMatch, etag_for
from app.services.outbox import Addressee, OutboxRefusal
from app.services.people import new_subject
from app.services.queued_messages import queue_about

NOT_FOUND = "No subject request with that id that you may see."
REVIEW_NOT_FOUND = "No review with that id on this request."

SUBJECT_RIGHTS = Purpose.SUBJECT_RIGHTS
#: A request's row is the requester's personal data, held to answer them (a legal obligation).
REQUESTER_MASK = purposes_mask({SUBJECT_RIGHTS})
REQUESTER_BASIS = "6(1)(c)"
#: The (EU) GDPR applied from this day and the Data Protection Act 2018 came into force with
#: it; a request received before it was under the Data Protection Act 1998 (40 days).
GDPR_APPLIED = date(2018, 5, 25)
#: Under 18 is a child (Children Act 1989 s105; ICO, "Children and the UK GDPR").
ADULTHOOD = 18
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

#: What the requester is told a closed request's outcome was (the response letter or email;
#: the detailed answer and its reasons go with the response itself).
OUTCOME_TOLD: dict[RequestOutcome, str] = {
    RequestOutcome.COMPLETED: "We have completed your request.",
    RequestOutcome.PARTLY_COMPLETED: "We have completed part of your request. Our response "
    "explains what we could not do and why.",
    RequestOutcome.REFUSED: "We cannot do what you asked. Our response explains why.",
    RequestOutcome.MANIFESTLY_UNFOUNDED: "We have refused your request as manifestly unfounded "
    "or excessive. Our response explains why.",
    RequestOutcome.WITHDRAWN: "Your request is closed because you withdrew it.",
    RequestOutcome.NO_DATA_HELD: "We do not hold personal information about the person your "
    "request is about.",
}
REVIEW_TOLD: dict[ReviewOutcome, str] = {
    ReviewOutcome.UPHELD: "We have reviewed our answer to your request. Our original answer "
    "stands.",
    ReviewOutcome.CHANGED: "We have reviewed our answer to your request and changed it. Our "
    "new response follows.",
}
#: Outcomes that answer the request, and so need the identity information asked for (telling
#: someone that no data is held about a person is an answer too).
ANSWERED = frozenset(
    {RequestOutcome.COMPLETED, RequestOutcome.PARTLY_COMPLETED, RequestOutcome.NO_DATA_HELD}
)
#: Outcomes that give an access request's data: the released bundle is the response.
BUNDLE_ANSWERS = frozenset({RequestOutcome.COMPLETED, RequestOutcome.PARTLY_COMPLETED})

EXTENSION_SOURCE = "UK GDPR Art 12(3); DPA 2018 s54(3A)-(3B)"
CLOCK_SOURCE = "UK GDPR Arts 12(3), 12A; DPA 2018 s54"


def request_etag(request: SubjectRequest) -> str:
    return etag_for(request.id, request.version, request.created_at)


def new_reference() -> str:
    """What the requester quotes: ``SR-`` and ten characters, random, never a count."""
    return "SR-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


async def load_request(
    session: AsyncSession, access: Access, request_id: uuid.UUID, *, for_update: bool = False
) -> SubjectRequest:
    """The request, if the caller may see it (else a recorded 404); the requester's subject id
    joins the request's audit event."""
    request = await SubjectRequestRepository(session).get(
        request_id, visible=access.filter(), for_update=for_update
    )
    if request is None:
        raise access.not_found(request_id, NOT_FOUND)
    access.touched(subject_ids=[request.subject_id], resource_id=request.id)
    return request


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    message_type: str
    channel: Channel
    id: uuid.UUID


@dataclass(slots=True)
class RequestView:
    """A request with the letters and emails this call queued for it."""

    request: SubjectRequest
    messages: list[QueuedMessage] = field(default_factory=list)


@dataclass(slots=True)
class ReviewView:
    review: SubjectRequestReview
    messages: list[QueuedMessage] = field(default_factory=list)


# --- the clock -----------------------------------------------------------------------------


def _in_order(events: Sequence[SubjectRequestClockEvent]) -> list[SubjectRequestClockEvent]:
    return sorted(events, key=lambda e: (e.on, e.recorded_at))


def clock_events_in_order(request: SubjectRequest) -> list[SubjectRequestClockEvent]:
    """The request's clock events in the order they happened."""
    return _in_order(request.clock_events)


def clock_of(
    request: SubjectRequest, events: Sequence[SubjectRequestClockEvent] | None = None
) -> Clock:
    """The request's clock as the rules see it: receipt, identity asked for and received,
    every clarification stop, and the extension. ``events`` defaults to the loaded ones."""
    identity_asked: date | None = None
    identity_received: date | None = None
    pauses: list[Pause] = []
    asked: date | None = None
    for event in _in_order(request.clock_events if events is None else events):
        if event.kind is ClockEventKind.IDENTITY_REQUESTED and identity_asked is None:
            identity_asked = event.on
        elif event.kind is ClockEventKind.IDENTITY_RECEIVED and identity_received is None:
            identity_received = event.on
        elif event.kind is ClockEventKind.CLARIFICATION_REQUESTED and asked is None:
            asked = event.on
        elif event.kind is ClockEventKind.CLARIFICATION_RECEIVED and asked is not None:
            pauses.append(Pause(asked, event.on))
            asked = None
    if asked is not None:
        pauses.append(Pause(asked))
    return Clock(
        received_on=request.received_on,
        identity_asked_on=identity_asked,
        identity_received_on=identity_received,
        pauses=tuple(pauses),
        extension_months=request.extension_months,
    )


def recompute_clock(
    request: SubjectRequest, events: Sequence[SubjectRequestClockEvent] | None = None
) -> Clock:
    """Rebuild the clock from the request and its events and store what follows from it: the
    rule, the day it started, the due date and (for an open request) the status. Raises
    ``CalendarNotKnown`` for a due date outside the years whose bank holidays are held."""
    clock = clock_of(request, events)
    request.clock_rule = clock.rule.value
    request.clock_started_on = started_on(clock)
    request.due_on = due_on(clock)
    if request.status is not RequestStatus.CLOSED:
        if request.clock_started_on is None:
            request.status = RequestStatus.AWAITING_IDENTITY
        elif any(p.answered_on is None for p in clock.pauses):
            request.status = RequestStatus.AWAITING_CLARIFICATION
        else:
            request.status = RequestStatus.IN_PROGRESS
    return clock


@dataclass(frozen=True, slots=True)
class ClockStop:
    asked_on: date
    answered_on: date | None
    days_not_counted: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class ClockView:
    """The clock as a read shows it."""

    clock: Clock
    source: str
    started_on: date | None
    due_on: date | None
    extension_decide_by: date | None
    stops: list[ClockStop]
    days_paused: int | None


def clock_view(request: SubjectRequest) -> ClockView:
    """The stored clock explained: each stop with the days it adds (the rules' own count,
    stop by stop). Reads the stored due date; computes nothing from the bank holidays."""
    clock = clock_of(request)
    notes = [
        e.note
        for e in _in_order(request.clock_events)
        if e.kind is ClockEventKind.CLARIFICATION_REQUESTED
    ]
    stops = [
        ClockStop(
            asked_on=pause.asked_on,
            answered_on=pause.answered_on,
            days_not_counted=paused_days(replace(clock, pauses=(pause,)))
            if pause.answered_on is not None
            else None,
            note=notes[index] if index < len(notes) else None,
        )
        for index, pause in enumerate(clock.pauses)
    ]
    return ClockView(
        clock=clock,
        source=CLOCK_RULE_SOURCES[clock.rule],
        started_on=request.clock_started_on,
        due_on=request.due_on,
        extension_decide_by=extension_deadline(clock),
        stops=stops,
        days_paused=paused_days(clock),
    )


def is_overdue(request: SubjectRequest, today: date) -> bool:
    """Open, and its due date has passed."""
    return (
        request.status is not RequestStatus.CLOSED
        and request.due_on is not None
        and request.due_on < today
    )


def closed_on_time(request: SubjectRequest) -> bool | None:
    """Closed on or before the due date (None while open, or where the clock never started)."""
    if request.closed_on is None or request.due_on is None:
        return None
    return request.closed_on <= request.due_on


def subject_is_child(details: Mapping[str, Any], received_on: date) -> bool | None:
    """Under 18 on the day the request was received (None without a date of birth)."""
    born = details.get("date_of_birth")
    if not born:
        return None
    born_on = born if isinstance(born, date) else date.fromisoformat(str(born))
    return received_on < birthday(born_on, ADULTHOOD)


def child_to_be_asked(request: SubjectRequest) -> bool:
    """A parent or representative asks about a competent child: the child is asked first."""
    return (
        request.child_competence is ChildCompetence.COMPETENT
        and request.requester_kind is not RequesterKind.SUBJECT
    )


def subject_name(details: Mapping[str, Any]) -> str:
    return " ".join(str(details[k]) for k in ("forename", "surname") if details.get(k))


# --- checks shared by recording and amending ----------------------------------------------


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _not_in_future(day: date, today: date, pointer: str) -> None:
    if day > today:
        raise _refuse(pointer, "This date is in the future.", "in_future")


def _open(request: SubjectRequest) -> None:
    if request.status is RequestStatus.CLOSED:
        raise Conflict(
            f"The request was closed on {request.closed_on}: it changes no more. An internal "
            "review is recorded at its reviews.",
            extra={"rule": "request_open", "source": "council practice"},
        )


def _check_authority(kind: RequesterKind, evidence: str | None) -> None:
    if kind is RequesterKind.SUBJECT and evidence is not None:
        raise _refuse(
            "/authority_evidence",
            "Evidence of authority is for a parent, carer or representative; the subject "
            "asks for themselves.",
            "authority_not_needed",
        )
    if kind is not RequesterKind.SUBJECT and evidence is None:
        raise _refuse(
            "/authority_evidence",
            "A request made for someone else needs the evidence of the requester's authority "
            "to make it (a letter of authority, a court order, parental responsibility).",
            "authority_evidence_required",
        )


Judgement = tuple[ChildCompetence, str | None]


def _judgement(given: ChildCompetenceInput | None) -> Judgement | None:
    return None if given is None else (ChildCompetence(given.judgement.value), given.reasons)


def _competence(
    details: Mapping[str, Any], received_on: date, given: Judgement | None
) -> Judgement | None:
    """The competence judgement to store: the one given for a child subject (422 when it is
    missing), ``not_a_child`` for an adult (422 when one is given). None: no date of birth."""
    child = subject_is_child(details, received_on)
    if child is None:
        return None
    if child and given is None:
        raise _refuse(
            "/child_competence",
            "The subject was under 18 on the day the request was received: record whether "
            "they are competent to make the request (or to be asked about it), with reasons.",
            "child_competence_required",
        )
    if not child and given is not None:
        raise _refuse(
            "/child_competence",
            "The subject was 18 or over on the day the request was received: no competence "
            "judgement is recorded for an adult.",
            "not_a_child",
        )
    return (ChildCompetence.NOT_A_CHILD, None) if given is None else given


def _apply_requester(request: SubjectRequest, requester: RequesterDetails) -> None:
    request.requester_kind = requester.kind
    request.requester_name = requester.name
    request.requester_email = requester.email
    request.requester_phone = requester.phone
    request.requester_address = (
        [*requester.address_lines, requester.postcode]
        if requester.address_lines is not None and requester.postcode is not None
        else None
    )


def _details(details: SubjectDetails) -> dict[str, Any]:
    return details.model_dump(mode="json")


def _search_record(access: Access, request: SubjectRequest, record: SearchRecord) -> dict[str, Any]:
    for index, place in enumerate(record.searched):
        pointer = f"/search_record/searched/{index}/searched_on"
        _not_in_future(place.searched_on, access.today, pointer)
        if place.searched_on < request.received_on:
            raise _refuse(
                pointer, "The search cannot be before the request was received.", "too_early"
            )
    return {
        **record.model_dump(mode="json"),
        "recorded_by": access.principal.subject,
        "recorded_at": access.now.isoformat(),
    }


def _judged(request: SubjectRequest, access: Access, judgement: Judgement | None) -> None:
    if judgement is None:
        request.child_competence = None
        request.child_competence_reasons = None
        request.child_competence_by = None
        return
    competence, reasons = judgement
    if (competence, reasons) != (request.child_competence, request.child_competence_reasons):
        request.child_competence_by = (
            access.principal.subject if competence is not ChildCompetence.NOT_A_CHILD else None
        )
    request.child_competence = competence
    request.child_competence_reasons = reasons


def _calendar_problem(exc: CalendarNotKnown, pointer: str) -> ValidationFailed:
    return _refuse(pointer, f"The due date cannot be computed: {exc}.", "calendar_not_known")


# --- letters and emails ----------------------------------------------------------------------


def _addressee(request: SubjectRequest, channel: Channel) -> Addressee:
    if channel is Channel.EMAIL:
        return Addressee(email=request.requester_email)
    return Addressee(address_lines=[request.requester_name, *(request.requester_address or [])])


def _default_channel(request: SubjectRequest) -> Channel:
    """Email where the requester gave an address for it, else a letter."""
    return Channel.EMAIL if request.requester_email else Channel.LETTER


def _tell(
    session: AsyncSession,
    access: Access,
    request: SubjectRequest,
    message_type: str,
    personalisation: Mapping[str, Any],
    template_ids: Mapping[str, uuid.UUID],
    *,
    channel: Channel | None = None,
    pointer: str = "/requester",
) -> QueuedMessage:
    """Queue a letter or email to the requester in this transaction (422 when Notify would
    refuse the address: the change is refused with it, so nothing is half done)."""
    channel = channel or _default_channel(request)
    try:
        message = queue_about(
            session,
            access,
            request,
            to=_addressee(request, channel),
            message_type=message_type,
            channel=channel,
            personalisation=personalisation,
            purpose=SUBJECT_RIGHTS,
            template_ids=template_ids,
            details={"subject_request_id": str(request.id)},
        )
    except OutboxRefusal as exc:
        detail = f"The {channel.value} to the requester cannot be sent: {exc}."
        raise _refuse(pointer, detail, "requester_message_refused") from None
    return QueuedMessage(message_type, channel, message.id)


def _acknowledge(
    session: AsyncSession,
    access: Access,
    request: SubjectRequest,
    template_ids: Mapping[str, uuid.UUID],
) -> QueuedMessage | None:
    """The acknowledgement with the due date, once there is one to tell."""
    if request.due_on is None or request.acknowledgement_message_id is not None:
        return None
    queued = _tell(
        session,
        access,
        request,
        "sar_acknowledgement",
        {"request_reference": request.reference, "due_date": request.due_on},
        template_ids,
    )
    request.acknowledgement_message_id = queued.id
    return queued


# --- use cases -------------------------------------------------------------------------------


def _check_received_on(received_on: date, today: date) -> None:
    _not_in_future(received_on, today, "/received_on")
    if received_on < GDPR_APPLIED:
        raise _refuse(
            "/received_on",
            "A request received before 25 May 2018 fell under the Data Protection Act 1998, "
            "not the UK GDPR and the Data Protection Act 2018.",
            "before_uk_gdpr",
        )


async def _check_school(
    repository: SubjectRequestRepository, channel: StaffChannel, urn: int | None
) -> None:
    if channel is StaffChannel.SCHOOL:
        if urn is None:
            raise _refuse(
                "/via_school_urn",
                "A request received through a school names the school.",
                "school_required",
            )
        if not await repository.school_exists(urn):
            raise _refuse("/via_school_urn", "No school has this URN.", "unknown_school")
    elif urn is not None:
        raise _refuse(
            "/via_school_urn",
            "Only a request received through a school (channel `school`) names one.",
            "only_for_school",
        )


def _check_identity(data: SubjectRequestCreate) -> None:
    if data.identity_required and data.identity_note is None:
        raise _refuse(
            "/identity_note",
            "Say what identity information is asked for, and why it is needed.",
            "identity_note_required",
        )
    if not data.identity_required and data.identity_note is not None:
        raise _refuse(
            "/identity_note",
            "Identity information is asked for only with `identity_required`.",
            "not_with_identity_required",
        )
    if data.identity_required and data.identity_method is not None:
        raise _refuse(
            "/identity_method",
            "Identity is not confirmed yet: record how it was confirmed when the information "
            "arrives (a clock event `identity_received`).",
            "not_with_identity_required",
        )


async def create_request(
    session: AsyncSession,
    access: Access,
    *,
    data: SubjectRequestCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> RequestView:
    """Record a request received by staff, start (or hold) its clock, and acknowledge it: the
    acknowledgement with the due date, or, where identity information is asked for, that
    request instead (no due date is told before the clock starts)."""
    repository = SubjectRequestRepository(session)
    _check_received_on(data.received_on, access.today)
    await _check_school(repository, data.channel, data.via_school_urn)
    _check_authority(data.requester.kind, data.authority_evidence)
    if data.authority_accepted and data.authority_evidence is None:
        raise _refuse(
            "/authority_accepted", "There is no evidence of authority to accept.", "no_evidence"
        )
    details = _details(data.subject_details)
    judgement = _competence(details, data.received_on, _judgement(data.child_competence))
    _check_identity(data)
    return await record_request(
        session,
        access,
        right=data.right,
        channel=RequestChannel(data.channel.value),
        received_on=data.received_on,
        via_school_urn=data.via_school_urn,
        description=data.description,
        requester=data.requester,
        authority_evidence=data.authority_evidence,
        authority_accepted=data.authority_accepted,
        subject_details=details,
        judgement=judgement,
        identity_note=data.identity_note if data.identity_required else None,
        identity_method=data.identity_method,
        assigned_to=data.assigned_to,
        template_ids=template_ids,
    )


# --- recording, shared by staff and the public form (``app.services.public_intake``) ------


async def record_request(
    session: AsyncSession,
    access: Access,
    *,
    right: RequestRight,
    channel: RequestChannel,
    received_on: date,
    description: str,
    requester: RequesterDetails,
    subject_details: dict[str, Any],
    judgement: Judgement | None,
    identity_note: str | None,
    template_ids: Mapping[str, uuid.UUID],
    via_school_urn: int | None = None,
    authority_evidence: str | None = None,
    authority_accepted: bool = False,
    identity_method: str | None = None,
    assigned_to: str | None = None,
) -> RequestView:
    """Record a request its channel has already checked, start (or hold) its clock, and
    acknowledge it. With ``identity_note`` the council asks for identity information (an
    ``identity_requested`` clock event on ``received_on``; the clock waits for it) and the
    requester is sent that request instead of an acknowledgement: no due date is told before
    the clock starts. Otherwise the acknowledgement with the due date is queued."""
    repository = SubjectRequestRepository(session)
    identity_required = identity_note is not None
    reference = new_reference()
    while await repository.reference_taken(reference):
        reference = new_reference()
    subject = new_subject(session, SubjectKind.REQUESTER, None)
    who = access.principal.subject
    request = SubjectRequest(
        id=uuid.uuid4(),
        reference=reference,
        right=right,
        channel=channel,
        status=RequestStatus.IN_PROGRESS,
        received_on=received_on,
        via_school_urn=via_school_urn,
        authority_evidence=authority_evidence,
        authority_accepted_by=who if authority_accepted else None,
        authority_accepted_at=access.now if authority_accepted else None,
        subject_details=subject_details,
        description=description,
        extension_months=0,
        assigned_to=assigned_to,
        subject_id=subject.id,
        purposes_mask=REQUESTER_MASK,
        lawful_basis=REQUESTER_BASIS,
        created_by=who,
        clock_events=[],
        matches=[],
    )
    _apply_requester(request, requester)
    _judged(request, access, judgement)
    if identity_required:
        request.clock_events.append(
            SubjectRequestClockEvent(
                id=uuid.uuid4(),
                request_id=request.id,
                kind=ClockEventKind.IDENTITY_REQUESTED,
                on=received_on,
                note=identity_note,
                recorded_by=who,
                recorded_at=access.now,
            )
        )
    elif identity_method is not None:
        request.identity_verified_at = access.now
        request.identity_verified_by = who
        request.identity_method = identity_method
    try:
        recompute_clock(request)
    except CalendarNotKnown as exc:
        raise _calendar_problem(exc, "/received_on") from None
    if not access.permits(request):
        raise access.refuse(
            "the request would be outside the caller's reach", code="condition_not_met"
        )
    repository.add(request)
    await session.flush()
    if identity_required:
        identity = _tell(
            session,
            access,
            request,
            "subject_request_identity",
            {"request_reference": request.reference},
            template_ids,
        )
        messages = [identity]
    else:
        acknowledgement = _acknowledge(session, access, request, template_ids)
        messages = [acknowledgement] if acknowledgement is not None else []
    await session.flush()
    access.record_change(
        "subject_request.recorded",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "right": request.right.value,
            "channel": request.channel.value,
            "requester_kind": request.requester_kind.value,
            "clock_rule": request.clock_rule,
            "identity_required": identity_required,
            "child_competence": request.child_competence.value
            if request.child_competence
            else None,
            "due_on": request.due_on.isoformat() if request.due_on else None,
        },
    )
    access.touched(subject_ids=[request.subject_id], resource_id=request.id)
    return RequestView(request, messages)


# --- end of the shared recording ----------------------------------------------------------


async def get_request(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID
) -> RequestView:
    return RequestView(await load_request(session, access, request_id))


async def list_requests(
    session: AsyncSession, access: Access, *, query: SubjectRequestQuery, page: PageRequest
) -> tuple[list[SubjectRequest], str | None]:
    found, next_cursor = await SubjectRequestRepository(session).page(
        query, page, visible=access.filter(), today=access.today
    )
    access.touched(subject_ids=[request.subject_id for request in found])
    return found, next_cursor


async def update_request(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    data: SubjectRequestUpdate,
    if_match: IfMatch,
) -> RequestView:
    """Amend an open request (If-Match; 409 once closed). The fields sent replace what is
    held; the whole is checked again (authority for someone else's request, competence for
    a child subject)."""
    request = await load_request(session, access, request_id, for_update=True)
    if_match.require(request_etag(request))
    _open(request)
    changes = data.changes()
    if not changes:
        return RequestView(request)
    if data.description is not None:
        request.description = data.description
    if data.requester is not None:
        _apply_requester(request, data.requester)
    if "authority_evidence" in changes and data.authority_evidence != request.authority_evidence:
        request.authority_evidence = data.authority_evidence
        request.authority_accepted_by = request.authority_accepted_at = None
    _check_authority(request.requester_kind, request.authority_evidence)
    if data.authority_accepted is True:
        if request.authority_evidence is None:
            raise _refuse(
                "/authority_accepted", "There is no evidence of authority to accept.", "no_evidence"
            )
        request.authority_accepted_by = access.principal.subject
        request.authority_accepted_at = access.now
    elif data.authority_accepted is False:
        request.authority_accepted_by = request.authority_accepted_at = None
    if data.subject_details is not None:
        request.subject_details = _details(data.subject_details)
    if data.child_competence is not None or data.subject_details is not None:
        given = _judgement(data.child_competence)
        held = request.child_competence
        if (
            given is None
            and held not in (None, ChildCompetence.NOT_A_CHILD)
            and subject_is_child(request.subject_details, request.received_on)
        ):
            # A child's details were corrected: the judgement held still stands.
            given = (ChildCompetence(held), request.child_competence_reasons)
        _judged(request, access, _competence(request.subject_details, request.received_on, given))
    if "assigned_to" in changes:
        request.assigned_to = data.assigned_to
    if data.search_record is not None:
        request.search_record = _search_record(access, request, data.search_record)
    request.updated_at = access.now
    await session.flush()
    access.record_change(
        "subject_request.amended",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={"fields": ",".join(sorted(changes))},
    )
    return RequestView(request)


def _event_conflict(detail: str, rule: str) -> Conflict:
    return Conflict(detail, extra={"rule": rule, "source": CLOCK_SOURCE})


def _check_event(
    request: SubjectRequest,
    events: Sequence[SubjectRequestClockEvent],
    data: ClockEventCreate,
    on: date,
    today: date,
) -> None:
    """The event fits the request's clock: the right fields, in a possible order, dated in
    order."""
    kind = data.kind
    asking = (ClockEventKind.IDENTITY_REQUESTED, ClockEventKind.CLARIFICATION_REQUESTED)
    if kind in asking and data.note is None:
        what = (
            "what identity information is asked for and why"
            if kind is ClockEventKind.IDENTITY_REQUESTED
            else "why the clarification is needed to answer the request"
        )
        raise _refuse("/note", f"Say {what}.", "note_required")
    if kind is ClockEventKind.IDENTITY_RECEIVED and data.method is None:
        raise _refuse(
            "/method", "Say how identity was confirmed (no document numbers).", "method_required"
        )
    if kind is not ClockEventKind.IDENTITY_RECEIVED and data.method is not None:
        raise _refuse(
            "/method",
            "Only `identity_received` records how identity was confirmed.",
            "not_for_this_event",
        )
    kinds = [e.kind for e in events]
    clock = clock_of(request, events)
    clarification_open = any(p.answered_on is None for p in clock.pauses)
    if kind is ClockEventKind.IDENTITY_REQUESTED and ClockEventKind.IDENTITY_REQUESTED in kinds:
        raise _event_conflict(
            "Identity information was already asked for on this request; the clock starts "
            "when it arrives.",
            "identity_asked_once",
        )
    if kind is ClockEventKind.IDENTITY_RECEIVED:
        if ClockEventKind.IDENTITY_REQUESTED not in kinds:
            raise _event_conflict(
                "No identity information was asked for: record `identity_requested` first.",
                "identity_received_after_requested",
            )
        if ClockEventKind.IDENTITY_RECEIVED in kinds:
            raise _event_conflict(
                "The identity information asked for has already arrived.",
                "identity_received_once",
            )
    if kind is ClockEventKind.CLARIFICATION_REQUESTED and clarification_open:
        raise _event_conflict(
            "A clarification asked for is still awaited: record its answer before asking for "
            "another.",
            "one_clarification_at_a_time",
        )
    if kind is ClockEventKind.CLARIFICATION_RECEIVED and not clarification_open:
        raise _event_conflict(
            "No clarification is awaited: an answer is recorded only while one is open.",
            "clarification_received_while_open",
        )
    _not_in_future(on, today, "/on")
    if on < request.received_on:
        raise _refuse(
            "/on",
            f"The date is before the request was received ({request.received_on}).",
            "before_received",
        )
    latest = max((e.on for e in events), default=None)
    if latest is not None and on < latest:
        raise _refuse(
            "/on",
            f"The date is before the previous clock event ({latest}): record events in the "
            "order they happened.",
            "before_previous_event",
        )


async def record_clock_event(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    data: ClockEventCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> RequestView:
    """Record a stop or start of the clock (If-Match) and recompute the due date. Asking for
    identity or a clarification queues the letter or email that asks; identity arriving
    records how it was confirmed and sends the acknowledgement with the due date."""
    request = await load_request(session, access, request_id, for_update=True)
    if_match.require(request_etag(request))
    _open(request)
    on = data.on or access.today
    events = list(request.clock_events)
    _check_event(request, events, data, on, access.today)
    who = access.principal.subject
    event = SubjectRequestClockEvent(
        id=uuid.uuid4(),
        request_id=request.id,
        kind=data.kind,
        on=on,
        note=data.note,
        recorded_by=who,
        recorded_at=access.now,
    )
    request.clock_events.append(event)
    if data.kind is ClockEventKind.IDENTITY_RECEIVED:
        request.identity_verified_at = access.now
        request.identity_verified_by = who
        request.identity_method = data.method
    try:
        recompute_clock(request)
    except CalendarNotKnown as exc:
        raise _calendar_problem(exc, "/on") from None
    request.updated_at = access.now
    await session.flush()
    messages: list[QueuedMessage] = []
    reference = {"request_reference": request.reference}
    if data.kind is ClockEventKind.IDENTITY_REQUESTED:
        messages.append(
            _tell(session, access, request, "subject_request_identity", reference, template_ids)
        )
    elif data.kind is ClockEventKind.CLARIFICATION_REQUESTED:
        messages.append(
            _tell(
                session, access, request, "subject_request_clarification", reference, template_ids
            )
        )
    elif data.kind is ClockEventKind.IDENTITY_RECEIVED:
        acknowledgement = _acknowledge(session, access, request, template_ids)
        if acknowledgement is not None:
            messages.append(acknowledgement)
    await session.flush()
    access.record_change(
        f"subject_request.{data.kind.value}",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "event_id": str(event.id),
            "on": on.isoformat(),
            "status": request.status.value,
            "due_on": request.due_on.isoformat() if request.due_on else None,
        },
    )
    return RequestView(request, messages)


async def extend(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    data: ExtensionCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> RequestView:
    """Extend the time to respond by one or two further months (If-Match). Allowed only while
    the clock runs, decided and told within the first month (the letter goes today, so today
    must be within it too); once per request, except that a one-month extension may become
    two while the first month lasts. The requester is told the new due date and the reasons."""
    request = await load_request(session, access, request_id, for_update=True)
    if_match.require(request_etag(request))
    _open(request)
    today = access.today
    decided_on = data.decided_on or today
    _not_in_future(decided_on, today, "/decided_on")
    if request.extension_months >= data.months:
        raise Conflict(
            f"The request was already extended by {request.extension_months} month(s) on "
            f"{request.extension_decided_on}: an extension is decided once, and can only be "
            "raised from one month to two while the first month lasts.",
            extra={"rule": "extension_once", "source": EXTENSION_SOURCE},
        )
    clock = clock_of(request)
    start = started_on(clock)
    if start is None:
        raise Conflict(
            "The clock has not started: the identity information asked for has not arrived.",
            extra={"rule": "clock_started", "source": EXTENSION_SOURCE},
        )
    if extension_deadline(clock) is None:
        raise Conflict(
            "The clock is stopped while a clarification asked for is awaited: decide an "
            "extension once it has arrived (the stopped days do not count).",
            extra={"rule": "clock_running", "source": EXTENSION_SOURCE},
        )
    if decided_on < start:
        raise _refuse(
            "/decided_on",
            f"An extension cannot be decided before the clock started ({start}).",
            "before_clock_start",
        )
    refusal = extension_refusal(clock, data.months, decided_on) or extension_refusal(
        clock, data.months, today
    )
    if refusal is not None:
        raise Conflict(
            refusal,
            extra={
                "rule": "extension_within_first_month",
                "source": EXTENSION_SOURCE,
                "extension_decide_by": str(extension_deadline(clock)),
            },
        )
    request.extension_months = data.months
    request.extension_reasons = data.reasons
    request.extension_decided_on = decided_on
    request.extension_decided_by = access.principal.subject
    try:
        recompute_clock(request)
    except CalendarNotKnown as exc:
        raise _calendar_problem(exc, "/months") from None
    request.updated_at = access.now
    await session.flush()
    queued = _tell(
        session,
        access,
        request,
        "subject_request_extension",
        {
            "request_reference": request.reference,
            "due_date": request.due_on,
            "reasons": data.reasons,
        },
        template_ids,
    )
    request.extension_message_id = queued.id
    await session.flush()
    access.record_change(
        "subject_request.extended",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "months": data.months,
            "decided_on": decided_on.isoformat(),
            "due_on": request.due_on.isoformat() if request.due_on else None,
        },
    )
    return RequestView(request, [queued])


def _response_channel(request: SubjectRequest, channel: ResponseChannel) -> Channel:
    if channel is ResponseChannel.EMAIL and not request.requester_email:
        raise _refuse(
            "/response_channel",
            "No email address is held for the requester: send the response by letter, or "
            "record their email address first.",
            "no_email_address",
        )
    if channel is ResponseChannel.LETTER and not request.requester_address:
        raise _refuse(
            "/response_channel",
            "No postal address is held for the requester: send the response by email, or "
            "record their address first.",
            "no_postal_address",
        )
    return Channel(channel.value)


async def close(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    data: ClosureCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> RequestView:
    """Close the request with its outcome and send the response (If-Match). An answer
    (`completed`, `partly_completed`) needs the identity information asked for, and an access
    request's answer needs its bundle released: a closure without a response is refused."""
    request = await load_request(session, access, request_id, for_update=True)
    if_match.require(request_etag(request))
    _open(request)
    if data.outcome in ANSWERED:
        if request.status is RequestStatus.AWAITING_IDENTITY:
            raise Conflict(
                "The identity information asked for has not arrived: the request cannot be "
                "answered yet (close it as refused or withdrawn if it will not come).",
                extra={"rule": "identity_confirmed", "source": "UK GDPR Art 12(6); Art 12A"},
            )
        if (
            data.outcome in BUNDLE_ANSWERS
            and request.right is RequestRight.ACCESS
            and request.bundle_sha256 is None
        ):
            raise Conflict(
                "No access bundle has been released for this request: an access request is "
                "answered with the bundle (UK GDPR Art 15(3); DPA 2018 s45). Release it first, "
                "or close with another outcome and its reasons.",
                extra={"rule": "response_released", "source": "UK GDPR Art 15(3); DPA 2018 s45"},
            )
    channel = _response_channel(request, data.response_channel)
    request.status = RequestStatus.CLOSED
    request.outcome = data.outcome
    request.outcome_reasons = data.reasons
    request.closed_at = access.now
    request.closed_on = access.today
    request.closed_by = access.principal.subject
    request.updated_at = access.now
    await session.flush()
    queued = _tell(
        session,
        access,
        request,
        "subject_request_response",
        {"request_reference": request.reference, "outcome": OUTCOME_TOLD[data.outcome]},
        template_ids,
        channel=channel,
        pointer="/response_channel",
    )
    request.response_message_id = queued.id
    await session.flush()
    access.record_change(
        "subject_request.closed",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "outcome": data.outcome.value,
            "on_time": closed_on_time(request),
            "channel": channel.value,
        },
    )
    return RequestView(request, [queued])


# --- internal reviews ------------------------------------------------------------------------


async def list_reviews(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, page: PageRequest
) -> tuple[list[SubjectRequestReview], str | None]:
    request = await load_request(session, access, request_id)
    return await SubjectRequestRepository(session).review_page(request.id, page)


async def _review(
    session: AsyncSession,
    access: Access,
    request: SubjectRequest,
    review_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> SubjectRequestReview:
    review = await SubjectRequestRepository(session).review(
        request.id, review_id, for_update=for_update
    )
    if review is None:
        raise access.not_found(review_id, REVIEW_NOT_FOUND)
    return review


async def get_review(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, review_id: uuid.UUID
) -> ReviewView:
    request = await load_request(session, access, request_id)
    return ReviewView(await _review(session, access, request, review_id))


async def request_review(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, data: ReviewCreate
) -> ReviewView:
    """Record that the requester asked for an internal review of a closed request's answer."""
    request = await load_request(session, access, request_id)
    if request.status is not RequestStatus.CLOSED or request.closed_on is None:
        raise Conflict(
            "Only a closed request's answer is reviewed: this request is still open.",
            extra={"rule": "request_closed", "source": "council practice"},
        )
    requested_on = data.requested_on or access.today
    _not_in_future(requested_on, access.today, "/requested_on")
    if requested_on < request.closed_on:
        raise _refuse(
            "/requested_on",
            f"A review is asked for after the answer: the request was closed on "
            f"{request.closed_on}.",
            "before_closure",
        )
    review = SubjectRequestReview(
        id=uuid.uuid4(),
        request_id=request.id,
        requested_on=requested_on,
        grounds=data.grounds,
        recorded_by=access.principal.subject,
        recorded_at=access.now,
    )
    SubjectRequestRepository(session).add(review)
    await session.flush()
    access.record_change(
        "subject_request.review_requested",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={"review_id": str(review.id), "requested_on": requested_on.isoformat()},
    )
    return ReviewView(review)


async def decide_review(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    review_id: uuid.UUID,
    data: ReviewDecisionCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> ReviewView:
    """Record a review's outcome (once) and tell the requester."""
    request = await load_request(session, access, request_id)
    review = await _review(session, access, request, review_id, for_update=True)
    if review.outcome is not None:
        raise Conflict(
            f"The review was decided on {review.decided_on}: {review.outcome.value}.",
            extra={"rule": "review_decided_once", "source": "council practice"},
        )
    decided_on = data.decided_on or access.today
    _not_in_future(decided_on, access.today, "/decided_on")
    if decided_on < review.requested_on:
        raise _refuse(
            "/decided_on",
            f"The review was asked for on {review.requested_on}: it is decided after that.",
            "before_review_requested",
        )
    review.outcome = data.outcome
    review.outcome_reasons = data.reasons
    review.reviewed_by = access.principal.subject
    review.decided_on = decided_on
    await session.flush()
    queued = _tell(
        session,
        access,
        request,
        "subject_request_response",
        {"request_reference": request.reference, "outcome": REVIEW_TOLD[data.outcome]},
        template_ids,
    )
    access.record_change(
        "subject_request.review_decided",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={"review_id": str(review.id), "outcome": data.outcome.value},
    )
    return ReviewView(review, [queued])
