"""Reading attendance alerts.

Alerts are for the attendance duty: attendance officers and managers see those of schools in
their area teams, a school its own pupils' (``attendance_alerts.*`` rules). The decision's
filter carries that, and the pupil's restriction, objections and retention (the alert holds
its pupil's data subject), into the one query that lists them. The worker raises and
withdraws alerts (``app.services.attendance_recompute``); nothing here writes.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceAlert
from app.policies import Access
from app.repositories.attendance_alerts import AlertEntry, AlertQuery, AttendanceAlertRepository
from app.repositories.pagination import PageRequest
from app.services.concurrency import etag_for


def alert_etag(alert: AttendanceAlert) -> str:
    """Changes whenever the worker changes the alert (each change stamps ``updated_at``)."""
    version = int(alert.updated_at.timestamp() * 1_000_000)
    return etag_for(alert.id, version, alert.raised_at)


async def list_alerts(
    session: AsyncSession,
    access: Access,
    *,
    query: AlertQuery,
    page: PageRequest,
) -> tuple[list[AlertEntry], str | None]:
    entries, next_cursor = await AttendanceAlertRepository(session).page(
        query, page=page, visible=access.filter()
    )
    access.touched(subject_ids=[e.alert.subject_id for e in entries])
    return entries, next_cursor


async def get_alert(session: AsyncSession, access: Access, *, alert_id: uuid.UUID) -> AlertEntry:
    entry = await AttendanceAlertRepository(session).get(alert_id, visible=access.filter())
    if entry is None:
        raise access.not_found(alert_id, "No attendance alert with that id that you may see.")
    access.touched(subject_ids=[entry.alert.subject_id], resource_id=alert_id)
    return entry
