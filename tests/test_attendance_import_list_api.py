"""``GET /v1/attendance/imports``: the imports an information system, a school or an area
team may read back, newest first, filtered and cursor paginated; another school's never."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceImport, ImportMode, ImportStatus
from app.models.schools import School
from app.rules.kent import District
from tests.conftest import AuthHeaders
from tests.factories import make_school

IMPORTS = "/v1/attendance/imports"
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def make_import(
    session: AsyncSession,
    *urns: int,
    received_at: datetime,
    submitted_by: str = "mis-1",
    status: ImportStatus = ImportStatus.APPLIED,
) -> AttendanceImport:
    """A kept import report naming ``urns``, as the import would leave it."""
    refused = 0 if status is ImportStatus.APPLIED else 2
    record = AttendanceImport(
        id=uuid.uuid4(),
        submitted_by=submitted_by,
        received_at=received_at,
        mode=ImportMode.ATOMIC,
        status=status,
        media_type="text/csv",
        content_sha256="0" * 64,
        school_urns=sorted(urns),
        rows_received=10,
        rows_applied=10 - refused if status is not ImportStatus.REJECTED else 0,
        rows_refused=refused,
        marks_created=8,
        marks_replaced=1,
        marks_unchanged=1,
        problems=[{"row": 3, "field": "upn", "code": "invalid_upn", "problem": "not a UPN"}]
        if refused
        else [],
        problem_count=refused,
    )
    session.add(record)
    await session.flush()
    return record


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
async def other_school(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def imports(
    session: AsyncSession, school: School, other_school: School
) -> dict[str, AttendanceImport]:
    return {
        "first": await make_import(session, school.urn, received_at=START),
        "rejected": await make_import(
            session,
            school.urn,
            received_at=START + timedelta(hours=1),
            status=ImportStatus.REJECTED,
        ),
        "theirs": await make_import(
            session, other_school.urn, received_at=START + timedelta(hours=2), submitted_by="mis-9"
        ),
        "latest": await make_import(session, school.urn, received_at=START + timedelta(hours=3)),
    }


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(IMPORTS, headers=headers, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_cursor"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


def of(*records: AttendanceImport) -> list[str]:
    return [str(record.id) for record in records]


async def test_the_information_system_lists_its_schools_imports_newest_first(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    imports: dict[str, AttendanceImport],
) -> None:
    mis = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    items = await listed(client, mis)
    assert ids(items) == of(imports["latest"], imports["rejected"], imports["first"])
    latest = items[0]
    assert latest["school_urns"] == [school.urn]
    assert latest["submitted_by"] == "mis-1"
    assert (latest["status"], latest["mode"], latest["problem_count"]) == ("applied", "atomic", 0)
    assert (latest["rows_received"], latest["marks_created"]) == (10, 8)
    assert latest["received_at"].startswith("2026-11-30T12:00:00")
    # The counts, never the problems (reading one import gives those).
    assert "problems" not in latest and items[1]["problem_count"] == 2


async def test_a_client_of_another_school_gets_nothing_of_this_one(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    imports: dict[str, AttendanceImport],
) -> None:
    other = auth("mis_integration", subject="mis-9", school_urns=(other_school.urn,))
    assert ids(await listed(client, other)) == of(imports["theirs"])
    # Asking for this school by name filters to nothing rather than refusing.
    assert await listed(client, other, school_urn=school.urn) == []
    assert (await client.get(f"{IMPORTS}/{imports['latest'].id}", headers=other)).status_code == (
        404
    )
    stranger = auth("mis_integration", subject="mis-7", school_urns=(999999,))
    assert await listed(client, stranger) == []


async def test_another_client_of_the_same_school_sees_its_imports(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    imports: dict[str, AttendanceImport],
) -> None:
    """A school that changes supplier: the new system reads back the school's history."""
    successor = auth("mis_integration", subject="mis-2", school_urns=(school.urn,))
    items = await listed(client, successor)
    assert ids(items) == of(imports["latest"], imports["rejected"], imports["first"])
    one = await client.get(f"{IMPORTS}/{imports['rejected'].id}", headers=successor)
    assert one.status_code == 200 and one.json()["problem_count"] == 2


async def test_an_information_system_keeps_the_imports_it_sent(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    other_school: School,
) -> None:
    sent = await make_import(session, school.urn, received_at=START, submitted_by="mis-1")
    # The school has since left this supplier: the token no longer names it.
    moved_on = auth("mis_integration", subject="mis-1", school_urns=(other_school.urn,))
    assert ids(await listed(client, moved_on)) == of(sent)


async def test_school_staff_see_their_school_and_managers_their_area_team(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    imports: dict[str, AttendanceImport],
) -> None:
    ours = of(imports["latest"], imports["rejected"], imports["first"])
    staff = auth("school_staff", subject="staff-1", school_urns=(school.urn,))
    assert ids(await listed(client, staff)) == ours
    one = await client.get(f"{IMPORTS}/{imports['first'].id}", headers=staff)
    assert one.status_code == 200
    other_staff = auth("school_staff", subject="staff-9", school_urns=(other_school.urn,))
    assert ids(await listed(client, other_staff)) == of(imports["theirs"])
    refused = await client.get(f"{IMPORTS}/{imports['first'].id}", headers=other_staff)
    assert refused.status_code == 404
    manager = auth("attendance_manager", subject="mgr-1", area_teams=(school.area_team,))
    assert ids(await listed(client, manager)) == ours
    assert school.area_team != other_school.area_team
    elsewhere = auth("attendance_manager", subject="mgr-9", area_teams=(other_school.area_team,))
    assert ids(await listed(client, elsewhere)) == of(imports["theirs"])


async def test_an_import_naming_two_schools_is_seen_from_each(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    other_school: School,
) -> None:
    both = await make_import(session, school.urn, other_school.urn, received_at=START)
    for urn in (school.urn, other_school.urn):
        staff = auth("school_staff", subject=f"staff-{urn}", school_urns=(urn,))
        assert ids(await listed(client, staff)) == of(both)
        assert ids(await listed(client, staff, school_urn=urn)) == of(both)


@pytest.mark.parametrize(
    "role", ["attendance_officer", "admin", "information_governance", "licensing_officer"]
)
async def test_other_roles_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, school: School, role: str
) -> None:
    response = await client.get(
        IMPORTS, headers=auth(role, school_urns=(school.urn,), area_teams=(school.area_team,))
    )
    assert response.status_code == 403, response.text
    assert response.json()["policy"]["rule"]


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(IMPORTS)).status_code == 401


async def test_filters_by_school_status_and_time(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    imports: dict[str, AttendanceImport],
) -> None:
    mis = auth("mis_integration", subject="mis-1", school_urns=(school.urn, other_school.urn))
    everything = await listed(client, mis)
    assert len(everything) == 4
    assert ids(await listed(client, mis, school_urn=other_school.urn)) == of(imports["theirs"])
    assert ids(await listed(client, mis, status="rejected")) == of(imports["rejected"])
    window = {
        "received_since": (START + timedelta(hours=1)).isoformat(),
        "received_before": (START + timedelta(hours=3)).isoformat(),
    }
    assert ids(await listed(client, mis, **window)) == of(imports["theirs"], imports["rejected"])
    bad = await client.get(IMPORTS, headers=mis, params={"status": "pending"})
    assert bad.status_code == 422


async def test_pages_walk_every_import_once(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
) -> None:
    # Tied times: the id breaks the tie, so no import is skipped or repeated.
    made = [await make_import(session, school.urn, received_at=START) for _ in range(3)]
    made += [await make_import(session, school.urn, received_at=START - timedelta(days=1))]
    mis = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(IMPORTS, headers=mis, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += ids(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(of(*made)) and len(seen) == 4
    assert seen[-1] == str(made[-1].id)
