"""School Attendance Orders over HTTP (Education Act 1996 s437-s443): the notice periods on
their edge days, the regime chosen by the day of service, each step only after the period
before it, the order as a manager's decision, and need-to-know through the case."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, Role
from app.models.cases import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStage,
    CaseType,
    EsoDecision,
)
from app.models.messages import OutboundMessage
from app.models.schools import School
from app.policies.engine import PolicyEngine
from app.policies.guard import Access
from app.policies.registry import Purpose
from app.repositories.cases import CaseRepository
from app.rules.kent import District
from app.services.cases import move_case
from tests.case_support import CASE_URN, OFFICER, CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school

LONDON = ZoneInfo("Europe/London")


def today() -> date:
    return datetime.now(LONDON).date()


def orders_url(case: Case) -> str:
    return f"/v1/cases/{case.id}/school-attendance-orders"


def officer(auth: AuthHeaders, **kwargs: Any) -> dict[str, str]:
    """An officer who states no purpose: the route defaults to school_attendance_order."""
    return officer_headers(auth, purpose=None, **kwargs)


def manager(auth: AuthHeaders, area_team: str = "east") -> dict[str, str]:
    return auth("attendance_manager", subject="manager-1", area_teams=(area_team,))


async def sao_world(
    session: AsyncSession, *, stage: CaseStage = CaseStage.SAO_NOTICE, opened_ago: int = 120
) -> CaseWorld:
    """An SAO case at ``stage`` about a pupil whose parent has a postal address."""
    school = await session.get(School, CASE_URN) or await make_school(
        session, urn=CASE_URN, district=District.THANET
    )
    pupil = await make_pupil(session, school=school)
    carer = await make_carer(
        session, pupil=pupil, address_lines=["1 Synthetic Street", "Margate"], postcode="CT9 1AA"
    )
    return await make_case(
        session,
        school=school,
        pupil=pupil,
        carer=carer,
        case_type=CaseType.SCHOOL_ATTENDANCE_ORDER,
        stage=stage,
        opened_on=today() - timedelta(days=opened_ago),
    )


async def reload(session: AsyncSession, case: Case) -> Case:
    """The case as the requests left it (with its parties)."""
    found = await CaseRepository(session).get(case.id, visible=true())
    assert found is not None
    return found


async def move(session: AsyncSession, case: Case, to: CaseStage) -> None:
    """Move the case up the ladder as its officer would (``move_case``, guards and all)."""
    case = await reload(session, case)
    principal = Principal(
        subject=OFFICER,
        roles=frozenset({Role.ATTENDANCE_OFFICER}),
        issuer="tests",
        area_teams=frozenset({"east"}),
    )
    engine = PolicyEngine()
    now = datetime.now(UTC)
    decision = engine.decide(principal, "case", "transition", Purpose.ATTENDANCE_DUTY, now=now)
    access = Access(engine=engine, decision=decision, principal=principal, session=session, now=now)
    await move_case(session, access, case, to)
    await session.flush()


async def serve(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    world: CaseWorld,
    served_on: date,
    satisfy_by: date | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"carer_id": str(world.carer.id), "served_on": served_on.isoformat()}
    if satisfy_by is not None:
        body["satisfy_by"] = satisfy_by.isoformat()
    return await client.post(orders_url(world.case), json=body, headers=officer(auth))


async def step(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    world: CaseWorld,
    order: httpx.Response,
    name: str,
    body: dict[str, Any],
) -> httpx.Response:
    current = await client.get(f"{orders_url(world.case)}/{order.json()['id']}", headers=headers)
    assert current.status_code == 200, current.text
    return await client.post(
        f"{orders_url(world.case)}/{order.json()['id']}/{name}",
        json=body,
        headers={**headers, "If-Match": current.headers["ETag"]},
    )


# --- the s437(1) notice -----------------------------------------------------------------


async def test_the_notice_gives_at_least_15_days_beginning_with_the_day_of_service(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    served = today()
    # 15 days beginning with the day of service: served + 14 is the earliest last day.
    short = await serve(client, auth, world, served, served + timedelta(days=13))
    problem = assert_problem(short, 422)
    assert problem["errors"][0]["code"] == "notice_period_too_short"  # type: ignore[index]

    response = await serve(client, auth, world, served, served + timedelta(days=14))
    assert response.status_code == 201, response.text
    order = response.json()
    assert order["notice_deadline"] == (served + timedelta(days=14)).isoformat()
    assert order["intention_from"] == (served + timedelta(days=15)).isoformat()
    assert order["regime"] == "education_act_1996"
    assert order["status"] == "notice_served"
    assert response.headers["Location"].endswith(order["id"])
    assert response.headers["ETag"]

    messages = list(
        await session.scalars(
            select(OutboundMessage).where(OutboundMessage.case_id == world.case.id)
        )
    )
    assert [(m.message_type, m.purpose, m.carer_id) for m in messages] == [
        ("sao_notice", "school_attendance_order", world.carer.id)
    ]
    kinds = set(
        await session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == world.case.id))
    )
    assert {CaseEventKind.SCHOOL_ATTENDANCE_ORDER, CaseEventKind.LETTER_QUEUED} <= kinds


async def test_the_notice_defaults_to_the_shortest_lawful_period(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    served = today() - timedelta(days=3)
    response = await serve(client, auth, world, served)
    assert response.status_code == 201, response.text
    assert response.json()["notice_deadline"] == (served + timedelta(days=14)).isoformat()
    # One process per parent at a time.
    assert_problem(await serve(client, auth, world, served), 409)


async def test_the_regime_is_the_one_in_force_on_the_day_of_service(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    served = today() - timedelta(days=2)
    settings = app.state.settings
    # Commenced on the day of service: the 2026 Act's process applies, not yet supported.
    app.state.settings = settings.model_copy(update={"cwsa_2026_commencement": served})
    refused = assert_problem(await serve(client, auth, world, served), 409)
    assert refused["rule"] == "cwsa_2026_commenced"
    assert "not yet supported" in str(refused["detail"])
    assert (await session.scalar(select(OutboundMessage.id).limit(1))) is None

    # Commenced the day after service: still the 1996 Act.
    later = served + timedelta(days=1)
    app.state.settings = settings.model_copy(update={"cwsa_2026_commencement": later})
    response = await serve(client, auth, world, served)
    assert response.status_code == 201, response.text
    assert response.json()["regime"] == "education_act_1996"


async def test_without_a_commencement_date_the_1996_act_applies(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    assert app.state.settings.cwsa_2026_commencement is None
    world = await sao_world(session)
    response = await serve(client, auth, world, today())
    assert response.status_code == 201, response.text
    assert response.json()["regime"] == "education_act_1996"


async def test_the_notice_is_served_on_an_sao_case_at_the_sao_notice_stage(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    # At support, school_attendance_order does not reach the case's people yet: 404.
    at_support = await sao_world(session, stage=CaseStage.SUPPORT)
    assert_problem(await serve(client, auth, at_support, today()), 404)
    # The ladder's step to sao_notice needs only the parent it will be served on.
    await move(session, at_support.case, CaseStage.SAO_NOTICE)
    assert (await serve(client, auth, at_support, today())).status_code == 201


async def test_another_teams_officer_gets_404(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    created = await serve(client, auth, world, today())
    stranger = officer_headers(auth, subject="officer-9", purpose=None, area_team="west")
    assert_problem(await client.get(orders_url(world.case), headers=stranger), 404)
    url = f"{orders_url(world.case)}/{created.json()['id']}"
    assert_problem(await client.get(url, headers=stranger), 404)
    assert (await client.get(url, headers=officer(auth))).status_code == 200
    assert (await client.get(url)).status_code == 401
    listed = await client.get(orders_url(world.case), headers=officer(auth))
    assert [o["id"] for o in listed.json()["items"]] == [created.json()["id"]]


# --- the notice of intention and the order ----------------------------------------------


async def test_the_intention_is_served_only_after_the_notice_period(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    current = await serve(client, auth, world, today())
    early = await step(
        client,
        officer(auth),
        world,
        current,
        "intention",
        {"served_on": today().isoformat(), "school_urn": CASE_URN},
    )
    assert assert_problem(early, 409)["rule"] == "sao_notice_period_over"

    other = await sao_world(session)
    served = today() - timedelta(days=20)
    order = await serve(client, auth, other, served)
    deadline = served + timedelta(days=14)
    on_deadline = await step(
        client,
        officer(auth),
        other,
        order,
        "intention",
        {"served_on": deadline.isoformat(), "school_urn": CASE_URN},
    )
    assert_problem(on_deadline, 409)
    unknown_school = await step(
        client,
        officer(auth),
        other,
        order,
        "intention",
        {"served_on": (deadline + timedelta(days=1)).isoformat(), "school_urn": 999998},
    )
    assert_problem(unknown_school, 422)
    day_after = await step(
        client,
        officer(auth),
        other,
        order,
        "intention",
        {"served_on": (deadline + timedelta(days=1)).isoformat(), "school_urn": CASE_URN},
    )
    assert day_after.status_code == 200, day_after.text
    body = day_after.json()
    assert body["status"] == "intention_served"
    # s438: 15 days beginning with the day of service to choose another school.
    assert body["intention_deadline"] == (deadline + timedelta(days=15)).isoformat()
    assert body["order_from"] == (deadline + timedelta(days=16)).isoformat()


async def test_a_stale_or_missing_if_match_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    order = await serve(client, auth, world, today() - timedelta(days=20))
    url = f"{orders_url(world.case)}/{order.json()['id']}/intention"
    body = {"served_on": today().isoformat(), "school_urn": CASE_URN}
    assert_problem(await client.post(url, json=body, headers=officer(auth)), 428)
    stale = {**officer(auth), "If-Match": '"000000000000-9"'}
    assert_problem(await client.post(url, json=body, headers=stale), 412)


async def intention_served(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    world: CaseWorld,
    intention_on: date,
) -> httpx.Response:
    """A notice served long enough ago, its intention served on ``intention_on``, and the case
    moved up to sao_intention."""
    order = await serve(client, auth, world, intention_on - timedelta(days=20))
    response = await step(
        client,
        officer(auth),
        world,
        order,
        "intention",
        {"served_on": intention_on.isoformat(), "school_urn": CASE_URN},
    )
    assert response.status_code == 200, response.text
    await move(session, world.case, CaseStage.SAO_INTENTION)
    return response


async def test_the_order_is_made_only_after_the_choice_period_and_by_a_manager(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    # The intention's 15 days (day 1 the day of service) end today: the order is refused.
    order = await intention_served(client, auth, session, world, today() - timedelta(days=14))
    made = {"made_on": today().isoformat()}
    refused = await step(client, manager(auth), world, order, "order", made)
    assert assert_problem(refused, 409)["rule"] == "sao_intention_period_over"

    other = await sao_world(session)
    order = await intention_served(client, auth, session, other, today() - timedelta(days=15))
    # An officer may not make the order: 403 naming the rule.
    by_officer = await step(client, officer(auth), other, order, "order", made)
    assert assert_problem(by_officer, 403)["policy"]["rule"] == "default.deny"  # type: ignore[index]
    response = await step(client, manager(auth), other, order, "order", made)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "order_made"
    assert body["order_school_urn"] == CASE_URN
    assert body["approved_by"] == "manager-1"
    types = set(
        await session.scalars(
            select(OutboundMessage.message_type).where(OutboundMessage.case_id == other.case.id)
        )
    )
    assert types == {"sao_notice", "sao_intention", "sao_order"}


async def test_the_order_names_the_school_the_parent_chose_in_time(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    chosen = await make_school(session, name="Chosen Academy")
    world = await sao_world(session)
    served = today() - timedelta(days=16)
    order = await intention_served(client, auth, session, world, served)
    late = {
        "made_on": today().isoformat(),
        "parent_choice": {
            "school_urn": chosen.urn,
            "chosen_on": (served + timedelta(days=15)).isoformat(),
        },
    }
    in_time = {
        "made_on": today().isoformat(),
        "parent_choice": {
            "school_urn": chosen.urn,
            "chosen_on": (served + timedelta(days=14)).isoformat(),
        },
    }
    # Validate the late choice is ignored, without making the order: compare two cases.
    response = await step(client, manager(auth), world, order, "order", in_time)
    assert response.status_code == 200, response.text
    assert response.json()["order_school_urn"] == chosen.urn
    assert response.json()["parent_chosen_school_urn"] == chosen.urn

    other = await sao_world(session)
    order = await intention_served(client, auth, session, other, served)
    response = await step(client, manager(auth), other, order, "order", late)
    assert response.status_code == 200, response.text
    assert response.json()["order_school_urn"] == CASE_URN
    assert response.json()["parent_chosen_school_urn"] is None


async def test_amendment_breach_and_revocation_follow_the_order(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    other_school = await make_school(session, name="Second Academy")
    world = await sao_world(session)
    order = await intention_served(client, auth, session, world, today() - timedelta(days=20))
    made = await step(
        client, manager(auth), world, order, "order", {"made_on": today().isoformat()}
    )
    assert made.status_code == 200, made.text
    future = {"breached_on": (today() + timedelta(days=1)).isoformat()}
    assert_problem(await step(client, officer(auth), world, order, "breach", future), 422)

    amended = await step(
        client,
        officer(auth),
        world,
        order,
        "amendment",
        {"school_urn": other_school.urn, "amended_on": today().isoformat()},
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["order_school_urn"] == other_school.urn

    breached = await step(
        client, officer(auth), world, order, "breach", {"breached_on": today().isoformat()}
    )
    assert breached.status_code == 200, breached.text
    assert breached.json()["status"] == "breached"
    # The breach opens the way to considering an education supervision order (s443, s447).
    await move(session, world.case, CaseStage.SAO_ORDER)
    await reload(session, world.case)
    world.case.eso_decision = EsoDecision.NOT_APPROPRIATE
    world.case.eso_considered_on = today()
    world.case.eso_reason = "Considered."
    world.case.eso_recorded_by = OFFICER
    await session.flush()
    await move(session, world.case, CaseStage.ESO_CONSIDERED)

    revoked = await step(
        client,
        officer(auth),
        world,
        order,
        "revocation",
        {"revoked_on": today().isoformat(), "reason": "Moved out of the county."},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    again = await step(
        client,
        officer(auth),
        world,
        order,
        "revocation",
        {"revoked_on": today().isoformat(), "reason": "Again."},
    )
    assert_problem(again, 409)


async def test_the_parent_satisfies_the_council_only_within_the_notice_period(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    served = today() - timedelta(days=20)
    order = await serve(client, auth, world, served)
    late = {"satisfied_on": (served + timedelta(days=15)).isoformat()}
    assert_problem(await step(client, officer(auth), world, order, "satisfied", late), 409)
    in_time = {"satisfied_on": (served + timedelta(days=14)).isoformat()}
    response = await step(client, officer(auth), world, order, "satisfied", in_time)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "satisfied"
    # Nothing further follows a satisfied notice.
    intention = {"served_on": today().isoformat(), "school_urn": CASE_URN}
    assert_problem(await step(client, officer(auth), world, order, "intention", intention), 409)


async def test_an_unknown_order_is_404(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await sao_world(session)
    url = f"{orders_url(world.case)}/{uuid.uuid4()}"
    assert_problem(await client.get(url, headers=officer(auth)), 404)
