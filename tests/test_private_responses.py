"""Responses that may carry personal data are never cached or sniffed, and no redirect is built
from the ``Host`` header: checked by walking every route of the app, not by listing some."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, MutableMapping
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.routing import Mount, Route

from app.rules.kent import District
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_school

SAMPLE_URN = 118960
FORGED_HOST = "attacker.example"


def routes_of(routes: Iterable[Any]) -> Iterator[Any]:
    """Every route and mount, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from routes_of(included.routes)
        else:
            yield route


def _sample(parameter: re.Match[str]) -> str:
    return str(SAMPLE_URN) if parameter.group(1) == "urn" else str(uuid.uuid4())


def walk(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, concrete path) for every route and mount of the app."""
    for route in routes_of(app.routes):
        if isinstance(route, Mount):
            yield "GET", f"{route.path}/swagger-ui.css"
            continue
        assert isinstance(route, Route), route
        path = re.sub(r"\{(\w+)(:\w+)?\}", _sample, route.path)
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                yield method, path


def assert_private(response: httpx.Response, what: str) -> None:
    assert response.headers.get_list("cache-control") == ["no-store"], what
    assert response.headers.get_list("x-content-type-options") == ["nosniff"], what


@pytest.fixture
async def sample_school(session: AsyncSession) -> None:
    await make_school(session, urn=SAMPLE_URN, district=District.THANET)


async def test_every_route_answers_with_private_headers_where_it_may_carry_personal_data(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, sample_school: None
) -> None:
    callers = {
        "anonymous": {},
        "admin": auth("admin"),
        "manager": auth("attendance_manager", area_teams=("east",), purpose="attendance_duty"),
        "school": auth("school_staff", school_urns=(SAMPLE_URN,), purpose="attendance_duty"),
    }
    seen_v1_success = 0
    routes = list(walk(app))
    assert any(path.startswith("/v1/") for _, path in routes)
    for method, path in routes:
        for caller, headers in callers.items():
            body: dict[str, object] | None = {} if method in {"POST", "PUT", "PATCH"} else None
            response = await client.request(
                method,
                path,
                json=body,
                headers={**headers, "If-Match": "*", "Host": FORGED_HOST},
            )
            what = f"{caller} {method} {path} -> {response.status_code}"
            assert response.status_code < 500, what
            assert FORGED_HOST not in response.headers.get("location", ""), what
            if path.startswith("/v1/") or response.status_code >= 400:
                assert_private(response, what)
                seen_v1_success += path.startswith("/v1/") and response.status_code < 300
            else:
                assert response.headers.get_list("x-content-type-options") == ["nosniff"], what
    assert seen_v1_success >= 10  # the walk reached real answers, not only refusals


async def test_a_route_cannot_opt_out_of_no_store_under_v1(
    own_app: FastAPI, auth: AuthHeaders
) -> None:
    from fastapi.responses import JSONResponse

    async def cached() -> JSONResponse:
        return JSONResponse(
            {"ok": True},
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "x"},
        )

    own_app.add_api_route("/v1/cached-by-mistake", cached)
    transport = httpx.ASGITransport(app=own_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        assert_private(await client.get("/v1/cached-by-mistake"), "a /v1 route")


async def test_public_routes_keep_their_own_caching(client: httpx.AsyncClient) -> None:
    jwks = await client.get("/.well-known/jwks.json")
    assert jwks.status_code == 200
    assert jwks.headers["cache-control"].startswith("public, max-age=")
    assert jwks.headers["x-content-type-options"] == "nosniff"
    health = await client.get("/healthz")
    assert "no-store" not in health.headers.get("cache-control", "")


async def test_errors_outside_v1_and_unexpected_errors_are_private(
    own_app: FastAPI,
) -> None:
    async def explode() -> None:
        raise RuntimeError("internals")

    own_app.add_api_route("/v1/explodes", explode, name="explodes_v1")
    own_app.add_api_route("/explodes", explode, name="explodes")
    transport = httpx.ASGITransport(app=own_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        for path in ("/v1/explodes", "/explodes"):
            response = await client.get(path)
            assert response.status_code == 500
            assert_private(response, path)
        missing = await client.get("/no-such-page")
        assert_problem(missing, 404)
        assert_private(missing, "an unknown path")
    # The body limit answers before routing, from its own middleware.
    too_big = await raw_request(own_app, "POST", "/healthz", [(b"content-length", b"1" * 15)])
    assert too_big[0] == 413
    assert (b"cache-control", b"no-store") in too_big[1]
    assert (b"x-content-type-options", b"nosniff") in too_big[1]


async def raw_request(
    app: FastAPI, method: str, path: str, headers: list[tuple[bytes, bytes]]
) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Drive the app over ASGI directly, with headers no HTTP client would send."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"kpas.test"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("kpas.test", 80),
    }
    started: dict[str, Any] = {}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            started.update(message)

    await app(scope, receive, send)
    return started["status"], list(started["headers"])


class TestTrailingSlash:
    @pytest.mark.parametrize("host", [FORGED_HOST, "kpas.test"])
    async def test_a_trailing_slash_is_a_404_problem_not_a_redirect(
        self, client: httpx.AsyncClient, auth: AuthHeaders, host: str
    ) -> None:
        for path in ("/v1/schools/", "/v1/pupils/", "/healthz/", "/.well-known/jwks.json/"):
            response = await client.get(path, headers={**auth("admin"), "Host": host})
            body = assert_problem(response, 404)
            assert "location" not in response.headers
            assert host not in response.text
            assert "trailing slash" in str(body["detail"])
            assert_private(response, path)

    async def test_every_route_with_a_trailing_slash_is_a_404(
        self, app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        for method, path in walk(app):
            if path.startswith("/docs/assets/"):
                continue  # static files: no redirects either (checked below)
            response = await client.request(
                method, path + "/", headers={**auth("admin"), "Host": FORGED_HOST}
            )
            assert response.status_code in {404, 405}, f"{method} {path}/"
            assert "location" not in response.headers, f"{method} {path}/"

    async def test_the_docs_assets_do_not_redirect_on_the_host(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.get("/docs/assets", headers={"Host": FORGED_HOST})
        assert FORGED_HOST not in response.headers.get("location", "")
