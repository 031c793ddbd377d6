"""Reminding chaperones that their approval is ending.

A chaperone approval lasts three years and the chaperone is reminded
``REMINDER_DAYS_BEFORE`` (60) days before its last day (``app.rules.chaperones``: council
practice, unconfirmed). ``ChaperoneReminders`` runs beside the outbox in ``kpas worker``. Every
few minutes (``CHECK_EVERY_SECONDS``, or the worker's idle interval if that is longer) it looks
for granted approvals, in force, whose last day is at most 60 days after today (the London
date) and that have had no reminder, and in one short transaction per batch:

1. claims them (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never hold the same
   approval; SQLite's single writer serialises the claims), and only those whose chaperone
   may be processed for ``child_employment_licensing`` today: a chaperone whose data subject
   is restricted (UK GDPR Art 18), past its retention date, or has an upheld objection to the
   purpose (Art 21; the approval itself is kept under an objection, but messages stop) is not
   claimed, gets no message, and is claimed again if that ends while
   the approval is still in force;
2. queues a ``chaperone_expiry_reminder`` in the outbox (``app.services.outbox``): by email if
   the chaperone's record has an address, else by text if it has a mobile number. Where it has
   neither (or Notify's rules refuse both), nothing is sent, and that is recorded: the licensing
   team sees it as ``channel: none`` in the audit trail and writes themselves;
3. sets ``reminder_queued_on`` to today, either way, so the approval is never reminded twice
   nor retried on every pass;
4. records an audit change event per approval (``licence.expiry_reminder``: ids, the channel
   and the message id; no personal data).

The message carries only the approval's last day (``expiry_date``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record, seal
from app.db import Database
from app.log import get_logger
from app.models.licences import Licence, Person
from app.models.messages import Channel
from app.policies.guard import local_today
from app.policies.registry import Purpose
from app.policies.subject_state import visible_subjects
from app.repositories.licences import LicenceRepository
from app.rules.chaperones import REMINDER_DAYS_BEFORE
from app.services.outbox import Addressee, OutboxRefusal, enqueue

__all__ = [
    "ACTION",
    "CHECK_EVERY_SECONDS",
    "MESSAGE_TYPE",
    "REMINDERS_ROLE",
    "ChaperoneReminders",
    "ReminderCounts",
    "contact_routes",
    "remind_due",
]

_log = get_logger("app.services.licence_reminders")

LICENSING = Purpose.CHILD_EMPLOYMENT_LICENSING
MESSAGE_TYPE = "chaperone_expiry_reminder"
#: The audit action recorded for each approval reminded (or found unreachable).
ACTION = "licence.expiry_reminder"
#: The ``actor_role`` of the audit events this loop records.
REMINDERS_ROLE = "licence_reminders"
#: What the reminder is, for the subject filter. An upheld objection to licensing stops it:
#: keeping an approval ("chaperone") continues under an objection as the legal obligation
#: requires, but messages stop (the purpose's obligation note in ``app.policies.registry``).
RESOURCE = "message"
#: Reminders fall due a day at a time: looking every five minutes is plenty.
CHECK_EVERY_SECONDS = 300.0
#: Approvals claimed per transaction (each claim is held only while its messages are queued).
DEFAULT_BATCH = 100


@dataclass(slots=True)
class ReminderCounts:
    """What passes did, for logs and tests."""

    emailed: int = 0
    texted: int = 0
    #: Approvals whose chaperone could not be reached: recorded, not sent.
    unreachable: int = 0

    @property
    def approvals(self) -> int:
        return self.emailed + self.texted + self.unreachable

    def add(self, other: ReminderCounts) -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))

    def as_log(self) -> dict[str, int]:
        return {field.name: getattr(self, field.name) for field in fields(self)}


def contact_routes(email: str | None, phone: str | None) -> list[tuple[Channel, Addressee]]:
    """The ways to reach a chaperone, best first: email, then text. Empty where the record
    has neither."""
    routes: list[tuple[Channel, Addressee]] = []
    if email:
        routes.append((Channel.EMAIL, Addressee(email=email)))
    if phone:
        routes.append((Channel.SMS, Addressee(phone=phone)))
    return routes


async def _claim_due(
    session: AsyncSession, *, today: date, limit: int
) -> list[tuple[Licence, Person]]:
    """Approvals due a reminder, for chaperones who may be processed for licensing messages
    today; locked, skipping any another worker holds."""
    return await LicenceRepository(session).approvals_due_a_reminder(
        today=today,
        expiring_by=today + timedelta(days=REMINDER_DAYS_BEFORE),
        visible=visible_subjects(Person.subject_id, LICENSING, today, RESOURCE),
        limit=limit,
    )


async def remind_due(
    session: AsyncSession,
    *,
    now: datetime,
    actor: str,
    template_ids: Mapping[str, uuid.UUID] | None = None,
    limit: int = DEFAULT_BATCH,
) -> ReminderCounts:
    """One batch, in the caller's transaction (which must ``seal`` and commit): claim up to
    ``limit`` approvals due a reminder on ``now``'s London date, queue each chaperone's
    reminder, mark the approval reminded and record an audit event for it."""
    today = local_today(now)
    counts = ReminderCounts()
    for licence, person in await _claim_due(session, today=today, limit=limit):
        assert licence.expires_on is not None  # the query requires it
        sent: tuple[Channel, uuid.UUID] | None = None
        routes = contact_routes(person.email, person.phone)
        for channel, to in routes:
            try:
                message = enqueue(
                    session,
                    message_type_code=MESSAGE_TYPE,
                    channel=channel,
                    to=to,
                    personalisation={"expiry_date": licence.expires_on},
                    purpose=LICENSING,
                    subject_id=person.subject_id,
                    purposes_mask=person.purposes_mask,
                    lawful_basis=person.lawful_basis,
                    created_by=actor,
                    now=now,
                    template_ids=template_ids,
                )
            except OutboxRefusal:
                continue  # Notify would refuse this address or number: try the next
            sent = (channel, message.id)
            break
        licence.reminder_queued_on = today
        if sent is None:
            counts.unreachable += 1
        elif sent[0] is Channel.EMAIL:
            counts.emailed += 1
        else:
            counts.texted += 1
        record(
            session,
            PendingAuditEvent(
                kind="change",
                action=ACTION,
                purpose=LICENSING.value,
                basis=licence.lawful_basis,
                actor=actor,
                actor_role=REMINDERS_ROLE,
                resource_type="licence",
                resource_id=str(licence.id),
                subject_id=licence.subject_id,
                details={
                    "message_type": MESSAGE_TYPE,
                    "channel": sent[0].value if sent else "none",
                    "message_id": str(sent[1]) if sent else None,
                    "reason": None
                    if sent
                    else ("recipient_refused" if routes else "no_contact_details"),
                },
            ),
        )
    await session.flush()
    return counts


class ChaperoneReminders:
    """Runs reminder passes, each batch in a transaction of its own: ``run_once`` reminds
    everyone due now, ``run`` does so every few minutes until ``stop``."""

    def __init__(
        self,
        database: Database,
        *,
        actor: str,
        template_ids: Mapping[str, uuid.UUID] | None = None,
        idle_seconds: float = 1.0,
        batch_size: int = DEFAULT_BATCH,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if batch_size < 1:
            raise ValueError("a batch must take at least one approval")
        self.database = database
        self.actor = actor
        self.template_ids = dict(template_ids or {})
        self.check_every_seconds = max(CHECK_EVERY_SECONDS, idle_seconds)
        self.batch_size = batch_size
        self.totals = ReminderCounts()
        self._clock = clock
        self._stop = asyncio.Event()

    def stop(self) -> None:
        """Finish the batch in progress, then return from ``run``."""
        self._stop.set()

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

    async def run_once(self) -> int:
        """Remind every chaperone due now, a batch per transaction, until a batch finds fewer
        than it may take (or ``stop``). Returns how many approvals it dealt with, reached or
        not."""
        done = ReminderCounts()
        while not self._stop.is_set():
            async with self._transaction() as session:
                counts = await remind_due(
                    session,
                    now=self._clock(),
                    actor=self.actor,
                    template_ids=self.template_ids,
                    limit=self.batch_size,
                )
            done.add(counts)
            if counts.approvals < self.batch_size:
                break
        if done.approvals:
            _log.info("chaperone_reminders_pass", **done.as_log())
        self.totals.add(done)
        return done.approvals

    async def run(self) -> None:
        """Remind whoever is due every ``check_every_seconds`` until ``stop()``. A pass that
        fails on the database (a restart, a failover) is logged and tried at the next check;
        what it had not committed is still due."""
        _log.info("chaperone_reminders_started")
        try:
            while not self._stop.is_set():
                try:
                    await self.run_once()
                except (OSError, DBAPIError) as exc:
                    _log.error("chaperone_reminders_failed", failure=type(exc).__name__)
                if not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.check_every_seconds)
        finally:
            _log.info("chaperone_reminders_stopped", **self.totals.as_log())
