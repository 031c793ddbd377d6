"""Health, readiness, metrics, docs, request ids and log hygiene."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.db import Database, create_engine
from app.main import create_app
from tests.conftest import AuthHeaders, make_settings


@pytest.fixture
def app(own_app: FastAPI) -> FastAPI:
    """Tests here add routes of their own, so each gets an application of its own."""
    return own_app


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_when_migrated(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["migrations"] == "head"


async def test_readyz_is_503_on_an_unmigrated_database(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}")
    database = Database(create_engine(settings), migrations_dir=settings.migrations_dir)
    app = create_app(settings, database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kpas.test"
    ) as client:
        response = await client.get("/readyz")
    await database.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "migration" in response.json()["detail"]


async def test_readyz_is_503_when_database_unreachable(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x' / 'db'}")
    engine = create_engine(settings)
    (tmp_path / "missing-dir" / "x").rmdir()  # make the file impossible to open
    database = Database(engine, migrations_dir=settings.migrations_dir)
    app = create_app(settings, database)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kpas.test"
    ) as client:
        response = await client.get("/readyz")
    await database.dispose()
    assert response.status_code == 503


async def test_metrics_count_requests_by_route_template(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    await client.get("/v1/schools/999997", headers=auth("admin"))
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'kpas_http_requests_total{method="GET",route="/v1/schools/{urn}",status="404"} 1.0'
        in response.text
    )


async def test_docs_are_served_without_a_cdn(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", page.text)
    assert urls, "the docs page should load its assets"
    for url in urls:
        assert url.startswith("/"), f"docs load {url} from outside the app"
        asset = await client.get(url)
        assert asset.status_code == 200, url
    assert "/openapi.json" in page.text
    spec = await client.get("/openapi.json")
    assert spec.status_code == 200


async def test_request_id_is_generated_and_echoed(client: httpx.AsyncClient) -> None:
    generated = await client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    given = await client.get("/healthz", headers={"X-Request-ID": "mis-batch-42"})
    assert given.headers["x-request-id"] == "mis-batch-42"


async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


async def test_log_lines_carry_request_id_and_no_query_string(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await client.get(
            "/v1/schools", params={"name": "Jane Doe"}, headers={"X-Request-ID": "trace-me"}
        )
    events = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    ours = [e for e in events if e.get("event") == "request"]
    assert ours, "the request should be logged"
    assert ours[-1]["request_id"] == "trace-me"
    assert ours[-1]["route"] == "/v1/schools"
    assert all("Jane" not in r.getMessage() for r in caplog.records)


async def test_unexpected_errors_are_500_problems_without_traces(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    async def explode() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", explode)
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text


async def test_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
