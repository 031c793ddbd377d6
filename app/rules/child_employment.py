"""Child employment: the checks behind a work permit, on a weekly pattern of shifts.

Sources:

- Children and Young Persons Act 1933 s18(1), as amended (text on legislation.gov.uk): no child
  shall be employed (a) under the age of fourteen; (aa) in anything but light work; (b) before
  the close of school hours on any day on which the child is required to attend school; (c)
  before seven o'clock in the morning or after seven o'clock in the evening on any day; (d) for
  more than two hours on any day on which the child is required to attend school; (da) for more
  than twelve hours in any week in which the child is required to attend school; (e) for more
  than two hours on any Sunday; (g) for more than eight hours, or five hours if under fifteen,
  in any day on which the child is not required to attend school and which is not a Sunday;
  (h) for more than thirty-five hours, or twenty-five if under fifteen, in any week in which
  the child is not required to attend school; (i) for more than four hours in any day without
  a rest break of one hour; (j) unless the child has had, or could still have, at least two
  consecutive weeks without employment in a period of the year in which the child is not
  required to attend school.
- CYPA 1933 s18(2)(a): byelaws may authorise the employment of children aged thirteen in light
  work, and employment for not more than one hour before the commencement of school hours on a
  day on which the child is required to attend school.
- Kent County Council byelaws on the employment of children, made under CYPA 1933 s18(2):
  a child of 13 may do light work; up to one hour before school; the employer applies for a
  work permit within one week of the child starting work; the council may revoke a permit
  where the work is unlawful or harms the child's health, welfare or education. The council's
  byelaw text could not be quoted here: these figures are taken from the model byelaws other
  councils publish (e.g. Wirral, Brighton and Hove) and councils' summaries, and are marked
  ``confirmed=False`` for the council to check against its own byelaws.
- Education Act 1996 s558: a child, for the employment enactments, is anyone not over
  compulsory school age; s8(3)-(4): compulsory school age ends on the last Friday in June of
  the school year in which the child turns 16 (``app.rules.school_age``). After that day no
  permit is needed.
- Family Law Reform Act 1969 s9: an age is attained at the start of the birthday; a child born
  on 29 February turns 13 on 1 March in a common year (``app.rules.retention.birthday``).

How the pattern is read:

- Term weeks: Monday to Friday are school days (days on which the child is required to attend
  school); Saturday and Sunday are not. A bank holiday or training day in a term week cannot be
  seen in a weekly pattern, so the school-day limits apply to every term-week weekday.
- Holiday weeks: every day is a day on which the child is not required to attend school.
- The under-15 / 15-and-over limits use the child's age on the first day of work. A child who
  turns 15 during the permit may work the higher limits from the 15th birthday with an amended
  permit; the date is given in the findings' facts.
- The rest break: the day's shifts are walked in order of start time; a gap of at least one
  hour between shifts ends a spell of work. A spell of more than four hours is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time
from enum import StrEnum
from typing import Any

from app.rules.licensing import Finding, Severity, ShapeProblem, hours_label, minutes
from app.rules.retention import birthday
from app.rules.school_age import age_on, compulsory_school_age_ends

S18 = "Children and Young Persons Act 1933 s18"
BYELAWS = "Kent County Council byelaws on the employment of children"


@dataclass(frozen=True, slots=True)
class Limit:
    """One figure of the regime, with the provision it comes from.

    ``value`` is in the unit its name gives: years, days, minutes of work, or (for times of
    day) minutes since midnight.
    """

    value: int
    source: str
    #: ``False`` where the figure could not be checked against the provision's own text.
    confirmed: bool = True


@dataclass(frozen=True, slots=True)
class EmploymentLimits:
    minimum_age_years: Limit
    #: From this age the higher daily and weekly limits apply.
    older_band_age_years: Limit
    earliest_start: Limit
    latest_finish: Limit
    before_school_minutes: Limit
    school_day_minutes: Limit
    sunday_minutes: Limit
    non_school_day_minutes_under_15: Limit
    non_school_day_minutes_15_plus: Limit
    term_week_minutes: Limit
    holiday_week_minutes_under_15: Limit
    holiday_week_minutes_15_plus: Limit
    break_after_minutes: Limit
    break_length_minutes: Limit
    application_within_days: Limit
    holiday_weeks_free: Limit


#: Every figure of the regime, in one table.
LIMITS = EmploymentLimits(
    minimum_age_years=Limit(13, f"{S18}(1)(a) and (2)(a); {BYELAWS}", confirmed=False),
    older_band_age_years=Limit(15, f"{S18}(1)(g) and (h)"),
    earliest_start=Limit(7 * 60, f"{S18}(1)(c)"),
    latest_finish=Limit(19 * 60, f"{S18}(1)(c)"),
    before_school_minutes=Limit(60, f"{S18}(1)(b) and (2)(a); {BYELAWS}"),
    school_day_minutes=Limit(2 * 60, f"{S18}(1)(d)"),
    sunday_minutes=Limit(2 * 60, f"{S18}(1)(e)"),
    non_school_day_minutes_under_15=Limit(5 * 60, f"{S18}(1)(g)"),
    non_school_day_minutes_15_plus=Limit(8 * 60, f"{S18}(1)(g)"),
    term_week_minutes=Limit(12 * 60, f"{S18}(1)(da)"),
    holiday_week_minutes_under_15=Limit(25 * 60, f"{S18}(1)(h)"),
    holiday_week_minutes_15_plus=Limit(35 * 60, f"{S18}(1)(h)"),
    break_after_minutes=Limit(4 * 60, f"{S18}(1)(i)"),
    break_length_minutes=Limit(60, f"{S18}(1)(i)"),
    application_within_days=Limit(7, BYELAWS, confirmed=False),
    holiday_weeks_free=Limit(2, f"{S18}(1)(j); {BYELAWS}"),
)

#: Source of the regime's end (and so of the ``past_school_leaving_age`` finding).
REGIME_END_SOURCE = "Education Act 1996 s8(3)-(4) and s558; " + S18
#: The school day is a term-week weekday; ``school_hours`` cites s18(1)(b).
SCHOOL_HOURS_SOURCE = f"{S18}(1)(b)"

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SATURDAY = 5
SUNDAY = 6


class WeekKind(StrEnum):
    TERM = "term"
    HOLIDAY = "holiday"


class DayKind(StrEnum):
    """How the law sees a day of the pattern."""

    SCHOOL_DAY = "school_day"
    SATURDAY = "saturday"
    NON_SCHOOL_WEEKDAY = "non_school_weekday"
    SUNDAY = "sunday"


@dataclass(frozen=True, slots=True)
class Shift:
    """One period of work in the weekly pattern."""

    #: Whether it is worked in term weeks or in school-holiday weeks.
    weeks: WeekKind
    #: 0 = Monday .. 6 = Sunday.
    weekday: int
    starts: time
    ends: time

    @property
    def length(self) -> int:
        """Minutes of work."""
        return minutes(self.ends) - minutes(self.starts)


@dataclass(frozen=True, slots=True)
class WorkPermitApplication:
    date_of_birth: date
    #: The first day of work.
    start_on: date
    #: The day the council received the application.
    received_on: date
    shifts: tuple[Shift, ...]
    #: The child's school day, which term-week weekday shifts must keep clear.
    school_starts: time
    school_ends: time


def day_kind(weeks: WeekKind, weekday: int) -> DayKind:
    if weekday == SUNDAY:
        return DayKind.SUNDAY
    if weekday == SATURDAY:
        return DayKind.SATURDAY
    return DayKind.SCHOOL_DAY if weeks is WeekKind.TERM else DayKind.NON_SCHOOL_WEEKDAY


@dataclass(frozen=True, slots=True)
class _DayRule:
    rule: str
    label: str
    limit: Limit
    #: Whether the limit depends on the child's age (under 15, or 15 and over).
    by_age: bool = False


def _day_rule(kind: DayKind, older: bool) -> _DayRule:
    non_school = (
        LIMITS.non_school_day_minutes_15_plus if older else LIMITS.non_school_day_minutes_under_15
    )
    match kind:
        case DayKind.SCHOOL_DAY:
            return _DayRule(
                "employment.school_day_hours", "on a school day", LIMITS.school_day_minutes
            )
        case DayKind.SUNDAY:
            return _DayRule("employment.sunday_hours", "on a Sunday", LIMITS.sunday_minutes)
        case DayKind.SATURDAY:
            return _DayRule("employment.saturday_hours", "on a Saturday", non_school, True)
        case DayKind.NON_SCHOOL_WEEKDAY:
            return _DayRule(
                "employment.non_school_day_hours",
                "on a weekday in the school holidays",
                non_school,
                True,
            )


def _where(index: int) -> str:
    return f"/shifts/{index}"


def _clock(at_minutes: int) -> str:
    return f"{at_minutes // 60:02d}:{at_minutes % 60:02d}"


def _day_label(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _day_name(weeks: WeekKind, weekday: int) -> str:
    week = "term-week" if weeks is WeekKind.TERM else "holiday-week"
    return f"{week} {WEEKDAY_NAMES[weekday]}"


def _opening(text: str) -> str:
    """``text`` to open a sentence (``term-week Monday`` -> ``Term-week Monday``)."""
    return text[:1].upper() + text[1:]


def shape_problems(shifts: Sequence[Shift]) -> list[ShapeProblem]:
    """Shifts that cannot be checked at all: a weekday outside 0..6, a time with seconds, an
    empty shift (``ends == starts``), one that ends before it starts (reversed, or running
    past midnight, which no child may work), and shifts on the same day of the same kind of
    week that overlap (each pair reported once, at the later shift)."""
    problems: list[ShapeProblem] = []
    sound: list[int] = []
    for index, shift in enumerate(shifts):
        where = _where(index)
        if not 0 <= shift.weekday <= SUNDAY:
            problems.append(
                ShapeProblem(where, "The weekday must be 0 (Monday) to 6 (Sunday).", "weekday")
            )
            continue
        if any(at.second or at.microsecond for at in (shift.starts, shift.ends)):
            problems.append(
                ShapeProblem(where, "Times must be whole minutes.", "not_whole_minutes")
            )
            continue
        if shift.ends == shift.starts:
            problems.append(ShapeProblem(where, "The shift starts and ends together.", "empty"))
            continue
        if shift.ends < shift.starts:
            problems.append(
                ShapeProblem(
                    where,
                    "The shift ends before it starts: the times are the wrong way round, or "
                    "the shift runs past midnight, which is not allowed.",
                    "past_midnight_or_reversed",
                )
            )
            continue
        sound.append(index)
    for later_position, later in enumerate(sound):
        for earlier in sound[:later_position]:
            a, b = shifts[earlier], shifts[later]
            if (a.weeks, a.weekday) == (b.weeks, b.weekday) and (
                a.starts < b.ends and b.starts < a.ends
            ):
                problems.append(
                    ShapeProblem(
                        _where(later),
                        f"The shift overlaps shift {earlier} on the same day.",
                        "overlaps",
                    )
                )
    return problems


def regime_ends_on(date_of_birth: date) -> date:
    """The last day a child needs a work permit: the last Friday in June of the school year
    in which the child turns 16 (the end of compulsory school age)."""
    return compulsory_school_age_ends(date_of_birth)


def permit_expires_on(date_of_birth: date, start_on: date, end_on: date | None) -> date:
    """The last day of a permit: the employment's end, if earlier than the end of compulsory
    school age, else that day. Raises ``ValueError`` where it would end before it starts."""
    regime_end = regime_ends_on(date_of_birth)
    expires = regime_end if end_on is None else min(end_on, regime_end)
    if expires < start_on:
        raise ValueError("the permit would end before the first day of work")
    return expires


def weekly_hours(shifts: Iterable[Shift], weeks: WeekKind) -> int:
    """Minutes of work in a week of the given kind."""
    return sum(shift.length for shift in shifts if shift.weeks is weeks)


def _finding(
    rule: str,
    limit: Limit,
    message: str,
    *,
    where: str | None = None,
    severity: Severity = Severity.BLOCKING,
    facts: Mapping[str, Any] | None = None,
) -> Finding:
    return Finding(
        rule=rule,
        severity=severity,
        source=limit.source,
        message=message,
        where=where,
        confirmed=limit.confirmed,
        facts=dict(facts or {}),
    )


def _age_findings(application: WorkPermitApplication) -> list[Finding]:
    dob, start_on = application.date_of_birth, application.start_on
    minimum = LIMITS.minimum_age_years
    findings: list[Finding] = []
    if age_on(dob, start_on) < minimum.value:
        findings.append(
            _finding(
                "employment.minimum_age",
                minimum,
                f"The child is under {minimum.value} on the first day of work "
                f"({_day_label(start_on)}); a child must be at least {minimum.value} "
                "to be employed.",
                where="/start_on",
                facts={
                    "minimum_age": minimum.value,
                    "age_on_start": age_on(dob, start_on),
                    "start_on": start_on.isoformat(),
                    "may_start_from": birthday(dob, minimum.value).isoformat(),
                },
            )
        )
    return findings


def _late_application(application: WorkPermitApplication) -> list[Finding]:
    within = LIMITS.application_within_days
    days_after = (application.received_on - application.start_on).days
    if days_after <= within.value:
        return []
    return [
        _finding(
            "employment.late_application",
            within,
            f"The application was received {days_after} days after the first day of work "
            f"({_day_label(application.start_on)}); it should be made within one week "
            "of starting.",
            where="/received_on",
            severity=Severity.WARNING,
            facts={
                "start_on": application.start_on.isoformat(),
                "received_on": application.received_on.isoformat(),
                "days_after_start": days_after,
                "limit_days": within.value,
            },
        )
    ]


def _shift_findings(index: int, shift: Shift, application: WorkPermitApplication) -> list[Finding]:
    findings: list[Finding] = []
    starts, ends = minutes(shift.starts), minutes(shift.ends)
    day = _day_name(shift.weeks, shift.weekday)
    shift_facts = {"weeks": shift.weeks.value, "weekday": shift.weekday}
    earliest, latest = LIMITS.earliest_start, LIMITS.latest_finish
    if starts < earliest.value:
        findings.append(
            _finding(
                "employment.earliest_start",
                earliest,
                f"The {day} shift starts at {_clock(starts)}; a child may not work before "
                f"{_clock(earliest.value)}.",
                where=_where(index),
                facts={**shift_facts, "starts": _clock(starts), "earliest": _clock(earliest.value)},
            )
        )
    if ends > latest.value:
        findings.append(
            _finding(
                "employment.latest_finish",
                latest,
                f"The {day} shift ends at {_clock(ends)}; a child may not work after "
                f"{_clock(latest.value)}.",
                where=_where(index),
                facts={**shift_facts, "ends": _clock(ends), "latest": _clock(latest.value)},
            )
        )
    school_starts, school_ends = (
        minutes(application.school_starts),
        minutes(application.school_ends),
    )
    if (
        day_kind(shift.weeks, shift.weekday) is DayKind.SCHOOL_DAY
        and starts < school_ends
        and school_starts < ends
    ):
        findings.append(
            Finding(
                rule="employment.school_hours",
                severity=Severity.BLOCKING,
                source=SCHOOL_HOURS_SOURCE,
                message=(
                    f"The {day} shift ({_clock(starts)} to {_clock(ends)}) falls within school "
                    f"hours ({_clock(school_starts)} to {_clock(school_ends)}); a child may not "
                    "work during school hours."
                ),
                where=_where(index),
                facts={
                    **shift_facts,
                    "starts": _clock(starts),
                    "ends": _clock(ends),
                    "school_starts": _clock(school_starts),
                    "school_ends": _clock(school_ends),
                    "overlap_minutes": min(ends, school_ends) - max(starts, school_starts),
                },
            )
        )
    return findings


def _first_past(day: Sequence[tuple[int, int]], limit: int) -> int | None:
    """The index of the shift at which a running total of ``(index, minutes)`` passes
    ``limit``."""
    total = 0
    for index, worked in day:
        total += worked
        if total > limit:
            return index
    return None


def _day_findings(
    weeks: WeekKind,
    weekday: int,
    day: Sequence[tuple[int, Shift]],
    application: WorkPermitApplication,
    band_facts: Mapping[str, Any],
    older: bool,
) -> list[Finding]:
    findings: list[Finding] = []
    name = _day_name(weeks, weekday)
    kind = day_kind(weeks, weekday)
    day_facts = {"weeks": weeks.value, "weekday": weekday, "shifts": [i for i, _ in day]}

    if kind is DayKind.SCHOOL_DAY:
        school_starts = minutes(application.school_starts)
        before = [
            (i, min(minutes(s.ends), school_starts) - minutes(s.starts))
            for i, s in day
            if minutes(s.starts) < school_starts
        ]
        allowed = LIMITS.before_school_minutes
        worked = sum(m for _, m in before)
        past = _first_past(before, allowed.value)
        if past is not None:
            findings.append(
                _finding(
                    "employment.before_school",
                    allowed,
                    f"{_opening(name)}: {hours_label(worked)} of work before school starts "
                    f"at {_clock(school_starts)}; at most {hours_label(allowed.value)} is allowed.",
                    where=_where(past),
                    facts={**day_facts, "minutes": worked, "limit_minutes": allowed.value},
                )
            )

    rule = _day_rule(kind, older)
    lengths = [(i, s.length) for i, s in day]
    total = sum(m for _, m in lengths)
    past = _first_past(lengths, rule.limit.value)
    if past is not None:
        findings.append(
            _finding(
                rule.rule,
                rule.limit,
                f"{_opening(name)}: {hours_label(total)} of work; at most "
                f"{hours_label(rule.limit.value)} is allowed {rule.label}"
                + (" at the child's age on the first day of work." if rule.by_age else "."),
                where=_where(past),
                facts={
                    **day_facts,
                    "minutes": total,
                    "limit_minutes": rule.limit.value,
                    **(band_facts if rule.by_age else {}),
                },
            )
        )

    findings.extend(_break_findings(name, day, day_facts))
    return findings


def _break_findings(
    name: str, day: Sequence[tuple[int, Shift]], day_facts: Mapping[str, Any]
) -> list[Finding]:
    after, rest = LIMITS.break_after_minutes, LIMITS.break_length_minutes
    spell = longest = 0
    previous_end: int | None = None
    first_past: int | None = None
    for index, shift in day:
        if previous_end is not None and minutes(shift.starts) - previous_end >= rest.value:
            spell = 0
        spell += shift.length
        longest = max(longest, spell)
        if spell > after.value and first_past is None:
            first_past = index
        previous_end = minutes(shift.ends)
    if first_past is None:
        return []
    return [
        _finding(
            "employment.break",
            after,
            f"{_opening(name)}: {hours_label(longest)} of work without a break of at least "
            f"{hours_label(rest.value)}; a child who works more than {hours_label(after.value)} "
            f"must have a {hours_label(rest.value)} break.",
            where=_where(first_past),
            facts={
                **day_facts,
                "minutes_without_break": longest,
                "limit_minutes": after.value,
                "break_minutes": rest.value,
            },
        )
    ]


def _week_findings(
    shifts: Sequence[Shift], band_facts: Mapping[str, Any], older: bool
) -> list[Finding]:
    findings: list[Finding] = []
    term_total = weekly_hours(shifts, WeekKind.TERM)
    term_limit = LIMITS.term_week_minutes
    if term_total > term_limit.value:
        findings.append(
            _finding(
                "employment.term_week_hours",
                term_limit,
                f"{hours_label(term_total)} of work in a term week; at most "
                f"{hours_label(term_limit.value)} is allowed.",
                facts={
                    "weeks": WeekKind.TERM.value,
                    "minutes": term_total,
                    "limit_minutes": term_limit.value,
                },
            )
        )
    holiday_total = weekly_hours(shifts, WeekKind.HOLIDAY)
    holiday_limit = (
        LIMITS.holiday_week_minutes_15_plus if older else LIMITS.holiday_week_minutes_under_15
    )
    if holiday_total > holiday_limit.value:
        findings.append(
            _finding(
                "employment.holiday_week_hours",
                holiday_limit,
                f"{hours_label(holiday_total)} of work in a school-holiday week; at most "
                f"{hours_label(holiday_limit.value)} is allowed at the child's age on the "
                "first day of work.",
                facts={
                    "weeks": WeekKind.HOLIDAY.value,
                    "minutes": holiday_total,
                    "limit_minutes": holiday_limit.value,
                    **band_facts,
                },
            )
        )
    return findings


def _holiday_weeks_free(shifts: Sequence[Shift]) -> list[Finding]:
    if not any(shift.weeks is WeekKind.HOLIDAY for shift in shifts):
        return []
    free = LIMITS.holiday_weeks_free
    return [
        _finding(
            "employment.holiday_weeks_free",
            free,
            f"The child must have at least {free.value} consecutive weeks without any work "
            "during the school holidays each year; the pattern cannot show which weeks, so "
            "the employer must keep them free.",
            severity=Severity.WARNING,
            facts={"consecutive_weeks": free.value},
        )
    ]


def check_work_permit(application: WorkPermitApplication) -> list[Finding]:
    """Every rule the application breaks, blocking findings and warnings, in a stable order:
    age, the application's timing, each shift, each day, each kind of week, then the holiday
    reminder. Assumes ``shape_problems(application.shifts)`` is empty.

    A child past compulsory school age needs no permit: that finding alone is returned."""
    dob, start_on = application.date_of_birth, application.start_on
    regime_end = regime_ends_on(dob)
    if start_on > regime_end:
        return [
            Finding(
                rule="employment.past_school_leaving_age",
                severity=Severity.BLOCKING,
                source=REGIME_END_SOURCE,
                message=(
                    f"On the first day of work ({_day_label(start_on)}) the child is over "
                    f"compulsory school age, which ended on {_day_label(regime_end)}: the "
                    "child-employment rules no longer apply and no work permit is needed."
                ),
                where="/start_on",
                facts={"start_on": start_on.isoformat(), "regime_ends_on": regime_end.isoformat()},
            )
        ]

    age = age_on(dob, start_on)
    older = age >= LIMITS.older_band_age_years.value
    band_facts: dict[str, Any] = {
        "age_on_start": age,
        "age_band": "15_and_over" if older else "under_15",
    }
    if not older:
        band_facts["turns_15_on"] = birthday(dob, LIMITS.older_band_age_years.value).isoformat()

    findings = _age_findings(application) + _late_application(application)
    shifts = application.shifts
    for index, shift in enumerate(shifts):
        findings.extend(_shift_findings(index, shift, application))

    days: defaultdict[tuple[WeekKind, int], list[tuple[int, Shift]]] = defaultdict(list)
    for index, shift in enumerate(shifts):
        days[(shift.weeks, shift.weekday)].append((index, shift))
    week_order = (WeekKind.TERM, WeekKind.HOLIDAY)
    for weeks, weekday in sorted(days, key=lambda key: (week_order.index(key[0]), key[1])):
        day = sorted(days[(weeks, weekday)], key=lambda item: item[1].starts)
        findings.extend(_day_findings(weeks, weekday, day, application, band_facts, older))

    findings.extend(_week_findings(shifts, band_facts, older))
    findings.extend(_holiday_weeks_free(shifts))
    return findings
