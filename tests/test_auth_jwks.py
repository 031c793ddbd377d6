"""The council IdP as a trusted issuer: its JWKS fetched over real HTTP from a loopback
server, cached, refreshed on an unknown ``kid``, and never fetched more often than the limit."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.identity import Identity, IdentityConfigurationError
from app.auth.jwks import MIN_REFRESH_SECONDS, RemoteKeySet, parse_jwks
from app.auth.principal import Role
from app.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer
from app.db import Database
from app.main import create_app
from app.settings import Environment
from tests.auth_support import FakeClock, ForeignKey, JwksServer, valid_claims
from tests.conftest import make_settings

IDP = "https://login.kent.gov.uk/tenant/v2.0"
IDP_AUDIENCE = "api://kpas"


def idp_claims(**overrides: object) -> dict[str, object]:
    return valid_claims(**{"iss": IDP, "aud": IDP_AUDIENCE, "sub": "staff-42", **overrides})


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    with server.running():
        yield server


def make_verifier(
    url: str, clock: FakeClock, cache_seconds: float = 3600
) -> tuple[TokenVerifier, RemoteKeySet]:
    keys = RemoteKeySet(url, cache_seconds=cache_seconds, clock=clock)
    verifier = TokenVerifier(
        [TrustedIssuer(IDP, IDP_AUDIENCE, keys)], leeway_seconds=30, max_bytes=8192
    )
    return verifier, keys


class TestFetchAndCache:
    async def test_keys_are_fetched_once_and_cached(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        verifier, _ = make_verifier(jwks_server.url, FakeClock())
        assert jwks_server.fetches == 0  # nothing is fetched until a token needs it
        principal = await verifier.verify(idp_key.sign(idp_claims(roles=["attendance_officer"])))
        assert principal.subject == "staff-42"
        assert principal.roles == {Role.ATTENDANCE_OFFICER}
        assert principal.issuer == IDP
        await verifier.verify(idp_key.sign(idp_claims()))
        assert jwks_server.fetches == 1

    async def test_cache_expires_after_cache_seconds(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        clock = FakeClock()
        verifier, _ = make_verifier(jwks_server.url, clock, cache_seconds=120)
        token = idp_key.sign(idp_claims())
        await verifier.verify(token)
        clock.advance(119)
        await verifier.verify(token)
        assert jwks_server.fetches == 1
        clock.advance(2)
        await verifier.verify(token)
        assert jwks_server.fetches == 2

    async def test_es256_keys_work_too(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey("ES256")
        jwks_server.publish(idp_key)
        verifier, _ = make_verifier(jwks_server.url, FakeClock())
        assert (await verifier.verify(idp_key.sign(idp_claims()))).subject == "staff-42"


class TestRefresh:
    async def test_unknown_kid_refreshes_after_a_rotation(self, jwks_server: JwksServer) -> None:
        old, new = ForeignKey(), ForeignKey()
        jwks_server.publish(old)
        clock = FakeClock()
        verifier, _ = make_verifier(jwks_server.url, clock)
        await verifier.verify(old.sign(idp_claims()))
        jwks_server.publish(old, new)  # the IdP rotates
        clock.advance(MIN_REFRESH_SECONDS + 1)
        assert (await verifier.verify(new.sign(idp_claims()))).subject == "staff-42"
        assert jwks_server.fetches == 2

    async def test_unknown_kids_do_not_cause_a_fetch_per_request(
        self, jwks_server: JwksServer
    ) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        clock = FakeClock()
        verifier, _ = make_verifier(jwks_server.url, clock)
        await verifier.verify(idp_key.sign(idp_claims()))
        for _ in range(20):  # a flood of made-up kids within the interval: no fetch at all
            stranger = ForeignKey("ES256", kid=uuid.uuid4().hex)
            with pytest.raises(InvalidToken, match="key this service does not know"):
                await verifier.verify(stranger.sign(idp_claims()))
            clock.advance(1)
        assert jwks_server.fetches == 1
        clock.advance(MIN_REFRESH_SECONDS)
        for _ in range(5):  # after the interval: one more look, then quiet again
            with pytest.raises(InvalidToken):
                await verifier.verify(ForeignKey("ES256", kid=uuid.uuid4().hex).sign(idp_claims()))
        assert jwks_server.fetches == 2
        # the known key still verifies throughout, from the cache
        await verifier.verify(idp_key.sign(idp_claims()))
        assert jwks_server.fetches == 2

    async def test_idp_outage_refuses_then_recovers(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        jwks_server.status = 503
        clock = FakeClock()
        verifier, _ = make_verifier(jwks_server.url, clock)
        token = idp_key.sign(idp_claims())
        with pytest.raises(InvalidToken):
            await verifier.verify(token)
        jwks_server.status = 200
        with pytest.raises(InvalidToken):  # not retried within the interval
            await verifier.verify(token)
        assert jwks_server.fetches == 1
        clock.advance(MIN_REFRESH_SECONDS + 1)
        assert (await verifier.verify(token)).subject == "staff-42"
        assert jwks_server.fetches == 2

    async def test_keys_held_survive_a_failed_refresh(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        clock = FakeClock()
        verifier, _ = make_verifier(jwks_server.url, clock, cache_seconds=120)
        token = idp_key.sign(idp_claims())
        await verifier.verify(token)
        jwks_server.status = 500
        clock.advance(121)
        assert (await verifier.verify(token)).subject == "staff-42"
        assert jwks_server.fetches == 2


class TestKeySetContents:
    def test_only_usable_signing_keys_are_taken(self) -> None:
        good_rsa, good_ec = ForeignKey(), ForeignKey("ES256")
        document = {
            "keys": [
                good_rsa.jwk(),
                good_ec.jwk(),
                {"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"},
                {**ForeignKey().jwk(), "kid": "rsa-as-hs256", "alg": "HS256"},
                {**ForeignKey().jwk(), "kid": "for-encryption", "use": "enc"},
                {**ForeignKey().jwk(), "kid": "with-private-part", "d": "AQAB"},
                {**ForeignKey().jwk(), "kid": None},
                {"kty": "EC", "crv": "P-384", "kid": "p384", "x": "AA", "y": "AA"},
                "not a key",
            ]
        }
        assert set(parse_jwks(document)) == {good_rsa.kid, good_ec.kid}

    def test_a_duplicated_kid_selects_nothing(self) -> None:
        one, two = ForeignKey(kid="same"), ForeignKey(kid="same")
        assert parse_jwks({"keys": [one.jwk(), two.jwk(), one.jwk()]}) == {}

    async def test_hs256_signed_with_the_idp_public_key_is_refused(
        self, jwks_server: JwksServer
    ) -> None:
        import hashlib
        import hmac

        from tests.auth_support import b64url, segment

        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        verifier, _ = make_verifier(jwks_server.url, FakeClock())
        header = {"alg": "HS256", "kid": idp_key.kid}
        signing_input = f"{segment(header)}.{segment(idp_claims())}"
        for secret in (idp_key.signer.public_key().to_pem(), str(idp_key.jwk()).encode()):
            mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            with pytest.raises(InvalidToken, match="algorithm is not accepted"):
                await verifier.verify(f"{signing_input}.{b64url(mac)}")

    async def test_idp_token_needs_the_idp_audience(self, jwks_server: JwksServer) -> None:
        idp_key = ForeignKey()
        jwks_server.publish(idp_key)
        verifier, _ = make_verifier(jwks_server.url, FakeClock())
        with pytest.raises(InvalidToken, match="not addressed to this service"):
            await verifier.verify(idp_key.sign(idp_claims(aud="kpas-api")))


class TestConfiguration:
    def test_issuer_without_jwks_url_is_refused(self, tmp_path: Path) -> None:
        settings = make_settings(idp_issuer=IDP, signing_keys_dir=tmp_path)
        with pytest.raises(IdentityConfigurationError):
            Identity.from_settings(settings)

    def test_production_needs_https_for_the_jwks(self, tmp_path: Path) -> None:
        from app.auth.keys import rotate_keys

        rotate_keys(tmp_path, "RS256")
        settings = make_settings(
            "postgresql://kpas@db.example/kpas",
            env=Environment.PRODUCTION,
            signing_keys_dir=tmp_path,
            idp_issuer=IDP,
            idp_jwks_url="http://login.kent.gov.uk/keys",
        )
        with pytest.raises(IdentityConfigurationError, match="https"):
            Identity.from_settings(settings)


@pytest_asyncio.fixture
async def idp_client(
    migrated_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    jwks_server: JwksServer,
    tmp_path: Path,
) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = make_settings(
        str(migrated_engine.url),
        signing_keys_dir=tmp_path,
        idp_issuer=IDP,
        idp_jwks_url=jwks_server.url,
        idp_audience=IDP_AUDIENCE,
    )
    app = create_app(
        settings, Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        yield app, client


async def test_staff_token_from_the_idp_is_accepted_by_the_api(
    idp_client: tuple[FastAPI, httpx.AsyncClient], jwks_server: JwksServer
) -> None:
    _, client = idp_client
    idp_key = ForeignKey()
    jwks_server.publish(idp_key)
    token = idp_key.sign(idp_claims(roles=["admin"]))
    response = await client.get("/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    # and a token the IdP did not sign, naming the IdP as issuer, is not
    forged = ForeignKey(kid=idp_key.kid).sign(idp_claims(roles=["admin"]))
    response = await client.get("/v1/clients", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert jwks_server.fetches == 1
