"""The fake Notify as an ASGI application: Notify's v2 routes, then the ``/_fake`` controls.

It is a plain ASGI callable rather than a FastAPI app because it must be able to close a
connection without answering (the ``drop`` fault), which needs the connection's transport:
uvicorn's ``send`` is a bound method of the request cycle that owns it, and this app is always
the outermost one, so nothing wraps ``send`` in between.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send

from app.log import get_logger
from app.notify.errors import ErrorType
from app.notify.fake.config import FakeNotifyConfig
from app.notify.fake.faults import FaultPlan, FaultRule, Faults
from app.notify.fake.service import FakeNotifyService, Kind, LiveSettings
from app.notify.fake.validation import Refusal

__all__ = ["FakeNotifyApp"]

_log = get_logger("app.notify.fake")

_LOOPBACK = re.compile(r"^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d+\.\d+\.\d+)$")
_UUIDISH = r"[^/]+"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v2/notifications/(sms|email|letter)$"), "send"),
    ("GET", re.compile(r"^/v2/notifications$"), "list_notifications"),
    ("GET", re.compile(rf"^/v2/notifications/({_UUIDISH})$"), "get_notification"),
    ("GET", re.compile(r"^/v2/templates$"), "get_templates"),
    ("GET", re.compile(rf"^/v2/template/({_UUIDISH})$"), "get_template"),
    ("GET", re.compile(rf"^/v2/template/({_UUIDISH})/version/(\d{{1,9}})$"), "get_template"),
]

_INTERNAL_ERROR = Refusal.one(500, ErrorType.EXCEPTION, "Internal server error")
_GATEWAY_PAGES = {
    502: "<html><body><h1>502 Bad Gateway</h1></body></html>",
    503: "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
    504: "<html><body><h1>504 Gateway Time-out</h1></body></html>",
}


class _Drop:
    """Close the connection without an answer."""


DROP = _Drop()
Outcome = Response | _Drop


class LiveSettingsUpdate(BaseModel):
    """The body of ``POST /_fake/config``: the settings to change."""

    model_config = ConfigDict(extra="forbid")

    rate_limit: int | None = Field(default=None, ge=1)
    rate_period_seconds: float | None = Field(default=None, gt=0)
    daily_limit: int | None = Field(default=None, ge=0)
    daily_limits: dict[Literal["sms", "email", "letter"], int] | None = None
    callback_url: str | None = None
    callback_token: str | None = None
    delivery_delay_seconds: float | None = Field(default=None, ge=0)
    callback_attempts: int | None = Field(default=None, ge=1, le=20)
    callback_retry_seconds: float | None = Field(default=None, ge=0)


def _refused(refusal: Refusal) -> JSONResponse:
    return JSONResponse(refusal.body(), status_code=refusal.status)


class FakeNotifyApp:
    """GOV.UK Notify API v2 on loopback, for tests and the offline demo. Never deploy it."""

    def __init__(self, config: FakeNotifyConfig) -> None:
        self.config = config
        self.service = FakeNotifyService(config)
        self.faults = Faults(config.random_seed)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        if request.url.path.startswith("/_fake/"):
            response: Outcome = await self._control(request)
        else:
            response = await self._api(request)
        if isinstance(response, _Drop):
            await self._drop(send)
            return
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.service.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _drop(send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is None:
            raise RuntimeError("the drop fault needs the fake to be served by uvicorn")
        transport.abort()
        # Let the server notice the connection is gone, so it does not answer 500 on it.
        await asyncio.sleep(0.01)

    # Notify's API ----------------------------------------------------------------------------

    async def _api(self, request: Request) -> Outcome:
        route = self._route(request.method, request.url.path)
        if isinstance(route, Response):
            return route
        name, arguments = route
        scope: Literal["send", "read"] = "send" if name == "send" else "read"
        self.service.requests += 1
        fault = self.faults.pick(stage="before", scope=scope)
        if fault is not None and (outcome := await self._fault(fault)) is not None:
            self._log(request, name, outcome, fault)
            return outcome
        try:
            caller = self.service.authenticate(request.headers.get("authorization"))
            base_url = str(request.base_url)
            status = 200
            if name == "send":
                kind = cast(Kind, arguments[0])  # the route allows sms, email or letter only
                payload = self.service.send(caller, kind, await self._json(request), base_url)
                status = 201
            elif name == "list_notifications":
                payload = self.service.list_notifications(
                    caller, request.query_params.multi_items(), base_url
                )
            elif name == "get_notification":
                payload = self.service.get_notification(caller, arguments[0], base_url)
            elif name == "get_templates":
                payload = self.service.get_templates(request.query_params.multi_items())
            else:
                version = int(arguments[1]) if len(arguments) > 1 else None
                payload = self.service.get_template(arguments[0], version)
        except Refusal as refusal:
            answer: Outcome = _refused(refusal)
            self._log(request, name, answer, None)
            return answer
        except Exception:
            _log.exception("fake_notify_error", route=name)
            return _refused(_INTERNAL_ERROR)
        fault = self.faults.pick(stage="after", scope=scope)
        if fault is not None and (outcome := await self._fault(fault)) is not None:
            self._log(request, name, outcome, fault)
            return outcome
        answer = JSONResponse(payload, status_code=status)
        self._log(request, name, answer, fault)
        return answer

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, tuple[str, ...]] | Response:
        allowed: set[str] = set()
        for route_method, pattern, name in _ROUTES:
            match = pattern.match(path)
            if match:
                if route_method == method:
                    return name, match.groups()
                allowed.add(route_method)
        if allowed:
            return JSONResponse(
                {"result": "error", "message": "The method is not allowed for the requested URL."},
                status_code=405,
                headers={"Allow": ", ".join(sorted(allowed))},
            )
        return JSONResponse(
            {"result": "error", "message": "The requested URL was not found on the server."},
            status_code=404,
        )

    @staticmethod
    async def _json(request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except ValueError:
            raise Refusal.one(
                400, ErrorType.BAD_REQUEST, "Invalid JSON supplied in POST data"
            ) from None

    async def _fault(self, rule: FaultRule) -> Outcome | None:
        """The answer a fault gives instead of the real one; None to carry on (after a delay)."""
        if rule.kind == "slow":
            await asyncio.sleep(rule.delay_seconds)
            return None
        if rule.kind == "drop":
            return DROP
        if rule.kind == "rate_limit":
            return _refused(self.service.rate_limit_refusal())
        if rule.status == 500:
            return _refused(_INTERNAL_ERROR)
        return HTMLResponse(_GATEWAY_PAGES[rule.status], status_code=rule.status)

    @staticmethod
    def _log(request: Request, route: str, answer: Outcome, fault: FaultRule | None) -> None:
        _log.debug(
            "fake_notify_request",
            method=request.method,
            route=route,
            status=None if isinstance(answer, _Drop) else answer.status_code,
            fault=f"{fault.kind}:{fault.stage}" if fault else None,
        )

    # The /_fake controls ---------------------------------------------------------------------

    async def _control(self, request: Request) -> Response:
        client = request.client.host if request.client else ""
        if not _LOOPBACK.match(client):
            # Controls are for tests and demos on this machine only.
            return JSONResponse({"result": "error", "message": "Not found"}, status_code=404)
        handlers: dict[tuple[str, str], Callable[[Request], Awaitable[Response]]] = {
            ("GET", "/_fake/health"): self._health,
            ("GET", "/_fake/ledger"): self._ledger,
            ("POST", "/_fake/reset"): self._reset,
            ("GET", "/_fake/faults"): self._get_faults,
            ("POST", "/_fake/faults"): self._set_faults,
            ("DELETE", "/_fake/faults"): self._clear_faults,
            ("GET", "/_fake/config"): self._get_config,
            ("POST", "/_fake/config"): self._set_config,
        }
        handler = handlers.get((request.method, request.url.path))
        if handler is None:
            return JSONResponse({"result": "error", "message": "Not found"}, status_code=404)
        try:
            return await handler(request)
        except ValidationError as exc:
            return JSONResponse(
                {
                    "detail": exc.errors(
                        include_url=False, include_input=False, include_context=False
                    )
                },
                status_code=422,
            )
        except ValueError:
            return JSONResponse({"detail": "the body is not JSON"}, status_code=400)

    async def _health(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _ledger(self, _request: Request) -> Response:
        return JSONResponse(self.service.ledger(self.faults.applied))

    async def _reset(self, _request: Request) -> Response:
        self.service.reset()
        self.service.live = LiveSettings.from_config(self.config)
        self.faults.clear()
        return Response(status_code=204)

    async def _get_faults(self, _request: Request) -> Response:
        return JSONResponse({"rules": self.faults.describe()})

    async def _set_faults(self, request: Request) -> Response:
        plan = FaultPlan.model_validate_json(await request.body())
        self.faults.replace(plan.rules)
        return JSONResponse({"rules": self.faults.describe()})

    async def _clear_faults(self, _request: Request) -> Response:
        self.faults.replace([])
        return Response(status_code=204)

    async def _get_config(self, _request: Request) -> Response:
        return JSONResponse(self.service.live.public())

    async def _set_config(self, request: Request) -> Response:
        update = LiveSettingsUpdate.model_validate_json(await request.body())
        for name in update.model_fields_set:
            setattr(self.service.live, name, getattr(update, name))
        return JSONResponse(self.service.live.public())
