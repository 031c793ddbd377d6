"""The fake Notify itself, over plain HTTP: Notify's token checks, request validation and error
messages, simulated outcomes, delivery receipts, the rate limit and the ``/_fake`` controls."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from jose import jwt

from app.notify.fake import (
    FakeNotifyApp,
    FakeNotifyServer,
    FakeTemplate,
    NotLoopback,
    load_templates,
)
from app.notify.schemas import DeliveryReceipt
from tests.notify_support import (
    ADDRESS,
    CONTROLS,
    EMAIL_TEMPLATE,
    LETTER_TEMPLATE,
    NOTIFY_KEY,
    PDF,
    SMS_TEMPLATE,
    CallbackSink,
    StartFake,
    control,
    fake_config,
    fresh_fake,
    ledger,
    running_fakes,
    set_faults,
    wait_until,
)


@pytest.fixture
def start_fake() -> Iterator[StartFake]:
    with running_fakes() as start:
        yield start


@pytest.fixture
def fake() -> FakeNotifyServer:
    return fresh_fake()


def api(
    fake: FakeNotifyServer,
    method: str,
    path: str,
    body: Any = None,
    *,
    authorization: str | None = None,
    **params: Any,
) -> httpx.Response:
    """A request to the fake's Notify API, signed with ``NOTIFY_KEY`` unless told otherwise."""
    return CONTROLS.request(
        method,
        f"{fake.url}{path}",
        json=body,
        params=params or None,
        headers={"Authorization": authorization or NOTIFY_KEY.authorization()},
    )


def notify_errors(response: httpx.Response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status_code"] == status
    return [(error["error"], error["message"]) for error in body["errors"]]


def sms(**fields: Any) -> dict[str, Any]:
    return {
        "phone_number": "07700900123",
        "template_id": SMS_TEMPLATE,
        "reference": "ref-1",
        "personalisation": {"message": "hello"},
        **fields,
    }


def token(claims: dict[str, Any], *, algorithm: str = "HS256") -> str:
    return "Bearer " + jwt.encode(claims, NOTIFY_KEY.secret, algorithm=algorithm)


MALFORMED = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)


class TestTokens:
    @pytest.mark.parametrize(
        ("authorization", "status", "message"),
        [
            ("", 401, "Unauthorized: authentication token must be provided"),
            ("Basic a2V5Og==", 401, "Unauthorized: authentication bearer scheme must be used"),
            ("Bearer not-a-jwt", 403, MALFORMED),
            ("iat-only", 403, "Invalid token: iss field not provided"),
            ("bad-iss", 403, "Invalid token: service id is not the right data type"),
            ("hs512", 403, "Invalid token: algorithm used is not HS256"),
            ("no-iat", 403, "Invalid token: API key not found"),
        ],
    )
    def test_tokens_are_refused_with_notifys_auth_errors(
        self, fake: FakeNotifyServer, authorization: str, status: int, message: str
    ) -> None:
        now = int(time.time())
        made = {
            "iat-only": token({"iat": now}),
            "bad-iss": token({"iss": "my-service", "iat": now}),
            "hs512": token({"iss": NOTIFY_KEY.service_id, "iat": now}, algorithm="HS512"),
            "no-iat": token({"iss": NOTIFY_KEY.service_id}),
        }
        headers = {"Authorization": made.get(authorization, authorization)}
        response = CONTROLS.get(f"{fake.url}/v2/templates", headers=headers)
        assert notify_errors(response, status) == [("AuthError", message)]

    def test_a_fresh_hs256_token_for_a_known_key_is_accepted(self, fake: FakeNotifyServer) -> None:
        response = api(fake, "GET", "/v2/templates")
        assert response.status_code == 200
        assert len(response.json()["templates"]) == 3


class TestRequestValidation:
    def test_every_schema_problem_is_listed(self, fake: FakeNotifyServer) -> None:
        response = api(
            fake, "POST", "/v2/notifications/sms",
            {"template_id": "nope", "reference": 5, "personalisation": [], "colour": "blue"},
        )  # fmt: skip
        assert notify_errors(response, 400) == [
            ("ValidationError", "phone_number is a required property"),
            ("ValidationError", "Additional properties are not allowed (colour was unexpected)"),
            ("ValidationError", "template_id is not a valid UUID"),
            ("ValidationError", "reference 5 is not of type string"),
            ("ValidationError", "personalisation [] is not of type object"),
        ]
        assert ledger(fake)["notifications"] == []

    @pytest.mark.parametrize(
        ("number", "error", "message"),
        [
            ("07700 90012a", "ValidationError", "phone_number Must not contain letters or symbols"),
            ("020 7946 0000", "InvalidPhoneError", "Not a UK mobile number"),
            ("0772345678910", "ValidationError", "phone_number Too many digits"),
            ("07700 9", "ValidationError", "phone_number Not enough digits"),
            ("+1 202 555 0100", "BadRequestError", "Cannot send to international mobile numbers"),
        ],
    )
    def test_phone_numbers_must_be_uk_mobiles(
        self, fake: FakeNotifyServer, number: str, error: str, message: str
    ) -> None:
        response = api(fake, "POST", "/v2/notifications/sms", sms(phone_number=number))
        assert notify_errors(response, 400) == [(error, message)]

    @pytest.mark.parametrize("number", ["+44 (0)7700 900123", "447700900123", "07700-900-123"])
    def test_uk_mobiles_may_be_written_several_ways(
        self, fake: FakeNotifyServer, number: str
    ) -> None:
        response = api(fake, "POST", "/v2/notifications/sms", sms(phone_number=number))
        assert response.status_code == 201, response.text

    def test_email_addresses_are_checked(self, fake: FakeNotifyServer) -> None:
        body = {"email_address": "parent@example", "template_id": EMAIL_TEMPLATE}
        response = api(fake, "POST", "/v2/notifications/email", body)
        assert notify_errors(response, 400) == [
            ("ValidationError", "email_address Not a valid email address")
        ]

    @pytest.mark.parametrize(
        ("template_id", "message"),
        [
            (EMAIL_TEMPLATE, "email template is not suitable for sms notification"),
            ("0b6dd1d6-1c7a-4a7e-a0a4-6d6e3c1d2f8a", "Template not found"),
        ],
    )
    def test_the_template_must_exist_and_be_a_text_template(
        self, fake: FakeNotifyServer, template_id: str, message: str
    ) -> None:
        response = api(fake, "POST", "/v2/notifications/sms", sms(template_id=template_id))
        assert notify_errors(response, 400) == [("BadRequestError", message)]

    def test_placeholders_match_ignoring_case_spaces_and_underscores(
        self, start_fake: StartFake
    ) -> None:
        template = FakeTemplate(
            id="5d7d55e6-3f43-4a4e-9c55-2a3a6b8e5f01",
            name="Reminder",
            type="sms",
            body="((Urgent??URGENT: ))Dear ((First Name)), bring:\n((documents))",
        )
        fake = start_fake(templates=(template,))
        missing = api(
            fake, "POST", "/v2/notifications/sms",
            sms(template_id=template.id, personalisation={"urgent": "yes"}),
        )  # fmt: skip
        assert notify_errors(missing, 400) == [
            ("BadRequestError", "Missing personalisation: First Name, documents")
        ]
        values = {"urgent": "yes", "first_name": "Sam", "DOCUMENTS": ["letter", "form"]}
        sent = api(
            fake, "POST", "/v2/notifications/sms",
            sms(template_id=template.id, personalisation=values),
        )  # fmt: skip
        assert sent.status_code == 201
        assert sent.json()["content"]["body"] == "URGENT: Dear Sam, bring:\n* letter\n* form"

    @pytest.mark.parametrize(
        ("address", "message"),
        [
            ({"address_line_2": "1 High Street", "address_line_3": "ME14 1XQ"},
             "Address must be at least 3 lines"),
            ({"address_line_1": "A Parent", "address_line_2": "ME14 1XQ"},
             "Address must be at least 3 lines"),
            # address_line_7 is given, so Notify reads it as the last line and ignores postcode.
            ({**{f"address_line_{n}": f"Line {n}" for n in range(1, 8)}, "postcode": "ME14 1XQ"},
             "Must be a real UK postcode"),
            ({**ADDRESS, "address_line_4": "Not a postcode"}, "Must be a real UK postcode"),
            ({**ADDRESS, "address_line_2": "[1 High Street"},
             "Address lines must not start with any of the following characters: "
             "@ ( ) = [ ] ” \\ / , < >"),
        ],
    )  # fmt: skip
    def test_letter_addresses_follow_notifys_rules(
        self, fake: FakeNotifyServer, address: dict[str, str], message: str
    ) -> None:
        body = {
            "template_id": LETTER_TEMPLATE,
            "personalisation": {**address, "heading": "h", "body": "b"},
        }
        response = api(fake, "POST", "/v2/notifications/letter", body)
        assert notify_errors(response, 400) == [("ValidationError", message)]

    @pytest.mark.parametrize(
        ("body", "error", "message"),
        [
            ({"reference": "r", "content": "%%%"}, "BadRequestError",
             "Cannot decode letter content (invalid base64 encoding)"),
            ({"reference": "r", "content": base64.b64encode(b"hello").decode()},
             "BadRequestError", "Letter content is not a valid PDF"),
            ({"content": base64.b64encode(PDF).decode()}, "ValidationError",
             "reference is a required property"),
            ({"reference": "r", "content": base64.b64encode(PDF).decode(), "postage": "third"},
             "ValidationError", "postage invalid. It must be either first, second or economy."),
        ],
    )  # fmt: skip
    def test_precompiled_letters_are_checked(
        self, fake: FakeNotifyServer, body: dict[str, str], error: str, message: str
    ) -> None:
        response = api(fake, "POST", "/v2/notifications/letter", body)
        assert notify_errors(response, 400) == [(error, message)]

    def test_a_body_that_is_not_json_is_a_bad_request(self, fake: FakeNotifyServer) -> None:
        response = CONTROLS.post(
            f"{fake.url}/v2/notifications/sms",
            content=b"{not json",
            headers={"Authorization": NOTIFY_KEY.authorization()},
        )
        assert notify_errors(response, 400) == [
            ("BadRequestError", "Invalid JSON supplied in POST data")
        ]

    def test_list_filters_are_validated(self, fake: FakeNotifyServer) -> None:
        response = api(
            fake, "GET", "/v2/notifications",
            status="elephant", template_type="Apple", older_than="x", colour="blue",
        )  # fmt: skip
        errors = notify_errors(response, 400)
        assert errors[0] == (
            "ValidationError", "Additional properties are not allowed (colour was unexpected)"
        )  # fmt: skip
        assert errors[1][1].startswith("status elephant is not one of [cancelled, created,")
        assert errors[2:] == [
            ("ValidationError", "template_type Apple is not one of [sms, email, letter]"),
            ("ValidationError", "older_than is not a valid UUID"),
        ]

    def test_reads_answer_notifys_not_found_and_bad_id(self, fake: FakeNotifyServer) -> None:
        missing = api(fake, "GET", "/v2/notifications/0b6dd1d6-1c7a-4a7e-a0a4-6d6e3c1d2f8a")
        assert notify_errors(missing, 404) == [("NoResultFound", "No result found")]
        malformed = api(fake, "GET", "/v2/notifications/42")
        assert notify_errors(malformed, 400) == [
            ("ValidationError", "notification_id is not a valid UUID")
        ]
        wrong_type = api(fake, "GET", "/v2/templates", type="fax")
        assert notify_errors(wrong_type, 400) == [
            ("ValidationError", "type fax is not one of [sms, email, letter, broadcast]")
        ]


class TestOutcomesAndReceipts:
    def test_test_numbers_and_addresses_fail_as_notify_simulates_and_receipts_arrive(
        self, start_fake: StartFake
    ) -> None:
        with CallbackSink() as sink:
            fake = start_fake(callback_url=sink.url, callback_token="receipt-token-123")
            sends = {
                "text-ok": sms(reference="text-ok"),
                "text-temp": sms(reference="text-temp", phone_number="+447700900003"),
                "text-perm": sms(reference="text-perm", phone_number="07700 900002"),
            }
            for reference, address in (
                ("mail-ok", "parent@example.org"),
                ("mail-temp", "temp-fail@simulator.notify"),
                ("mail-perm", "perm-fail@simulator.notify"),
            ):
                sends[reference] = {
                    "email_address": address,
                    "template_id": EMAIL_TEMPLATE,
                    "reference": reference,
                    "personalisation": {"subject": "s", "body": "b"},
                }
            ids = {}
            for reference, body in sends.items():
                kind = "sms" if reference.startswith("text") else "email"
                ids[reference] = api(fake, "POST", f"/v2/notifications/{kind}", body).json()["id"]
            letter = api(
                fake, "POST", "/v2/notifications/letter",
                {"template_id": LETTER_TEMPLATE, "reference": "letter-1",
                 "personalisation": {**ADDRESS, "heading": "h", "body": "b"}},
            ).json()  # fmt: skip

            wait_until(lambda: len(sink.received) == 6)
            wait_until(
                lambda: (
                    api(fake, "GET", f"/v2/notifications/{letter['id']}").json()["status"]
                    == "received"
                )
            )
            time.sleep(0.1)  # no receipt follows for the letter
            assert len(sink.received) == 6

        assert {r.authorization for r in sink.received} == {"Bearer receipt-token-123"}
        receipts = {r.reference: r for r in map(DeliveryReceipt.model_validate, sink.bodies())}
        assert {ref: r.status for ref, r in receipts.items()} == {
            "text-ok": "delivered",
            "text-temp": "temporary-failure",
            "text-perm": "permanent-failure",
            "mail-ok": "delivered",
            "mail-temp": "temporary-failure",
            "mail-perm": "permanent-failure",
        }
        perm = receipts["text-perm"]
        assert (str(perm.id), perm.to, perm.notification_type) == (
            ids["text-perm"],
            "07700 900002",
            "sms",
        )
        assert (str(perm.template_id), perm.template_version) == (SMS_TEMPLATE, 1)
        assert perm.sent_at and perm.completed_at and perm.created_at <= perm.completed_at
        read = api(fake, "GET", f"/v2/notifications/{ids['mail-temp']}").json()
        assert read["status"] == "temporary-failure"
        assert all(c["delivered"] and c["attempts"] == 1 for c in ledger(fake)["callbacks"])

    def test_a_failed_receipt_is_retried_until_it_is_taken(self, start_fake: StartFake) -> None:
        with CallbackSink(fail_first=2, fail_status=503) as sink:
            fake = start_fake(callback_url=sink.url, callback_token="receipt-token-123")
            api(fake, "POST", "/v2/notifications/sms", sms())
            wait_until(lambda: bool(ledger(fake)["callbacks"][0:1])
                       and ledger(fake)["callbacks"][0]["delivered"])  # fmt: skip
        (record,) = ledger(fake)["callbacks"]
        assert (record["attempts"], record["last_status_code"]) == (3, 204)
        assert len(sink.received) == 3

    def test_a_receipt_refused_with_a_4xx_is_not_retried(self, start_fake: StartFake) -> None:
        with CallbackSink(fail_first=5, fail_status=401) as sink:
            fake = start_fake(callback_url=sink.url, callback_token="wrong-token-123")
            api(fake, "POST", "/v2/notifications/sms", sms())
            wait_until(lambda: len(sink.received) == 1)
            time.sleep(0.2)
        (record,) = ledger(fake)["callbacks"]
        assert (record["attempts"], record["delivered"], record["last_status_code"]) == (
            1,
            False,
            401,
        )


class TestRateLimit:
    def test_an_empty_bucket_answers_notifys_429_without_retry_after(
        self, start_fake: StartFake
    ) -> None:
        fake = start_fake(rate_limit=2, rate_period_seconds=60)
        assert [api(fake, "POST", "/v2/notifications/sms", sms()).status_code for _ in "ab"] == [
            201,
            201,
        ]
        refused = api(fake, "POST", "/v2/notifications/sms", sms())
        assert notify_errors(refused, 429) == [
            ("RateLimitError", "Exceeded rate limit for key type LIVE of 2 requests per 60 seconds")
        ]
        assert "retry-after" not in refused.headers

    def test_the_limit_can_be_changed_while_running(self, fake: FakeNotifyServer) -> None:
        changed = control(fake, "POST", "config", {"rate_limit": 1, "callback_token": "t" * 12})
        assert changed["rate_limit"] == 1
        assert changed["callback_token_set"] is True
        assert "t" * 12 not in str(control(fake, "GET", "config"))
        assert api(fake, "POST", "/v2/notifications/sms", sms()).status_code == 201
        assert api(fake, "POST", "/v2/notifications/sms", sms()).status_code == 429


class TestControls:
    def test_the_ledger_counts_accepted_sends_per_reference(self, fake: FakeNotifyServer) -> None:
        for _ in range(2):
            api(fake, "POST", "/v2/notifications/sms", sms(reference="twice"))
        api(fake, "POST", "/v2/notifications/sms", sms(reference="once"))
        api(fake, "POST", "/v2/notifications/sms", sms(reference="refused", phone_number="1"))
        book = ledger(fake)
        assert book["accepted_by_reference"] == {"twice": 2, "once": 1}
        assert book["duplicate_references"] == ["twice"]
        assert book["requests"] == 4
        assert "07700900123" not in str(book)  # ids and references only, never recipients
        control(fake, "POST", "reset")
        assert ledger(fake)["notifications"] == []

    def test_fault_rules_count_down_and_can_be_cleared(self, fake: FakeNotifyServer) -> None:
        set_faults(
            fake,
            {"kind": "error", "status": 503, "scope": "read", "times": 2},
            {"kind": "rate_limit", "probability": 0},
        )
        assert api(fake, "GET", "/v2/templates").status_code == 503
        (first, second) = control(fake, "GET", "faults")["rules"]
        assert (first["remaining"], second["remaining"]) == (1, None)
        assert api(fake, "POST", "/v2/notifications/sms", sms()).status_code == 201
        control(fake, "DELETE", "faults")
        assert api(fake, "GET", "/v2/templates").status_code == 200
        assert ledger(fake)["faults_applied"] == {"error:before": 1}

    @pytest.mark.parametrize(
        "rule",
        [
            {"kind": "error", "status": 418},
            {"kind": "rate_limit", "stage": "after"},  # Notify limits before it records
            {"kind": "slow", "delay": 1},
        ],
    )
    def test_a_fault_rule_notify_could_not_produce_is_refused(
        self, fake: FakeNotifyServer, rule: dict[str, Any]
    ) -> None:
        response = CONTROLS.post(f"{fake.url}/_fake/faults", json={"rules": [rule]})
        assert response.status_code == 422
        assert control(fake, "GET", "faults") == {"rules": []}

    async def test_controls_answer_loopback_clients_only(self) -> None:
        app = FakeNotifyApp(fake_config())
        for host, status in (("10.1.2.3", 404), ("127.0.0.1", 200)):
            transport = httpx.ASGITransport(app=app, client=(host, 50000))
            async with httpx.AsyncClient(transport=transport, base_url="http://fake") as client:
                assert (await client.get("/_fake/ledger")).status_code == status

    def test_the_server_will_not_listen_beyond_loopback(self) -> None:
        with pytest.raises(NotLoopback):
            FakeNotifyServer(fake_config(), host="0.0.0.0")  # noqa: S104 - the point of the test

    def test_templates_are_checked_when_configured(self) -> None:
        with pytest.raises(ValueError, match="subject"):
            FakeTemplate(id=EMAIL_TEMPLATE, name="No subject", type="email", body="b")

    def test_templates_load_from_a_json_file(self, tmp_path: Path) -> None:
        path = tmp_path / "templates.json"
        path.write_text(
            json.dumps(
                [
                    {"id": SMS_TEMPLATE, "name": "Text", "type": "sms", "body": "((a))"},
                    {"id": LETTER_TEMPLATE, "name": "Letter", "type": "letter",
                     "subject": "((b))", "body": "((c))", "version": 2},
                ]
            )
        )  # fmt: skip
        text, letter = load_templates(path)
        assert (text.placeholders, letter.placeholders) == (["a"], ["b", "c"])
        assert (letter.version, letter.postage) == (2, "second")


class TestFailsAsNotifyFails:
    """The fake refuses what Notify refuses, in Notify's order and words."""

    def test_the_rate_limit_is_checked_before_the_request_is_read(
        self, start_fake: StartFake
    ) -> None:
        fake = start_fake(rate_limit=1, rate_period_seconds=60)
        assert api(fake, "POST", "/v2/notifications/sms", sms()).status_code == 201
        invalid = api(fake, "POST", "/v2/notifications/sms", {"phone_number": "x"})
        assert notify_errors(invalid, 429) == [
            ("RateLimitError", "Exceeded rate limit for key type LIVE of 1 requests per 60 seconds")
        ]

    def test_scheduled_for_and_sanitise_content_for_are_accepted(
        self, fake: FakeNotifyServer
    ) -> None:
        soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
        scheduled = api(fake, "POST", "/v2/notifications/sms", sms(scheduled_for=soon))
        assert scheduled.status_code == 201, scheduled.text
        email = {
            "email_address": "carer@example.org",
            "template_id": EMAIL_TEMPLATE,
            "personalisation": {"subject": "Attendance", "body": "Please call us."},
            "scheduled_for": None,
            "sanitise_content_for": ["body"],
        }
        assert api(fake, "POST", "/v2/notifications/email", email).status_code == 201
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        late = api(fake, "POST", "/v2/notifications/sms", sms(scheduled_for=past))
        assert notify_errors(late, 400) == [
            ("ValidationError", "scheduled_for datetime can not be in the past")
        ]

    def test_sender_and_reply_to_ids_must_be_the_services(self, start_fake: StartFake) -> None:
        sender, reply_to = (
            "2b9c1f0e-1d2c-4e5f-8a7b-6c5d4e3f2a1b",
            "7f8e9d0c-1b2a-4c3d-9e8f-0a1b2c3d4e5f",
        )
        fake = start_fake(sms_sender_ids=(sender,), reply_to_ids=(reply_to,))
        assert (
            api(fake, "POST", "/v2/notifications/sms", sms(sms_sender_id=sender)).status_code == 201
        )
        other = "00000000-0000-4000-8000-000000000001"
        refused = api(fake, "POST", "/v2/notifications/sms", sms(sms_sender_id=other))
        service_id = NOTIFY_KEY.service_id
        assert notify_errors(refused, 400) == [
            (
                "BadRequestError",
                f"sms_sender_id {other} does not exist in database for service id {service_id}",
            )
        ]
        email = {
            "email_address": "carer@example.org",
            "template_id": EMAIL_TEMPLATE,
            "personalisation": {"subject": "Attendance", "body": "Please call us."},
            "email_reply_to_id": other,
        }
        assert notify_errors(api(fake, "POST", "/v2/notifications/email", email), 400) == [
            (
                "BadRequestError",
                f"email_reply_to_id {other} does not exist in database for service id {service_id}",
            )
        ]

    def test_archived_templates_and_economy_postage(self, start_fake: StartFake) -> None:
        archived = FakeTemplate(
            id="3c6a0b9e-6a43-4a5e-9a3e-2f1d6e0c9b71",
            name="Old",
            type="sms",
            body="Hi",
            archived=True,
        )
        economy = FakeTemplate(
            id="9d2b7c41-0f3e-4a1b-8c6d-5e4f3a2b1c0d", name="Cheap", type="letter",
            subject="Attendance", body="Please call us.", postage="economy",
        )  # fmt: skip
        fake = start_fake(templates=(archived, economy))
        refused = api(fake, "POST", "/v2/notifications/sms", sms(template_id=archived.id))
        assert notify_errors(refused, 400) == [("BadRequestError", "Template has been deleted")]
        body = {"template_id": economy.id, "personalisation": ADDRESS}
        sent = api(fake, "POST", "/v2/notifications/letter", body)
        assert sent.status_code == 201, sent.text
        shown = api(fake, "GET", f"/v2/notifications/{sent.json()['id']}")
        assert shown.json()["postage"] == "economy"

    def test_revoked_keys_and_archived_services_are_auth_errors(
        self, start_fake: StartFake
    ) -> None:
        revoked = start_fake(revoked_keys=(NOTIFY_KEY.secret,))
        assert notify_errors(api(revoked, "POST", "/v2/notifications/sms", sms()), 403) == [
            ("AuthError", "Invalid token: API key revoked")
        ]
        archived = start_fake(archived_services=(NOTIFY_KEY.service_id,))
        assert notify_errors(api(archived, "POST", "/v2/notifications/sms", sms()), 403) == [
            ("AuthError", "Invalid token: service is archived")
        ]

    def test_simulated_numbers_fail_only_with_a_test_key(self, start_fake: StartFake) -> None:
        live = start_fake(live_keys=(NOTIFY_KEY.secret,))
        test = start_fake()
        for fake in (live, test):
            sent = api(fake, "POST", "/v2/notifications/sms", sms(phone_number="07700900002"))
            assert sent.status_code == 201, sent.text
        wait_until(
            lambda: all(
                n["status"] not in {"created", "sending"}
                for fake in (live, test)
                for n in ledger(fake)["notifications"]
            )
        )
        assert [n["status"] for n in ledger(live)["notifications"]] == ["delivered"]
        assert [n["status"] for n in ledger(test)["notifications"]] == ["permanent-failure"]

    def test_trial_mode_sends_no_letters_and_only_to_the_team(self, start_fake: StartFake) -> None:
        fake = start_fake(restricted=True, team=("07700 900123",))
        assert api(fake, "POST", "/v2/notifications/sms", sms()).status_code == 201
        outsider = api(fake, "POST", "/v2/notifications/sms", sms(phone_number="07700900456"))
        assert notify_errors(outsider, 400) == [
            (
                "BadRequestError",
                "Can\u2019t send to this recipient when service is in trial mode \u2013 see "
                "https://www.notifications.service.gov.uk/trial-mode",
            )
        ]
        letter = {
            "template_id": LETTER_TEMPLATE,
            "personalisation": {**ADDRESS, "heading": "Attendance", "body": "Please call us."},
        }
        assert notify_errors(api(fake, "POST", "/v2/notifications/letter", letter), 403) == [
            ("BadRequestError", "Cannot send letters when service is in trial mode")
        ]
