"""Penalty notices (SI 2007/1867 as amended by SI 2024/210): deemed receipt, the 21- and
28-day periods counted from receipt as day 1, the tiers and the 3-year limit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.rules.penalty_notices import (
    PaymentStatus,
    PenaltyNotice,
    PreviousNotice,
    Refusal,
    ServiceMethod,
    Tier,
    amount_due,
    deemed_received,
    may_issue,
    payment_period_last_day,
    payment_status,
    proceedings_not_before,
    reduced_rate_last_day,
    repeat_window_starts,
)

RECEIVED = date(2025, 3, 3)


def day_number(n: int) -> date:
    """Day n of a period beginning with the day of receipt (receipt is day 1)."""
    return RECEIVED + timedelta(days=n - 1)


@pytest.mark.parametrize(
    ("posted", "received"),
    [
        (date(2025, 6, 9), date(2025, 6, 11)),  # Monday -> Wednesday
        (date(2025, 6, 12), date(2025, 6, 16)),  # Thursday -> Monday
        (date(2025, 6, 13), date(2025, 6, 17)),  # Friday -> Tuesday
        (date(2025, 4, 17), date(2025, 4, 23)),  # Thursday before Easter -> Wednesday
        (date(2025, 12, 23), date(2025, 12, 29)),  # over Christmas
        (date(2022, 9, 15), date(2022, 9, 20)),  # over the State Funeral
    ],
)
def test_posted_first_class_is_received_on_the_second_working_day(
    posted: date, received: date
) -> None:
    assert deemed_received(posted, ServiceMethod.FIRST_CLASS_POST) == received


def test_handed_over_is_received_that_day() -> None:
    assert deemed_received(date(2025, 6, 14), ServiceMethod.IN_PERSON) == date(2025, 6, 14)


def test_periods_count_the_day_of_receipt_as_day_1() -> None:
    assert reduced_rate_last_day(RECEIVED) == day_number(21) == date(2025, 3, 23)
    assert payment_period_last_day(RECEIVED) == day_number(28) == date(2025, 3, 30)
    assert proceedings_not_before(RECEIVED) == day_number(29)


@pytest.mark.parametrize(
    ("paid_on_day", "first", "second"),
    [
        (1, 80, 160),
        (21, 80, 160),
        (22, 160, 160),
        (28, 160, 160),
        (29, None, None),
    ],
)
def test_amount_due_on_the_edge_days(
    paid_on_day: int, first: int | None, second: int | None
) -> None:
    assert amount_due(Tier.FIRST, RECEIVED, day_number(paid_on_day)) == first
    assert amount_due(Tier.SECOND, RECEIVED, day_number(paid_on_day)) == second


@pytest.mark.parametrize(
    ("today_day", "first", "second"),
    [
        (21, PaymentStatus.PAYABLE_AT_REDUCED_RATE, PaymentStatus.PAYABLE_AT_FULL_RATE),
        (22, PaymentStatus.PAYABLE_AT_FULL_RATE, PaymentStatus.PAYABLE_AT_FULL_RATE),
        (28, PaymentStatus.PAYABLE_AT_FULL_RATE, PaymentStatus.PAYABLE_AT_FULL_RATE),
        (29, PaymentStatus.PROSECUTE_OR_WITHDRAW, PaymentStatus.PROSECUTE_OR_WITHDRAW),
    ],
)
def test_payment_status_unpaid(today_day: int, first: PaymentStatus, second: PaymentStatus) -> None:
    today = day_number(today_day)
    assert payment_status(PenaltyNotice(Tier.FIRST, RECEIVED), today) is first
    assert payment_status(PenaltyNotice(Tier.SECOND, RECEIVED), today) is second


def test_paid_within_the_period_is_paid_for_good() -> None:
    notice = PenaltyNotice(Tier.FIRST, RECEIVED, paid_on=day_number(28))
    assert payment_status(notice, day_number(27)) is PaymentStatus.PAYABLE_AT_FULL_RATE
    assert payment_status(notice, day_number(28)) is PaymentStatus.PAID
    assert payment_status(notice, day_number(400)) is PaymentStatus.PAID


def test_a_late_payment_does_not_discharge() -> None:
    notice = PenaltyNotice(Tier.FIRST, RECEIVED, paid_on=day_number(29))
    assert payment_status(notice, day_number(30)) is PaymentStatus.PROSECUTE_OR_WITHDRAW


def test_withdrawn_wins() -> None:
    notice = PenaltyNotice(Tier.FIRST, RECEIVED, withdrawn_on=day_number(40))
    assert payment_status(notice, day_number(39)) is PaymentStatus.PROSECUTE_OR_WITHDRAW
    assert payment_status(notice, day_number(40)) is PaymentStatus.WITHDRAWN


def test_first_notice_is_first_tier() -> None:
    decision = may_issue([], date(2025, 3, 10))
    assert decision.allowed and decision.tier is Tier.FIRST
    assert decision.terms is not None and decision.terms.reduced_pounds == 80


FIRST = date(2024, 3, 10)


@pytest.mark.parametrize(
    ("new", "tier"),
    [
        (date(2027, 3, 9), Tier.SECOND),  # 3 years less a day: within
        (date(2027, 3, 10), Tier.FIRST),  # exactly 3 years: outside
        (date(2027, 3, 11), Tier.FIRST),  # 3 years and a day: outside
    ],
)
def test_second_notice_within_three_years_is_the_flat_tier(new: date, tier: Tier) -> None:
    decision = may_issue([PreviousNotice(FIRST)], new)
    assert decision.allowed
    assert decision.tier is tier
    if tier is Tier.SECOND:
        assert decision.terms is not None
        assert decision.terms.reduced_pounds is None
        assert decision.terms.full_pounds == 160


@pytest.mark.parametrize(
    ("new", "allowed"),
    [
        (date(2027, 3, 9), False),  # both still within the 3 years ending on the new date
        (date(2027, 3, 10), True),  # the first has dropped out: one counts -> second tier
        (date(2027, 3, 11), True),
    ],
)
def test_no_third_within_three_years(new: date, allowed: bool) -> None:
    previous = [PreviousNotice(FIRST), PreviousNotice(date(2025, 1, 20))]
    decision = may_issue(previous, new)
    assert decision.allowed is allowed
    if allowed:
        assert decision.tier is Tier.SECOND
        assert decision.counted == (date(2025, 1, 20),)
    else:
        assert decision.refusal is Refusal.THIRD_WITHIN_THREE_YEARS
        assert "SI 2024/210" in decision.reason
        assert decision.terms is None


def test_withdrawn_notices_do_not_count() -> None:
    previous = [PreviousNotice(FIRST, withdrawn=True), PreviousNotice(date(2025, 1, 20))]
    decision = may_issue(previous, date(2025, 6, 1))
    assert decision.allowed and decision.tier is Tier.SECOND
    assert may_issue([PreviousNotice(FIRST, withdrawn=True)], date(2025, 6, 1)).tier is Tier.FIRST


def test_a_later_dated_notice_does_not_count_against_an_earlier_one() -> None:
    assert may_issue([PreviousNotice(date(2025, 6, 2))], date(2025, 6, 1)).tier is Tier.FIRST


@pytest.mark.parametrize(
    ("issued", "window_starts"),
    [
        (date(2027, 3, 10), date(2024, 3, 11)),
        (date(2028, 2, 29), date(2025, 3, 1)),  # three years before is 28 Feb 2025
        (date(2027, 2, 28), date(2024, 2, 29)),
        (date(2027, 3, 1), date(2024, 3, 2)),
    ],
)
def test_repeat_window_starts(issued: date, window_starts: date) -> None:
    assert repeat_window_starts(issued) == window_starts


def test_29_february_first_notice() -> None:
    leap = [PreviousNotice(date(2024, 2, 29))]
    assert may_issue(leap, date(2027, 2, 28)).tier is Tier.SECOND
    assert may_issue(leap, date(2027, 3, 1)).tier is Tier.FIRST
    # A new notice on 29 February: the three years begin on 1 March.
    assert may_issue([PreviousNotice(date(2025, 2, 28))], date(2028, 2, 29)).tier is Tier.FIRST
    assert may_issue([PreviousNotice(date(2025, 3, 1))], date(2028, 2, 29)).tier is Tier.SECOND
