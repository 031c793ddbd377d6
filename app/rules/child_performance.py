"""Child performance licences: whether a licence is needed, and the checks on a schedule.

Sources:

- Children and Young Persons Act 1963 s37(1)-(2) (text quoted from legislation.gov.uk): a
  child may not take part, except under a licence from the local authority, in a performance
  for which a charge is made (for admission or otherwise), in licensed premises, that is
  broadcast, included in a programme service, or recorded for broadcast or a film intended for
  public exhibition. A child taking the place of a performer in a rehearsal takes part.
- CYPA 1963 s37(3): no licence is needed where no payment, other than for defraying expenses,
  is made to the child or to another person, and (a) in the six months before the performance
  the child has not taken part in other such performances on more than three days (the
  "four-day rule": this day plus at most three others), or (b) the performance is given under
  arrangements made by a body of persons approved by the Secretary of State or the local
  authority (a Body of Persons Approval, "BOPA"). Our count is conservative: every day of
  this application is counted with the days the applicant declares for the six months
  before the first day, so a schedule of five days or more always needs a licence.
- School absence: leave from school for an unlicensed performance is not given in council
  practice (SPEC; Kent), so any absence makes a licence necessary and takes away both
  exemptions. (The School Attendance (Pupil Registration) (England) Regulations 2024
  allow leave for exempt performances in some schools; the council has not adopted that.)
- Children (Performances and Activities) (England) Regulations 2014, SI 2014/3309:
  - reg 4: the authority may refuse a licence where the application arrives fewer than 21
    days before the first performance. Stated on the prescribed application form and by
    council pages, and quoted in the Scottish twin (SSI 2014/372 reg 4(2)); the England text
    was not quoted here, so the finding is marked unconfirmed. A late application is
    flagged for the officer's decision, never refused here.
  - reg 13(3)(e) (quoted): a private teacher's education must total not less than three
    hours on each day the child would be required to attend school. Reg 13(4) lets the
    authority approve a spread arrangement instead (six hours a week, aggregated over
    periods of up to four weeks); that approval is an officer's decision recorded on the
    licence, not something this check can see.
  - regs 21-22: earliest and latest times, hours at the place of performance, hours
    performing and continuous performance by age. The figures below come from council and
    industry summaries of the 2014 regulations (SPEC section 7); the regulation text was not
    quoted here, so each is marked unconfirmed.
  - reg 26: at most six consecutive days of performance or rehearsal. Quoted from the Welsh
    (reg 28) and Scottish (reg 26) twins; the England text was not quoted: unconfirmed.
  - reg 23 (breaks during the day): not checked; the application carries no break times,
    and the licence conditions set them.
  - reg 24 (overnight break) and reg 27 (a 14-day break after eight consecutive weeks at
    the maximum consecutive days, where the licence covers 60 days or more; from the Welsh
    and Scottish twins): kept as data, unconfirmed, and reported as warnings only.
  - reg 15(3): a chaperone may have at most twelve children in their care, or three where
    the chaperone is also the child's private teacher. From the National Network for
    Children in Employment and Entertainment's summary of reg 15 and council pages; the
    1968 regulations (reg 12(3)-(4), quoted) had the same figures ("more than eleven other
    children", "more than two other children"). The 2014 text was not quoted: unconfirmed.

Ages are completed years on each performance day (Family Law Reform Act 1969 s9).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import pairwise

from app.rules.licensing import Finding, Severity, ShapeProblem, hours_label, minutes
from app.rules.school_age import age_on

S37 = "Children and Young Persons Act 1963 s37"
REGULATIONS = "SI 2014/3309"

#: Exempt under s37(3)(a) only where the child performs on no more than this many days in
#: six months (three other days, and this one).
FOUR_DAY_RULE_DAYS = 4
#: An application received fewer than this many days before the first performance is late.
APPLICATION_DAYS_BEFORE = 21
#: At most this many consecutive days of performance or rehearsal.
MAX_CONSECUTIVE_DAYS = 6
#: A tutor gives at least this many minutes of education on each school day missed.
MIN_TUTOR_MINUTES_ON_SCHOOL_DAY = 180
#: Chaperone ratios.
CHAPERONE_MAX_CHILDREN = 12
CHAPERONE_TUTOR_MAX_CHILDREN = 3


@dataclass(frozen=True, slots=True)
class Provision:
    """A figure kept as data, with where it comes from and whether its text was quoted."""

    figure: int
    source: str
    confirmed: bool


LATE_APPLICATION = Provision(APPLICATION_DAYS_BEFORE, f"{REGULATIONS} reg 4", confirmed=False)
CONSECUTIVE_DAYS = Provision(MAX_CONSECUTIVE_DAYS, f"{REGULATIONS} reg 26", confirmed=False)
EDUCATION = Provision(
    MIN_TUTOR_MINUTES_ON_SCHOOL_DAY, f"{REGULATIONS} reg 13(3)(e)", confirmed=True
)
#: Minutes between leaving the place of performance and arriving on the next day.
OVERNIGHT_BREAK = Provision(12 * 60, f"{REGULATIONS} reg 24", confirmed=False)
#: Weeks at the maximum consecutive days before a break is due ...
LONG_RUN_WEEKS = Provision(8, f"{REGULATIONS} reg 27(1)", confirmed=False)
#: ... the days of that break ...
LONG_RUN_BREAK_DAYS = Provision(14, f"{REGULATIONS} reg 27(1)", confirmed=False)
#: ... and the rule applies only where the licence covers at least this many days.
LONG_RUN_MIN_LICENCE_DAYS = Provision(60, f"{REGULATIONS} reg 27(2)", confirmed=False)
CHAPERONE_RATIO = Provision(CHAPERONE_MAX_CHILDREN, f"{REGULATIONS} reg 15(3)", confirmed=False)
CHAPERONE_TUTOR_RATIO = Provision(
    CHAPERONE_TUTOR_MAX_CHILDREN, f"{REGULATIONS} reg 15(3)", confirmed=False
)


@dataclass(frozen=True, slots=True)
class AgeBand:
    """Limits for a child of ``youngest`` to ``oldest`` completed years (``None``: no upper
    bound short of the end of compulsory school age)."""

    label: str
    youngest: int
    oldest: int | None
    earliest: time
    latest: time
    max_at_venue_minutes: int
    max_performing_minutes: int
    max_continuous_minutes: int
    source: str
    confirmed: bool

    def covers(self, age: int) -> bool:
        return self.youngest <= age and (self.oldest is None or age <= self.oldest)


#: Regs 21 (times) and 22 (hours), from council summaries; not yet quoted from the text.
HOURS_BY_AGE: tuple[AgeBand, ...] = (
    AgeBand(
        "under 5",
        0,
        4,
        time(7, 0),
        time(22, 0),
        max_at_venue_minutes=5 * 60,
        max_performing_minutes=2 * 60,
        max_continuous_minutes=30,
        source=f"{REGULATIONS} regs 21-22",
        confirmed=False,
    ),
    AgeBand(
        "aged 5 to 8",
        5,
        8,
        time(7, 0),
        time(23, 0),
        max_at_venue_minutes=8 * 60,
        max_performing_minutes=3 * 60,
        max_continuous_minutes=150,
        source=f"{REGULATIONS} regs 21-22",
        confirmed=False,
    ),
    AgeBand(
        "aged 9 and over",
        9,
        None,
        time(7, 0),
        time(23, 0),
        max_at_venue_minutes=9 * 60 + 30,
        max_performing_minutes=5 * 60,
        max_continuous_minutes=150,
        source=f"{REGULATIONS} regs 21-22",
        confirmed=False,
    ),
)


def age_band(age: int) -> AgeBand:
    for band in HOURS_BY_AGE:
        if band.covers(age):
            return band
    raise ValueError("age must not be negative")


@dataclass(frozen=True, slots=True)
class PerformanceDay:
    on: date
    #: Arrival at the place of performance or rehearsal.
    at_venue_from: time
    #: Leaving it, the same day (past midnight is a shape problem).
    at_venue_until: time
    #: Total time performing or rehearsing that day.
    performing_minutes: int
    longest_continuous_minutes: int
    #: A day the child's school is open.
    school_day: bool
    #: The child misses school that day for this.
    absent_from_school: bool
    #: Education given by a tutor that day.
    tutor_minutes: int

    @property
    def at_venue_minutes(self) -> int:
        return minutes(self.at_venue_until) - minutes(self.at_venue_from)


@dataclass(frozen=True, slots=True)
class PerformanceApplication:
    date_of_birth: date
    received_on: date
    days: tuple[PerformanceDay, ...]
    paid: bool
    charge_made: bool
    licensed_premises: bool
    broadcast_or_recorded: bool
    #: The production holds a Body of Persons Approval.
    body_of_persons_approval: bool
    #: Days the child already performed in the six months before the first day.
    days_performed_in_previous_six_months: int


@dataclass(frozen=True, slots=True)
class LicenceNeed:
    needed: bool
    #: ``"four_day_rule"`` | ``"body_of_persons_approval"`` | ``None``.
    exemption: str | None
    #: Plain English, either way: why a licence is needed, or why it is not.
    reasons: tuple[str, ...]
    source: str


# --- Shape ----------------------------------------------------------------------------------


def shape_problems(days: Sequence[PerformanceDay]) -> list[ShapeProblem]:
    """Schedules that cannot be checked at all; each is refused with a 422 naming ``where``."""
    if not days:
        return [ShapeProblem("/days", "Give at least one day of performance.", "empty_schedule")]
    problems: list[ShapeProblem] = []
    seen: set[date] = set()
    for i, day in enumerate(days):
        where = f"/days/{i}"
        if day.on in seen:
            problems.append(
                ShapeProblem(
                    where,
                    f"{day.on.isoformat()} appears more than once; give one entry per day.",
                    "duplicate_day",
                )
            )
        seen.add(day.on)
        reversed_times = day.at_venue_until <= day.at_venue_from
        if reversed_times:
            problems.append(
                ShapeProblem(
                    where,
                    "The time leaving the venue must be later the same day than the time "
                    "arriving; a day running past midnight cannot be checked.",
                    "past_midnight_or_reversed",
                )
            )
        if min(day.performing_minutes, day.longest_continuous_minutes, day.tutor_minutes) < 0:
            problems.append(
                ShapeProblem(where, "Minutes must not be negative.", "negative_minutes")
            )
            continue
        if not reversed_times and day.performing_minutes > day.at_venue_minutes:
            problems.append(
                ShapeProblem(
                    where,
                    "Time performing is longer than the time at the venue.",
                    "performing_exceeds_time_at_venue",
                )
            )
        if day.longest_continuous_minutes > day.performing_minutes:
            problems.append(
                ShapeProblem(
                    where,
                    "The longest continuous performance is longer than the day's total "
                    "performing time.",
                    "continuous_exceeds_performing",
                )
            )
    return problems


# --- Dates ----------------------------------------------------------------------------------


def first_day(application: PerformanceApplication) -> date:
    return min(day.on for day in application.days)


def last_day(application: PerformanceApplication) -> date:
    return max(day.on for day in application.days)


def latest_on_time_application(first_performance: date) -> date:
    """The last day an application is on time: 21 days before the first performance."""
    return first_performance - timedelta(days=APPLICATION_DAYS_BEFORE)


# --- Whether a licence is needed ------------------------------------------------------------


def licence_need(application: PerformanceApplication) -> LicenceNeed:
    """Whether the performance needs a licence, with the reasons either way."""
    a = application
    absence = any(day.absent_from_school for day in a.days)
    triggers = []
    if a.charge_made:
        triggers.append("a charge is made in connection with the performance")
    if a.licensed_premises:
        triggers.append("it takes place in licensed premises")
    if a.broadcast_or_recorded:
        triggers.append("it is broadcast or recorded")
    if a.paid:
        triggers.append("the child, or someone for the child, is paid beyond expenses")
    if absence:
        triggers.append("the child would miss school")

    if not triggers:
        return LicenceNeed(
            needed=False,
            exemption=None,
            reasons=(
                "No charge is made, it is not in licensed premises, it is not broadcast or "
                "recorded, the child is not paid and misses no school, so section 37 does "
                "not apply.",
            ),
            source=f"{S37}(1)-(2)",
        )

    needed_because = tuple(f"A licence is needed because {t}." for t in triggers)
    if a.paid or absence:
        blocked = []
        if a.paid:
            blocked.append("the child is paid")
        if absence:
            blocked.append("the child would miss school")
        return LicenceNeed(
            needed=True,
            exemption=None,
            reasons=(
                *needed_because,
                "Neither the four-day rule nor a Body of Persons Approval can apply because "
                + " and ".join(blocked)
                + ".",
            ),
            source=f"{S37}(2)-(3)",
        )

    total_days = a.days_performed_in_previous_six_months + len({d.on for d in a.days})
    if total_days <= FOUR_DAY_RULE_DAYS:
        return LicenceNeed(
            needed=False,
            exemption="four_day_rule",
            reasons=(
                f"The child would perform on {total_days} day(s) in six months, no more than "
                f"{FOUR_DAY_RULE_DAYS}, is not paid and misses no school, so no licence is "
                "needed (the four-day rule).",
            ),
            source=f"{S37}(3)(a)",
        )
    if a.body_of_persons_approval:
        return LicenceNeed(
            needed=False,
            exemption="body_of_persons_approval",
            reasons=(
                "The production holds a Body of Persons Approval, the child is not paid and "
                "misses no school, so no licence is needed.",
            ),
            source=f"{S37}(3)(b)",
        )
    return LicenceNeed(
        needed=True,
        exemption=None,
        reasons=(
            *needed_because,
            f"The child would perform on {total_days} days in six months, more than "
            f"{FOUR_DAY_RULE_DAYS}, so the four-day rule does not apply, and the production "
            "holds no Body of Persons Approval.",
        ),
        source=f"{S37}(2)-(3)",
    )


# --- The checks -----------------------------------------------------------------------------


def check_performance(application: PerformanceApplication) -> list[Finding]:
    """Every finding for an application whose schedule has no shape problems."""
    findings: list[Finding] = []
    findings += _licence_not_needed(application)
    findings += _late_application(application)
    findings += _consecutive_days(application)
    findings += _hours_by_age(application)
    findings += _education(application)
    findings += _overnight_break(application)
    findings += _rest_after_long_run(application)
    return findings


def _licence_not_needed(application: PerformanceApplication) -> list[Finding]:
    need = licence_need(application)
    if need.needed:
        return []
    return [
        Finding(
            rule="performance.licence_not_needed",
            severity=Severity.WARNING,
            source=need.source,
            message=" ".join(need.reasons)
            + " The officer may tell the applicant that no licence is needed.",
            facts={"exemption": need.exemption},
        )
    ]


def _late_application(application: PerformanceApplication) -> list[Finding]:
    first = first_day(application)
    due_by = latest_on_time_application(first)
    if application.received_on <= due_by:
        return []
    days_before = (first - application.received_on).days
    return [
        Finding(
            rule="performance.late_application",
            severity=Severity.WARNING,
            source=LATE_APPLICATION.source,
            message=(
                f"The application arrived {days_before} day(s) before the first performance "
                f"on {first.isoformat()}; it was due by {due_by.isoformat()} "
                f"({APPLICATION_DAYS_BEFORE} days before). The council may refuse a late "
                "application: decide whether to accept it."
            ),
            confirmed=LATE_APPLICATION.confirmed,
            facts={
                "received_on": application.received_on.isoformat(),
                "first_performance": first.isoformat(),
                "due_by": due_by.isoformat(),
                "days_before": days_before,
            },
        )
    ]


def _runs(dates: Sequence[date]) -> list[list[date]]:
    """Sorted distinct dates split into runs of consecutive days."""
    runs: list[list[date]] = []
    for on in sorted(set(dates)):
        if runs and on - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(on)
        else:
            runs.append([on])
    return runs


def _consecutive_days(application: PerformanceApplication) -> list[Finding]:
    index = {day.on: i for i, day in enumerate(application.days)}
    findings = []
    for run in _runs([day.on for day in application.days]):
        if len(run) <= MAX_CONSECUTIVE_DAYS:
            continue
        first_over = run[MAX_CONSECUTIVE_DAYS]
        findings.append(
            Finding(
                rule="performance.consecutive_days",
                severity=Severity.BLOCKING,
                source=CONSECUTIVE_DAYS.source,
                message=(
                    f"The child would perform on {len(run)} consecutive days, from "
                    f"{run[0].isoformat()} to {run[-1].isoformat()}; at most "
                    f"{MAX_CONSECUTIVE_DAYS} are allowed, so a day off is needed by "
                    f"{first_over.isoformat()}."
                ),
                where=f"/days/{index[first_over]}",
                confirmed=CONSECUTIVE_DAYS.confirmed,
                facts={
                    "first": run[0].isoformat(),
                    "last": run[-1].isoformat(),
                    "days": len(run),
                    "limit": MAX_CONSECUTIVE_DAYS,
                },
            )
        )
    return findings


def _hours_finding(
    rule: str, band: AgeBand, age: int, where: str, on: date, message: str, actual: str, limit: str
) -> Finding:
    return Finding(
        rule=rule,
        severity=Severity.BLOCKING,
        source=band.source,
        message=message,
        where=where,
        confirmed=band.confirmed,
        facts={
            "on": on.isoformat(),
            "age": age,
            "age_band": band.label,
            "actual": actual,
            "limit": limit,
        },
    )


def _hours_by_age(application: PerformanceApplication) -> list[Finding]:
    findings = []
    for i, day in enumerate(application.days):
        age = age_on(application.date_of_birth, day.on)
        band = age_band(age)
        where = f"/days/{i}"
        child = f"On {day.on.isoformat()} the child (aged {age}, {band.label})"
        if day.at_venue_from < band.earliest:
            findings.append(
                _hours_finding(
                    "performance.earliest_start",
                    band,
                    age,
                    where,
                    day.on,
                    f"{child} would arrive at {day.at_venue_from:%H:%M}; a child {band.label} "
                    f"may not be at the venue before {band.earliest:%H:%M}.",
                    f"{day.at_venue_from:%H:%M}",
                    f"{band.earliest:%H:%M}",
                )
            )
        if day.at_venue_until > band.latest:
            findings.append(
                _hours_finding(
                    "performance.latest_finish",
                    band,
                    age,
                    where,
                    day.on,
                    f"{child} would leave at {day.at_venue_until:%H:%M}; a child {band.label} "
                    f"may not be at the venue after {band.latest:%H:%M}.",
                    f"{day.at_venue_until:%H:%M}",
                    f"{band.latest:%H:%M}",
                )
            )
        for rule, what, actual, limit in (
            (
                "performance.hours_at_venue",
                "at the venue",
                day.at_venue_minutes,
                band.max_at_venue_minutes,
            ),
            (
                "performance.performing_hours",
                "performing or rehearsing",
                day.performing_minutes,
                band.max_performing_minutes,
            ),
            (
                "performance.continuous_performance",
                "performing without a break",
                day.longest_continuous_minutes,
                band.max_continuous_minutes,
            ),
        ):
            if actual > limit:
                findings.append(
                    _hours_finding(
                        rule,
                        band,
                        age,
                        where,
                        day.on,
                        f"{child} would spend {hours_label(actual)} {what}; the most for a "
                        f"child {band.label} is {hours_label(limit)}.",
                        hours_label(actual),
                        hours_label(limit),
                    )
                )
    return findings


def _education(application: PerformanceApplication) -> list[Finding]:
    findings = []
    for i, day in enumerate(application.days):
        if not (day.school_day and day.absent_from_school):
            continue
        if day.tutor_minutes >= MIN_TUTOR_MINUTES_ON_SCHOOL_DAY:
            continue
        findings.append(
            Finding(
                rule="performance.education",
                severity=Severity.BLOCKING,
                source=EDUCATION.source,
                message=(
                    f"On {day.on.isoformat()} the child misses school and a tutor would give "
                    f"{hours_label(day.tutor_minutes) if day.tutor_minutes else 'no'} "
                    f"education; at least {hours_label(MIN_TUTOR_MINUTES_ON_SCHOOL_DAY)} is "
                    "needed on each school day missed."
                ),
                where=f"/days/{i}",
                confirmed=EDUCATION.confirmed,
                facts={
                    "on": day.on.isoformat(),
                    "tutor_minutes": day.tutor_minutes,
                    "minimum_minutes": MIN_TUTOR_MINUTES_ON_SCHOOL_DAY,
                },
            )
        )
    return findings


def _overnight_break(application: PerformanceApplication) -> list[Finding]:
    """Reg 24, unconfirmed: a warning where the gap between leaving one day and arriving the
    next is shorter than the overnight break."""
    ordered = sorted(enumerate(application.days), key=lambda pair: pair[1].on)
    findings = []
    for (_, before), (i, after) in pairwise(ordered):
        if after.on - before.on != timedelta(days=1):
            continue
        gap = 24 * 60 - minutes(before.at_venue_until) + minutes(after.at_venue_from)
        if gap >= OVERNIGHT_BREAK.figure:
            continue
        findings.append(
            Finding(
                rule="performance.overnight_break",
                severity=Severity.WARNING,
                source=OVERNIGHT_BREAK.source,
                message=(
                    f"The child would leave at {before.at_venue_until:%H:%M} on "
                    f"{before.on.isoformat()} and arrive at {after.at_venue_from:%H:%M} on "
                    f"{after.on.isoformat()}, a break of {hours_label(gap)}; the council "
                    f"expects at least {hours_label(OVERNIGHT_BREAK.figure)} overnight."
                ),
                where=f"/days/{i}",
                confirmed=OVERNIGHT_BREAK.confirmed,
                facts={
                    "on": after.on.isoformat(),
                    "break_minutes": gap,
                    "minimum_minutes": OVERNIGHT_BREAK.figure,
                },
            )
        )
    return findings


def _rest_after_long_run(application: PerformanceApplication) -> list[Finding]:
    """Reg 27, unconfirmed: after eight consecutive calendar weeks (Monday to Sunday) each
    with the maximum six days of performance, no performance in the next fourteen days.
    Applies only where the licence covers 60 days or more."""
    dates = sorted({day.on for day in application.days})
    if len(dates) < LONG_RUN_MIN_LICENCE_DAYS.figure:
        return []
    by_week: defaultdict[date, list[date]] = defaultdict(list)
    for on in dates:
        by_week[on - timedelta(days=on.weekday())].append(on)
    index = {day.on: i for i, day in enumerate(application.days)}
    findings = []
    streak = 0
    previous_week: date | None = None
    for week in sorted(by_week):
        full = len(by_week[week]) >= MAX_CONSECUTIVE_DAYS
        if full and previous_week is not None and week - previous_week == timedelta(weeks=1):
            streak += 1
        else:
            streak = 1 if full else 0
        previous_week = week if full else None
        if streak < LONG_RUN_WEEKS.figure:
            continue
        streak = 0
        previous_week = None
        last = by_week[week][-1]
        break_ends = last + timedelta(days=LONG_RUN_BREAK_DAYS.figure)
        too_soon = [on for on in dates if last < on <= break_ends]
        if not too_soon:
            continue
        findings.append(
            Finding(
                rule="performance.rest_after_long_run",
                severity=Severity.WARNING,
                source=LONG_RUN_WEEKS.source,
                message=(
                    f"The child would perform {MAX_CONSECUTIVE_DAYS} days a week for "
                    f"{LONG_RUN_WEEKS.figure} consecutive weeks up to {last.isoformat()}, then "
                    f"again on {too_soon[0].isoformat()}; a break of "
                    f"{LONG_RUN_BREAK_DAYS.figure} days is expected after such a run."
                ),
                where=f"/days/{index[too_soon[0]]}",
                confirmed=LONG_RUN_WEEKS.confirmed,
                facts={
                    "run_ends": last.isoformat(),
                    "next_performance": too_soon[0].isoformat(),
                    "break_days": LONG_RUN_BREAK_DAYS.figure,
                },
            )
        )
    return findings


# --- Chaperones -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChaperoneDuty:
    """One child in one chaperone's care for a period (half-open: ``[from_, until)``)."""

    licence_id: str
    on: date
    from_: time
    until: time
    #: This chaperone also acts as the child's tutor that day.
    also_tutoring: bool


def chaperone_capacity(duties: Sequence[ChaperoneDuty]) -> list[Finding]:
    """One blocking finding per date on which one chaperone would have more children in their
    care at one moment than allowed: twelve, or three while also tutoring any of them.

    Children are counted as distinct licences. Periods are half-open, so a duty ending at
    12:00 and another starting at 12:00 do not overlap. Empty or reversed periods are a shape
    problem for the caller and are not counted. Sort and sweep: O(n log n).
    """
    by_date: defaultdict[date, list[ChaperoneDuty]] = defaultdict(list)
    for duty in duties:
        if duty.until > duty.from_:
            by_date[duty.on].append(duty)

    findings = []
    for on in sorted(by_date):
        worst = _worst_moment(by_date[on])
        if worst is None:
            continue
        at, children, limit = worst
        findings.append(
            Finding(
                rule="performance.chaperone_capacity",
                severity=Severity.BLOCKING,
                source=CHAPERONE_RATIO.source,
                message=(
                    f"On {on.isoformat()} at {at:%H:%M} the chaperone would have {children} "
                    f"children in their care; the most allowed is {limit}"
                    + (
                        " while also acting as a tutor."
                        if limit == CHAPERONE_TUTOR_MAX_CHILDREN
                        else "."
                    )
                ),
                confirmed=CHAPERONE_RATIO.confirmed,
                facts={"on": on.isoformat(), "children": children, "limit": limit},
            )
        )
    return findings


def _worst_moment(duties: Sequence[ChaperoneDuty]) -> tuple[time, int, int] | None:
    """The moment furthest over capacity on one date, as (time, children, limit), if any."""
    # Ends sort before starts at the same minute: half-open periods.
    events = sorted(
        [(minutes(d.from_), 1, d) for d in duties] + [(minutes(d.until), -1, d) for d in duties],
        key=lambda event: (event[0], event[1]),
    )
    active: Counter[str] = Counter()
    tutoring = 0
    worst: tuple[time, int, int] | None = None
    for i, (at, step, duty) in enumerate(events):
        active[duty.licence_id] += step
        if not active[duty.licence_id]:
            del active[duty.licence_id]
        if duty.also_tutoring:
            tutoring += step
        # Judge the moment once every event at this minute has been applied.
        if i + 1 < len(events) and events[i + 1][0] == at:
            continue
        children = len(active)
        limit = CHAPERONE_TUTOR_MAX_CHILDREN if tutoring else CHAPERONE_MAX_CHILDREN
        if children > limit and (worst is None or children - limit > worst[1] - worst[2]):
            worst = (time(at // 60, at % 60), children, limit)
    return worst
