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
    from sqlalchemy.exc import IntegrityError
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

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", error_class=type(exc).__name__, exc_info=exc)
        return respond(request, InternalError("An unexpected error occurred."))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(IntegrityError, on_integrity)
    app.add_exception_handler(StaleDataError, on_stale)
    app.add_exception_handler(Exception, on_unexpected)
