"""Prosecutions for irregular attendance (Education Act 1996 s444(1), s444(1A)) and for failing
to comply with a School Attendance Order (s443): preparing the case, a manager's approval,
laying the information, the outcome, and the court bundle sent to HMCTS.

This is law enforcement processing (DPA 2018 Part 3: the council prosecutes as a competent
authority, s30(1)(b), s31), under the ``prosecution`` purpose, which reaches a case's people
only while the case is at a stage that uses it (purpose binding). Every decision event of these
routes names the case (DPA 2018 s62 logging). Dates are the rules': the 6 months to lay run
from the offence period's last day (Magistrates' Courts Act 1980 s127), and no information is
laid while a penalty notice's payment period runs (s444A; SI 2007/1867 reg 7).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.cases import (
    Case,
    CaseEventKind,
    CaseParty,
    CaseStage,
    CaseType,
    Offence,
    PenaltyNotice,
    PenaltyNoticeStatus,
    Prosecution,
    ProsecutionStatus,
)
from app.models.disclosures import Disclosure, DisclosureChannel
from app.policies import Access
from app.policies.registry import REGISTRY, LawfulBasis, Purpose
from app.repositories.disclosures import DisclosureRepository
from app.repositories.pagination import PageRequest
from app.repositories.prosecutions import ProsecutionRepository
from app.repositories.school_attendance_orders import SchoolAttendanceOrderRepository
from app.repositories.sharing import RecipientRepository
from app.rules.prosecution import OFFENCES, OffenceCode, ProsecutionWindow, prosecution_window
from app.schemas.prosecutions import (
    CourtDisclosure,
    EvidenceItem,
    ProsecutionApproval,
    ProsecutionCreate,
    ProsecutionLaying,
    ProsecutionOutcome,
    ProsecutionOutcomeKind,
    ProsecutionUpdate,
    WitnessStatement,
)
from app.services.cases import add_event, load_case, require_open
from app.services.concurrency import IfMatch, etag_for
from app.services.disclosures import CLOCK_SKEW, REQUEST_GROUNDS

#: The offences each case type prosecutes: irregular attendance on an attendance case; the
#: breach of the order on a School Attendance Order case.
OFFENCES_FOR: dict[CaseType, frozenset[Offence]] = {
    CaseType.ATTENDANCE: frozenset(
        {Offence.FAILURE_TO_SECURE_REGULAR_ATTENDANCE, Offence.KNOWINGLY_FAILING}
    ),
    CaseType.SCHOOL_ATTENDANCE_ORDER: frozenset({Offence.SAO_BREACH}),
}
#: The recipient code the migrations seed for HM Courts and Tribunals Service.
HMCTS = "hmcts"
S127 = "Magistrates' Courts Act 1980 s127(1)"
S444A = "Education Act 1996 s444A; SI 2007/1867 reg 7"
#: A notice that no longer bars or founds proceedings: paid (liability discharged) or
#: withdrawn.
SETTLED_NOTICES = (PenaltyNoticeStatus.PAID, PenaltyNoticeStatus.WITHDRAWN)


def prosecution_etag(prosecution: Prosecution) -> str:
    return etag_for(prosecution.id, prosecution.version, prosecution.created_at)


@dataclass(frozen=True, slots=True)
class ProsecutionView:
    prosecution: Prosecution
    case: Case
    window: ProsecutionWindow


# --- loading ------------------------------------------------------------------------------


async def _window(session: AsyncSession, prosecution: Prosecution) -> ProsecutionWindow:
    received = None
    if prosecution.penalty_notice_id is not None:
        notices = await ProsecutionRepository(session).penalty_notices(
            [prosecution.penalty_notice_id]
        )
        received = notices[prosecution.penalty_notice_id].received_on
    return prosecution_window(prosecution.offence_to, penalty_notice_received=received)


async def _view(session: AsyncSession, prosecution: Prosecution, case: Case) -> ProsecutionView:
    return ProsecutionView(prosecution, case, await _window(session, prosecution))


def _party(case: Case, carer_id: uuid.UUID) -> CaseParty:
    party = next((p for p in case.parties if p.carer_id == carer_id), None)
    if party is None:  # a prosecution names a party of its case
        raise ValueError(f"carer {carer_id} is not a party to case {case.id}")
    return party


async def _prosecution(
    session: AsyncSession,
    access: Access,
    case: Case,
    prosecution_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Prosecution:
    prosecution = await ProsecutionRepository(session).get(
        case.id, prosecution_id, for_update=for_update
    )
    if prosecution is None:
        raise access.not_found(prosecution_id, "No prosecution with that id on this case.")
    access.touched(
        subject_ids=[_party(case, prosecution.carer_id).subject_id], resource_id=prosecution.id
    )
    return prosecution


async def get_prosecution(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, prosecution_id: uuid.UUID
) -> ProsecutionView:
    case = await load_case(session, access, case_id)
    return await _view(session, await _prosecution(session, access, case, prosecution_id), case)


async def list_prosecutions(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    status: ProsecutionStatus | None,
    page: PageRequest,
) -> tuple[list[ProsecutionView], str | None]:
    case = await load_case(session, access, case_id)
    repository = ProsecutionRepository(session)
    items, next_cursor = await repository.page(case.id, page, status=status)
    notices = await repository.penalty_notices(
        p.penalty_notice_id for p in items if p.penalty_notice_id is not None
    )
    views = [
        ProsecutionView(
            p,
            case,
            prosecution_window(
                p.offence_to,
                penalty_notice_received=(
                    notices[p.penalty_notice_id].received_on
                    if p.penalty_notice_id is not None
                    else None
                ),
            ),
        )
        for p in items
    ]
    return views, next_cursor


# --- checks -------------------------------------------------------------------------------


def _require_stage(case: Case, stages: tuple[CaseStage, ...], step: str) -> None:
    if case.stage not in stages:
        names = " or ".join(s.value for s in stages)
        raise Conflict(
            f"The case is at {case.stage}; {step} only at {names} (the support-first ladder; "
            "Education Act 1996 s447: an education supervision order is considered first).",
            extra={"stage": case.stage.value, "required_stages": [s.value for s in stages]},
        )


def _require_status(
    prosecution: Prosecution, statuses: tuple[ProsecutionStatus, ...], step: str
) -> None:
    if prosecution.status not in statuses:
        raise Conflict(
            f"The prosecution is {prosecution.status}; {step} only when it is "
            + " or ".join(s.value for s in statuses)
            + ".",
            extra={"status": prosecution.status.value},
        )


def _not_in_future(access: Access, day: date, pointer: str) -> None:
    if day > access.today:
        raise ValidationFailed(
            "The date cannot be in the future.",
            errors=[body_problem(pointer, "after today", "in_future")],
        )


async def _evidence(
    session: AsyncSession, case: Case, items: list[EvidenceItem], pointer: str
) -> list[dict[str, Any]]:
    """The evidence list as stored; every document it names must be on the case (422)."""
    named = [i.document_id for i in items if i.document_id is not None]
    found = await ProsecutionRepository(session).documents_on_case(case.id, named)
    errors = [
        body_problem(
            f"{pointer}/{n}/document_id", "no such document on this case", "unknown_document"
        )
        for n, item in enumerate(items)
        if item.document_id is not None and item.document_id not in found
    ]
    if errors:
        raise ValidationFailed("The evidence list names unknown documents.", errors=errors)
    return [
        {"item": i.item, "document_id": str(i.document_id) if i.document_id else None}
        for i in items
    ]


def _statement(statement: WitnessStatement | None) -> dict[str, Any] | None:
    return None if statement is None else statement.model_dump(mode="json", by_alias=True)


def _record(
    session: AsyncSession,
    access: Access,
    case: Case,
    prosecution: Prosecution,
    step: str,
    details: dict[str, str | int | None],
    *,
    kind: CaseEventKind = CaseEventKind.PROSECUTION,
    text: str | None = None,
) -> None:
    add_event(
        session,
        case,
        kind,
        by=access.principal.subject,
        now=access.now,
        text=text,
        details={"prosecution_id": str(prosecution.id), "step": step, **details},
    )
    access.record_change(
        f"prosecution.{step}",
        resource_id=prosecution.id,
        subject_id=_party(case, prosecution.carer_id).subject_id,
        details={"case_id": str(case.id), **details},
    )


async def _notice(
    session: AsyncSession, case: Case, notice_id: uuid.UUID, carer_id: uuid.UUID
) -> PenaltyNotice:
    notice = await ProsecutionRepository(session).penalty_notice(case.id, notice_id)
    pointer = "/penalty_notice_id"
    if notice is None or notice.carer_id != carer_id or notice.pupil_id != case.pupil_id:
        raise ValidationFailed(
            "No penalty notice to this parent for this child on this case has that id.",
            errors=[body_problem(pointer, "no such penalty notice", "unknown_penalty_notice")],
        )
    if notice.status in SETTLED_NOTICES:
        raise ValidationFailed(
            f"The penalty notice is {notice.status}: a paid notice discharges liability for "
            "the offence, and a withdrawn one founds nothing.",
            errors=[body_problem(pointer, f"the notice is {notice.status}", "notice_settled")],
        )
    return notice


# --- the steps ----------------------------------------------------------------------------


async def prepare(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, data: ProsecutionCreate
) -> ProsecutionView:
    """Prepare a prosecution of a parent of the case, computing the last day to lay."""
    case = await load_case(session, access, case_id, for_update=True)
    require_open(case)
    _require_stage(case, (CaseStage.PROSECUTION_PREPARATION,), "a prosecution is prepared")
    party = next(
        (p for p in case.parties if p.carer_id == data.carer_id and p.removed_at is None), None
    )
    if party is None or not party.parental_responsibility:
        raise ValidationFailed(
            "A prosecution is of a parent: a party to the case with parental responsibility.",
            errors=[body_problem("/carer_id", "not a parent on this case", "not_a_parent")],
        )
    allowed = OFFENCES_FOR.get(case.case_type, frozenset())
    if data.offence not in allowed:
        raise ValidationFailed(
            f"A {case.case_type} case prosecutes "
            + (" or ".join(sorted(o.value for o in allowed)) or "no offence")
            + ".",
            errors=[body_problem("/offence", "not an offence of this case type", "wrong_offence")],
        )
    _not_in_future(access, data.offence_to, "/offence_to")
    if data.offence is Offence.SAO_BREACH:
        order = await SchoolAttendanceOrderRepository(session).breached_for(case.id, data.carer_id)
        if order is None:
            raise Conflict(
                "No breach of a School Attendance Order by this parent is recorded on the case "
                "(Education Act 1996 s443).",
                extra={"rule": "sao_order_breached", "source": "Education Act 1996 s443"},
            )
        assert order.breached_on is not None
        if data.offence_to < order.breached_on:
            raise ValidationFailed(
                "The offence period must reach the recorded breach of the order.",
                errors=[body_problem("/offence_to", "before the breach", "before_breach")],
            )
    received = None
    if data.penalty_notice_id is not None:
        notice = await _notice(session, case, data.penalty_notice_id, data.carer_id)
        received = notice.received_on
    window = prosecution_window(data.offence_to, penalty_notice_received=received)
    if access.today > window.latest or not window.possible:
        raise Conflict(
            f"The information can no longer be laid: the last day was {window.latest.isoformat()}"
            f" ({S127}"
            + (
                f"; the penalty notice's payment period ran to {window.earliest.isoformat()}"
                if received is not None
                else ""
            )
            + ").",
            extra={
                "rule": "within_time_limit",
                "source": S127,
                "lay_by": window.latest.isoformat(),
            },
        )
    repository = ProsecutionRepository(session)
    running = await repository.live_for(case.id, data.carer_id)
    if running is not None:
        raise Conflict(
            "This parent already has a prosecution running on the case.",
            extra={"prosecution_id": str(running.id), "status": running.status.value},
        )
    prosecution = Prosecution(
        id=uuid.uuid4(),
        case_id=case.id,
        carer_id=data.carer_id,
        offence=data.offence,
        offence_from=data.offence_from,
        offence_to=data.offence_to,
        penalty_notice_id=data.penalty_notice_id,
        lay_by=window.latest,
        evidence=await _evidence(session, case, data.evidence, "/evidence"),
        witness_statement=_statement(data.witness_statement),
        status=ProsecutionStatus.PREPARING,
        recorded_by=access.principal.subject,
    )
    repository.add(prosecution)
    await session.flush()
    case.next_action_on = window.latest
    case.next_action = "Lay the information (Magistrates' Courts Act 1980 s127)"
    _record(
        session,
        access,
        case,
        prosecution,
        "prepared",
        {
            "carer_id": str(data.carer_id),
            "offence": data.offence.value,
            "source": OFFENCES[OffenceCode(data.offence.value)].source,
            "offence_to": data.offence_to.isoformat(),
            "lay_by": window.latest.isoformat(),
            "evidence_items": len(prosecution.evidence),
        },
    )
    await session.flush()
    return ProsecutionView(prosecution, case, window)


async def update(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    prosecution_id: uuid.UUID,
    changes: ProsecutionUpdate,
    if_match: IfMatch,
) -> ProsecutionView:
    """Change the evidence list or the witness statement while it is prepared. A change after
    a manager's approval withdraws it: they approved the evidence as it stood."""
    case = await load_case(session, access, case_id, for_update=True)
    prosecution = await _prosecution(session, access, case, prosecution_id, for_update=True)
    if_match.require(prosecution_etag(prosecution))
    require_open(case)
    _require_status(prosecution, (ProsecutionStatus.PREPARING,), "it can be changed")
    fields = changes.changes()
    if "evidence" in fields:
        prosecution.evidence = await _evidence(session, case, changes.evidence or [], "/evidence")
    if "witness_statement" in fields:
        prosecution.witness_statement = _statement(changes.witness_statement)
    withdrawn = case.prosecution_approved_by is not None
    if withdrawn:
        case.prosecution_approved_by = None
        case.prosecution_approved_at = None
    await session.flush()
    _record(
        session,
        access,
        case,
        prosecution,
        "updated",
        {
            "fields": ",".join(sorted(fields)),
            "evidence_items": len(prosecution.evidence),
            "approval_withdrawn": "yes" if withdrawn else "no",
        },
    )
    return await _view(session, prosecution, case)


async def approve(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    prosecution_id: uuid.UUID,
    data: ProsecutionApproval,
    if_match: IfMatch,
) -> ProsecutionView:
    """A manager's approval to prosecute, of the evidence list as it stands (council practice),
    recorded on the case and its chronology."""
    case = await load_case(session, access, case_id, for_update=True)
    prosecution = await _prosecution(session, access, case, prosecution_id, for_update=True)
    if_match.require(prosecution_etag(prosecution))
    require_open(case)
    _require_stage(case, (CaseStage.PROSECUTION_PREPARATION,), "a prosecution is approved")
    _require_status(prosecution, (ProsecutionStatus.PREPARING,), "it can be approved")
    if not prosecution.evidence:
        raise Conflict(
            "The evidence list is empty: a prosecution is approved on the evidence it relies on.",
            extra={"rule": "evidence_listed", "source": "council practice"},
        )
    if access.today > prosecution.lay_by:
        raise Conflict(
            f"The last day to lay the information was {prosecution.lay_by.isoformat()} ({S127}).",
            extra={"rule": "within_time_limit", "source": S127},
        )
    case.prosecution_approved_by = access.principal.subject
    case.prosecution_approved_at = access.now
    # The approval changes what the prosecution is: its ETag moves on.
    prosecution.updated_at = access.now
    await session.flush()
    _record(
        session,
        access,
        case,
        prosecution,
        "approved",
        {"evidence_items": len(prosecution.evidence), "lay_by": prosecution.lay_by.isoformat()},
        kind=CaseEventKind.PROSECUTION_APPROVED,
        text=data.note,
    )
    return await _view(session, prosecution, case)


async def lay(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    prosecution_id: uuid.UUID,
    data: ProsecutionLaying,
    if_match: IfMatch,
) -> ProsecutionView:
    """Record that the information was laid, within the time the law allows."""
    case = await load_case(session, access, case_id, for_update=True)
    prosecution = await _prosecution(session, access, case, prosecution_id, for_update=True)
    if_match.require(prosecution_etag(prosecution))
    require_open(case)
    _require_stage(case, (CaseStage.PROSECUTION,), "the information is laid")
    _require_status(prosecution, (ProsecutionStatus.PREPARING,), "the information is laid")
    if case.prosecution_approved_by is None:
        raise Conflict(
            "An attendance manager has not approved the prosecution as it stands.",
            extra={"rule": "manager_approved", "source": "council practice"},
        )
    window = await _window(session, prosecution)
    if data.laid_on > window.latest:
        raise Conflict(
            f"The last day to lay the information was {window.latest.isoformat()}: 6 months "
            f"from the offence period's last day ({S127}).",
            extra={
                "rule": "within_time_limit",
                "source": S127,
                "lay_by": window.latest.isoformat(),
            },
        )
    if data.laid_on < window.earliest:
        source = S444A if prosecution.penalty_notice_id is not None else S127
        raise Conflict(
            f"The information may be laid from {window.earliest.isoformat()}"
            + (
                ", once the penalty notice's payment period has ended"
                if prosecution.penalty_notice_id is not None
                else ", after the offence period"
            )
            + f" ({source}).",
            extra={
                "rule": "payment_period_over",
                "source": source,
                "earliest": window.earliest.isoformat(),
            },
        )
    _not_in_future(access, data.laid_on, "/laid_on")
    if data.hearing_on is not None and data.hearing_on < data.laid_on:
        raise ValidationFailed(
            "The hearing cannot be before the information was laid.",
            errors=[body_problem("/hearing_on", "before laid_on", "too_early")],
        )
    prosecution.status = ProsecutionStatus.LAID
    prosecution.laid_on = data.laid_on
    prosecution.court = data.court
    prosecution.hearing_on = data.hearing_on
    case.next_action_on = data.hearing_on
    case.next_action = "Attend the hearing" if data.hearing_on else None
    await session.flush()
    _record(
        session,
        access,
        case,
        prosecution,
        "laid",
        {
            "laid_on": data.laid_on.isoformat(),
            "hearing_on": data.hearing_on.isoformat() if data.hearing_on else None,
        },
    )
    return ProsecutionView(prosecution, case, window)


async def record_outcome(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    prosecution_id: uuid.UUID,
    data: ProsecutionOutcome,
    if_match: IfMatch,
) -> ProsecutionView:
    """The court's outcome (convicted, acquitted) once laid, or a withdrawal at any time."""
    case = await load_case(session, access, case_id, for_update=True)
    prosecution = await _prosecution(session, access, case, prosecution_id, for_update=True)
    if_match.require(prosecution_etag(prosecution))
    require_open(case)
    withdrawn = data.outcome is ProsecutionOutcomeKind.WITHDRAWN
    allowed = (
        (ProsecutionStatus.PREPARING, ProsecutionStatus.LAID)
        if withdrawn
        else (ProsecutionStatus.LAID,)
    )
    _require_status(prosecution, allowed, f"it can be recorded as {data.outcome}")
    _not_in_future(access, data.on, "/on")
    if prosecution.laid_on is not None and data.on < prosecution.laid_on:
        raise ValidationFailed(
            "The outcome cannot be before the information was laid.",
            errors=[body_problem("/on", "before the information was laid", "too_early")],
        )
    prosecution.status = ProsecutionStatus.WITHDRAWN if withdrawn else ProsecutionStatus.CONCLUDED
    prosecution.outcome = data.outcome.value
    prosecution.concluded_on = data.on
    case.next_action_on = None
    case.next_action = None
    await session.flush()
    _record(
        session,
        access,
        case,
        prosecution,
        "outcome",
        {"outcome": data.outcome.value, "on": data.on.isoformat()},
    )
    return await _view(session, prosecution, case)


async def record_court_disclosure(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    prosecution_id: uuid.UUID,
    data: CourtDisclosure,
    if_match: IfMatch,
) -> tuple[ProsecutionView, Disclosure]:
    """Record the court bundle sent to HM Courts and Tribunals Service as a disclosure (UK
    GDPR Art 5(2); DPA 2018 s62): recipient HMCTS, approved by the calling manager, with the
    SHA-256 of exactly what was sent, about the parent and the child; linked on the
    prosecution."""
    case = await load_case(session, access, case_id, for_update=True)
    prosecution = await _prosecution(session, access, case, prosecution_id, for_update=True)
    if_match.require(prosecution_etag(prosecution))
    _require_status(
        prosecution,
        (ProsecutionStatus.LAID, ProsecutionStatus.CONCLUDED),
        "a court bundle is sent",
    )
    purpose = Purpose(data.purpose)
    errors = []
    grounds = REQUEST_GROUNDS.get(purpose)
    if grounds is None and data.ground is not None:
        errors.append(
            body_problem(
                "/ground", f"{purpose.value} is not decided on request", "ground_not_allowed"
            )
        )
    if grounds is not None:
        if data.ground not in grounds:
            errors.append(
                body_problem(
                    "/ground",
                    "a court disclosure names its ground: " + ", ".join(sorted(grounds)),
                    "ground_required",
                )
            )
        if data.request_reference is None:
            errors.append(
                body_problem("/request_reference", "the court's reference", "reference_required")
            )
    if data.disclosed_at > access.now + CLOCK_SKEW:
        errors.append(body_problem("/disclosed_at", "must not be in the future", "future"))
    if errors:
        raise ValidationFailed("The court disclosure cannot be recorded as given.", errors=errors)
    recipient = await RecipientRepository(session).by_code(HMCTS)
    if recipient is None or not recipient.active:
        raise Conflict("HM Courts and Tribunals Service is not an active recipient.")
    spec = REGISTRY[purpose]
    basis = (
        LawfulBasis.LAW_ENFORCEMENT_TASK
        if purpose is Purpose.PROSECUTION
        else LawfulBasis.LEGAL_OBLIGATION
    )
    subject_ids = sorted({case.subject_id, _party(case, prosecution.carer_id).subject_id})
    disclosure = Disclosure(
        id=uuid.uuid4(),
        recipient_id=recipient.id,
        purpose=purpose.value,
        lawful_basis=basis.value,
        data_categories=list(dict.fromkeys(c.value for c in data.data_categories)),
        channel=DisclosureChannel(data.channel.value),
        automatic=False,
        approved_by=access.principal.subject,
        recorded_by=access.principal.subject,
        disclosed_at=data.disclosed_at,
        recorded_at=access.now,
        content_sha256=data.content_sha256,
        request_reference=data.request_reference,
        ground=data.ground.value if data.ground is not None else None,
        resource_type="prosecution",
        resource_id=str(prosecution.id),
    )
    await DisclosureRepository(session).add(disclosure, subject_ids)
    prosecution.disclosure_id = disclosure.id
    await session.flush()
    access.record_change(
        "disclosure.recorded",
        resource_id=disclosure.id,
        details={
            "recipient_id": str(recipient.id),
            "purpose": purpose.value,
            "basis": basis.value,
            "exemption": spec.schedule2_exemption,
            "ground": data.ground.value if data.ground is not None else None,
            "channel": data.channel.value,
            "subjects": len(subject_ids),
            "case_id": str(case.id),
        },
    )
    _record(
        session,
        access,
        case,
        prosecution,
        "court_disclosure",
        {"disclosure_id": str(disclosure.id), "recipient": HMCTS},
        kind=CaseEventKind.DISCLOSURE,
    )
    return await _view(session, prosecution, case), disclosure
