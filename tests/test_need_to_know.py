"""Need-to-know across routes: a record the caller may not see is indistinguishable from one
that does not exist, every refusal is on record, and a school sees what it recorded.

- Possible duplicates: a pair is visible and resolvable only to a caller who may see one of
  its two records; merging needs both.
- Recorded disclosures name only pupils and carers the recorder may see.
- The ``KPAS-Purpose`` header: unknown, over-long and repeated values are refused by the
  policy layer and recorded, and the value is never repeated back.
- A pupil's attendance: school staff see their own school's marks and figures only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AttendanceMarkHistory,
    AuditEvent,
    Carer,
    DataCategory,
    DataSubject,
    Disclosure,
    DisclosureSubject,
    DuplicateReason,
    DuplicateStatus,
    Enrolment,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    School,
    SubjectKind,
)
from app.policies.registry import Purpose
from app.rules.kent import District
from tests.attendance_support import AM, PM, make_import, write_marks
from tests.conftest import AuthHeaders
from tests.factories import (
    make_agreement,
    make_carer,
    make_pupil,
    make_recipient,
    make_school,
    manager_headers,
    problem_body,
)
from tests.test_pupil_attendance_api import INSPECTOR, PARTNER_ORG, inspection_grant

DUPLICATES = "/v1/possible-duplicates"
#: Recipient ids are uuid5 of the code in the migrations' namespace (see test_sharing_api).
RECIPIENTS = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
HMCTS = uuid.uuid5(RECIPIENTS, "hmcts")
POLICE = uuid.uuid5(RECIPIENTS, "kent-police")


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE, name="Weald Primary School")


def east_manager(auth: AuthHeaders, subject: str = "manager-east") -> dict[str, str]:
    return auth(
        "attendance_manager", subject=subject, area_teams=("east",), purpose="attendance_duty"
    )


def west_manager(auth: AuthHeaders) -> dict[str, str]:
    return manager_headers(auth, area_team="west")


async def events_of(session: AsyncSession, response: httpx.Response) -> list[AuditEvent]:
    """The audit events of the decisions a response names in ``KPAS-Decision-Id``."""
    ids = [uuid.UUID(i.strip()) for i in response.headers["kpas-decision-id"].split(",")]
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.decision_id.in_(ids)).order_by(AuditEvent.seq)
    )
    return list(rows.all())


def without_instance(response: httpx.Response) -> bytes:
    """The response body with its ``instance`` member's value blanked (it names the request)."""
    instance = response.json()["instance"]
    return response.content.replace(json.dumps(instance).encode(), b'""')


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- possible duplicates --------------------------------------------------------------------


async def flag(
    session: AsyncSession, first: Pupil | Carer, second: Pupil | Carer
) -> PossibleDuplicate:
    a, b = sorted((first.id, second.id))
    pupils = isinstance(first, Pupil)
    duplicate = PossibleDuplicate(
        kind=PersonKind.PUPIL if pupils else PersonKind.CARER,
        first_id=a,
        second_id=b,
        reason=DuplicateReason.SAME_UPN if pupils else DuplicateReason.SAME_NAME_AND_CONTACT,
    )
    session.add(duplicate)
    await session.flush()
    return duplicate


async def listed(client: httpx.AsyncClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(DUPLICATES, params={"limit": 200}, headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def merge(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    duplicate: PossibleDuplicate,
    survivor: Pupil,
    other: Pupil,
) -> httpx.Response:
    return await client.post(
        f"/v1/pupils/{survivor.id}/merge",
        json={"duplicate_id": str(duplicate.id), "merge_from": str(other.id)},
        headers={**headers, "If-Match": "*"},
    )


class TestPossibleDuplicates:
    async def test_another_area_teams_manager_cannot_see_dismiss_or_merge_a_pair(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        first, second = (
            await make_pupil(session, school=east),
            await make_pupil(session, school=east),
        )
        duplicate = await flag(session, first, second)
        headers = west_manager(auth)

        items = await listed(client, headers)
        named = {i["first_id"] for i in items} | {i["second_id"] for i in items}
        assert not named & {str(first.id), str(second.id)}
        assert str(duplicate.id) not in {i["id"] for i in items}

        path = f"{DUPLICATES}/{duplicate.id}"
        unknown = f"{DUPLICATES}/{uuid.uuid4()}"
        for method, suffix in (("GET", ""), ("POST", "/dismissal")):
            hidden = await client.request(method, path + suffix, headers=headers)
            absent = await client.request(method, unknown + suffix, headers=headers)
            problem_body(hidden, 404)
            assert without_instance(hidden) == without_instance(absent)
            [_, withheld] = await events_of(session, hidden)
            assert (withheld.outcome, withheld.resource_id) == ("deny", str(duplicate.id))
            assert withheld.details == {"reason": "not_visible_or_absent"}

        problem_body(await merge(client, headers, duplicate, first, second), 404)
        await session.refresh(duplicate)
        assert duplicate.status is DuplicateStatus.OPEN
        assert duplicate.resolved_by is None
        assert (await session.get(Pupil, second.id)).merged_into_id is None  # type: ignore[union-attr]

    async def test_a_manager_who_sees_one_record_may_see_and_dismiss_but_not_merge(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        theirs, elsewhere = (
            await make_pupil(session, school=east),
            await make_pupil(session, school=west),
        )
        duplicate = await flag(session, theirs, elsewhere)
        headers = east_manager(auth)

        assert str(duplicate.id) in {i["id"] for i in await listed(client, headers)}
        path = f"{DUPLICATES}/{duplicate.id}"
        got = await client.get(path, headers=headers)
        assert got.status_code == 200, got.text
        # The west manager sees it too: they see the other record.
        assert (await client.get(path, headers=west_manager(auth))).status_code == 200

        for survivor, other in ((theirs, elsewhere), (elsewhere, theirs)):
            problem_body(await merge(client, headers, duplicate, survivor, other), 404)
        for pupil in (theirs, elsewhere):
            assert (await session.get(Pupil, pupil.id)).merged_into_id is None  # type: ignore[union-attr]

        dismissed = await client.post(f"{path}/dismissal", headers=headers)
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["status"] == "not_duplicate"

    async def test_a_manager_who_sees_both_records_may_merge(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        survivor, other = (
            await make_pupil(session, school=east),
            await make_pupil(session, school=east),
        )
        duplicate = await flag(session, survivor, other)
        response = await merge(client, east_manager(auth), duplicate, survivor, other)
        assert response.status_code == 200, response.text
        await session.refresh(duplicate)
        assert (duplicate.status, duplicate.survivor_id) == (DuplicateStatus.MERGED, survivor.id)

    async def test_a_pupil_the_purpose_may_not_process_does_not_make_the_pair_visible(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        restricted = await make_pupil(session, school=east)
        duplicate = await flag(session, restricted, await make_pupil(session, school=west))
        subject = await session.get(DataSubject, restricted.subject_id)
        assert subject is not None
        subject.restricted_since = datetime.now(UTC)
        await session.flush()
        problem_body(
            await client.get(f"{DUPLICATES}/{duplicate.id}", headers=east_manager(auth)), 404
        )
        # Naming a legal-claims purpose does not lift the restriction (Art 18(2)): only a live
        # claim for the person would, and the records were not collected for prosecution.
        prosecution = manager_headers(auth, "prosecution")
        problem_body(await client.get(f"{DUPLICATES}/{duplicate.id}", headers=prosecution), 404)

    async def test_carer_pairs_follow_the_carers_pupils(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        east_pupil, west_pupil = (
            await make_pupil(session, school=east),
            await make_pupil(session, school=west),
        )
        both_east = await flag(
            session,
            await make_carer(session, pupil=east_pupil),
            await make_carer(session, pupil=east_pupil, forename="Sami"),
        )
        split = await flag(
            session,
            await make_carer(session, pupil=east_pupil, forename="Kim"),
            await make_carer(session, pupil=west_pupil, forename="Kim"),
        )
        west_team = west_manager(auth)
        assert {i["id"] for i in await listed(client, west_team)} >= {str(split.id)}
        assert str(both_east.id) not in {i["id"] for i in await listed(client, west_team)}
        path = f"{DUPLICATES}/{both_east.id}"
        problem_body(await client.get(path, headers=west_team), 404)
        problem_body(await client.post(f"{path}/dismissal", headers=west_team), 404)
        await session.refresh(both_east)
        assert both_east.status is DuplicateStatus.OPEN
        east_listed = {i["id"] for i in await listed(client, east_manager(auth))}
        assert {str(both_east.id), str(split.id)} <= east_listed
        assert (await client.post(f"{path}/dismissal", headers=east_manager(auth))).is_success
        assert (await client.get(f"{DUPLICATES}/{split.id}", headers=west_team)).is_success

    async def test_governance_reviews_every_pair_for_subject_rights(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        duplicate = await flag(
            session, await make_pupil(session, school=east), await make_pupil(session, school=west)
        )
        governance = auth("information_governance", purpose="subject_rights")
        assert str(duplicate.id) in {i["id"] for i in await listed(client, governance)}
        # The queue names people: a purpose must be stated.
        bare = await client.get(DUPLICATES, headers=auth("information_governance"))
        assert problem_body(bare, 400)["policy"]["rule"] == "purpose.required"  # type: ignore[index]


# --- recorded disclosures -------------------------------------------------------------------


def release(subject_ids: list[uuid.UUID], **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "recipient_id": str(HMCTS),
        "purpose": "attendance_duty",
        "lawful_basis": "6(1)(c)",
        "data_categories": ["identity_contact", "attendance"],
        "channel": "court_bundle",
        "approved_by": "approver-3",
        "disclosed_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "content_sha256": hashlib.sha256(b"synthetic bundle").hexdigest(),
        "subject_ids": [str(s) for s in subject_ids],
    }
    body.update(overrides)
    return body


class TestRecordedDisclosures:
    async def test_an_invisible_subject_is_reported_exactly_as_an_unknown_one(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        elsewhere = await make_pupil(session, school=west)
        headers = east_manager(auth)
        hidden = await client.post(
            "/v1/disclosures", json=release([elsewhere.subject_id]), headers=headers
        )
        absent = await client.post("/v1/disclosures", json=release([uuid.uuid4()]), headers=headers)
        problem = problem_body(hidden, 422)
        assert [e["code"] for e in problem["errors"]] == ["unknown_subject"]  # type: ignore[attr-defined]
        assert without_instance(hidden) == without_instance(absent)
        assert await count(session, Disclosure) == 0
        assert await count(session, DisclosureSubject) == 0
        withheld = [e for e in await events_of(session, hidden) if e.outcome == "deny"]
        assert [e.resource_id for e in withheld] == [str(elsewhere.subject_id)]

    async def test_a_manager_names_the_pupils_and_carers_they_may_see(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        pupil = await make_pupil(session, school=east)
        carer = await make_carer(session, pupil=pupil)
        other = DataSubject(kind=SubjectKind.OTHER)
        session.add(other)
        await session.flush()
        headers = east_manager(auth)
        ok = await client.post(
            "/v1/disclosures", json=release([pupil.subject_id, carer.subject_id]), headers=headers
        )
        assert ok.status_code == 201, ok.text
        # Somebody who is neither a pupil nor a carer they may see: unknown to them.
        refused = await client.post("/v1/disclosures", json=release([other.id]), headers=headers)
        assert [e["code"] for e in problem_body(refused, 422)["errors"]] == ["unknown_subject"]  # type: ignore[attr-defined]
        # A west pupil is governance's to record, under its own purposes.
        elsewhere = await make_pupil(session, school=west)
        governance = auth("information_governance")
        recorded = await client.post(
            "/v1/disclosures",
            json=release(
                [elsewhere.subject_id],
                purpose="crime_prevention_disclosure",
                lawful_basis="6(1)(e)",
                ground="prevention_or_detection_of_crime",
                request_reference="DP-2026-01234",
                recipient_id=str(POLICE),
                channel="secure_email",
            ),
            headers=governance,
        )
        assert recorded.status_code == 201, recorded.text
        assert await count(session, Disclosure) == 2


# --- the purpose header ---------------------------------------------------------------------

CANARY = "canary-5b2e"


@pytest.mark.parametrize(
    ("values", "rule"),
    [
        ([f"{CANARY}-marketing"], "purpose.unknown"),
        ([f"attendance_duty{CANARY}" + "x" * 80], "purpose.invalid"),
        ([f"{CANARY}-one", f"{CANARY}-two"], "purpose.repeated"),
        (["attendance_duty", "attendance_duty"], "purpose.repeated"),
    ],
)
async def test_a_bad_purpose_header_is_refused_and_recorded_without_its_value(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    values: list[str],
    rule: str,
) -> None:
    headers = [
        *auth("attendance_manager", subject="manager-purpose", area_teams=("east",)).items(),
        *(("KPAS-Purpose", value) for value in values),
    ]
    response = await client.get("/v1/pupils", headers=headers)
    body = problem_body(response, 400)
    assert body["policy"]["rule"] == rule  # type: ignore[index]
    assert CANARY not in response.text
    [event] = await events_of(session, response)
    assert (event.kind, event.outcome, event.rule) == ("decision", "deny", rule)
    assert (event.actor, event.action, event.purpose) == ("manager-purpose", "pupil.list", None)
    stored = json.dumps({c.key: str(getattr(event, c.key)) for c in AuditEvent.__table__.columns})
    assert CANARY not in stored
    assert (
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.rule == rule)
        )
        == 1
    )


async def test_one_purpose_sent_once_is_read_as_before(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    headers = auth("attendance_manager", area_teams=("east",))
    spaced = {**headers, "KPAS-Purpose": " intervention "}
    assert (await client.get("/v1/pupils", headers=spaced)).is_success
    missing = problem_body(await client.get("/v1/pupils", headers=headers), 400)
    assert missing["policy"]["rule"] == "purpose.required"  # type: ignore[index]


# --- a pupil's attendance, school by school -------------------------------------------------

MONDAY, TUESDAY = date(2025, 9, 1), date(2025, 9, 2)
PERIOD = {"from": "2025-09-01", "to": "2025-09-05"}


@pytest.fixture
async def dual(session: AsyncSession, east: School, west: School) -> Pupil:
    """A pupil dual-registered at both schools: each marks D for the other's sessions."""
    pupil = await make_pupil(session, school=east)
    await make_enrolment(session, pupil, west)
    await write_marks(
        session,
        pupil_id=pupil.id,
        school_urn=east.urn,
        marks={(MONDAY, AM): "/", (MONDAY, PM): "\\", (TUESDAY, AM): "D", (TUESDAY, PM): "D"},
    )
    await write_marks(
        session,
        pupil_id=pupil.id,
        school_urn=west.urn,
        marks={(MONDAY, AM): "D", (MONDAY, PM): "D", (TUESDAY, AM): "N", (TUESDAY, PM): "L"},
    )
    return pupil


async def make_enrolment(session: AsyncSession, pupil: Pupil, school: School) -> None:
    session.add(
        Enrolment(
            pupil_id=pupil.id, school_urn=school.urn, on_roll_from=date(2024, 9, 1), source="manual"
        )
    )
    await session.flush()


async def attendance(
    client: httpx.AsyncClient, headers: dict[str, str], pupil: Pupil
) -> dict[str, Any]:
    response = await client.get(f"/v1/pupils/{pupil.id}/attendance", params=PERIOD, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestAttendanceBySchool:
    async def test_each_school_sees_its_own_marks_and_figures_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        east: School,
        west: School,
        dual: Pupil,
    ) -> None:
        for school, codes, figures in (
            (east, ["/", "\\", "D", "D"], (2, 2, 0)),
            (west, ["D", "D", "N", "L"], (2, 1, 1)),
        ):
            headers = auth("school_staff", school_urns=(school.urn,), purpose="attendance_duty")
            body = await attendance(client, headers, dual)
            assert {m["school_urn"] for m in body["marks"]} == {school.urn}
            assert [m["code"] for m in body["marks"]] == codes
            got = body["figures"]
            assert (got["possible_sessions"], got["present"], got["unauthorised"]) == figures

    async def test_the_council_sees_every_schools_marks(
        self, client: httpx.AsyncClient, auth: AuthHeaders, dual: Pupil
    ) -> None:
        body = await attendance(client, east_manager(auth), dual)
        assert len(body["marks"]) == 8
        got = body["figures"]
        assert (got["possible_sessions"], got["present"], got["unauthorised"]) == (4, 3, 1)
        governance = auth("information_governance", purpose="subject_rights")
        assert len((await attendance(client, governance, dual))["marks"]) == 8

    async def test_a_corrected_mark_at_another_school_is_not_shown(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
        dual: Pupil,
    ) -> None:
        imported = await make_import(session)
        at = datetime(2025, 9, 2, 9, 0, tzinfo=UTC)
        session.add(
            AttendanceMarkHistory(
                pupil_id=dual.id,
                school_urn=west.urn,
                mark_date=TUESDAY,
                session=AM,
                code="O",
                import_id=imported,
                recorded_at=at,
                replaced_at=at + timedelta(hours=2),
                replaced_by_import_id=imported,
            )
        )
        await session.flush()
        school = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
        assert all(m["replaced"] == [] for m in (await attendance(client, school, dual))["marks"])
        council = await attendance(client, east_manager(auth), dual)
        assert [r["code"] for m in council["marks"] for r in m["replaced"]] == ["O"]

    async def test_an_inspector_sees_the_marks_of_the_grant_schools(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        dual: Pupil,
    ) -> None:
        claims = await inspection_grant(session, east, [DataCategory.ATTENDANCE])
        headers = auth(
            "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
        )
        body = await attendance(client, headers, dual)
        assert {m["school_urn"] for m in body["marks"]} == {east.urn}
        assert body["figures"]["possible_sessions"] == 2

    async def test_a_partner_sees_the_marks_of_its_agreements_districts(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, dual: Pupil
    ) -> None:
        recipient = await make_recipient(session, code=PARTNER_ORG)
        await make_agreement(
            session,
            recipient,
            purposes=[Purpose.INTERVENTION],
            data_categories=[DataCategory.ATTENDANCE],
            starts_on=date(2020, 1, 1),
            districts=[District.THANET],
        )
        headers = auth("partner", org=PARTNER_ORG, purpose="intervention")
        body = await attendance(client, headers, dual)
        assert [m["code"] for m in body["marks"]] == ["/", "\\", "D", "D"]
        assert body["figures"]["possible_sessions"] == 2
