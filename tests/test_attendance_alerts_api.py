"""``GET /v1/attendance/alerts``: who sees which alerts (officers and managers their area
teams' schools, a school its own pupils, nobody else), what an alert shows, and the filters."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AlertKind, AlertStatus, AttendanceAlert
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.policies.registry import PURPOSE_BITS, Purpose
from app.rules.kent import District
from app.services.people import PEOPLE_PURPOSES_MASK
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school

PROBLEM = "application/problem+json"
ALERTS = "/v1/attendance/alerts"
NOW = datetime(2024, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, name="Harbour Primary School", district=District.THANET)


@pytest.fixture
async def east_too(session: AsyncSession) -> School:
    return await make_school(session, name="Cliff Academy", district=District.CANTERBURY)


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, name="Medway Valley School", district=District.MAIDSTONE)


async def make_alert(
    session: AsyncSession,
    pupil: Pupil,
    school: School,
    *,
    kind: AlertKind = AlertKind.PENALTY_THRESHOLD,
    status: AlertStatus = AlertStatus.OPEN,
    raised_at: datetime = NOW,
    period_start: date = date(2024, 9, 2),
    purposes_mask: int | None = None,
) -> AttendanceAlert:
    """An alert as the worker writes it (the recompute has tests of its own)."""
    alert = AttendanceAlert(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        school_urn=school.urn,
        kind=kind,
        status=status,
        period_start=period_start,
        period_end=date(2024, 11, 11),
        possible_sessions=90,
        attended_sessions=78,
        authorised_sessions=2,
        unauthorised_sessions=10,
        raised_at=raised_at,
        updated_at=raised_at,
        withdrawn_at=raised_at + timedelta(days=1) if status is AlertStatus.WITHDRAWN else None,
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask if purposes_mask is None else purposes_mask,
        lawful_basis=pupil.lawful_basis,
    )
    session.add(alert)
    await session.flush()
    return alert


def officer(auth: AuthHeaders, role: str = "attendance_officer", **extra: Any) -> dict[str, str]:
    return auth(role, area_teams=("east",), **extra)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    return body


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(ALERTS, headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ids(items: list[dict[str, Any]]) -> set[str]:
    return {item["id"] for item in items}


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(ALERTS), 401)
    assert_problem(await client.get(f"{ALERTS}/{uuid.uuid4()}"), 401)


@pytest.mark.parametrize("role", ["attendance_officer", "attendance_manager"])
async def test_officers_and_managers_see_their_area_teams_schools_only(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    east_too: School,
    west: School,
    role: str,
) -> None:
    mine = await make_alert(session, await make_pupil(session, school=east), east)
    also_mine = await make_alert(session, await make_pupil(session, school=east_too), east_too)
    theirs = await make_alert(session, await make_pupil(session, school=west), west)
    headers = officer(auth, role)
    assert ids(await listed(client, headers)) == {str(mine.id), str(also_mine.id)}
    response = await client.get(f"{ALERTS}/{mine.id}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    assert response.headers["kpas-decision-id"]
    assert response.json()["id"] == str(mine.id)
    assert_problem(await client.get(f"{ALERTS}/{theirs.id}", headers=headers), 404)
    assert_problem(await client.get(f"{ALERTS}/{uuid.uuid4()}", headers=headers), 404)


async def test_alerts_follow_the_school_that_recorded_the_marks(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    """A pupil now on a west school's roll: the east school's alert is still east's."""
    pupil = await make_pupil(session, school=west)
    alert = await make_alert(session, pupil, east)
    assert ids(await listed(client, officer(auth))) == {str(alert.id)}
    assert await listed(client, auth("attendance_manager", area_teams=("west",))) == []


async def test_a_school_sees_only_its_own_pupils_alerts(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    east_too: School,
) -> None:
    own = await make_alert(session, await make_pupil(session, school=east), east)
    other = await make_alert(session, await make_pupil(session, school=east_too), east_too)
    headers = auth("school_staff", school_urns=(east.urn,))
    assert ids(await listed(client, headers)) == {str(own.id)}
    # Asking for another school's alerts finds none, rather than refusing.
    assert await listed(client, headers, school_urn=east_too.urn) == []
    assert (await client.get(f"{ALERTS}/{own.id}", headers=headers)).status_code == 200
    assert_problem(await client.get(f"{ALERTS}/{other.id}", headers=headers), 404)


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("partner", {"org": "kent-police", "purpose": "prosecution"}),
        ("inspector", {"school_urns": (118950,), "purpose": "statutory_inspection"}),
        ("information_governance", {"purpose": "subject_rights"}),
        ("licensing_officer", {"purpose": "child_employment_licensing"}),
        ("admin", {}),
        ("mis_integration", {"school_urns": (118950,)}),
    ],
)
async def test_everyone_else_is_refused(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    role: str,
    claims: dict[str, Any],
) -> None:
    alert = await make_alert(session, await make_pupil(session, school=east), east)
    headers = auth(role, **claims)
    for path in (ALERTS, f"{ALERTS}/{alert.id}"):
        refused = assert_problem(await client.get(path, headers=headers), 403)
        assert refused["policy"]["rule"]


async def test_a_purpose_other_than_the_attendance_duty_is_refused_naming_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    await make_alert(session, await make_pupil(session, school=east), east)
    refused = assert_problem(
        await client.get(ALERTS, headers=officer(auth, purpose="intervention")), 403
    )
    assert refused["policy"]["allowed_purposes"] == ["attendance_duty"]
    stated = await listed(client, officer(auth, purpose="attendance_duty"))
    assert len(stated) == 1


async def test_an_alert_shows_the_pupils_name_school_and_figures_and_nothing_more(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil = await make_pupil(
        session,
        school=east,
        legal_forename="Alexandra",
        legal_surname="Example",
        preferred_forename="Sasha",
        phone="+447700900123",
        email="pupil@example.org",
    )
    alert = await make_alert(session, pupil, east)
    (item,) = await listed(client, officer(auth))
    assert item == {
        "id": str(alert.id),
        "type": "penalty_threshold",
        "status": "open",
        "pupil": {"id": str(pupil.id), "name": "Sasha Example"},
        "school": {"urn": east.urn, "name": "Harbour Primary School"},
        "period_start": "2024-09-02",
        "period_end": "2024-11-11",
        "figures": {
            "possible_sessions": 90,
            "attended_sessions": 78,
            "authorised_sessions": 2,
            "unauthorised_sessions": 10,
            "attendance_percent": 86.7,
            "absence_percent": 13.3,
        },
        "raised_at": "2024-11-20T09:00:00Z",
        "withdrawn_at": None,
    }
    single = (await client.get(f"{ALERTS}/{alert.id}", headers=officer(auth))).json()
    assert single == item
    for withheld in (pupil.upn, "+447700900123", "pupil@example.org", "2014-05-17", "Alexandra"):
        assert withheld not in str(item)


async def test_restricted_and_past_retention_pupils_alerts_are_invisible(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    restricted = await make_pupil(session, school=east)
    past = await make_pupil(session, school=east)
    visible = await make_pupil(session, school=east)
    hidden = [
        await make_alert(session, restricted, east),
        await make_alert(session, past, east),
    ]
    shown = await make_alert(session, visible, east)
    await session.execute(
        update(DataSubject)
        .where(DataSubject.id == restricted.subject_id)
        .values(restricted_since=NOW)
    )
    await session.execute(
        update(DataSubject)
        .where(DataSubject.id == past.subject_id)
        .values(retain_until=date(2020, 1, 1))
    )
    headers = officer(auth)
    assert ids(await listed(client, headers)) == {str(shown.id)}
    for alert in hidden:
        assert_problem(await client.get(f"{ALERTS}/{alert.id}", headers=headers), 404)


async def test_an_objection_does_not_stop_the_attendance_duty(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    """The duty rests on a legal obligation (Art 6(1)(c)), to which Art 21 gives no right to
    object: the alert stays in view."""
    pupil = await make_pupil(session, school=east)
    alert = await make_alert(session, pupil, east)
    session.add(
        SubjectObjection(
            subject_id=pupil.subject_id,
            purpose=Purpose.ATTENDANCE_DUTY.value,
            status=ObjectionStatus.PENDING,
        )
    )
    await session.flush()
    assert ids(await listed(client, officer(auth))) == {str(alert.id)}


async def test_an_alert_not_held_for_the_attendance_duty_is_invisible(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil = await make_pupil(session, school=east)
    other_purposes = PEOPLE_PURPOSES_MASK & ~PURPOSE_BITS[Purpose.ATTENDANCE_DUTY]
    await make_alert(session, pupil, east, purposes_mask=other_purposes)
    assert await listed(client, officer(auth)) == []


async def test_filters_by_school_district_type_status_and_time_raised(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    east_too: School,
) -> None:
    pupil = await make_pupil(session, school=east)
    elsewhere = await make_pupil(session, school=east_too)
    penalty = await make_alert(session, pupil, east, raised_at=NOW - timedelta(days=10))
    persistent = await make_alert(
        session, pupil, east, kind=AlertKind.PERSISTENT_ABSENCE, period_start=date(2024, 8, 1)
    )
    severe = await make_alert(
        session, pupil, east, kind=AlertKind.SEVERE_ABSENCE, period_start=date(2024, 8, 1)
    )
    other_school = await make_alert(session, elsewhere, east_too)
    withdrawn = await make_alert(
        session,
        elsewhere,
        east_too,
        status=AlertStatus.WITHDRAWN,
        period_start=date(2024, 9, 9),
    )
    headers = officer(auth)
    assert ids(await listed(client, headers)) == {
        str(a.id) for a in (penalty, persistent, severe, other_school)
    }
    assert ids(await listed(client, headers, school_urn=east.urn)) == {
        str(a.id) for a in (penalty, persistent, severe)
    }
    assert ids(await listed(client, headers, district="canterbury")) == {str(other_school.id)}
    assert ids(await listed(client, headers, type="severe_absence")) == {str(severe.id)}
    both = await listed(client, headers, type=["persistent_absence", "severe_absence"])
    assert ids(both) == {str(persistent.id), str(severe.id)}
    (gone,) = await listed(client, headers, status="withdrawn")
    assert gone["id"] == str(withdrawn.id)
    assert gone["status"] == "withdrawn" and gone["withdrawn_at"]
    newly = await listed(client, headers, raised_since=(NOW - timedelta(days=1)).isoformat())
    assert str(penalty.id) not in ids(newly) and len(newly) == 3


async def test_pages_follow_newest_first_without_gaps_or_repeats(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    created = []
    for n in range(5):
        pupil = await make_pupil(session, school=east)
        # Two raised at the same moment: the id breaks the tie.
        raised = NOW - timedelta(hours=min(n, 3))
        created.append(await make_alert(session, pupil, east, raised_at=raised))
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(ALERTS, headers=officer(auth), params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and ids(seen) == {str(a.id) for a in created}
    keys = [(item["raised_at"], item["id"]) for item in seen]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not-a-cursor"},
        {"cursor": "WyJ5ZXN0ZXJkYXkiLCJ4Il0"},  # ["yesterday","x"]
        {"type": "truancy"},
        {"status": "closed"},
        {"school_urn": "12"},
        {"district": "medway"},
        {"raised_since": "2024-11-20"},
        {"limit": "0"},
        {"limit": "201"},
    ],
)
async def test_bad_query_parameters_are_422(
    client: httpx.AsyncClient, auth: AuthHeaders, params: dict[str, str]
) -> None:
    assert_problem(await client.get(ALERTS, headers=officer(auth), params=params), 422)


async def test_alerts_the_recompute_raised_are_listed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    """End to end: marks in, the worker's pass, the officer's list."""
    from app.services.attendance_recompute import recompute
    from tests.attendance_support import every_session, school_days, write_marks

    pupil = await make_pupil(session, school=east)
    week = date(2024, 9, 2)
    await write_marks(
        session,
        pupil_id=pupil.id,
        school_urn=east.urn,
        marks=every_session(school_days(week, week + timedelta(days=4)), "N"),
    )
    await recompute(session)
    items = await listed(client, officer(auth))
    assert {item["type"] for item in items} == {
        "penalty_threshold",
        "persistent_absence",
        "severe_absence",
    }
    assert all(item["pupil"]["id"] == str(pupil.id) for item in items)
