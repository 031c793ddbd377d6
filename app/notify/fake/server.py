"""Serving the fake Notify on loopback: in the foreground (``kpas fake-notify``) or in a
background thread (tests, and a development server that wants it in-process)."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from types import TracebackType
from typing import Self

import uvicorn

from app.notify.fake.app import FakeNotifyApp
from app.notify.fake.config import FakeNotifyConfig

__all__ = ["FakeNotifyServer", "NotLoopback", "serve_fake_notify"]


class NotLoopback(ValueError):
    """The fake Notify only listens on a loopback address."""


def _require_loopback(host: str) -> None:
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise NotLoopback(f"the fake Notify listens on loopback only, not {host}")


def _uvicorn_config(app: FakeNotifyApp, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http="h11",  # the drop fault reaches the connection through uvicorn's h11 request cycle
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        date_header=True,
    )


def serve_fake_notify(host: str, port: int, *, config: FakeNotifyConfig) -> None:
    """Run the fake Notify in the foreground until interrupted. Loopback addresses only."""
    _require_loopback(host)
    uvicorn.Server(_uvicorn_config(FakeNotifyApp(config), host, port)).run()


class FakeNotifyServer:
    """The fake Notify in a background thread with its own event loop::

        with FakeNotifyServer(FakeNotifyConfig.for_keys(api_key)) as fake:
            client = NotifyClient(fake.url, api_key)

    ``port=0`` picks a free port; ``url`` is known once ``start()`` returns.
    """

    def __init__(self, config: FakeNotifyConfig, *, host: str = "127.0.0.1", port: int = 0) -> None:
        _require_loopback(host)
        self.app = FakeNotifyApp(config)
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self, timeout: float = 10.0) -> Self:
        family = socket.AF_INET6 if ":" in self._host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        port = sock.getsockname()[1]
        server = uvicorn.Server(_uvicorn_config(self.app, self._host, port))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="fake-notify", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise RuntimeError("the fake Notify did not start")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        shown_host = f"[{self._host}]" if ":" in self._host else self._host
        self.url = f"http://{shown_host}:{port}"
        return self

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
