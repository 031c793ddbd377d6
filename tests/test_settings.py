"""Settings refuse unsafe production values, and every setting is documented."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from app.settings import PROJECT_ROOT, Settings
from tests.conftest import PRODUCTION_NOTIFY

PG = "postgresql+asyncpg://kpas@db.internal/kpas"
#: What production needs besides a database: the service's own Notify key, receipt token and
#: a template for every message type and channel.
NOTIFY = {
    "notify_base_url": PRODUCTION_NOTIFY["notify_base_url"],
    "notify_api_key": (
        "kpas_live-26785a09-ab16-4eb0-8407-a37497a57506-3d1ce039-5476-414c-99b2-fac1e6add62c"
    ),
    "notify_callback_token": "x" * 40,
    "notify_templates": PRODUCTION_NOTIFY["notify_templates"],
}


def test_production_refuses_sqlite() -> None:
    with pytest.raises(ValidationError, match="KPAS_DATABASE_URL"):
        Settings(env="production")


def test_production_refuses_debug_and_query_echo() -> None:
    with pytest.raises(ValidationError, match="KPAS_DEBUG") as raised:
        Settings(env="production", debug=True, database_echo=True, database_url=PG)
    assert "KPAS_DATABASE_ECHO" in str(raised.value)


def test_production_accepts_safe_settings() -> None:
    settings = Settings(env="production", database_url=PG, **NOTIFY)
    assert settings.json_logs


def test_production_refuses_the_demo_notify_key_and_a_weak_receipt_token() -> None:
    with pytest.raises(ValidationError, match="KPAS_NOTIFY_API_KEY") as raised:
        Settings(env="production", database_url=PG)
    assert "KPAS_NOTIFY_CALLBACK_TOKEN" in str(raised.value)
    with pytest.raises(ValidationError, match="KPAS_NOTIFY_CALLBACK_TOKEN"):
        Settings(env="production", database_url=PG, **{**NOTIFY, "notify_callback_token": "short"})


def test_production_refuses_notify_over_plain_http() -> None:
    # The default is the local fake; a real deployment's tokens for Notify must not go in clear.
    for url in ("http://127.0.0.1:8025", "http://api.notifications.service.gov.uk"):
        with pytest.raises(ValidationError, match="KPAS_NOTIFY_BASE_URL"):
            Settings(env="production", database_url=PG, **{**NOTIFY, "notify_base_url": url})


def test_environment_variables_are_read_with_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KPAS_MAX_BODY_BYTES", "2048")
    assert Settings().max_body_bytes == 2048


def test_configuration_guide_documents_every_setting() -> None:
    guide = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    documented = set(re.findall(r"`(KPAS_[A-Z0-9_]+)`", guide))
    declared = {f"KPAS_{name.upper()}" for name in Settings.model_fields}
    assert declared <= documented, f"undocumented: {sorted(declared - documented)}"
