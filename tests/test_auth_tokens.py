"""Bearer token verification: every way a forged or unusable token is refused, with a 401.

The attacks go through the real app (a protected route, ``GET /v1/clients``), so they cover
the dependency, the verifier and the problem rendering together.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from jose import jwe
from starlette.requests import Request

from app.auth.dependencies import current_principal
from app.auth.identity import Identity
from app.auth.jwks import LocalKeySource
from app.auth.keys import SigningKey
from app.auth.principal import Role
from app.auth.tokens import InvalidToken, TokenVerifier, TrustedIssuer, principal_from_claims
from tests.auth_support import (
    AUDIENCE,
    ISSUER,
    ForeignKey,
    b64url,
    raw_token,
    segment,
    sign_with,
    valid_claims,
)
from tests.conftest import make_settings
from tests.test_schools_api import assert_problem

PROTECTED = "/v1/clients"


def own_key(app: FastAPI) -> SigningKey:
    identity: Identity = app.state.identity
    return identity.key_ring.signing_key


def signed(app: FastAPI, claims: dict[str, Any], **headers: Any) -> str:
    key = own_key(app)
    kid = headers.pop("kid", key.kid)
    return sign_with(key.signer, key.algorithm, kid, claims, **headers)


def assert_refused(response: httpx.Response, token: str | None = None) -> str:
    body = assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith('Bearer realm="kpas"')
    if token:
        assert token not in response.text  # never echoed
    return str(body["detail"])


def hs256_with_public_key(app: FastAPI) -> str:
    """The classic confusion: HS256 'signed' with the RSA public key (PEM) as the secret."""
    key = own_key(app)
    header = {"alg": "HS256", "kid": key.kid, "typ": "JWT"}
    signing_input = f"{segment(header)}.{segment(valid_claims())}"
    secret = key.verification.key.to_pem()
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def tampered(app: FastAPI) -> str:
    header, _, signature = signed(app, valid_claims(roles=["attendance_officer"])).split(".")
    return f"{header}.{segment(valid_claims(roles=['admin']))}.{signature}"


def oversized(app: FastAPI) -> str:
    return signed(app, valid_claims(padding="x" * 9000))  # validly signed, too long


def encrypted(app: FastAPI) -> str:
    return jwe.encrypt(b'{"sub":"x"}', b"k" * 32, algorithm="dir", encryption="A256GCM").decode()


ATTACKS: dict[str, Callable[[FastAPI], str]] = {
    "alg none, no signature": lambda app: raw_token(
        {"alg": "none", "kid": own_key(app).kid}, valid_claims(), b""
    ),
    "alg none, some signature": lambda app: raw_token(
        {"alg": "none", "kid": own_key(app).kid}, valid_claims()
    ),
    "HS256 with the public key as secret": hs256_with_public_key,
    "unknown kid": lambda app: signed(app, valid_claims(), kid="no-such-key"),
    "no kid": lambda app: raw_token({"alg": "RS256"}, valid_claims()),
    "expired": lambda app: signed(
        app, valid_claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    ),
    "nbf in the future": lambda app: signed(app, valid_claims(nbf=int(time.time()) + 3600)),
    "iat in the future": lambda app: signed(app, valid_claims(iat=int(time.time()) + 3600)),
    "exp is Infinity": lambda app: signed(app, valid_claims(exp=float("inf"))),
    "exp centuries away": lambda app: signed(
        app, valid_claims(exp=int(time.time()) + 300 * 365 * 86400)
    ),
    "lifetime just over the maximum": lambda app: signed(
        app,
        valid_claims(iat=int(time.time()) - 60, exp=int(time.time()) - 60 + 12 * 3600 + 1),
    ),
    "back-dated iat with a distant exp": lambda app: signed(
        app, valid_claims(iat=int(time.time()) - 3600, exp=int(time.time()) + 30 * 86400)
    ),
    "no exp": lambda app: signed(app, valid_claims(exp=None)),
    "no iat": lambda app: signed(app, valid_claims(iat=None)),
    "wrong issuer": lambda app: signed(app, valid_claims(iss="https://evil.example")),
    "wrong audience": lambda app: signed(app, valid_claims(aud="another-api")),
    "no audience": lambda app: signed(app, valid_claims(aud=None)),
    "missing sub": lambda app: signed(app, valid_claims(sub=None)),
    "empty sub": lambda app: signed(app, valid_claims(sub="")),
    "tampered payload": tampered,
    "JWE": encrypted,
    "oversized": oversized,
    "untrusted key claiming a trusted kid": lambda app: ForeignKey(kid=own_key(app).kid).sign(
        valid_claims()
    ),
    "untrusted key embedded in the header": lambda app: (
        lambda attacker: attacker.sign(valid_claims(), jwk=attacker.public_jwk)
    )(ForeignKey()),
    "crit header": lambda app: signed(app, valid_claims(), crit=["exp"]),
    "unknown role": lambda app: signed(app, valid_claims(roles=["superuser"])),
    "roles not a list": lambda app: signed(app, valid_claims(roles="admin")),
    "unknown area team": lambda app: signed(app, valid_claims(area_teams=["midlands"])),
    "bad school urn": lambda app: signed(app, valid_claims(school_urns=["118800"])),
    "half an inspection grant": lambda app: signed(app, valid_claims(inspection_grant_id="g1")),
    "not a JWT": lambda app: "not-a-token",
    "header not JSON": lambda app: f"{b64url(b'nope')}.{segment(valid_claims())}.{b64url(b's')}",
    "deeply nested header": lambda app: f"{b64url(b'[' * 4000)}.{segment({})}.{b64url(b's')}",
    "deeply nested payload": lambda app: (
        signed(app, valid_claims(), x=1).split(".")[0] + f".{b64url(b'[' * 4000)}.{b64url(b's')}"
    ),
}

#: The reason each attack is refused: it must fail for the intended reason, not an earlier one.
REASONS = {
    "HS256 with the public key as secret": "algorithm is not accepted",
    "JWE": "(JWE) are not accepted",
    "alg none, no signature": "not a signed JWT",
    "alg none, some signature": "algorithm is not accepted",
    "bad school urn": "school_urns",
    "crit header": "header extensions",
    "empty sub": "(sub)",
    "exp is Infinity": "(exp)",
    "exp centuries away": "lifetime (exp) is longer",
    "lifetime just over the maximum": "lifetime (exp) is longer",
    "back-dated iat with a distant exp": "lifetime (exp) is longer",
    "expired": "has expired",
    "half an inspection grant": "inspection grant is incomplete",
    "header not JSON": "header is not valid JSON",
    "deeply nested header": "header is not valid JSON",
    "deeply nested payload": "payload is not valid JSON",
    "iat in the future": "issued in the future",
    "missing sub": "(sub)",
    "nbf in the future": "not valid yet",
    "no audience": "no audience",
    "no exp": "(exp)",
    "no iat": "(iat)",
    "no kid": "(kid)",
    "not a JWT": "not a signed JWT",
    "oversized": "longer than this service accepts",
    "roles not a list": "roles claim must be a list",
    "tampered payload": "signature is not valid",
    "unknown area team": "area team",
    "unknown kid": "key this service does not know",
    "unknown role": "role this service does not know",
    "untrusted key claiming a trusted kid": "signature is not valid",
    "untrusted key embedded in the header": "key this service does not know",
    "wrong audience": "not addressed to this service",
    "wrong issuer": "not from an issuer this service trusts",
}


class TestAttacks:
    @pytest.mark.parametrize("attack", sorted(ATTACKS))
    async def test_forged_or_unusable_token_is_a_401_problem(
        self, app: FastAPI, client: httpx.AsyncClient, attack: str
    ) -> None:
        token = ATTACKS[attack](app)
        response = await client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
        detail = assert_refused(response, token)
        assert REASONS[attack] in detail
        assert 'error="invalid_token"' in response.headers["www-authenticate"]

    async def test_no_token_is_a_401(self, client: httpx.AsyncClient) -> None:
        assert_refused(await client.get(PROTECTED))

    @pytest.mark.parametrize("header", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer   ", "Token x"])
    async def test_malformed_authorization_is_a_401(
        self, client: httpx.AsyncClient, header: str
    ) -> None:
        response = await client.get(PROTECTED, headers={"Authorization": header})
        assert_refused(response)
        assert 'error="invalid_request"' in response.headers["www-authenticate"]

    async def test_valid_token_is_accepted(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        response = await client.get(
            PROTECTED, headers={"Authorization": f"Bearer {signed(app, valid_claims())}"}
        )
        assert response.status_code == 200, response.text

    async def test_refusal_says_why_without_leaking(
        self, app: FastAPI, client: httpx.AsyncClient
    ) -> None:
        token = signed(app, valid_claims(aud="another-api"))
        response = await client.get(PROTECTED, headers={"Authorization": f"Bearer {token}"})
        detail = assert_refused(response, token)
        assert "aud" in detail
        assert AUDIENCE not in detail  # what would have been accepted is not revealed


def _request(app: FastAPI, headers: dict[str, str] | None = None) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request({"type": "http", "app": app, "headers": raw, "state": {}})


class TestCurrentPrincipal:
    async def test_no_header_is_anonymous(self, app: FastAPI) -> None:
        request = _request(app)
        assert await current_principal(request) is None
        assert request.state.principal is None

    async def test_valid_token_gives_the_principal(self, app: FastAPI) -> None:
        token = signed(
            app,
            valid_claims(
                roles=["attendance_officer", "attendance_manager"],
                area_teams=["east"],
                jti="t-1",
            ),
        )
        request = _request(app, {"Authorization": f"bearer {token}"})  # scheme is case-blind
        principal = await current_principal(request)
        assert principal is not None
        assert principal.subject == "admin-1"
        assert principal.roles == {Role.ATTENDANCE_OFFICER, Role.ATTENDANCE_MANAGER}
        assert principal.area_teams == {"east"}
        assert principal.issuer == ISSUER
        assert principal.token_id == "t-1"
        assert request.state.principal is principal

    async def test_invalid_token_raises_unauthenticated(self, app: FastAPI) -> None:
        with pytest.raises(InvalidToken):
            await current_principal(_request(app, {"Authorization": "Bearer a.b.c"}))


class TestClaims:
    def test_scope_claims_map_to_the_principal(self) -> None:
        principal = principal_from_claims(
            valid_claims(
                roles=["inspector"],
                school_urns=[118800, 118801],
                org="ofsted",
                client_id="c-1",
                inspection_grant_id="grant-7",
                inspection_starts_at=1_790_000_000,
                inspection_ends_at="2026-12-31T17:00:00+00:00",
            )
        )
        assert principal.roles == {Role.INSPECTOR}
        assert principal.school_urns == {118800, 118801}
        assert principal.org == "ofsted"
        assert principal.client_id == "c-1"
        assert principal.inspection is not None
        assert principal.inspection.grant_id == "grant-7"
        assert principal.inspection.starts_at == datetime.fromtimestamp(1_790_000_000, UTC)
        assert principal.inspection.ends_at == datetime(2026, 12, 31, 17, tzinfo=UTC)

    @pytest.mark.parametrize(
        "overrides",
        [
            {
                "inspection_grant_id": "g",
                "inspection_starts_at": "2026-12-01T09:00:00",  # no offset
                "inspection_ends_at": "2026-12-02T09:00:00+00:00",
            },
            {
                "inspection_grant_id": "g",
                "inspection_starts_at": 2_000_000_000,
                "inspection_ends_at": 1_000_000_000,  # ends before it starts
            },
            {"school_urns": [True]},
            {"org": 7},
        ],
    )
    def test_malformed_scope_claims_are_refused(self, overrides: dict[str, Any]) -> None:
        with pytest.raises(InvalidToken):
            principal_from_claims(valid_claims(**overrides))

    def test_no_roles_is_a_principal_without_roles(self) -> None:
        assert principal_from_claims(valid_claims(roles=None)).roles == frozenset()


class TestLeeway:
    async def test_small_clock_skew_is_tolerated(self, app: FastAPI) -> None:
        verifier: TokenVerifier = app.state.token_verifier
        now = int(time.time())
        skewed = valid_claims(iat=now + 10, nbf=now + 10, exp=now - 10)
        principal = await verifier.verify(signed(app, skewed))
        assert principal.subject == "admin-1"

    async def test_audience_may_be_a_list(self, app: FastAPI) -> None:
        verifier: TokenVerifier = app.state.token_verifier
        token = signed(app, valid_claims(aud=["other", AUDIENCE]))
        assert (await verifier.verify(token)).subject == "admin-1"

    async def test_es256_header_on_an_rsa_key_is_refused(self, app: FastAPI) -> None:
        verifier: TokenVerifier = app.state.token_verifier
        key = own_key(app)
        header = {"alg": "ES256" if key.algorithm == "RS256" else "RS256", "kid": key.kid}
        with pytest.raises(InvalidToken, match="algorithm does not match"):
            await verifier.verify(raw_token(header, valid_claims(), b"x" * 64))


class TestLifetime:
    """The longest token accepted is ``KPAS_TOKEN_MAX_LIFETIME_SECONDS`` (12 hours by default)."""

    def verifier(self, app: FastAPI, clock: Callable[[], float], longest: int) -> TokenVerifier:
        identity: Identity = app.state.identity
        trusted = TrustedIssuer(
            ISSUER, AUDIENCE, LocalKeySource(identity.key_ring, Path(), allow_development=True)
        )
        return TokenVerifier(
            [trusted], leeway_seconds=30, max_bytes=8192, max_lifetime_seconds=longest, clock=clock
        )

    async def test_a_token_of_exactly_the_maximum_lifetime_is_accepted(self, app: FastAPI) -> None:
        verifier: TokenVerifier = app.state.token_verifier
        assert verifier.max_lifetime == 12 * 3600
        now = int(time.time())
        token = signed(app, valid_claims(iat=now, exp=now + 12 * 3600))
        assert (await verifier.verify(token)).subject == "admin-1"

    async def test_the_maximum_is_the_setting(self, app: FastAPI) -> None:
        now = 1_900_000_000
        verifier = self.verifier(app, lambda: float(now), longest=3600)
        assert (await verifier.verify(signed(app, valid_claims(iat=now, exp=now + 3600)))).subject
        with pytest.raises(InvalidToken, match="lifetime"):
            await verifier.verify(signed(app, valid_claims(iat=now, exp=now + 3601)))

    async def test_a_token_issued_within_the_leeway_ahead_may_run_its_full_lifetime(
        self, app: FastAPI
    ) -> None:
        """The issuer's clock a little ahead of ours: its full lifetime is accepted, a second
        more is not."""
        now = 1_900_000_000
        verifier = self.verifier(app, lambda: float(now), longest=3600)
        issued = now + 30
        within = signed(app, valid_claims(iat=issued, exp=issued + 3600))
        assert (await verifier.verify(within)).subject == "admin-1"
        beyond = signed(app, valid_claims(iat=issued, nbf=issued, exp=now + 3600 + 31))
        with pytest.raises(InvalidToken, match="lifetime"):
            await verifier.verify(beyond)

    def test_the_setting_is_read_from_the_environment(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KPAS_TOKEN_MAX_LIFETIME_SECONDS", "7200")
        assert make_settings().token_max_lifetime_seconds == 7200
        identity = Identity.from_settings(make_settings(token_max_lifetime_seconds=7200))
        assert identity.verifier.max_lifetime == 7200


class TestParsedSegmentCache:
    """Parsed segments are reused for a token seen before; acceptance is decided afresh."""

    @pytest.fixture
    def identity(self, tmp_path: Path) -> Identity:
        return Identity.from_settings(make_settings(signing_keys_dir=tmp_path))

    def verifier(
        self, identity: Identity, clock: Callable[[], float], size: int = 16
    ) -> TokenVerifier:
        trusted = TrustedIssuer(
            ISSUER, AUDIENCE, LocalKeySource(identity.key_ring, Path(), allow_development=True)
        )
        return TokenVerifier(
            [trusted], leeway_seconds=30, max_bytes=8192, clock=clock, cache_size=size
        )

    async def test_a_seen_token_still_expires(self, identity: Identity) -> None:
        now = [time.time()]
        verifier = self.verifier(identity, lambda: now[0])
        token = identity.issuer.issue(subject="u", roles=[Role.ADMIN], ttl_seconds=60).access_token
        first = await verifier.verify(token)
        assert await verifier.verify(token) is first  # the mapping is reused
        now[0] += 60 + 30  # past exp and the leeway
        with pytest.raises(InvalidToken, match="expired"):
            await verifier.verify(token)

    async def test_a_seen_payload_with_another_signature_is_refused(
        self, identity: Identity
    ) -> None:
        verifier = self.verifier(identity, time.time)
        token = identity.issuer.issue(subject="u", roles=[Role.ADMIN]).access_token
        await verifier.verify(token)
        header, payload, _ = token.split(".")
        forged = ForeignKey(kid=identity.key_ring.signing_key.kid)
        _, _, signature = forged.sign(valid_claims()).split(".")
        with pytest.raises(InvalidToken, match="signature is not valid"):
            await verifier.verify(f"{header}.{payload}.{signature}")

    async def test_the_cache_is_bounded(self, identity: Identity) -> None:
        verifier = self.verifier(identity, time.time, size=3)
        for n in range(10):
            token = identity.issuer.issue(subject=f"u{n}", roles=[]).access_token
            assert (await verifier.verify(token)).subject == f"u{n}"
        assert len(verifier._payloads) <= 3
