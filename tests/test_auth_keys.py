"""The service's own key ring: development keys, production refusals, rotation, the JWKS."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.auth.identity import Identity
from app.auth.jwks import MIN_REFRESH_SECONDS, LocalKeySource
from app.auth.keys import (
    KeyRing,
    SigningKeysError,
    VerificationKey,
    read_keys,
    rotate_keys,
    thumbprint,
    write_key,
)
from app.auth.principal import Role
from app.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer
from app.crypto import DocumentKeysError, write_kek
from app.db import Database
from app.main import create_app
from app.settings import Environment, Settings
from tests.auth_support import AUDIENCE, ISSUER, FakeClock
from tests.conftest import make_settings

POSTGRES_URL = "postgresql://kpas@db.example/kpas"  # never connected to: app creation only


def production(keys: Path) -> Settings:
    """Production settings whose signing keys are in ``keys`` (document keys beside them)."""
    return make_settings(
        POSTGRES_URL,
        env=Environment.PRODUCTION,
        signing_keys_dir=keys,
        document_keys_dir=keys.parent / f"{keys.name}-documents",
    )


class TestThumbprint:
    def test_rfc7638_example(self) -> None:
        """RFC 7638 §3.1: the example key and its published thumbprint."""
        jwk = {
            "kty": "RSA",
            "n": (
                "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6t"
                "Soc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-"
                "65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qN"
                "Lyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awa"
                "pJzKnqDKgw"
            ),
            "e": "AQAB",
        }
        assert thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        # a key read from a JWKS keeps the kid it was published under, whatever it is
        key = VerificationKey.from_jwk({**jwk, "kid": "2011-04-29", "alg": "RS256"})
        assert (key.kid, key.algorithm) == ("2011-04-29", "RS256")

    def test_kid_of_our_keys_is_their_thumbprint(self, tmp_path: Path) -> None:
        ring = KeyRing.from_settings(make_settings(signing_keys_dir=tmp_path))
        for jwk in ring.jwks()["keys"]:
            members = {k: v for k, v in jwk.items() if k in {"e", "kty", "n", "crv", "x", "y"}}
            assert jwk["kid"] == thumbprint(members)


class TestDevelopmentKeys:
    def test_generated_when_the_directory_is_empty(self, tmp_path: Path) -> None:
        keys_dir = tmp_path / "keys"
        ring = KeyRing.from_settings(make_settings(signing_keys_dir=keys_dir))
        (path,) = keys_dir.iterdir()
        assert path.name.startswith("dev-")
        assert ring.signing_key.development
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # owner only
        # and reused, not regenerated, next time
        again = KeyRing.from_settings(make_settings(signing_keys_dir=keys_dir))
        assert again.signing_key.kid == ring.signing_key.kid

    async def test_es256_when_configured(self, tmp_path: Path) -> None:
        settings = make_settings(signing_keys_dir=tmp_path, signing_algorithm="ES256")
        identity = Identity.from_settings(settings)
        assert identity.key_ring.signing_key.algorithm == "ES256"
        assert identity.key_ring.jwks()["keys"][0]["crv"] == "P-256"
        token = identity.issuer.issue(subject="u", roles=[Role.ADMIN]).access_token
        assert (await identity.verifier.verify(token)).subject == "u"

    def test_a_file_that_is_not_a_key_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "kpas-broken.pem").write_text("-----BEGIN PRIVATE KEY-----\nnope\n")
        with pytest.raises(SigningKeysError, match=r"kpas-broken\.pem"):
            read_keys(tmp_path)


class TestProduction:
    def test_refuses_to_start_without_keys(self, tmp_path: Path) -> None:
        with pytest.raises(SigningKeysError, match="no signing keys"):
            create_app(production(tmp_path), _unused_database(tmp_path))
        assert list(tmp_path.iterdir()) == []  # and generates nothing

    def test_refuses_development_keys(self, tmp_path: Path) -> None:
        write_key(tmp_path, "RS256", development=True)
        rotate_keys(tmp_path, "RS256")
        with pytest.raises(SigningKeysError, match="development signing keys are refused"):
            create_app(production(tmp_path), _unused_database(tmp_path))

    def test_starts_with_real_keys(self, tmp_path: Path) -> None:
        rotate_keys(tmp_path, "RS256")
        settings = production(tmp_path)
        write_kek(settings.document_keys_dir, development=False)
        app = create_app(settings, _unused_database(tmp_path))
        assert not app.state.identity.key_ring.signing_key.development

    def test_refuses_to_start_without_document_keys(self, tmp_path: Path) -> None:
        rotate_keys(tmp_path, "RS256")
        with pytest.raises(DocumentKeysError, match="no key-encryption keys"):
            create_app(production(tmp_path), _unused_database(tmp_path))


def _unused_database(tmp_path: Path) -> Database:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    return Database.from_settings(settings)


def _verifier(ring: KeyRing, directory: Path, clock: FakeClock | None = None) -> TokenVerifier:
    source = LocalKeySource(ring, directory, allow_development=True, clock=clock or FakeClock())
    return TokenVerifier(
        [TrustedIssuer(ISSUER, AUDIENCE, source)], leeway_seconds=30, max_bytes=8192
    )


class TestRotation:
    async def test_old_tokens_verify_while_both_keys_are_live(self, tmp_path: Path) -> None:
        settings = make_settings(signing_keys_dir=tmp_path)
        before = Identity.from_settings(settings)
        old_token = before.issuer.issue(subject="u1", roles=[Role.ADMIN]).access_token

        rotate_keys(tmp_path, "RS256")
        after = Identity.from_settings(settings)  # a restart after the rotation
        new_token = after.issuer.issue(subject="u2", roles=[Role.ADMIN]).access_token

        assert after.key_ring.signing_key.kid != before.key_ring.signing_key.kid
        assert (await after.verifier.verify(old_token)).subject == "u1"
        assert (await after.verifier.verify(new_token)).subject == "u2"
        kids = [k["kid"] for k in after.key_ring.jwks()["keys"]]
        assert kids == [before.key_ring.signing_key.kid, after.key_ring.signing_key.kid]

    def test_rotation_retires_all_but_the_newest_keys(self, tmp_path: Path) -> None:
        first = rotate_keys(tmp_path, "RS256")[0]
        second = rotate_keys(tmp_path, "RS256")[0]
        third, retired = rotate_keys(tmp_path, "ES256")
        assert retired == [first]
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([second.name, third.name])
        ring = KeyRing(read_keys(tmp_path))
        assert ring.signing_key.path == third
        assert [k.algorithm for k in ring.keys] == ["RS256", "ES256"]

    async def test_a_key_added_elsewhere_is_found_on_an_unknown_kid(self, tmp_path: Path) -> None:
        """A replica that started before a rotation still accepts the new key's tokens."""
        settings = make_settings(signing_keys_dir=tmp_path)
        clock = FakeClock()
        running = Identity.from_settings(settings)
        verifier = _verifier(running.key_ring, tmp_path, clock)
        rotate_keys(tmp_path, "RS256")
        newer = Identity.from_settings(settings)  # another replica, restarted
        token = newer.issuer.issue(subject="u3", roles=[Role.ADMIN]).access_token
        clock.advance(MIN_REFRESH_SECONDS)
        assert (await verifier.verify(token)).subject == "u3"
        assert len(running.key_ring.jwks()["keys"]) == 2  # now published here too

    async def test_rescans_are_rate_limited(self, tmp_path: Path) -> None:
        settings = make_settings(signing_keys_dir=tmp_path)
        running = Identity.from_settings(settings)
        clock = FakeClock()
        verifier = _verifier(running.key_ring, tmp_path, clock)
        rotate_keys(tmp_path, "RS256")
        token = Identity.from_settings(settings).issuer.issue(subject="u", roles=[]).access_token
        with pytest.raises(InvalidToken):  # the ring was just read: no rescan yet
            await verifier.verify(token)
        clock.advance(MIN_REFRESH_SECONDS)
        assert (await verifier.verify(token)).subject == "u"


async def test_jwks_endpoint_publishes_every_live_key(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path}/x.db", signing_keys_dir=tmp_path)
    KeyRing.from_settings(settings)
    rotate_keys(tmp_path, "ES256")
    app: FastAPI = create_app(settings, Database.from_settings(settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert [(k["kty"], k["alg"], k["use"]) for k in keys] == [
        ("RSA", "RS256", "sig"),
        ("EC", "ES256", "sig"),
    ]
    assert not any("d" in k or "p" in k for k in keys)  # public halves only
    assert {k["kid"] for k in keys} == {k.kid for k in app.state.identity.key_ring.keys}
