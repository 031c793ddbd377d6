"""Operational endpoints: liveness, readiness, metrics, and the self-hosted API docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import text

from app.db import Database
from app.errors import ServiceUnavailable
from app.log import get_logger
from app.metrics import CONTENT_TYPE_LATEST, Metrics
from app.routers.route import KpasRoute, problem_response

router = APIRouter(tags=["operations"], route_class=KpasRoute)
log = get_logger("kpas.operations")

DOCS_ASSETS = "/docs/assets"


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migrations: str


@router.get("/healthz", name="operations_health", response_model=Health)
async def healthz() -> Health:
    """The process is up. Says nothing about its dependencies (see ``/readyz``)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    name="operations_ready",
    response_model=Readiness,
    responses={503: problem_response("The database is unreachable or not migrated to head.")},
)
async def readyz(request: Request) -> Readiness:
    """Ready to serve: the database answers and its schema is at the latest migration."""
    database: Database = request.app.state.database
    try:
        async with database.read_only() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness_database_unreachable", error_class=type(exc).__name__)
        raise ServiceUnavailable("The database is not reachable.") from exc
    if not await database.migrations_at_head():
        raise ServiceUnavailable("The database schema is not at the latest migration.")
    return Readiness(status="ready", database="ok", migrations="head")


@router.get(
    "/metrics",
    name="operations_metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Prometheus text exposition of request counts and durations."""
    registry: Metrics = request.app.state.metrics
    return Response(registry.render(), media_type=CONTENT_TYPE_LATEST)


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="KPAS platform API",
        swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
    )
