"""Acting on a data-subject request through the API: which right applies to each record from
the basis it is held on, rectification with its values kept out of the audit trail and the
recipients to tell (Art 19), restriction enforced at once by the policy layer (refused for
ordinary purposes, served for a live legal claim) and lifted with the requester told,
objections where they apply, and erasure where it reaches a record, never where the law
requires the record to be kept.

Confirmed matches are written here with the model, as the search confirms them.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, OutboundMessage
from app.models.cases import Case, CaseEvent, CaseParty, CaseStage, CaseType
from app.models.exclusions import Exclusion
from app.models.licences import Person, PersonType
from app.models.people import Carer, Pupil
from app.models.subject_requests import (
    MatchStatus,
    SubjectRequest,
    SubjectRequestAction,
    SubjectRequestMatch,
)
from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.policies.guard import local_today
from app.services.licensing_people import new_person
from tests.case_support import make_case
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school, manager_headers
from tests.test_pupil_merge_records import exclusion_of, penalty_notice

TODAY = local_today(datetime.now(UTC))
IG = "information_governance"
#: Recipient ids are uuid5 of the code in the migrations' namespace (see test_sharing_api).
RECIPIENTS = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
POLICE = uuid.uuid5(RECIPIENTS, "kent-police")


def ig(auth: AuthHeaders, subject: str = "governance-1") -> dict[str, str]:
    return auth(IG, subject=subject)


def request_body(right: str, **fields: Any) -> dict[str, Any]:
    """A person's own request, by email, identity confirmed on receipt."""
    body: dict[str, Any] = {
        "right": right,
        "channel": "email",
        "received_on": (TODAY - timedelta(days=2)).isoformat(),
        "description": "Please act on the records you hold about me.",
        "requester": {
            "kind": "subject",
            "name": "Robin Ashdown",
            "email": "robin.ashdown@example.org",
            "address_lines": ["4 Example Street", "Margate"],
            "postcode": "CT9 1AA",
        },
        "subject_details": {
            "forename": "Robin",
            "surname": "Ashdown",
            "date_of_birth": "1988-06-02",
        },
        "identity_required": False,
        "identity_method": "Email address matches the one held on the carer record",
    }
    body.update(fields)
    return body


async def make_request(
    client: httpx.AsyncClient, auth: AuthHeaders, right: str, **fields: Any
) -> tuple[str, str]:
    """A recorded request: its id and ETag."""
    response = await client.post(
        "/v1/subject-requests", json=request_body(right, **fields), headers=ig(auth)
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], response.headers["ETag"]


async def confirm(
    session: AsyncSession,
    request_id: str,
    record: Pupil | Carer | Person,
    *,
    status: MatchStatus = MatchStatus.CONFIRMED,
) -> SubjectRequestMatch:
    """The request's match of ``record`` (confirmed unless said otherwise)."""
    record_type = {Pupil: "pupil", Carer: "carer", Person: "person"}[type(record)]
    match = SubjectRequestMatch(
        id=uuid.uuid4(),
        request_id=uuid.UUID(request_id),
        subject_id=record.subject_id,
        record_type=record_type,
        record_id=record.id,
        status=status,
        matched_on=["legal_names", "date_of_birth"],
        decided_by="governance-1" if status is not MatchStatus.POSSIBLE else None,
        decided_at=datetime.now(UTC) if status is not MatchStatus.POSSIBLE else None,
    )
    session.add(match)
    await session.flush()
    return match


async def act(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    request_id: str,
    body: dict[str, Any],
    **headers: str,
) -> httpx.Response:
    return await client.post(
        f"/v1/subject-requests/{request_id}/actions",
        json=body,
        headers={**ig(auth), **headers},
    )


async def is_restricted(session: AsyncSession, subject_id: uuid.UUID) -> bool:
    restricted = await session.scalar(
        select(DataSubject.restricted_since)
        .where(DataSubject.id == subject_id)
        .execution_options(populate_existing=True)
    )
    return restricted is not None


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def changes_of(session: AsyncSession, action: str) -> list[AuditEvent]:
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "change", AuditEvent.action == action)
    )
    return list(rows.all())


# --- applicability -----------------------------------------------------------------------------

#: (applies, conditional, provision) by right and basis, as the statute reads: erasure refused
#: under 6(1)(c) and generally under 6(1)(e) (Art 17(3)(b)); portability under neither (Art
#: 20); objection only to 6(1)(e) (Art 21(1)); restriction under both (Art 18); the Part 3
#: rights for law enforcement records (DPA 2018 ss45-47).
EXPECTED: dict[str, dict[str, tuple[bool, bool, str]]] = {
    "access": {
        "6(1)(c)": (True, False, "UK GDPR Art 15"),
        "6(1)(e)": (True, False, "UK GDPR Art 15"),
        "6(1)(c),6(1)(e)": (True, False, "UK GDPR Art 15"),
        "s35(2)(b)": (True, True, "DPA 2018 s45"),
    },
    "rectification": {
        "6(1)(c)": (True, False, "UK GDPR Art 16"),
        "6(1)(e)": (True, False, "UK GDPR Art 16"),
        "6(1)(c),6(1)(e)": (True, False, "UK GDPR Art 16"),
        "s35(2)(b)": (True, False, "DPA 2018 s46"),
    },
    "erasure": {
        "6(1)(c)": (False, False, "UK GDPR Art 17(3)(b)"),
        "6(1)(e)": (False, True, "UK GDPR Art 17(3)(b)"),
        "6(1)(c),6(1)(e)": (False, False, "UK GDPR Art 17(3)(b)"),
        "s35(2)(b)": (False, True, "DPA 2018 s47(1)"),
    },
    "restriction": {
        "6(1)(c)": (True, False, "UK GDPR Art 18"),
        "6(1)(e)": (True, False, "UK GDPR Art 18"),
        "6(1)(c),6(1)(e)": (True, False, "UK GDPR Art 18"),
        "s35(2)(b)": (True, True, "DPA 2018 s47(2)"),
    },
    "objection": {
        "6(1)(c)": (False, False, "UK GDPR Art 21(1)"),
        "6(1)(e)": (True, False, "UK GDPR Art 21(1)"),
        "6(1)(c),6(1)(e)": (True, True, "UK GDPR Art 21(1)"),
        "s35(2)(b)": (False, False, "DPA 2018 Part 3"),
    },
    "portability": {
        "6(1)(c)": (False, False, "UK GDPR Art 20"),
        "6(1)(e)": (False, False, "UK GDPR Art 20"),
        "6(1)(c),6(1)(e)": (False, False, "UK GDPR Art 20"),
        "s35(2)(b)": (False, False, "DPA 2018 Part 3"),
    },
    "automated_decisions": {
        "6(1)(c)": (True, False, "UK GDPR Arts 22A-22D"),
        "6(1)(e)": (True, False, "UK GDPR Arts 22A-22D"),
        "6(1)(c),6(1)(e)": (True, False, "UK GDPR Arts 22A-22D"),
        "s35(2)(b)": (True, False, "DPA 2018 ss49-50"),
    },
}


@pytest.mark.parametrize("right", sorted(EXPECTED))
async def test_applicability_for_each_right_under_each_basis(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, right: str
) -> None:
    legal = await make_pupil(session, legal_surname="Legal", lawful_basis="6(1)(c)")
    public = await make_pupil(session, legal_surname="Public", lawful_basis="6(1)(e)")
    world = await make_case(session, stage=CaseStage.PENALTY_NOTICE)
    notice = await penalty_notice(session, world.case, world.carer.id, world.carer.subject_id)
    request_id, _ = await make_request(client, auth, right)
    for record in (legal, public, world.pupil, world.carer):
        await confirm(session, request_id, record)

    response = await client.get(
        f"/v1/subject-requests/{request_id}/applicability", headers=ig(auth)
    )
    assert response.status_code == 200, response.text
    read = response.json()
    assert read["right"] == right
    answers = {
        (record["resource_type"], record["resource_id"]): record
        for match in read["matches"]
        for record in match["records"]
    }
    held = {
        ("pupil", str(legal.id)): "6(1)(c)",
        ("pupil", str(public.id)): "6(1)(e)",
        ("pupil", str(world.pupil.id)): "6(1)(c),6(1)(e)",
        ("carer", str(world.carer.id)): "6(1)(c),6(1)(e)",
        ("penalty_notice", str(notice.id)): "s35(2)(b)",
    }
    for key, basis in held.items():
        answer = answers[key]
        assert answer["lawful_basis"] == basis, key
        assert answer["law_enforcement"] is (basis == "s35(2)(b)")
        expected = EXPECTED[right][basis]
        got = (answer["applies"], answer["conditional"], answer["provision"])
        assert got == expected, (right, basis)
        assert answer["reason"]  # plain English for the response letter
    by_basis = {b["lawful_basis"]: b for b in read["bases"]}
    for basis, (applies, conditional, provision) in EXPECTED[right].items():
        assert (
            by_basis[basis]["applies"],
            by_basis[basis]["conditional"],
            by_basis[basis]["provision"],
        ) == (applies, conditional, provision)
    # The case is the child's record: it is listed under the pupil's match.
    pupil_match = next(m for m in read["matches"] if m["record_id"] == str(world.pupil.id))
    assert ("case", str(world.case.id)) in {
        (r["resource_type"], r["resource_id"]) for r in pupil_match["records"]
    }


async def test_possible_and_rejected_matches_are_not_answered_for(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    confirmed = await make_pupil(session, legal_surname="Confirmed")
    possible = await make_pupil(session, legal_surname="Possible")
    request_id, _ = await make_request(client, auth, "access")
    await confirm(session, request_id, confirmed)
    await confirm(session, request_id, possible, status=MatchStatus.POSSIBLE)
    response = await client.get(
        f"/v1/subject-requests/{request_id}/applicability", headers=ig(auth)
    )
    assert response.status_code == 200, response.text
    assert [m["record_id"] for m in response.json()["matches"]] == [str(confirmed.id)]


# --- rectification -----------------------------------------------------------------------------


async def disclose(client: httpx.AsyncClient, auth: AuthHeaders, subject_id: uuid.UUID) -> str:
    """A release of the person's data to the police, recorded in the disclosure log."""
    response = await client.post(
        "/v1/disclosures",
        json={
            "recipient_id": str(POLICE),
            "purpose": "crime_prevention_disclosure",
            "lawful_basis": "6(1)(e)",
            "ground": "prevention_or_detection_of_crime",
            "data_categories": ["identity_contact"],
            "channel": "secure_email",
            "approved_by": "ig-approver-7",
            "disclosed_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
            "content_sha256": hashlib.sha256(b"synthetic release").hexdigest(),
            "request_reference": "DP-2026-04321",
            "subject_ids": [str(subject_id)],
        },
        headers=ig(auth),
    )
    assert response.status_code == 201, response.text
    disclosure_id: str = response.json()["id"]
    return disclosure_id


async def pupil_etag(client: httpx.AsyncClient, auth: AuthHeaders, pupil_id: uuid.UUID) -> str:
    read = await client.get(f"/v1/pupils/{pupil_id}", headers=auth(IG, purpose="subject_rights"))
    assert read.status_code == 200, read.text
    return read.headers["ETag"]


async def test_rectification_keeps_before_and_after_off_the_audit_trail_and_lists_recipients(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session)
    pupil = await make_pupil(session, school=school, postcode="CT1 4XT")
    await disclose(client, auth, pupil.subject_id)
    request_id, _ = await make_request(client, auth, "rectification")
    match = await confirm(session, request_id, pupil)
    etag = await pupil_etag(client, auth, pupil.id)
    body = {
        "kind": "rectified",
        "match_id": str(match.id),
        "record_etag": etag,
        "pupil": {"postcode": "CT2 7NA", "address_lines": ["3 Hopgarden Lane", "Canterbury"]},
        "reasons": "Council tax bill seen: the family moved in August.",
    }
    response = await act(client, auth, request_id, body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["location"].endswith(f"/actions/{made['id']}")
    assert made["kind"] == "rectified"
    assert made["fields"] == ["address_lines", "postcode"]
    assert {c["field"]: (c["before"], c["after"]) for c in made["changes"]} == {
        "address_lines": (None, ["3 Hopgarden Lane", "Canterbury"]),
        "postcode": ("CT1 4XT", "CT2 7NA"),
    }
    # Art 19: the police received the child's data, and must be told.
    assert [(r["recipient_id"], r["disclosures"]) for r in made["recipients_to_tell"]] == [
        (str(POLICE), 1)
    ]
    stored = await session.get(Pupil, pupil.id, populate_existing=True)
    assert stored is not None and stored.postcode == "CT2 7NA"

    # The audit trail names the fields and a digest of the values, never the values.
    [event] = await changes_of(session, "subject_request.rectified")
    assert event.subject_id == pupil.subject_id
    assert event.details["fields"] == "address_lines,postcode"
    assert event.details["changes_sha256"] == made["changes_sha256"]
    logged = json.dumps(event.details)
    assert "CT2 7NA" not in logged and "CT1 4XT" not in logged and "Hopgarden" not in logged
    action = await session.get(SubjectRequestAction, uuid.UUID(made["id"]))
    assert action is not None and action.changes is not None
    text = json.dumps(action.changes, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert hashlib.sha256(text.encode()).hexdigest() == made["changes_sha256"]
    # The record's own update service ran, under the governance rectification rule.
    [updated] = await changes_of(session, "pupil.updated")
    assert updated.rule == "pupils.governance.rectify"
    assert updated.resource_id == str(pupil.id)

    listed = await client.get(f"/v1/subject-requests/{request_id}/actions", headers=ig(auth))
    assert listed.status_code == 200, listed.text
    assert [a["id"] for a in listed.json()["items"]] == [made["id"]]
    got = await client.get(response.headers["location"], headers=ig(auth))
    assert got.status_code == 200 and got.json() == made

    # The ETag read before the correction is no longer current; the same values are nothing
    # to correct.
    assert_problem(await act(client, auth, request_id, body), 412)
    body["record_etag"] = await pupil_etag(client, auth, pupil.id)
    unchanged = assert_problem(await act(client, auth, request_id, body), 422)
    assert unchanged["errors"][0]["code"] == "unchanged"


async def test_a_person_on_a_licence_is_rectified_under_the_governance_rule(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    person = new_person(
        session,
        person_type=PersonType.ADULT,
        legal_forename="Jo",
        legal_surname="Wrenfeld",
        date_of_birth=None,
        created_by="licensing-1",
        organisation="Synthetic Theatre Company",
    )
    await session.flush()
    request_id, _ = await make_request(client, auth, "rectification")
    match = await confirm(session, request_id, person)
    read = await client.get(f"/v1/people/{person.id}", headers=auth(IG, purpose="subject_rights"))
    assert read.status_code == 200, read.text
    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "rectified",
            "match_id": str(match.id),
            "record_etag": read.headers["ETag"],
            "person": {"legal_surname": "Wrenfield"},
            "reasons": "Passport seen: the surname was misspelt.",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["changes"] == [
        {"field": "legal_surname", "before": "Wrenfeld", "after": "Wrenfield"}
    ]
    [updated] = await changes_of(session, "person.updated")
    assert updated.rule == "people.governance.rectify"
    # Only in answer to the request: governance's own PATCH of the person stays refused.
    patched = await client.patch(
        f"/v1/people/{person.id}",
        json={"postcode": "ME13 7QZ"},
        headers={**auth(IG, purpose="subject_rights"), "If-Match": "*"},
    )
    assert_problem(patched, 403)
    # Changes given under another record type than the match's are refused.
    wrong = await act(
        client,
        auth,
        request_id,
        {
            "kind": "rectified",
            "match_id": str(match.id),
            "record_etag": read.headers["ETag"],
            "pupil": {"postcode": "CT2 7NA"},
            "reasons": "Wrong record type.",
        },
    )
    assert assert_problem(wrong, 422)["errors"][0]["code"] == "not_the_matched_record"


# --- restriction -------------------------------------------------------------------------------


async def test_a_restricted_subject_is_refused_for_ordinary_purposes_but_served_for_legal_claims(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    # A case at the penalty notice stage: a live legal claim for prosecution.
    world = await make_case(session, stage=CaseStage.PENALTY_NOTICE)
    url = f"/v1/pupils/{world.pupil.id}"
    ordinary = manager_headers(auth, "attendance_duty")
    legal_claim = manager_headers(auth, "prosecution")
    assert (await client.get(url, headers=ordinary)).status_code == 200
    request_id, _ = await make_request(client, auth, "restriction")
    match = await confirm(session, request_id, world.pupil)

    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restricted",
            "match_id": str(match.id),
            "ground": "accuracy_contested",
            "reasons": "The parent disputes the absence reasons recorded in October.",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["ground"] == "accuracy_contested"
    assert await is_restricted(session, world.pupil.subject_id)

    # At once: refused for the attendance duty, served for the live legal claim and for
    # answering the person's own request.
    assert_problem(await client.get(url, headers=ordinary), 404)
    served = await client.get(url, headers=legal_claim)
    assert served.status_code == 200, served.text
    governance = await client.get(url, headers=auth(IG, purpose="subject_rights"))
    assert governance.status_code == 200, governance.text
    listed = await client.get("/v1/pupils", headers=ordinary)
    assert str(world.pupil.id) not in {p["id"] for p in listed.json()["items"]}

    again = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restricted",
            "match_id": str(match.id),
            "ground": "accuracy_contested",
            "reasons": "Again.",
        },
    )
    assert assert_problem(again, 409)["rule"] == "restriction_once"

    # Lifting needs reasons, tells the requester first (Art 18(3)), and the data is served
    # again for ordinary purposes.
    no_reasons = await act(
        client, auth, request_id, {"kind": "restriction_lifted", "match_id": str(match.id)}
    )
    assert_problem(no_reasons, 422)
    lifted = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restriction_lifted",
            "match_id": str(match.id),
            "reasons": "The register was checked against the school's paper records.",
        },
    )
    assert lifted.status_code == 201, lifted.text
    told = lifted.json()["messages"]
    assert [(m["message_type"], m["channel"]) for m in told] == [
        ("subject_request_response", "email")
    ]
    assert lifted.json()["message_id"] == told[0]["id"]
    message = await session.get(OutboundMessage, uuid.UUID(told[0]["id"]))
    assert message is not None and message.status.value == "queued"
    assert not await is_restricted(session, world.pupil.subject_id)
    assert (await client.get(url, headers=ordinary)).status_code == 200
    not_restricted = await act(
        client,
        auth,
        request_id,
        {"kind": "restriction_lifted", "match_id": str(match.id), "reasons": "Again."},
    )
    assert assert_problem(not_restricted, 409)["rule"] == "restriction_in_force"


async def test_a_lifting_that_cannot_be_told_half_way_leaves_the_restriction_in_force(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session)
    request_id, _ = await make_request(client, auth, "restriction")
    match = await confirm(session, request_id, pupil)
    restricted = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restricted",
            "match_id": str(match.id),
            "ground": "accuracy_contested",
            "reasons": "Disputed.",
        },
    )
    assert restricted.status_code == 201, restricted.text
    # An address held from before Notify's checks: the letter cannot be sent.
    request = await session.get(SubjectRequest, uuid.UUID(request_id))
    assert request is not None
    request.requester_address = ["4 Example Street", "Margate", "NOT A POSTCODE"]
    await session.flush()
    actions, messages = (
        await count(session, SubjectRequestAction),
        await count(session, OutboundMessage),
    )

    # The restriction is lifted and the action written before the letter is queued; the
    # letter is refused, and nothing of it stays.
    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restriction_lifted",
            "match_id": str(match.id),
            "reasons": "Checked.",
            "tell_by": "letter",
        },
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][0]["code"] == "requester_message_refused"
    assert await is_restricted(session, pupil.subject_id)
    assert await count(session, SubjectRequestAction) == actions
    assert await count(session, OutboundMessage) == messages
    assert await changes_of(session, "subject_request.restriction_lifted") == []


# --- objection -------------------------------------------------------------------------------


async def test_an_objection_is_recorded_only_where_it_applies_and_then_decided(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await make_case(session)
    url = f"/v1/pupils/{world.pupil.id}"
    request_id, _ = await make_request(client, auth, "objection")
    match = await confirm(session, request_id, world.pupil)

    def objection(purpose: str, **fields: Any) -> dict[str, Any]:
        return {
            "kind": "objection_recorded",
            "match_id": str(match.id),
            "purpose": purpose,
            "reasons": "Support is already in place through the GP.",
            **fields,
        }

    # School Attendance Orders rest on a legal obligation alone: no right to object.
    refused = await act(client, auth, request_id, objection("school_attendance_order"))
    problem = assert_problem(refused, 409)
    assert (problem["rule"], problem["source"]) == ("objection_applies", "UK GDPR Art 21(1)")

    recorded = await act(client, auth, request_id, objection("intervention", restrict_pending=True))
    assert recorded.status_code == 201, recorded.text
    assert recorded.json()["purpose"] == "intervention"
    # Restriction asked for while it is decided (Art 18(1)(d)): intervention stops at once;
    # the attendance duty is untouched.
    assert_problem(await client.get(url, headers=manager_headers(auth, "intervention")), 404)
    assert (await client.get(url, headers=manager_headers(auth))).status_code == 200
    twice = await act(client, auth, request_id, objection("intervention"))
    assert assert_problem(twice, 409)["rule"] == "objection_once"

    decision = {
        "kind": "objection_decided",
        "match_id": str(match.id),
        "purpose": "intervention",
        "outcome": "compelling_grounds",
        "reasons": "A child protection plan is in force; support must continue.",
    }
    decided = await act(client, auth, request_id, decision)
    assert decided.status_code == 201, decided.text
    assert decided.json()["objection_outcome"] == "compelling_grounds"
    stored = await session.scalar(
        select(SubjectObjection)
        .where(SubjectObjection.subject_id == world.pupil.subject_id)
        .execution_options(populate_existing=True)
    )
    assert stored is not None and stored.status is ObjectionStatus.COMPELLING_GROUNDS
    assert stored.outcome_reason == decision["reasons"]
    assert (await client.get(url, headers=manager_headers(auth, "intervention"))).status_code == 200
    again = await act(client, auth, request_id, decision)
    assert assert_problem(again, 409)["rule"] == "objection_decided_once"
    none = await act(client, auth, request_id, {**decision, "purpose": "exclusion_support"})
    assert assert_problem(none, 409)["rule"] == "objection_recorded"


async def test_no_objection_to_records_held_under_a_legal_obligation_alone(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, lawful_basis="6(1)(c)")
    request_id, _ = await make_request(client, auth, "objection")
    match = await confirm(session, request_id, pupil)
    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "objection_recorded",
            "match_id": str(match.id),
            "purpose": "intervention",
            "reasons": "I object.",
        },
    )
    assert assert_problem(response, 409)["rule"] == "objection_applies"
    assert (
        await count(session, SubjectObjection, SubjectObjection.subject_id == pupil.subject_id) == 0
    )


# --- erasure -----------------------------------------------------------------------------------


async def test_erasure_is_refused_under_a_legal_obligation_naming_the_rule(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, lawful_basis="6(1)(c)")
    request_id, _ = await make_request(client, auth, "erasure")
    match = await confirm(session, request_id, pupil)
    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "erased",
            "match_id": str(match.id),
            "records": [{"resource_type": "pupil", "resource_id": str(pupil.id)}],
            "ground": "no_longer_needed",
            "reasons": "The family has left the county.",
        },
    )
    problem = assert_problem(response, 409)
    assert problem["rule"] == "erasure_applies"
    assert problem["source"] == "UK GDPR Art 17(3)(b)"
    assert problem["lawful_basis"] == "6(1)(c)"
    assert "legal obligation" in str(problem["detail"])
    assert await session.get(Pupil, pupil.id, populate_existing=True) is not None
    assert await count(session, SubjectRequestAction) == 0


async def test_erasure_where_it_reaches_deletes_and_records_what_without_the_data(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await make_case(session, case_type=CaseType.EXCLUSION_SUPPORT)
    exclusion = await exclusion_of(session, world.pupil, world.school)
    request_id, _ = await make_request(client, auth, "erasure")
    match = await confirm(session, request_id, world.pupil)

    applicability = await client.get(
        f"/v1/subject-requests/{request_id}/applicability", headers=ig(auth)
    )
    answers = {r["resource_type"]: r for r in applicability.json()["matches"][0]["records"]}
    assert (answers["exclusion"]["applies"], answers["exclusion"]["conditional"]) == (False, True)
    assert (answers["case"]["lawful_basis"], answers["case"]["conditional"]) == ("6(1)(e)", True)
    assert (answers["pupil"]["applies"], answers["pupil"]["conditional"]) == (False, False)

    def erase(*records: tuple[str, uuid.UUID]) -> dict[str, Any]:
        return {
            "kind": "erased",
            "match_id": str(match.id),
            "records": [{"resource_type": t, "resource_id": str(i)} for t, i in records],
            "ground": "no_longer_needed",
            "reasons": "The suspension was withdrawn and the support case closed.",
        }

    # One record the right does not reach refuses the whole action: nothing is erased.
    mixed = await act(
        client, auth, request_id, erase(("exclusion", exclusion.id), ("pupil", world.pupil.id))
    )
    assert assert_problem(mixed, 409)["rule"] == "erasure_applies"
    assert await count(session, Exclusion, Exclusion.id == exclusion.id) == 1

    response = await act(
        client, auth, request_id, erase(("case", world.case.id), ("exclusion", exclusion.id))
    )
    assert response.status_code == 201, response.text
    made = response.json()
    erased = {e["resource_type"]: e for e in made["erased"]}
    assert erased["exclusion"]["rows"] == {"exclusions": 1}
    assert erased["exclusion"]["provision"] == "UK GDPR Art 17(3)(b)"
    case_rows = erased["case"]["rows"]
    assert case_rows["cases"] == 1 and case_rows["case_parties"] == 1
    assert case_rows["case_events"] >= 1
    assert made["ground"] == "no_longer_needed"
    assert await count(session, Exclusion, Exclusion.id == exclusion.id) == 0
    assert await count(session, Case, Case.id == world.case.id) == 0
    assert await count(session, CaseEvent, CaseEvent.case_id == world.case.id) == 0
    assert await count(session, CaseParty, CaseParty.case_id == world.case.id) == 0
    # The child's own record is held under a legal obligation: it stays.
    assert await count(session, Pupil, Pupil.id == world.pupil.id) == 1
    [event] = await changes_of(session, "subject_request.erased")
    assert f"exclusion:{exclusion.id}" in str(event.details["erased"])
    assert world.pupil.legal_surname not in json.dumps(event.details)


# --- what every action refuses ------------------------------------------------------------------


async def test_a_closed_request_is_not_acted_on(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session)
    request_id, etag = await make_request(client, auth, "restriction")
    match = await confirm(session, request_id, pupil)
    closed = await client.post(
        f"/v1/subject-requests/{request_id}/closure",
        json={
            "outcome": "withdrawn",
            "reasons": "Withdrawn by email.",
            "response_channel": "email",
        },
        headers={**ig(auth), "If-Match": etag},
    )
    assert closed.status_code == 200, closed.text
    response = await act(
        client,
        auth,
        request_id,
        {
            "kind": "restricted",
            "match_id": str(match.id),
            "ground": "accuracy_contested",
            "reasons": "Disputed.",
        },
    )
    assert assert_problem(response, 409)["rule"] == "request_open"
    assert not await is_restricted(session, pupil.subject_id)


async def test_actions_fit_the_request_and_name_a_confirmed_match(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session)
    request_id, _ = await make_request(client, auth, "access")
    match = await confirm(session, request_id, pupil)
    restrict = {
        "kind": "restricted",
        "match_id": str(match.id),
        "ground": "accuracy_contested",
        "reasons": "Disputed.",
    }
    other_right = assert_problem(await act(client, auth, request_id, restrict), 409)
    assert other_right["rule"] == "action_fits_right"
    restriction_id, _ = await make_request(client, auth, "restriction")
    possible = await confirm(session, restriction_id, pupil, status=MatchStatus.POSSIBLE)
    unconfirmed = await act(
        client, auth, restriction_id, {**restrict, "match_id": str(possible.id)}
    )
    assert assert_problem(unconfirmed, 409)["rule"] == "match_confirmed"
    # Another request's match is no match of this one.
    unknown = await act(client, auth, restriction_id, restrict)
    assert assert_problem(unknown, 422)["errors"][0]["code"] == "unknown_match"
    unknown_kind = await act(client, auth, restriction_id, {**restrict, "kind": "forgotten"})
    assert assert_problem(unknown_kind, 422)["errors"][0]["pointer"] == "/kind"
    missing = await act(client, auth, restriction_id, {**restrict, "reasons": None})
    assert assert_problem(missing, 422)["errors"][0]["pointer"] == "/reasons"
    assert not await is_restricted(session, pupil.subject_id)


async def test_an_action_sent_again_with_its_idempotency_key_is_taken_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session)
    request_id, _ = await make_request(client, auth, "restriction")
    match = await confirm(session, request_id, pupil)
    body = {
        "kind": "restricted",
        "match_id": str(match.id),
        "ground": "objection_pending",
        "reasons": "Restriction asked for while the objection is decided.",
    }
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await act(client, auth, request_id, body, **key)
    assert first.status_code == 201, first.text
    second = await act(client, auth, request_id, body, **key)
    assert second.status_code == 201, second.text
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert (
        await count(
            session, SubjectRequestAction, SubjectRequestAction.request_id == uuid.UUID(request_id)
        )
        == 1
    )


async def test_an_anonymous_caller_is_refused(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    request_id, _ = await make_request(client, auth, "restriction")
    base = f"/v1/subject-requests/{request_id}"
    assert_problem(await client.get(f"{base}/applicability"), 401)
    assert_problem(await client.get(f"{base}/actions"), 401)
    assert_problem(await client.get(f"{base}/actions/{uuid.uuid4()}"), 401)
    assert_problem(await client.post(f"{base}/actions", json={"kind": "restricted"}), 401)


@pytest.mark.parametrize(
    ("roles", "claims"),
    [
        (("attendance_officer",), {"area_teams": ("east",)}),
        (("attendance_manager",), {"area_teams": ("east",)}),
        (("school_staff",), {"school_urns": (118960,)}),
        (("mis_integration",), {"school_urns": (118960,)}),
        (("licensing_officer",), {}),
    ],
)
async def test_only_information_governance_acts_on_a_request(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    roles: tuple[str, ...],
    claims: dict[str, Any],
) -> None:
    world = await make_case(session)
    request_id, _ = await make_request(client, auth, "restriction")
    match = await confirm(session, request_id, world.pupil)
    other = auth(*roles, **claims)
    base = f"/v1/subject-requests/{request_id}"
    body = {
        "kind": "restricted",
        "match_id": str(match.id),
        "ground": "accuracy_contested",
        "reasons": "Disputed.",
    }
    for purpose in (None, "attendance_duty"):
        headers = {**other, "KPAS-Purpose": purpose} if purpose else other
        assert_problem(await client.post(f"{base}/actions", json=body, headers=headers), 403)
        assert_problem(await client.get(f"{base}/applicability", headers=headers), 403)
        assert_problem(await client.get(f"{base}/actions", headers=headers), 403)
    assert not await is_restricted(session, world.pupil.subject_id)


async def test_an_unknown_request_or_action_is_a_404(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    base = f"/v1/subject-requests/{unknown}"
    assert_problem(await client.get(f"{base}/applicability", headers=ig(auth)), 404)
    assert_problem(await client.get(f"{base}/actions", headers=ig(auth)), 404)
    request_id, _ = await make_request(client, auth, "restriction")
    response = await client.get(
        f"/v1/subject-requests/{request_id}/actions/{unknown}", headers=ig(auth)
    )
    assert_problem(response, 404)
