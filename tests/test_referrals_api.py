"""``/v1/referrals``: a school refers a pupil on its roll and follows its referral, seeing only
what a referring school may know."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import Case, CaseEventKind, CaseOutcome, CaseStage, CaseType, ReferralSource
from app.models.people import Pupil
from app.models.schools import School
from app.rules.kent import District
from app.services.cases import add_event
from tests.case_support import make_case
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school

URN = 118961
OTHER_URN = 118962
STAFF = "staff-1"
MIS = "mis-client-1"

#: Everything a referring school may see, and nothing more.
REFERRAL_KEYS = {
    "id",
    "reference",
    "pupil_id",
    "school_urn",
    "case_type",
    "referred_at",
    "referred_by",
    "referral",
    "status",
    "outcome",
    "outcome_summary",
}


def staff(
    auth: AuthHeaders, purpose: str = "attendance_duty", urn: int = URN, subject: str = STAFF
) -> dict[str, str]:
    return auth("school_staff", subject=subject, school_urns=(urn,), purpose=purpose)


def mis(auth: AuthHeaders, subject: str = MIS) -> dict[str, str]:
    return auth("mis_integration", subject=subject, school_urns=(URN,), purpose="attendance_duty")


def body(pupil: Pupil, urn: int = URN, **overrides: Any) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "pupil_id": str(pupil.id),
        "school_urn": urn,
        "case_type": "attendance",
        "reason": "Attendance 75% this term, falling since September.",
        "evidence": {
            "attendance": {
                "from_date": "2026-09-01",
                "to_date": "2026-11-27",
                "possible_sessions": 118,
                "attended_sessions": 89,
            },
            "letters": [{"sent_on": "2026-10-06", "kind": "first_concern"}],
            "meeting_notes_summary": "Met mother; agreed a morning check-in.",
        },
    }
    sent.update(overrides)
    return sent


async def school_and_pupil(session: AsyncSession, urn: int = URN) -> tuple[School, Pupil]:
    school = await make_school(session, urn=urn, district=District.THANET)
    pupil = await make_pupil(session, school=school)
    return school, pupil


async def count_cases(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count(Case.id))) or 0)


async def test_a_school_refers_a_pupil_on_its_roll(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    _, pupil = await school_and_pupil(session)
    carer = await make_carer(session, pupil=pupil)
    response = await client.post(
        "/v1/referrals", json=body(pupil, carer_ids=[str(carer.id)]), headers=staff(auth)
    )
    assert response.status_code == 201, response.text
    referral = response.json()
    assert set(referral) == REFERRAL_KEYS
    assert response.headers["Location"] == f"/v1/referrals/{referral['id']}"
    assert response.headers["ETag"]
    assert referral["status"] == "received"
    assert referral["referred_by"] == STAFF
    assert referral["referral"]["reason"].startswith("Attendance 75%")
    assert referral["referral"]["evidence"]["attendance"]["possible_sessions"] == 118
    assert referral["outcome"] is None
    case = await session.scalar(
        select(Case)
        .where(Case.id == uuid.UUID(referral["id"]))
        .execution_options(populate_existing=True)
    )
    assert case is not None
    assert case.stage is CaseStage.REFERRAL
    assert case.assigned_officer is None
    assert case.area_team == "east"
    assert case.referral_source is ReferralSource.SCHOOL
    read = await client.get(f"/v1/referrals/{referral['id']}", headers=staff(auth))
    assert read.status_code == 200
    assert read.json() == referral


async def test_a_pupil_not_on_the_roll_is_refused_naming_the_rule_and_nothing_is_written(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await make_school(session, urn=URN, district=District.THANET)
    other = await make_school(session, urn=OTHER_URN, district=District.THANET)
    elsewhere = await make_pupil(session, school=other)
    left = await make_pupil(session, school=other)
    before = await count_cases(session)
    details = set()
    for pupil_id in (elsewhere.id, uuid.uuid4()):
        sent = {**body(elsewhere), "pupil_id": str(pupil_id)}
        problem = assert_problem(
            await client.post("/v1/referrals", json=sent, headers=staff(auth)), 422
        )
        errors: Any = problem["errors"]
        assert errors[0]["pointer"] == "/pupil_id"
        assert errors[0]["code"] == "not_on_roll"
        details.add(problem["detail"])
    # The same answer whether the pupil exists elsewhere or not at all.
    assert len(details) == 1
    assert "own roll" in details.pop()
    # A pupil who has left the school's roll is not on it.
    school = await session.get(School, URN)
    assert school is not None
    gone = await make_pupil(session, school=school, off_roll_on=date(2025, 7, 22))
    response = await client.post("/v1/referrals", json=body(gone), headers=staff(auth))
    assert_problem(response, 422)
    assert left.id != gone.id
    assert await count_cases(session) == before


async def test_a_referral_must_come_from_one_of_the_callers_schools(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await make_school(session, urn=OTHER_URN, district=District.THANET)
    _, pupil = await school_and_pupil(session)
    problem = assert_problem(
        await client.post("/v1/referrals", json=body(pupil), headers=staff(auth, urn=OTHER_URN)),
        422,
    )
    errors: Any = problem["errors"]
    assert errors[0]["pointer"] == "/school_urn"


async def test_the_purpose_must_match_the_case_type(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    _, pupil = await school_and_pupil(session)
    sent = body(pupil, case_type="exclusion_support")
    problem = assert_problem(
        await client.post("/v1/referrals", json=sent, headers=staff(auth)), 422
    )
    assert "exclusion_support" in str(problem["detail"])
    response = await client.post(
        "/v1/referrals", json=sent, headers=staff(auth, purpose="exclusion_support")
    )
    assert response.status_code == 201, response.text
    assert response.json()["case_type"] == "exclusion_support"
    # An exclusion-support referral is not read under attendance_duty.
    referral_id = response.json()["id"]
    assert (
        await client.get(f"/v1/referrals/{referral_id}", headers=staff(auth))
    ).status_code == 404


async def test_another_school_cannot_see_the_referral(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    await make_school(session, urn=OTHER_URN, district=District.THANET)
    _, pupil = await school_and_pupil(session)
    created = await client.post("/v1/referrals", json=body(pupil), headers=staff(auth))
    assert created.status_code == 201, created.text
    other = staff(auth, urn=OTHER_URN, subject="staff-other")
    assert_problem(await client.get(f"/v1/referrals/{created.json()['id']}", headers=other), 404)
    listed = await client.get("/v1/referrals", headers=other)
    assert listed.status_code == 200
    assert listed.json()["items"] == []
    mine = await client.get("/v1/referrals", headers=staff(auth))
    assert [r["id"] for r in mine.json()["items"]] == [created.json()["id"]]


async def test_a_case_the_council_opened_is_not_a_referral(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await make_case(session, urn=URN, source=ReferralSource.COUNCIL)
    assert_problem(await client.get(f"/v1/referrals/{world.case.id}", headers=staff(auth)), 404)
    listed = await client.get("/v1/referrals", headers=staff(auth))
    assert listed.json()["items"] == []


async def test_the_school_sees_status_and_outcome_but_nothing_la_internal(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    _, pupil = await school_and_pupil(session)
    created = await client.post("/v1/referrals", json=body(pupil), headers=staff(auth))
    referral_id = uuid.UUID(created.json()["id"])
    case = await session.get(Case, referral_id)
    assert case is not None
    # The council triages, assigns an officer and writes notes.
    now = datetime.now(UTC)
    case.stage = CaseStage.TRIAGE
    await session.flush()
    read = (await client.get(f"/v1/referrals/{referral_id}", headers=staff(auth))).json()
    assert read["status"] == "in_triage"
    case.stage = CaseStage.PENALTY_NOTICE
    case.assigned_officer = "officer-7"
    case.assigned_at = now
    case.next_action = "Home visit"
    case.outcome_summary = "not yet for the school"
    add_event(session, case, CaseEventKind.NOTE, by="officer-7", now=now, text="LA-internal")
    await session.flush()
    read = (await client.get(f"/v1/referrals/{referral_id}", headers=staff(auth))).json()
    assert set(read) == REFERRAL_KEYS
    assert read["status"] == "in_progress"
    assert read["outcome"] is None and read["outcome_summary"] is None
    text = str(read)
    for internal in ("officer-7", "Home visit", "LA-internal", "penalty", "not yet"):
        assert internal not in text
    case.stage = CaseStage.CLOSED
    case.closed_at = now
    case.outcome = CaseOutcome.ATTENDANCE_IMPROVED
    case.outcome_summary = "Attendance back above 95% after support."
    await session.flush()
    read = (await client.get(f"/v1/referrals/{referral_id}", headers=staff(auth))).json()
    assert set(read) == REFERRAL_KEYS
    assert read["status"] == "closed"
    assert read["outcome"] == "attendance_improved"
    assert read["outcome_summary"] == "Attendance back above 95% after support."
    closed = await client.get("/v1/referrals", params={"status": "closed"}, headers=staff(auth))
    assert [r["id"] for r in closed.json()["items"]] == [str(referral_id)]
    still_open = await client.get("/v1/referrals", params={"open": "true"}, headers=staff(auth))
    assert still_open.json()["items"] == []


async def test_an_information_system_reads_only_what_it_referred(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school, pupil = await school_and_pupil(session)
    second = await make_pupil(session, school=school)
    by_mis = await client.post("/v1/referrals", json=body(pupil), headers=mis(auth))
    assert by_mis.status_code == 201, by_mis.text
    assert by_mis.json()["referred_by"] == MIS
    by_staff = await client.post("/v1/referrals", json=body(second), headers=staff(auth))
    assert by_staff.status_code == 201
    listed = await client.get("/v1/referrals", headers=mis(auth))
    assert [r["id"] for r in listed.json()["items"]] == [by_mis.json()["id"]]
    assert_problem(
        await client.get(f"/v1/referrals/{by_staff.json()['id']}", headers=mis(auth)), 404
    )
    assert_problem(
        await client.get(f"/v1/referrals/{by_mis.json()['id']}", headers=mis(auth, "mis-2")), 404
    )
    # School staff see both of their school's referrals.
    staff_list = await client.get("/v1/referrals", headers=staff(auth))
    assert len(staff_list.json()["items"]) == 2
    # An information system refers attendance cases only.
    third = await make_pupil(session, school=school)
    problem = assert_problem(
        await client.post(
            "/v1/referrals", json=body(third, case_type="exclusion_support"), headers=mis(auth)
        ),
        422,
    )
    errors: Any = problem["errors"]
    assert errors[0]["code"] == "not_for_integrations"


async def test_a_second_open_referral_of_the_same_type_is_a_conflict(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    _, pupil = await school_and_pupil(session)
    first = await client.post("/v1/referrals", json=body(pupil), headers=staff(auth))
    assert first.status_code == 201
    again = await client.post("/v1/referrals", json=body(pupil), headers=staff(auth))
    assert_problem(again, 409)
    assert await count_cases(session) == 1
    assert (
        await session.scalar(
            select(func.count(Case.id)).where(Case.case_type == CaseType.ATTENDANCE)
        )
        == 1
    )


async def test_an_idempotent_retry_returns_the_first_response(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    _, pupil = await school_and_pupil(session)
    headers = {**mis(auth), "Idempotency-Key": "referral-7d1c"}
    first = await client.post("/v1/referrals", json=body(pupil), headers=headers)
    assert first.status_code == 201, first.text
    replay = await client.post("/v1/referrals", json=body(pupil), headers=headers)
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Location"] == first.headers["Location"]
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert await count_cases(session) == 1
    changed = await client.post(
        "/v1/referrals", json=body(pupil, reason="Something else."), headers=headers
    )
    assert changed.status_code == 422
