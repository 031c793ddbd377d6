"""Suspensions and permanent exclusions: the 45-day cap, reinstatement reviews and day-six
education, counted in school days.

Sources:

- Education Act 2002 s51A and the School Discipline (Pupil Exclusions and Reviews) (England)
  Regulations 2012, SI 2012/1033 (for maintained schools reg 4 and 6; the same rules apply
  to pupil referral units and academies under the later Parts); DfE, "Suspension and
  permanent exclusion from maintained schools, academies and pupil referral units in England,
  including pupil movement" (statutory guidance, 2024).
- A pupil may be suspended for one or more fixed periods up to a maximum of 45 school days
  in a school year (SI 2012/1033 reg 4; guidance).
- The governing board must consider reinstatement within 15 school days of being notified
  where the exclusion is permanent, where suspensions would take the pupil over 15 school
  days in a term, or where the pupil would miss a public examination or national curriculum
  test; where suspensions total more than 5 and up to 15 school days in a term, only if the
  parents make representations, and then within 50 school days of being notified (SI
  2012/1033 reg 6(3)-(4); guidance). Five days or fewer: no duty to meet, though parents may
  make representations the board considers.
- From the sixth school day of a suspension of more than five consecutive school days the
  school must arrange suitable full-time education (Education and Inspections Act 2006 s100;
  SI 2007/1870); from the sixth school day of a permanent exclusion the local authority must
  (Education Act 1996 s19(3A); SI 2007/1870). Back-to-back suspensions count as consecutive;
  the caller passes their combined span.
- A school day is any day on which the school holds a session (SI 2012/1033 reg 2), taken
  from the school's own calendar (``app.rules.calendar.SchoolCalendar``).

Lunchtime suspensions (each counting as half a school day under the guidance) are not
modelled here: suspensions are whole school days.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.rules.calendar import SchoolCalendar, Term, school_year_of

#: At most this many school days of suspension in a school year (SI 2012/1033 reg 4).
MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR = 45
#: Above this many suspension days in a term, reinstatement must be considered.
TERM_DAYS_MUST_CONSIDER = 15
#: Above this many (and up to ``TERM_DAYS_MUST_CONSIDER``), only on parents' representations.
TERM_DAYS_ON_REPRESENTATIONS = 5
#: School days within which the board considers reinstatement, by case.
REVIEW_WITHIN_SCHOOL_DAYS = 15
REVIEW_ON_REPRESENTATIONS_WITHIN_SCHOOL_DAYS = 50
#: Full-time education is arranged from this school day of the suspension or exclusion.
PROVISION_FROM_SCHOOL_DAY = 6


@dataclass(frozen=True, slots=True)
class Suspension:
    """A suspension of ``school_days`` consecutive school days from ``first_day``."""

    first_day: date
    school_days: int

    def __post_init__(self) -> None:
        if self.school_days < 1:
            raise ValueError("a suspension lasts at least one school day")


def suspension_dates(calendar: SchoolCalendar, suspension: Suspension) -> tuple[date, ...]:
    """The school days a suspension covers (it may run over a holiday into the next term)."""
    days = calendar.school_days_from(suspension.first_day)
    return tuple(next(days) for _ in range(suspension.school_days))


def suspension_days_by_school_year(
    calendar: SchoolCalendar, suspensions: Iterable[Suspension]
) -> Counter[int]:
    """Suspension school days in each school year (keyed by the year it began)."""
    return Counter(
        school_year_of(day)
        for suspension in suspensions
        for day in suspension_dates(calendar, suspension)
    )


def suspension_days_by_term(
    calendar: SchoolCalendar, suspensions: Iterable[Suspension]
) -> Counter[Term]:
    """Suspension school days in each term."""
    counts: Counter[Term] = Counter()
    for suspension in suspensions:
        for day in suspension_dates(calendar, suspension):
            term = calendar.term_of(day)
            assert term is not None  # a school day is always in a term
            counts[term] += 1
    return counts


@dataclass(frozen=True, slots=True)
class SuspensionCapCheck:
    """Whether a proposed suspension keeps every school year within the 45-day cap."""

    allowed: bool
    days_used: dict[int, int]  # by school year, before the proposal
    days_remaining: dict[int, int]  # by school year, before the proposal
    reason: str


def suspension_days_remaining(
    calendar: SchoolCalendar, suspensions: Iterable[Suspension], school_year: int
) -> int:
    """School days of suspension still available in ``school_year`` (0 at the cap)."""
    used = suspension_days_by_school_year(calendar, suspensions)[school_year]
    return max(MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR - used, 0)


def check_suspension_cap(
    calendar: SchoolCalendar, existing: Iterable[Suspension], proposed: Suspension
) -> SuspensionCapCheck:
    """Whether ``proposed`` would take the pupil over 45 school days of suspension in any
    school year it touches; a refusal names the year and the days left."""
    existing = tuple(existing)
    before = suspension_days_by_school_year(calendar, existing)
    adding = suspension_days_by_school_year(calendar, (proposed,))
    used = {year: before[year] for year in adding}
    remaining = {year: max(MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR - before[year], 0) for year in adding}
    for year, days in sorted(adding.items()):
        if before[year] + days > MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR:
            return SuspensionCapCheck(
                False,
                used,
                remaining,
                f"{days} more school days would make {before[year] + days} in school year "
                f"{year}-{(year + 1) % 100:02d}; at most {MAX_SUSPENSION_DAYS_IN_SCHOOL_YEAR} "
                f"(SI 2012/1033 reg 4), {remaining[year]} left",
            )
    return SuspensionCapCheck(True, used, remaining, "within the 45-day cap in every school year")


# --- Reinstatement review -----------------------------------------------------------------


class ReviewCase(StrEnum):
    PERMANENT_EXCLUSION = "permanent_exclusion"
    OVER_15_DAYS_IN_TERM = "over_15_days_in_term"
    PUBLIC_EXAM_MISSED = "public_exam_missed"
    OVER_5_DAYS_ON_REPRESENTATIONS = "over_5_days_on_representations"
    NONE_REQUIRED = "none_required"


@dataclass(frozen=True, slots=True)
class ReinstatementReview:
    """Whether the governing board must consider reinstatement, and within how many school
    days of being notified."""

    case: ReviewCase
    within_school_days: int | None

    @property
    def required(self) -> bool:
        return self.within_school_days is not None


def reinstatement_review(
    *,
    permanent: bool,
    term_suspension_days: int = 0,
    misses_public_exam: bool = False,
    parents_made_representations: bool = False,
) -> ReinstatementReview:
    """The board's duty (SI 2012/1033 reg 6): 15 school days for a permanent exclusion, more
    than 15 suspension days in the term (counting this one), or a public exam missed; 50
    school days for more than 5 and up to 15 days in the term, only on representations."""
    if permanent:
        return ReinstatementReview(ReviewCase.PERMANENT_EXCLUSION, REVIEW_WITHIN_SCHOOL_DAYS)
    if term_suspension_days > TERM_DAYS_MUST_CONSIDER:
        return ReinstatementReview(ReviewCase.OVER_15_DAYS_IN_TERM, REVIEW_WITHIN_SCHOOL_DAYS)
    if misses_public_exam:
        return ReinstatementReview(ReviewCase.PUBLIC_EXAM_MISSED, REVIEW_WITHIN_SCHOOL_DAYS)
    if term_suspension_days > TERM_DAYS_ON_REPRESENTATIONS and parents_made_representations:
        return ReinstatementReview(
            ReviewCase.OVER_5_DAYS_ON_REPRESENTATIONS,
            REVIEW_ON_REPRESENTATIONS_WITHIN_SCHOOL_DAYS,
        )
    return ReinstatementReview(ReviewCase.NONE_REQUIRED, None)


def reinstatement_deadline(
    calendar: SchoolCalendar, review: ReinstatementReview, notified: date
) -> date | None:
    """The last day for the board's meeting: the 15th (or 50th) school day after the day it
    was notified; ``None`` where no meeting is required."""
    if review.within_school_days is None:
        return None
    return calendar.add_school_days(notified, review.within_school_days)


# --- Sixth-day education ------------------------------------------------------------------


def school_provision_from(calendar: SchoolCalendar, suspension: Suspension) -> date | None:
    """The day the school must provide full-time education from: the sixth school day of a
    suspension of more than five consecutive school days; ``None`` for five or fewer."""
    if suspension.school_days < PROVISION_FROM_SCHOOL_DAY:
        return None
    return calendar.nth_school_day(suspension.first_day, PROVISION_FROM_SCHOOL_DAY)


def local_authority_provision_from(calendar: SchoolCalendar, first_day: date) -> date:
    """The day the local authority must provide full-time education from after a permanent
    exclusion taking effect on ``first_day``: its sixth school day."""
    return calendar.nth_school_day(first_day, PROVISION_FROM_SCHOOL_DAY)
