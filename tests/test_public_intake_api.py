"""``/v1/public``: data-subject requests and complaints from anyone, without a token.

What is pinned here: the answer is a reference and what happens next, the same whether or not
the council knows the person; a request is recorded on the ``public_form`` channel awaiting
identity (unless council policy says otherwise) and the staff lifecycle carries on from there;
a complaint is acknowledged at once and linked to the request it quotes without telling whether
one has that reference; each address is limited (429 with ``Retry-After``) and each body is
limited (413); bad input is a 422 that records nothing and never a 500; the audit trail names
the public form and carries ids, not what people wrote; and the identity request reaches the
fake Notify through the outbox worker.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.cli import render_openapi
from app.db import Database
from app.main import create_app
from app.messages.templates import default_template_id
from app.models import OutboundMessage
from app.models.audit import AuditEvent
from app.models.messages import Channel
from app.models.subject_requests import Complaint, ComplaintStatus, SubjectRequest
from app.models.subjects import DataSubject
from app.notify.fake import FakeNotifyServer
from app.policies.guard import local_today
from app.routers.v1.public import PublicIntakeLimit
from app.rules.subject_rights import Clock as RuleClock
from app.rules.subject_rights import complaint_acknowledge_by, due_on
from app.services.public_intake import PUBLIC_ACTOR
from app.settings import Settings
from tests.conftest import AuthHeaders, make_settings
from tests.factories import assert_problem, make_carer, make_pupil
from tests.messages_support import (
    empty_outbox,
    fresh_outbox_fake,
    notify_client,
    outbox_database,
    running_worker,
    settle,
)
from tests.notify_support import ledger

REQUESTS = "/v1/public/subject-requests"
COMPLAINTS = "/v1/public/complaints"
TODAY = local_today(datetime.now(UTC))
REFERENCE = re.compile(r"^SR-[A-HJ-NP-Z2-9]{10}$")
COMPLAINT_REFERENCE = re.compile(r"^CP-[A-HJ-NP-Z2-9]{10}$")


def request_body(**fields: Any) -> dict[str, Any]:
    """A parent asking for their child's records, by email."""
    body: dict[str, Any] = {
        "right": "access",
        "requester": {
            "kind": "parent_or_carer",
            "name": "Casey Example",
            "email": "casey.example@example.org",
        },
        "authority_evidence": "I am her mother and have parental responsibility.",
        "subject_details": {
            "forename": "Isla",
            "surname": "Example",
            "date_of_birth": "2014-05-17",
            "postcode": "CT16 1AA",
        },
        "description": "Please send me a copy of my daughter's attendance records.",
    }
    body.update(fields)
    return body


def complaint_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "complainant": {"name": "Casey Example", "email": "casey.example@example.org"},
        "description": "I have heard nothing about my request since I sent proof of identity.",
    }
    body.update(fields)
    return body


async def counts(session: AsyncSession) -> tuple[int, ...]:
    """Rows the intake could write: requests, complaints, data subjects, messages."""
    found = []
    for model in (SubjectRequest, Complaint, DataSubject, OutboundMessage):
        found.append(int(await session.scalar(select(func.count()).select_from(model)) or 0))
    return tuple(found)


async def request_by_reference(session: AsyncSession, reference: str) -> SubjectRequest:
    found = await session.scalar(
        select(SubjectRequest).where(SubjectRequest.reference == reference)
    )
    assert found is not None
    return found


async def complaint_by_reference(session: AsyncSession, reference: str) -> Complaint:
    found = await session.scalar(select(Complaint).where(Complaint.reference == reference))
    assert found is not None
    return found


async def messages_for(session: AsyncSession, subject_id: uuid.UUID) -> list[tuple[str, str]]:
    rows = await session.execute(
        select(OutboundMessage.message_type, OutboundMessage.channel)
        .where(OutboundMessage.subject_id == subject_id)
        .order_by(OutboundMessage.created_at)
    )
    return [(kind, channel.value) for kind, channel in rows]


def client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 5000))
    return httpx.AsyncClient(transport=transport, base_url="http://kpas.test")


# --- the answer says nothing about the person ----------------------------------------------


async def test_a_known_and_an_unknown_person_get_the_same_answer(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    pupil = await make_pupil(
        session, legal_forename="Isla", legal_surname="Known", date_of_birth=date(2014, 5, 17)
    )
    carer = await make_carer(
        session, pupil=pupil, forename="Casey", surname="Known", email="casey.known@example.org"
    )
    known = request_body(
        requester={"kind": "parent_or_carer", "name": "Casey Known", "email": carer.email},
        subject_details={
            "forename": pupil.legal_forename,
            "surname": pupil.legal_surname,
            "date_of_birth": pupil.date_of_birth.isoformat(),
            "upn": pupil.upn,
            "postcode": pupil.postcode,
        },
    )
    unknown = request_body(
        subject_details={
            "forename": "Nobody",
            "surname": "Atall",
            "date_of_birth": "2013-01-02",
            "upn": None,
            "postcode": None,
        }
    )
    answers = [await client.post(REQUESTS, json=body) for body in (known, unknown)]
    for answer in answers:
        assert answer.status_code == 202, answer.text
        assert set(answer.json()) == {"reference", "next_steps"}
        assert REFERENCE.match(answer.json()["reference"])
        assert answer.headers["content-type"] == "application/json"
        assert "location" not in answer.headers and "etag" not in answer.headers
    first, second = (a.json() for a in answers)
    assert first["next_steps"] == second["next_steps"]
    assert first["reference"] != second["reference"]
    assert len(answers[0].content) == len(answers[1].content)
    same_headers = {k for k in answers[0].headers if k != "x-request-id"}
    assert same_headers == {k for k in answers[1].headers if k != "x-request-id"}
    # Nothing was matched: neither request names the pupil.
    for answer in first, second:
        request = await request_by_reference(session, answer["reference"])
        assert request.subject_id not in (pupil.subject_id, carer.subject_id)


async def test_a_public_request_waits_for_identity_and_the_staff_lifecycle_carries_on(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.post(REQUESTS, json=request_body())
    assert response.status_code == 202, response.text
    assert "proof of your identity" in response.json()["next_steps"]
    request = await request_by_reference(session, response.json()["reference"])
    assert await messages_for(session, request.subject_id) == [
        ("subject_request_identity", "email")
    ]

    staff = auth("information_governance", subject="governance-1")
    read = await client.get(f"/v1/subject-requests/{request.id}", headers=staff)
    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["channel"], body["status"]) == ("public_form", "awaiting_identity")
    assert body["received_on"] == TODAY.isoformat()
    assert body["clock"]["due_on"] is None and body["clock"]["running"] is False
    assert [e["kind"] for e in body["events"]] == ["identity_requested"]
    assert body["created_by"] == PUBLIC_ACTOR
    assert body["authority"]["evidence"] == request_body()["authority_evidence"]
    assert body["authority"]["accepted"] is False
    # The child's competence is the council's judgement to record: left for the officer.
    assert body["child_competence"]["subject_is_child"] is True
    assert body["child_competence"]["judgement"] is None

    started = await client.post(
        f"/v1/subject-requests/{request.id}/clock-events",
        json={"kind": "identity_received", "on": TODAY.isoformat(), "method": "Passport seen"},
        headers={**staff, "If-Match": read.headers["ETag"]},
    )
    assert started.status_code == 200, started.text
    clock = started.json()["clock"]
    assert started.json()["status"] == "in_progress"
    expected = due_on(RuleClock(TODAY, identity_asked_on=TODAY, identity_received_on=TODAY))
    assert clock["due_on"] == expected.isoformat()
    assert await messages_for(session, request.subject_id) == [
        ("subject_request_identity", "email"),
        ("sar_acknowledgement", "email"),
    ]


async def test_an_adults_own_request_by_letter_is_recorded_as_not_a_child(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    body = request_body(
        right="rectification",
        requester={
            "kind": "subject",
            "name": "Morgan Example",
            "address_lines": ["4 Example Close", "Folkestone"],
            "postcode": "CT20 1AA",
        },
        authority_evidence=None,
        subject_details={"forename": "Morgan", "surname": "Example", "date_of_birth": "1990-05-17"},
    )
    response = await client.post(REQUESTS, json=body)
    assert response.status_code == 202, response.text
    request = await request_by_reference(session, response.json()["reference"])
    assert request.child_competence is not None
    assert request.child_competence.value == "not_a_child"
    assert request.requester_address == ["4 Example Close", "Folkestone", "CT20 1AA"]
    assert await messages_for(session, request.subject_id) == [
        ("subject_request_identity", "letter")
    ]


@pytest.fixture
def trusting_app(
    migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]
) -> FastAPI:
    """An app whose council policy asks the public form for no proof of identity."""
    settings = make_settings(str(migrated_engine.url), public_request_identity_required=False)
    database = Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    return create_app(settings, database)


async def test_without_the_identity_policy_the_clock_starts_on_receipt(
    trusting_app: FastAPI, session: AsyncSession
) -> None:
    async with client_from(trusting_app, "127.0.0.1") as client:
        response = await client.post(REQUESTS, json=request_body())
    assert response.status_code == 202, response.text
    assert "proof" not in response.json()["next_steps"]
    request = await request_by_reference(session, response.json()["reference"])
    assert request.status.value == "in_progress"
    assert request.clock_started_on == TODAY
    assert request.due_on == due_on(RuleClock(TODAY))
    assert await messages_for(session, request.subject_id) == [("sar_acknowledgement", "email")]


# --- complaints --------------------------------------------------------------------------------


async def test_a_public_complaint_is_acknowledged_at_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    response = await client.post(COMPLAINTS, json=complaint_body())
    assert response.status_code == 202, response.text
    assert set(response.json()) == {"reference", "next_steps"}
    assert COMPLAINT_REFERENCE.match(response.json()["reference"])
    complaint = await complaint_by_reference(session, response.json()["reference"])
    assert complaint.status is ComplaintStatus.ACKNOWLEDGED
    assert complaint.acknowledge_by == complaint_acknowledge_by(TODAY)
    assert complaint.acknowledged_at is not None
    assert await messages_for(session, complaint.subject_id) == [
        ("complaint_acknowledgement", "email")
    ]
    read = await client.get(
        f"/v1/complaints/{complaint.id}", headers=auth("information_governance")
    )
    assert read.status_code == 200, read.text
    assert read.json()["channel"] == "public_form"
    assert [u["kind"] for u in read.json()["updates"]] == ["acknowledgement"]


async def test_a_quoted_reference_links_the_request_and_an_unknown_one_is_kept_as_text(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    made = await client.post(REQUESTS, json=request_body())
    reference = made.json()["reference"]
    known = await client.post(COMPLAINTS, json=complaint_body(request_reference=reference.lower()))
    unknown = await client.post(COMPLAINTS, json=complaint_body(request_reference="SR-NOSUCHREF"))
    assert (known.status_code, unknown.status_code) == (202, 202), unknown.text
    assert known.json()["next_steps"] == unknown.json()["next_steps"]
    assert set(known.json()) == set(unknown.json()) == {"reference", "next_steps"}
    linked = await complaint_by_reference(session, known.json()["reference"])
    request = await request_by_reference(session, reference)
    assert linked.request_id == request.id
    assert linked.request_reference_given == reference.lower()
    kept = await complaint_by_reference(session, unknown.json()["reference"])
    assert kept.request_id is None
    assert kept.request_reference_given == "SR-NOSUCHREF"


# --- abuse: rate and size ----------------------------------------------------------------------


async def test_an_address_over_the_limit_gets_a_429_with_retry_after(
    app: FastAPI, session: AsyncSession
) -> None:
    settings: Settings = app.state.settings
    limit = settings.public_intake_requests_per_address
    assert (limit, settings.public_intake_window_seconds) == (5, 600)
    async with client_from(app, "198.51.100.7") as client:
        # Requests and complaints count together.
        for number in range(limit):
            path, body = (
                (REQUESTS, request_body()) if number % 2 else (COMPLAINTS, complaint_body())
            )
            assert (await client.post(path, json=body)).status_code == 202
        before = await counts(session)
        for path, body in ((REQUESTS, request_body()), (COMPLAINTS, complaint_body())):
            refused = await client.post(path, json=body)
            problem = assert_problem(refused, 429)
            assert problem["type"] == "https://kpas.kent.gov.uk/problems/too-many-requests"
            assert "at most 5 in 10 minutes" in str(problem["detail"])
            assert 1 <= int(refused.headers["retry-after"]) <= 600
        # Even a malformed body is refused before it is read.
        garbled = await client.post(
            REQUESTS, content=b"{", headers={"content-type": "application/json"}
        )
        assert_problem(garbled, 429)
        assert await counts(session) == before
    # Another address has its own allowance.
    async with client_from(app, "198.51.100.8") as other:
        assert (await other.post(REQUESTS, json=request_body())).status_code == 202


def test_the_limit_is_a_sliding_window_that_does_not_count_refusals() -> None:
    limit = PublicIntakeLimit(per_address=2, window_seconds=600)
    limit.check("a")
    limit.check("a")
    for _ in range(3):
        with pytest.raises(Exception, match="Too many submissions"):
            limit.check("a")
    limit.check("b")


async def test_a_body_over_the_public_limit_is_a_413_and_records_nothing(
    client: httpx.AsyncClient, session: AsyncSession, app: FastAPI
) -> None:
    settings: Settings = app.state.settings
    assert settings.public_intake_max_body_bytes == 32 * 1024
    before = await counts(session)
    padded = request_body(description="x" * 40_000)
    declared = await client.post(REQUESTS, json=padded)
    assert_problem(declared, 413)

    async def chunks() -> AsyncIterator[bytes]:
        # Streamed without a Content-Length: refused as it passes the limit.
        yield b'{"description": "'
        for _ in range(40):
            yield b"y" * 1024
        yield b'"}'

    streamed = await client.post(
        COMPLAINTS, content=chunks(), headers={"content-type": "application/json"}
    )
    assert_problem(streamed, 413)
    assert await counts(session) == before
    # The staff routes keep the service-wide limit: there the same body is not refused for
    # its size (only for want of a token).
    staff = await client.post("/v1/complaints", json=padded)
    assert staff.status_code == 401


# --- bad input -----------------------------------------------------------------------------------

BAD_REQUESTS: list[tuple[str, Any, int, str | None]] = [
    ("not an object", [request_body()], 422, None),
    ("a string", "access", 422, None),
    ("empty", {}, 422, "missing"),
    ("unknown right", request_body(right="everything"), 422, "enum"),
    ("extra field", request_body(channel="email"), 422, "extra_forbidden"),
    ("received date given", request_body(received_on="2026-01-01"), 422, "extra_forbidden"),
    (
        "no way to answer",
        request_body(
            requester={"kind": "subject", "name": "Casey Example"}, authority_evidence=None
        ),
        422,
        None,
    ),
    (
        "authority missing",
        request_body(authority_evidence=None),
        422,
        "authority_evidence_required",
    ),
    (
        "authority for oneself",
        request_body(requester={"kind": "subject", "name": "A B", "email": "a@example.org"}),
        422,
        "authority_not_needed",
    ),
    (
        "born in the future",
        request_body(
            subject_details={
                "forename": "Isla",
                "surname": "Example",
                "date_of_birth": (TODAY + timedelta(days=1)).isoformat(),
            }
        ),
        422,
        "cannot be in the future",
    ),
    (
        "born in year 9999",
        request_body(
            subject_details={"forename": "I", "surname": "E", "date_of_birth": "9999-12-31"}
        ),
        422,
        "cannot be in the future",
    ),
    (
        "not a date",
        request_body(
            subject_details={"forename": "I", "surname": "E", "date_of_birth": "31/12/2014"}
        ),
        422,
        None,
    ),
    (
        "bad email",
        request_body(requester={"kind": "subject", "name": "A B", "email": "not-an-email"}),
        422,
        None,
    ),
    (
        "formula",
        request_body(
            requester={"kind": "subject", "name": "=cmd|' /C calc'!A0", "email": "a@example.org"},
            authority_evidence=None,
        ),
        422,
        "formula_like",
    ),
    ("control characters", request_body(description="line\u0000break"), 422, None),
    (
        "huge school number",
        request_body(
            subject_details={
                "forename": "I",
                "surname": "E",
                "date_of_birth": "2014-05-17",
                "school_urn": 10**40,
            }
        ),
        422,
        None,
    ),
    ("null right", request_body(right=None), 422, None),
    (
        "bad UPN",
        request_body(
            subject_details={
                "forename": "I",
                "surname": "E",
                "date_of_birth": "2014-05-17",
                "upn": "A12300000000Z",
            }
        ),
        422,
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "status", "code"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS]
)
async def test_bad_requests_are_problems_that_record_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    case: str,
    body: Any,
    status: int,
    code: str | None,
) -> None:
    before = await counts(session)
    response = await client.post(REQUESTS, json=body)
    problem = assert_problem(response, status)
    if code is not None:
        assert code in str(problem.get("errors")), response.text
    assert await counts(session) == before


BAD_COMPLAINTS: list[tuple[str, Any, str | None]] = [
    ("empty", {}, "missing"),
    ("no contact", complaint_body(complainant={"name": "Casey Example"}), None),
    (
        "half an address",
        complaint_body(complainant={"name": "C E", "address_lines": ["1 A Road"]}),
        None,
    ),
    ("reference too long", complaint_body(request_reference="SR-" + "X" * 60), None),
    ("reference as a number", complaint_body(request_reference=12345), None),
    ("a breach reference", complaint_body(breach_reference="BR-1"), "extra_forbidden"),
    ("empty description", complaint_body(description="   "), None),
]


@pytest.mark.parametrize(
    ("case", "body", "code"), BAD_COMPLAINTS, ids=[c[0] for c in BAD_COMPLAINTS]
)
async def test_bad_complaints_are_problems_that_record_nothing(
    client: httpx.AsyncClient, session: AsyncSession, case: str, body: Any, code: str | None
) -> None:
    before = await counts(session)
    response = await client.post(COMPLAINTS, json=body)
    problem = assert_problem(response, 422)
    if code is not None:
        assert code in str(problem.get("errors")), response.text
    assert await counts(session) == before


async def test_malformed_bodies_are_refused_without_a_500(
    app: FastAPI, session: AsyncSession
) -> None:
    before = await counts(session)
    cases: list[tuple[str, dict[str, Any]]] = [
        (path, {"content": content, "headers": {"content-type": media}})
        for content, media in [
            (b"{", "application/json"),
            (b"\xff\xfe\x00", "application/json"),
            (b'{"right": "access"' + b"]" * 50, "application/json"),
            (b"[" * 5000 + b"]" * 5000, "application/json"),
            (b"right=access", "application/x-www-form-urlencoded"),
            (b"", "application/json"),
            (b'{"right": "access"}', "text/plain"),
        ]
        for path in (REQUESTS, COMPLAINTS)
    ]
    cases.append((REQUESTS, {"params": {"dry_run": "true"}, "json": request_body()}))
    for number, (path, sent) in enumerate(cases):
        # Each from an address of its own: the limit per address is not what is tested here.
        async with client_from(app, f"192.0.2.{number + 1}") as client:
            response = await client.post(path, **sent)
        assert 400 <= response.status_code < 500, (path, sent, response.status_code)
        assert response.status_code != 429
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await counts(session) == before


# --- the audit trail -----------------------------------------------------------------------------


async def test_the_audit_trail_names_the_public_form_and_holds_ids_only(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    response = await client.post(REQUESTS, json=request_body())
    request = await request_by_reference(session, response.json()["reference"])
    events = list(
        await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.actor == PUBLIC_ACTOR, AuditEvent.subject_id == request.subject_id)
            .order_by(AuditEvent.seq)
        )
    )
    actions = [event.action for event in events]
    assert "subject_request.recorded" in actions and "message.queued" in actions
    decisions = list(
        await session.scalars(
            select(AuditEvent).where(
                AuditEvent.actor == PUBLIC_ACTOR,
                AuditEvent.kind == "decision",
                AuditEvent.rule == "subject_requests.public_form",
            )
        )
    )
    assert decisions and all(d.outcome == "allow" and d.actor_role == "public" for d in decisions)
    for event in events + decisions:
        text = f"{event.details} {event.resource_id}"
        for personal in ("Casey", "Isla", "example.org", "2014-05-17", "attendance records"):
            assert personal not in text, (event.action, personal)


# --- through the outbox worker to the fake Notify ----------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def committing_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    async with outbox_database(backend, tmp_path_factory.mktemp("public-intake")) as database:
        yield database


async def test_the_identity_request_reaches_notify_through_the_outbox_worker(
    committing_db: Database,
) -> None:
    await empty_outbox(committing_db)
    fake: FakeNotifyServer = fresh_outbox_fake()
    settings = make_settings(str(committing_db.engine.url))
    app = create_app(settings, committing_db)
    async with client_from(app, "203.0.113.9") as client:
        response = await client.post(REQUESTS, json=request_body())
    assert response.status_code == 202, response.text
    reference = response.json()["reference"]
    async with committing_db.sessions() as session:
        request = await request_by_reference(session, reference)
        message = await session.scalar(
            select(OutboundMessage).where(OutboundMessage.subject_id == request.subject_id)
        )
        assert message is not None
    async with running_worker(committing_db, fake) as worker:
        await settle(worker, committing_db)
    sent = [n for n in ledger(fake)["notifications"] if n["reference"] == message.reference]
    assert len(sent) == 1
    assert sent[0]["type"] == "email"
    assert sent[0]["template_id"] == str(
        default_template_id("subject_request_identity", Channel.EMAIL)
    )
    async with notify_client(fake) as notify:
        shown = await notify.get_notification(sent[0]["id"])
    assert shown.email_address == "casey.example@example.org"
    assert f"request_reference: {reference}" in (shown.body or "")


# --- the published examples ----------------------------------------------------------------------


async def test_the_published_examples_are_accepted_as_they_stand(
    app: FastAPI, session: AsyncSession
) -> None:
    document = json.loads(render_openapi())
    schemas = document["components"]["schemas"]
    for number, path in enumerate((REQUESTS, COMPLAINTS)):
        operation = document["paths"][path]["post"]
        assert "security" not in operation  # no token is offered or needed
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        [example] = schemas[ref.rsplit("/", 1)[-1]]["examples"]
        async with client_from(app, f"192.0.2.{200 + number}") as client:
            response = await client.post(path, json=example)
        assert response.status_code == 202, response.text
        assert set(response.json()) == {"reference", "next_steps"}
