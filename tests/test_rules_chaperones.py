"""Chaperone approvals (SI 2014/3309 reg 15; council practice): the checks on an application,
the three-year approval and its reminder."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.rules.chaperones import (
    APPROVAL_YEARS,
    REMINDER_DAYS_BEFORE,
    ChaperoneApplication,
    approval_expires_on,
    check_chaperone,
    dbs_recent_since,
    reminder_due_on,
)
from app.rules.licensing import Severity

TODAY = date(2026, 5, 31)
GOOD = ChaperoneApplication(
    date_of_birth=date(1980, 4, 1),
    received_on=date(2026, 5, 1),
    dbs_certificate_number="001234567890",
    dbs_issued_on=date(2026, 4, 1),
    update_service_checked_on=None,
    references_received=2,
    training_completed_on=date(2026, 4, 20),
)


def rules(application: ChaperoneApplication, today: date = TODAY) -> list[str]:
    return [f.rule for f in check_chaperone(application, today)]


def test_a_complete_application_has_no_findings() -> None:
    assert check_chaperone(GOOD, TODAY) == []


# --- Age -------------------------------------------------------------------------------------


def test_eighteen_on_the_day_received_is_an_adult() -> None:
    assert rules(replace(GOOD, date_of_birth=date(2008, 5, 1))) == []


def test_seventeen_the_day_before_the_eighteenth_birthday_is_refused() -> None:
    [finding] = check_chaperone(replace(GOOD, date_of_birth=date(2008, 5, 2)), TODAY)
    assert finding.rule == "chaperone.adult"
    assert finding.severity is Severity.BLOCKING
    assert finding.facts == {"age": 17, "minimum_age": 18}
    assert not finding.confirmed


def test_a_missing_date_of_birth_is_blocking() -> None:
    [finding] = check_chaperone(replace(GOOD, date_of_birth=None), TODAY)
    assert finding.rule == "chaperone.date_of_birth"
    assert finding.severity is Severity.BLOCKING


# --- DBS certificate -------------------------------------------------------------------------


@pytest.mark.parametrize("number", [None, "", "00123456789", "0012345678901", "00123456789X"])
def test_a_missing_or_malformed_certificate_number_is_blocking(number: str | None) -> None:
    findings = check_chaperone(replace(GOOD, dbs_certificate_number=number), TODAY)
    assert [(f.rule, f.severity) for f in findings] == [
        ("chaperone.dbs_certificate", Severity.BLOCKING)
    ]


def test_a_certificate_number_printed_in_groups_is_accepted() -> None:
    assert rules(replace(GOOD, dbs_certificate_number="0012 3456 7890")) == []


def test_dbs_recent_since_is_three_calendar_months_back() -> None:
    assert dbs_recent_since(date(2026, 5, 31)) == date(2026, 2, 28)
    assert dbs_recent_since(date(2026, 6, 15)) == date(2026, 3, 15)


def test_a_certificate_issued_exactly_three_months_ago_is_recent() -> None:
    assert rules(replace(GOOD, dbs_issued_on=date(2026, 3, 15)), date(2026, 6, 15)) == []


def test_a_certificate_issued_a_day_earlier_is_not() -> None:
    [finding] = check_chaperone(replace(GOOD, dbs_issued_on=date(2026, 3, 14)), date(2026, 6, 15))
    assert finding.rule == "chaperone.dbs_recent"
    assert finding.severity is Severity.BLOCKING
    assert finding.facts["since"] == "2026-03-15"
    assert not finding.confirmed


def test_a_recent_update_service_check_makes_an_old_certificate_recent() -> None:
    old = replace(GOOD, dbs_issued_on=date(2019, 1, 1), update_service_checked_on=TODAY)
    assert rules(old) == []
    stale = replace(old, update_service_checked_on=date(2026, 2, 27))
    assert rules(stale) == ["chaperone.dbs_recent"]


def test_no_dates_at_all_is_not_recent_and_future_dates_do_not_count() -> None:
    assert rules(replace(GOOD, dbs_issued_on=None)) == ["chaperone.dbs_recent"]
    assert rules(replace(GOOD, dbs_issued_on=date(2026, 6, 1))) == ["chaperone.dbs_recent"]


# --- References and training -----------------------------------------------------------------


def test_two_references_are_enough_one_is_not() -> None:
    assert rules(replace(GOOD, references_received=2)) == []
    [finding] = check_chaperone(replace(GOOD, references_received=1), TODAY)
    assert finding.rule == "chaperone.references"
    assert finding.severity is Severity.BLOCKING
    assert finding.facts == {"received": 1, "required": 2}


def test_missing_training_is_a_warning() -> None:
    [finding] = check_chaperone(replace(GOOD, training_completed_on=None), TODAY)
    assert finding.rule == "chaperone.training"
    assert finding.severity is Severity.WARNING


def test_every_problem_is_reported_at_once() -> None:
    empty = ChaperoneApplication(None, TODAY, None, None, None, 0, None)
    assert rules(empty) == [
        "chaperone.date_of_birth",
        "chaperone.dbs_certificate",
        "chaperone.dbs_recent",
        "chaperone.references",
        "chaperone.training",
    ]


# --- Approval period -------------------------------------------------------------------------


def test_an_approval_lasts_three_years_to_the_day_before_the_anniversary() -> None:
    assert APPROVAL_YEARS == 3
    assert approval_expires_on(date(2025, 6, 15)) == date(2028, 6, 14)
    assert approval_expires_on(date(2025, 1, 1)) == date(2027, 12, 31)


def test_an_approval_given_on_29_february_ends_on_28_february() -> None:
    assert approval_expires_on(date(2024, 2, 29)) == date(2027, 2, 28)


def test_an_approval_given_on_1_march_ends_on_a_leap_day() -> None:
    assert approval_expires_on(date(2025, 3, 1)) == date(2028, 2, 29)


def test_the_reminder_is_sixty_days_before_expiry() -> None:
    assert REMINDER_DAYS_BEFORE == 60
    assert reminder_due_on(date(2028, 6, 14)) == date(2028, 4, 15)
    assert reminder_due_on(date(2027, 2, 28)) == date(2026, 12, 30)
