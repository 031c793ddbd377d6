"""``/v1/licences``, ``/v1/chaperones`` and ``/v1/licensed-absences``: applications checked
against the rules, decisions that a blocking finding stops, revocation, chaperone capacity
across licences, the absence a school is told of, letters through the outbox, and who may
see what."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, OutboundMessage
from app.models.licences import Licence, LicenceDay, LicensedAbsence, Person
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import DataSubject
from app.rules.kent import District
from tests.case_support import make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school
from tests.licence_support import (
    licensing_headers,
    make_adult,
    make_approved_chaperone,
    make_person,
    make_production,
)

URN = 118981


def shift(weeks: str, weekday: int, starts: str, ends: str) -> dict[str, Any]:
    return {"weeks": weeks, "weekday": weekday, "starts": starts, "ends": ends}


def work_permit(child: Person, employer: Person, **block: Any) -> dict[str, Any]:
    return {
        "kind": "work_permit",
        "person_id": str(child.id),
        "received_on": "2026-11-30",
        "work_permit": {
            "employer_id": str(employer.id),
            "job": "Newspaper delivery",
            "starts_on": "2026-11-28",
            "school_starts": "08:40",
            "school_ends": "15:10",
            "shifts": [shift("term", 5, "07:30", "09:00")],
            **block,
        },
    }


def day(on: str, **fields: Any) -> dict[str, Any]:
    return {
        "on": on,
        "at_venue_from": "10:00",
        "at_venue_until": "16:00",
        "performing_minutes": 120,
        "longest_continuous_minutes": 60,
        "school_day": False,
        "absent_from_school": False,
        "tutor_minutes": 0,
        **fields,
    }


def performance(
    holder: dict[str, Any], production_id: uuid.UUID, days: list[dict[str, Any]], **block: Any
) -> dict[str, Any]:
    return {
        "kind": "performance_licence",
        **holder,
        "received_on": "2026-12-01",
        "performance": {
            "production_id": str(production_id),
            "paid": True,
            "days_performed_in_previous_six_months": 0,
            "days": days,
            **block,
        },
    }


async def apply(client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any]) -> Any:
    response = await client.post("/v1/licences", json=body, headers=licensing_headers(auth))
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/licences/{response.json()['id']}"
    return response


async def decide(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    created: httpx.Response,
    outcome: str = "granted",
    acknowledged: tuple[str, ...] = (),
) -> httpx.Response:
    return await client.post(
        f"/v1/licences/{created.json()['id']}/decision",
        json={"outcome": outcome, "reasons": "Checked.", "acknowledged": list(acknowledged)},
        headers={**licensing_headers(auth), "If-Match": created.headers["ETag"]},
    )


def rules_of(body: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in body["findings"]}


async def counts(session: AsyncSession) -> tuple[int, int, int, int]:
    rows = [
        await session.scalar(select(func.count()).select_from(model))
        for model in (Licence, LicenceDay, LicensedAbsence, OutboundMessage)
    ]
    return tuple(int(r or 0) for r in rows)  # type: ignore[return-value]


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session, urn=URN, district=District.CANTERBURY)


@pytest.fixture
async def employer(session: AsyncSession) -> Person:
    return await make_adult(
        session, forename="Pat", surname="Newsagent", email="shop@example.com", organisation="Shop"
    )


# --- work permits ---------------------------------------------------------------------------


async def test_a_lawful_paper_round_is_granted_and_the_employer_told(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session, date_of_birth=date(2013, 5, 2))
    created = await apply(client, auth, work_permit(child, employer))
    body = created.json()
    assert body["status"] == "applied"
    assert body["findings"] == []
    assert body["subject_id"] == str(child.subject_id)
    granted = await decide(client, auth, created)
    assert granted.status_code == 200, granted.text
    read = granted.json()
    assert read["status"] == "granted"
    # Ends with compulsory school age: the last Friday in June of the year the child is 16.
    assert read["expires_on"] == "2029-06-29"
    assert read["decision"]["outcome"] == "granted"
    [message] = read["messages"]
    assert message == {**message, "person_id": str(employer.id), "channel": "email"}
    queued = await session.get(OutboundMessage, uuid.UUID(message["message_id"]))
    assert queued is not None
    assert queued.message_type == "licence_decision"
    assert queued.subject_id == employer.subject_id
    assert queued.personalisation is not None
    assert queued.personalisation["licence_reference"] == read["reference"]
    # The employer's records are kept six years past the permit.
    subject = await session.get(DataSubject, employer.subject_id)
    assert subject is not None
    await session.refresh(subject)
    assert subject.retain_until == date(2035, 6, 29)


@pytest.mark.parametrize(
    ("born", "refused"),
    [(date(2013, 11, 29), True), (date(2013, 11, 28), False)],
    ids=["12y364d", "13-on-start"],
)
async def test_minimum_age_13_on_the_start_date_blocks_a_grant(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    employer: Person,
    born: date,
    refused: bool,
) -> None:
    child = await make_person(session, date_of_birth=born)
    created = await apply(client, auth, work_permit(child, employer))
    assert ("employment.minimum_age" in rules_of(created.json())) is refused
    before = await counts(session)
    answer = await decide(client, auth, created)
    if refused:
        problem = assert_problem(answer, 409)
        assert "employment.minimum_age" in str(problem["detail"])
        assert [f["rule"] for f in problem["findings"]] == ["employment.minimum_age"]  # type: ignore[index]
        assert await counts(session) == before
        stored = await session.get(Licence, uuid.UUID(created.json()["id"]))
        assert stored is not None
        await session.refresh(stored)
        assert stored.status.value == "applied"
    else:
        assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("ends", "late"), [("19:00", False), ("19:01", True)])
async def test_no_work_after_19_00(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    employer: Person,
    ends: str,
    late: bool,
) -> None:
    child = await make_person(session)
    body = work_permit(child, employer, shifts=[shift("term", 5, "17:30", ends)])
    created = await apply(client, auth, body)
    assert ("employment.latest_finish" in rules_of(created.json())) is late


@pytest.mark.parametrize(("ends", "over"), [("18:00", False), ("18:30", True)])
async def test_twelve_hours_in_a_term_week_and_not_twelve_and_a_half(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    employer: Person,
    ends: str,
    over: bool,
) -> None:
    child = await make_person(session)
    # Monday to Friday 16:00-18:00 (10 h), Saturday 16:00-18:00 or 18:30.
    shifts = [shift("term", d, "16:00", "18:00") for d in range(5)]
    shifts.append(shift("term", 5, "16:00", ends))
    created = await apply(client, auth, work_permit(child, employer, shifts=shifts))
    assert ("employment.term_week_hours" in rules_of(created.json())) is over


@pytest.mark.parametrize(
    ("shifts", "code", "pointer"),
    [
        ([shift("term", 5, "09:00", "08:00")], "past_midnight_or_reversed", "/shifts/0"),
        (
            [shift("term", 5, "07:00", "09:00"), shift("term", 5, "08:30", "10:00")],
            "overlaps",
            "/shifts/1",
        ),
    ],
    ids=["reversed", "overlapping"],
)
async def test_reversed_or_overlapping_times_are_422s_and_write_nothing(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    employer: Person,
    shifts: list[dict[str, Any]],
    code: str,
    pointer: str,
) -> None:
    child = await make_person(session)
    before = await counts(session)
    response = await client.post(
        "/v1/licences",
        json=work_permit(child, employer, shifts=shifts),
        headers=licensing_headers(auth),
    )
    problem = assert_problem(response, 422)
    errors = problem["errors"]
    assert isinstance(errors, list)
    assert any(e["code"] == code and e["pointer"] == "/work_permit" + pointer for e in errors)
    assert await counts(session) == before


async def test_unknown_employer_or_holder_is_a_422(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    body = work_permit(child, employer)
    body["work_permit"]["employer_id"] = str(uuid.uuid4())
    problem = assert_problem(
        await client.post("/v1/licences", json=body, headers=licensing_headers(auth)), 422
    )
    assert problem["errors"][0]["pointer"] == "/work_permit/employer_id"  # type: ignore[index]
    # An adult cannot hold a work permit; a child cannot employ.
    body = work_permit(employer, child)
    problem = assert_problem(
        await client.post("/v1/licences", json=body, headers=licensing_headers(auth)), 422
    )
    assert problem["errors"][0]["pointer"] == "/person_id"  # type: ignore[index]


async def test_an_amendment_resolves_a_blocking_finding_and_needs_if_match(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    created = await apply(
        client, auth, work_permit(child, employer, shifts=[shift("term", 5, "17:30", "19:30")])
    )
    assert "employment.latest_finish" in rules_of(created.json())
    url = f"/v1/licences/{created.json()['id']}"
    block = {**work_permit(child, employer)["work_permit"]}
    missing = await client.patch(url, json={"work_permit": block}, headers=licensing_headers(auth))
    assert_problem(missing, 428)
    stale = await client.patch(
        url,
        json={"work_permit": block},
        headers={**licensing_headers(auth), "If-Match": '"stale"'},
    )
    assert_problem(stale, 412)
    amended = await client.patch(
        url,
        json={"work_permit": block},
        headers={**licensing_headers(auth), "If-Match": created.headers["ETag"]},
    )
    assert amended.status_code == 200, amended.text
    assert amended.json()["findings"] == []
    assert amended.headers["ETag"] != created.headers["ETag"]
    granted = await decide(client, auth, amended)
    assert granted.status_code == 200, granted.text
    # Decided: no more amendments, no second decision.
    again = await decide(client, auth, granted)
    assert_problem(again, 409)
    late = await client.patch(
        url,
        json={"received_on": "2026-11-29"},
        headers={**licensing_headers(auth), "If-Match": granted.headers["ETag"]},
    )
    assert_problem(late, 409)


# --- performance licences --------------------------------------------------------------------


async def test_a_performance_for_a_pupil_gives_the_school_a_c1_absence(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
) -> None:
    pupil = await make_pupil(
        session, school=school, legal_surname="Performer", date_of_birth=date(2015, 3, 3)
    )
    parent = await make_adult(session, forename="Jo", surname="Parent", email="jo@example.com")
    producer = await make_adult(session, surname="Producer", email="producer@example.com")
    production = await make_production(session, producer)
    chaperone = await make_approved_chaperone(
        session, approved_on=date(2026, 1, 5), expires_on=date(2029, 1, 4)
    )
    holder = {
        "pupil": {"upn": pupil.upn, "legal_surname": "performer", "date_of_birth": "2015-03-03"},
        "parent_id": str(parent.id),
    }
    days = [
        day("2027-01-08", school_day=True, absent_from_school=True, tutor_minutes=180),
        day("2027-01-09"),
    ]
    body = performance(holder, production.id, days, chaperone_id=str(chaperone.id))
    created = await apply(client, auth, body)
    read = created.json()
    assert read["pupil_id"] == str(pupil.id)
    assert read["school_urn"] == URN
    assert read["licence_need"]["needed"] is True
    assert read["findings"] == []
    granted = await decide(client, auth, created)
    assert granted.status_code == 200, granted.text
    absence = granted.json()["absence"]
    assert absence["attendance_code"] == "C1"
    assert absence["days"] == ["2027-01-08"]
    assert {m["person_id"] for m in granted.json()["messages"]} == {
        str(parent.id),
        str(producer.id),
    }
    # The school sees the absence for its pupil, and nothing of the licence itself.
    school_headers = auth(
        "school_staff", subject="staff-1", school_urns=(URN,), purpose="attendance_duty"
    )
    listed = await client.get("/v1/licensed-absences", headers=school_headers)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["pupil_id"] == str(pupil.id)
    assert item["licence_reference"] == granted.json()["reference"]
    other_school = auth(
        "school_staff", subject="staff-2", school_urns=(URN + 1,), purpose="attendance_duty"
    )
    assert (await client.get("/v1/licensed-absences", headers=other_school)).json()["items"] == []
    refused = await client.get(f"/v1/licences/{read['id']}", headers=school_headers)
    assert refused.status_code in {403, 404}
    # Revocation cancels the school's absence and tells the people on the licence.
    revoked = await client.post(
        f"/v1/licences/{read['id']}/revocation",
        json={"ground": "conditions_breached", "reasons": "The schedule was not kept."},
        headers={**licensing_headers(auth), "If-Match": granted.headers["ETag"]},
    )
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert revoked.json()["absence"]["cancelled_at"] is not None
    assert (await client.get("/v1/licensed-absences", headers=school_headers)).json()["items"] == []
    again = await client.post(
        f"/v1/licences/{read['id']}/revocation",
        json={"ground": "other", "reasons": "Twice."},
        headers={**licensing_headers(auth), "If-Match": revoked.headers["ETag"]},
    )
    assert_problem(again, 409)


async def test_a_pupil_is_matched_only_by_upn_surname_and_birth_date_together(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
) -> None:
    pupil = await make_pupil(session, school=school, legal_surname="Performer")
    producer = await make_adult(session)
    production = await make_production(session, producer)
    for holder in (
        {"upn": pupil.upn, "legal_surname": "Someone", "date_of_birth": "2014-05-17"},
        {"upn": pupil.upn, "legal_surname": "Performer", "date_of_birth": "2014-05-18"},
    ):
        response = await client.post(
            "/v1/licences",
            json=performance({"pupil": holder}, production.id, [day("2027-01-09")]),
            headers=licensing_headers(auth),
        )
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["code"] == "no_matching_pupil"  # type: ignore[index]


@pytest.mark.parametrize(("days_before", "late"), [(21, False), (20, True)])
async def test_an_application_21_days_before_is_on_time_and_20_is_flagged(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    days_before: int,
    late: bool,
) -> None:
    child = await make_person(session)
    producer = await make_adult(session)
    production = await make_production(session, producer)
    today = date.today()
    first = (today + timedelta(days=days_before)).isoformat()
    body = performance({"person_id": str(child.id)}, production.id, [day(first)])
    body["received_on"] = today.isoformat()
    created = await apply(client, auth, body)
    assert ("performance.late_application" in rules_of(created.json())) is late
    if late:
        # Flagged for the decision, not refused: a grant must acknowledge it.
        unacknowledged = await decide(client, auth, created)
        problem = assert_problem(unacknowledged, 409)
        assert "performance.late_application" in problem["unacknowledged"]  # type: ignore[operator]
        acknowledged = await decide(
            client,
            auth,
            created,
            acknowledged=tuple(
                f["rule"] for f in created.json()["findings"] if f["severity"] == "warning"
            ),
        )
        assert acknowledged.status_code == 200, acknowledged.text


async def test_a_schedule_past_midnight_and_an_unknown_production_are_422s(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    child = await make_person(session)
    producer = await make_adult(session)
    production = await make_production(session, producer)
    holder = {"person_id": str(child.id)}
    past_midnight = performance(
        holder, production.id, [day("2027-01-09", at_venue_from="18:00", at_venue_until="01:00")]
    )
    problem = assert_problem(
        await client.post("/v1/licences", json=past_midnight, headers=licensing_headers(auth)), 422
    )
    assert problem["errors"][0]["pointer"] == "/performance/days/0"  # type: ignore[index]
    unknown = performance(holder, uuid.uuid4(), [day("2027-01-09")])
    problem = assert_problem(
        await client.post("/v1/licences", json=unknown, headers=licensing_headers(auth)), 422
    )
    assert problem["errors"][0]["pointer"] == "/performance/production_id"  # type: ignore[index]


@pytest.mark.parametrize(("children", "over"), [(12, False), (13, True)])
async def test_a_chaperone_with_12_children_is_at_capacity_and_13_blocks_the_grant(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    children: int,
    over: bool,
) -> None:
    producer = await make_adult(session)
    production = await make_production(session, producer)
    chaperone = await make_approved_chaperone(
        session, approved_on=date(2026, 1, 5), expires_on=date(2029, 1, 4)
    )
    last: httpx.Response | None = None
    for n in range(children):
        child = await make_person(session, forename=f"Child{n}")
        # Overlapping periods on the same day: 10:00-16:00 and, for every other child,
        # 15:00-18:00.
        times = (
            {"at_venue_from": "10:00", "at_venue_until": "16:00"}
            if n % 2
            else {"at_venue_from": "15:00", "at_venue_until": "18:00"}
        )
        body = performance(
            {"person_id": str(child.id)},
            production.id,
            [day("2027-01-09", **times)],
            chaperone_id=str(chaperone.id),
        )
        last = await apply(client, auth, body)
    assert last is not None
    assert ("performance.chaperone_capacity" in rules_of(last.json())) is over
    answer = await decide(client, auth, last)
    assert (answer.status_code == 409) is over


async def test_an_expired_chaperone_approval_blocks_a_grant(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    child = await make_person(session)
    producer = await make_adult(session)
    production = await make_production(session, producer)
    chaperone = await make_approved_chaperone(
        session, approved_on=date(2024, 1, 5), expires_on=date(2027, 1, 4)
    )
    body = performance(
        {"person_id": str(child.id)},
        production.id,
        [day("2027-01-09")],
        chaperone_id=str(chaperone.id),
    )
    created = await apply(client, auth, body)
    assert "performance.chaperone_not_approved" in rules_of(created.json())


# --- chaperone approvals -------------------------------------------------------------------


async def test_a_chaperone_approval_runs_three_years_and_lists_for_reminders(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    today = date.today()
    adult = await make_adult(session, forename="Val", surname="Chaperone", email="v@example.com")
    body = {
        "kind": "chaperone_approval",
        "person_id": str(adult.id),
        "received_on": today.isoformat(),
        "chaperone": {
            "dbs_certificate_number": "001234567890",
            "dbs_issued_on": (today - timedelta(days=10)).isoformat(),
            "update_service_checked_on": today.isoformat(),
            "references_received": 2,
            "training_completed_on": (today - timedelta(days=30)).isoformat(),
        },
    }
    created = await apply(client, auth, body)
    assert created.json()["findings"] == [], created.json()["findings"]
    granted = await decide(client, auth, created)
    assert granted.status_code == 200, granted.text
    expires = date.fromisoformat(granted.json()["expires_on"])
    assert today.replace(year=today.year + 3) - timedelta(days=1) <= expires
    assert expires <= today.replace(year=today.year + 3)
    assert granted.json()["messages"][0]["person_id"] == str(adult.id)
    listed = await client.get(
        "/v1/chaperones",
        params={"expiring_before": (expires + timedelta(days=1)).isoformat()},
        headers=licensing_headers(auth),
    )
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert item["person_id"] == str(adult.id)
    assert item["status"] == "granted"
    none_yet = await client.get(
        "/v1/chaperones",
        params={"expiring_before": expires.isoformat()},
        headers=licensing_headers(auth),
    )
    assert none_yet.json()["items"] == []


async def test_a_chaperone_with_one_reference_is_refused_a_grant(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    today = date.today()
    adult = await make_adult(session)
    body = {
        "kind": "chaperone_approval",
        "person_id": str(adult.id),
        "received_on": today.isoformat(),
        "chaperone": {
            "dbs_certificate_number": "001234567890",
            "update_service_checked_on": today.isoformat(),
            "references_received": 1,
            "training_completed_on": today.isoformat(),
        },
    }
    created = await apply(client, auth, body)
    assert "chaperone.references" in rules_of(created.json())
    assert_problem(await decide(client, auth, created), 409)
    refused = await decide(client, auth, created, outcome="refused")
    assert refused.status_code == 200, refused.text
    assert refused.json()["status"] == "refused"


# --- need to know --------------------------------------------------------------------------


async def test_attendance_staff_see_no_licence_and_governance_reads_under_a_governance_purpose(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    body = work_permit(child, employer)
    body["health_needs"] = "Asthma: carries an inhaler."
    created = await apply(client, auth, body)
    licence_id = created.json()["id"]
    assert created.json()["health_needs"] == "Asthma: carries an inhaler."
    for headers in (
        auth("attendance_officer", subject="officer-1", area_teams=("east",)),
        auth("attendance_manager", subject="manager-1", area_teams=("east",)),
        auth("school_staff", school_urns=(URN,)),
        auth("admin"),
    ):
        listed = await client.get("/v1/licences", headers=headers)
        assert listed.status_code in {400, 403}, listed.text
        read = await client.get(f"/v1/licences/{licence_id}", headers=headers)
        assert read.status_code in {400, 403, 404}, read.text
    governance = auth("information_governance", purpose="subject_rights")
    read = await client.get(f"/v1/licences/{licence_id}", headers=governance)
    assert read.status_code == 200, read.text
    assert read.json()["health_needs"] == "Asthma: carries an inhaler."
    write = await client.post(
        f"/v1/licences/{licence_id}/decision",
        json={"outcome": "refused", "reasons": "No."},
        headers={**governance, "If-Match": created.headers["ETag"]},
    )
    assert write.status_code == 403


async def test_an_officer_sees_a_licensed_absence_only_through_a_case(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
) -> None:
    pupil = await make_pupil(session, school=school)
    producer = await make_adult(session)
    production = await make_production(session, producer)
    holder = {
        "pupil": {
            "upn": pupil.upn,
            "legal_surname": pupil.legal_surname,
            "date_of_birth": pupil.date_of_birth.isoformat(),
        }
    }
    days = [day("2027-01-08", school_day=True, absent_from_school=True, tutor_minutes=180)]
    created = await apply(client, auth, performance(holder, production.id, days))
    warnings = tuple(f["rule"] for f in created.json()["findings"])
    granted = await decide(client, auth, created, acknowledged=warnings)
    assert granted.status_code == 200, granted.text
    officer = officer_headers(auth)
    assert (await client.get("/v1/licensed-absences", headers=officer)).json()["items"] == []
    await make_case(session, school=school, pupil=pupil)
    [item] = (await client.get("/v1/licensed-absences", headers=officer)).json()["items"]
    assert item["pupil_id"] == str(pupil.id)


async def test_a_restricted_holder_is_hidden_from_licensing_lists(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    created = await apply(client, auth, work_permit(child, employer))
    subject = await session.get(DataSubject, child.subject_id)
    assert subject is not None
    from app.models.base import utcnow

    subject.restricted_since = utcnow()
    await session.flush()
    listed = await client.get("/v1/licences", headers=licensing_headers(auth))
    assert created.json()["id"] not in {i["id"] for i in listed.json()["items"]}
    read = await client.get(f"/v1/licences/{created.json()['id']}", headers=licensing_headers(auth))
    assert read.status_code == 404


async def test_reads_record_whose_data_they_returned(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    created = await apply(client, auth, work_permit(child, employer))
    await client.get("/v1/licences", headers=licensing_headers(auth))
    events = await session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.resource_type == "licence")
    )
    assert events
    from app.models import AuditEventSubject

    touched = await session.scalar(
        select(func.count(AuditEventSubject.event_id)).where(
            AuditEventSubject.subject_id == child.subject_id
        )
    )
    assert touched and touched >= 2
    assert created.json()["subject_id"] == str(child.subject_id)


async def test_filters_by_kind_status_and_employer(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, employer: Person
) -> None:
    child = await make_person(session)
    created = await apply(client, auth, work_permit(child, employer))
    other = await make_adult(session, surname="Other")
    await apply(client, auth, work_permit(await make_person(session), other))
    headers = licensing_headers(auth)
    by_employer = await client.get(
        "/v1/licences", params={"employer_id": str(employer.id)}, headers=headers
    )
    assert [i["id"] for i in by_employer.json()["items"]] == [created.json()["id"]]
    applied = await client.get("/v1/licences", params={"status": "applied"}, headers=headers)
    assert len(applied.json()["items"]) == 2
    granted = await client.get("/v1/licences", params={"status": "granted"}, headers=headers)
    assert granted.json()["items"] == []
    wrong = await client.get("/v1/licences", params={"status": "lost"}, headers=headers)
    assert_problem(wrong, 422)
    _ = Pupil
