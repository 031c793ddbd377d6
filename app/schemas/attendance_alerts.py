"""Attendance alert shapes for the API.

An alert names its pupil (id and the name they are known by) and school, and carries the
figures that raised it: nothing more of the pupil's record. Whoever needs more reads the
pupil under their own decision.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from app.models.attendance import AlertKind, AlertStatus
from app.repositories.attendance_alerts import AlertEntry
from app.rules.attendance import AttendanceFigures
from app.rules.kent import District
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
)
from app.schemas.schools import URN


class AlertPupil(Output):
    id: uuid.UUID
    name: str = Field(description="Preferred forename (else legal) and surname.")


class AlertSchool(Output):
    urn: int
    name: str


class AlertFigures(Output):
    """Sessions over the alert's period at its school."""

    possible_sessions: int
    attended_sessions: int = Field(description="Present or at an approved educational activity.")
    authorised_sessions: int
    unauthorised_sessions: int = Field(description="G, N, O and U sessions.")
    attendance_percent: float | None = Field(
        description="One decimal place; null with none possible."
    )
    absence_percent: float | None


class AlertRead(Output):
    id: uuid.UUID
    type: AlertKind = Field(
        description="penalty_threshold: 10 sessions of unauthorised absence within 10 school "
        "weeks (SI 2024/210); persistent_absence / severe_absence: absent for 10% / 50% or "
        "more of the school year's possible sessions so far."
    )
    status: AlertStatus = Field(
        description="open, or withdrawn when corrected marks or recovered figures no longer "
        "show it."
    )
    pupil: AlertPupil
    school: AlertSchool
    period_start: date = Field(
        description="Penalty threshold: the first school week (Monday) of the window. "
        "Persistent and severe absence: the first day of the school year."
    )
    period_end: date = Field(
        description="Penalty threshold: the school week (Monday) in which the threshold was "
        "reached. Persistent and severe absence: the last day with a possible session counted."
    )
    figures: AlertFigures
    raised_at: datetime = Field(description="When the alert was raised (or last reopened).")
    withdrawn_at: datetime | None

    @classmethod
    def of(cls, entry: AlertEntry) -> AlertRead:
        alert = entry.alert
        figures = AttendanceFigures(
            possible=alert.possible_sessions,
            present=alert.attended_sessions,
            authorised=alert.authorised_sessions,
            unauthorised=alert.unauthorised_sessions,
        )
        return cls(
            id=alert.id,
            type=alert.kind,
            status=alert.status,
            pupil=AlertPupil(id=alert.pupil_id, name=entry.pupil_name),
            school=AlertSchool(urn=alert.school_urn, name=entry.school_name),
            period_start=alert.period_start,
            period_end=alert.period_end,
            figures=AlertFigures(
                possible_sessions=alert.possible_sessions,
                attended_sessions=alert.attended_sessions,
                authorised_sessions=alert.authorised_sessions,
                unauthorised_sessions=alert.unauthorised_sessions,
                attendance_percent=figures.attendance_percent,
                absence_percent=figures.absence_percent,
            ),
            raised_at=alert.raised_at,
            withdrawn_at=alert.withdrawn_at,
        )


class AlertPage(Page[AlertRead]):
    pass


class AlertFilters(Input):
    """Query parameters of ``GET /v1/attendance/alerts``."""

    school_urn: URN | None = None
    district: District | None = None
    type: list[AlertKind] = Field(
        default_factory=list,
        max_length=len(AlertKind),
        description="Only alerts of these types (repeat the parameter for several).",
    )
    status: AlertStatus = Field(
        default=AlertStatus.OPEN, description="Open (default) or withdrawn."
    )
    raised_since: Timestamp | None = Field(
        default=None, description="Only alerts raised (or reopened) at or after this moment."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None
