"""``/v1/pupils``: who sees which pupils, search, creating and changing a pupil, and their
carers."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AuditEvent,
    Carer,
    CarerRelationship,
    DataCategory,
    DataSubject,
    Disclosure,
    DisclosureSubject,
    ObjectionStatus,
    Pupil,
    School,
    SubjectObjection,
)
from app.policies.registry import Purpose
from app.rules.kent import District
from app.rules.retention import pupil_retain_until
from tests.case_support import OFFICER, make_case
from tests.conftest import AuthHeaders
from tests.factories import (
    assert_problem,
    make_agreement,
    make_carer,
    make_pupil,
    make_recipient,
    make_school,
    make_upn,
    manager_headers,
)


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE, name="Weald Primary School")


def governance(auth: AuthHeaders) -> dict[str, str]:
    return auth("information_governance", purpose="subject_rights")


def pointers(body: dict[str, object]) -> set[str]:
    errors = body["errors"]
    assert isinstance(errors, list)
    return {e["pointer"] for e in errors}


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: object) -> set[str]:
    response = await client.get("/v1/pupils", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def pupil_body(urn: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "upn": make_upn(),
        "legal_forename": "Zoë",
        "legal_surname": "O\u2019Keeffe",
        "date_of_birth": "2014-02-28",
        "gender": "female",
        "address_lines": ["1 Synthetic Street", "Margate"],
        "postcode": "ct9 1aa",
        "phone": "07700 900123",
        "email": "Family@Example.ORG",
        "enrolment": {"school_urn": urn, "on_roll_from": "2024-09-01"},
    }
    body.update(overrides)
    return body


class TestWhoSees:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/pupils"), 401)
        assert_problem(await client.get(f"/v1/pupils/{uuid.uuid4()}"), 401)

    async def test_manager_sees_pupils_on_roll_in_their_area_teams_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        mine = await make_pupil(session, school=east)
        theirs = await make_pupil(session, school=west)
        left = await make_pupil(session, school=east, off_roll_on=date(2025, 7, 20))
        headers = manager_headers(auth)
        assert await listed(client, headers) == {str(mine.id)}
        for hidden in (theirs, left):
            assert_problem(await client.get(f"/v1/pupils/{hidden.id}", headers=headers), 404)
        response = await client.get(f"/v1/pupils/{mine.id}", headers=headers)
        assert response.status_code == 200, response.text
        assert response.headers["etag"]
        body = response.json()
        assert body["retain_until"] == "2039-05-16"  # the day before 17 May 2039
        assert body["merged_into_id"] is None
        assert [
            (e["school_urn"], e["on_roll_from"], e["off_roll_on"]) for e in body["enrolments"]
        ] == [(east.urn, "2024-09-01", None)]
        assert "surname_key" not in body and "forename_key" not in body

    async def test_school_staff_see_their_own_roll_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        mine = await make_pupil(session, school=east)
        theirs = await make_pupil(session, school=west)
        headers = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
        assert await listed(client, headers) == {str(mine.id)}
        assert_problem(await client.get(f"/v1/pupils/{theirs.id}", headers=headers), 404)
        assert (await client.get(f"/v1/pupils/{mine.id}", headers=headers)).status_code == 200

    @pytest.mark.parametrize(
        ("role", "purpose"),
        [
            ("admin", None),
            ("mis_integration", "attendance_duty"),
            ("licensing_officer", "child_employment_licensing"),
        ],
    )
    async def test_other_roles_are_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        role: str,
        purpose: str | None,
    ) -> None:
        pupil = await make_pupil(session, school=east)
        headers = auth(role, area_teams=("east",), school_urns=(east.urn,), purpose=purpose)
        for path in ("/v1/pupils", f"/v1/pupils/{pupil.id}", f"/v1/pupils/{pupil.id}/carers"):
            body = assert_problem(await client.get(path, headers=headers), 403)
            assert body["policy"]["rule"]  # type: ignore[index]

    async def test_an_officer_sees_a_pupil_only_through_one_of_their_cases(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
    ) -> None:
        pupil = await make_pupil(session, school=east)
        headers = auth(
            "attendance_officer", subject=OFFICER, area_teams=("east",), purpose="attendance_duty"
        )
        assert await listed(client, headers) == set()
        assert_problem(await client.get(f"/v1/pupils/{pupil.id}", headers=headers), 404)
        await make_case(session, school=east, pupil=pupil)
        assert await listed(client, headers) == {str(pupil.id)}
        assert (await client.get(f"/v1/pupils/{pupil.id}", headers=headers)).status_code == 200

    async def test_governance_sees_everyone_under_subject_rights_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        pupils = {
            str((await make_pupil(session, school=east)).id),
            str((await make_pupil(session, school=west)).id),
            str((await make_pupil(session)).id),  # on no roll at all
        }
        assert await listed(client, governance(auth), limit=200) >= pupils
        refused = await client.get(
            "/v1/pupils", headers=auth("information_governance", purpose="attendance_duty")
        )
        assert assert_problem(refused, 403)["policy"]["rule"] == "purpose.not_allowed"  # type: ignore[index]

    async def test_restriction_objection_and_retention_hide_pupils(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        visible = await make_pupil(session, school=east)
        restricted = await make_pupil(session, school=east)
        pending = await make_pupil(session, school=east)
        suspended = await make_pupil(session, school=east)
        upheld = await make_pupil(session, school=east)
        expired = await make_pupil(session, school=east)
        (await session.get(DataSubject, restricted.subject_id)).restricted_since = datetime.now(UTC)  # type: ignore[union-attr]
        (await session.get(DataSubject, expired.subject_id)).retain_until = (
            date.today() - timedelta(days=2)
        )  # type: ignore[union-attr]
        for pupil, status, restrict_pending in (
            (pending, ObjectionStatus.PENDING, False),
            (suspended, ObjectionStatus.PENDING, True),
            (upheld, ObjectionStatus.UPHELD, False),
        ):
            session.add(
                SubjectObjection(
                    subject_id=pupil.subject_id,
                    purpose="intervention",
                    status=status,
                    restrict_pending=restrict_pending,
                )
            )
        await session.flush()

        # Intervention rests on 6(1)(e) alone: an upheld objection stops it; a pending one
        # suspends it only where restriction was asked for while it is decided (Art 18(1)(d)).
        headers = manager_headers(auth, purpose="intervention")
        assert await listed(client, headers) == {str(visible.id), str(pending.id)}
        for hidden in (restricted, suspended, upheld, expired):
            assert_problem(await client.get(f"/v1/pupils/{hidden.id}", headers=headers), 404)
        # The objections are to intervention: the attendance duty carries on.
        assert await listed(client, manager_headers(auth)) == {
            str(p.id) for p in (visible, pending, suspended, upheld)
        }

    async def test_merged_records_are_left_out_unless_asked_for(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        survivor = await make_pupil(session, school=east)
        merged = await make_pupil(session, school=east)
        merged.merged_into_id = survivor.id
        await session.flush()
        headers = manager_headers(auth)
        assert await listed(client, headers) == {str(survivor.id)}
        assert await listed(client, headers, include_merged="true") == {
            str(survivor.id),
            str(merged.id),
        }
        response = await client.get(f"/v1/pupils/{merged.id}", headers=headers)
        assert response.json()["merged_into_id"] == str(survivor.id)


class TestSearch:
    async def test_name_prefixes_ignore_case_and_accents(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        names = {
            ("Zoë", "O'Keeffe"): None,
            ("Zoe", "Okafor"): None,
            ("Oliver", "O\u2019Keeffe"): None,
            ("Amelia", "Smith"): None,
        }
        ids = {}
        for forename, surname in names:
            pupil = await make_pupil(
                session, school=east, legal_forename=forename, legal_surname=surname
            )
            ids[forename, surname] = str(pupil.id)
        headers = manager_headers(auth)
        response = await client.get("/v1/pupils", params={"name": "O'K"}, headers=headers)
        # In name order: surname key, then forename key.
        assert [i["id"] for i in response.json()["items"]] == [
            ids["Oliver", "O\u2019Keeffe"],
            ids["Zoë", "O'Keeffe"],
        ]
        assert await listed(client, headers, name="zoe o") == {
            ids["Zoë", "O'Keeffe"],
            ids["Zoe", "Okafor"],
        }
        assert await listed(client, headers, name="SMI") == {ids["Amelia", "Smith"]}
        assert await listed(client, headers, name="Smj") == set()

    async def test_filters_by_upn_school_and_date_of_birth(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        other_east = await make_school(session, district=District.CANTERBURY)
        first = await make_pupil(session, school=east, date_of_birth=date(2013, 1, 2))
        second = await make_pupil(session, school=other_east)
        headers = manager_headers(auth)
        assert await listed(client, headers, upn=first.upn.lower()) == {str(first.id)}  # type: ignore[union-attr]
        assert await listed(client, headers, school_urn=other_east.urn) == {str(second.id)}
        assert await listed(client, headers, date_of_birth="2013-01-02") == {str(first.id)}
        body = assert_problem(
            await client.get("/v1/pupils", params={"upn": "Q207000016049"}, headers=headers), 422
        )
        assert pointers(body) == {"/upn"}

    async def test_pages_cover_everyone_once_and_cursors_carry_no_names(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        expected = set()
        for surname in ("Ashdown", "Ashdown", "Brambleby", "Chalcott", "Dunmore"):
            expected.add(str((await make_pupil(session, school=east, legal_surname=surname)).id))
        headers = manager_headers(auth)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/pupils", params=params, headers=headers)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
            sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).lower()
            assert b"ashdown" not in sealed and b"brambleby" not in sealed
        assert len(seen) == len(expected) and set(seen) == expected
        bad = await client.get("/v1/pupils", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=headers)
        assert pointers(assert_problem(bad, 422)) == {"/cursor"}


class TestCreate:
    async def test_manager_creates_a_pupil_in_their_area(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        body = pupil_body(east.urn)
        response = await client.post("/v1/pupils", json=body, headers=manager_headers(auth))
        assert response.status_code == 201, response.text
        created = response.json()
        assert response.headers["location"] == f"/v1/pupils/{created['id']}"
        assert response.headers["etag"]
        assert created["upn"] == body["upn"]
        assert (created["phone"], created["postcode"]) == ("+447700900123", "CT9 1AA")
        assert created["email"] == "Family@example.org"
        assert created["retain_until"] == "2039-02-27"
        assert created["enrolments"][0]["school_urn"] == east.urn
        pupil = await session.get(Pupil, uuid.UUID(created["id"]))
        assert pupil is not None and pupil.surname_key == "o'keeffe"
        subject = await session.get(DataSubject, pupil.subject_id)
        assert subject is not None and subject.retain_until == date(2039, 2, 27)
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "pupil.created", AuditEvent.resource_id == created["id"]
            )
        )
        assert event is not None and event.subject_id == pupil.subject_id

    async def test_a_pupil_outside_the_callers_reach_is_refused_and_not_written(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, west: School
    ) -> None:
        before = (await count(session, Pupil), await count(session, DataSubject))
        response = await client.post(
            "/v1/pupils", json=pupil_body(west.urn), headers=manager_headers(auth)
        )
        assert assert_problem(response, 403)["policy"]["rule"] == "pupils.manager.write"  # type: ignore[index]
        assert (await count(session, Pupil), await count(session, DataSubject)) == before
        refusal = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.decision_id == uuid.UUID(response.headers["kpas-decision-id"]),
                AuditEvent.outcome == "deny",
            )
        )
        assert refusal is not None and refusal.details == {"reason": "condition_not_met"}

    async def test_school_staff_cannot_create(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School
    ) -> None:
        headers = auth("school_staff", school_urns=(east.urn,), purpose="attendance_duty")
        response = await client.post("/v1/pupils", json=pupil_body(east.urn), headers=headers)
        assert_problem(response, 403)

    async def test_bad_fields_are_named_and_nothing_is_written(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        before = await count(session, Pupil)
        body = pupil_body(
            east.urn,
            upn="Q207000016049",
            date_of_birth=(date.today() + timedelta(days=3)).isoformat(),
            phone="07700 90012",
            email="family@",
            postcode="QQ1 1AA",
        )
        response = await client.post("/v1/pupils", json=body, headers=manager_headers(auth))
        problem = assert_problem(response, 422)
        assert pointers(problem) == {"/upn", "/date_of_birth", "/phone", "/email", "/postcode"}
        assert "Q207000016049" not in response.text and "90012" not in response.text
        assert await count(session, Pupil) == before

    @pytest.mark.parametrize("born", ["2014-02-30", "1990-01-01", "2014-2-1"])
    async def test_impossible_dates_of_birth_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School, born: str
    ) -> None:
        response = await client.post(
            "/v1/pupils",
            json=pupil_body(east.urn, date_of_birth=born),
            headers=manager_headers(auth),
        )
        assert pointers(assert_problem(response, 422)) == {"/date_of_birth"}

    async def test_enrolment_must_name_a_school_and_follow_birth(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School
    ) -> None:
        headers = manager_headers(auth)
        unknown = pupil_body(999990)
        response = await client.post("/v1/pupils", json=unknown, headers=headers)
        assert pointers(assert_problem(response, 422)) == {"/enrolment/school_urn"}
        early = pupil_body(
            east.urn, enrolment={"school_urn": east.urn, "on_roll_from": "2010-09-01"}
        )
        response = await client.post("/v1/pupils", json=early, headers=headers)
        assert pointers(assert_problem(response, 422)) == {"/enrolment/on_roll_from"}
        extra = pupil_body(east.urn, ethnicity="x")
        response = await client.post("/v1/pupils", json=extra, headers=headers)
        assert pointers(assert_problem(response, 422)) == {"/ethnicity"}

    async def test_replayed_create_returns_the_first_response(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        headers = {**manager_headers(auth), "Idempotency-Key": "pupil-create-1"}
        body = pupil_body(east.urn)
        first = await client.post("/v1/pupils", json=body, headers=headers)
        second = await client.post("/v1/pupils", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await count(session, Pupil) == 1


class TestUpdate:
    async def test_preconditions_are_required(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        path, headers = f"/v1/pupils/{pupil.id}", manager_headers(auth)
        assert_problem(await client.patch(path, json={"gender": "male"}, headers=headers), 428)
        stale = {**headers, "If-Match": '"stale-1"'}
        assert_problem(await client.patch(path, json={"gender": "male"}, headers=stale), 412)

    async def test_changes_keep_keys_retention_and_carers_in_step(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east, phone="+447700900111")
        carer = await make_carer(session, pupil=pupil)
        headers = manager_headers(auth)
        etag = (await client.get(f"/v1/pupils/{pupil.id}", headers=headers)).headers["etag"]
        response = await client.patch(
            f"/v1/pupils/{pupil.id}",
            json={"legal_surname": "Ó Dálaigh", "date_of_birth": "2015-03-04", "phone": None},
            headers={**headers, "If-Match": etag},
        )
        assert response.status_code == 200, response.text
        assert response.headers["etag"] != etag
        body = response.json()
        assert (body["legal_surname"], body["phone"], body["retain_until"]) == (
            "Ó Dálaigh",
            None,
            "2040-03-03",
        )
        assert await listed(client, headers, name="alex o dal") == {str(pupil.id)}
        carer_subject = await session.get(DataSubject, carer.subject_id)
        await session.refresh(carer_subject)
        assert carer_subject is not None and carer_subject.retain_until == date(2040, 3, 3)
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "pupil.updated", AuditEvent.resource_id == str(pupil.id)
            )
        )
        assert event is not None
        assert event.details["fields"] == "date_of_birth,legal_surname,phone"

    async def test_required_fields_cannot_be_removed_and_bad_values_are_named(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        response = await client.patch(
            f"/v1/pupils/{pupil.id}",
            json={"legal_surname": None, "upn": "B801200005002", "email": "x@", "gender": "x"},
            headers={**manager_headers(auth), "If-Match": "*"},
        )
        problem = assert_problem(response, 422)
        assert pointers(problem) == {"/legal_surname", "/upn", "/email", "/gender"}
        await session.refresh(pupil)
        assert pupil.legal_surname == "Example" and pupil.version == 1

    async def test_a_merged_record_is_not_changed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        survivor = await make_pupil(session, school=east)
        merged = await make_pupil(session, school=east, merged_into_id=survivor.id)
        response = await client.patch(
            f"/v1/pupils/{merged.id}",
            json={"gender": "male"},
            headers={**manager_headers(auth), "If-Match": "*"},
        )
        assert_problem(response, 409)


class TestCarers:
    async def test_carers_come_in_contact_order_without_hidden_subjects(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        second = await make_carer(session, pupil=pupil, forename="Bea", contact_priority=2)
        unordered = await make_carer(session, pupil=pupil, forename="Cal", contact_priority=None)
        first = await make_carer(session, pupil=pupil, forename="Ada", contact_priority=1)
        restricted = await make_carer(session, pupil=pupil, forename="Dee", contact_priority=3)
        subject = await session.get(DataSubject, restricted.subject_id)
        assert subject is not None
        subject.restricted_since = datetime.now(UTC)
        await session.flush()
        response = await client.get(f"/v1/pupils/{pupil.id}/carers", headers=manager_headers(auth))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [i["carer"]["id"] for i in items] == [
            str(first.id),
            str(second.id),
            str(unordered.id),
        ]
        assert items[0]["relationship_type"] == "mother"
        assert items[0]["parental_responsibility"] is True

    async def test_link_update_and_unlink(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east, date_of_birth=date(2016, 6, 1))
        sibling = await make_pupil(session, school=east, date_of_birth=date(2012, 1, 1))
        carer = await make_carer(session, pupil=sibling)
        headers = manager_headers(auth)
        path = f"/v1/pupils/{pupil.id}/carers"
        link = {
            "carer_id": str(carer.id),
            "relationship_type": "father",
            "parental_responsibility": True,
            "lives_with": False,
        }
        created = await client.post(path, json=link, headers=headers)
        assert created.status_code == 201, created.text
        assert created.headers["location"] == f"{path}/{carer.id}"
        assert created.json()["relationship_type"] == "father"
        assert_problem(await client.post(path, json=link, headers=headers), 409)
        # The carer is now kept as long as their youngest pupil's record.
        subject = await session.get(DataSubject, carer.subject_id)
        await session.refresh(subject)
        assert subject is not None and subject.retain_until == pupil_retain_until(date(2016, 6, 1))

        item = f"{path}/{carer.id}"
        assert_problem(await client.patch(item, json={"lives_with": True}, headers=headers), 428)
        updated = await client.patch(
            item,
            json={"lives_with": True, "contact_priority": 2},
            headers={**headers, "If-Match": created.headers["etag"]},
        )
        assert updated.status_code == 200, updated.text
        assert (updated.json()["lives_with"], updated.json()["contact_priority"]) == (True, 2)
        stale = {**headers, "If-Match": created.headers["etag"]}
        assert_problem(await client.delete(item, headers=stale), 412)
        gone = await client.delete(item, headers={**headers, "If-Match": updated.headers["etag"]})
        assert gone.status_code == 204
        assert_problem(await client.get(item, headers=headers), 404)

    async def test_link_a_new_carer(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        response = await client.post(
            f"/v1/pupils/{pupil.id}/carers",
            json={
                "carer": {"forename": "Sam", "surname": "Example", "phone": "07700 900222"},
                "relationship_type": "guardian",
                "parental_responsibility": True,
                "lives_with": True,
                "contact_priority": 1,
            },
            headers={**manager_headers(auth), "Idempotency-Key": "link-new-carer"},
        )
        assert response.status_code == 201, response.text
        carer = await session.get(Carer, uuid.UUID(response.json()["carer"]["id"]))
        assert carer is not None and carer.phone == "+447700900222"
        subject = await session.get(DataSubject, carer.subject_id)
        assert subject is not None and subject.retain_until == pupil_retain_until(
            pupil.date_of_birth
        )
        assert await count(session, CarerRelationship) == 1

    async def test_link_names_one_carer_and_only_one_the_caller_may_see(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        pupil = await make_pupil(session, school=east)
        elsewhere = await make_carer(session, pupil=await make_pupil(session, school=west))
        path, headers = f"/v1/pupils/{pupil.id}/carers", manager_headers(auth)
        relationship = {
            "relationship_type": "other",
            "parental_responsibility": False,
            "lives_with": False,
        }
        both = {
            **relationship,
            "carer_id": str(elsewhere.id),
            "carer": {"forename": "A", "surname": "B"},
        }
        assert pointers(
            assert_problem(await client.post(path, json=both, headers=headers), 422)
        ) == {
            "/carer_id",
            "/carer",
        }
        hidden = {**relationship, "carer_id": str(elsewhere.id)}
        assert_problem(await client.post(path, json=hidden, headers=headers), 404)
        assert await count(session, CarerRelationship) == 1


class TestRelease:
    async def test_a_partner_read_is_disclosed_with_the_hash_of_what_was_sent(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
    ) -> None:
        police = await make_recipient(session, code="synthetic-police")
        await make_agreement(
            session,
            police,
            purposes=[Purpose.INTERVENTION],
            data_categories=[DataCategory.IDENTITY_CONTACT],
            starts_on=date(2020, 1, 1),
        )
        pupil = await make_pupil(session, school=east)
        carer = await make_carer(session, pupil=pupil)
        headers = auth("partner", org="synthetic-police", purpose="intervention")
        for path, subjects in (
            (f"/v1/pupils/{pupil.id}", {pupil.subject_id}),
            (f"/v1/pupils?school_urn={east.urn}", {pupil.subject_id}),
            (f"/v1/pupils/{pupil.id}/carers", {pupil.subject_id, carer.subject_id}),
        ):
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, response.text
            digest = hashlib.sha256(response.content).hexdigest()
            disclosure = await session.scalar(
                select(Disclosure).where(Disclosure.content_sha256 == digest)
            )
            assert disclosure is not None, path
            assert disclosure.purpose == "intervention"
            assert disclosure.data_categories == ["identity_contact"]
            released = await session.scalars(
                select(DisclosureSubject.subject_id).where(
                    DisclosureSubject.disclosure_id == disclosure.id
                )
            )
            assert set(released.all()) == subjects

    async def test_staff_reads_are_not_disclosures(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        assert (
            await client.get(f"/v1/pupils/{pupil.id}", headers=manager_headers(auth))
        ).status_code == 200
        assert await count(session, Disclosure) == 0
