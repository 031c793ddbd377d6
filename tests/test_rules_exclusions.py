"""Suspensions and permanent exclusions (SI 2012/1033; DfE guidance): the 45-day cap, the
board's reinstatement reviews and sixth-day education, in school days of the Kent calendar."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.rules.calendar import KENT_MAINTAINED_2024_2027, CalendarNotKnown
from app.rules.exclusions import (
    ReinstatementReview,
    ReviewCase,
    Suspension,
    check_suspension_cap,
    local_authority_provision_from,
    reinstatement_deadline,
    reinstatement_review,
    school_provision_from,
    suspension_dates,
    suspension_days_by_school_year,
    suspension_days_by_term,
    suspension_days_remaining,
)

KENT = KENT_MAINTAINED_2024_2027


def test_a_suspension_runs_over_half_term_in_school_days() -> None:
    assert suspension_dates(KENT, Suspension(date(2025, 10, 16), 4)) == (
        date(2025, 10, 16),
        date(2025, 10, 17),
        date(2025, 10, 27),
        date(2025, 10, 28),
    )


def test_days_by_term_and_school_year() -> None:
    suspensions = [Suspension(date(2025, 10, 16), 4), Suspension(date(2025, 12, 1), 3)]
    by_term = {term.name: days for term, days in suspension_days_by_term(KENT, suspensions).items()}
    assert by_term == {"2025-26 Term 1": 2, "2025-26 Term 2": 5}
    assert suspension_days_by_school_year(KENT, suspensions) == {2025: 7}


def test_a_suspension_over_the_summer_counts_in_each_school_year() -> None:
    span = Suspension(date(2026, 7, 20), 4)  # 20, 21 July then 1, 2 September
    assert suspension_days_by_school_year(KENT, [span]) == {2025: 2, 2026: 2}


def test_days_remaining_in_the_school_year() -> None:
    existing = [Suspension(date(2025, 9, 1), 20), Suspension(date(2026, 1, 5), 20)]
    assert suspension_days_remaining(KENT, existing, 2025) == 5
    assert suspension_days_remaining(KENT, existing, 2026) == 45


@pytest.mark.parametrize(("days", "allowed"), [(4, True), (5, True), (6, False)])
def test_the_45_day_cap(days: int, allowed: bool) -> None:
    existing = [Suspension(date(2025, 9, 1), 20), Suspension(date(2026, 1, 5), 20)]
    check = check_suspension_cap(KENT, existing, Suspension(date(2026, 3, 2), days))
    assert check.allowed is allowed
    assert check.days_used == {2025: 40}
    assert check.days_remaining == {2025: 5}
    if not allowed:
        assert "SI 2012/1033" in check.reason
        assert "5 left" in check.reason


def test_the_cap_is_per_school_year() -> None:
    existing = [Suspension(date(2025, 9, 1), 45)]
    assert check_suspension_cap(KENT, existing, Suspension(date(2026, 9, 1), 5)).allowed
    assert not check_suspension_cap(KENT, existing, Suspension(date(2026, 7, 21), 2)).allowed


@pytest.mark.parametrize(
    ("kwargs", "case", "within"),
    [
        ({"permanent": True}, ReviewCase.PERMANENT_EXCLUSION, 15),
        ({"permanent": False, "term_suspension_days": 16}, ReviewCase.OVER_15_DAYS_IN_TERM, 15),
        (
            {"permanent": False, "term_suspension_days": 3, "misses_public_exam": True},
            ReviewCase.PUBLIC_EXAM_MISSED,
            15,
        ),
        (
            {"permanent": False, "term_suspension_days": 15, "parents_made_representations": True},
            ReviewCase.OVER_5_DAYS_ON_REPRESENTATIONS,
            50,
        ),
        (
            {"permanent": False, "term_suspension_days": 6, "parents_made_representations": True},
            ReviewCase.OVER_5_DAYS_ON_REPRESENTATIONS,
            50,
        ),
        ({"permanent": False, "term_suspension_days": 15}, ReviewCase.NONE_REQUIRED, None),
        (
            {"permanent": False, "term_suspension_days": 5, "parents_made_representations": True},
            ReviewCase.NONE_REQUIRED,
            None,
        ),
    ],
)
def test_reinstatement_review_cases(
    kwargs: dict[str, Any], case: ReviewCase, within: int | None
) -> None:
    review = reinstatement_review(**kwargs)
    assert review.case is case
    assert review.within_school_days == within
    assert review.required is (within is not None)


def test_reinstatement_deadlines_in_school_days() -> None:
    fifteen = ReinstatementReview(ReviewCase.PERMANENT_EXCLUSION, 15)
    # Notified on the last day of term 1: half term is skipped.
    assert reinstatement_deadline(KENT, fifteen, date(2025, 10, 17)) == date(2025, 11, 14)
    fifty = ReinstatementReview(ReviewCase.OVER_5_DAYS_ON_REPRESENTATIONS, 50)
    # Over Christmas and the February half term.
    assert reinstatement_deadline(KENT, fifty, date(2025, 12, 1)) == date(2026, 3, 2)
    none = ReinstatementReview(ReviewCase.NONE_REQUIRED, None)
    assert reinstatement_deadline(KENT, none, date(2025, 12, 1)) is None


def test_school_arranges_education_from_the_sixth_day_of_a_long_suspension() -> None:
    assert school_provision_from(KENT, Suspension(date(2025, 9, 1), 5)) is None
    assert school_provision_from(KENT, Suspension(date(2025, 9, 1), 6)) == date(2025, 9, 8)
    # Across half term: 13-17 October, then 27 October is the sixth school day.
    assert school_provision_from(KENT, Suspension(date(2025, 10, 13), 10)) == date(2025, 10, 27)


def test_local_authority_arranges_education_from_the_sixth_day_of_a_permanent_exclusion() -> None:
    assert local_authority_provision_from(KENT, date(2025, 10, 15)) == date(2025, 10, 29)
    # Over the early May bank holiday 2026 (Monday 4 May).
    assert local_authority_provision_from(KENT, date(2026, 4, 28)) == date(2026, 5, 6)


def test_a_suspension_of_no_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Suspension(date(2025, 9, 1), 0)


def test_counting_past_the_calendar_is_refused() -> None:
    with pytest.raises(CalendarNotKnown):
        suspension_dates(KENT, Suspension(date(2027, 7, 19), 5))
