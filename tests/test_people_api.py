"""``/v1/people``: the people on licences who are not pupils on a Kent roll. Licensing officers
record, search and correct them under ``child_employment_licensing``; information governance
reads them under a governance purpose; attendance staff, schools and administrators never see
them. A person who may be someone already held is flagged as a possible duplicate."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, PossibleDuplicate
from app.models.audit import AuditEventSubject
from app.models.licences import Person
from app.models.people import DuplicateReason, PersonKind
from app.models.subjects import DataSubject, SubjectKind
from app.policies.registry import Purpose, purposes_mask
from tests.conftest import AuthHeaders
from tests.factories import assert_problem

LICENSING = "child_employment_licensing"


def officer(auth: AuthHeaders, subject: str = "licensing-1") -> dict[str, str]:
    return auth("licensing_officer", subject=subject, purpose=LICENSING)


def governance(auth: AuthHeaders) -> dict[str, str]:
    return auth("information_governance", subject="ig-1", purpose="subject_rights")


def child_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_type": "child",
        "legal_forename": "Poppy",
        "legal_surname": "Wrenfield",
        "date_of_birth": "2015-02-11",
        "education": "independent_school",
        "school_name": "Oakhurst House School (synthetic)",
        "address_lines": ["4 Mill Lane", "Faversham"],
        "postcode": "me13 8ab",
        "phone": "07700 900214",
        "email": "wrenfield.family@example.org",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def adult_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_type": "adult",
        "legal_forename": "Marcus",
        "legal_surname": "Hallow",
        "organisation": "Bluebell Lane Productions Ltd (synthetic)",
        "email": "marcus.hallow@example.org",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


async def create(
    client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post("/v1/people", json=body, headers=officer(auth))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["Location"] == f"/v1/people/{created['id']}"
    assert response.headers["ETag"]
    return created


async def people_count(session: AsyncSession) -> tuple[int, int]:
    people = await session.scalar(select(func.count(Person.id)))
    subjects = await session.scalar(select(func.count(DataSubject.id)))
    return int(people or 0), int(subjects or 0)


async def listed(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/v1/people", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def restrict(session: AsyncSession, subject_id: str) -> None:
    subject = await session.get(DataSubject, uuid.UUID(subject_id))
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    await session.flush()


class TestCreating:
    async def test_a_child_is_recorded_for_licensing_with_a_subject_kept_to_25(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        created = await create(client, auth, child_body())
        assert created["postcode"] == "ME13 8AB"
        assert created["phone"] == "+447700900214"
        assert created["retain_until"] == "2040-02-10"
        assert created["possible_duplicates"] == 0
        assert created["created_by"] == "licensing-1"
        assert "surname_key" not in created and "purposes_mask" not in created
        person = await session.get(Person, uuid.UUID(created["id"]))
        assert person is not None
        assert str(person.subject_id) == created["subject_id"]
        assert person.purposes_mask == purposes_mask({Purpose.CHILD_EMPLOYMENT_LICENSING})
        assert person.lawful_basis == "6(1)(c),6(1)(e)"
        subject = await session.get(DataSubject, person.subject_id)
        assert subject is not None and subject.kind is SubjectKind.OTHER
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "person.created", AuditEvent.resource_id == created["id"]
            )
        )
        assert event is not None and event.subject_id == person.subject_id

    async def test_an_adult_has_an_organisation_and_no_retention_date_yet(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        created = await create(client, auth, adult_body())
        assert created["organisation"] == "Bluebell Lane Productions Ltd (synthetic)"
        assert (created["date_of_birth"], created["retain_until"]) == (None, None)
        assert (created["education"], created["school_name"]) == (None, None)

    async def test_a_retried_create_with_the_same_key_writes_once(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        before = await people_count(session)
        headers = {**officer(auth), "Idempotency-Key": "person-1"}
        first = await client.post("/v1/people", json=adult_body(), headers=headers)
        again = await client.post("/v1/people", json=adult_body(), headers=headers)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json()["id"] == again.json()["id"]
        assert await people_count(session) == (before[0] + 1, before[1] + 1)

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            (child_body(date_of_birth=None), "/date_of_birth"),
            (child_body(organisation="Wrenfield Ltd"), "/organisation"),
            (child_body(education="home_educated"), "/school_name"),
            (adult_body(education="home_educated"), "/education"),
            (child_body(postcode="ME13 ZZZ"), "/postcode"),
            (child_body(email="not-an-email"), "/email"),
            (child_body(date_of_birth="2099-01-01"), "/date_of_birth"),
            (child_body(nickname="Pops"), "/nickname"),
            (child_body(person_type="alien"), "/person_type"),
        ],
    )
    async def test_bad_fields_are_named_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        body: dict[str, Any],
        pointer: str,
    ) -> None:
        before = await people_count(session)
        response = await client.post("/v1/people", json=body, headers=officer(auth))
        problem = assert_problem(response, 422)
        errors: Any = problem["errors"]
        assert pointer in {e.get("pointer") for e in errors}, errors
        assert "Wrenfield" not in response.text and "ME13" not in response.text
        assert await people_count(session) == before


class TestReading:
    async def test_search_by_name_birth_date_type_and_organisation(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        poppy = await create(client, auth, child_body())
        zoe = await create(
            client,
            auth,
            child_body(legal_forename="Zoë", legal_surname="O'Wren", date_of_birth="2013-06-01"),
        )
        marcus = await create(client, auth, adult_body())
        other = await create(
            client, auth, adult_body(legal_surname="Wrenley", organisation="100% Stage_Co")
        )
        headers = officer(auth)
        assert await listed(client, headers, name="wren") == [poppy["id"], other["id"]]
        assert await listed(client, headers, name="Poppy Wr") == [poppy["id"]]
        assert await listed(client, headers, name="zoe o'w") == [zoe["id"]]
        assert await listed(client, headers, name="Wrenl") == [other["id"]]
        born = await listed(client, headers, date_of_birth="2013-06-01")
        assert born == [zoe["id"]]
        adults = set(await listed(client, headers, person_type="adult"))
        assert {marcus["id"], other["id"]} <= adults and poppy["id"] not in adults
        assert await listed(client, headers, organisation="bluebell") == [marcus["id"]]
        # A LIKE wildcard in the search is a character, not a pattern.
        assert await listed(client, headers, organisation="100%") == [other["id"]]
        assert await listed(client, headers, organisation="1%") == []
        # Pages follow name order, and a cursor carries on where the last page stopped.
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1, "person_type": "child"}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/people", params=params, headers=headers)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [zoe["id"], poppy["id"]]

    async def test_get_gives_the_etag_and_the_read_names_the_subject(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        created = await create(client, auth, child_body())
        response = await client.get(f"/v1/people/{created['id']}", headers=officer(auth))
        assert response.status_code == 200, response.text
        assert response.headers["ETag"]
        assert {k: v for k, v in response.json().items()} == {
            k: v for k, v in created.items() if k != "possible_duplicates"
        }
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.decision_id == uuid.UUID(response.headers["kpas-decision-id"]),
                AuditEvent.kind == "decision",
            )
        )
        assert event is not None and event.resource_id == created["id"]
        touched = await session.scalars(
            select(AuditEventSubject.subject_id).where(AuditEventSubject.event_id == event.id)
        )
        assert uuid.UUID(created["subject_id"]) in set(touched.all())

    async def test_an_unknown_id_is_404(self, client: httpx.AsyncClient, auth: AuthHeaders) -> None:
        assert_problem(await client.get(f"/v1/people/{uuid.uuid4()}", headers=officer(auth)), 404)

    async def test_a_restricted_person_is_hidden(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        created = await create(client, auth, child_body())
        await restrict(session, created["subject_id"])
        assert created["id"] not in await listed(client, officer(auth), name="Wrenfield")
        assert_problem(await client.get(f"/v1/people/{created['id']}", headers=officer(auth)), 404)


class TestUpdating:
    async def test_a_change_needs_the_current_etag(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        created = await create(client, auth, child_body())
        url = f"/v1/people/{created['id']}"
        change = {"postcode": "ME13 7QZ"}
        assert_problem(await client.patch(url, json=change, headers=officer(auth)), 428)
        stale = {**officer(auth), "If-Match": '"0000-9"'}
        assert_problem(await client.patch(url, json=change, headers=stale), 412)
        etag = (await client.get(url, headers=officer(auth))).headers["ETag"]
        changed = await client.patch(url, json=change, headers={**officer(auth), "If-Match": etag})
        assert changed.status_code == 200, changed.text
        assert changed.json()["postcode"] == "ME13 7QZ"
        assert changed.headers["ETag"] != etag
        assert_problem(await client.patch(url, json=change, headers=stale), 412)

    async def test_names_birth_date_and_clearing_follow_the_rules(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        created = await create(client, auth, child_body())
        url = f"/v1/people/{created['id']}"
        headers = {**officer(auth), "If-Match": "*"}
        renamed = await client.patch(
            url,
            json={"legal_surname": "Ashdown", "date_of_birth": "2016-03-01", "phone": None},
            headers=headers,
        )
        assert renamed.status_code == 200, renamed.text
        body = renamed.json()
        assert (body["legal_surname"], body["phone"]) == ("Ashdown", None)
        assert body["retain_until"] == "2041-02-28"
        subject = await session.get(DataSubject, uuid.UUID(created["subject_id"]))
        assert subject is not None
        await session.refresh(subject)
        assert subject.retain_until == date(2041, 2, 28)
        assert await listed(client, officer(auth), name="ashd") == [created["id"]]
        for change, pointer in (
            ({"date_of_birth": None}, "/date_of_birth"),
            ({"legal_surname": None}, "/legal_surname"),
            ({"organisation": "Ashdown Ltd"}, "/organisation"),
            ({"person_type": "adult"}, "/person_type"),
        ):
            problem = assert_problem(await client.patch(url, json=change, headers=headers), 422)
            errors: Any = problem["errors"]
            assert pointer in {e.get("pointer") for e in errors}, (change, errors)

    async def test_an_unknown_id_is_404(self, client: httpx.AsyncClient, auth: AuthHeaders) -> None:
        response = await client.patch(
            f"/v1/people/{uuid.uuid4()}",
            json={"postcode": "ME13 7QZ"},
            headers={**officer(auth), "If-Match": "*"},
        )
        assert_problem(response, 404)


class TestWhoMay:
    async def test_governance_reads_under_subject_rights_and_changes_nothing(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        created = await create(client, auth, child_body())
        headers = governance(auth)
        assert created["id"] in await listed(client, headers)
        got = await client.get(f"/v1/people/{created['id']}", headers=headers)
        assert got.status_code == 200, got.text
        assert_problem(await client.post("/v1/people", json=adult_body(), headers=headers), 403)
        patched = await client.patch(
            f"/v1/people/{created['id']}",
            json={"postcode": "ME13 7QZ"},
            headers={**headers, "If-Match": "*"},
        )
        assert_problem(patched, 403)
        # Not for casework: governance cannot state the licensing purpose.
        casework = auth("information_governance", purpose=LICENSING)
        assert_problem(await client.get("/v1/people", headers=casework), 403)

    @pytest.mark.parametrize(
        ("role", "purpose"),
        [
            ("attendance_officer", "attendance_duty"),
            ("attendance_manager", "attendance_duty"),
            ("attendance_manager", LICENSING),
            ("school_staff", "attendance_duty"),
            ("admin", None),
        ],
    )
    async def test_attendance_staff_schools_and_admins_never_see_people(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        role: str,
        purpose: str | None,
    ) -> None:
        created = await create(client, auth, child_body())
        before = await people_count(session)
        headers = auth(role, area_teams=("east",), school_urns=(118990,), purpose=purpose)
        for response in (
            await client.get("/v1/people", headers=headers),
            await client.get(f"/v1/people/{created['id']}", headers=headers),
            await client.post("/v1/people", json=adult_body(), headers=headers),
            await client.patch(
                f"/v1/people/{created['id']}",
                json={"postcode": "ME13 7QZ"},
                headers={**headers, "If-Match": "*"},
            ),
        ):
            problem = assert_problem(response, 403)
            assert "Wrenfield" not in response.text
            assert problem["policy"]
        assert await people_count(session) == before

    async def test_the_licensing_officer_needs_the_licensing_purpose(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("licensing_officer", purpose="attendance_duty")
        assert_problem(await client.get("/v1/people", headers=headers), 403)
        assert_problem(await client.get("/v1/people"), 401)


class TestPossibleDuplicates:
    async def test_a_child_with_the_same_names_and_birth_date_is_flagged_and_reviewed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        first = await create(client, auth, child_body())
        second = await create(
            client,
            auth,
            child_body(legal_forename="POPPY", legal_surname="Wrënfield", postcode="CT1 1AA"),
        )
        assert second["possible_duplicates"] == 1
        unrelated = await create(client, auth, child_body(date_of_birth="2015-02-12"))
        assert unrelated["possible_duplicates"] == 0
        pair = await session.scalar(
            select(PossibleDuplicate).where(PossibleDuplicate.kind == PersonKind.PERSON)
        )
        assert pair is not None
        assert {str(pair.first_id), str(pair.second_id)} == {first["id"], second["id"]}
        assert pair.reason is DuplicateReason.SAME_NAME_AND_BIRTH_DATE
        queue = "/v1/possible-duplicates"
        mine = await client.get(queue, params={"kind": "person"}, headers=officer(auth))
        assert mine.status_code == 200, mine.text
        assert [d["id"] for d in mine.json()["items"]] == [str(pair.id)]
        seen = await client.get(queue, params={"kind": "person"}, headers=governance(auth))
        assert [d["id"] for d in seen.json()["items"]] == [str(pair.id)]
        # Attendance managers see pupils' and carers' pairs, never people on licences.
        manager = auth("attendance_manager", area_teams=("east",), purpose="attendance_duty")
        theirs = await client.get(queue, headers=manager)
        assert theirs.status_code == 200, theirs.text
        assert str(pair.id) not in {d["id"] for d in theirs.json()["items"]}
        assert_problem(await client.get(f"{queue}/{pair.id}", headers=manager), 404)
        assert_problem(await client.post(f"{queue}/{pair.id}/dismissal", headers=manager), 404)
        # Licensing officers dismiss a pair that is not one person (there is no merging).
        dismissed = await client.post(f"{queue}/{pair.id}/dismissal", headers=officer(auth))
        assert dismissed.status_code == 200, dismissed.text
        assert dismissed.json()["status"] == "not_duplicate"

    async def test_the_count_leaves_out_people_the_caller_may_not_see(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        first = await create(client, auth, child_body())
        await restrict(session, first["subject_id"])
        second = await create(client, auth, child_body())
        assert second["possible_duplicates"] == 0
        flagged = await session.scalar(
            select(func.count(PossibleDuplicate.id)).where(
                PossibleDuplicate.kind == PersonKind.PERSON
            )
        )
        assert flagged == 1

    async def test_adults_with_the_same_names_and_email_or_postcode_are_flagged(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        await create(client, auth, adult_body())
        by_email = await create(
            client, auth, adult_body(organisation=None, email="Marcus.Hallow@example.org")
        )
        assert by_email["possible_duplicates"] == 1
        postcode = await create(client, auth, adult_body(email=None, postcode="ME13 8AB"))
        assert postcode["possible_duplicates"] == 0
        # A change that makes a match is flagged too.
        other = await create(
            client, auth, adult_body(legal_forename="Mark", email=None, postcode="ME13 8AB")
        )
        assert other["possible_duplicates"] == 0
        changed = await client.patch(
            f"/v1/people/{other['id']}",
            json={"legal_forename": "Marcus"},
            headers={**officer(auth), "If-Match": "*"},
        )
        assert changed.status_code == 200, changed.text
        pairs = (
            await session.scalars(
                select(PossibleDuplicate).where(
                    (PossibleDuplicate.first_id == uuid.UUID(other["id"]))
                    | (PossibleDuplicate.second_id == uuid.UUID(other["id"]))
                )
            )
        ).all()
        [pair] = pairs
        assert pair.reason is DuplicateReason.SAME_NAME_AND_CONTACT
        assert {pair.first_id, pair.second_id} == {
            uuid.UUID(other["id"]),
            uuid.UUID(postcode["id"]),
        }
