"""A client-side rate limiter, so the worker stays under Notify's limit instead of learning it
from 429s.

Notify allows 3,000 requests per 60 seconds per API key, as a token bucket that refills
evenly. The limiter here spaces sends evenly at the same rate (the generic cell rate
algorithm: each send reserves the next free slot), allowing only a small burst, so that a
worker started while Notify's bucket is partly empty still never overdraws it. Every sender
task of one worker shares one limiter. Several workers sharing one key each need a share of the
limit (``KPAS_NOTIFY_RATE_LIMIT_PER_MINUTE`` divided by the number of workers).

It runs on one event loop and needs no lock: a slot is reserved without awaiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

__all__ = ["RateLimiter"]

#: The burst allowed on top of the steady rate, as a fraction of one second's sends.
BURST_SECONDS = 0.1


class RateLimiter:
    """At most ``per_minute`` acquisitions in any minute, spread evenly."""

    def __init__(
        self,
        per_minute: int,
        *,
        burst: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the rate limit needs at least one send per minute")
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = burst if burst is not None else max(1, int(per_minute / 60 * BURST_SECONDS))
        self._clock = clock
        self._sleep = sleep
        # The theoretical arrival time of the next send: when it is due if sends are spaced
        # exactly ``interval`` apart.
        self._next = clock()

    async def acquire(self) -> None:
        """Wait for this caller's slot. Callers are served in the order they arrive."""
        now = self._clock()
        slot = max(self._next, now - (self.burst - 1) * self.interval)
        self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            await self._sleep(wait)

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (after a 429: Notify's bucket is empty)."""
        self._next = max(self._next, self._clock() + seconds)
