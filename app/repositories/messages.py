"""Queries over the outbox (``outbound_messages``): the API's reads, and the worker's claims,
outcomes, polls and clearing.

The worker's queries are written so that several workers can share the outbox on PostgreSQL:
each claim takes its rows with ``FOR UPDATE SKIP LOCKED`` and marks them in the same statement,
so no two workers ever hold the same message. SQLite has one writer at a time (every
read-write transaction starts ``BEGIN IMMEDIATE``), which serialises claims the same way.

``next_attempt_at`` is the one due time the worker's index serves, whatever the status:

- ``queued``: when the next attempt to send may start;
- ``sending``: when the worker's claim expires (equal to ``claimed_until``), after which
  another worker may take the message over, asking Notify for its reference first;
- ``accepted``: when to ask Notify for the status (letters have no receipts; a text or email
  whose receipt is overdue).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.messages import (
    FINAL_STATUSES,
    Channel,
    MessageStatus,
    NotifySendBudget,
    OutboundMessage,
)
from app.models.people import Pupil
from app.repositories.pagination import PageRequest, keyset_page

MESSAGES = cast(Table, OutboundMessage.__table__)
_C = MESSAGES.c

#: A due time that never comes: Notify has forgotten the message, so there is nothing to ask.
NEVER = datetime(9999, 1, 1, tzinfo=UTC)


# --- the API's reads -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MessageQuery:
    pupil_id: uuid.UUID | None = None
    status: MessageStatus | None = None
    message_type: str | None = None


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, message_id: uuid.UUID, *, visible: ColumnElement[bool]
    ) -> OutboundMessage | None:
        return await self.session.scalar(
            select(OutboundMessage).where(OutboundMessage.id == message_id, visible)
        )

    async def page(
        self,
        query: MessageQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[OutboundMessage], str | None]:
        """Messages newest first (created_at, then id, descending)."""
        stmt = select(OutboundMessage).where(visible)
        if query.pupil_id is not None:
            stmt = stmt.where(OutboundMessage.pupil_id == query.pupil_id)
        if query.status is not None:
            stmt = stmt.where(OutboundMessage.status == query.status)
        if query.message_type is not None:
            stmt = stmt.where(OutboundMessage.message_type == query.message_type)
        keys = (OutboundMessage.created_at, OutboundMessage.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def requeue_dead(
        self, message_id: uuid.UUID, *, now: datetime, new_reference: str | None = None
    ) -> bool:
        """A dead-lettered message back in the queue with a fresh count of attempts; False if
        it is not dead (any more) or its personal data has been cleared. Whether its last send
        may have reached Notify (``outcome_unknown``) is kept, so it is reconciled first.

        ``new_reference``: send it as a new message (a fresh reference, nothing to reconcile),
        when Notify can no longer say whether it has the old one."""
        fresh: dict[str, Any] = {}
        if new_reference is not None:
            fresh = {"reference": new_reference, "outcome_unknown": False, "first_attempt_at": None}
        result = await self.session.execute(
            update(MESSAGES)
            .where(
                _C.id == message_id,
                _C.status == MessageStatus.DEAD,
                _C.personal_data_cleared_at.is_(None),
            )
            .values(
                **fresh,
                status=MessageStatus.QUEUED,
                attempts=0,
                next_attempt_at=now,
                completed_at=None,
                claimed_by=None,
                claimed_until=None,
                updated_at=now,
            )
            .returning(_C.id)
        )
        return result.first() is not None

    async def record_returned(
        self, message_id: uuid.UUID, *, returned_at: datetime, reported_by: str, now: datetime
    ) -> bool:
        """Mark a letter Notify accepted or dispatched as returned; False if it is not a
        letter in one of those states (already returned, never sent, not a letter)."""
        result = await self.session.execute(
            update(MESSAGES)
            .where(
                _C.id == message_id,
                _C.channel == Channel.LETTER,
                _C.status.in_((MessageStatus.ACCEPTED, MessageStatus.DISPATCHED)),
            )
            .values(
                status=MessageStatus.RETURNED,
                returned_at=returned_at,
                returned_reported_by=reported_by,
                completed_at=func.coalesce(_C.completed_at, literal(now, _C.completed_at.type)),
                next_attempt_at=NEVER,
                updated_at=now,
            )
            .returning(_C.id)
        )
        return result.first() is not None

    async def find_letter(
        self, notify_id: uuid.UUID | None, reference: str | None
    ) -> OutboundMessage | None:
        """A letter by Notify's id, else by our reference."""
        for column, value in ((_C.notify_id, notify_id), (_C.reference, reference)):
            if value is None:
                continue
            found = await self.session.scalar(
                select(OutboundMessage).where(column == value, _C.channel == Channel.LETTER)
            )
            if found is not None:
                return found
        return None


def pupil_visible(visible_pupils: ColumnElement[bool]) -> ColumnElement[bool]:
    """A message about no pupil, or about one that passes ``visible_pupils`` (a filter on the
    pupils table)."""
    return or_(
        OutboundMessage.pupil_id.is_(None),
        exists(select(Pupil.id).where(Pupil.id == OutboundMessage.pupil_id, visible_pupils)),
    )


# --- the worker: claiming and recording sends -------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimedMessage:
    """A message a worker holds: what it needs to send it, and to audit what happened."""

    id: uuid.UUID
    channel: Channel
    template_id: uuid.UUID
    reference: str
    recipient: str | None
    personalisation: dict[str, Any] = field(repr=False)
    #: Counting this attempt.
    attempts: int
    #: The last send may have reached Notify: ask for the reference before sending.
    outcome_unknown: bool
    claimed_until: datetime
    last_error: str | None
    subject_id: uuid.UUID
    purpose: str
    lawful_basis: str


@dataclass(frozen=True, slots=True)
class SendRecord:
    """What became of one claimed message, as the columns to write."""

    id: uuid.UUID
    status: MessageStatus
    attempts: int
    next_attempt_at: datetime
    outcome_unknown: bool
    last_error: str | None
    notify_id: uuid.UUID | None = None
    notify_status: str | None = None
    sent_at: datetime | None = None
    completed_at: datetime | None = None


_CLAIM_COLUMNS = (
    _C.id,
    _C.channel,
    _C.template_id,
    _C.reference,
    _C.recipient,
    _C.personalisation,
    _C.attempts,
    _C.outcome_unknown,
    _C.claimed_until,
    _C.last_error,
    _C.subject_id,
    _C.purpose,
    _C.lawful_basis,
)

_RECORD_SEND = (
    update(MESSAGES)
    .where(_C.id == bindparam("b_id", type_=_C.id.type))
    .values(
        status=bindparam("b_status", type_=_C.status.type),
        attempts=bindparam("b_attempts", type_=_C.attempts.type),
        next_attempt_at=bindparam("b_next_attempt_at", type_=_C.next_attempt_at.type),
        outcome_unknown=bindparam("b_outcome_unknown", type_=_C.outcome_unknown.type),
        last_error=bindparam("b_last_error", type_=_C.last_error.type),
        notify_id=bindparam("b_notify_id", type_=_C.notify_id.type),
        notify_status=bindparam("b_notify_status", type_=_C.notify_status.type),
        sent_at=bindparam("b_sent_at", type_=_C.sent_at.type),
        completed_at=bindparam("b_completed_at", type_=_C.completed_at.type),
        claimed_by=None,
        claimed_until=None,
        updated_at=bindparam("b_now", type_=_C.updated_at.type),
    )
)


def due_query(now: datetime) -> Select[tuple[bool]]:
    """Is anything due to be sent, taken over or asked about? A read (no write lock)."""
    due = select(_C.id).where(
        _C.status.in_((MessageStatus.QUEUED, MessageStatus.SENDING, MessageStatus.ACCEPTED)),
        _C.next_attempt_at <= now,
    )
    return select(exists(due))


class OutboxRepository:
    """The worker's side of the outbox. Each method runs in the caller's (short) transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(
        self,
        worker_id: str,
        *,
        now: datetime,
        until: datetime,
        limit: int,
        exclude_channels: Sequence[Channel] = (),
    ) -> list[ClaimedMessage]:
        """Take up to ``limit`` due messages (oldest due first) for ``worker_id`` until
        ``until``: queued messages whose time has come, and messages whose last claim expired
        (their worker died or hung mid-send, so whether Notify has them is unknown).
        ``exclude_channels``: channels paused by Notify's daily limits."""
        conditions = [
            _C.status.in_((MessageStatus.QUEUED, MessageStatus.SENDING)),
            _C.next_attempt_at <= now,
        ]
        if exclude_channels:
            conditions.append(_C.channel.not_in(list(exclude_channels)))
        due = (
            select(_C.id)
            .where(*conditions)
            .order_by(_C.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
        )
        stmt = (
            update(MESSAGES)
            .where(_C.id == due.c.id)
            .values(
                status=MessageStatus.SENDING,
                claimed_by=worker_id,
                claimed_until=until,
                next_attempt_at=until,
                attempts=_C.attempts + 1,
                first_attempt_at=func.coalesce(
                    _C.first_attempt_at, literal(now, _C.first_attempt_at.type)
                ),
                # The right-hand sides read the row as it was: an expired claim means the
                # send may have happened.
                outcome_unknown=or_(_C.outcome_unknown, _C.status == MessageStatus.SENDING),
                updated_at=now,
            )
            .returning(*_CLAIM_COLUMNS)
        )
        rows = (await self.session.execute(stmt)).all()
        claimed = [
            ClaimedMessage(
                id=row.id,
                channel=Channel(row.channel),
                template_id=row.template_id,
                reference=row.reference,
                recipient=row.recipient,
                personalisation=dict(row.personalisation or {}),
                attempts=row.attempts,
                outcome_unknown=bool(row.outcome_unknown),
                claimed_until=row.claimed_until,
                last_error=row.last_error,
                subject_id=row.subject_id,
                purpose=row.purpose,
                lawful_basis=row.lawful_basis,
            )
            for row in rows
        ]
        return claimed

    async def record_sends(
        self, worker_id: str, records: Sequence[SendRecord], *, now: datetime
    ) -> set[uuid.UUID]:
        """Write what became of messages ``worker_id`` claimed; return the ids written.

        A message is written only while this worker still holds it (``sending`` and claimed by
        it): once a claim has expired and another worker has taken the message over, or a
        delivery receipt has already said what happened, this worker's news is stale.
        """
        if not records:
            return set()
        held = set(
            (
                await self.session.scalars(
                    select(_C.id)
                    .where(
                        _C.id.in_([r.id for r in records]),
                        _C.claimed_by == worker_id,
                        _C.status == MessageStatus.SENDING,
                    )
                    .with_for_update()
                )
            ).all()
        )
        rows = [
            {
                "b_id": r.id,
                "b_status": r.status,
                "b_attempts": r.attempts,
                "b_next_attempt_at": r.next_attempt_at,
                "b_outcome_unknown": r.outcome_unknown,
                "b_last_error": r.last_error,
                "b_notify_id": r.notify_id,
                "b_notify_status": r.notify_status,
                "b_sent_at": r.sent_at,
                "b_completed_at": r.completed_at,
                "b_now": now,
            }
            for r in records
            if r.id in held
        ]
        if rows:
            await self.session.execute(_RECORD_SEND, rows)
        return held

    # --- asking Notify about accepted messages ------------------------------------------------

    async def claim_polls(
        self, *, now: datetime, lease_until: datetime, limit: int
    ) -> list[tuple[uuid.UUID, uuid.UUID, Channel]]:
        """Accepted messages whose status is due to be asked for: (id, notify id, channel).
        Their next time is moved to ``lease_until`` in the same statement, so another worker
        does not ask too, and a worker that dies before answering is simply late."""
        due = (
            select(_C.id)
            .where(_C.status == MessageStatus.ACCEPTED, _C.next_attempt_at <= now)
            .order_by(_C.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due_polls")
        )
        rows = (
            await self.session.execute(
                update(MESSAGES)
                .where(_C.id == due.c.id)
                .values(next_attempt_at=lease_until)
                .returning(_C.id, _C.notify_id, _C.channel)
            )
        ).all()
        return [(row.id, row.notify_id, Channel(row.channel)) for row in rows if row.notify_id]

    async def update_from_notify(
        self,
        *,
        message_id: uuid.UUID,
        notify_id: uuid.UUID,
        status: MessageStatus,
        notify_status: str | None,
        now: datetime,
        sent_at: datetime | None = None,
        completed_at: datetime | None = None,
        next_check_at: datetime | None = None,
        last_error: str | None = None,
    ) -> bool:
        """Apply what Notify says about a message (a receipt, or the answer to a poll).

        A final status is never changed; a message not yet known to be accepted (its send's
        answer was lost) adopts ``notify_id``. Returns whether the message changed.
        """
        values: dict[str, Any] = {
            "status": status,
            "notify_id": notify_id,
            "outcome_unknown": False,
            "claimed_by": None,
            "claimed_until": None,
            "updated_at": now,
        }
        if notify_status is not None:
            values["notify_status"] = notify_status
        if sent_at is not None:
            values["sent_at"] = func.coalesce(_C.sent_at, literal(sent_at, _C.sent_at.type))
        if status in FINAL_STATUSES:
            values["completed_at"] = completed_at or now
        if next_check_at is not None:
            values["next_attempt_at"] = next_check_at
        if last_error is not None:
            values["last_error"] = last_error
        result = await self.session.execute(
            update(MESSAGES)
            .where(
                _C.id == message_id,
                _C.status.not_in(FINAL_STATUSES),
                or_(_C.notify_id.is_(None), _C.notify_id == notify_id),
            )
            .values(**values)
            .returning(_C.id)
        )
        return result.first() is not None

    async def stop_polling(self, message_id: uuid.UUID, *, reason: str, now: datetime) -> None:
        """Notify no longer knows the message (past its retention): stop asking."""
        await self.session.execute(
            update(MESSAGES)
            .where(_C.id == message_id, _C.status == MessageStatus.ACCEPTED)
            .values(next_attempt_at=NEVER, last_error=reason, updated_at=now)
        )

    async def find_for_receipt(
        self, notify_id: uuid.UUID, reference: str | None
    ) -> tuple[uuid.UUID, MessageStatus, uuid.UUID | None, Channel] | None:
        """The message a receipt is about: by Notify's id, else by our reference (a send whose
        answer was lost). (id, status, notify id, channel)."""
        columns = (_C.id, _C.status, _C.notify_id, _C.channel)
        row = (
            await self.session.execute(select(*columns).where(_C.notify_id == notify_id))
        ).first()
        if row is None and reference:
            row = (
                await self.session.execute(select(*columns).where(_C.reference == reference))
            ).first()
        if row is None:
            return None
        return row.id, MessageStatus(row.status), row.notify_id, Channel(row.channel)

    # --- clearing personal data ------------------------------------------------------------

    async def clear_personal_data(
        self,
        *,
        final_before: datetime,
        accepted_before: datetime,
        now: datetime,
        limit: int,
    ) -> list[tuple[uuid.UUID, uuid.UUID, str, str]]:
        """Null the recipient and personalisation of up to ``limit`` messages that are done
        with: final before ``final_before``, or accepted by Notify before ``accepted_before``
        and never reported on since. Returns (id, subject id, purpose, lawful basis) of each."""
        done = or_(
            and_(
                _C.status.in_(FINAL_STATUSES),
                func.coalesce(_C.completed_at, _C.updated_at) <= final_before,
            ),
            and_(_C.status == MessageStatus.ACCEPTED, _C.sent_at <= accepted_before),
        )
        due = (
            select(_C.id)
            .where(_C.personal_data_cleared_at.is_(None), done)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("done")
        )
        rows = (
            await self.session.execute(
                update(MESSAGES)
                .where(_C.id == due.c.id)
                .values(
                    recipient=None,
                    personalisation=None,
                    personal_data_cleared_at=now,
                    updated_at=now,
                )
                .returning(_C.id, _C.subject_id, _C.purpose, _C.lawful_basis)
            )
        ).all()
        return [(row.id, row.subject_id, row.purpose, row.lawful_basis) for row in rows]


class SendBudgetRepository:
    """Sending state shared by every worker on one Notify service (``notify_send_budgets``):
    the rate limiter's next free slot and the channels paused by a daily limit. Each method
    runs in the caller's (short) transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _ensure(self, name: str, now: datetime) -> None:
        values = {"name": name, "available_at": now, "updated_at": now}
        dialect = self.session.get_bind().dialect.name
        insert_: Any = pg_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(
            insert_(NotifySendBudget).values(**values).on_conflict_do_nothing()
        )

    async def reserve(
        self,
        name: str,
        *,
        count: int,
        interval: float,
        burst: int,
        now: datetime,
        not_before: datetime | None = None,
    ) -> datetime:
        """Reserve ``count`` consecutive slots ``interval`` seconds apart (the generic cell
        rate algorithm, shared): returns the first slot's time. A slot is never earlier than
        ``not_before`` (a hold after a 429) nor than allowed by a burst of ``burst``."""
        await self._ensure(name, now)
        available = await self.session.scalar(
            select(NotifySendBudget.available_at)
            .where(NotifySendBudget.name == name)
            .with_for_update()
        )
        now = max(now, datetime.now(UTC))  # the lock may have been waited for
        earliest = now - timedelta(seconds=(burst - 1) * interval)
        start = max(available or now, earliest, not_before or earliest)
        await self.session.execute(
            update(NotifySendBudget)
            .where(NotifySendBudget.name == name)
            .values(available_at=start + timedelta(seconds=count * interval), updated_at=now)
        )
        return start

    async def pause(self, name: str, *, until: datetime, now: datetime) -> None:
        """Nothing of ``name`` until ``until`` (a later pause is kept)."""
        await self._ensure(name, now)
        await self.session.execute(
            update(NotifySendBudget)
            .where(NotifySendBudget.name == name, NotifySendBudget.available_at < until)
            .values(available_at=until, updated_at=now)
        )

    async def paused(self, prefix: str, *, now: datetime) -> dict[str, datetime]:
        """The names under ``prefix`` paused beyond ``now``, without the prefix."""
        rows = await self.session.execute(
            select(NotifySendBudget.name, NotifySendBudget.available_at).where(
                NotifySendBudget.name.startswith(prefix), NotifySendBudget.available_at > now
            )
        )
        return {name.removeprefix(prefix): until for name, until in rows}
