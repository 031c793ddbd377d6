"""/v1/cases: need-to-know through casework, the support-first ladder and its guards, purpose
binding, assignment and concurrency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import (
    AttendanceContract,
    Case,
    CaseEvent,
    CaseStage,
    CaseType,
    ContractStatus,
    NoticeToImprove,
    NoticeToImproveStatus,
)
from app.models.subjects import DataSubject, SubjectLegalClaim
from app.rules.kent import District
from tests.case_support import OFFICER, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school, manager_headers
from tests.test_attendance_alerts_api import make_alert


async def _etag(client: httpx.AsyncClient, headers: dict[str, str], case_id: object) -> str:
    response = await client.get(f"/v1/cases/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


async def _move(
    client: httpx.AsyncClient, headers: dict[str, str], case_id: object, **body: object
) -> httpx.Response:
    etag = await _etag(client, headers, case_id)
    return await client.post(
        f"/v1/cases/{case_id}/transitions", json=body, headers={**headers, "If-Match": etag}
    )


class TestWhoSeesCases:
    async def test_an_officer_sees_their_cases_and_their_teams_triage_queue_only(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        mine = await make_case(session)
        school = mine.school
        triage = await make_case(session, school=school, officer=None)
        someone_elses = await make_case(session, school=school, officer="officer-2")
        west = await make_case(session, urn=118961, district=District.MAIDSTONE, officer=None)

        listed = await client.get("/v1/cases", headers=officer_headers(auth))
        assert listed.status_code == 200, listed.text
        ids = {item["id"] for item in listed.json()["items"]}
        assert ids == {str(mine.case.id), str(triage.case.id)}

        for hidden in (someone_elses, west):
            response = await client.get(
                f"/v1/cases/{hidden.case.id}", headers=officer_headers(auth)
            )
            assert_problem(response, 404)

        only_mine = await client.get("/v1/cases?mine=true", headers=officer_headers(auth))
        assert [i["id"] for i in only_mine.json()["items"]] == [str(mine.case.id)]

    async def test_a_manager_sees_every_case_of_their_area_teams(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        east = await make_case(session, officer="officer-2")
        west = await make_case(session, urn=118961, district=District.MAIDSTONE)
        listed = await client.get("/v1/cases", headers=manager_headers(auth))
        ids = {item["id"] for item in listed.json()["items"]}
        assert str(east.case.id) in ids and str(west.case.id) not in ids

    async def test_the_referring_school_cannot_read_the_case(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        headers = auth("school_staff", school_urns=(world.school.urn,), purpose="attendance_duty")
        response = await client.get(f"/v1/cases/{world.case.id}", headers=headers)
        assert_problem(response, 403)

    async def test_a_case_is_listed_only_under_the_purposes_it_serves(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        headers = officer_headers(auth, purpose="exclusion_support")
        listed = await client.get("/v1/cases", headers=headers)
        assert listed.json()["items"] == []
        # Without a header a route on one case uses the case's own purpose.
        response = await client.get(
            f"/v1/cases/{world.case.id}", headers=officer_headers(auth, purpose=None)
        )
        assert response.status_code == 200
        assert response.json()["purposes"] == ["attendance_duty"]


class TestNeedToKnowThroughCases:
    async def test_an_officer_reaches_a_pupil_and_carer_only_through_an_open_case(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        other = await make_case(session, school=world.school, officer="officer-2")
        headers = officer_headers(auth)
        assert (
            await client.get(f"/v1/pupils/{world.pupil.id}", headers=headers)
        ).status_code == 200
        assert (
            await client.get(f"/v1/carers/{world.carer.id}", headers=headers)
        ).status_code == 200
        assert (
            await client.get(f"/v1/pupils/{world.pupil.id}/attendance", headers=headers)
        ).status_code == 200
        assert_problem(await client.get(f"/v1/pupils/{other.pupil.id}", headers=headers), 404)
        assert_problem(await client.get(f"/v1/carers/{other.carer.id}", headers=headers), 404)
        listed = await client.get("/v1/pupils", headers=headers)
        assert [p["id"] for p in listed.json()["items"]] == [str(world.pupil.id)]

        world.case.stage = CaseStage.CLOSED
        world.case.closed_at = datetime.now(UTC)
        world.case.outcome = "no_further_action"  # type: ignore[assignment]
        await session.flush()
        assert_problem(await client.get(f"/v1/pupils/{world.pupil.id}", headers=headers), 404)

    async def test_prosecution_reaches_a_pupil_only_through_a_case_at_that_stage(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, stage=CaseStage.SUPPORT)
        headers = manager_headers(auth, "prosecution")
        url = f"/v1/pupils/{world.pupil.id}"
        assert_problem(await client.get(url, headers=headers), 404)
        enforcement = await make_case(session, stage=CaseStage.PENALTY_NOTICE)
        assert (
            await client.get(f"/v1/pupils/{enforcement.pupil.id}", headers=headers)
        ).status_code == 200

    async def test_a_restricted_pupil_is_reached_under_prosecution_only_at_that_stage(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, stage=CaseStage.ESO_CONSIDERED)
        subject = await session.get(DataSubject, world.pupil.subject_id)
        assert subject is not None
        subject.restricted_since = datetime.now(UTC)
        await session.flush()
        url = f"/v1/pupils/{world.pupil.id}"
        assert_problem(await client.get(url, headers=manager_headers(auth)), 404)
        allowed = await client.get(url, headers=manager_headers(auth, "prosecution"))
        assert allowed.status_code == 200, allowed.text

        # Back to support: the claim closes, and the pupil is out of reach again.
        # Under attendance_duty the restricted pupil's case is out of reach too: the move back
        # is made under the purpose the case binds.
        back = await _move(
            client, manager_headers(auth, "prosecution"), world.case.id, to="support"
        )
        assert back.status_code == 200, back.text
        assert_problem(await client.get(url, headers=manager_headers(auth, "prosecution")), 404)


class TestTheLadder:
    async def test_a_penalty_notice_needs_a_failed_notice_to_improve_unless_a_holiday(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        refused = await _move(client, officer_headers(auth), world.case.id, to="penalty_notice")
        problem = assert_problem(refused, 409)
        assert [g["code"] for g in problem["unmet"]] == ["notice_to_improve_failed"]
        assert "notice to improve" in str(problem["detail"])

        holiday = await _move(
            client,
            officer_headers(auth),
            world.case.id,
            to="penalty_notice",
            ground="term_time_holiday",
        )
        assert holiday.status_code == 200, holiday.text
        assert holiday.json()["stage"] == "penalty_notice"
        assert "prosecution" in holiday.json()["purposes"]
        claims = await session.scalar(
            select(func.count(SubjectLegalClaim.id)).where(
                SubjectLegalClaim.reference == str(world.case.id),
                SubjectLegalClaim.closed_at.is_(None),
            )
        )
        assert claims == 2  # the pupil and the parent

    async def test_a_notice_to_improve_opens_the_penalty_notice_step_once_its_period_ends(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, stage=CaseStage.NOTICE_TO_IMPROVE)
        today = datetime.now(UTC).date()
        notice = NoticeToImprove(
            case_id=world.case.id,
            carer_id=world.carer.id,
            issued_on=today - timedelta(weeks=3),
            improvement_weeks=3,
            period_ends_on=today,
            status=NoticeToImproveStatus.ISSUED,
            recorded_by=OFFICER,
        )
        session.add(notice)
        await session.flush()
        still_running = await _move(
            client, officer_headers(auth), world.case.id, to="penalty_notice"
        )
        assert_problem(still_running, 409)
        notice.period_ends_on = today - timedelta(days=1)
        await session.flush()
        ended = await _move(client, officer_headers(auth), world.case.id, to="penalty_notice")
        assert ended.status_code == 200, ended.text

    async def test_no_prosecution_without_an_education_supervision_order_considered(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, stage=CaseStage.PENALTY_NOTICE)
        headers = manager_headers(auth, "prosecution")
        skipped = await _move(client, headers, world.case.id, to="prosecution_preparation")
        assert_problem(skipped, 409)
        missing = await _move(client, headers, world.case.id, to="eso_considered")
        assert_problem(missing, 422)
        considered = await _move(
            client,
            headers,
            world.case.id,
            to="eso_considered",
            eso={
                "decision": "not_appropriate",
                "considered_on": datetime.now(UTC).date().isoformat(),
                "reason": "Support refused; an order would not secure attendance.",
            },
        )
        assert considered.status_code == 200, considered.text
        assert considered.json()["eso"]["decision"] == "not_appropriate"
        prepared = await _move(client, headers, world.case.id, to="prosecution_preparation")
        assert prepared.status_code == 200, prepared.text
        steps = {s["to"]: s for s in prepared.json()["next_steps"]}
        unmet = {g["code"] for g in steps["prosecution"]["unmet"]}
        assert {"prosecution_recorded", "manager_approved", "evidence_listed"} <= unmet
        to_court = await _move(client, headers, world.case.id, to="prosecution")
        assert "Education Act 1996 s444" in str(assert_problem(to_court, 409)["detail"])

    async def test_an_illegal_step_is_refused_and_changes_nothing(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        before = await session.scalar(
            select(func.count(CaseEvent.id)).where(CaseEvent.case_id == world.case.id)
        )
        refused = await _move(client, officer_headers(auth), world.case.id, to="sao_order")
        assert_problem(refused, 409)
        after = await session.scalar(
            select(func.count(CaseEvent.id)).where(CaseEvent.case_id == world.case.id)
        )
        assert after == before

    async def test_an_attendance_contract_step_needs_an_active_contract(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        assert_problem(
            await _move(client, officer_headers(auth), world.case.id, to="attendance_contract"),
            409,
        )
        today = datetime.now(UTC).date()
        session.add(
            AttendanceContract(
                case_id=world.case.id,
                agreed_on=today,
                review_on=today + timedelta(weeks=4),
                carer_ids=[str(world.carer.id)],
                actions=[{"by": "parent", "action": "Bring to school by 8:45"}],
                status=ContractStatus.ACTIVE,
                recorded_by=OFFICER,
            )
        )
        await session.flush()
        moved = await _move(client, officer_headers(auth), world.case.id, to="attendance_contract")
        assert moved.status_code == 200, moved.text

    async def test_closing_needs_an_outcome_and_ends_the_case(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, stage=CaseStage.PENALTY_NOTICE)
        assert_problem(await _move(client, officer_headers(auth), world.case.id, to="closed"), 422)
        closed = await _move(
            client,
            officer_headers(auth),
            world.case.id,
            to="closed",
            outcome="penalty_paid",
            outcome_summary="Penalty paid; attendance now 95%.",
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["closed_at"] is not None
        assert closed.json()["next_steps"] == []
        open_claims = await session.scalar(
            select(func.count(SubjectLegalClaim.id)).where(
                SubjectLegalClaim.reference == str(world.case.id),
                SubjectLegalClaim.closed_at.is_(None),
            )
        )
        assert open_claims == 0
        again = await _move(
            client, officer_headers(auth), world.case.id, to="closed", outcome="penalty_paid"
        )
        assert_problem(again, 409)


class TestConcurrencyAndAssignment:
    async def test_a_stale_or_missing_if_match_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        headers = officer_headers(auth)
        etag = await _etag(client, headers, world.case.id)
        url = f"/v1/cases/{world.case.id}"
        first = await client.patch(
            url, json={"next_action": "Visit home"}, headers={**headers, "If-Match": etag}
        )
        assert first.status_code == 200, first.text
        assert first.headers["ETag"] != etag
        stale = await client.patch(
            url, json={"next_action": "Call school"}, headers={**headers, "If-Match": etag}
        )
        assert_problem(stale, 412)
        assert_problem(await client.patch(url, json={"next_action": "x"}, headers=headers), 428)

    async def test_managers_assign_and_officers_may_not(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session, officer=None)
        url = f"/v1/cases/{world.case.id}/assignment"
        etag = await _etag(client, manager_headers(auth), world.case.id)
        refused = await client.put(
            url, json={"officer": OFFICER}, headers={**officer_headers(auth), "If-Match": etag}
        )
        assert_problem(refused, 403)
        assigned = await client.put(
            url, json={"officer": "officer-2"}, headers={**manager_headers(auth), "If-Match": etag}
        )
        assert assigned.status_code == 200, assigned.text
        assert assigned.json()["officer"] == "officer-2"
        # No longer in the triage queue: the first officer cannot see it now.
        assert_problem(
            await client.get(f"/v1/cases/{world.case.id}", headers=officer_headers(auth)), 404
        )


class TestOpeningCases:
    async def test_an_officer_opens_a_case_from_an_alert_in_their_team(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        school = await make_school(session, urn=118962, district=District.THANET)
        pupil = await make_pupil(session, school=school)
        carer = await make_carer(session, pupil=pupil)
        alert = await make_alert(session, pupil, school)
        body = {
            "case_type": "attendance",
            "alert_id": str(alert.id),
            "carer_ids": [str(carer.id)],
            "assigned_officer": OFFICER,
        }
        created = await client.post("/v1/cases", json=body, headers=officer_headers(auth))
        assert created.status_code == 201, created.text
        case = created.json()
        assert case["alert_id"] == str(alert.id) and case["stage"] == "triage"
        assert case["pupil_id"] == str(pupil.id) and case["referral_source"] == "alert"
        assert created.headers["Location"] == f"/v1/cases/{case['id']}"
        second = await client.post("/v1/cases", json=body, headers=officer_headers(auth))
        assert_problem(second, 409)

    async def test_an_officer_cannot_open_a_case_for_a_pupil_without_an_alert(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        school = await make_school(session, urn=118963, district=District.THANET)
        pupil = await make_pupil(session, school=school)
        body = {"case_type": "attendance", "pupil_id": str(pupil.id), "school_urn": school.urn}
        refused = await client.post("/v1/cases", json=body, headers=officer_headers(auth))
        assert_problem(refused, 422)
        opened = await client.post("/v1/cases", json=body, headers=manager_headers(auth))
        assert opened.status_code == 201, opened.text
        assert await session.scalar(select(func.count(Case.id))) == 1

    async def test_a_case_for_a_pupil_never_at_the_school_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        school = await make_school(session, urn=118964, district=District.THANET)
        other = await make_school(session, urn=118965, district=District.THANET)
        pupil = await make_pupil(session, school=school)
        body = {"case_type": "attendance", "pupil_id": str(pupil.id), "school_urn": other.urn}
        problem = assert_problem(
            await client.post("/v1/cases", json=body, headers=manager_headers(auth)), 422
        )
        assert problem["errors"][0]["pointer"] == "/school_urn"  # type: ignore[index]

    async def test_an_exclusion_case_is_opened_under_its_own_purpose(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        school = await make_school(session, urn=118966, district=District.THANET)
        pupil = await make_pupil(session, school=school)
        body = {
            "case_type": CaseType.EXCLUSION_SUPPORT.value,
            "pupil_id": str(pupil.id),
            "school_urn": school.urn,
        }
        assert_problem(
            await client.post("/v1/cases", json=body, headers=manager_headers(auth)), 422
        )
        opened = await client.post(
            "/v1/cases", json=body, headers=manager_headers(auth, "exclusion_support")
        )
        assert opened.status_code == 201, opened.text
