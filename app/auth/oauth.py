"""OAuth 2.0 client credentials (RFC 6749 §4.4): client authentication and its errors.

The token endpoint answers errors in RFC 6749 §5.2's shape (``{"error", "error_description"}``
with 400, or 401 for ``invalid_client``), because that is what OAuth client libraries parse.
Failures before the endpoint runs (413 body too large, 415 wrong media type) remain RFC 9457
problems like everywhere else.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import unquote_plus

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CLIENT_CREDENTIALS = "client_credentials"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error response."""

    status: ClassVar[int] = 400
    error: ClassVar[str] = "invalid_request"

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        return dict(NO_STORE)


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """Client authentication failed. Always the same description, whatever the cause."""

    status = 401
    error = "invalid_client"

    def __init__(self) -> None:
        super().__init__("Client authentication failed.")

    def headers(self) -> dict[str, str]:
        return {**NO_STORE, "WWW-Authenticate": 'Basic realm="kpas"'}


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    client_id: str
    client_secret: str


def _basic(header: str) -> ClientCredentials:
    """RFC 6749 §2.3.1: id and secret are form-encoded, then joined by ``:`` and base64."""
    try:
        decoded = base64.b64decode(header.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError) as exc:
        raise InvalidClient() from exc
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise InvalidClient()
    return ClientCredentials(unquote_plus(client_id), unquote_plus(secret))


def client_credentials(
    authorization: str | None, client_id: str | None, client_secret: str | None
) -> ClientCredentials:
    """The credentials the client sent, by exactly one method: HTTP Basic or the form body."""
    basic = None
    if authorization is not None:
        scheme, _, value = authorization.strip().partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClient()
        basic = _basic(value.strip())
    if basic is not None:
        if client_secret is not None:
            raise InvalidRequest("Send the client credentials one way: Basic or the form body.")
        if client_id is not None and client_id != basic.client_id:
            raise InvalidRequest("client_id does not match the Basic credentials.")
        return basic
    if not client_id or not client_secret:
        raise InvalidClient()
    return ClientCredentials(client_id, client_secret)
