"""Prosecutions over HTTP: the 6-month limit to lay on its edge days (Magistrates' Courts Act
1980 s127), a penalty notice's payment period first (s444A), a manager's approval, the
education supervision order considered before the prosecution stage (s447), need-to-know, the
DPA 2018 s62 log naming the case, and the court bundle recorded as a disclosure."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.cases import (
    Case,
    CaseStage,
    CaseType,
    EsoDecision,
    NoticeGround,
    PenaltyNotice,
    PenaltyNoticeStatus,
    ServiceMethod,
)
from app.models.disclosures import Disclosure, DisclosureSubject
from app.policies.registry import Purpose, purposes_mask
from app.rules.calendar import add_calendar_months
from app.rules.penalty_notices import proceedings_not_before
from tests.case_support import OFFICER, CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem
from tests.test_school_attendance_orders_api import manager, move, reload, today

HASH = hashlib.sha256(b"the court bundle").hexdigest()


def url(case: Case) -> str:
    return f"/v1/cases/{case.id}/prosecutions"


def officer(auth: AuthHeaders, **kwargs: Any) -> dict[str, str]:
    """An officer who states no purpose: the route defaults to prosecution."""
    return officer_headers(auth, purpose=None, **kwargs)


async def with_eso(session: AsyncSession, case: Case) -> None:
    """Record that an education supervision order was considered (s447)."""
    case = await reload(session, case)
    case.eso_decision = EsoDecision.NOT_APPROPRIATE
    case.eso_considered_on = today()
    case.eso_reason = "Considered; not appropriate."
    case.eso_recorded_by = OFFICER
    await session.flush()


async def preparing(session: AsyncSession, *, eso: bool = True) -> CaseWorld:
    world = await make_case(session, stage=CaseStage.PROSECUTION_PREPARATION)
    if eso:
        await with_eso(session, world.case)
    return world


def body(world: CaseWorld, offence_to: date, **overrides: Any) -> dict[str, Any]:
    sent: dict[str, Any] = {
        "carer_id": str(world.carer.id),
        "offence": "s444(1)",
        "offence_from": (offence_to - timedelta(days=60)).isoformat(),
        "offence_to": offence_to.isoformat(),
        "evidence": [{"item": "Attendance register extract"}],
        "witness_statement": {
            "officer": OFFICER,
            "attendance": {
                "from": (offence_to - timedelta(days=60)).isoformat(),
                "to": offence_to.isoformat(),
                "possible_sessions": 80,
                "attended_sessions": 50,
                "unauthorised_sessions": 30,
            },
            "interventions": [{"kind": "meeting", "on": offence_to.isoformat()}],
        },
    }
    sent.update(overrides)
    return sent


async def act(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    case: Case,
    prosecution_id: str,
    name: str | None,
    sent: dict[str, Any],
    method: str = "POST",
) -> httpx.Response:
    one = f"{url(case)}/{prosecution_id}"
    current = await client.get(one, headers=headers)
    assert current.status_code == 200, current.text
    return await client.request(
        method,
        f"{one}/{name}" if name else one,
        json=sent,
        headers={**headers, "If-Match": current.headers["ETag"]},
    )


def offence_ending_six_months_before(day: date) -> date:
    """An offence period's last day whose 6 months to lay end on ``day``."""
    for back in range(150, 200):
        candidate = day - timedelta(days=back)
        if add_calendar_months(candidate, 6) == day:
            return candidate
    pytest.skip(f"no day is 6 calendar months before {day} (a month-end with no match)")


async def approved_at_prosecution(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    world: CaseWorld,
    sent: dict[str, Any],
) -> str:
    created = await client.post(url(world.case), json=sent, headers=officer(auth))
    assert created.status_code == 201, created.text
    prosecution_id = created.json()["id"]
    approved = await act(client, manager(auth), world.case, prosecution_id, "approval", {})
    assert approved.status_code == 200, approved.text
    await move(session, world.case, CaseStage.PROSECUTION)
    return str(prosecution_id)


# --- preparing --------------------------------------------------------------------------


async def test_preparing_computes_the_last_day_to_lay(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    offence_to = today() - timedelta(days=10)
    response = await client.post(
        url(world.case), json=body(world, offence_to), headers=officer(auth)
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["lay_by"] == add_calendar_months(offence_to, 6).isoformat()
    assert created["lay_from"] == (offence_to + timedelta(days=1)).isoformat()
    assert created["status"] == "preparing"
    assert created["witness_statement"]["attendance"]["from"]
    assert response.headers["ETag"]
    listed = await client.get(url(world.case), headers=officer(auth))
    assert [p["id"] for p in listed.json()["items"]] == [created["id"]]
    assert (await client.get(url(world.case))).status_code == 401


async def test_an_attendance_case_cannot_prosecute_the_breach_of_an_order(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    sent = body(world, today() - timedelta(days=5), offence="s443")
    assert_problem(await client.post(url(world.case), json=sent, headers=officer(auth)), 422)


async def test_an_sao_case_prosecutes_s443_only_after_a_breach(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await make_case(
        session,
        stage=CaseStage.PROSECUTION_PREPARATION,
        case_type=CaseType.SCHOOL_ATTENDANCE_ORDER,
    )
    await with_eso(session, world.case)
    sent = body(world, today() - timedelta(days=5), offence="s443")
    problem = assert_problem(
        await client.post(url(world.case), json=sent, headers=officer(auth)), 409
    )
    assert problem["rule"] == "sao_order_breached"


async def test_a_time_barred_prosecution_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    offence_to = offence_ending_six_months_before(today() - timedelta(days=1))
    sent = body(world, offence_to)
    problem = assert_problem(
        await client.post(url(world.case), json=sent, headers=officer(auth)), 409
    )
    assert problem["rule"] == "within_time_limit"


# --- approval and the ladder --------------------------------------------------------------


async def test_only_a_manager_approves(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    created = await client.post(
        url(world.case), json=body(world, today() - timedelta(days=3)), headers=officer(auth)
    )
    prosecution_id = created.json()["id"]
    by_officer = await act(client, officer(auth), world.case, prosecution_id, "approval", {})
    assert assert_problem(by_officer, 403)["policy"]["rule"] == "default.deny"  # type: ignore[index]
    approved = await act(client, manager(auth), world.case, prosecution_id, "approval", {})
    assert approved.status_code == 200, approved.text
    assert approved.json()["approved_by"] == "manager-1"
    case = await reload(session, world.case)
    assert case.prosecution_approved_by == "manager-1"
    assert case.prosecution_approved_at is not None
    # Changing the evidence withdraws the approval: it was of the evidence as it stood.
    changed = await act(
        client,
        officer(auth),
        world.case,
        prosecution_id,
        None,
        {"evidence": [{"item": "Register extract"}, {"item": "Notice to improve"}]},
        method="PATCH",
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["approved_by"] is None
    assert len(changed.json()["evidence"]) == 2


async def test_no_prosecution_stage_without_an_education_supervision_order_considered(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    from app.errors import Conflict

    world = await preparing(session, eso=False)
    created = await client.post(
        url(world.case), json=body(world, today() - timedelta(days=3)), headers=officer(auth)
    )
    assert created.status_code == 201, created.text
    approved = await act(client, manager(auth), world.case, created.json()["id"], "approval", {})
    assert approved.status_code == 200, approved.text
    with pytest.raises(Conflict) as refused:
        await move(session, world.case, CaseStage.PROSECUTION)
    assert "eso_recorded" in [g["code"] for g in refused.value.extra["unmet"]]
    await with_eso(session, world.case)
    await move(session, world.case, CaseStage.PROSECUTION)


async def test_laying_needs_the_prosecution_stage(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    created = await client.post(
        url(world.case), json=body(world, today() - timedelta(days=3)), headers=officer(auth)
    )
    laying = {"laid_on": today().isoformat(), "court": "Margate Magistrates' Court"}
    response = await act(client, officer(auth), world.case, created.json()["id"], "laying", laying)
    assert_problem(response, 409)


# --- the time limits on laying ------------------------------------------------------------


async def test_laying_on_the_last_day_is_allowed_and_the_day_after_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    offence_to = offence_ending_six_months_before(today())
    prosecution_id = await approved_at_prosecution(
        client, auth, session, world, body(world, offence_to)
    )
    court = "Margate Magistrates' Court"
    day_after = {"laid_on": (today() + timedelta(days=1)).isoformat(), "court": court}
    refused = await act(client, officer(auth), world.case, prosecution_id, "laying", day_after)
    problem = assert_problem(refused, 409)
    assert problem["rule"] == "within_time_limit"
    assert problem["lay_by"] == today().isoformat()

    last_day = {"laid_on": today().isoformat(), "court": court}
    laid = await act(client, officer(auth), world.case, prosecution_id, "laying", last_day)
    assert laid.status_code == 200, laid.text
    assert laid.json()["status"] == "laid"
    assert laid.json()["laid_on"] == today().isoformat()


async def notice(session: AsyncSession, world: CaseWorld, received_on: date) -> PenaltyNotice:
    row = PenaltyNotice(
        id=uuid.uuid4(),
        reference=f"PN-{uuid.uuid4().hex[:12].upper()}",
        case_id=world.case.id,
        pupil_id=world.pupil.id,
        pupil_subject_id=world.pupil.subject_id,
        carer_id=world.carer.id,
        subject_id=world.carer.subject_id,
        purposes_mask=purposes_mask({Purpose.PROSECUTION}),
        lawful_basis="s35(2)(b)",
        ground=NoticeGround.TERM_TIME_HOLIDAY,
        offence_from=received_on - timedelta(days=30),
        offence_to=received_on - timedelta(days=20),
        sequence=1,
        issued_on=received_on,
        service_method=ServiceMethod.HAND,
        served_on=received_on,
        received_on=received_on,
        reduced_amount_pence=8000,
        reduced_due_on=received_on + timedelta(days=20),
        full_amount_pence=16000,
        full_due_on=received_on + timedelta(days=27),
        approved_by="manager-1",
        status=PenaltyNoticeStatus.ISSUED,
        recorded_by=OFFICER,
    )
    session.add(row)
    await session.flush()
    return row


async def test_laying_waits_for_the_penalty_notices_payment_period(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    received = today() - timedelta(days=27)  # day 28 of the payment period is today
    penalty = await notice(session, world, received)
    sent = body(world, penalty.offence_to, penalty_notice_id=str(penalty.id))
    prosecution_id = await approved_at_prosecution(client, auth, session, world, sent)
    current = await client.get(f"{url(world.case)}/{prosecution_id}", headers=officer(auth))
    opens = proceedings_not_before(received)
    assert (
        current.json()["lay_from"] == opens.isoformat() == (today() + timedelta(days=1)).isoformat()
    )
    laying = {"laid_on": today().isoformat(), "court": "Margate Magistrates' Court"}
    refused = await act(client, officer(auth), world.case, prosecution_id, "laying", laying)
    assert assert_problem(refused, 409)["rule"] == "payment_period_over"


async def test_a_paid_penalty_notice_founds_no_prosecution(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    penalty = await notice(session, world, today() - timedelta(days=40))
    penalty.status = PenaltyNoticeStatus.PAID
    penalty.paid_on = today() - timedelta(days=35)
    penalty.paid_amount_pence = 8000
    await session.flush()
    sent = body(world, penalty.offence_to, penalty_notice_id=str(penalty.id))
    assert_problem(await client.post(url(world.case), json=sent, headers=officer(auth)), 422)


# --- need-to-know and the s62 log -----------------------------------------------------------


async def test_another_teams_officer_gets_404_and_every_decision_names_the_case(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    created = await client.post(
        url(world.case), json=body(world, today() - timedelta(days=3)), headers=officer(auth)
    )
    one = f"{url(world.case)}/{created.json()['id']}"
    stranger = officer_headers(auth, subject="officer-9", purpose=None, area_team="west")
    hidden = await client.get(one, headers=stranger)
    assert_problem(hidden, 404)
    seen = await client.get(one, headers=officer(auth))
    assert seen.status_code == 200
    for response in (created, hidden, seen):
        ids = [uuid.UUID(i.strip()) for i in response.headers["kpas-decision-id"].split(",")]
        events = list(
            await session.scalars(
                select(AuditEvent).where(
                    AuditEvent.decision_id.in_(ids), AuditEvent.kind == "decision"
                )
            )
        )
        assert events
        for event in events:
            assert event.purpose == "prosecution"
            assert event.details["regime"] == "dpa2018_part3"
            assert event.details["justification"] == "prosecution"
            assert event.details["case_id"] == str(world.case.id)


async def test_a_case_not_at_an_enforcement_stage_is_not_reachable_under_prosecution(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await make_case(session, stage=CaseStage.SUPPORT)
    assert_problem(await client.get(url(world.case), headers=officer(auth)), 404)


# --- the court bundle ---------------------------------------------------------------------


async def test_the_court_bundle_is_recorded_as_a_disclosure_to_hmcts(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    prosecution_id = await approved_at_prosecution(
        client, auth, session, world, body(world, today() - timedelta(days=3))
    )
    laid = await act(
        client,
        officer(auth),
        world.case,
        prosecution_id,
        "laying",
        {"laid_on": today().isoformat(), "court": "Margate Magistrates' Court"},
    )
    assert laid.status_code == 200, laid.text
    sent = {
        "data_categories": ["identity_contact", "attendance", "casework"],
        "channel": "secure_email",
        "disclosed_at": "2026-01-01T10:00:00Z",
        "content_sha256": HASH,
    }
    by_officer = await act(
        client, officer(auth), world.case, prosecution_id, "court-disclosure", sent
    )
    assert_problem(by_officer, 403)
    court_order = await act(
        client,
        manager(auth),
        world.case,
        prosecution_id,
        "court-disclosure",
        {**sent, "purpose": "court_disclosure"},
    )
    assert_problem(court_order, 422)  # a court disclosure names its ground and reference
    response = await act(
        client, manager(auth), world.case, prosecution_id, "court-disclosure", sent
    )
    assert response.status_code == 200, response.text
    disclosure_id = uuid.UUID(response.json()["disclosure_id"])
    disclosure = await session.get(Disclosure, disclosure_id)
    assert disclosure is not None
    await session.refresh(disclosure)
    assert disclosure.content_sha256 == HASH
    assert disclosure.approved_by == "manager-1"
    assert disclosure.purpose == "prosecution"
    assert disclosure.lawful_basis == "s35(2)(b)"
    assert disclosure.automatic is False
    assert disclosure.resource_id == prosecution_id
    from app.models import Recipient

    recipient = await session.get(Recipient, disclosure.recipient_id)
    assert recipient is not None and recipient.code == "hmcts"
    subjects = set(
        await session.scalars(
            select(DisclosureSubject.subject_id).where(
                DisclosureSubject.disclosure_id == disclosure_id
            )
        )
    )
    assert subjects == {world.pupil.subject_id, world.carer.subject_id}


async def test_the_outcome_ends_the_prosecution(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await preparing(session)
    created = await client.post(
        url(world.case), json=body(world, today() - timedelta(days=3)), headers=officer(auth)
    )
    prosecution_id = created.json()["id"]
    convicted = {"outcome": "convicted", "on": today().isoformat()}
    assert_problem(
        await act(client, officer(auth), world.case, prosecution_id, "outcome", convicted), 409
    )
    withdrawn = {"outcome": "withdrawn", "on": today().isoformat()}
    response = await act(client, officer(auth), world.case, prosecution_id, "outcome", withdrawn)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "withdrawn"
