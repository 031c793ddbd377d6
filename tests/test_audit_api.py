"""``/v1/audit/events`` and ``/v1/audit/verification``: information governance only, filters and
pagination, and the decision each request leaves in the chain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from tests.audit_support import append, change, decision, raw
from tests.conftest import AuthHeaders

EVENTS = "/v1/audit/events"
VERIFICATION = "/v1/audit/verification"
IG = "information_governance"
OTHER_ROLES = [
    "attendance_officer",
    "attendance_manager",
    "licensing_officer",
    "admin",
    "school_staff",
    "mis_integration",
    "partner",
    "inspector",
]


def ig(auth: AuthHeaders) -> dict[str, str]:
    return auth(IG, subject="ig-officer-1")


async def list_events(
    client: httpx.AsyncClient, auth: AuthHeaders, **params: object
) -> dict[str, object]:
    response = await client.get(EVENTS, params=params, headers=ig(auth))
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def items(body: dict[str, object]) -> list[dict[str, object]]:
    found = body["items"]
    assert isinstance(found, list)
    return found


class TestAccess:
    @pytest.mark.parametrize("path", [EVENTS, VERIFICATION])
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, path: str) -> None:
        response = await client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"

    @pytest.mark.parametrize("role", OTHER_ROLES)
    @pytest.mark.parametrize("path", [EVENTS, VERIFICATION])
    async def test_other_roles_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, role: str, path: str
    ) -> None:
        response = await client.get(path, headers=auth(role, subject=f"{role}-1"))
        assert response.status_code == 403
        body = response.json()
        assert body["policy"]["rule"]
        assert "items" not in body

    async def test_a_refusal_is_itself_in_the_trail(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        response = await client.get(EVENTS, headers=auth("admin", subject="nosy-admin"))
        assert response.status_code == 403
        decision_id = uuid.UUID(response.headers["kpas-decision-id"])
        stored = (
            await session.scalars(select(AuditEvent).where(AuditEvent.decision_id == decision_id))
        ).one()
        assert (stored.kind, stored.outcome, stored.actor) == ("decision", "deny", "nosy-admin")
        assert stored.action == "audit_event.list"

    async def test_a_support_desk_finds_a_decision_by_its_header(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        refused = await client.get(VERIFICATION, headers=auth("partner", subject="p-1"))
        decision_id = refused.headers["kpas-decision-id"]
        body = await list_events(client, auth, decision_id=decision_id)
        [event] = items(body)
        assert (event["outcome"], event["actor"], event["action"]) == (
            "deny",
            "p-1",
            "audit_event.verify",
        )


class TestList:
    async def test_filters_by_subject_actor_purpose_outcome_kind_and_action(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        subject = uuid.uuid4()
        await append(
            session,
            decision(subject_id=subject, actor="officer-a", purpose="attendance_duty"),
            decision("deny", subject_id=subject, actor="officer-b", purpose="prosecution"),
            change(subject_id=subject, actor="officer-a", action="case.update"),
            decision(subject_id=uuid.uuid4(), actor="officer-a", purpose="attendance_duty"),
        )

        async def actors(**params: object) -> list[tuple[object, object]]:
            found = items(await list_events(client, auth, subject_id=str(subject), **params))
            return [(e["actor"], e["kind"]) for e in found]

        assert await actors() == [
            ("officer-a", "decision"),
            ("officer-b", "decision"),
            ("officer-a", "change"),
        ]
        assert await actors(actor="officer-b") == [("officer-b", "decision")]
        assert await actors(purpose="attendance_duty") == [("officer-a", "decision")]
        assert await actors(outcome="deny") == [("officer-b", "decision")]
        assert await actors(kind="change") == [("officer-a", "change")]
        assert await actors(action="case.update") == [("officer-a", "change")]
        assert await actors(actor="officer-a", kind="decision") == [("officer-a", "decision")]

    async def test_events_carry_their_chain_fields(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        subject = uuid.uuid4()
        [seq] = await append(session, decision(subject_id=subject, details={"reason": "ok"}))
        [event] = items(await list_events(client, auth, subject_id=str(subject)))
        assert event["seq"] == seq
        assert event["subject_id"] == str(subject)
        assert event["details"] == {"reason": "ok"}
        assert isinstance(event["hash"], str)
        assert isinstance(event["prev_hash"], str)
        assert len(event["hash"]) == len(event["prev_hash"]) == 64
        assert str(event["occurred_at"]).endswith(("Z", "+00:00"))

    async def test_filters_by_time_window(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        subject = uuid.uuid4()
        base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
        await append(
            session,
            *(
                decision(
                    subject_id=subject, resource_id=str(day), occurred_at=base + timedelta(days=day)
                )
                for day in range(5)
            ),
        )
        found = items(
            await list_events(
                client,
                auth,
                subject_id=str(subject),
                occurred_from=(base + timedelta(days=1)).isoformat(),
                occurred_to=(base + timedelta(days=3)).isoformat(),
            )
        )
        assert [e["resource_id"] for e in found] == ["1", "2"]  # from inclusive, to exclusive

    async def test_paginates_in_chain_order_without_overlap(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        subject = uuid.uuid4()
        seqs = await append(session, *(decision(subject_id=subject) for _ in range(5)))
        seen: list[object] = []
        cursor: object = None
        pages = 0
        while True:
            params: dict[str, object] = {"subject_id": str(subject), "limit": 2}
            if cursor:
                params["cursor"] = cursor
            body = await list_events(client, auth, **params)
            seen.extend(e["seq"] for e in items(body))
            pages += 1
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == seqs
        assert pages == 3

    @pytest.mark.parametrize(
        "params",
        [
            {"occurred_from": "2026-03-01T12:00:00"},  # no offset
            {"occurred_from": "2026-03-02T00:00:00Z", "occurred_to": "2026-03-01T00:00:00Z"},
            {"outcome": "maybe"},
            {"kind": "read"},
            {"subject_id": "not-a-uuid"},
            {"limit": 0},
            {"limit": 201},
            {"cursor": "not-a-cursor"},
            {"name": "Smith"},  # unknown parameters are refused
        ],
    )
    async def test_bad_filters_are_422(
        self, client: httpx.AsyncClient, auth: AuthHeaders, params: dict[str, object]
    ) -> None:
        response = await client.get(EVENTS, params=params, headers=ig(auth))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"

    async def test_each_read_of_the_trail_is_itself_recorded(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        first = await client.get(EVENTS, params={"limit": 1}, headers=ig(auth))
        decision_id = first.headers["kpas-decision-id"]
        [event] = items(await list_events(client, auth, decision_id=decision_id))
        assert (event["outcome"], event["actor"], event["actor_role"]) == (
            "allow",
            "ig-officer-1",
            IG,
        )


class TestVerification:
    async def test_an_intact_chain_is_ok(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        seqs = await append(session, decision(), change(), decision())
        response = await client.get(VERIFICATION, headers=ig(auth))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["ok"] is True
        assert body["first_bad_seq"] is None
        assert body["problem"] is None
        assert body["events_checked"] >= seqs[-1]
        assert body["head_seq"] >= seqs[-1]

    async def test_a_tampered_chain_names_the_first_bad_event(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        seqs = await append(session, decision(), decision(), decision())
        await raw(session, "UPDATE audit_events SET outcome = 'deny' WHERE seq = :s", s=seqs[1])
        response = await client.get(VERIFICATION, headers=ig(auth))
        assert response.status_code == 200
        body = response.json()
        assert body["ok"] is False
        assert body["first_bad_seq"] == seqs[1]
        assert body["problem"] == "hash mismatch (edited)"
