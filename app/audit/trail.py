"""Recording audit events into the tamper-evident chain.

Code that makes a decision or a change calls :func:`record`, which only buffers the event on
the session (no I/O). The unit of work calls :func:`seal` right before it commits, and the
events enter the chain in that transaction: if it rolls back, they were never there.

Linking an event to the one before it needs the chain head, and the head must be locked from
the moment it is read until the transaction ends, or two writers would fork the chain. Where
that lock is taken decides how far the service scales:

- PostgreSQL, outermost transaction: :func:`seal` queues the events in
  ``audit_events_pending`` with the digest of their content (one INSERT, no lock). A deferred
  constraint trigger (migration 0002) fires inside COMMIT, once per event in queued order: it
  locks the head row, computes the link hash, moves the event into ``audit_events`` and
  advances the head. The lock is held for the rest of the COMMIT only, never across a round
  trip to the application, so concurrent requests queue for microseconds, not milliseconds.
- SQLite, or inside a savepoint (where the outermost COMMIT is not this caller's to rely on):
  :func:`seal` links the events itself. ``UPDATE audit_chain_head SET seq = seq + n ...
  RETURNING`` locks the head and claims ``n`` sequence numbers in one round trip (on SQLite,
  writing first also takes the database write lock, so nothing can interleave), then one
  statement inserts the events and moves the head's hash. The lock is held until the
  transaction ends.

Either way ``seq`` has no gaps (a missing number is a deleted event) and each ``prev_hash`` is
used once.

The hash (SHA-256, hex) is computed in two steps, so PostgreSQL can do the second:

1. ``digest`` = SHA-256 of the event's *content*: a JSON object with sorted keys, no
   whitespace (``,`` and ``:`` separators) and ``ensure_ascii``, holding exactly the members
   of :data:`CONTENT_FIELDS`. UUIDs are in lowercase hyphenated form, ``occurred_at`` ISO 8601
   in UTC with microseconds (``2026-11-29T09:30:00.000000+00:00``), ``details`` a JSON object
   (keys sorted too), absent values ``null``.
2. ``hash`` = SHA-256 of the ASCII text ``kpas-audit-v1|{seq}|{prev_hash}|{digest}``, where
   ``prev_hash`` is the previous event's ``hash`` (64 zeros for ``seq`` 1).

So every column is covered, and changing, removing or moving any event breaks the chain.

The data subjects an event touched are its ``subject_id`` and, when there are several, the
sorted ids in its ``subject_ids`` detail (a JSON array of strings; both covered by the digest).
:func:`seal` also writes one ``audit_event_subjects`` row per subject and event, in the same
statement as the event, keyed ``(subject_id, event_id)``: "every access to subject S" is one
index range. Verification checks the index agrees with the chained content, so a row added,
removed or altered there is found like an edited event.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Final, cast

import structlog
from sqlalchemy import BigInteger, Table, bindparam, event, insert, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from app.log import get_logger
from app.models.audit import AuditChainHead, AuditEvent, AuditEventPending, AuditEventSubject

DetailValue = str | int | bool | None | tuple[str, ...]

#: The detail naming every data subject an event touched, when there is more than one.
SUBJECT_IDS: Final = "subject_ids"

KINDS: Final = frozenset({"decision", "change"})
LINK_PREFIX: Final = "kpas-audit-v1"

#: The columns an event's content digest covers: all of them but the three the chain sets.
CONTENT_FIELDS: Final = (
    "id",
    "occurred_at",
    "kind",
    "action",
    "outcome",
    "decision_id",
    "rule",
    "purpose",
    "basis",
    "actor",
    "actor_role",
    "resource_type",
    "resource_id",
    "subject_id",
    "request_id",
    "details",
)
#: Every column the hash covers, directly or through the digest.
CANONICAL_FIELDS: Final = ("seq", *CONTENT_FIELDS, "prev_hash")

log = get_logger("kpas.audit")

_PENDING: Final = "kpas.audit.pending"
_SEALED: Final = "kpas.audit.sealed"
_BEFORE_SEAL: Final = "kpas.audit.before_seal"

#: Work that completes a buffered event from the database, run by :func:`seal` first.
BeforeSeal = Callable[[AsyncSession], Awaitable[None]]

_EVENTS = cast(Table, AuditEvent.__table__)
_QUEUE = cast(Table, AuditEventPending.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)
_SUBJECTS = cast(Table, AuditEventSubject.__table__)

_ADVANCE_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(seq=_HEAD.c.seq + bindparam("n", type_=BigInteger))
    .returning(_HEAD.c.seq, _HEAD.c.hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == 1).values(hash=bindparam("head_hash"))

# PostgreSQL receives events as one JSON array parameter (see ``_queue``); every identifier
# below comes from our own table metadata, every value is bound.
# The subject index rows travel the same way, in the same statement as their events.
_SUBJECT_COLUMNS = ", ".join(column.name for column in _SUBJECTS.c)
_INDEX_SUBJECTS = (
    f"INSERT INTO {_SUBJECTS.name} ({_SUBJECT_COLUMNS}) "  # noqa: S608
    f"SELECT {_SUBJECT_COLUMNS} FROM jsonb_populate_recordset(NULL::{_SUBJECTS.name}, "
    "CAST(:subjects AS jsonb))"
)
_QUEUE_COLUMNS = ", ".join(column.name for column in _QUEUE.c)
_QUEUE_EVENTS = text(
    f"WITH queued AS (INSERT INTO {_QUEUE.name} ({_QUEUE_COLUMNS}) "  # noqa: S608
    f"SELECT {_QUEUE_COLUMNS} FROM jsonb_populate_recordset(NULL::{_QUEUE.name}, "
    f"CAST(:events AS jsonb))) {_INDEX_SUBJECTS}"
)
_EVENT_COLUMNS = ", ".join(column.name for column in _EVENTS.c)
_APPEND_EVENTS = text(
    f"WITH sealed AS (INSERT INTO {_EVENTS.name} ({_EVENT_COLUMNS}) "  # noqa: S608
    f"SELECT {_EVENT_COLUMNS} FROM jsonb_populate_recordset(NULL::{_EVENTS.name}, "
    f"CAST(:events AS jsonb))), indexed AS ({_INDEX_SUBJECTS}) "
    f"UPDATE {_HEAD.name} SET hash = :head_hash WHERE id = 1"
)

#: Column lengths, checked when an event is recorded so a bad event fails where it is made
#: rather than at commit (PostgreSQL enforces them; SQLite would not).
_LIMITS: Final = {
    name: length
    for name, column in _EVENTS.c.items()
    if isinstance(length := getattr(column.type, "length", None), int)
}


def _no_details() -> Mapping[str, DetailValue]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PendingAuditEvent:
    """An audit event waiting to be sealed into the chain. Ids and codes only: no personal data.

    ``occurred_at`` and ``request_id`` are stamped by :func:`record`; leave them unset.
    """

    kind: str  # "decision" or "change"
    action: str
    outcome: str | None = None
    decision_id: uuid.UUID | None = None
    rule: str | None = None
    purpose: str | None = None
    basis: str | None = None
    actor: str | None = None
    actor_role: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    subject_id: uuid.UUID | None = None
    details: Mapping[str, DetailValue] = field(default_factory=_no_details)
    occurred_at: datetime | None = field(default=None, kw_only=True)
    request_id: str | None = field(default=None, kw_only=True)

    @property
    def survives_rollback(self) -> bool:
        """A decision was taken even if the request then failed; a rolled-back change was not."""
        return self.kind == "decision"


def record(session: AsyncSession, event: PendingAuditEvent) -> None:
    """Buffer ``event`` on ``session`` for the next :func:`seal`. No I/O.

    Stamps the time (UTC now) and the bound request id, unless the event already carries
    them (an event carried over from a rolled-back session keeps its original stamps).
    Raises ``ValueError`` for an event the chain could not store faithfully.
    """
    _check(event)
    stamped = replace(
        event,
        details=_frozen_details(event.details),
        occurred_at=event.occurred_at or datetime.now(UTC),
        request_id=(
            event.request_id
            if event.request_id is not None
            else structlog.contextvars.get_contextvars().get("request_id")
        ),
    )
    pending: list[PendingAuditEvent] | None = session.info.get(_PENDING)
    if pending is None:
        session.info[_PENDING] = [stamped]
    else:
        pending.append(stamped)


def attach_subjects(
    session: AsyncSession,
    decision_id: uuid.UUID,
    *,
    resource_id: str | None,
    subject_ids: Iterable[uuid.UUID],
) -> bool:
    """Add what a request touched to its allow decision, while that event is still buffered.

    Returns False when the decision's allow event is not on ``session`` (already sealed): the
    caller records a companion event instead. No I/O.
    """
    index = _pending_allow(session, decision_id)
    if index is None:
        return False
    pending: list[PendingAuditEvent] = session.info[_PENDING]
    pending[index] = with_subjects(pending[index], resource_id=resource_id, subject_ids=subject_ids)
    return True


def _pending_allow(session: AsyncSession, decision_id: uuid.UUID) -> int | None:
    pending: list[PendingAuditEvent] = session.info.get(_PENDING) or []
    for index in reversed(range(len(pending))):
        candidate = pending[index]
        if (
            candidate.kind == "decision"
            and candidate.outcome == "allow"
            and candidate.decision_id == decision_id
        ):
            return index
    return None


def decision_subjects(session: AsyncSession, decision_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The data subjects the decision's buffered allow event names so far. No I/O."""
    index = _pending_allow(session, decision_id)
    if index is None:
        return frozenset()
    event = session.info[_PENDING][index]
    return event_subjects(event.subject_id, event.details)


def amend_decision(
    session: AsyncSession, decision_id: uuid.UUID, details: Mapping[str, DetailValue]
) -> bool:
    """Add ``details`` to the decision's buffered allow event; False when it is not buffered."""
    index = _pending_allow(session, decision_id)
    if index is None:
        return False
    pending: list[PendingAuditEvent] = session.info[_PENDING]
    event = pending[index]
    updated = replace(event, details=_frozen_details({**event.details, **details}))
    _check(updated)
    pending[index] = updated
    return True


def before_seal(session: AsyncSession, key: str, hook: BeforeSeal) -> None:
    """Run ``hook`` once, right before this session's events are sealed; a second hook under
    the same ``key`` is ignored."""
    hooks: dict[str, BeforeSeal] = session.info.setdefault(_BEFORE_SEAL, {})
    hooks.setdefault(key, hook)


def with_subjects(
    event: PendingAuditEvent, *, resource_id: str | None, subject_ids: Iterable[uuid.UUID]
) -> PendingAuditEvent:
    """``event`` also naming ``subject_ids`` (and ``resource_id``, if it names none yet).

    One subject goes in ``subject_id``; several go, sorted, in the ``subject_ids`` detail
    (``subject_id`` keeps the one it had, if any).
    """
    # As canonical text (lowercase, hyphenated): what the detail holds and the digest covers.
    subjects = _subject_texts(event.subject_id, event.details)
    subjects.update(str(s) for s in subject_ids)
    details = dict(event.details)
    subject_id = event.subject_id
    if len(subjects) == 1 and subject_id is None:
        subject_id = uuid.UUID(next(iter(subjects)))
    elif len(subjects) > 1:
        details[SUBJECT_IDS] = tuple(sorted(subjects))
    updated = replace(
        event,
        resource_id=event.resource_id if event.resource_id is not None else resource_id,
        subject_id=subject_id,
        details=_frozen_details(details),
    )
    _check(updated)
    return updated


def event_subjects(subject_id: Any, details: Mapping[str, Any] | None) -> frozenset[uuid.UUID]:
    """The data subjects an event (pending or stored) touched: its ``subject_id`` and the ids
    in its ``subject_ids`` detail."""
    listed = (details or {}).get(SUBJECT_IDS) or ()
    subjects = {uuid.UUID(str(s)) for s in listed}
    if subject_id is not None:
        subjects.add(subject_id if isinstance(subject_id, uuid.UUID) else uuid.UUID(subject_id))
    return frozenset(subjects)


def _subject_texts(subject_id: uuid.UUID | None, details: Mapping[str, Any]) -> set[str]:
    subjects = set(details.get(SUBJECT_IDS) or ())
    if subject_id is not None:
        subjects.add(str(subject_id))
    return subjects


def pending_events(session: AsyncSession) -> list[PendingAuditEvent]:
    """The events recorded on ``session`` and not yet sealed (a copy)."""
    return list(session.info.get(_PENDING, ()))


def discard_changes_since(session: AsyncSession, recorded: int) -> None:
    """Forget the change events recorded on ``session`` after its first ``recorded`` pending
    ones: their changes were rolled back to a savepoint. Decisions recorded since stay."""
    pending: list[PendingAuditEvent] | None = session.info.get(_PENDING)
    if pending:
        pending[recorded:] = [e for e in pending[recorded:] if e.survives_rollback]


async def seal(session: AsyncSession) -> int:
    """Write every buffered event into the chain and clear the buffer; return how many.

    Call it right before commit. Pending ORM changes are flushed first, so their errors
    surface before any chain lock is taken. On PostgreSQL the transaction must be READ
    COMMITTED (the default), so the head lock waits for the previous writer and continues
    from its head. See the module docstring for where the lock is held.
    """
    hooks: dict[str, BeforeSeal] | None = session.info.pop(_BEFORE_SEAL, None)
    for hook in (hooks or {}).values():
        await hook(session)
    pending: list[PendingAuditEvent] | None = session.info.get(_PENDING)
    if not pending:
        return 0
    await session.flush()
    connection = await session.connection()
    if connection.dialect.name == "postgresql" and not connection.in_nested_transaction():
        await _queue(connection, pending)
    else:
        await _link(connection, pending)
    del session.info[_PENDING]
    # Kept until the commit succeeds, so a decision survives a commit that fails after this.
    session.info.setdefault(_SEALED, []).extend(pending)
    return len(pending)


async def _queue(connection: AsyncConnection, pending: list[PendingAuditEvent]) -> None:
    """Queue the events for the COMMIT-time trigger, which links them (PostgreSQL).

    The events travel as one JSON array of their canonical content, each with its digest:
    one parameter whatever their number, and the stored values are parsed from the very
    bytes that were hashed.
    """
    documents = []
    subjects: list[bytes] = []
    for pending_event in pending:
        row = _content(pending_event)
        content = canonical_content(row)
        digest = hashlib.sha256(content).hexdigest()
        documents.append(_extend(content, f'"digest":"{digest}"'))
        subjects.extend(_subject_documents(row))
    await connection.execute(
        _QUEUE_EVENTS, {"events": _json_array(documents), "subjects": _json_array(subjects)}
    )


async def _link(connection: AsyncConnection, pending: list[PendingAuditEvent]) -> None:
    """Lock the head, link the events to it and write them, all in this transaction."""
    count = len(pending)
    head_seq, prev_hash = (await connection.execute(_ADVANCE_HEAD, {"n": count})).one()
    seq = head_seq - count
    if connection.dialect.name == "postgresql":
        documents = []
        subjects: list[bytes] = []
        for pending_event in pending:
            seq += 1
            row = _content(pending_event)
            content = canonical_content(row)
            link = link_hash(seq, prev_hash, hashlib.sha256(content).hexdigest())
            documents.append(
                _extend(content, f'"seq":{seq},"prev_hash":"{prev_hash}","hash":"{link}"')
            )
            subjects.extend(_subject_documents(row))
            prev_hash = link
        # The events, their subject index rows and the head's new hash in one statement: one
        # round trip under the lock.
        await connection.execute(
            _APPEND_EVENTS,
            {
                "events": _json_array(documents),
                "subjects": _json_array(subjects),
                "head_hash": prev_hash,
            },
        )
        return
    rows = []
    subject_rows: list[dict[str, uuid.UUID]] = []
    for pending_event in pending:
        seq += 1
        row = _content(pending_event)
        row["seq"] = seq
        row["prev_hash"] = prev_hash
        prev_hash = row["hash"] = link_hash(seq, prev_hash, content_digest(row))
        rows.append(row)
        subject_rows.extend(
            {"subject_id": subject, "event_id": row["id"]}
            for subject in event_subjects(row["subject_id"], row["details"])
        )
    await connection.execute(insert(_EVENTS), rows)
    if subject_rows:
        await connection.execute(insert(_SUBJECTS), subject_rows)
    await connection.execute(_SET_HEAD_HASH, {"head_hash": prev_hash})


def _subject_documents(row: Mapping[str, Any]) -> list[bytes]:
    """The event's subject index rows, as JSON objects (ASCII: ids only)."""
    event_id = row["id"]
    return [
        f'{{"subject_id":"{subject}","event_id":"{event_id}"}}'.encode("ascii")
        for subject in _subject_texts(row["subject_id"], row["details"])
    ]


def _extend(document: bytes, members: str) -> bytes:
    """Add ``members`` (already JSON, ASCII) to the JSON object ``document``."""
    return document[:-1] + b"," + members.encode("ascii") + b"}"


def _json_array(documents: list[bytes]) -> str:
    return (b"[" + b",".join(documents) + b"]").decode("ascii")


def take_surviving(session: AsyncSession) -> list[PendingAuditEvent]:
    """After a rollback: remove and return the events that must still be recorded.

    Those are the decisions, whether or not they had been sealed into the rolled-back
    transaction. Every other event is discarded: the change it describes did not happen.
    """
    events: list[PendingAuditEvent] = [
        *session.info.pop(_SEALED, ()),
        *session.info.pop(_PENDING, ()),
    ]
    return [e for e in events if e.survives_rollback]


async def record_surviving(
    sessions: async_sessionmaker[AsyncSession], events: Sequence[PendingAuditEvent]
) -> None:
    """Write ``events`` (from :func:`take_surviving`) in a transaction of their own.

    Never raises: it runs while another error is on its way out, and that error is the one the
    caller must see. A failure here is logged with the number of events lost.
    """
    try:
        async with sessions() as session:
            for pending_event in events:
                record(session, pending_event)
            await seal(session)
            await session.commit()
    except Exception as exc:
        log.error("audit_events_lost", events=len(events), error_class=type(exc).__name__)


@event.listens_for(Session, "before_commit")
def _refuse_unsealed(session: Session) -> None:
    # Committing now would silently drop the recorded events: fail closed instead.
    if session.info.get(_PENDING):
        raise RuntimeError("audit events were recorded but not sealed: call seal() before commit")


@event.listens_for(Session, "after_commit")
def _forget_sealed(session: Session) -> None:
    # Committed: those events are in the chain now, nothing left to carry over.
    session.info.pop(_SEALED, None)


# --- the canonical encoding --------------------------------------------------------------------


def canonical_content(row: Mapping[Any, Any]) -> bytes:
    """The bytes an event's content digest is computed over (see the module docstring)."""
    document = {name: _canonical_value(row[name]) for name in CONTENT_FIELDS}
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
    ).encode("ascii")


def content_digest(row: Mapping[Any, Any]) -> str:
    """SHA-256 (hex) of an event's canonical content."""
    return hashlib.sha256(canonical_content(row)).hexdigest()


def link_hash(seq: int, prev_hash: str, digest: str) -> str:
    """The chain hash of event ``seq``. The PostgreSQL trigger computes exactly the same."""
    return hashlib.sha256(f"{LINK_PREFIX}|{seq}|{prev_hash}|{digest}".encode("ascii")).hexdigest()


def event_hash(row: Mapping[Any, Any]) -> str:
    """The hash a stored event (or one about to be stored) must carry."""
    return link_hash(row["seq"], row["prev_hash"], content_digest(row))


def _canonical_value(value: Any) -> Any:
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("audit timestamps must be timezone-aware")
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"no canonical form for {type(value).__name__}")


def _content(event: PendingAuditEvent) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "occurred_at": event.occurred_at,
        "kind": event.kind,
        "action": event.action,
        "outcome": event.outcome,
        "decision_id": event.decision_id,
        "rule": event.rule,
        "purpose": event.purpose,
        "basis": event.basis,
        "actor": event.actor,
        "actor_role": event.actor_role,
        "resource_type": event.resource_type,
        "resource_id": event.resource_id,
        "subject_id": event.subject_id,
        "request_id": event.request_id,
        "details": dict(event.details),
    }


def _frozen_details(details: Mapping[str, Any]) -> Mapping[str, DetailValue]:
    return MappingProxyType(
        {key: tuple(value) if isinstance(value, list) else value for key, value in details.items()}
    )


def _check(event: PendingAuditEvent) -> None:
    if event.kind not in KINDS:
        raise ValueError(f"audit event kind must be one of {sorted(KINDS)}, not {event.kind!r}")
    for name, limit in _LIMITS.items():
        value = getattr(event, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"audit event {name} is longer than {limit} characters")
    for key, value in event.details.items():
        if not isinstance(key, str):
            raise ValueError("audit event detail keys must be strings")
        # Floats are refused: their JSON form is not stable across databases.
        if isinstance(value, tuple | list):
            if not all(isinstance(item, str) for item in value):
                raise ValueError(f"audit event detail {key!r} may list strings only")
        elif value is not None and not isinstance(value, str | int):
            raise ValueError(
                f"audit event detail {key!r} must be a string, integer, boolean or list of strings"
            )
