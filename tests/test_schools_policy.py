"""Who may do what with schools: anonymous, each role, inspectors in and out of their grant;
and the audit record and decision id every decision leaves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant
from app.models import AuditEvent
from tests.conftest import AuthHeaders
from tests.factories import make_school, school_body

URN = 118900


@pytest.fixture(autouse=True)
async def a_school(session: AsyncSession) -> None:
    await make_school(session, urn=URN)


async def etag(client: httpx.AsyncClient, auth: AuthHeaders) -> str:
    return (await client.get(f"/v1/schools/{URN}", headers=auth("admin"))).headers["etag"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/schools", None),
        ("GET", f"/v1/schools/{URN}", None),
        ("POST", "/v1/schools", school_body(118901)),
        ("PATCH", f"/v1/schools/{URN}", {"name": "X"}),
        ("DELETE", f"/v1/schools/{URN}", None),
    ],
)
async def test_anonymous_is_401_everywhere(
    client: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    response = await client.request(method, path, json=body, headers={"If-Match": "*"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_bad_token_is_401_not_anonymous(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/schools", headers={"Authorization": "Bearer not.a.token"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    "role", ["attendance_officer", "attendance_manager", "licensing_officer", "school_staff"]
)
async def test_staff_and_schools_read(
    client: httpx.AsyncClient, auth: AuthHeaders, role: str
) -> None:
    assert (await client.get("/v1/schools", headers=auth(role))).status_code == 200
    assert (await client.get(f"/v1/schools/{URN}", headers=auth(role))).status_code == 200


@pytest.mark.parametrize("role", ["partner", "mis_integration", "inspector"])
async def test_partners_integrations_and_inspectors_without_grant_see_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, role: str
) -> None:
    response = await client.get("/v1/schools", headers=auth(role))
    assert response.status_code == 403
    assert response.json()["policy"]["rule"] in {"default.deny", "inspection.inactive"}


async def test_inspector_reads_during_the_grant(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    now = datetime.now(UTC)
    grant = InspectionGrant("ofsted-2026-11", now - timedelta(hours=1), now + timedelta(days=5))
    response = await client.get("/v1/schools", headers=auth("inspector", inspection=grant))
    assert response.status_code == 200


@pytest.mark.parametrize("role", ["attendance_manager", "information_governance", "school_staff"])
async def test_only_admin_changes_schools(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: str
) -> None:
    created = await client.post("/v1/schools", json=school_body(118902), headers=auth(role))
    assert created.status_code == 403
    assert created.json()["policy"] == {
        "rule": "default.deny",
        "purpose": None,
        "reason": "no rule lets these roles create school",
    }
    current = await etag(client, auth)
    patched = await client.patch(
        f"/v1/schools/{URN}", json={"name": "X"}, headers={**auth(role), "If-Match": current}
    )
    assert patched.status_code == 403
    deleted = await client.delete(f"/v1/schools/{URN}", headers={**auth(role), "If-Match": current})
    assert deleted.status_code == 403
    assert (await client.get(f"/v1/schools/{URN}", headers=auth("admin"))).json()["name"] != "X"


async def decision_event(session: AsyncSession, response: httpx.Response) -> AuditEvent:
    decision_id = uuid.UUID(response.headers["kpas-decision-id"])
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.decision_id == decision_id, AuditEvent.kind == "decision"
        )
    )
    assert event is not None, "the decision should be in the audit trail"
    return event


async def test_an_allowed_read_is_audited_with_its_decision_id(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.get(f"/v1/schools/{URN}", headers=auth("attendance_officer"))
    event = await decision_event(session, response)
    assert (event.outcome, event.rule, event.action) == ("allow", "schools.read", "school.read")
    assert event.actor == "tester-1"
    assert event.request_id == response.headers["x-request-id"]


async def test_a_refusal_is_audited_even_though_the_request_failed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.post("/v1/schools", json=school_body(118903), headers=auth("partner"))
    assert response.status_code == 403
    event = await decision_event(session, response)
    assert (event.outcome, event.rule) == ("deny", "default.deny")


async def test_a_change_is_audited_with_the_decision_behind_it(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.post("/v1/schools", json=school_body(118904), headers=auth("admin"))
    assert response.status_code == 201
    decision_id = uuid.UUID(response.headers["kpas-decision-id"])
    change = await session.scalar(
        select(AuditEvent).where(AuditEvent.decision_id == decision_id, AuditEvent.kind == "change")
    )
    assert change is not None
    assert (change.action, change.resource_id) == ("school.created", "118904")


async def test_a_missing_record_leaves_a_withheld_event(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.get("/v1/schools/999990", headers=auth("admin"))
    assert response.status_code == 404
    decision_id = uuid.UUID(response.headers["kpas-decision-id"])
    events = (
        await session.scalars(select(AuditEvent).where(AuditEvent.decision_id == decision_id))
    ).all()
    assert {(e.outcome, e.resource_id) for e in events} == {("allow", None), ("deny", "999990")}


async def test_audit_events_carry_no_personal_data(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await client.get("/v1/schools", params={"name": "Jane Doe"}, headers=auth("admin"))
    rows = (await session.scalars(select(AuditEvent))).all()
    assert rows
    assert not any("Jane" in repr(vars(row)) for row in rows)
