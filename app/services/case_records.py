"""What officers record on a case: notes and contacts on its chronology, meetings (and the
invitations to them), attendance contracts, and the messages sent on it.

Every part is reached through its case (``load_case``: the case's decision says whether the
caller may see it, a 404 otherwise), every change writes a chronology entry and an audit
change in the request's transaction, and a refused request writes nothing: the checks run
before the first write, and the request rolls back on any error after it.

Chronology entries are never edited: a correction is a new entry naming the one it corrects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.cases import (
    AttendanceContract,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseMeeting,
    ContractStatus,
    MeetingKind,
)
from app.models.messages import MessageStatus, OutboundMessage
from app.policies import Access
from app.policies.guard import local_today
from app.repositories.case_records import (
    AttendanceContractRepository,
    CaseMeetingRepository,
    CaseMessageRepository,
)
from app.repositories.cases import CaseRepository
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.rules.calendar import LONDON
from app.schemas.case_records import (
    CaseEventCreate,
    ContractCreate,
    ContractUpdate,
    MeetingCreate,
    MeetingUpdate,
)
from app.services.case_letters import queue_case_message
from app.services.cases import add_event, load_case, require_open
from app.services.concurrency import IfMatch, etag_for

#: A timestamp this far ahead of the server's clock is still "now" (a client's clock runs a
#: little fast); anything later is in the future.
CLOCK_ALLOWANCE = timedelta(minutes=2)

#: The meetings about a suspension or permanent exclusion that statutory guidance makes the
#: local authority's attendance at a matter of record (DfE, *Suspension and permanent
#: exclusion from maintained schools, academies and pupil referral units in England*, 2024:
#: the governing board's consideration of reinstatement, and the independent review panel).
STATUTORY_EXCLUSION_MEETINGS = frozenset(
    {MeetingKind.GOVERNING_BOARD, MeetingKind.INDEPENDENT_REVIEW_PANEL}
)

INVITATION = "meeting_invitation"

Problem = dict[str, str]


def event_etag(event: CaseEvent) -> str:
    """Entries never change: the ETag names the entry itself."""
    return etag_for(event.id, 1, event.recorded_at)


def meeting_etag(meeting: CaseMeeting) -> str:
    return etag_for(meeting.id, meeting.version, meeting.created_at)


def contract_etag(contract: AttendanceContract) -> str:
    return etag_for(contract.id, contract.version, contract.created_at)


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ValidationFailed(f"{len(problems)} field(s) failed validation.", errors=problems)


def _day_problems(
    case: Case, day: date, pointer: str, *, today: date, future_allowed: bool = False
) -> list[Problem]:
    """A day on the case: not before it opened, and (unless allowed) not after today."""
    if not future_allowed and day > today:
        return [body_problem(pointer, "is in the future", "future")]
    if day < case.opened_on:
        return [body_problem(pointer, "is before the case opened", "too_early")]
    return []


def _party_problems(case: Case, carer_ids: Iterable[uuid.UUID], pointer: str) -> list[Problem]:
    """Each carer must be a current party of the case."""
    parties = {p.carer_id for p in case.parties if p.removed_at is None}
    return [
        body_problem(f"{pointer}/{index}", "not a party to this case", "not_a_party")
        for index, carer_id in enumerate(carer_ids)
        if carer_id not in parties
    ]


def _ids(values: Iterable[uuid.UUID]) -> list[str]:
    return [str(v) for v in dict.fromkeys(values)]


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


# --- the chronology ------------------------------------------------------------------------


async def list_events(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    kind: CaseEventKind | None,
    page: PageRequest,
) -> tuple[list[CaseEvent], str | None]:
    """The case's chronology in the order things happened (then by id), optionally one kind."""
    case = await load_case(session, access, case_id)
    kinds = None if kind is None else {kind.value}
    return await CaseRepository(session).events_page(case.id, page, kinds=kinds)


async def get_event(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, event_id: uuid.UUID
) -> CaseEvent:
    case = await load_case(session, access, case_id)
    event = await CaseRepository(session).event(case.id, event_id)
    if event is None:
        raise access.not_found(event_id, "No entry with that id on this case.")
    return event


async def record_event(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, data: CaseEventCreate
) -> CaseEvent:
    """Record a note or a contact on the chronology. 422 for a time in the future or before
    the case opened, or a correction of an entry the case does not have."""
    case = await load_case(session, access, case_id)
    require_open(case)
    problems: list[Problem] = []
    if data.occurred_at > access.now + CLOCK_ALLOWANCE:
        problems.append(body_problem("/occurred_at", "is in the future", "future"))
    elif local_today(data.occurred_at) < case.opened_on:
        problems.append(body_problem("/occurred_at", "is before the case opened", "too_early"))
    if data.corrects_id is not None:
        corrected = await CaseRepository(session).event(case.id, data.corrects_id)
        if corrected is None:
            problems.append(
                body_problem("/corrects_id", "no such entry on this case", "unknown_entry")
            )
    _refuse(problems)
    event = add_event(
        session,
        case,
        CaseEventKind(data.kind.value),
        by=access.principal.subject,
        now=access.now,
        occurred_at=_utc(data.occurred_at),
        text=data.text,
        corrects_id=data.corrects_id,
    )
    await session.flush()
    access.record_change(
        "case.event_recorded",
        resource_id=event.id,
        subject_id=case.subject_id,
        details={
            "case_id": str(case.id),
            "kind": event.kind.value,
            "corrects_id": str(data.corrects_id) if data.corrects_id else None,
        },
    )
    return event


# --- meetings --------------------------------------------------------------------------------


async def list_meetings(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, page: PageRequest
) -> tuple[list[CaseMeeting], str | None]:
    case = await load_case(session, access, case_id)
    return await CaseMeetingRepository(session).page(case.id, page)


async def _meeting_of(
    session: AsyncSession, access: Access, case: Case, meeting_id: uuid.UUID
) -> CaseMeeting:
    meeting = await CaseMeetingRepository(session).get(case.id, meeting_id)
    if meeting is None:
        raise access.not_found(meeting_id, "No meeting with that id on this case.")
    return meeting


async def get_meeting(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, meeting_id: uuid.UUID
) -> CaseMeeting:
    case = await load_case(session, access, case_id)
    return await _meeting_of(session, access, case, meeting_id)


async def schedule_meeting(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    data: MeetingCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> CaseMeeting:
    """Arrange a meeting with the case's parties; with ``send_invitations``, queue the
    invitation to each invited party in the same transaction (each on the chronology)."""
    case = await load_case(session, access, case_id)
    require_open(case)
    invited = list(dict.fromkeys(data.invited_carer_ids))
    problems = _party_problems(case, data.invited_carer_ids, "/invited_carer_ids")
    problems += _day_problems(
        case,
        local_today(data.scheduled_for),
        "/scheduled_for",
        today=access.today,
        future_allowed=True,
    )
    if data.send_invitations:
        if not invited:
            problems.append(
                body_problem("/invited_carer_ids", "invitations need someone to invite", "missing")
            )
        if data.location is None:
            problems.append(body_problem("/location", "invitations need a venue", "missing"))
        if data.scheduled_for <= access.now:
            problems.append(
                body_problem("/scheduled_for", "invitations are for a meeting to come", "past")
            )
    _refuse(problems)
    meeting = CaseMeeting(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=data.kind,
        scheduled_for=_utc(data.scheduled_for),
        location=data.location,
        invited_carer_ids=_ids(invited),
        recorded_by=access.principal.subject,
        created_at=access.now,
        updated_at=access.now,
    )
    CaseMeetingRepository(session).add(meeting)
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.MEETING,
        by=access.principal.subject,
        now=access.now,
        details={
            "meeting_id": str(meeting.id),
            "change": "scheduled",
            "meeting_kind": meeting.kind.value,
            "scheduled_for": meeting.scheduled_for.isoformat(),
        },
    )
    access.record_change(
        "case.meeting_scheduled",
        resource_id=meeting.id,
        subject_id=case.subject_id,
        details={"case_id": str(case.id), "kind": meeting.kind.value},
    )
    if data.send_invitations:
        await _invite(session, access, case, meeting, invited, data, template_ids)
    return meeting


async def _invite(
    session: AsyncSession,
    access: Access,
    case: Case,
    meeting: CaseMeeting,
    invited: list[uuid.UUID],
    data: MeetingCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> list[OutboundMessage]:
    pupil = await PupilRepository(session).get(case.pupil_id)
    if pupil is None:  # a case names its pupil (foreign key)
        raise ValueError(f"case {case.id} names no pupil")
    local = data.scheduled_for.astimezone(LONDON)
    personalisation = {
        "pupil_first_name": pupil.preferred_forename or pupil.legal_forename,
        "meeting_date": local.date().isoformat(),
        "meeting_time": local.strftime("%H:%M"),
        "venue": meeting.location,
    }
    return [
        await queue_case_message(
            session,
            access,
            case,
            carer_id=carer_id,
            message_type=INVITATION,
            personalisation=personalisation,
            template_ids=template_ids,
            channel=data.channel,
            pointer=f"/invited_carer_ids/{index}",
        )
        for index, carer_id in enumerate(invited)
    ]


async def update_meeting(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    meeting_id: uuid.UUID,
    changes: MeetingUpdate,
    if_match: IfMatch,
) -> CaseMeeting:
    """Rearrange a meeting, record that it was held (who came, what was agreed), or cancel
    it, with ``If-Match``. A cancelled meeting changes no more (409)."""
    case = await load_case(session, access, case_id)
    meeting = await _meeting_of(session, access, case, meeting_id)
    if_match.require(meeting_etag(meeting))
    require_open(case)
    fields = changes.changes()
    if not fields:
        return meeting
    if meeting.cancelled_at is not None:
        raise Conflict("The meeting was cancelled; it changes no more.")
    cancelling = fields.get("cancelled") is True
    held_on: date | None = fields.get("held_on", meeting.held_on)
    if cancelling and held_on is not None:
        raise Conflict("The meeting was held; it cannot be cancelled.")

    problems: list[Problem] = []
    if changes.scheduled_for is not None:
        problems += _day_problems(
            case,
            local_today(changes.scheduled_for),
            "/scheduled_for",
            today=access.today,
            future_allowed=True,
        )
    if changes.invited_carer_ids is not None:
        problems += _party_problems(case, changes.invited_carer_ids, "/invited_carer_ids")
    if changes.attended_carer_ids is not None:
        problems += _party_problems(case, changes.attended_carer_ids, "/attended_carer_ids")
    if changes.held_on is not None:
        problems += _day_problems(case, changes.held_on, "/held_on", today=access.today)
    for name in ("attended_carer_ids", "officer_attended"):
        if name in fields and held_on is None:
            problems.append(body_problem(f"/{name}", "record when it was held first", "missing"))
    officer_attended = fields.get("officer_attended", meeting.officer_attended)
    statutory = meeting.kind in STATUTORY_EXCLUSION_MEETINGS
    if statutory and held_on is not None and officer_attended is None:
        problems.append(
            body_problem(
                "/officer_attended",
                "required once a governing board or review panel meeting is held",
                "missing",
            )
        )
    _refuse(problems)

    if changes.scheduled_for is not None:
        meeting.scheduled_for = _utc(changes.scheduled_for)
    if changes.location is not None:
        meeting.location = changes.location
    if changes.invited_carer_ids is not None:
        meeting.invited_carer_ids = _ids(changes.invited_carer_ids)
    if changes.attended_carer_ids is not None:
        meeting.attended_carer_ids = _ids(changes.attended_carer_ids)
    if changes.officer_attended is not None:
        meeting.officer_attended = changes.officer_attended
    if changes.held_on is not None:
        meeting.held_on = changes.held_on
    if changes.notes is not None:
        meeting.notes = changes.notes
    if changes.agreed_actions is not None:
        meeting.agreed_actions = [a.model_dump(mode="json") for a in changes.agreed_actions]
    if cancelling:
        meeting.cancelled_at = access.now
    meeting.updated_at = access.now
    await session.flush()

    change = "cancelled" if cancelling else "held" if "held_on" in fields else "updated"
    details: dict[str, Any] = {
        "meeting_id": str(meeting.id),
        "change": change,
        "fields": sorted(fields),
    }
    if meeting.held_on is not None:
        details["held_on"] = meeting.held_on.isoformat()
    add_event(
        session,
        case,
        CaseEventKind.MEETING,
        by=access.principal.subject,
        now=access.now,
        details=details,
    )
    access.record_change(
        f"case.meeting_{change}",
        resource_id=meeting.id,
        subject_id=case.subject_id,
        details={"case_id": str(case.id), "kind": meeting.kind.value},
    )
    return meeting


# --- attendance contracts ----------------------------------------------------------------------


async def list_contracts(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, page: PageRequest
) -> tuple[list[AttendanceContract], str | None]:
    case = await load_case(session, access, case_id)
    return await AttendanceContractRepository(session).page(case.id, page)


async def _contract_of(
    session: AsyncSession, access: Access, case: Case, contract_id: uuid.UUID
) -> AttendanceContract:
    contract = await AttendanceContractRepository(session).get(case.id, contract_id)
    if contract is None:
        raise access.not_found(contract_id, "No attendance contract with that id on this case.")
    return contract


async def get_contract(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, contract_id: uuid.UUID
) -> AttendanceContract:
    case = await load_case(session, access, case_id)
    return await _contract_of(session, access, case, contract_id)


def _already_active(existing: AttendanceContract) -> Conflict:
    return Conflict(
        "The case has an active attendance contract already: end it (completed, broken or "
        "ended) before agreeing another.",
        extra={"active_contract_id": str(existing.id)},
    )


async def agree_contract(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, data: ContractCreate
) -> AttendanceContract:
    """Record an attendance contract the parents agreed (DfE, *Working together to improve
    school attendance*, 2024: a voluntary written agreement with a review). One active
    contract per case: a second is a 409 naming the active one."""
    # Locked: two contracts agreed at once are served one after the other.
    case = await load_case(session, access, case_id, for_update=True)
    require_open(case)
    problems = _day_problems(case, data.agreed_on, "/agreed_on", today=access.today)
    if data.review_on < data.agreed_on:
        problems.append(body_problem("/review_on", "is before agreed_on", "date_order"))
    problems += _party_problems(case, data.carer_ids, "/carer_ids")
    _refuse(problems)
    repository = AttendanceContractRepository(session)
    existing = await repository.active(case.id)
    if existing is not None:
        raise _already_active(existing)
    contract = AttendanceContract(
        id=uuid.uuid4(),
        case_id=case.id,
        agreed_on=data.agreed_on,
        review_on=data.review_on,
        carer_ids=_ids(data.carer_ids),
        actions=[a.model_dump(mode="json") for a in data.actions],
        status=ContractStatus.ACTIVE,
        recorded_by=access.principal.subject,
        created_at=access.now,
        updated_at=access.now,
    )
    repository.add(contract)
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.ATTENDANCE_CONTRACT,
        by=access.principal.subject,
        now=access.now,
        details={
            "contract_id": str(contract.id),
            "change": "agreed",
            "agreed_on": contract.agreed_on.isoformat(),
            "review_on": contract.review_on.isoformat(),
        },
    )
    access.record_change(
        "case.contract_agreed",
        resource_id=contract.id,
        subject_id=case.subject_id,
        details={"case_id": str(case.id)},
    )
    return contract


async def update_contract(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    contract_id: uuid.UUID,
    changes: ContractUpdate,
    if_match: IfMatch,
) -> AttendanceContract:
    """Move an active contract's review, change its actions, or end it, with ``If-Match``.
    An ended contract changes no more (409)."""
    case = await load_case(session, access, case_id, for_update=True)
    contract = await _contract_of(session, access, case, contract_id)
    if_match.require(contract_etag(contract))
    require_open(case)
    fields = changes.changes()
    if not fields:
        return contract
    if contract.status is not ContractStatus.ACTIVE:
        raise Conflict(f"The contract is {contract.status.value}; it changes no more.")
    ending = changes.status is not None and changes.status is not ContractStatus.ACTIVE
    problems: list[Problem] = []
    if changes.review_on is not None and changes.review_on < contract.agreed_on:
        problems.append(
            body_problem("/review_on", "is before the contract was agreed", "date_order")
        )
    ended_on = changes.ended_on or access.today
    if changes.ended_on is not None and not ending:
        problems.append(
            body_problem("/status", "ended_on needs a status that ends the contract", "missing")
        )
    elif ending:
        if ended_on > access.today:
            problems.append(body_problem("/ended_on", "is in the future", "future"))
        elif ended_on < contract.agreed_on:
            problems.append(
                body_problem("/ended_on", "is before the contract was agreed", "date_order")
            )
    _refuse(problems)

    if changes.review_on is not None:
        contract.review_on = changes.review_on
    if changes.actions is not None:
        contract.actions = [a.model_dump(mode="json") for a in changes.actions]
    if ending and changes.status is not None:
        contract.status = changes.status
        contract.ended_on = ended_on
    contract.updated_at = access.now
    await session.flush()

    change = contract.status.value if ending else "updated"
    details: dict[str, Any] = {
        "contract_id": str(contract.id),
        "change": change,
        "fields": sorted(fields),
    }
    if contract.ended_on is not None:
        details["ended_on"] = contract.ended_on.isoformat()
    add_event(
        session,
        case,
        CaseEventKind.ATTENDANCE_CONTRACT,
        by=access.principal.subject,
        now=access.now,
        details=details,
    )
    access.record_change(
        "case.contract_ended" if ending else "case.contract_updated",
        resource_id=contract.id,
        subject_id=case.subject_id,
        details={"case_id": str(case.id), "status": contract.status.value},
    )
    return contract


# --- messages sent on the case -------------------------------------------------------------------


async def list_messages(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    status: MessageStatus | None,
    page: PageRequest,
) -> tuple[list[OutboundMessage], str | None]:
    """The letters, texts and emails sent on the case, newest first, with what became of each
    (a letter Royal Mail sent back is ``returned``, with its date)."""
    case = await load_case(session, access, case_id)
    messages, next_cursor = await CaseMessageRepository(session).page(
        case.id,
        page,
        visible=access.visible_subjects(OutboundMessage.subject_id),
        status=status,
    )
    access.touched(subject_ids=[m.subject_id for m in messages])
    return messages, next_cursor
