"""ASGI middleware: private response headers, request id, access log, metrics and the request
body limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PRIVATE_RESPONSE_HEADERS, PROBLEM_MEDIA_TYPE, PayloadTooLarge
from app.log import get_logger
from app.metrics import Metrics
from app.routers.route import body_limit_setting_of

REQUEST_ID_HEADER = "x-request-id"
#: Ids of the policy decisions behind a response, so a support desk can find them in the audit.
DECISION_HEADER = b"kpas-decision-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = get_logger("kpas.http")
#: The standard library logger behind ``log``: asked first, so a request whose access line
#: would be dropped does not pay for building it (structlog runs its processors first).
_access_log = logging.getLogger("kpas.http")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                decoded: str = value.decode("latin-1")
            except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes any byte
                return None
            return decoded
    return None


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


def _replacing(headers: dict[str, str]) -> tuple[frozenset[bytes], list[tuple[bytes, bytes]]]:
    """The header names a response loses, and the headers it gains in their place."""
    raw = [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]
    return frozenset(name for name, _ in raw), raw


_PRIVATE = _replacing(PRIVATE_RESPONSE_HEADERS)
_NOSNIFF = _replacing(
    {"X-Content-Type-Options": PRIVATE_RESPONSE_HEADERS["X-Content-Type-Options"]}
)
PRIVATE_PREFIX = "/v1"


def is_private_path(path: str) -> bool:
    """Responses to these paths may carry personal data: the whole API."""
    return path == PRIVATE_PREFIX or path.startswith(PRIVATE_PREFIX + "/")


class PrivateResponseMiddleware:
    """``Cache-Control: no-store`` and ``X-Content-Type-Options: nosniff`` on every response
    under ``/v1`` and every error response, replacing whatever a route set; ``nosniff`` on
    every other response, whose caching (the JWKS, the docs' assets) stays the route's choice.

    One rule for the whole app, so a new route cannot forget it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        private_path = is_private_path(scope["path"])

        async def send_private(message: Message) -> None:
            if message["type"] == "http.response.start":
                private = private_path or message["status"] >= 400
                names, added = _PRIVATE if private else _NOSNIFF
                headers = [h for h in message.get("headers", []) if h[0].lower() not in names]
                message = {**message, "headers": headers + added}
            await send(message)

        await self.app(scope, receive, send_private)


class RequestContextMiddleware:
    """Accept or generate ``X-Request-ID``, echo it, bind it into every log line.

    Logs one line per request with the route template (never the raw path or query string),
    and records the request in the metrics.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        offered = _header(scope, REQUEST_ID_HEADER.encode())
        request_id = offered if offered and _VALID_REQUEST_ID.match(offered) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                decisions = scope.get("state", {}).get("decision_ids")
                if decisions:
                    headers.append((DECISION_HEADER, ", ".join(decisions).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            self.metrics.observe(scope["method"], route, status, elapsed)
            if _access_log.isEnabledFor(logging.INFO):
                log.info(
                    "request",
                    method=scope["method"],
                    route=route,
                    status=status,
                    duration_ms=round(elapsed * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()


class BodyLimitMiddleware:
    """Refuse bodies over the limit with 413, by ``Content-Length`` or while streaming.

    ``limits`` maps a path prefix to a larger allowance for routes that take bulk uploads.
    An upload route can instead declare its own allowance in its ``openapi_extra``
    (``x-kpas-body-limit-setting``: the ``Settings`` field with its file limit): its bodies
    may be that much over the default limit, and the route holds its file to the exact limit
    while reading it. The matched route is known only once the body is first read, so before
    routing a body is measured against the largest allowance any route declares.
    """

    def __init__(
        self, app: ASGIApp, default_limit: int, limits: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.default_limit = default_limit
        self.limits = sorted((limits or {}).items(), key=lambda kv: -len(kv[0]))
        self._largest_allowance: int | None = None

    def limit_for(self, path: str, route: Any = None, settings: Any = None) -> int:
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        return self.default_limit + _allowance(route, settings)

    def _ceiling(self, path: str, app: Any, settings: Any) -> int:
        """The most any route at ``path`` could accept (before routing has picked one)."""
        for prefix, limit in self.limits:
            if path.startswith(prefix):
                return limit
        if self._largest_allowance is None:
            routes = _all_routes(getattr(app, "routes", ()))
            self._largest_allowance = max((_allowance(r, settings) for r in routes), default=0)
        return self.default_limit + self._largest_allowance

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        app = scope.get("app")
        settings = getattr(getattr(app, "state", None), "settings", None)
        ceiling = self._ceiling(scope["path"], app, settings)
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_problem(send, scope, 400, "invalid-request", "Bad Content-Length.")
                return
            if int(declared) > ceiling:
                await _send_problem(
                    send,
                    scope,
                    413,
                    PayloadTooLarge.slug,
                    f"The request body exceeds the limit of {ceiling} bytes.",
                )
                return
        received = 0
        limit: int | None = None

        async def counting_receive() -> Message:
            nonlocal received, limit
            if limit is None:  # first read: routing has picked the route by now
                limit = self.limit_for(scope["path"], scope.get("route"), settings)
                if declared is not None and int(declared) > limit:
                    raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
            return message

        await self.app(scope, counting_receive, send)


def _allowance(route: Any, settings: Any) -> int:
    """A route's declared allowance over the default body limit (0 if none)."""
    setting = body_limit_setting_of(route) if route is not None else None
    if setting is None or settings is None:
        return 0
    return int(getattr(settings, setting))


def _all_routes(routes: Any) -> list[Any]:
    """Every route of an application, through included routers and mounts."""
    found: list[Any] = []
    for route in routes:
        nested = getattr(getattr(route, "original_router", None), "routes", None)
        if nested is None and not hasattr(route, "endpoint"):
            nested = getattr(route, "routes", None)
        if nested is None:
            found.append(route)
        else:
            found.extend(_all_routes(nested))
    return found


async def _send_problem(send: Send, scope: Scope, status: int, slug: str, detail: str) -> None:
    from app.errors import BY_STATUS, PROBLEM_BASE

    cls = BY_STATUS[status]
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + slug,
        "title": cls.title,
        "status": status,
        "detail": detail,
        "instance": scope["path"],
    }
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
