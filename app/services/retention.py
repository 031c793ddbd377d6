"""The retention sweep: records past retention are made inaccessible, then destroyed.

A data subject's records are past retention the day after ``DataSubject.retain_until``; from
then the policy layer shows them to ``retention_management`` only (``app.policies.
subject_state``). ``KPAS_RETENTION_GRACE_DAYS`` later, the sweep destroys them, unless a live
legal hold covers the subject (a hold on them, or on a case they are the subject of or a
party to):

- every row that names them, found from the schema rather than a list, so a new table cannot
  be forgotten: each table with a foreign key to ``data_subjects`` (every ``PersonalRecord``
  table among them), then every row that depends on one of those rows, and so on. Rows of a
  record type destroyed by deletion are deleted, children first; a nullable reference from
  another person's record to a destroyed row is emptied (the other record stays);
- messages through the Notify outbox are anonymised, not deleted: recipient, personalisation
  and the links to the pupil, carer and case are cleared and the delivery record stays;
- derived data goes too: attendance marks, weekly tallies and alerts, possible-duplicate
  pairs, the subject's rows of the audit trail's subject index;
- documents are crypto-shredded: the subject's data key is destroyed, so every copy of their
  documents, in every backup, is ciphertext nobody can read;
- the data-subject row stays, empty of personal data, as the tombstone the destruction record
  and the audit trail point at.

Audit events are never edited or deleted: they hold ids and codes only, and the verifier
accepts a subject-index row missing for a destroyed subject (``app.audit.verification``).

Each subject is destroyed in one transaction with its destruction record and audit event, so
a sweep that stops part-way leaves no subject half done, and the next sweep carries on from
where it stopped (a destroyed subject has a destruction record and is never found again).

After the people, the sweep takes the records whose period counts from when they were closed
or made (subject requests, complaints, breaches, disclosures, messages, the audit trail's
subject index) by their own age, under the registry's current rules
(``app.services.retention_records``).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import ForeignKey, Table, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record, seal
from app.crypto.subject_keys import destroy_subject_key
from app.db import Database
from app.log import get_logger
from app.models.base import Base
from app.models.retention import RetentionDestruction, RetentionRun, RunStatus
from app.models.subjects import PersonalRecord
from app.policies.guard import local_today
from app.repositories.retention import DueSubject, RetentionRepository
from app.rules.retention_schedule import BY_TYPE, TABLE_RECORD_TYPES, RetentionAction
from app.services.retention_records import (
    RECORD_TYPES,
    RecordSweep,
    any_due,
    sweep_records,
    threshold,
)

log = get_logger("kpas.retention")

#: Tables the sweep never deletes from: the tombstone, the subject's key (destroyed in place),
#: the legal holds and claims that explain why something was kept, and its own records.
KEPT_TABLES: Final = frozenset(
    {
        "data_subjects",
        "subject_keys",
        "subject_legal_claims",
        "legal_holds",
        "retention_destructions",
        "retention_runs",
        "retention_policies",
        "retention_policy_versions",
        "audit_events",
        "audit_events_pending",
        "audit_chain_head",
    }
)

#: Tables whose rows are anonymised rather than deleted: the columns cleared (set to None),
#: and the column stamped with the moment.
ANONYMISED: Final[dict[str, tuple[tuple[str, ...], str | None]]] = {
    "outbound_messages": (
        ("recipient", "personalisation", "pupil_id", "carer_id", "case_id"),
        "personal_data_cleared_at",
    ),
}

#: References the schema does not declare as foreign keys (for speed, or because the column
#: may name either of two tables): (table, column, table it names).
IMPLICIT_REFERENCES: Final = (
    ("attendance_marks", "pupil_id", "pupils"),
    ("possible_duplicates", "first_id", "pupils"),
    ("possible_duplicates", "second_id", "pupils"),
    ("possible_duplicates", "first_id", "carers"),
    ("possible_duplicates", "second_id", "carers"),
    ("audit_event_subjects", "subject_id", "data_subjects"),
)

#: The actor of sweeps the worker or the command line runs.
SWEEP_ROLE: Final = "retention_sweep"


def personal_tables() -> frozenset[str]:
    """Every table holding personal data: the ``PersonalRecord`` tables."""
    return frozenset(
        cast(Table, mapper.local_table).name
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, PersonalRecord)
    )


def _tables() -> dict[str, Table]:
    return cast(dict[str, Table], dict(Base.metadata.tables))


@dataclass(frozen=True, slots=True)
class _Edge:
    """A reference from ``child.column`` to ``parent``'s primary key."""

    child: str
    column: str
    parent: str
    cascade: bool
    nullable: bool


def _edges() -> dict[str, list[_Edge]]:
    """References into each table, from the schema and ``IMPLICIT_REFERENCES``."""
    tables = _tables()
    into: dict[str, list[_Edge]] = defaultdict(list)
    for table in tables.values():
        for fk in cast(Iterable[ForeignKey], table.foreign_keys):
            parent = fk.column.table.name
            into[parent].append(
                _Edge(
                    table.name,
                    fk.parent.name,
                    parent,
                    (fk.ondelete or "").upper() == "CASCADE",
                    bool(fk.parent.nullable),
                )
            )
    for child, name, parent in IMPLICIT_REFERENCES:
        into[parent].append(_Edge(child, name, parent, True, False))
    return into


_INTO: dict[str, list[_Edge]] | None = None


def references_into() -> dict[str, list[_Edge]]:
    global _INTO
    if _INTO is None:
        _INTO = _edges()
    return _INTO


def record_type_of(table: str, inherited: str) -> str:
    return TABLE_RECORD_TYPES.get(table, inherited)


@dataclass(slots=True)
class DestructionPlan:
    """What destroying some subjects does, row by row, each row attributed to the subject it
    was reached from: computed before anything is changed."""

    #: Primary keys to delete, by table (single-column keys), each with its subject.
    deletes: dict[str, dict[Any, uuid.UUID]] = field(default_factory=lambda: defaultdict(dict))
    #: Rows to delete by a reference (tables keyed on several columns): table -> list of
    #: (column, {referred id: subject}).
    delete_where: dict[str, list[tuple[str, dict[Any, uuid.UUID]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: Nullable references to empty: (table, column) -> ids referred to.
    nulls: dict[tuple[str, str], set[Any]] = field(default_factory=lambda: defaultdict(set))
    #: Rows to anonymise: table -> {primary key: subject}.
    anonymise: dict[str, dict[Any, uuid.UUID]] = field(default_factory=lambda: defaultdict(dict))
    #: The record type each table's rows are counted under.
    record_types: dict[str, str] = field(default_factory=dict)


_IN_CHUNK = 500


async def _pairs(
    session: AsyncSession, key: Any, column: Any, ids: list[Any]
) -> list[tuple[Any, Any]]:
    """(key, column) of the rows whose ``column`` is one of ``ids``."""
    found: list[tuple[Any, Any]] = []
    for start in range(0, len(ids), _IN_CHUNK):
        rows = await session.execute(
            select(key, column).where(column.in_(ids[start : start + _IN_CHUNK]))
        )
        found.extend((k, c) for k, c in rows.all())
    return found


async def plan_destruction(
    session: AsyncSession,
    subject_ids: Iterable[uuid.UUID],
    *,
    root: str = "data_subjects",
    record_type: str = "pupil_linked",
) -> DestructionPlan:
    """Walk the schema from the data subjects to every row that depends on them; or, with
    ``root``, from those rows of another table (deleted too: a subject request, a complaint),
    each counted as its own owner."""
    tables = _tables()
    into = references_into()
    plan = DestructionPlan()
    roots = {subject_id: subject_id for subject_id in subject_ids}
    if root != "data_subjects":
        plan.deletes[root].update(roots)
        plan.record_types[root] = record_type
    pending: list[tuple[str, dict[Any, uuid.UUID], str]] = [(root, roots, record_type)]
    while pending:
        parent, owners, inherited = pending.pop()
        if not owners:
            continue
        ordered = sorted(owners, key=str)
        for edge in into.get(parent, ()):
            if edge.child in KEPT_TABLES:
                continue
            child = tables[edge.child]
            child_type = record_type_of(edge.child, inherited)
            column = child.c[edge.column]
            keys = list(child.primary_key.columns)
            if edge.child in ANONYMISED:
                plan.record_types.setdefault(edge.child, child_type)
                for key, referred in await _pairs(session, keys[0], column, ordered):
                    plan.anonymise[edge.child].setdefault(key, owners[referred])
                continue
            if edge.nullable and not edge.cascade and parent != "data_subjects":
                plan.nulls[(edge.child, edge.column)].update(ordered)
                continue
            plan.record_types.setdefault(edge.child, child_type)
            if len(keys) != 1:
                plan.delete_where[edge.child].append((edge.column, dict(owners)))
                continue
            known = plan.deletes[edge.child]
            new: dict[Any, uuid.UUID] = {}
            for key, referred in await _pairs(session, keys[0], column, ordered):
                if key not in known and key not in new:
                    new[key] = owners[referred]
            if new:
                known.update(new)
                pending.append((edge.child, new, child_type))
    return plan


Counts = dict[uuid.UUID, dict[str, int]]


async def _where_counts(session: AsyncSession, plan: DestructionPlan) -> Counts:
    """Rows of the several-column-key tables each subject's plan deletes."""
    tables = _tables()
    counts: Counts = defaultdict(lambda: defaultdict(int))
    for name, references in plan.delete_where.items():
        table = tables[name]
        for column, owners in references:
            ordered = sorted(owners, key=str)
            for start in range(0, len(ordered), _IN_CHUNK):
                rows = await session.execute(
                    select(table.c[column], func.count())
                    .where(table.c[column].in_(ordered[start : start + _IN_CHUNK]))
                    .group_by(table.c[column])
                )
                for referred, found in rows.all():
                    counts[owners[referred]][name] += int(found)
    return counts


async def planned_counts(session: AsyncSession, plan: DestructionPlan) -> Counts:
    """Rows the plan deletes or anonymises, by subject and table, read without changing
    anything."""
    counts = await _where_counts(session, plan)
    for name, rows in (*plan.deletes.items(), *plan.anonymise.items()):
        for owner in rows.values():
            counts[owner][name] += 1
    return {owner: dict(by_table) for owner, by_table in counts.items()}


async def _execute_plan(session: AsyncSession, plan: DestructionPlan, now: datetime) -> Counts:
    """Carry out the plan; rows touched, by subject and table."""
    tables = _tables()
    counts = await planned_counts(session, plan)
    # Anonymise first, and empty references into rows about to go.
    for name, rows in plan.anonymise.items():
        table = tables[name]
        cleared, stamp = ANONYMISED[name]
        key = next(iter(table.primary_key.columns))
        values: dict[str, Any] = dict.fromkeys(cleared)
        if stamp is not None:
            values[stamp] = now
        ordered = sorted(rows, key=str)
        for start in range(0, len(ordered), _IN_CHUNK):
            await session.execute(
                update(table).where(key.in_(ordered[start : start + _IN_CHUNK])).values(**values)
            )
    for (name, column), ids in plan.nulls.items():
        table = tables[name]
        ordered = sorted(ids, key=str)
        for start in range(0, len(ordered), _IN_CHUNK):
            await session.execute(
                update(table)
                .where(table.c[column].in_(ordered[start : start + _IN_CHUNK]))
                .values({column: None})
            )
    # Children before parents: the reverse of the schema's dependency order.
    for table in reversed(Base.metadata.sorted_tables):
        name = table.name
        for column, owners in plan.delete_where.get(name, ()):
            ordered = sorted(owners, key=str)
            for start in range(0, len(ordered), _IN_CHUNK):
                await session.execute(
                    delete(table).where(table.c[column].in_(ordered[start : start + _IN_CHUNK]))
                )
        doomed = plan.deletes.get(name)
        if not doomed:
            continue
        key = next(iter(table.primary_key.columns))
        ordered = sorted(doomed, key=str)
        # A table that refers to itself (merged records, corrections): empty those links
        # first, so the rows can go in any order.
        for fk in cast(Iterable[ForeignKey], table.foreign_keys):
            if fk.column.table.name == name and fk.parent.nullable:
                for start in range(0, len(ordered), _IN_CHUNK):
                    await session.execute(
                        update(table)
                        .where(key.in_(ordered[start : start + _IN_CHUNK]))
                        .values({fk.parent.name: None})
                    )
        for start in range(0, len(ordered), _IN_CHUNK):
            await session.execute(delete(table).where(key.in_(ordered[start : start + _IN_CHUNK])))
    return counts


def _by_record_type(plan: DestructionPlan, counts: dict[str, int]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for name, count in counts.items():
        totals[plan.record_types.get(name, "pupil_linked")] += count
    return dict(sorted(totals.items()))


# --- the sweep -------------------------------------------------------------------------------


def due_before(as_of: date, grace_days: int) -> date:
    """Subjects whose retention date is before this day are due for destruction on ``as_of``:
    past retention (``retain_until < as_of``) for more than ``grace_days`` days."""
    return as_of - timedelta(days=grace_days)


def due_for_destruction(retain_until: date | None, as_of: date, grace_days: int) -> bool:
    return retain_until is not None and retain_until < due_before(as_of, grace_days)


class SweepInterrupted(Exception):
    """Raised by a test hook to stop a sweep part-way (as a crash would)."""


@dataclass(slots=True)
class SweepOutcome:
    run: RetentionRun
    #: Dry run: the subjects that would be destroyed (ids only).
    would_destroy: list[uuid.UUID] = field(default_factory=list)
    #: Rows destroyed (or that would be) by record type, as the run records them.
    counts: dict[str, int] = field(default_factory=dict)
    #: Records swept by their own age, by record type: due, held, destroyed.
    records: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SweepOptions:
    as_of: date
    grace_days: int
    dry_run: bool = False
    actor: str = "kpas retention sweep"
    actor_role: str = SWEEP_ROLE
    #: Due subjects read per query.
    batch_size: int = 200
    #: Subjects destroyed per transaction (each subject whole in one of them).
    per_transaction: int = 50
    #: Keep the run record (and its audit events) of a sweep that finds nobody due; the
    #: worker's scheduled sweep does not, so an idle day writes nothing.
    record_empty: bool = True
    #: For tests: called after each transaction of destruction commits, with how many
    #: subjects have been destroyed so far.
    after_commit: Callable[[int], None] | None = None


def _event(options: SweepOptions, action: str, **fields: Any) -> PendingAuditEvent:
    return PendingAuditEvent(
        kind="change",
        action=action,
        purpose="retention_management",
        basis="6(1)(c)",
        actor=options.actor,
        actor_role=options.actor_role,
        **fields,
    )


async def _commit(session: AsyncSession) -> None:
    await seal(session)
    await session.commit()


async def destroy_subjects(
    session: AsyncSession,
    subjects: list[DueSubject],
    *,
    run_id: uuid.UUID | None,
    versions: dict[str, int],
    options: SweepOptions,
    now: datetime,
) -> list[RetentionDestruction]:
    """Destroy these subjects' records, in the caller's transaction, each with its
    destruction record and audit event."""
    plan = await plan_destruction(session, [s.id for s in subjects])
    counts = await _execute_plan(session, plan, now)
    destructions = []
    for subject in subjects:
        tables = dict(sorted(counts.get(subject.id, {}).items()))
        key_destroyed = await destroy_subject_key(session, subject.id, now=now)
        record_types = _by_record_type(plan, tables)
        used = {rt: versions[rt] for rt in record_types if rt in versions}
        if "pupil_linked" in versions:
            used.setdefault("pupil_linked", versions["pupil_linked"])
        destruction = RetentionDestruction(
            id=uuid.uuid4(),
            subject_id=subject.id,
            run_id=run_id,
            subject_kind=subject.kind,
            retain_until=subject.retain_until,
            destroyed_at=now,
            policy_versions=used,
            counts={"tables": tables, "record_types": record_types},
            key_destroyed=key_destroyed,
        )
        session.add(destruction)
        destructions.append(destruction)
        record(
            session,
            _event(
                options,
                "retention.subject_destroyed",
                resource_type="data_subject",
                resource_id=str(subject.id),
                details={
                    "run_id": str(run_id) if run_id else None,
                    "destruction_id": str(destruction.id),
                    "rows": sum(tables.values()),
                    "key_destroyed": key_destroyed,
                },
            ),
        )
    return destructions


async def sweep(session: AsyncSession, options: SweepOptions) -> SweepOutcome:
    """Run a sweep (or a dry run) in ``session``, committing after every
    ``options.per_transaction`` subjects (a dry run commits nothing and writes nothing: its
    run is returned unsaved, for the caller to keep or not)."""
    repository = RetentionRepository(session)
    now = datetime.now(UTC)
    versions = await repository.versions_in_force()
    before = due_before(options.as_of, options.grace_days)
    run = RetentionRun(
        id=uuid.uuid4(),
        dry_run=options.dry_run,
        status=RunStatus.RUNNING,
        as_of=options.as_of,
        grace_days=options.grace_days,
        started_by=options.actor,
        started_at=now,
        policy_versions=versions,
        counts={},
        subject_ids=None,
        due=0,
        held=0,
        destroyed=0,
    )
    run.past_retention = await repository.past_retention_count(options.as_of)
    periods = await repository.periods_in_force(RECORD_TYPES)
    outcome = SweepOutcome(run)
    if not options.record_empty and not await _anything_due(session, options, before, periods):
        run.status = RunStatus.COMPLETED
        run.finished_at = datetime.now(UTC)
        return outcome
    if not options.dry_run:
        session.add(run)
        record(
            session,
            _event(
                options,
                "retention.sweep_started",
                resource_type="retention_run",
                resource_id=str(run.id),
                details={"as_of": options.as_of.isoformat(), "grace_days": options.grace_days},
            ),
        )
        await _commit(session)
    due = held = destroyed = 0
    totals: dict[str, int] = defaultdict(int)
    after: uuid.UUID | None = None
    while True:
        batch = await repository.due_subjects(before=before, after=after, limit=options.batch_size)
        if not batch:
            break
        after = batch[-1].id
        due += len(batch)
        on_hold = await repository.held_subjects([s.id for s in batch])
        held += len(on_hold)
        going = [s for s in batch if s.id not in on_hold]
        if options.dry_run:
            plan = await plan_destruction(session, [s.id for s in going])
            for by_table in (await planned_counts(session, plan)).values():
                for record_type, count in _by_record_type(plan, by_table).items():
                    totals[record_type] += count
            outcome.would_destroy.extend(s.id for s in going)
            continue
        step = max(1, options.per_transaction)
        for start in range(0, len(going), step):
            chunk = going[start : start + step]
            # Another sweep may be at the same subjects: each goes to the one that claims it.
            claimed = await repository.claim_for_destruction([s.id for s in chunk])
            if not claimed:
                continue
            done = await destroy_subjects(
                session,
                [s for s in chunk if s.id in claimed],
                run_id=run.id,
                versions=versions,
                options=options,
                now=datetime.now(UTC),
            )
            for destruction in done:
                for record_type, count in destruction.counts["record_types"].items():
                    totals[record_type] += count
            await _commit(session)
            destroyed += len(done)
            if options.after_commit is not None:
                options.after_commit(destroyed)
    swept = 0

    def counted() -> None:
        nonlocal swept
        swept += 1
        if options.after_commit is not None:
            options.after_commit(destroyed + swept)

    tallies = await sweep_records(
        session,
        RecordSweep(
            run=run,
            as_of=options.as_of,
            grace_days=options.grace_days,
            dry_run=options.dry_run,
            batch_size=options.batch_size,
            per_transaction=options.per_transaction,
            periods=periods,
            versions=versions,
            event=lambda action, **fields: _event(options, action, **fields),
            commit=_commit,
            after_commit=counted,
        ),
    )
    for record_type, tally in tallies.items():
        if tally.rows:
            totals[record_type] += tally.rows
    run.due = due
    run.held = held
    run.destroyed = destroyed
    run.counts = dict(sorted(totals.items()))
    run.records = {record_type: tally.as_json() for record_type, tally in tallies.items()}
    outcome.counts = dict(run.counts)
    outcome.records = dict(run.records)
    run.finished_at = datetime.now(UTC)
    run.status = RunStatus.COMPLETED
    if options.dry_run:
        run.subject_ids = {"would_destroy": [str(s) for s in outcome.would_destroy]}
    else:
        record(
            session,
            _event(
                options,
                "retention.sweep_completed",
                resource_type="retention_run",
                resource_id=str(run.id),
                details={
                    "due": due,
                    "held": held,
                    "destroyed": destroyed,
                    "records_destroyed": sum(tally.destroyed for tally in tallies.values()),
                },
            ),
        )
        await _commit(session)
    log.info(
        "retention_sweep",
        run_id=str(run.id),
        dry_run=options.dry_run,
        due=due,
        held=held,
        destroyed=destroyed,
    )
    return outcome


async def _anything_due(
    session: AsyncSession, options: SweepOptions, before: date, periods: dict[str, int]
) -> bool:
    """Whether a person or a record is due (the scheduled sweep writes nothing otherwise)."""
    if await RetentionRepository(session).due_subjects(before=before, after=None, limit=1):
        return True
    for record_type, years in periods.items():
        if await any_due(session, record_type, threshold(options.as_of, options.grace_days, years)):
            return True
    return False


def check_coverage() -> list[str]:
    """Personal-data tables the sweep would not reach or could not count under a record
    type (empty when every one is covered)."""
    into = references_into()
    reached: set[str] = set()
    frontier = ["data_subjects"]
    while frontier:
        parent = frontier.pop()
        for edge in into.get(parent, ()):
            if edge.child in KEPT_TABLES or edge.child in reached:
                continue
            reached.add(edge.child)
            frontier.append(edge.child)
    problems = [
        f"{name}: not reached from data_subjects"
        for name in sorted(personal_tables())
        if name not in reached
    ]
    problems += [
        f"{name}: no record type in TABLE_RECORD_TYPES"
        for name in sorted(personal_tables())
        if name not in TABLE_RECORD_TYPES
    ]
    problems += [
        f"{name}: record type {rt} not in the schedule"
        for name, rt in TABLE_RECORD_TYPES.items()
        if rt not in BY_TYPE
    ]
    problems += [
        f"{name}: anonymised but its record type is destroyed by deletion"
        for name in ANONYMISED
        if BY_TYPE[TABLE_RECORD_TYPES[name]].action is not RetentionAction.ANONYMISE
    ]
    return problems


class RetentionSweeper:
    """The worker's scheduled sweep: one sweep every ``every_seconds`` until ``stop``. A sweep
    that fails on the database is logged and tried again at the next turn; what it had not
    committed is still due, and the next sweep finishes it."""

    def __init__(
        self,
        database: Database,
        *,
        grace_days: int,
        every_seconds: float,
        actor: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.grace_days = grace_days
        self.every_seconds = every_seconds
        self.actor = actor
        self._clock = clock
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run_once(self) -> SweepOutcome:
        options = SweepOptions(
            as_of=local_today(self._clock()),
            grace_days=self.grace_days,
            actor=self.actor,
            record_empty=False,
        )
        async with self.database.writer(), self.database.sessions() as session:
            try:
                return await sweep(session, options)
            except BaseException:
                await session.rollback()
                raise

    async def run(self) -> None:
        log.info("retention_sweeper_started", every_seconds=self.every_seconds)
        try:
            while not self._stop.is_set():
                try:
                    await self.run_once()
                except (OSError, DBAPIError) as exc:
                    log.error("retention_sweep_failed", failure=type(exc).__name__)
                if not self._stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), self.every_seconds)
        finally:
            log.info("retention_sweeper_stopped")
