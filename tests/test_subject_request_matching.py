"""Finding the person a data-subject request is about: a search of pupils, carers and people
on licences by the request's identifiers, recorded as possible matches with what matched,
never confirmed by the search itself, and confirmed or rejected by a person."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEventSubject
from app.models.people import Pupil
from app.models.subject_requests import SubjectRequestMatch
from app.models.subjects import DataSubject
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school
from tests.licence_support import make_adult
from tests.subject_answer_support import (
    GOVERNANCE_OFFICER,
    TODAY,
    decide,
    etag_of,
    ig,
    record_request,
    search,
)

BORN = date(2016, 3, 4)


def details(pupil: Pupil | None = None, **fields: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "forename": "Isobel",
        "surname": "Fenwick",
        "date_of_birth": BORN.isoformat(),
    }
    if pupil is not None:
        found.update(
            forename=pupil.legal_forename,
            surname=pupil.legal_surname,
            date_of_birth=pupil.date_of_birth.isoformat(),
        )
    found.update(fields)
    return found


async def touches(session: AsyncSession, subject_id: uuid.UUID) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEventSubject)
        .where(AuditEventSubject.subject_id == subject_id)
    )
    return int(count or 0)


def by_record(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["record_id"]: m for m in found["matches"]}


async def test_a_upn_match_is_possible_with_what_matched_and_the_search_is_recorded(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session)
    pupil = await make_pupil(
        session,
        school=school,
        legal_forename="Isobel",
        legal_surname="Fenwick",
        date_of_birth=BORN,
    )
    assert pupil.upn is not None
    request = await record_request(
        client, auth, details(upn=pupil.upn, postcode="CT16 1AA", school_urn=school.urn)
    )
    found = await search(client, auth, request["id"])
    match = by_record(found)[str(pupil.id)]
    assert match["status"] == "possible"  # never confirmed by the search, not even by UPN
    assert match["record_type"] == "pupil"
    assert match["subject_id"] == str(pupil.subject_id)
    assert set(match["matched_on"]) == {
        "upn",
        "legal_names",
        "date_of_birth",
        "postcode",
        "school_urn",
    }
    assert match["strength"] == "identifier"
    assert match["record"]["name"] == "Isobel Fenwick"
    assert match["record"]["school_urns"] == [school.urn]
    assert match["decided_by"] is None
    assert found["added"] == 1 and found["search_record_written"] is True
    # The search is the request's search record: identifiers named, never their values.
    read = (await client.get(f"/v1/subject-requests/{request['id']}", headers=ig(auth))).json()
    searched = read["search_record"]["searched"][0]
    assert searched["system"] == "KPAS"
    assert "UPN" in searched["searched_by"] and "date of birth" in searched["searched_by"]
    assert pupil.upn not in str(read["search_record"])
    # The record found is named in the audit trail as read under subject rights.
    assert await touches(session, pupil.subject_id) >= 1


async def test_name_and_date_of_birth_find_a_pupil_without_a_upn(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(
        session, legal_forename="Zoë", legal_surname="O\u2019Neill", date_of_birth=BORN, upn=None
    )
    # The requester writes the name without the accent and with a plain apostrophe.
    request = await record_request(client, auth, details(forename="Zoe", surname="O'Neill"))
    match = by_record(await search(client, auth, request["id"]))[str(pupil.id)]
    assert match["matched_on"] == ["legal_names", "date_of_birth"]
    assert match["strength"] == "name_and_date_of_birth"
    assert match["status"] == "possible"


async def test_a_name_alone_stays_possible_and_a_person_decides(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    namesake = await make_pupil(
        session, legal_forename="Isobel", legal_surname="Fenwick", date_of_birth=date(2015, 1, 9)
    )
    request = await record_request(client, auth, details())
    found = await search(client, auth, request["id"])
    match = by_record(found)[str(namesake.id)]
    assert (match["matched_on"], match["strength"]) == (["legal_names"], "name_only")
    assert match["status"] == "possible"
    # A second search finds it again and leaves it possible: nothing confirms it but a person.
    again = by_record(await search(client, auth, request["id"]))[str(namesake.id)]
    assert again["status"] == "possible" and again["id"] == match["id"]

    rejected = await decide(client, auth, request["id"], match["id"], "rejected")
    assert rejected["status"] == "rejected"
    assert rejected["decided_by"] == GOVERNANCE_OFFICER and rejected["decided_at"]
    listed = await client.get(
        f"/v1/subject-requests/{request['id']}/matches",
        params={"status": "rejected"},
        headers=ig(auth),
    )
    assert [m["id"] for m in listed.json()["items"]] == [match["id"]]
    # A later search keeps the decision.
    after = by_record(await search(client, auth, request["id"]))[str(namesake.id)]
    assert after["status"] == "rejected"
    assert (await search(client, auth, request["id"]))["added"] == 0


async def test_former_names_contact_details_and_licensing_records_are_searched(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    carer = await make_carer(
        session, forename="Morgan", surname="Price", email="morgan.price@example.org"
    )
    adult = await make_adult(
        session, forename="Morgan", surname="Hale", date_of_birth=date(1985, 3, 14)
    )
    by_phone = await make_carer(session, forename="Someone", surname="Else", phone="+447700900456")
    request = await record_request(
        client,
        auth,
        details(
            forename="Morgan",
            surname="Hale",
            other_names=["Morgan Price"],
            date_of_birth="1985-03-14",
        ),
        requester={"kind": "subject", "name": "Morgan Hale", "email": "Morgan.Price@example.org"},
        authority_evidence=None,
        authority_accepted=False,
        child_competence=None,
    )
    found = by_record(await search(client, auth, request["id"], phone="07700 900456"))
    # A former name, and the requester's own email address (any case): a carer.
    assert set(found[str(carer.id)]["matched_on"]) == {"other_names", "email"}
    assert found[str(carer.id)]["strength"] == "contact_details"
    # Legal names and date of birth: a person on a licence.
    assert found[str(adult.id)]["matched_on"] == ["legal_names", "date_of_birth"]
    assert found[str(adult.id)]["record"]["description"].startswith("Person on a licence")
    # A phone number given to the search finds a carer of another name.
    assert found[str(by_phone.id)]["matched_on"] == ["phone"]


async def test_a_record_past_its_retention_date_is_not_found(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    kept = await make_pupil(session, legal_forename="Isobel", legal_surname="Fenwick")
    gone = await make_pupil(session, legal_forename="Isobel", legal_surname="Fenwick")
    subject = await session.get(DataSubject, gone.subject_id)
    assert subject is not None
    subject.retain_until = TODAY - timedelta(days=1)
    await session.flush()
    request = await record_request(client, auth, details())
    found = by_record(await search(client, auth, request["id"]))
    assert str(kept.id) in found and str(gone.id) not in found


async def test_matches_are_unique_per_subject_and_decisions_can_change(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, legal_forename="Isobel", legal_surname="Fenwick")
    request = await record_request(client, auth, details(upn=pupil.upn))
    match = by_record(await search(client, auth, request["id"]))[str(pupil.id)]
    await decide(client, auth, request["id"], match["id"], "confirmed")
    changed = await decide(client, auth, request["id"], match["id"], "rejected")
    assert changed["status"] == "rejected"
    rows = await session.scalar(
        select(func.count())
        .select_from(SubjectRequestMatch)
        .where(SubjectRequestMatch.request_id == uuid.UUID(request["id"]))
    )
    assert rows == 1


async def test_a_closed_request_is_not_searched(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    request = await record_request(client, auth, details())
    closed = await client.post(
        f"/v1/subject-requests/{request['id']}/closure",
        json={
            "outcome": "withdrawn",
            "reasons": "Withdrawn by email.",
            "response_channel": "email",
        },
        headers={**ig(auth), "If-Match": await etag_of(client, auth, request["id"])},
    )
    assert closed.status_code == 200, closed.text
    response = await client.post(
        f"/v1/subject-requests/{request['id']}/searches", json={}, headers=ig(auth)
    )
    assert assert_problem(response, 409)["rule"] == "request_open"


async def test_unknown_requests_and_matches_are_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    unknown = uuid.uuid4()
    assert_problem(
        await client.post(f"/v1/subject-requests/{unknown}/searches", json={}, headers=ig(auth)),
        404,
    )
    request = await record_request(client, auth, details())
    response = await client.post(
        f"/v1/subject-requests/{request['id']}/matches/{unknown}/decision",
        json={"decision": "confirmed"},
        headers=ig(auth),
    )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("attendance_officer", {"area_teams": ("east",)}),
        ("attendance_manager", {"area_teams": ("east",)}),
        ("school_staff", {"school_urns": (118960,)}),
        ("partner", {"org": "kent-police"}),
    ],
)
async def test_only_information_governance_searches_and_decides(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    role: str,
    claims: dict[str, Any],
) -> None:
    pupil = await make_pupil(session, legal_forename="Isobel", legal_surname="Fenwick")
    request = await record_request(client, auth, details(upn=pupil.upn))
    match = by_record(await search(client, auth, request["id"]))[str(pupil.id)]
    other = auth(role, **claims)
    base = f"/v1/subject-requests/{request['id']}"
    refused = [
        await client.post(f"{base}/searches", json={}, headers=other),
        await client.get(f"{base}/matches", headers=other),
        await client.post(
            f"{base}/matches/{match['id']}/decision", json={"decision": "confirmed"}, headers=other
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.text
        assert response.json()["policy"]["rule"]
    untouched = await client.get(f"{base}/matches", headers=ig(auth))
    assert [m["status"] for m in untouched.json()["items"]] == ["possible"]


async def test_an_anonymous_caller_is_refused(client: httpx.AsyncClient) -> None:
    base = f"/v1/subject-requests/{uuid.uuid4()}"
    assert_problem(await client.post(f"{base}/searches", json={}), 401)
    assert_problem(await client.get(f"{base}/matches"), 401)
    assert_problem(
        await client.post(
            f"{base}/matches/{uuid.uuid4()}/decision", json={"decision": "confirmed"}
        ),
        401,
    )
