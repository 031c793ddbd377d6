"""Chaperone approval expiry reminders: who is reminded, when, by which channel, and never
twice; and the ``kpas worker`` loop that runs them."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.db import Database
from app.messages.templates import default_template_id
from app.models.audit import AuditEvent
from app.models.licences import Licence, LicenceStatus, Person
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.rules.chaperones import REMINDER_DAYS_BEFORE
from app.services.licence_reminders import (
    ACTION,
    CHECK_EVERY_SECONDS,
    MESSAGE_TYPE,
    REMINDERS_ROLE,
    ChaperoneReminders,
    contact_routes,
)
from app.settings import PROJECT_ROOT
from tests.audit_support import migrated_database
from tests.conftest import make_settings
from tests.licence_support import make_approved_chaperone
from tests.live import kpas, service_env

#: Monday 2 March 2026, 10:00 GMT (London and UTC dates agree).
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TODAY = date(2026, 3, 2)
EMAIL = "chris.chaperone@example.com"
PHONE = "+447700900123"


@pytest.fixture
def database(migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> Database:
    """The worker's database, inside the test's transaction (its commits are savepoints)."""
    return Database(migrated_engine, sessions, migrations_dir=PROJECT_ROOT / "migrations")


def reminders(database: Database, now: datetime = NOW, **options: object) -> ChaperoneReminders:
    return ChaperoneReminders(
        database,
        actor="worker-test",
        clock=lambda: now,
        **options,  # type: ignore[arg-type]
    )


async def approval(
    session: AsyncSession,
    *,
    expires_on: date,
    email: str | None = EMAIL,
    phone: str | None = None,
) -> Licence:
    """A granted approval whose chaperone has these contact details."""
    licence = await make_approved_chaperone(
        session, approved_on=date(expires_on.year - 3, expires_on.month, 1), expires_on=expires_on
    )
    person = await session.get(Person, licence.person_id)
    assert person is not None
    person.email = email
    person.phone = phone
    await session.flush()
    return licence


async def messages_for(session: AsyncSession, licence: Licence) -> list[OutboundMessage]:
    rows = await session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.subject_id == licence.subject_id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def reminder_events(session: AsyncSession, licence: Licence) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == ACTION, AuditEvent.resource_id == str(licence.id))
        .order_by(AuditEvent.seq)
    )
    return list(rows)


async def reminded_on(session: AsyncSession, licence: Licence) -> date | None:
    return await session.scalar(select(Licence.reminder_queued_on).where(Licence.id == licence.id))


# --- the routes -----------------------------------------------------------------------------


def test_email_is_preferred_then_a_text_then_nothing() -> None:
    assert [c for c, _ in contact_routes(EMAIL, PHONE)] == [Channel.EMAIL, Channel.SMS]
    assert [c for c, _ in contact_routes(None, PHONE)] == [Channel.SMS]
    assert contact_routes(None, None) == []
    assert contact_routes("", "") == []


# --- who is reminded ------------------------------------------------------------------------


async def test_an_approval_due_is_reminded_once_by_email(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=30))
    worker = reminders(database)

    assert await worker.run_once() == 1
    assert await worker.run_once() == 0  # never twice

    [message] = await messages_for(session, licence)
    assert message.message_type == MESSAGE_TYPE
    assert message.channel is Channel.EMAIL
    assert message.recipient == EMAIL
    assert message.template_id == default_template_id(MESSAGE_TYPE, Channel.EMAIL)
    assert message.personalisation == {"expiry_date": "1 April 2026"}
    assert message.purpose == "child_employment_licensing"
    assert message.status is MessageStatus.QUEUED
    assert message.created_by == "worker-test"
    assert await reminded_on(session, licence) == TODAY

    [event] = await reminder_events(session, licence)
    assert event.kind == "change"
    assert event.actor == "worker-test"
    assert event.actor_role == REMINDERS_ROLE
    assert event.purpose == "child_employment_licensing"
    assert event.resource_type == "licence"
    assert event.subject_id == licence.subject_id
    assert event.details == {
        "message_type": MESSAGE_TYPE,
        "channel": "email",
        "message_id": str(message.id),
        "reason": None,
    }


async def test_the_configured_template_is_used(database: Database, session: AsyncSession) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=10))
    template = uuid.uuid4()
    await reminders(database, template_ids={f"{MESSAGE_TYPE}.email": template}).run_once()
    [message] = await messages_for(session, licence)
    assert message.template_id == template


@pytest.mark.parametrize(
    ("days_left", "reminded"),
    [
        pytest.param(REMINDER_DAYS_BEFORE + 1, False, id="61 days: not yet"),
        pytest.param(REMINDER_DAYS_BEFORE, True, id="exactly 60 days: due"),
        pytest.param(0, True, id="its last day: due"),
        pytest.param(-1, False, id="expired yesterday: never"),
    ],
)
async def test_an_approval_is_reminded_from_60_days_before_its_last_day(
    database: Database, session: AsyncSession, days_left: int, reminded: bool
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=days_left))
    assert await reminders(database).run_once() == int(reminded)
    assert len(await messages_for(session, licence)) == int(reminded)
    assert await reminded_on(session, licence) == (TODAY if reminded else None)


async def test_today_is_the_london_date(database: Database, session: AsyncSession) -> None:
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): 60 days on is 30 August.
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    licence = await approval(session, expires_on=date(2026, 8, 30))
    assert await reminders(database, now=late).run_once() == 1
    assert await reminded_on(session, licence) == date(2026, 7, 1)


async def test_a_revoked_approval_is_not_reminded(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=5))
    licence.status = LicenceStatus.REVOKED
    await session.flush()
    assert await reminders(database).run_once() == 0
    assert await messages_for(session, licence) == []


@pytest.mark.parametrize("state", ["restricted", "past_retention", "objection"])
async def test_a_chaperone_who_may_not_be_contacted_gets_no_message(
    database: Database, session: AsyncSession, state: str
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=20))
    subject = await session.get(DataSubject, licence.subject_id)
    assert subject is not None
    if state == "restricted":
        subject.restricted_since = NOW - timedelta(days=1)
    elif state == "past_retention":
        subject.retain_until = TODAY - timedelta(days=1)
    else:
        session.add(
            SubjectObjection(
                subject_id=subject.id,
                purpose="child_employment_licensing",
                status=ObjectionStatus.UPHELD,
                decided_by="ig-1",
                decided_at=NOW,
            )
        )
    await session.flush()

    assert await reminders(database).run_once() == 0
    assert await messages_for(session, licence) == []
    assert await reminded_on(session, licence) is None
    assert await reminder_events(session, licence) == []


async def test_a_restricted_chaperone_is_reminded_once_the_restriction_lifts(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=20))
    subject = await session.get(DataSubject, licence.subject_id)
    assert subject is not None
    subject.restricted_since = NOW - timedelta(days=1)
    await session.flush()
    assert await reminders(database).run_once() == 0

    subject.restricted_since = None
    await session.flush()
    assert await reminders(database).run_once() == 1
    assert len(await messages_for(session, licence)) == 1


# --- channels -------------------------------------------------------------------------------


async def test_a_chaperone_without_email_is_texted(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(
        session, expires_on=TODAY + timedelta(days=45), email=None, phone=PHONE
    )
    assert await reminders(database).run_once() == 1
    [message] = await messages_for(session, licence)
    assert message.channel is Channel.SMS
    assert message.recipient == PHONE
    assert message.personalisation == {"expiry_date": "16 April 2026"}
    [event] = await reminder_events(session, licence)
    assert event.details["channel"] == "sms"
    assert event.details["message_id"] == str(message.id)


async def test_an_email_notify_would_refuse_falls_back_to_a_text(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(
        session, expires_on=TODAY + timedelta(days=45), email="not-an-address", phone=PHONE
    )
    assert await reminders(database).run_once() == 1
    [message] = await messages_for(session, licence)
    assert message.channel is Channel.SMS


async def test_a_chaperone_with_no_contact_details_is_recorded_not_retried(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=45), email=None)
    worker = reminders(database)
    assert await worker.run_once() == 1
    assert worker.totals.unreachable == 1
    assert await messages_for(session, licence) == []
    assert await reminded_on(session, licence) == TODAY
    [event] = await reminder_events(session, licence)
    assert event.details == {
        "message_type": MESSAGE_TYPE,
        "channel": "none",
        "message_id": None,
        "reason": "no_contact_details",
    }
    assert await worker.run_once() == 0
    assert len(await reminder_events(session, licence)) == 1


async def test_passes_take_batches_until_everyone_due_is_reminded(
    database: Database, session: AsyncSession
) -> None:
    due = [await approval(session, expires_on=TODAY + timedelta(days=d)) for d in range(1, 8)]
    worker = reminders(database, batch_size=3)
    assert await worker.run_once() == 7
    for licence in due:
        assert len(await messages_for(session, licence)) == 1


# --- workers side by side -------------------------------------------------------------------


async def test_two_workers_never_remind_twice(backend: str, tmp_path: Path) -> None:
    """On PostgreSQL two workers run at once, each claim skipping the approvals the other
    holds; on SQLite (one writer) they run one after the other. One message per approval."""
    async with migrated_database(backend, tmp_path) as first:
        url = first.engine.url.render_as_string(hide_password=False)
        second = Database.from_settings(make_settings(url, database_pool_size=5))
        try:
            async with first.sessions() as session:
                licences = [
                    await approval(session, expires_on=TODAY + timedelta(days=1 + n % 50))
                    for n in range(24)
                ]
                await session.commit()
            a = reminders(first, batch_size=2)
            b = reminders(second, batch_size=2)
            if backend == "postgresql":
                done = list(await asyncio.gather(a.run_once(), b.run_once()))
            else:
                done = [await a.run_once(), await b.run_once()]
            assert sum(done) == len(licences)
            async with first.sessions() as session:
                counted = await session.execute(
                    select(OutboundMessage.subject_id, func.count()).group_by(
                        OutboundMessage.subject_id
                    )
                )
                per_subject = {subject_id: count for subject_id, count in counted}
                events = await session.scalar(
                    select(func.count()).select_from(AuditEvent).where(AuditEvent.action == ACTION)
                )
            assert per_subject == {licence.subject_id: 1 for licence in licences}
            assert events == len(licences)
        finally:
            await second.dispose()


# --- the loop and the command ---------------------------------------------------------------


async def test_the_loop_looks_every_few_minutes_and_stops_promptly(
    database: Database, session: AsyncSession
) -> None:
    licence = await approval(session, expires_on=TODAY + timedelta(days=3))
    worker = reminders(database, idle_seconds=0.05)
    assert worker.check_every_seconds == CHECK_EVERY_SECONDS
    assert reminders(database, idle_seconds=900.0).check_every_seconds == 900.0
    running = asyncio.create_task(worker.run())
    for _ in range(200):
        if worker.totals.approvals:
            break
        await asyncio.sleep(0.01)
    worker.stop()
    await asyncio.wait_for(running, 5)
    assert worker.totals.emailed == 1
    assert len(await messages_for(session, licence)) == 1


def test_the_worker_command_reminds_once(tmp_path: Path) -> None:
    path = tmp_path / "kpas.db"
    url = f"sqlite+aiosqlite:///{path}"
    env = service_env(url)
    kpas("migrate", env=env)
    expires_on = datetime.now(UTC).date() + timedelta(days=30)

    async def scene() -> str:
        database = Database.from_settings(make_settings(url))
        try:
            async with database.sessions() as session:
                licence = await approval(session, expires_on=expires_on)
                await session.commit()
                return str(licence.id).replace("-", "")
        finally:
            await database.dispose()

    licence_id = asyncio.run(scene())
    once = kpas("worker", "--once", "--notify-timeout", "1", env=env)
    assert "chaperone_reminders_once" in once.stderr
    with sqlite3.connect(path) as db:
        queued = db.execute(
            "select count(*) from outbound_messages where message_type = ?", (MESSAGE_TYPE,)
        ).fetchone()[0]
        reminded = db.execute(
            "select reminder_queued_on from licences where replace(id, '-', '') = ?",
            (licence_id,),
        ).fetchone()[0]
    assert queued == 1
    assert reminded is not None
