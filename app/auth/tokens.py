"""Bearer token verification: a compact JWS from a trusted issuer, turned into a Principal.

What is accepted, and nothing else:

- a compact JWS (three base64url segments), no longer than ``token_max_bytes``; JWE (five
  segments) and unsecured tokens are refused;
- ``alg`` RS256 or ES256, and exactly the algorithm of the key that ``kid`` selects from the
  token's issuer's key set: an RSA key verifies only RS256, an EC P-256 key only ES256, so a
  token "signed" with HS256 using a public key as the secret never reaches a verifier;
- no ``crit`` header (we understand no extensions), and keys never come from the token itself
  (``jwk``, ``jku``, ``x5u`` and ``x5c`` headers are ignored);
- claims ``iss`` (a trusted issuer), ``aud`` (that issuer's audience), ``exp``, ``iat`` and
  ``sub``; ``nbf`` when present; all times with ``token_leeway_seconds`` of clock skew;
- a lifetime of at most ``token_max_lifetime_seconds``: ``exp - iat``, and ``exp`` no further
  than that from now (a leaked token from a trusted issuer stays usable only so long).

The signature is checked with a key object built once (python-jose's key classes over
``cryptography``); the claims are then checked here, cheaply, rather than by re-parsing the
token in ``jose.jwt``, and the parsed segments of a token seen before are reused (see
``TokenVerifier``). Every failure is an ``Unauthenticated`` whose detail says what was wrong
with the token without echoing it or revealing what would have been accepted.
"""

from __future__ import annotations

import binascii
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, TypeGuard

from app.auth.jwks import KeySource
from app.auth.keys import ALGORITHMS
from app.auth.principal import InspectionGrant, Principal, Role
from app.errors import Unauthenticated
from app.rules.kent import AreaTeam

INVALID_TOKEN_CHALLENGE = 'Bearer realm="kpas", error="invalid_token"'  # noqa: S105

_ROLES = {role.value: role for role in Role}
_AREA_TEAMS = {team.value: team.value for team in AreaTeam}
_UNKNOWN = {"roles": "a role", "area_teams": "an area team"}
_NOTHING: frozenset[Any] = frozenset()
_INSPECTION_CLAIMS = frozenset(
    {"inspection_grant_id", "inspection_starts_at", "inspection_ends_at"}
)
_MAX_TEXT_CLAIM = 255
#: The longest token lifetime accepted unless configured otherwise (a working day).
DEFAULT_MAX_LIFETIME_SECONDS = 12 * 3600
_URN_RANGE = range(100000, 1000000)


class InvalidToken(Unauthenticated):
    """A bearer token that was presented but cannot be accepted (RFC 6750 ``invalid_token``)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": INVALID_TOKEN_CHALLENGE})


@dataclass(frozen=True, slots=True)
class TrustedIssuer:
    """An issuer whose tokens are accepted: its ``iss``, the ``aud`` it must address to us,
    and where its keys come from."""

    issuer: str
    audience: str
    keys: KeySource


_URLSAFE = bytes.maketrans(b"-_", b"+/")
_PADDING = (b"", b"===", b"==", b"=")
_JSON = json.JSONDecoder()


def _decode_segment(segment: str) -> bytes:
    """base64url without padding (the caller has checked the token is ASCII).

    Characters outside the alphabet are dropped rather than refused, which is harmless: the
    signature covers the segments exactly as sent. Written against ``binascii`` directly
    because this runs three times per request and ``base64.urlsafe_b64decode``'s wrapping
    costs more than the decoding.
    """
    data = segment.encode("ascii").translate(_URLSAFE)
    return binascii.a2b_base64(data + _PADDING[len(data) % 4])


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = _JSON.decode(_decode_segment(segment).decode("utf-8"))
    # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors; deeply nested
    # arrays exhaust the parser's recursion limit instead.
    except (ValueError, RecursionError) as exc:
        raise InvalidToken(f"The token's {what} is not valid JSON.") from exc
    if not isinstance(value, dict):
        raise InvalidToken(f"The token's {what} is not a JSON object.")
    return value


def _read_header(segment: str) -> tuple[str, str]:
    """The header's algorithm and key id. Keys never come from the header itself."""
    header = _json_object(segment, "header")
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise InvalidToken("The token's signing algorithm is not accepted (RS256 or ES256).")
    if "crit" in header:
        raise InvalidToken("The token requires header extensions this service does not know.")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("The token does not name its signing key (kid).")
    return algorithm, kid


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number usable as a time: not a boolean, not NaN or infinite (which Python's
    JSON parser accepts, and which would compare false against every clock reading)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and math.isfinite(value)


@dataclass(slots=True)
class _Payload:
    """A payload segment already parsed, from a token whose signature has been checked."""

    claims: dict[str, Any]
    trusted: TrustedIssuer
    principal: Principal | None = None


def _remember(cache: dict[str, Any], key: str, value: Any, limit: int) -> None:
    if len(cache) >= limit:
        # Start again rather than evict one by one: popping a dict's oldest entries degrades
        # (the iterator skips their tombstones), and a refill costs one parse per live token.
        cache.clear()
    cache[key] = value


class TokenVerifier:
    """Verifies bearer tokens from a fixed set of trusted issuers.

    A client sends the same token with every request until it expires, and every token from
    one key has the same header. So the parsed header and payload segments (and the Principal
    a payload maps to) are kept, keyed by the segments' exact text, once a signature over them
    has been checked. Nothing that decides acceptance is cached: each request still has its
    signature verified, and its issuer, audience and times checked against the clock.
    """

    def __init__(
        self,
        issuers: Sequence[TrustedIssuer],
        *,
        leeway_seconds: int,
        max_bytes: int,
        max_lifetime_seconds: int = DEFAULT_MAX_LIFETIME_SECONDS,
        clock: Callable[[], float] = time.time,
        cache_size: int = 4096,
    ) -> None:
        self._issuers = {trusted.issuer: trusted for trusted in issuers}
        self.leeway = leeway_seconds
        self.max_lifetime = max_lifetime_seconds
        self.max_bytes = max_bytes
        self.clock = clock
        self.cache_size = cache_size
        self._headers: dict[str, tuple[str, str]] = {}
        self._payloads: dict[str, _Payload] = {}

    @property
    def issuers(self) -> list[str]:
        return list(self._issuers)

    async def verify(self, token: str) -> Principal:
        """The principal a valid token describes; ``InvalidToken`` (401) for anything else."""
        payload = await self._verify(token)
        if payload.principal is None:
            payload.principal = principal_from_claims(payload.claims)
        return payload.principal

    async def verify_claims(self, token: str) -> Mapping[str, Any]:
        """The claims of a valid token (read-only), signature and registered claims checked."""
        return MappingProxyType((await self._verify(token)).claims)

    async def _verify(self, token: str) -> _Payload:
        if len(token) > self.max_bytes:
            raise InvalidToken("The token is longer than this service accepts.")
        segments = token.split(".")
        if len(segments) == 5:
            raise InvalidToken("Encrypted tokens (JWE) are not accepted; send a signed JWT.")
        if len(segments) != 3 or not token.isascii() or not all(segments):
            raise InvalidToken("The token is not a signed JWT (compact JWS).")
        header_segment, payload_segment, signature_segment = segments
        algorithm, kid = self._headers.get(header_segment) or _read_header(header_segment)
        payload = self._payloads.get(payload_segment) or self._read_payload(payload_segment)

        trusted = payload.trusted
        key = trusted.keys.cached(kid) or await trusted.keys.find(kid)
        if key is None:
            raise InvalidToken("The token is signed by a key this service does not know.")
        if key.algorithm != algorithm:
            raise InvalidToken("The token's algorithm does not match its signing key.")
        try:
            signature = _decode_segment(signature_segment)
        except ValueError as exc:
            raise InvalidToken("The token's signature is not valid.") from exc
        signing_input = token[: len(header_segment) + 1 + len(payload_segment)].encode("ascii")
        if not key.verify(signing_input, signature):
            raise InvalidToken("The token's signature is not valid.")

        self._check_registered_claims(payload.claims, trusted.audience)
        if header_segment not in self._headers:
            _remember(self._headers, header_segment, (algorithm, kid), self.cache_size)
        if payload_segment not in self._payloads:
            _remember(self._payloads, payload_segment, payload, self.cache_size)
        return payload

    def _read_payload(self, segment: str) -> _Payload:
        claims = _json_object(segment, "payload")
        issuer = claims.get("iss")
        trusted = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trusted is None:
            raise InvalidToken("The token is not from an issuer this service trusts.")
        return _Payload(claims, trusted)

    def _check_registered_claims(self, claims: Mapping[str, Any], audience: str) -> None:
        aud = claims.get("aud")
        if isinstance(aud, str):
            addressed = aud == audience
        elif isinstance(aud, list):
            addressed = audience in aud
        else:
            raise InvalidToken("The token has no audience (aud).")
        if not addressed:
            raise InvalidToken("The token is not addressed to this service (aud).")

        now = self.clock()
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf", None)
        if not _is_number(exp):
            raise InvalidToken("The token has no valid expiry (exp).")
        if not _is_number(iat):
            raise InvalidToken("The token has no valid issue time (iat).")
        if now >= exp + self.leeway:
            raise InvalidToken("The token has expired.")
        if iat > now + self.leeway:
            raise InvalidToken("The token was issued in the future (iat).")
        # exp - iat is the lifetime the issuer granted. exp - now bounds the token the same way
        # without trusting iat (required above today, so this is defence in depth).
        if exp - iat > self.max_lifetime or exp - now > self.max_lifetime + self.leeway:
            raise InvalidToken("The token's lifetime (exp) is longer than this service accepts.")
        if nbf is not None:
            if not _is_number(nbf):
                raise InvalidToken("The token's not-before time (nbf) is not a number.")
            if now < nbf - self.leeway:
                raise InvalidToken("The token is not valid yet (nbf).")
        sub = claims.get("sub")
        if not isinstance(sub, str) or not sub or len(sub) > _MAX_TEXT_CLAIM:
            raise InvalidToken("The token has no valid subject (sub).")


# --- claims to principal --------------------------------------------------------------------


def _optional_text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT_CLAIM:
        raise InvalidToken(f"The token's {name} claim is not valid.")
    return value


def _set_claim(claims: Mapping[str, Any], name: str, known: Mapping[Any, Any]) -> frozenset[Any]:
    """A list claim of known values, as the set of what they map to."""
    value = claims.get(name)
    if value is None:
        return _NOTHING
    if type(value) is not list:
        raise InvalidToken(f"The token's {name} claim must be a list.")
    try:
        return frozenset([known[item] for item in value])
    except (KeyError, TypeError):
        raise InvalidToken(
            f"The token carries {_UNKNOWN[name]} this service does not know."
        ) from None


def _moment(value: object, name: str) -> datetime:
    if _is_number(value):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidToken(f"The token's {name} claim is not a valid time.") from exc
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidToken(f"The token's {name} claim is not a valid time.") from exc
        if moment.tzinfo is None:
            raise InvalidToken(f"The token's {name} claim needs a UTC offset.")
        return moment.astimezone(UTC)
    raise InvalidToken(f"The token's {name} claim is not a valid time.")


def _inspection(claims: Mapping[str, Any]) -> InspectionGrant | None:
    present = [name for name in _INSPECTION_CLAIMS if claims.get(name) is not None]
    if not present:
        return None
    if len(present) != len(_INSPECTION_CLAIMS):
        raise InvalidToken("The token's inspection grant is incomplete.")
    grant_id = _optional_text(claims, "inspection_grant_id")
    assert grant_id is not None
    starts = _moment(claims["inspection_starts_at"], "inspection_starts_at")
    ends = _moment(claims["inspection_ends_at"], "inspection_ends_at")
    if ends <= starts:
        raise InvalidToken("The token's inspection grant ends before it starts.")
    return InspectionGrant(grant_id=grant_id, starts_at=starts, ends_at=ends)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Map verified claims to a Principal. Unknown roles and area teams are refused, not
    dropped: a token that means something we do not understand is not half-accepted."""
    school_urns = claims.get("school_urns")
    if school_urns is None:
        urns = _NOTHING
    elif type(school_urns) is list and all(type(u) is int and u in _URN_RANGE for u in school_urns):
        urns = frozenset(school_urns)
    else:
        raise InvalidToken("The token's school_urns must be a list of six-digit URNs.")
    return Principal(
        subject=claims["sub"],
        roles=_set_claim(claims, "roles", _ROLES),
        issuer=claims["iss"],
        area_teams=_set_claim(claims, "area_teams", _AREA_TEAMS),
        school_urns=urns,
        org=_optional_text(claims, "org"),
        inspection=_inspection(claims) if _INSPECTION_CLAIMS & claims.keys() else None,
        client_id=_optional_text(claims, "client_id"),
        token_id=_optional_text(claims, "jti"),
    )
