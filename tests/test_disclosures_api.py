"""``/v1/disclosures`` end to end: staff record releases made outside the API; governance
sees every disclosure, a manager only the ones they recorded; nobody changes one.

Disclosures written automatically by partner and inspector reads are pinned down in
tests/test_partner_access.py.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AuditEvent,
    DataCategory,
    DataSubject,
    Disclosure,
    DisclosureChannel,
    DisclosureSubject,
    SubjectKind,
)
from app.policies.registry import Purpose
from app.rules.kent import District
from app.schemas.disclosures import ManualChannel
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_pupil, make_recipient, make_school

PROBLEM = "application/problem+json"
#: Recipient ids are uuid5 of the code in the migrations' namespace (see test_sharing_api).
RECIPIENTS = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
POLICE = uuid.uuid5(RECIPIENTS, "kent-police")
HMCTS = uuid.uuid5(RECIPIENTS, "hmcts")
BUNDLE_HASH = hashlib.sha256(b"synthetic court bundle").hexdigest()


async def make_subjects(session: AsyncSession, n: int) -> list[DataSubject]:
    subjects = [DataSubject(kind=SubjectKind.OTHER) for _ in range(n)]
    session.add_all(subjects)
    await session.flush()
    return subjects


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def release_body(subject_ids: list[uuid.UUID], **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "recipient_id": str(POLICE),
        "purpose": "crime_prevention_disclosure",
        "lawful_basis": "6(1)(e)",
        "ground": "prevention_or_detection_of_crime",
        "data_categories": ["identity_contact", "attendance"],
        "channel": "secure_email",
        "approved_by": "ig-approver-7",
        "disclosed_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        "content_sha256": BUNDLE_HASH,
        "request_reference": "DP-2026-01234",
        "subject_ids": [str(s) for s in subject_ids],
    }
    body.update(overrides)
    return body


@pytest.fixture
async def subjects(session: AsyncSession) -> list[uuid.UUID]:
    """Three pupils on a roll in the east area team: the people a recorded release names
    must be pupils or carers the recorder may see."""
    school = await make_school(session, district=District.THANET)
    return [(await make_pupil(session, school=school)).subject_id for _ in range(3)]


def test_manual_channels_are_every_channel_but_the_api() -> None:
    assert {c.value for c in ManualChannel} == {c.value for c in DisclosureChannel} - {"api"}


class TestRecording:
    async def test_governance_records_a_release_and_reads_it_back(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
    ) -> None:
        governance = auth("information_governance", subject="ig-officer-1")
        body = release_body(subjects + subjects[:1])  # a repeated id is recorded once
        created = await client.post("/v1/disclosures", json=body, headers=governance)
        assert created.status_code == 201, created.text
        made = created.json()
        assert created.headers["location"] == f"/v1/disclosures/{made['id']}"
        assert made["automatic"] is False
        assert made["recorded_by"] == "ig-officer-1"
        assert made["approved_by"] == "ig-approver-7"
        assert made["channel"] == "secure_email"
        assert made["lawful_basis"] == "6(1)(e)"
        assert made["ground"] == "prevention_or_detection_of_crime"
        assert made["content_sha256"] == BUNDLE_HASH
        assert made["subject_ids"] == sorted(str(s) for s in subjects)
        assert made["subject_count"] == 3

        got = await client.get(f"/v1/disclosures/{made['id']}", headers=governance)
        assert got.status_code == 200, got.text
        assert got.json() == made
        assert got.headers["etag"] == created.headers["etag"]

        stored = await session.scalar(
            select(func.count())
            .select_from(DisclosureSubject)
            .where(DisclosureSubject.disclosure_id == uuid.UUID(made["id"]))
        )
        assert stored == 3
        change = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.decision_id == uuid.UUID(created.headers["kpas-decision-id"]),
                AuditEvent.kind == "change",
            )
        )
        assert change is not None
        assert (change.action, change.resource_id) == ("disclosure.recorded", made["id"])
        assert change.details["ground"] == "prevention_or_detection_of_crime"
        assert str(change.details["exemption"]).startswith("DPA 2018 Sch 2 para 2")
        assert change.details["schedule1"] == "10"

    async def test_release_under_an_agreement_in_force(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
    ) -> None:
        governance = auth("information_governance")
        police = await make_recipient(session, code="synthetic-police-force")
        other = await make_recipient(session, code="synthetic-other-body")
        agreement = await make_agreement(
            session,
            police,
            purposes=[Purpose.PROSECUTION],
            data_categories=[DataCategory.IDENTITY_CONTACT, DataCategory.ATTENDANCE],
            starts_on=date(2025, 1, 1),
            ends_on=date(2025, 12, 31),
        )
        foreign = await make_agreement(session, other, purposes=[Purpose.PROSECUTION])

        def body(**overrides: object) -> dict[str, object]:
            fields: dict[str, object] = {
                "recipient_id": str(police.id),
                "agreement_id": str(agreement.id),
                "purpose": "prosecution",
                "lawful_basis": "s35(2)(b)",
                "ground": None,
                "channel": "court_bundle",
                "disclosed_at": "2025-06-30T10:00:00+01:00",
                **overrides,
            }
            return release_body(subjects, **fields)

        async def pointers(**overrides: object) -> list[str]:
            response = await client.post(
                "/v1/disclosures", json=body(**overrides), headers=governance
            )
            return [e["pointer"] for e in assert_problem(response, 422)["errors"]]

        assert await pointers(agreement_id=str(foreign.id)) == ["/agreement_id"]
        assert await pointers(agreement_id=str(uuid.uuid4())) == ["/agreement_id"]
        assert await pointers(disclosed_at="2026-01-01T00:00:00Z") == ["/agreement_id"]
        assert await pointers(
            purpose="crime_prevention_disclosure",
            lawful_basis="6(1)(e)",
            ground="prevention_or_detection_of_crime",
        ) == ["/agreement_id"]
        assert await pointers(data_categories=["attendance", "special_category_health"]) == [
            "/data_categories/1"
        ]
        assert await count(session, Disclosure) == 0

        # The last day of the agreement, in London (23:30 UTC on 31 Dec is still 31 Dec).
        created = await client.post(
            "/v1/disclosures",
            json=body(disclosed_at="2025-12-31T23:30:00Z"),
            headers=governance,
        )
        assert created.status_code == 201, created.text
        assert created.json()["agreement_id"] == str(agreement.id)

    @pytest.mark.parametrize(
        ("override", "pointer"),
        [
            ({"recipient_id": str(uuid.uuid4())}, "/recipient_id"),
            ({"content_sha256": BUNDLE_HASH.upper()}, "/content_sha256"),
            ({"content_sha256": BUNDLE_HASH[:63]}, "/content_sha256"),
            ({"disclosed_at": "2099-01-01T00:00:00Z"}, "/disclosed_at"),
            ({"disclosed_at": "1999-12-31T23:59:59Z"}, "/disclosed_at"),
            ({"disclosed_at": "2026-03-01T10:00:00"}, "/disclosed_at"),
            ({"purpose": "intervention", "lawful_basis": "6(1)(c)"}, "/lawful_basis"),
            ({"purpose": "subject_rights"}, "/purpose"),
            ({"channel": "api"}, "/channel"),
            ({"approved_by": ""}, "/approved_by"),
            ({"request_reference": "Jane Example"}, "/request_reference"),
            ({"subject_ids": []}, "/subject_ids"),
            ({"subject_ids": [str(uuid.uuid4())]}, "/subject_ids/0"),
            ({"data_categories": ["shoe_size"]}, "/data_categories/0"),
            ({"decision_id": str(uuid.uuid4())}, "/decision_id"),
        ],
    )
    async def test_invalid_releases_are_refused_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
        override: dict[str, object],
        pointer: str,
    ) -> None:
        body = {**release_body(subjects), **override}
        response = await client.post(
            "/v1/disclosures", json=body, headers=auth("information_governance")
        )
        problem = assert_problem(response, 422)
        assert pointer in [e["pointer"] for e in problem["errors"]], problem
        assert "Jane" not in response.text  # input is never echoed
        assert await count(session, Disclosure) == 0

    async def test_inactive_recipient_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
    ) -> None:
        gone = await make_recipient(session, active=False)
        response = await client.post(
            "/v1/disclosures",
            json=release_body(subjects, recipient_id=str(gone.id)),
            headers=auth("information_governance"),
        )
        problem = assert_problem(response, 422)
        assert [e["code"] for e in problem["errors"]] == ["inactive_recipient"]

    async def test_idempotent_replay(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
    ) -> None:
        headers = {**auth("information_governance"), "Idempotency-Key": "release-2026-0001"}
        body = release_body(subjects)
        first = await client.post("/v1/disclosures", json=body, headers=headers)
        second = await client.post("/v1/disclosures", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await count(session, Disclosure) == 1
        other = await client.post(
            "/v1/disclosures", json={**body, "channel": "post"}, headers=headers
        )
        assert_problem(other, 422)

    async def test_disclosures_cannot_be_changed_or_deleted(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        subjects: list[uuid.UUID],
    ) -> None:
        governance = {**auth("information_governance"), "If-Match": "*"}
        made = await client.post("/v1/disclosures", json=release_body(subjects), headers=governance)
        path = f"/v1/disclosures/{made.json()['id']}"
        for method in ("PATCH", "PUT", "DELETE"):
            response = await client.request(method, path, json={}, headers=governance)
            assert_problem(response, 405)
            assert response.headers["allow"] == "GET"


class TestWhoMay:
    async def test_a_manager_records_and_sees_only_their_own(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        subjects: list[uuid.UUID],
    ) -> None:
        first = auth("attendance_manager", subject="manager-1", area_teams=("east",))
        second = auth("attendance_manager", subject="manager-2", area_teams=("east",))
        court = {
            "recipient_id": str(HMCTS),
            "purpose": "attendance_duty",
            "lawful_basis": "6(1)(c)",
            "ground": None,
            "channel": "court_bundle",
        }
        mine = await client.post(
            "/v1/disclosures", json=release_body(subjects, **court), headers=first
        )
        theirs = await client.post(
            "/v1/disclosures", json=release_body(subjects[:1], **court), headers=second
        )
        assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)

        listed = await client.get("/v1/disclosures", headers=first)
        assert [d["id"] for d in listed.json()["items"]] == [mine.json()["id"]]
        assert_problem(
            await client.get(f"/v1/disclosures/{theirs.json()['id']}", headers=first), 404
        )
        assert (await client.get(f"/v1/disclosures/{mine.json()['id']}", headers=first)).is_success

        everything = await client.get("/v1/disclosures", headers=auth("information_governance"))
        assert {d["id"] for d in everything.json()["items"]} == {
            mine.json()["id"],
            theirs.json()["id"],
        }

        # A reply to a police request under the law is governance's to record.
        police = await client.post("/v1/disclosures", json=release_body(subjects), headers=first)
        problem = assert_problem(police, 422)
        assert [e["code"] for e in problem["errors"]] == ["purpose_not_recordable"]

    @pytest.mark.parametrize(
        "role", ["school_staff", "partner", "admin", "attendance_officer", "inspector"]
    )
    async def test_others_are_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
        role: str,
    ) -> None:
        made = await client.post(
            "/v1/disclosures", json=release_body(subjects), headers=auth("information_governance")
        )
        headers = auth(role, org="kent-police", school_urns=(118800,))
        for method, path, body in (
            ("GET", "/v1/disclosures", None),
            ("GET", f"/v1/disclosures/{made.json()['id']}", None),
            ("POST", "/v1/disclosures", release_body(subjects)),
        ):
            response = await client.request(method, path, json=body, headers=headers)
            assert_problem(response, 403)
        assert await count(session, Disclosure) == 1

    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        for method, path in (
            ("GET", "/v1/disclosures"),
            ("GET", f"/v1/disclosures/{uuid.uuid4()}"),
            ("POST", "/v1/disclosures"),
        ):
            response = await client.request(method, path, json={})
            assert_problem(response, 401)


class TestListing:
    async def test_filters_and_pages_newest_first(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        alice, bob = await make_subjects(session, 2)
        other = await make_recipient(session)
        base = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)

        def disclosure(hours: int, **fields: Any) -> Disclosure:
            values: dict[str, Any] = {
                "id": uuid.uuid4(),
                "recipient_id": POLICE,
                "purpose": "intervention",
                "lawful_basis": "6(1)(e)",
                "data_categories": ["identity_contact"],
                "channel": DisclosureChannel.API,
                "automatic": True,
                "recorded_by": "partner-user",
                "disclosed_at": base + timedelta(hours=hours),
                "recorded_at": base + timedelta(hours=hours),
                "content_sha256": BUNDLE_HASH,
                **fields,
            }
            return Disclosure(**values)

        rows = [
            disclosure(0),
            disclosure(1, recipient_id=other.id),
            disclosure(2, purpose="prosecution"),
            disclosure(24, automatic=False, approved_by="approver", channel=DisclosureChannel.POST),
            disclosure(48),
        ]
        rows.append(disclosure(48, id=uuid.UUID(int=rows[-1].id.int ^ 1)))  # same moment
        session.add_all(rows)
        await session.flush()
        session.add_all(
            [
                DisclosureSubject(disclosure_id=rows[0].id, subject_id=alice.id),
                DisclosureSubject(disclosure_id=rows[2].id, subject_id=alice.id),
                DisclosureSubject(disclosure_id=rows[2].id, subject_id=bob.id),
            ]
        )
        await session.flush()
        governance = auth("information_governance")
        newest_first = sorted(rows, key=lambda d: (d.disclosed_at, d.id), reverse=True)

        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = await client.get("/v1/disclosures", params=params, headers=governance)
            assert page.status_code == 200, page.text
            seen.extend(item["id"] for item in page.json()["items"])
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == [str(d.id) for d in newest_first]

        async def ids(**params: str) -> list[str]:
            response = await client.get("/v1/disclosures", params=params, headers=governance)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert await ids(recipient_id=str(other.id)) == [str(rows[1].id)]
        assert await ids(purpose="prosecution") == [str(rows[2].id)]
        assert await ids(subject_id=str(alice.id)) == [str(rows[2].id), str(rows[0].id)]
        assert await ids(automatic="false") == [str(rows[3].id)]
        # 10 March in London: the first three (09:00 to 11:00 UTC).
        assert await ids(disclosed_from="2026-03-10", disclosed_to="2026-03-10") == [
            str(rows[2].id),
            str(rows[1].id),
            str(rows[0].id),
        ]
        assert await ids(disclosed_from="2026-03-12") == [str(d.id) for d in newest_first[:2]]
        counts = {
            item["id"]: item["subject_count"]
            for item in (await client.get("/v1/disclosures", headers=governance)).json()["items"]
        }
        assert (counts[str(rows[2].id)], counts[str(rows[1].id)]) == (2, 0)

        for params in (
            {"cursor": "not-a-cursor"},
            {"disclosed_from": "2026-03-12", "disclosed_to": "2026-03-10"},
            {"purpose": "marketing"},
            {"disclosed_to": "0"},
        ):
            response = await client.get("/v1/disclosures", params=params, headers=governance)
            assert_problem(response, 422)

    async def test_unknown_id_is_404_and_malformed_is_422(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        governance = auth("information_governance")
        assert_problem(await client.get(f"/v1/disclosures/{uuid.uuid4()}", headers=governance), 404)
        assert_problem(await client.get("/v1/disclosures/nope", headers=governance), 422)


class TestReleasesOnRequest:
    async def test_each_names_its_ground_and_the_request_it_answers(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        subjects: list[uuid.UUID],
    ) -> None:
        governance = auth("information_governance")

        async def codes(**overrides: object) -> list[str]:
            response = await client.post(
                "/v1/disclosures", json=release_body(subjects, **overrides), headers=governance
            )
            return [e["code"] for e in assert_problem(response, 422)["errors"]]

        assert await codes(ground=None) == ["ground_required"]
        assert await codes(request_reference=None) == ["reference_required"]
        # A court's ground is not a police request's.
        assert await codes(ground="court_order") == ["ground_required"]
        assert await codes(
            purpose="court_disclosure", lawful_basis="6(1)(c)", recipient_id=str(HMCTS)
        ) == ["ground_required"]
        # The retired purpose is no longer a purpose at all.
        assert_problem(
            await client.post(
                "/v1/disclosures",
                json=release_body(subjects, purpose="legal_disclosure"),
                headers=governance,
            ),
            422,
        )
        court = await client.post(
            "/v1/disclosures",
            json=release_body(
                subjects,
                purpose="court_disclosure",
                lawful_basis="6(1)(c)",
                recipient_id=str(HMCTS),
                channel="court_bundle",
                ground="court_order",
            ),
            headers=governance,
        )
        assert court.status_code == 201, court.text
        assert court.json()["ground"] == "court_order"
        assert await count(session, Disclosure) == 1
