"""FastAPI dependencies for identity: who is calling, and the service's token issuer."""

from __future__ import annotations

from typing import Any, cast

from fastapi import Request
from starlette.types import Scope

from app.auth.issuer import TokenIssuer
from app.auth.principal import Principal
from app.auth.tokens import InvalidToken, TokenVerifier
from app.errors import Unauthenticated

_MISSING = object()
INVALID_REQUEST_CHALLENGE = 'Bearer realm="kpas", error="invalid_request"'


def _authorization(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            return str(value.decode("latin-1"))
    return None


def _malformed(detail: str) -> Unauthenticated:
    return Unauthenticated(detail, headers={"WWW-Authenticate": INVALID_REQUEST_CHALLENGE})


async def current_principal(request: Request) -> Principal | None:
    """The verified caller, or None when the request carries no ``Authorization`` header.

    A header that is present but is not a valid bearer token (another scheme, an empty or
    malformed token, an invalid one) is a 401, never treated as anonymous. The result is also
    kept on ``request.state.principal`` (and computed once per request).
    """
    # Read the scope directly: this runs on every request, and building the Headers and
    # State wrappers (and State's AttributeError for a missing name) costs several µs.
    state: dict[str, Any] = request.scope.setdefault("state", {})
    known = state.get("principal", _MISSING)
    if known is not _MISSING:
        return cast(Principal | None, known)
    header = _authorization(request.scope)
    if header is None:
        state["principal"] = None
        return None
    verifier: TokenVerifier = request.app.state.token_verifier
    if len(header) > verifier.max_bytes + len("Bearer "):
        raise InvalidToken("The token is longer than this service accepts.")
    scheme, _, credentials = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise _malformed("Send the access token with the Bearer scheme.")
    token = credentials.strip()
    if not token:
        raise _malformed("The Authorization header carries no token.")
    principal = await verifier.verify(token)
    state["principal"] = principal
    return principal


def token_issuer(request: Request) -> TokenIssuer:
    issuer: TokenIssuer = request.app.state.token_issuer
    return issuer
