"""The subject-rights clock, extensions and applicability (app.rules.subject_rights)."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.subject_requests import RequestRight
from app.rules.subject_rights import (
    ART_12A_COMMENCED,
    BASES,
    Clock,
    ClockRule,
    Pause,
    applicability,
    clock_rule,
    complaint_acknowledge_by,
    due_on,
    extension_deadline,
    extension_refusal,
    paused_days,
    started_on,
)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # ICO's own example: day of receipt is day 1.
        (date(2026, 9, 3), date(2026, 10, 5)),  # 3 October 2026 is a Saturday
        (date(2027, 9, 3), date(2027, 10, 4)),  # 3 October 2027 is a Sunday
        (date(2025, 9, 3), date(2025, 10, 3)),  # a Friday: as the ICO says
        # 31 January: the last day of February, leap and common years.
        (date(2028, 1, 31), date(2028, 2, 29)),  # Tuesday, leap year
        (date(2027, 1, 31), date(2027, 3, 1)),  # 28 February 2027 is a Sunday
        (date(2026, 1, 31), date(2026, 3, 2)),  # 28 February 2026 is a Saturday
        (date(2025, 1, 31), date(2025, 2, 28)),  # a Friday
        # Christmas Day (Friday 2026), then the Boxing Day substitute on Monday 28th.
        (date(2026, 11, 25), date(2026, 12, 29)),
        # Easter Monday 2027 (29 March) moves to Tuesday.
        (date(2027, 2, 28), date(2027, 3, 30)),
        # Good Friday 2027 (26 March), the weekend and Easter Monday: Tuesday.
        (date(2027, 2, 26), date(2027, 3, 30)),
        # A Saturday due date moves to Monday.
        (date(2026, 10, 3), date(2026, 11, 3)),  # 3 November: Tuesday, no move
        (date(2026, 10, 7), date(2026, 11, 9)),  # 7 November is a Saturday
        # The month's end: 31 March -> 30 April; 30 April -> 30 May (Saturday) -> 1 June.
        (date(2027, 3, 31), date(2027, 4, 30)),
        (date(2026, 4, 30), date(2026, 6, 1)),
    ],
)
def test_one_calendar_month_from_receipt_to_the_next_working_day(received: date, due: date) -> None:
    assert due_on(Clock(received)) == due


def test_the_clock_starts_when_the_identity_information_asked_for_arrives() -> None:
    asked = Clock(date(2026, 9, 3), identity_asked_on=date(2026, 9, 3))
    assert started_on(asked) is None and due_on(asked) is None
    arrived = Clock(
        date(2026, 9, 3), identity_asked_on=date(2026, 9, 3), identity_received_on=date(2026, 9, 10)
    )
    assert started_on(arrived) == date(2026, 9, 10)
    assert due_on(arrived) == date(2026, 10, 12)  # 10 October is a Saturday


def test_identity_not_asked_for_leaves_the_start_at_receipt() -> None:
    assert started_on(Clock(date(2026, 9, 3))) == date(2026, 9, 3)


def test_a_clarification_stops_the_clock_both_days_excluded_under_article_12a() -> None:
    # Asked on 8 September, answered on 15th: 8 days (8th..15th) do not count.
    clock = Clock(date(2026, 9, 3), pauses=(Pause(date(2026, 9, 8), date(2026, 9, 15)),))
    assert clock.rule is ClockRule.ART_12A
    assert paused_days(clock) == 8
    assert due_on(clock) == date(2026, 10, 12)  # 3 Oct + 8 = 11 Oct, a Sunday
    assert extension_deadline(clock) == date(2026, 10, 11)


def test_an_open_clarification_leaves_the_due_date_unknown() -> None:
    clock = Clock(date(2026, 9, 3), pauses=(Pause(date(2026, 9, 8)),))
    assert due_on(clock) is None and paused_days(clock) is None


def test_before_article_12a_the_icos_guidance_counts_the_days_to_the_answer() -> None:
    clock = Clock(date(2025, 9, 3), pauses=(Pause(date(2025, 9, 8), date(2025, 9, 15)),))
    assert clock.rule is ClockRule.ICO_GUIDANCE
    assert paused_days(clock) == 7
    assert due_on(clock) == date(2025, 10, 10)


def test_the_rule_is_chosen_by_the_day_of_receipt() -> None:
    assert clock_rule(date(2026, 2, 4)) is ClockRule.ICO_GUIDANCE
    assert clock_rule(ART_12A_COMMENCED) is ClockRule.ART_12A


def test_a_pause_before_the_clock_started_does_not_count() -> None:
    clock = Clock(
        date(2026, 9, 1),
        identity_asked_on=date(2026, 9, 1),
        identity_received_on=date(2026, 9, 10),
        pauses=(Pause(date(2026, 9, 2), date(2026, 9, 5)),),
    )
    assert paused_days(clock) == 0
    assert due_on(clock) == date(2026, 10, 12)


def test_an_extension_counts_three_months_from_the_start() -> None:
    assert due_on(Clock(date(2026, 9, 3), extension_months=2)) == date(2026, 12, 3)
    assert due_on(Clock(date(2026, 9, 3), extension_months=1)) == date(2026, 11, 3)
    # 30 November + 3 months: no 30 February, so 28 February 2027, a Sunday -> 1 March.
    assert due_on(Clock(date(2026, 11, 30), extension_months=2)) == date(2027, 3, 1)


def test_an_extension_is_decided_within_the_first_month_only() -> None:
    clock = Clock(date(2026, 9, 3))
    assert extension_refusal(clock, 2, date(2026, 10, 3)) is None  # the month's last day
    late = extension_refusal(clock, 2, date(2026, 10, 4))
    assert late is not None and "2026-10-03" in late and "Art 12(3)" in late
    assert extension_refusal(clock, 3, date(2026, 9, 10)) is not None
    assert extension_refusal(clock, 0, date(2026, 9, 10)) is not None
    # The first month is not moved to a working day: 3 October 2026 is a Saturday.
    assert extension_deadline(clock) == date(2026, 10, 3)


def test_an_extension_is_refused_while_the_clock_has_not_started_or_is_stopped() -> None:
    waiting = Clock(date(2026, 9, 3), identity_asked_on=date(2026, 9, 3))
    assert extension_refusal(waiting, 1, date(2026, 9, 4)) is not None
    stopped = Clock(date(2026, 9, 3), pauses=(Pause(date(2026, 9, 8)),))
    assert extension_refusal(stopped, 1, date(2026, 9, 9)) is not None


def test_an_extension_is_not_shortened() -> None:
    clock = Clock(date(2026, 9, 3), extension_months=2)
    assert extension_refusal(clock, 1, date(2026, 9, 10)) is not None
    assert extension_refusal(clock, 2, date(2026, 9, 10)) is None


@pytest.mark.parametrize(
    ("received", "by"),
    [
        (date(2026, 6, 19), date(2026, 7, 18)),
        (date(2027, 2, 2), date(2027, 3, 3)),
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 5), date(2027, 1, 3)),  # a Sunday: days, not working days
    ],
)
def test_a_complaint_is_acknowledged_within_30_days_beginning_with_receipt(
    received: date, by: date
) -> None:
    assert complaint_acknowledge_by(received) == by


# --- applicability ---------------------------------------------------------------------------

R = RequestRight
EXPECTED: dict[tuple[RequestRight, str], tuple[bool, bool]] = {
    # (applies, conditional)
    (R.ERASURE, "6(1)(c)"): (False, False),
    (R.ERASURE, "6(1)(e)"): (False, True),
    (R.ERASURE, "6(1)(c),6(1)(e)"): (False, False),
    (R.ERASURE, "s35(2)(b)"): (False, True),
    (R.PORTABILITY, "6(1)(c)"): (False, False),
    (R.PORTABILITY, "6(1)(e)"): (False, False),
    (R.PORTABILITY, "s35(2)(b)"): (False, False),
    (R.OBJECTION, "6(1)(c)"): (False, False),
    (R.OBJECTION, "6(1)(e)"): (True, False),
    (R.OBJECTION, "6(1)(c),6(1)(e)"): (True, True),
    (R.OBJECTION, "s35(2)(b)"): (False, False),
    (R.RESTRICTION, "6(1)(c)"): (True, False),
    (R.RESTRICTION, "6(1)(e)"): (True, False),
    (R.ACCESS, "6(1)(c)"): (True, False),
    (R.ACCESS, "s35(2)(b)"): (True, True),
}


@pytest.mark.parametrize(("right", "basis"), list(EXPECTED))
def test_applicability_by_right_and_basis(right: RequestRight, basis: str) -> None:
    answer = applicability(right, basis)
    assert (answer.applies, answer.conditional) == EXPECTED[(right, basis)]


@pytest.mark.parametrize("right", list(RequestRight))
@pytest.mark.parametrize("basis", BASES)
def test_every_right_has_an_answer_with_its_provision_and_a_plain_reason(
    right: RequestRight, basis: str
) -> None:
    answer = applicability(right, basis)
    assert answer.provision and len(answer.reason) > 40
    if basis == "s35(2)(b)":
        assert answer.provision.startswith("DPA 2018")  # Part 3 rights, not UK GDPR ones
    else:
        assert answer.provision.startswith("UK GDPR")


def test_an_unknown_basis_is_refused() -> None:
    with pytest.raises(ValueError, match="no lawful basis"):
        applicability(R.ACCESS, "6(1)(a)")
