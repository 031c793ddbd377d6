"""Workers sharing the outbox, and a worker killed mid-send: on PostgreSQL, claims skip rows
another worker holds (``FOR UPDATE SKIP LOCKED``); on SQLite, the single writer serialises
them. Either way no message is claimed twice or sent twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.db import Database
from app.models.messages import MessageStatus
from app.repositories.messages import OutboxRepository
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.live import kpas, service_env
from tests.messages_support import (
    load_messages,
    outbox_database,
    queue_messages,
    quick_options,
    running_worker,
    start_outbox_fake,
    status_counts,
)
from tests.notify_support import NOTIFY_KEY, ledger, set_faults, wait_until


def twin(database: Database) -> Database:
    """Another process's view of the same database: its own engine and connections."""
    url = database.engine.url.render_as_string(hide_password=False)
    return Database.from_settings(make_settings(url, database_pool_size=5))


async def test_two_workers_never_claim_the_same_message(backend: str, tmp_path: Path) -> None:
    async with outbox_database(backend, tmp_path) as first:
        second = twin(first)
        try:
            ids = await queue_messages(first, 40)
            now = datetime.now(UTC)
            until = now + timedelta(minutes=2)
            async with first.sessions() as holding:
                # Worker A claims 15 and has not committed yet.
                held = await OutboxRepository(holding).claim(
                    "worker-a", now=now, until=until, limit=15
                )

                async def claim_b() -> set[object]:
                    async with second.sessions() as session:
                        claimed = await OutboxRepository(session).claim(
                            "worker-b", now=now, until=until, limit=100
                        )
                        await session.commit()
                        return {m.id for m in claimed}

                taking = asyncio.create_task(claim_b())
                if backend == "postgresql":
                    # B skips A's locked rows and takes the rest at once.
                    taken = await asyncio.wait_for(taking, 5)
                    await holding.commit()
                else:
                    # SQLite has one writer: B waits until A's claim commits.
                    await asyncio.sleep(0.5)
                    assert not taking.done()
                    await holding.commit()
                    taken = await asyncio.wait_for(taking, 10)
            mine = {m.id for m in held}
            assert len(mine) == 15
            assert mine.isdisjoint(taken)
            assert mine | taken == set(ids)
        finally:
            await second.dispose()


async def test_two_workers_draining_together_send_each_message_once(
    backend: str, tmp_path: Path
) -> None:
    async with outbox_database(backend, tmp_path) as first:
        second = twin(first)
        fake = start_outbox_fake()
        try:
            await queue_messages(first, 300)
            options = quick_options(batch_size=20)
            async with (
                running_worker(first, fake, options) as a,
                running_worker(second, fake, quick_options(batch_size=20)) as b,
            ):
                await asyncio.gather(a.send_due(), b.send_due())
                assert a.stats.claimed + b.stats.claimed == 300  # nobody claimed twice
                assert a.stats.claimed and b.stats.claimed  # and both took a share
            assert (await status_counts(first))[MessageStatus.ACCEPTED] == 300
            book = ledger(fake)
            assert book["duplicate_references"] == []
            assert len(book["accepted_by_reference"]) == 300
        finally:
            fake.stop()
            await second.dispose()


def unsent(counts: Counter[MessageStatus]) -> int:
    return counts[MessageStatus.QUEUED] + counts[MessageStatus.SENDING]


def worker_process(env: dict[str, str], log: Path, *options: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "app.cli", "worker", *options],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_a_worker_killed_mid_send_and_restarted_sends_nothing_twice(
    backend: str, tmp_path: Path
) -> None:
    """``kpas worker`` is killed (SIGKILL) while Notify holds two of its sends and it holds
    four more claimed; a restarted worker, once the claims expire, asks Notify for each
    reference before sending: the two are adopted, the four are sent, none twice."""
    async with outbox_database(backend, tmp_path) as database:
        fake = start_outbox_fake()
        log = tmp_path / "worker.log"
        try:
            ids = await queue_messages(database, 6)
            # Notify records each send, then is slow to answer: the worker dies waiting.
            set_faults(fake, {"kind": "slow", "stage": "after", "delay_seconds": 4})
            env = service_env(
                database.engine.url.render_as_string(hide_password=False),
                KPAS_NOTIFY_BASE_URL=fake.url,
                KPAS_NOTIFY_API_KEY=NOTIFY_KEY.formatted(),
                KPAS_OUTBOX_CLAIM_SECONDS="5",
                KPAS_LOG_FORMAT="json",
            )
            options = ("--concurrency", "2", "--batch-size", "6", "--notify-timeout", "1.5")
            doomed = worker_process(env, log, *options, "--idle", "0.1")
            try:
                await asyncio.to_thread(
                    wait_until, lambda: len(ledger(fake)["notifications"]) >= 2, 30
                )
            finally:
                doomed.send_signal(signal.SIGKILL)
                doomed.wait(10)
            assert len(ledger(fake)["notifications"]) == 2
            assert (await status_counts(database))[MessageStatus.SENDING] == 6
            set_faults(fake)
            # Restarted at once: it takes the messages over as soon as the claims expire.
            restarted = worker_process(env, log, *options, "--idle", "0.05")
            try:
                deadline = time.monotonic() + 30
                while unsent(await status_counts(database)):
                    assert restarted.poll() is None, log.read_text()[-3000:]
                    assert time.monotonic() < deadline, log.read_text()[-3000:]
                    await asyncio.sleep(0.1)
            finally:
                restarted.send_signal(signal.SIGTERM)  # a graceful stop
                assert restarted.wait(15) == 0, log.read_text()[-3000:]
            messages = await load_messages(database)
            book = ledger(fake)
            assert book["duplicate_references"] == []
            assert book["accepted_by_reference"] == {m.reference: 1 for m in messages.values()}
            by_reference = {n["reference"]: n["id"] for n in book["notifications"]}
            for message_id in ids:
                message = messages[message_id]
                # Adopted as Notify has it (perhaps delivered by now), or sent just now.
                assert message.status in {MessageStatus.ACCEPTED, MessageStatus.DELIVERED}
                assert str(message.notify_id) == by_reference[message.reference]
            assert '"outbox_reconciled"' in log.read_text()
        finally:
            fake.stop()


def test_the_worker_command_refuses_a_claim_shorter_than_a_send_and_runs_once(
    tmp_path: Path,
) -> None:
    env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}", KPAS_OUTBOX_CLAIM_SECONDS="5")

    def worker(*options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "app.cli", "worker", "--once", *options],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    refused = worker("--notify-timeout", "10")
    assert refused.returncode == 2
    assert "KPAS_OUTBOX_CLAIM_SECONDS" in refused.stderr
    kpas("migrate", env=env)
    once = worker("--notify-timeout", "1")  # nothing is due: one pass, then exit
    assert once.returncode == 0, once.stderr[-2000:]
    assert "outbox_worker_pass" in once.stderr
