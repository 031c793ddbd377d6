"""What every licensing rule check yields: a finding.

A finding names the rule (a stable id such as ``employment.minimum_age``), its severity, the
provision it comes from and a plain-English message an officer can read to an applicant.
``blocking`` findings stop a grant until the application is amended; ``warning`` findings are
for the officer's decision (a late application, a figure the council has not confirmed) and
a grant acknowledges each one.

Figures kept as data carry ``confirmed``: ``False`` where the council's summaries state them
but the regulation text could not be quoted here, so a reader knows which to verify.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    #: Stable id, ``<area>.<rule>`` (``performance.late_application``).
    rule: str
    severity: Severity
    #: The provision it comes from (``CYPA 1933 s18(1)(a); Kent byelaws``).
    source: str
    message: str
    #: Where in the application it arises (``/work_permit/shifts/2``), if anywhere in particular.
    where: str | None = None
    #: ``False`` where the figure applied is not confirmed against the regulation text.
    confirmed: bool = True
    #: Figures behind the finding (limits, totals, dates as ISO strings): ids and numbers only.
    facts: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "source": self.source,
            "message": self.message,
            "where": self.where,
            "confirmed": self.confirmed,
            "facts": dict(self.facts),
        }


@dataclass(frozen=True, slots=True)
class ShapeProblem:
    """A schedule or pattern that cannot be checked at all (reversed or overlapping times, a
    period past midnight): the request is refused with a 422 naming ``where``."""

    where: str
    message: str
    code: str


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.BLOCKING]


def minutes(at: time) -> int:
    """Minutes since midnight."""
    return at.hour * 60 + at.minute


def hours_label(total_minutes: int) -> str:
    """``150`` -> ``2 h 30 min``; ``120`` -> ``2 h``."""
    hours, rest = divmod(total_minutes, 60)
    if not rest:
        return f"{hours} h"
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min"
