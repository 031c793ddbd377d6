"""Operational endpoints: liveness, readiness, metrics, and the self-hosted API docs."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text

from app.db import Database
from app.errors import ServiceUnavailable
from app.log import get_logger
from app.messages.template_check import TemplateCheckCache
from app.metrics import CONTENT_TYPE_LATEST, Metrics
from app.routers.route import KpasRoute, problem_response

router = APIRouter(tags=["operations"], route_class=KpasRoute)
log = get_logger("kpas.operations")

DOCS_ASSETS = "/docs/assets"


class Health(BaseModel):
    """The process is serving."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    """The database answers and its schema is at the latest migration."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"status": "ready", "database": "ok", "migrations": "head"}]
        }
    )

    status: str
    database: str
    migrations: str
    notify_templates: str = Field(
        default="not checked",
        description="`match` when every template in KPAS_NOTIFY_TEMPLATES matches its message "
        "type (checked once per start); `not checked` when none are mapped or Notify could not "
        "be asked yet.",
        examples=["match"],
    )


@router.get(
    "/healthz",
    name="operations_health",
    summary="Check the process is alive",
    response_model=Health,
)
async def healthz() -> Health:
    """Liveness: answers 200 with `{"status": "ok"}` while the process serves requests. For the
    platform's health check; no token is needed. It says nothing about the database or any
    other dependency (ask `/readyz` for that), so a 200 here never means the service can
    answer API requests."""
    return Health(status="ok")


@router.get(
    "/readyz",
    name="operations_ready",
    summary="Check the service is ready to serve",
    response_model=Readiness,
    responses={
        503: problem_response(
            "The database is unreachable or not migrated to head, or the Notify templates do "
            "not match the message types."
        )
    },
)
async def readyz(request: Request) -> Readiness:
    """Readiness, for the load balancer; no token is needed. Answers 200 with the database
    and migration state when the database answers and its schema is at the latest migration;
    otherwise 503 (a problem document) saying which, and the instance should get no traffic
    until it answers 200."""
    database: Database = request.app.state.database
    try:
        async with database.read_only() as conn:
            await conn.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("readiness_database_unreachable", error_class=type(exc).__name__)
        raise ServiceUnavailable("The database is not reachable.") from exc
    if not await database.migrations_at_head():
        raise ServiceUnavailable("The database schema is not at the latest migration.")
    templates = await _notify_templates(request)
    return Readiness(status="ready", database="ok", migrations="head", notify_templates=templates)


async def _notify_templates(request: Request) -> str:
    """The Notify template check, run once per start and kept (``kpas notify check-templates``
    lists the mismatches)."""
    state = request.app.state
    cache = getattr(state, "notify_template_check", None)
    if cache is None:
        cache = state.notify_template_check = TemplateCheckCache()
    settings = state.settings
    mismatches = await cache.check(
        settings.notify_base_url,
        settings.notify_api_key.get_secret_value(),
        settings.notify_templates,
    )
    if mismatches is None:
        return "not checked"
    if mismatches:
        log.warning("readiness_notify_templates_mismatch", count=len(mismatches))
        raise ServiceUnavailable(
            f"{len(mismatches)} Notify template(s) do not match their message types: run "
            "`kpas notify check-templates`."
        )
    return "match"


@router.get(
    "/metrics",
    name="operations_metrics",
    summary="Read the service's metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    """Request counts and durations by route and status, in the Prometheus text exposition
    format, for the platform's metrics scraper; no token is needed. It carries no personal
    data and no request contents. Data-subject requests are counted too: closed on time and
    late (`kpas_subject_requests_closed`, `kpas_subject_requests_on_time_ratio`), and open,
    overdue and due within seven days (`kpas_subject_requests_open`), read from the database
    at most every 30 seconds."""
    registry: Metrics = request.app.state.metrics
    await registry.refresh(request.app.state.database)
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
