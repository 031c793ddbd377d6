"""``/v1/oauth/token``: the client credentials grant for registered machine clients.

Errors here follow RFC 6749 §5.2 (``{"error", "error_description"}``), not RFC 9457, because
OAuth client libraries parse that shape; the OpenAPI document says so for 400 and 401. The
rate limit's 429 (``app.auth.rate_limits``) is a problem document, as RFC 6749 defines none.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.http import HTTPBase

from app.auth.dependencies import token_issuer
from app.auth.issuer import TokenIssuer
from app.auth.oauth import (
    CLIENT_CREDENTIALS,
    NO_STORE,
    InvalidRequest,
    OAuthError,
    UnsupportedGrantType,
    client_credentials,
)
from app.auth.rate_limits import TokenRequestLimits, token_request_limits_of
from app.db import SessionDep
from app.policies import PUBLIC
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.oauth import AccessToken, OAuthErrorResponse, TokenRequest
from app.services import clients

router = APIRouter(prefix=f"{PREFIX}/oauth", tags=["identity"], route_class=KpasRoute)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
#: Documents HTTP Basic client authentication; parsing is ours (RFC 6749 §2.3.1 form-encodes
#: the id and secret before base64, which generic Basic parsers do not undo).
client_basic = HTTPBase(
    scheme="basic",
    scheme_name="clientBasic",
    description="client_id and client_secret (RFC 6749 §2.3.1), instead of the form fields.",
    auto_error=False,
)


def request_limits(request: Request) -> TokenRequestLimits:
    return token_request_limits_of(request.app)


TOO_MANY_REQUESTS = problem_response(
    "Too many token requests for this client id (`KPAS_TOKEN_REQUESTS_PER_MINUTE_PER_CLIENT`) "
    "or from this address (`KPAS_TOKEN_REQUESTS_PER_MINUTE_PER_ADDRESS`) in the last minute; "
    "`Retry-After` says how many seconds to wait."
) | {
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before asking again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
}


def oauth_error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": OAuthErrorResponse,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorResponse"}}
        },
    }


@router.post(
    "/token",
    name="oauth_token",
    summary="Get an access token",
    response_model=AccessToken,
    dependencies=[PUBLIC],
    responses={
        400: oauth_error("RFC 6749 §5.2 error: invalid_request, unsupported_grant_type, ..."),
        401: oauth_error("RFC 6749 §5.2 `invalid_client`: client authentication failed."),
        429: TOO_MANY_REQUESTS,
    },
    # Merged into the generated operation: FastAPI lists clientBasic; the empty requirement
    # appended here makes it optional (credentials may come in the form body instead).
    openapi_extra={"x-kpas-media-types": [FORM_MEDIA_TYPE], "security": [{}]},
)
async def token(
    request: Request,
    session: SessionDep,
    issuer: Annotated[TokenIssuer, Depends(token_issuer)],
    limits: Annotated[TokenRequestLimits, Depends(request_limits)],
    basic: Annotated[HTTPAuthorizationCredentials | None, Depends(client_basic)],
    form: Annotated[TokenRequest, Form()],
) -> JSONResponse:
    """Exchange a registered client's id and secret for a short-lived bearer token (the OAuth 2.0
    client credentials grant). Send `application/x-www-form-urlencoded`, with the credentials in the
    form or as HTTP Basic. The token carries the client's role and scope (school URNs or
    organisation); `scope` is accepted and ignored.

    No bearer token is needed. Errors use the OAuth shape `{"error", "error_description"}`: 400 for
    a malformed request or another grant type, 401 `invalid_client` for unknown, inactive or wrong
    credentials. Requests are limited per client id and per address: 429 with `Retry-After` beyond
    the limit.
    """
    # Both limits are counted before the secret is checked: each check is an Argon2id hash.
    limits.check_address(request.client.host if request.client else "unknown")
    try:
        if not form.grant_type:
            raise InvalidRequest("grant_type is required.")
        if form.grant_type != CLIENT_CREDENTIALS:
            raise UnsupportedGrantType("Only the client_credentials grant is supported.")
        authorization = f"{basic.scheme} {basic.credentials}" if basic else None
        credentials = client_credentials(authorization, form.client_id, form.client_secret)
        limits.check_client(credentials.client_id)
        issued = await clients.issue_client_token(session, issuer, credentials)
    except OAuthError as error:
        return JSONResponse(error.body(), status_code=error.status, headers=error.headers())
    body = AccessToken(access_token=issued.access_token, expires_in=issued.expires_in)
    return JSONResponse(body.model_dump(), headers=NO_STORE)
