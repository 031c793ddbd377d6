"""``/v1/messages``: staff send a registered message type to a pupil's carer through the outbox,
and follow its status, within the policy layer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent, Carer, DataSubject, Pupil, School
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.policies.registry import Purpose
from app.rules.kent import District
from app.services.outbox import Addressee, enqueue
from tests.case_support import make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import make_carer, make_pupil, make_school

PROBLEM = "application/problem+json"
CONCERN = {
    "pupil_first_name": "Alex",
    "school_name": "Synthetic Primary School",
    "contact_number": "03000 412121",
}


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET)


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE)


def manager(auth: AuthHeaders, purpose: str = "attendance_duty") -> dict[str, str]:
    return auth("attendance_manager", area_teams=("east",), purpose=purpose)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    return body


async def family(session: AsyncSession, school: School, **carer: object) -> tuple[Pupil, Carer]:
    pupil = await make_pupil(session, school=school)
    fields: dict[str, object] = {
        "title": "Ms",
        "phone": "+447700900123",
        "email": "carer@example.org",
        "address_lines": ["1 Harbour Street", "Margate"],
        "postcode": "CT9 1AA",
        **carer,
    }
    return pupil, await make_carer(session, pupil=pupil, **fields)


def body(
    pupil: Pupil, carer: Carer, channel: str = "letter", **changes: object
) -> dict[str, object]:
    values: dict[str, object] = {
        "message_type": "attendance_concern",
        "channel": channel,
        "pupil_id": str(pupil.id),
        "carer_id": str(carer.id),
        "personalisation": CONCERN,
    }
    values.update(changes)
    return values


async def queued_about(
    session: AsyncSession, pupil: Pupil, carer: Carer, *, status: MessageStatus | None = None
) -> OutboundMessage:
    """A text about ``pupil`` to ``carer``, straight into the outbox."""
    message = enqueue(
        session,
        message_type_code="attendance_concern",
        channel=Channel.SMS,
        to=Addressee(phone=carer.phone),
        personalisation=CONCERN,
        purpose=Purpose.ATTENDANCE_DUTY,
        subject_id=carer.subject_id,
        purposes_mask=carer.purposes_mask,
        lawful_basis=carer.lawful_basis,
        created_by="someone-else",
        now=datetime.now(UTC),
        pupil_id=pupil.id,
        carer_id=carer.id,
    )
    if status is not None:
        message.status = status
    await session.flush()
    return message


async def test_anonymous_is_401(client: httpx.AsyncClient) -> None:
    some = uuid.uuid4()
    assert_problem(await client.get("/v1/messages"), 401)
    assert_problem(await client.get(f"/v1/messages/{some}"), 401)
    assert_problem(await client.post("/v1/messages", json={}), 401)
    assert_problem(await client.post(f"/v1/messages/{some}/retry"), 401)


async def test_a_letter_is_addressed_from_the_carers_record_and_audited(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    response = await client.post("/v1/messages", json=body(pupil, carer), headers=manager(auth))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"/v1/messages/{created['id']}"
    assert response.headers["etag"]
    assert created["status"] == "queued"
    assert (created["channel"], created["purpose"]) == ("letter", "attendance_duty")
    assert "recipient" not in created and "personalisation" not in created
    message = await session.get(OutboundMessage, uuid.UUID(created["id"]))
    assert message is not None
    assert message.recipient is None
    assert message.personalisation == {
        **CONCERN,
        "address_line_1": "Ms Sam Example",
        "address_line_2": "1 Harbour Street",
        "address_line_3": "Margate",
        "address_line_4": "CT9 1AA",
    }
    assert (message.subject_id, message.purposes_mask) == (carer.subject_id, carer.purposes_mask)
    assert (message.pupil_id, message.carer_id) == (pupil.id, carer.id)
    assert message.reference.startswith("kpas-")
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "message.queued", AuditEvent.resource_id == created["id"]
        )
    )
    assert event is not None
    assert event.subject_id == carer.subject_id
    assert event.decision_id is not None
    assert event.details == {
        "message_type": "attendance_concern",
        "channel": "letter",
        "pupil_id": str(pupil.id),
    }


async def test_texts_and_emails_go_to_the_carers_mobile_and_email(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    sent = {}
    for channel in ("sms", "email"):
        response = await client.post(
            "/v1/messages", json=body(pupil, carer, channel), headers=manager(auth)
        )
        assert response.status_code == 201, response.text
        sent[channel] = await session.get(OutboundMessage, uuid.UUID(response.json()["id"]))
    assert sent["sms"].recipient == "+447700900123"  # type: ignore[union-attr]
    assert sent["email"].recipient == "carer@example.org"  # type: ignore[union-attr]
    assert sent["sms"].reference != sent["email"].reference  # type: ignore[union-attr]


async def test_an_idempotency_key_sends_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    headers = {**manager(auth), "Idempotency-Key": "concern-letter-1"}
    first = await client.post("/v1/messages", json=body(pupil, carer), headers=headers)
    again = await client.post("/v1/messages", json=body(pupil, carer), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    rows = await session.scalars(
        select(OutboundMessage).where(OutboundMessage.carer_id == carer.id)
    )
    assert len(list(rows)) == 1
    other = await client.post("/v1/messages", json=body(pupil, carer, "sms"), headers=headers)
    assert_problem(other, 422)


async def test_refusals_name_the_field_without_repeating_values(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east, phone=None)
    headers = manager(auth)
    meeting = body(
        pupil,
        carer,
        message_type="meeting_invitation",
        personalisation={
            "pupil_first_name": "Zebedee",
            "meeting_date": "Zebedee-31",
            "meeting_time": "10:00",
            "surprise": "Zebedee",
        },
    )
    cases: list[tuple[dict[str, object], str]] = [
        (body(pupil, carer, "sms"), "/carer_id"),  # no mobile number on the carer's record
        (body(pupil, carer, message_type="notice_to_improve", channel="sms"), "/channel"),
        (body(pupil, carer, message_type="penalty_notice_letter"), "/KPAS-Purpose"),
        (meeting, "/personalisation/meeting_date"),
    ]
    for payload, pointer in cases:
        response = await client.post("/v1/messages", json=payload, headers=headers)
        problem = assert_problem(response, 422)
        pointers = {error["pointer"] for error in problem["errors"]}  # type: ignore[attr-defined]
        assert pointer in pointers, problem
        assert "Zebedee" not in response.text
    problem = assert_problem(await client.post("/v1/messages", json=meeting, headers=headers), 422)
    assert {e["pointer"] for e in problem["errors"]} == {  # type: ignore[attr-defined]
        "/personalisation/meeting_date",
        "/personalisation/venue",
        "/personalisation/surprise",
    }
    unknown = await client.post(
        "/v1/messages", json=body(pupil, carer, message_type="nonsense"), headers=headers
    )
    assert_problem(unknown, 422)
    extra = await client.post(
        "/v1/messages", json={**body(pupil, carer), "to": "someone"}, headers=headers
    )
    assert_problem(extra, 422)


async def test_pupils_and_carers_the_caller_may_not_reach_are_404(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    pupil, _ = await family(session, east)
    far_pupil, far_carer = await family(session, west)
    _, other_family_carer = await family(session, east)
    restricted_pupil, restricted_carer = await family(session, east)
    subject = await session.get(DataSubject, restricted_carer.subject_id)
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    await session.flush()
    headers = manager(auth)
    for pupil_of, carer_of in (
        (far_pupil, far_carer),  # outside the manager's area
        (pupil, other_family_carer),  # not this pupil's carer
        (restricted_pupil, restricted_carer),  # processing restricted (Art 18)
        (pupil, far_carer),
    ):
        response = await client.post("/v1/messages", json=body(pupil_of, carer_of), headers=headers)
        assert_problem(response, 404)
    assert await session.scalar(select(OutboundMessage.id)) is None


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        ("school_staff", "attendance_duty"),
        ("information_governance", "subject_rights"),
        ("admin", None),
    ],
)
async def test_only_attendance_managers_send(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    role: str,
    purpose: str | None,
) -> None:
    pupil, carer = await family(session, east)
    headers = auth(role, area_teams=("east",), school_urns=(east.urn,), purpose=purpose)
    assert_problem(await client.post("/v1/messages", json=body(pupil, carer), headers=headers), 403)


async def test_an_officer_sends_only_to_the_family_of_one_of_their_cases(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    headers = officer_headers(auth)
    refused = await client.post("/v1/messages", json=body(pupil, carer), headers=headers)
    assert_problem(refused, 404)
    assert await session.scalar(select(OutboundMessage.id)) is None
    await make_case(session, school=east, pupil=pupil, carer=carer)
    sent = await client.post("/v1/messages", json=body(pupil, carer), headers=headers)
    assert sent.status_code == 201, sent.text


async def test_the_list_shows_status_never_content_and_only_what_the_caller_may_see(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    east: School,
    west: School,
) -> None:
    pupil, carer = await family(session, east)
    other_pupil, other_carer = await family(session, east)
    far_pupil, far_carer = await family(session, west)
    mine = await queued_about(session, pupil, carer)
    dead = await queued_about(session, other_pupil, other_carer, status=MessageStatus.DEAD)
    far = await queued_about(session, far_pupil, far_carer)
    headers = manager(auth)
    response = await client.get("/v1/messages", headers=headers)
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [item["id"] for item in items] == [str(dead.id), str(mine.id)]  # newest first
    for item in items:
        assert "recipient" not in item and "personalisation" not in item
        assert item["carer_id"] and item["message_type"] == "attendance_concern"
    filtered = await client.get(
        "/v1/messages", params={"status": "dead", "pupil_id": str(other_pupil.id)}, headers=headers
    )
    assert [item["id"] for item in filtered.json()["items"]] == [str(dead.id)]
    first = (await client.get("/v1/messages", params={"limit": 1}, headers=headers)).json()
    assert [item["id"] for item in first["items"]] == [str(dead.id)]
    rest = await client.get(
        "/v1/messages", params={"limit": 1, "cursor": first["next_cursor"]}, headers=headers
    )
    assert [item["id"] for item in rest.json()["items"]] == [str(mine.id)]
    assert rest.json()["next_cursor"] is None
    assert_problem(
        await client.get("/v1/messages", params={"cursor": "bm9wZQ"}, headers=headers), 422
    )
    assert_problem(await client.get(f"/v1/messages/{far.id}", headers=headers), 404)
    governance = auth("information_governance", purpose="subject_rights")
    seen = await client.get("/v1/messages", headers=governance)
    assert {item["id"] for item in seen.json()["items"]} == {
        str(mine.id),
        str(dead.id),
        str(far.id),
    }


async def test_a_restricted_pupils_messages_are_hidden(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    message = await queued_about(session, pupil, carer)
    subject = await session.get(DataSubject, pupil.subject_id)
    assert subject is not None
    subject.restricted_since = datetime.now(UTC)
    await session.flush()
    headers = manager(auth)
    assert (await client.get("/v1/messages", headers=headers)).json()["items"] == []
    assert_problem(await client.get(f"/v1/messages/{message.id}", headers=headers), 404)


async def test_a_dead_message_can_be_put_back_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    dead = await queued_about(session, pupil, carer, status=MessageStatus.DEAD)
    dead.attempts, dead.last_error = 10, "503 NotifyServerError"
    await session.flush()
    path, headers = f"/v1/messages/{dead.id}", manager(auth)
    read = await client.get(path, headers=headers)
    assert read.status_code == 200, read.text
    etag = read.headers["etag"]
    assert read.json()["status"] == "dead"
    assert_problem(await client.post(f"{path}/retry", headers=headers), 428)
    stale = {**headers, "If-Match": '"stale-1"'}
    assert_problem(await client.post(f"{path}/retry", headers=stale), 412)
    retried = await client.post(f"{path}/retry", headers={**headers, "If-Match": etag})
    assert retried.status_code == 200, retried.text
    assert (retried.json()["status"], retried.json()["attempts"]) == ("queued", 0)
    assert retried.json()["retry_at"] is not None
    assert retried.headers["etag"] != etag
    again = await client.post(f"{path}/retry", headers={**headers, "If-Match": "*"})
    assert_problem(again, 409)
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "message.retried", AuditEvent.resource_id == str(dead.id)
        )
    )
    assert event is not None and event.subject_id == carer.subject_id


async def test_a_message_whose_personal_data_was_cleared_cannot_be_retried(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    dead = await queued_about(session, pupil, carer, status=MessageStatus.DEAD)
    dead.recipient, dead.personalisation = None, None
    dead.personal_data_cleared_at = datetime.now(UTC)
    await session.flush()
    response = await client.post(
        f"/v1/messages/{dead.id}/retry", headers={**manager(auth), "If-Match": "*"}
    )
    assert_problem(response, 409)


async def letter_about(
    session: AsyncSession, pupil: Pupil, carer: Carer, *, status: MessageStatus
) -> OutboundMessage:
    message = enqueue(
        session,
        message_type_code="attendance_concern",
        channel=Channel.LETTER,
        to=Addressee(address_lines=["Ms Sam Example", "1 Harbour Street", "Margate", "CT9 1AA"]),
        personalisation=CONCERN,
        purpose=Purpose.ATTENDANCE_DUTY,
        subject_id=carer.subject_id,
        purposes_mask=carer.purposes_mask,
        lawful_basis=carer.lawful_basis,
        created_by="someone-else",
        now=datetime.now(UTC),
        pupil_id=pupil.id,
        carer_id=carer.id,
    )
    message.status = status
    message.notify_id = uuid.uuid4()
    await session.flush()
    return message


async def test_staff_record_a_returned_letter(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    letter = await letter_about(session, pupil, carer, status=MessageStatus.DISPATCHED)
    text = await queued_about(session, pupil, carer, status=MessageStatus.DELIVERED)
    headers = {**manager(auth), "If-Match": "*"}
    path = f"/v1/messages/{letter.id}/returned"
    assert_problem(await client.post(path, json={}, headers=manager(auth)), 428)
    returned = await client.post(path, json={"returned_on": "2026-12-09"}, headers=headers)
    assert returned.status_code == 200, returned.text
    shown = returned.json()
    assert shown["status"] == "returned"
    assert shown["returned_at"].startswith("2026-12-09")
    assert shown["returned_reported_by"] not in (None, "notify")  # the member of staff
    again = await client.get(f"/v1/messages/{letter.id}", headers=manager(auth))
    assert again.json()["status"] == "returned"
    assert_problem(await client.post(path, json={}, headers=headers), 409)  # already returned
    not_a_letter = f"/v1/messages/{text.id}/returned"
    assert_problem(await client.post(not_a_letter, json={}, headers=headers), 409)
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "message.returned", AuditEvent.resource_id == str(letter.id)
        )
    )
    assert event is not None and event.subject_id == carer.subject_id


async def test_a_retry_after_notify_has_forgotten_the_send_is_refused_unless_sent_as_new(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    dead = await queued_about(session, pupil, carer, status=MessageStatus.DEAD)
    dead.outcome_unknown = True  # its last send may have reached Notify ...
    dead.first_attempt_at = datetime.now(UTC) - timedelta(days=8)  # ... 8 days ago
    reference = dead.reference
    await session.flush()
    headers = {**manager(auth), "If-Match": "*"}
    path = f"/v1/messages/{dead.id}/retry"
    refused = await client.post(path, headers=headers)
    assert_problem(refused, 409)
    assert "send_as_new" in refused.json()["detail"]
    sent_as_new = await client.post(path, params={"send_as_new": "true"}, headers=headers)
    assert sent_as_new.status_code == 200, sent_as_new.text
    assert sent_as_new.json()["status"] == "queued"
    await session.refresh(dead)
    assert dead.reference != reference and dead.reference.startswith("kpas-")
    assert (dead.outcome_unknown, dead.first_attempt_at) == (False, None)
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "message.retried", AuditEvent.resource_id == str(dead.id)
        )
    )
    assert event is not None
    assert event.details["send_as_new"] is True
    assert event.details["beyond_notify_retention"] is True


async def test_a_retry_within_notifys_retention_is_reconciled_not_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
) -> None:
    pupil, carer = await family(session, east)
    dead = await queued_about(session, pupil, carer, status=MessageStatus.DEAD)
    dead.outcome_unknown = True
    dead.first_attempt_at = datetime.now(UTC) - timedelta(days=6)
    reference = dead.reference
    await session.flush()
    retried = await client.post(
        f"/v1/messages/{dead.id}/retry", headers={**manager(auth), "If-Match": "*"}
    )
    assert retried.status_code == 200, retried.text
    await session.refresh(dead)
    assert (dead.reference, dead.outcome_unknown) == (reference, True)  # looked up first
