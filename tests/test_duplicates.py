"""Possible duplicates: flagged when pupils are created or changed, reviewed by managers and
information governance, then dismissed or merged (both records and histories kept)."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AuditEvent,
    CarerRelationship,
    DuplicateReason,
    DuplicateStatus,
    Enrolment,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    School,
    SensitiveCategory,
    SensitiveEntry,
)
from app.rules.kent import District
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from tests.conftest import AuthHeaders
from tests.factories import (
    make_carer,
    make_pupil,
    make_school,
    make_upn,
    manager_headers,
    problem_body,
)


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET)


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE)


def pupil_body(urn: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "legal_forename": "Zoe",
        "legal_surname": "O'Keeffe",
        "date_of_birth": "2014-05-17",
        "gender": "female",
        "postcode": "CT9 1AA",
        "enrolment": {"school_urn": urn, "on_roll_from": "2024-09-01"},
    }
    body.update(overrides)
    return body


async def duplicates_of(session: AsyncSession, pupil_id: uuid.UUID) -> list[PossibleDuplicate]:
    rows = await session.scalars(
        select(PossibleDuplicate).where(
            (PossibleDuplicate.first_id == pupil_id) | (PossibleDuplicate.second_id == pupil_id)
        )
    )
    return list(rows.all())


async def flag(session: AsyncSession, first: Pupil, second: Pupil) -> PossibleDuplicate:
    a, b = sorted((first.id, second.id))
    duplicate = PossibleDuplicate(
        kind=PersonKind.PUPIL, first_id=a, second_id=b, reason=DuplicateReason.SAME_UPN
    )
    session.add(duplicate)
    await session.flush()
    return duplicate


class TestFlagging:
    async def test_same_upn_is_flagged_on_create(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        existing = await make_pupil(session, school=east, legal_forename="Someone")
        response = await client.post(
            "/v1/pupils",
            json=pupil_body(east.urn, upn=existing.upn, postcode="ME14 1XQ"),
            headers=manager_headers(auth),
        )
        assert response.status_code == 201, response.text
        [duplicate] = await duplicates_of(session, existing.id)
        assert duplicate.reason is DuplicateReason.SAME_UPN
        assert {duplicate.first_id, duplicate.second_id} == {
            existing.id,
            uuid.UUID(response.json()["id"]),
        }
        assert duplicate.status is DuplicateStatus.OPEN

    async def test_same_names_birth_date_and_postcode_despite_accents_and_case(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        existing = await make_pupil(
            session,
            school=east,
            legal_forename="Zoë",
            legal_surname="O\u2019KEEFFE",
            postcode="CT9 1AA",
        )
        different_postcode = await make_pupil(
            session, school=east, legal_forename="Zoe", legal_surname="O'Keeffe", postcode="CT9 2BB"
        )
        response = await client.post(
            "/v1/pupils",
            json=pupil_body(east.urn, postcode="ct91aa"),
            headers=manager_headers(auth),
        )
        assert response.status_code == 201, response.text
        [duplicate] = await duplicates_of(session, existing.id)
        assert duplicate.reason is DuplicateReason.SAME_NAME_BIRTH_DATE_POSTCODE
        assert await duplicates_of(session, different_postcode.id) == []

    async def test_a_change_that_makes_a_duplicate_is_flagged(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        first = await make_pupil(session, school=east)
        second = await make_pupil(session, school=east, legal_forename="Other")
        assert await duplicates_of(session, first.id) == []
        response = await client.patch(
            f"/v1/pupils/{second.id}",
            json={"upn": first.upn},
            headers={**manager_headers(auth), "If-Match": "*"},
        )
        assert response.status_code == 200, response.text
        [duplicate] = await duplicates_of(session, first.id)
        assert duplicate.reason is DuplicateReason.SAME_UPN


class TestReview:
    async def test_reviewers_list_get_and_dismiss(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        first, second = await make_pupil(session, school=east), await make_pupil(session)
        duplicate = await flag(session, first, second)
        headers = auth("information_governance", purpose="subject_rights")
        listed = await client.get(
            "/v1/possible-duplicates", params={"status": "open"}, headers=headers
        )
        assert listed.status_code == 200, listed.text
        assert str(duplicate.id) in {d["id"] for d in listed.json()["items"]}
        path = f"/v1/possible-duplicates/{duplicate.id}"
        got = await client.get(path, headers=manager_headers(auth))
        assert got.json()["first_id"] == str(min(first.id, second.id))
        manager = auth(
            "attendance_manager", subject="manager-7", area_teams=("east",), purpose="intervention"
        )
        dismissed = await client.post(f"{path}/dismissal", headers=manager)
        assert dismissed.status_code == 200, dismissed.text
        body = dismissed.json()
        assert (body["status"], body["resolved_by"]) == ("not_duplicate", "manager-7")
        assert body["resolved_at"] is not None
        problem_body(await client.post(f"{path}/dismissal", headers=headers), 409)
        closed = await client.get(
            "/v1/possible-duplicates", params={"status": "not_duplicate"}, headers=headers
        )
        assert [d["id"] for d in closed.json()["items"]] == [str(duplicate.id)]
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "possible_duplicate.dismissed",
                AuditEvent.resource_id == str(duplicate.id),
            )
        )
        assert event is not None

    async def test_pages_through_the_queue(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        made = set()
        for _ in range(5):
            first, second = await make_pupil(session, school=east), await make_pupil(session)
            made.add(str((await flag(session, first, second)).id))
        headers = manager_headers(auth)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2, "kind": "pupil"}
            if cursor:
                params["cursor"] = cursor
            page = (
                await client.get("/v1/possible-duplicates", params=params, headers=headers)
            ).json()
            seen += page["items"] and [d["id"] for d in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) and made <= set(seen)

    @pytest.mark.parametrize(
        "role", ["attendance_officer", "school_staff", "admin", "mis_integration", "partner"]
    )
    async def test_others_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: str
    ) -> None:
        duplicate = await flag(session, await make_pupil(session), await make_pupil(session))
        headers = auth(role, org="kent-police" if role == "partner" else None)
        for method, path in (
            ("GET", "/v1/possible-duplicates"),
            ("GET", f"/v1/possible-duplicates/{duplicate.id}"),
            ("POST", f"/v1/possible-duplicates/{duplicate.id}/dismissal"),
        ):
            problem_body(await client.request(method, path, headers=headers), 403)

    async def test_unknown_duplicate_is_404_and_anonymous_is_401(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        path = f"/v1/possible-duplicates/{uuid.uuid4()}"
        problem_body(await client.get(path, headers=manager_headers(auth)), 404)
        problem_body(await client.post(f"{path}/dismissal", headers=manager_headers(auth)), 404)
        problem_body(await client.get(path), 401)


class TestMerge:
    async def test_merge_moves_history_and_keeps_both_records(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        upn = make_upn()
        survivor = await make_pupil(session, school=east, upn=upn, on_roll_from=date(2025, 9, 1))
        other = await make_pupil(session, school=east, upn=upn, on_roll_from=date(2024, 9, 1))
        session.add(
            Enrolment(
                pupil_id=other.id,
                school_urn=west.urn,
                on_roll_from=date(2022, 9, 1),
                off_roll_on=date(2024, 7, 19),
                source="manual",
            )
        )
        shared = await make_carer(session, pupil=survivor, forename="Shared")
        await session.flush()
        session.add(
            CarerRelationship(
                pupil_id=other.id,
                carer_id=shared.id,
                relationship_type="mother",
                parental_responsibility=True,
                lives_with=True,
            )
        )
        only_other = await make_carer(session, pupil=other, forename="Only", contact_priority=2)
        entry = SensitiveEntry(
            pupil_id=other.id,
            subject_id=other.subject_id,
            purposes_mask=PEOPLE_PURPOSES_MASK,
            lawful_basis=PEOPLE_BASIS,
            category=SensitiveCategory.SEND,
            details={"provision": "sen_support"},
            source="school census",
            article9_condition="9(2)(g)",
            recorded_by="tester-1",
        )
        session.add(entry)
        await session.flush()
        duplicate = await flag(session, survivor, other)

        headers = manager_headers(auth)
        path = f"/v1/pupils/{survivor.id}/merge"
        body = {"duplicate_id": str(duplicate.id), "merge_from": str(other.id)}
        problem_body(await client.post(path, json=body, headers=headers), 428)
        problem_body(
            await client.post(path, json=body, headers={**headers, "If-Match": '"stale-1"'}), 412
        )
        etag = (await client.get(f"/v1/pupils/{survivor.id}", headers=headers)).headers["etag"]
        response = await client.post(path, json=body, headers={**headers, "If-Match": etag})
        assert response.status_code == 200, response.text
        assert response.headers["etag"] != etag
        merged = response.json()
        # The open enrolment at the same school is one enrolment, from the earlier date; the
        # other record's closed enrolment moves across.
        assert sorted(
            (e["school_urn"], e["on_roll_from"], e["off_roll_on"]) for e in merged["enrolments"]
        ) == sorted([(east.urn, "2024-09-01", None), (west.urn, "2022-09-01", "2024-07-19")])

        carers = (await client.get(f"/v1/pupils/{survivor.id}/carers", headers=headers)).json()
        assert {c["carer"]["id"] for c in carers["items"]} == {str(shared.id), str(only_other.id)}

        governance = auth("information_governance", purpose="subject_rights")
        kept = (await client.get(f"/v1/pupils/{other.id}", headers=governance)).json()
        assert kept["merged_into_id"] == str(survivor.id)
        await session.refresh(entry)
        assert (entry.pupil_id, entry.subject_id) == (survivor.id, survivor.subject_id)
        await session.refresh(duplicate)
        assert (duplicate.status, duplicate.survivor_id) == (DuplicateStatus.MERGED, survivor.id)
        assert duplicate.resolved_by == "tester-1"
        events = await session.scalars(
            select(AuditEvent).where(
                AuditEvent.kind == "change",
                AuditEvent.action.in_(("pupil.merged", "pupil.merged_into")),
            )
        )
        assert {(e.action, e.resource_id, e.subject_id) for e in events} == {
            ("pupil.merged", str(survivor.id), survivor.subject_id),
            ("pupil.merged_into", str(other.id), other.subject_id),
        }
        # Merged once. The other record left every roll, so only governance still sees it;
        # for them the merge is refused as already done.
        problem_body(await client.post(path, json=body, headers={**headers, "If-Match": "*"}), 404)
        again = await client.post(path, json=body, headers={**governance, "If-Match": "*"})
        problem_body(again, 409)

    async def test_merge_needs_both_pupils_visible_and_a_matching_open_duplicate(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        survivor = await make_pupil(session, school=east)
        elsewhere = await make_pupil(session, school=west)
        nearby = await make_pupil(session, school=east)
        hidden_pair = await flag(session, survivor, elsewhere)
        unrelated = await flag(session, elsewhere, nearby)
        headers = {**manager_headers(auth), "If-Match": "*"}
        path = f"/v1/pupils/{survivor.id}/merge"
        response = await client.post(
            path,
            json={"duplicate_id": str(hidden_pair.id), "merge_from": str(elsewhere.id)},
            headers=headers,
        )
        problem_body(response, 404)
        response = await client.post(
            path,
            json={"duplicate_id": str(unrelated.id), "merge_from": str(nearby.id)},
            headers=headers,
        )
        assert {e["pointer"] for e in problem_body(response, 422)["errors"]} == {"/duplicate_id"}  # type: ignore[union-attr]
        response = await client.post(
            path,
            json={"duplicate_id": str(unrelated.id), "merge_from": str(survivor.id)},
            headers=headers,
        )
        problem_body(response, 422)
        school = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
        refused = await client.post(
            path,
            json={"duplicate_id": str(unrelated.id), "merge_from": str(nearby.id)},
            headers={**school, "If-Match": "*"},
        )
        problem_body(refused, 403)
        assert (await session.get(Pupil, nearby.id)).merged_into_id is None  # type: ignore[union-attr]
