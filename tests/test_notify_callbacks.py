"""``POST /v1/notify/callbacks``: Notify's delivery receipts, authenticated by the token we gave
Notify, applied idempotently, never moving a final status, and never a 500."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.subjects import SubjectKind
from app.notify.client import NotifyClient
from app.policies.registry import Purpose
from app.services.outbox import Addressee, enqueue
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK, new_subject
from tests.messages_support import CONCERN, LETTER_LINES, start_outbox_fake
from tests.notify_support import NOTIFY_KEY, CallbackSink, wait_until

PATH = "/v1/notify/callbacks"


@pytest.fixture
def token(app: FastAPI) -> str:
    value: str = app.state.settings.notify_callback_token.get_secret_value()
    return value


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def accepted_message(
    session: AsyncSession,
    *,
    notify_id: uuid.UUID | None = None,
    status: MessageStatus | None = None,
    channel: Channel = Channel.SMS,
) -> OutboundMessage:
    subject = new_subject(session, SubjectKind.CARER, None)
    await session.flush()
    addressees = {
        Channel.SMS: Addressee(phone="07700 900123"),
        Channel.EMAIL: Addressee(email="carer@example.org"),
        Channel.LETTER: Addressee(address_lines=LETTER_LINES),
    }
    message = enqueue(
        session,
        message_type_code="attendance_concern",
        channel=channel,
        to=addressees[channel],
        personalisation=CONCERN,
        purpose=Purpose.ATTENDANCE_DUTY,
        subject_id=subject.id,
        purposes_mask=PEOPLE_PURPOSES_MASK,
        lawful_basis=PEOPLE_BASIS,
        created_by="tester-1",
        now=datetime.now(UTC),
    )
    message.status = status or MessageStatus.ACCEPTED
    message.notify_id = notify_id if notify_id is not None else uuid.uuid4()
    message.attempts = 1
    await session.flush()
    return message


def receipt(message: OutboundMessage, status: str = "delivered", **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": str(message.notify_id),
        "reference": message.reference,
        "to": "07700900123",
        "status": status,
        "created_at": "2026-11-29T10:00:00.000000Z",
        "completed_at": "2026-11-29T10:00:05.000000Z",
        "sent_at": "2026-11-29T10:00:01.000000Z",
        "notification_type": "sms",
        "template_id": str(uuid.uuid4()),
        "template_version": 1,
    }
    values.update(changes)
    return values


async def reload(session: AsyncSession, message: OutboundMessage) -> OutboundMessage:
    await session.refresh(message)
    return message


async def test_a_wrong_or_missing_token_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    message = await accepted_message(session)
    for headers in (
        {},
        bearer(token + "x"),
        bearer(token[:-1]),
        {"Authorization": f"Basic {token}"},
        {"Authorization": "Bearer ünïcödé".encode("latin-1")},
    ):
        response = await client.post(PATH, json=receipt(message), headers=headers)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert (await reload(session, message)).status is MessageStatus.ACCEPTED


async def test_a_receipt_updates_the_status_once_and_a_replay_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    message = await accepted_message(session)
    response = await client.post(PATH, json=receipt(message), headers=bearer(token))
    assert response.status_code == 204, response.text
    message = await reload(session, message)
    assert (message.status, message.notify_status) == (MessageStatus.DELIVERED, "delivered")
    assert message.completed_at == datetime(2026, 11, 29, 10, 0, 5, tzinfo=UTC)
    assert message.sent_at == datetime(2026, 11, 29, 10, 0, 1, tzinfo=UTC)
    updated = message.updated_at
    again = await client.post(PATH, json=receipt(message), headers=bearer(token))
    assert again.status_code == 204
    assert (await reload(session, message)).updated_at == updated


async def test_a_final_status_never_moves(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    message = await accepted_message(session)
    failed = receipt(message, "permanent-failure")
    assert (await client.post(PATH, json=failed, headers=bearer(token))).status_code == 204
    for later in ("delivered", "sending", "temporary-failure"):
        late = receipt(message, later)
        assert (await client.post(PATH, json=late, headers=bearer(token))).status_code == 204
    message = await reload(session, message)
    assert (message.status, message.notify_status) == (
        MessageStatus.PERMANENT_FAILURE,
        "permanent-failure",
    )


async def test_unknown_notifications_and_status_words_are_ignored(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    message = await accepted_message(session)
    stranger = receipt(message, id=str(uuid.uuid4()), reference="someone-elses-reference")
    assert (await client.post(PATH, json=stranger, headers=bearer(token))).status_code == 204
    odd_word = receipt(message, "teleported")
    assert (await client.post(PATH, json=odd_word, headers=bearer(token))).status_code == 204
    # Our reference on another notification (a duplicate send): the message keeps its own.
    other = receipt(message, "permanent-failure", id=str(uuid.uuid4()))
    assert (await client.post(PATH, json=other, headers=bearer(token))).status_code == 204
    assert (await reload(session, message)).status is MessageStatus.ACCEPTED


@pytest.mark.parametrize("claimed", ["letter", "sms"])
async def test_a_receipt_for_a_letter_is_ignored(
    client: httpx.AsyncClient, session: AsyncSession, token: str, claimed: str
) -> None:
    """Notify sends no receipts for letters: one that says it is about a letter, or that is
    about a letter whatever it says, changes nothing (and is answered as any ignored one)."""
    letter = await accepted_message(session, channel=Channel.LETTER)
    updated = letter.updated_at
    for status in ("delivered", "permanent-failure", "returned-letter"):
        body = receipt(letter, status, notification_type=claimed, to="Sam Example")
        response = await client.post(PATH, json=body, headers=bearer(token))
        assert response.status_code == 204, response.text
        assert response.content == b""
    letter = await reload(session, letter)
    assert (letter.status, letter.notify_status) == (MessageStatus.ACCEPTED, None)
    assert (letter.completed_at, letter.updated_at) == (None, updated)


async def test_a_receipt_of_another_type_than_the_message_is_ignored(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    text = await accepted_message(session)
    claimed_letter = receipt(text, "permanent-failure", notification_type="letter")
    response = await client.post(PATH, json=claimed_letter, headers=bearer(token))
    assert response.status_code == 204, response.text
    claimed_email = receipt(text, "permanent-failure", notification_type="email")
    response = await client.post(PATH, json=claimed_email, headers=bearer(token))
    assert response.status_code == 204, response.text
    assert (await reload(session, text)).status is MessageStatus.ACCEPTED
    # and the text's own receipt still applies
    own = await client.post(PATH, json=receipt(text), headers=bearer(token))
    assert own.status_code == 204
    assert (await reload(session, text)).status is MessageStatus.DELIVERED


async def test_a_receipt_for_a_send_whose_answer_was_lost_adopts_the_notification(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    message = await accepted_message(session, status=MessageStatus.QUEUED)
    message.notify_id, message.outcome_unknown = None, True
    await session.flush()
    notify_id = uuid.uuid4()
    delivered = receipt(message, id=str(notify_id))
    assert (await client.post(PATH, json=delivered, headers=bearer(token))).status_code == 204
    message = await reload(session, message)
    assert (message.status, message.notify_id) == (MessageStatus.DELIVERED, notify_id)
    assert not message.outcome_unknown


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "delivered",
        None,
        {},
        {"id": "not-a-uuid", "status": "delivered"},
        {"id": str(uuid.uuid4())},
        {
            "id": str(uuid.uuid4()),
            "to": 7,
            "status": ["delivered"],
            "created_at": "yesterday",
            "notification_type": "pigeon",
        },
    ],
    ids=["list", "string", "null", "empty", "bad-id", "missing-fields", "wrong-types"],
)
async def test_odd_bodies_are_problems_not_errors(
    client: httpx.AsyncClient, session: AsyncSession, token: str, payload: Any
) -> None:
    response = await client.post(PATH, json=payload, headers=bearer(token))
    assert response.status_code in {400, 415, 422}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_not_json_is_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.post(
        PATH, content=b"status=delivered", headers={**bearer(token), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    broken = await client.post(
        PATH, content=b"{", headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert broken.status_code in {400, 422}


async def test_the_fakes_own_receipt_is_understood(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    """A receipt exactly as the fake Notify sends it, with the header it sends, is applied."""
    with CallbackSink() as sink:
        fake = start_outbox_fake(callback_url=sink.url, callback_token=token)
        try:
            async with NotifyClient(fake.url, NOTIFY_KEY) as notify:
                sent = await notify.send_sms(
                    phone_number="07700 900002",  # Notify's permanent-failure test number
                    template_id="f7ed5e76-b4a8-407c-bf06-6784da83585d",
                    reference="kpas-" + uuid.uuid4().hex,
                    personalisation={"message": "Please call us."},
                )
            wait_until(lambda: bool(sink.received))
        finally:
            fake.stop()
    (received,) = sink.received
    message = await accepted_message(session, notify_id=sent.id)
    headers = {"Authorization": received.authorization or ""}
    response = await client.post(PATH, json=received.body, headers=headers)
    assert response.status_code == 204, response.text
    message = await reload(session, message)
    assert (message.status, message.notify_status) == (
        MessageStatus.PERMANENT_FAILURE,
        "permanent-failure",
    )


def returned_letter(message: OutboundMessage, **changes: Any) -> dict[str, Any]:
    """Notify's returned-letter callback body (the fields of its returned-letter report)."""
    values: dict[str, Any] = {
        "notification_id": str(message.notify_id),
        "reference": message.reference,
        "date_sent": "2026-11-29T10:00:00.000000Z",
        "sent_by": "API",
        "template_name": "attendance_concern (letter)",
        "template_id": str(uuid.uuid4()),
        "template_version": 1,
        "spreadsheet_file_name": None,
        "spreadsheet_row_number": None,
        "upload_letter_file_name": None,
    }
    values.update(changes)
    return values


async def test_a_returned_letter_is_recorded_once_and_never_called_delivered(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    letter = await accepted_message(
        session, channel=Channel.LETTER, status=MessageStatus.DISPATCHED
    )
    assert_refused = await client.post(PATH, json=returned_letter(letter))
    assert assert_refused.status_code == 401
    for _ in range(2):  # Notify retries: the second changes nothing
        response = await client.post(PATH, json=returned_letter(letter), headers=bearer(token))
        assert response.status_code == 204, response.text
        message = await reload(session, letter)
        assert message.status is MessageStatus.RETURNED
        assert message.returned_reported_by == "notify"
        assert message.returned_at is not None
    unknown = returned_letter(letter, notification_id=str(uuid.uuid4()), reference="kpas-other")
    assert (await client.post(PATH, json=unknown, headers=bearer(token))).status_code == 204


async def test_a_returned_letter_found_by_reference_before_its_send_was_recorded(
    client: httpx.AsyncClient, session: AsyncSession, token: str
) -> None:
    letter = await accepted_message(session, channel=Channel.LETTER)
    body = returned_letter(letter, notification_id=str(uuid.uuid4()))
    response = await client.post(PATH, json=body, headers=bearer(token))
    assert response.status_code == 204, response.text
    assert (await reload(session, letter)).status is MessageStatus.RETURNED


async def test_a_received_letter_is_dispatched_not_delivered(session: AsyncSession) -> None:
    from app.messages.delivery import message_status

    assert message_status("received") is MessageStatus.DISPATCHED
    assert message_status("returned-letter") is MessageStatus.RETURNED
