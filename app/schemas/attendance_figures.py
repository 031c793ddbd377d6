"""Attendance figures as the API shows them: a pupil's marks and figures for a period, and a
school's summary with its persistent and severe absentees."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from pydantic.config import JsonDict

from app.rules.attendance import AttendanceFigures, CodeCategory, Session
from app.schemas.common import CalendarDate, Input

# --- examples -------------------------------------------------------------------------------

_PUPIL_REF: JsonDict = {"id": "21c0ca72-076e-4f32-ad8e-b37ca0f6e495", "name": "Leo Marlowe"}
_SCHOOL_REF: JsonDict = {"urn": 990028, "name": "Hopgarden Primary School (synthetic)"}
#: Two days of one pupil's marks: a late arrival still counts as present.
_TWO_DAYS: JsonDict = {
    "possible_sessions": 4,
    "present": 3,
    "approved_activity": 0,
    "authorised": 1,
    "unauthorised": 0,
    "attendance_percent": 75.0,
    "absence_percent": 25.0,
    "persistent_absence": True,
    "severe_absence": False,
}
#: The autumn term to date (57 school days) for a persistently absent pupil.
_TERM: JsonDict = {
    "possible_sessions": 114,
    "present": 95,
    "approved_activity": 3,
    "authorised": 9,
    "unauthorised": 7,
    "attendance_percent": 86.0,
    "absence_percent": 14.0,
    "persistent_absence": True,
    "severe_absence": False,
}
_REPLACED: JsonDict = {
    "code": "N",
    "recorded_at": "2026-11-27T09:05:12Z",
    "replaced_at": "2026-11-30T08:47:03Z",
}
_MARKS: list[JsonValue] = [
    {
        "date": "2026-11-26",
        "session": "AM",
        "school_urn": 990028,
        "code": "/",
        "category": "present",
        "replaced": [],
    },
    {
        "date": "2026-11-26",
        "session": "PM",
        "school_urn": 990028,
        "code": "\\",
        "category": "present",
        "replaced": [],
    },
    {
        "date": "2026-11-27",
        "session": "AM",
        "school_urn": 990028,
        "code": "M",
        "category": "authorised_absence",
        "replaced": [_REPLACED],
    },
    {
        "date": "2026-11-27",
        "session": "PM",
        "school_urn": 990028,
        "code": "L",
        "category": "present",
        "replaced": [],
    },
]


class AttendancePeriodQuery(Input):
    """The period asked for: ``from`` and ``to``, both inclusive."""

    model_config = ConfigDict(validate_by_name=True)

    from_: CalendarDate | None = Field(
        default=None,
        alias="from",
        description="First day of the period (inclusive). Defaults to the start of the school "
        "year (1 August) containing `to`.",
        examples=["2026-09-01"],
    )
    to: CalendarDate | None = Field(
        default=None,
        description="Last day of the period (inclusive). Defaults to today (London). At most "
        "two years after `from`.",
        examples=["2026-11-27"],
    )


class _Period(BaseModel):
    """``from`` is a Python keyword: the field is ``from_`` and travels as ``from``."""

    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from", description="First day of the period (inclusive).")
    to: dt.date = Field(description="Last day of the period (inclusive).")


class FiguresRead(BaseModel):
    """Session counts and what DfE derives from them. Possible sessions are those marked
    present, at an approved educational activity, or absent (authorised or not); D, X, Q,
    Y1-Y7, Z and # are not possible sessions."""

    model_config = ConfigDict(json_schema_extra={"examples": [_TERM]})

    possible_sessions: int
    present: int = Field(description="Sessions marked /, \\ or L.")
    approved_activity: int = Field(
        description="Sessions at an approved educational activity (K, V, P, W, B)."
    )
    authorised: int = Field(description="Authorised absence (C1, M, J1, S, C2, C, T, R, I, E).")
    unauthorised: int = Field(description="Unauthorised absence (G, N, O, U).")
    attendance_percent: float | None = Field(
        description="(present + approved activity) / possible sessions, to one decimal place; "
        "null without a possible session."
    )
    absence_percent: float | None = Field(
        description="(authorised + unauthorised) / possible sessions, to one decimal place."
    )
    persistent_absence: bool = Field(description="Absent for 10% or more of possible sessions.")
    severe_absence: bool = Field(description="Absent for 50% or more of possible sessions.")

    @classmethod
    def of(cls, figures: AttendanceFigures) -> FiguresRead:
        return cls(
            possible_sessions=figures.possible,
            present=figures.present,
            approved_activity=figures.approved_activity,
            authorised=figures.authorised,
            unauthorised=figures.unauthorised,
            attendance_percent=figures.attendance_percent,
            absence_percent=figures.absence_percent,
            persistent_absence=figures.persistent_absence,
            severe_absence=figures.severe_absence,
        )


class ReplacedMarkRead(BaseModel):
    """A mark a later one corrected."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REPLACED]})

    code: str
    recorded_at: dt.datetime
    replaced_at: dt.datetime


class MarkRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_MARKS[2]]})

    date: dt.date
    session: Session
    school_urn: int = Field(description="The school that recorded the mark.")
    code: str = Field(description="A 2024 national attendance code (SI 2024/208).")
    category: CodeCategory
    replaced: list[ReplacedMarkRead] = Field(
        description="Earlier marks for this session that corrections replaced, oldest first."
    )


class PupilAttendanceRead(_Period):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-11-26",
                    "to": "2026-11-27",
                    "pupil_id": _PUPIL_REF["id"],
                    "figures": _TWO_DAYS,
                    "marks": _MARKS,
                }
            ]
        }
    )

    pupil_id: uuid.UUID
    figures: FiguresRead = Field(
        description="Across every school that recorded marks for the pupil in the period."
    )
    marks: list[MarkRead] = Field(description="In date and session order.")


class SchoolRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SCHOOL_REF]})

    urn: int
    name: str


class PupilRef(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PUPIL_REF]})

    id: uuid.UUID
    name: str = Field(description="The name the pupil is known by (preferred names, if given).")


class AbsenteeRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"pupil": _PUPIL_REF, "figures": _TERM}]}
    )

    pupil: PupilRef
    figures: FiguresRead


class SchoolAttendanceSummary(_Period):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "from": "2026-08-01",
                    "to": "2026-11-27",
                    "school": _SCHOOL_REF,
                    "figures": {
                        "possible_sessions": 1368,
                        "present": 1228,
                        "approved_activity": 12,
                        "authorised": 80,
                        "unauthorised": 48,
                        "attendance_percent": 90.6,
                        "absence_percent": 9.4,
                        "persistent_absence": False,
                        "severe_absence": False,
                    },
                    "pupils_with_marks": 12,
                    "persistent_absentees": [{"pupil": _PUPIL_REF, "figures": _TERM}],
                    "severe_absentees": [],
                }
            ]
        }
    )

    school: SchoolRef
    figures: FiguresRead = Field(description="The school's totals over the pupils counted.")
    pupils_with_marks: int = Field(
        description="Pupils counted: those with at least one possible session at the school in "
        "the period (a pupil marked only D, X, Q, Y1-Y7, Z or # is not counted)."
    )
    persistent_absentees: list[AbsenteeRead] = Field(
        description="Pupils absent for 10% or more of their possible sessions in the period "
        "(severe absentees included), highest absence first."
    )
    severe_absentees: list[AbsenteeRead] = Field(
        description="Pupils absent for 50% or more, highest absence first."
    )
