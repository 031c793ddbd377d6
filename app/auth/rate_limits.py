"""Rate limits on the token endpoint, per client id and per client address.

Each guess at a client secret costs an Argon2id verification, so ``POST /v1/oauth/token``
limits how often one client id, and one address, may ask: at most
``token_requests_per_minute_per_client`` and ``token_requests_per_minute_per_address``
requests in any 60 seconds (a sliding window). A request over a limit is answered 429 with
``Retry-After`` and not counted, so a caller who waits as told gets through.

The counts live in this process: with several API processes behind a balancer, each keeps its
own, and a caller may get up to that many times the limit across them.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from app.errors import TooManyRequests
from app.log import get_logger
from app.settings import Settings

log = get_logger("kpas.auth.rate_limits")

WINDOW_SECONDS = 60.0
#: Client ids are UUIDs; anything longer is cut before it becomes a key held in memory.
MAX_KEY_CHARS = 64


class SlidingWindow:
    """At most ``limit`` requests per key in any ``window`` seconds.

    Keys whose requests have all left the window are dropped once a window, so the memory
    held is bounded by the keys seen in the last window.
    """

    def __init__(
        self,
        limit: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("a limit allows at least one request")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._requests: dict[str, deque[float]] = {}
        self._next_sweep = clock() + window

    def hit(self, key: str) -> float | None:
        """Count a request for ``key``. None if it is within the limit; otherwise the
        seconds until one more would be (and the request is not counted)."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        times = self._requests.setdefault(key[:MAX_KEY_CHARS], deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.limit:
            return times[0] + self.window - now
        times.append(now)
        return None

    def _sweep(self, now: float) -> None:
        horizon = now - self.window
        for key in [k for k, times in self._requests.items() if not times or times[-1] <= horizon]:
            del self._requests[key]
        self._next_sweep = now + self.window


class TokenRequestLimits:
    """The token endpoint's two limits: per client address, and per client id."""

    def __init__(self, *, per_client: int, per_address: int) -> None:
        self.per_client = SlidingWindow(per_client)
        self.per_address = SlidingWindow(per_address)

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenRequestLimits:
        return cls(
            per_client=settings.token_requests_per_minute_per_client,
            per_address=settings.token_requests_per_minute_per_address,
        )

    def check_address(self, address: str) -> None:
        """Count a token request from ``address``; ``TooManyRequests`` over the limit."""
        wait = self.per_address.hit(address)
        if wait is not None:
            raise _refusal("address", self.per_address.limit, wait)

    def check_client(self, client_id: str) -> None:
        """Count a token request naming ``client_id``; ``TooManyRequests`` over the limit."""
        wait = self.per_client.hit(client_id)
        if wait is not None:
            raise _refusal("client_id", self.per_client.limit, wait)


_SCOPES = {"address": "from this address", "client_id": "for this client id"}


def _refusal(limited: str, limit: int, wait: float) -> TooManyRequests:
    retry_after = max(1, math.ceil(wait))
    # Neither the address nor the client id is logged: the first is personal data, and the
    # second is whatever the caller typed.
    log.warning("token_requests_limited", limited=limited, limit=limit, retry_after=retry_after)
    return TooManyRequests(
        f"Too many token requests {_SCOPES[limited]}: at most {limit} a minute. "
        f"Try again in {retry_after} seconds.",
        retry_after=retry_after,
    )


def token_request_limits_of(app: Any) -> TokenRequestLimits:
    """The application's token request limits, made from its settings on first use."""
    limits: TokenRequestLimits | None = getattr(app.state, "token_request_limits", None)
    if limits is None:
        limits = TokenRequestLimits.from_settings(app.state.settings)
        app.state.token_request_limits = limits
    return limits
