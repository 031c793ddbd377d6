"""``GET /v1/cases/{id}/chronology``: the court-bundle chronology, as JSON or as a printable,
self-contained HTML page (by ``Accept``), every export audited."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.rules.kent import District
from tests.case_support import CASE_URN, CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school

SCRIPT = "<script>alert('x')</script> & \"quotes\""


@pytest.fixture
async def world(session: AsyncSession) -> CaseWorld:
    school = await make_school(session, urn=CASE_URN, district=District.THANET)
    pupil = await make_pupil(
        session,
        school=school,
        legal_forename="Isla",
        legal_surname="Tillbrook",
        date_of_birth=date(2016, 4, 12),
    )
    carer = await make_carer(session, pupil=pupil, forename="Evie", surname="Tillbrook")
    return await make_case(
        session,
        school=school,
        pupil=pupil,
        carer=carer,
        opened_on=date.today() - timedelta(days=20),
    )


@pytest.fixture
def officer(auth: AuthHeaders) -> dict[str, str]:
    return officer_headers(auth)


def path(world: CaseWorld) -> str:
    return f"/v1/cases/{world.case.id}/chronology"


async def record(
    client: httpx.AsyncClient, world: CaseWorld, headers: dict[str, str], days: int, text: str
) -> None:
    response = await client.post(
        f"/v1/cases/{world.case.id}/events",
        json={
            "kind": "home_visit",
            "occurred_at": (datetime.now(UTC) - timedelta(days=days)).isoformat(),
            "text": text,
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text


async def test_the_json_export_names_the_case_the_people_and_every_entry_in_order(
    client: httpx.AsyncClient, session: AsyncSession, world: CaseWorld, officer: dict[str, str]
) -> None:
    await record(client, world, officer, 2, "Second visit.")
    await record(client, world, officer, 9, "First visit.")
    response = await client.get(path(world), headers=officer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["reference"] == world.case.reference
    assert body["pupil"]["id"] == str(world.pupil.id)
    assert (body["pupil"]["legal_forename"], body["pupil"]["legal_surname"]) == (
        "Isla",
        "Tillbrook",
    )
    assert body["pupil"]["date_of_birth"] == "2016-04-12"
    assert [(p["carer_id"], p["forename"]) for p in body["parties"]] == [
        (str(world.carer.id), "Evie")
    ]
    assert [e["text"] for e in body["entries"]] == ["First visit.", "Second visit.", None]
    assert all(e["recorded_by"] and e["recorded_at"] for e in body["entries"])
    assert body["exported_by"] == "officer-1"

    exported = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "case.chronology_exported")
        )
    ).all()
    assert [(e.resource_id, e.details) for e in exported] == [
        (str(world.case.id), {"format": "json", "entries": 3})
    ]


async def test_the_html_export_is_printable_self_contained_and_escaped(
    client: httpx.AsyncClient, world: CaseWorld, officer: dict[str, str]
) -> None:
    await record(client, world, officer, 1, SCRIPT)
    response = await client.get(path(world), headers={**officer, "Accept": "text/html"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src" not in response.headers["content-security-policy"]
    assert response.headers["vary"] == "Accept"
    page = response.text
    title = re.search(r"<title>(.*)</title>", page)
    assert title is not None and world.case.reference in title.group(1)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert "@media print" in page
    assert not re.search(r"(src|href)\s*=", page)  # nothing loaded from anywhere
    assert "Isla Tillbrook" in page and "12 April 2016" in page and "Evie" in page


async def test_a_media_type_neither_json_nor_html_is_406(
    client: httpx.AsyncClient, world: CaseWorld, officer: dict[str, str]
) -> None:
    response = await client.get(path(world), headers={**officer, "Accept": "application/pdf"})
    assert_problem(response, 406)
    fallback = await client.get(path(world), headers={**officer, "Accept": "*/*"})
    assert fallback.headers["content-type"].startswith("application/json")


async def test_the_export_is_for_those_who_work_on_the_case(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders, world: CaseWorld
) -> None:
    stranger = officer_headers(auth, subject="officer-9", area_team="west")
    assert_problem(await client.get(path(world), headers=stranger), 404)
    school = auth("school_staff", school_urns=(world.school.urn,), purpose="attendance_duty")
    assert_problem(await client.get(path(world), headers=school), 403)
    other = await make_case(session, school=world.school, officer="officer-2")
    assert_problem(
        await client.get(f"/v1/cases/{other.case.id}/chronology", headers=officer_headers(auth)),
        404,
    )
