"""``/v1/complaints``: complaints to the council as controller (DPA 2018 s164A) as information
governance runs them: recorded with the day to acknowledge them by, acknowledged once,
progress and outcome told through the Notify outbox, linked to a request or a breach, listed
by the acknowledgement deadline, and seen by no one else.

The API runs on today's date, so complaints here are dated back from today; the deadline's
edge days are pinned on the rule itself and, for a past 31 January, through the API.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.demo_subject_requests import ADDRESS_COMPLAINT, BREACH_COMPLAINT
from app.models import OutboundMessage
from app.models.audit import AuditEvent, AuditEventSubject
from app.models.subject_requests import Complaint, ComplaintUpdate
from app.policies.guard import local_today
from app.routers.params import EXAMPLE_ACKNOWLEDGED_COMPLAINT_ID, EXAMPLE_COMPLAINT_ID
from app.rules.subject_rights import complaint_acknowledge_by
from app.schemas.complaints import EXAMPLE_COMPLAINT_ID as SCHEMA_EXAMPLE_COMPLAINT_ID
from tests.conftest import AuthHeaders
from tests.factories import assert_problem

TODAY = local_today(datetime.now(UTC))
IG = "information_governance"
URL = "/v1/complaints"


def ig(auth: AuthHeaders, subject: str = "governance-1") -> dict[str, str]:
    return auth(IG, subject=subject)


def complaint_body(**fields: Any) -> dict[str, Any]:
    """A complaint received by email three days ago, about no request in particular."""
    body: dict[str, Any] = {
        "channel": "email",
        "received_on": (TODAY - timedelta(days=3)).isoformat(),
        "complainant": {
            "name": "Robin Example",
            "email": "robin.example@example.org",
        },
        "description": "My daughter's attendance letters keep going to my old address.",
    }
    body.update(fields)
    return body


async def record(
    client: httpx.AsyncClient, auth: AuthHeaders, **fields: Any
) -> tuple[dict[str, Any], str]:
    response = await client.post(URL, json=complaint_body(**fields), headers=ig(auth))
    assert response.status_code == 201, response.text
    return response.json(), response.headers["ETag"]


async def acknowledged(
    client: httpx.AsyncClient, auth: AuthHeaders, **fields: Any
) -> tuple[dict[str, Any], str]:
    read, etag = await record(client, auth, **fields)
    response = await client.post(
        f"{URL}/{read['id']}/acknowledgement", json={}, headers=with_etag(ig(auth), etag)
    )
    assert response.status_code == 200, response.text
    return response.json(), response.headers["ETag"]


def with_etag(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": etag}


async def messages_for(session: AsyncSession, subject_id: str) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(OutboundMessage.message_type, OutboundMessage.channel)
        .where(OutboundMessage.subject_id == uuid.UUID(subject_id))
        .order_by(OutboundMessage.created_at)
    )
    return [(kind, channel.value) for kind, channel in rows]


async def a_breach(client: httpx.AsyncClient, auth: AuthHeaders) -> dict[str, Any]:
    """A breach in the register, for a complaint to be about."""
    response = await client.post(
        "/v1/breaches",
        json={
            "aware_at": (datetime.now(UTC) - timedelta(days=2)).isoformat(),
            "description": "Attendance letters went to a parent's former address.",
            "data_categories": ["identity_contact", "attendance"],
        },
        headers=auth(IG),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# --- recording and the deadline to acknowledge ------------------------------------------------


async def test_a_recorded_complaint_is_to_be_acknowledged_within_30_days_of_receipt(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    received = TODAY - timedelta(days=3)
    read, etag = await record(client, auth)
    assert read["status"] == "received"
    assert read["channel"] == "email"
    assert read["reference"].startswith("CP-") and len(read["reference"]) == 13
    # Day of receipt is day 1: the 30th day is 29 days on.
    assert read["acknowledge_by"] == (received + timedelta(days=29)).isoformat()
    assert read["acknowledgement_overdue"] is False
    assert read["statutory"] is (received >= date(2026, 6, 19))
    assert read["acknowledged_at"] is None and read["updates"] == []
    assert read["complainant"]["address"] is None
    assert etag.startswith('"')
    # Staff recording queues nothing: the acknowledgement is its own step.
    assert await messages_for(session, read["complainant"]["subject_id"]) == []


@pytest.mark.parametrize(
    ("received", "by"),
    [
        (date(2026, 1, 31), date(2026, 3, 1)),  # February of a common year
        (date(2028, 1, 31), date(2028, 2, 29)),  # the leap day itself
        (date(2027, 12, 3), date(2028, 1, 1)),  # across the new year; days, not working days
        (date(2026, 6, 19), date(2026, 7, 18)),  # the day s164A came into force
    ],
)
def test_the_acknowledgement_deadline_counts_30_days_beginning_with_receipt(
    received: date, by: date
) -> None:
    assert complaint_acknowledge_by(received) == by


async def test_a_complaint_received_on_31_january_is_acknowledged_by_1_march(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, _ = await record(client, auth, received_on="2026-01-31")
    assert read["acknowledge_by"] == "2026-03-01"
    # Before s164A came into force (19 June 2026): handled alike, as council practice.
    assert read["statutory"] is False
    assert read["acknowledgement_overdue"] is (date(2026, 3, 1) < TODAY)


async def test_a_complaint_that_cannot_be_recorded_as_sent_is_refused_and_writes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await count(session, Complaint)
    for body, code in [
        (complaint_body(received_on=(TODAY + timedelta(days=1)).isoformat()), "in_future"),
        (complaint_body(request_id=str(uuid.uuid4())), "unknown_subject_request"),
        (complaint_body(complainant={"name": "Robin Example"}), "value_error"),
        (complaint_body(channel="public_form"), "enum"),
        (complaint_body(breach_reference="=HYPERLINK(1)"), "string_pattern_mismatch"),
    ]:
        response = await client.post(URL, json=body, headers=ig(auth))
        problem = assert_problem(response, 422)
        assert code in str(problem["errors"]), response.text
    assert await count(session, Complaint) == before


# --- acknowledgement, progress and outcome ---------------------------------------------------


async def test_acknowledging_tells_the_complainant_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, etag = await record(client, auth)
    url = f"{URL}/{read['id']}/acknowledgement"
    response = await client.post(url, json={}, headers=with_etag(ig(auth), etag))
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["status"] == "acknowledged"
    assert done["acknowledged_at"] is not None
    assert [m["message_type"] for m in done["messages"]] == ["complaint_acknowledgement"]
    assert done["acknowledgement_message_id"] == done["messages"][0]["id"]
    [told] = done["updates"]
    assert told["kind"] == "acknowledgement" and told["message_id"] == done["messages"][0]["id"]
    subject_id = read["complainant"]["subject_id"]
    assert await messages_for(session, subject_id) == [("complaint_acknowledgement", "email")]

    again = await client.post(url, json={}, headers=with_etag(ig(auth), response.headers["ETag"]))
    assert assert_problem(again, 409)["rule"] == "complaint_acknowledged_once"
    assert await messages_for(session, subject_id) == [("complaint_acknowledgement", "email")]


async def test_progress_waits_for_the_acknowledgement_and_is_kept_with_its_message(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, etag = await record(client, auth)
    update = {"update": "We have asked the school which address it gave us and when."}
    early = await client.post(
        f"{URL}/{read['id']}/progress", json=update, headers=with_etag(ig(auth), etag)
    )
    assert assert_problem(early, 409)["rule"] == "complaint_acknowledged_first"

    done, etag = await acknowledged(client, auth)
    response = await client.post(
        f"{URL}/{done['id']}/progress", json=update, headers=with_etag(ig(auth), etag)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert [u["kind"] for u in body["updates"]] == ["acknowledgement", "progress"]
    progress = body["updates"][1]
    assert progress["summary"] == update["update"]
    assert progress["message_id"] == body["messages"][0]["id"]
    stored = await session.get(ComplaintUpdate, uuid.UUID(progress["id"]))
    assert stored is not None and str(stored.message_id) == progress["message_id"]
    assert await messages_for(session, done["complainant"]["subject_id"]) == [
        ("complaint_acknowledgement", "email"),
        ("complaint_progress", "email"),
    ]


async def test_closing_tells_the_outcome_and_the_complaint_changes_no_more(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    done, etag = await acknowledged(
        client,
        auth,
        complainant={
            "name": "Robin Example",
            "address_lines": ["3 Example Lane", "Dover"],
            "postcode": "CT16 1AA",
        },
    )
    closure = {
        "outcome": "upheld",
        "reasons": "The letters went to an old address; it is corrected. You may also "
        "complain to the ICO.",
    }
    response = await client.post(
        f"{URL}/{done['id']}/closure", json=closure, headers=with_etag(ig(auth), etag)
    )
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["outcome"]["outcome"] == "upheld"
    assert closed["outcome"]["reasons"] == closure["reasons"]
    assert closed["outcome"]["closed_by"] == "governance-1"
    assert closed["updates"][-1]["kind"] == "outcome"
    # No email address held: every message went by letter.
    assert await messages_for(session, done["complainant"]["subject_id"]) == [
        ("complaint_acknowledgement", "letter"),
        ("complaint_outcome", "letter"),
    ]
    etag = response.headers["ETag"]
    for path, body in [
        ("closure", closure),
        ("progress", {"update": "One more thing."}),
        ("acknowledgement", {}),
    ]:
        refused = await client.post(
            f"{URL}/{done['id']}/{path}", json=body, headers=with_etag(ig(auth), etag)
        )
        assert assert_problem(refused, 409)["rule"] == "complaint_open", path
    patched = await client.patch(
        f"{URL}/{done['id']}",
        json={"breach_reference": "BR-2026-099"},
        headers=with_etag(ig(auth), etag),
    )
    assert assert_problem(patched, 409)["rule"] == "complaint_open"


async def test_a_channel_without_an_address_held_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, etag = await record(client, auth)
    response = await client.post(
        f"{URL}/{read['id']}/acknowledgement",
        json={"channel": "letter"},
        headers=with_etag(ig(auth), etag),
    )
    assert "no_postal_address" in str(assert_problem(response, 422)["errors"])
    assert await messages_for(session, read["complainant"]["subject_id"]) == []
    current = await client.get(f"{URL}/{read['id']}", headers=ig(auth))
    assert current.json()["status"] == "received"


# --- concurrency and links -------------------------------------------------------------------


async def test_changes_need_the_current_etag(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    read, etag = await record(client, auth)
    url = f"{URL}/{read['id']}"
    breach = await a_breach(client, auth)
    change = {"breach_reference": breach["reference"]}
    assert_problem(await client.patch(url, json=change, headers=ig(auth)), 428)
    assert_problem(await client.post(f"{url}/acknowledgement", json={}, headers=ig(auth)), 428)
    response = await client.patch(url, json=change, headers=with_etag(ig(auth), etag))
    assert response.status_code == 200, response.text
    assert response.json()["breach_reference"] == breach["reference"]
    assert response.json()["breach_id"] == breach["id"]
    assert response.headers["ETag"] != etag
    stale = await client.patch(
        url, json={"breach_reference": None}, headers=with_etag(ig(auth), etag)
    )
    assert_problem(stale, 412)
    stale_ack = await client.post(
        f"{url}/acknowledgement", json={}, headers=with_etag(ig(auth), etag)
    )
    assert_problem(stale_ack, 412)
    got = await client.get(url, headers=ig(auth))
    assert got.headers["ETag"] == response.headers["ETag"]
    assert got.json()["acknowledged_at"] is None


async def test_a_complaint_links_to_a_request_or_a_breach_and_unlinks(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    request = await client.post(
        "/v1/subject-requests",
        json={
            "right": "access",
            "channel": "email",
            "received_on": (TODAY - timedelta(days=20)).isoformat(),
            "description": "Please send me a copy of the records you hold about me.",
            "requester": {"kind": "subject", "name": "Robin Example", "email": "r@example.org"},
            "subject_details": {
                "forename": "Robin",
                "surname": "Example",
                "date_of_birth": "1980-02-02",
            },
            "identity_required": False,
        },
        headers=ig(auth),
    )
    assert request.status_code == 201, request.text
    request_id = request.json()["id"]

    read, etag = await record(client, auth, request_id=request_id)
    assert read["request_id"] == request_id
    url = f"{URL}/{read['id']}"
    unknown = await client.patch(
        url, json={"request_id": str(uuid.uuid4())}, headers=with_etag(ig(auth), etag)
    )
    assert "unknown_subject_request" in str(assert_problem(unknown, 422)["errors"])
    for link, code in [
        ({"breach_reference": "BR-2026-9999"}, "unknown_breach"),
        ({"breach_id": str(uuid.uuid4())}, "unknown_breach"),
    ]:
        refused = await client.patch(url, json=link, headers=with_etag(ig(auth), etag))
        assert code in str(assert_problem(refused, 422)["errors"])
    breach, other = await a_breach(client, auth), await a_breach(client, auth)
    mismatch = await client.patch(
        url,
        json={"breach_id": breach["id"], "breach_reference": other["reference"]},
        headers=with_etag(ig(auth), etag),
    )
    assert "breach_link_mismatch" in str(assert_problem(mismatch, 422)["errors"])
    response = await client.patch(
        url,
        json={"request_id": None, "breach_id": breach["id"]},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    linked = response.json()
    assert (linked["request_id"], linked["breach_id"], linked["breach_reference"]) == (
        None,
        breach["id"],
        breach["reference"],
    )
    unlinked = await client.patch(
        url, json={"breach_id": None}, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert (unlinked.json()["breach_id"], unlinked.json()["breach_reference"]) == (None, None)
    response = unlinked
    # Recorded with the link: the reference is checked against the register too.
    on_create = await client.post(
        URL, json=complaint_body(breach_reference=other["reference"].lower()), headers=ig(auth)
    )
    assert on_create.status_code == 201, on_create.text
    assert (on_create.json()["breach_id"], on_create.json()["breach_reference"]) == (
        other["id"],
        other["reference"],
    )
    unknown_on_create = await client.post(
        URL, json=complaint_body(breach_reference="BR-1999-0001"), headers=ig(auth)
    )
    assert "unknown_breach" in str(assert_problem(unknown_on_create, 422)["errors"])
    # Only the links may be removed: a complainant's details are replaced, never nulled.
    refused = await client.patch(
        url, json={"complainant": None}, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert_problem(refused, 422)


# --- lists -------------------------------------------------------------------------------------


async def test_the_list_filters_by_status_overdue_acknowledgement_and_dates(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    old, _ = await record(client, auth, received_on=(TODAY - timedelta(days=40)).isoformat())
    fresh, _ = await record(client, auth, received_on=TODAY.isoformat())
    done, _ = await acknowledged(client, auth, received_on=(TODAY - timedelta(days=45)).isoformat())

    async def ids(**params: str) -> list[str]:
        response = await client.get(URL, params={"limit": "200", **params}, headers=ig(auth))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    overdue = await ids(acknowledgement="overdue")
    assert old["id"] in overdue
    # Acknowledged late is no longer awaiting acknowledgement; a new one is not yet due.
    assert done["id"] not in overdue and fresh["id"] not in overdue
    soon, _ = await record(client, auth, received_on=(TODAY - timedelta(days=25)).isoformat())
    due_soon = await ids(acknowledgement="due_within_7_days")
    assert soon["id"] in due_soon  # to be acknowledged in four days
    assert fresh["id"] not in due_soon and old["id"] not in due_soon
    assert done["id"] in await ids(status="acknowledged")
    assert old["id"] not in await ids(status="acknowledged")
    window = await ids(
        received_from=(TODAY - timedelta(days=42)).isoformat(),
        received_to=(TODAY - timedelta(days=1)).isoformat(),
    )
    assert old["id"] in window and fresh["id"] not in window and done["id"] not in window
    everything = await ids()
    # Soonest deadline first: the oldest complaint leads.
    assert (
        everything.index(done["id"]) < everything.index(old["id"]) < everything.index(fresh["id"])
    )
    items = (await client.get(URL, params={"acknowledgement": "overdue"}, headers=ig(auth))).json()
    summary = next(item for item in items["items"] if item["id"] == old["id"])
    assert summary["acknowledgement_overdue"] is True
    assert summary["complainant_name"] == "Robin Example"

    reversed_range = await client.get(
        URL,
        params={"received_from": TODAY.isoformat(), "received_to": "2026-01-01"},
        headers=ig(auth),
    )
    assert_problem(reversed_range, 422)


async def test_the_list_pages_with_a_cursor(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    made = [
        (await record(client, auth, received_on=(TODAY - timedelta(days=d)).isoformat()))[0]["id"]
        for d in (5, 4, 3)
    ]
    seen: list[str] = []
    params: dict[str, str] = {"limit": "1", "status": "received"}
    for _ in range(100):
        response = await client.get(URL, params=params, headers=ig(auth))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 1
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert [i for i in seen if i in made] == made
    assert len(seen) == len(set(seen))
    # A cursor belongs to the filters it was issued for.
    first = await client.get(URL, params={"limit": "1", "status": "received"}, headers=ig(auth))
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    other = await client.get(
        URL, params={"limit": "1", "status": "acknowledged", "cursor": cursor}, headers=ig(auth)
    )
    assert "cursor" in str(assert_problem(other, 422)["errors"])


# --- who may see complaints ----------------------------------------------------------------------


async def test_an_anonymous_caller_is_refused_on_every_staff_route(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    before = await count(session, Complaint)
    some = f"{URL}/{uuid.uuid4()}"
    for method, url, body in [
        ("GET", URL, None),
        ("POST", URL, complaint_body()),
        ("GET", some, None),
        ("PATCH", some, {"breach_reference": "BR-1"}),
        ("POST", f"{some}/acknowledgement", {}),
        ("POST", f"{some}/progress", {"update": "Still looking."}),
        ("POST", f"{some}/closure", {"outcome": "withdrawn", "reasons": "Withdrawn."}),
    ]:
        response = await client.request(method, url, json=body)
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await count(session, Complaint) == before


@pytest.mark.parametrize(
    ("roles", "claims"),
    [
        (("attendance_officer",), {"area_teams": ("south",)}),
        (("attendance_manager",), {"area_teams": ("south",)}),
        (("school_staff",), {"school_urns": (990028,)}),
        (("licensing_officer",), {}),
    ],
)
async def test_only_information_governance_sees_or_acts_on_complaints(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    roles: tuple[str, ...],
    claims: dict[str, Any],
) -> None:
    read, etag = await record(client, auth)
    other = auth(*roles, **claims)
    url = f"{URL}/{read['id']}"
    assert (await client.get(url, headers=other)).status_code in (403, 404)
    assert_problem(await client.get(URL, headers=other), 403)
    assert_problem(await client.post(URL, json=complaint_body(), headers=other), 403)
    for method, path, body in [
        ("PATCH", url, {"breach_reference": "BR-1"}),
        ("POST", f"{url}/acknowledgement", {}),
        ("POST", f"{url}/closure", {"outcome": "withdrawn", "reasons": "Withdrawn."}),
    ]:
        response = await client.request(method, path, json=body, headers=with_etag(other, etag))
        assert response.status_code in (403, 404), (method, path, response.text)
    assert await messages_for(session, read["complainant"]["subject_id"]) == []
    still = await client.get(url, headers=ig(auth))
    assert (still.json()["status"], still.headers["ETag"]) == ("received", etag)


async def test_an_unknown_complaint_is_a_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=ig(auth)), 404)


async def test_reading_a_complaint_records_whose_data_was_read(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, _ = await record(client, auth)
    subject_id = uuid.UUID(read["complainant"]["subject_id"])

    async def touches() -> int:
        found = await session.scalar(
            select(func.count())
            .select_from(AuditEventSubject)
            .where(AuditEventSubject.subject_id == subject_id)
        )
        return int(found or 0)

    before = await touches()
    assert (await client.get(f"{URL}/{read['id']}", headers=ig(auth))).status_code == 200
    assert await touches() == before + 1
    assert (await client.get(URL, headers=ig(auth))).status_code == 200
    assert await touches() == before + 2


async def test_the_audit_trail_records_ids_and_codes_not_the_complaint(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    done, _ = await acknowledged(client, auth)
    rows = await session.scalars(
        select(AuditEvent).where(AuditEvent.resource_id == done["id"], AuditEvent.kind == "change")
    )
    events = {event.action: event for event in rows}
    assert {"complaint.recorded", "complaint.acknowledged"} <= set(events)
    for event in events.values():
        text = str(event.details)
        assert "Robin" not in text and "example.org" not in text and "address" not in text
        assert str(event.subject_id) == done["complainant"]["subject_id"]


# --- the examples name the demo's complaints ---------------------------------------------------


def test_the_example_complaints_are_the_demos() -> None:
    assert EXAMPLE_COMPLAINT_ID == ADDRESS_COMPLAINT
    assert str(EXAMPLE_COMPLAINT_ID) == SCHEMA_EXAMPLE_COMPLAINT_ID
    assert EXAMPLE_ACKNOWLEDGED_COMPLAINT_ID == BREACH_COMPLAINT
