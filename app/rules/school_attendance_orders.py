"""School attendance orders: the notice periods and which statutory regime applies.

Sources:

- Education Act 1996 s437(1)-(2): where a child of compulsory school age appears not to be
  receiving suitable education, the local authority serves a notice requiring the parent to
  satisfy it within the period specified, and "That period shall not be less than 15 days
  beginning with the day on which the notice is served". The day of service is day 1, so the
  earliest date a notice may give is service + 14 days.
- Education Act 1996 s437(3): if the parent fails to satisfy the authority within that period
  and the authority thinks it expedient that the child attend school, it serves a school
  attendance order naming a school.
- Education Act 1996 s438: before serving the order the authority serves a notice of its
  intention, naming the school it intends to name and any suitable alternatives; if the parent
  selects an alternative, or applies for and is offered a place elsewhere, within the period of
  15 days beginning with the day the notice is served, that school is named. (The same 15-day
  period "beginning with the day on which the notice is served" appears in the replacement
  s436K inserted by the 2026 Act.)
- Education Act 1996 s443: failing to comply with the order is an offence (level 3 fine; see
  ``app.rules.prosecution``).
- Children's Wellbeing and Schools Act 2026 (c. 21): replaces this process (registers of
  children not in school, school nomination notices and new school attendance orders, new
  Education Act 1996 ss436A-436M) from a date set by commencement regulations. That date is
  not known here: it is an input, and with none the 1996 regime applies.

Service by post: when a posted notice is served is a fact the caller supplies (Education Act
1996 s572 and Interpretation Act 1978 s7); these rules count from the day of service.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

#: s437(2): the notice period is not less than 15 days beginning with the day of service.
SATISFY_NOTICE_MIN_DAYS = 15
#: s438(3)-(4): the parent's 15 days, beginning with service of the notice of intention,
#: to choose another school.
CHOICE_OF_SCHOOL_DAYS = 15


class Regime(StrEnum):
    EDUCATION_ACT_1996 = "education_act_1996"
    CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026 = "childrens_wellbeing_and_schools_act_2026"


class Step(StrEnum):
    """The 1996 Act's steps, in order."""

    NOTICE_TO_SATISFY = "notice_to_satisfy"  # s437(1)
    NOTICE_OF_INTENTION = "notice_of_intention"  # s438(2)
    ORDER = "order"  # s437(3)
    PROSECUTION_FOR_BREACH = "prosecution_for_breach"  # s443


STEPS_1996 = (
    Step.NOTICE_TO_SATISFY,
    Step.NOTICE_OF_INTENTION,
    Step.ORDER,
    Step.PROSECUTION_FOR_BREACH,
)


def _last_day_of_period(served: date, days: int) -> date:
    # "N days beginning with the day on which the notice is served": service is day 1.
    return served + timedelta(days=days - 1)


def earliest_satisfy_deadline(served: date) -> date:
    """The earliest date a s437(1) notice may require the parent to satisfy the authority by:
    the 15th day counting the day of service as day 1 (served 1 March -> 15 March)."""
    return _last_day_of_period(served, SATISFY_NOTICE_MIN_DAYS)


def satisfy_period_is_lawful(served: date, deadline: date) -> bool:
    """Whether a notice served on ``served`` may specify ``deadline`` (s437(2))."""
    return deadline >= earliest_satisfy_deadline(served)


def choice_of_school_ends(served: date) -> date:
    """The last day of the parent's 15 days to choose another school after a notice of
    intention served on ``served`` (s438), counting the day of service as day 1."""
    return _last_day_of_period(served, CHOICE_OF_SCHOOL_DAYS)


def earliest_order_date(intention_served: date) -> date:
    """The first day the order may be served: after the parent's choice period has ended."""
    return choice_of_school_ends(intention_served) + timedelta(days=1)


def regime_on(day: date, commencement: date | None) -> Regime:
    """Which process governs a step taken on ``day``: the Children's Wellbeing and Schools
    Act 2026 from its commencement date, the Education Act 1996 before it or while the date is
    not known (``None``)."""
    if commencement is not None and day >= commencement:
        return Regime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026
    return Regime.EDUCATION_ACT_1996
