"""One error hierarchy, rendered as RFC 9457 ``application/problem+json`` responses.

Services raise these; routers never build error responses themselves. Each class knows its
status, its problem type and its title, so a refusal always says what went wrong.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_BASE = "https://kpas.kent.gov.uk/problems/"
#: On every response that may carry personal data (everything under ``/v1`` and every error):
#: no shared or browser cache keeps it, and no browser reads it as another media type.
PRIVATE_RESPONSE_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class ProblemError(Exception):
    """Base of every error the API turns into a problem response."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        policy: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.policy = policy
        self.headers = headers or {}
        #: Extension members (RFC 9457 section 3.2): what a client needs to act on the
        #: problem, e.g. the unmet guards of a refused case step.
        self.extra = extra or {}

    @classmethod
    def type_uri(cls) -> str:
        return PROBLEM_BASE + cls.slug

    def to_problem(self, instance: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri(),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = self.errors
        if self.policy:
            body["policy"] = self.policy
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body


class InvalidRequest(ProblemError):
    status = 400
    slug = "invalid-request"
    title = "The request is not valid"


class Unauthenticated(ProblemError):
    status = 401
    slug = "unauthenticated"
    title = "Authentication is required"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="kpas"'})
        super().__init__(detail, **kwargs)


class Forbidden(ProblemError):
    status = 403
    slug = "forbidden"
    title = "Not permitted"


class NotFound(ProblemError):
    status = 404
    slug = "not-found"
    title = "Not found"


class MethodNotAllowed(ProblemError):
    status = 405
    slug = "method-not-allowed"
    title = "Method not allowed"


class NotAcceptable(ProblemError):
    status = 406
    slug = "not-acceptable"
    title = "Not acceptable"


class Conflict(ProblemError):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"


class PreconditionFailed(ProblemError):
    status = 412
    slug = "precondition-failed"
    title = "The resource has changed"


class PayloadTooLarge(ProblemError):
    status = 413
    slug = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(ProblemError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(ProblemError):
    status = 422
    slug = "validation-failed"
    title = "The request has invalid fields"


class Gone(ProblemError):
    """The resource existed and was destroyed on purpose (e.g. a crypto-shredded document)."""

    status = 410
    slug = "gone"
    title = "No longer available"


class IdempotencyKeyReused(ProblemError):
    status = 422
    slug = "idempotency-key-reused"
    title = "Idempotency key reused with a different request"


class IdempotencyKeyAuthorityChanged(ProblemError):
    """A key's first response was made for the same caller holding other permissions: it is
    not replayed, since it may describe records the caller can no longer see."""

    status = 409
    slug = "idempotency-key-authority-changed"
    title = "Idempotency key used with different permissions"


class PreconditionRequired(ProblemError):
    status = 428
    slug = "precondition-required"
    title = "If-Match is required"


class TooManyRequests(ProblemError):
    status = 429
    slug = "too-many-requests"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)


class InternalError(ProblemError):
    status = 500
    slug = "internal-error"
    title = "Internal error"


class ServiceUnavailable(ProblemError):
    status = 503
    slug = "service-unavailable"
    title = "Service unavailable"


#: Seconds a client is asked to wait after the database went away mid-request: a dropped
#: connection is replaced at the next checkout, and a lock or a restart passes in seconds.
DATABASE_RETRY_AFTER_SECONDS = 2
#: SQLite's primary result codes for a busy or locked database, an I/O error, a full disk and
#: a file it cannot open: the database is unavailable, the request itself was fine.
_SQLITE_UNAVAILABLE = {5, 6, 10, 13, 14}
#: PostgreSQL SQLSTATEs for the same: class 08 (connection exceptions), 53300 (too many
#: connections), 57P01-57P03 (shut down by an administrator, a crash, still starting).
_POSTGRES_UNAVAILABLE = {"53300", "57P01", "57P02", "57P03"}
#: The store refusing to take writes, which passes once an operator frees space or makes it
#: writable again: SQLite's read-only database (8); PostgreSQL's full disk (53100), I/O error
#: (58030) and read-only transaction (25006: a standby, or a database set read-only).
_SQLITE_CANNOT_WRITE = {8}
_POSTGRES_CANNOT_WRITE = {"25006", "53100", "58030"}


def database_unavailable(exc: BaseException) -> bool:
    """The error says the database could not be reached or went away (a connection dropped
    or refused, a restart, a lock held too long), not that the request was wrong."""
    from sqlalchemy import exc as sa

    if isinstance(exc, ConnectionError | sa.TimeoutError):
        # Refused or reset before SQLAlchemy saw a connection; a pool with none to lend.
        return True
    if not isinstance(exc, sa.DBAPIError):
        return False
    if exc.connection_invalidated:
        # The driver found the connection closed (asyncpg's ConnectionDoesNotExistError and
        # the like). Other interface errors are misuse, a bug: they stay 500s.
        return True
    orig = exc.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(sqlite_code, int):
        return sqlite_code & 0xFF in _SQLITE_UNAVAILABLE | _SQLITE_CANNOT_WRITE
    sqlstate = str(getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or "")
    return sqlstate.startswith("08") or sqlstate in _POSTGRES_UNAVAILABLE | _POSTGRES_CANNOT_WRITE


#: Problem classes by status, for errors raised by the framework rather than by our code.
BY_STATUS: dict[int, type[ProblemError]] = {
    cls.status: cls
    for cls in (
        InvalidRequest,
        Unauthenticated,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        NotAcceptable,
        Conflict,
        PreconditionFailed,
        Gone,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        PreconditionRequired,
        InternalError,
        ServiceUnavailable,
    )
}


# --- rendering ------------------------------------------------------------------------------


def _pointer(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    """Split a pydantic/FastAPI error location into (location, JSON pointer)."""
    parts = [str(p) for p in loc]
    location = parts[0] if parts else "body"
    return location, "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts[1:])


def body_problem(pointer: str, detail: str, code: str) -> dict[str, str]:
    """One ``errors`` entry about a field of the request body (JSON pointer ``pointer``)."""
    return {"location": "body", "pointer": pointer, "detail": detail, "code": code}


def field_errors(raw: Any) -> list[dict[str, Any]]:
    """FastAPI/pydantic validation errors as problem ``errors`` entries.

    The offending input value is deliberately left out: it may be personal data.
    """
    out = []
    for err in raw:
        location, pointer = _pointer(tuple(err.get("loc", ())))
        out.append(
            {
                "location": location,
                "pointer": pointer,
                "detail": str(err.get("msg", "invalid")),
                "code": str(err.get("type", "invalid")),
            }
        )
    return out


def install_problem_handlers(app: Any) -> None:
    """Render every error, ours or the framework's, as an RFC 9457 problem."""
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from sqlalchemy.exc import DBAPIError, IntegrityError
    from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
    from sqlalchemy.orm.exc import StaleDataError
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import Request

    from app.log import get_logger

    log = get_logger("kpas.errors")

    def respond(request: Request, error: ProblemError) -> JSONResponse:
        # Set here as well as by the middleware: a 500 is sent from outside every middleware.
        return JSONResponse(
            error.to_problem(request.url.path),
            status_code=error.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers={**error.headers, **PRIVATE_RESPONSE_HEADERS},
        )

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ProblemError)
        return respond(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc.errors())
        if any(e["code"] == "json_invalid" for e in errors):
            return respond(request, InvalidRequest("The request body is not valid JSON."))
        return respond(
            request,
            ValidationFailed(f"{len(errors)} field(s) failed validation.", errors=errors),
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        cls = BY_STATUS.get(exc.status_code, InvalidRequest)
        detail = exc.detail if isinstance(exc.detail, str) else cls.title
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such resource."
            if len(request.url.path) > 1 and request.url.path.endswith("/"):
                detail += " Paths take no trailing slash."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            from app.routers.route import allowed_methods

            headers["Allow"] = ", ".join(allowed_methods(request.app, request.url.path))
        return respond(request, cls(detail, headers=headers))

    async def on_integrity(request: Request, exc: Exception) -> JSONResponse:
        log.info("integrity_conflict", error_class=type(exc.__cause__ or exc).__name__)
        return respond(request, Conflict("The change conflicts with an existing record."))

    async def on_stale(request: Request, exc: Exception) -> JSONResponse:
        return respond(
            request,
            PreconditionFailed("The resource was changed by another request; fetch it again."),
        )

    async def on_database(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            return await on_unexpected(request, exc)
        # The database rolls back a transaction whose connection went away: the request took
        # effect whole or not at all, and a client may send it again (with its
        # Idempotency-Key or If-Match, as always, to be sure it is applied once).
        log.warning("database_unavailable", error_class=type(exc).__name__)
        return respond(
            request,
            ServiceUnavailable(
                "The database is unavailable; try again shortly.",
                headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
            ),
        )

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_class=type(exc).__name__, exc_info=exc)
        return respond(request, InternalError("An unexpected error occurred."))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(StaleDataError, on_stale)
    for error_class in (DBAPIError, SQLAlchemyTimeoutError, ConnectionError):
        app.add_exception_handler(error_class, on_database)
    app.add_exception_handler(Exception, on_unexpected)
