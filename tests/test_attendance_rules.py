"""The 2024 attendance codes, the figures DfE derives from them, and the penalty-notice
threshold (SI 2024/208, SI 2024/210)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.rules.attendance import (
    ATTENDANCE_CODES,
    PENALTY_CODES,
    POSSIBLE_CATEGORIES,
    RETIRED_CODES,
    AttendanceFigures,
    CodeCategory,
    CodeProblem,
    PenaltyWindow,
    Session,
    classify,
    normal_code,
    normal_session,
    penalty_terms,
    penalty_threshold_events,
    penalty_threshold_windows,
    school_year_start,
    week_start,
)

EXPECTED = {
    CodeCategory.PRESENT: {"/", "\\", "L"},
    CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY: {"K", "V", "P", "W", "B"},
    CodeCategory.AUTHORISED_ABSENCE: {"C1", "M", "J1", "S", "C2", "C", "T", "R", "I", "E"},
    CodeCategory.UNAUTHORISED_ABSENCE: {"G", "N", "O", "U"},
    CodeCategory.NOT_POSSIBLE: {"D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7"},
    CodeCategory.ADMINISTRATIVE: {"Z", "#"},
}


@pytest.mark.parametrize(
    ("code", "category"),
    [(code, category) for category, codes in EXPECTED.items() for code in sorted(codes)],
)
def test_every_2024_code_has_its_category(code: str, category: CodeCategory) -> None:
    assert classify(code) is category


def test_the_code_set_is_exactly_the_2024_set() -> None:
    assert set(ATTENDANCE_CODES) == set().union(*EXPECTED.values())
    assert all(c.source.startswith(("SI 2024/208", "DfE")) for c in ATTENDANCE_CODES.values())


def test_unauthorised_codes_are_what_the_penalty_threshold_counts() -> None:
    assert EXPECTED[CodeCategory.UNAUTHORISED_ABSENCE] == PENALTY_CODES


@pytest.mark.parametrize(
    ("code", "replacement"), [("H", "C"), ("F", "G"), ("J", "J1"), ("Y", "Y1 to Y7")]
)
def test_retired_codes_are_refused_naming_what_replaced_them(code: str, replacement: str) -> None:
    with pytest.raises(CodeProblem, match=replacement):
        classify(code)
    assert code in RETIRED_CODES


@pytest.mark.parametrize("code", ["A", "Y8", "C3", "", "//", "n"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(CodeProblem, match="2024 national code set"):
        classify(code)


def test_codes_and_sessions_are_normalised() -> None:
    assert normal_code(" y1 ") == "Y1"
    assert normal_code("/") == "/"
    assert normal_session("am").value == "AM"
    with pytest.raises(ValueError, match="'EV'"):
        normal_session("ev")


def test_not_possible_and_administrative_sessions_are_left_out_of_possible() -> None:
    codes = ["/", "\\", "K", "I", "N", "D", "X", "Q", "Y1", "Y7", "Z", "#"]
    figures = AttendanceFigures.of_codes(codes)
    assert figures == AttendanceFigures(
        possible=5, present=2, approved_activity=1, authorised=1, unauthorised=1
    )
    assert figures.attendance_percent == 60.0
    assert figures.absence_percent == 40.0


def test_no_possible_session_has_no_percentage_and_no_flags() -> None:
    figures = AttendanceFigures.of_codes(["#", "#", "D"])
    assert figures.possible == 0
    assert figures.attendance_percent is None
    assert not figures.persistent_absence
    assert not figures.severe_absence


def test_persistent_absence_starts_at_exactly_ten_percent() -> None:
    just_below = AttendanceFigures(possible=101, present=91, authorised=10)
    at = AttendanceFigures(possible=100, present=90, unauthorised=10)
    assert not just_below.persistent_absence
    assert at.persistent_absence
    assert not at.severe_absence


def test_severe_absence_starts_at_exactly_fifty_percent() -> None:
    assert AttendanceFigures(possible=20, present=10, authorised=5, unauthorised=5).severe_absence
    assert not AttendanceFigures(possible=21, present=11, unauthorised=10).severe_absence


def test_percentages_round_half_up_to_one_place() -> None:
    assert AttendanceFigures(possible=8, present=7, unauthorised=1).attendance_percent == 87.5
    # 49/400 = 12.25%: half up gives 12.3, where float rounding would give 12.2.
    assert AttendanceFigures(possible=400, present=351, unauthorised=49).absence_percent == 12.3


def test_figures_add_up() -> None:
    a = AttendanceFigures.of_codes(["/", "N"])
    b = AttendanceFigures.of_codes(["M", "K", "D"])
    assert a + b == AttendanceFigures.of_codes(["/", "N", "M", "K", "D"])


@given(st.lists(st.sampled_from(sorted(ATTENDANCE_CODES)), max_size=60))
def test_possible_is_the_sum_of_the_four_counted_categories(codes: list[str]) -> None:
    figures = AttendanceFigures.of_codes(codes)
    counted = sum(1 for code in codes if classify(code) in POSSIBLE_CATEGORIES)
    assert figures.possible == counted == figures.attended + figures.absent


# --- weeks and school years ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 30), date(2026, 11, 30)),  # a Monday
        (date(2026, 12, 6), date(2026, 11, 30)),  # the Sunday after
        (date(2025, 1, 1), date(2024, 12, 30)),  # a week across the new year
        (date(2024, 3, 1), date(2024, 2, 26)),  # across a leap-year month end
    ],
)
def test_weeks_run_monday_to_sunday(day: date, monday: date) -> None:
    assert week_start(day) == monday


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2026, 7, 31), date(2025, 8, 1)),
        (date(2026, 8, 1), date(2026, 8, 1)),
        (date(2027, 2, 28), date(2026, 8, 1)),
    ],
)
def test_the_school_year_starts_on_1_august(day: date, start: date) -> None:
    assert school_year_start(day) == start


# --- the penalty-notice threshold -----------------------------------------------------------


def mondays(first: date, count: int) -> list[date]:
    return [first + timedelta(weeks=n) for n in range(count)]


WEEKS = mondays(date(2026, 9, 7), 14)


def spans(found: list[PenaltyWindow]) -> list[tuple[date, date, int]]:
    return [(w.first_week, w.last_week, w.sessions) for w in found]


def test_nine_sessions_in_ten_school_weeks_is_below_the_threshold() -> None:
    assert penalty_threshold_windows(WEEKS, {WEEKS[0]: 4, WEEKS[5]: 3, WEEKS[9]: 2}) == []


def test_ten_sessions_not_consecutive_reach_the_threshold_in_the_week_of_the_tenth() -> None:
    found = penalty_threshold_windows(WEEKS, {WEEKS[0]: 4, WEEKS[5]: 3, WEEKS[9]: 3})
    assert spans(found) == [(WEEKS[0], WEEKS[9], 10)]


def test_sessions_eleven_school_weeks_apart_are_not_in_one_window() -> None:
    assert penalty_threshold_windows(WEEKS, {WEEKS[0]: 5, WEEKS[10]: 5}) == []


def test_a_holiday_week_is_not_a_school_week_so_the_window_reaches_past_it() -> None:
    half_term = WEEKS[7]
    school_weeks = [w for w in WEEKS if w != half_term]
    # WEEKS[0] and WEEKS[10] are eleven calendar weeks apart but ten school weeks.
    found = penalty_threshold_windows(school_weeks, {WEEKS[0]: 5, WEEKS[10]: 5})
    assert spans(found) == [(WEEKS[0], WEEKS[10], 10)]


def test_the_window_spans_the_summer_into_a_new_school_year() -> None:
    summer_term = mondays(date(2026, 6, 1), 8)  # up to the week of 20 July
    autumn_term = mondays(date(2026, 9, 7), 4)
    school_weeks = summer_term + autumn_term
    counts = {summer_term[-1]: 6, autumn_term[1]: 4}
    found = penalty_threshold_windows(school_weeks, counts)
    # The event starts with the week of the first session it spends.
    assert spans(found) == [(summer_term[-1], autumn_term[1], 10)]


def test_a_pupil_staying_over_the_threshold_raises_again_only_with_ten_new_sessions() -> None:
    weeks = mondays(date(2026, 9, 7), 30)
    counts = {weeks[0]: 10, weeks[1]: 2, weeks[2]: 2, weeks[25]: 10}
    found = penalty_threshold_windows(weeks, counts)
    assert [w.last_week for w in found] == [weeks[0], weeks[25]]
    assert found[0].sessions == 10


def test_the_first_window_of_a_short_history_counts_what_there_is() -> None:
    found = penalty_threshold_windows(WEEKS[:2], {WEEKS[1]: 10})
    assert spans(found) == [(WEEKS[1], WEEKS[1], 10)]


def day_sessions(first: date, count: int) -> list[tuple[date, Session]]:
    """``count`` sessions from ``first`` morning on, weekdays only, AM then PM."""
    found: list[tuple[date, Session]] = []
    day = first
    while len(found) < count:
        if day.weekday() < 5:
            found.append((day, Session.AM))
            if len(found) < count:
                found.append((day, Session.PM))
        day += timedelta(days=1)
    return found


def test_an_event_spends_exactly_ten_sessions_and_the_rest_carry_over() -> None:
    # 8 in week 1, 4 in week 2: one event in week 2, spending the first 2 of week 2's
    # sessions; the other 2 and 8 more in week 3 make a second event in week 3.
    sessions = day_sessions(WEEKS[0], 8) + day_sessions(WEEKS[1], 4) + day_sessions(WEEKS[2], 8)
    found = penalty_threshold_events(WEEKS, sessions)
    assert spans(found) == [(WEEKS[0], WEEKS[1], 10), (WEEKS[1], WEEKS[2], 10)]
    assert found[0].spent_through == (WEEKS[1], Session.PM)  # Monday afternoon of week 2
    assert found[1].spent_through == (WEEKS[2] + timedelta(days=3), Session.PM)


def test_sessions_are_spent_in_date_and_session_order_am_before_pm() -> None:
    # Given in reverse order: the morning of the tenth day is the tenth session.
    sessions = list(reversed(day_sessions(WEEKS[0], 11)))
    found = penalty_threshold_events(WEEKS, sessions)
    assert found[0].spent_through == (WEEKS[0] + timedelta(days=4), Session.PM)
    found = penalty_threshold_events(WEEKS, day_sessions(WEEKS[0], 9) + day_sessions(WEEKS[1], 1))
    assert found[0].spent_through == (WEEKS[1], Session.AM)


def test_sessions_up_to_the_last_spent_one_do_not_count_again() -> None:
    friday = WEEKS[0] + timedelta(days=4)
    sessions = day_sessions(WEEKS[0], 10) + day_sessions(WEEKS[1], 9)
    assert penalty_threshold_events(WEEKS, sessions, spent_through=(friday, Session.PM)) == []
    found = penalty_threshold_events(WEEKS, sessions, spent_through=(friday, Session.AM))
    assert spans(found) == [(WEEKS[0], WEEKS[1], 10)]


def test_unspent_sessions_fall_out_of_reach_after_ten_school_weeks() -> None:
    sessions = day_sessions(WEEKS[0], 9) + day_sessions(WEEKS[10], 1)
    assert penalty_threshold_events(WEEKS, sessions) == []


@pytest.mark.parametrize(
    ("second", "reduced", "full"),
    [(False, (80, 21), (160, 28)), (True, (None, None), (160, 28))],
)
def test_penalty_amounts(
    second: bool, reduced: tuple[int | None, int | None], full: tuple[int, int]
) -> None:
    terms = penalty_terms(second_within_three_years=second)
    assert (terms.reduced_pounds, terms.reduced_days) == reduced
    assert (terms.full_pounds, terms.full_days) == full
    assert terms.reduced_rate is not second


def _reference_events(counts: list[int]) -> list[int]:
    """The school-week indexes of events, by a count of unspent sessions per week: each week
    keeps how many of its sessions are unspent; an event spends 10 from the oldest weeks in
    reach."""
    unspent = [0] * len(counts)
    events: list[int] = []
    for i, count in enumerate(counts):
        unspent[i] = count
        oldest = max(0, i - 9)
        for j in range(oldest):
            unspent[j] = 0
        while sum(unspent[oldest : i + 1]) >= 10:
            need = 10
            for j in range(oldest, i + 1):
                taken = min(need, unspent[j])
                unspent[j] -= taken
                need -= taken
            events.append(i)
    return events


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1, max_size=40))
def test_events_agree_with_a_direct_count(counts: list[int]) -> None:
    weeks = mondays(date(2025, 9, 1), len(counts))
    by_week = dict(zip(weeks, counts, strict=True))
    found = penalty_threshold_windows(weeks, by_week)
    assert [weeks.index(w.last_week) for w in found] == _reference_events(counts)
    assert all(w.sessions == 10 for w in found)
    assert [w.spent_through for w in found] == sorted({w.spent_through for w in found})
