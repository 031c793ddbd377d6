"""Token endpoint and JWKS shapes (RFC 6749 §5.1 and §5.2, RFC 7517)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class AccessToken(BaseModel):
    """RFC 6749 §5.1 successful response."""

    access_token: str = Field(description="A signed JWT; send it as `Authorization: Bearer`.")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the token type name
    expires_in: int = Field(description="Seconds until the token expires.")


class OAuthErrorResponse(BaseModel):
    """RFC 6749 §5.2 error response."""

    error: Literal[
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    ]
    error_description: str


class Jwk(BaseModel):
    """A public signing key (RFC 7517 §4): RSA keys carry n and e, EC keys crv, x and y."""

    model_config = ConfigDict(extra="allow")

    kty: Literal["RSA", "EC"]
    kid: str = Field(description="RFC 7638 JWK thumbprint (SHA-256) of the key.")
    alg: Literal["RS256", "ES256"]
    use: Literal["sig"] = "sig"
    n: str | None = None
    e: str | None = None
    crv: str | None = None
    x: str | None = None
    y: str | None = None


class JwkSet(BaseModel):
    keys: list[Jwk]


def _form_text(description: str, *, enum: list[str] | None = None) -> Any:
    """A form parameter's schema: text (a form has no null), optionally one of ``enum``."""

    def schema(field: dict[str, Any]) -> None:
        field.pop("anyOf", None)
        field.pop("default", None)
        field.update({"type": "string", "description": description})
        if enum:
            field["enum"] = enum

    return schema


CREDENTIAL = "Required unless sent with HTTP Basic (`clientBasic`)."


class TokenRequest(BaseModel):
    """RFC 6749 §4.4.2 access token request, form-encoded.

    Unknown parameters are ignored (RFC 6749 §3.2). The schema documents what a valid request
    carries; a request without it still gets an RFC 6749 error, not a validation problem.
    """

    model_config = ConfigDict(json_schema_extra={"required": ["grant_type"]})

    grant_type: str | None = Field(
        default=None,
        json_schema_extra=_form_text("Only `client_credentials`.", enum=["client_credentials"]),
    )
    client_id: str | None = Field(default=None, json_schema_extra=_form_text(CREDENTIAL))
    client_secret: str | None = Field(default=None, json_schema_extra=_form_text(CREDENTIAL))
    scope: str | None = Field(
        default=None,
        json_schema_extra=_form_text("Accepted and ignored: access follows the client's role."),
    )
