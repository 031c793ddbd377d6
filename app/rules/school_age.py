"""Compulsory school age, in one place.

Sources:

- Education Act 1996 s8(2) and the Education (Start of Compulsory School Age) Order 1998
  (SI 1998/1607): a child becomes of compulsory school age on the prescribed day (31 August,
  31 December or 31 March) that next follows the fifth birthday, or on the fifth birthday
  itself where it falls on a prescribed day.
- Education Act 1996 s8(3) and (4): a child ceases to be of compulsory school age after the
  school-leaving date (the last Friday in June) of the school year in which the child turns 16.
  The school year here runs from 1 September to 31 August (Education Act 1996 s8(4)).
- Family Law Reform Act 1969 s9: an age is attained at the start of the anniversary of the
  birth; a child born on 29 February attains an age on 1 March in a common year.
- DfE attendance statistics methodology: persistent and severe absence cover pupils of
  compulsory school age, aged 5 to 15 at the start of the school year (31 August).

Only sessions while a child is of compulsory school age can found an offence under Education
Act 1996 s444, so only those count towards the penalty-notice threshold.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.rules.retention import birthday

#: Compulsory school age begins on the first of these (month, day) on or after the fifth
#: birthday (SI 1998/1607 art 2).
PRESCRIBED_DAYS = ((3, 31), (8, 31), (12, 31))
#: DfE's absence cohort: aged 5 to 15 at the start of the school year.
COHORT_YOUNGEST = 5
COHORT_OLDEST = 15


def compulsory_school_age_starts(date_of_birth: date) -> date:
    """The prescribed day on or after the fifth birthday (the birthday itself if it is one)."""
    fifth = birthday(date_of_birth, 5)
    for year in (fifth.year, fifth.year + 1):
        for month, day in PRESCRIBED_DAYS:
            prescribed = date(year, month, day)
            if prescribed >= fifth:
                return prescribed
    raise AssertionError("unreachable: 31 March of the next year is always later")


def last_friday_in_june(year: int) -> date:
    last = date(year, 6, 30)
    return last - timedelta(days=(last.weekday() - 4) % 7)


def compulsory_school_age_ends(date_of_birth: date) -> date:
    """The last day of compulsory school age: the last Friday in June of the school year
    (1 September to 31 August) in which the child turns 16."""
    sixteenth = birthday(date_of_birth, 16)
    june_year = sixteenth.year + 1 if sixteenth.month >= 9 else sixteenth.year
    return last_friday_in_june(june_year)


def of_compulsory_school_age(date_of_birth: date, day: date) -> bool:
    return (
        compulsory_school_age_starts(date_of_birth)
        <= day
        <= compulsory_school_age_ends(date_of_birth)
    )


def age_on(date_of_birth: date, day: date) -> int:
    """Completed years on ``day`` (Family Law Reform Act 1969 s9)."""
    years = day.year - date_of_birth.year
    return years if birthday(date_of_birth, years) <= day else years - 1


def in_absence_cohort(date_of_birth: date, school_year_begins: int) -> bool:
    """Aged 5 to 15 on 31 August of the year the school year begins: DfE's persistent and
    severe absence cohort."""
    age = age_on(date_of_birth, date(school_year_begins, 8, 31))
    return COHORT_YOUNGEST <= age <= COHORT_OLDEST
