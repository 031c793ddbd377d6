"""Application factory: middleware, error handlers, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app import __version__
from app.auth.identity import Identity
from app.crypto import KeyEncryptionKeys
from app.crypto.cursors import CursorKey
from app.db import Database
from app.errors import install_problem_handlers
from app.log import configure_logging
from app.metrics import Metrics
from app.middleware import (
    BodyLimitMiddleware,
    PrivateResponseMiddleware,
    RequestContextMiddleware,
)
from app.policies.engine import PolicyEngine
from app.routers import operations, wellknown
from app.routers.v1 import (
    attendance_alerts,
    attendance_imports,
    audit,
    carers,
    clients,
    disclosures,
    duplicates,
    inspection_grants,
    messages,
    notify_callbacks,
    oauth,
    pupil_attendance,
    pupil_sensitive,
    pupils,
    purposes,
    recipients,
    roll,
    roll_reviews,
    school_attendance,
    schools,
    sharing_agreements,
)
from app.settings import Settings, get_settings

V1_ROUTERS: list[APIRouter] = [
    schools.router,
    purposes.router,
    clients.router,
    oauth.router,
    audit.router,
    recipients.router,
    sharing_agreements.router,
    pupils.router,
    pupil_sensitive.router,
    carers.router,
    roll.router,
    roll_reviews.router,
    attendance_imports.router,
    duplicates.router,
    disclosures.router,
    inspection_grants.router,
    messages.router,
    notify_callbacks.router,
    attendance_alerts.router,
    pupil_attendance.router,
    school_attendance.router,
]

DESCRIPTION = """
The system of record behind Kent County Council's PRU and Attendance Service (KPAS).

Errors are RFC 9457 problem documents (`application/problem+json`). Lists are cursor
paginated (`limit`, `cursor`, `next_cursor`). Single resources carry an `ETag`; changes
require `If-Match`. POSTs accept `Idempotency-Key`. Every response echoes `X-Request-ID`.
"""


def operation_id(route: APIRoute) -> str:
    """Operation ids are the route names (``schools_list``), so they stay stable and readable."""
    return route.name


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    identity = Identity.from_settings(settings)  # refuses unsafe keys before anything starts
    document_keys = KeyEncryptionKeys.from_settings(settings)  # likewise for document keys
    cursor_key = CursorKey.from_settings(settings)  # created beside the signing keys if missing
    owns_database = database is None
    database = database or Database.from_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_database:
            await database.dispose()

    app = FastAPI(
        title="KPAS platform API",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        debug=False,
        # Starlette's slash redirect builds its Location from the Host header: a path with a
        # trailing slash is a 404 problem instead.
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.metrics = Metrics()
    app.state.policy_engine = PolicyEngine()
    identity.install(app)
    app.state.document_keys = document_keys
    app.state.cursor_key = cursor_key

    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default_limit=settings.max_body_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
    app.add_middleware(PrivateResponseMiddleware)  # outermost: sees every response we send

    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.include_router(operations.router)
    app.include_router(wellknown.router)
    for router in V1_ROUTERS:
        app.include_router(router)
    return app
