"""``/v1/carers``: carers are seen through the pupils they care for, and a carer's record shows
only the pupils the caller may see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AuditEvent,
    Carer,
    CarerRelationship,
    DataSubject,
    Pupil,
    RelationshipType,
    School,
)
from app.rules.kent import District
from tests.case_support import make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import make_carer, make_pupil, make_school, manager_headers, problem_body


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET)


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE)


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> set[str]:
    response = await client.get("/v1/carers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    for path in ("/v1/carers", f"/v1/carers/{uuid.uuid4()}"):
        problem_body(await client.get(path), 401)
    problem_body(await client.patch(f"/v1/carers/{uuid.uuid4()}", json={}), 401)


async def test_manager_sees_carers_of_pupils_in_their_area(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    mine = await make_carer(session, pupil=await make_pupil(session, school=east), surname="Nowak")
    theirs = await make_carer(
        session, pupil=await make_pupil(session, school=west), surname="Nowak"
    )
    unlinked = await make_carer(session, surname="Nowak")
    headers = manager_headers(auth)
    assert await listed(client, headers) == {str(mine.id)}
    assert await listed(client, headers, name="now") == {str(mine.id)}
    assert await listed(client, headers, name="sam now") == {str(mine.id)}
    assert await listed(client, headers, name="nox") == set()
    for hidden in (theirs, unlinked):
        problem_body(await client.get(f"/v1/carers/{hidden.id}", headers=headers), 404)


async def test_a_carer_shows_only_the_pupils_the_caller_may_see(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    near = await make_pupil(session, school=east)
    far = await make_pupil(session, school=west)
    carer = await make_carer(session, pupil=near, email="carer@example.org")
    await make_carer_link(session, carer, far)
    response = await client.get(f"/v1/carers/{carer.id}", headers=manager_headers(auth))
    assert response.status_code == 200, response.text
    assert response.headers["etag"]
    body = response.json()
    assert [p["pupil_id"] for p in body["pupils"]] == [str(near.id)]
    assert body["email"] == "carer@example.org"
    assert body["retain_until"] == "2039-05-16"
    assert "surname_key" not in body
    everyone = auth("information_governance", purpose="subject_rights")
    body = (await client.get(f"/v1/carers/{carer.id}", headers=everyone)).json()
    assert {p["pupil_id"] for p in body["pupils"]} == {str(near.id), str(far.id)}


async def make_carer_link(session: AsyncSession, carer: Carer, pupil: Pupil) -> None:
    session.add(
        CarerRelationship(
            pupil_id=pupil.id,
            carer_id=carer.id,
            relationship_type=RelationshipType.FATHER,
            parental_responsibility=True,
            lives_with=False,
        )
    )
    await session.flush()


async def test_school_staff_see_their_pupils_carers(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    mine = await make_carer(session, pupil=await make_pupil(session, school=east))
    theirs = await make_carer(session, pupil=await make_pupil(session, school=west))
    headers = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
    assert await listed(client, headers) == {str(mine.id)}
    problem_body(await client.get(f"/v1/carers/{theirs.id}", headers=headers), 404)
    refused = await client.patch(
        f"/v1/carers/{mine.id}", json={"title": "Dr"}, headers={**headers, "If-Match": "*"}
    )
    problem_body(refused, 403)


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        ("admin", None),
        ("mis_integration", "attendance_duty"),
        ("licensing_officer", "child_employment_licensing"),
    ],
)
async def test_other_roles_are_refused(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    role: str,
    purpose: str | None,
) -> None:
    carer = await make_carer(session, pupil=await make_pupil(session, school=east))
    headers = auth(role, area_teams=("east",), school_urns=(east.urn,), purpose=purpose)
    for path in ("/v1/carers", f"/v1/carers/{carer.id}"):
        problem_body(await client.get(path, headers=headers), 403)


async def test_an_officer_reads_a_carer_only_through_one_of_their_cases(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil = await make_pupil(session, school=east)
    carer = await make_carer(session, pupil=pupil)
    headers = officer_headers(auth)
    assert (await client.get("/v1/carers", headers=headers)).json()["items"] == []
    problem_body(await client.get(f"/v1/carers/{carer.id}", headers=headers), 404)
    await make_case(session, school=east, pupil=pupil, carer=carer)
    assert (await client.get(f"/v1/carers/{carer.id}", headers=headers)).status_code == 200


async def test_a_restricted_carer_is_hidden(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    carer = await make_carer(session, pupil=await make_pupil(session, school=east))
    subject = await session.get(DataSubject, carer.subject_id)
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    await session.flush()
    headers = manager_headers(auth)
    assert await listed(client, headers) == set()
    problem_body(await client.get(f"/v1/carers/{carer.id}", headers=headers), 404)


async def test_update_renames_clears_and_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    carer = await make_carer(
        session, pupil=await make_pupil(session, school=east), email="old@example.org"
    )
    path, headers = f"/v1/carers/{carer.id}", manager_headers(auth)
    problem_body(await client.patch(path, json={"surname": "Haddad"}, headers=headers), 428)
    stale = {**headers, "If-Match": '"stale-1"'}
    problem_body(await client.patch(path, json={"surname": "Haddad"}, headers=stale), 412)
    etag = (await client.get(path, headers=headers)).headers["etag"]
    response = await client.patch(
        path,
        json={"surname": "Haddad", "email": None, "phone": "01227 763763"},
        headers={**headers, "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["surname"], body["email"], body["phone"]) == ("Haddad", None, "+441227763763")
    assert response.headers["etag"] != etag
    assert await listed(client, headers, name="hadd") == {str(carer.id)}
    bad = await client.patch(
        path,
        json={"forename": None, "email": "nope", "postcode": "ME14"},
        headers={**headers, "If-Match": "*"},
    )
    problem = problem_body(bad, 422)
    assert {e["pointer"] for e in problem["errors"]} == {"/forename", "/email", "/postcode"}  # type: ignore[union-attr]
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "carer.updated", AuditEvent.resource_id == str(carer.id)
        )
    )
    assert event is not None and event.subject_id == carer.subject_id
    assert event.details["fields"] == "email,phone,surname"
