"""Token endpoint and JWKS shapes (RFC 6749 §5.1 and §5.2, RFC 7517)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

_KID = "hP7RdaWkZPQcVMJk5K84YZ8Q8A4N7e5JxMxEXAyYkb0"
#: An ES256 token for an MIS integration client (15 minutes).
_JWT = (
    "eyJhbGciOiJFUzI1NiIsImtpZCI6ImhQN1JkYVdrWlBRY1ZNSms1Szg0WVo4UThBNE43ZTVKeE14RVhBeVlrYjAi"
    "LCJ0eXAiOiJKV1QifQ.eyJpc3MiOiJodHRwczovL2twYXMua2VudC5nb3YudWsiLCJhdWQiOiJrcGFzLWFwaSIsIn"
    "N1YiI6ImMxNmNjMmMzLTE1NGEtNGI0ZS04MmYyLTQ1ZWY2ZDA2ZDllNSIsImlhdCI6MTc5NjI5MjAwMCwibmJmIjox"
    "Nzk2MjkyMDAwLCJleHAiOjE3OTYyOTI5MDAsImp0aSI6IjljMWU1ZjBhNGI3ZDRlMmY4YTZiM2MxZDBlOWY4YTdiIiwi"
    "cm9sZXMiOlsibWlzX2ludGVncmF0aW9uIl0sInNjaG9vbF91cm5zIjpbOTkwMDI4XX0.ah1GGxyfgA8uDoVKac9kudEy"
    "mMFKvPpPpdZVHCmD14pYIRpVSzLEtORA1o6Lnqg3Q_B6WNByCM8jgG0xgrB5DA"
)
_JWK: JsonDict = {
    "kty": "EC",
    "kid": _KID,
    "alg": "ES256",
    "use": "sig",
    "crv": "P-256",
    "x": "3HxyU_n1918UT_315TSfmjSzAecO_BwtOwMPBpKBlxA",
    "y": "8YCOsxuHBB2OEtaTkW-ymcLeKThrkyO47hz27MWOhr0",
}


class AccessToken(BaseModel):
    """RFC 6749 §5.1 successful response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"access_token": _JWT, "token_type": "Bearer", "expires_in": 900}]
        }
    )

    access_token: str = Field(description="A signed JWT; send it as `Authorization: Bearer`.")
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the token type name
    expires_in: int = Field(description="Seconds until the token expires.")


class OAuthErrorResponse(BaseModel):
    """RFC 6749 §5.2 error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"error": "invalid_client", "error_description": "Client authentication failed."}
            ]
        }
    )

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

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [_JWK]})

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
    model_config = ConfigDict(json_schema_extra={"examples": [{"keys": [_JWK]}]})

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

    model_config = ConfigDict(
        json_schema_extra={
            "required": ["grant_type"],
            "examples": [
                {
                    "grant_type": "client_credentials",
                    "client_id": "c16cc2c3-154a-4b4e-82f2-45ef6d06d9e5",
                    "client_secret": "kpas_cs_pR4v7mQ2xK9sT1wZ6yB3nL8cF5hJ0dG4eA2uV7iO9qE",
                }
            ],
        }
    )

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
