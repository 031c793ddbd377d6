"""Draining the Notify outbox: one worker against the fake Notify, with and without a limit.

The fake runs in a process of its own (``kpas fake-notify``), as Notify would, so the worker's
process time is its own. No faults, no receipts.

1. **Rate limited.** 10,000 queued texts, the worker's limiter and the fake's bucket both at
   the same rate (6,000 a minute here: production's 3,000 would make the run three minutes
   long). Subject: the worker's throughput, measured over one-second windows. Baseline: the
   limit itself. Ratio = throughput / limit (target at least 0.95), with no 429s and no
   duplicate sends in the fake's ledger. The fake's bucket holds one second's sends, so
   exceeding the rate for more than a moment would be refused.
2. **Throttled.** As 1, but for a tenth of the run (in its middle) the fake answers every send
   with 429 ``RateLimitError``, as Notify does when another client of the service has used the
   budget, and the worker may make only 3 attempts. Subject and baseline as in 1; target: the
   drain rate at least 0.9 of the limit, no message dead-lettered (429s never spend
   attempts), no duplicates.
3. **Unlimited.** 10,000 queued texts, no client-side limit. Subject: the worker (claim,
   send, record with an audit event, in short transactions). Baseline: the same number of
   bare ``NotifyClient`` sends at the same concurrency, with no database at all. Ratio = the
   worker's throughput as a fraction of the bare client's; the note gives the worker's CPU
   time per message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable

import httpx

from app.db import Database
from app.messages.worker import OutboxWorker, WorkerOptions
from app.models.messages import MessageStatus
from bench.harness import Measurement, Result, Scale, short
from tests.conftest import make_settings
from tests.messages_support import (
    FakeProcess,
    empty_outbox,
    fake_notify_process,
    notify_client,
    queue_messages,
    status_counts,
)
from tests.notify_support import SMS_TEMPLATE

#: Texts queued for each drain, by scale.
MESSAGES = {Scale.QUICK: 1_000, Scale.FULL: 10_000}
LIMIT_PER_MINUTE = 6_000
CONCURRENCY = 10
WINDOW_SECONDS = 1.0


async def _windows(count: Callable[[], int], done: Callable[[], Awaitable[bool]]) -> list[float]:
    """Seconds per message in each full one-second window until ``done()``; the first window
    (start-up) and the last (partial) are left out."""
    samples: list[float] = []
    previous = count()
    started = time.perf_counter()
    while not await done():
        await asyncio.sleep(WINDOW_SECONDS)
        now, current = time.perf_counter(), count()
        if current > previous:
            samples.append((now - started) / (current - previous))
        previous, started = current, now
    return samples[1:-1] or samples


def _options(rate_limit: int | None, **changes: object) -> WorkerOptions:
    values: dict[str, object] = {
        "worker_id": f"bench-{uuid.uuid4().hex[:8]}",
        "concurrency": CONCURRENCY,
        "batch_size": 100,
        "rate_limit_per_minute": rate_limit,
        "idle_seconds": 0.05,
        **changes,
    }
    return WorkerOptions(**values)  # type: ignore[arg-type]


async def _throttle(url: str, *, after: float, seconds: float) -> None:
    """Every send answered 429 from ``after`` seconds for ``seconds`` seconds."""
    async with httpx.AsyncClient(timeout=10) as client:
        await asyncio.sleep(after)
        rule = {"kind": "rate_limit", "scope": "send"}
        (await client.post(f"{url}/_fake/faults", json={"rules": [rule]})).raise_for_status()
        await asyncio.sleep(seconds)
        (await client.post(f"{url}/_fake/faults", json={"rules": []})).raise_for_status()


async def _drain(worker: OutboxWorker, database: Database) -> tuple[Measurement, float, float]:
    """Run the worker until nothing is queued; (per-window samples, wall s, CPU s)."""
    finished = False

    async def done() -> bool:
        return finished

    async def work() -> None:
        nonlocal finished
        while True:
            await worker.send_due()
            counts = await status_counts(database)
            if not counts[MessageStatus.QUEUED] and not counts[MessageStatus.SENDING]:
                break
        finished = True

    cpu, wall = time.process_time(), time.perf_counter()
    sampler = asyncio.create_task(_windows(lambda: worker.stats.accepted, done))
    await work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Measurement("subject", await sampler), wall, cpu


async def _bare_sends(fake: FakeProcess, count: int) -> tuple[Measurement, float, float]:
    """``count`` sends straight from a ``NotifyClient``, ``CONCURRENCY`` at a time."""
    sent = 0
    finished = False

    async def done() -> bool:
        return finished

    async with notify_client(fake, timeout=10.0, connections=CONCURRENCY + 2) as notify:
        senders = asyncio.Semaphore(CONCURRENCY)

        async def send(number: int) -> None:
            nonlocal sent
            async with senders:
                await notify.send_sms(
                    phone_number="07700 900123",
                    template_id=SMS_TEMPLATE,
                    reference=f"baseline-{number}",
                    personalisation={"message": "Please call the attendance team."},
                )
                sent += 1

        cpu, wall = time.process_time(), time.perf_counter()
        sampler = asyncio.create_task(_windows(lambda: sent, done))
        await asyncio.gather(*(send(n) for n in range(count)))
        finished = True
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Measurement("baseline", await sampler), wall, cpu


def _ledger(url: str) -> dict[str, object]:
    body: dict[str, object] = httpx.get(f"{url}/_fake/ledger", timeout=30).json()
    return body


def _configure(url: str, **settings: object) -> None:
    """A clean fake with these settings, and no receipts (nothing listens for them here)."""
    httpx.post(f"{url}/_fake/reset", timeout=10).raise_for_status()
    body = {"callback_url": None, **settings}
    httpx.post(f"{url}/_fake/config", json=body, timeout=10).raise_for_status()


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    messages = MESSAGES[scale]
    settings = make_settings(url, log_level="WARNING", database_pool_size=5)
    database = Database.from_settings(settings)
    await database.upgrade()
    results: list[Result] = []
    with fake_notify_process(delivery_delay=0.5) as fake:
        # 1. Rate limited on both sides.
        per_second = LIMIT_PER_MINUTE / 60
        _configure(fake.url, rate_limit=int(per_second), rate_period_seconds=1.0)
        await queue_messages(database, messages)
        async with notify_client(fake, timeout=10.0, connections=CONCURRENCY + 2) as notify:
            worker = OutboxWorker(database, notify, _options(LIMIT_PER_MINUTE))
            subject, wall, cpu = await _drain(worker, database)
        book = _ledger(fake.url)
        duplicates = len(book["duplicate_references"])  # type: ignore[arg-type]
        accepted = len(book["accepted_by_reference"])  # type: ignore[arg-type]
        limit = Measurement("baseline", [60 / LIMIT_PER_MINUTE])
        results.append(
            Result(
                f"notify outbox at {LIMIT_PER_MINUTE:,}/min, {short(messages)} texts",
                backend,
                subject,
                limit,
                target="ratio >= 0.95 of the limit; no 429s; no duplicates",
                note=f"One worker (concurrency {CONCURRENCY}) drains {messages:,} queued texts "
                f"with its limiter and the fake's bucket (one second's sends) both at "
                f"{LIMIT_PER_MINUTE:,} a minute; baseline = the limit. This run: "
                f"{messages / wall:.1f} messages/s overall ({wall:.1f} s), "
                f"{worker.stats.rate_limited} answered 429, {accepted:,} accepted, "
                f"{duplicates} duplicate sends, {cpu / messages * 1000:.2f} ms CPU per message.",
            )
        )

        # 2. Throttled with 429s for a tenth of the run: back-pressure, never a spent attempt.
        await empty_outbox(database)
        _configure(fake.url, rate_limit=int(per_second), rate_period_seconds=1.0)
        await queue_messages(database, messages)
        expected = messages / per_second
        async with notify_client(fake, timeout=10.0, connections=CONCURRENCY + 2) as notify:
            worker = OutboxWorker(database, notify, _options(LIMIT_PER_MINUTE, max_attempts=3))
            throttle = asyncio.create_task(
                _throttle(fake.url, after=expected * 0.45, seconds=expected / 10)
            )
            subject, wall, cpu = await _drain(worker, database)
            await throttle
        counts = await status_counts(database)
        book = _ledger(fake.url)
        duplicates = len(book["duplicate_references"])  # type: ignore[arg-type]
        accepted = len(book["accepted_by_reference"])  # type: ignore[arg-type]
        results.append(
            Result(
                f"notify outbox at {LIMIT_PER_MINUTE:,}/min, 429s for a tenth of the run",
                backend,
                subject,
                limit,
                target="ratio >= 0.9 of the limit; none dead-lettered; no duplicates",
                note=f"As above, but every send is answered 429 for {expected / 10:.0f} s in the "
                f"middle of the run and the worker may make only 3 attempts. This run: "
                f"{messages / wall:.1f} messages/s overall ({wall:.1f} s), "
                f"{worker.stats.rate_limited:,} answered 429, {accepted:,} accepted, "
                f"{counts[MessageStatus.DEAD]} dead-lettered, {duplicates} duplicate sends.",
            )
        )

        # 3. No limit: the most one worker can send, against the bare client.
        await empty_outbox(database)
        _configure(fake.url, rate_limit=10_000_000, rate_period_seconds=60.0)
        await queue_messages(database, messages)
        async with notify_client(fake, timeout=10.0, connections=CONCURRENCY + 2) as notify:
            worker = OutboxWorker(database, notify, _options(None))
            subject, wall, cpu = await _drain(worker, database)
        book = _ledger(fake.url)
        duplicates = len(book["duplicate_references"])  # type: ignore[arg-type]
        baseline, base_wall, base_cpu = await _bare_sends(fake, messages)
        results.append(
            Result(
                f"notify outbox, no limit, {short(messages)} texts",
                backend,
                subject,
                baseline,
                target="report only (the fake Notify's own speed bounds both)",
                note=f"One worker (concurrency {CONCURRENCY}, no limiter) drains {messages:,} "
                f"texts: {messages / wall:.1f} messages/s, {cpu / messages * 1000:.2f} ms CPU "
                f"and {wall / messages * 1000:.2f} ms wall per message, {duplicates} "
                f"duplicates. Baseline: {messages:,} bare NotifyClient sends at the same "
                f"concurrency, no database: {messages / base_wall:.1f}/s, "
                f"{base_cpu / messages * 1000:.2f} ms CPU per send. The fake runs in its own "
                "process on the same machine.",
            )
        )
    await database.dispose()
    return results
