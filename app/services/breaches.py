"""The breach register (UK GDPR Arts 33 and 34): recording a personal data breach as soon as
the council is aware of it, the people and data it affects, its risk, what was done to contain
it, the decision on telling the Information Commissioner within 72 hours of awareness (with
the reasons for any delay, or for not telling), telling the people affected of a high-risk
breach through the Notify outbox (or the Art 34(3) exception relied on), and its closure.

Information governance alone keeps the register, under ``breach_management``. The register row
names no one; the people affected are ``BreachSubject`` rows, and every read names them in the
request's audit event. Each person affected is told at most once: the message queued for them
is kept on their row, so sending the notifications again queues only for people added since.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.breaches import (
    Breach,
    BreachContainmentAction,
    BreachOutcome,
    BreachStatus,
    BreachSubject,
    IcoDecision,
    IndividualsDecision,
    RiskLevel,
)
from app.models.licences import Person
from app.models.messages import Channel
from app.models.people import Carer, Pupil
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.breaches import BreachQuery, BreachRepository
from app.repositories.pagination import PageRequest
from app.rules.breaches import (
    ICO_SOURCE,
    INDIVIDUALS_SOURCE,
    assess_risk,
    ico_deadline,
    in_london,
    notified_late,
)
from app.schemas.breaches import (
    AffectedRecord,
    BreachClosureCreate,
    BreachCreate,
    BreachPatch,
    ContainmentActionCreate,
    IcoNotificationCreate,
    IndividualNotificationCreate,
)
from app.schemas.subject_requests import ResponseChannel
from app.services.concurrency import IfMatch, etag_for
from app.services.outbox import Addressee, OutboxRefusal
from app.services.queued_messages import queue_about
from app.services.subject_requests import QueuedMessage

NOT_FOUND = "No breach with that id that you may see."
BREACH_MANAGEMENT = Purpose.BREACH_MANAGEMENT
MESSAGE_TYPE = "breach_notification"

Record = Pupil | Carer | Person


def breach_etag(breach: Breach) -> str:
    return etag_for(breach.id, breach.version, breach.created_at)


def ico_overdue(breach: Breach, now: datetime) -> bool:
    """Not closed, no decision on telling the Commissioner, and the 72 hours have run."""
    return (
        breach.status is not BreachStatus.CLOSED
        and breach.ico_decision is None
        and breach.ico_deadline < now
    )


def deadline_local(breach: Breach) -> datetime:
    return in_london(breach.ico_deadline)


@dataclass(slots=True)
class BreachView:
    """A breach, the people it affects, what was done to contain it, and the messages this
    call queued."""

    breach: Breach
    subjects: list[BreachSubject] = field(default_factory=list)
    actions: list[BreachContainmentAction] = field(default_factory=list)
    messages: list[QueuedMessage] = field(default_factory=list)
    #: People affected who could not be told: no email or postal address is held for them.
    not_contactable: list[uuid.UUID] = field(default_factory=list)


async def load_breach(
    session: AsyncSession, access: Access, breach_id: uuid.UUID, *, for_update: bool = False
) -> Breach:
    breach = await BreachRepository(session).get(
        breach_id, visible=access.filter(), for_update=for_update
    )
    if breach is None:
        raise access.not_found(breach_id, NOT_FOUND)
    return breach


async def _view(
    session: AsyncSession,
    access: Access,
    breach: Breach,
    messages: list[QueuedMessage] | None = None,
) -> BreachView:
    """The breach with its parts; the people affected join the request's audit event."""
    repository = BreachRepository(session)
    subjects = await repository.subjects(breach.id)
    access.touched(subject_ids=[s.subject_id for s in subjects], resource_id=breach.id)
    return BreachView(breach, subjects, await repository.actions(breach.id), messages or [])


# --- checks ----------------------------------------------------------------------------------


def _refuse(pointer: str, detail: str, code: str, *, source: str | None = None) -> ValidationFailed:
    """A 422 naming the field; with ``source``, the statutory rule (by ``code``) too."""
    extra = {"rule": code, "source": source} if source is not None else None
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)], extra=extra)


def _not_closed(breach: Breach) -> None:
    if breach.status is BreachStatus.CLOSED:
        raise Conflict(
            "The breach is closed: its entry in the register changes no more.",
            extra={"rule": "breach_open", "source": "UK GDPR Art 33(5)"},
        )


def _not_future(value: datetime, now: datetime, pointer: str) -> None:
    if value > now:
        raise _refuse(pointer, "This time is in the future.", "in_future")


async def _affected(
    session: AsyncSession, access: Access, records: list[AffectedRecord], pointer: str
) -> list[tuple[AffectedRecord, Record]]:
    """Each record named, loaded through what breach management may see (422 naming the
    first unknown one)."""
    repository = BreachRepository(session)
    found = []
    for index, item in enumerate(records):
        visible = access.related_filter(item.record_type.value, "read")
        record = await repository.record(item.record_type, item.record_id, visible)
        if record is None:
            raise _refuse(
                f"{pointer}/{index}/record_id",
                f"No {item.record_type.value} with this id that you may see.",
                "unknown_breach_subject",
            )
        found.append((item, record))
    return found


def _assess(breach: Breach, data: BreachCreate | BreachPatch) -> None:
    if data.likelihood is not None and data.severity is not None:
        breach.likelihood = data.likelihood
        breach.severity = data.severity
        breach.risk = assess_risk(data.likelihood, data.severity)
        breach.risk_reasons = data.risk_reasons


async def _next_reference(repository: BreachRepository, aware_at: datetime) -> str:
    year = in_london(aware_at).year
    return f"BR-{year}-{await repository.last_number(year) + 1:04d}"


# --- use cases -------------------------------------------------------------------------------


async def create_breach(session: AsyncSession, access: Access, *, data: BreachCreate) -> BreachView:
    """Record a breach: its deadline is 72 hours after ``aware_at`` (Art 33(1))."""
    _not_future(data.aware_at, access.now, "/aware_at")
    repository = BreachRepository(session)
    affected = await _affected(session, access, data.subjects, "/subjects")
    aware_at = data.aware_at.astimezone(UTC)
    breach = Breach(
        id=uuid.uuid4(),
        reference="",
        status=BreachStatus.OPEN,
        aware_at=aware_at,
        occurred_at=data.occurred_at.astimezone(UTC) if data.occurred_at else None,
        description=data.description,
        data_categories=[c.value for c in data.data_categories],
        unidentified_count=data.unidentified_count,
        ico_deadline=ico_deadline(aware_at),
        created_by=access.principal.subject,
    )
    _assess(breach, data)
    # Two recordings of the same year at the same moment would take the same number: the
    # unique reference refuses the second (409), and it is sent again.
    breach.reference = await _next_reference(repository, aware_at)
    repository.add(breach)
    await session.flush()
    for item, record in affected:
        repository.add(
            BreachSubject(
                id=uuid.uuid4(),
                breach_id=breach.id,
                subject_id=record.subject_id,
                record_type=item.record_type,
                record_id=record.id,
            )
        )
    await session.flush()
    access.record_change(
        "breach.recorded",
        resource_id=breach.id,
        details={
            "reference": breach.reference,
            "aware_at": aware_at.isoformat(),
            "ico_deadline": breach.ico_deadline.isoformat(),
            "subjects": len(affected),
            "unidentified_count": breach.unidentified_count,
            "risk": breach.risk.value if breach.risk else None,
        },
    )
    return await _view(session, access, breach)


async def get_breach(session: AsyncSession, access: Access, *, breach_id: uuid.UUID) -> BreachView:
    return await _view(session, access, await load_breach(session, access, breach_id))


async def list_breaches(
    session: AsyncSession, access: Access, *, query: BreachQuery, page: PageRequest
) -> tuple[list[Breach], dict[uuid.UUID, list[uuid.UUID]], str | None]:
    repository = BreachRepository(session)
    found, next_cursor = await repository.page(query, page, visible=access.filter(), now=access.now)
    subjects = await repository.subjects_of([b.id for b in found])
    access.touched(subject_ids=[s for ids in subjects.values() for s in ids])
    return found, subjects, next_cursor


async def _replace_subjects(
    session: AsyncSession, access: Access, breach: Breach, records: list[AffectedRecord]
) -> None:
    """The people affected become ``records``; people already told stay on the register
    (409 when the list leaves one out)."""
    repository = BreachRepository(session)
    affected = await _affected(session, access, records, "/subjects")
    current = {s.subject_id: s for s in await repository.subjects(breach.id)}
    wanted = {record.subject_id: (item, record) for item, record in affected}
    told_dropped = [s for key, s in current.items() if key not in wanted and s.told_at is not None]
    if told_dropped:
        raise Conflict(
            "A person who has been told of the breach stays on its list of people affected.",
            extra={"rule": "breach_told_subject_kept", "source": INDIVIDUALS_SOURCE},
        )
    for key, subject in current.items():
        if key not in wanted:
            await session.delete(subject)
    for key, (item, record) in wanted.items():
        if key not in current:
            repository.add(
                BreachSubject(
                    id=uuid.uuid4(),
                    breach_id=breach.id,
                    subject_id=record.subject_id,
                    record_type=item.record_type,
                    record_id=record.id,
                )
            )


async def update_breach(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID,
    data: BreachPatch,
    if_match: IfMatch,
) -> BreachView:
    """Amend an open or contained breach (If-Match; 409 once closed)."""
    breach = await load_breach(session, access, breach_id, for_update=True)
    if_match.require(breach_etag(breach))
    _not_closed(breach)
    changes = data.changes()
    if not changes:
        return await _view(session, access, breach)
    aware_at = data.aware_at.astimezone(UTC) if data.aware_at is not None else breach.aware_at
    occurred_at = breach.occurred_at
    if "occurred_at" in changes:
        occurred_at = data.occurred_at.astimezone(UTC) if data.occurred_at else None
    if data.aware_at is not None:
        _not_future(aware_at, access.now, "/aware_at")
    if occurred_at is not None and occurred_at > aware_at:
        pointer = "/occurred_at" if "occurred_at" in changes else "/aware_at"
        raise _refuse(
            pointer,
            "The breach would have happened after the council became aware of it.",
            "occurred_after_awareness",
        )
    if (
        data.aware_at is not None
        and breach.ico_notified_at is not None
        and breach.ico_notified_at < aware_at
    ):
        raise _refuse(
            "/aware_at", "The Commissioner was told before this time.", "before_awareness"
        )
    if data.subjects is not None:
        await _replace_subjects(session, access, breach, data.subjects)
    if data.status is not None:
        breach.status = BreachStatus(data.status)
    if data.aware_at is not None:
        breach.aware_at = aware_at
        breach.ico_deadline = ico_deadline(aware_at)
    breach.occurred_at = occurred_at
    if data.description is not None:
        breach.description = data.description
    if data.data_categories is not None:
        breach.data_categories = [c.value for c in data.data_categories]
    if data.unidentified_count is not None:
        breach.unidentified_count = data.unidentified_count
    _assess(breach, data)
    if (
        breach.ico_decision is IcoDecision.NOT_NOTIFIED
        and breach.risk is not None
        and breach.risk is not RiskLevel.UNLIKELY
    ):
        # Reassessed as a risk: the decision not to notify no longer stands.
        breach.ico_decision = None
        breach.ico_decision_reasons = None
        breach.ico_decided_by = None
        breach.ico_decided_at = None
    breach.updated_at = access.now
    await session.flush()
    access.record_change(
        "breach.amended",
        resource_id=breach.id,
        details={
            "fields": ",".join(sorted(changes)),
            "status": breach.status.value,
            "risk": breach.risk.value if breach.risk else None,
            "ico_deadline": breach.ico_deadline.isoformat(),
        },
    )
    return await _view(session, access, breach)


async def add_containment_action(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID,
    data: ContainmentActionCreate,
    if_match: IfMatch,
) -> BreachView:
    breach = await load_breach(session, access, breach_id, for_update=True)
    if_match.require(breach_etag(breach))
    _not_closed(breach)
    _not_future(data.taken_at, access.now, "/taken_at")
    action = BreachContainmentAction(
        id=uuid.uuid4(),
        breach_id=breach.id,
        action=data.action,
        taken_at=data.taken_at.astimezone(UTC),
        taken_by=data.taken_by,
        recorded_by=access.principal.subject,
        recorded_at=access.now,
    )
    BreachRepository(session).add(action)
    breach.updated_at = access.now
    await session.flush()
    access.record_change(
        "breach.containment_recorded",
        resource_id=breach.id,
        details={"action_id": str(action.id), "taken_at": action.taken_at.isoformat()},
    )
    return await _view(session, access, breach)


async def record_ico_decision(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID,
    data: IcoNotificationCreate,
    if_match: IfMatch,
) -> BreachView:
    """Record that the Commissioner was told (late: with the reasons for the delay), or the
    decision not to tell them (only for a breach unlikely to result in a risk)."""
    breach = await load_breach(session, access, breach_id, for_update=True)
    if_match.require(breach_etag(breach))
    _not_closed(breach)
    if breach.ico_decision is IcoDecision.NOTIFIED:
        raise Conflict(
            "The Commissioner has been told of this breach already.",
            extra={"rule": "breach_ico_notified_once", "source": ICO_SOURCE},
        )
    if breach.risk is None:
        raise Conflict(
            "Assess the risk first (likelihood, severity and reasons): the decision follows "
            "from it.",
            extra={"rule": "breach_risk_assessed_first", "source": ICO_SOURCE},
        )
    if data.decision is IcoDecision.NOT_NOTIFIED:
        if breach.risk is not RiskLevel.UNLIKELY:
            raise _refuse(
                "/decision",
                f"The breach is assessed as {breach.risk.value}: only a breach unlikely to "
                "result in a risk need not be notified (UK GDPR Art 33(1)).",
                "ico_notification_required",
                source=ICO_SOURCE,
            )
        breach.ico_decision = IcoDecision.NOT_NOTIFIED
        breach.ico_decision_reasons = data.reasons
    else:
        notified_at = (data.notified_at or access.now).astimezone(UTC)
        _not_future(notified_at, access.now, "/notified_at")
        if notified_at < breach.aware_at:
            raise _refuse(
                "/notified_at",
                "The Commissioner cannot be told before the council became aware.",
                "before_awareness",
            )
        late = notified_late(breach.aware_at, notified_at)
        if late and data.late_reasons is None:
            raise _refuse(
                "/late_reasons",
                "The Commissioner was told more than 72 hours after the council became aware: "
                "give the reasons for the delay (UK GDPR Art 33(1)).",
                "ico_late_reasons_required",
                source=ICO_SOURCE,
            )
        breach.ico_decision = IcoDecision.NOTIFIED
        breach.ico_notified_at = notified_at
        breach.ico_reference = data.ico_reference
        breach.ico_late_reasons = data.late_reasons if late else None
        breach.ico_decision_reasons = None
    breach.ico_decided_by = access.principal.subject
    breach.ico_decided_at = access.now
    breach.updated_at = access.now
    await session.flush()
    access.record_change(
        "breach.ico_decided",
        resource_id=breach.id,
        details={
            "decision": data.decision.value,
            "notified_at": breach.ico_notified_at.isoformat() if breach.ico_notified_at else None,
            "late": notified_late(breach.aware_at, breach.ico_notified_at)
            if breach.ico_notified_at
            else None,
        },
    )
    return await _view(session, access, breach)


# --- telling the people affected (Art 34) ----------------------------------------------------


def _contact(record: Record, chosen: ResponseChannel | None) -> tuple[Channel, Addressee] | None:
    """How to reach the person: the channel asked for, else email where an address is held,
    else a letter; None where the council holds neither."""
    if isinstance(record, Pupil):
        # A pupil's letter goes to their home, for their parents or carers to read with them.
        name = f"The parent or carer of {record.legal_forename} {record.legal_surname}"
    elif isinstance(record, Person):
        name = f"{record.legal_forename} {record.legal_surname}"
    else:
        name = f"{record.forename} {record.surname}"
    has_letter = bool(record.address_lines) and record.postcode is not None
    letter = (
        Channel.LETTER,
        Addressee(address_lines=[name, *(record.address_lines or []), record.postcode or ""]),
    )
    email = (Channel.EMAIL, Addressee(email=record.email))
    if chosen is ResponseChannel.EMAIL:
        return email if record.email else None
    if chosen is ResponseChannel.LETTER:
        return letter if has_letter else None
    if record.email:
        return email
    return letter if has_letter else None


async def notify_individuals(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID,
    data: IndividualNotificationCreate,
    if_match: IfMatch,
    template_ids: Mapping[str, uuid.UUID],
) -> BreachView:
    """Tell the people affected by a high-risk breach (Art 34(1)), each once, or record the
    Art 34(3) exception relied on."""
    breach = await load_breach(session, access, breach_id, for_update=True)
    if_match.require(breach_etag(breach))
    _not_closed(breach)
    if breach.risk is not RiskLevel.HIGH_RISK:
        raise Conflict(
            "Only a breach assessed as a high risk to people's rights and freedoms is told to "
            "the people affected under Art 34; this one is "
            f"{breach.risk.value if breach.risk else 'not yet assessed'}.",
            extra={"rule": "art34_high_risk_only", "source": INDIVIDUALS_SOURCE},
        )
    repository = BreachRepository(session)
    if data.decision is IndividualsDecision.EXCEPTION:
        if breach.individuals_decision is IndividualsDecision.TOLD:
            raise Conflict(
                "The people affected have been told already.",
                extra={"rule": "breach_individuals_told", "source": INDIVIDUALS_SOURCE},
            )
        breach.individuals_decision = IndividualsDecision.EXCEPTION
        breach.individuals_exception = data.exception
        breach.individuals_reasons = data.reasons
        breach.individuals_decided_by = access.principal.subject
        breach.updated_at = access.now
        await session.flush()
        access.record_change(
            "breach.individuals_exception",
            resource_id=breach.id,
            details={"exception": data.exception.value if data.exception else None},
        )
        return await _view(session, access, breach)
    queued: list[QueuedMessage] = []
    not_contactable: list[uuid.UUID] = []
    assert data.what_happened and data.likely_consequences and data.measures_taken
    personalisation = {
        "breach_reference": breach.reference,
        "what_happened": data.what_happened,
        "likely_consequences": data.likely_consequences,
        "measures_taken": data.measures_taken,
    }
    for index, subject in enumerate(await repository.subjects(breach.id)):
        if subject.message_id is not None:
            continue  # told already: never twice
        visible = access.related_filter(subject.record_type.value, "read")
        record = await repository.record(subject.record_type, subject.record_id, visible)
        contact = _contact(record, data.channel) if record is not None else None
        if record is None or contact is None:
            not_contactable.append(subject.record_id)
            continue
        channel, to = contact
        try:
            message = queue_about(
                session,
                access,
                record,
                to=to,
                message_type=MESSAGE_TYPE,
                channel=channel,
                personalisation=personalisation,
                purpose=BREACH_MANAGEMENT,
                template_ids=template_ids,
                details={"breach_id": str(breach.id)},
                pupil_id=record.id if isinstance(record, Pupil) else None,
                carer_id=record.id if isinstance(record, Carer) else None,
            )
        except OutboxRefusal as exc:
            raise _refuse(
                "/channel" if data.channel is not None else f"/subjects/{index}",
                f"The {channel.value} to a person affected cannot be sent: {exc}.",
                "breach_message_refused",
            ) from None
        await session.flush()  # the message exists before the row that names it
        subject.message_id = message.id
        subject.told_at = access.now
        queued.append(QueuedMessage(MESSAGE_TYPE, channel, message.id))
    if breach.individuals_decision is not IndividualsDecision.TOLD or queued:
        breach.individuals_decision = IndividualsDecision.TOLD
        breach.individuals_exception = None
        breach.individuals_reasons = None
        breach.individuals_decided_by = access.principal.subject
        breach.individuals_told_at = breach.individuals_told_at or access.now
        breach.updated_at = access.now
        await session.flush()
        access.record_change(
            "breach.individuals_told",
            resource_id=breach.id,
            details={"queued": len(queued), "not_contactable": len(not_contactable)},
        )
    view = await _view(session, access, breach, queued)
    view.not_contactable = not_contactable
    return view


async def close_breach(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID,
    data: BreachClosureCreate,
    if_match: IfMatch,
) -> BreachView:
    """Close the breach with its outcome: a confirmed breach only once the decisions on
    telling the Commissioner and (for a high risk) the people affected are recorded."""
    breach = await load_breach(session, access, breach_id, for_update=True)
    if_match.require(breach_etag(breach))
    _not_closed(breach)
    if data.outcome is BreachOutcome.CONFIRMED:
        if breach.ico_decision is None:
            raise Conflict(
                "Record the decision on telling the Commissioner before closing a confirmed "
                "breach.",
                extra={"rule": "breach_ico_decided_first", "source": ICO_SOURCE},
            )
        if breach.risk is RiskLevel.HIGH_RISK and breach.individuals_decision is None:
            raise Conflict(
                "Record the decision on telling the people affected before closing a "
                "high-risk breach.",
                extra={"rule": "breach_individuals_decided_first", "source": INDIVIDUALS_SOURCE},
            )
    breach.status = BreachStatus.CLOSED
    breach.outcome = data.outcome
    breach.outcome_summary = data.summary
    breach.closed_at = access.now
    breach.closed_by = access.principal.subject
    breach.updated_at = access.now
    await session.flush()
    access.record_change(
        "breach.closed", resource_id=breach.id, details={"outcome": data.outcome.value}
    )
    return await _view(session, access, breach)


# --- complaints about a breach ---------------------------------------------------------------


async def resolve_link(
    session: AsyncSession,
    access: Access,
    *,
    breach_id: uuid.UUID | None,
    breach_reference: str | None,
) -> tuple[uuid.UUID | None, str | None]:
    """The breach a complaint names, by id or reference (or both, agreeing), checked to be in
    the register (422 ``unknown_breach`` otherwise): its id and reference."""
    if breach_id is None and breach_reference is None:
        return None, None
    repository = BreachRepository(session)
    by_reference = None
    if breach_reference is not None:
        by_reference = await repository.with_reference(breach_reference)
        if by_reference is None:
            raise _refuse(
                "/breach_reference",
                "No breach in the register has this reference.",
                "unknown_breach",
            )
    if breach_id is not None:
        visible = access.related_filter("breach", "read", purpose=BREACH_MANAGEMENT)
        if await repository.get(breach_id, visible=visible) is None:
            raise _refuse("/breach_id", "No breach in the register has this id.", "unknown_breach")
        if by_reference is not None and by_reference != breach_id:
            raise _refuse(
                "/breach_reference",
                "The breach id and breach reference name different breaches.",
                "breach_link_mismatch",
            )
    found = breach_id or by_reference
    assert found is not None
    return found, await repository.reference_of(found)
