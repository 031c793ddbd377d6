"""Registered API clients (``/v1/clients``) and the client credentials grant
(``POST /v1/oauth/token``): secrets shown once and stored hashed; tokens carry the client's
role and scope; wrong, unknown and inactive clients are refused alike."""

from __future__ import annotations

import base64
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.auth.tokens import TokenVerifier
from app.models import ApiClient
from tests.factories import make_school
from tests.test_schools_api import assert_problem

TOKEN_URL = "/v1/oauth/token"


def bearer(app: FastAPI, *roles: Role, subject: str = "admin-1") -> dict[str, str]:
    token = app.state.token_issuer.issue(subject=subject, roles=roles or [Role.ADMIN])
    return {"Authorization": f"Bearer {token.access_token}"}


def mis_body(*urns: int, **overrides: Any) -> dict[str, Any]:
    return {"name": "Arbor MIS (Dover)", "role": "mis_integration", "school_urns": list(urns)} | (
        overrides
    )


def partner_body(**overrides: Any) -> dict[str, Any]:
    return {"name": "Kent Police", "role": "partner", "org": "kent_police"} | overrides


async def register(app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/clients", json=body, headers=bearer(app))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def grant(client_id: str, secret: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret} | (
        extra
    )


class TestAccess:
    ROUTES = [
        ("GET", "/v1/clients"),
        ("POST", "/v1/clients"),
        ("GET", f"/v1/clients/{uuid.UUID(int=1)}"),
        ("PATCH", f"/v1/clients/{uuid.UUID(int=1)}"),
        ("POST", f"/v1/clients/{uuid.UUID(int=1)}/secret"),
        ("DELETE", f"/v1/clients/{uuid.UUID(int=1)}"),
    ]

    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_anonymous_is_a_401(
        self, client: httpx.AsyncClient, method: str, path: str
    ) -> None:
        response = await client.request(method, path, json={}, headers={"If-Match": "*"})
        assert_problem(response, 401)

    @pytest.mark.parametrize("role", [Role.ATTENDANCE_MANAGER, Role.MIS_INTEGRATION])
    @pytest.mark.parametrize(("method", "path"), ROUTES)
    async def test_other_roles_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, method: str, path: str, role: Role
    ) -> None:
        headers = {**bearer(app, role), "If-Match": "*"}
        response = await client.request(method, path, json={}, headers=headers)
        assert_problem(response, 403)


class TestCreate:
    async def test_mis_client_gets_its_secret_once(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118800)
        response = await client.post("/v1/clients", json=mis_body(118800), headers=bearer(app))
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["location"] == f"/v1/clients/{created['client_id']}"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["etag"]
        assert created["role"] == "mis_integration"
        assert created["school_urns"] == [118800]
        assert created["active"] is True
        secret = created["client_secret"]
        assert secret.startswith("kpas_cs_") and len(secret) > 40

        # never again: not on read, not in lists
        read = await client.get(f"/v1/clients/{created['client_id']}", headers=bearer(app))
        listed = await client.get("/v1/clients", headers=bearer(app))
        for response in (read, listed):
            assert response.status_code == 200
            assert secret not in response.text
            assert "secret" not in response.text

        # stored as an Argon2id hash only
        row = await session.scalar(
            select(ApiClient).where(ApiClient.id == uuid.UUID(created["client_id"]))
        )
        assert row is not None
        assert row.secret_hash.startswith("$argon2id$")
        assert secret not in row.secret_hash

    async def test_partner_client(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        created = await register(app, client, partner_body())
        assert (created["role"], created["org"], created["school_urns"]) == (
            "partner",
            "kent_police",
            [],
        )

    @pytest.mark.parametrize(
        "body",
        [
            mis_body(),  # an MIS integration needs its schools
            mis_body(118800, org="arbor"),  # ... and no org
            partner_body(org=None),  # a partner needs its org
            partner_body(school_urns=[118800]),  # ... and no schools
            partner_body(role="admin"),  # staff roles come from the IdP
            partner_body(role="attendance_officer"),
            partner_body(org="Kent Police"),  # org is a code
            mis_body(118800, 118800),  # repeated school
            mis_body(12345),  # not a URN
            partner_body(client_secret="chosen-by-me"),  # unknown field
        ],
    )
    async def test_invalid_registrations_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient, body: dict[str, Any]
    ) -> None:
        body = {k: v for k, v in body.items() if v is not None}
        response = await client.post("/v1/clients", json=body, headers=bearer(app))
        assert_problem(response, 422)

    async def test_unregistered_school_is_refused(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        response = await client.post("/v1/clients", json=mis_body(999997), headers=bearer(app))
        body = assert_problem(response, 422)
        assert body["errors"][0]["pointer"] == "/school_urns"  # type: ignore[index]


class TestReadAndList:
    async def test_get_carries_an_etag(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        created = await register(app, client, partner_body())
        response = await client.get(f"/v1/clients/{created['client_id']}", headers=bearer(app))
        assert response.status_code == 200
        assert response.headers["etag"] == f'"{response.headers["etag"].strip(chr(34))}"'
        assert response.json()["client_id"] == created["client_id"]

    async def test_unknown_client_is_a_404(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/v1/clients/{uuid.uuid4()}", headers=bearer(app))
        assert_problem(response, 404)

    async def test_pages_through_every_client_once(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118810)
        ids = {
            (await register(app, client, partner_body(org=f"org{i}")))["client_id"]
            for i in range(5)
        }
        ids.add((await register(app, client, mis_body(118810)))["client_id"])
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/clients", params=params, headers=bearer(app))).json()
            seen += [item["client_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(ids) and len(seen) == len(ids)
        partners = await client.get("/v1/clients", params={"role": "partner"}, headers=bearer(app))
        assert {c["role"] for c in partners.json()["items"]} == {"partner"}
        assert len(partners.json()["items"]) == 5

    @pytest.mark.parametrize("cursor", ["nonsense", "WyJub3QtYS11dWlkIl0"])
    async def test_bad_cursor_is_a_422(
        self, app: FastAPI, client: httpx.AsyncClient, cursor: str
    ) -> None:
        response = await client.get("/v1/clients", params={"cursor": cursor}, headers=bearer(app))
        assert_problem(response, 422)


class TestChange:
    async def test_deactivate_with_if_match(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        created = await register(app, client, partner_body())
        path = f"/v1/clients/{created['client_id']}"
        etag = (await client.get(path, headers=bearer(app))).headers["etag"]
        response = await client.patch(
            path, json={"active": False}, headers={**bearer(app), "If-Match": etag}
        )
        assert response.status_code == 200, response.text
        assert response.json()["active"] is False
        assert response.headers["etag"] != etag
        stale = await client.patch(
            path, json={"name": "Renamed"}, headers={**bearer(app), "If-Match": etag}
        )
        assert_problem(stale, 412)
        missing = await client.patch(path, json={"name": "Renamed"}, headers=bearer(app))
        assert_problem(missing, 428)

    async def test_scope_must_still_fit_the_role(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await register(app, client, partner_body())
        path = f"/v1/clients/{created['client_id']}"
        headers = {**bearer(app), "If-Match": "*"}
        response = await client.patch(path, json={"school_urns": [118800]}, headers=headers)
        body = assert_problem(response, 422)
        assert body["errors"][0]["pointer"] == "/school_urns"  # type: ignore[index]
        assert_problem(await client.patch(path, json={"org": None}, headers=headers), 422)

    async def test_rotated_secret_replaces_the_old_one(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await register(app, client, partner_body())
        path = f"/v1/clients/{created['client_id']}/secret"
        assert_problem(await client.post(path, headers=bearer(app)), 428)
        response = await client.post(path, headers={**bearer(app), "If-Match": "*"})
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        new_secret = response.json()["client_secret"]
        assert new_secret != created["client_secret"]
        old = await client.post(
            TOKEN_URL, data=grant(created["client_id"], created["client_secret"])
        )
        assert old.status_code == 401
        new = await client.post(TOKEN_URL, data=grant(created["client_id"], new_secret))
        assert new.status_code == 200

    async def test_delete_removes_the_client(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        created = await register(app, client, partner_body())
        path = f"/v1/clients/{created['client_id']}"
        response = await client.delete(path, headers={**bearer(app), "If-Match": "*"})
        assert response.status_code == 204
        assert_problem(await client.get(path, headers=bearer(app)), 404)
        token = await client.post(
            TOKEN_URL, data=grant(created["client_id"], created["client_secret"])
        )
        assert token.status_code == 401


class TestClientCredentials:
    async def test_mis_client_gets_a_token_with_its_schools(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118820)
        await make_school(session, urn=118821)
        created = await register(app, client, mis_body(118821, 118820))
        response = await client.post(
            TOKEN_URL, data=grant(created["client_id"], created["client_secret"], scope="any")
        )
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        body = response.json()
        assert body["token_type"] == "Bearer"
        assert body["expires_in"] == app.state.settings.token_ttl_seconds
        verifier: TokenVerifier = app.state.token_verifier
        principal = await verifier.verify(body["access_token"])
        assert principal.roles == {Role.MIS_INTEGRATION}
        assert principal.school_urns == {118820, 118821}
        assert principal.client_id == created["client_id"]
        assert principal.subject == created["client_id"]
        assert principal.org is None
        # a machine client is not an administrator
        listed = await client.get(
            "/v1/clients", headers={"Authorization": f"Bearer {body['access_token']}"}
        )
        assert_problem(listed, 403)

    async def test_partner_token_carries_its_org_and_basic_auth_works(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await register(app, client, partner_body())
        # RFC 6749 §2.3.1: form-encode, then Basic
        pair = f"{quote(created['client_id'])}:{quote(created['client_secret'], safe='')}"
        basic = base64.b64encode(pair.encode()).decode()
        response = await client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 200, response.text
        principal = await app.state.token_verifier.verify(response.json()["access_token"])
        assert (principal.roles, principal.org) == ({Role.PARTNER}, "kent_police")

    async def test_wrong_secret_unknown_and_inactive_clients_look_the_same(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await register(app, client, partner_body())
        inactive = await register(app, client, partner_body(org="nhs_kent"))
        await client.patch(
            f"/v1/clients/{inactive['client_id']}",
            json={"active": False},
            headers={**bearer(app), "If-Match": "*"},
        )
        attempts = [
            grant(created["client_id"], "kpas_cs_wrong"),
            grant(str(uuid.uuid4()), created["client_secret"]),
            grant("not-a-uuid", created["client_secret"]),
            grant(inactive["client_id"], inactive["client_secret"]),
        ]
        bodies = []
        for form in attempts:
            response = await client.post(TOKEN_URL, data=form)
            assert response.status_code == 401, response.text
            assert response.headers["www-authenticate"] == 'Basic realm="kpas"'
            assert response.headers["cache-control"] == "no-store"
            bodies.append(response.json())
        assert all(
            b == {"error": "invalid_client", "error_description": bodies[0]["error_description"]}
            for b in bodies
        )

    @pytest.mark.parametrize(
        ("form", "status", "error"),
        [
            ({"client_id": "x", "client_secret": "y"}, 400, "invalid_request"),
            (
                {"grant_type": "password", "username": "a", "password": "b"},
                400,
                "unsupported_grant_type",
            ),
            ({"grant_type": "authorization_code", "code": "c"}, 400, "unsupported_grant_type"),
            ({"grant_type": "client_credentials"}, 401, "invalid_client"),
            ({"grant_type": "client_credentials", "client_id": "x"}, 401, "invalid_client"),
        ],
    )
    async def test_malformed_requests_get_rfc6749_errors(
        self, client: httpx.AsyncClient, form: dict[str, str], status: int, error: str
    ) -> None:
        response = await client.post(TOKEN_URL, data=form)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"] == error

    async def test_two_authentication_methods_at_once_are_refused(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        created = await register(app, client, partner_body())
        basic = base64.b64encode(f"{created['client_id']}:x".encode()).decode()
        response = await client.post(
            TOKEN_URL,
            data=grant(created["client_id"], created["client_secret"]),
            headers={"Authorization": f"Basic {basic}"},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_request"

    async def test_json_body_is_a_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post(TOKEN_URL, json={"grant_type": "client_credentials"})
        assert_problem(response, 415)
