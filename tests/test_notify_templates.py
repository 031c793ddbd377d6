"""The Notify templates a deployment maps its message types to: production refuses to start
without one for every type and channel, ``kpas notify check-templates`` compares each with
Notify's copy, and ``/readyz`` does so once per start."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest

from app.cli import fake_notify_templates, main
from app.messages.template_check import TemplateCheckCache, check_templates, missing_mappings
from app.messages.templates import MESSAGE_TYPES, default_template_id
from app.models.messages import Channel
from app.notify.client import NotifyClient
from app.notify.fake import FakeNotifyServer, FakeTemplate
from app.notify.fake.kpas_templates import KPAS_TEMPLATES
from app.settings import Environment, get_settings
from tests.conftest import make_settings
from tests.notify_support import NOTIFY_KEY, fake_config

EVERY_TEMPLATE = {
    f"{spec.code}.{channel.value}": default_template_id(spec.code, channel)
    for spec in MESSAGE_TYPES.values()
    for channel in spec.channels
}
UNKNOWN = uuid.UUID("0b7c2e0e-59a4-4d59-9a39-5d1b3f1b7a10")


def drifted() -> tuple[FakeTemplate, ...]:
    """The declared templates with the mistakes a Notify service's editors can make."""
    concern_sms = str(default_template_id("attendance_concern", Channel.SMS))
    meeting_email = str(default_template_id("meeting_invitation", Channel.EMAIL))
    out = []
    for template in fake_notify_templates():
        if template.id == concern_sms:
            # An editor dropped one placeholder and added one KPAS never sends.
            template = dataclasses.replace(
                template,
                body="Please call ((contact_number)) about ((pupil_first_name)), ((nickname)).",
            )
        if template.id == meeting_email:
            template = FakeTemplate(id=template.id, name=template.name, type="sms", body="Hi")
        out.append(template)
    return tuple(out)


@pytest.fixture
def notify_with(request: pytest.FixtureRequest) -> Iterator[FakeNotifyServer]:
    server = FakeNotifyServer(fake_config(templates=request.param)).start()
    yield server
    server.stop()


def client(fake: FakeNotifyServer) -> NotifyClient:
    return NotifyClient(fake.url, NOTIFY_KEY.formatted())


def test_the_declared_templates_are_data_for_every_type_and_channel() -> None:
    declared = {uuid.UUID(t.id) for t in KPAS_TEMPLATES}
    assert declared == set(EVERY_TEMPLATE.values())
    assert all(t.body and "((" in t.body for t in KPAS_TEMPLATES)


@pytest.mark.parametrize("notify_with", [fake_notify_templates()], indirect=True)
async def test_the_fakes_templates_match_the_registry(notify_with: FakeNotifyServer) -> None:
    async with client(notify_with) as notify:
        assert await check_templates(notify, EVERY_TEMPLATE) == []


@pytest.mark.parametrize("notify_with", [drifted()], indirect=True)
async def test_every_mismatch_is_reported(notify_with: FakeNotifyServer) -> None:
    mapping = {**EVERY_TEMPLATE, "sar_acknowledgement.email": UNKNOWN}
    del mapping["licence_decision.letter"]
    async with client(notify_with) as notify:
        problems = {(p.key, p.problem) for p in await check_templates(notify, mapping)}
    assert problems == {
        ("licence_decision.letter", "no template mapped in KPAS_NOTIFY_TEMPLATES"),
        ("sar_acknowledgement.email", "Notify has no such template"),
        ("meeting_invitation.email", "a sms template, but the message goes by email"),
        (
            "attendance_concern.sms",
            "the template uses ((nickname)), which attendance_concern never sends: Notify "
            "would refuse every message",
        ),
        ("attendance_concern.sms", "the template does not use ((school_name)), which we send"),
    }


def test_production_refuses_to_start_without_every_template() -> None:
    settings = make_settings(env=Environment.PRODUCTION, database_url="postgresql://db/kpas")
    assert missing_mappings(settings.notify_templates) == []
    partial = dict(settings.notify_templates)
    del partial["penalty_notice_letter.letter"]
    del partial["attendance_concern.sms"]
    with pytest.raises(ValueError, match="KPAS_NOTIFY_TEMPLATES") as refused:
        make_settings(
            env=Environment.PRODUCTION,
            database_url="postgresql://db/kpas",
            notify_templates=partial,
        )
    assert "attendance_concern.sms" in str(refused.value)
    assert "penalty_notice_letter.letter" in str(refused.value)
    # Outside production the demo templates stand in.
    assert make_settings(notify_templates={}).notify_templates == {}


@pytest.mark.parametrize("notify_with", [drifted()], indirect=True)
def test_the_command_lists_every_mismatch(
    notify_with: FakeNotifyServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("KPAS_NOTIFY_BASE_URL", notify_with.url)
    monkeypatch.setenv("KPAS_NOTIFY_API_KEY", NOTIFY_KEY.formatted())
    monkeypatch.setenv(
        "KPAS_NOTIFY_TEMPLATES",
        "{" + ", ".join(f'"{k}": "{v}"' for k, v in EVERY_TEMPLATE.items()) + "}",
    )
    get_settings.cache_clear()
    try:
        assert main(["notify", "check-templates"]) == 1
    finally:
        get_settings.cache_clear()
    out = capsys.readouterr().out
    assert "attendance_concern.sms" in out and "((nickname))" in out
    assert "meeting_invitation.email" in out
    assert "3 mismatch(es)" in out


@pytest.mark.parametrize("notify_with", [drifted()], indirect=True)
async def test_readiness_checks_once_per_start(notify_with: FakeNotifyServer) -> None:
    cache = TemplateCheckCache()
    key = NOTIFY_KEY.formatted()
    assert await cache.check(notify_with.url, key, {}) is None  # nothing mapped: not checked
    first = await cache.check(notify_with.url, key, EVERY_TEMPLATE)
    assert first and {p.key for p in first} == {
        "attendance_concern.sms",
        "meeting_invitation.email",
    }
    notify_with.stop()  # the answer is kept: Notify is not asked again
    assert await cache.check(notify_with.url, key, EVERY_TEMPLATE) == first
    unreachable = TemplateCheckCache()
    assert await unreachable.check(notify_with.url, key, EVERY_TEMPLATE) is None
