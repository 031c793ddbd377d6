"""Notices to improve and penalty notices on an attendance case.

A notice to improve is the case's own work (``attendance_duty``): a parent with parental
responsibility is given an improvement period of 3 to 6 weeks, and the letter goes in the same
transaction. A penalty notice is law enforcement processing (``prosecution``, DPA 2018 Part 3):
it reaches the case's people only while the case is at the penalty notice stage or a later
prosecution stage (purpose binding), so a case below that stage is a 404 under
``prosecution``; where the caller may see the case under its own purpose, the refusal says so
with a 409 naming the stage instead.

Every date and amount on a penalty notice comes from ``app.rules.penalty_notices``: the day it
is taken as received, the 21- and 28-day periods, the tier from the three-year count over
every notice to that parent for that child (on any case; withdrawn ones excluded), the
payment due on a day, and where it stands today. The response names the rule behind each.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.cases import (
    Case,
    CaseEventKind,
    CaseStage,
    CaseType,
    NoticeGround,
    NoticeToImprove,
    NoticeToImproveStatus,
    PenaltyNotice,
    PenaltyNoticeStatus,
    ServiceMethod,
)
from app.models.people import Carer
from app.policies import Access
from app.policies.registry import LawfulBasis, Purpose, purposes_mask
from app.repositories.cases import CaseRepository
from app.repositories.pagination import PageRequest
from app.repositories.penalty_notices import NoticeToImproveRepository, PenaltyNoticeRepository
from app.repositories.people import PupilRepository
from app.repositories.schools import SchoolRepository
from app.rules import casework
from app.rules import notices_to_improve as nti_rules
from app.rules import penalty_notices as rules
from app.rules.attendance import (
    PENALTY_FULL_DAYS,
    PENALTY_FULL_POUNDS,
    PENALTY_REDUCED_DAYS,
    PENALTY_REDUCED_POUNDS,
    PENALTY_REPEAT_YEARS,
)
from app.rules.calendar import CalendarNotKnown
from app.services.case_letters import queue_case_message
from app.services.cases import add_event, load_case, require_open, subjects_of
from app.services.concurrency import IfMatch, etag_for

#: The regulations every amount and period comes from.
REGULATIONS = (
    "Education (Penalty Notices) (England) Regulations 2007, SI 2007/1867, as amended by "
    "SI 2024/210"
)
#: Where a case's people are bound to ``prosecution`` (penalty notices onwards).
PROSECUTION_STAGES = frozenset(
    stage
    for stage in CaseStage
    if Purpose.PROSECUTION in casework.bound_purposes(CaseType.ATTENDANCE, stage)
)
#: What a refused stage says.
STAGE_RULE = (
    "penalty notices are law enforcement processing (purpose prosecution), which reaches a "
    "case's people only while an attendance case is open at the penalty_notice stage or a "
    "later prosecution stage"
)
STAGE_SOURCE = "DPA 2018 Part 3 (s31, s35); Education Act 1996 s444A; purpose binding"

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def notice_to_improve_etag(notice: NoticeToImprove) -> str:
    return etag_for(notice.id, notice.version, notice.created_at)


def penalty_notice_etag(notice: PenaltyNotice) -> str:
    return etag_for(notice.id, notice.version, notice.created_at)


def _invalid(detail: str, problems: list[dict[str, str]]) -> ValidationFailed:
    return ValidationFailed(detail, errors=problems)


def _parent_on_case(case: Case, carer_id: uuid.UUID) -> None:
    """A notice goes to a current party of the case with parental responsibility (a penalty
    notice is per parent, per child: Education Act 1996 s444A, s576)."""
    party = next((p for p in case.parties if p.carer_id == carer_id and p.removed_at is None), None)
    if party is None:
        raise _invalid(
            "The carer is not a party to this case.",
            [body_problem("/carer_id", "not a party to this case", "not_a_party")],
        )
    if not party.parental_responsibility:
        raise _invalid(
            "A notice goes only to a parent with parental responsibility for the pupil.",
            [
                body_problem(
                    "/carer_id",
                    "has no parental responsibility for the pupil",
                    "no_parental_responsibility",
                )
            ],
        )


def _party_subject(case: Case, carer_id: uuid.UUID) -> uuid.UUID:
    return next(p.subject_id for p in case.parties if p.carer_id == carer_id)


async def _pupil_name(session: AsyncSession, case: Case) -> str:
    pupil = await PupilRepository(session).get(case.pupil_id)
    if pupil is None:  # a case names its pupil (foreign key)
        raise ValueError(f"case {case.id} names no pupil")
    # A statutory notice names the child by their legal name.
    return f"{pupil.legal_forename} {pupil.legal_surname}"


# --- notices to improve --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NoticeToImproveView:
    notice: NoticeToImprove
    period_rule: str


def _nti_view(notice: NoticeToImprove) -> NoticeToImproveView:
    rule = (
        f"{notice.improvement_weeks} weeks from the issue date (the period is "
        f"{nti_rules.IMPROVEMENT_WEEKS_MIN} to {nti_rules.IMPROVEMENT_WEEKS_MAX} weeks): "
        f"{nti_rules.SOURCE}"
    )
    return NoticeToImproveView(notice, rule)


async def issue_notice_to_improve(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    carer_id: uuid.UUID,
    improvement_weeks: int,
    issued_on: date | None,
    template_ids: Mapping[str, uuid.UUID],
) -> NoticeToImproveView:
    """Issue a notice to improve to a parent on an open attendance case and queue its letter
    in the same transaction. 422 for bad dates, a period outside 3 to 6 weeks or a carer who
    is not a parent on the case; 409 where the case is closed, is not an attendance case, or
    the parent already has a notice whose outcome is not recorded."""
    case = await load_case(session, access, case_id, for_update=True)
    require_open(case)
    if case.case_type is not CaseType.ATTENDANCE:
        raise Conflict(
            "Notices to improve are a step of attendance cases only (DfE, Working together to "
            "improve school attendance, 2024).",
            extra={"case_type": case.case_type.value},
        )
    today = access.today
    issued = issued_on or today
    problems = []
    if issued > today:
        problems.append(body_problem("/issued_on", "after today", "in_future"))
    if issued < case.opened_on:
        problems.append(body_problem("/issued_on", "before the case opened", "too_early"))
    if problems:
        raise _invalid("The notice to improve has invalid dates.", problems)
    try:
        ends_on = nti_rules.period_ends_on(issued, improvement_weeks)
    except ValueError as exc:
        raise _invalid(
            "The improvement period is out of range.",
            [body_problem("/improvement_weeks", str(exc), "out_of_range")],
        ) from None
    _parent_on_case(case, carer_id)
    repository = NoticeToImproveRepository(session)
    current = await repository.current_for(case.id, carer_id)
    if current is not None:
        raise Conflict(
            "This parent already has a notice to improve on the case whose outcome is not "
            "recorded; record its outcome first.",
            extra={"notice_id": str(current.id)},
        )
    if await repository.issued_that_day(case.id, carer_id, issued):
        raise Conflict("This parent already has a notice to improve on the case dated that day.")
    school = await SchoolRepository(session).get(case.school_urn)
    message = await queue_case_message(
        session,
        access,
        case,
        carer_id=carer_id,
        message_type="notice_to_improve",
        personalisation={
            "pupil_name": await _pupil_name(session, case),
            "school_name": school.name if school is not None else "your child's school",
            "improvement_period_ends": ends_on.isoformat(),
            "case_reference": case.reference,
        },
        template_ids=template_ids,
        # The notice is a step of the attendance duty, whatever intervention it follows.
        purpose=Purpose(case.purpose),
    )
    notice = NoticeToImprove(
        id=uuid.uuid4(),
        case_id=case.id,
        carer_id=carer_id,
        issued_on=issued,
        improvement_weeks=improvement_weeks,
        period_ends_on=ends_on,
        status=NoticeToImproveStatus.ISSUED,
        message_id=message.id,
        recorded_by=access.principal.subject,
    )
    repository.add(notice)
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.NOTICE_TO_IMPROVE,
        by=access.principal.subject,
        now=access.now,
        details={
            "action": "issued",
            "notice_id": str(notice.id),
            "carer_id": str(carer_id),
            "issued_on": issued.isoformat(),
            "period_ends_on": ends_on.isoformat(),
            "message_id": str(message.id),
        },
    )
    access.record_change(
        "notice_to_improve.issued",
        resource_id=notice.id,
        subject_id=_party_subject(case, carer_id),
        details={"case_id": str(case.id), "improvement_weeks": improvement_weeks},
    )
    return _nti_view(notice)


async def list_notices_to_improve(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, page: PageRequest
) -> tuple[list[NoticeToImproveView], str | None]:
    case = await load_case(session, access, case_id)
    notices, next_cursor = await NoticeToImproveRepository(session).page(case.id, page)
    return [_nti_view(n) for n in notices], next_cursor


async def _notice_to_improve(
    session: AsyncSession, access: Access, case: Case, notice_id: uuid.UUID, for_update: bool
) -> NoticeToImprove:
    notice = await NoticeToImproveRepository(session).get(case.id, notice_id, for_update=for_update)
    if notice is None:
        raise access.not_found(notice_id, "No notice to improve with that id on this case.")
    access.touched(subject_ids=[], resource_id=notice.id)
    return notice


async def get_notice_to_improve(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, notice_id: uuid.UUID
) -> NoticeToImproveView:
    case = await load_case(session, access, case_id)
    return _nti_view(await _notice_to_improve(session, access, case, notice_id, False))


async def record_notice_to_improve_outcome(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    notice_id: uuid.UUID,
    outcome: NoticeToImproveStatus,
    outcome_on: date | None,
    if_match: IfMatch,
) -> NoticeToImproveView:
    """Record how the improvement period went: improved, not improved (only once the period
    has ended: 409 naming the rule), or withdrawn. Once only (409 after)."""
    case = await load_case(session, access, case_id, for_update=True)
    notice = await _notice_to_improve(session, access, case, notice_id, True)
    if_match.require(notice_to_improve_etag(notice))
    require_open(case)
    if outcome is NoticeToImproveStatus.ISSUED:
        raise _invalid(
            "The outcome is improved, not_improved or withdrawn.",
            [body_problem("/outcome", "not an outcome", "not_an_outcome")],
        )
    if notice.status is not NoticeToImproveStatus.ISSUED:
        raise Conflict(
            f"The notice's outcome is recorded already ({notice.status}).",
            extra={"status": notice.status.value},
        )
    day = outcome_on or access.today
    problems = []
    if day > access.today:
        problems.append(body_problem("/outcome_on", "after today", "in_future"))
    if day < notice.issued_on:
        problems.append(body_problem("/outcome_on", "before the notice was issued", "too_early"))
    if problems:
        raise _invalid("The outcome has an invalid date.", problems)
    if outcome is NoticeToImproveStatus.NOT_IMPROVED and not nti_rules.period_over(
        notice.period_ends_on, day
    ):
        raise Conflict(
            "A notice to improve can be recorded as not improved only once its improvement "
            f"period has ended (it runs to {notice.period_ends_on.isoformat()}): "
            f"{nti_rules.SOURCE}.",
            extra={
                "rule": "notice_to_improve.period_not_ended",
                "source": nti_rules.SOURCE,
                "period_ends_on": notice.period_ends_on.isoformat(),
            },
        )
    notice.status = outcome
    notice.outcome_on = day
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.NOTICE_TO_IMPROVE,
        by=access.principal.subject,
        now=access.now,
        details={
            "action": "outcome",
            "notice_id": str(notice.id),
            "outcome": outcome.value,
            "outcome_on": day.isoformat(),
        },
    )
    access.record_change(
        "notice_to_improve.outcome",
        resource_id=notice.id,
        subject_id=_party_subject(case, notice.carer_id),
        details={"case_id": str(case.id), "outcome": outcome.value},
    )
    return _nti_view(notice)


# --- penalty notices -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PenaltyNoticeView:
    """A penalty notice with where it stands today and the rule behind each computed date."""

    notice: PenaltyNotice
    tier: rules.Tier
    status_today: rules.PaymentStatus
    received_rule: str
    tier_rule: str
    reduced_due_rule: str | None
    full_due_rule: str
    proceedings_not_before: date
    proceedings_rule: str


def tier_of(notice: PenaltyNotice) -> rules.Tier:
    return rules.Tier.FIRST if notice.sequence == 1 else rules.Tier.SECOND


def _rules_method(method: ServiceMethod) -> rules.ServiceMethod:
    return (
        rules.ServiceMethod.IN_PERSON
        if method is ServiceMethod.HAND
        else rules.ServiceMethod.FIRST_CLASS_POST
    )


def status_today(notice: PenaltyNotice, today: date) -> rules.PaymentStatus:
    """Where a notice stands on ``today`` (``prosecute_or_withdraw`` once the 28-day period
    has ended unpaid): for the notice's own read and the case's."""
    return rules.payment_status(
        rules.PenaltyNotice(
            tier=tier_of(notice),
            received_on=notice.received_on,
            paid_on=notice.paid_on,
            withdrawn_on=notice.withdrawn_on,
        ),
        today,
    )


async def case_penalty_statuses(
    session: AsyncSession, case: Case, today: date
) -> list[tuple[PenaltyNotice, rules.PaymentStatus]]:
    """Every penalty notice on a case already loaded under ``prosecution`` and where each
    stands today (for the case's read)."""
    notices = await PenaltyNoticeRepository(session).of_case(case.id)
    return [(n, status_today(n, today)) for n in notices]


def _received_rule(method: ServiceMethod) -> str:
    if method is ServiceMethod.HAND:
        return (
            "Handed to the parent: received on the day it was served (the payment periods "
            f"run from receipt: {REGULATIONS}, reg 4)."
        )
    return (
        "Posted first class: taken as received on the "
        f"{rules.POSTED_RECEIPT_WORKING_DAYS}nd working day (England and Wales) after posting. "
        "Council code-of-conduct practice (e.g. Lincolnshire County Council, Fixed penalty "
        f"notices code of conduct); not found in {REGULATIONS}: to be confirmed."
    )


def _view(notice: PenaltyNotice, today: date) -> PenaltyNoticeView:
    tier = tier_of(notice)
    window = f"the {PENALTY_REPEAT_YEARS} years ending with the issue date"
    if tier is rules.Tier.FIRST:
        tier_rule = (
            f"No notice to this parent for this child counts in {window} (withdrawn notices do "
            f"not count): £{PENALTY_REDUCED_POUNDS} within {PENALTY_REDUCED_DAYS} days of "
            f"receipt, else £{PENALTY_FULL_POUNDS} within {PENALTY_FULL_DAYS} days. "
            f"{REGULATIONS}; DfE national framework (2024)."
        )
        reduced_rule: str | None = (
            f"£{PENALTY_REDUCED_POUNDS} if paid within the {PENALTY_REDUCED_DAYS} days "
            f"beginning with the day of receipt (that day is day 1): {REGULATIONS}, reg 4."
        )
    else:
        tier_rule = (
            f"A second notice to this parent for this child in {window}: "
            f"£{PENALTY_FULL_POUNDS} within {PENALTY_FULL_DAYS} days, no reduced rate. "
            f"{REGULATIONS}; DfE national framework (2024)."
        )
        reduced_rule = None
    return PenaltyNoticeView(
        notice=notice,
        tier=tier,
        status_today=status_today(notice, today),
        received_rule=_received_rule(notice.service_method),
        tier_rule=tier_rule,
        reduced_due_rule=reduced_rule,
        full_due_rule=(
            f"£{PENALTY_FULL_POUNDS} within the {PENALTY_FULL_DAYS} days beginning with the day "
            f"of receipt (that day is day 1): {REGULATIONS}, reg 4; unpaid after it, the "
            "council prosecutes or withdraws the notice (reg 9; national framework)."
        ),
        proceedings_not_before=rules.proceedings_not_before(notice.received_on),
        proceedings_rule=(
            "No proceedings for the offence before the payment period has ended: Education "
            f"Act 1996 s444A; {REGULATIONS}, reg 7."
        ),
    )


async def _enforcement_case(
    session: AsyncSession, access: Access, case_id: uuid.UUID, *, for_update: bool = False
) -> Case:
    """The case under the request's decision (``prosecution`` by default). A case below the
    penalty notice stage is not visible under ``prosecution`` (purpose binding): a 404, unless
    the caller may see the case under its own purpose, who is told with a 409 why not."""
    repository = CaseRepository(session)
    case = await repository.get(case_id, visible=access.filter(), for_update=for_update)
    if case is not None:
        access.touched(subject_ids=subjects_of(case), resource_id=case.id)
        return case
    own = await repository.purpose_of(case_id)
    if access.purpose is Purpose.PROSECUTION and own is not None:
        seen = await repository.get(
            case_id, visible=access.related_filter("case", "read", purpose=Purpose(own))
        )
        if seen is not None:
            stage = seen.stage.value
            raise Conflict(
                f"The case is at the {stage} stage: {STAGE_RULE} ({STAGE_SOURCE}).",
                extra={
                    "rule": "penalty_notices.case_stage",
                    "source": STAGE_SOURCE,
                    "stage": stage,
                    "stages": sorted(s.value for s in PROSECUTION_STAGES),
                },
            )
    raise access.not_found(case_id, "No case with that id that you may see.")


def _require_enforcement_stage(case: Case) -> None:
    require_open(case)
    if case.case_type is not CaseType.ATTENDANCE or case.stage not in PROSECUTION_STAGES:
        raise Conflict(
            f"Penalty notices are issued on attendance cases at the penalty_notice stage or "
            f"later (Education Act 1996 s444A); this {case.case_type} case is at the "
            f"{case.stage} stage.",
            extra={
                "rule": "penalty_notices.case_stage",
                "source": "Education Act 1996 s444A",
                "stage": case.stage.value,
            },
        )


async def _new_reference(repository: PenaltyNoticeRepository, issued_on: date) -> str:
    while True:
        suffix = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        reference = f"PN-{issued_on.year}-{suffix}"
        if not await repository.reference_taken(reference):
            return reference


def _issue_problems(
    case: Case,
    today: date,
    *,
    offence_from: date,
    offence_to: date,
    issued_on: date,
    served_on: date,
) -> list[dict[str, str]]:
    problems = []
    if offence_to < offence_from:
        problems.append(body_problem("/offence_to", "before offence_from", "period_reversed"))
    if offence_to > issued_on:
        problems.append(body_problem("/offence_to", "after the issue date", "offence_after_issue"))
    if issued_on > today:
        problems.append(body_problem("/issued_on", "after today", "in_future"))
    if issued_on < case.opened_on:
        problems.append(body_problem("/issued_on", "before the case opened", "too_early"))
    if served_on < issued_on:
        problems.append(body_problem("/served_on", "before the issue date", "before_issue"))
    if served_on > today:
        problems.append(body_problem("/served_on", "after today", "in_future"))
    return problems


async def issue_penalty_notice(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    carer_id: uuid.UUID,
    ground: NoticeGround,
    offence_from: date,
    offence_to: date,
    issued_on: date | None,
    service_method: ServiceMethod,
    served_on: date | None,
    alert_id: uuid.UUID | None,
    template_ids: Mapping[str, uuid.UUID],
) -> PenaltyNoticeView:
    """Issue a penalty notice to a parent on a case at the penalty notice stage, approved by
    the issuing manager, at the tier the three-year count gives, and queue its letter.

    422 for bad dates, a carer who is not a parent on the case or an alert that is not the
    pupil's; 409 for a case not at the stage, a notice in force for an overlapping offence
    period, or a third notice within three years (prosecution is the tool instead).
    """
    case = await _enforcement_case(session, access, case_id, for_update=True)
    _require_enforcement_stage(case)
    today = access.today
    issued = issued_on or today
    served = served_on or issued
    problems = _issue_problems(
        case,
        today,
        offence_from=offence_from,
        offence_to=offence_to,
        issued_on=issued,
        served_on=served,
    )
    if problems:
        raise _invalid("The penalty notice has invalid dates.", problems)
    _parent_on_case(case, carer_id)
    repository = PenaltyNoticeRepository(session)
    if alert_id is not None:
        alert = await repository.alert(alert_id)
        if alert is None or alert.pupil_id != case.pupil_id:
            raise _invalid(
                "The alert is not one of this pupil's.",
                [body_problem("/alert_id", "not an alert about this pupil", "not_this_pupil")],
            )
    # The parent's row is locked until the request ends: two notices to the same parent, on
    # two cases at once, are counted one after the other (the three-year count).
    await session.execute(select(Carer.id).where(Carer.id == carer_id).with_for_update())
    clash = await repository.overlapping(carer_id, case.pupil_id, offence_from, offence_to)
    if clash is not None:
        visible = clash.case_id == case.id
        raise Conflict(
            "A penalty notice in force to this parent for this child already covers part of "
            "this offence period: one notice per parent, per child, per offence (Education Act "
            "1996 s444A).",
            extra={
                "rule": "penalty_notices.one_per_offence_period",
                "source": "Education Act 1996 s444A",
                **({"notice_id": str(clash.id)} if visible else {}),
            },
        )
    history = await repository.history(carer_id, case.pupil_id)
    decision = rules.may_issue(
        [rules.PreviousNotice(day, withdrawn) for day, withdrawn in history], issued
    )
    if not decision.allowed or decision.tier is None:
        raise Conflict(
            f"A third penalty notice within three years cannot be issued: {decision.reason}. "
            "Prosecution (Education Act 1996 s444) is the tool instead.",
            extra={
                "rule": "penalty_notices.third_within_three_years",
                "source": REGULATIONS,
                "counted_issued_on": [day.isoformat() for day in decision.counted],
                "instead": "prosecution",
            },
        )
    try:
        received = rules.deemed_received(served, _rules_method(service_method))
    except CalendarNotKnown as exc:
        raise _invalid(
            "The day of receipt cannot be worked out for that date.",
            [body_problem("/served_on", str(exc), "calendar_not_known")],
        ) from None
    terms = rules.terms_for(decision.tier)
    first = decision.tier is rules.Tier.FIRST
    reduced_pence = terms.reduced_pounds * 100 if terms.reduced_pounds is not None else None
    reduced_due = rules.reduced_rate_last_day(received) if first else None
    full_pence = terms.full_pounds * 100
    full_due = rules.payment_period_last_day(received)
    reference = await _new_reference(repository, issued)
    personalisation: dict[str, Any] = {
        "pupil_name": await _pupil_name(session, case),
        "notice_number": reference,
        "full_amount": full_pence,
        "full_by": full_due.isoformat(),
    }
    if reduced_pence is not None and reduced_due is not None:
        personalisation["reduced_amount"] = reduced_pence
        personalisation["reduced_by"] = reduced_due.isoformat()
    message = await queue_case_message(
        session,
        access,
        case,
        carer_id=carer_id,
        message_type="penalty_notice_letter",
        personalisation=personalisation,
        template_ids=template_ids,
        purpose=Purpose.PROSECUTION,
    )
    carer_subject = _party_subject(case, carer_id)
    notice = PenaltyNotice(
        id=uuid.uuid4(),
        reference=reference,
        case_id=case.id,
        pupil_id=case.pupil_id,
        pupil_subject_id=case.subject_id,
        carer_id=carer_id,
        subject_id=carer_subject,
        purposes_mask=purposes_mask({Purpose.PROSECUTION}),
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT_TASK.value,
        alert_id=alert_id,
        ground=ground,
        offence_from=offence_from,
        offence_to=offence_to,
        sequence=1 if first else 2,
        issued_on=issued,
        service_method=service_method,
        served_on=served,
        received_on=received,
        reduced_amount_pence=reduced_pence,
        reduced_due_on=reduced_due,
        full_amount_pence=full_pence,
        full_due_on=full_due,
        approved_by=access.principal.subject,
        status=PenaltyNoticeStatus.ISSUED,
        message_id=message.id,
        recorded_by=access.principal.subject,
    )
    repository.add(notice)
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.PENALTY_NOTICE,
        by=access.principal.subject,
        now=access.now,
        details={
            "action": "issued",
            "notice_id": str(notice.id),
            "reference": reference,
            "carer_id": str(carer_id),
            "tier": decision.tier.value,
            "issued_on": issued.isoformat(),
            "received_on": received.isoformat(),
            "reduced_due_on": reduced_due.isoformat() if reduced_due else None,
            "full_due_on": full_due.isoformat(),
            "alert_id": str(alert_id) if alert_id else None,
            "message_id": str(message.id),
        },
    )
    access.record_change(
        "penalty_notice.issued",
        resource_id=notice.id,
        subject_id=carer_subject,
        details={
            "case_id": str(case.id),
            "tier": decision.tier.value,
            "ground": ground.value,
            "approved_by": access.principal.subject,
        },
    )
    return _view(notice, today)


async def list_penalty_notices(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, page: PageRequest
) -> tuple[list[PenaltyNoticeView], str | None]:
    case = await _enforcement_case(session, access, case_id)
    notices, next_cursor = await PenaltyNoticeRepository(session).page(case.id, page)
    return [_view(n, access.today) for n in notices], next_cursor


async def _penalty_notice(
    session: AsyncSession, access: Access, case: Case, notice_id: uuid.UUID, for_update: bool
) -> PenaltyNotice:
    notice = await PenaltyNoticeRepository(session).get(case.id, notice_id, for_update=for_update)
    if notice is None:
        raise access.not_found(notice_id, "No penalty notice with that id on this case.")
    access.touched(subject_ids=[notice.subject_id], resource_id=notice.id)
    return notice


async def get_penalty_notice(
    session: AsyncSession, access: Access, *, case_id: uuid.UUID, notice_id: uuid.UUID
) -> PenaltyNoticeView:
    case = await _enforcement_case(session, access, case_id)
    notice = await _penalty_notice(session, access, case, notice_id, False)
    return _view(notice, access.today)


async def _changing(
    session: AsyncSession,
    access: Access,
    case_id: uuid.UUID,
    notice_id: uuid.UUID,
    if_match: IfMatch,
) -> tuple[Case, PenaltyNotice]:
    case = await _enforcement_case(session, access, case_id, for_update=True)
    notice = await _penalty_notice(session, access, case, notice_id, True)
    if_match.require(penalty_notice_etag(notice))
    require_open(case)
    if notice.status is not PenaltyNoticeStatus.ISSUED:
        raise Conflict(
            f"The notice is {notice.status} already: nothing more can be recorded on it.",
            extra={"status": notice.status.value},
        )
    return case, notice


async def record_payment(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    notice_id: uuid.UUID,
    paid_on: date,
    amount_pence: int,
    if_match: IfMatch,
) -> PenaltyNoticeView:
    """Record that the parent paid: the amount must be what the rules make due on that day
    (422 otherwise, naming it); a payment after the 28-day period cannot discharge the notice
    (409: prosecute or withdraw)."""
    case, notice = await _changing(session, access, case_id, notice_id, if_match)
    problems = []
    if paid_on > access.today:
        problems.append(body_problem("/paid_on", "after today", "in_future"))
    if paid_on < notice.served_on:
        problems.append(body_problem("/paid_on", "before the notice was served", "too_early"))
    if problems:
        raise _invalid("The payment has an invalid date.", problems)
    due = rules.amount_due(tier_of(notice), notice.received_on, paid_on)
    if due is None:
        last = rules.payment_period_last_day(notice.received_on)
        raise Conflict(
            f"The payment period ended on {last.isoformat()}: a payment after it does not "
            f"discharge the notice; the council prosecutes or withdraws it ({REGULATIONS}, "
            "reg 4 and reg 9; DfE national framework, 2024).",
            extra={
                "rule": "penalty_notices.payment_period_ended",
                "source": REGULATIONS,
                "payment_period_ends_on": last.isoformat(),
            },
        )
    if amount_pence != due * 100:
        raise _invalid(
            f"£{due} is due on that day.",
            [
                body_problem(
                    "/amount_pence",
                    f"£{due} ({due * 100} pence) is due if paid on {paid_on.isoformat()} "
                    f"({REGULATIONS}, reg 4)",
                    "wrong_amount",
                )
            ],
        )
    notice.status = PenaltyNoticeStatus.PAID
    notice.paid_on = paid_on
    notice.paid_amount_pence = amount_pence
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.PENALTY_NOTICE,
        by=access.principal.subject,
        now=access.now,
        details={
            "action": "paid",
            "notice_id": str(notice.id),
            "paid_on": paid_on.isoformat(),
            "amount_pence": amount_pence,
        },
    )
    access.record_change(
        "penalty_notice.paid",
        resource_id=notice.id,
        subject_id=notice.subject_id,
        details={"case_id": str(case.id), "amount_pence": amount_pence},
    )
    return _view(notice, access.today)


async def withdraw_penalty_notice(
    session: AsyncSession,
    access: Access,
    *,
    case_id: uuid.UUID,
    notice_id: uuid.UUID,
    withdrawn_on: date,
    reason: str,
    if_match: IfMatch,
) -> PenaltyNoticeView:
    """Withdraw a notice that is neither paid nor withdrawn (409 otherwise). A withdrawn
    notice no longer counts towards the three-year limit."""
    case, notice = await _changing(session, access, case_id, notice_id, if_match)
    problems = []
    if withdrawn_on > access.today:
        problems.append(body_problem("/withdrawn_on", "after today", "in_future"))
    if withdrawn_on < notice.issued_on:
        problems.append(body_problem("/withdrawn_on", "before the notice was issued", "too_early"))
    if problems:
        raise _invalid("The withdrawal has an invalid date.", problems)
    notice.status = PenaltyNoticeStatus.WITHDRAWN
    notice.withdrawn_on = withdrawn_on
    notice.withdrawal_reason = reason
    await session.flush()
    add_event(
        session,
        case,
        CaseEventKind.PENALTY_NOTICE,
        by=access.principal.subject,
        now=access.now,
        details={
            "action": "withdrawn",
            "notice_id": str(notice.id),
            "withdrawn_on": withdrawn_on.isoformat(),
        },
    )
    access.record_change(
        "penalty_notice.withdrawn",
        resource_id=notice.id,
        subject_id=notice.subject_id,
        details={"case_id": str(case.id)},
    )
    return _view(notice, access.today)
