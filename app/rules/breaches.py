"""Personal data breaches: the Information Commissioner's deadline and the risk assessment.

Sources:
- UK GDPR Art 33(1): notify the Commissioner without undue delay and, where feasible, not
  later than 72 hours after having become aware of the breach, unless it is unlikely to result
  in a risk to the rights and freedoms of natural persons; a later notification is accompanied
  by reasons for the delay.
- UK GDPR Art 33(5): document every breach, its effects and the remedial action taken.
- UK GDPR Art 34(1): where the breach is likely to result in a high risk, tell the people
  affected without undue delay; Art 34(3) says when that is not required.
- ICO guidance "Personal data breaches: a guide" (likelihood and severity of the risk).

The 72 hours are hours of elapsed time, not of the clock on the wall: they are counted on the
UTC instant of awareness, so a change between GMT and BST inside them neither adds nor takes
an hour. The local (Europe/London) time is shown beside it for people to read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.models.breaches import Likelihood, RiskLevel, Severity

LONDON = ZoneInfo("Europe/London")

#: UK GDPR Art 33(1).
ICO_NOTIFICATION_HOURS = 72
ICO_SOURCE = "UK GDPR Art 33(1)"
INDIVIDUALS_SOURCE = "UK GDPR Art 34"
#: The window of ``due_within_24_hours``.
DUE_SOON_HOURS = 24


def ico_deadline(aware_at: datetime) -> datetime:
    """Exactly 72 hours after the council became aware of the breach, as a UTC instant."""
    if aware_at.tzinfo is None:
        raise ValueError("the time of awareness needs its UTC offset")
    return aware_at.astimezone(UTC) + timedelta(hours=ICO_NOTIFICATION_HOURS)


def in_london(instant: datetime) -> datetime:
    """The instant as a Europe/London wall-clock time (GMT or BST, with its offset)."""
    return instant.astimezone(LONDON)


def notified_late(aware_at: datetime, notified_at: datetime) -> bool:
    """The Commissioner was told after the 72 hours had run (reasons for the delay needed)."""
    return notified_at.astimezone(UTC) > ico_deadline(aware_at)


#: Likelihood x severity -> the risk to people's rights and freedoms (ICO guidance: assess
#: both; the higher either is, the higher the risk).
_RISK: dict[tuple[Likelihood, Severity], RiskLevel] = {
    (Likelihood.REMOTE, Severity.MINIMAL): RiskLevel.UNLIKELY,
    (Likelihood.REMOTE, Severity.SIGNIFICANT): RiskLevel.UNLIKELY,
    (Likelihood.REMOTE, Severity.SEVERE): RiskLevel.RISK,
    (Likelihood.POSSIBLE, Severity.MINIMAL): RiskLevel.UNLIKELY,
    (Likelihood.POSSIBLE, Severity.SIGNIFICANT): RiskLevel.RISK,
    (Likelihood.POSSIBLE, Severity.SEVERE): RiskLevel.HIGH_RISK,
    (Likelihood.LIKELY, Severity.MINIMAL): RiskLevel.RISK,
    (Likelihood.LIKELY, Severity.SIGNIFICANT): RiskLevel.HIGH_RISK,
    (Likelihood.LIKELY, Severity.SEVERE): RiskLevel.HIGH_RISK,
}


def assess_risk(likelihood: Likelihood, severity: Severity) -> RiskLevel:
    """The risk a likelihood and severity of harm amount to."""
    return _RISK[(likelihood, severity)]
