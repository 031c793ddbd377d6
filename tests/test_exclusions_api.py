"""``/v1/exclusions``: schools report suspensions and permanent exclusions; the service keeps
the 45-day cap, the governing board's duties and the sixth-day education dates, counted in
school days on Kent's term pattern (2025-26: term 1 ends Friday 17 October, term 2 starts
Monday 27 October)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.cases import CaseEvent, CaseEventKind, CaseStage, CaseType
from app.models.exclusions import Exclusion
from app.models.people import Pupil
from app.models.schools import School
from app.rules.kent import District
from tests.case_support import OFFICER, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school

URN = 118971
OTHER_URN = 118972
STAFF = "staff-1"


def staff(auth: AuthHeaders, urn: int = URN, subject: str = STAFF) -> dict[str, str]:
    return auth("school_staff", subject=subject, school_urns=(urn,), purpose="exclusion_support")


def suspension(
    pupil: Pupil, starts_on: str, days: int, *, notified_on: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "pupil_id": str(pupil.id),
        "school_urn": URN,
        "kind": "suspension",
        "starts_on": starts_on,
        "school_days": days,
        "notified_on": notified_on or starts_on,
        "reasons": ["VA"],
        **extra,
    }


def permanent(pupil: Pupil, starts_on: str, **extra: Any) -> dict[str, Any]:
    return {
        "pupil_id": str(pupil.id),
        "school_urn": URN,
        "kind": "permanent",
        "starts_on": starts_on,
        "notified_on": starts_on,
        "reasons": ["PA", "OW"],
        **extra,
    }


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session, urn=URN, district=District.THANET)


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school)


async def report(client: httpx.AsyncClient, auth: AuthHeaders, sent: dict[str, Any]) -> Any:
    response = await client.post("/v1/exclusions", json=sent, headers=staff(auth))
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/exclusions/{response.json()['id']}"
    return response.json()


async def written(session: AsyncSession) -> tuple[int, int, int]:
    """Exclusions, chronology entries and change events: what a report writes."""
    exclusions = await session.scalar(select(func.count(Exclusion.id)))
    events = await session.scalar(select(func.count(CaseEvent.id)))
    changes = await session.scalar(
        select(func.count(AuditEvent.id)).where(AuditEvent.kind == "change")
    )
    return int(exclusions or 0), int(events or 0), int(changes or 0)


async def test_the_45_day_cap_allows_45_and_refuses_46_writing_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
) -> None:
    await report(client, auth, suspension(pupil, "2025-09-01", 15))
    await report(client, auth, suspension(pupil, "2025-11-03", 15))
    at_cap = await report(client, auth, suspension(pupil, "2026-01-05", 15))
    assert at_cap["suspension_days"]["school_year"] == "2025-26"
    assert at_cap["suspension_days"]["school_year_days"] == 45
    assert at_cap["suspension_days"]["school_year_days_remaining"] == 0
    before = await written(session)
    refused = await client.post(
        "/v1/exclusions", json=suspension(pupil, "2026-03-02", 1), headers=staff(auth)
    )
    problem = assert_problem(refused, 409)
    assert problem["rule"] == "suspension_cap"
    assert "(SI 2012/1033) reg 4" in str(problem["source"])
    assert "46" in str(problem["detail"])
    assert await written(session) == before
    # The next school year starts afresh.
    fresh = await report(client, auth, suspension(pupil, "2026-09-07", 1))
    assert fresh["suspension_days"]["school_year_days"] == 1


async def test_the_cap_counts_at_this_school_and_leaves_withdrawn_suspensions_out(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
) -> None:
    first = await report(client, auth, suspension(pupil, "2025-09-01", 15))
    await report(client, auth, suspension(pupil, "2025-11-03", 15))
    await report(client, auth, suspension(pupil, "2026-01-05", 15))
    # The first is withdrawn: its 15 days no longer count.
    read = await client.get(f"/v1/exclusions/{first['id']}", headers=staff(auth))
    withdrawn = await client.patch(
        f"/v1/exclusions/{first['id']}",
        json={"withdrawn_on": "2025-09-02"},
        headers={**staff(auth), "If-Match": read.headers["ETag"]},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["governing_board"] is None
    after = await report(client, auth, suspension(pupil, "2026-03-02", 15))
    assert after["suspension_days"]["school_year_days"] == 45


@pytest.mark.parametrize(
    ("extra", "days", "case", "within", "deadline"),
    [
        # Five days or fewer in the term: no duty to meet.
        ({}, 5, "none_required", None, None),
        # Six to fifteen: only if the parents make representations, then within 50 days.
        ({}, 6, "none_required", None, None),
        (
            {"parents_representations_on": "2025-11-10"},
            6,
            "over_5_days_on_representations",
            50,
            "2026-01-30",
        ),
        (
            {"parents_representations_on": "2025-11-10"},
            15,
            "over_5_days_on_representations",
            50,
            "2026-01-30",
        ),
        # Over fifteen in the term: within 15 school days, representations or not.
        ({}, 16, "over_15_days_in_term", 15, "2025-11-28"),
        # A public exam missed: within 15 school days however short.
        ({"public_exam_missed": True}, 2, "public_exam_missed", 15, "2025-11-28"),
    ],
)
async def test_the_governing_boards_duty_and_deadline(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    pupil: Pupil,
    extra: dict[str, Any],
    days: int,
    case: str,
    within: int | None,
    deadline: str | None,
) -> None:
    # Notified on Friday 7 November 2025: the 15th school day after is Friday 28 November;
    # the 50th, over the Christmas holiday, Friday 30 January 2026.
    sent = suspension(pupil, "2025-11-10", days, notified_on="2025-11-07", **extra)
    board = (await report(client, auth, sent))["governing_board"]
    assert board == {
        "required": within is not None,
        "case": case,
        "within_school_days": within,
        "deadline": deadline,
    }


async def test_the_boards_duty_counts_the_terms_earlier_suspensions(
    client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
) -> None:
    await report(client, auth, suspension(pupil, "2025-11-03", 10))
    second = await report(
        client, auth, suspension(pupil, "2025-11-24", 6, notified_on="2025-11-07")
    )
    assert second["suspension_days"]["term"] == "2025-26 Term 2"
    assert second["suspension_days"]["term_days"] == 16
    assert second["governing_board"]["case"] == "over_15_days_in_term"
    assert second["governing_board"]["deadline"] == "2025-11-28"


async def test_a_permanent_exclusion_is_reviewed_within_15_days_and_the_council_educates(
    client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
) -> None:
    # Tuesday 14 October 2025: four school days before half term, then 27 and 28 October.
    excluded = await report(client, auth, permanent(pupil, "2025-10-14"))
    assert excluded["school_days"] is None
    assert excluded["governing_board"]["case"] == "permanent_exclusion"
    assert excluded["governing_board"]["within_school_days"] == 15
    assert excluded["sixth_day_education"] == {
        "from_date": "2025-10-28",
        "duty_holder": "local_authority",
    }


@pytest.mark.parametrize(
    ("starts_on", "days", "sixth"),
    [
        # Five days or fewer: no sixth day.
        ("2025-10-08", 5, None),
        # Wednesday 8 October for six days: over a weekend to Wednesday 15 October.
        ("2025-10-08", 6, "2025-10-15"),
        # Monday 13 October for six days: the half-term week is not counted.
        ("2025-10-13", 6, "2025-10-27"),
    ],
)
async def test_the_schools_sixth_day_duty_skips_weekends_and_half_term(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    pupil: Pupil,
    starts_on: str,
    days: int,
    sixth: str | None,
) -> None:
    suspended = await report(client, auth, suspension(pupil, starts_on, days))
    expected = None if sixth is None else {"from_date": sixth, "duty_holder": "school"}
    assert suspended["sixth_day_education"] == expected


async def test_back_to_back_suspensions_count_as_one_for_the_sixth_day(
    client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
) -> None:
    # Monday 6 to Thursday 9 October, then Friday 10 to Tuesday 14 October: consecutive.
    await report(client, auth, suspension(pupil, "2025-10-06", 4))
    second = await report(client, auth, suspension(pupil, "2025-10-10", 3))
    assert second["sixth_day_education"] == {"from_date": "2025-10-13", "duty_holder": "school"}


async def test_a_start_that_is_not_a_school_day_or_an_unknown_reason_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
) -> None:
    before = await written(session)
    saturday = await client.post(
        "/v1/exclusions", json=suspension(pupil, "2025-10-11", 2), headers=staff(auth)
    )
    problem = assert_problem(saturday, 422)
    errors: Any = problem["errors"]
    assert errors[0]["code"] == "not_a_school_day"
    unknown = suspension(pupil, "2025-10-08", 2, reasons=["OT"])
    assert_problem(await client.post("/v1/exclusions", json=unknown, headers=staff(auth)), 422)
    no_days = {**permanent(pupil, "2025-10-08"), "kind": "suspension"}
    assert_problem(await client.post("/v1/exclusions", json=no_days, headers=staff(auth)), 422)
    assert await written(session) == before


async def test_a_pupil_not_on_the_schools_roll_is_refused_and_nothing_written(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
) -> None:
    other = await make_school(session, urn=OTHER_URN, district=District.THANET)
    elsewhere = await make_pupil(session, school=other)
    before = await written(session)
    details = set()
    for pupil_id in (elsewhere.id, uuid.uuid4()):
        sent = {**suspension(elsewhere, "2025-10-08", 2), "pupil_id": str(pupil_id)}
        problem = assert_problem(
            await client.post("/v1/exclusions", json=sent, headers=staff(auth)), 422
        )
        details.add(problem["detail"])
    assert len(details) == 1
    assert await written(session) == before


async def test_another_schools_staff_get_404(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
) -> None:
    await make_school(session, urn=OTHER_URN, district=District.THANET)
    reported = await report(client, auth, suspension(pupil, "2025-10-08", 2))
    other = staff(auth, urn=OTHER_URN, subject="staff-other")
    assert_problem(await client.get(f"/v1/exclusions/{reported['id']}", headers=other), 404)
    listed = await client.get("/v1/exclusions", headers=other)
    assert listed.json()["items"] == []
    mine = await client.get(
        "/v1/exclusions", params={"pupil_id": str(pupil.id)}, headers=staff(auth)
    )
    assert [e["id"] for e in mine.json()["items"]] == [reported["id"]]


async def test_officers_see_an_exclusion_only_through_a_case_about_the_pupil(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    pupil: Pupil,
) -> None:
    reported = await report(client, auth, suspension(pupil, "2025-10-08", 2))
    officer = officer_headers(auth, purpose="exclusion_support")
    assert_problem(await client.get(f"/v1/exclusions/{reported['id']}", headers=officer), 404)
    assert (await client.get("/v1/exclusions", headers=officer)).json()["items"] == []
    await make_case(
        session,
        school=school,
        pupil=pupil,
        case_type=CaseType.EXCLUSION_SUPPORT,
        stage=CaseStage.SUPPORT,
        officer=OFFICER,
    )
    seen = await client.get(f"/v1/exclusions/{reported['id']}", headers=officer)
    assert seen.status_code == 200, seen.text
    # Managers see their area team's; another team's manager does not.
    east = auth("attendance_manager", area_teams=("east",), purpose="exclusion_support")
    west = auth("attendance_manager", area_teams=("west",), purpose="exclusion_support")
    assert (await client.get(f"/v1/exclusions/{reported['id']}", headers=east)).status_code == 200
    assert_problem(await client.get(f"/v1/exclusions/{reported['id']}", headers=west), 404)


async def test_a_report_joins_the_pupils_open_exclusion_support_case(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    pupil: Pupil,
) -> None:
    world = await make_case(
        session, school=school, pupil=pupil, case_type=CaseType.EXCLUSION_SUPPORT
    )
    reported = await report(client, auth, suspension(pupil, "2025-10-08", 2))
    exclusion = await session.get(Exclusion, uuid.UUID(reported["id"]))
    assert exclusion is not None
    await session.refresh(exclusion)
    assert exclusion.case_id == world.case.id
    event = await session.scalar(
        select(CaseEvent).where(
            CaseEvent.case_id == world.case.id,
            CaseEvent.kind == CaseEventKind.EXCLUSION_REPORTED,
        )
    )
    assert event is not None
    assert event.recorded_by == STAFF
    assert event.text is None
    assert event.details["exclusion_id"] == reported["id"]
    assert event.details["school_days"] == 2
    # The school's answer does not reveal the council's case.
    assert "case_id" not in reported


async def test_recording_the_boards_decision_needs_the_current_etag(
    client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
) -> None:
    reported = await report(client, auth, permanent(pupil, "2025-10-14"))
    url = f"/v1/exclusions/{reported['id']}"
    decision = {"board_decision": "not_reinstated", "board_considered_on": "2025-11-03"}
    assert_problem(await client.patch(url, json=decision, headers=staff(auth)), 428)
    stale = {**staff(auth), "If-Match": '"0000-9"'}
    assert_problem(await client.patch(url, json=decision, headers=stale), 412)
    etag = (await client.get(url, headers=staff(auth))).headers["ETag"]
    changed = await client.patch(url, json=decision, headers={**staff(auth), "If-Match": etag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["board_decision"] == "not_reinstated"
    assert changed.json()["board_considered_on"] == "2025-11-03"
    assert changed.headers["ETag"] != etag
    half = {"board_decision": "reinstated"}
    again = {**staff(auth), "If-Match": changed.headers["ETag"]}
    assert_problem(await client.patch(url, json=half, headers=again), 422)
    # Only the reporting school's staff record decisions.
    manager = auth("attendance_manager", area_teams=("east",), purpose="exclusion_support")
    refused = await client.patch(url, json=decision, headers={**manager, "If-Match": "*"})
    assert_problem(refused, 403)
