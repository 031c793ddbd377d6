"""The outbox worker (``kpas worker``): sends queued messages through GOV.UK Notify, exactly
once, and follows them until they are final.

One pass of the loop:

1. **Claim** due messages in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
   several workers share the outbox and never hold the same message; SQLite's single writer
   serialises the claims). A claim marks the message ``sending`` for this worker until a
   deadline and counts the attempt.
2. **Send** outside any transaction, with bounded concurrency, each send taking a slot from the
   client-side rate limiter (``app.messages.limiter``).
3. **Record** each outcome in a short transaction, guarded by the claim: a worker whose claim
   has expired (and whose message another worker took over) cannot overwrite the newer news.

Outcomes:

- Notify accepted it: ``accepted``, with Notify's id; its status follows from delivery receipts
  and polls (``app.messages.delivery``).
- 400 and other refusals (``NotifyRejected``): ``rejected``, recorded with Notify's error
  types, never retried. An authentication refusal (401/403 ``AuthError``) is about our key or
  clock, not the message: the message goes back to the queue, uncounted, and the worker stops
  with an error, rather than failing every message in the outbox.
- A 403 that is not an ``AuthError`` (a trial-mode service sending letters, a team key) and
  400s about the service's set-up (trial mode, a missing permission, an archived template)
  park the message: ``dead`` with the reason, for a person to retry once the service is fixed.
- 5xx and network failures: back to the queue after an exponential backoff with full
  jitter (``KPAS_OUTBOX_RETRY_BASE_SECONDS`` doubling up to ``KPAS_OUTBOX_RETRY_MAX_SECONDS``);
  after ``KPAS_OUTBOX_MAX_ATTEMPTS`` attempts, ``dead``, for a person to look at (and put back
  with ``POST /v1/messages/{id}/retry``).
- 429 is back-pressure, never a failure: the message goes back to the queue with the attempt
  uncounted, and the rate limiter (shared by every worker on the service through the
  database) holds off and adopts the limit Notify's answer states if it is lower. Notify's
  daily limit for a channel pauses that channel only (every worker learns it from the
  database) until the limit resets at midnight UK time; the other channels keep flowing.

Never twice: Notify has no idempotency key. When the answer to a send is lost (a timeout, a
dropped connection, a 5xx that may follow an accepted send) the message is marked
``outcome_unknown``, and so is any message whose claim expired (its worker was killed or hung
mid-send). Before such a message is sent again, the worker lists Notify's notifications by the
message's reference and, if one exists, adopts it instead of sending. The reconciliation waits
at least ``reconcile_delay_seconds`` after the lost answer (twice the request timeout by
default), so a request Notify was still working on has landed before we look. The claim
lasts much longer than a send can take (``KPAS_OUTBOX_CLAIM_SECONDS``; a send whose claim is
about to run out is not started), so no other worker can take a message over while its send is
in flight.

The worker also asks Notify for the status of accepted letters (which get no receipts) and of
texts and emails whose receipt is overdue, and clears personal data from messages that have
been final for the holding period (``app.messages.retention``).

Audit events (ids and codes only) are recorded for each message sent, rejected or
dead-lettered, in the transaction that records it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record, seal
from app.db import Database
from app.log import get_logger
from app.messages.delivery import apply_notification, message_status
from app.messages.limiter import RateLimiter, SharedRateLimiter
from app.messages.retention import WORKER_ROLE, clear_personal_data
from app.models.messages import FINAL_STATUSES, Channel, MessageStatus
from app.notify.client import NotifyClient
from app.notify.errors import (
    NotifyError,
    NotifyNotFound,
    NotifyRateLimited,
    NotifyRejected,
)
from app.notify.schemas import Notification, Sent
from app.repositories.messages import (
    ClaimedMessage,
    OutboxRepository,
    SendBudgetRepository,
    SendRecord,
    due_query,
)
from app.rules.calendar import LONDON
from app.settings import Settings

__all__ = [
    "NotifyKeyRefused",
    "OutboxWorker",
    "WorkerOptions",
    "WorkerStats",
    "new_worker_id",
    "notify_client_for",
]

_log = get_logger("app.messages.worker")

#: The longest sending pauses after a run of 429s (Notify's bucket refills continuously: the
#: first 429 holds off for one slot, each further one in a row twice as long, up to this).
RATE_LIMIT_PAUSE_SECONDS = 1.0
#: Notify's daily limits reset at midnight UK time.
#: Shared sending state: the rate limiter's slot and the daily-limit pauses by channel.
RATE_BUDGET = "rate:"
DAILY_PAUSE = "daily:"
#: Outcomes are written at least this often while sends are in flight.
RECORD_EVERY_SECONDS = 0.2
#: A send is not started unless its claim has this long left beyond the request timeout.
CLAIM_MARGIN_SECONDS = 2.0
#: How long a poll lease lasts (a worker that dies mid-poll is late, not wrong).
POLL_LEASE_SECONDS = 300.0
#: Messages whose status is asked for per pass.
POLL_BATCH = 200
#: Messages cleared per transaction.
CLEAR_BATCH = 500


class NotifyKeyRefused(RuntimeError):
    """Notify refused our API key (or our clock): sending stopped until a person fixes it."""


def new_worker_id() -> str:
    """Unique per process: host, pid and a random suffix (a restarted worker never reuses the
    claims of the one before it)."""
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{secrets.token_hex(4)}"


@dataclass(frozen=True, slots=True)
class WorkerOptions:
    """How one worker behaves. ``from_settings`` reads the ``KPAS_OUTBOX_*`` and
    ``KPAS_NOTIFY_*`` settings; the rest are the ``kpas worker`` options."""

    worker_id: str
    concurrency: int = 10
    batch_size: int = 100
    claim_seconds: float = 120.0
    max_attempts: int = 10
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 900.0
    #: None: no client-side limit (benchmarks of the worker alone).
    rate_limit_per_minute: int | None = 3000
    #: Share the rate limit with every other worker on the same Notify service through the
    #: database (False: this worker keeps its own, in memory).
    shared_rate_limit: bool = True
    notify_timeout_seconds: float = 10.0
    #: Wait at least this long after a lost answer before asking Notify for the reference
    #: (default: twice the request timeout).
    reconcile_delay_seconds: float | None = None
    #: Ask Notify for an accepted letter's status this often (letters get no receipts).
    letter_check_seconds: float = 3600.0
    #: Ask Notify for a text's or email's status if no receipt came within this long.
    receipt_overdue_seconds: float = 3600.0
    #: Sleep this long when there is nothing to do.
    idle_seconds: float = 1.0
    personal_data_days: int = 30
    clear_every_seconds: float = 600.0

    def __post_init__(self) -> None:
        if self.concurrency < 1 or self.batch_size < 1:
            raise ValueError("concurrency and batch size must be at least 1")
        if self.claim_seconds < 2 * self.notify_timeout_seconds + CLAIM_MARGIN_SECONDS:
            raise ValueError(
                "the claim must outlast a send and a reconciliation: make "
                "KPAS_OUTBOX_CLAIM_SECONDS at least twice the Notify timeout plus "
                f"{CLAIM_MARGIN_SECONDS:g} seconds"
            )

    @classmethod
    def from_settings(cls, settings: Settings, *, worker_id: str, **options: Any) -> WorkerOptions:
        values: dict[str, Any] = {
            "claim_seconds": float(settings.outbox_claim_seconds),
            "max_attempts": settings.outbox_max_attempts,
            "retry_base_seconds": settings.outbox_retry_base_seconds,
            "retry_max_seconds": settings.outbox_retry_max_seconds,
            "rate_limit_per_minute": settings.notify_rate_limit_per_minute,
            "personal_data_days": settings.outbox_personal_data_days,
        }
        values.update(options)
        return cls(worker_id=worker_id, **values)

    @property
    def reconcile_delay(self) -> float:
        if self.reconcile_delay_seconds is not None:
            return self.reconcile_delay_seconds
        return 2 * self.notify_timeout_seconds


def notify_client_for(settings: Settings, options: WorkerOptions) -> NotifyClient:
    """A Notify client sized for the worker: one connection per concurrent send."""
    seconds = options.notify_timeout_seconds
    return NotifyClient(
        settings.notify_base_url,
        settings.notify_api_key.get_secret_value(),
        timeout=httpx.Timeout(seconds, connect=min(5.0, seconds)),
        limits=httpx.Limits(
            max_connections=options.concurrency + 2,
            max_keepalive_connections=options.concurrency + 2,
        ),
    )


@dataclass(slots=True)
class WorkerStats:
    """Counts since the worker started, for logs, tests and benchmarks."""

    claimed: int = 0
    accepted: int = 0
    reconciled: int = 0
    retried: int = 0
    rejected: int = 0
    dead: int = 0
    released: int = 0
    stale: int = 0
    rate_limited: int = 0
    polled: int = 0
    cleared: int = 0
    parked: int = 0


@dataclass(frozen=True, slots=True)
class _Outcome:
    """A send's result: the columns to write and, if any, the audit event to go with them."""

    message: ClaimedMessage
    row: SendRecord
    action: str | None = None
    details: dict[str, str | int | bool | None] = field(default_factory=dict)


def _error_code(exc: BaseException) -> str:
    """What went wrong, for ``last_error``: status and Notify's error types, and for a refusal
    about the service our code for it (``trial_mode``), never Notify's messages."""
    if isinstance(exc, NotifyError):
        kinds = ",".join(exc.error_types) or type(exc).__name__
        code = f"{exc.status_code} {kinds}" if exc.status_code else kinds
        if isinstance(exc, NotifyRejected) and exc.reason:
            code = f"{code} {exc.reason}"
    else:
        code = type(exc).__name__
    return code[:100]


def next_uk_midnight(now: datetime) -> datetime:
    """The next midnight in the UK (GMT or BST), when Notify's daily limits reset."""
    local = now.astimezone(LONDON)
    tomorrow = (local + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=LONDON).astimezone(UTC)


class OutboxWorker:
    """Claims, sends and records outbox messages; see the module docstring."""

    def __init__(
        self,
        database: Database,
        notify: NotifyClient,
        options: WorkerOptions,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.notify = notify
        self.options = options
        self.stats = WorkerStats()
        self.limiter: RateLimiter | SharedRateLimiter | None = None
        if options.rate_limit_per_minute is not None:
            self.limiter = (
                SharedRateLimiter(
                    database, RATE_BUDGET + notify.service_id, options.rate_limit_per_minute
                )
                if options.shared_rate_limit
                else RateLimiter(options.rate_limit_per_minute)
            )
        self._throttled_in_a_row = 0
        self._clock = clock
        self._random = rng or random.Random()  # noqa: S311 - jitter, not security
        self._senders = asyncio.Semaphore(options.concurrency)
        self._stop = asyncio.Event()
        self._key_refused = False
        #: Channels paused by Notify's daily limits, and until when.
        self._paused: dict[Channel, datetime] = {}

    # --- the loop ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Finish the sends in flight, put back what was claimed but not sent, and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or self._key_refused

    async def run(self) -> None:
        """Work until ``stop()`` (SIGINT/SIGTERM in ``kpas worker``). Raises
        ``NotifyKeyRefused`` if Notify refuses our key.

        A pass that fails on the database (a restart, a failover) is logged and tried again
        after the idle interval: claims it could not record expire and are reconciled."""
        _log.info("outbox_worker_started", worker_id=self.options.worker_id)
        next_clearing = 0.0
        try:
            while not self.stopping:
                busy = 0
                try:
                    # A read first: an idle worker takes no write lock (SQLite has one).
                    if await self.anything_due():
                        busy += await self.send_due()
                        if not self.stopping:
                            busy += await self.poll_due()
                    if not self.stopping and time.monotonic() >= next_clearing:
                        busy += await self.clear_due()
                        next_clearing = time.monotonic() + self.options.clear_every_seconds
                except (OSError, DBAPIError) as exc:
                    _log.error("outbox_pass_failed", failure=type(exc).__name__)
                if not busy and not self.stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.options.idle_seconds)
            self._raise_if_key_refused()
        finally:
            _log.info("outbox_worker_stopped", worker_id=self.options.worker_id)

    async def anything_due(self) -> bool:
        """Is any message due to be sent, taken over or asked about?"""
        async with self.database.read_only() as conn:
            return bool(await conn.scalar(due_query(self._clock())))

    async def run_once(self) -> int:
        """One pass: send what is due now, ask about accepted messages that are due, clear
        what the holding period allows. Returns how many messages it acted on."""
        done = await self.send_due()
        done += await self.poll_due()
        done += await self.clear_due()
        self._raise_if_key_refused()
        return done

    def _raise_if_key_refused(self) -> None:
        if self._key_refused:
            raise NotifyKeyRefused(
                "Notify refused the API key: check KPAS_NOTIFY_API_KEY and the system clock"
            )

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[AsyncSession]:
        """A short read-write transaction; audit events are sealed into it before commit."""
        async with self.database.writer(), self.database.sessions() as session:
            try:
                yield session
                await seal(session)
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    # --- sending ------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Claim and send every message due now (up to twice the concurrency in flight, topping
        up as sends finish); record outcomes as they come. Returns messages processed."""
        await self._refresh_pauses()
        if len(self._paused) == len(Channel):
            return 0
        window = self._window()
        in_flight: set[asyncio.Task[_Outcome]] = set()
        finished: list[_Outcome] = []
        processed = 0
        more = True
        last_record = time.monotonic()
        try:
            while True:
                if more and not self._halted() and len(in_flight) <= window // 2:
                    wanted = min(self.options.batch_size, window - len(in_flight))
                    claimed = await self._claim(wanted)
                    more = len(claimed) == wanted
                    for message in claimed:
                        in_flight.add(asyncio.create_task(self._deliver(message)))
                if not in_flight:
                    break
                done, in_flight = await asyncio.wait(
                    in_flight, timeout=RECORD_EVERY_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                finished.extend(task.result() for task in done)
                if finished and (
                    len(finished) >= self.options.batch_size
                    or time.monotonic() - last_record >= RECORD_EVERY_SECONDS
                    or not in_flight
                ):
                    batch, finished = finished, []
                    await self._record(batch)
                    processed += len(batch)
                    last_record = time.monotonic()
        finally:
            # Never leave a send running unobserved: if recording failed, the sends still
            # finish, and their claims expire and are reconciled.
            if in_flight:
                await asyncio.gather(*in_flight, return_exceptions=True)
        return processed

    def _window(self) -> int:
        """How many messages to hold claimed at once: enough to keep every sender busy, and
        under a rate limit no more than can be sent well within a claim."""
        window = max(self.options.batch_size, 2 * self.options.concurrency)
        if self.limiter is not None:
            per_second = self.limiter.per_minute / 60
            window = min(window, max(1, int(per_second * self.options.claim_seconds / 4)))
        return window

    def _halted(self) -> bool:
        return self.stopping or len(self._paused) == len(Channel)

    def _pause_for(self, channel: Channel) -> datetime | None:
        """When ``channel``'s daily-limit pause ends, if it is paused now."""
        until = self._paused.get(channel)
        if until is not None and self._clock() >= until:
            del self._paused[channel]
            return None
        return until

    async def _refresh_pauses(self) -> None:
        """Learn the daily-limit pauses other workers have met."""
        now = self._clock()
        async with self.database.read_only() as conn, AsyncSession(bind=conn) as session:
            shared = await SendBudgetRepository(session).paused(DAILY_PAUSE, now=now)
        for name, until in shared.items():
            if name in {c.value for c in Channel}:
                channel = Channel(name)
                self._paused[channel] = max(until, self._paused.get(channel, until))
        for channel in list(self._paused):
            self._pause_for(channel)

    async def _pause_channel(self, channel: Channel, until: datetime) -> None:
        self._paused[channel] = max(until, self._paused.get(channel, until))
        now = self._clock()
        async with self._transaction() as session:
            await SendBudgetRepository(session).pause(
                DAILY_PAUSE + channel.value, until=until, now=now
            )

    async def _claim(self, limit: int) -> list[ClaimedMessage]:
        now = self._clock()
        until = now + timedelta(seconds=self.options.claim_seconds)
        paused = [channel for channel in Channel if self._pause_for(channel) is not None]
        async with self._transaction() as session:
            claimed = await OutboxRepository(session).claim(
                self.options.worker_id,
                now=now,
                until=until,
                limit=limit,
                exclude_channels=paused,
            )
        self.stats.claimed += len(claimed)
        return claimed

    async def _deliver(self, message: ClaimedMessage) -> _Outcome:
        """Reconcile if need be, then send; never raises."""
        try:
            async with self._senders:
                return await self._deliver_one(message)
        except Exception as exc:  # a bug must not lose the claim's outcome
            _log.exception(
                "outbox_send_failed", message_id=str(message.id), failure=type(exc).__name__
            )
            return self._retry(message, exc, unknown=True)

    async def _deliver_one(self, message: ClaimedMessage) -> _Outcome:
        if self.stopping:
            return self._released(message)
        paused = self._pause_for(message.channel)
        if paused is not None:
            return self._released(message, at=paused)
        if message.outcome_unknown:
            try:
                found = await self.notify.find_by_reference(message.reference)
            except NotifyRateLimited as exc:
                self.stats.rate_limited += 1
                return self._throttled(message, exc)
            except NotifyRejected as exc:
                if exc.is_auth_error:
                    return self._key_refused_outcome(message, exc)
                return self._retry(message, exc, unknown=True)
            except NotifyError as exc:
                return self._retry(message, exc, unknown=True)
            if found:
                return self._adopted(message, found)
        if self.limiter is not None:
            await self.limiter.acquire()
            if self.stopping:
                return self._released(message)
            paused = self._pause_for(message.channel)
            if paused is not None:
                return self._released(message, at=paused)
        # Start a send only if it ends, timeout and all, while the claim still holds.
        remaining = (message.claimed_until - self._clock()).total_seconds()
        if remaining < self.options.notify_timeout_seconds + CLAIM_MARGIN_SECONDS:
            return self._released(message)
        try:
            sent = await self._send(message)
        except NotifyRateLimited as exc:
            self.stats.rate_limited += 1
            if exc.daily_limit_reached:
                return await self._daily_limit_reached(message, exc)
            return self._throttled(message, exc)
        except NotifyRejected as exc:
            if exc.is_auth_error:
                return self._key_refused_outcome(message, exc)
            if exc.status_code == 403 or exc.service_not_ready:
                return self._parked(message, exc)
            return self._rejected(message, exc)
        except NotifyError as exc:
            return self._retry(message, exc, unknown=exc.may_have_been_accepted)
        self._throttled_in_a_row = 0
        return self._accepted(message, sent)

    async def _daily_limit_reached(
        self, message: ClaimedMessage, exc: NotifyRateLimited
    ) -> _Outcome:
        """Pause the channel whose daily limit Notify says is used up, for every worker, until
        the limit resets; the message goes back uncounted."""
        named = exc.daily_limit_channel
        known = {c.value: c for c in Channel}
        channel = known.get(named or "", message.channel)
        midnight = next_uk_midnight(self._clock())
        if channel not in self._paused:
            _log.warning(
                "notify_daily_limit_reached",
                channel=channel.value,
                resumes_at=midnight.isoformat(),
            )
        await self._pause_channel(channel, midnight)
        at = midnight if channel is message.channel else self._clock()
        return self._released(message, at=at, error=_error_code(exc))

    def _throttled(self, message: ClaimedMessage, exc: NotifyRateLimited) -> _Outcome:
        """A 429 for the per-minute limit: back-pressure, not a failure. Slow down (to the
        limit Notify states, if lower than ours), hold off a little longer for each 429 in a
        row, and put the message back with the attempt uncounted."""
        self._throttled_in_a_row += 1
        interval = (
            60.0 / self.options.rate_limit_per_minute
            if self.options.rate_limit_per_minute
            else 0.02
        )
        implied = exc.implied_rate
        if implied is not None and self.limiter is not None:
            per_minute = max(1, int(implied[0] * 60 / implied[1]))
            if per_minute < self.limiter.per_minute:
                _log.warning("notify_rate_limit_lower", per_minute=per_minute)
                self.limiter.set_rate(per_minute)
            interval = 60.0 / self.limiter.per_minute
        hold = min(RATE_LIMIT_PAUSE_SECONDS, interval * 2 ** min(self._throttled_in_a_row - 1, 20))
        if self.limiter is not None:
            self.limiter.hold_off(hold)
        return self._released(
            message, at=self._clock() + timedelta(seconds=hold), error=_error_code(exc)
        )

    async def _send(self, message: ClaimedMessage) -> Sent:
        if message.channel is Channel.SMS:
            return await self.notify.send_sms(
                phone_number=message.recipient or "",
                template_id=message.template_id,
                reference=message.reference,
                personalisation=message.personalisation,
            )
        if message.channel is Channel.EMAIL:
            return await self.notify.send_email(
                email_address=message.recipient or "",
                template_id=message.template_id,
                reference=message.reference,
                personalisation=message.personalisation,
            )
        return await self.notify.send_letter(
            template_id=message.template_id,
            personalisation=message.personalisation,
            reference=message.reference,
        )

    # --- outcomes -----------------------------------------------------------------------

    def _check_after(self, channel: Channel) -> timedelta:
        seconds = (
            self.options.letter_check_seconds
            if channel is Channel.LETTER
            else self.options.receipt_overdue_seconds
        )
        return timedelta(seconds=seconds)

    def _accepted(self, message: ClaimedMessage, sent: Sent) -> _Outcome:
        now = self._clock()
        first_status = "accepted" if message.channel is Channel.LETTER else "created"
        self.stats.accepted += 1
        return _Outcome(
            message,
            SendRecord(
                id=message.id,
                status=MessageStatus.ACCEPTED,
                attempts=message.attempts,
                next_attempt_at=now + self._check_after(message.channel),
                outcome_unknown=False,
                last_error=None,
                notify_id=sent.id,
                notify_status=first_status,
                sent_at=now,
            ),
            action="message.sent",
            details={"channel": message.channel.value, "notify_id": str(sent.id)},
        )

    def _adopted(self, message: ClaimedMessage, found: list[Notification]) -> _Outcome:
        """Notify already has this message (a send whose answer was lost): keep that one."""
        notification = min(found, key=lambda n: n.created_at)
        if len(found) > 1:
            _log.warning(
                "notify_duplicate_notifications",
                message_id=str(message.id),
                reference=message.reference,
                count=len(found),
            )
        now = self._clock()
        status = message_status(notification.status) or MessageStatus.ACCEPTED
        final = status in FINAL_STATUSES
        self.stats.reconciled += 1
        _log.info(
            "outbox_reconciled",
            message_id=str(message.id),
            notification_id=str(notification.id),
        )
        return _Outcome(
            message,
            SendRecord(
                id=message.id,
                status=status,
                attempts=message.attempts,
                next_attempt_at=now + self._check_after(message.channel),
                outcome_unknown=False,
                last_error=None,
                notify_id=notification.id,
                notify_status=(
                    notification.status if message_status(notification.status) else None
                ),
                sent_at=notification.created_at,
                completed_at=(notification.completed_at or now) if final else None,
            ),
            action="message.sent",
            details={
                "channel": message.channel.value,
                "notify_id": str(notification.id),
                "reconciled": True,
            },
        )

    def _rejected(self, message: ClaimedMessage, exc: NotifyRejected) -> _Outcome:
        self.stats.rejected += 1
        return self._refused(message, exc, MessageStatus.REJECTED, "message.rejected")

    def _parked(self, message: ClaimedMessage, exc: NotifyRejected) -> _Outcome:
        """Notify refused the message because of how the service is set up (trial mode, a team
        key, a missing permission, an archived template): ``dead`` with the reason, for a person
        to retry once the service is fixed, rather than rejected for good."""
        self.stats.parked += 1
        return self._refused(message, exc, MessageStatus.DEAD, "message.parked")

    def _refused(
        self, message: ClaimedMessage, exc: NotifyRejected, status: MessageStatus, action: str
    ) -> _Outcome:
        """Notify's refusal, final for this attempt: ``status`` with Notify's error code."""
        now = self._clock()
        code = _error_code(exc)
        _log.warning(
            f"outbox_{action.removeprefix('message.')}", message_id=str(message.id), error=code
        )
        return _Outcome(
            message,
            SendRecord(
                id=message.id,
                status=status,
                attempts=message.attempts,
                next_attempt_at=now,
                outcome_unknown=False,
                last_error=code,
                completed_at=now,
            ),
            action=action,
            details={"error": code},
        )

    def _retry(self, message: ClaimedMessage, exc: BaseException, *, unknown: bool) -> _Outcome:
        """Back to the queue after a backoff, or dead once the attempts are used up."""
        now = self._clock()
        code = _error_code(exc)
        if message.attempts >= self.options.max_attempts:
            self.stats.dead += 1
            _log.error(
                "outbox_dead_lettered",
                message_id=str(message.id),
                attempts=message.attempts,
                error=code,
            )
            return _Outcome(
                message,
                SendRecord(
                    id=message.id,
                    status=MessageStatus.DEAD,
                    attempts=message.attempts,
                    next_attempt_at=now,
                    outcome_unknown=unknown,
                    last_error=code,
                    completed_at=now,
                ),
                action="message.dead",
                details={"error": code, "attempts": message.attempts},
            )
        ceiling = min(
            self.options.retry_max_seconds,
            self.options.retry_base_seconds * 2 ** (message.attempts - 1),
        )
        delay = self._random.uniform(0, ceiling)  # full jitter
        if unknown:
            delay = max(delay, self.options.reconcile_delay)
        self.stats.retried += 1
        return _Outcome(
            message,
            SendRecord(
                id=message.id,
                status=MessageStatus.QUEUED,
                attempts=message.attempts,
                next_attempt_at=now + timedelta(seconds=delay),
                outcome_unknown=unknown,
                last_error=code,
            ),
        )

    def _released(
        self, message: ClaimedMessage, *, at: datetime | None = None, error: str | None = None
    ) -> _Outcome:
        """Claimed but not sent (stopping, paused, or the claim too close to its end): back
        to the queue with the attempt uncounted."""
        self.stats.released += 1
        return _Outcome(
            message,
            SendRecord(
                id=message.id,
                status=MessageStatus.QUEUED,
                attempts=max(message.attempts - 1, 0),
                next_attempt_at=at or self._clock(),
                outcome_unknown=message.outcome_unknown,
                last_error=error or message.last_error,
            ),
        )

    def _key_refused_outcome(self, message: ClaimedMessage, exc: NotifyRejected) -> _Outcome:
        if not self._key_refused:
            _log.error(
                "notify_key_refused",
                worker_id=self.options.worker_id,
                status=exc.status_code,
                error_types=list(exc.error_types),
            )
        self._key_refused = True
        return self._released(message, error=_error_code(exc))

    async def _record(self, outcomes: list[_Outcome]) -> None:
        now = self._clock()
        async with self._transaction() as session:
            written = await OutboxRepository(session).record_sends(
                self.options.worker_id, [o.row for o in outcomes], now=now
            )
            for outcome in outcomes:
                if outcome.action and outcome.message.id in written:
                    record(session, self._event(outcome))
        stale = len(outcomes) - len(written)
        if stale:
            # Another worker took these over, or a receipt got there first.
            self.stats.stale += stale
            _log.info("outbox_outcomes_superseded", count=stale)

    def _event(self, outcome: _Outcome) -> PendingAuditEvent:
        message = outcome.message
        return PendingAuditEvent(
            kind="change",
            action=outcome.action or "",
            purpose=message.purpose,
            basis=message.lawful_basis,
            actor=self.options.worker_id,
            actor_role=WORKER_ROLE,
            resource_type="message",
            resource_id=str(message.id),
            subject_id=message.subject_id,
            details={**outcome.details, "attempts": message.attempts},
        )

    # --- following accepted messages ---------------------------------------------------------

    async def poll_due(self) -> int:
        """Ask Notify for the status of accepted messages that are due (letters, and texts
        and emails whose receipt is overdue). Returns how many were asked about."""
        now = self._clock()
        async with self._transaction() as session:
            due = await OutboxRepository(session).claim_polls(
                now=now, lease_until=now + timedelta(seconds=POLL_LEASE_SECONDS), limit=POLL_BATCH
            )
        if not due:
            return 0
        answers: list[tuple[uuid.UUID, Channel, Notification | None]] = []

        async def ask(message_id: uuid.UUID, notify_id: uuid.UUID, channel: Channel) -> None:
            async with self._senders:
                try:
                    notification = await self.notify.get_notification(notify_id)
                    answers.append((message_id, channel, notification))
                except NotifyNotFound:
                    answers.append((message_id, channel, None))
                except NotifyRejected as exc:
                    if exc.is_auth_error:
                        self._key_refused = True
                except NotifyError:
                    pass  # asked again when the lease ends

        await asyncio.gather(*(ask(*item) for item in due))
        now = self._clock()
        async with self._transaction() as session:
            outbox = OutboxRepository(session)
            for message_id, channel, notification in answers:
                if notification is None:
                    await outbox.stop_polling(message_id, reason="404 NoResultFound", now=now)
                else:
                    await apply_notification(
                        session,
                        message_id,
                        notification,
                        now=now,
                        check_after=self._check_after(channel),
                    )
        self.stats.polled += len(due)
        return len(due)

    # --- clearing personal data ---------------------------------------------------------

    async def clear_due(self) -> int:
        """Clear personal data from messages past the holding period, a batch per
        transaction. Returns how many were cleared."""
        total = 0
        while not self.stopping:
            async with self._transaction() as session:
                cleared = await clear_personal_data(
                    session,
                    now=self._clock(),
                    holding_days=self.options.personal_data_days,
                    actor=self.options.worker_id,
                    limit=CLEAR_BATCH,
                )
            total += cleared
            if cleared < CLEAR_BATCH:
                break
        if total:
            _log.info("outbox_personal_data_cleared", count=total)
        self.stats.cleared += total
        return total
