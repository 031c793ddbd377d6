"""``/v1/inspection-grants`` end to end: information governance issues, lists and revokes the
windows in which Ofsted and HMIP inspectors may read; nobody else touches them.

What an inspector may read under a grant is pinned down in tests/test_partner_access.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, InspectionGrant, RecipientKind
from tests.conftest import AuthHeaders
from tests.factories import make_recipient, make_school

PROBLEM = "application/problem+json"
RECIPIENTS = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
OFSTED = uuid.uuid5(RECIPIENTS, "ofsted")
HMIP = uuid.uuid5(RECIPIENTS, "hmip")
POLICE = uuid.uuid5(RECIPIENTS, "kent-police")
URNS = (118960, 118961)


@pytest.fixture(autouse=True)
async def schools(session: AsyncSession) -> None:
    for urn in URNS:
        await make_school(session, urn=urn)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def grant_body(**overrides: object) -> dict[str, object]:
    now = datetime.now(UTC)
    body: dict[str, object] = {
        "recipient_id": str(OFSTED),
        "inspector": "ofsted-inspector-1",
        "reference": "ILACS-2026-KENT",
        "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(days=14)).isoformat(),
        "school_urns": list(URNS),
        "data_categories": ["identity_contact", "attendance"],
    }
    body.update(overrides)
    return body


async def count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(InspectionGrant)) or 0)


class TestIssuing:
    async def test_governance_issues_reads_and_revokes_a_grant(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        governance = auth("information_governance", subject="ig-officer-2")
        body = grant_body(school_urns=[URNS[1], URNS[0], URNS[1]])
        created = await client.post("/v1/inspection-grants", json=body, headers=governance)
        assert created.status_code == 201, created.text
        grant = created.json()
        path = f"/v1/inspection-grants/{grant['id']}"
        assert created.headers["location"] == path
        assert grant["school_urns"] == sorted(URNS)
        assert (grant["inspector"], grant["granted_by"]) == ("ofsted-inspector-1", "ig-officer-2")
        assert (grant["active"], grant["revoked_at"]) == (True, None)

        got = await client.get(path, headers=governance)
        assert got.status_code == 200 and got.json() == grant
        etag = got.headers["etag"]
        assert etag == created.headers["etag"]

        assert_problem(await client.post(f"{path}/revocation", headers=governance), 428)
        assert_problem(
            await client.post(f"{path}/revocation", headers={**governance, "If-Match": '"x-1"'}),
            412,
        )
        revoked = await client.post(f"{path}/revocation", headers={**governance, "If-Match": etag})
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["active"] is False
        assert revoked.json()["revoked_by"] == "ig-officer-2"
        assert revoked.headers["etag"] != etag
        again = await client.post(
            f"{path}/revocation", headers={**governance, "If-Match": revoked.headers["etag"]}
        )
        assert_problem(again, 409)

        actions = set(
            await session.scalars(
                select(AuditEvent.action).where(
                    AuditEvent.kind == "change", AuditEvent.resource_id == grant["id"]
                )
            )
        )
        assert actions == {"inspection_grant.issued", "inspection_grant.revoked"}

    @pytest.mark.parametrize(
        ("override", "pointer"),
        [
            ({"recipient_id": str(POLICE)}, "/recipient_id"),
            ({"recipient_id": str(uuid.uuid4())}, "/recipient_id"),
            ({"school_urns": [URNS[0], 999998]}, "/school_urns/1"),
            ({"school_urns": []}, "/school_urns"),
            ({"school_urns": [12]}, "/school_urns/0"),
            ({"data_categories": []}, "/data_categories"),
            ({"inspector": ""}, "/inspector"),
            ({"starts_at": "2026-01-01T00:00:00"}, "/starts_at"),
            ({"reference": "two\nlines"}, "/reference"),
            ({"granted_by": "someone"}, "/granted_by"),
        ],
    )
    async def test_invalid_grants_are_refused_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        override: dict[str, object],
        pointer: str,
    ) -> None:
        response = await client.post(
            "/v1/inspection-grants",
            json=grant_body(**override),
            headers=auth("information_governance"),
        )
        problem = assert_problem(response, 422)
        assert pointer in [e["pointer"] for e in problem["errors"]], problem
        assert await count(session) == 0

    async def test_window_rules(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        governance = auth("information_governance")
        now = datetime.now(UTC)

        async def refused(starts: datetime, ends: datetime) -> dict[str, Any]:
            body = grant_body(starts_at=starts.isoformat(), ends_at=ends.isoformat())
            response = await client.post("/v1/inspection-grants", json=body, headers=governance)
            return assert_problem(response, 422)

        await refused(now + timedelta(days=2), now + timedelta(days=1))  # ends before it starts
        await refused(now, now)  # empty
        await refused(now, now + timedelta(days=90, seconds=1))  # over 90 days
        late = await refused(now - timedelta(days=10), now - timedelta(days=1))
        assert [e["code"] for e in late["errors"]] == ["past"]
        ahead = await refused(now + timedelta(days=400), now + timedelta(days=401))
        assert [e["code"] for e in ahead["errors"]] == ["too_far_ahead"]
        assert await count(session) == 0

        exactly = grant_body(
            starts_at=(now + timedelta(days=1)).isoformat(),
            ends_at=(now + timedelta(days=91)).isoformat(),
        )
        response = await client.post("/v1/inspection-grants", json=exactly, headers=governance)
        assert response.status_code == 201, response.text
        assert response.json()["active"] is False  # not started yet

    async def test_an_inactive_inspectorate_gets_no_grant(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        closed = await make_recipient(session, kind=RecipientKind.INSPECTORATE, active=False)
        response = await client.post(
            "/v1/inspection-grants",
            json=grant_body(recipient_id=str(closed.id)),
            headers=auth("information_governance"),
        )
        assert [e["code"] for e in assert_problem(response, 422)["errors"]] == [
            "inactive_recipient"
        ]

    async def test_idempotent_replay(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        headers = {**auth("information_governance"), "Idempotency-Key": "grant-2026-0001"}
        body = grant_body()
        first = await client.post("/v1/inspection-grants", json=body, headers=headers)
        second = await client.post("/v1/inspection-grants", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert await count(session) == 1


class TestListing:
    async def test_filters_by_state_inspector_and_inspectorate(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        now = datetime.now(UTC)

        def grant(
            inspector: str, starts: timedelta, ends: timedelta, **fields: Any
        ) -> InspectionGrant:
            values: dict[str, Any] = {
                "recipient_id": OFSTED,
                "inspector": inspector,
                "reference": "ref-1",
                "starts_at": now + starts,
                "ends_at": now + ends,
                "school_urns": [URNS[0]],
                "data_categories": ["identity_contact"],
                "granted_by": "ig",
                **fields,
            }
            return InspectionGrant(**values)

        hour = timedelta(hours=1)
        open_now = grant("inspector-a", -hour, hour)
        ended = grant("inspector-a", -3 * hour, -2 * hour)
        future = grant("inspector-b", 2 * hour, 3 * hour, recipient_id=HMIP)
        revoked = grant("inspector-b", -hour, hour, revoked_at=now, revoked_by="ig")
        session.add_all([open_now, ended, future, revoked])
        await session.flush()
        governance = auth("information_governance")

        async def ids(**params: str) -> set[uuid.UUID]:
            response = await client.get("/v1/inspection-grants", params=params, headers=governance)
            assert response.status_code == 200, response.text
            return {uuid.UUID(item["id"]) for item in response.json()["items"]}

        assert await ids() == {open_now.id, ended.id, future.id, revoked.id}
        assert await ids(active="true") == {open_now.id}
        assert await ids(active="false") == {ended.id, future.id, revoked.id}
        assert await ids(inspector="inspector-b") == {future.id, revoked.id}
        assert await ids(recipient_id=str(HMIP)) == {future.id}

        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (
                await client.get("/v1/inspection-grants", params=params, headers=governance)
            ).json()
            seen.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(str(g.id) for g in (open_now, ended, future, revoked))

    async def test_unknown_id_is_404_and_malformed_is_422(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        governance = {**auth("information_governance"), "If-Match": "*"}
        missing = f"/v1/inspection-grants/{uuid.uuid4()}"
        assert_problem(await client.get(missing, headers=governance), 404)
        assert_problem(await client.post(f"{missing}/revocation", headers=governance), 404)
        assert_problem(await client.get("/v1/inspection-grants/nope", headers=governance), 422)


class TestWhoMay:
    @pytest.mark.parametrize(
        "role", ["admin", "attendance_manager", "inspector", "partner", "school_staff"]
    )
    async def test_only_governance_touches_grants(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: str
    ) -> None:
        made = await client.post(
            "/v1/inspection-grants", json=grant_body(), headers=auth("information_governance")
        )
        path = f"/v1/inspection-grants/{made.json()['id']}"
        headers = {**auth(role, subject="ofsted-inspector-1", org="kent-police"), "If-Match": "*"}
        for method, url, body in (
            ("GET", "/v1/inspection-grants", None),
            ("GET", path, None),
            ("POST", "/v1/inspection-grants", grant_body()),
            ("POST", f"{path}/revocation", None),
        ):
            response = await client.request(method, url, json=body, headers=headers)
            assert_problem(response, 403)
        assert await count(session) == 1
        got = await client.get(path, headers=auth("information_governance"))
        assert got.json()["revoked_at"] is None

    async def test_anonymous_is_401_and_grants_are_never_edited(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        for method, path in (
            ("GET", "/v1/inspection-grants"),
            ("POST", "/v1/inspection-grants"),
            ("GET", f"/v1/inspection-grants/{uuid.uuid4()}"),
            ("POST", f"/v1/inspection-grants/{uuid.uuid4()}/revocation"),
        ):
            assert_problem(await client.request(method, path, json={}), 401)
        governance = {**auth("information_governance"), "If-Match": "*"}
        for method in ("PATCH", "DELETE"):
            path = f"/v1/inspection-grants/{uuid.uuid4()}"
            assert_problem(await client.request(method, path, headers=governance), 405)
