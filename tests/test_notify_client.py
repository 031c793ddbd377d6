"""The Notify client against the fake Notify on loopback: every method, the per-request token,
and the exception each kind of failure becomes."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from jose import jwt
from starlette.responses import JSONResponse

from app.notify.client import NotifyClient
from app.notify.errors import (
    NotifyError,
    NotifyNotFound,
    NotifyOutcomeUnknown,
    NotifyRateLimited,
    NotifyRejected,
    NotifyServerError,
    NotifyUnreachable,
    error_from_response,
)
from app.notify.fake import FakeNotifyServer
from app.notify.keys import ApiKey, InvalidApiKey
from app.notify.schemas import (
    Notification,
    SentEmail,
    SentLetter,
    SentPrecompiledLetter,
    SentSms,
    address_personalisation,
)
from tests.notify_support import (
    ADDRESS,
    EMAIL_TEMPLATE,
    LETTER_TEMPLATE,
    NOTIFY_KEY,
    OTHER_SERVICE_KEY,
    PDF,
    SMS_TEMPLATE,
    CallbackSink,
    StartFake,
    fresh_fake,
    ledger,
    running_fakes,
    set_faults,
)

QUICK = httpx.Timeout(2.0)


@pytest.fixture
def start_fake() -> Iterator[StartFake]:
    with running_fakes() as start:
        yield start


@pytest.fixture
def fake() -> FakeNotifyServer:
    return fresh_fake()


@pytest_asyncio.fixture
async def notify(fake: FakeNotifyServer) -> AsyncIterator[NotifyClient]:
    async with NotifyClient(fake.url, NOTIFY_KEY, timeout=QUICK) as client:
        yield client


async def send_text(notify: NotifyClient, reference: str, number: str = "07700 900123") -> SentSms:
    return await notify.send_sms(
        phone_number=number,
        template_id=SMS_TEMPLATE,
        reference=reference,
        personalisation={"message": "Please call the attendance team."},
    )


async def settled(notify: NotifyClient, *sent: SentSms | SentEmail) -> None:
    """Wait (up to 5 s) until each notification has its final status."""
    deadline = time.monotonic() + 5
    for one in sent:
        while not (await notify.get_notification(one.id)).is_final:
            assert time.monotonic() < deadline, "statuses did not settle"
            await asyncio.sleep(0.02)


class TestSending:
    async def test_text_message_is_accepted_and_can_be_read_back(
        self, notify: NotifyClient
    ) -> None:
        sent = await send_text(notify, "msg-sms-1")
        assert isinstance(sent, SentSms)
        assert sent.reference == "msg-sms-1"
        assert sent.content.body == "Kent County Council: Please call the attendance team."
        assert str(sent.template.id) == SMS_TEMPLATE
        assert sent.template.version == 1

        read = await notify.get_notification(sent.id)
        assert (read.id, read.type, read.reference) == (sent.id, "sms", "msg-sms-1")
        assert read.phone_number == "07700 900123"
        assert read.status in {"created", "sending", "delivered"}

    async def test_email_is_accepted_with_its_subject(self, notify: NotifyClient) -> None:
        sent = await notify.send_email(
            email_address="parent@example.org",
            template_id=EMAIL_TEMPLATE,
            reference="msg-email-1",
            personalisation={"subject": "Attendance meeting", "body": "See you on Monday."},
            email_reply_to_id="8e222534-7f05-4972-86e3-17c5d9f894e2",
        )
        assert isinstance(sent, SentEmail)
        assert sent.content.subject == "Attendance meeting"
        assert sent.content.from_email.endswith("@notifications.service.gov.uk")
        read = await notify.get_notification(sent.id)
        assert (read.type, read.email_address, read.subject) == (
            "email",
            "parent@example.org",
            "Attendance meeting",
        )

    async def test_letter_takes_its_postage_from_the_template(self, notify: NotifyClient) -> None:
        sent = await notify.send_letter(
            template_id=LETTER_TEMPLATE,
            reference="msg-letter-1",
            personalisation={**ADDRESS, "heading": "School attendance", "body": "Dear parent"},
        )
        assert isinstance(sent, SentLetter)
        assert sent.content.subject == "School attendance"
        read = await notify.get_notification(sent.id)
        assert read.type == "letter"
        assert read.postage == "second"
        assert (read.line_1, read.line_4, read.line_5) == ("A Parent", "ME14 1XQ", None)
        assert read.status in {"accepted", "received"}

    async def test_precompiled_letter_is_accepted_with_the_postage_asked_for(
        self, notify: NotifyClient
    ) -> None:
        sent = await notify.send_precompiled_letter(reference="msg-pdf-1", pdf=PDF, postage="first")
        assert isinstance(sent, SentPrecompiledLetter)
        assert (sent.reference, sent.postage) == ("msg-pdf-1", "first")
        read = await notify.get_notification(sent.id)
        assert (read.type, read.postage) == ("letter", "first")

    async def test_a_send_without_a_reference_is_refused_before_any_request(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        with pytest.raises(ValueError, match="reference"):
            await send_text(notify, " ")
        assert ledger(fake)["requests"] == 0

    async def test_the_user_agent_names_this_service(self, fake: FakeNotifyServer) -> None:
        seen: list[str] = []

        async def record(request: httpx.Request) -> httpx.Response:
            seen.append(request.headers["user-agent"])
            return httpx.Response(404, json={"status_code": 404, "errors": []})

        async with NotifyClient(
            fake.url, NOTIFY_KEY, transport=httpx.MockTransport(record)
        ) as client:
            with pytest.raises(NotifyNotFound):
                await client.get_template(SMS_TEMPLATE)
        assert seen[0].startswith("kpas-platform-api/")


class TestReading:
    async def test_listing_by_reference_follows_every_page_newest_first(
        self, start_fake: StartFake
    ) -> None:
        fake = start_fake(page_size=2)
        async with NotifyClient(fake.url, NOTIFY_KEY, timeout=QUICK) as notify:
            sent = [await send_text(notify, "batch-7") for _ in range(5)]
            await send_text(notify, "batch-8")

            first_page = await notify.list_notifications_page(reference="batch-7")
            assert [n.id for n in first_page.notifications] == [sent[4].id, sent[3].id]
            assert first_page.next_older_than == sent[3].id

            found = await notify.find_by_reference("batch-7")
        assert [n.id for n in found] == [s.id for s in reversed(sent)]
        # six sends, then pages of 2, 2 and 1 and the empty page that ends the list
        assert ledger(fake)["requests"] == 6 + 1 + 4

    async def test_listing_filters_by_status_and_type(self, notify: NotifyClient) -> None:
        delivered = await send_text(notify, "filter-1")
        failed = await send_text(notify, "filter-2", number="+44 7700 900002")
        email = await notify.send_email(
            email_address="parent@example.org",
            template_id=EMAIL_TEMPLATE,
            reference="filter-3",
            personalisation={"subject": "s", "body": "b"},
        )
        await settled(notify, delivered, failed, email)
        by_status = [n.id async for n in notify.list_notifications(status="permanent-failure")]
        assert by_status == [failed.id]
        failures = [n.id async for n in notify.list_notifications(status=["failed"])]
        assert failures == [failed.id]
        emails = [n.id async for n in notify.list_notifications(template_type="email")]
        assert emails == [email.id]
        texts = [n async for n in notify.list_notifications(template_type="sms")]
        assert {n.id for n in texts} == {delivered.id, failed.id}
        assert all(n.is_final for n in texts)

    async def test_another_services_notification_is_not_found(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        async with NotifyClient(fake.url, OTHER_SERVICE_KEY, timeout=QUICK) as other:
            theirs = await send_text(other, "theirs-1")
        with pytest.raises(NotifyNotFound) as caught:
            await notify.get_notification(theirs.id)
        assert (caught.value.status_code, caught.value.error_types) == (404, ("NoResultFound",))
        assert not caught.value.retryable
        assert await notify.find_by_reference("theirs-1") == []

    async def test_templates_can_be_listed_and_read_by_version(self, notify: NotifyClient) -> None:
        everything = await notify.get_templates()
        assert {str(t.id) for t in everything} == {SMS_TEMPLATE, EMAIL_TEMPLATE, LETTER_TEMPLATE}
        (letter,) = await notify.get_templates("letter")
        assert (str(letter.id), letter.postage) == (LETTER_TEMPLATE, "second")
        same = await notify.get_template(LETTER_TEMPLATE, version=1)
        assert same == letter
        with pytest.raises(NotifyNotFound):
            await notify.get_template(LETTER_TEMPLATE, version=2)

    async def test_an_id_that_is_not_a_uuid_never_reaches_the_url(
        self, notify: NotifyClient
    ) -> None:
        with pytest.raises(ValueError, match="notification_id"):
            await notify.get_notification("../templates")


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the network, keeping each ``Authorization`` header."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.authorizations: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.authorizations.append(request.headers["authorization"])
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class TestToken:
    async def test_every_request_carries_a_fresh_hs256_token(self, fake: FakeNotifyServer) -> None:
        start = time.time()
        ticks = iter([start, start + 1])
        transport = RecordingTransport()
        async with NotifyClient(
            fake.url, NOTIFY_KEY, transport=transport, clock=lambda: next(ticks)
        ) as notify:
            sent = await send_text(notify, "token-1")
            await notify.get_notification(sent.id)

        first, second = (auth.removeprefix("Bearer ") for auth in transport.authorizations)
        assert first != second
        for token, issued_at in ((first, int(start)), (second, int(start + 1))):
            assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
            claims = jwt.decode(token, NOTIFY_KEY.secret, algorithms=["HS256"])
            assert claims == {"iss": NOTIFY_KEY.service_id, "iat": issued_at}

    # 31 s behind is always refused; 31 s ahead can meet a server clock that has just ticked
    # over to the next second, so ahead is tested at 32.
    @pytest.mark.parametrize("offset", [-31, 32])
    async def test_a_clock_more_than_30_seconds_out_is_refused(
        self, fake: FakeNotifyServer, offset: int
    ) -> None:
        async with NotifyClient(fake.url, NOTIFY_KEY, clock=lambda: time.time() + offset) as notify:
            with pytest.raises(NotifyRejected) as caught:
                await send_text(notify, "clock-1")
        assert (caught.value.status_code, caught.value.error_types) == (403, ("AuthError",))
        assert caught.value.is_auth_error
        assert caught.value.messages == (
            "Error: Your system clock must be accurate to within 30 seconds",
        )
        assert ledger(fake)["notifications"] == []

    async def test_a_clock_within_the_allowance_is_accepted(self, fake: FakeNotifyServer) -> None:
        async with NotifyClient(fake.url, NOTIFY_KEY, clock=lambda: time.time() - 25) as notify:
            await send_text(notify, "clock-2")
        assert ledger(fake)["accepted_by_reference"] == {"clock-2": 1}

    @pytest.mark.parametrize(
        ("key", "message"),
        [
            (ApiKey(NOTIFY_KEY.name, NOTIFY_KEY.service_id, secret=str(OTHER_SERVICE_KEY.secret)),
             "Invalid token: API key not found"),
            (ApiKey.generate("unknown"), "Invalid token: service not found"),
        ],
    )  # fmt: skip
    async def test_a_key_notify_does_not_know_is_refused(
        self, fake: FakeNotifyServer, key: ApiKey, message: str
    ) -> None:
        async with NotifyClient(fake.url, key) as notify:
            with pytest.raises(NotifyRejected) as caught:
                await notify.get_templates()
        assert caught.value.is_auth_error
        assert caught.value.messages == (message,)


class TestFailures:
    async def test_an_invalid_request_is_permanent_and_its_text_stays_out_of_the_summary(
        self, notify: NotifyClient
    ) -> None:
        with pytest.raises(NotifyRejected) as caught:
            await send_text(notify, "bad-1", number="07700 9001")
        error = caught.value
        assert (error.status_code, error.error_types) == (400, ("ValidationError",))
        assert error.messages == (
            "phone_number Number is not valid \u2013 double check the phone number you entered",
        )
        assert not error.retryable and not error.may_have_been_accepted
        assert "9001" not in str(error) and "9001" not in repr(error)

    async def test_missing_personalisation_is_a_bad_request(self, notify: NotifyClient) -> None:
        with pytest.raises(NotifyRejected) as caught:
            await notify.send_sms(
                phone_number="07700900123", template_id=SMS_TEMPLATE, reference="bad-2"
            )
        assert caught.value.error_types == ("BadRequestError",)
        assert caught.value.messages == ("Missing personalisation: message",)

    async def test_a_500_on_a_send_is_retryable_but_in_doubt(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "error", "status": 500, "times": 1})
        with pytest.raises(NotifyServerError) as caught:
            await send_text(notify, "fault-500")
        error = caught.value
        assert (error.status_code, error.error_types) == (500, ("Exception",))
        assert error.retryable and error.may_have_been_accepted
        await send_text(notify, "fault-500")  # the rule was for one request only
        assert ledger(fake)["accepted_by_reference"] == {"fault-500": 1}

    async def test_a_gateway_page_without_a_notify_body_is_a_server_error(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "error", "status": 502, "scope": "any"})
        with pytest.raises(NotifyServerError) as on_send:
            await send_text(notify, "fault-502")
        with pytest.raises(NotifyServerError) as on_read:
            await notify.get_templates()
        assert (on_send.value.status_code, on_send.value.error_types) == (502, ())
        assert on_send.value.may_have_been_accepted
        assert not on_read.value.may_have_been_accepted

    async def test_a_429_is_retryable(self, notify: NotifyClient, fake: FakeNotifyServer) -> None:
        set_faults(fake, {"kind": "rate_limit", "times": 1})
        with pytest.raises(NotifyRateLimited) as caught:
            await send_text(notify, "fault-429")
        assert caught.value.error_types == ("RateLimitError",)
        assert caught.value.retryable and not caught.value.daily_limit_reached
        assert not caught.value.may_have_been_accepted

    async def test_a_send_that_times_out_after_landing_is_found_by_reference(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "slow", "stage": "after", "delay_seconds": 0.6, "times": 1})
        async with NotifyClient(fake.url, NOTIFY_KEY, timeout=httpx.Timeout(0.2)) as impatient:
            with pytest.raises(NotifyOutcomeUnknown) as caught:
                await send_text(impatient, "slow-1")
        assert caught.value.may_have_been_accepted and caught.value.retryable
        landed = await notify.find_by_reference("slow-1")
        assert [str(n.id) for n in landed] == [
            entry["id"] for entry in ledger(fake)["notifications"]
        ]

    async def test_a_read_that_times_out_is_simply_unreachable(
        self, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "slow", "scope": "read", "delay_seconds": 0.6, "times": 1})
        async with NotifyClient(fake.url, NOTIFY_KEY, timeout=httpx.Timeout(0.2)) as notify:
            with pytest.raises(NotifyUnreachable) as caught:
                await notify.get_templates()
        assert not caught.value.may_have_been_accepted

    async def test_a_connection_dropped_before_the_send_landed_leaves_nothing_to_find(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "drop", "stage": "before", "times": 1})
        with pytest.raises(NotifyOutcomeUnknown):
            await send_text(notify, "drop-1")
        assert await notify.find_by_reference("drop-1") == []
        await send_text(notify, "drop-1")  # so resending is safe, and sends it once
        assert ledger(fake)["accepted_by_reference"] == {"drop-1": 1}

    async def test_a_connection_dropped_after_the_send_landed_is_found_by_reference(
        self, notify: NotifyClient, fake: FakeNotifyServer
    ) -> None:
        set_faults(fake, {"kind": "drop", "stage": "after", "times": 1})
        with pytest.raises(NotifyOutcomeUnknown):
            await send_text(notify, "drop-2")
        (landed,) = await notify.find_by_reference("drop-2")
        book = ledger(fake)
        assert book["accepted_by_reference"] == {"drop-2": 1}
        assert book["notifications"][0]["id"] == str(landed.id)
        assert book["faults_applied"] == {"drop:after": 1}

    async def test_nothing_listening_is_unreachable_and_safe_to_resend(self) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]  # closed again: nothing listens there
        async with NotifyClient(f"http://127.0.0.1:{port}", NOTIFY_KEY) as notify:
            with pytest.raises(NotifyUnreachable) as caught:
                await send_text(notify, "nowhere-1")
        assert caught.value.retryable and not caught.value.may_have_been_accepted


class TestRateLimits:
    async def test_the_bucket_empties_then_refills_over_time(self, start_fake: StartFake) -> None:
        fake = start_fake(rate_limit=3, rate_period_seconds=3)  # one more send per second
        async with NotifyClient(fake.url, NOTIFY_KEY, timeout=QUICK) as notify:
            for n in range(3):
                await send_text(notify, f"rate-{n}")
            with pytest.raises(NotifyRateLimited) as caught:
                await send_text(notify, "rate-3")
            assert caught.value.messages == (
                "Exceeded rate limit for key type LIVE of 3 requests per 3 seconds",
            )
            await notify.get_templates()  # reads are not rate limited
            await asyncio.sleep(1.1)
            await send_text(notify, "rate-4")
            with pytest.raises(NotifyRateLimited):
                await send_text(notify, "rate-5")
        assert sorted(ledger(fake)["accepted_by_reference"]) == [
            "rate-0", "rate-1", "rate-2", "rate-4",
        ]  # fmt: skip

    async def test_each_key_has_its_own_bucket(self, start_fake: StartFake) -> None:
        fake = start_fake(rate_limit=1, rate_period_seconds=60)
        async with (
            NotifyClient(fake.url, NOTIFY_KEY) as ours,
            NotifyClient(fake.url, OTHER_SERVICE_KEY) as theirs,
        ):
            await send_text(ours, "bucket-1")
            await send_text(theirs, "bucket-2")
            with pytest.raises(NotifyRateLimited):
                await send_text(ours, "bucket-3")

    async def test_the_daily_limit_says_so(self, start_fake: StartFake) -> None:
        fake = start_fake(daily_limit=1)
        async with NotifyClient(fake.url, NOTIFY_KEY) as notify:
            await send_text(notify, "day-1")
            with pytest.raises(NotifyRateLimited) as caught:
                await send_text(notify, "day-2")
        assert caught.value.error_types == ("TooManyRequestsError",)
        assert caught.value.daily_limit_reached


# Without a server ---------------------------------------------------------------------------


class TestApiKey:
    def test_reads_the_service_id_and_secret_from_the_right(self) -> None:
        service_id = "26785a09-ab16-4eb0-8407-a37497a57506"
        secret = "3d844edf-8d35-48ac-975b-e847b4f122b0"
        key = ApiKey.parse(f"kpas-live-key-{service_id}-{secret}")
        assert (key.name, key.service_id, key.secret) == ("kpas-live-key", service_id, secret)
        assert key.formatted() == f"kpas-live-key-{service_id}-{secret}"
        assert secret not in repr(key)

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
            "name-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122bz",
            "name-26785a09xab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0",
            "name_26785a09-ab16-4eb0-8407-a37497a57506_3d844edf-8d35-48ac-975b-e847b4f122b0",
        ],
    )
    def test_refuses_what_is_not_a_key_without_repeating_it(self, text: str) -> None:
        with pytest.raises(InvalidApiKey) as caught:
            ApiKey.parse(text)
        assert "3d844edf" not in str(caught.value)


def notify_body(error_type: str) -> dict[str, Any]:
    return {"status_code": 0, "errors": [{"error": error_type, "message": "anything"}]}


@pytest.mark.parametrize(
    ("status", "body", "sending", "kind", "retryable", "in_doubt"),
    [
        (400, notify_body("ValidationError"), True, NotifyRejected, False, False),
        (401, notify_body("AuthError"), False, NotifyRejected, False, False),
        (403, notify_body("BadRequestError"), True, NotifyRejected, False, False),
        (404, notify_body("NoResultFound"), False, NotifyNotFound, False, False),
        (429, notify_body("RateLimitError"), True, NotifyRateLimited, True, False),
        (500, notify_body("Exception"), True, NotifyServerError, True, True),
        (503, None, False, NotifyServerError, True, False),
        (302, None, True, NotifyRejected, False, False),
    ],
)
def test_errors_are_classified_by_status_and_error_type(
    status: int,
    body: dict[str, Any] | None,
    sending: bool,
    kind: type[NotifyError],
    retryable: bool,
    in_doubt: bool,
) -> None:
    error = error_from_response(status, body, sending=sending)
    assert type(error) is kind
    assert (error.retryable, error.may_have_been_accepted) == (retryable, in_doubt)
    assert isinstance(error, NotifyRejected) == (not retryable)
    if isinstance(error, NotifyRejected):
        # Only Notify's AuthError (or a 401) is about the key; a 403 BadRequestError (a
        # trial-mode service sending a letter) is about the message.
        assert error.is_auth_error == (status == 401)


def test_message_text_never_changes_the_classification() -> None:
    looks_transient = {"errors": [{"error": "BadRequestError", "message": "Internal server error"}]}
    assert type(error_from_response(400, looks_transient, sending=True)) is NotifyRejected


def test_a_notification_repr_shows_no_recipient_or_content() -> None:
    notification = Notification.model_validate(
        {
            "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
            "reference": "msg-1",
            "type": "sms",
            "status": "delivered",
            "template": {"id": SMS_TEMPLATE, "version": 1, "uri": "x"},
            "phone_number": "+447700900123",
            "body": "Your child was absent today",
            "created_at": "2024-05-17 15:58:38.342838",
            "completed_at": "2024-05-17T15:59:10.321000Z",
            "new_field_notify_added": True,
        }
    )
    assert notification.created_at.tzinfo is not None and notification.is_delivered
    assert "7700900123" not in repr(notification)
    assert "absent" not in repr(notification)


class TestAddressPersonalisation:
    def test_puts_the_postcode_last(self) -> None:
        assert address_personalisation(["A Parent", " ", "1 High Street"], "ME14 1XQ") == {
            "address_line_1": "A Parent",
            "address_line_2": "1 High Street",
            "address_line_3": "ME14 1XQ",
        }

    @pytest.mark.parametrize("count", [1, 7])
    def test_refuses_too_few_or_too_many_lines(self, count: int) -> None:
        with pytest.raises(ValueError, match="3 to 7 lines"):
            address_personalisation([f"Line {n}" for n in range(count)], "ME14 1XQ")


class _TerseNotify(CallbackSink):
    """Answers every request 201 with ``answer`` (what Notify guarantees, and less)."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__()
        self.answer = answer

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await JSONResponse(self.answer, status_code=201)(scope, receive, send)


@pytest.mark.parametrize(
    "answer",
    [
        # Every guaranteed field, none of the optional ones (reference, scheduled_for).
        {
            "id": "740e5834-3a29-46b4-9a6f-16142fde533a",
            "content": {"body": "Hello", "from_number": "KentCC"},
            "uri": "https://api.notifications.service.gov.uk/v2/notifications/740e5834",
            "template": {"id": "f7ed5e76-b4a8-407c-bf06-6784da83585d", "version": 1, "uri": "u"},
        },
        # Only the id: still an accepted send, never "outcome unknown".
        {"id": "740e5834-3a29-46b4-9a6f-16142fde533a"},
    ],
)
async def test_an_accepted_send_is_accepted_whatever_optional_fields_it_lacks(
    answer: dict[str, Any],
) -> None:
    with _TerseNotify(answer) as notify_stand_in:
        base = notify_stand_in.url.removesuffix("/v1/notify/callbacks")
        async with NotifyClient(base, NOTIFY_KEY) as notify:
            sent = await notify.send_sms(
                phone_number="07700900123", template_id=SMS_TEMPLATE, reference="terse-1"
            )
    assert str(sent.id) == "740e5834-3a29-46b4-9a6f-16142fde533a"


async def test_a_201_without_an_id_leaves_the_outcome_in_doubt() -> None:
    with _TerseNotify({"content": {}}) as notify_stand_in:
        base = notify_stand_in.url.removesuffix("/v1/notify/callbacks")
        async with NotifyClient(base, NOTIFY_KEY) as notify:
            with pytest.raises(NotifyOutcomeUnknown):
                await notify.send_sms(
                    phone_number="07700900123", template_id=SMS_TEMPLATE, reference="terse-2"
                )
