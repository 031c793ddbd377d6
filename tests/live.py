"""Run the real service as a subprocess on loopback, for tests that need a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from app.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    from tests.conftest import TEST_KEYS_DIR

    env.update(
        {
            "KPAS_DATABASE_URL": database_url,
            "KPAS_ENV": "test",
            "KPAS_SIGNING_KEYS_DIR": str(TEST_KEYS_DIR),
            "KPAS_DOCUMENT_KEYS_DIR": str(TEST_KEYS_DIR / "documents"),
            # The contract run asks for tokens far faster than any client should.
            "KPAS_TOKEN_REQUESTS_PER_MINUTE_PER_CLIENT": "100000",
            "KPAS_TOKEN_REQUESTS_PER_MINUTE_PER_ADDRESS": "100000",
            # ...and submits public forms far faster than any person could.
            "KPAS_PUBLIC_INTAKE_REQUESTS_PER_ADDRESS": "1000000",
            **extra,
        }
    )
    return env


def kpas(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "app.cli", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


def wait_until_answering(
    url: str,
    process: subprocess.Popen[Any],
    *,
    within: float = 30,
    log_path: Path | None = None,
) -> None:
    """Return once ``url`` answers 200; raise if ``process`` ends first or ``within``
    seconds pass (with the end of its log, where there is one)."""
    deadline = time.monotonic() + within
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = log_path.read_text()[-2000:] if log_path else ""
            raise RuntimeError(f"{url} did not answer: {log}")
        time.sleep(0.05)


@contextmanager
def running_process(
    argv: list[str], env: dict[str, str], log_path: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """``kpas <argv>`` as a subprocess logging to ``log_path`` (a pipe nobody reads would
    fill and stall it); stopped (SIGTERM, then SIGKILL after 15 s) on leaving."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [sys.executable, "-m", "app.cli", *argv],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def running_server(
    env: dict[str, str],
    log_path: Path,
    *,
    ready_path: str = "/readyz",
    start_within: float = 30,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``kpas serve`` and yield its base URL and process once ``ready_path`` answers
    200 (within ``start_within`` seconds: more where several processes start on a busy
    machine). ``/healthz`` answers without a database, ``/readyz`` only with one."""
    port = free_port()
    with running_process(["serve", "--port", str(port)], env, log_path) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until_answering(f"{base}{ready_path}", process, within=start_within, log_path=log_path)
        yield base, process


@contextmanager
def live_server(env: dict[str, str], log_path: Path, *, start_within: float = 30) -> Iterator[str]:
    """``running_server``'s base URL alone, once ``/readyz`` answers."""
    with running_server(env, log_path, start_within=start_within) as (base, _):
        yield base
