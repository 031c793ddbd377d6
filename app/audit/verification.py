"""Verifying the audit chain: find the first edited, deleted, reordered or inserted event.

Events are streamed in ``seq`` order in batches, so a chain of any length is checked in
constant memory. Each event must

1. carry the next ``seq`` (a gap is a deleted event),
2. name the previous event's hash as its ``prev_hash`` (otherwise events were reordered,
   inserted or deleted and renumbered),
3. hash, under the canonical encoding, to its stored ``hash`` (otherwise it was edited),

and the chain head must name the last event (otherwise the tail was deleted, an event was
appended outside the chain, or the head was edited). The subject index must agree with the
chain: each event's ``audit_event_subjects`` rows name exactly the subjects its chained content
names (less destroyed subjects, whose rows go with them; for events up to the last one the
retention sweep removed index rows of, past the audit trail's period, rows may be missing but
none may be added), and no row names an event that is not there. A forger who rewrites every
later event and the head as well is caught only by comparing with an exported head digest.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Table, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import CANONICAL_FIELDS, event_hash, event_subjects
from app.models.audit import GENESIS_HASH, AuditChainHead, AuditEvent, AuditEventSubject
from app.models.retention import RetentionDestruction

BATCH_SIZE: Final = 1000

GAP: Final = "sequence gap (deleted)"
UNLINKED: Final = "prev_hash mismatch (reordered, inserted or deleted)"
EDITED: Final = "hash mismatch (edited)"
HEAD_MISMATCH: Final = "head does not match last event (tail deleted or head edited)"
BEYOND_HEAD: Final = "event beyond the chain head (appended outside the chain)"
NO_HEAD: Final = "chain head row is missing"
SUBJECTS_MISMATCH: Final = "subject index does not match the event (row added, removed or altered)"
SUBJECTS_ORPHANED: Final = "subject index row names no event (added or altered)"

_EVENTS = cast(Table, AuditEvent.__table__)
_COLUMNS = [_EVENTS.c[name] for name in (*CANONICAL_FIELDS, "hash")]
_HEAD = cast(Table, AuditChainHead.__table__)
_SUBJECTS = cast(Table, AuditEventSubject.__table__)
_ORPHANED = select(_SUBJECTS.c.event_id).where(
    ~exists(select(_EVENTS.c.id).where(_EVENTS.c.id == _SUBJECTS.c.event_id))
)
_HEAD_ROW = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)
_HEAD_SEQ = select(_HEAD.c.seq).where(_HEAD.c.id == 1)


@dataclass(frozen=True, slots=True)
class ChainVerification:
    """The outcome of checking the chain. ``first_bad_seq`` names the first broken position."""

    ok: bool
    events_checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None
    head_hash: str | None = None


async def verify_chain(session: AsyncSession, *, batch_size: int = BATCH_SIZE) -> ChainVerification:
    """Check every event up to the chain head and report the first one that is wrong.

    Events written while this runs (beyond the head read at the start) are left for the next
    run; they cannot hide tampering with the events before them.
    """
    head = (await session.execute(_HEAD_ROW)).one_or_none()
    if head is None:
        return ChainVerification(False, 0, first_bad_seq=None, problem=NO_HEAD)
    head_seq, head_hash = head.seq, head.hash

    def broken(checked: int, seq: int, problem: str) -> ChainVerification:
        return ChainVerification(False, checked, seq, problem, head_seq, head_hash)

    # The retention sweep removes the index rows of events older than the audit trail's
    # period; up to the last event it did so for, rows may be missing (never added).
    pruned_through = await _pruned_through(session)
    expected_seq = 1
    prev_hash = GENESIS_HASH
    checked = 0
    after = 0
    while True:
        stmt = (
            select(*_COLUMNS)
            .where(_EVENTS.c.seq > after, _EVENTS.c.seq <= head_seq)
            .order_by(_EVENTS.c.seq)
            .limit(batch_size)
        )
        rows = (await session.execute(stmt)).mappings().all()
        indexed = await _indexed_subjects(session, after, rows[-1]["seq"]) if rows else {}
        destroyed = await _destroyed_subjects(session, rows)
        for row in rows:
            seq = row["seq"]
            if seq != expected_seq:
                return broken(checked, expected_seq, GAP)
            if row["prev_hash"] != prev_hash:
                return broken(checked, seq, UNLINKED)
            if event_hash(row) != row["hash"]:
                return broken(checked, seq, EDITED)
            # A destroyed subject's index rows went with their records (retention); the
            # event itself, which names them by id only, is unchanged.
            named = event_subjects(row["subject_id"], row["details"])
            found = indexed.get(row["id"], frozenset())
            if seq <= pruned_through:
                if not found <= named - destroyed:
                    return broken(checked, seq, SUBJECTS_MISMATCH)
            elif found != named - destroyed:
                return broken(checked, seq, SUBJECTS_MISMATCH)
            prev_hash = row["hash"]
            expected_seq += 1
            checked += 1
        if len(rows) < batch_size:
            break
        after = rows[-1]["seq"]

    last_seq = expected_seq - 1
    if last_seq < head_seq:
        return broken(checked, last_seq + 1, HEAD_MISMATCH)
    if prev_hash != head_hash:
        return broken(checked, head_seq, HEAD_MISMATCH)
    # An event beyond the head is a forgery once the head, read afterwards, does not reach it:
    # a real writer moves the head in the same transaction as it inserts.
    beyond = await session.scalar(select(func.max(_EVENTS.c.seq)).where(_EVENTS.c.seq > head_seq))
    if beyond is not None:
        current_head = await session.scalar(_HEAD_SEQ)
        if current_head is None or beyond > current_head:
            return broken(checked, head_seq + 1, BEYOND_HEAD)
    if await session.scalar(_ORPHANED.limit(1)) is not None:
        return ChainVerification(
            False, checked, None, SUBJECTS_ORPHANED, head_seq=head_seq, head_hash=head_hash
        )
    return ChainVerification(True, checked, None, None, head_seq, head_hash)


async def _pruned_through(session: AsyncSession) -> int:
    """The last event whose subject index rows the retention sweep removed (0 if none)."""
    found = await session.scalar(
        select(func.max(RetentionDestruction.through_seq)).where(
            RetentionDestruction.record_type == "audit_event"
        )
    )
    return int(found or 0)


async def _destroyed_subjects(session: AsyncSession, rows: Sequence[Any]) -> frozenset[uuid.UUID]:
    """Of the subjects these events name, those destroyed by retention."""
    named: set[uuid.UUID] = set()
    for row in rows:
        named.update(event_subjects(row["subject_id"], row["details"]))
    if not named:
        return frozenset()
    ordered = sorted(named)
    found: set[uuid.UUID] = set()
    for start in range(0, len(ordered), 500):
        found.update(
            subject_id
            for subject_id in (
                await session.scalars(
                    select(RetentionDestruction.subject_id).where(
                        RetentionDestruction.subject_id.in_(ordered[start : start + 500])
                    )
                )
            ).all()
            if subject_id is not None
        )
    return frozenset(found)


async def _indexed_subjects(
    session: AsyncSession, after: int, last: int
) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
    """The subject index rows of the events ``after < seq <= last``, by event id."""
    stmt = (
        select(_SUBJECTS.c.event_id, _SUBJECTS.c.subject_id)
        .join(_EVENTS, _EVENTS.c.id == _SUBJECTS.c.event_id)
        .where(_EVENTS.c.seq > after, _EVENTS.c.seq <= last)
    )
    found: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for event_id, subject_id in (await session.execute(stmt)).all():
        found[event_id].add(subject_id)
    return {event_id: frozenset(subjects) for event_id, subjects in found.items()}
