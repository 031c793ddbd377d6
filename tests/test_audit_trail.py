"""Recording and sealing audit events: the canonical encoding, the chain links, and what the
request's unit of work keeps when the request fails."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import httpx
import pytest
import structlog
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import (
    PendingAuditEvent,
    canonical_content,
    content_digest,
    event_hash,
    link_hash,
    pending_events,
    record,
    seal,
    take_surviving,
)
from app.audit.verification import verify_chain
from app.db import SessionDep
from app.errors import Conflict, Forbidden
from app.models import AuditChainHead, AuditEvent, School
from app.models.audit import GENESIS_HASH, AuditEventPending
from tests.audit_support import (
    append,
    change,
    decision,
    events_by_seq,
    head_seq,
    migrated_database,
)
from tests.factories import make_school


@pytest.fixture
def app(own_app: FastAPI) -> FastAPI:
    """Tests here add routes of their own, so each gets an application of its own."""
    return own_app


GOLDEN_CONTENT = {
    "id": uuid.UUID("00000000-0000-4000-8000-000000000001"),
    "occurred_at": datetime(2026, 11, 29, 9, 30, 0, 123456, tzinfo=UTC),
    "kind": "decision",
    "action": "audit_event.list",
    "outcome": "allow",
    "decision_id": uuid.UUID("00000000-0000-4000-8000-000000000002"),
    "rule": "audit.review",
    "purpose": None,
    "basis": None,
    "actor": "ig-officer-1",
    "actor_role": "information_governance",
    "resource_type": "audit_event",
    "resource_id": None,
    "subject_id": uuid.UUID("00000000-0000-4000-8000-000000000003"),
    "request_id": "req-1",
    "details": {"reason": "allowed", "count": 3, "flag": True, "none": None, "note": "café"},
}


class TestCanonicalEncoding:
    def test_content_encoding_is_sorted_compact_ascii_json(self) -> None:
        assert canonical_content(GOLDEN_CONTENT) == (
            b'{"action":"audit_event.list","actor":"ig-officer-1",'
            b'"actor_role":"information_governance","basis":null,'
            b'"decision_id":"00000000-0000-4000-8000-000000000002",'
            b'"details":{"count":3,"flag":true,"none":null,"note":"caf\\u00e9",'
            b'"reason":"allowed"},"id":"00000000-0000-4000-8000-000000000001",'
            b'"kind":"decision","occurred_at":"2026-11-29T09:30:00.123456+00:00",'
            b'"outcome":"allow","purpose":null,"request_id":"req-1","resource_id":null,'
            b'"resource_type":"audit_event","rule":"audit.review",'
            b'"subject_id":"00000000-0000-4000-8000-000000000003"}'
        )

    def test_golden_hashes(self) -> None:
        # Computed independently with sha256sum and PostgreSQL's sha256(): if these change,
        # every chain already written stops verifying.
        digest = content_digest(GOLDEN_CONTENT)
        assert digest == "c51ac0f1eb444414947213a0f62c5b396e1cffb2b14b17f73f3ca39be0aecee8"
        assert (
            link_hash(1, GENESIS_HASH, digest)
            == "be270538b543b2f2a9107faeff5dbe334c08fdb7cd8505e2d365f4a86b6dd10d"
        )
        row = {**GOLDEN_CONTENT, "seq": 1, "prev_hash": GENESIS_HASH}
        assert event_hash(row) == link_hash(1, GENESIS_HASH, digest)

    def test_timestamps_are_encoded_in_utc_whatever_their_zone(self) -> None:
        from zoneinfo import ZoneInfo

        local = GOLDEN_CONTENT["occurred_at"].astimezone(ZoneInfo("Europe/London"))  # type: ignore[attr-defined]
        assert content_digest({**GOLDEN_CONTENT, "occurred_at": local}) == content_digest(
            GOLDEN_CONTENT
        )

    def test_key_order_of_details_does_not_matter(self) -> None:
        reordered = dict(reversed(list(GOLDEN_CONTENT["details"].items())))  # type: ignore[attr-defined]
        assert content_digest({**GOLDEN_CONTENT, "details": reordered}) == content_digest(
            GOLDEN_CONTENT
        )

    @pytest.mark.parametrize(
        ("field", "value"),
        [("outcome", "deny"), ("details", {"reason": "allowed"}), ("request_id", None)],
    )
    def test_every_field_changes_the_digest(self, field: str, value: object) -> None:
        assert content_digest({**GOLDEN_CONTENT, field: value}) != content_digest(GOLDEN_CONTENT)

    def test_seq_and_prev_hash_change_the_link(self) -> None:
        digest = content_digest(GOLDEN_CONTENT)
        assert link_hash(2, GENESIS_HASH, digest) != link_hash(1, GENESIS_HASH, digest)
        assert link_hash(1, "f" * 64, digest) != link_hash(1, GENESIS_HASH, digest)


class FakeSession:
    """Enough of a session for record(), which touches nothing but ``info``."""

    def __init__(self) -> None:
        self.info: dict[str, object] = {}


class TestRecord:
    async def test_buffers_and_stamps_time_and_request_id(self, session: AsyncSession) -> None:
        before = await session.scalar(select(func.count()).select_from(AuditEvent))
        structlog.contextvars.bind_contextvars(request_id="req-stamp-1")
        try:
            record(session, decision())
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        [pending] = pending_events(session)
        assert pending.request_id == "req-stamp-1"
        assert pending.occurred_at is not None
        assert pending.occurred_at.tzinfo is not None
        # Nothing is written until seal.
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == before
        await seal(session)

    def test_details_are_copied_not_shared(self) -> None:
        details: dict[str, str | int | bool | None] = {"reason": "allowed"}
        session = FakeSession()
        record(session, decision(details=details))  # type: ignore[arg-type]
        details["reason"] = "changed later"
        [pending] = pending_events(session)  # type: ignore[arg-type]
        assert pending.details["reason"] == "allowed"

    @pytest.mark.parametrize(
        "bad",
        [
            PendingAuditEvent(kind="read", action="x"),
            PendingAuditEvent(kind="change", action="x" * 61),
            PendingAuditEvent(kind="change", action="x", details={"score": 0.5}),  # type: ignore[dict-item]
            PendingAuditEvent(kind="change", action="x", details={"nested": {}}),  # type: ignore[dict-item]
        ],
    )
    def test_refuses_events_the_chain_cannot_store_faithfully(self, bad: PendingAuditEvent) -> None:
        session = FakeSession()
        with pytest.raises(ValueError):
            record(session, bad)  # type: ignore[arg-type]
        assert session.info == {}

    def test_only_decisions_survive_a_rollback(self) -> None:
        assert decision().survives_rollback
        assert decision("deny").survives_rollback
        assert not change().survives_rollback


class TestSeal:
    async def test_links_each_event_to_the_one_before(self, session: AsyncSession) -> None:
        start = await head_seq(session)
        seqs = await append(session, decision(), change(), decision("deny"))
        assert seqs == [start + 1, start + 2, start + 3]
        rows = [r for r in await events_by_seq(session) if r["seq"] > start]
        assert [r["seq"] for r in rows] == seqs
        for previous, current in pairwise(rows):
            assert current["prev_hash"] == previous["hash"]
        for row in rows:
            assert row["hash"] == event_hash(row)
        head = await session.get(AuditChainHead, 1, populate_existing=True)
        assert head is not None
        assert (head.seq, head.hash) == (rows[-1]["seq"], rows[-1]["hash"])
        assert (await verify_chain(session)).ok

    async def test_keeps_the_order_events_were_recorded_in(self, session: AsyncSession) -> None:
        actions = [f"step.{i}" for i in range(5)]
        for action in actions:
            record(session, change(action=action))
        assert await seal(session) == 5
        rows = (await events_by_seq(session))[-5:]
        assert [r["action"] for r in rows] == actions

    async def test_nothing_buffered_writes_nothing(self, session: AsyncSession) -> None:
        start = await head_seq(session)
        assert await seal(session) == 0
        assert await head_seq(session) == start

    async def test_clears_the_buffer(self, session: AsyncSession) -> None:
        record(session, decision())
        assert await seal(session) == 1
        assert pending_events(session) == []
        assert await seal(session) == 0

    async def test_stored_event_matches_what_was_recorded(self, session: AsyncSession) -> None:
        subject = uuid.uuid4()
        details: dict[str, str | int | bool | None] = {
            "note": "café ✓",
            "count": 2**40,
            "flag": False,
            "none": None,
        }
        event = decision(
            "deny", subject_id=subject, purpose="attendance_duty", basis="6(1)(e)", details=details
        )
        await append(session, event)
        stored = (
            await session.scalars(select(AuditEvent).where(AuditEvent.subject_id == subject))
        ).one()
        assert stored.kind == "decision"
        assert stored.outcome == "deny"
        assert stored.decision_id == event.decision_id
        assert stored.purpose == "attendance_duty"
        assert stored.details == details
        assert (await verify_chain(session)).ok

    async def test_committing_unsealed_events_is_refused(self, session: AsyncSession) -> None:
        record(session, decision())
        with pytest.raises(RuntimeError, match="not sealed"):
            await session.commit()
        take_surviving(session)


class TestTakeSurviving:
    async def test_keeps_decisions_sealed_or_not_and_drops_changes(
        self, session: AsyncSession
    ) -> None:
        sealed_decision, sealed_change = decision(), change()
        record(session, sealed_decision)
        record(session, sealed_change)
        await seal(session)
        late_decision = decision("deny")
        record(session, late_decision)
        record(session, change())
        survivors = take_surviving(session)
        assert [s.decision_id for s in survivors] == [
            sealed_decision.decision_id,
            late_decision.decision_id,
        ]
        assert take_surviving(session) == []
        assert pending_events(session) == []

    async def test_survivors_keep_their_original_stamps(self, session: AsyncSession) -> None:
        record(session, decision())
        [original] = pending_events(session)
        [survivor] = take_surviving(session)
        record(session, survivor)
        [again] = pending_events(session)
        assert again.occurred_at == original.occurred_at
        assert again.request_id == original.request_id
        take_surviving(session)


async def decision_rows(session: AsyncSession, decision_id: uuid.UUID) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.decision_id == decision_id).order_by(AuditEvent.seq)
    return list((await session.scalars(stmt)).all())


class TestUnitOfWork:
    """The request's unit of work seals before it commits and keeps decisions on failure."""

    async def test_a_successful_request_seals_its_events_with_its_request_id(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        event = decision()

        async def handler(db: SessionDep) -> None:
            record(db, event)
            record(db, change(decision_id=event.decision_id))

        app.add_api_route("/audited", handler, methods=["POST"])
        response = await client.post("/audited", headers={"X-Request-ID": "req-uow-1"})
        assert response.status_code == 200
        rows = await decision_rows(session, event.decision_id)  # type: ignore[arg-type]
        assert sorted(r.kind for r in rows) == ["change", "decision"]
        assert {r.request_id for r in rows} == {"req-uow-1"}
        assert rows[1].seq == rows[0].seq + 1
        assert (await verify_chain(session)).ok

    async def test_a_failed_request_keeps_its_decision_but_not_its_change(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        event = decision()

        async def handler(db: SessionDep) -> None:
            record(db, event)
            await make_school(db, urn=500101)
            record(db, change(decision_id=event.decision_id))
            raise Conflict("refused half-way")

        app.add_api_route("/half-way", handler, methods=["POST"])
        response = await client.post("/half-way", headers={"X-Request-ID": "req-uow-2"})
        assert response.status_code == 409
        [kept] = await decision_rows(session, event.decision_id)  # type: ignore[arg-type]
        assert kept.kind == "decision"
        assert kept.request_id == "req-uow-2"
        assert await session.get(School, 500101) is None
        assert (await verify_chain(session)).ok

    async def test_a_denied_request_leaves_its_refusal(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        event = decision("deny")

        async def handler(db: SessionDep) -> None:
            record(db, event)
            raise Forbidden("no")

        app.add_api_route("/denied", handler, methods=["GET"])
        assert (await client.get("/denied")).status_code == 403
        [kept] = await decision_rows(session, event.decision_id)  # type: ignore[arg-type]
        assert kept.outcome == "deny"

    async def test_a_request_that_fails_at_flush_keeps_its_decision(
        self, app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        """The failure comes from seal's own flush (a duplicate key), after the handler."""
        await make_school(session, urn=500102)
        event = decision()

        async def handler(db: SessionDep) -> None:
            from app.models.schools import SchoolPhase
            from app.rules.kent import District, area_team_for

            record(db, event)
            db.add(
                School(
                    urn=500102,
                    name="Duplicate",
                    phase=SchoolPhase.PRIMARY,
                    district=District.DOVER,
                    area_team=area_team_for(District.DOVER),
                )
            )

        app.add_api_route("/duplicate", handler, methods=["POST"])
        response = await client.post("/duplicate")
        assert response.status_code == 409
        assert len(await decision_rows(session, event.decision_id)) == 1  # type: ignore[arg-type]


class TestPostgresCommitTimeLinking:
    """On PostgreSQL an outermost transaction queues its events; a trigger links them at COMMIT."""

    async def test_trigger_links_exactly_as_the_application_would(
        self, backend: str, tmp_path: Path
    ) -> None:
        async with migrated_database(backend, tmp_path) as database:
            batches = (
                [decision(details={"note": "café ✓", "big": 2**40, "off": False})],
                [change(), decision("deny"), change()],
                [decision()],
            )
            for batch in batches:
                async with database.sessions() as session:
                    for event in batch:
                        record(session, event)
                    await seal(session)
                    await session.commit()
            async with database.sessions() as session:
                rows = await events_by_seq(session)
                assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
                assert [r["kind"] for r in rows] == [
                    "decision",
                    "change",
                    "decision",
                    "change",
                    "decision",
                ]
                assert rows[0]["prev_hash"] == GENESIS_HASH
                for row in rows:
                    assert row["hash"] == event_hash(row)
                result = await verify_chain(session)
                assert result.ok, result
                assert result.events_checked == 5
                queued = await session.scalar(select(func.count()).select_from(AuditEventPending))
                assert queued == 0

    async def test_a_rolled_back_transaction_leaves_nothing(
        self, backend: str, tmp_path: Path
    ) -> None:
        async with migrated_database(backend, tmp_path) as database:
            async with database.sessions() as session:
                record(session, change())
                await seal(session)
                await session.rollback()
            async with database.sessions() as session:
                assert await head_seq(session) == 0
                assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 0
                assert (
                    await session.scalar(select(func.count()).select_from(AuditEventPending)) == 0
                )
