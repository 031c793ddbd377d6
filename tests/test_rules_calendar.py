"""England and Wales working days (GOV.UK bank holidays), calendar months (Dodds v Walker),
the subject-request deadline (ICO) and the Kent school calendar, as pure rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.rules.calendar import (
    BANK_HOLIDAY_YEARS,
    BANK_HOLIDAYS_ENGLAND_AND_WALES,
    KENT_MAINTAINED_2024_2027,
    KENT_PATTERN_DAYS_PER_YEAR,
    CalendarNotKnown,
    SchoolCalendar,
    Term,
    add_calendar_months,
    add_working_days,
    is_bank_holiday,
    is_working_day,
    next_working_day,
    one_calendar_month_from,
    school_year_of,
    subject_request_deadline,
)

KENT = KENT_MAINTAINED_2024_2027


def easter_sunday(year: int) -> date:
    """Anonymous Gregorian algorithm, independent of the data under test."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


@pytest.mark.parametrize("year", list(BANK_HOLIDAY_YEARS))
def test_every_year_has_good_friday_and_easter_monday(year: int) -> None:
    easter = easter_sunday(year)
    assert is_bank_holiday(easter - timedelta(days=2))
    assert is_bank_holiday(easter + timedelta(days=1))


def test_bank_holidays_never_fall_at_a_weekend() -> None:
    assert all(day.weekday() < 5 for day in BANK_HOLIDAYS_ENGLAND_AND_WALES)


@pytest.mark.parametrize("year", list(BANK_HOLIDAY_YEARS))
def test_each_year_has_eight_bank_holidays_except_the_special_ones(year: int) -> None:
    count = sum(1 for day in BANK_HOLIDAYS_ENGLAND_AND_WALES if day.year == year)
    assert count == {2022: 10, 2023: 9}.get(year, 8)


def test_the_years_held_match_gov_uk_for_2025_and_2026() -> None:
    """GOV.UK's published England and Wales lists, typed from the page independently of the
    library, so an upgrade that moved a day would be caught."""
    published = {
        date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
        date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
        date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    }  # fmt: skip
    held = {day for day in BANK_HOLIDAYS_ENGLAND_AND_WALES if day.year in (2025, 2026)}
    assert held == published


@pytest.mark.parametrize(
    "day",
    [
        date(2020, 5, 8),  # VE Day
        date(2022, 6, 2),
        date(2022, 6, 3),  # Platinum Jubilee
        date(2022, 9, 19),  # State Funeral
        date(2023, 5, 8),  # Coronation
        date(2026, 12, 28),  # Boxing Day substitute
        date(2028, 1, 3),  # New Year substitute
    ],
)
def test_one_off_and_substitute_days_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


def test_the_usual_days_the_one_offs_replaced_are_working_days() -> None:
    assert is_working_day(date(2020, 5, 4))  # early May moved to VE Day
    assert is_working_day(date(2022, 5, 30))  # spring holiday moved to 2 June


def test_years_without_data_are_refused() -> None:
    with pytest.raises(CalendarNotKnown):
        is_working_day(date(2036, 1, 2))
    with pytest.raises(CalendarNotKnown):
        is_working_day(date(2017, 12, 29))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 6, 11), date(2025, 6, 11)),  # a Wednesday stays
        (date(2025, 6, 14), date(2025, 6, 16)),  # Saturday -> Monday
        (date(2025, 6, 15), date(2025, 6, 16)),  # Sunday -> Monday
        (date(2025, 4, 18), date(2025, 4, 22)),  # Good Friday -> Tuesday after Easter Monday
        (date(2025, 12, 25), date(2025, 12, 29)),  # Christmas, Boxing Day, weekend
        (date(2022, 6, 2), date(2022, 6, 6)),  # jubilee Thursday and Friday
    ],
)
def test_next_working_day(day: date, expected: date) -> None:
    assert next_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        (date(2025, 6, 9), 0, date(2025, 6, 9)),
        (date(2025, 6, 9), 2, date(2025, 6, 11)),  # Monday + 2 -> Wednesday
        (date(2025, 6, 12), 2, date(2025, 6, 16)),  # Thursday + 2 -> Monday
        (date(2025, 6, 13), 2, date(2025, 6, 17)),  # Friday + 2 -> Tuesday
        (date(2025, 6, 14), 2, date(2025, 6, 17)),  # Saturday + 2 -> Tuesday
        (date(2025, 4, 17), 2, date(2025, 4, 23)),  # over Easter
        (date(2023, 5, 5), 1, date(2023, 5, 9)),  # over the Coronation Monday
        (date(2025, 12, 23), 3, date(2025, 12, 30)),
    ],
)
def test_add_working_days(day: date, n: int, expected: date) -> None:
    assert add_working_days(day, n) == expected


def test_add_working_days_refuses_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2025, 6, 9), -1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2025, 12, 15), 1, date(2026, 1, 15)),  # year boundary
        (date(2025, 3, 31), -1, date(2025, 2, 28)),
    ],
)
def test_add_calendar_months_clamps_to_month_end(start: date, months: int, expected: date) -> None:
    assert add_calendar_months(start, months) == expected


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2025, 9, 3), date(2025, 10, 3)),  # the ICO's example
        (date(2025, 1, 31), date(2025, 2, 28)),
        (date(2024, 1, 31), date(2024, 2, 29)),
        (date(2025, 3, 31), date(2025, 4, 30)),
        (date(2025, 12, 31), date(2026, 1, 31)),
    ],
)
def test_one_calendar_month_from(received: date, due: date) -> None:
    assert one_calendar_month_from(received) == due


@pytest.mark.parametrize(
    ("received", "deadline"),
    [
        (date(2025, 9, 3), date(2025, 10, 3)),  # Friday: stays
        (date(2025, 9, 4), date(2025, 10, 6)),  # 4 Oct is a Saturday -> Monday
        (date(2025, 11, 25), date(2025, 12, 29)),  # Christmas Day -> after Boxing Day, weekend
        (date(2025, 3, 18), date(2025, 4, 22)),  # 18 April Good Friday -> after Easter Monday
        (date(2023, 4, 8), date(2023, 5, 9)),  # 8 May 2023 Coronation -> Tuesday
    ],
)
def test_subject_request_deadline_moves_to_next_working_day(received: date, deadline: date) -> None:
    assert subject_request_deadline(received) == deadline


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2025, 8, 31), 2024),
        (date(2025, 9, 1), 2025),
        (date(2026, 1, 1), 2025),
    ],
)
def test_school_year_runs_1_september_to_31_august(day: date, year: int) -> None:
    assert school_year_of(day) == year


def test_kent_pattern_has_195_days_each_school_year() -> None:
    for year in (2024, 2025, 2026):
        days = sum(KENT.school_days_in(term) for term in KENT.terms if term.school_year == year)
        assert days == KENT_PATTERN_DAYS_PER_YEAR


def test_kent_terms_six_per_year() -> None:
    assert [term.name for term in KENT.terms[:6]] == [f"2024-25 Term {n}" for n in range(1, 7)]
    assert len(KENT.terms) == 18


def test_school_days_skip_holidays_weekends_and_bank_holidays() -> None:
    assert KENT.is_school_day(date(2025, 5, 2))  # Friday in term 5
    assert not KENT.is_school_day(date(2025, 5, 5))  # early May bank holiday in term
    assert not KENT.is_school_day(date(2025, 5, 3))  # Saturday
    assert not KENT.is_school_day(date(2025, 5, 27))  # half term
    assert not KENT.is_school_day(date(2025, 4, 21))  # Easter Monday, before term 5


def test_term_of() -> None:
    term = KENT.term_of(date(2025, 10, 17))
    assert term is not None and term.name == "2025-26 Term 1"
    assert KENT.term_of(date(2025, 10, 20)) is None  # half term


def test_add_school_days_is_the_nth_school_day_after() -> None:
    # Friday 17 Oct 2025 is the last day of term 1; term 2 starts Monday 27 October.
    assert KENT.add_school_days(date(2025, 10, 17), 1) == date(2025, 10, 27)
    assert KENT.add_school_days(date(2025, 10, 16), 1) == date(2025, 10, 17)
    # From a holiday day the count starts at the next school day.
    assert KENT.add_school_days(date(2025, 10, 22), 1) == date(2025, 10, 27)
    # Over the May bank holiday: Friday 2 May 2025 + 1 -> Tuesday 6 May.
    assert KENT.add_school_days(date(2025, 5, 2), 1) == date(2025, 5, 6)
    assert KENT.add_school_days(date(2025, 9, 1), 15) == date(2025, 9, 22)


def test_nth_school_day_counts_the_first_day() -> None:
    assert KENT.nth_school_day(date(2025, 9, 1), 1) == date(2025, 9, 1)
    assert KENT.nth_school_day(date(2025, 9, 1), 6) == date(2025, 9, 8)
    assert KENT.nth_school_day(date(2025, 8, 30), 1) == date(2025, 9, 1)
    with pytest.raises(ValueError, match="at least 1"):
        KENT.nth_school_day(date(2025, 9, 1), 0)


def test_school_days_between_is_inclusive() -> None:
    assert KENT.school_days_between(date(2025, 9, 1), date(2025, 9, 5)) == 5
    assert KENT.school_days_between(date(2025, 9, 1), date(2025, 9, 1)) == 1
    assert KENT.school_days_between(date(2025, 9, 5), date(2025, 9, 1)) == 0
    assert KENT.school_days_between(date(2025, 10, 17), date(2025, 10, 27)) == 2


def test_closures_remove_school_days() -> None:
    school = KENT.with_closures({date(2025, 9, 1), date(2025, 9, 2)})
    assert not school.is_school_day(date(2025, 9, 1))
    assert school.nth_school_day(date(2025, 9, 1), 1) == date(2025, 9, 3)
    assert KENT.is_school_day(date(2025, 9, 1))  # the default is unchanged


def test_counting_past_the_data_is_refused() -> None:
    with pytest.raises(CalendarNotKnown):
        KENT.add_school_days(date(2027, 7, 20), 5)
    with pytest.raises(CalendarNotKnown):
        KENT.is_school_day(date(2024, 8, 30))


def test_terms_must_not_overlap_or_span_years() -> None:
    with pytest.raises(ValueError, match="overlap"):
        SchoolCalendar(
            (
                Term("a", date(2025, 9, 1), date(2025, 10, 17)),
                Term("b", date(2025, 10, 17), date(2025, 12, 19)),
            )
        )
    with pytest.raises(ValueError, match="span"):
        Term("c", date(2025, 6, 1), date(2025, 9, 5))
