"""Attendance alert shapes for the API.

An alert names its pupil (id and the name they are known by) and school, and carries the
figures that raised it: nothing more of the pupil's record. Whoever needs more reads the
pupil under their own decision.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

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

# --- examples -------------------------------------------------------------------------------
# The alert shown is open: raised at the end of a week, not withdrawn since.

_ALERT_PUPIL: JsonDict = {"id": "21c0ca72-076e-4f32-ad8e-b37ca0f6e495", "name": "Leo Marlowe"}
_ALERT_SCHOOL: JsonDict = {"urn": 990028, "name": "Hopgarden Primary School (synthetic)"}
#: The autumn term to date (57 school days): absent for 14% of possible sessions.
_ALERT_FIGURES: JsonDict = {
    "possible_sessions": 114,
    "attended_sessions": 98,
    "authorised_sessions": 9,
    "unauthorised_sessions": 7,
    "attendance_percent": 86.0,
    "absence_percent": 14.0,
}
_ALERT: JsonDict = {
    "id": "c144a262-fd55-4d16-b624-872bec37bd2b",
    "type": "persistent_absence",
    "status": "open",
    "pupil": _ALERT_PUPIL,
    "school": _ALERT_SCHOOL,
    "period_start": "2026-08-01",
    "period_end": "2026-11-27",
    "figures": _ALERT_FIGURES,
    "raised_at": "2026-11-27T18:00:04Z",
    "withdrawn_at": None,
}


class AlertPupil(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT_PUPIL]})

    id: uuid.UUID
    name: str = Field(description="Preferred forename (else legal) and surname.")


class AlertSchool(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT_SCHOOL]})

    urn: int
    name: str


class AlertFigures(Output):
    """Sessions over the alert's period at its school."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT_FIGURES]})

    possible_sessions: int
    attended_sessions: int = Field(description="Present or at an approved educational activity.")
    authorised_sessions: int
    unauthorised_sessions: int = Field(description="G, N, O and U sessions.")
    attendance_percent: float | None = Field(
        description="One decimal place; null with none possible."
    )
    absence_percent: float | None


class AlertRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_ALERT]})

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
        description="Penalty threshold: the school week (Monday) of the first of the 10 "
        "sessions the event spends. "
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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_ALERT],
                    "next_cursor": "ASzu7po9IXD0YSOeigJucFovtIGgfVtZm06DJqpzygmTpJACftQjJiI",
                }
            ]
        }
    )


class AlertFilters(Input):
    """Query parameters of ``GET /v1/attendance/alerts``."""

    school_urn: URN | None = Field(default=None, examples=[990028])
    district: District | None = Field(default=None, examples=["canterbury"])
    type: list[AlertKind] = Field(
        default_factory=list,
        max_length=len(AlertKind),
        description="Only alerts of these types (repeat the parameter for several).",
        examples=[["persistent_absence"]],
    )
    status: AlertStatus = Field(
        default=AlertStatus.OPEN, description="Open (default) or withdrawn.", examples=["open"]
    )
    raised_since: Timestamp | None = Field(
        default=None,
        description="Only alerts raised (or reopened) at or after this moment.",
        examples=["2026-11-02T00:00:00Z"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
