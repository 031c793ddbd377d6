"""Working days, school days and calendar months, in one place.

Sources:

- England and Wales bank holidays: those under the Banking and Financial Dealings Act 1971
  Sch 1 and royal proclamation, as GOV.UK publishes them ("UK bank holidays",
  www.gov.uk/bank-holidays), taken from the ``holidays`` library (its United Kingdom
  calendar, subdivision England), which is kept up to date as proclamations are made. The
  one-off days are there: 8 May 2020 (VE Day, moving the early May holiday), 2 June 2022
  (spring holiday moved) and 3 June 2022 (Platinum Jubilee), 19 September 2022 (the State
  Funeral of Queen Elizabeth II) and 8 May 2023 (the Coronation); the tests pin them, so a
  library upgrade that changed a past year would fail them. Years beyond GOV.UK's published
  list follow the Act's usual pattern until a proclamation adds a day, which a library
  upgrade brings in. Dates outside ``BANK_HOLIDAY_YEARS`` are refused rather than guessed.
- A working day is any day that is not a Saturday, a Sunday or an England and Wales bank
  holiday (Christmas Day and Good Friday are in the list).
- Calendar months: the period ends on the corresponding date in the later month, or on the
  last day of that month where it has no such date (Dodds v Walker [1981] 1 WLR 1027, HL).
- Subject-access deadline (UK GDPR Art 12(3); ICO, "Time limits for responding to data
  protection rights requests"): one calendar month counted from the day of receipt as day 1,
  so a request received on 3 September is due on 3 October; where the next month has no such
  date, the last day of that month; a deadline on a weekend or bank holiday moves to the next
  working day.
- School days: the school year is taken as 1 September to 31 August, as elsewhere in these
  rules (Education Act 1996 s579(1) defines it by terms, from the first term to begin after
  July, which groups Kent's terms the same way). ``KENT_MAINTAINED_2024_2027`` is Kent County
  Council's published term pattern for community and voluntary controlled schools for
  2024-25 to 2026-27, as reproduced by Kent schools on their websites (KCC, "Term dates",
  kent.gov.uk). The council's pattern holds 195 days a year; each school then closes on five
  staff development days of its own choosing, which that school's calendar adds as
  ``closures``. The 2026-27 dates were read from schools' copies, not from the council's
  page: confirm them against KCC's published dates.
  Academies, foundation and voluntary aided schools set their own dates, so casework should
  hold each school's calendar as data (a setting or migration replaces this default).
"""

from __future__ import annotations

import calendar as _calendar
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import holidays

#: The service's calendar: days begin and end in England.
LONDON = ZoneInfo("Europe/London")

SATURDAY = 5


class CalendarNotKnown(ValueError):
    """A date outside the bank-holiday or term data we hold: refused, never guessed."""


#: Years for which bank holidays are answered: from the year UK GDPR came into force to the
#: years a deadline set today can reach. Outside them a date is refused, never guessed.
BANK_HOLIDAY_YEARS = range(2018, 2036)


def _england_and_wales(years: range) -> frozenset[date]:
    """The England and Wales bank holidays that fall on a weekday (a holiday falling at a
    weekend is marked by its substitute Monday or Tuesday, which the library lists too)."""
    listed = holidays.country_holidays("GB", subdiv="ENG", years=years)
    return frozenset(day for day in listed if day.weekday() < SATURDAY)


#: England and Wales bank holidays, from the ``holidays`` library's United Kingdom calendar
#: for England (which Wales shares), one-off days and substitute days included.
BANK_HOLIDAYS_ENGLAND_AND_WALES: frozenset[date] = _england_and_wales(BANK_HOLIDAY_YEARS)


def _known_year(day: date) -> None:
    if day.year not in BANK_HOLIDAY_YEARS:
        raise CalendarNotKnown(
            f"no England and Wales bank-holiday data for {day.year}; "
            f"held for {BANK_HOLIDAY_YEARS.start}-{BANK_HOLIDAY_YEARS.stop - 1}"
        )


def is_bank_holiday(day: date) -> bool:
    _known_year(day)
    return day in BANK_HOLIDAYS_ENGLAND_AND_WALES


def is_working_day(day: date) -> bool:
    """Not a Saturday, a Sunday or an England and Wales bank holiday."""
    return day.weekday() < SATURDAY and not is_bank_holiday(day)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, otherwise the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(day: date, n: int) -> date:
    """The ``n``-th working day after ``day`` (``day`` itself is not counted; ``n`` = 0
    gives ``day`` back unchanged)."""
    if n < 0:
        raise ValueError("n must not be negative")
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def add_calendar_months(day: date, months: int) -> date:
    """The corresponding date ``months`` calendar months later, or the last day of that month
    where it has no such date (Dodds v Walker)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def add_calendar_years(day: date, years: int) -> date:
    """The same date ``years`` later (or earlier); 29 February becomes 28 February in a
    common year, the last day of that February."""
    return add_calendar_months(day, 12 * years)


def one_calendar_month_from(received: date) -> date:
    """The end of one calendar month counted from ``received`` as day 1: the same date next
    month, or that month's last day where it has no such date (3 September -> 3 October;
    31 January -> 28 or 29 February)."""
    return add_calendar_months(received, 1)


def subject_request_deadline(received: date) -> date:
    """The response deadline for a data-subject request received (or whose clock started)
    on ``received``: one calendar month, moved to the next working day if it falls on a
    weekend or bank holiday (ICO guidance)."""
    return next_working_day(one_calendar_month_from(received))


# --- School days --------------------------------------------------------------------------


def school_year_of(day: date) -> int:
    """The year in which ``day``'s school year began (1 September to 31 August): 2024 for any
    day from 1 September 2024 to 31 August 2025."""
    return day.year if day.month >= 9 else day.year - 1


def school_year_label(start_year: int) -> str:
    """``2024`` -> ``"2024-25"``."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a school calendar, first and last day inclusive."""

    name: str
    first_day: date
    last_day: date

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError(f"{self.name}: last day {self.last_day} before {self.first_day}")
        if school_year_of(self.first_day) != school_year_of(self.last_day):
            raise ValueError(f"{self.name}: a term cannot span two school years")

    @property
    def school_year(self) -> int:
        return school_year_of(self.first_day)

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first_day <= day <= self.last_day


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """A school's terms and extra closure days (staff development days, polling days, ...).

    A school day is a weekday inside a term that is neither a bank holiday nor a closure.
    Asking about a day after the last term held, or before the first, is refused
    (``CalendarNotKnown``): a deadline must never be computed from missing data.
    """

    terms: tuple[Term, ...]
    closures: frozenset[date] = field(default_factory=frozenset)
    source: str = ""

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError("a school calendar needs at least one term")
        ordered = sorted(self.terms, key=lambda term: term.first_day)
        for earlier, later in pairwise(ordered):
            if later.first_day <= earlier.last_day:
                raise ValueError(f"{earlier.name} and {later.name} overlap")
        object.__setattr__(self, "terms", tuple(ordered))

    @property
    def first_day(self) -> date:
        return self.terms[0].first_day

    @property
    def last_day(self) -> date:
        return self.terms[-1].last_day

    def with_closures(self, closures: Iterable[date]) -> SchoolCalendar:
        """This calendar with further closure days (a school's own staff development days)."""
        return SchoolCalendar(self.terms, self.closures | frozenset(closures), self.source)

    def _known(self, day: date) -> None:
        if not self.first_day <= day <= self.last_day:
            raise CalendarNotKnown(
                f"{day} is outside the school calendar held ({self.first_day} to {self.last_day})"
            )

    def term_of(self, day: date) -> Term | None:
        """The term containing ``day``, or ``None`` in a holiday."""
        self._known(day)
        return next((term for term in self.terms if day in term), None)

    def is_school_day(self, day: date) -> bool:
        return (
            self.term_of(day) is not None
            and day.weekday() < SATURDAY
            and not is_bank_holiday(day)
            and day not in self.closures
        )

    def school_days_from(self, first: date) -> Iterator[date]:
        """School days on or after ``first``, in order, until the data runs out (then
        ``CalendarNotKnown``)."""
        day = first
        while True:
            if self.is_school_day(day):
                yield day
            day += timedelta(days=1)

    def add_school_days(self, start: date, n: int) -> date:
        """The ``n``-th school day after ``start`` (``start`` itself is not counted, whether
        or not it is a school day); ``n`` >= 1."""
        return self.nth_school_day(start + timedelta(days=1), n)

    def nth_school_day(self, first: date, n: int) -> date:
        """The ``n``-th school day counting ``first`` as day 1 if it is a school day: the
        sixth school day of an exclusion starting on ``first`` is ``nth_school_day(first, 6)``."""
        if n < 1:
            raise ValueError("n must be at least 1")
        for count, day in enumerate(self.school_days_from(first), start=1):
            if count == n:
                return day
        raise AssertionError("unreachable: school_days_from raises when the data runs out")

    def school_days_between(self, first: date, last: date) -> int:
        """School days from ``first`` to ``last``, both included (0 if ``last`` < ``first``)."""
        if last < first:
            return 0
        return sum(
            1
            for offset in range((last - first).days + 1)
            if self.is_school_day(first + timedelta(days=offset))
        )

    def school_days_in(self, term: Term) -> int:
        return self.school_days_between(term.first_day, term.last_day)


def _term(name: str, first: date, last: date) -> Term:
    return Term(f"{school_year_label(school_year_of(first))} {name}", first, last)


#: Kent County Council's term pattern for maintained community and voluntary controlled
#: schools, 2024-25 to 2026-27 (195 days a year before each school's five staff development
#: days). Replaceable data: confirm 2026-27 against KCC's published term dates.
KENT_MAINTAINED_2024_2027 = SchoolCalendar(
    terms=(
        _term("Term 1", date(2024, 9, 2), date(2024, 10, 25)),
        _term("Term 2", date(2024, 11, 4), date(2024, 12, 20)),
        _term("Term 3", date(2025, 1, 6), date(2025, 2, 14)),
        _term("Term 4", date(2025, 2, 24), date(2025, 4, 4)),
        _term("Term 5", date(2025, 4, 22), date(2025, 5, 23)),
        _term("Term 6", date(2025, 6, 2), date(2025, 7, 22)),
        _term("Term 1", date(2025, 9, 1), date(2025, 10, 17)),
        _term("Term 2", date(2025, 10, 27), date(2025, 12, 19)),
        _term("Term 3", date(2026, 1, 5), date(2026, 2, 13)),
        _term("Term 4", date(2026, 2, 23), date(2026, 4, 2)),
        _term("Term 5", date(2026, 4, 20), date(2026, 5, 22)),
        _term("Term 6", date(2026, 6, 1), date(2026, 7, 21)),
        _term("Term 1", date(2026, 9, 1), date(2026, 10, 23)),
        _term("Term 2", date(2026, 11, 2), date(2026, 12, 18)),
        _term("Term 3", date(2027, 1, 4), date(2027, 2, 12)),
        _term("Term 4", date(2027, 2, 22), date(2027, 3, 25)),
        _term("Term 5", date(2027, 4, 12), date(2027, 5, 28)),
        _term("Term 6", date(2027, 6, 7), date(2027, 7, 21)),
    ),
    source=(
        "Kent County Council term dates for community and voluntary controlled schools "
        "(council pattern, 2024-25 to 2026-27; 2026-27 to confirm)"
    ),
)

#: Days in the council's pattern each school year, before a school's own closures.
KENT_PATTERN_DAYS_PER_YEAR = 195
