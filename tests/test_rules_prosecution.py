"""Attendance prosecutions: the offences (Education Act 1996 s443, s444), the 6-month limit
(Magistrates' Courts Act 1980 s127) and a penalty notice's payment period."""

from __future__ import annotations

from datetime import date

import pytest

from app.rules.prosecution import (
    EDUCATION_SUPERVISION_ORDER_FIRST,
    OFFENCES,
    OffenceCode,
    last_day_to_lay,
    prosecution_window,
)


def test_offences_as_data() -> None:
    assert OFFENCES[OffenceCode.S444_1].max_fine_pounds == 1_000
    assert OFFENCES[OffenceCode.S444_1].max_imprisonment_months is None
    assert OFFENCES[OffenceCode.S444_1A].max_fine_pounds == 2_500
    assert OFFENCES[OffenceCode.S444_1A].max_imprisonment_months == 3
    assert OFFENCES[OffenceCode.S443].fine_level == 3
    assert "s447" in EDUCATION_SUPERVISION_ORDER_FIRST


@pytest.mark.parametrize(
    ("offence", "last"),
    [
        (date(2025, 1, 1), date(2025, 7, 1)),  # day of the offence excluded
        (date(2025, 8, 31), date(2026, 2, 28)),  # no 31 February: month end
        (date(2023, 8, 31), date(2024, 2, 29)),  # leap year
        (date(2024, 2, 29), date(2024, 8, 29)),
        (date(2025, 7, 31), date(2026, 1, 31)),
        (date(2025, 12, 31), date(2026, 6, 30)),
        (date(2025, 4, 30), date(2025, 10, 30)),  # not pushed to 31 October
    ],
)
def test_last_day_to_lay_is_six_calendar_months(offence: date, last: date) -> None:
    assert last_day_to_lay(offence) == last


def test_window_without_a_penalty_notice() -> None:
    window = prosecution_window(date(2025, 7, 22))
    assert window.earliest == date(2025, 7, 23)
    assert window.latest == date(2026, 1, 22)
    assert window.possible
    assert window.open_days == 184


def test_an_unpaid_notice_eats_into_the_six_months() -> None:
    # Offence period ended 22 July 2025; notice received 1 September: 28 days from receipt.
    window = prosecution_window(date(2025, 7, 22), penalty_notice_received=date(2025, 9, 1))
    assert window.earliest == date(2025, 9, 29)
    assert window.latest == date(2026, 1, 22)
    assert window.open_days == 116
    assert window.remaining_on(date(2025, 9, 1)) == 116
    assert window.remaining_on(date(2026, 1, 22)) == 1
    assert window.remaining_on(date(2026, 1, 23)) == 0


def test_a_notice_received_too_late_leaves_no_window() -> None:
    window = prosecution_window(date(2025, 1, 10), penalty_notice_received=date(2025, 6, 20))
    assert window.earliest == date(2025, 7, 18)
    assert window.latest == date(2025, 7, 10)
    assert not window.possible
    assert window.open_days == 0


def test_last_day_of_the_window_when_the_payment_period_ends_the_day_before() -> None:
    # Receipt + 27 days is the last payment day; the information may be laid the next day.
    window = prosecution_window(date(2025, 1, 10), penalty_notice_received=date(2025, 6, 12))
    assert window.earliest == window.latest == date(2025, 7, 10)
    assert window.open_days == 1
