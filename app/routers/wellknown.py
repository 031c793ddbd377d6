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


@router.get("/.well-known/jwks.json", name="identity_jwks", response_model=JwkSet)
async def jwks(request: Request) -> JSONResponse:
    """Every live signing key, so tokens signed by the previous key still verify during a
    rotation. Keys are named by their RFC 7638 thumbprint."""
    identity: Identity = request.app.state.identity
    return JSONResponse(
        identity.key_ring.jwks(),
        headers={"Cache-Control": f"public, max-age={JWKS_MAX_AGE_SECONDS}"},
    )
