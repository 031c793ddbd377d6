"""Helpers for the tests of answering a data-subject request: recording a request through the
API, searching, deciding matches, and reading the bundle as information governance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from app.policies.guard import local_today
from tests.conftest import AuthHeaders

TODAY = local_today(datetime.now(UTC))
IG = "information_governance"
GOVERNANCE_OFFICER = "governance-1"


def ig(auth: AuthHeaders, subject: str = GOVERNANCE_OFFICER) -> dict[str, str]:
    return auth(IG, subject=subject)


def request_body(subject_details: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """An access request from a parent about their child, identity and authority accepted
    on receipt."""
    body: dict[str, Any] = {
        "right": "access",
        "channel": "email",
        "received_on": (TODAY - timedelta(days=2)).isoformat(),
        "description": "Please send me everything you hold about my child.",
        "requester": {"kind": "parent_or_carer", "name": "Evie Fenwick", "email": "e@example.org"},
        "authority_evidence": "Parental responsibility on the school's contact record",
        "authority_accepted": True,
        "subject_details": subject_details,
        "child_competence": {"judgement": "not_competent", "reasons": "Aged 10."},
        "identity_required": False,
        "identity_method": "Email address matches the school's record",
    }
    body.update(fields)
    return body


async def record_request(
    client: httpx.AsyncClient, auth: AuthHeaders, subject_details: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/subject-requests", json=request_body(subject_details, **fields), headers=ig(auth)
    )
    assert response.status_code == 201, response.text
    read: dict[str, Any] = response.json()
    return read


async def search(
    client: httpx.AsyncClient, auth: AuthHeaders, request_id: str, **body: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/subject-requests/{request_id}/searches", json=body, headers=ig(auth)
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def decide(
    client: httpx.AsyncClient, auth: AuthHeaders, request_id: str, match_id: str, decision: str
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/subject-requests/{request_id}/matches/{match_id}/decision",
        json={"decision": decision},
        headers=ig(auth),
    )
    assert response.status_code == 200, response.text
    decided: dict[str, Any] = response.json()
    return decided


async def confirm_all(client: httpx.AsyncClient, auth: AuthHeaders, request_id: str) -> None:
    """Search, and confirm every match found."""
    found = await search(client, auth, request_id)
    for match in found["matches"]:
        await decide(client, auth, request_id, match["id"], "confirmed")


async def bundle(client: httpx.AsyncClient, auth: AuthHeaders, request_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/subject-requests/{request_id}/bundle", headers=ig(auth))
    assert response.status_code == 200, response.text
    built: dict[str, Any] = response.json()
    return built


async def etag_of(client: httpx.AsyncClient, auth: AuthHeaders, request_id: str) -> str:
    response = await client.get(f"/v1/subject-requests/{request_id}", headers=ig(auth))
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def items_of(built: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [i for i in built["items"] if i["resource_type"] == resource_type]
