"""The container image and the compose stack, read as files (no container engine is needed):
settings they set exist, the API's port agrees everywhere, migrations run before the API,
keys live in the data volume, and no secret is written into them."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import PROJECT_ROOT, Settings
from tests.live import free_port, kpas, live_server, service_env

SETTINGS = {f"KPAS_{name.upper()}" for name in Settings.model_fields}
KPAS_SERVICES = ("migrate", "api", "worker")
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_TOKEN$|API_KEY")
REFERENCE = re.compile(r"\$\{[A-Z][A-Z0-9_]*(:?[?-][^}]*)?\}")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of the runtime stage, continuation lines joined."""
    text = (PROJECT_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    runtime = text[text.index("AS runtime") :]
    instructions = []
    for line in runtime.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(arguments))
    return env


def dockerfile_healthcheck() -> list[str]:
    [arguments] = [a for k, a in dockerfile_instructions() if k == "HEALTHCHECK"]
    command: list[str] = json.loads(arguments[arguments.index("CMD") + 3 :])
    return command


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / "compose.yaml").read_text())
    return document


def example_env() -> dict[str, str]:
    """Every variable ``compose.env.example`` sets, or shows commented out, and its value."""
    found = {}
    for line in (PROJECT_ROOT / "compose.env.example").read_text().splitlines():
        match = re.fullmatch(r"#?\s*([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in (service.get("environment") or {}).items()}


class TestImage:
    def test_keys_and_data_live_in_a_volume_the_service_user_owns(self) -> None:
        instructions = dockerfile_instructions()
        data_dir = dockerfile_env()["KPAS_DATA_DIR"]
        assert data_dir == "/var/lib/kpas"
        volumes = [json.loads(a) for k, a in instructions if k == "VOLUME"]
        assert volumes == [[data_dir]]
        runs = " ".join(a for k, a in instructions if k == "RUN")
        assert f"chown kpas:kpas {data_dir}" in runs
        # The directory is made and owned before it is declared a volume (a new volume copies
        # its owner), and the service never runs as root.
        keywords = [k for k, _ in instructions]
        assert keywords.index("RUN", keywords.index("COPY")) < keywords.index("VOLUME")
        assert ("USER", "kpas") in instructions

    def test_every_setting_the_image_sets_exists(self) -> None:
        assert {n for n in dockerfile_env() if n.startswith("KPAS_")} <= SETTINGS

    def test_the_health_check_asks_the_configured_port(self) -> None:
        command = dockerfile_healthcheck()
        assert "KPAS_PORT" in " ".join(command)
        assert ":8000" not in " ".join(command)

    def test_the_health_check_passes_on_kpas_port_and_fails_elsewhere(self, tmp_path: Path) -> None:
        env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}")
        kpas("migrate", env=env)
        command = [sys.executable, *dockerfile_healthcheck()[1:]]
        with live_server(env, tmp_path / "server.log") as base:
            port = base.rsplit(":", 1)[1]
            healthy = subprocess.run(  # noqa: S603 - the image's own health check
                command, env={**env, "KPAS_PORT": port}, capture_output=True, timeout=30
            )
            assert healthy.returncode == 0, healthy.stderr
        unhealthy = subprocess.run(  # noqa: S603 - the image's own health check
            command, env={**env, "KPAS_PORT": str(free_port())}, capture_output=True, timeout=30
        )
        assert unhealthy.returncode != 0


class TestCompose:
    def test_every_kpas_variable_is_a_real_setting(self, compose: dict[str, Any]) -> None:
        used = {
            name
            for service in compose["services"].values()
            for name in environment(service)
            if name.startswith("KPAS_")
        }
        used |= {name for name in example_env() if name.startswith("KPAS_")}
        assert used, "no KPAS_ variables found"
        assert used <= SETTINGS, f"not settings: {sorted(used - SETTINGS)}"

    def test_the_api_publishes_the_port_it_listens_on(self, compose: dict[str, Any]) -> None:
        api = compose["services"]["api"]
        port = environment(api).get("KPAS_PORT", dockerfile_env()["KPAS_PORT"])
        published = [str(mapping).rsplit(":", 1)[-1] for mapping in api["ports"]]
        assert published == [port]
        exposed = [a for k, a in dockerfile_instructions() if k == "EXPOSE"]
        assert exposed == [port]

    def test_migrations_run_once_before_the_api_and_the_worker(
        self, compose: dict[str, Any]
    ) -> None:
        services = compose["services"]
        assert services["migrate"]["command"] == ["kpas", "migrate"]
        assert services["migrate"]["restart"] == "no"
        assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
        for name in ("api", "worker"):
            depends = services[name]["depends_on"]
            assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert services["api"]["command"] == ["kpas", "serve"]
        assert services["worker"]["command"] == ["kpas", "worker"]

    def test_the_api_keeps_its_keys_in_the_data_volume(self, compose: dict[str, Any]) -> None:
        data_dir = dockerfile_env()["KPAS_DATA_DIR"]
        volume, _, target = compose["services"]["api"]["volumes"][0].partition(":")
        assert target == data_dir
        assert volume in compose["volumes"]
        assert not {"KPAS_SIGNING_KEYS_DIR", "KPAS_DOCUMENT_KEYS_DIR"} & set(example_env())

    def test_health_checks(self, compose: dict[str, Any]) -> None:
        services = compose["services"]
        assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
        # The API inherits the image's check; the others serve no HTTP and turn it off.
        assert "healthcheck" not in services["api"]
        assert dockerfile_healthcheck()
        for name in ("migrate", "worker"):
            assert services[name]["healthcheck"] == {"disable": True}, name

    def test_settings_come_from_the_operators_env_file(self, compose: dict[str, Any]) -> None:
        for name in KPAS_SERVICES:
            assert compose["services"][name]["env_file"] == ".env", name
            assert environment(compose["services"][name])["KPAS_ENV"] == "production", name

    def test_no_secret_is_written_inline(self, compose: dict[str, Any]) -> None:
        for service_name, service in compose["services"].items():
            for name, value in environment(service).items():
                if SECRET_NAME.search(name):
                    assert REFERENCE.fullmatch(value), f"{service_name}: {name} is inline"
                url = re.match(r"\w+(\+\w+)?://[^:/@]+:([^@]*)@", value)
                if url:
                    assert REFERENCE.fullmatch(url.group(2)), f"{service_name}: {name} password"

    def test_the_example_holds_no_secret_values(self) -> None:
        example = example_env()
        secrets = {name: value for name, value in example.items() if SECRET_NAME.search(name)}
        assert {"POSTGRES_PASSWORD", "KPAS_NOTIFY_API_KEY", "KPAS_NOTIFY_CALLBACK_TOKEN"} <= set(
            secrets
        )
        assert all(value == "" for value in secrets.values()), secrets

    def test_the_operators_env_file_stays_out_of_git_and_the_build(self) -> None:
        for ignore in (".gitignore", ".dockerignore"):
            assert ".env" in (PROJECT_ROOT / ignore).read_text().split(), ignore


def test_the_operations_guide_is_linked_and_names_real_settings() -> None:
    guide = (PROJECT_ROOT / "docs" / "operations.md").read_text()
    assert "docs/operations.md" in (PROJECT_ROOT / "README.md").read_text()
    named = set(re.findall(r"`(KPAS_[A-Z_]+)", guide))
    assert named <= SETTINGS, f"not settings: {sorted(named - SETTINGS)}"
