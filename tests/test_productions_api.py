"""``/v1/productions``: the productions children perform in, with the facts that decide whether
a licence is needed. Licensing officers record and change them; information governance reads
them; the producer must be an adult person the officer may see."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.licences import Production
from app.models.subjects import DataSubject
from tests.conftest import AuthHeaders
from tests.factories import assert_problem

LICENSING = "child_employment_licensing"


def officer(auth: AuthHeaders) -> dict[str, str]:
    return auth("licensing_officer", subject="licensing-1", purpose=LICENSING)


async def person(client: httpx.AsyncClient, auth: AuthHeaders, **body: Any) -> dict[str, Any]:
    sent = {"legal_forename": "Marcus", "legal_surname": "Hallow", "person_type": "adult", **body}
    response = await client.post("/v1/people", json=sent, headers=officer(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
async def producer(client: httpx.AsyncClient, auth: AuthHeaders) -> dict[str, Any]:
    return await person(client, auth, organisation="Bluebell Lane Productions Ltd (synthetic)")


def production_body(producer_id: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "The Snow Queen (synthetic)",
        "kind": "theatre",
        "company": "Bluebell Lane Productions Ltd (synthetic)",
        "producer_id": producer_id,
        "venue": "Marlowe Studio, Canterbury",
        "charge_made": True,
        "licensed_premises": False,
        "broadcast_or_recorded": False,
    }
    body.update(overrides)
    return body


async def create(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/productions", json=body, headers=officer(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/productions/{created['id']}"
    assert response.headers["ETag"]
    return created


async def productions_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Production.id))) or 0)


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/productions", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_create_list_search_and_get(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, producer: dict[str, Any]
) -> None:
    snow = await create(client, auth, production_body(producer["id"]))
    assert snow["body_of_persons_approval"] is None
    assert snow["created_by"] == "licensing-1"
    assert "title_key" not in snow
    other_producer = await person(client, auth, legal_forename="Jo", organisation="Elm Films")
    advert = await create(
        client,
        auth,
        production_body(
            other_producer["id"],
            title="Équipe Crisps Advert (synthetic)",
            kind="advertising",
            broadcast_or_recorded=True,
            body_of_persons_approval="BOPA/2026/0147",
        ),
    )
    headers = officer(auth)
    assert await listed(client, headers) == [advert["id"], snow["id"]]
    assert await listed(client, headers, title="the snow") == [snow["id"]]
    assert await listed(client, headers, title="EQUIPE") == [advert["id"]]
    assert await listed(client, headers, kind="advertising") == [advert["id"]]
    assert await listed(client, headers, producer_id=producer["id"]) == [snow["id"]]
    first = (await client.get("/v1/productions", params={"limit": 1}, headers=headers)).json()
    assert [p["id"] for p in first["items"]] == [advert["id"]]
    rest = await listed(client, headers, limit=1, cursor=first["next_cursor"])
    assert rest == [snow["id"]]
    got = await client.get(f"/v1/productions/{snow['id']}", headers=headers)
    assert got.status_code == 200, got.text
    assert got.json() == snow and got.headers["ETag"]
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "production.created", AuditEvent.resource_id == snow["id"]
        )
    )
    assert event is not None and event.subject_id is None


async def test_the_producer_must_be_an_adult_the_officer_may_see(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, producer: dict[str, Any]
) -> None:
    child = await person(client, auth, person_type="child", date_of_birth="2015-02-11")
    restricted = await person(client, auth, legal_forename="Rae")
    subject = await session.get(DataSubject, uuid.UUID(restricted["subject_id"]))
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    await session.flush()
    before = await productions_count(session)
    details = set()
    for producer_id in (child["id"], restricted["id"], str(uuid.uuid4())):
        response = await client.post(
            "/v1/productions", json=production_body(producer_id), headers=officer(auth)
        )
        problem = assert_problem(response, 422)
        errors: Any = problem["errors"]
        assert [e["pointer"] for e in errors] == ["/producer_id"]
        details.add(problem["detail"])
    assert len(details) == 1
    assert await productions_count(session) == before
    # The same check on a change of producer.
    made = await create(client, auth, production_body(producer["id"]))
    changed = await client.patch(
        f"/v1/productions/{made['id']}",
        json={"producer_id": child["id"]},
        headers={**officer(auth), "If-Match": "*"},
    )
    assert_problem(changed, 422)


@pytest.mark.parametrize(
    "change",
    [
        {"charge_made": "yes"},
        {"kind": "circus"},
        {"title": ""},
        {"sponsor": "Elm Films"},
    ],
)
async def test_bad_fields_are_refused_and_nothing_is_written(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    producer: dict[str, Any],
    change: dict[str, Any],
) -> None:
    before = await productions_count(session)
    response = await client.post(
        "/v1/productions", json=production_body(producer["id"], **change), headers=officer(auth)
    )
    assert_problem(response, 422)
    missing = production_body(producer["id"])
    del missing["venue"]
    response = await client.post("/v1/productions", json=missing, headers=officer(auth))
    assert_problem(response, 422)
    assert await productions_count(session) == before


async def test_a_change_needs_the_current_etag(
    client: httpx.AsyncClient, auth: AuthHeaders, producer: dict[str, Any]
) -> None:
    made = await create(
        client, auth, production_body(producer["id"], body_of_persons_approval="BOPA/2026/0147")
    )
    url = f"/v1/productions/{made['id']}"
    change = {"venue": "Gulbenkian Theatre, Canterbury", "title": "Snow Queen Tour (synthetic)"}
    assert_problem(await client.patch(url, json=change, headers=officer(auth)), 428)
    stale = {**officer(auth), "If-Match": '"0000-9"'}
    assert_problem(await client.patch(url, json=change, headers=stale), 412)
    etag = (await client.get(url, headers=officer(auth))).headers["ETag"]
    changed = await client.patch(url, json=change, headers={**officer(auth), "If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["venue"] == "Gulbenkian Theatre, Canterbury"
    assert changed.headers["ETag"] != etag
    assert await listed(client, officer(auth), title="snow queen t") == [made["id"]]
    headers = {**officer(auth), "If-Match": changed.headers["ETag"]}
    cleared = await client.patch(url, json={"body_of_persons_approval": None}, headers=headers)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["body_of_persons_approval"] is None
    again = {**officer(auth), "If-Match": "*"}
    assert_problem(await client.patch(url, json={"venue": None}, headers=again), 422)
    assert_problem(await client.patch(url, json={"kind": "circus"}, headers=again), 422)


async def test_an_unknown_id_is_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    missing = f"/v1/productions/{uuid.uuid4()}"
    assert_problem(await client.get(missing, headers=officer(auth)), 404)
    response = await client.patch(
        missing, json={"venue": "Elsewhere"}, headers={**officer(auth), "If-Match": "*"}
    )
    assert_problem(response, 404)


async def test_governance_reads_and_others_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, producer: dict[str, Any]
) -> None:
    made = await create(client, auth, production_body(producer["id"]))
    governance = auth("information_governance", subject="ig-1")
    assert await listed(client, governance) == [made["id"]]
    got = await client.get(f"/v1/productions/{made['id']}", headers=governance)
    assert got.status_code == 200, got.text
    refused_write = await client.post(
        "/v1/productions", json=production_body(producer["id"]), headers=governance
    )
    assert_problem(refused_write, 403)
    before = await productions_count(session)
    for role in ("attendance_officer", "attendance_manager", "school_staff", "admin"):
        headers = auth(role, area_teams=("east",), school_urns=(118990,))
        for response in (
            await client.get("/v1/productions", headers=headers),
            await client.get(f"/v1/productions/{made['id']}", headers=headers),
            await client.post(
                "/v1/productions", json=production_body(producer["id"]), headers=headers
            ),
            await client.patch(
                f"/v1/productions/{made['id']}",
                json={"venue": "Elsewhere"},
                headers={**headers, "If-Match": "*"},
            ),
        ):
            problem = assert_problem(response, 403)
            assert problem["policy"], role
    assert await productions_count(session) == before
    assert_problem(await client.get("/v1/productions"), 401)
