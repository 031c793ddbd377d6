"""Retention periods from the privacy notice, in one place.

"Pupil-linked records from date of birth until the 25th birthday, then made inaccessible to
system users or securely destroyed" (KPAS privacy notice, "How long we keep your information").
A record is kept up to and including the retention date, and is past retention the day after.

The periods here are the defaults the service ships with; the retention registry's current
version of each rule is what applies (``app.services.retention_periods``), so a period
information governance changes there moves the retention dates it governs.

An age is attained at the start of the anniversary of the birth (Family Law Reform Act 1969
s9), so the records are inaccessible from the 25th birthday itself: the retention date is the
day before it. A child born on 29 February turns 25 on 1 March in a common year, so the
retention date is 28 February.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.rules.calendar import add_calendar_years

#: Pupil-linked records are kept until the pupil's 25th birthday.
PUPIL_RECORD_YEARS = 25


def birthday(born: date, years: int) -> date:
    """The ``years``-th birthday. A 29 February birthday falls on 1 March in common years
    (the day after 28 February, which is when a leap-day child has completed the year)."""
    try:
        return born.replace(year=born.year + years)
    except ValueError:  # 29 February in a common year
        return date(born.year + years, 3, 1)


def pupil_retain_until(date_of_birth: date, years: int = PUPIL_RECORD_YEARS) -> date:
    """The last day a pupil's records are kept: the day before the 25th birthday (or the
    birthday the retention registry's current ``pupil_linked`` or ``licensed_child`` rule
    names)."""
    return birthday(date_of_birth, years) - timedelta(days=1)


#: Adults on licences (employers, producers, chaperones) and their licences are kept for this
#: many years after the last licence they are on ends: the limitation period for a claim in
#: contract or tort (Limitation Act 1980 ss2, 5). Council retention schedule practice; the
#: retention registry records it with its reason.
LICENSING_ADULT_YEARS = 6


def licensing_adult_retain_until(last_day: date, years: int = LICENSING_ADULT_YEARS) -> date:
    """The last day an adult's licensing records are kept: ``LICENSING_ADULT_YEARS`` (or the
    retention registry's current ``licensing_adult`` period) after the last day of the last
    licence they are on."""
    return add_calendar_years(last_day, years)


def record_retain_until(start: date, years: int) -> date:
    """The last day a record kept ``years`` from ``start`` (the day it was closed or made,
    London time) is kept: the same date ``years`` later (``app.rules.calendar``)."""
    return add_calendar_years(start, years)


def earliest_start_kept(before: date, years: int) -> date:
    """The earliest start whose record is kept on a day whose destruction threshold is
    ``before``: a record started earlier has ``record_retain_until(start, years) < before``
    and is due; one started on or after this day is not."""
    day = date(before.year - years, before.month, min(before.day, 28)) - timedelta(days=3)
    while record_retain_until(day, years) < before:
        day += timedelta(days=1)
    return day
