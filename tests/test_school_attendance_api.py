"""``GET /v1/schools/{urn}/attendance/summary``: a school's figures and its persistent and
severe absentees for a period, who may read them, and who is left out of them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AttendancePupilWeek,
    AttendanceStaleWeek,
    DataCategory,
    DataSubject,
    Pupil,
    Recipient,
    School,
)
from app.models.people import Enrolment
from app.policies.registry import PURPOSE_BITS, Purpose
from app.rules.kent import District
from app.services.attendance_recompute import recompute
from tests.attendance_support import every_session, school_days, write_marks
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_pupil, make_recipient, make_school
from tests.test_attendance_figures import PERIOD, give_marks, manager
from tests.test_pupil_attendance_api import (
    INSPECTOR,
    assert_problem,
    disclosure_of,
    disclosures,
    inspection_grant,
    refused_by,
    subjects_of,
)


def path(urn: int) -> str:
    return f"/v1/schools/{urn}/attendance/summary"


class Scene:
    """Seaview (east) and Weald (west), with pupils whose absence is known."""

    east: School
    west: School
    full: Pupil  # never absent
    persistent: Pupil  # 20% absent
    severe: Pupil  # 60%
    severest: Pupil  # 80%
    left: Pupil  # 50%, off Seaview's roll since, still counted
    closures: Pupil  # only sessions that are not possible sessions
    restricted: Pupil  # 100%, but restricted: left out
    not_collected: Pupil  # 100%, not collected for the attendance duty: left out
    elsewhere: Pupil  # marks at Weald only
    outside: Pupil  # marks at Seaview outside the period only


@pytest.fixture
async def scene(session: AsyncSession) -> Scene:
    s = Scene()
    s.east = await make_school(session, district=District.THANET, name="Seaview Primary School")
    s.west = await make_school(session, district=District.MAIDSTONE, name="Weald Primary School")

    async def pupil_with(codes: list[str], school: School | None = None, **fields: Any) -> Pupil:
        school = school or s.east
        pupil = await make_pupil(session, school=school, **fields)
        await give_marks(session, pupil, school, codes)
        return pupil

    s.full = await pupil_with(["/"] * 10, legal_forename="Ada", legal_surname="Full")
    s.persistent = await pupil_with(
        ["/"] * 8 + ["N", "G"], legal_forename="Bea", legal_surname="Part", preferred_forename="B"
    )
    s.severe = await pupil_with(["/"] * 4 + ["I"] * 6, legal_forename="Cy", legal_surname="Sev")
    s.severest = await pupil_with(["/"] * 2 + ["O"] * 8, legal_forename="Di", legal_surname="Most")
    s.left = await pupil_with(
        ["/"] * 5 + ["U"] * 5 + ["D"] * 4,
        legal_forename="Ed",
        legal_surname="Gone",
        off_roll_on=date(2026, 1, 5),
    )
    s.closures = await pupil_with(["#"] * 4 + ["Y1"] * 2)
    s.restricted = await pupil_with(["N"] * 10)
    subject = await session.get(DataSubject, s.restricted.subject_id)
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    s.not_collected = await pupil_with(["N"] * 10)
    s.not_collected.purposes_mask = PURPOSE_BITS[Purpose.CHILD_EMPLOYMENT_LICENSING]
    s.elsewhere = await pupil_with(["N"] * 10, school=s.west)
    s.outside = await make_pupil(session, school=s.east)
    await give_marks(session, s.outside, s.east, ["N"] * 10, start=date(2025, 7, 14))
    await session.flush()
    return s


async def summary(
    client: httpx.AsyncClient, headers: dict[str, str], urn: int, **params: str
) -> dict[str, Any]:
    response = await client.get(path(urn), params={**PERIOD, **params}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["pupil"]["id"] for entry in entries]


class TestSummary:
    async def test_totals_and_lists_count_the_pupils_the_purpose_may_process(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        body = await summary(client, manager(auth), scene.east.urn)
        assert body["school"] == {"urn": scene.east.urn, "name": "Seaview Primary School"}
        assert (body["from"], body["to"]) == (PERIOD["from"], PERIOD["to"])
        # full, persistent, severe, severest and left; not closures (no possible session).
        assert body["pupils_with_marks"] == 5
        figures = body["figures"]
        assert {k: figures[k] for k in ("possible_sessions", "present", "authorised")} == {
            "possible_sessions": 50,
            "present": 29,
            "authorised": 6,
        }
        assert figures["unauthorised"] == 15  # N, G, 8 O, 5 U
        assert (figures["attendance_percent"], figures["absence_percent"]) == (58.0, 42.0)
        assert figures["persistent_absence"] is True
        assert ids(body["persistent_absentees"]) == [
            str(p.id) for p in (scene.severest, scene.severe, scene.left, scene.persistent)
        ]
        assert ids(body["severe_absentees"]) == [
            str(p.id) for p in (scene.severest, scene.severe, scene.left)
        ]
        persistent = body["persistent_absentees"][-1]
        assert persistent["pupil"]["name"] == "B Part"  # the name the pupil is known by
        assert persistent["figures"]["absence_percent"] == 20.0
        assert persistent["figures"]["unauthorised"] == 2
        assert body["severe_absentees"][0]["figures"]["attendance_percent"] == 20.0

    async def test_the_period_bounds_what_is_counted(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        # 1 to 3 September 2025: the first six sessions of each pupil's marks.
        body = await summary(
            client, manager(auth), scene.east.urn, **{"from": "2025-09-01", "to": "2025-09-03"}
        )
        assert body["pupils_with_marks"] == 5
        assert body["figures"]["possible_sessions"] == 6 * 5
        assert ids(body["severe_absentees"]) == [str(scene.severest.id)]  # 4 of 6 O
        before = await summary(
            client, manager(auth), scene.east.urn, **{"from": "2025-07-01", "to": "2025-07-31"}
        )
        assert before["pupils_with_marks"] == 1  # the pupil marked before the period
        assert ids(before["severe_absentees"]) == [str(scene.outside.id)]
        assert before["figures"]["possible_sessions"] == 10

    async def test_a_school_without_marks_has_empty_figures(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        response = await client.get(
            path(scene.east.urn), params={"to": "2024-12-31"}, headers=manager(auth)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["from"] == "2024-08-01"
        assert body["pupils_with_marks"] == 0
        assert body["figures"]["attendance_percent"] is None
        assert body["persistent_absentees"] == body["severe_absentees"] == []

    async def test_a_bad_period_is_a_422(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        for params in (
            {"from": "2026-01-02", "to": "2026-01-01"},
            {"from": "2020-01-01", "to": "2026-01-01"},
        ):
            response = await client.get(path(scene.east.urn), params=params, headers=manager(auth))
            assert_problem(response, 422)

    @pytest.mark.parametrize(
        "params",
        [
            {"to": "0001-01-01"},
            {"from": "0001-01-01", "to": "0001-03-31"},
            {"from": "9999-11-01", "to": "9999-12-31"},
        ],
    )
    async def test_periods_at_the_ends_of_the_calendar_are_answered(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene, params: dict[str, str]
    ) -> None:
        for url in (path(scene.east.urn), f"/v1/pupils/{scene.full.id}/attendance"):
            response = await client.get(url, params=params, headers=manager(auth))
            assert response.status_code == 200, response.text
            assert response.json()["figures"]["possible_sessions"] == 0


class TestWhoSees:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, scene: Scene) -> None:
        assert_problem(await client.get(path(scene.east.urn)), 401)

    async def test_an_unknown_school_is_404(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        assert_problem(await client.get(path(100001), headers=manager(auth)), 404)

    async def test_a_manager_outside_the_area_team_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        """Schools are public, so a school outside the caller's reach is a 403 (as for the
        roll), not a 404."""
        response = await client.get(path(scene.west.urn), headers=manager(auth))
        assert refused_by(response) == "school_attendance.manager.read"
        west = auth("attendance_manager", area_teams=("west",), purpose="attendance_duty")
        assert (await summary(client, west, scene.west.urn))["pupils_with_marks"] == 1

    async def test_school_staff_read_their_own_school_only(
        self, client: httpx.AsyncClient, auth: AuthHeaders, scene: Scene
    ) -> None:
        headers = auth("school_staff", school_urns=(scene.east.urn,), purpose="attendance_duty")
        assert (await summary(client, headers, scene.east.urn))["pupils_with_marks"] == 5
        refused = await client.get(path(scene.west.urn), headers=headers)
        assert refused_by(refused) == "school_attendance.school.read"

    @pytest.mark.parametrize(
        ("role", "purpose"),
        [
            ("attendance_officer", "attendance_duty"),
            ("information_governance", "subject_rights"),
            ("partner", "prosecution"),
            ("mis_integration", "attendance_duty"),
            ("admin", "attendance_duty"),
        ],
    )
    async def test_other_roles_are_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        scene: Scene,
        role: str,
        purpose: str,
    ) -> None:
        recipient = await make_recipient(session, code="synthetic-police-2")
        await make_agreement(
            session,
            recipient,
            purposes=[Purpose.INTERVENTION],
            data_categories=list(DataCategory),
            starts_on=date(2020, 1, 1),
        )
        headers = auth(
            role,
            area_teams=("east",),
            school_urns=(scene.east.urn,),
            org="synthetic-police-2",
            purpose=purpose,
        )
        assert refused_by(await client.get(path(scene.east.urn), headers=headers))
        assert await disclosures(session) == 0

    async def test_an_inspector_reads_a_grant_school_and_the_named_pupils_are_disclosed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
    ) -> None:
        ofsted = await session.scalar(select(Recipient).where(Recipient.code == "ofsted"))
        assert ofsted is not None
        claims = await inspection_grant(session, scene.east, [DataCategory.ATTENDANCE])
        headers = auth(
            "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
        )
        response = await client.get(path(scene.east.urn), params=PERIOD, headers=headers)
        assert response.status_code == 200, response.text
        disclosure = await disclosure_of(session, response)
        assert disclosure.recipient_id == ofsted.id
        assert disclosure.data_categories == ["attendance"]
        assert disclosure.resource_id == str(scene.east.urn)
        # Inspection is a governance purpose: it reaches records whatever they were collected
        # for, so the pupil not collected for the attendance duty is counted here.
        named = (scene.persistent, scene.severe, scene.severest, scene.left, scene.not_collected)
        assert await subjects_of(session, disclosure) == {p.subject_id for p in named}
        assert scene.restricted.subject_id not in await subjects_of(session, disclosure)
        refused = await client.get(path(scene.west.urn), headers=headers)
        assert refused_by(refused) == "school_attendance.inspector.read"
        assert await disclosures(session) == 1

    async def test_staff_reads_are_not_disclosures(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
    ) -> None:
        await summary(client, manager(auth), scene.east.urn)
        assert await disclosures(session) == 0


async def test_a_pupil_who_left_still_counts_where_they_were_marked(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
) -> None:
    """The summary is about the marks the school recorded, not today's roll."""
    enrolment = await session.scalar(select(Enrolment).where(Enrolment.pupil_id == scene.left.id))
    assert enrolment is not None and enrolment.off_roll_on is not None
    body = await summary(client, manager(auth), scene.east.urn)
    assert str(scene.left.id) in ids(body["severe_absentees"])
    # Their own record is out of the manager's reach now (on no roll in the area team).
    response = await client.get(f"/v1/pupils/{scene.left.id}/attendance", headers=manager(auth))
    assert_problem(response, 404)


async def drain_worker(session: AsyncSession) -> None:
    """Count every waiting week, as the worker does after an import."""
    while (await recompute(session)).weeks:
        pass
    assert await session.scalar(select(func.count()).select_from(AttendanceStaleWeek)) == 0


class TestWeeklyTallies:
    """Whole weeks come from the worker's weekly tallies; the days of partial weeks at either
    end, and weeks waiting to be recounted, from the marks."""

    PERIODS = (
        PERIOD,
        {"from": "2025-09-02", "to": "2025-09-16"},  # whole week 8-14 September, two edges
        {"from": "2025-09-03", "to": "2025-09-09"},  # under two weeks: marks only
        {"from": "2025-07-01", "to": "2025-09-30"},
        {"from": "2025-09-08", "to": "2025-09-14"},  # exactly one week
    )

    async def test_the_summary_is_the_same_from_tallies_as_from_marks(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
    ) -> None:
        from_marks = [
            await summary(client, manager(auth), scene.east.urn, **p) for p in self.PERIODS
        ]
        await drain_worker(session)
        from_tallies = [
            await summary(client, manager(auth), scene.east.urn, **p) for p in self.PERIODS
        ]
        assert from_tallies == from_marks
        assert from_tallies[0]["figures"]["possible_sessions"] == 50

    async def test_a_week_changed_since_it_was_counted_is_read_from_its_marks(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
    ) -> None:
        await drain_worker(session)
        week = list(school_days(date(2025, 9, 1), date(2025, 9, 5)))
        await write_marks(  # a correction: queues the week again
            session,
            pupil_id=scene.severest.id,
            school_urn=scene.east.urn,
            marks=every_session(week, "/"),
        )
        body = await summary(client, manager(auth), scene.east.urn)
        assert str(scene.severest.id) not in ids(body["persistent_absentees"])
        assert body["figures"]["unauthorised"] == 15 - 8

    async def test_weeks_already_counted_are_read_from_the_tallies(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, scene: Scene
    ) -> None:
        await drain_worker(session)
        tally = await session.get(
            AttendancePupilWeek, (scene.east.urn, date(2025, 9, 1), scene.full.id)
        )
        assert tally is not None and tally.possible == tally.present == 10
        # Not how marks change (an import queues the week), but it shows where whole weeks
        # are read from.
        tally.present, tally.unauthorised = 5, 5
        await session.flush()
        body = await summary(client, manager(auth), scene.east.urn)
        assert str(scene.full.id) in ids(body["severe_absentees"])
        edges = await summary(
            client, manager(auth), scene.east.urn, **{"from": "2025-09-03", "to": "2025-09-09"}
        )
        assert str(scene.full.id) not in ids(edges["persistent_absentees"])
