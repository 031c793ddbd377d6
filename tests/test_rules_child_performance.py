"""Child performance licences (CYPA 1963 s37; SI 2014/3309): whether a licence is needed, the
21-day application, consecutive days, hours by age, education and chaperone ratios."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from app.rules.child_performance import (
    HOURS_BY_AGE,
    ChaperoneDuty,
    PerformanceApplication,
    PerformanceDay,
    age_band,
    chaperone_capacity,
    check_performance,
    first_day,
    last_day,
    latest_on_time_application,
    licence_need,
    shape_problems,
)
from app.rules.licensing import Severity

# A child who turns 9 on 15 May 2026 (and 5 on 15 May 2022).
BORN = date(2017, 5, 15)
FIRST = date(2026, 7, 6)  # a Monday


def day(
    on: date = FIRST,
    start: time = time(10, 0),
    end: time = time(14, 0),
    performing: int = 60,
    continuous: int = 30,
    *,
    school_day: bool = False,
    absent: bool = False,
    tutor: int = 0,
) -> PerformanceDay:
    return PerformanceDay(
        on=on,
        at_venue_from=start,
        at_venue_until=end,
        performing_minutes=performing,
        longest_continuous_minutes=continuous,
        school_day=school_day,
        absent_from_school=absent,
        tutor_minutes=tutor,
    )


def application(
    *days: PerformanceDay,
    born: date = BORN,
    received: date = FIRST - timedelta(days=30),
    paid: bool = True,
    charge: bool = True,
    premises: bool = False,
    broadcast: bool = False,
    bopa: bool = False,
    previous: int = 0,
) -> PerformanceApplication:
    return PerformanceApplication(
        date_of_birth=born,
        received_on=received,
        days=days or (day(),),
        paid=paid,
        charge_made=charge,
        licensed_premises=premises,
        broadcast_or_recorded=broadcast,
        body_of_persons_approval=bopa,
        days_performed_in_previous_six_months=previous,
    )


def run(n: int, start: date = FIRST) -> tuple[PerformanceDay, ...]:
    return tuple(day(start + timedelta(days=k)) for k in range(n))


def rules(app: PerformanceApplication) -> list[str]:
    return [f.rule for f in check_performance(app)]


# --- Whether a licence is needed -------------------------------------------------------------


def test_four_days_in_six_months_unpaid_is_exempt() -> None:
    need = licence_need(application(*run(1), paid=False, previous=3))
    assert not need.needed
    assert need.exemption == "four_day_rule"
    assert "4 day(s)" in need.reasons[0]


def test_five_days_in_six_months_needs_a_licence() -> None:
    need = licence_need(application(*run(2), paid=False, previous=3))
    assert need.needed
    assert need.exemption is None
    assert any("5 days in six months" in reason for reason in need.reasons)


def test_the_days_of_the_application_count_towards_the_four() -> None:
    assert not licence_need(application(*run(4), paid=False)).needed
    assert licence_need(application(*run(5), paid=False)).needed


def test_payment_needs_a_licence_even_for_one_day() -> None:
    need = licence_need(application(*run(1), paid=True, charge=False))
    assert need.needed
    assert any("paid" in reason for reason in need.reasons)


def test_school_absence_needs_a_licence_even_for_one_day() -> None:
    absent = day(school_day=True, absent=True, tutor=180)
    need = licence_need(application(absent, paid=False, bopa=True))
    assert need.needed
    assert any("miss school" in reason for reason in need.reasons)


def test_a_body_of_persons_approval_exempts_an_unpaid_long_run() -> None:
    need = licence_need(application(*run(6), paid=False, bopa=True, previous=10))
    assert not need.needed
    assert need.exemption == "body_of_persons_approval"
    assert need.source.endswith("s37(3)(b)")


def test_a_body_of_persons_approval_does_not_cover_paid_children() -> None:
    need = licence_need(application(*run(2), paid=True, bopa=True))
    assert need.needed
    assert need.exemption is None


@pytest.mark.parametrize(
    ("charge", "premises", "broadcast"),
    [(True, False, False), (False, True, False), (False, False, True)],
)
def test_each_section_37_2_condition_brings_it_into_licensing(
    charge: bool, premises: bool, broadcast: bool
) -> None:
    app = application(*run(5), paid=False, charge=charge, premises=premises, broadcast=broadcast)
    assert licence_need(app).needed


def test_no_condition_at_all_means_section_37_does_not_apply() -> None:
    need = licence_need(application(*run(10), paid=False, charge=False))
    assert not need.needed
    assert need.exemption is None
    assert "does not apply" in need.reasons[0]


def test_an_exempt_application_gets_a_not_needed_warning() -> None:
    findings = check_performance(application(*run(2), paid=False))
    [finding] = [f for f in findings if f.rule == "performance.licence_not_needed"]
    assert finding.severity is Severity.WARNING
    assert finding.facts["exemption"] == "four_day_rule"
    assert "performance.licence_not_needed" not in rules(application(*run(2), paid=True))


# --- The 21-day application ------------------------------------------------------------------


def test_latest_on_time_application_is_21_days_before() -> None:
    assert latest_on_time_application(date(2026, 3, 1)) == date(2026, 2, 8)
    assert first_day(application(*run(3))) == FIRST
    assert last_day(application(*run(3))) == FIRST + timedelta(days=2)


def test_received_21_days_before_is_on_time() -> None:
    app = application(received=FIRST - timedelta(days=21))
    assert "performance.late_application" not in rules(app)


def test_received_20_days_before_is_late_and_flagged_not_refused() -> None:
    app = application(received=FIRST - timedelta(days=20))
    [late] = [f for f in check_performance(app) if f.rule == "performance.late_application"]
    assert late.severity is Severity.WARNING
    assert late.facts["days_before"] == 20
    assert late.facts["due_by"] == (FIRST - timedelta(days=21)).isoformat()
    assert not late.confirmed


# --- Consecutive days ------------------------------------------------------------------------


def test_six_consecutive_days_are_allowed() -> None:
    assert "performance.consecutive_days" not in rules(application(*run(6)))


def test_seven_consecutive_days_are_refused_at_the_seventh() -> None:
    findings = check_performance(application(*run(7)))
    [finding] = [f for f in findings if f.rule == "performance.consecutive_days"]
    assert finding.severity is Severity.BLOCKING
    assert finding.where == "/days/6"
    assert finding.facts["days"] == 7


def test_a_day_off_resets_the_count() -> None:
    days = run(6) + run(6, start=FIRST + timedelta(days=7))
    assert "performance.consecutive_days" not in rules(application(*days))


def test_consecutive_days_are_found_in_any_order() -> None:
    days = tuple(reversed(run(7)))
    [finding] = [f for f in check_performance(application(*days)) if "consecutive" in f.rule]
    assert finding.where == "/days/0"


# --- Hours by age ----------------------------------------------------------------------------

UNDER_5 = date(2022, 1, 10)  # aged 4 on FIRST
AGED_5 = date(2021, 1, 10)  # aged 5 on FIRST
AGED_9 = date(2017, 1, 10)  # aged 9 on FIRST


def hours_rules(born: date, d: PerformanceDay) -> list[str]:
    return [f.rule for f in check_performance(application(d, born=born))]


@pytest.mark.parametrize(
    ("born", "latest"), [(UNDER_5, time(22, 0)), (AGED_5, time(23, 0)), (AGED_9, time(23, 0))]
)
def test_arriving_at_07_00_and_leaving_at_the_latest_time_is_allowed(
    born: date, latest: time
) -> None:
    early = day(start=time(7, 0), end=time(8, 0))
    late = day(start=time(latest.hour - 1, 0), end=latest)
    assert hours_rules(born, early) == []
    assert hours_rules(born, late) == []


@pytest.mark.parametrize(
    ("born", "latest"), [(UNDER_5, time(22, 0)), (AGED_5, time(23, 0)), (AGED_9, time(23, 0))]
)
def test_one_minute_outside_the_times_is_refused(born: date, latest: time) -> None:
    early = day(start=time(6, 59), end=time(8, 0))
    late = day(start=time(latest.hour - 1, 0), end=time(latest.hour, 1))
    assert "performance.earliest_start" in hours_rules(born, early)
    assert "performance.latest_finish" in hours_rules(born, late)


@pytest.mark.parametrize(
    ("born", "venue", "performing", "continuous"),
    [(UNDER_5, 300, 120, 30), (AGED_5, 480, 180, 150), (AGED_9, 570, 300, 150)],
)
def test_each_hours_figure_at_the_limit_and_one_minute_over(
    born: date, venue: int, performing: int, continuous: int
) -> None:
    def at(venue_minutes: int, perf: int, cont: int) -> PerformanceDay:
        end = 9 * 60 + venue_minutes
        return day(
            start=time(9, 0), end=time(end // 60, end % 60), performing=perf, continuous=cont
        )

    assert hours_rules(born, at(venue, performing, continuous)) == []
    assert "performance.hours_at_venue" in hours_rules(born, at(venue + 1, 1, 1))
    assert "performance.performing_hours" in hours_rules(born, at(venue, performing + 1, 1))
    assert "performance.continuous_performance" in hours_rules(
        born, at(venue, performing, continuous + 1)
    )


def test_a_finding_names_the_age_band_and_figure() -> None:
    d = day(start=time(9, 0), end=time(14, 1), performing=60, continuous=30)
    [finding] = [
        f
        for f in check_performance(application(d, born=UNDER_5))
        if f.rule == "performance.hours_at_venue"
    ]
    assert finding.severity is Severity.BLOCKING
    assert finding.facts["age_band"] == "under 5"
    assert finding.facts["limit"] == "5 h"
    assert "under 5" in finding.message and "5 h" in finding.message
    assert not finding.confirmed


def test_age_is_taken_on_each_performance_day_4_then_5() -> None:
    born = date(2021, 7, 7)  # turns 5 on FIRST + 1
    days = (
        day(FIRST, time(9, 0), time(16, 0)),
        day(FIRST + timedelta(days=1), time(9, 0), time(16, 0)),
    )
    findings = [f for f in check_performance(application(*days, born=born)) if "venue" in f.rule]
    assert [f.where for f in findings] == ["/days/0"]
    assert findings[0].facts["age"] == 4


def test_age_band_boundary_8_then_9() -> None:
    born = date(2017, 7, 7)  # turns 9 on FIRST + 1
    days = (
        day(FIRST, time(9, 0), time(18, 0)),
        day(FIRST + timedelta(days=1), time(9, 0), time(18, 0)),
    )
    findings = [f for f in check_performance(application(*days, born=born)) if "venue" in f.rule]
    assert [f.where for f in findings] == ["/days/0"]
    assert findings[0].facts["age_band"] == "aged 5 to 8"


def test_age_bands_cover_every_age_and_are_marked_unconfirmed() -> None:
    assert age_band(0).label == "under 5"
    assert age_band(4).label == "under 5"
    assert age_band(5).label == "aged 5 to 8"
    assert age_band(8).label == "aged 5 to 8"
    assert age_band(9).label == "aged 9 and over"
    assert age_band(15).label == "aged 9 and over"
    assert all(not band.confirmed for band in HOURS_BY_AGE)


# --- Education -------------------------------------------------------------------------------


def test_three_hours_of_tuition_on_a_missed_school_day_is_enough() -> None:
    d = day(school_day=True, absent=True, tutor=180)
    assert "performance.education" not in rules(application(d))


def test_179_minutes_of_tuition_is_refused() -> None:
    d = day(school_day=True, absent=True, tutor=179)
    [finding] = [f for f in check_performance(application(d)) if f.rule == "performance.education"]
    assert finding.severity is Severity.BLOCKING
    assert finding.confirmed
    assert finding.source.endswith("reg 13(3)(e)")
    assert finding.where == "/days/0"


def test_no_tuition_is_needed_when_no_school_is_missed() -> None:
    assert "performance.education" not in rules(application(day(school_day=True)))
    assert "performance.education" not in rules(application(day(school_day=False)))


# --- Overnight break and long runs (unconfirmed, warnings) -----------------------------------


def test_a_short_overnight_break_is_a_warning() -> None:
    days = (
        day(FIRST, start=time(12, 0), end=time(22, 0), performing=120, continuous=60),
        day(FIRST + timedelta(days=1), start=time(9, 59)),
    )
    [finding] = [f for f in check_performance(application(*days)) if "overnight" in f.rule]
    assert finding.severity is Severity.WARNING
    assert not finding.confirmed
    assert finding.facts["break_minutes"] == 11 * 60 + 59
    days = (days[0], day(FIRST + timedelta(days=1), start=time(10, 0)))
    assert "performance.overnight_break" not in rules(application(*days))


def test_a_performance_soon_after_eight_full_weeks_is_a_warning() -> None:
    weeks = [FIRST + timedelta(weeks=w, days=d) for w in range(8) for d in range(6)]
    after = weeks[-1]
    extra = [after + timedelta(days=k) for k in (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)]
    days = tuple(day(on) for on in weeks + extra)
    assert len(days) >= 60
    [finding] = [f for f in check_performance(application(*days)) if "long_run" in f.rule]
    assert finding.severity is Severity.WARNING
    assert not finding.confirmed
    assert finding.facts["next_performance"] == (after + timedelta(days=10)).isoformat()

    rested = [after + timedelta(days=15 + k) for k in range(12)]
    days = tuple(day(on) for on in weeks + rested)
    assert "performance.rest_after_long_run" not in rules(application(*days))


# --- Shape -----------------------------------------------------------------------------------


def test_shape_problems() -> None:
    assert [p.code for p in shape_problems([])] == ["empty_schedule"]
    assert shape_problems([day()]) == []
    codes = {
        "past_midnight_or_reversed": day(start=time(20, 0), end=time(1, 0)),
        "negative_minutes": day(tutor=-1),
        "performing_exceeds_time_at_venue": day(start=time(10, 0), end=time(11, 0), performing=61),
        "continuous_exceeds_performing": day(performing=30, continuous=31),
    }
    for code, bad in codes.items():
        [problem] = shape_problems([day(FIRST - timedelta(days=1)), bad])
        assert (problem.code, problem.where) == (code, "/days/1")
    [duplicate] = shape_problems([day(), day()])
    assert (duplicate.code, duplicate.where) == ("duplicate_day", "/days/1")
    [same_time] = shape_problems(
        [day(start=time(10, 0), end=time(10, 0), performing=0, continuous=0)]
    )
    assert same_time.code == "past_midnight_or_reversed"


# --- Chaperone ratios ------------------------------------------------------------------------


def duty(
    licence: str, start: time, end: time, *, on: date = FIRST, tutoring: bool = False
) -> ChaperoneDuty:
    return ChaperoneDuty(licence, on, start, end, tutoring)


def test_twelve_children_at_once_is_allowed_thirteen_is_not() -> None:
    twelve = [duty(f"L{k}", time(10, 0), time(12, 0)) for k in range(12)]
    assert chaperone_capacity(twelve) == []
    # The thirteenth comes from another performance that overlaps for an hour.
    thirteen = [*twelve, duty("L12", time(11, 0), time(15, 0))]
    [finding] = chaperone_capacity(thirteen)
    assert finding.severity is Severity.BLOCKING
    assert finding.facts == {"on": FIRST.isoformat(), "children": 13, "limit": 12}
    assert "11:00" in finding.message


def test_back_to_back_periods_do_not_overlap() -> None:
    morning = [duty(f"A{k}", time(10, 0), time(12, 0)) for k in range(12)]
    afternoon = [duty(f"B{k}", time(12, 0), time(14, 0)) for k in range(12)]
    assert chaperone_capacity(morning + afternoon) == []


def test_the_same_licence_twice_counts_as_one_child() -> None:
    duties = [duty(f"L{k}", time(10, 0), time(12, 0)) for k in range(12)]
    duties.append(duty("L0", time(11, 0), time(13, 0)))
    assert chaperone_capacity(duties) == []


def test_three_children_while_tutoring_is_allowed_four_is_not() -> None:
    three = [duty(f"L{k}", time(9, 0), time(12, 0), tutoring=k == 0) for k in range(3)]
    assert chaperone_capacity(three) == []
    [finding] = chaperone_capacity([*three, duty("L3", time(11, 0), time(12, 0))])
    assert finding.facts == {"on": FIRST.isoformat(), "children": 4, "limit": 3}
    assert "tutor" in finding.message


def test_tutoring_only_tightens_the_limit_while_it_overlaps() -> None:
    # Four children all afternoon; the tutoring duty ended at 12:00.
    duties = [duty("T", time(9, 0), time(12, 0), tutoring=True)]
    duties += [duty(f"L{k}", time(12, 0), time(15, 0)) for k in range(4)]
    assert chaperone_capacity(duties) == []


def test_one_finding_per_date_over_capacity() -> None:
    days = [FIRST + timedelta(days=k) for k in range(3)]
    duties = [duty(f"L{k}", time(10, 0), time(12, 0), on=on) for on in days for k in range(13)]
    duties += [duty(f"M{k}", time(14, 0), time(16, 0), on=days[0]) for k in range(14)]
    findings = chaperone_capacity(duties)
    assert [f.facts["on"] for f in findings] == [on.isoformat() for on in days]
    assert findings[0].facts["children"] == 14


def test_capacity_over_720_duties() -> None:
    # 60 days x 12 children in staggered, overlapping periods: always 12 at most at once.
    duties = [
        duty(f"L{k}", time(9 + k % 3, 0), time(13 + k % 3, 30), on=FIRST + timedelta(days=d))
        for d in range(60)
        for k in range(12)
    ]
    assert len(duties) == 720
    assert chaperone_capacity(duties) == []
    # One extra child on every tenth day tips those days over.
    extra = [
        duty("X", time(12, 0), time(12, 30), on=FIRST + timedelta(days=d)) for d in range(0, 60, 10)
    ]
    findings = chaperone_capacity(duties + extra)
    assert [f.facts["children"] for f in findings] == [13] * 6
