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
    machine). ``/healthz`` answers without a database, ``/readyz`` only with one.

    Its log goes to ``log_path`` (a pipe nobody reads would fill and stall the server).
    """
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + start_within
            while True:
                try:
                    if httpx.get(f"{base}{ready_path}", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.1)
            yield base, process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def live_server(env: dict[str, str], log_path: Path, *, start_within: float = 30) -> Iterator[str]:
    """``running_server``'s base URL alone, once ``/readyz`` answers."""
    with running_server(env, log_path, start_within=start_within) as (base, _):
        yield base
