"""Settings as an operator meets them: one clear line per bad setting, never a traceback, and
a data directory the key directories default into."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

import app.log
from app.log import configure_logging, get_logger, name_process
from app.settings import Settings, describe_settings_errors
from tests.conftest import make_settings
from tests.live import service_env
from tests.operations_support import run_kpas

KEY_DIRECTORIES = ("KPAS_DATA_DIR", "KPAS_SIGNING_KEYS_DIR", "KPAS_DOCUMENT_KEYS_DIR")


@pytest.fixture
def no_key_directories(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in KEY_DIRECTORIES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.usefixtures("no_key_directories")
class TestDataDirectory:
    def test_development_keeps_keys_under_var_in_the_working_directory(self) -> None:
        settings = Settings()
        assert settings.data_dir == Path("var")
        assert settings.signing_keys_dir == Path("var") / "keys"
        assert settings.document_keys_dir == Path("var") / "document-keys"

    def test_key_directories_follow_the_data_directory(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("KPAS_DATA_DIR", "/var/lib/kpas")
        settings = Settings()
        assert settings.signing_keys_dir == Path("/var/lib/kpas/keys")
        assert settings.document_keys_dir == Path("/var/lib/kpas/document-keys")

    def test_a_key_directory_set_on_its_own_wins(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KPAS_DATA_DIR", "/var/lib/kpas")
        monkeypatch.setenv("KPAS_DOCUMENT_KEYS_DIR", "/run/secrets/document-keys")
        settings = Settings()
        assert settings.signing_keys_dir == Path("/var/lib/kpas/keys")
        assert settings.document_keys_dir == Path("/run/secrets/document-keys")


class TestDescribingErrors:
    def test_one_line_per_bad_setting_naming_its_variable(self) -> None:
        with pytest.raises(ValidationError) as raised:
            Settings(port=0, log_level="LOUD", notify_templates={"a.letter": "nope"})  # type: ignore[arg-type]
        lines = describe_settings_errors(raised.value)
        assert lines[:2] == [
            "KPAS_LOG_LEVEL: input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'",
            "KPAS_PORT: input should be greater than or equal to 1",
        ]
        assert lines[2].startswith("KPAS_NOTIFY_TEMPLATES[a.letter]: input should be a valid UUID")
        assert len(lines) == 3

    def test_unsafe_production_settings_are_one_line_each(self) -> None:
        with pytest.raises(ValidationError) as raised:
            Settings(env="production", debug=True)  # type: ignore[arg-type]
        lines = describe_settings_errors(raised.value)
        assert [line.split()[0] for line in lines] == [
            "KPAS_DEBUG",
            "KPAS_DATABASE_URL",
            "KPAS_NOTIFY_API_KEY",
            "KPAS_NOTIFY_CALLBACK_TOKEN",
            "KPAS_NOTIFY_TEMPLATES",
            "KPAS_NOTIFY_BASE_URL",
        ]
        assert all(line.endswith("(KPAS_ENV is production)") for line in lines)


def test_production_refuses_an_empty_notify_key() -> None:
    # compose.env.example leaves the key empty for the operator to fill in.
    with pytest.raises(ValidationError, match="KPAS_NOTIFY_API_KEY"):
        Settings(
            env="production",  # type: ignore[arg-type]
            database_url="postgresql://kpas@db/kpas",
            notify_api_key=" ",  # type: ignore[arg-type]
            notify_callback_token="x" * 40,  # type: ignore[arg-type]
        )


class TestTheCommandLine:
    def test_a_bad_port_is_one_clear_line_and_exit_status_2(self, tmp_path: Path) -> None:
        env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}", KPAS_PORT="eighty")
        result = run_kpas("migrate", env=env)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            "kpas: the settings are not valid:",
            "  KPAS_PORT: input should be a valid integer, unable to parse string as an integer",
        ]

    def test_unsafe_production_settings_are_named_not_traced(self, tmp_path: Path) -> None:
        env = service_env(
            f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}",
            KPAS_ENV="production",
            KPAS_DEBUG="true",
            KPAS_NOTIFY_CALLBACK_TOKEN="short-secret-value",
        )
        result = run_kpas("serve", env=env)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr
        lines = result.stderr.splitlines()
        assert lines[0] == "kpas: the settings are not valid:"
        assert [line.split()[0] for line in lines[1:]] == [
            "KPAS_DEBUG",
            "KPAS_DATABASE_URL",
            "KPAS_NOTIFY_API_KEY",
            "KPAS_NOTIFY_CALLBACK_TOKEN",
            "KPAS_NOTIFY_TEMPLATES",
            "KPAS_NOTIFY_BASE_URL",
        ]
        assert "short-secret-value" not in result.stderr  # values are never echoed

    def test_a_structured_value_that_is_not_json(self, tmp_path: Path) -> None:
        env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}", KPAS_NOTIFY_TEMPLATES="{")
        result = run_kpas("worker", "--once", env=env)
        assert result.returncode == 2
        assert result.stderr.splitlines()[1:] == ["  KPAS_NOTIFY_TEMPLATES: is not valid JSON"]

    def test_help_needs_no_valid_settings(self, tmp_path: Path) -> None:
        env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}", KPAS_PORT="eighty")
        result = run_kpas("document-keys", "--help", env=env)
        assert result.returncode == 0
        assert "rewrap" in result.stdout


def test_every_log_line_names_its_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.log, "_process", {})
    # Logging goes to the captured stream only for this test; later tests get the handlers back.
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))
    configure_logging(make_settings(log_format="json"))
    name_process("worker")
    get_logger("kpas.test").info("outbox_worker_started", worker_id="w-1")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (line["event"], line["process"], line["worker_id"]) == (
        "outbox_worker_started",
        "worker",
        "w-1",
    )
