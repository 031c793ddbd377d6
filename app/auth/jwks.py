"""Where verification keys come from: the local key ring, or a remote JWKS (the council IdP).

Both answer one question, ``find(kid)``, and both may look again when asked for a ``kid`` they
do not know (a rotation elsewhere), but never more often than once per ``min_refresh_seconds``:
a stream of tokens with made-up ``kid`` values cannot turn into a stream of fetches or scans.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from app.auth.keys import KeyRing, SigningKeysError, VerificationKey, read_keys
from app.log import get_logger

log = get_logger("kpas.auth.jwks")

#: At most one look for new keys per this many seconds, per key source.
MIN_REFRESH_SECONDS = 30.0
JWKS_TIMEOUT_SECONDS = 5.0
JWKS_MAX_BYTES = 256 * 1024

Clock = Callable[[], float]


class KeySource(Protocol):
    """Finds the verification key a token names."""

    def cached(self, kid: str) -> VerificationKey | None:
        """The key if it is held and current, without any I/O (the common case)."""
        ...

    async def find(self, kid: str) -> VerificationKey | None:
        """The key, looking again (rate-limited) when it is not held or the set is stale."""
        ...


class _RateLimit:
    """Allows an action at most once per ``interval`` seconds."""

    def __init__(self, interval: float, clock: Clock) -> None:
        self.interval = interval
        self.clock = clock
        self.last: float | None = None

    def ready(self) -> bool:
        return self.last is None or self.clock() - self.last >= self.interval

    def mark(self) -> None:
        self.last = self.clock()


class LocalKeySource:
    """The service's own key ring; rescans its directory for a ``kid`` it does not know.

    A rescan finds a key another replica (or ``kpas keys rotate``) added since this process
    started, so a rolling rotation does not refuse the new key's tokens here.
    """

    def __init__(
        self,
        ring: KeyRing,
        directory: Path,
        *,
        allow_development: bool,
        clock: Clock = time.monotonic,
        min_refresh_seconds: float = MIN_REFRESH_SECONDS,
    ) -> None:
        self.ring = ring
        self.directory = directory
        self.allow_development = allow_development
        self._rescan = _RateLimit(min_refresh_seconds, clock)
        self._rescan.mark()  # the ring was read just now
        self._lock = asyncio.Lock()

    def cached(self, kid: str) -> VerificationKey | None:
        return self.ring.find(kid)

    async def find(self, kid: str) -> VerificationKey | None:
        key = self.ring.find(kid)
        if key is not None or not self._rescan.ready():
            return key
        async with self._lock:
            if self._rescan.ready():
                self._rescan.mark()
                await self._reload()
        return self.ring.find(kid)

    async def _reload(self) -> None:
        try:
            keys = await asyncio.to_thread(read_keys, self.directory)
        except (OSError, SigningKeysError) as exc:
            log.error("signing_keys_rescan_failed", error=str(exc))
            return
        if not keys:
            return
        if not self.allow_development and any(k.development for k in keys):
            log.error("signing_keys_rescan_refused", reason="development key in production")
            return
        self.ring.replace(keys)


class RemoteKeySet:
    """A JWKS fetched over HTTPS, cached for ``cache_seconds``.

    An unknown ``kid`` triggers a refresh (the issuer may have rotated), rate-limited. When a
    refresh fails the keys already held stay in use; with none held, tokens are refused until
    a later attempt succeeds.
    """

    def __init__(
        self,
        url: str,
        *,
        cache_seconds: float,
        clock: Clock = time.monotonic,
        min_refresh_seconds: float = MIN_REFRESH_SECONDS,
        timeout: float = JWKS_TIMEOUT_SECONDS,
    ) -> None:
        self.url = url
        self.cache_seconds = cache_seconds
        self.clock = clock
        self.timeout = timeout
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._attempts = _RateLimit(min_refresh_seconds, clock)
        self._lock = asyncio.Lock()

    def _fresh(self) -> bool:
        return self._fetched_at is not None and self.clock() - self._fetched_at < self.cache_seconds

    def cached(self, kid: str) -> VerificationKey | None:
        key = self._keys.get(kid)
        return key if key is not None and self._fresh() else None

    async def find(self, kid: str) -> VerificationKey | None:
        key = self.cached(kid)
        if key is not None:
            return key
        # Stale cache, or a kid we do not know: look again, at most once per interval.
        if self._attempts.ready():
            async with self._lock:
                if self._attempts.ready() and (kid not in self._keys or not self._fresh()):
                    self._attempts.mark()
                    await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        try:
            document = await self._fetch()
            keys = parse_jwks(document)
        except (httpx.HTTPError, ValueError, RecursionError) as exc:
            log.warning("jwks_fetch_failed", url=self.url, error_class=type(exc).__name__)
            return
        self._keys = keys
        self._fetched_at = self.clock()
        log.info("jwks_fetched", url=self.url, keys=len(keys))

    async def _fetch(self) -> object:
        async with (
            httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client,
            client.stream("GET", self.url, headers={"Accept": "application/json"}) as response,
        ):
            response.raise_for_status()
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > JWKS_MAX_BYTES:
                    raise ValueError("JWKS document too large")
        return json.loads(bytes(body))


def parse_jwks(document: object) -> dict[str, VerificationKey]:
    """The usable signing keys of a JWK Set, by ``kid``. Unusable entries are skipped (and
    logged); a document that is not a JWK Set is a ``ValueError``."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set")
    keys: dict[str, VerificationKey] = {}
    ambiguous: set[str] = set()
    for entry in document["keys"]:
        if not isinstance(entry, dict):
            continue
        try:
            key = VerificationKey.from_jwk(entry)
        except (ValueError, TypeError) as exc:
            log.info("jwks_key_skipped", kid=str(entry.get("kid"))[:64], reason=str(exc))
            continue
        if key.kid in keys or key.kid in ambiguous:  # an ambiguous kid selects nothing
            log.warning("jwks_duplicate_kid", kid=key.kid[:64])
            keys.pop(key.kid, None)
            ambiguous.add(key.kid)
            continue
        keys[key.kid] = key
    return keys
