"""Notices to improve and penalty notices through the API: the improvement period, the
three-year count, the payment periods' edge days, service by post, purpose binding, the
letters and the chronology."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import (
    CaseEvent,
    CaseEventKind,
    CaseStage,
    NoticeGround,
    PenaltyNotice,
    PenaltyNoticeStatus,
    ServiceMethod,
)
from app.models.messages import OutboundMessage
from app.models.subjects import DataSubject
from app.policies.guard import local_today
from app.policies.registry import LawfulBasis, Purpose, purposes_mask
from app.rules.calendar import add_calendar_years, is_bank_holiday
from app.rules.kent import District
from tests.case_support import CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school

MANAGER = "manager-1"


def today() -> date:
    return local_today(datetime.now(UTC))


def manager(auth: AuthHeaders, purpose: str | None = None) -> dict[str, str]:
    """An east-team attendance manager; no purpose: the route's default (prosecution for
    penalty notices, the case's own for notices to improve)."""
    return auth("attendance_manager", subject=MANAGER, area_teams=("east",), purpose=purpose)


async def world(
    session: AsyncSession,
    *,
    stage: CaseStage = CaseStage.PENALTY_NOTICE,
    opened_days_ago: int = 400,
) -> CaseWorld:
    """A case about a pupil with one parent (with an address, so letters can go)."""
    school = await make_school(session, district=District.THANET)  # the east area team
    pupil = await make_pupil(session, school=school)
    carer = await make_carer(
        session, pupil=pupil, address_lines=["1 High Street", "Margate"], postcode="CT9 1AA"
    )
    return await make_case(
        session,
        school=school,
        pupil=pupil,
        carer=carer,
        stage=stage,
        opened_on=today() - timedelta(days=opened_days_ago),
    )


async def seed_notice(
    session: AsyncSession,
    w: CaseWorld,
    issued_on: date,
    *,
    withdrawn: bool = False,
    other_case: bool = True,
) -> PenaltyNotice:
    """A notice already on record to the world's parent for its pupil: by default on another,
    closed case (the count spans every case)."""
    case = w.case
    if other_case:
        case = (
            await make_case(
                session,
                school=w.school,
                pupil=w.pupil,
                carer=w.carer,
                stage=CaseStage.CLOSED,
                opened_on=issued_on - timedelta(days=10),
            )
        ).case
    notice = PenaltyNotice(
        id=uuid.uuid4(),
        reference=f"PN-T-{uuid.uuid4().hex[:8].upper()}",
        case_id=case.id,
        pupil_id=w.pupil.id,
        pupil_subject_id=w.pupil.subject_id,
        carer_id=w.carer.id,
        subject_id=w.carer.subject_id,
        purposes_mask=purposes_mask({Purpose.PROSECUTION}),
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT_TASK.value,
        ground=NoticeGround.IRREGULAR_ATTENDANCE,
        offence_from=issued_on - timedelta(days=30),
        offence_to=issued_on - timedelta(days=1),
        sequence=1,
        issued_on=issued_on,
        service_method=ServiceMethod.HAND,
        served_on=issued_on,
        received_on=issued_on,
        reduced_amount_pence=8000,
        reduced_due_on=issued_on + timedelta(days=20),
        full_amount_pence=16000,
        full_due_on=issued_on + timedelta(days=27),
        approved_by=MANAGER,
        status=PenaltyNoticeStatus.WITHDRAWN if withdrawn else PenaltyNoticeStatus.ISSUED,
        withdrawn_on=issued_on + timedelta(days=3) if withdrawn else None,
        withdrawal_reason="issued in error" if withdrawn else None,
        recorded_by=MANAGER,
    )
    session.add(notice)
    await session.flush()
    return notice


def notice_body(w: CaseWorld, **overrides: Any) -> dict[str, Any]:
    issued = overrides.pop("issued_on", today())
    body: dict[str, Any] = {
        "carer_id": str(w.carer.id),
        "ground": "irregular_attendance",
        "offence_from": (issued - timedelta(days=60)).isoformat(),
        "offence_to": (issued - timedelta(days=7)).isoformat(),
        "issued_on": issued.isoformat(),
        "service_method": "hand",
    }
    body.update(overrides)
    return body


def pn_url(w: CaseWorld, notice_id: object | None = None, tail: str = "") -> str:
    url = f"/v1/cases/{w.case.id}/penalty-notices"
    return url if notice_id is None else f"{url}/{notice_id}{tail}"


async def issue(
    client: httpx.AsyncClient, auth: AuthHeaders, w: CaseWorld, **overrides: Any
) -> httpx.Response:
    return await client.post(pn_url(w), json=notice_body(w, **overrides), headers=manager(auth))


async def count(session: AsyncSession, stmt: Any) -> int:
    return int(await session.scalar(stmt) or 0)


# --- the three-year count ------------------------------------------------------------------


class TestThreeYearCount:
    async def test_a_first_notice_is_80_then_160(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        response = await issue(client, auth, w)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["tier"] == "first"
        assert body["reduced_amount_pence"] == 8000
        assert body["full_amount_pence"] == 16000
        assert body["received_on"] == today().isoformat()
        assert body["reduced_due_on"] == (today() + timedelta(days=20)).isoformat()
        assert body["full_due_on"] == (today() + timedelta(days=27)).isoformat()
        assert body["proceedings_not_before"] == (today() + timedelta(days=28)).isoformat()
        assert body["status_today"] == "payable_at_reduced_rate"
        assert body["approved_by"] == MANAGER
        assert "SI 2024/210" in body["full_due_rule"]
        assert "received" in body["received_rule"]
        assert response.headers["Location"].endswith(body["id"])
        assert response.headers["ETag"]

    async def test_a_notice_three_years_less_a_day_before_makes_this_a_second(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        await seed_notice(session, w, add_calendar_years(today(), -3) + timedelta(days=1))
        response = await issue(client, auth, w)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["tier"] == "second"
        assert body["reduced_amount_pence"] is None
        assert body["reduced_due_on"] is None
        assert body["full_amount_pence"] == 16000
        assert "second" in body["tier_rule"]

    @pytest.mark.parametrize("days_earlier", [0, 1])
    async def test_a_notice_three_years_or_more_before_does_not_count(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        days_earlier: int,
    ) -> None:
        w = await world(session)
        await seed_notice(session, w, add_calendar_years(today(), -3) - timedelta(days_earlier))
        response = await issue(client, auth, w)
        assert response.status_code == 201, response.text
        assert response.json()["tier"] == "first"

    async def test_a_withdrawn_notice_does_not_count(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        await seed_notice(session, w, today() - timedelta(days=200), withdrawn=True)
        response = await issue(client, auth, w)
        assert response.status_code == 201, response.text
        assert response.json()["tier"] == "first"

    async def test_a_third_within_three_years_is_refused_naming_the_rule(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        await seed_notice(session, w, today() - timedelta(days=700))
        await seed_notice(session, w, today() - timedelta(days=200))
        before = await count(session, select(func.count(OutboundMessage.id)))
        problem = assert_problem(await issue(client, auth, w), 409)
        assert problem["rule"] == "penalty_notices.third_within_three_years"
        assert "SI 2024/210" in str(problem["source"])
        assert problem["instead"] == "prosecution"
        assert "rosecution" in str(problem["detail"])
        assert await count(session, select(func.count(OutboundMessage.id))) == before

    async def test_the_same_offence_period_twice_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        assert (await issue(client, auth, w)).status_code == 201
        problem = assert_problem(await issue(client, auth, w), 409)
        assert problem["rule"] == "penalty_notices.one_per_offence_period"


# --- payment --------------------------------------------------------------------------------


class TestPayment:
    @pytest.mark.parametrize(
        ("day", "amount", "status"),
        [
            (21, 8000, 200),
            (21, 16000, 422),
            (22, 8000, 422),
            (22, 16000, 200),
            (28, 16000, 200),
            (29, 16000, 409),
        ],
    )
    async def test_the_amount_due_on_each_edge_day(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        day: int,
        amount: int,
        status: int,
    ) -> None:
        w = await world(session)
        issued = today() - timedelta(days=40)
        created = await issue(client, auth, w, issued_on=issued)
        assert created.status_code == 201, created.text
        notice = created.json()
        # Day 1 is the day of receipt (handed over: the day served).
        paid_on = issued + timedelta(days=day - 1)
        response = await client.post(
            pn_url(w, notice["id"], "/payment"),
            json={"paid_on": paid_on.isoformat(), "amount_pence": amount},
            headers={**officer_headers(auth, purpose=None), "If-Match": created.headers["ETag"]},
        )
        assert response.status_code == status, response.text
        if status == 200:
            assert response.json()["status"] == "paid"
            assert response.json()["status_today"] == "paid"
        elif status == 409:
            assert response.json()["rule"] == "penalty_notices.payment_period_ended"
        else:
            assert response.json()["errors"][0]["pointer"] == "/amount_pence"

    async def test_unpaid_after_the_period_is_prosecute_or_withdraw(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        created = await issue(client, auth, w, issued_on=today() - timedelta(days=28))
        assert created.status_code == 201, created.text
        read = await client.get(pn_url(w, created.json()["id"]), headers=manager(auth))
        assert read.status_code == 200, read.text
        assert read.json()["status"] == "issued"
        assert read.json()["status_today"] == "prosecute_or_withdraw"

    async def test_withdrawal_needs_a_reason_and_then_the_notice_stops_counting(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        created = await issue(client, auth, w)
        url = pn_url(w, created.json()["id"], "/withdrawal")
        headers = {**manager(auth), "If-Match": created.headers["ETag"]}
        missing = await client.post(
            url, json={"withdrawn_on": today().isoformat()}, headers=headers
        )
        assert_problem(missing, 422)
        done = await client.post(
            url,
            json={"withdrawn_on": today().isoformat(), "reason": "Issued in error"},
            headers=headers,
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "withdrawn"
        again = await client.post(
            url,
            json={"withdrawn_on": today().isoformat(), "reason": "Issued in error"},
            headers={**manager(auth), "If-Match": done.headers["ETag"]},
        )
        assert_problem(again, 409)
        # The same period again, now the first is withdrawn: a first-tier notice.
        reissued = await issue(client, auth, w)
        assert reissued.status_code == 201, reissued.text
        assert reissued.json()["tier"] == "first"


# --- service ----------------------------------------------------------------------------------


async def test_service_by_first_class_post_is_received_the_second_working_day_after(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    friday = today() - timedelta(days=7 + (today().weekday() - 4) % 7)
    while any(is_bank_holiday(friday + timedelta(days=n)) for n in range(5)):
        friday -= timedelta(days=7)
    w = await world(session)
    response = await issue(client, auth, w, issued_on=friday, service_method="first_class_post")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["served_on"] == friday.isoformat()
    assert body["received_on"] == (friday + timedelta(days=4)).isoformat()  # Tuesday
    assert body["full_due_on"] == (friday + timedelta(days=4 + 27)).isoformat()
    assert "working day" in body["received_rule"]


# --- who may, and where -------------------------------------------------------------------


class TestReach:
    async def test_not_at_the_stage_is_a_409_for_whoever_may_see_the_case(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session, stage=CaseStage.SUPPORT)
        problem = assert_problem(await issue(client, auth, w), 409)
        assert problem["rule"] == "penalty_notices.case_stage"
        assert problem["stage"] == "support"
        listed = await client.get(pn_url(w), headers=officer_headers(auth, purpose=None))
        assert_problem(listed, 409)

    async def test_another_teams_officer_gets_404(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        created = await issue(client, auth, w)
        other = officer_headers(auth, subject="officer-9", area_team="west", purpose=None)
        assert_problem(await client.get(pn_url(w), headers=other), 404)
        assert_problem(await client.get(pn_url(w, created.json()["id"]), headers=other), 404)

    async def test_officers_read_but_only_managers_issue(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        refused = await client.post(
            pn_url(w), json=notice_body(w), headers=officer_headers(auth, purpose=None)
        )
        problem = assert_problem(refused, 403)
        assert problem["policy"]["rule"]  # type: ignore[index]
        created = await issue(client, auth, w)
        listed = await client.get(pn_url(w), headers=officer_headers(auth, purpose=None))
        assert listed.status_code == 200, listed.text
        assert [n["id"] for n in listed.json()["items"]] == [created.json()["id"]]

    async def test_a_restricted_pupil_is_reached_only_through_a_case_at_the_stage(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        at_stage = await world(session)
        below = await world(session, stage=CaseStage.SUPPORT)
        for w in (at_stage, below):
            subject = await session.get(DataSubject, w.pupil.subject_id)
            assert subject is not None
            subject.restricted_since = datetime.now(UTC)
        await session.flush()
        assert (await client.get(pn_url(at_stage), headers=manager(auth))).status_code == 200
        assert (await issue(client, auth, at_stage)).status_code == 201
        # Below the stage: out of reach under prosecution, and restricted under the case's own.
        assert_problem(await client.get(pn_url(below), headers=manager(auth)), 404)
        assert_problem(await issue(client, auth, below), 404)

    async def test_anonymous_is_401(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        w = await world(session)
        assert (await client.get(pn_url(w))).status_code == 401


# --- preconditions, validation, and what is written ---------------------------------------


class TestWrites:
    async def test_stale_if_match_is_412_and_missing_is_428(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        created = await issue(client, auth, w)
        url = pn_url(w, created.json()["id"], "/payment")
        body = {"paid_on": today().isoformat(), "amount_pence": 8000}
        stale = await client.post(url, json=body, headers={**manager(auth), "If-Match": '"x-1"'})
        assert_problem(stale, 412)
        assert_problem(await client.post(url, json=body, headers=manager(auth)), 428)
        ok = await client.post(
            url, json=body, headers={**manager(auth), "If-Match": created.headers["ETag"]}
        )
        assert ok.status_code == 200, ok.text

    @pytest.mark.parametrize(
        ("overrides", "pointer"),
        [
            ({"offence_to": (today() + timedelta(days=1)).isoformat()}, "/offence_to"),
            ({"offence_from": today().isoformat(), "offence_to": "2020-01-01"}, "/offence_to"),
            ({"issued_on": today() + timedelta(days=2)}, "/issued_on"),
            ({"served_on": "2020-01-01"}, "/served_on"),
            ({"service_method": "carrier_pigeon"}, "/service_method"),
            ({"alert_id": str(uuid.uuid4())}, "/alert_id"),
        ],
    )
    async def test_bad_input_is_422_and_writes_nothing(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        overrides: dict[str, Any],
        pointer: str,
    ) -> None:
        w = await world(session)
        events = await count(session, select(func.count(CaseEvent.id)))
        response = await issue(client, auth, w, **overrides)
        problem = assert_problem(response, 422)
        assert pointer in [e["pointer"] for e in problem["errors"]]  # type: ignore[union-attr]
        assert await count(session, select(func.count(PenaltyNotice.id))) == 0
        assert await count(session, select(func.count(OutboundMessage.id))) == 0
        assert await count(session, select(func.count(CaseEvent.id))) == events

    async def test_a_carer_without_parental_responsibility_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        response = await issue(client, auth, w, carer_id=str(uuid.uuid4()))
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["pointer"] == "/carer_id"  # type: ignore[index]

    async def test_the_letter_is_queued_and_the_chronology_written(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session)
        created = await issue(client, auth, w)
        assert created.status_code == 201, created.text
        body = created.json()
        message = await session.scalar(
            select(OutboundMessage).where(OutboundMessage.case_id == w.case.id)
        )
        assert message is not None
        assert str(message.id) == body["message_id"]
        assert message.message_type == "penalty_notice_letter"
        assert message.carer_id == w.carer.id
        assert message.purpose == "prosecution"
        assert message.personalisation["full_amount"] == "£160.00"
        assert message.personalisation["reduced_amount"] == "£80.00"
        assert message.personalisation["notice_number"] == body["reference"]
        kinds = (
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == w.case.id))
        ).all()
        assert CaseEventKind.PENALTY_NOTICE in kinds
        assert CaseEventKind.LETTER_QUEUED in kinds


# --- notices to improve -------------------------------------------------------------------


def nti_url(w: CaseWorld, notice_id: object | None = None) -> str:
    url = f"/v1/cases/{w.case.id}/notices-to-improve"
    return url if notice_id is None else f"{url}/{notice_id}"


class TestNoticesToImprove:
    async def test_issue_computes_the_period_and_queues_the_letter(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session, stage=CaseStage.SUPPORT)
        response = await client.post(
            nti_url(w),
            json={"carer_id": str(w.carer.id), "improvement_weeks": 4},
            headers=officer_headers(auth),
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["period_ends_on"] == (today() + timedelta(weeks=4)).isoformat()
        assert body["status"] == "issued"
        message = await session.scalar(
            select(OutboundMessage).where(OutboundMessage.case_id == w.case.id)
        )
        assert message is not None and message.message_type == "notice_to_improve"
        assert str(message.id) == body["message_id"]
        events = (
            await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == w.case.id))
        ).all()
        assert CaseEventKind.NOTICE_TO_IMPROVE in events
        listed = await client.get(nti_url(w), headers=officer_headers(auth))
        assert [n["id"] for n in listed.json()["items"]] == [body["id"]]

    @pytest.mark.parametrize("weeks", [2, 7])
    async def test_a_period_outside_3_to_6_weeks_is_422(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, weeks: int
    ) -> None:
        w = await world(session, stage=CaseStage.SUPPORT)
        response = await client.post(
            nti_url(w),
            json={"carer_id": str(w.carer.id), "improvement_weeks": weeks},
            headers=officer_headers(auth),
        )
        assert_problem(response, 422)
        assert await count(session, select(func.count(OutboundMessage.id))) == 0

    async def test_not_improved_only_once_the_period_has_ended(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session, stage=CaseStage.SUPPORT)
        headers = officer_headers(auth)
        current = await client.post(
            nti_url(w),
            json={"carer_id": str(w.carer.id), "improvement_weeks": 3},
            headers=headers,
        )
        assert current.status_code == 201, current.text
        early = await client.patch(
            nti_url(w, current.json()["id"]),
            json={"outcome": "not_improved"},
            headers={**headers, "If-Match": current.headers["ETag"]},
        )
        assert assert_problem(early, 409)["rule"] == "notice_to_improve.period_not_ended"
        withdrawn = await client.patch(
            nti_url(w, current.json()["id"]),
            json={"outcome": "withdrawn"},
            headers={**headers, "If-Match": current.headers["ETag"]},
        )
        assert withdrawn.status_code == 200, withdrawn.text

        # A notice issued 22 days ago with 3 weeks: its period ended yesterday.
        ended = await client.post(
            nti_url(w),
            json={
                "carer_id": str(w.carer.id),
                "improvement_weeks": 3,
                "issued_on": (today() - timedelta(days=22)).isoformat(),
            },
            headers=headers,
        )
        assert ended.status_code == 201, ended.text
        url = nti_url(w, ended.json()["id"])
        assert_problem(
            await client.patch(url, json={"outcome": "not_improved"}, headers=headers), 428
        )
        stale = {**headers, "If-Match": '"x-1"'}
        assert_problem(
            await client.patch(url, json={"outcome": "not_improved"}, headers=stale), 412
        )
        done = await client.patch(
            url,
            json={"outcome": "not_improved"},
            headers={**headers, "If-Match": ended.headers["ETag"]},
        )
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "not_improved"
        got = await client.get(url, headers=headers)
        assert got.headers["ETag"] == done.headers["ETag"]

    async def test_another_teams_officer_gets_404(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        w = await world(session, stage=CaseStage.SUPPORT)
        other = officer_headers(auth, subject="officer-9", area_team="west")
        assert_problem(await client.get(nti_url(w), headers=other), 404)
