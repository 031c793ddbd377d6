"""``kpas token`` (development tokens) and ``kpas keys rotate``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.auth.identity import Identity
from app.auth.principal import Role
from app.settings import PROJECT_ROOT
from tests.conftest import PRODUCTION_NOTIFY, make_settings
from tests.live import kpas, service_env


def _env(keys: Path, **extra: str) -> dict[str, str]:
    return service_env("sqlite+aiosqlite:///unused.db", KPAS_SIGNING_KEYS_DIR=str(keys), **extra)


async def test_token_prints_a_token_that_verifies(tmp_path: Path) -> None:
    result = kpas(
        "token",
        "--role", "attendance_officer",
        "--role", "attendance_manager",
        "--sub", "officer-7",
        "--area-team", "east",
        "--area-team", "south",
        "--school-urn", "118800",
        "--ttl", "120",
        env=_env(tmp_path),
    )  # fmt: skip
    token = result.stdout.strip()
    assert token.count(".") == 2 and "\n" not in token  # stdout is the token and nothing else
    verifier = Identity.from_settings(make_settings(signing_keys_dir=tmp_path)).verifier
    principal = await verifier.verify(token)
    assert principal.subject == "officer-7"
    assert principal.roles == {Role.ATTENDANCE_OFFICER, Role.ATTENDANCE_MANAGER}
    assert principal.area_teams == {"east", "south"}
    assert principal.school_urns == {118800}


async def test_token_for_an_inspector_carries_the_grant(tmp_path: Path) -> None:
    result = kpas(
        "token", "--role", "inspector", "--sub", "hmi-1",
        "--inspection-grant", "ofsted-2026-11",
        "--inspection-start", "2026-11-30T08:00:00+00:00",
        "--inspection-end", "2026-12-02T17:00:00+00:00",
        env=_env(tmp_path),
    )  # fmt: skip
    verifier = Identity.from_settings(make_settings(signing_keys_dir=tmp_path)).verifier
    principal = await verifier.verify(result.stdout.strip())
    assert principal.inspection is not None
    assert principal.inspection.grant_id == "ofsted-2026-11"


def test_token_is_refused_in_production(tmp_path: Path) -> None:
    env = _env(
        tmp_path,
        KPAS_ENV="production",
        KPAS_DATABASE_URL="postgresql://kpas@db.example/kpas",
        **{
            f"KPAS_{k.upper()}": v if isinstance(v, str) else json.dumps(v, default=str)
            for k, v in PRODUCTION_NOTIFY.items()
        },
    )
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "token", "--role", "admin", "--sub", "x"],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    assert "refused" in result.stderr and "production" in result.stderr
    assert list(tmp_path.iterdir()) == []  # no key was generated either


def test_keys_rotate_adds_a_production_key(tmp_path: Path) -> None:
    first = kpas("keys", "rotate", env=_env(tmp_path))
    assert "new signing key" in first.stdout
    (key,) = tmp_path.iterdir()
    assert key.name.startswith("kpas-")
