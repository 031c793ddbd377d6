"""Attendance codes, figures and thresholds, in one place.

Sources:

- The School Attendance (Pupil Registration) (England) Regulations 2024, SI 2024/208, in force
  from 19 August 2024. Regulation 10 sets the national codes: Table 1 of the Schedule-style
  tables records attendance at the school (``/`` ``\\`` ``L``), Table 2 attendance at an
  approved educational activity off site (``K V P W B``; ``B`` "any other approved educational
  activity" counts as attendance), and the remaining tables absence with leave, absence without
  it, attendance not required, and administrative codes.
- DfE, "Working together to improve school attendance" (statutory guidance, August 2024), and
  its annex of national codes: ``Q`` and ``Y1``-``Y7`` are sessions the pupil cannot attend and
  are not counted as possible sessions (the annex's "attendance not required" group);
  ``Z`` and ``#`` are administrative and not possible sessions either.
- DfE attendance statistics methodology: attendance % = sessions attended (present or at an
  approved educational activity) / possible sessions; persistent absence is missing 10% or
  more of possible sessions, severe absence 50% or more.
- The Education (Penalty Notices) (England) (Amendment) Regulations 2024, SI 2024/210, and the
  national framework for penalty notices (from 19 August 2024): a penalty notice must be
  considered when a pupil has 10 sessions of unauthorised absence (``G N O U``, any mix, not
  necessarily consecutive) within a rolling period of 10 school weeks. A school week is any
  week with at least one possible session for the school; the period may span terms and
  school years. Each threshold event uses its own sessions: the 10 that reached the threshold
  are spent, and a further event needs 10 new sessions within a rolling 10 school weeks.
- The Education (Penalty Notices) (England) Regulations 2007, SI 2007/1867, as amended by
  SI 2024/210: a penalty notice is £80 if paid within 21 days of receipt, otherwise
  £160 if paid within 28 days; a second notice to the same parent for the same child within 3
  years of the first is £160 within 28 days, with no reduced rate.

Codes the 2024 regulations withdrew (``H``, ``F``, ``J`` and the single-letter ``Y``) are
refused with the code that replaced them, never silently mapped: the school must choose.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

#: The 2024 code set applies to sessions from this date (SI 2024/208 reg 1).
CODES_IN_FORCE_FROM = date(2024, 8, 19)


class Session(StrEnum):
    """Registration sessions: each school day has a morning and an afternoon session
    (SI 2024/208 reg 10(1))."""

    AM = "AM"
    PM = "PM"


class CodeCategory(StrEnum):
    PRESENT = "present"
    APPROVED_EDUCATIONAL_ACTIVITY = "approved_educational_activity"
    AUTHORISED_ABSENCE = "authorised_absence"
    UNAUTHORISED_ABSENCE = "unauthorised_absence"
    NOT_POSSIBLE = "not_possible"
    ADMINISTRATIVE = "administrative"


#: Categories that count as a possible session (the denominator of every percentage).
POSSIBLE_CATEGORIES = frozenset(
    {
        CodeCategory.PRESENT,
        CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY,
        CodeCategory.AUTHORISED_ABSENCE,
        CodeCategory.UNAUTHORISED_ABSENCE,
    }
)


@dataclass(frozen=True, slots=True)
class AttendanceCode:
    code: str
    category: CodeCategory
    meaning: str
    source: str


_REG10 = "SI 2024/208 reg 10"
_GUIDANCE = "DfE, Working together to improve school attendance (2024), national codes annex"

_CODES: tuple[AttendanceCode, ...] = (
    # Attending the school (SI 2024/208 reg 10, Table 1).
    AttendanceCode("/", CodeCategory.PRESENT, "present (morning)", f"{_REG10}, Table 1"),
    AttendanceCode("\\", CodeCategory.PRESENT, "present (afternoon)", f"{_REG10}, Table 1"),
    AttendanceCode(
        "L", CodeCategory.PRESENT, "late, before the register closed", f"{_REG10}, Table 1"
    ),
    # Attending an approved educational activity (SI 2024/208 reg 10, Table 2).
    AttendanceCode(
        "K",
        CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY,
        "education provision arranged by the local authority",
        f"{_REG10}, Table 2",
    ),
    AttendanceCode(
        "V",
        CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY,
        "educational visit or trip",
        f"{_REG10}, Table 2",
    ),
    AttendanceCode(
        "P",
        CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY,
        "approved sporting activity",
        f"{_REG10}, Table 2",
    ),
    AttendanceCode(
        "W", CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY, "work experience", f"{_REG10}, Table 2"
    ),
    AttendanceCode(
        "B",
        CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY,
        "any other approved educational activity",
        f"{_REG10}, Table 2",
    ),
    # Absent with leave granted, or for a reason the regulations accept (authorised).
    AttendanceCode(
        "C1",
        CodeCategory.AUTHORISED_ABSENCE,
        "leave for a regulated performance or regulated employment abroad",
        _REG10,
    ),
    AttendanceCode(
        "M", CodeCategory.AUTHORISED_ABSENCE, "leave for a medical or dental appointment", _REG10
    ),
    AttendanceCode("J1", CodeCategory.AUTHORISED_ABSENCE, "leave for an interview", _REG10),
    AttendanceCode("S", CodeCategory.AUTHORISED_ABSENCE, "study leave", _REG10),
    AttendanceCode(
        "C2",
        CodeCategory.AUTHORISED_ABSENCE,
        "leave for a temporary reduced (part-time) timetable",
        _REG10,
    ),
    AttendanceCode(
        "C", CodeCategory.AUTHORISED_ABSENCE, "leave for exceptional circumstances", _REG10
    ),
    AttendanceCode(
        "T",
        CodeCategory.AUTHORISED_ABSENCE,
        "parent travelling for occupational purposes",
        _REG10,
    ),
    AttendanceCode("R", CodeCategory.AUTHORISED_ABSENCE, "religious observance", _REG10),
    AttendanceCode(
        "I", CodeCategory.AUTHORISED_ABSENCE, "illness (not medical appointments)", _REG10
    ),
    AttendanceCode(
        "E",
        CodeCategory.AUTHORISED_ABSENCE,
        "suspended or permanently excluded, no alternative provision made",
        _REG10,
    ),
    # Absent without authorisation: the sessions the penalty-notice threshold counts.
    AttendanceCode(
        "G", CodeCategory.UNAUTHORISED_ABSENCE, "holiday not granted by the school", _REG10
    ),
    AttendanceCode("N", CodeCategory.UNAUTHORISED_ABSENCE, "reason not yet provided", _REG10),
    AttendanceCode(
        "O", CodeCategory.UNAUTHORISED_ABSENCE, "absent in other or unknown circumstances", _REG10
    ),
    AttendanceCode(
        "U", CodeCategory.UNAUTHORISED_ABSENCE, "arrived after the register closed", _REG10
    ),
    # Attendance not required: not a possible session.
    AttendanceCode(
        "D",
        CodeCategory.NOT_POSSIBLE,
        "dual registered, at the other school this session",
        _REG10,
    ),
    AttendanceCode(
        "X",
        CodeCategory.NOT_POSSIBLE,
        "not of compulsory school age and not required to attend",
        _REG10,
    ),
    AttendanceCode(
        "Q",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: lack of access arrangements",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y1",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: transport normally provided not available",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y2",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: widespread disruption to travel",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y3",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: part of the school premises closed",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y4",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: whole school site unexpectedly closed",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y5",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: in criminal justice detention",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y6",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: public health guidance or law",
        _GUIDANCE,
    ),
    AttendanceCode(
        "Y7",
        CodeCategory.NOT_POSSIBLE,
        "unable to attend: any other unavoidable cause",
        _GUIDANCE,
    ),
    # Administrative: not a possible session.
    AttendanceCode(
        "Z",
        CodeCategory.ADMINISTRATIVE,
        "prospective pupil not yet on the admission register",
        _REG10,
    ),
    AttendanceCode("#", CodeCategory.ADMINISTRATIVE, "planned whole-school closure", _REG10),
)

#: The 2024 national code set, by code.
ATTENDANCE_CODES: Mapping[str, AttendanceCode] = {c.code: c for c in _CODES}

#: Codes withdrawn on 19 August 2024, and what the school should record instead.
RETIRED_CODES: Mapping[str, str] = {
    "H": "withdrawn on 19 August 2024 (SI 2024/208): record leave as C, or G if not granted",
    "F": "withdrawn: extended family holidays are recorded as G",
    "J": "withdrawn on 19 August 2024 (SI 2024/208): record interviews as J1",
    "Y": "withdrawn on 19 August 2024 (SI 2024/208): record the reason as one of Y1 to Y7",
}

#: Unauthorised absence codes the penalty-notice threshold counts (SI 2024/210; national
#: framework for penalty notices).
PENALTY_CODES = frozenset({"G", "N", "O", "U"})
#: Consider a penalty notice at this many sessions of unauthorised absence ...
PENALTY_THRESHOLD_SESSIONS = 10
#: ... within this many school weeks, rolling.
PENALTY_WINDOW_SCHOOL_WEEKS = 10

#: Penalty notice amounts (SI 2007/1867 as amended by SI 2024/210), in pounds, and the days
#: from receipt within which each is payable.
PENALTY_REDUCED_POUNDS = 80
PENALTY_REDUCED_DAYS = 21
PENALTY_FULL_POUNDS = 160
PENALTY_FULL_DAYS = 28
#: A second notice to the same parent for the same child within this many years of the first
#: is the full amount only; no third notice may be issued within it.
PENALTY_REPEAT_YEARS = 3


@dataclass(frozen=True, slots=True)
class PenaltyTerms:
    """What a penalty notice asks: the reduced amount and its period (a first notice only),
    and the full amount and its period."""

    reduced_pounds: int | None
    reduced_days: int | None
    full_pounds: int
    full_days: int

    @property
    def reduced_rate(self) -> bool:
        return self.reduced_pounds is not None


def penalty_terms(*, second_within_three_years: bool) -> PenaltyTerms:
    """The amounts a notice carries: a first notice £80 within 21 days or £160 within 28; a
    second within 3 years of the first £160 within 28 days, no reduced rate."""
    if second_within_three_years:
        return PenaltyTerms(None, None, PENALTY_FULL_POUNDS, PENALTY_FULL_DAYS)
    return PenaltyTerms(
        PENALTY_REDUCED_POUNDS, PENALTY_REDUCED_DAYS, PENALTY_FULL_POUNDS, PENALTY_FULL_DAYS
    )


#: Persistent absence: absent for at least 10% of possible sessions (DfE methodology).
PERSISTENT_ABSENCE_PERCENT = 10
#: Severe absence: absent for at least 50% of possible sessions (DfE methodology).
SEVERE_ABSENCE_PERCENT = 50


class CodeProblem(ValueError):
    """A mark's code is not one of the 2024 national codes; the message says why."""


def classify(code: str) -> CodeCategory:
    """The category of a 2024 national code. Raises ``CodeProblem`` for a withdrawn or
    unknown code, with a reason fit to show the school."""
    found = ATTENDANCE_CODES.get(code)
    if found is not None:
        return found.category
    if code in RETIRED_CODES:
        raise CodeProblem(f"code {code} was {RETIRED_CODES[code]}")
    raise CodeProblem("not a code in the 2024 national code set (SI 2024/208)")


def normal_code(raw: str) -> str:
    """A code as schools' systems send it, in its normal form: trimmed, letters upper-case
    (``y1`` is ``Y1``; ``/`` and ``\\`` are themselves)."""
    return raw.strip().upper()


def normal_session(raw: str) -> Session:
    """``AM``/``PM`` in any case. Raises ``ValueError`` for anything else."""
    return Session(raw.strip().upper())


@dataclass(frozen=True, slots=True)
class AttendanceFigures:
    """Session counts by category, and what DfE derives from them."""

    possible: int = 0
    present: int = 0
    approved_activity: int = 0
    authorised: int = 0
    unauthorised: int = 0

    @classmethod
    def of_codes(cls, codes: Iterable[str]) -> AttendanceFigures:
        counts = dict.fromkeys(CodeCategory, 0)
        for code in codes:
            counts[classify(code)] += 1
        return cls.of_categories(counts)

    @classmethod
    def of_categories(cls, counts: Mapping[CodeCategory, int]) -> AttendanceFigures:
        present = counts.get(CodeCategory.PRESENT, 0)
        approved = counts.get(CodeCategory.APPROVED_EDUCATIONAL_ACTIVITY, 0)
        authorised = counts.get(CodeCategory.AUTHORISED_ABSENCE, 0)
        unauthorised = counts.get(CodeCategory.UNAUTHORISED_ABSENCE, 0)
        return cls(
            possible=present + approved + authorised + unauthorised,
            present=present,
            approved_activity=approved,
            authorised=authorised,
            unauthorised=unauthorised,
        )

    def __add__(self, other: AttendanceFigures) -> AttendanceFigures:
        return AttendanceFigures(
            self.possible + other.possible,
            self.present + other.present,
            self.approved_activity + other.approved_activity,
            self.authorised + other.authorised,
            self.unauthorised + other.unauthorised,
        )

    @property
    def attended(self) -> int:
        return self.present + self.approved_activity

    @property
    def absent(self) -> int:
        return self.authorised + self.unauthorised

    @property
    def attendance_percent(self) -> float | None:
        """Attendance % to one decimal place (DfE publishes one); None with no possible
        session."""
        return _percent(self.attended, self.possible)

    @property
    def absence_percent(self) -> float | None:
        return _percent(self.absent, self.possible)

    @property
    def persistent_absence(self) -> bool:
        """Absent for at least 10% of possible sessions (exact, not the rounded percent)."""
        return self.possible > 0 and self.absent * 100 >= PERSISTENT_ABSENCE_PERCENT * self.possible

    @property
    def severe_absence(self) -> bool:
        return self.possible > 0 and self.absent * 100 >= SEVERE_ABSENCE_PERCENT * self.possible


def _percent(part: int, whole: int) -> float | None:
    if whole == 0:
        return None
    # Round half up on exact integers, not on a binary float (12.25 -> 12.3).
    tenths = (part * 2000 + whole) // (2 * whole)
    return tenths / 10


def week_start(day: date) -> date:
    """The Monday of the week ``day`` falls in: weeks run Monday to Sunday."""
    return day - timedelta(days=day.weekday())


def school_year_start(day: date) -> date:
    """The first day of the school year ``day`` falls in. The Education Act 1996 s579 school
    year begins with the first term to begin after July; KPAS starts it on 1 August, before
    any autumn term can begin."""
    year = day.year if day.month >= 8 else day.year - 1
    return date(year, 8, 1)


#: A registration session: its date and whether morning or afternoon. Tuples sort in date and
#: session order (``AM`` before ``PM``).
SessionKey = tuple[date, Session]


@dataclass(frozen=True, slots=True)
class PenaltyWindow:
    """A threshold event: the school week in which a pupil's unspent unauthorised sessions
    within a rolling 10 school weeks reached the threshold, and the sessions it spends."""

    #: The school week (Monday) of the first session the event spends.
    first_week: date
    #: The school week in which the threshold was reached.
    last_week: date
    #: Sessions the event spends: always the threshold.
    sessions: int
    #: The last session the event spends; every counted session up to it is spent, and the
    #: next event needs sessions after it.
    spent_through: SessionKey


def penalty_threshold_events(
    school_weeks: Sequence[date],
    sessions: Iterable[tuple[date, str]],
    *,
    spent_through: tuple[date, str] | None = None,
) -> list[PenaltyWindow]:
    """Each penalty-threshold event, in order (SI 2024/210 and the national framework).

    ``school_weeks`` are the school's school weeks (Mondays of weeks with at least one possible
    session), ascending; weeks with none, such as a closure week of ``#`` marks or a holiday,
    are not in it, so the rolling window reaches past them. ``sessions`` are the pupil's
    unauthorised sessions that can found an offence (while the child is of compulsory school
    age, Education Act 1996 s444), in any order.

    An event is raised in the first school week where the unspent sessions within the 10
    school weeks ending with it number 10 or more. It spends the 10 earliest of them, in date
    and session order (AM before PM); any later session, even in the same week, stays unspent
    and counts towards the next event. Sessions up to ``spent_through`` (the last session the
    previous event spent) are already spent. A session falls out of reach once it is more than
    10 school weeks old.
    """
    weeks = list(school_weeks)
    index_of = {week: index for index, week in enumerate(weeks)}
    spent = _session_key(spent_through) if spent_through is not None else None
    by_week: dict[int, list[SessionKey]] = {}
    for given in sessions:
        key = _session_key(given)
        index = index_of.get(week_start(key[0]))
        if index is None or (spent is not None and key <= spent):
            continue
        by_week.setdefault(index, []).append(key)
    found: list[PenaltyWindow] = []
    unspent: list[SessionKey] = []
    for index, week in enumerate(weeks):
        unspent.extend(sorted(by_week.get(index, ())))
        oldest = index - PENALTY_WINDOW_SCHOOL_WEEKS + 1
        unspent = [key for key in unspent if index_of[week_start(key[0])] >= oldest]
        while len(unspent) >= PENALTY_THRESHOLD_SESSIONS:
            spending = unspent[:PENALTY_THRESHOLD_SESSIONS]
            unspent = unspent[PENALTY_THRESHOLD_SESSIONS:]
            found.append(
                PenaltyWindow(
                    week_start(spending[0][0]), week, PENALTY_THRESHOLD_SESSIONS, spending[-1]
                )
            )
    return found


def _session_key(given: tuple[date, str]) -> SessionKey:
    return (given[0], Session(given[1]))


def penalty_threshold_windows(
    school_weeks: Sequence[date],
    unauthorised_by_week: Mapping[date, int],
    *,
    spent_through: tuple[date, str] | None = None,
) -> list[PenaltyWindow]:
    """``penalty_threshold_events`` from counts by week: a week's sessions are taken as its
    first ones, Monday morning onwards."""
    sessions: list[SessionKey] = []
    for week, count in unauthorised_by_week.items():
        for n in range(count):
            sessions.append((week + timedelta(days=n // 2), (Session.AM, Session.PM)[n % 2]))
    return penalty_threshold_events(school_weeks, sessions, spent_through=spent_through)
