"""`/v1/attendance/alerts`: pupils at the penalty-notice threshold, and pupils persistently or
severely absent, kept up to date by the worker after each import."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.attendance_alerts import AlertQuery
from app.routers.paging import PagingDep
from app.routers.params import AlertIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.attendance_alerts import AlertFilters, AlertPage, AlertRead
from app.services import attendance_alerts
from app.services.attendance_alerts import alert_etag

router = APIRouter(prefix=f"{PREFIX}/attendance/alerts", tags=["attendance"], route_class=KpasRoute)


@router.get(
    "", name="attendance_alerts_list", summary="List attendance alerts", response_model=AlertPage
)
async def list_alerts(
    access: Annotated[Access, Policy("attendance_alert", "list")],
    session: SessionDep,
    filters: Annotated[AlertFilters, Query()],
    paging: PagingDep,
) -> AlertPage:
    """Pupils at the penalty-notice threshold, and pupils persistently or severely absent, most
    recently raised first, filtered by school, district, type, status or date raised. Each names the
    pupil and school and gives the figures, nothing more of the pupil's record.

    Send `KPAS-Purpose`: `attendance_duty` only. Attendance officers and managers see schools in
    their area teams; school staff their own pupils.
    """
    query = AlertQuery(
        school_urn=filters.school_urn,
        district=filters.district,
        kinds=frozenset(filters.type),
        status=filters.status,
        raised_since=filters.raised_since,
    )
    entries, next_cursor = await attendance_alerts.list_alerts(
        session, access, query=query, page=paging.page(access, filters)
    )
    return AlertPage(items=[AlertRead.of(e) for e in entries], next_cursor=next_cursor)


@router.get(
    "/{alert_id}",
    name="attendance_alerts_get",
    summary="Get an attendance alert",
    response_model=AlertRead,
    responses={404: problem_response("No attendance alert with that id that you may see.")},
)
async def get_alert(
    access: Annotated[Access, Policy("attendance_alert", "read")],
    alert_id: AlertIdPath,
    session: SessionDep,
    response: Response,
) -> AlertRead:
    """One attendance alert with its figures. Send `KPAS-Purpose`: `attendance_duty`, by the same
    callers as listing; 404 for an alert outside your reach.
    """
    entry = await attendance_alerts.get_alert(session, access, alert_id=alert_id)
    response.headers["ETag"] = alert_etag(entry.alert)
    return AlertRead.of(entry)
