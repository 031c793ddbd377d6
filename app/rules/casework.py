"""The support-first ladder: the stages each type of case passes through, the steps between
them, and the guards the law and guidance set on each step.

Sources:

- DfE, *Working together to improve school attendance* (statutory guidance, August 2024):
  support first; an attendance contract (a voluntary written agreement); a notice to improve
  (a last chance to engage with support, improvement period of 3 to 6 weeks) before a penalty
  notice, except for term-time holidays; a penalty notice; then prosecution.
- Education Act 1996 s447: before prosecuting under s444, the council must consider whether
  to apply for an education supervision order instead of or as well as prosecuting.
- Magistrates' Courts Act 1980 s127: information laid within 6 months of the offence.
- Education Act 1996 s437 to s443: the School Attendance Order process; breach is an offence
  under s443, prosecuted like s444.
- DfE, *Suspension and permanent exclusion* (2024): support to reintegrate after repeated
  suspension or a risk of exclusion.

Council practice, not statute: a prosecution needs an attendance manager's approval and the
evidence list it relies on; penalty notices and School Attendance Orders need a manager's
approval too (recorded on the notice or order).

Everything here is pure: the service gathers a case's ``CaseFacts`` and asks which steps are
open and why the others are not. Each guard has a stable code that appears in a refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from app.models.cases import CaseStage, CaseType, NoticeGround
from app.policies.registry import Purpose

S = CaseStage

#: The stages each case type moves between: from -> the stages it may go to next. Closing is
#: open from every stage (with an outcome).
LADDERS: Mapping[CaseType, Mapping[CaseStage, tuple[CaseStage, ...]]] = {
    CaseType.ATTENDANCE: {
        S.REFERRAL: (S.TRIAGE,),
        S.TRIAGE: (S.SUPPORT,),
        S.SUPPORT: (S.ATTENDANCE_CONTRACT, S.NOTICE_TO_IMPROVE, S.PENALTY_NOTICE),
        S.ATTENDANCE_CONTRACT: (S.SUPPORT, S.NOTICE_TO_IMPROVE),
        S.NOTICE_TO_IMPROVE: (S.SUPPORT, S.PENALTY_NOTICE),
        S.PENALTY_NOTICE: (S.SUPPORT, S.ESO_CONSIDERED),
        S.ESO_CONSIDERED: (S.SUPPORT, S.PROSECUTION_PREPARATION),
        S.PROSECUTION_PREPARATION: (S.SUPPORT, S.PROSECUTION),
        S.PROSECUTION: (),
    },
    CaseType.SCHOOL_ATTENDANCE_ORDER: {
        S.REFERRAL: (S.TRIAGE,),
        S.TRIAGE: (S.SUPPORT,),
        S.SUPPORT: (S.SAO_NOTICE,),
        S.SAO_NOTICE: (S.SUPPORT, S.SAO_INTENTION),
        S.SAO_INTENTION: (S.SUPPORT, S.SAO_ORDER),
        S.SAO_ORDER: (S.ESO_CONSIDERED,),
        S.ESO_CONSIDERED: (S.SAO_ORDER, S.PROSECUTION_PREPARATION),
        S.PROSECUTION_PREPARATION: (S.SAO_ORDER, S.PROSECUTION),
        S.PROSECUTION: (),
    },
    CaseType.EXCLUSION_SUPPORT: {
        S.REFERRAL: (S.TRIAGE,),
        S.TRIAGE: (S.SUPPORT,),
        S.SUPPORT: (S.REINTEGRATION,),
        S.REINTEGRATION: (S.SUPPORT,),
    },
}

#: Where a new case starts: a school's referral waits for triage; a case the council opens
#: (from an alert, or by a manager) starts at triage.
FIRST_STAGE = {True: S.REFERRAL, False: S.TRIAGE}

#: The purpose each case type serves, and the purposes its records are collected for.
CASE_PURPOSE: Mapping[CaseType, Purpose] = {
    CaseType.ATTENDANCE: Purpose.ATTENDANCE_DUTY,
    CaseType.SCHOOL_ATTENDANCE_ORDER: Purpose.SCHOOL_ATTENDANCE_ORDER,
    CaseType.EXCLUSION_SUPPORT: Purpose.EXCLUSION_SUPPORT,
}
COLLECTED_FOR: Mapping[CaseType, frozenset[Purpose]] = {
    CaseType.ATTENDANCE: frozenset({Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION}),
    CaseType.SCHOOL_ATTENDANCE_ORDER: frozenset({Purpose.ATTENDANCE_DUTY}),
    CaseType.EXCLUSION_SUPPORT: frozenset({Purpose.EXCLUSION_SUPPORT}),
}

#: Stages that bind a case's people to a purpose (purpose binding), by case type.
_BINDING: Mapping[CaseType, Mapping[Purpose, frozenset[CaseStage]]] = {
    CaseType.ATTENDANCE: {
        Purpose.PROSECUTION: frozenset(
            {S.PENALTY_NOTICE, S.ESO_CONSIDERED, S.PROSECUTION_PREPARATION, S.PROSECUTION}
        ),
    },
    CaseType.SCHOOL_ATTENDANCE_ORDER: {
        Purpose.SCHOOL_ATTENDANCE_ORDER: frozenset(
            {
                S.SAO_NOTICE,
                S.SAO_INTENTION,
                S.SAO_ORDER,
                S.ESO_CONSIDERED,
                S.PROSECUTION_PREPARATION,
                S.PROSECUTION,
            }
        ),
        # A breach of the order is prosecuted under s443.
        Purpose.PROSECUTION: frozenset(
            {S.ESO_CONSIDERED, S.PROSECUTION_PREPARATION, S.PROSECUTION}
        ),
    },
    CaseType.EXCLUSION_SUPPORT: {},
}


def bound_purposes(case_type: CaseType, stage: CaseStage) -> frozenset[Purpose]:
    """The purposes a case at this stage binds its people to (purpose binding): penalty
    notices and prosecution are ``prosecution`` (EA 1996 s444, s444A; DPA 2018 Part 3), the
    School Attendance Order process ``school_attendance_order``. While bound, each person of
    the case has a live legal claim for the purpose (UK GDPR Art 18(2))."""
    return frozenset(purpose for purpose, stages in _BINDING[case_type].items() if stage in stages)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the guards need to know about a case, gathered by the service."""

    case_type: CaseType
    stage: CaseStage
    today: date
    assigned: bool
    #: People on the case with parental responsibility (penalty notices, prosecutions).
    parents: int = 0
    active_contract: bool = False
    #: Notices to improve on the case: issued, and whose improvement period has ended
    #: without improvement.
    notice_to_improve_issued: bool = False
    notice_to_improve_failed: bool = False
    #: The ground of enforcement stated for the step (term-time holidays skip the notice to
    #: improve).
    ground: NoticeGround | None = None
    penalty_notice_issued: bool = False
    eso_recorded: bool = False
    prosecution_approved: bool = False
    #: The prosecution being prepared: its evidence list and its last day to lay.
    evidence_items: int = 0
    prosecution_recorded: bool = False
    lay_by: date | None = None
    sao_notice_served: bool = False
    sao_notice_period_over: bool = False
    sao_intention_served: bool = False
    sao_intention_period_over: bool = False
    sao_order_made: bool = False
    sao_order_breached: bool = False


@dataclass(frozen=True, slots=True)
class Guard:
    code: str
    #: What must hold, in words (a refusal names it).
    rule: str
    source: str
    holds: Callable[[CaseFacts], bool]


def _ended_or_holiday(f: CaseFacts) -> bool:
    return f.notice_to_improve_failed or f.ground is NoticeGround.TERM_TIME_HOLIDAY


GUARDS: Mapping[CaseStage, tuple[Guard, ...]] = {
    S.SUPPORT: (
        Guard(
            "assigned",
            "the case is assigned to an officer",
            "council practice",
            lambda f: f.assigned,
        ),
    ),
    S.ATTENDANCE_CONTRACT: (
        Guard(
            "contract_agreed",
            "an attendance contract is agreed and active on the case",
            "DfE, Working together to improve school attendance (2024)",
            lambda f: f.active_contract,
        ),
    ),
    S.NOTICE_TO_IMPROVE: (
        Guard(
            "notice_to_improve_issued",
            "a notice to improve is issued on the case",
            "DfE, Working together to improve school attendance (2024)",
            lambda f: f.notice_to_improve_issued,
        ),
    ),
    S.PENALTY_NOTICE: (
        Guard(
            "notice_to_improve_failed",
            "a notice to improve's improvement period has ended without improvement, unless "
            "the ground is a term-time holiday (no notice to improve is needed for one)",
            "DfE, Working together to improve school attendance (2024); SI 2024/210",
            _ended_or_holiday,
        ),
        Guard(
            "parent_on_case",
            "a parent with parental responsibility is on the case",
            "Education Act 1996 s444A (a notice is per parent, per child)",
            lambda f: f.parents > 0,
        ),
    ),
    S.ESO_CONSIDERED: (
        Guard(
            "eso_recorded",
            "whether to apply for an education supervision order is considered and recorded",
            "Education Act 1996 s447",
            lambda f: f.eso_recorded,
        ),
    ),
    S.PROSECUTION_PREPARATION: (
        Guard(
            "eso_recorded",
            "whether to apply for an education supervision order is considered and recorded",
            "Education Act 1996 s447",
            lambda f: f.eso_recorded,
        ),
        Guard(
            "parent_on_case",
            "a parent with parental responsibility is on the case",
            "Education Act 1996 s444 (an offence by a parent)",
            lambda f: f.parents > 0,
        ),
    ),
    S.PROSECUTION: (
        Guard(
            "eso_recorded",
            "whether to apply for an education supervision order is considered and recorded",
            "Education Act 1996 s447",
            lambda f: f.eso_recorded,
        ),
        Guard(
            "prosecution_recorded",
            "the prosecution is prepared: offence, offence period and the parent",
            "Education Act 1996 s444, s443",
            lambda f: f.prosecution_recorded,
        ),
        Guard(
            "evidence_listed",
            "the evidence list names at least one item",
            "council practice (Criminal Procedure Rules: the prosecution's case)",
            lambda f: f.evidence_items > 0,
        ),
        Guard(
            "manager_approved",
            "an attendance manager approved the prosecution",
            "council practice",
            lambda f: f.prosecution_approved,
        ),
        Guard(
            "within_time_limit",
            "the information can still be laid (6 months from the offence)",
            "Magistrates' Courts Act 1980 s127",
            lambda f: f.lay_by is not None and f.today <= f.lay_by,
        ),
    ),
    # The s437(1) notice is served at this stage, under ``school_attendance_order``, which
    # reaches the case's people only once it is here (purpose binding): so the step needs the
    # parent it will be served on, not the notice itself.
    S.SAO_NOTICE: (
        Guard(
            "parent_on_case",
            "a parent with parental responsibility is on the case",
            "Education Act 1996 s437(1) (the notice is served on the parent)",
            lambda f: f.parents > 0,
        ),
    ),
    S.SAO_INTENTION: (
        Guard(
            "sao_notice_period_over",
            "the s437(1) notice's period has ended without the council being satisfied",
            "Education Act 1996 s437(1), (3)",
            lambda f: f.sao_notice_period_over,
        ),
        Guard(
            "sao_intention_served",
            "the notice of intention naming a school is served",
            "Education Act 1996 s437(3)-(4), s438",
            lambda f: f.sao_intention_served,
        ),
    ),
    S.SAO_ORDER: (
        Guard(
            "sao_order_made",
            "the order is made (after the period to choose another school)",
            "Education Act 1996 s437(3), s438",
            lambda f: f.sao_order_made,
        ),
    ),
    S.REINTEGRATION: (
        Guard(
            "assigned",
            "the case is assigned to an officer",
            "council practice",
            lambda f: f.assigned,
        ),
    ),
}

#: Guards that apply only to one case type's step (an SAO breach is what founds s443).
TYPE_GUARDS: Mapping[tuple[CaseType, CaseStage], tuple[Guard, ...]] = {
    (CaseType.SCHOOL_ATTENDANCE_ORDER, S.ESO_CONSIDERED): (
        Guard(
            "sao_order_breached",
            "the parent failed to comply with the order",
            "Education Act 1996 s443",
            lambda f: f.sao_order_breached,
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class Step:
    """A stage the case may move to next, and whether it may move there now."""

    to: CaseStage
    allowed: bool
    #: The guards that do not hold (empty when allowed).
    unmet: tuple[Guard, ...] = ()


def guards_for(case_type: CaseType, to: CaseStage, *, forward: bool) -> tuple[Guard, ...]:
    """The guards on moving to ``to``. Going back down the ladder (to support, or to an order
    already made) needs none."""
    if not forward:
        return ()
    return GUARDS.get(to, ()) + TYPE_GUARDS.get((case_type, to), ())


def _order(case_type: CaseType) -> dict[CaseStage, int]:
    ladder = LADDERS[case_type]
    order: dict[CaseStage, int] = {}
    for stage in ladder:
        order.setdefault(stage, len(order))
        for nxt in ladder[stage]:
            order.setdefault(nxt, len(order))
    return order


def is_forward(case_type: CaseType, from_: CaseStage, to: CaseStage) -> bool:
    order = _order(case_type)
    return order[to] > order[from_]


def next_steps(facts: CaseFacts) -> tuple[Step, ...]:
    """Every stage the case may go to from where it is, each with the guards that stop it.
    Closing is not listed: it is open from every stage, with an outcome."""
    if facts.stage is S.CLOSED:
        return ()
    steps = []
    for to in LADDERS[facts.case_type].get(facts.stage, ()):
        guards = guards_for(
            facts.case_type, to, forward=is_forward(facts.case_type, facts.stage, to)
        )
        unmet = tuple(g for g in guards if not g.holds(facts))
        steps.append(Step(to, not unmet, unmet))
    return tuple(steps)


class IllegalStep(ValueError):
    """The ladder has no step from the case's stage to the one asked for."""


def check_step(facts: CaseFacts, to: CaseStage) -> tuple[Guard, ...]:
    """The guards a step to ``to`` fails (empty: it may go). Raises ``IllegalStep`` where the
    ladder has no such step."""
    if to is S.CLOSED:
        if facts.stage is S.CLOSED:
            raise IllegalStep("the case is already closed")
        return ()
    for step in next_steps(facts):
        if step.to is to:
            return step.unmet
    raise IllegalStep(f"a {facts.case_type} case cannot go from {facts.stage} to {to}")
