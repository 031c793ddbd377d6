"""Child work permits (CYPA 1933 s18; the council's byelaws): each rule at its edges, the end of
compulsory school age, and patterns that cannot be checked at all."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, time

import pytest

from app.rules.child_employment import (
    LIMITS,
    Shift,
    WeekKind,
    WorkPermitApplication,
    check_work_permit,
    permit_expires_on,
    regime_ends_on,
    shape_problems,
    weekly_hours,
)
from app.rules.licensing import Finding, Severity

TERM, HOLIDAY = WeekKind.TERM, WeekKind.HOLIDAY
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

START_ON = date(2026, 9, 1)
#: 14 on ``START_ON`` (under 15); turns 15 on 10 May 2027.
AGED_14 = date(2012, 5, 10)
#: 15 on ``START_ON``.
AGED_15 = date(2011, 5, 10)


def at(clock: str) -> time:
    return time.fromisoformat(clock)


def shift(weeks: WeekKind, weekday: int, starts: str, ends: str) -> Shift:
    return Shift(weeks, weekday, at(starts), at(ends))


def application(
    *shifts: Shift,
    born: date = AGED_14,
    start_on: date = START_ON,
    received_on: date | None = None,
) -> WorkPermitApplication:
    return WorkPermitApplication(
        date_of_birth=born,
        start_on=start_on,
        received_on=received_on or start_on,
        shifts=shifts,
        school_starts=at("08:45"),
        school_ends=at("15:15"),
    )


def findings_for(rule: str, *shifts: Shift, born: date = AGED_14) -> list[Finding]:
    assert shape_problems(shifts) == []
    return [f for f in check_work_permit(application(*shifts, born=born)) if f.rule == rule]


# --- age and the regime ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("born", "start_on", "refused"),
    [
        (date(2013, 5, 10), date(2026, 5, 9), True),  # 12 years 364 days
        (date(2013, 5, 10), date(2026, 5, 10), False),  # the 13th birthday
        (date(2012, 2, 29), date(2025, 2, 28), True),  # leap-day child, common year
        (date(2012, 2, 29), date(2025, 3, 1), False),  # turns 13 on 1 March
        (date(2011, 2, 28), date(2024, 2, 28), False),
    ],
)
def test_a_child_must_be_13_on_the_first_day_of_work(
    born: date, start_on: date, refused: bool
) -> None:
    found = [
        f
        for f in check_work_permit(application(born=born, start_on=start_on))
        if f.rule == "employment.minimum_age"
    ]
    assert bool(found) is refused
    if refused:
        (finding,) = found
        assert finding.severity is Severity.BLOCKING
        assert finding.where == "/start_on"
        assert finding.facts["minimum_age"] == 13
        assert finding.facts["age_on_start"] == 12
        assert born.isoformat() not in finding.message


def test_the_13th_birthday_of_a_leap_day_child_is_1_march_in_a_common_year() -> None:
    (finding,) = check_work_permit(application(born=date(2012, 2, 29), start_on=date(2025, 2, 28)))
    assert finding.facts["may_start_from"] == "2025-03-01"


@pytest.mark.parametrize(
    ("born", "regime_ends"),
    [
        (date(2010, 9, 1), date(2027, 6, 25)),  # turns 16 on 1 Sep 2026: school year 2026-27
        (date(2011, 8, 31), date(2027, 6, 25)),  # turns 16 on 31 Aug 2027: same school year
        (date(2011, 9, 1), date(2028, 6, 30)),  # 30 June 2028 is itself a Friday
        (date(2012, 2, 29), date(2028, 6, 30)),  # turns 16 on 29 Feb 2028 (a leap year)
        (date(2010, 1, 15), date(2026, 6, 26)),  # 30 June 2026 is a Tuesday
        (date(2009, 6, 27), date(2025, 6, 27)),  # turns 16 on the leaving date itself
    ],
)
def test_the_regime_ends_on_the_last_friday_in_june_of_the_school_year_the_child_turns_16(
    born: date, regime_ends: date
) -> None:
    assert regime_ends_on(born) == regime_ends
    assert regime_ends.weekday() == FRI


@pytest.mark.parametrize(
    ("start_on", "refused"),
    [(date(2027, 6, 25), False), (date(2027, 6, 26), True)],
)
def test_no_permit_is_needed_once_the_child_is_over_compulsory_school_age(
    start_on: date, refused: bool
) -> None:
    findings = check_work_permit(
        application(shift(TERM, SAT, "09:00", "09:30"), born=date(2010, 9, 1), start_on=start_on)
    )
    rules = [f.rule for f in findings]
    if refused:
        assert rules == ["employment.past_school_leaving_age"]
        assert findings[0].severity is Severity.BLOCKING
        assert findings[0].facts["regime_ends_on"] == "2027-06-25"
        assert "25 June 2027" in findings[0].message
    else:
        assert rules == []


@pytest.mark.parametrize(
    ("end_on", "expires"),
    [
        (None, date(2027, 6, 25)),
        (date(2027, 1, 31), date(2027, 1, 31)),
        (date(2027, 6, 25), date(2027, 6, 25)),
        (date(2027, 8, 31), date(2027, 6, 25)),
    ],
)
def test_a_permit_expires_at_the_earlier_of_the_job_ending_and_the_regime_ending(
    end_on: date | None, expires: date
) -> None:
    assert permit_expires_on(date(2010, 9, 1), date(2026, 9, 1), end_on) == expires


def test_a_permit_cannot_expire_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before the first day"):
        permit_expires_on(date(2010, 9, 1), date(2026, 9, 1), date(2026, 8, 31))


# --- times of day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts", "ends", "rule"),
    [
        ("06:59", "08:00", "employment.earliest_start"),
        ("07:00", "08:00", None),
        ("17:00", "19:00", None),
        ("17:00", "19:01", "employment.latest_finish"),
    ],
)
def test_work_is_between_7_in_the_morning_and_7_in_the_evening(
    starts: str, ends: str, rule: str | None
) -> None:
    findings = check_work_permit(application(shift(HOLIDAY, MON, starts, ends)))
    timing = [
        f for f in findings if f.rule in {"employment.earliest_start", "employment.latest_finish"}
    ]
    assert [f.rule for f in timing] == ([rule] if rule else [])
    for finding in timing:
        assert finding.where == "/shifts/0"
        assert finding.severity is Severity.BLOCKING
        assert finding.source.startswith("Children and Young Persons Act 1933 s18(1)(c)")


@pytest.mark.parametrize(
    ("weeks", "weekday", "starts", "ends", "refused"),
    [
        (TERM, MON, "15:15", "17:15", False),  # from the end of school
        (TERM, MON, "15:00", "16:00", True),
        (TERM, FRI, "07:45", "08:45", False),  # up to the start of school
        (TERM, FRI, "08:00", "08:46", True),
        (TERM, SAT, "10:00", "12:00", False),
        (HOLIDAY, MON, "10:00", "12:00", False),
    ],
)
def test_no_work_in_school_hours_on_a_term_week_weekday(
    weeks: WeekKind, weekday: int, starts: str, ends: str, refused: bool
) -> None:
    found = findings_for("employment.school_hours", shift(weeks, weekday, starts, ends))
    assert bool(found) is refused


@pytest.mark.parametrize(
    ("shifts", "worked", "where"),
    [
        ((shift(TERM, TUE, "07:45", "08:45"),), None, None),
        ((shift(TERM, TUE, "07:44", "08:45"),), 61, "/shifts/0"),
        ((shift(TERM, TUE, "07:00", "07:30"), shift(TERM, TUE, "08:00", "08:30")), None, None),
        ((shift(TERM, TUE, "08:00", "08:31"), shift(TERM, TUE, "07:00", "07:30")), 61, "/shifts/0"),
        ((shift(HOLIDAY, TUE, "07:00", "08:45"),), None, None),
    ],
)
def test_at_most_one_hour_before_school(
    shifts: tuple[Shift, ...], worked: int | None, where: str | None
) -> None:
    found = findings_for("employment.before_school", *shifts)
    if worked is None:
        assert found == []
    else:
        (finding,) = found
        assert finding.facts["minutes"] == worked
        assert finding.facts["limit_minutes"] == 60
        assert finding.where == where
        assert "1 h 1 min" in finding.message


# --- daily limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ends", "refused"),
    [("18:00", False), ("18:15", True)],
)
def test_two_hours_on_a_school_day(ends: str, refused: bool) -> None:
    found = findings_for("employment.school_day_hours", shift(TERM, WED, "16:00", ends))
    assert bool(found) is refused
    if refused:
        assert found[0].facts["minutes"] == 135
        assert "2 h 15 min" in found[0].message
        assert found[0].message == (
            "Term-week Wednesday: 2 h 15 min of work; at most 2 h is allowed on a school day."
        )


FIVE_HOURS = ("09:00", "13:00"), ("14:00", "15:00")
FIVE_AND_A_HALF = ("09:00", "13:00"), ("14:00", "15:30")
EIGHT_HOURS = ("09:00", "13:00"), ("14:00", "18:00")
EIGHT_AND_A_HALF = ("09:00", "13:00"), ("14:00", "18:30")


@pytest.mark.parametrize(
    ("born", "periods", "limit", "refused"),
    [
        (AGED_14, FIVE_HOURS, 300, False),
        (AGED_14, FIVE_AND_A_HALF, 300, True),
        (AGED_15, FIVE_AND_A_HALF, 480, False),
        (AGED_15, EIGHT_HOURS, 480, False),
        (AGED_15, EIGHT_AND_A_HALF, 480, True),
    ],
)
@pytest.mark.parametrize(
    ("weeks", "weekday", "rule"),
    [
        (TERM, SAT, "employment.saturday_hours"),
        (HOLIDAY, SAT, "employment.saturday_hours"),
        (HOLIDAY, THU, "employment.non_school_day_hours"),
    ],
)
def test_saturdays_and_holiday_weekdays_allow_5_hours_under_15_and_8_at_15(
    born: date,
    periods: tuple[tuple[str, str], ...],
    limit: int,
    refused: bool,
    weeks: WeekKind,
    weekday: int,
    rule: str,
) -> None:
    shifts = [shift(weeks, weekday, starts, ends) for starts, ends in periods]
    found = findings_for(rule, *shifts, born=born)
    assert bool(found) is refused
    if refused:
        (finding,) = found
        assert finding.facts["limit_minutes"] == limit
        assert finding.facts["age_on_start"] == (14 if born == AGED_14 else 15)
        assert finding.where == "/shifts/1"


def test_the_age_band_is_the_age_on_the_first_day_and_the_15th_birthday_is_in_the_facts() -> None:
    periods = [shift(HOLIDAY, MON, starts, ends) for starts, ends in FIVE_AND_A_HALF]
    (finding,) = findings_for("employment.non_school_day_hours", *periods)
    assert finding.facts["age_band"] == "under_15"
    assert finding.facts["turns_15_on"] == "2027-05-10"
    assert AGED_14.isoformat() not in finding.message


@pytest.mark.parametrize("weeks", [TERM, HOLIDAY])
@pytest.mark.parametrize(("ends", "refused"), [("11:00", False), ("11:15", True)])
def test_two_hours_on_a_sunday(weeks: WeekKind, ends: str, refused: bool) -> None:
    found = findings_for("employment.sunday_hours", shift(weeks, SUN, "09:00", ends), born=AGED_15)
    assert bool(found) is refused


# --- weekly limits --------------------------------------------------------------------------


def term_week(saturday_ends: str) -> list[Shift]:
    evenings = [shift(TERM, day, "16:00", "18:00") for day in (MON, TUE, WED, THU, FRI)]
    return [*evenings, shift(TERM, SAT, "09:00", saturday_ends)]


@pytest.mark.parametrize(("saturday_ends", "total"), [("11:00", 720), ("11:30", 750)])
def test_twelve_hours_in_a_term_week(saturday_ends: str, total: int) -> None:
    shifts = term_week(saturday_ends)
    assert weekly_hours(shifts, TERM) == total
    found = findings_for("employment.term_week_hours", *shifts, born=AGED_15)
    assert bool(found) is (total > 720)
    if found:
        assert found[0].facts == {"weeks": "term", "minutes": 750, "limit_minutes": 720}
        assert "12 h 30 min" in found[0].message
        assert found[0].where is None


def holiday_week(afternoon_ends: str, sunday_ends: str | None) -> list[Shift]:
    shifts = [
        shift(HOLIDAY, day, starts, ends)
        for day in (MON, TUE, WED, THU, FRI)
        for starts, ends in (("09:00", "13:00"), ("14:00", afternoon_ends))
    ]
    if sunday_ends:
        shifts.append(shift(HOLIDAY, SUN, "09:00", sunday_ends))
    return shifts


@pytest.mark.parametrize(
    ("born", "afternoon_ends", "sunday_ends", "total", "limit", "refused"),
    [
        (AGED_14, "15:00", None, 1500, 1500, False),  # 25 h
        (AGED_14, "15:00", "09:30", 1530, 1500, True),  # 25 h 30 min
        (AGED_15, "15:00", "09:30", 1530, 2100, False),
        (AGED_15, "17:00", None, 2100, 2100, False),  # 35 h
        (AGED_15, "17:00", "09:30", 2130, 2100, True),  # 35 h 30 min
    ],
)
def test_holiday_week_allows_25_hours_under_15_and_35_at_15(
    born: date, afternoon_ends: str, sunday_ends: str | None, total: int, limit: int, refused: bool
) -> None:
    shifts = holiday_week(afternoon_ends, sunday_ends)
    assert weekly_hours(shifts, HOLIDAY) == total
    assert weekly_hours(shifts, TERM) == 0
    findings = check_work_permit(application(*shifts, born=born))
    assert {f.rule for f in findings if f.severity is Severity.BLOCKING} == (
        {"employment.holiday_week_hours"} if refused else set()
    )
    if refused:
        (finding,) = (f for f in findings if f.rule == "employment.holiday_week_hours")
        assert finding.facts["minutes"] == total
        assert finding.facts["limit_minutes"] == limit


# --- rest break -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("periods", "without_break", "where"),
    [
        ((("09:00", "13:00"),), None, None),  # exactly 4 h
        ((("09:00", "13:01"),), 241, "/shifts/0"),
        ((("09:00", "11:00"), ("11:30", "14:00")), 270, "/shifts/1"),  # a 30-minute gap
        ((("09:00", "11:00"), ("11:59", "14:29")), 270, "/shifts/1"),  # a 59-minute gap
        ((("09:00", "11:00"), ("12:00", "14:30")), None, None),  # a 1-hour break
        ((("12:00", "14:30"), ("09:00", "11:00")), None, None),  # given out of order
        ((("11:30", "14:00"), ("09:00", "11:00")), 270, "/shifts/0"),
        ((("09:00", "10:00"), ("10:00", "12:00"), ("12:00", "13:30")), 270, "/shifts/2"),
    ],
)
def test_a_one_hour_break_after_four_hours(
    periods: tuple[tuple[str, str], ...], without_break: int | None, where: str | None
) -> None:
    shifts = [shift(HOLIDAY, SAT, starts, ends) for starts, ends in periods]
    found = findings_for("employment.break", *shifts, born=AGED_15)
    if without_break is None:
        assert found == []
    else:
        (finding,) = found
        assert finding.facts["minutes_without_break"] == without_break
        assert finding.where == where


# --- the application and the holidays -------------------------------------------------------


@pytest.mark.parametrize(
    ("received_on", "late"),
    [
        (date(2026, 8, 20), False),
        (date(2026, 9, 8), False),  # the 7th day after starting
        (date(2026, 9, 9), True),  # the 8th
    ],
)
def test_the_application_is_made_within_a_week_of_starting(received_on: date, late: bool) -> None:
    findings = check_work_permit(application(received_on=received_on))
    assert [f.rule for f in findings] == (["employment.late_application"] if late else [])
    if late:
        assert findings[0].severity is Severity.WARNING
        assert findings[0].confirmed is False
        assert findings[0].facts["days_after_start"] == 8


def test_holiday_work_brings_a_reminder_of_two_consecutive_free_weeks() -> None:
    findings = check_work_permit(application(shift(HOLIDAY, WED, "10:00", "12:00")))
    (finding,) = findings
    assert finding.rule == "employment.holiday_weeks_free"
    assert finding.severity is Severity.WARNING
    assert "s18(1)(j)" in finding.source
    assert check_work_permit(application(shift(TERM, WED, "16:00", "18:00"))) == []


def test_a_lawful_paper_round_has_no_findings() -> None:
    mornings = [shift(TERM, day, "07:00", "08:00") for day in (MON, TUE, WED, THU, FRI)]
    weekend = [shift(TERM, SAT, "08:00", "12:00"), shift(TERM, SUN, "08:00", "10:00")]
    assert check_work_permit(application(*mornings, *weekend, born=AGED_15)) == []


def test_findings_come_in_a_stable_order_with_their_figures() -> None:
    findings = check_work_permit(
        application(
            shift(TERM, MON, "06:30", "08:45"),
            born=date(2013, 10, 1),
            received_on=date(2026, 9, 30),
        )
    )
    assert [f.rule for f in findings] == [
        "employment.minimum_age",
        "employment.late_application",
        "employment.earliest_start",
        "employment.before_school",
        "employment.school_day_hours",
    ]
    assert all(f.message and f.source for f in findings)
    assert all("2013" not in f.message for f in findings)


def test_only_the_byelaw_figures_are_unconfirmed() -> None:
    unconfirmed = {f.name for f in fields(LIMITS) if not getattr(LIMITS, f.name).confirmed}
    assert unconfirmed == {"minimum_age_years", "application_within_days"}


# --- shape ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shifts", "expected"),
    [
        ((shift(TERM, MON, "10:00", "09:00"),), [("/shifts/0", "past_midnight_or_reversed")]),
        ((shift(HOLIDAY, SAT, "18:00", "00:30"),), [("/shifts/0", "past_midnight_or_reversed")]),
        ((shift(TERM, MON, "10:00", "10:00"),), [("/shifts/0", "empty")]),
        ((Shift(TERM, 7, at("10:00"), at("11:00")),), [("/shifts/0", "weekday")]),
        ((Shift(TERM, -1, at("10:00"), at("11:00")),), [("/shifts/0", "weekday")]),
        ((Shift(TERM, MON, at("10:00:30"), at("11:00")),), [("/shifts/0", "not_whole_minutes")]),
        (
            (shift(TERM, MON, "16:00", "17:00"), shift(TERM, MON, "16:30", "18:00")),
            [("/shifts/1", "overlaps")],
        ),
        (
            (
                shift(TERM, MON, "16:00", "18:00"),
                shift(TERM, TUE, "16:00", "18:00"),
                shift(TERM, MON, "16:30", "16:45"),
            ),
            [("/shifts/2", "overlaps")],
        ),
        ((shift(TERM, MON, "16:00", "17:00"), shift(TERM, MON, "17:00", "18:00")), []),
        ((shift(TERM, MON, "16:00", "17:00"), shift(HOLIDAY, MON, "16:00", "17:00")), []),
        ((shift(TERM, MON, "16:00", "17:00"), shift(TERM, TUE, "16:00", "17:00")), []),
        (
            (shift(TERM, MON, "17:00", "16:00"), shift(TERM, MON, "16:00", "18:00")),
            [("/shifts/0", "past_midnight_or_reversed")],
        ),
    ],
)
def test_shapes_that_cannot_be_checked(
    shifts: tuple[Shift, ...], expected: list[tuple[str, str]]
) -> None:
    assert [(p.where, p.code) for p in shape_problems(shifts)] == expected


def test_an_overlap_names_the_other_shift() -> None:
    (problem,) = shape_problems(
        [shift(HOLIDAY, FRI, "09:00", "12:00"), shift(HOLIDAY, FRI, "11:00", "13:00")]
    )
    assert "shift 0" in problem.message
