"""The token endpoint's rate limits: per client id and per client address, a sliding minute,
answered 429 with ``Retry-After``, counted before the secret is checked."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.rate_limits import SlidingWindow, TokenRequestLimits, token_request_limits_of
from app.db import Database
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_settings
from tests.test_auth_clients import TOKEN_URL, grant, partner_body, register
from tests.test_schools_api import assert_problem


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestSlidingWindow:
    def test_allows_the_limit_then_says_how_long_to_wait(self) -> None:
        clock = Clock()
        window = SlidingWindow(3, clock=clock)
        for _ in range(3):
            assert window.hit("client-a") is None
            clock.now += 10
        # The first request (at 1000) leaves the window at 1060; it is now 1030.
        assert window.hit("client-a") == pytest.approx(30)
        assert window.hit("client-b") is None  # keys are counted apart

    def test_a_refused_request_is_not_counted(self) -> None:
        clock = Clock()
        window = SlidingWindow(1, clock=clock)
        assert window.hit("a") is None
        for _ in range(5):
            clock.now += 10
            assert window.hit("a") is not None
        clock.now = 1060.0  # a minute after the one request that counted
        assert window.hit("a") is None

    def test_keys_gone_quiet_are_forgotten(self) -> None:
        clock = Clock()
        window = SlidingWindow(5, clock=clock)
        for key in ("a", "b", "c"):
            assert window.hit(key) is None
        clock.now += 61
        assert window.hit("d") is None
        assert set(window._requests) == {"d"}

    def test_needs_a_positive_limit(self) -> None:
        with pytest.raises(ValueError, match="at least one"):
            SlidingWindow(0)


def test_limits_are_settings() -> None:
    settings = make_settings(
        token_requests_per_minute_per_client=7, token_requests_per_minute_per_address=9
    )
    limits = TokenRequestLimits.from_settings(settings)
    assert (limits.per_client.limit, limits.per_address.limit) == (7, 9)
    assert Settings.model_fields["token_requests_per_minute_per_client"].default == 30
    assert Settings.model_fields["token_requests_per_minute_per_address"].default == 60


@pytest.fixture
def limited_app(
    migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> FastAPI:
    """An app whose settings allow 2 token requests a minute per client id, 4 per address."""
    settings = make_settings(
        str(migrated_engine.url),
        token_requests_per_minute_per_client=2,
        token_requests_per_minute_per_address=4,
    )
    database = Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    return create_app(settings, database)


@pytest.fixture
async def limited_client(limited_app: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=limited_app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://kpas.test")


def assert_limited(response: httpx.Response, detail: str) -> None:
    body = assert_problem(response, 429)
    assert body["type"] == "https://kpas.kent.gov.uk/problems/too-many-requests"
    assert detail in str(body["detail"])
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 60


class TestTokenEndpoint:
    async def test_a_client_id_over_its_limit_gets_a_429_with_retry_after(
        self, limited_app: FastAPI, limited_client: httpx.AsyncClient
    ) -> None:
        created = await register(limited_app, limited_client, partner_body())
        form = grant(created["client_id"], created["client_secret"])
        for _ in range(2):
            assert (await limited_client.post(TOKEN_URL, data=form)).status_code == 200
        assert_limited(
            await limited_client.post(TOKEN_URL, data=form),
            "Too many token requests for this client id: at most 2 a minute.",
        )
        # Another client from the same address still has its own allowance.
        other = await register(limited_app, limited_client, partner_body(org="nhs_kent"))
        response = await limited_client.post(
            TOKEN_URL, data=grant(other["client_id"], other["client_secret"])
        )
        assert response.status_code == 200, response.text

    async def test_wrong_secrets_count_so_guessing_is_limited(
        self, limited_app: FastAPI, limited_client: httpx.AsyncClient
    ) -> None:
        created = await register(limited_app, limited_client, partner_body())
        for _ in range(2):
            wrong = await limited_client.post(
                TOKEN_URL, data=grant(created["client_id"], "kpas_cs_guess")
            )
            assert wrong.status_code == 401
        right = await limited_client.post(
            TOKEN_URL, data=grant(created["client_id"], created["client_secret"])
        )
        assert_limited(right, "for this client id")

    async def test_an_address_over_its_limit_gets_a_429_whatever_the_client_id(
        self, limited_client: httpx.AsyncClient
    ) -> None:
        for number in range(4):
            response = await limited_client.post(
                TOKEN_URL, data=grant(f"unknown-{number}", "kpas_cs_guess")
            )
            assert response.status_code == 401
        assert_limited(
            await limited_client.post(TOKEN_URL, data=grant("unknown-5", "kpas_cs_guess")),
            "Too many token requests from this address: at most 4 a minute.",
        )
        # Even a request without credentials is refused before it is read any further.
        assert_limited(
            await limited_client.post(TOKEN_URL, data={"grant_type": "client_credentials"}),
            "from this address",
        )

    async def test_the_shared_test_app_has_the_default_limits(self, app: FastAPI) -> None:
        limits = token_request_limits_of(app)
        assert limits.per_client.limit == app.state.settings.token_requests_per_minute_per_client


def test_the_openapi_document_describes_the_429(limited_app: FastAPI) -> None:
    operation = limited_app.openapi()["paths"]["/v1/oauth/token"]["post"]
    documented = operation["responses"]["429"]
    assert "Retry-After" in documented["headers"]
    assert "application/problem+json" in documented["content"]
    assert "KPAS_TOKEN_REQUESTS_PER_MINUTE_PER_CLIENT" in documented["description"]
