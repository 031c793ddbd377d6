"""Penalty notices for school absence: receipt, payment periods, tiers and the 3-year limit.

Sources:

- Education Act 1996 s444A and s444B; the Education (Penalty Notices) (England) Regulations
  2007, SI 2007/1867, as amended by the Education (Penalty Notices) (England) (Amendment)
  Regulations 2024, SI 2024/210, in force 19 August 2024; DfE, "Working together to improve
  school attendance" (statutory guidance, 2024), the national framework for penalty notices.
- Amounts (SI 2007/1867 reg 4 as amended by SI 2024/210 reg 4): £80 if paid within "the period
  of 21 days beginning with the date on which the notice is received", otherwise £160 within
  28 days. "Beginning with" counts the day of receipt as day 1, so the £80 rate runs to
  receipt + 20 days and the 28-day period to receipt + 27 days. The 28-day period is read the
  same way (from receipt, receipt as day 1), as the national framework and councils' codes of
  conduct state it; the amended regulation 5 text itself was not available to quote here.
- A second notice to the same parent for the same child within three years is £160 payable
  within 28 days, with no reduced rate; a notice may not be issued where two have been issued
  to that parent for that child in the period of three years ending with the date on which it
  is proposed to issue it (SI 2024/210; paraphrased in councils' codes of conduct, e.g. West
  Northamptonshire Council, "Code of Conduct for administering Penalty Notices", 2024).
  Withdrawn notices do not count (national framework; Manchester City Council, "School
  Attendance Code of Conduct", 2024, table of what counts towards the limit).
- "Within three years" is decided on dates: the three years ending with the new notice's date
  begin on the day after the same date three years earlier. A notice issued exactly three
  years before does not count; one issued three years less a day before does. For a new notice
  dated 29 February, three years earlier is 28 February (the last day of that February).
- Service by post and deemed receipt: a notice sent by first class post is taken to be
  received on the second working day after posting (councils' codes of conduct, e.g.
  Lincolnshire County Council, "Fixed penalty notices - code of conduct": "presumed to be
  served on the parent to whom it is sent on the second working day after it was posted").
  This rule could not be found in SI 2007/1867 itself or quoted from the DfE guidance, so it is
  kept as data (``POSTED_RECEIPT_WORKING_DAYS``) for the council to confirm. Working days are
  England and Wales working days (``app.rules.calendar``).
- No proceedings for the offence may be brought before the payment period has ended (s444A;
  SI 2007/1867 reg 7 as amended), and an unpaid notice is either prosecuted or withdrawn
  (SI 2007/1867 reg 9; national framework).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.rules.attendance import (
    PENALTY_FULL_DAYS,
    PENALTY_FULL_POUNDS,
    PENALTY_REDUCED_DAYS,
    PENALTY_REDUCED_POUNDS,
    PENALTY_REPEAT_YEARS,
    PenaltyTerms,
    penalty_terms,
)
from app.rules.calendar import add_calendar_years, add_working_days

#: A notice posted first class is taken as received this many working days after posting.
#: Council code-of-conduct practice; not found in the regulations (confirm).
POSTED_RECEIPT_WORKING_DAYS = 2
#: At most this many notices to one parent for one child in the 3 years ending with a date.
PENALTY_LIMIT_IN_WINDOW = 2


class ServiceMethod(StrEnum):
    """How a notice reached the parent."""

    IN_PERSON = "in_person"  # handed over: received that day
    FIRST_CLASS_POST = "first_class_post"


class Tier(StrEnum):
    FIRST = "first"  # £80 within 21 days, else £160 within 28
    SECOND = "second"  # £160 within 28 days, no reduced rate


class Refusal(StrEnum):
    THIRD_WITHIN_THREE_YEARS = "third_within_three_years"


class PaymentStatus(StrEnum):
    PAYABLE_AT_REDUCED_RATE = "payable_at_reduced_rate"
    PAYABLE_AT_FULL_RATE = "payable_at_full_rate"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    PROSECUTE_OR_WITHDRAW = "prosecute_or_withdraw"


def deemed_received(sent_on: date, method: ServiceMethod) -> date:
    """The day a notice is taken as received: the day it is handed over, or the second
    working day after posting first class (posted Friday -> Tuesday)."""
    if method is ServiceMethod.IN_PERSON:
        return sent_on
    return add_working_days(sent_on, POSTED_RECEIPT_WORKING_DAYS)


def _period_last_day(received: date, days: int) -> date:
    # "the period of N days beginning with the date on which the notice is received":
    # the day of receipt is day 1.
    return received + timedelta(days=days - 1)


def reduced_rate_last_day(received: date) -> date:
    """The last day the £80 rate may be paid (day 21, counting receipt as day 1)."""
    return _period_last_day(received, PENALTY_REDUCED_DAYS)


def payment_period_last_day(received: date) -> date:
    """The last day of the 28-day payment period (day 28, counting receipt as day 1)."""
    return _period_last_day(received, PENALTY_FULL_DAYS)


def proceedings_not_before(received: date) -> date:
    """The first day proceedings for the offence may be brought: the day after the payment
    period ends (s444A; SI 2007/1867 reg 7)."""
    return payment_period_last_day(received) + timedelta(days=1)


def terms_for(tier: Tier) -> PenaltyTerms:
    return penalty_terms(second_within_three_years=tier is Tier.SECOND)


def amount_due(tier: Tier, received: date, paid_on: date) -> int | None:
    """Pounds that discharge the notice if paid on ``paid_on``; ``None`` once the payment
    period has ended (payment can no longer discharge liability)."""
    if paid_on > payment_period_last_day(received):
        return None
    if tier is Tier.FIRST and paid_on <= reduced_rate_last_day(received):
        return PENALTY_REDUCED_POUNDS
    return PENALTY_FULL_POUNDS


# --- The 3-year limit ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PreviousNotice:
    """A notice already issued to this parent for this child."""

    issued_on: date
    withdrawn: bool = False


@dataclass(frozen=True, slots=True)
class IssueDecision:
    """Whether a new notice may be issued on a date, at which tier, or which rule refuses it."""

    allowed: bool
    tier: Tier | None
    refusal: Refusal | None
    counted: tuple[date, ...]  # issue dates of the notices that count against the limit
    reason: str

    @property
    def terms(self) -> PenaltyTerms | None:
        return terms_for(self.tier) if self.tier is not None else None


def repeat_window_starts(issued_on: date) -> date:
    """The first day of the period of three years ending with ``issued_on``."""
    return add_calendar_years(issued_on, -PENALTY_REPEAT_YEARS) + timedelta(days=1)


def counts_towards_limit(previous: PreviousNotice, issued_on: date) -> bool:
    """A previous notice counts if it was not withdrawn and was issued within the three years
    ending with ``issued_on``."""
    return (
        not previous.withdrawn
        and repeat_window_starts(issued_on) <= previous.issued_on <= issued_on
    )


def may_issue(previous: Iterable[PreviousNotice], issued_on: date) -> IssueDecision:
    """Whether a notice dated ``issued_on`` may be issued to a parent for a child, given that
    parent's previous notices for that child: a first-tier notice if none counts, a
    second-tier (£160 flat) if one does, refused if two do (use another tool, usually
    prosecution)."""
    counted = tuple(
        sorted(notice.issued_on for notice in previous if counts_towards_limit(notice, issued_on))
    )
    window = f"{repeat_window_starts(issued_on)} to {issued_on}"
    if len(counted) >= PENALTY_LIMIT_IN_WINDOW:
        return IssueDecision(
            False,
            None,
            Refusal.THIRD_WITHIN_THREE_YEARS,
            counted,
            f"{len(counted)} notices already issued to this parent for this child from "
            f"{window} (SI 2007/1867 as amended by SI 2024/210: no more than "
            f"{PENALTY_LIMIT_IN_WINDOW} in 3 years); consider prosecution or another tool",
        )
    if counted:
        return IssueDecision(
            True,
            Tier.SECOND,
            None,
            counted,
            f"second notice within 3 years ({window}): £{PENALTY_FULL_POUNDS} within "
            f"{PENALTY_FULL_DAYS} days, no reduced rate",
        )
    return IssueDecision(
        True,
        Tier.FIRST,
        None,
        counted,
        f"no counting notice from {window}: £{PENALTY_REDUCED_POUNDS} within "
        f"{PENALTY_REDUCED_DAYS} days of receipt, else £{PENALTY_FULL_POUNDS} within "
        f"{PENALTY_FULL_DAYS}",
    )


# --- Payment ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PenaltyNotice:
    """An issued notice as the payment rules see it."""

    tier: Tier
    received_on: date
    paid_on: date | None = None
    withdrawn_on: date | None = None


def payment_status(notice: PenaltyNotice, today: date) -> PaymentStatus:
    """Where a notice stands on ``today``: withdrawn, paid within the period, payable at the
    reduced or full rate, or unpaid after the payment period ("prosecute_or_withdraw").
    A payment after the period does not discharge the notice, so it is not "paid"."""
    if notice.withdrawn_on is not None and notice.withdrawn_on <= today:
        return PaymentStatus.WITHDRAWN
    last_day = payment_period_last_day(notice.received_on)
    if notice.paid_on is not None and notice.paid_on <= min(today, last_day):
        return PaymentStatus.PAID
    if today > last_day:
        return PaymentStatus.PROSECUTE_OR_WITHDRAW
    if notice.tier is Tier.FIRST and today <= reduced_rate_last_day(notice.received_on):
        return PaymentStatus.PAYABLE_AT_REDUCED_RATE
    return PaymentStatus.PAYABLE_AT_FULL_RATE
