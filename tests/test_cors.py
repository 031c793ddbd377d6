"""CORS for the council's browser front ends: none at all unless origins are configured; an
allowed origin gets the headers on real requests and preflights, with the response headers
clients read exposed; any other origin gets none; credentials are never allowed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.settings import Environment, Settings
from tests.conftest import make_settings

ORIGIN = "https://attendance.kent.gov.uk"
ELSEWHERE = "https://evil.example"
EXPOSED = {
    "etag",
    "location",
    "kpas-decision-id",
    "x-request-id",
    "idempotent-replayed",
    "retry-after",
}
REQUESTED = "authorization, content-type, if-match, idempotency-key, kpas-purpose, x-request-id"


def cors_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


@pytest.fixture
def cors_app(migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    settings = make_settings(str(migrated_engine.url), cors_allowed_origins=[ORIGIN])
    database = Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    return create_app(settings, database)


@pytest.fixture
async def cors_client(cors_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=cors_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as c:
        yield c


def bearer(app: FastAPI) -> dict[str, str]:
    issued = app.state.token_issuer.issue(subject="staff-1", roles=[Role.ATTENDANCE_OFFICER])
    return {"Authorization": f"Bearer {issued.access_token}"}


def preflight(origin: str, method: str = "POST") -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": REQUESTED,
    }


async def test_no_cors_headers_by_default(client: httpx.AsyncClient, app: FastAPI) -> None:
    assert app.state.settings.cors_allowed_origins == []
    response = await client.get("/v1/schools", headers={"Origin": ORIGIN, **bearer(app)})
    assert response.status_code == 200
    assert cors_headers(response) == {}
    response = await client.options("/v1/schools", headers=preflight(ORIGIN))
    assert cors_headers(response) == {}


async def test_an_allowed_origin_gets_the_headers_on_a_real_request(
    cors_client: httpx.AsyncClient, cors_app: FastAPI
) -> None:
    response = await cors_client.get("/v1/schools", headers={"Origin": ORIGIN, **bearer(cors_app)})
    assert response.status_code == 200
    headers = cors_headers(response)
    assert headers["access-control-allow-origin"] == ORIGIN
    exposed = {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}
    assert exposed == EXPOSED
    assert "access-control-allow-credentials" not in headers
    assert "origin" in response.headers["vary"].lower()
    # A refusal is readable by the front end too.
    refused = await cors_client.get("/v1/schools", headers={"Origin": ORIGIN})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == ORIGIN


async def test_an_allowed_origin_gets_its_preflight_answered(
    cors_client: httpx.AsyncClient,
) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = await cors_client.options("/v1/schools", headers=preflight(ORIGIN, method))
        assert response.status_code == 200, (method, response.text)
        headers = cors_headers(response)
        assert headers["access-control-allow-origin"] == ORIGIN
        assert method in headers["access-control-allow-methods"]
        allowed = {h.strip().lower() for h in headers["access-control-allow-headers"].split(",")}
        assert {h.strip() for h in REQUESTED.split(",")} <= allowed
        assert "access-control-allow-credentials" not in headers


async def test_another_origin_gets_no_cors_headers(
    cors_client: httpx.AsyncClient, cors_app: FastAPI
) -> None:
    for origin in (ELSEWHERE, ORIGIN + ".evil.example", "http://attendance.kent.gov.uk"):
        response = await cors_client.get(
            "/v1/schools", headers={"Origin": origin, **bearer(cors_app)}
        )
        assert "access-control-allow-origin" not in response.headers
        response = await cors_client.options("/v1/schools", headers=preflight(origin))
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers


async def test_a_header_the_api_does_not_read_is_not_allowed_in_a_preflight(
    cors_client: httpx.AsyncClient,
) -> None:
    headers = {**preflight(ORIGIN), "Access-Control-Request-Headers": "authorization, cookie"}
    response = await cors_client.options("/v1/schools", headers=headers)
    assert response.status_code == 400


def test_origins_are_read_as_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPAS_CORS_ALLOWED_ORIGINS", f'["{ORIGIN}", "http://localhost:3000"]')
    assert Settings().cors_allowed_origins == [ORIGIN, "http://localhost:3000"]


NOT_ORIGINS = [
    "*",
    "https://kpas.kent.gov.uk/",
    "https://kpas.kent.gov.uk/app",
    "kpas.kent.gov.uk",
    "",
    "https://KPAS.kent.gov.uk",
    "https://*.kent.gov.uk",
    "null",
]


@pytest.mark.parametrize("origin", NOT_ORIGINS)
def test_anything_but_a_named_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValidationError, match="cors_allowed_origins"):
        make_settings(cors_allowed_origins=[origin])


def test_production_allows_https_origins_only() -> None:
    with pytest.raises(ValidationError, match="https:// origins only"):
        make_settings(env=Environment.PRODUCTION, cors_allowed_origins=["http://kpas.example"])
