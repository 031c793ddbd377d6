"""Wiring: the key ring, the verifier and the issuer one app uses, built from settings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.auth.issuer import TokenIssuer
from app.auth.jwks import LocalKeySource, RemoteKeySet
from app.auth.keys import KeyRing, SigningKeysError
from app.auth.principal import InspectionGrant, Role
from app.auth.tokens import TokenVerifier, TrustedIssuer
from app.settings import Environment, Settings


class IdentityConfigurationError(SigningKeysError):
    """The identity settings cannot work (for example, an IdP issuer without its JWKS URL)."""


@dataclass(frozen=True, slots=True)
class Identity:
    key_ring: KeyRing
    verifier: TokenVerifier
    issuer: TokenIssuer

    @classmethod
    def from_settings(cls, settings: Settings) -> Identity:
        """Load (or, outside production, create) the signing keys and trust the configured
        issuers. Raises ``SigningKeysError`` for anything production must not run with."""
        production = settings.env is Environment.PRODUCTION
        ring = KeyRing.from_settings(settings)
        local = LocalKeySource(ring, settings.signing_keys_dir, allow_development=not production)
        issuers = [TrustedIssuer(settings.token_issuer, settings.token_audience, local)]
        if settings.idp_issuer or settings.idp_jwks_url:
            if not (settings.idp_issuer and settings.idp_jwks_url):
                raise IdentityConfigurationError(
                    "set both KPAS_IDP_ISSUER and KPAS_IDP_JWKS_URL, or neither"
                )
            if settings.idp_issuer == settings.token_issuer:
                raise IdentityConfigurationError("the IdP issuer must differ from our own")
            if production and not settings.idp_jwks_url.startswith("https://"):
                raise IdentityConfigurationError("KPAS_IDP_JWKS_URL must use https in production")
            remote = RemoteKeySet(settings.idp_jwks_url, cache_seconds=settings.jwks_cache_seconds)
            audience = settings.idp_audience or settings.token_audience
            issuers.append(TrustedIssuer(settings.idp_issuer, audience, remote))
        verifier = TokenVerifier(
            issuers,
            leeway_seconds=settings.token_leeway_seconds,
            max_bytes=settings.token_max_bytes,
            max_lifetime_seconds=settings.token_max_lifetime_seconds,
        )
        issuer = TokenIssuer(
            ring,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            ttl_seconds=settings.token_ttl_seconds,
        )
        return cls(key_ring=ring, verifier=verifier, issuer=issuer)

    def install(self, app: Any) -> None:
        """Put the pieces where the dependencies and routers look for them."""
        app.state.identity = self
        app.state.token_verifier = self.verifier
        app.state.token_issuer = self.issuer


#: Development tokens may outlive the usual access token, up to a working day.
MAX_DEVELOPMENT_TTL_SECONDS = 12 * 3600


class DevelopmentOnly(RuntimeError):
    """Refused because ``KPAS_ENV`` is production."""


def development_token(
    settings: Settings,
    *,
    subject: str,
    roles: Sequence[Role],
    area_teams: Sequence[str] = (),
    school_urns: Sequence[int] = (),
    org: str | None = None,
    inspection: InspectionGrant | None = None,
    ttl_seconds: int | None = None,
) -> str:
    """A token signed by the local key ring, for development and tests (``kpas token``).

    Refused in production: real staff tokens come from the council's identity provider and
    machine clients use the client credentials grant.
    """
    if settings.env is Environment.PRODUCTION:
        raise DevelopmentOnly("kpas token mints development tokens and is refused in production")
    # No longer than the service would accept from any issuer.
    longest = min(MAX_DEVELOPMENT_TTL_SECONDS, settings.token_max_lifetime_seconds)
    if ttl_seconds is not None and not 1 <= ttl_seconds <= longest:
        raise ValueError(f"ttl must be 1 to {longest} seconds")
    issuer = Identity.from_settings(settings).issuer
    return issuer.issue(
        subject=subject,
        roles=roles,
        area_teams=area_teams,
        school_urns=school_urns,
        org=org,
        inspection=inspection,
        ttl_seconds=ttl_seconds,
    ).access_token
