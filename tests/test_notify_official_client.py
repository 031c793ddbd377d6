"""GOV.UK Notify's own Python client against the fake: if Notify's client can use the fake,
the fake speaks Notify's protocol (paths, token, bodies, answers, error shapes)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from notifications_python_client.errors import HTTP503Error, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient

from app.notify.fake import FakeNotifyServer
from app.notify.keys import ApiKey
from tests.notify_support import (
    ADDRESS,
    EMAIL_TEMPLATE,
    LETTER_TEMPLATE,
    NOTIFY_KEY,
    PDF,
    SMS_TEMPLATE,
    control,
    running_fakes,
    set_faults,
)


@pytest.fixture(scope="module")
def paging_fake() -> Iterator[FakeNotifyServer]:
    with running_fakes() as start:
        yield start(page_size=2)


@pytest.fixture
def fake(paging_fake: FakeNotifyServer) -> FakeNotifyServer:
    control(paging_fake, "POST", "reset")
    return paging_fake


@pytest.fixture
def official(fake: FakeNotifyServer) -> NotificationsAPIClient:
    return NotificationsAPIClient(NOTIFY_KEY.formatted(), base_url=fake.url, timeout=5)


def test_sends_each_kind_of_message_and_reads_it_back(official: NotificationsAPIClient) -> None:
    text = official.send_sms_notification(
        phone_number="+447700900123",
        template_id=SMS_TEMPLATE,
        personalisation={"message": "Please call us."},
        reference="official-1",
    )
    email = official.send_email_notification(
        email_address="parent@example.org",
        template_id=EMAIL_TEMPLATE,
        personalisation={"subject": "Meeting", "body": "On Monday."},
        reference="official-2",
    )
    letter = official.send_letter_notification(
        template_id=LETTER_TEMPLATE,
        personalisation={**ADDRESS, "heading": "Attendance", "body": "Dear parent"},
        reference="official-3",
    )
    pdf = official.send_precompiled_letter_notification("official-4", io.BytesIO(PDF), "first")

    assert set(text) >= {"id", "reference", "content", "uri", "template"}
    assert text["content"] == {
        "body": "Kent County Council: Please call us.",
        "from_number": "KentCC",
    }
    assert text["uri"].endswith(f"/v2/notifications/{text['id']}")
    assert set(text["template"]) == {"id", "version", "uri"}
    assert email["content"]["subject"] == "Meeting"
    assert letter["content"] == {"body": "Dear parent", "subject": "Attendance"}
    assert pdf == {"id": pdf["id"], "reference": "official-4", "postage": "first"}

    read = official.get_notification_by_id(text["id"])
    assert (read["type"], read["phone_number"], read["reference"]) == (
        "sms",
        "+447700900123",
        "official-1",
    )
    read_letter = official.get_notification_by_id(letter["id"])
    assert (read_letter["line_1"], read_letter["line_4"], read_letter["postage"]) == (
        "A Parent",
        "ME14 1XQ",
        "second",
    )


def test_lists_by_reference_across_pages(official: NotificationsAPIClient) -> None:
    sent = [
        official.send_sms_notification(
            "07700900123", SMS_TEMPLATE, {"message": "m"}, reference="official-batch"
        )["id"]
        for _ in range(3)
    ]
    page = official.get_all_notifications(reference="official-batch")
    assert [n["id"] for n in page["notifications"]] == [sent[2], sent[1]]
    assert set(page["links"]) == {"current", "next"}
    every = official.get_all_notifications_iterator(reference="official-batch")
    assert [n["id"] for n in every] == list(reversed(sent))


def test_reads_templates(official: NotificationsAPIClient) -> None:
    templates = official.get_all_templates(template_type="letter")["templates"]
    assert [t["id"] for t in templates] == [LETTER_TEMPLATE]
    assert official.get_template_version(LETTER_TEMPLATE, 1)["postage"] == "second"


def test_a_wrong_key_gets_notifys_auth_error(fake: FakeNotifyServer) -> None:
    stranger = NotificationsAPIClient(ApiKey.generate("stranger").formatted(), base_url=fake.url)
    with pytest.raises(HTTPError) as caught:
        stranger.get_all_templates()
    assert caught.value.status_code == 403
    assert caught.value.message == [
        {"error": "AuthError", "message": "Invalid token: service not found"}
    ]


def test_validation_errors_reach_the_client_in_notifys_shape(
    official: NotificationsAPIClient,
) -> None:
    with pytest.raises(HTTPError) as caught:
        official.send_sms_notification("07700 9", SMS_TEMPLATE, {"message": "m"})
    assert caught.value.status_code == 400
    assert caught.value.message == [
        {"error": "ValidationError", "message": "phone_number Not enough digits"}
    ]


def test_a_503_is_the_error_the_client_marks_for_retrying(
    official: NotificationsAPIClient, fake: FakeNotifyServer
) -> None:
    set_faults(fake, {"kind": "error", "status": 503, "scope": "read", "times": 1})
    with pytest.raises(HTTP503Error):
        official.get_all_templates()
