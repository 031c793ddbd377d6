"""A case's letters, texts and emails through every way GOV.UK Notify fails: queued by the
case's own steps (meeting invitations, on each channel) while the outbox worker drains, with
Notify answering 5xx before and after recording a send, 429, too slowly (the worker's request
times out), not at all (the connection dropped, or refused outright) and 400 (a template
deleted from the service). At the end each message was sent exactly once or failed for good
with its reason kept; the case's chronology names each message once, and the audit trail
verifies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.audit.verification import verify_chain
from app.auth.principal import Role
from app.cli import fake_notify_templates
from app.db import Database
from app.main import create_app
from app.models.cases import CaseEvent, CaseEventKind
from app.models.messages import MessageStatus
from app.notify.fake import FakeNotifyServer
from app.rules.kent import District
from tests.case_support import CASE_URN, OFFICER, make_case
from tests.conftest import make_settings
from tests.factories import make_carer, make_pupil, make_school
from tests.live import free_port
from tests.messages_support import (
    load_messages,
    outbox_database,
    quick_options,
    running_worker,
    settle,
    status_counts,
)
from tests.notify_support import fake_config, ledger, set_faults

pytestmark = pytest.mark.resilience

#: The template Notify no longer has: every email invitation is refused with a 400.
DELETED_TEMPLATE = "meeting_invitation (email)"
#: Where a send failed for good, and why.
FAILED = {MessageStatus.REJECTED, MessageStatus.DEAD}


@dataclass
class Unreachable:
    """A Notify nobody answers at: the connection is refused."""

    url: str


async def invite(
    client: httpx.AsyncClient, app: FastAPI, case_id: uuid.UUID, carer_id: uuid.UUID, channel: str
) -> None:
    issued = app.state.token_issuer.issue(
        subject=OFFICER, roles=[Role.ATTENDANCE_OFFICER], area_teams=("east",)
    )
    response = await client.post(
        f"/v1/cases/{case_id}/meetings",
        json={
            "kind": "attendance_meeting",
            "scheduled_for": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
            "location": "Meeting room 2",
            "invited_carer_ids": [str(carer_id)],
            "send_invitations": True,
            "channel": channel,
        },
        headers={
            "Authorization": f"Bearer {issued.access_token}",
            "KPAS-Purpose": "attendance_duty",
        },
    )
    assert response.status_code == 201, response.text


async def test_each_case_message_is_sent_once_or_fails_for_good_through_every_fault(
    backend: str, tmp_path: Path
) -> None:
    templates = tuple(t for t in fake_notify_templates() if t.name != DELETED_TEMPLATE)
    assert len(templates) == len(fake_notify_templates()) - 1
    fake = FakeNotifyServer(fake_config(templates=templates)).start()
    async with outbox_database(backend, tmp_path) as database:
        try:
            await run_scenario(database, fake)
        finally:
            fake.stop()


async def run_scenario(database: Database, fake: FakeNotifyServer) -> None:
    app = create_app(make_settings(str(database.engine.url)), database)
    async with database.sessions() as session:
        school = await make_school(session, urn=CASE_URN, district=District.THANET)
        pupil = await make_pupil(session, school=school)
        carer = await make_carer(
            session,
            pupil=pupil,
            phone="07700 900123",
            email="carer@example.org",
            address_lines=["1 High Street", "Maidstone"],
            postcode="ME14 1XQ",
        )
        world = await make_case(session, school=school, pupil=pupil, carer=carer)
        await session.commit()
    case_id, carer_id = world.case.id, carer.id
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    options = quick_options(concurrency=4, notify_timeout_seconds=1.0, reconcile_delay_seconds=0.2)
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client,
        running_worker(database, fake, options) as worker,
    ):
        # Letters first; Notify fails before and after recording sends, and limits the rate.
        for _ in range(4):
            await invite(client, app, case_id, carer_id, "letter")
        set_faults(
            fake,
            {"kind": "error", "status": 503, "times": 1},
            {"kind": "rate_limit", "times": 1},
            {"kind": "error", "status": 500, "stage": "after", "times": 1},
            {"kind": "drop", "stage": "after", "times": 1},
        )
        await worker.send_due()
        # Texts and emails join; one answer is slower than the worker waits, one is a 502.
        for channel in ("sms", "sms", "email", "email", "sms"):
            await invite(client, app, case_id, carer_id, channel)
        set_faults(
            fake,
            {"kind": "slow", "stage": "after", "delay_seconds": 1.5, "times": 1},
            {"kind": "error", "status": 502, "times": 1},
        )
        await worker.send_due()
        # Notify unreachable for a pass: every due send is refused a connection.
        await invite(client, app, case_id, carer_id, "letter")
        async with running_worker(
            database, Unreachable(f"http://127.0.0.1:{free_port()}"), options
        ) as cut_off:
            await cut_off.send_due()
            assert cut_off.stats.claimed >= 1
            assert (cut_off.stats.retried, cut_off.stats.accepted) == (cut_off.stats.claimed, 0)
        # Notify healthy again: the outbox drains.
        set_faults(fake)
        await settle(worker, database)

    messages = await load_messages(database)
    assert len(messages) == 10
    counts = await status_counts(database)
    assert not counts[MessageStatus.QUEUED] and not counts[MessageStatus.SENDING], counts
    book = ledger(fake)
    assert book["duplicate_references"] == []
    failed = {m.id: m for m in messages.values() if m.status in FAILED}
    sent = {m.id: m for m in messages.values() if m.id not in failed}
    # Sent exactly once: the emails, whose template is gone, failed for good with the reason.
    assert {m.channel.value for m in failed.values()} == {"email"}
    assert len(failed) == 2
    for message in failed.values():
        assert message.last_error, message.status
        assert message.notify_id is None
    assert book["accepted_by_reference"] == {m.reference: 1 for m in sent.values()}
    by_reference = {n["reference"]: n["id"] for n in book["notifications"]}
    for message in sent.values():
        assert str(message.notify_id) == by_reference[message.reference]
    # Every fault met a send.
    assert book["faults_applied"] == {
        "error:before": 2,
        "rate_limit:before": 1,
        "error:after": 1,
        "drop:after": 1,
        "slow:after": 1,
    }

    async with database.sessions() as session:
        queued = (
            await session.scalars(
                select(CaseEvent.details).where(
                    CaseEvent.case_id == case_id, CaseEvent.kind == CaseEventKind.LETTER_QUEUED
                )
            )
        ).all()
        assert sorted(d["message_id"] for d in queued) == sorted(str(i) for i in messages)
        assert (await verify_chain(session)).ok
