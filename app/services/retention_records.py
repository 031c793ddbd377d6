"""Records swept by their own age: rules counted from when a record was closed or made.

The people sweep (``app.services.retention``) destroys everything about a person once their
retention date is past. Some records have a period of their own, counted from the day they
were closed or made (London time), and go when it ends plus the grace period, whoever they
are about, unless a live legal hold covers a person they are about (or a case they concern):

- ``subject_request`` (closed): the request and every row that depends on it (clock events,
  matches, items, actions, reviews), found from the schema as the people sweep finds a
  person's rows; a complaint about it stays, its link emptied. A disclosure made by releasing
  the bundle stays in the disclosure log (the ``disclosure`` rule's business).
- ``complaint`` (closed): deleted with its progress updates.
- ``breach`` (closed): anonymised: the links to the people affected go; the facts, dates and
  decisions stay in the register (UK GDPR Art 33(5)).
- ``disclosure`` (made): anonymised: the people it was about, and the record released, go;
  who received which categories, when, on which basis, and the hash stay.
- ``outbound_message`` (made): anonymised as the people sweep anonymises a destroyed
  person's messages: recipient and personalisation cleared, the delivery record kept.
- ``audit_event`` (recorded): events are never edited or deleted (the hash chain); the rows
  of the subject index of events older than the period go. Each destruction record names the
  last event whose index rows went (``through_seq``), and verification accepts index rows
  missing up to there (``app.audit.verification``), and nowhere else.

The period in force is the registry's current version of each rule (``retention_policies``),
so a change information governance makes there applies from the next sweep. Records are read
in id (or sequence) order a batch at a time and destroyed a transaction at a time, each with
its destruction record (``retention_destructions``, ``record_type`` set: ids and counts only)
and audit event; a destroyed record is gone, or anonymised and no longer matched, so a sweep
that stops part-way is finished by the next, and a second sweep changes nothing.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import record
from app.models.audit import AuditEvent, AuditEventSubject
from app.models.breaches import Breach, BreachStatus, BreachSubject
from app.models.disclosures import Disclosure, DisclosureSubject
from app.models.messages import OutboundMessage
from app.models.retention import LegalHold, RetentionDestruction, RetentionRun
from app.models.subject_requests import (
    Complaint,
    SubjectRequest,
    SubjectRequestAction,
    SubjectRequestItem,
    SubjectRequestMatch,
)
from app.repositories.retention import RetentionRepository
from app.rules.calendar import LONDON
from app.rules.retention import earliest_start_kept

_CHUNK: Final = 500

#: The record types swept by their own age, in the order the sweep takes them.
RECORD_TYPES: Final = (
    "subject_request",
    "complaint",
    "breach",
    "disclosure",
    "outbound_message",
    "audit_event",
)


def threshold(as_of: date, grace_days: int, years: int) -> datetime:
    """Records whose period started (closed or made) before this moment are due on
    ``as_of``: London midnight of the earliest start still kept."""
    from app.services.retention import due_before

    start = earliest_start_kept(due_before(as_of, grace_days), years)
    return datetime.combine(start, time(), LONDON)


@dataclass(slots=True)
class RecordTally:
    due: int = 0
    held: int = 0
    destroyed: int = 0
    rows: int = 0

    def as_json(self) -> dict[str, int]:
        return {"due": self.due, "held": self.held, "destroyed": self.destroyed}


# --- what is due -------------------------------------------------------------------------


def _due_clause(record_type: str, before: datetime) -> tuple[Any, ColumnElement[bool]]:
    """The record type's key column and the condition that a row of it is due (and not yet
    destroyed or anonymised)."""
    if record_type == "subject_request":
        return SubjectRequest.id, and_(
            SubjectRequest.closed_at.is_not(None), SubjectRequest.closed_at < before
        )
    if record_type == "complaint":
        return Complaint.id, and_(Complaint.closed_at.is_not(None), Complaint.closed_at < before)
    if record_type == "breach":
        return Breach.id, and_(
            Breach.status == BreachStatus.CLOSED,
            Breach.closed_at.is_not(None),
            Breach.closed_at < before,
            exists().where(BreachSubject.breach_id == Breach.id),
        )
    if record_type == "disclosure":
        return Disclosure.id, and_(
            Disclosure.disclosed_at < before,
            or_(
                exists().where(DisclosureSubject.disclosure_id == Disclosure.id),
                Disclosure.resource_id.is_not(None),
            ),
        )
    if record_type == "outbound_message":
        return OutboundMessage.id, and_(
            OutboundMessage.created_at < before,
            OutboundMessage.personal_data_cleared_at.is_(None),
        )
    raise ValueError(record_type)


async def due_records(
    session: AsyncSession, record_type: str, before: datetime, *, after: Any, limit: int
) -> list[uuid.UUID]:
    key, due = _due_clause(record_type, before)
    stmt = select(key).where(due).order_by(key).limit(limit)
    if after is not None:
        stmt = stmt.where(key > after)
    return list((await session.scalars(stmt)).all())


async def claim_records(
    session: AsyncSession, record_type: str, ids: list[uuid.UUID], before: datetime
) -> list[uuid.UUID]:
    """Of these records, those this transaction may destroy: locked for it, and still due
    once locked.

    Sweeps run side by side (each worker's schedule, a run started through the API), as
    ``RetentionRepository.claim_for_destruction`` explains for people. A record another
    transaction holds is skipped, for that sweep or the next; the check that it is still due
    is a statement of its own after the lock, so a sweep that destroyed it and committed in
    between is seen then, and nothing is destroyed (or counted) twice.
    """
    key, due = _due_clause(record_type, before)
    locked = await session.scalars(
        select(key).where(key.in_(ids)).order_by(key).with_for_update(skip_locked=True)
    )
    mine = list(locked.all())
    if not mine:
        return []
    still_due = await session.scalars(select(key).where(key.in_(mine), due).order_by(key))
    return list(still_due.all())


async def any_due(session: AsyncSession, record_type: str, before: datetime) -> bool:
    if record_type == "audit_event":
        return bool(await _index_rows(session, before, after=0, limit=1))
    return bool(await due_records(session, record_type, before, after=None, limit=1))


# --- who a record is about, and holds ------------------------------------------------------


async def _about(
    session: AsyncSession, record_type: str, ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """The data subjects each record is about."""
    sources: list[tuple[Any, Any]] = {
        "subject_request": [
            (SubjectRequest.id, SubjectRequest.subject_id),
            (SubjectRequestMatch.request_id, SubjectRequestMatch.subject_id),
            (SubjectRequestItem.request_id, SubjectRequestItem.subject_id),
            (SubjectRequestAction.request_id, SubjectRequestAction.subject_id),
        ],
        "complaint": [(Complaint.id, Complaint.subject_id)],
        "breach": [(BreachSubject.breach_id, BreachSubject.subject_id)],
        "disclosure": [(DisclosureSubject.disclosure_id, DisclosureSubject.subject_id)],
        "outbound_message": [(OutboundMessage.id, OutboundMessage.subject_id)],
    }[record_type]
    about: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for key, subject in sources:
        for start in range(0, len(ids), _CHUNK):
            rows = await session.execute(
                select(key, subject).where(key.in_(ids[start : start + _CHUNK]))
            )
            for record_id, subject_id in rows.all():
                if subject_id is not None:
                    about[record_id].add(subject_id)
    return about


async def held_records(
    session: AsyncSession, record_type: str, ids: list[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """Of these records, those a live legal hold covers: a hold on a person they are about
    (or on a case that person is party to), or, for a message, on the case it concerns."""
    about = await _about(session, record_type, ids)
    people = {s for subjects in about.values() for s in subjects}
    held_people = await RetentionRepository(session).held_subjects(people)
    held = {record_id for record_id, subjects in about.items() if subjects & held_people}
    if record_type == "outbound_message":
        live_cases = select(LegalHold.case_id).where(
            LegalHold.lifted_at.is_(None), LegalHold.case_id.is_not(None)
        )
        for start in range(0, len(ids), _CHUNK):
            rows = await session.scalars(
                select(OutboundMessage.id).where(
                    OutboundMessage.id.in_(ids[start : start + _CHUNK]),
                    OutboundMessage.case_id.in_(live_cases),
                )
            )
            held.update(rows.all())
    return frozenset(held)


# --- destroying ----------------------------------------------------------------------------


async def _count(session: AsyncSession, column: Any, ids: list[uuid.UUID]) -> int:
    total = 0
    for start in range(0, len(ids), _CHUNK):
        found = await session.scalar(
            select(func.count()).where(column.in_(ids[start : start + _CHUNK]))
        )
        total += int(found or 0)
    return total


async def destroy_records(
    session: AsyncSession,
    record_type: str,
    ids: list[uuid.UUID],
    *,
    now: datetime,
    dry_run: bool,
) -> dict[str, int]:
    """Delete or anonymise these records (a dry run only counts); rows by table."""
    from app.services.retention import ANONYMISED, _execute_plan, plan_destruction, planned_counts

    if record_type in {"subject_request", "complaint"}:
        root = "subject_requests" if record_type == "subject_request" else "complaints"
        plan = await plan_destruction(session, ids, root=root, record_type=record_type)
        counts = (
            await planned_counts(session, plan)
            if dry_run
            else await _execute_plan(session, plan, now)
        )
        tables: dict[str, int] = defaultdict(int)
        for by_table in counts.values():
            for name, found in by_table.items():
                tables[name] += found
        return dict(sorted(tables.items()))
    if record_type == "breach":
        rows = await _count(session, BreachSubject.breach_id, ids)
        if not dry_run:
            for start in range(0, len(ids), _CHUNK):
                await session.execute(
                    delete(BreachSubject).where(
                        BreachSubject.breach_id.in_(ids[start : start + _CHUNK])
                    )
                )
        return {"breach_subjects": rows}
    if record_type == "disclosure":
        rows = await _count(session, DisclosureSubject.disclosure_id, ids)
        if not dry_run:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                await session.execute(
                    delete(DisclosureSubject).where(DisclosureSubject.disclosure_id.in_(chunk))
                )
                await session.execute(
                    update(Disclosure).where(Disclosure.id.in_(chunk)).values(resource_id=None)
                )
        return {"disclosure_subjects": rows, "disclosures": len(ids)}
    if record_type == "outbound_message":
        if not dry_run:
            cleared, stamp = ANONYMISED["outbound_messages"]
            values: dict[str, Any] = dict.fromkeys(cleared)
            if stamp is not None:
                values[stamp] = now
            for start in range(0, len(ids), _CHUNK):
                await session.execute(
                    update(OutboundMessage)
                    .where(OutboundMessage.id.in_(ids[start : start + _CHUNK]))
                    .values(**values)
                )
        return {"outbound_messages": len(ids)}
    raise ValueError(record_type)


# --- the audit trail's subject index -------------------------------------------------------


async def _index_rows(
    session: AsyncSession, before: datetime, *, after: int, limit: int
) -> list[tuple[int, uuid.UUID, uuid.UUID]]:
    """(seq, event id, subject id) of index rows of events recorded before ``before``, after
    event ``after``, in sequence order."""
    rows = await session.execute(
        select(AuditEvent.seq, AuditEventSubject.event_id, AuditEventSubject.subject_id)
        .join(AuditEvent, AuditEvent.id == AuditEventSubject.event_id)
        .where(AuditEvent.occurred_at < before, AuditEvent.seq > after)
        .order_by(AuditEvent.seq, AuditEventSubject.subject_id)
        .limit(limit)
    )
    return [(int(seq), event_id, subject_id) for seq, event_id, subject_id in rows.all()]


async def _index_batch(
    session: AsyncSession, before: datetime, *, after: int, limit: int
) -> tuple[int, list[tuple[uuid.UUID, uuid.UUID]]] | None:
    """The next batch of whole events' index rows: the last event's seq, and every
    (event id, subject id) of events ``after < seq <= last`` recorded before ``before``."""
    first = await _index_rows(session, before, after=after, limit=limit)
    if not first:
        return None
    last = first[-1][0]
    rows = await session.execute(
        select(AuditEventSubject.event_id, AuditEventSubject.subject_id)
        .join(AuditEvent, AuditEvent.id == AuditEventSubject.event_id)
        .where(AuditEvent.occurred_at < before, AuditEvent.seq > after, AuditEvent.seq <= last)
    )
    return last, [(event_id, subject_id) for event_id, subject_id in rows.all()]


# --- the sweep -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordSweep:
    """What one sweep of records needs from the people sweep around it."""

    run: RetentionRun
    as_of: date
    grace_days: int
    dry_run: bool
    batch_size: int
    per_transaction: int
    periods: dict[str, int]
    versions: dict[str, int]
    event: Callable[..., Any]
    commit: Callable[[AsyncSession], Any]
    after_commit: Callable[[], None]


def _destruction(
    sweep: RecordSweep,
    record_type: str,
    ids: list[str] | None,
    tables: dict[str, int],
    now: datetime,
    *,
    through_seq: int | None = None,
) -> RetentionDestruction:
    rows = sum(tables.values())
    return RetentionDestruction(
        id=uuid.uuid4(),
        subject_id=None,
        run_id=sweep.run.id,
        subject_kind=None,
        retain_until=None,
        record_type=record_type,
        record_ids=ids,
        through_seq=through_seq,
        destroyed_at=now,
        policy_versions={record_type: sweep.versions[record_type]},
        counts={"tables": dict(sorted(tables.items())), "record_types": {record_type: rows}},
        key_destroyed=False,
    )


def _audit(session: AsyncSession, sweep: RecordSweep, destruction: RetentionDestruction) -> None:
    record(
        session,
        sweep.event(
            "retention.records_destroyed",
            resource_type="retention_destruction",
            resource_id=str(destruction.id),
            details={
                "run_id": str(sweep.run.id),
                "record_type": destruction.record_type,
                "records": len(destruction.record_ids or ()),
                "rows": sum(destruction.counts["tables"].values()),
                "through_seq": destruction.through_seq,
            },
        ),
    )


async def sweep_records(session: AsyncSession, sweep: RecordSweep) -> dict[str, RecordTally]:
    """Sweep every record type by its own age; what was due, held and destroyed (or would
    be, in a dry run), by record type."""
    tallies: dict[str, RecordTally] = {}
    for record_type in RECORD_TYPES:
        years = sweep.periods.get(record_type)
        if years is None:
            continue
        before = threshold(sweep.as_of, sweep.grace_days, years)
        tally = tallies[record_type] = RecordTally()
        if record_type == "audit_event":
            await _sweep_index(session, sweep, before, tally)
            continue
        after: uuid.UUID | None = None
        step = max(1, sweep.per_transaction)
        while True:
            batch = await due_records(
                session, record_type, before, after=after, limit=sweep.batch_size
            )
            if not batch:
                break
            after = batch[-1]
            tally.due += len(batch)
            held = await held_records(session, record_type, batch)
            tally.held += len(held)
            going = [record_id for record_id in batch if record_id not in held]
            for start in range(0, len(going), step):
                ids = going[start : start + step]
                if not sweep.dry_run:
                    ids = await claim_records(session, record_type, ids, before)
                    if not ids:
                        continue
                now = datetime.now(UTC)
                tables = await destroy_records(
                    session, record_type, ids, now=now, dry_run=sweep.dry_run
                )
                tally.destroyed += len(ids)
                tally.rows += sum(tables.values())
                if sweep.dry_run:
                    continue
                destruction = _destruction(sweep, record_type, [str(i) for i in ids], tables, now)
                session.add(destruction)
                _audit(session, sweep, destruction)
                await sweep.commit(session)
                sweep.after_commit()
    return tallies


async def _sweep_index(
    session: AsyncSession, sweep: RecordSweep, before: datetime, tally: RecordTally
) -> None:
    """Remove the subject index rows of events recorded before ``before``, a batch of whole
    events at a time, keeping those of people a live legal hold covers. ``due`` counts the
    events, ``destroyed`` the events whose rows went."""
    after = 0
    limit = max(1, sweep.batch_size)
    while True:
        found = await _index_batch(session, before, after=after, limit=limit)
        if found is None:
            break
        last, rows = found
        after = last
        events = {event_id for event_id, _ in rows}
        tally.due += len(events)
        held_people = await RetentionRepository(session).held_subjects(
            {subject_id for _, subject_id in rows}
        )
        going = [(e, s) for e, s in rows if s not in held_people]
        kept = {e for e, s in rows if s in held_people}
        tally.held += len(kept)
        tally.destroyed += len({e for e, _ in going})
        tally.rows += len(going)
        if sweep.dry_run or not going:
            continue
        for start in range(0, len(going), _CHUNK):
            await session.execute(
                delete(AuditEventSubject).where(
                    tuple_(AuditEventSubject.event_id, AuditEventSubject.subject_id).in_(
                        going[start : start + _CHUNK]
                    )
                )
            )
        now = datetime.now(UTC)
        destruction = _destruction(
            sweep,
            "audit_event",
            None,
            {"audit_event_subjects": len(going)},
            now,
            through_seq=last,
        )
        session.add(destruction)
        _audit(session, sweep, destruction)
        await sweep.commit(session)
        sweep.after_commit()
