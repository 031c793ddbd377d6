"""Helpers for the outbox and worker tests: a fake Notify holding every registered message
type's template, databases whose sessions really commit, queued messages, and a worker tuned
to run quickly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import delete, func, select

from app.cli import fake_notify_templates
from app.db import Database
from app.messages.worker import OutboxWorker, WorkerOptions
from app.models.messages import (
    FINAL_STATUSES,
    Channel,
    MessageStatus,
    NotifySendBudget,
    OutboundMessage,
)
from app.models.subjects import SubjectKind
from app.notify.client import NotifyClient
from app.notify.fake import FakeNotifyServer
from app.notify.keys import ApiKey
from app.policies.registry import Purpose
from app.services.outbox import Addressee, enqueue
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK, new_subject
from app.settings import PROJECT_ROOT
from tests.audit_support import migrated_database
from tests.live import free_port, wait_until_answering
from tests.notify_support import NOTIFY_KEY, control, fake_config

CONCERN = {
    "pupil_first_name": "Alex",
    "school_name": "Synthetic Primary School",
    "contact_number": "03000 412121",
}
LETTER_LINES = ("Sam Example", "1 High Street", "Maidstone", "ME14 1XQ")
TEXT_TO = "07700 900123"
EMAIL_TO = "carer@example.org"


def outbox_fake_config(**options: Any) -> Any:
    """A fake that accepts ``NOTIFY_KEY`` and holds every registered type's template."""
    return fake_config(templates=fake_notify_templates(), **options)


def start_outbox_fake(**options: Any) -> FakeNotifyServer:
    return FakeNotifyServer(outbox_fake_config(**options)).start()


@cache
def _shared_outbox_fake() -> FakeNotifyServer:
    # Its thread is a daemon: it ends with the test run.
    return start_outbox_fake()


def fresh_outbox_fake() -> FakeNotifyServer:
    """The run's shared outbox fake, reset (notifications, faults and live settings)."""
    server = _shared_outbox_fake()
    control(server, "POST", "reset")
    return server


@asynccontextmanager
async def outbox_database(backend: str, workdir: Path) -> AsyncIterator[Database]:
    async with migrated_database(backend, workdir, pool_size=20) as database:
        yield database


async def empty_outbox(database: Database) -> None:
    """No messages, and no shared sending state (rate slots, daily-limit pauses)."""
    async with database.sessions() as session:
        await session.execute(delete(OutboundMessage))
        await session.execute(delete(NotifySendBudget))
        await session.commit()


async def queue_messages(
    database: Database,
    count: int,
    *,
    channel: Channel = Channel.SMS,
    message_type: str = "attendance_concern",
    personalisation: dict[str, Any] | None = None,
    template_ids: dict[str, uuid.UUID] | None = None,
    now: datetime | None = None,
) -> list[uuid.UUID]:
    """``count`` messages to one (synthetic) carer, committed; their ids in order."""
    to = {
        Channel.SMS: Addressee(phone=TEXT_TO),
        Channel.EMAIL: Addressee(email=EMAIL_TO),
        Channel.LETTER: Addressee(address_lines=LETTER_LINES),
    }[channel]
    async with database.sessions() as session:
        subject = new_subject(session, SubjectKind.CARER, None)
        await session.flush()
        ids = []
        for _ in range(count):
            message = enqueue(
                session,
                message_type_code=message_type,
                channel=channel,
                to=to,
                personalisation=personalisation or CONCERN,
                purpose=Purpose.ATTENDANCE_DUTY,
                subject_id=subject.id,
                purposes_mask=PEOPLE_PURPOSES_MASK,
                lawful_basis=PEOPLE_BASIS,
                created_by="tester-1",
                now=now or datetime.now(UTC),
                template_ids=template_ids,
            )
            ids.append(message.id)
        await session.commit()
    return ids


def quick_options(**changes: Any) -> WorkerOptions:
    """Retries in hundredths of a second, no client-side limit, short timeouts."""
    values: dict[str, Any] = {
        "worker_id": f"test-worker-{uuid.uuid4().hex[:8]}",
        "concurrency": 10,
        "batch_size": 100,
        "claim_seconds": 30.0,
        "max_attempts": 10,
        "retry_base_seconds": 0.01,
        "retry_max_seconds": 0.05,
        "rate_limit_per_minute": None,
        "notify_timeout_seconds": 2.0,
        "reconcile_delay_seconds": 0.2,
        "idle_seconds": 0.02,
    }
    values.update(changes)
    return WorkerOptions(**values)


def notify_client(
    fake: FakeNotifyServer | FakeProcess,
    key: ApiKey = NOTIFY_KEY,
    *,
    timeout: float = 2.0,
    connections: int = 22,
) -> NotifyClient:
    return NotifyClient(
        fake.url,
        key,
        timeout=httpx.Timeout(timeout),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


@asynccontextmanager
async def running_worker(
    database: Database,
    fake: FakeNotifyServer | FakeProcess,
    options: WorkerOptions | None = None,
    *,
    key: ApiKey = NOTIFY_KEY,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[OutboxWorker]:
    options = options or quick_options()
    async with notify_client(
        fake, key, timeout=options.notify_timeout_seconds, connections=options.concurrency + 2
    ) as notify:
        if clock is None:
            yield OutboxWorker(database, notify, options)
        else:
            yield OutboxWorker(database, notify, options, clock=clock)


async def settle(worker: OutboxWorker, database: Database, *, within: float = 30.0) -> None:
    """Pass after pass until no message waits to be sent (retries included)."""
    deadline = time.monotonic() + within
    while True:
        await worker.send_due()
        counts = await status_counts(database)
        if not counts[MessageStatus.QUEUED] and not counts[MessageStatus.SENDING]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the outbox did not settle: {dict(counts)}")
        await asyncio.sleep(0.01)


async def status_counts(database: Database) -> Counter[MessageStatus]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(OutboundMessage.status, func.count()).group_by(OutboundMessage.status)
        )
        return Counter({MessageStatus(status): count for status, count in rows})


async def load_messages(database: Database) -> dict[uuid.UUID, OutboundMessage]:
    async with database.sessions() as session:
        rows = await session.scalars(select(OutboundMessage))
        return {message.id: message for message in rows}


def is_final(status: MessageStatus) -> bool:
    return status in FINAL_STATUSES


@dataclass
class FakeProcess:
    """``kpas fake-notify`` in a process of its own: faster than a thread under load, since
    it does not share this process's interpreter lock with the worker."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def fake_notify_process(*, delivery_delay: float = 0.05) -> Iterator[FakeProcess]:
    port = free_port()
    env = {**os.environ, "KPAS_ENV": "test", "KPAS_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "app.cli",
            "fake-notify",
            "--port",
            str(port),
            "--api-key",
            NOTIFY_KEY.formatted(),
            "--rate-limit",
            "1000000",
            "--delivery-delay",
            str(delivery_delay),
        ],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/_fake/health", process)
        # No receipts: nothing listens for them here.
        httpx.post(f"{url}/_fake/config", json={"callback_url": None}).raise_for_status()
        yield FakeProcess(url, process)
    finally:
        process.kill()
        process.wait(10)
