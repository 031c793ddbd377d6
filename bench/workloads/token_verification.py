"""Verifying a bearer token as a request does, against python-jose's bare signature check."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from fastapi import FastAPI
from jose import jwk, jws
from starlette.requests import Request

from app.auth.dependencies import current_principal
from app.auth.identity import Identity
from app.auth.principal import Role
from bench.harness import Result, Scale, Workload, measure, sized
from tests.conftest import make_settings

#: Needs no database: measured once, under this label, whatever backends the run covers.
BACKEND_LABEL = "none (no database)"
TARGET = "ratio >= 0.67 (within 1.5x of the bare signature check)"


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    if backend != "sqlite":
        return []
    with tempfile.TemporaryDirectory() as keys:
        settings = make_settings(url, signing_keys_dir=Path(keys), signing_algorithm="RS256")
        identity = Identity.from_settings(settings)
        app = FastAPI()
        identity.install(app)
        bare_key = jwk.construct(identity.key_ring.signing_key.jwk, "RS256")  # built once

        def mint() -> str:
            return identity.issuer.issue(
                subject=f"officer-{uuid.uuid4().hex[:8]}",
                roles=[Role.ATTENDANCE_OFFICER],
                area_teams=["east"],
            ).access_token

        def as_request(token: str) -> Request:
            headers = [(b"authorization", f"Bearer {token}".encode())]
            return Request({"type": "http", "app": app, "headers": headers, "state": {}})

        # A client reuses its token for every request until it expires. The request objects
        # exist before verification starts in a real request, so they are built untimed.
        token = mint()
        reused_rounds = sized(scale, quick=1000, full=5000)
        reused_requests = iter([as_request(token) for _ in range(reused_rounds + 200)])

        async def full_verification() -> object:
            principal = await current_principal(next(reused_requests))
            assert principal is not None
            return principal

        async def bare_signature_check() -> object:
            return jws.verify(token, bare_key, algorithms=["RS256"])

        reused = await measure(
            Workload(
                name="token verification (RS256)",
                subject=full_verification,
                baseline=bare_signature_check,
                target=TARGET,
                note="current_principal on a request carrying an RS256 bearer token the client "
                "has used before (its parsed segments are kept; the signature, issuer, audience "
                "and times are checked every time) against python-jose's jws.verify with the "
                "key built once: the signature and nothing else.",
            ),
            BACKEND_LABEL,
            rounds=reused_rounds,
            warmup=200,
        )

        # Every request with a token never seen before: nothing parsed is reused.
        rounds, warmup = sized(scale, quick=300, full=1500), 50
        fresh = [mint() for _ in range(rounds + warmup)]
        subject_requests = iter([as_request(t) for t in fresh])
        baseline_tokens = iter(fresh)

        async def first_use() -> object:
            principal = await current_principal(next(subject_requests))
            assert principal is not None
            return principal

        async def bare_first_use() -> object:
            return jws.verify(next(baseline_tokens), bare_key, algorithms=["RS256"])

        first = await measure(
            Workload(
                name="token verification, first use (RS256)",
                subject=first_use,
                baseline=bare_first_use,
                target=TARGET,
                note="As above, but every token is new to the verifier: header and payload "
                "parsed, claims mapped to a Principal.",
            ),
            BACKEND_LABEL,
            rounds=rounds,
            warmup=warmup,
        )
    return [reused, first]
