"""`/v1/retention`: the registry of retention rules (versioned; only information governance
changes it, every change audited) and retention runs (a dry run destroys nothing; a sweep
destroys what is due, with a destruction record per person)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import DataSubject, Pupil
from app.models.audit import AuditEvent
from app.models.retention import RetentionDestruction, RetentionPolicyVersion
from app.rules.retention_schedule import SCHEDULE
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil

IG = "information_governance"
POLICIES = "/v1/retention/policies"
RUNS = "/v1/retention/runs"
TODAY = datetime.now(UTC).date()

#: Roles that may not change the registry, with the claims they need to be well-formed.
NOT_GOVERNANCE: list[tuple[str, dict[str, Any]]] = [
    ("admin", {}),
    ("attendance_officer", {"area_teams": ("south",)}),
    ("attendance_manager", {"area_teams": ("south",)}),
    ("school_staff", {"school_urns": (990028,)}),
    ("licensing_officer", {}),
]


def ig(auth: AuthHeaders) -> dict[str, str]:
    return auth(IG, subject="governance-1")


async def change(
    client: httpx.AsyncClient, auth: AuthHeaders, record_type: str, **body: Any
) -> httpx.Response:
    current = await client.get(f"{POLICIES}/{record_type}", headers=ig(auth))
    assert current.status_code == 200, current.text
    headers = {**ig(auth), "If-Match": current.headers["ETag"]}
    body.setdefault("change_reason", "Information governance board decision IGB-2026-14.")
    return await client.patch(f"{POLICIES}/{record_type}", json=body, headers=headers)


class TestRegistry:
    async def test_lists_the_seeded_schedule(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        response = await client.get(POLICIES, headers=ig(auth))
        assert response.status_code == 200, response.text
        items = {item["record_type"]: item for item in response.json()["items"]}
        assert set(items) == {rule.record_type for rule in SCHEDULE}
        pupil = items["pupil_linked"]
        assert (pupil["starts"], pupil["years"], pupil["action"]) == ("date_of_birth", 25, "delete")
        assert all(item["version"] >= 1 and item["reason"] for item in items.values())

    async def test_a_change_is_a_new_version_with_history_and_audit(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        before = (await client.get(f"{POLICIES}/outbound_message", headers=ig(auth))).json()
        response = await change(client, auth, "outbound_message", years=3)
        assert response.status_code == 200, response.text
        changed = response.json()
        assert changed["years"] == 3 and changed["version"] == before["version"] + 1
        assert changed["changed_by"] == "governance-1"
        history = await client.get(f"{POLICIES}/outbound_message/versions", headers=ig(auth))
        versions = history.json()["versions"]
        assert [v["years"] for v in versions[:2]] == [3, 2]
        assert versions[0]["version"] == changed["version"]
        assert (
            await session.scalar(select(func.count()).select_from(RetentionPolicyVersion))
            == len(SCHEDULE) + 1
        )
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "retention_policy.changed")
        )
        assert event is not None and event.resource_id == "outbound_message"
        assert event.details["to_version"] == changed["version"]

    async def test_a_stale_etag_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        current = await client.get(f"{POLICIES}/disclosure", headers=ig(auth))
        assert (await change(client, auth, "disclosure", years=7)).status_code == 200
        stale = await client.patch(
            f"{POLICIES}/disclosure",
            json={"years": 8, "change_reason": "Board decision."},
            headers={**ig(auth), "If-Match": current.headers["ETag"]},
        )
        assert_problem(stale, 412)
        missing = await client.patch(
            f"{POLICIES}/disclosure", json={"years": 8, "change_reason": "x"}, headers=ig(auth)
        )
        assert_problem(missing, 428)

    async def test_nothing_to_change_and_unknown_types_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        assert_problem(await change(client, auth, "complaint"), 422)
        assert_problem(await change(client, auth, "complaint", years=6), 409)
        assert_problem(await client.get(f"{POLICIES}/no_such_type", headers=ig(auth)), 404)
        assert_problem(await change(client, auth, "complaint", years=0), 422)

    @pytest.mark.parametrize(("role", "claims"), NOT_GOVERNANCE)
    async def test_only_information_governance_changes_the_registry(
        self, client: httpx.AsyncClient, auth: AuthHeaders, role: str, claims: dict[str, Any]
    ) -> None:
        current = await client.get(f"{POLICIES}/breach", headers=ig(auth))
        other = auth(role, **claims)
        refused = await client.patch(
            f"{POLICIES}/breach",
            json={"years": 10, "change_reason": "Board decision."},
            headers={**other, "If-Match": current.headers["ETag"]},
        )
        assert_problem(refused, 403)
        read = await client.get(POLICIES, headers=other)
        assert read.status_code == (200 if role == "admin" else 403)
        after = await client.get(f"{POLICIES}/breach", headers=ig(auth))
        assert after.headers["ETag"] == current.headers["ETag"]


class TestRuns:
    async def due_pupil(self, session: AsyncSession) -> Pupil:
        pupil = await make_pupil(session, legal_surname="Overdue")
        await session.execute(
            update(DataSubject)
            .where(DataSubject.id == pupil.subject_id)
            .values(retain_until=TODAY - timedelta(days=400))
        )
        await session.commit()
        return pupil

    async def test_a_dry_run_lists_and_destroys_nothing(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        pupil = await self.due_pupil(session)
        response = await client.post(RUNS, json={"dry_run": True}, headers=ig(auth))
        assert response.status_code == 201, response.text
        run = response.json()
        assert run["dry_run"] and run["status"] == "completed"
        assert str(pupil.subject_id) in run["would_destroy"] and run["destroyed"] == 0
        assert run["counts"]["pupil_linked"] >= 1
        assert await session.scalar(select(func.count()).where(Pupil.id == pupil.id)) == 1
        fetched = await client.get(f"{RUNS}/{run['id']}", headers=ig(auth))
        assert fetched.json()["would_destroy"] == run["would_destroy"]
        listed = await client.get(RUNS, params={"dry_run": "true"}, headers=ig(auth))
        assert run["id"] in [item["id"] for item in listed.json()["items"]]

    async def test_a_sweep_destroys_what_is_due_with_a_record(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        pupil = await self.due_pupil(session)
        headers = {**ig(auth), "Idempotency-Key": str(uuid.uuid4())}
        response = await client.post(RUNS, json={"dry_run": False}, headers=headers)
        assert response.status_code == 201, response.text
        run = response.json()
        assert run["destroyed"] >= 1 and run["would_destroy"] is None
        again = await client.post(RUNS, json={"dry_run": False}, headers=headers)
        assert again.json()["id"] == run["id"]  # replayed, not run twice
        assert await session.scalar(select(func.count()).where(Pupil.id == pupil.id)) == 0
        record = await session.scalar(
            select(RetentionDestruction).where(RetentionDestruction.subject_id == pupil.subject_id)
        )
        assert record is not None and str(record.run_id) == run["id"]

    async def test_an_unknown_run_is_404(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        assert_problem(await client.get(f"{RUNS}/{uuid.uuid4()}", headers=ig(auth)), 404)

    @pytest.mark.parametrize(("role", "claims"), NOT_GOVERNANCE)
    async def test_only_information_governance_runs_or_sees_sweeps(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        role: str,
        claims: dict[str, Any],
    ) -> None:
        pupil = await self.due_pupil(session)
        other = auth(role, **claims)
        assert_problem(await client.post(RUNS, json={"dry_run": False}, headers=other), 403)
        assert_problem(await client.get(RUNS, headers=other), 403)
        assert await session.scalar(select(func.count()).where(Pupil.id == pupil.id)) == 1
