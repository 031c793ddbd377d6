"""Who may do what with recipients and sharing agreements: administrators maintain them;
information governance and attendance managers read them; everyone else is refused."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, Recipient, SharingAgreement
from tests.conftest import AuthHeaders
from tests.factories import agreement_body, make_agreement, make_recipient, recipient_body


@pytest.fixture
async def recipient(session: AsyncSession) -> Recipient:
    return await make_recipient(session, code="synthetic-policy-recipient")


@pytest.fixture
async def agreement(session: AsyncSession, recipient: Recipient) -> SharingAgreement:
    return await make_agreement(session, recipient)


def routes(recipient: Recipient, agreement: SharingAgreement) -> list[tuple[str, str, object]]:
    return [
        ("GET", "/v1/recipients", None),
        ("GET", f"/v1/recipients/{recipient.id}", None),
        ("POST", "/v1/recipients", recipient_body("synthetic-new")),
        ("PATCH", f"/v1/recipients/{recipient.id}", {"name": "X"}),
        ("DELETE", f"/v1/recipients/{recipient.id}", None),
        ("GET", "/v1/sharing-agreements", None),
        ("GET", f"/v1/sharing-agreements/{agreement.id}", None),
        ("POST", "/v1/sharing-agreements", agreement_body(recipient.id)),
        ("PATCH", f"/v1/sharing-agreements/{agreement.id}", {"name": "X"}),
        ("DELETE", f"/v1/sharing-agreements/{agreement.id}", None),
    ]


async def test_anonymous_is_401_everywhere(
    client: httpx.AsyncClient, recipient: Recipient, agreement: SharingAgreement
) -> None:
    for method, path, body in routes(recipient, agreement):
        response = await client.request(method, path, json=body, headers={"If-Match": "*"})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "role",
    ["attendance_officer", "school_staff", "partner", "licensing_officer", "mis_integration"],
)
async def test_others_are_refused_everything(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    recipient: Recipient,
    agreement: SharingAgreement,
    role: str,
) -> None:
    headers = {**auth(role, org="kent-police" if role == "partner" else None), "If-Match": "*"}
    for method, path, body in routes(recipient, agreement):
        response = await client.request(method, path, json=body, headers=headers)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["policy"]["rule"] == "default.deny"


@pytest.mark.parametrize("role", ["information_governance", "attendance_manager"])
async def test_readers_read_but_cannot_write(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    recipient: Recipient,
    agreement: SharingAgreement,
    role: str,
) -> None:
    headers = {**auth(role), "If-Match": "*"}
    for method, path, body in routes(recipient, agreement):
        response = await client.request(method, path, json=body, headers=headers)
        if method == "GET":
            assert response.status_code == 200, (method, path, response.text)
        else:
            assert response.status_code == 403, (method, path, response.text)
    name = (await client.get(f"/v1/recipients/{recipient.id}", headers=auth(role))).json()["name"]
    assert name != "X"


async def test_admin_writes(
    client: httpx.AsyncClient, auth: AuthHeaders, recipient: Recipient
) -> None:
    admin = auth("admin")
    created = await client.post("/v1/recipients", json=recipient_body("synthetic-a"), headers=admin)
    assert created.status_code == 201, created.text
    made = await client.post(
        "/v1/sharing-agreements", json=agreement_body(created.json()["id"]), headers=admin
    )
    assert made.status_code == 201, made.text
    path = f"/v1/sharing-agreements/{made.json()['id']}"
    patched = await client.patch(
        path, json={"name": "Renewed"}, headers={**admin, "If-Match": made.headers["etag"]}
    )
    assert patched.status_code == 200, patched.text
    deleted = await client.delete(path, headers={**admin, "If-Match": patched.headers["etag"]})
    assert deleted.status_code == 204


async def test_a_change_is_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.post(
        "/v1/recipients", json=recipient_body("synthetic-audited"), headers=auth("admin")
    )
    assert response.status_code == 201
    decision_id = uuid.UUID(response.headers["kpas-decision-id"])
    change = await session.scalar(
        select(AuditEvent).where(AuditEvent.decision_id == decision_id, AuditEvent.kind == "change")
    )
    assert change is not None
    assert (change.action, change.resource_id) == ("recipient.created", response.json()["id"])
