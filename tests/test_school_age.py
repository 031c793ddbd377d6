"""Compulsory school age (Education Act 1996 s8; SI 1998/1607), DfE's absence cohort, the
penalty threshold's spent sessions (SI 2024/210) and the retention date (Family Law Reform Act
1969 s9), as pure rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.rules.attendance import penalty_threshold_windows
from app.rules.retention import pupil_retain_until
from app.rules.school_age import (
    compulsory_school_age_ends,
    compulsory_school_age_starts,
    in_absence_cohort,
    of_compulsory_school_age,
)


@pytest.mark.parametrize(
    ("born", "starts"),
    [
        (date(2020, 8, 31), date(2025, 8, 31)),  # fifth birthday on a prescribed day
        (date(2020, 9, 1), date(2025, 12, 31)),
        (date(2020, 12, 31), date(2025, 12, 31)),
        (date(2021, 1, 1), date(2026, 3, 31)),
        (date(2021, 3, 31), date(2026, 3, 31)),
        (date(2021, 4, 1), date(2026, 8, 31)),
        (date(2020, 2, 29), date(2025, 3, 31)),  # turns 5 on 1 March 2025
    ],
)
def test_compulsory_school_age_starts_on_the_prescribed_day(born: date, starts: date) -> None:
    assert compulsory_school_age_starts(born) == starts
    assert of_compulsory_school_age(born, starts)
    assert not of_compulsory_school_age(born, starts - timedelta(days=1))


@pytest.mark.parametrize(
    ("born", "ends"),
    [
        # Turns 16 in July 2026: the school year 2025/26, last Friday in June 2026.
        (date(2010, 7, 15), date(2026, 6, 26)),
        (date(2010, 8, 31), date(2026, 6, 26)),
        # Turns 16 on 1 September 2026: the school year 2026/27.
        (date(2010, 9, 1), date(2027, 6, 25)),
        (date(2008, 2, 29), date(2024, 6, 28)),
    ],
)
def test_compulsory_school_age_ends_on_the_last_friday_in_june(born: date, ends: date) -> None:
    assert compulsory_school_age_ends(born) == ends
    assert ends.weekday() == 4 and ends.month == 6 and (ends + timedelta(days=7)).month == 7
    assert of_compulsory_school_age(born, ends)
    assert not of_compulsory_school_age(born, ends + timedelta(days=1))


def test_neither_a_17_year_old_nor_a_4_year_old_is_of_compulsory_school_age() -> None:
    september = date(2025, 9, 15)
    assert not of_compulsory_school_age(date(2008, 6, 1), september)
    assert not of_compulsory_school_age(date(2021, 6, 1), september)
    assert of_compulsory_school_age(date(2014, 5, 17), september)


def test_the_absence_cohort_is_aged_5_to_15_on_31_august() -> None:
    assert in_absence_cohort(date(2020, 8, 31), 2025)  # 5 on 31 August 2025
    assert not in_absence_cohort(date(2020, 9, 1), 2025)
    assert in_absence_cohort(date(2009, 9, 1), 2025)  # 15 on 31 August 2025
    assert not in_absence_cohort(date(2009, 8, 31), 2025)  # 16


def _weeks(n: int) -> list[date]:
    return [date(2024, 9, 2) + timedelta(weeks=k) for k in range(n)]


def test_a_second_holiday_is_a_second_event() -> None:
    weeks = _weeks(14)
    found = penalty_threshold_windows(weeks, {weeks[1]: 10, weeks[11]: 10})
    assert [(w.first_week, w.last_week, w.sessions) for w in found] == [
        (weeks[1], weeks[1], 10),
        (weeks[11], weeks[11], 10),
    ]


def test_spent_sessions_do_not_count_again() -> None:
    weeks = _weeks(6)
    found = penalty_threshold_windows(weeks, {weeks[0]: 10, weeks[1]: 5, weeks[2]: 4})
    assert [w.last_week for w in found] == [weeks[0]]
    later = penalty_threshold_windows(
        weeks[1:], {weeks[1]: 5, weeks[2]: 5}, spent_through=found[0].spent_through
    )
    assert [w.first_week for w in later] == [weeks[1]]


@pytest.mark.parametrize(
    ("born", "last_kept"),
    [
        (date(2014, 5, 17), date(2039, 5, 16)),
        (date(2008, 2, 29), date(2033, 2, 28)),  # turns 25 on 1 March 2033
        (date(2004, 2, 29), date(2029, 2, 28)),
        (date(2007, 3, 1), date(2032, 2, 29)),
    ],
)
def test_records_are_kept_until_the_day_before_the_25th_birthday(
    born: date, last_kept: date
) -> None:
    assert pupil_retain_until(born) == last_kept
