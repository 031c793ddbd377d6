"""Starting the service locally as ``make run`` does (``kpas run-local``), and ``kpas serve`` and
``kpas fake-notify`` on their own: a taken port is one clear line before anything starts, the
operator is told where to go once the API answers, and no process is left behind."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.settings import PROJECT_ROOT
from tests.live import free_port, kpas, service_env
from tests.operations_support import held_port, port_is_free, run_kpas

BANNER = "KPAS is serving at"


def local_env(tmp_path: Path, api_port: int, notify_port: int, **extra: str) -> dict[str, str]:
    return service_env(
        f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}",
        KPAS_PORT=str(api_port),
        KPAS_NOTIFY_BASE_URL=f"http://127.0.0.1:{notify_port}",
        **extra,
    )


def broken_document_keys(tmp_path: Path) -> str:
    directory = tmp_path / "document-keys"
    directory.mkdir()
    (directory / "kek-broken.key").write_text("not a key\n")
    return str(directory)


class TestServe:
    def test_a_taken_port_is_one_line_and_exit_status_1(self, tmp_path: Path) -> None:
        env = service_env(f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}")
        with held_port() as port:
            result = run_kpas("serve", "--port", str(port), env=env)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"kpas serve: port {port} on 127.0.0.1 is already in use (--port): "
            "stop what is using it or choose another port"
        ]

    def test_unusable_keys_are_one_line_not_a_traceback(self, tmp_path: Path) -> None:
        env = service_env(
            f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}",
            KPAS_DOCUMENT_KEYS_DIR=broken_document_keys(tmp_path),
        )
        result = run_kpas("serve", "--port", str(free_port()), env=env)
        assert result.returncode == 2
        assert result.stderr.splitlines()[-1] == (
            "kpas serve: refused to start: kek-broken.key is not a base64-encoded key"
        )
        assert "Traceback" not in result.stderr


def test_fake_notify_refuses_a_taken_port_in_one_line(tmp_path: Path) -> None:
    with held_port() as port:
        result = run_kpas("fake-notify", env=local_env(tmp_path, free_port(), port))
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"kpas fake-notify: port {port} on 127.0.0.1 is already in use (the port of "
        "KPAS_NOTIFY_BASE_URL): stop what is using it or choose another port (the service "
        "finds the fake Notify at KPAS_NOTIFY_BASE_URL)"
    ]


class TestRunLocal:
    def test_a_taken_api_port_starts_nothing(self, tmp_path: Path) -> None:
        notify_port = free_port()
        with held_port() as api_port:
            result = run_kpas("run-local", env=local_env(tmp_path, api_port, notify_port))
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"kpas run-local: port {api_port} on 127.0.0.1 is already in use "
            "(the API, KPAS_PORT); nothing was started"
        ]
        assert port_is_free(notify_port)

    def test_a_taken_fake_notify_port_starts_nothing(self, tmp_path: Path) -> None:
        api_port = free_port()
        with held_port() as notify_port:
            result = run_kpas("run-local", env=local_env(tmp_path, api_port, notify_port))
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"kpas run-local: port {notify_port} on 127.0.0.1 is already in use (the fake "
            "GOV.UK Notify, the port of KPAS_NOTIFY_BASE_URL); nothing was started"
        ]
        assert port_is_free(api_port)

    def test_says_where_to_go_once_serving_and_stops_all_three(self, tmp_path: Path) -> None:
        api_port, notify_port = free_port(), free_port()
        env = local_env(tmp_path, api_port, notify_port)
        kpas("migrate", env=env)
        out, err = tmp_path / "stdout", tmp_path / "stderr"
        with out.open("w") as stdout, err.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "run-local"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=stdout,
                stderr=stderr,
            )
            try:
                deadline = time.monotonic() + 60
                while BANNER not in out.read_text():
                    assert process.poll() is None, err.read_text()[-2000:]
                    assert time.monotonic() < deadline, err.read_text()[-2000:]
                    time.sleep(0.2)
                base = f"http://127.0.0.1:{api_port}"
                banner = out.read_text()
                assert f"{base}/docs" in banner
                assert "kpas token --role attendance_officer --sub officer-1" in banner
                assert "not ready" not in banner
                assert httpx.get(f"{base}/docs", timeout=5).status_code == 200
                # The fake Notify answers too (its API needs a key; any answer will do).
                assert httpx.get(f"http://127.0.0.1:{notify_port}/", timeout=5).status_code
            finally:
                process.send_signal(signal.SIGTERM)
                code = process.wait(timeout=30)
        assert code == 0, err.read_text()[-2000:]
        assert port_is_free(api_port) and port_is_free(notify_port)
        lines = [json.loads(line) for line in err.read_text().splitlines() if line.startswith("{")]
        assert {line.get("process") for line in lines} == {"api", "worker", "fake-notify"}

    def test_when_one_process_stops_the_others_are_stopped(self, tmp_path: Path) -> None:
        api_port, notify_port = free_port(), free_port()
        env = local_env(
            tmp_path,
            api_port,
            notify_port,
            KPAS_DOCUMENT_KEYS_DIR=broken_document_keys(tmp_path),
        )
        kpas("migrate", env=env)
        result = run_kpas("run-local", env=env, timeout=90)
        assert result.returncode == 2
        assert "kpas run-local: the api process stopped (exit 2); stopping the others" in (
            result.stderr
        )
        assert BANNER not in result.stdout
        assert port_is_free(api_port) and port_is_free(notify_port)
