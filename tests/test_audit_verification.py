"""Verifying the chain finds tampering (editing, deleting, reordering, inserting) and names the
first event at which the chain breaks. Tampering is done as an insider would: raw SQL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import content_digest, link_hash
from app.audit.verification import (
    BEYOND_HEAD,
    EDITED,
    GAP,
    HEAD_MISMATCH,
    UNLINKED,
    ChainVerification,
    verify_chain,
)
from app.models import AuditEvent
from tests.audit_support import build_chain, events_by_seq, raw


async def verify(session: AsyncSession, batch_size: int = 1000) -> ChainVerification:
    session.expire_all()
    return await verify_chain(session, batch_size=batch_size)


async def hash_of(session: AsyncSession, seq: int) -> str:
    value = await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    assert value is not None
    return value


def forged_row(seq: int, prev_hash: str) -> dict[str, object]:
    """A well-formed event with a correctly computed hash, as a forger who knows the scheme
    would write it."""
    content: dict[str, object] = {
        "id": uuid.uuid4(),
        "occurred_at": datetime(2026, 11, 29, 12, 0, tzinfo=UTC),
        "kind": "decision",
        "action": "school.read",
        "outcome": "allow",
        "decision_id": uuid.uuid4(),
        "rule": "schools.read",
        "purpose": None,
        "basis": None,
        "actor": "someone-else",
        "actor_role": "admin",
        "resource_type": "school",
        "resource_id": "118800",
        "subject_id": None,
        "request_id": None,
        "details": {},
    }
    return {
        **content,
        "seq": seq,
        "prev_hash": prev_hash,
        "hash": link_hash(seq, prev_hash, content_digest(content)),
    }


async def insert_row(session: AsyncSession, row: dict[str, object]) -> None:
    await session.execute(AuditEvent.__table__.insert().values(**row))


class TestIntact:
    async def test_an_intact_chain_verifies(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 6)
        result = await verify(session)
        assert result.ok, result
        assert result.first_bad_seq is None
        assert result.problem is None
        assert result.events_checked == result.head_seq == seqs[-1]

    async def test_verifies_across_batches(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 7)
        result = await verify(session, batch_size=2)
        assert result.ok, result
        assert result.events_checked == seqs[-1]


class TestTampering:
    async def test_editing_a_field_is_found_at_that_event(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 5)
        target = seqs[2]
        await raw(session, "UPDATE audit_events SET outcome = 'deny' WHERE seq = :s", s=target)
        result = await verify(session)
        assert not result.ok
        assert (result.first_bad_seq, result.problem) == (target, EDITED)
        assert result.events_checked == target - 1

    async def test_editing_details_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 3)
        target = seqs[0]
        row = (await events_by_seq(session))[target - 1]
        await session.execute(
            AuditEvent.__table__.update()
            .where(AuditEvent.seq == target)
            .values(details={**row["details"], "reason": "edited"})
        )
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (target, EDITED)

    async def test_editing_an_event_and_its_hash_is_found_at_the_next(
        self, session: AsyncSession
    ) -> None:
        seqs = await build_chain(session, 4)
        target = seqs[1]
        row = (await events_by_seq(session))[target - 1]
        edited = {**row, "actor": "someone-else"}
        await session.execute(
            AuditEvent.__table__.update()
            .where(AuditEvent.seq == target)
            .values(
                actor="someone-else",
                hash=link_hash(target, row["prev_hash"], content_digest(edited)),
            )
        )
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (target + 1, UNLINKED)

    async def test_deleting_a_middle_event_is_a_gap(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 5)
        target = seqs[2]
        await raw(session, "DELETE FROM audit_events WHERE seq = :s", s=target)
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (target, GAP)

    async def test_deleting_the_first_event_is_a_gap(self, session: AsyncSession) -> None:
        await build_chain(session, 3)
        await raw(session, "DELETE FROM audit_events WHERE seq = 1")
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (1, GAP)

    async def test_deleting_and_renumbering_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 5)
        target = seqs[2]
        await raw(session, "DELETE FROM audit_events WHERE seq = :s", s=target)
        # Close the gap: move every later event down one (via negatives, so keys never clash).
        await raw(session, "UPDATE audit_events SET seq = -(seq - 1) WHERE seq > :s", s=target)
        await raw(session, "UPDATE audit_events SET seq = -seq WHERE seq < 0")
        await raw(session, "UPDATE audit_chain_head SET seq = seq - 1 WHERE id = 1")
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (target, UNLINKED)

    async def test_deleting_the_last_event_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 4)
        last = seqs[-1]
        await raw(session, "DELETE FROM audit_events WHERE seq = :s", s=last)
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (last, HEAD_MISMATCH)
        assert result.events_checked == last - 1

    async def test_editing_the_head_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 2)
        await raw(session, "UPDATE audit_chain_head SET hash = :h WHERE id = 1", h="a" * 64)
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (seqs[-1], HEAD_MISMATCH)

    async def test_swapping_two_events_is_found_at_the_first(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 6)
        first, second = seqs[1], seqs[4]
        await raw(session, "UPDATE audit_events SET seq = -1 WHERE seq = :s", s=first)
        await raw(session, "UPDATE audit_events SET seq = :a WHERE seq = :b", a=first, b=second)
        await raw(session, "UPDATE audit_events SET seq = :b WHERE seq = -1", b=second)
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (first, UNLINKED)

    async def test_swapping_neighbours_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 3)
        a, b = seqs[0], seqs[1]
        await raw(session, "UPDATE audit_events SET seq = -1 WHERE seq = :s", s=a)
        await raw(session, "UPDATE audit_events SET seq = :a WHERE seq = :b", a=a, b=b)
        await raw(session, "UPDATE audit_events SET seq = :b WHERE seq = -1", b=b)
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (a, UNLINKED)

    async def test_a_forged_event_inserted_in_the_middle_is_found(
        self, session: AsyncSession
    ) -> None:
        seqs = await build_chain(session, 5)
        at = seqs[2]
        # Make room (via negatives, so keys never clash), insert a well-hashed forgery that
        # links to the event before it, and move the head on so the count matches.
        await raw(session, "UPDATE audit_events SET seq = -(seq + 1) WHERE seq >= :s", s=at)
        await raw(session, "UPDATE audit_events SET seq = -seq WHERE seq < 0")
        await insert_row(session, forged_row(at, await hash_of(session, at - 1)))
        await raw(session, "UPDATE audit_chain_head SET seq = seq + 1 WHERE id = 1")
        result = await verify(session)
        # The forgery itself is self-consistent; the event after it no longer links.
        assert (result.first_bad_seq, result.problem) == (at + 1, UNLINKED)

    async def test_a_forged_event_with_a_made_up_hash_is_found(self, session: AsyncSession) -> None:
        seqs = await build_chain(session, 3)
        last = seqs[-1]
        row = forged_row(last + 1, await hash_of(session, last))
        row["hash"] = uuid.uuid4().hex * 2  # plausible-looking, but not the real link
        await insert_row(session, row)
        await raw(
            session,
            "UPDATE audit_chain_head SET seq = :s, hash = :h WHERE id = 1",
            s=last + 1,
            h=row["hash"],
        )
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (last + 1, EDITED)

    async def test_a_forged_event_appended_past_the_head_is_found(
        self, session: AsyncSession
    ) -> None:
        seqs = await build_chain(session, 3)
        last = seqs[-1]
        await insert_row(session, forged_row(last + 1, await hash_of(session, last)))
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (last + 1, BEYOND_HEAD)

    @pytest.mark.parametrize("column", ["kind", "action", "actor", "purpose", "request_id"])
    async def test_any_column_edit_is_found(self, session: AsyncSession, column: str) -> None:
        seqs = await build_chain(session, 3)
        target = seqs[1]
        await raw(session, f"UPDATE audit_events SET {column} = 'x' WHERE seq = :s", s=target)  # noqa: S608
        result = await verify(session)
        assert (result.first_bad_seq, result.problem) == (target, EDITED)
