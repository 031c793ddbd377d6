"""Keeping partitions ahead of the rows that need them (PostgreSQL).

``PartitionKeeper`` runs beside the outbox in ``kpas worker``: once a day it makes the
partitions of the school year starting within the next twelve months and the audit trail's
next block of events (``app.repositories.partitions``), and moves into them any rows that
reached the DEFAULT partition first. ``kpas partitions ensure`` does the same on demand. A run
that fails on the database is logged and tried again the next day; rows written meanwhile sit
in DEFAULT, never lost, and the next run moves them. Nothing happens on SQLite.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy.exc import DBAPIError

from app.db import Database
from app.log import get_logger
from app.policies.guard import local_today
from app.repositories.partitions import ahead_of, ensure_partitions

log = get_logger("kpas.partitions")

#: Once a day: a school year's partitions are made a year ahead, so a missed day costs nothing.
EVERY_SECONDS: Final = 86_400.0


async def ensure_ahead(
    database: Database, *, through: date, since: date | None = None
) -> list[str]:
    """Make the partitions needed through ``through`` (and from ``since``), in a transaction
    of its own; return the names made (none on SQLite)."""
    async with database.writer(), database.sessions() as session:
        try:
            made = await ensure_partitions(session, through=through, since=since)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
    if made:
        log.info("partitions_made", through=through.isoformat(), partitions=made)
    return made


class PartitionKeeper:
    """Runs :func:`ensure_ahead` every ``every_seconds`` until ``stop``."""

    def __init__(
        self,
        database: Database,
        *,
        every_seconds: float = EVERY_SECONDS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.every_seconds = every_seconds
        self._clock = clock
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run_once(self) -> list[str]:
        return await ensure_ahead(self.database, through=ahead_of(local_today(self._clock())))

    async def run(self) -> None:
        if self.database.engine.dialect.name != "postgresql":
            # Nothing to keep on SQLite; stay beside the worker's other loops (which all stop
            # when one returns) until stopped.
            await self._stop.wait()
            return
        log.info("partition_keeper_started", every_seconds=self.every_seconds)
        try:
            while not self._stop.is_set():
                try:
                    await self.run_once()
                except (OSError, DBAPIError) as exc:
                    log.error("partitions_failed", failure=type(exc).__name__)
                if not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.every_seconds)
        finally:
            log.info("partition_keeper_stopped")
