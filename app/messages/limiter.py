"""Client-side rate limiters, so workers stay under Notify's limit instead of learning it from
429s.

Notify allows 3,000 requests per 60 seconds per service and key type (live, team, test), not
per API key, as a token bucket that refills evenly. The limiters here space sends evenly at
the same rate (the generic cell rate algorithm: each send reserves the next free slot),
allowing only a small burst, so that a worker started while Notify's bucket is partly empty
still never overdraws it.

``RateLimiter`` is one process's (every sender task of one worker shares it; it runs on one
event loop and needs no lock: a slot is reserved without awaiting). ``SharedRateLimiter``
keeps the next free slot in the database, so several workers share one budget of
``KPAS_NOTIFY_RATE_LIMIT_PER_MINUTE`` between them.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from app.db import Database
from app.repositories.messages import SendBudgetRepository

__all__ = ["RateLimiter", "SharedRateLimiter"]

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

    def set_rate(self, per_minute: int) -> None:
        """Slow down (or speed up) to ``per_minute``, from the next slot on."""
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = max(1, int(per_minute / 60 * BURST_SECONDS))

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


class SharedRateLimiter:
    """The same spacing as ``RateLimiter``, with the budget shared by every worker on one
    Notify service through the database (``notify_send_budgets``): Notify's limit is per service
    and key type, not per worker or per API key.

    Slots are reserved a block at a time (about ``block_seconds`` of sends, one short
    transaction), then handed out locally in order, so the database sees a few writes a second
    however many sends there are. After a 429, ``hold_off`` drops the block and pushes the
    shared next slot back, so every worker slows down, not just the one that was told."""

    def __init__(
        self,
        database: Database,
        name: str,
        per_minute: int,
        *,
        block_seconds: float = 0.25,
        burst: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if per_minute < 1:
            raise ValueError("the rate limit needs at least one send per minute")
        self.database = database
        self.name = name
        self.block_seconds = block_seconds
        self._burst = burst
        self._sleep = sleep
        self._slots: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._not_before: float | None = None
        self.set_rate(per_minute)

    def set_rate(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.burst = (
            self._burst if self._burst is not None else max(1, int(per_minute / 60 * BURST_SECONDS))
        )
        self._slots.clear()

    async def acquire(self) -> None:
        """Wait for this caller's slot. Callers are served in the order they arrive."""
        async with self._lock:
            if not self._slots:
                await self._reserve()
            slot = self._slots.popleft()
        wait = slot - time.time()
        if wait > 0:
            await self._sleep(wait)

    async def _reserve(self) -> None:
        count = max(1, int(self.block_seconds / self.interval))
        not_before = self._not_before
        self._not_before = None
        async with self.database.writer(), self.database.sessions() as session:
            # The time is read once the transaction may write: a slot reserved for a moment
            # already past would let the sends queued behind it go at once.
            now = datetime.now(UTC)
            start = await SendBudgetRepository(session).reserve(
                self.name,
                count=count,
                interval=self.interval,
                burst=self.burst,
                now=now,
                not_before=(
                    datetime.fromtimestamp(not_before, UTC) if not_before is not None else None
                ),
            )
            await session.commit()
        first = start.timestamp()
        self._slots.extend(first + i * self.interval for i in range(count))

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (after a 429: Notify's bucket is empty); the
        next reservation tells the other workers."""
        until = time.time() + seconds
        self._not_before = max(self._not_before or until, until)
        self._slots.clear()
