"""The service's own token issuer: short-lived access tokens signed by the local key ring.

Used by the client-credentials grant (``POST /v1/oauth/token``) and by ``kpas token``
(development tokens). Tokens carry the same claims the verifier maps to a Principal.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from app.auth.keys import KeyRing
from app.auth.principal import InspectionGrant, Role


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    token_id: str


class TokenIssuer:
    def __init__(
        self,
        ring: KeyRing,
        *,
        issuer: str,
        audience: str,
        ttl_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ring = ring
        self.issuer = issuer
        self.audience = audience
        self.ttl_seconds = ttl_seconds
        self.clock = clock

    def issue(
        self,
        *,
        subject: str,
        roles: Iterable[Role],
        area_teams: Iterable[str] = (),
        school_urns: Iterable[int] = (),
        org: str | None = None,
        client_id: str | None = None,
        inspection: InspectionGrant | None = None,
        ttl_seconds: int | None = None,
    ) -> IssuedToken:
        """Sign a token for ``subject`` valid from now for ``ttl_seconds`` (default: settings)."""
        ttl = ttl_seconds if ttl_seconds is not None else self.ttl_seconds
        now = int(self.clock())
        token_id = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": token_id,
            "roles": sorted(role.value for role in roles),
        }
        if teams := sorted(set(area_teams)):
            claims["area_teams"] = teams
        if urns := sorted(set(school_urns)):
            claims["school_urns"] = urns
        if org is not None:
            claims["org"] = org
        if client_id is not None:
            claims["client_id"] = client_id
        if inspection is not None:
            claims["inspection_grant_id"] = inspection.grant_id
            claims["inspection_starts_at"] = int(inspection.starts_at.timestamp())
            claims["inspection_ends_at"] = int(inspection.ends_at.timestamp())
        return IssuedToken(self.ring.sign(claims), ttl, token_id)
