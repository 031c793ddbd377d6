"""The purposes registry over HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import AuthHeaders


async def test_staff_read_the_registry(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.get("/v1/purposes", headers=auth("attendance_officer"))
    assert response.status_code == 200
    purposes = {p["code"]: p for p in response.json()["items"]}
    assert purposes["prosecution"]["article9_condition"] == "9(2)(f)"
    assert purposes["attendance_duty"]["lawful_bases"] == ["6(1)(c)", "6(1)(e)"]
    assert purposes["intervention"]["objection_applies"] is True


async def test_findings_are_for_governance(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    refused = await client.get("/v1/purposes/findings", headers=auth("attendance_officer"))
    assert refused.status_code == 403
    response = await client.get("/v1/purposes/findings", headers=auth("information_governance"))
    assert response.status_code == 200
    codes = {(f["purpose"], f["code"]) for f in response.json()["items"]}
    assert ("attendance_duty", "schedule1_excludes_individual_decisions") in codes


async def test_anonymous_and_partners_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get("/v1/purposes")).status_code == 401
    assert (await client.get("/v1/purposes", headers=auth("partner"))).status_code == 403
