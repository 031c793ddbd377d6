"""Retention periods from the privacy notice, in one place.

"Pupil-linked records from date of birth until the 25th birthday, then made inaccessible to
system users or securely destroyed" (KPAS privacy notice, "How long we keep your information").
A record is kept up to and including the retention date, and is past retention the day after.

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


def pupil_retain_until(date_of_birth: date) -> date:
    """The last day a pupil's records are kept: the day before the 25th birthday."""
    return birthday(date_of_birth, PUPIL_RECORD_YEARS) - timedelta(days=1)


#: Adults on licences (employers, producers, chaperones) and their licences are kept for this
#: many years after the last licence they are on ends: the limitation period for a claim in
#: contract or tort (Limitation Act 1980 ss2, 5). Council retention schedule practice; the
#: retention registry records it with its reason.
LICENSING_ADULT_YEARS = 6


def licensing_adult_retain_until(last_day: date) -> date:
    """The last day an adult's licensing records are kept: ``LICENSING_ADULT_YEARS`` after
    the last day of the last licence they are on."""
    return add_calendar_years(last_day, LICENSING_ADULT_YEARS)
