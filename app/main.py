"""Application factory: middleware, error handlers, routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from app import __version__
from app.auth.identity import Identity
from app.contract import publish_components, purpose_examples, restore_examples
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
from app.policies.guard import bearer_scheme
from app.routers import operations, problems, wellknown
from app.routers.dispatch import skip_unreachable_routers
from app.routers.v1 import (
    attendance_alerts,
    attendance_imports,
    audit,
    breaches,
    carers,
    case_records,
    cases,
    clients,
    complaints,
    disclosures,
    duplicates,
    exclusions,
    inspection_grants,
    legal_holds,
    licence_documents,
    licences,
    messages,
    notify_callbacks,
    oauth,
    penalty_notices,
    people,
    processing_record,
    productions,
    prosecutions,
    public,
    pupil_attendance,
    pupil_sensitive,
    pupils,
    purposes,
    recipients,
    referrals,
    retention,
    roll,
    roll_pushes,
    roll_reviews,
    school_attendance,
    school_attendance_orders,
    schools,
    sharing_agreements,
    subject_request_actions,
    subject_request_answers,
    subject_requests,
)
from app.settings import Settings, get_settings

V1_ROUTERS: list[APIRouter] = [
    schools.router,
    purposes.router,
    processing_record.router,
    clients.router,
    oauth.router,
    audit.router,
    recipients.router,
    sharing_agreements.router,
    pupils.router,
    pupil_sensitive.router,
    carers.router,
    roll.router,
    roll_pushes.router,
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
    cases.router,
    case_records.router,
    penalty_notices.router,
    school_attendance_orders.router,
    prosecutions.router,
    referrals.router,
    exclusions.router,
    people.router,
    productions.router,
    licences.router,
    licence_documents.router,
    licences.chaperones,
    licences.absences,
    subject_requests.router,
    subject_request_answers.router,
    subject_request_actions.router,
    complaints.router,
    breaches.router,
    retention.router,
    legal_holds.router,
    public.router,
]

#: What a browser front end on an allowed origin may send and read (CORS).
CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "If-Match",
    "Idempotency-Key",
    "KPAS-Purpose",
    "X-Request-ID",
]
CORS_EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "KPAS-Decision-Id",
    "X-Request-ID",
    "Idempotent-Replayed",
    "Retry-After",
]

DESCRIPTION = """
The system of record behind Kent County Council's PRU and Attendance Service (KPAS).

**Getting a token.** Every `/v1` request carries `Authorization: Bearer <token>`. Machine
clients (MIS integrations, partners) are registered by a KPAS administrator and exchange their
`client_id` and `client_secret` for a short-lived token at `POST /v1/oauth/token` (OAuth 2.0
client credentials, form-encoded or HTTP Basic); here, **Authorize** does it for you. Staff
sign in through the council's identity provider, whose tokens the service also accepts.

**Stating a purpose.** Requests for personal data say why in the `KPAS-Purpose` header: one
code from `GET /v1/purposes`, which also says which roles may use each. A missing or unknown
purpose is a 400; a purpose the rules do not give your role is a 403 naming the rule.

**The rules.** Errors are RFC 9457 problem documents (`application/problem+json`); each
`type` is a page at [`/problems`](/problems) saying what it means and how to fix it, with the
`errors[].code` values it can carry. Lists are cursor paginated (`limit`, `cursor`,
`next_cursor`). Single resources carry an `ETag`; changes require `If-Match`. POSTs accept
`Idempotency-Key`. Every response echoes `X-Request-ID`. The guides in the repository's `docs/`
folder describe the policy layer, retention and each domain in full.
"""

#: A description for every tag the routers use (a test fails for a tag without one).
OPENAPI_TAGS: list[dict[str, str]] = [
    {"name": "operations", "description": "Liveness, readiness and metrics, for the platform."},
    {"name": "identity", "description": "Tokens for machine clients and the keys that sign them."},
    {"name": "problems", "description": "What each problem type and error code means."},
    {"name": "purposes", "description": "The purposes a request may state, and their bases."},
    {
        "name": "processing record",
        "description": "The record of processing, the privacy notice's lists, and their drift.",
    },
    {"name": "clients", "description": "Registering machine clients and their secrets."},
    {"name": "audit", "description": "The tamper-evident record of decisions and changes."},
    {
        "name": "schools",
        "description": "Kent schools and PRUs, as the schools register holds them.",
    },
    {
        "name": "sharing",
        "description": "Recipients outside KPAS and the agreements to share with them.",
    },
    {"name": "pupils", "description": "Pupils, their enrolments, contact details and carers."},
    {
        "name": "special category data",
        "description": "Health, SEND and other Article 9 data about a pupil.",
    },
    {"name": "carers", "description": "Parents and carers, and their links to pupils."},
    {"name": "school roll", "description": "A school's full roll, pushed by its MIS."},
    {"name": "roll reviews", "description": "Roll changes held for a person to accept or reject."},
    {
        "name": "possible duplicates",
        "description": "People who may be recorded twice, and merging them.",
    },
    {"name": "disclosures", "description": "Releases of personal data outside KPAS, on record."},
    {
        "name": "inspection grants",
        "description": "Time-limited access for inspectors to named schools.",
    },
    {"name": "messages", "description": "Texts and emails to carers, sent through GOV.UK Notify."},
    {"name": "notify", "description": "Delivery receipts from GOV.UK Notify."},
    {"name": "attendance", "description": "Attendance marks, imports, figures and alerts."},
    {
        "name": "cases",
        "description": "Casework: the support-first ladder, notices, orders and prosecutions.",
    },
    {"name": "referrals", "description": "A school refers a pupil, and follows its referral."},
    {"name": "exclusions", "description": "Suspensions and permanent exclusions schools report."},
    {
        "name": "licences",
        "description": "Work permits, performance licences and chaperone approvals; productions.",
    },
    {
        "name": "people",
        "description": "People on licences who are not pupils on a Kent roll.",
    },
    {
        "name": "subject requests",
        "description": "Data-subject rights: requests, their statutory clock, bundles and answers.",
    },
    {"name": "complaints", "description": "Data protection complaints to the council (s164A)."},
    {
        "name": "breaches",
        "description": "The personal data breach register: the ICO's 72 hours, and who was told.",
    },
    {
        "name": "retention",
        "description": "The retention registry (versioned rules) and the sweep that destroys "
        "records past retention.",
    },
    {
        "name": "legal holds",
        "description": "Holds that stop destruction while proceedings or investigations need "
        "the records.",
    },
    {
        "name": "public",
        "description": "For the public, without a token: make a rights request or a complaint.",
    },
]

# --- OpenAPI security schemes ---------------------------------------------------------------
#: Swagger UI's "Authorize" fetches a token with a machine client's id and secret through this
#: scheme; the token endpoint takes them in the form body or as HTTP Basic.
CLIENT_CREDENTIALS_SCHEME = "clientCredentials"
CLIENT_CREDENTIALS = {
    "type": "oauth2",
    "description": "A machine client's `client_id` and `client_secret`, exchanged for a "
    "bearer token at `POST /v1/oauth/token`. Staff use a token from the council identity "
    "provider (`bearer`).",
    "flows": {"clientCredentials": {"tokenUrl": "/v1/oauth/token", "scopes": {}}},
}


def document_client_credentials(document: dict[str, Any]) -> dict[str, Any]:
    """Add the client credentials scheme, as an alternative wherever a bearer token is accepted
    (each entry of an operation's ``security`` is an alternative)."""
    schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
    schemes[CLIENT_CREDENTIALS_SCHEME] = CLIENT_CREDENTIALS
    bearer: dict[str, list[str]] = {bearer_scheme.scheme_name: []}
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            security = operation.get("security") or []
            if bearer in security and {CLIENT_CREDENTIALS_SCHEME: []} not in security:
                security.append({CLIENT_CREDENTIALS_SCHEME: []})
    return document


def install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = publish_components(document_client_credentials(generate()))
            routes = [route for router in V1_ROUTERS for route in router.routes]
            app.openapi_schema = purpose_examples(restore_examples(document), routes)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# ---------------------------------------------------------------------------------------------


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
        openapi_tags=OPENAPI_TAGS,
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
    # --- CORS for the council's browser front ends ------------------------------------
    # Only with origins configured; outside the request body limit and the request context,
    # so their responses (a 413 included) carry the headers a browser needs to read them.
    if settings.cors_allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allowed_origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            allow_credentials=False,  # bearer tokens need no cookies
            max_age=600,
        )
    # -----------------------------------------------------------------------------------
    app.add_middleware(PrivateResponseMiddleware)  # outermost: sees every response we send

    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.include_router(operations.router)
    app.include_router(wellknown.router)
    app.include_router(problems.router)
    for router in V1_ROUTERS:
        app.include_router(router)
    skip_unreachable_routers(app)
    install_openapi(app)
    return app
