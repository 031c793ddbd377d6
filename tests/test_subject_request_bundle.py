"""The access bundle: every record in every module about the confirmed subject, built under the
subject-rights purpose (never the caller's own reach), answered item by item (exemptions,
Part 3 restrictions, third-party review), and released with its hash in the disclosure log."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceMark
from app.models.audit import AuditEventSubject
from app.models.cases import (
    Case,
    CaseDocument,
    CaseDocumentKind,
    CaseEventKind,
    CaseStage,
    Offence,
    Prosecution,
    ProsecutionStatus,
)
from app.models.disclosures import Disclosure, DisclosureSubject
from app.models.licences import Licence, LicenceKind, LicenceStatus
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.people import Carer, Pupil
from app.models.sharing import DataCategory, Recipient
from app.models.subject_requests import SubjectRequest
from app.policies.registry import Purpose
from app.rules.kent import District
from app.services.cases import add_event
from app.services.licences import new_reference as licence_reference
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from tests.case_support import make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import (
    assert_problem,
    make_agreement,
    make_carer,
    make_pupil,
    make_recipient,
    make_school,
)
from tests.subject_answer_support import (
    GOVERNANCE_OFFICER,
    TODAY,
    bundle,
    confirm_all,
    decide,
    etag_of,
    ig,
    items_of,
    record_request,
    search,
)

BORN = date(2016, 3, 4)
OTHER_OFFICER = "officer-2"
PARTNER_ORG = "synthetic-mentoring"


@dataclass
class Family:
    pupil: Pupil
    mother: Carer
    case: Case
    request: dict[str, Any]


async def family(
    session: AsyncSession,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    *,
    stage: CaseStage = CaseStage.SUPPORT,
    note: str = "Spoke to Evie about Isobel's absences; a meeting is arranged.",
    confirm: bool = True,
    **request_fields: Any,
) -> Family:
    """Isobel, on the roll of a Thanet school, whose mother Evie is a party to an attendance
    case assigned to another officer; the case's chronology names Evie in an officer's note.
    Her mother's access request is recorded, searched, and (``confirm``) Isobel confirmed."""
    pupil = await make_pupil(
        session,
        school=await make_school(session, district=District.THANET),
        legal_forename="Isobel",
        legal_surname="Fenwick",
        date_of_birth=BORN,
    )
    mother = await make_carer(
        session, pupil=pupil, forename="Evie", surname="Fenwick", email="evie@example.org"
    )
    world = await make_case(session, pupil=pupil, carer=mother, officer=OTHER_OFFICER, stage=stage)
    now = datetime.now(UTC)
    add_event(session, world.case, CaseEventKind.NOTE, by=OTHER_OFFICER, now=now, text=note)
    add_event(
        session,
        world.case,
        CaseEventKind.HOME_VISIT,
        by=OTHER_OFFICER,
        now=now,
        text="Nobody was in; a card was left.",
    )
    await session.flush()
    request = await record_request(
        client,
        auth,
        {
            "forename": "Isobel",
            "surname": "Fenwick",
            "date_of_birth": BORN.isoformat(),
            "upn": pupil.upn,
        },
        **request_fields,
    )
    if confirm:
        await confirm_all(client, auth, request["id"])
    return Family(pupil, mother, world.case, request)


async def add_marks(session: AsyncSession, pupil: Pupil, urn: int) -> None:
    recorded = datetime.now(UTC)
    for offset, code in enumerate(["/", "N", "L", "G"]):
        day = date(2025, 9, 8) + timedelta(days=offset)
        for session_code, mark in (("AM", code), ("PM", "\\")):
            session.add(
                AttendanceMark(
                    pupil_id=pupil.id,
                    mark_date=day,
                    session=session_code,
                    school_urn=urn,
                    code=mark,
                    import_id=uuid.uuid4(),
                    recorded_at=recorded,
                )
            )
    await session.flush()


async def add_case_document(session: AsyncSession, case: Case) -> CaseDocument:
    document = CaseDocument(
        id=uuid.uuid4(),
        case_id=case.id,
        kind=CaseDocumentKind.LETTER,
        title="Letter from school, 3 March",
        media_type="application/pdf",
        size_bytes=5,
        sha256=hashlib.sha256(b"%PDF-").hexdigest(),
        nonce=b"0" * 12,
        ciphertext=b"sealed-content",
        recorded_by=OTHER_OFFICER,
        subject_id=case.subject_id,
        purposes_mask=case.purposes_mask,
        lawful_basis=case.lawful_basis,
    )
    session.add(document)
    await session.flush()
    return document


async def add_licence(session: AsyncSession, pupil: Pupil) -> Licence:
    received = date(2026, 10, 1)
    licence = Licence(
        id=uuid.uuid4(),
        reference=licence_reference(received),
        kind=LicenceKind.WORK_PERMIT,
        status=LicenceStatus.APPLIED,
        pupil_id=pupil.id,
        forename=pupil.legal_forename,
        surname=pupil.legal_surname,
        date_of_birth=pupil.date_of_birth,
        received_on=received,
        starts_on=received,
        particulars={},
        findings=[],
        subject_id=pupil.subject_id,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by="licensing-1",
    )
    session.add(licence)
    await session.flush()
    return licence


async def add_message(session: AsyncSession, pupil: Pupil, carer: Carer) -> OutboundMessage:
    message = OutboundMessage(
        id=uuid.uuid4(),
        message_type="attendance_concern_letter",
        channel=Channel.EMAIL,
        template_id=uuid.uuid4(),
        reference=uuid.uuid4().hex,
        recipient=carer.email,
        personalisation={"parent_name": "Evie Fenwick", "child_name": "Isobel"},
        pupil_id=pupil.id,
        carer_id=carer.id,
        purpose=Purpose.ATTENDANCE_DUTY.value,
        status=MessageStatus.DELIVERED,
        attempts=1,
        next_attempt_at=datetime.now(UTC),
        created_by=OTHER_OFFICER,
        subject_id=carer.subject_id,
        purposes_mask=PEOPLE_PURPOSES_MASK,
        lawful_basis=PEOPLE_BASIS,
    )
    session.add(message)
    await session.flush()
    return message


async def release(
    client: httpx.AsyncClient, auth: AuthHeaders, request_id: str, **params: str
) -> httpx.Response:
    headers = {**ig(auth), "If-Match": await etag_of(client, auth, request_id)}
    return await client.post(
        f"/v1/subject-requests/{request_id}/bundle/release", params=params, headers=headers
    )


async def answer(
    client: httpx.AsyncClient, auth: AuthHeaders, request_id: str, items: list[dict[str, Any]]
) -> httpx.Response:
    return await client.post(
        f"/v1/subject-requests/{request_id}/items", json={"items": items}, headers=ig(auth)
    )


async def release_every_flagged_item(
    client: httpx.AsyncClient, auth: AuthHeaders, request_id: str
) -> None:
    built = await bundle(client, auth, request_id)
    flagged = [
        {
            "resource_type": i["resource_type"],
            "resource_id": i["resource_id"],
            "decision": "released",
            "reason": "Reviewed: the other person's data here is already known to the requester.",
        }
        for i in built["items"]
        if i["decision"]["decision"] == "third_party_review"
    ]
    if flagged:
        response = await answer(client, auth, request_id, flagged)
        assert response.status_code == 200, response.text


# --- what the bundle holds -------------------------------------------------------------------


async def test_the_bundle_holds_every_module_with_its_footing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)
    urn = world.case.school_urn
    await add_marks(session, world.pupil, urn)
    document = await add_case_document(session, world.case)
    licence = await add_licence(session, world.pupil)
    message = await add_message(session, world.pupil, world.mother)
    built = await bundle(client, auth, world.request["id"])

    assert built["status"] == "preview"
    assert built["built_under"] == {
        "purpose": "subject_rights",
        "basis": "6(1)(c)",
        "view": "system_wide",
    }
    assert [s["subject_id"] for s in built["subjects"]] == [str(world.pupil.subject_id)]
    types = {i["resource_type"] for i in built["items"]}
    assert {
        "pupil",
        "carer_relationship",
        "attendance",
        "case",
        "case_event",
        "case_document",
        "licence",
        "message",
        "access_log",
    } <= types

    [pupil] = items_of(built, "pupil")
    assert pupil["data"]["upn"] == world.pupil.upn
    assert [p["code"] for p in pupil["purposes"]] == ["attendance_duty", "intervention"]
    assert pupil["lawful_basis"] == ["6(1)(c),6(1)(e)"]
    assert pupil["retention"]["retain_until"] == date(2041, 3, 3).isoformat()
    assert pupil["law_enforcement"] is False
    rights = {(r["right"], r["basis"]): r for r in pupil["rights"]}
    erasure = rights[("erasure", "6(1)(c),6(1)(e)")]
    assert erasure["applies"] is False and erasure["provision"] == "UK GDPR Art 17(3)(b)"
    assert rights[("portability", "6(1)(c),6(1)(e)")]["applies"] is False
    assert "surname_key" not in pupil["data"] and "version" not in pupil["data"]

    [attendance] = items_of(built, "attendance")
    assert attendance["resource_id"] == f"{world.pupil.id}:{urn}"
    assert len(attendance["data"]["marks"]) == 8
    [year] = attendance["data"]["figures"]
    assert (year["school_year"], year["possible_sessions"]) == ("2025/26", 8)
    assert (year["unauthorised_absence"], year["attendance_percent"]) == (2, 75.0)

    [listed] = items_of(built, "case_document")
    assert listed["resource_id"] == str(document.id)
    assert "ciphertext" not in listed["data"] and "nonce" not in listed["data"]
    assert listed["data"]["title"] == "Letter from school, 3 March"
    assert items_of(built, "licence")[0]["resource_id"] == str(licence.id)
    [sent] = items_of(built, "message")
    assert sent["resource_id"] == str(message.id)
    # A letter to the mother about Isobel holds the mother's data: for review.
    assert sent["third_party"]["present"] is True
    assert "reference" not in sent["data"]
    assert built["complaints"]["ico"].startswith("You can complain to the Information")


async def test_a_record_outside_the_callers_ordinary_reach_is_still_in_the_bundle(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)
    # An attendance officer of the same team does not reach another officer's case ...
    officer = officer_headers(auth, subject="officer-1")
    assert (await client.get(f"/v1/cases/{world.case.id}", headers=officer)).status_code == 404
    # ... nor does information governance reach it for casework ...
    casework = auth("information_governance", purpose="attendance_duty")
    assert (await client.get(f"/v1/cases/{world.case.id}", headers=casework)).status_code in (
        400,
        403,
    )
    # ... but the bundle, built under subject rights over every module, holds it and its
    # chronology.
    built = await bundle(client, auth, world.request["id"])
    assert [i["resource_id"] for i in items_of(built, "case")] == [str(world.case.id)]
    notes = [i["data"]["text"] for i in items_of(built, "case_event")]
    assert "Nobody was in; a card was left." in notes


async def test_a_disclosure_made_through_the_partner_api_is_in_the_bundle(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session, district=District.DOVER)
    pupil = await make_pupil(
        session,
        school=school,
        legal_forename="Isobel",
        legal_surname="Fenwick",
        date_of_birth=BORN,
    )
    partner = await make_recipient(session, code=PARTNER_ORG, name="Synthetic Mentoring")
    await make_agreement(
        session,
        partner,
        purposes=[Purpose.INTERVENTION],
        data_categories=[DataCategory.IDENTITY_CONTACT],
        starts_on=TODAY - timedelta(days=30),
    )
    read = await client.get(
        f"/v1/pupils/{pupil.id}",
        headers=auth("partner", subject="mentor-9", org=PARTNER_ORG, purpose="intervention"),
    )
    assert read.status_code == 200, read.text
    request = await record_request(
        client,
        auth,
        {
            "forename": "Isobel",
            "surname": "Fenwick",
            "date_of_birth": BORN.isoformat(),
            "upn": pupil.upn,
        },
    )
    await confirm_all(client, auth, request["id"])
    built = await bundle(client, auth, request["id"])

    [disclosed] = items_of(built, "disclosure")
    assert disclosed["data"]["recipient"] == "Synthetic Mentoring"
    assert disclosed["data"]["through_the_api"] is True
    assert disclosed["data"]["purpose"] == "intervention"
    assert disclosed["data"]["content_sha256"] == hashlib.sha256(read.content).hexdigest()
    assert disclosed["categories"] == ["identity_contact"]
    [recipient] = built["recipients"]
    assert (recipient["name"], recipient["disclosures"], recipient["through_the_api"]) == (
        "Synthetic Mentoring",
        1,
        1,
    )
    # The audit trail's reads: who read the record, when, under which purpose.
    [log] = items_of(built, "access_log")
    partner_reads = [r for r in log["data"]["reads"] if r["who"] == "mentor-9"]
    assert partner_reads and partner_reads[0]["purpose"] == "intervention"
    assert partner_reads[0]["action"] == "pupil.read"


async def test_rejected_matches_are_kept_out_of_the_bundle(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    namesake = await make_pupil(
        session, legal_forename="Isobel", legal_surname="Fenwick", date_of_birth=date(2014, 2, 2)
    )
    world = await family(session, client, auth, confirm=False)
    found = await search(client, auth, world.request["id"])
    for match in found["matches"]:
        decision = "rejected" if match["record_id"] == str(namesake.id) else "confirmed"
        await decide(client, auth, world.request["id"], match["id"], decision)
    built = await bundle(client, auth, world.request["id"])
    assert [i["resource_id"] for i in items_of(built, "pupil")] == [str(world.pupil.id)]
    assert str(namesake.subject_id) not in {i["subject_id"] for i in built["items"]}


# --- answering item by item ------------------------------------------------------------------


async def test_a_part3_item_is_restricted_with_its_reason(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth, stage=CaseStage.PROSECUTION)
    prosecution = Prosecution(
        id=uuid.uuid4(),
        case_id=world.case.id,
        carer_id=world.mother.id,
        offence=Offence.FAILURE_TO_SECURE_REGULAR_ATTENDANCE,
        offence_from=date(2026, 9, 1),
        offence_to=date(2026, 10, 31),
        lay_by=date(2027, 4, 30),
        evidence=[],
        status=ProsecutionStatus.PREPARING,
        recorded_by=OTHER_OFFICER,
    )
    session.add(prosecution)
    await session.flush()
    request_id = world.request["id"]
    built = await bundle(client, auth, request_id)
    [held] = items_of(built, "prosecution")
    assert held["law_enforcement"] is True and held["lawful_basis"] == ["s35(2)(b)"]
    access_right = next(r for r in held["rights"] if r["right"] == "access")
    assert access_right["provision"] == "DPA 2018 s45"
    assert {r["right"]: r["applies"] for r in held["rights"]}["portability"] is False
    # The case at prosecution stage is held for both: UK GDPR and Part 3.
    [case] = items_of(built, "case")
    assert case["law_enforcement"] is True
    assert case["lawful_basis"] == ["6(1)(c),6(1)(e)", "s35(2)(b)"]
    assert "prosecution" in [p["code"] for p in case["purposes"]]

    reason = "Releasing the evidence list now would prejudice the prosecution being prepared."
    wrongly_withheld = await answer(
        client,
        auth,
        request_id,
        [
            {
                "resource_type": "prosecution",
                "resource_id": held["resource_id"],
                "decision": "withheld",
                "exemption": "crime_and_taxation",
                "reason": reason,
            }
        ],
    )
    assert assert_problem(wrongly_withheld, 422)["errors"][0]["code"] == "part3_restriction"
    [pupil] = items_of(built, "pupil")
    not_part3 = await answer(
        client,
        auth,
        request_id,
        [
            {
                "resource_type": "pupil",
                "resource_id": pupil["resource_id"],
                "decision": "restricted",
                "reason": reason,
            }
        ],
    )
    assert assert_problem(not_part3, 422)["errors"][0]["code"] == "not_law_enforcement"

    restricted = await answer(
        client,
        auth,
        request_id,
        [
            {
                "resource_type": "prosecution",
                "resource_id": held["resource_id"],
                "decision": "restricted",
                "reason": reason,
            }
        ],
    )
    assert restricted.status_code == 200, restricted.text
    [recorded] = restricted.json()["items"]
    assert (recorded["decision"], recorded["exemption"], recorded["provision"]) == (
        "restricted",
        "part3_prejudice",
        "DPA 2018 s45(4)",
    )
    assert recorded["reason"] == reason and recorded["decided_by"] == GOVERNANCE_OFFICER

    await release_every_flagged_item(client, auth, request_id)
    released = await release(client, auth, request_id)
    assert released.status_code == 200, released.text
    body = released.json()
    assert held["resource_id"] not in {i["resource_id"] for i in body["items"]}
    [left_out] = body["not_released"]
    assert (left_out["resource_type"], left_out["provision"], left_out["reason"]) == (
        "prosecution",
        "DPA 2018 s45(4)",
        reason,
    )


async def test_third_party_data_blocks_release_until_reviewed(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)
    request_id = world.request["id"]
    built = await bundle(client, auth, request_id)
    notes = {i["data"]["text"]: i for i in items_of(built, "case_event") if i["data"]["text"]}
    naming = notes["Spoke to Evie about Isobel's absences; a meeting is arranged."]
    plain = notes["Nobody was in; a card was left."]
    assert naming["third_party"] == {
        "present": True,
        "reasons": ["names another person: a parent or carer"],
    }
    assert naming["decision"]["decision"] == "third_party_review"
    assert naming["decision"]["automatic"] is True
    assert plain["third_party"]["present"] is False
    assert plain["decision"]["decision"] == "released"
    [link] = items_of(built, "carer_relationship")
    assert link["decision"]["decision"] == "third_party_review"
    assert built["awaiting_review"] >= 2

    refused = await release(client, auth, request_id)
    problem = assert_problem(refused, 409)
    assert problem["rule"] == "third_party_reviewed"
    assert problem["awaiting_review"] == built["awaiting_review"]

    withheld = await answer(
        client,
        auth,
        request_id,
        [
            {
                "resource_type": "case_event",
                "resource_id": naming["resource_id"],
                "decision": "withheld",
                "exemption": "third_party",
                "reason": "It records what another person told the council.",
            }
        ],
    )
    assert withheld.status_code == 200, withheld.text
    await release_every_flagged_item(client, auth, request_id)
    released = await release(client, auth, request_id)
    assert released.status_code == 200, released.text
    body = released.json()
    assert naming["resource_id"] not in {i["resource_id"] for i in body["items"]}
    assert plain["resource_id"] in {i["resource_id"] for i in body["items"]}
    assert [(n["resource_id"], n["exemption"]) for n in body["not_released"]] == [
        (naming["resource_id"], "third_party")
    ]


async def test_an_unknown_item_is_refused_and_nothing_is_recorded(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)
    built = await bundle(client, auth, world.request["id"])
    [pupil] = items_of(built, "pupil")
    response = await answer(
        client,
        auth,
        world.request["id"],
        [
            {"resource_type": "pupil", "resource_id": pupil["resource_id"], "decision": "released"},
            {"resource_type": "case", "resource_id": str(uuid.uuid4()), "decision": "released"},
        ],
    )
    problem = assert_problem(response, 422)
    assert [e["code"] for e in problem["errors"]] == ["unknown_item"]
    again = await bundle(client, auth, world.request["id"])
    assert items_of(again, "pupil")[0]["decision"]["automatic"] is True


# --- release ---------------------------------------------------------------------------------


async def test_release_writes_a_disclosure_whose_hash_is_that_of_the_released_json(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)
    request_id = world.request["id"]
    closing = {"outcome": "completed", "response_channel": "email"}
    early = await client.post(
        f"/v1/subject-requests/{request_id}/closure",
        json=closing,
        headers={**ig(auth), "If-Match": await etag_of(client, auth, request_id)},
    )
    assert assert_problem(early, 409)["rule"] == "response_released"

    await release_every_flagged_item(client, auth, request_id)
    stale = await client.post(
        f"/v1/subject-requests/{request_id}/bundle/release",
        headers={**ig(auth), "If-Match": '"stale-1"'},
    )
    assert_problem(stale, 412)
    released = await release(client, auth, request_id)
    assert released.status_code == 200, released.text
    assert released.headers["content-type"].startswith("application/json")
    digest = hashlib.sha256(released.content).hexdigest()
    assert released.headers["KPAS-Bundle-SHA256"] == digest
    body = released.json()
    assert body["status"] == "released"
    disclosure_id = uuid.UUID(body["release"]["disclosure_id"])

    disclosure = await session.get(Disclosure, disclosure_id)
    assert disclosure is not None
    assert disclosure.content_sha256 == digest
    assert (disclosure.purpose, disclosure.automatic) == ("subject_rights", False)
    assert disclosure.request_reference == world.request["reference"]
    recipient = await session.get(Recipient, disclosure.recipient_id)
    assert recipient is not None and recipient.code == "data-subject"
    about = set(
        await session.scalars(
            select(DisclosureSubject.subject_id).where(
                DisclosureSubject.disclosure_id == disclosure_id
            )
        )
    )
    # Isobel, and her mother, whose data (reviewed and released) the bundle holds.
    assert {world.pupil.subject_id, world.mother.subject_id} <= about
    stored = await session.get(SubjectRequest, uuid.UUID(request_id))
    assert stored is not None
    await session.refresh(stored)
    assert (stored.bundle_sha256, stored.bundle_disclosure_id) == (digest, disclosure_id)
    read = await client.get(f"/v1/subject-requests/{request_id}", headers=ig(auth))
    assert read.json()["bundle_sha256"] == digest
    assert released.headers["ETag"] == read.headers["ETag"]

    # The next bundle lists the release itself: a disclosure to the data subject.
    later = await bundle(client, auth, request_id)
    assert any(i["data"]["recipient_kind"] == "data_subject" for i in items_of(later, "disclosure"))
    closed = await client.post(
        f"/v1/subject-requests/{request_id}/closure",
        json=closing,
        headers={**ig(auth), "If-Match": await etag_of(client, auth, request_id)},
    )
    assert closed.status_code == 200, closed.text


async def test_the_bundle_as_html_escapes_everything(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(
        session, client, auth, note="<script>alert('x')</script> & <b>bold</b> said Evie"
    )
    request_id = world.request["id"]
    by_query = await client.get(
        f"/v1/subject-requests/{request_id}/bundle", params={"format": "html"}, headers=ig(auth)
    )
    by_accept = await client.get(
        f"/v1/subject-requests/{request_id}/bundle",
        headers={**ig(auth), "Accept": "text/html"},
    )
    for response in (by_query, by_accept):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "default-src 'none'" in response.headers["content-security-policy"]
        page = response.text
        assert "<script" not in page and "<b>bold" not in page
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in page
        assert "Isobel Fenwick" in page and "Information Commissioner" in page
    unacceptable = await client.get(
        f"/v1/subject-requests/{request_id}/bundle", headers={**ig(auth), "Accept": "image/png"}
    )
    assert_problem(unacceptable, 406)

    await release_every_flagged_item(client, auth, request_id)
    released = await release(client, auth, request_id, format="html")
    assert released.status_code == 200, released.text
    assert released.headers["KPAS-Bundle-SHA256"] in released.text
    disclosure = await session.scalar(
        select(Disclosure).where(
            Disclosure.content_sha256 == released.headers["KPAS-Bundle-SHA256"]
        )
    )
    assert disclosure is not None


@pytest.mark.parametrize(
    ("situation", "rule"),
    [
        ("no_match_confirmed", "match_confirmed"),
        ("a_match_still_possible", "matches_decided"),
        ("another_right", "access_request_only"),
        ("authority_not_accepted", "authority_accepted"),
    ],
)
async def test_a_release_that_cannot_answer_the_request_is_refused(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    situation: str,
    rule: str,
) -> None:
    fields: dict[str, Any] = {}
    if situation == "another_right":
        fields["right"] = "rectification"
    if situation == "authority_not_accepted":
        fields["authority_accepted"] = False
    world = await family(
        session,
        client,
        auth,
        confirm=situation not in ("no_match_confirmed", "a_match_still_possible"),
        **fields,
    )
    if situation == "a_match_still_possible":
        await make_pupil(session, legal_forename="Isobel", legal_surname="Fenwick")
        found = await search(client, auth, world.request["id"])
        mine = next(m for m in found["matches"] if m["record_id"] == str(world.pupil.id))
        await decide(client, auth, world.request["id"], mine["id"], "confirmed")
    response = await release(client, auth, world.request["id"])
    assert assert_problem(response, 409)["rule"] == rule
    count = await session.scalar(select(func.count()).select_from(Disclosure))
    assert count == 0


async def test_reading_the_bundle_records_whose_data_was_read(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    world = await family(session, client, auth)

    async def touches(subject_id: uuid.UUID) -> int:
        count = await session.scalar(
            select(func.count())
            .select_from(AuditEventSubject)
            .where(AuditEventSubject.subject_id == subject_id)
        )
        return int(count or 0)

    before = {s: await touches(s) for s in (world.pupil.subject_id, world.mother.subject_id)}
    await bundle(client, auth, world.request["id"])
    for subject_id, count in before.items():
        assert await touches(subject_id) == count + 1


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "claims"),
    [
        ("attendance_officer", {"area_teams": ("east",)}),
        ("school_staff", {"school_urns": (118960,)}),
        ("licensing_officer", {}),
        ("partner", {"org": "kent-police"}),
    ],
)
async def test_only_information_governance_builds_answers_or_releases(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    role: str,
    claims: dict[str, Any],
) -> None:
    world = await family(session, client, auth)
    base = f"/v1/subject-requests/{world.request['id']}"
    other = auth(role, **claims)
    item = {"resource_type": "pupil", "resource_id": str(world.pupil.id), "decision": "released"}
    responses = [
        await client.get(f"{base}/bundle", headers=other),
        await client.post(f"{base}/items", json={"items": [item]}, headers=other),
        await client.post(f"{base}/bundle/release", headers={**other, "If-Match": "*"}),
    ]
    for response in responses:
        assert response.status_code == 403, response.text
        assert response.json()["policy"]["rule"]
    assert await session.scalar(select(func.count()).select_from(Disclosure)) == 0


async def test_an_anonymous_caller_is_refused(client: httpx.AsyncClient) -> None:
    base = f"/v1/subject-requests/{uuid.uuid4()}"
    assert_problem(await client.get(f"{base}/bundle"), 401)
    assert_problem(await client.post(f"{base}/items", json={"items": []}), 401)
    assert_problem(await client.post(f"{base}/bundle/release", headers={"If-Match": "*"}), 401)


async def test_an_unknown_request_has_no_bundle(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.get(f"/v1/subject-requests/{uuid.uuid4()}/bundle", headers=ig(auth))
    assert_problem(response, 404)
