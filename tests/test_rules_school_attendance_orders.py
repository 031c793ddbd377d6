"""School attendance orders (Education Act 1996 s437-s443) and the 2026 Act's regime
switch, as pure rules."""

from __future__ import annotations

from datetime import date

from app.rules.school_attendance_orders import (
    STEPS_1996,
    Regime,
    Step,
    choice_of_school_ends,
    earliest_order_date,
    earliest_satisfy_deadline,
    regime_on,
    satisfy_period_is_lawful,
)


def test_notice_to_satisfy_gives_15_days_beginning_with_service() -> None:
    assert earliest_satisfy_deadline(date(2025, 3, 1)) == date(2025, 3, 15)
    assert satisfy_period_is_lawful(date(2025, 3, 1), date(2025, 3, 15))
    assert not satisfy_period_is_lawful(date(2025, 3, 1), date(2025, 3, 14))


def test_fifteen_days_run_over_month_end_and_leap_day() -> None:
    assert earliest_satisfy_deadline(date(2024, 2, 20)) == date(2024, 3, 5)
    assert earliest_satisfy_deadline(date(2025, 2, 20)) == date(2025, 3, 6)


def test_choice_of_school_period_and_the_order() -> None:
    assert choice_of_school_ends(date(2025, 6, 2)) == date(2025, 6, 16)
    assert earliest_order_date(date(2025, 6, 2)) == date(2025, 6, 17)


def test_steps_in_order() -> None:
    assert STEPS_1996[0] is Step.NOTICE_TO_SATISFY
    assert STEPS_1996[-1] is Step.PROSECUTION_FOR_BREACH


def test_regime_by_commencement() -> None:
    day = date(2026, 9, 1)
    assert regime_on(day, None) is Regime.EDUCATION_ACT_1996
    assert regime_on(day, date(2026, 9, 2)) is Regime.EDUCATION_ACT_1996
    assert regime_on(day, date(2026, 9, 1)) is Regime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026
    assert regime_on(day, date(2026, 4, 29)) is Regime.CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026
    assert regime_on(day, None).value == "education_act_1996"
