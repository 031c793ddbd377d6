"""``/v1/subject-requests``: recording a request, its statutory clock through the API
(identity, clarification, extension), closure with the response, internal reviews, the
overdue and due-soon lists, the on-time figures in ``/metrics``, and who may see requests.

The API runs on today's date, so requests here are dated back from today; the due dates
themselves are pinned, edge day by edge day, in ``tests/test_rules_subject_rights.py``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OutboundMessage
from app.models.audit import AuditEventSubject
from app.models.subject_requests import SubjectRequest
from app.policies.guard import local_today
from app.rules.subject_rights import Clock, Pause, due_on, extension_deadline
from tests.conftest import AuthHeaders
from tests.factories import assert_problem

TODAY = local_today(datetime.now(UTC))
IG = "information_governance"


def ig(auth: AuthHeaders, subject: str = "governance-1") -> dict[str, str]:
    return auth(IG, subject=subject)


def request_body(**fields: Any) -> dict[str, Any]:
    """An adult's own request for their records, by email, identity confirmed on receipt."""
    body: dict[str, Any] = {
        "right": "access",
        "channel": "email",
        "received_on": (TODAY - timedelta(days=3)).isoformat(),
        "description": "Please send me a copy of the records you hold about me.",
        "requester": {
            "kind": "subject",
            "name": "Morgan Hale",
            "email": "morgan.hale@example.org",
            "address_lines": ["12 Example Street", "Maidstone"],
            "postcode": "ME14 1XX",
        },
        "subject_details": {
            "forename": "Morgan",
            "surname": "Hale",
            "date_of_birth": "1985-03-14",
        },
        "identity_required": False,
        "identity_method": "Email address matches the one held on the carer record",
    }
    body.update(fields)
    return body


async def record(
    client: httpx.AsyncClient, auth: AuthHeaders, **fields: Any
) -> tuple[dict[str, Any], str]:
    response = await client.post(
        "/v1/subject-requests", json=request_body(**fields), headers=ig(auth)
    )
    assert response.status_code == 201, response.text
    return response.json(), response.headers["ETag"]


def with_etag(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": etag}


async def messages_for(session: AsyncSession, subject_id: str) -> list[str]:
    rows = await session.scalars(
        select(OutboundMessage.message_type)
        .where(OutboundMessage.subject_id == uuid.UUID(subject_id))
        .order_by(OutboundMessage.created_at)
    )
    return list(rows)


async def touches(session: AsyncSession, subject_id: str) -> int:
    """Audit events recorded as touching the data subject (the index "who saw S" reads)."""
    count = await session.scalar(
        select(func.count())
        .select_from(AuditEventSubject)
        .where(AuditEventSubject.subject_id == uuid.UUID(subject_id))
    )
    return int(count or 0)


# --- recording ---------------------------------------------------------------------------------


async def test_a_recorded_request_is_due_one_calendar_month_on_and_acknowledged(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    received = TODAY - timedelta(days=3)
    read, etag = await record(client, auth)
    assert read["status"] == "in_progress"
    assert read["reference"] and len(read["reference"]) <= 20
    assert read["clock"]["received_on"] == received.isoformat()
    assert read["clock"]["started_on"] == received.isoformat()
    assert read["clock"]["due_on"] == due_on(Clock(received)).isoformat()
    assert read["clock"]["rule"] == "uk_gdpr_art_12a"
    assert read["clock"]["running"] is True
    assert read["overdue"] is False
    assert etag.startswith('"') or etag.startswith('W/"')
    # The acknowledgement with the due date goes to the requester by email.
    assert [m["message_type"] for m in read["messages"]] == ["sar_acknowledgement"]
    assert read["messages"][0]["channel"] == "email"
    subject_id = read["requester"]["subject_id"]
    assert await messages_for(session, subject_id) == ["sar_acknowledgement"]
    # The audit trail says whose data the request is: the requester's own subject id.
    assert await touches(session, subject_id) >= 1


async def test_a_request_waiting_for_identity_has_no_due_date_until_it_arrives(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    asked = TODAY - timedelta(days=10)
    read, etag = await record(
        client,
        auth,
        received_on=asked.isoformat(),
        identity_required=True,
        identity_note="A copy of a document showing the requester's current address",
        identity_method=None,
    )
    assert read["status"] == "awaiting_identity"
    assert read["clock"]["due_on"] is None
    assert read["clock"]["running"] is False
    # No due date is told before there is one: the identity request goes instead.
    assert [m["message_type"] for m in read["messages"]] == ["subject_request_identity"]

    arrived = TODAY - timedelta(days=6)
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/clock-events",
        json={
            "kind": "identity_received",
            "on": arrived.isoformat(),
            "method": "Council tax bill seen",
        },
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    started = response.json()
    assert started["status"] == "in_progress"
    assert started["clock"]["started_on"] == arrived.isoformat()
    expected = due_on(Clock(asked, identity_asked_on=asked, identity_received_on=arrived))
    assert started["clock"]["due_on"] == expected.isoformat()
    assert [m["message_type"] for m in started["messages"]] == ["sar_acknowledgement"]
    kinds = [e["kind"] for e in started["events"]]
    assert kinds == ["identity_requested", "identity_received"]


async def test_a_clarification_stops_the_clock_and_its_days_do_not_count(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    received = TODAY - timedelta(days=12)
    read, etag = await record(client, auth, received_on=received.isoformat())
    asked, answered = TODAY - timedelta(days=9), TODAY - timedelta(days=2)
    url = f"/v1/subject-requests/{read['id']}/clock-events"
    stopped = await client.post(
        url,
        json={
            "kind": "clarification_requested",
            "on": asked.isoformat(),
            "note": "Which records are meant: attendance, casework or licensing?",
        },
        headers=with_etag(ig(auth), etag),
    )
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["status"] == "awaiting_clarification"
    assert stopped.json()["clock"]["due_on"] is None
    # A second clarification while one is open does not fit the clock.
    again = await client.post(
        url,
        json={"kind": "clarification_requested", "on": asked.isoformat(), "note": "Again"},
        headers=with_etag(ig(auth), stopped.headers["ETag"]),
    )
    assert assert_problem(again, 409)["rule"] == "one_clarification_at_a_time"

    resumed = await client.post(
        url,
        json={"kind": "clarification_received", "on": answered.isoformat()},
        headers=with_etag(ig(auth), stopped.headers["ETag"]),
    )
    assert resumed.status_code == 200, resumed.text
    clock = resumed.json()["clock"]
    expected = due_on(Clock(received, pauses=(Pause(asked, answered),)))
    assert clock["due_on"] == expected.isoformat()
    # Both the day asked and the day answered are excluded (Art 12A).
    assert clock["days_paused"] == (answered - asked).days + 1
    assert clock["stops"][0]["days_not_counted"] == (answered - asked).days + 1


@pytest.mark.parametrize(
    ("event", "rule"),
    [
        (
            {"kind": "identity_received", "method": "Passport seen"},
            "identity_received_after_requested",
        ),
        ({"kind": "clarification_received"}, "clarification_received_while_open"),
    ],
)
async def test_clock_events_that_do_not_fit_are_refused_with_their_rule(
    client: httpx.AsyncClient, auth: AuthHeaders, event: dict[str, Any], rule: str
) -> None:
    read, etag = await record(client, auth)
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/clock-events",
        json=event,
        headers=with_etag(ig(auth), etag),
    )
    assert assert_problem(response, 409)["rule"] == rule


async def test_a_clock_event_before_the_request_was_received_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth)
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/clock-events",
        json={
            "kind": "clarification_requested",
            "on": (TODAY - timedelta(days=20)).isoformat(),
            "note": "Which records are meant?",
        },
        headers=with_etag(ig(auth), etag),
    )
    body = assert_problem(response, 422)
    assert "before_received" in response.text, body


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "in_future"),
        ({"received_on": "2018-05-24"}, "before_uk_gdpr"),
        (
            {
                "requester": {
                    "kind": "parent_or_carer",
                    "name": "Evie Tillbrook",
                    "email": "evie@example.org",
                },
                "subject_details": {
                    "forename": "Isla",
                    "surname": "Tillbrook",
                    "date_of_birth": "2016-09-29",
                },
                "authority_evidence": "Parental responsibility on the school's record",
            },
            "child_competence_required",
        ),
        (
            {
                "requester": {
                    "kind": "representative",
                    "name": "A. Solicitor",
                    "email": "solicitor@example.org",
                }
            },
            "authority_evidence_required",
        ),
        ({"channel": "school"}, "school_required"),
        # A birthday rule cannot be applied to a date of birth that has not happened (and at
        # the last day of year 9999 could not be computed at all).
        *(
            (
                {"subject_details": {"forename": "Isla", "surname": "T", "date_of_birth": born}},
                "date of birth cannot be in the future",
            )
            for born in ("9999-12-31", (TODAY + timedelta(days=1)).isoformat())
        ),
    ],
)
async def test_a_request_that_cannot_be_recorded_as_sent_is_refused_and_writes_nothing(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    fields: dict[str, Any],
    code: str,
) -> None:
    before = await session.scalar(select(func.count()).select_from(SubjectRequest))
    response = await client.post(
        "/v1/subject-requests", json=request_body(**fields), headers=ig(auth)
    )
    assert_problem(response, 422)
    assert code in response.text
    assert await session.scalar(select(func.count()).select_from(SubjectRequest)) == before


# --- extension and closure -------------------------------------------------------------------


async def test_an_extension_within_the_first_month_moves_the_due_date_and_tells_the_requester(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    received = TODAY - timedelta(days=5)
    read, etag = await record(client, auth, received_on=received.isoformat())
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/extension",
        json={"months": 2, "reasons": "Six years of casework to review for third-party data."},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    extended = response.json()
    assert extended["clock"]["due_on"] == due_on(Clock(received, extension_months=2)).isoformat()
    assert extended["clock"]["extension"]["months"] == 2
    assert [m["message_type"] for m in extended["messages"]] == ["subject_request_extension"]
    # Decided once: not raised again, never shortened.
    again = await client.post(
        f"/v1/subject-requests/{read['id']}/extension",
        json={"months": 1, "reasons": "Shorter after all."},
        headers=with_etag(ig(auth), response.headers["ETag"]),
    )
    assert assert_problem(again, 409)["rule"] == "extension_once"


async def test_an_extension_decided_after_the_first_month_is_refused(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    received = TODAY - timedelta(days=40)
    read, etag = await record(client, auth, received_on=received.isoformat())
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/extension",
        json={"months": 1, "reasons": "More time needed."},
        headers=with_etag(ig(auth), etag),
    )
    body = assert_problem(response, 409)
    assert body["rule"] == "extension_within_first_month"
    assert body["extension_decide_by"] == str(extension_deadline(Clock(received)))
    stored = await session.get(SubjectRequest, uuid.UUID(read["id"]))
    assert stored is not None and stored.extension_months == 0


async def test_an_access_request_is_not_closed_as_answered_without_its_bundle(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth)
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/closure",
        json={"outcome": "completed", "response_channel": "email"},
        headers=with_etag(ig(auth), etag),
    )
    assert assert_problem(response, 409)["rule"] == "response_released"


async def test_closing_sends_the_response_and_counts_on_time(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth, right="rectification")
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/closure",
        json={
            "outcome": "completed",
            "reasons": "The address was corrected.",
            "response_channel": "letter",
        },
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["outcome"]["on_time"] is True
    assert closed["outcome"]["closed_on"] == TODAY.isoformat()
    assert [m["message_type"] for m in closed["messages"]] == ["subject_request_response"]
    assert closed["messages"][0]["channel"] == "letter"
    # A closed request changes no more.
    again = await client.patch(
        f"/v1/subject-requests/{read['id']}",
        json={"assigned_to": "governance-2"},
        headers=with_etag(ig(auth), response.headers["ETag"]),
    )
    assert assert_problem(again, 409)["rule"] == "request_open"


async def test_a_refusal_needs_its_reasons(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    read, etag = await record(client, auth, right="erasure")
    response = await client.post(
        f"/v1/subject-requests/{read['id']}/closure",
        json={"outcome": "refused", "response_channel": "email"},
        headers=with_etag(ig(auth), etag),
    )
    assert_problem(response, 422)


async def test_an_internal_review_is_asked_for_after_closure_and_decided_once(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth, right="erasure")
    url = f"/v1/subject-requests/{read['id']}"
    early = await client.post(
        f"{url}/reviews", json={"grounds": "The records should go."}, headers=ig(auth)
    )
    assert assert_problem(early, 409)["rule"] == "request_closed"
    closed = await client.post(
        f"{url}/closure",
        json={
            "outcome": "refused",
            "reasons": "The records are held to meet a legal obligation (Art 17(3)(b)).",
            "response_channel": "email",
        },
        headers=with_etag(ig(auth), etag),
    )
    assert closed.status_code == 200, closed.text
    asked = await client.post(
        f"{url}/reviews", json={"grounds": "The records should go."}, headers=ig(auth)
    )
    assert asked.status_code == 201, asked.text
    review = asked.json()
    decision = {"outcome": "upheld", "reasons": "The legal obligation stands."}
    decided = await client.post(
        f"{url}/reviews/{review['id']}/decision", json=decision, headers=ig(auth)
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["outcome"] == "upheld"
    assert [m["message_type"] for m in decided.json()["messages"]]
    twice = await client.post(
        f"{url}/reviews/{review['id']}/decision", json=decision, headers=ig(auth)
    )
    assert assert_problem(twice, 409)["rule"] == "review_decided_once"
    listed = await client.get(f"{url}/reviews", headers=ig(auth))
    assert [r["id"] for r in listed.json()["items"]] == [review["id"]]


# --- concurrency -------------------------------------------------------------------------------


async def test_an_amendment_needs_the_current_etag(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth)
    url = f"/v1/subject-requests/{read['id']}"
    missing = await client.patch(url, json={"assigned_to": "governance-2"}, headers=ig(auth))
    assert_problem(missing, 428)
    first = await client.patch(
        url, json={"assigned_to": "governance-2"}, headers=with_etag(ig(auth), etag)
    )
    assert first.status_code == 200, first.text
    assert first.json()["assigned_to"] == "governance-2"
    stale = await client.patch(
        url, json={"assigned_to": "governance-3"}, headers=with_etag(ig(auth), etag)
    )
    assert_problem(stale, 412)


# --- lists and figures ------------------------------------------------------------------------


async def test_the_overdue_and_due_soon_lists(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    late, _ = await record(client, auth, received_on=(TODAY - timedelta(days=45)).isoformat())
    soon, _ = await record(client, auth, received_on=(TODAY - timedelta(days=27)).isoformat())
    fresh, _ = await record(client, auth, received_on=TODAY.isoformat())

    async def ids(**params: str) -> set[str]:
        response = await client.get("/v1/subject-requests", params=params, headers=ig(auth))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    overdue = await ids(due="overdue")
    assert late["id"] in overdue and soon["id"] not in overdue and fresh["id"] not in overdue
    due_soon = await ids(due="due_within_7_days")
    soon_due = date.fromisoformat(soon["clock"]["due_on"])
    assert (soon["id"] in due_soon) == (soon_due <= TODAY + timedelta(days=7))
    assert late["id"] not in due_soon and fresh["id"] not in due_soon
    listed = await client.get("/v1/subject-requests", headers=ig(auth))
    items = {item["id"]: item for item in listed.json()["items"]}
    assert items[late["id"]]["overdue"] is True


async def test_the_on_time_figures_are_in_metrics(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth, right="rectification")
    await record(client, auth, received_on=(TODAY - timedelta(days=45)).isoformat())
    closed = await client.post(
        f"/v1/subject-requests/{read['id']}/closure",
        json={"outcome": "completed", "reasons": "Corrected.", "response_channel": "email"},
        headers=with_etag(ig(auth), etag),
    )
    assert closed.status_code == 200, closed.text
    text = (await client.get("/metrics")).text
    assert 'kpas_subject_requests_closed{timeliness="on_time"}' in text
    assert 'kpas_subject_requests_open{deadline="overdue"}' in text
    assert "kpas_subject_requests_on_time_ratio" in text
    overdue = next(
        line
        for line in text.splitlines()
        if line.startswith('kpas_subject_requests_open{deadline="overdue"}')
    )
    assert float(overdue.rsplit(" ", 1)[1]) >= 1


# --- who may see requests ------------------------------------------------------------------------


async def test_an_anonymous_caller_is_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/v1/subject-requests"), 401)
    assert_problem(await client.post("/v1/subject-requests", json=request_body()), 401)


@pytest.mark.parametrize(
    ("roles", "claims"),
    [
        (("attendance_officer",), {"area_teams": ("south",)}),
        (("school_staff",), {"school_urns": (990028,)}),
        (("licensing_officer",), {}),
    ],
)
async def test_only_information_governance_sees_or_records_requests(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    roles: tuple[str, ...],
    claims: dict[str, Any],
) -> None:
    read, _ = await record(client, auth)
    other = auth(*roles, **claims)
    assert (await client.get(f"/v1/subject-requests/{read['id']}", headers=other)).status_code in (
        403,
        404,
    )
    assert (await client.get("/v1/subject-requests", headers=other)).status_code == 403
    created = await client.post("/v1/subject-requests", json=request_body(), headers=other)
    assert created.status_code == 403


async def test_an_unknown_request_is_a_404(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.get(
        "/v1/subject-requests/00000000-0000-4000-8000-000000000000", headers=ig(auth)
    )
    assert_problem(response, 404)


async def test_reading_a_request_records_whose_data_was_read(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, _ = await record(client, auth)
    subject_id = read["requester"]["subject_id"]
    before = await touches(session, subject_id)
    response = await client.get(f"/v1/subject-requests/{read['id']}", headers=ig(auth))
    assert response.status_code == 200
    assert response.headers["ETag"]
    assert await touches(session, subject_id) == before + 1
