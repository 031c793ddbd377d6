"""``/.well-known/jwks.json``: the public keys of the service's own token issuer."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.auth.identity import Identity
from app.routers.route import KpasRoute
from app.schemas.oauth import JwkSet

router = APIRouter(tags=["identity"], route_class=KpasRoute)

#: Verifiers may cache the set briefly; a rotation is visible to them within this time.
JWKS_MAX_AGE_SECONDS = 300


@router.get(
    "/.well-known/jwks.json",
    name="identity_jwks",
    summary="Get the token signing keys",
    response_model=JwkSet,
)
async def jwks(request: Request) -> JSONResponse:
    """The public keys of the service's own token issuer as a JWK Set, for anyone verifying a
    KPAS access token; no token is needed. It lists every live signing key, so tokens signed
    by the previous key still verify during a rotation; each key's `kid` is its RFC 7638
    thumbprint. Cache it for at most the `Cache-Control` max-age (five minutes) and fetch it
    again when a token names a `kid` the cached set lacks."""
    identity: Identity = request.app.state.identity
    return JSONResponse(
        identity.key_ring.jwks(),
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )
