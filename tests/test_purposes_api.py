"""The purposes registry over HTTP."""

from __future__ import annotations

import httpx

from tests.conftest import AuthHeaders


async def test_staff_read_the_registry(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.get("/v1/purposes", headers=auth("attendance_officer"))
    assert response.status_code == 200
    purposes = {p["code"]: p for p in response.json()["items"]}
    assert purposes["attendance_duty"]["lawful_bases"] == ["6(1)(c)", "6(1)(e)"]
    assert purposes["intervention"]["objection_applies"] is True
    # Objection reaches the 6(1)(e) part of a purpose that also rests on 6(1)(c).
    assert purposes["attendance_duty"]["objection_applies"] is True
    assert "pupil_attendance" in purposes["attendance_duty"]["continues_under_objection"]
    assert purposes["attendance_duty"]["schedule1_paragraphs"] == [6, 18]
    prosecution = purposes["prosecution"]
    assert prosecution["regime"] == "dpa2018_part3"
    assert prosecution["objection_applies"] is False
    assert [(c["schedule"], c["paragraph"]) for c in prosecution["conditions"]] == [(8, 1)]
    assert prosecution["conditions"][0]["policy_document"]["reference"] == "KCC-APD-PART3"
    assert not any("portability" in right for right in prosecution["rights"])
    assert any("s45(4)" in right for right in prosecution["rights"])
    assert prosecution["restriction_ground"] == "legal_claim"
    equality = purposes["equality_monitoring"]
    assert equality["aggregate_only"] is True
    assert equality["honours_notice_to_stop"] is True
    assert equality["special_category_for_individuals"] is False
    assert equality["conditions"][0]["policy_document"]["reference"] == "KCC-APD-SCH1"
    assert "legal_disclosure" not in purposes
    assert purposes["court_disclosure"]["schedule2_exemption"].startswith("DPA 2018 Sch 2 para 5")
    crime = purposes["crime_prevention_disclosure"]
    assert crime["schedule1_paragraphs"] == [10]


async def test_findings_are_for_governance(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    refused = await client.get("/v1/purposes/findings", headers=auth("attendance_officer"))
    assert refused.status_code == 403
    response = await client.get("/v1/purposes/findings", headers=auth("information_governance"))
    assert response.status_code == 200
    codes = {(f["purpose"], f["code"]) for f in response.json()["items"]}
    assert ("intervention", "notice_condition_drift") in codes
    assert ("prosecution", "notice_regime_drift") in codes
    assert not any(code == "schedule1_excludes_individual_decisions" for _, code in codes)
    drift = next(
        f
        for f in response.json()["items"]
        if f["purpose"] == "intervention" and f["code"] == "notice_condition_drift"
    )
    assert "Sch 1 para 8" in drift["detail"] and "para 6 / 18" in drift["detail"]


async def test_anonymous_and_partners_are_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    assert (await client.get("/v1/purposes")).status_code == 401
    assert (await client.get("/v1/purposes", headers=auth("partner"))).status_code == 403
