"""`/v1/schools/{urn}/attendance/summary`: a school's attendance figures for a period and its
persistent and severe absentees."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.params import UrnPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.routers.v1.pupil_attendance import PERIOD_PROBLEMS, released
from app.schemas.attendance_figures import (
    AbsenteeRead,
    AttendancePeriodQuery,
    FiguresRead,
    PupilRef,
    SchoolAttendanceSummary,
    SchoolRef,
)
from app.services import attendance_figures
from app.services.attendance_figures import PupilFigures, SchoolSummary

router = APIRouter(prefix=f"{PREFIX}/schools", tags=["attendance"], route_class=KpasRoute)


def _absentee(entry: PupilFigures) -> AbsenteeRead:
    return AbsenteeRead(
        pupil=PupilRef(id=entry.pupil.id, name=entry.name), figures=FiguresRead.of(entry.figures)
    )


def _read(summary: SchoolSummary) -> SchoolAttendanceSummary:
    return SchoolAttendanceSummary(
        school=SchoolRef(urn=summary.school.urn, name=summary.school.name),
        from_=summary.period.first,
        to=summary.period.last,
        figures=FiguresRead.of(summary.figures),
        pupils_with_marks=summary.pupils_with_marks,
        persistent_absentees=[_absentee(e) for e in summary.persistent_absentees],
        severe_absentees=[_absentee(e) for e in summary.severe_absentees],
    )


@router.get(
    "/{urn}/attendance/summary",
    name="schools_attendance_summary",
    summary="Get a school's attendance summary",
    response_model=SchoolAttendanceSummary,
    responses={404: problem_response("No school with that URN."), **PERIOD_PROBLEMS},
)
async def get_school_attendance_summary(
    access: Annotated[Access, Policy("school_attendance", "read")],
    urn: UrnPath,
    session: SessionDep,
    period: Annotated[AttendancePeriodQuery, Query()],
) -> Response:
    """The school's attendance from `from` to `to`: totals over the pupils with marks it recorded in
    the period, and its persistent (absent 10% or more of possible sessions) and severe (50% or
    more) absentees, highest absence first. Pupils whose data may not be processed for the purpose
    (restricted, objecting, past retention, or not collected for it) are left out of totals and
    lists alike.

    Send `KPAS-Purpose`: attendance managers for schools in their area teams, school staff for their
    own school, inspectors for their grant's schools. A school outside your reach is a 403, not a
    404: schools are public, so the refusal hides nothing. An inspector's read is recorded as a
    disclosure of the pupils it names.
    """
    summary = await attendance_figures.school_summary(
        session, access, urn=urn, first=period.from_, last=period.to
    )
    return released(
        access, _read(summary), subject_ids=summary.named_subjects, resource_id=summary.school.urn
    )
