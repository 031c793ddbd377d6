"""``GET /v1/roll-pushes``: the pushes that replaced a school's roll, read from the audit
trail, with the counts each push's response gave; newest first, filtered and cursor
paginated; another school's never."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.schools import School
from app.models.subjects import DataSubject
from app.rules.kent import District
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school, make_upn

PUSHES = "/v1/roll-pushes"
AS_OF = date(2026, 11, 27)


def pupil_row(upn: str | None = None, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "upn": upn or make_upn(),
        "legal_forename": "Alex",
        "legal_surname": "Example",
        "date_of_birth": "2014-05-17",
        "gender": "female",
        "on_roll_from": "2024-09-01",
    }
    row.update(overrides)
    return row


async def push(
    client: httpx.AsyncClient,
    urn: int,
    headers: dict[str, str],
    *rows: dict[str, Any],
    as_of: date = AS_OF,
) -> dict[str, Any]:
    body = {"as_of": as_of.isoformat(), "pupils": list(rows)}
    response = await client.put(f"/v1/schools/{urn}/roll", json=body, headers=headers)
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


async def listed(
    client: httpx.AsyncClient, headers: dict[str, str], **params: Any
) -> list[dict[str, Any]]:
    response = await client.get(PUSHES, headers=headers, params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


COUNTS = (
    "as_of",
    "pupils_on_roll",
    "joined",
    "updated",
    "unchanged",
    "held_for_review",
    "left",
    "carers_created",
    "carers_updated",
)


def counts(item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in COUNTS}


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
async def other_school(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
def mis(auth: AuthHeaders, school: School) -> dict[str, str]:
    return auth("mis_integration", subject="mis-1", school_urns=(school.urn,))


@pytest.fixture
async def history(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    mis: dict[str, str],
) -> dict[str, dict[str, Any]]:
    """Two pushes for the school (pupils joining, then one updated), one for the other."""
    first, second = pupil_row(), pupil_row()
    pushed = {"joined": await push(client, school.urn, mis, first, second)}
    changed = {**first, "legal_forename": "Alexandra"}
    pushed["updated"] = await push(
        client, school.urn, mis, changed, second, as_of=date(2026, 11, 30)
    )
    theirs = auth("mis_integration", subject="mis-9", school_urns=(other_school.urn,))
    pushed["theirs"] = await push(client, other_school.urn, theirs, pupil_row())
    return pushed


async def test_the_information_system_reads_back_its_pushes_newest_first(
    client: httpx.AsyncClient,
    school: School,
    mis: dict[str, str],
    history: dict[str, dict[str, Any]],
) -> None:
    items = await listed(client, mis)
    assert [counts(item) for item in items] == [
        counts(history["updated"]),
        counts(history["joined"]),
    ]
    assert (items[1]["joined"], items[0]["updated"], items[0]["unchanged"]) == (2, 1, 1)
    assert {item["school_urn"] for item in items} == {school.urn}
    assert {item["pushed_by"] for item in items} == {"mis-1"}
    assert items[0]["pushed_at"] >= items[1]["pushed_at"]
    assert items[0]["id"] != items[1]["id"]


async def test_a_client_of_another_school_gets_nothing_of_this_one(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    history: dict[str, dict[str, Any]],
) -> None:
    other = auth("mis_integration", subject="mis-9", school_urns=(other_school.urn,))
    items = await listed(client, other)
    assert [counts(item) for item in items] == [counts(history["theirs"])]
    assert await listed(client, other, school_urn=school.urn) == []
    nobody = auth("mis_integration", subject="mis-7", school_urns=(999999,))
    assert await listed(client, nobody) == []


async def test_school_staff_see_their_school_and_managers_their_area_team(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    history: dict[str, dict[str, Any]],
) -> None:
    ours = [counts(history["updated"]), counts(history["joined"])]
    staff = auth("school_staff", subject="staff-1", school_urns=(school.urn,))
    assert [counts(item) for item in await listed(client, staff)] == ours
    manager = auth("attendance_manager", subject="mgr-1", area_teams=(school.area_team,))
    assert [counts(item) for item in await listed(client, manager)] == ours
    assert school.area_team != other_school.area_team
    elsewhere = auth("attendance_manager", subject="mgr-9", area_teams=(other_school.area_team,))
    assert [counts(item) for item in await listed(client, elsewhere)] == [counts(history["theirs"])]


async def test_held_rows_read_as_the_push_reported_them(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    mis: dict[str, str],
) -> None:
    """A row whose pupil's processing is restricted is counted as unchanged, as the push's
    response counted it: the history tells the school no more than the push did."""
    restricted = await make_pupil(session, school=school, legal_surname="Kept")
    subject = await session.get(DataSubject, restricted.subject_id)
    assert subject is not None and restricted.upn is not None
    subject.restricted_since = datetime(2026, 11, 1, tzinfo=UTC)
    await session.flush()
    row = pupil_row(restricted.upn, legal_surname="Changed")
    summary = await push(client, school.urn, mis, row, pupil_row())
    (item,) = await listed(client, mis)
    assert counts(item) == counts(summary)
    assert (item["unchanged"], item["joined"]) == (1, 1)
    assert "held" not in item


@pytest.mark.parametrize(
    "role", ["attendance_officer", "admin", "information_governance", "licensing_officer"]
)
async def test_other_roles_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, school: School, role: str
) -> None:
    headers = auth(role, school_urns=(school.urn,), area_teams=(school.area_team,))
    response = await client.get(PUSHES, headers=headers)
    assert response.status_code == 403, response.text
    assert response.json()["policy"]["rule"]


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    assert (await client.get(PUSHES)).status_code == 401


async def test_filters_and_pages(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    history: dict[str, dict[str, Any]],
) -> None:
    both = auth("mis_integration", subject="mis-1", school_urns=(school.urn, other_school.urn))
    everything = await listed(client, both)
    assert len(everything) == 3
    theirs = await listed(client, both, school_urn=other_school.urn)
    assert [counts(item) for item in theirs] == [counts(history["theirs"])]
    newest = everything[0]["pushed_at"]
    assert await listed(client, both, pushed_since=newest) == everything[:1]
    assert await listed(client, both, pushed_before=newest) == everything[1:] or (
        # pushes within one clock tick share a time: none is then strictly before it
        everything[1]["pushed_at"] == newest
    )
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        response = await client.get(PUSHES, headers=both, params=params)
        assert response.status_code == 200, response.text
        seen += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
