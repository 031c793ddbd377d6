"""Notices to improve: the improvement period a parent is given before a penalty notice.

Sources:

- DfE, "Working together to improve school attendance" (statutory guidance, August 2024),
  the national framework for penalty notices: a notice to improve is a final chance to engage
  in support before a penalty notice, with an improvement period of at least 3 and at most 6
  weeks; one is not needed before a penalty notice for a term-time holiday.
- The period's last day is the issue date plus the whole weeks given (the same weekday that
  many weeks on), as councils' letters state it ("improve by ..."). The period has ended
  from the following day, and only then can a failure to improve be recorded (the casework
  ladder's ``notice_to_improve_failed`` guard reads the same dates).
"""

from __future__ import annotations

from datetime import date, timedelta

#: The improvement period, in whole weeks (national framework, 2024).
IMPROVEMENT_WEEKS_MIN = 3
IMPROVEMENT_WEEKS_MAX = 6

SOURCE = "DfE, Working together to improve school attendance (2024): national framework"


def period_ends_on(issued_on: date, weeks: int) -> date:
    """The last day of the improvement period: ``weeks`` whole weeks after the issue date.
    Raises ``ValueError`` outside 3 to 6 weeks."""
    if not IMPROVEMENT_WEEKS_MIN <= weeks <= IMPROVEMENT_WEEKS_MAX:
        raise ValueError(
            f"an improvement period is {IMPROVEMENT_WEEKS_MIN} to {IMPROVEMENT_WEEKS_MAX} weeks"
        )
    return issued_on + timedelta(weeks=weeks)


def period_over(ends_on: date, today: date) -> bool:
    """The improvement period has ended (the day after its last day, or later)."""
    return today > ends_on
