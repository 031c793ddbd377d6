"""Attendance prosecutions: the offences, the 6-month time limit and a penalty notice's bar.

Sources:

- Education Act 1996 s444(1): a parent whose child of compulsory school age, a registered
  pupil, fails to attend regularly is guilty of an offence; summary conviction, a fine not
  exceeding level 3 on the standard scale (s444(8)).
- Education Act 1996 s444(1A): the same failure where the parent knows of it and fails
  without reasonable justification to cause the child to attend; a fine not exceeding level 4,
  or imprisonment for up to 3 months, or both (s444(8A)).
- Education Act 1996 s443: failing to comply with a school attendance order; level 3 fine.
- Standard scale (Criminal Justice Act 1982 s37): level 3 £1,000, level 4 £2,500.
- Education Act 1996 s447(1): before instituting proceedings under s443 or s444 the local
  authority must consider whether it would be appropriate, instead of or as well as
  instituting them, to apply for an education supervision order.
- Magistrates' Courts Act 1980 s127(1): a magistrates' court shall not try an information
  unless it "was laid ... within 6 months from the time when the offence was committed".
  The day of the offence is excluded (Marren v Dawson Bentley & Co Ltd [1961] 2 QB 135), and
  a month is a calendar month (Interpretation Act 1978 Sch 1) ending on the corresponding
  date, or the month's last day where it has none (Dodds v Walker): an offence on 1 January may
  be laid up to 1 July; one on 31 August up to 28 February (29 in a leap year). For an
  offence committed over a period (irregular attendance) the time runs from the period's last
  day. The last day is not moved off a weekend: lay before it.
- Where a penalty notice was issued for the offence, no proceedings may be brought before its
  payment period ends (Education Act 1996 s444A; SI 2007/1867 reg 7 as amended), so an unpaid
  notice's 28 days are taken out of the 6 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.rules.calendar import add_calendar_months
from app.rules.penalty_notices import proceedings_not_before

#: Magistrates' Courts Act 1980 s127(1).
TIME_LIMIT_MONTHS = 6

#: Standard scale maxima, pounds (Criminal Justice Act 1982 s37).
STANDARD_SCALE_POUNDS = {1: 200, 2: 500, 3: 1_000, 4: 2_500}

#: Education Act 1996 s447(1): consider an education supervision order before prosecuting.
EDUCATION_SUPERVISION_ORDER_FIRST = (
    "Education Act 1996 s447(1): before instituting proceedings for an offence under s443 or "
    "s444 the local authority must consider whether to apply for an education supervision "
    "order instead of, or as well as, instituting them"
)


class OffenceCode(StrEnum):
    S444_1 = "s444(1)"
    S444_1A = "s444(1A)"
    S443 = "s443"


@dataclass(frozen=True, slots=True)
class Offence:
    code: OffenceCode
    description: str
    fine_level: int
    max_imprisonment_months: int | None
    source: str

    @property
    def max_fine_pounds(self) -> int:
        return STANDARD_SCALE_POUNDS[self.fine_level]


OFFENCES: dict[OffenceCode, Offence] = {
    offence.code: offence
    for offence in (
        Offence(
            OffenceCode.S444_1,
            "parent of a registered pupil of compulsory school age who fails to attend regularly",
            3,
            None,
            "Education Act 1996 s444(1), (8)",
        ),
        Offence(
            OffenceCode.S444_1A,
            "as s444(1), where the parent knows of the failure and fails without reasonable "
            "justification to cause the child to attend",
            4,
            3,
            "Education Act 1996 s444(1A), (8A)",
        ),
        Offence(
            OffenceCode.S443,
            "failure to comply with a school attendance order",
            3,
            None,
            "Education Act 1996 s443",
        ),
    )
}


def last_day_to_lay(offence_last_day: date) -> date:
    """The last day an information may be laid: 6 calendar months after the offence (or the
    offence period's last day), the day of the offence excluded; month ends clamp."""
    return add_calendar_months(offence_last_day, TIME_LIMIT_MONTHS)


@dataclass(frozen=True, slots=True)
class ProsecutionWindow:
    """When an information may be laid: from ``earliest`` to ``latest`` inclusive."""

    earliest: date
    latest: date

    @property
    def open_days(self) -> int:
        """Days on which the information may be laid (0 if the window never opens)."""
        return max((self.latest - self.earliest).days + 1, 0)

    @property
    def possible(self) -> bool:
        return self.open_days > 0

    def remaining_on(self, today: date) -> int:
        """Days left from ``today`` (counted from the later of ``today`` and ``earliest``)."""
        start = max(today, self.earliest)
        return max((self.latest - start).days + 1, 0)


def prosecution_window(
    offence_last_day: date, *, penalty_notice_received: date | None = None
) -> ProsecutionWindow:
    """When an information for an offence ending on ``offence_last_day`` may be laid. With a
    penalty notice for that offence (received on ``penalty_notice_received``) it may not be
    laid until the notice's 28-day payment period has ended: that time comes out of the 6
    months."""
    earliest = offence_last_day + timedelta(days=1)
    if penalty_notice_received is not None:
        earliest = max(earliest, proceedings_not_before(penalty_notice_received))
    return ProsecutionWindow(earliest, last_day_to_lay(offence_last_day))
