"""``GET /v1/pupils/{id}/attendance``: who sees a pupil's attendance, the period asked for,
marks at more than one school, corrections, and disclosures to partners and inspectors."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant as GrantClaims
from app.models import (
    AttendanceMarkHistory,
    DataCategory,
    DataSubject,
    Disclosure,
    DisclosureSubject,
    InspectionGrant,
    Pupil,
    Recipient,
    School,
)
from app.models.sharing import london_today
from app.policies.registry import Purpose
from app.rules.attendance import school_year_start
from app.rules.kent import District
from tests.attendance_support import AM, PM, every_session, make_import, school_days, write_marks
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_pupil, make_recipient, make_school
from tests.test_attendance_figures import PERIOD, give_marks, manager, pupil_figures

PROBLEM = "application/problem+json"
PARTNER_ORG = "synthetic-youth-justice"
INSPECTOR = "ofsted-inspector-3"


def path(pupil_id: uuid.UUID) -> str:
    return f"/v1/pupils/{pupil_id}/attendance"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    return body


def refused_by(response: httpx.Response) -> str:
    body = assert_problem(response, 403)
    policy = body["policy"]
    assert isinstance(policy, dict)
    return str(policy["rule"])


async def disclosures(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Disclosure)) or 0)


async def disclosure_of(session: AsyncSession, response: httpx.Response) -> Disclosure:
    digest = hashlib.sha256(response.content).hexdigest()
    found = await session.scalar(select(Disclosure).where(Disclosure.content_sha256 == digest))
    assert found is not None, "no disclosure of exactly the bytes sent"
    return found


async def subjects_of(session: AsyncSession, disclosure: Disclosure) -> set[uuid.UUID]:
    rows = await session.scalars(
        select(DisclosureSubject.subject_id).where(DisclosureSubject.disclosure_id == disclosure.id)
    )
    return set(rows.all())


async def inspection_grant(
    session: AsyncSession, school: School, categories: list[DataCategory]
) -> GrantClaims:
    """An open grant for ``INSPECTOR`` over ``school``; what their token claims."""
    ofsted = await session.scalar(select(Recipient).where(Recipient.code == "ofsted"))
    assert ofsted is not None
    now = datetime.now(UTC)
    grant = InspectionGrant(
        recipient_id=ofsted.id,
        inspector=INSPECTOR,
        reference="SIF-2026-SEAVIEW",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=8),
        school_urns=[school.urn],
        data_categories=[c.value for c in categories],
        granted_by="ig-officer-1",
    )
    session.add(grant)
    await session.flush()
    return GrantClaims(str(grant.id), grant.starts_at, grant.ends_at)


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE, name="Weald Primary School")


@pytest.fixture
async def pupil(session: AsyncSession, east: School) -> Pupil:
    pupil = await make_pupil(session, school=east)
    await give_marks(session, pupil, east, ["/", "\\", "N", "I"])
    return pupil


class TestWhoSees:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, pupil: Pupil) -> None:
        assert_problem(await client.get(path(pupil.id)), 401)

    async def test_manager_sees_pupils_in_their_area_team_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        west: School,
    ) -> None:
        body = await pupil_figures(client, manager(auth), pupil.id)
        assert body["pupil_id"] == str(pupil.id)
        assert body["figures"]["possible_sessions"] == 4
        elsewhere = await make_pupil(session, school=west)
        await give_marks(session, elsewhere, west, ["/"])
        hidden = await client.get(path(elsewhere.id), params=PERIOD, headers=manager(auth))
        assert_problem(hidden, 404)
        other_team = auth("attendance_manager", area_teams=("west",), purpose="attendance_duty")
        assert_problem(await client.get(path(pupil.id), headers=other_team), 404)
        assert_problem(await client.get(path(uuid.uuid4()), headers=manager(auth)), 404)

    async def test_school_staff_see_their_own_pupils_not_others(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
        pupil: Pupil,
    ) -> None:
        theirs = await make_pupil(session, school=west)
        await give_marks(session, theirs, west, ["/"])
        headers = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
        assert (await pupil_figures(client, headers, pupil.id))["figures"]["unauthorised"] == 1
        assert_problem(await client.get(path(theirs.id), params=PERIOD, headers=headers), 404)

    async def test_governance_reads_under_a_governance_purpose_only(
        self, client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
    ) -> None:
        headers = auth("information_governance", purpose="subject_rights")
        assert len((await pupil_figures(client, headers, pupil.id))["marks"]) == 4
        casework = auth("information_governance", purpose="attendance_duty")
        assert refused_by(await client.get(path(pupil.id), headers=casework)) == (
            "purpose.not_allowed"
        )

    @pytest.mark.parametrize(
        ("role", "purpose"),
        [
            ("mis_integration", "attendance_duty"),
            ("licensing_officer", "child_employment_licensing"),
            ("admin", "attendance_duty"),
        ],
    )
    async def test_other_roles_are_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        east: School,
        pupil: Pupil,
        role: str,
        purpose: str,
    ) -> None:
        headers = auth(role, area_teams=("east",), school_urns=(east.urn,), purpose=purpose)
        assert refused_by(await client.get(path(pupil.id), headers=headers))

    async def test_a_purpose_is_required(
        self, client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
    ) -> None:
        headers = auth("attendance_manager", area_teams=("east",))
        assert_problem(await client.get(path(pupil.id), headers=headers), 400)

    async def test_a_restricted_pupil_is_not_found(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
    ) -> None:
        subject = await session.get(DataSubject, pupil.subject_id)
        assert subject is not None
        subject.restricted_since = datetime.now(UTC)
        await session.flush()
        assert_problem(await client.get(path(pupil.id), headers=manager(auth)), 404)


class TestPeriod:
    async def test_both_ends_of_the_period_are_included(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        week = list(school_days(date(2025, 9, 1), date(2025, 9, 5)))
        await write_marks(
            session, pupil_id=pupil.id, school_urn=east.urn, marks=every_session(week, "/")
        )
        response = await client.get(
            path(pupil.id),
            params={"from": "2025-09-02", "to": "2025-09-04"},
            headers=manager(auth),
        )
        body = response.json()
        assert (body["from"], body["to"]) == ("2025-09-02", "2025-09-04")
        assert [(m["date"], m["session"]) for m in body["marks"]] == [
            (day.isoformat(), session_name) for day in week[1:4] for session_name in (AM, PM)
        ]
        assert body["figures"]["present"] == 6

    async def test_the_default_period_is_the_school_year_to_today(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        today = london_today()
        year_start = school_year_start(today)
        marks = {
            (year_start - timedelta(days=1), AM): "N",
            (year_start, AM): "/",
            (today, AM): "L",
            (today + timedelta(days=1), AM): "N",
        }
        await write_marks(session, pupil_id=pupil.id, school_urn=east.urn, marks=marks)
        response = await client.get(path(pupil.id), headers=manager(auth))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["from"], body["to"]) == (year_start.isoformat(), today.isoformat())
        assert [m["code"] for m in body["marks"]] == ["/", "L"]
        assert body["figures"]["attendance_percent"] == 100.0

    async def test_from_defaults_to_the_start_of_the_school_year_of_to(
        self, client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
    ) -> None:
        response = await client.get(
            path(pupil.id), params={"to": "2026-03-31"}, headers=manager(auth)
        )
        assert (response.json()["from"], response.json()["to"]) == ("2025-08-01", "2026-03-31")
        response = await client.get(
            path(pupil.id), params={"to": "2026-08-01"}, headers=manager(auth)
        )
        assert response.json()["from"] == "2026-08-01"

    @pytest.mark.parametrize(
        ("params", "pointer"),
        [
            ({"from": "2026-03-02", "to": "2026-03-01"}, "/from"),
            ({"from": "2023-03-01", "to": "2025-03-02"}, "/from"),  # two years and a day
            ({"from": "2026-02-30"}, "/from"),
            ({"to": "20260301"}, "/to"),
            ({"since": "2026-03-01"}, "/since"),
        ],
    )
    async def test_a_bad_period_is_a_422_naming_the_parameter(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        pupil: Pupil,
        params: dict[str, str],
        pointer: str,
    ) -> None:
        body = assert_problem(
            await client.get(path(pupil.id), params=params, headers=manager(auth)), 422
        )
        errors = body["errors"]
        assert isinstance(errors, list)
        assert {(e["location"], e["pointer"]) for e in errors} == {("query", pointer)}

    async def test_a_period_of_exactly_two_years_is_allowed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, pupil: Pupil
    ) -> None:
        for params in (
            {"from": "2024-03-01", "to": "2026-03-01"},
            {"from": "2022-02-28", "to": "2024-02-29"},
        ):
            response = await client.get(path(pupil.id), params=params, headers=manager(auth))
            assert response.status_code == 200, response.text


class TestMarks:
    async def test_marks_at_two_schools_all_go_with_the_pupil(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        """Dual registration: each school marks D for the sessions the pupil spends at the
        other, so the schools' possible sessions add up. The manager sees the marks at a
        school outside their area team too: the marks go with the pupil."""
        pupil = await make_pupil(session, school=east)
        monday, tuesday = date(2025, 9, 1), date(2025, 9, 2)
        await write_marks(
            session,
            pupil_id=pupil.id,
            school_urn=east.urn,
            marks={(monday, AM): "/", (monday, PM): "\\", (tuesday, AM): "D", (tuesday, PM): "D"},
        )
        await write_marks(
            session,
            pupil_id=pupil.id,
            school_urn=west.urn,
            marks={(monday, AM): "D", (monday, PM): "D", (tuesday, AM): "N", (tuesday, PM): "L"},
        )
        body = await pupil_figures(client, manager(auth), pupil.id)
        figures = body["figures"]
        assert (figures["possible_sessions"], figures["present"], figures["unauthorised"]) == (
            4,
            3,
            1,
        )
        assert figures["attendance_percent"] == 75.0
        assert [(m["date"], m["session"], m["school_urn"], m["code"]) for m in body["marks"]] == [
            ("2025-09-01", AM, east.urn, "/"),
            ("2025-09-01", AM, west.urn, "D"),
            ("2025-09-01", PM, east.urn, "\\"),
            ("2025-09-01", PM, west.urn, "D"),
            ("2025-09-02", AM, east.urn, "D"),
            ("2025-09-02", AM, west.urn, "N"),
            ("2025-09-02", PM, east.urn, "D"),
            ("2025-09-02", PM, west.urn, "L"),
        ]

    async def test_a_corrected_mark_shows_what_it_replaced(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        day = date(2025, 9, 8)
        await write_marks(
            session,
            pupil_id=pupil.id,
            school_urn=east.urn,
            marks={(day, AM): "M", (day, PM): "/"},
        )
        first, second = await make_import(session), await make_import(session)
        recorded = datetime(2025, 9, 8, 9, 30, tzinfo=UTC)
        for code, at, replaced_at, by in (
            ("N", recorded, recorded + timedelta(hours=3), second),
            ("O", recorded + timedelta(hours=3), recorded + timedelta(days=1), second),
        ):
            session.add(
                AttendanceMarkHistory(
                    pupil_id=pupil.id,
                    school_urn=east.urn,
                    mark_date=day,
                    session=AM,
                    code=code,
                    import_id=first,
                    recorded_at=at,
                    replaced_at=replaced_at,
                    replaced_by_import_id=by,
                )
            )
        await session.flush()
        body = await pupil_figures(client, manager(auth), pupil.id)
        morning, afternoon = body["marks"]
        assert (morning["code"], morning["category"]) == ("M", "authorised_absence")
        assert [r["code"] for r in morning["replaced"]] == ["N", "O"]
        assert datetime.fromisoformat(morning["replaced"][0]["recorded_at"]) == recorded
        assert datetime.fromisoformat(morning["replaced"][1]["replaced_at"]) == recorded + (
            timedelta(days=1)
        )
        assert afternoon["replaced"] == []
        # Figures count the current mark only.
        assert (body["figures"]["authorised"], body["figures"]["unauthorised"]) == (1, 0)


class TestRelease:
    async def test_a_partner_with_an_attendance_agreement_reads_and_it_is_disclosed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
    ) -> None:
        recipient = await make_recipient(session, code=PARTNER_ORG)
        await make_agreement(
            session,
            recipient,
            purposes=[Purpose.INTERVENTION],
            data_categories=[DataCategory.ATTENDANCE],
            starts_on=date(2020, 1, 1),
        )
        headers = auth("partner", org=PARTNER_ORG, purpose="intervention")
        response = await client.get(path(pupil.id), params=PERIOD, headers=headers)
        assert response.status_code == 200, response.text
        disclosure = await disclosure_of(session, response)
        assert disclosure.data_categories == ["attendance"]
        assert disclosure.purpose == "intervention"
        assert disclosure.resource_type == "pupil_attendance"
        assert disclosure.resource_id == str(pupil.id)
        assert await subjects_of(session, disclosure) == {pupil.subject_id}

    async def test_a_partner_whose_agreement_lacks_attendance_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
    ) -> None:
        recipient = await make_recipient(session, code=PARTNER_ORG)
        await make_agreement(
            session,
            recipient,
            purposes=[Purpose.INTERVENTION],
            data_categories=[DataCategory.IDENTITY_CONTACT],
            starts_on=date(2020, 1, 1),
        )
        headers = auth("partner", org=PARTNER_ORG, purpose="intervention")
        assert refused_by(await client.get(path(pupil.id), headers=headers)) == (
            "sharing.no_agreement"
        )
        assert await disclosures(session) == 0

    async def test_an_inspector_reads_pupils_of_the_grant_schools_and_it_is_disclosed(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
        pupil: Pupil,
    ) -> None:
        claims = await inspection_grant(session, east, [DataCategory.ATTENDANCE])
        headers = auth(
            "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
        )
        response = await client.get(path(pupil.id), params=PERIOD, headers=headers)
        assert response.status_code == 200, response.text
        disclosure = await disclosure_of(session, response)
        assert str(disclosure.inspection_grant_id) == claims.grant_id
        assert disclosure.data_categories == ["attendance"]
        assert await subjects_of(session, disclosure) == {pupil.subject_id}
        elsewhere = await make_pupil(session, school=west)
        assert_problem(await client.get(path(elsewhere.id), headers=headers), 404)
        assert await disclosures(session) == 1

    async def test_an_inspection_that_does_not_cover_attendance_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        pupil: Pupil,
    ) -> None:
        claims = await inspection_grant(session, east, [DataCategory.IDENTITY_CONTACT])
        headers = auth(
            "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
        )
        assert refused_by(await client.get(path(pupil.id), headers=headers)) == (
            "inspection.not_covered"
        )
        assert await disclosures(session) == 0

    async def test_staff_reads_are_not_disclosures(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
    ) -> None:
        await pupil_figures(client, manager(auth), pupil.id)
        assert await disclosures(session) == 0
