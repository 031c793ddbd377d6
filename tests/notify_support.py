"""Running the fake Notify on loopback for tests, and a receiver for its delivery receipts.

``fresh_fake()`` is a shared fake with default settings, reset; ``running_fakes()`` gives a
``start(**options)`` that starts fakes accepting ``NOTIFY_KEY`` (and
``OTHER_SERVICE_KEY``) whose statuses settle quickly; ``CallbackSink`` records what a fake POSTs
to its callback URL and can fail on purpose.
"""

from __future__ import annotations

import atexit
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.notify.fake import DEMO_TEMPLATES, FakeNotifyConfig, FakeNotifyServer
from app.notify.keys import ApiKey

NOTIFY_KEY = ApiKey.generate("kpas_test")
OTHER_SERVICE_KEY = ApiKey.generate("other_service")
SMS_TEMPLATE, EMAIL_TEMPLATE, LETTER_TEMPLATE = (t.id for t in DEMO_TEMPLATES)
ADDRESS = {
    "address_line_1": "A Parent",
    "address_line_2": "1 High Street",
    "address_line_3": "Maidstone",
    "address_line_4": "ME14 1XQ",
}
SERVICE_REPLY_TO = "8e222534-7f05-4972-86e3-17c5d9f894e2"
#: A minimal file that starts like a PDF, as Notify's first check wants.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"

StartFake = Callable[..., FakeNotifyServer]


def fake_config(**options: Any) -> FakeNotifyConfig:
    """A fake accepting ``NOTIFY_KEY`` and ``OTHER_SERVICE_KEY``; statuses settle in 50 ms."""
    values: dict[str, Any] = {
        "delivery_delay_seconds": 0.05,
        "callback_retry_seconds": 0.05,
        "random_seed": 7,
        # The service's own reply-to address (a send may name it by id).
        "reply_to_ids": (SERVICE_REPLY_TO,),
        **options,
    }
    return FakeNotifyConfig.for_keys(NOTIFY_KEY, OTHER_SERVICE_KEY, **values)


@contextmanager
def running_fakes() -> Iterator[StartFake]:
    """``start(rate_limit=3, ...)`` starts a fake; every fake started is stopped at the end."""
    running: list[FakeNotifyServer] = []

    def start(**options: Any) -> FakeNotifyServer:
        server = FakeNotifyServer(fake_config(**options)).start()
        running.append(server)
        return server

    try:
        yield start
    finally:
        for server in running:
            server.stop()


#: One client for every control call: a new client builds a TLS context, which is slow.
CONTROLS = httpx.Client(timeout=5)


@cache
def _shared_fake() -> FakeNotifyServer:
    server = FakeNotifyServer(fake_config()).start()
    atexit.register(server.stop)
    return server


def fresh_fake() -> FakeNotifyServer:
    """The run's shared fake (default settings), reset to a clean state: stopping a server
    takes a few tenths of a second, so tests that need no special settings share one."""
    server = _shared_fake()
    control(server, "POST", "reset")
    return server


def control(fake: FakeNotifyServer, method: str, path: str, body: Any = None) -> Any:
    """Call one of the fake's ``/_fake`` controls (from a test, on loopback)."""
    response = CONTROLS.request(method, f"{fake.url}/_fake/{path}", json=body)
    response.raise_for_status()
    return response.json() if response.content else None


def ledger(fake: FakeNotifyServer) -> dict[str, Any]:
    result: dict[str, Any] = control(fake, "GET", "ledger")
    return result


def set_faults(fake: FakeNotifyServer, *rules: dict[str, Any]) -> None:
    control(fake, "POST", "faults", {"rules": list(rules)})


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@dataclass(frozen=True)
class ReceivedCallback:
    authorization: str | None
    body: dict[str, Any]


class CallbackSink:
    """An HTTP server on loopback that records every POST; the first ``fail_first`` get
    ``fail_status`` instead of 204."""

    def __init__(self, *, fail_first: int = 0, fail_status: int = 503) -> None:
        self.received: list[ReceivedCallback] = []
        self.fail_first = fail_first
        self.fail_status = fail_status
        self._lock = threading.Lock()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        body = json.loads(await request.body())
        with self._lock:
            self.received.append(ReceivedCallback(request.headers.get("authorization"), body))
            failing = len(self.received) <= self.fail_first
        await Response(status_code=self.fail_status if failing else 204)(scope, receive, send)

    def bodies(self) -> list[dict[str, Any]]:
        with self._lock:
            return [received.body for received in self.received]

    def __enter__(self) -> CallbackSink:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(self, lifespan="off", log_config=None, access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        wait_until(lambda: self._server is not None and self._server.started)
        self.url = f"http://127.0.0.1:{port}/v1/notify/callbacks"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
