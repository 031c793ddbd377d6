"""Recipients as GOV.UK Notify judges them: one table of phone numbers, email addresses and
postal addresses with Notify's answer to each, run against our own check (what the outbox
refuses before queueing) and against the fake Notify over HTTP (which must answer the same).

Notify's answers follow its published rules: notifications-utils' recipient validation and
notifications-api's v2 schemas and validators. ``None`` means Notify accepts the recipient.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.notify.fake import FakeNotifyServer
from app.notify.recipients import (
    INVALID_NUMBER,
    RecipientRefused,
    check_email_address,
    check_letter_address,
    check_phone_number,
)
from tests.notify_support import (
    CONTROLS,
    EMAIL_TEMPLATE,
    LETTER_TEMPLATE,
    NOTIFY_KEY,
    SMS_TEMPLATE,
    fake_config,
    fresh_fake,
)

Answer = tuple[str, str] | None

NOT_A_MOBILE = ("InvalidPhoneError", "Not a UK mobile number")
ABROAD = ("BadRequestError", "Cannot send to international mobile numbers")
BAD_EMAIL = ("ValidationError", "email_address Not a valid email address")
NO_POSTCODE = ("ValidationError", "Must be a real UK postcode")
BAD_START = (
    "ValidationError",
    "Address lines must not start with any of the following characters: "
    "@ ( ) = [ ] \u201d \\ / , < >",
)
NO_ABODE = ("ValidationError", "Must be a real address")
TOO_FEW = ("ValidationError", "Address must be at least 3 lines")
NO_ALPHANUMERIC = (
    "ValidationError",
    "The first 2 lines of the address must both include at least one alphanumeric character",
)


def phone_error(message: str) -> tuple[str, str]:
    return ("ValidationError", f"phone_number {message}")


#: (number, the service may text abroad and UK landlines, Notify's answer)
PHONES: list[tuple[str, bool, Answer]] = [
    ("07700 900123", False, None),
    ("+44 7700 900123", False, None),
    ("0044 7700 900123", False, None),
    ("07700-900-123", False, None),
    ("+44 (0)7700 900 123", False, None),
    ("7723456789", False, None),
    ("+447797292290", False, None),  # Jersey shares +44
    ("01227 763763", False, NOT_A_MOBILE),  # a Canterbury landline
    ("020 7946 0991", False, NOT_A_MOBILE),
    ("0300 123 4567", False, NOT_A_MOBILE),  # non-geographic, counted as a landline
    ("01227 763763", True, None),
    ("+33 6 12 34 56 78", False, ABROAD),
    ("+1 202 555 0104", False, ABROAD),
    ("+33 6 12 34 56 78", True, None),
    ("07890x32109", False, phone_error("Must not contain letters or symbols")),
    ("07723 456789...", False, phone_error("Must not contain letters or symbols")),
    ("0772345678910", False, phone_error("Too many digits")),
    ("+44 (0)7723 456 789 10", False, phone_error("Too many digits")),
    ("0772345678", False, phone_error(INVALID_NUMBER)),
    ("0900 123 4567", False, phone_error(INVALID_NUMBER)),  # premium rate
    ("0600 123 4567", False, phone_error(INVALID_NUMBER)),  # not in use
]

#: (address, Notify's answer)
EMAILS: list[tuple[str, Answer]] = [
    ("carer@example.org", None),
    ("Carer.O'Neil+kpas@Example.co.uk", None),
    ("carer@m\u00fcnchen.de", None),  # an internationalised domain: Notify encodes it
    ("  carer@example.org\u200b", None),  # stray whitespace is removed
    ("j\u00f6rg@example.org", BAD_EMAIL),  # non-ASCII local part
    ("carer@example.c", BAD_EMAIL),  # one-letter top-level domain
    ("carer@example.123", BAD_EMAIL),
    ("carer..x@example.org", BAD_EMAIL),
    ("carer@example..org", BAD_EMAIL),
    ("carer@localhost", BAD_EMAIL),
    ("carer@exa_mple.org", BAD_EMAIL),
    ("carer@-example.org", BAD_EMAIL),
    ('"carer"@example.org', BAD_EMAIL),
    ("carer@" + "a" * 64 + ".org", BAD_EMAIL),  # a label longer than 63
    ("c" * 310 + "@example.org", BAD_EMAIL),  # longer than 320
    ("carer@" + ".".join(["a" * 60] * 5) + ".org", BAD_EMAIL),  # a domain longer than 253
    ("carer at example.org", BAD_EMAIL),
]


def lines(*given: str, **named: str) -> dict[str, str]:
    return {**{f"address_line_{n}": line for n, line in enumerate(given, start=1)}, **named}


SIX = [f"Line {n}" for n in range(1, 7)]

#: (personalisation, the service may post abroad, Notify's answer, postage Notify sets)
LETTERS: list[tuple[dict[str, str], bool, Answer, str | None]] = [
    (lines("A Parent", "1 High Street", "ME14 1XQ"), False, None, None),
    (lines("A Parent", "1 High Street", "me141xq"), False, None, None),
    (lines("A Parent", "1 High Street", "ME14 1XQ", "United Kingdom"), False, None, None),
    (lines("A Parent", "1 High Street", postcode="ME14 1XQ"), False, None, None),
    (lines("A Parent", "1 High Street", "ZY1 1AA"), False, NO_POSTCODE, None),  # no area ZY
    (lines("A Parent", "1 High Street", "Maidstone"), False, NO_POSTCODE, None),
    (lines("A Parent", "ME14 1XQ"), False, TOO_FEW, None),
    # Notify's schema does not require address_line_1: the count decides.
    (lines(address_line_2="1 High Street", address_line_3="ME14 1XQ"), False, TOO_FEW, None),
    # A line holding a line break is two lines.
    (lines("Flat 1\nRiver House", *SIX[1:], address_line_7="ME14 1XQ"), False,
     ("ValidationError", "Address must be no more than 7 lines"), None),
    # address_line_7 given: it is the last line and postcode is ignored ...
    (lines(*SIX, address_line_7="ME14 1XQ", postcode="ZY1 1AA"), False, None, None),
    (lines(*SIX, address_line_7="Maidstone", postcode="ME14 1XQ"), False, NO_POSTCODE, None),
    # ... even when it is empty.
    (lines(*SIX[:5], "ME14 1XQ", address_line_7="", postcode="ME14 1XQ"), False, None, None),
    (lines(*SIX, address_line_7="", postcode="ME14 1XQ"), False, NO_POSTCODE, None),
    (lines("A Parent", '"1 High Street"', "ME14 1XQ"), False, BAD_START, None),  # straight "
    (lines("A Parent", "~1 High Street", "ME14 1XQ"), False, BAD_START, None),
    (lines("A Parent", "=HYPERLINK(1)", "ME14 1XQ"), False, BAD_START, None),
    (lines("A Parent", "\u201d1 High Street", "ME14 1XQ"), False, None, None),  # curly: allowed
    (lines("A Parent", "NFA", "ME14 1XQ"), False, NO_ABODE, None),
    (lines("A Parent", "No Fixed Abode", "Maidstone", "ME14 1XQ"), False, NO_ABODE, None),
    (lines("--", "1 High Street", "ME14 1XQ"), False, NO_ALPHANUMERIC, None),
    (lines("A Parent", "...", "ME14 1XQ"), False, NO_ALPHANUMERIC, None),
    (lines("Sgt A Parent", "Unit 1", "BFPO 123"), False, None, None),
    (lines("Sgt A Parent", "Unit 1", "BF1 4AA", "BFPO 123"), False, None, None),
    (lines("Sgt A Parent", "Unit 1", "BFPO 123", "France"), True,
     ("ValidationError", "The last line of a BFPO address must not be a country."), None),
    (lines("M A Martin", "1 rue de Rivoli", "75001 Paris", "France"), False, NO_POSTCODE, None),
    (lines("M A Martin", "1 rue de Rivoli", "75001 Paris", "France"), True, None, "europe"),
    (lines("Ms A Parent", "1 George Street", "Sydney NSW 2000", "Australia"), True, None,
     "rest-of-world"),
    (lines("A Parent", "1 High Street", "Narnia"), True,
     ("ValidationError", "Last line of address must be a real UK postcode or another country"),
     None),
]  # fmt: skip


@pytest.fixture(scope="module")
def permissive_fake() -> Iterator[FakeNotifyServer]:
    """A service allowed to text abroad and UK landlines and to post abroad."""
    server = FakeNotifyServer(
        fake_config(international_sms=True, uk_landlines=True, international_letters=True)
    ).start()
    yield server
    server.stop()


def fake_for(allowed: bool, permissive: FakeNotifyServer) -> FakeNotifyServer:
    return permissive if allowed else fresh_fake()


def post(fake: FakeNotifyServer, kind: str, body: dict[str, Any]) -> httpx.Response:
    return CONTROLS.post(
        f"{fake.url}/v2/notifications/{kind}",
        json=body,
        headers={"Authorization": NOTIFY_KEY.authorization()},
    )


def answer_of(response: httpx.Response) -> Answer:
    if response.status_code == 201:
        return None
    body = response.json()
    assert response.status_code == body["status_code"] == 400, response.text
    ((error,),) = [body["errors"]]
    return (error["error"], error["message"])


def ours(check: Any, *args: Any, **kwargs: Any) -> Answer:
    try:
        check(*args, **kwargs)
    except RecipientRefused as refused:
        assert refused.reason  # a reason in words for our callers, too
        return (refused.error, refused.message)
    return None


@pytest.mark.parametrize(("number", "allowed", "expected"), PHONES)
def test_phone_numbers(
    number: str, allowed: bool, expected: Answer, permissive_fake: FakeNotifyServer
) -> None:
    assert ours(check_phone_number, number, international=allowed, uk_landlines=allowed) == (
        expected
    )
    body = {
        "phone_number": number,
        "template_id": SMS_TEMPLATE,
        "personalisation": {"message": "Please call the attendance team."},
    }
    assert answer_of(post(fake_for(allowed, permissive_fake), "sms", body)) == expected


@pytest.mark.parametrize(("address", "expected"), EMAILS)
def test_email_addresses(address: str, expected: Answer) -> None:
    assert ours(check_email_address, address) == expected
    body = {
        "email_address": address,
        "template_id": EMAIL_TEMPLATE,
        "personalisation": {"subject": "Attendance", "body": "Please call us."},
    }
    assert answer_of(post(fresh_fake(), "email", body)) == expected


@pytest.mark.parametrize(("address", "allowed", "expected", "postage"), LETTERS)
def test_letter_addresses(
    address: dict[str, str],
    allowed: bool,
    expected: Answer,
    postage: str | None,
    permissive_fake: FakeNotifyServer,
) -> None:
    assert ours(check_letter_address, address, international=allowed) == expected
    if expected is None:
        assert check_letter_address(address, international=allowed).postage == postage
    fake = fake_for(allowed, permissive_fake)
    body = {
        "template_id": LETTER_TEMPLATE,
        "personalisation": {**address, "heading": "Attendance", "body": "Please call us."},
    }
    response = post(fake, "letter", body)
    assert answer_of(response) == expected
    if expected is None:
        stored = CONTROLS.get(
            f"{fake.url}/v2/notifications/{response.json()['id']}",
            headers={"Authorization": NOTIFY_KEY.authorization()},
        ).json()
        assert stored["postage"] == (postage or "second")  # UK letters: the template's
