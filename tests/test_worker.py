"""The outbox worker against the fake Notify on loopback: sends, retries, reconciles, stops,
follows delivery and clears personal data, on a database whose transactions really commit."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from app.db import Database
from app.messages.limiter import RateLimiter
from app.messages.worker import POLL_LEASE_SECONDS, NotifyKeyRefused, next_uk_midnight
from app.models.audit import AuditEvent
from app.models.messages import Channel, MessageStatus, NotifySendBudget, OutboundMessage
from app.notify.fake import FakeNotifyServer
from app.notify.keys import ApiKey
from app.repositories.messages import NEVER, OutboxRepository, SendRecord
from tests.messages_support import (
    LETTER_LINES,
    FakeProcess,
    empty_outbox,
    fake_notify_process,
    fresh_outbox_fake,
    load_messages,
    outbox_database,
    queue_messages,
    quick_options,
    running_worker,
    settle,
    start_outbox_fake,
    status_counts,
)
from tests.notify_support import NOTIFY_KEY, control, ledger, set_faults, wait_until


@pytest_asyncio.fixture(scope="module")
async def outbox_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    async with outbox_database(backend, tmp_path_factory.mktemp("outbox")) as database:
        yield database


@pytest_asyncio.fixture
async def database(outbox_db: Database) -> Database:
    await empty_outbox(outbox_db)
    return outbox_db


@pytest.fixture
def fake() -> FakeNotifyServer:
    return fresh_outbox_fake()


def accepted_once(fake: FakeNotifyServer | FakeProcess, references: set[str]) -> dict[str, str]:
    """The fake's ledger shows exactly one accepted send per reference: reference → id."""
    book = ledger(fake)
    assert book["duplicate_references"] == []
    assert book["accepted_by_reference"] == dict.fromkeys(references, 1)
    return {n["reference"]: n["id"] for n in book["notifications"]}


async def audit_actions(database: Database, message_id: uuid.UUID) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.resource_id == str(message_id))
            .order_by(AuditEvent.seq)
        )
        return list(rows)


# --- sending --------------------------------------------------------------------------------


async def test_sends_texts_emails_and_letters_and_records_notify_ids(
    database: Database, fake: FakeNotifyServer
) -> None:
    ids = [
        *await queue_messages(database, 2, channel=Channel.SMS),
        *await queue_messages(database, 1, channel=Channel.EMAIL),
        *await queue_messages(database, 1, channel=Channel.LETTER),
    ]
    async with running_worker(database, fake) as worker:
        assert await worker.send_due() == 4
        assert await worker.send_due() == 0
    messages = await load_messages(database)
    by_reference = accepted_once(fake, {m.reference for m in messages.values()})
    kinds = {n["reference"]: n["type"] for n in ledger(fake)["notifications"]}
    for message_id in ids:
        message = messages[message_id]
        assert message.status is MessageStatus.ACCEPTED
        assert str(message.notify_id) == by_reference[message.reference]
        assert kinds[message.reference] == message.channel.value
        assert message.attempts == 1
        assert message.sent_at is not None
        assert (message.claimed_by, message.claimed_until) == (None, None)
        assert await audit_actions(database, message_id) == ["message.sent"]
    letter = messages[ids[-1]]
    assert letter.notify_status == "accepted"
    assert letter.personalisation is not None
    assert [letter.personalisation[f"address_line_{n}"] for n in range(1, 5)] == list(LETTER_LINES)


async def test_a_permanent_failure_is_recorded_and_not_retried(
    database: Database, fake: FakeNotifyServer
) -> None:
    unknown_template = {"attendance_concern.sms": uuid.uuid4()}
    (message_id,) = await queue_messages(database, 1, template_ids=unknown_template)
    async with running_worker(database, fake) as worker:
        assert await worker.send_due() == 1
        requests = ledger(fake)["requests"]
        assert await worker.send_due() == 0
        assert worker.stats.rejected == 1
    assert ledger(fake)["requests"] == requests == 1
    message = (await load_messages(database))[message_id]
    assert message.status is MessageStatus.REJECTED
    assert message.last_error == "400 BadRequestError template_not_found"
    assert message.completed_at is not None
    assert await audit_actions(database, message_id) == ["message.rejected"]


async def test_failures_are_retried_with_backoff_then_dead_lettered(
    database: Database, fake: FakeNotifyServer
) -> None:
    set_faults(fake, {"kind": "error", "status": 503, "scope": "any"})
    (message_id,) = await queue_messages(database, 1)
    options = quick_options(max_attempts=3, retry_base_seconds=30, retry_max_seconds=60)
    async with running_worker(database, fake, options) as worker:
        before = datetime.now(UTC)
        assert await worker.send_due() == 1
        message = (await load_messages(database))[message_id]
        assert message.status is MessageStatus.QUEUED
        assert message.attempts == 1
        assert message.last_error == "503 NotifyServerError"
        # A 5xx may follow a send Notify accepted: the next attempt asks first.
        assert message.outcome_unknown
        assert before <= message.next_attempt_at <= before + timedelta(seconds=31)
        for attempt in (2, 3):
            await make_due(database, message_id)
            assert await worker.send_due() == 1
            message = (await load_messages(database))[message_id]
            assert message.attempts == attempt
    assert message.status is MessageStatus.DEAD
    assert message.completed_at is not None
    assert ledger(fake)["notifications"] == []
    assert await audit_actions(database, message_id) == ["message.dead"]


async def make_due(database: Database, message_id: uuid.UUID) -> None:
    async with database.sessions() as session:
        await session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == message_id)
            .values(next_attempt_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        await session.commit()


async def test_a_lost_answer_is_reconciled_by_reference_not_sent_again(
    database: Database, fake: FakeNotifyServer
) -> None:
    # Notify records the send, then the answer is too slow for the client.
    set_faults(fake, {"kind": "slow", "stage": "after", "delay_seconds": 1.5, "times": 1})
    (message_id,) = await queue_messages(database, 1)
    options = quick_options(notify_timeout_seconds=0.5, reconcile_delay_seconds=0.1)
    async with running_worker(database, fake, options) as worker:
        await worker.send_due()
        message = (await load_messages(database))[message_id]
        assert (message.status, message.outcome_unknown) == (MessageStatus.QUEUED, True)
        await settle(worker, database)
        assert worker.stats.reconciled == 1
    message = (await load_messages(database))[message_id]
    assert str(message.notify_id) == accepted_once(fake, {message.reference})[message.reference]
    # Adopted as Notify has it by now: delivered.
    assert message.status is MessageStatus.DELIVERED
    assert message.completed_at is not None
    assert message.attempts == 2


async def test_thirty_percent_failures_deliver_every_message_exactly_once(
    database: Database,
) -> None:
    """1,000 messages, 30% of requests failing in mixed ways (5xx, 429, timeouts, dropped
    connections), some after Notify has recorded the send: every message is accepted exactly
    once by the fake's own ledger, and delivered. (The fake runs in a process of its own.)"""
    failing = [
        {"kind": "error", "status": 500, "probability": 0.08, "scope": "any"},
        {"kind": "error", "status": 502, "stage": "after", "probability": 0.07},
        {"kind": "rate_limit", "probability": 0.07},
        {"kind": "drop", "probability": 0.05, "scope": "any"},
        {"kind": "drop", "stage": "after", "probability": 0.05},
        # Slower than the client waits: timeouts, after the send is recorded or before.
        {"kind": "slow", "stage": "after", "delay_seconds": 0.6, "probability": 0.03},
        {"kind": "slow", "delay_seconds": 0.6, "probability": 0.03, "scope": "any"},
    ]
    options = quick_options(
        max_attempts=25,
        notify_timeout_seconds=0.3,
        reconcile_delay_seconds=1.0,
        receipt_overdue_seconds=0.0,
    )
    # A status ask that times out (on a loaded machine, even once the faults stop) is asked
    # again when its lease ends; the test moves its clock past the lease instead of waiting.
    later = timedelta()

    def clock() -> datetime:
        return datetime.now(UTC) + later

    with fake_notify_process() as fake:
        set_faults(fake, *failing)
        ids = await queue_messages(database, 1000)
        async with running_worker(database, fake, options, clock=clock) as worker:
            await settle(worker, database, within=60)
            book = ledger(fake)
            # Every message is sent at least once and 30% of sends fail, so at least 250
            # faults (300 expected). Reads see only the "any" faults, and how many reads the
            # worker makes depends on how many answers time out, so the share of all
            # requests is not a fixed number.
            assert sum(book["faults_applied"].values()) >= 250
            messages = await load_messages(database)
            by_reference = accepted_once(fake, {m.reference for m in messages.values()})
            assert worker.stats.reconciled > 0  # some answers were lost after the send
            set_faults(fake)
            await asyncio.to_thread(
                wait_until,
                lambda: all(n["status"] == "delivered" for n in ledger(fake)["notifications"]),
            )
            for _ in range(5):
                while await worker.poll_due():
                    pass
                if not (await status_counts(database))[MessageStatus.ACCEPTED]:
                    break
                later += timedelta(seconds=POLL_LEASE_SECONDS)
    messages = await load_messages(database)
    assert len(messages) == len(ids) == 1000
    for message in messages.values():
        assert message.status is MessageStatus.DELIVERED, message.last_error
        assert str(message.notify_id) == by_reference[message.reference]


async def test_notify_refusing_the_key_stops_the_worker_without_failing_messages(
    database: Database, fake: FakeNotifyServer
) -> None:
    ids = await queue_messages(database, 3)
    unknown_key = ApiKey.generate("unknown")
    async with running_worker(database, fake, key=unknown_key) as worker:
        with pytest.raises(NotifyKeyRefused):
            await worker.run_once()
    async with running_worker(database, fake, key=unknown_key) as worker:
        with pytest.raises(NotifyKeyRefused):
            await asyncio.wait_for(worker.run(), 10)
    for message in (await load_messages(database)).values():
        assert message.id in ids
        assert message.status is MessageStatus.QUEUED
        assert message.attempts == 0
        assert message.last_error == "403 AuthError"
    assert ledger(fake)["notifications"] == []


async def test_the_daily_limit_pauses_sending_until_midnight_uncounted(
    database: Database, fake: FakeNotifyServer
) -> None:
    control(fake, "POST", "config", {"daily_limit": 1})
    await queue_messages(database, 2)
    async with running_worker(database, fake, quick_options(concurrency=1)) as worker:
        assert await worker.send_due() == 2
        assert await worker.send_due() == 0  # paused: nothing is claimed
    messages = sorted((await load_messages(database)).values(), key=lambda m: m.status)
    waiting = [m for m in messages if m.status is MessageStatus.QUEUED]
    assert len(waiting) == 1
    assert waiting[0].attempts == 0
    assert waiting[0].last_error == "429 TooManyRequestsError"
    assert waiting[0].next_attempt_at == next_uk_midnight(datetime.now(UTC))


@pytest.mark.parametrize(
    ("now", "midnight"),
    [
        # Winter: UK time is UTC.
        (datetime(2026, 12, 3, 23, 59, tzinfo=UTC), datetime(2026, 12, 4, 0, 0, tzinfo=UTC)),
        # Summer: midnight in London is 23:00 UTC, so 23:30 UTC is already the next UK day.
        (datetime(2026, 7, 1, 22, 30, tzinfo=UTC), datetime(2026, 7, 1, 23, 0, tzinfo=UTC)),
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), datetime(2026, 7, 2, 23, 0, tzinfo=UTC)),
    ],
)
def test_daily_limits_reset_at_midnight_uk_time(now: datetime, midnight: datetime) -> None:
    assert next_uk_midnight(now) == midnight


async def test_a_channels_daily_limit_pauses_only_that_channel_for_every_worker(
    database: Database, fake: FakeNotifyServer
) -> None:
    control(fake, "POST", "config", {"daily_limits": {"sms": 1}})
    texts = await queue_messages(database, 3)
    emails = await queue_messages(database, 2, channel=Channel.EMAIL)
    async with running_worker(database, fake, quick_options(concurrency=1)) as worker:
        await worker.send_due()
        await worker.send_due()
    messages = await load_messages(database)
    assert {messages[i].status for i in emails} == {MessageStatus.ACCEPTED}
    sent_texts = [i for i in texts if messages[i].status is MessageStatus.ACCEPTED]
    held = [messages[i] for i in texts if messages[i].status is MessageStatus.QUEUED]
    assert (len(sent_texts), len(held)) == (1, 2)
    midnight = next_uk_midnight(datetime.now(UTC))
    assert {(m.attempts, m.next_attempt_at) for m in held} == {(0, midnight)}
    # Another worker learns the pause from the database: it claims no text, sends new emails.
    more_texts = await queue_messages(database, 1)
    more_emails = await queue_messages(database, 1, channel=Channel.EMAIL)
    async with running_worker(database, fake, quick_options(concurrency=1)) as other:
        await other.send_due()
        assert other.stats.claimed == 1
    messages = await load_messages(database)
    assert messages[more_emails[0]].status is MessageStatus.ACCEPTED
    assert messages[more_texts[0]].status is MessageStatus.QUEUED
    assert messages[more_texts[0]].attempts == 0


async def test_stopping_puts_claimed_unsent_messages_back_uncounted(
    database: Database, fake: FakeNotifyServer
) -> None:
    await queue_messages(database, 6)
    options = quick_options(concurrency=2, rate_limit_per_minute=60)  # one send a second
    async with running_worker(database, fake, options) as worker:
        running = asyncio.create_task(worker.run())
        await asyncio.to_thread(wait_until, lambda: len(ledger(fake)["notifications"]) >= 1)
        worker.stop()
        await asyncio.wait_for(running, 10)
    counts = await status_counts(database)
    sent = len(ledger(fake)["notifications"])
    assert counts[MessageStatus.ACCEPTED] == sent < 6
    assert counts[MessageStatus.QUEUED] == 6 - sent
    for message in (await load_messages(database)).values():
        if message.status is MessageStatus.QUEUED:
            assert (message.attempts, message.claimed_by) == (0, None)


# --- a crashed worker's claims ----------------------------------------------------------------


async def test_an_expired_claim_is_reconciled_and_a_stale_outcome_cannot_overwrite(
    database: Database, fake: FakeNotifyServer
) -> None:
    """Worker A claims and sends, then hangs before recording; its claim expires and worker B
    takes the message over. B finds the notification by reference instead of sending again,
    and A's late outcome is refused."""
    sent_by_a, unsent_by_a = await queue_messages(database, 2)
    async with running_worker(database, fake) as a:
        claimed = await a._claim(10)
        assert {m.id for m in claimed} == {sent_by_a, unsent_by_a}
        first = next(m for m in claimed if m.id == sent_by_a)
        late = await a._deliver(first)  # accepted by Notify; A "hangs" before recording
        later = datetime.now(UTC) + timedelta(seconds=a.options.claim_seconds + 1)
        async with running_worker(database, fake, clock=lambda: later) as b:
            assert await b.send_due() == 2
            assert b.stats.reconciled == 1
            assert b.stats.accepted == 1  # the one A never sent
        await a._record([late])
        assert a.stats.stale == 1
    messages = await load_messages(database)
    by_reference = accepted_once(fake, {m.reference for m in messages.values()})
    for message in messages.values():
        # The adopted one is as Notify has it by then: perhaps delivered already.
        assert message.status in {MessageStatus.ACCEPTED, MessageStatus.DELIVERED}
        assert str(message.notify_id) == by_reference[message.reference]
        assert message.attempts == 2
    assert await audit_actions(database, sent_by_a) == ["message.sent"]


# --- the rate limit ---------------------------------------------------------------------------


async def test_the_limiter_spaces_sends_at_the_rate() -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    limiter = RateLimiter(600, clock=lambda: now[0], sleep=sleep)  # 10 a second, burst 1
    for _ in range(5):
        await limiter.acquire()
    assert slept == pytest.approx([0.1, 0.2, 0.3, 0.4])
    now[0] = 10.0  # idle: the burst allowance is back, but never more than it
    slept.clear()
    for _ in range(3):
        await limiter.acquire()
    assert slept == pytest.approx([0.1, 0.2])
    limiter.hold_off(2.0)
    slept.clear()
    await limiter.acquire()
    assert slept == pytest.approx([2.0])


async def test_sends_stay_under_notify_rate_limit(database: Database) -> None:
    """Notify's bucket here holds only 4 sends and refills 20 a second. Without a limiter the
    worker overdraws it at once; with the limiter at the same rate, 60 messages take about
    3 seconds and not one is refused with a 429."""
    fake = start_outbox_fake(rate_limit=4, rate_period_seconds=0.2)
    try:
        await queue_messages(database, 20)
        async with running_worker(database, fake) as unlimited:
            await unlimited.send_due()
            assert unlimited.stats.rate_limited > 0
        await empty_outbox(database)
        await asyncio.sleep(0.3)  # Notify's bucket refills
        ids = await queue_messages(database, 60)
        control(fake, "POST", "reset")
        limited = quick_options(rate_limit_per_minute=1200)
        async with running_worker(database, fake, limited) as worker:
            started = time.monotonic()
            await settle(worker, database)
            elapsed = time.monotonic() - started
            assert worker.stats.rate_limited == 0
        assert len(ledger(fake)["notifications"]) == len(ids)
        assert elapsed >= (len(ids) - 2) / 20
    finally:
        fake.stop()


# --- following delivery -----------------------------------------------------------------------


async def test_accepted_letters_are_polled_until_final(
    database: Database, fake: FakeNotifyServer
) -> None:
    (letter,) = await queue_messages(database, 1, channel=Channel.LETTER)
    (text,) = await queue_messages(database, 1)
    options = quick_options(letter_check_seconds=0.0, receipt_overdue_seconds=3600.0)
    async with running_worker(database, fake, options) as worker:
        await worker.send_due()
        wait_until(
            lambda: all(
                n["status"] == "received" or n["type"] != "letter"
                for n in ledger(fake)["notifications"]
            )
        )
        assert await worker.poll_due() == 1  # the letter; the text's receipt is not overdue
        assert await worker.poll_due() == 0
    messages = await load_messages(database)
    assert messages[letter].status is MessageStatus.DISPATCHED  # never "delivered"
    assert messages[letter].notify_status == "received"
    assert messages[letter].completed_at is not None
    assert messages[text].status is MessageStatus.ACCEPTED


async def test_polling_stops_when_notify_no_longer_knows_the_message(
    database: Database, fake: FakeNotifyServer
) -> None:
    (letter,) = await queue_messages(database, 1, channel=Channel.LETTER)
    options = quick_options(letter_check_seconds=0.0)
    async with running_worker(database, fake, options) as worker:
        await worker.send_due()
        control(fake, "POST", "reset")  # Notify forgets it, as after its retention period
        assert await worker.poll_due() == 1
        assert await worker.poll_due() == 0
    message = (await load_messages(database))[letter]
    assert message.status is MessageStatus.ACCEPTED
    assert message.next_attempt_at == NEVER
    assert message.last_error == "404 NoResultFound"


# --- clearing personal data -------------------------------------------------------------------


async def test_personal_data_is_cleared_after_the_holding_period(database: Database) -> None:
    now = datetime.now(UTC)
    old_final, new_final, old_accepted, queued = (
        *await queue_messages(database, 3),
        *await queue_messages(database, 1),
    )
    async with database.sessions() as session:
        for message_id, values in (
            (old_final, {"status": MessageStatus.DELIVERED, "completed_at": now - timedelta(31)}),
            (new_final, {"status": MessageStatus.DEAD, "completed_at": now - timedelta(29)}),
            (old_accepted, {"status": MessageStatus.ACCEPTED, "sent_at": now - timedelta(38)}),
            (queued, {"next_attempt_at": now - timedelta(60)}),
        ):
            await session.execute(
                update(OutboundMessage).where(OutboundMessage.id == message_id).values(**values)
            )
        await session.commit()
    fake = fresh_outbox_fake()
    async with running_worker(database, fake, quick_options(personal_data_days=30)) as worker:
        assert await worker.clear_due() == 2
        assert await worker.clear_due() == 0
    messages = await load_messages(database)
    for message_id in (old_final, old_accepted):
        message = messages[message_id]
        assert (message.recipient, message.personalisation) == (None, None)
        assert message.personal_data_cleared_at is not None
        assert message.reference and message.message_type  # the record of it stays
        assert await audit_actions(database, message_id) == ["message.personal_data_cleared"]
    for message_id in (new_final, queued):
        assert messages[message_id].recipient is not None
        assert messages[message_id].personalisation
        assert messages[message_id].personal_data_cleared_at is None


async def test_outcomes_are_written_only_under_the_writers_own_claim(database: Database) -> None:
    (message_id,) = await queue_messages(database, 1)
    now = datetime.now(UTC)
    async with database.sessions() as session:
        outbox = OutboxRepository(session)
        (claimed,) = await outbox.claim("worker-a", now=now, until=now, limit=5)
        assert (claimed.attempts, claimed.outcome_unknown) == (1, False)
        # Expired at once: worker B takes it over, and must ask Notify before sending.
        (taken,) = await outbox.claim("worker-b", now=now, until=now + timedelta(60), limit=5)
        assert (taken.attempts, taken.outcome_unknown) == (2, True)
        outcome = SendRecord(
            id=message_id,
            status=MessageStatus.REJECTED,
            attempts=1,
            next_attempt_at=now,
            outcome_unknown=False,
            last_error="400 BadRequestError",
        )
        assert await outbox.record_sends("worker-a", [outcome], now=now) == set()
        assert await outbox.record_sends("worker-b", [outcome], now=now) == {message_id}
        await session.commit()
    message = (await load_messages(database))[message_id]
    assert (message.status, message.claimed_by) == (MessageStatus.REJECTED, None)


async def test_a_429_is_back_pressure_and_never_spends_an_attempt(
    database: Database, fake: FakeNotifyServer
) -> None:
    """Even allowed a single attempt, messages answered 429 are all sent in the end."""
    set_faults(fake, {"kind": "rate_limit", "scope": "send", "times": 6})
    ids = await queue_messages(database, 3)
    async with running_worker(database, fake, quick_options(max_attempts=1)) as worker:
        await settle(worker, database)
        assert worker.stats.rate_limited == 6
        assert worker.stats.dead == 0
    messages = await load_messages(database)
    assert {messages[i].status for i in ids} == {MessageStatus.ACCEPTED}
    assert {messages[i].attempts for i in ids} == {1}
    assert len(ledger(fake)["notifications"]) == 3


async def test_the_limit_a_429_states_slows_the_limiter(
    database: Database, fake: FakeNotifyServer
) -> None:
    control(fake, "POST", "config", {"rate_limit": 120, "rate_period_seconds": 60})
    set_faults(fake, {"kind": "rate_limit", "scope": "send", "times": 1})
    await queue_messages(database, 1)
    options = quick_options(rate_limit_per_minute=6000)
    async with running_worker(database, fake, options) as worker:
        await worker.send_due()
        assert worker.stats.rate_limited == 1
        assert worker.limiter is not None and worker.limiter.per_minute == 120


async def test_workers_share_one_rate_budget(database: Database, fake: FakeNotifyServer) -> None:
    """Notify's limit is per service and key type: two workers reserve their send slots from
    one budget in the database, so between them they never book more than the limit."""
    await queue_messages(database, 40)
    options = [
        quick_options(rate_limit_per_minute=1200, batch_size=5, concurrency=2) for _ in range(2)
    ]
    started = datetime.now(UTC)
    async with (
        running_worker(database, fake, options[0]) as one,
        running_worker(database, fake, options[1]) as two,
    ):
        await asyncio.gather(settle(one, database), settle(two, database))
        sent = one.stats.accepted + two.stats.accepted
        assert sent == 40 and one.stats.accepted and two.stats.accepted
    async with database.sessions() as session:
        budget = await session.get(NotifySendBudget, f"rate:{NOTIFY_KEY.service_id}")
    assert budget is not None
    interval = 60 / 1200
    # Every send had its own slot, ``interval`` apart (a burst of 2 allowed up front).
    assert (budget.available_at - started).total_seconds() >= (sent - 2) * interval


async def test_trial_mode_parks_messages_and_keeps_the_worker_going(
    database: Database,
) -> None:
    fake = start_outbox_fake(restricted=True, team=("07700 900999",))
    try:
        (letter,) = await queue_messages(database, 1, channel=Channel.LETTER)
        (text,) = await queue_messages(database, 1)
        async with running_worker(database, fake) as worker:
            await settle(worker, database)
            assert not worker.stopping  # not a key problem
            assert worker.stats.parked == 2
        messages = await load_messages(database)
        assert messages[letter].status is MessageStatus.DEAD
        assert messages[letter].last_error == "403 BadRequestError trial_mode"
        assert messages[text].status is MessageStatus.DEAD
        assert messages[text].last_error == "400 BadRequestError trial_mode"
        assert await audit_actions(database, letter) == ["message.parked"]
    finally:
        fake.stop()
