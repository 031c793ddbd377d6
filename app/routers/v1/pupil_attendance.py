"""`/v1/pupils/{id}/attendance`: a pupil's attendance marks and figures for a period."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.params import PupilIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.attendance_figures import (
    AttendancePeriodQuery,
    FiguresRead,
    MarkRead,
    PupilAttendanceRead,
    ReplacedMarkRead,
)
from app.services import attendance_figures
from app.services.attendance_figures import PupilAttendance

router = APIRouter(prefix=f"{PREFIX}/pupils", tags=["attendance"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
PERIOD_PROBLEMS: Responses = {
    422: problem_response(
        "Invalid fields, a period that ends before it starts, or one over two years."
    )
}


def released(
    access: Access, body: BaseModel, *, subject_ids: Iterable[uuid.UUID], resource_id: object
) -> Response:
    """Serialise ``body`` once: the disclosure written for a partner or inspector hashes
    exactly the bytes they receive."""
    content = body.model_dump_json().encode()
    attendance_figures.record_release(
        access, subject_ids=subject_ids, content=content, resource_id=resource_id
    )
    return Response(content, media_type="application/json")


def _read(attendance: PupilAttendance) -> PupilAttendanceRead:
    return PupilAttendanceRead(
        pupil_id=attendance.pupil.id,
        from_=attendance.period.first,
        to=attendance.period.last,
        figures=FiguresRead.of(attendance.figures),
        marks=[
            MarkRead(
                date=entry.mark.mark_date,
                session=entry.mark.session,
                school_urn=entry.mark.school_urn,
                code=entry.mark.code,
                category=entry.category,
                replaced=[
                    ReplacedMarkRead(
                        code=old.code, recorded_at=old.recorded_at, replaced_at=old.replaced_at
                    )
                    for old in entry.replaced
                ],
            )
            for entry in attendance.marks
        ],
    )


@router.get(
    "/{pupil_id}/attendance",
    name="pupils_attendance_get",
    summary="Get a pupil's attendance",
    response_model=PupilAttendanceRead,
    responses={
        404: problem_response("No pupil with that id that you may see."),
        **PERIOD_PROBLEMS,
    },
)
async def get_pupil_attendance(
    access: Annotated[Access, Policy("pupil_attendance", "read")],
    pupil_id: PupilIdPath,
    session: SessionDep,
    period: Annotated[AttendancePeriodQuery, Query()],
) -> Response:
    """The pupil's attendance from `from` to `to`: possible sessions, present, approved educational
    activity, authorised and unauthorised absence, attendance %, the persistent (10%) and severe
    (50%) absence flags, and every mark with the marks corrections replaced.

    For the council's own roles the figures and marks cover every school that recorded marks for the
    pupil. School staff and inspectors see only the marks their own schools (or the grant's)
    recorded, and figures from those alone. Partners and inspectors receive it only where their
    agreement or grant covers attendance, and each read is recorded as a disclosure.

    Send `KPAS-Purpose`: attendance managers (area teams) under an attendance purpose, school staff
    under a school purpose, governance, partners and inspectors as for the pupil. 404 for a pupil
    you may not see; 422 for a period that ends before it starts or is over two years.
    """
    attendance = await attendance_figures.pupil_attendance(
        session, access, pupil_id=pupil_id, first=period.from_, last=period.to
    )
    return released(
        access,
        _read(attendance),
        subject_ids=[attendance.pupil.subject_id],
        resource_id=attendance.pupil.id,
    )
