"""The route class every API router uses.

It refuses query parameters the route does not declare (a misspelt or invented option such as
``?dry_run=true`` must never be ignored while the request goes ahead), enforces the request
media type before the body is parsed, so a wrong ``Content-Type`` is a 415 rather than a
confusing validation error, and it documents the problem responses every operation can return.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, get_args

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from app.errors import PROBLEM_MEDIA_TYPE, UnsupportedMediaType, ValidationFailed
from app.schemas.common import Problem

JSON_MEDIA_TYPES = frozenset({"application/json"})
MERGE_PATCH_MEDIA_TYPES = frozenset({"application/json", "application/merge-patch+json"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: ``openapi_extra`` key of an upload route that may take a body over the service-wide limit:
#: the name of the ``Settings`` field holding its file allowance (the value itself is per
#: deployment, so the document names the setting). ``BodyLimitMiddleware`` reads it.
BODY_LIMIT_SETTING = "x-kpas-body-limit-setting"
#: ``openapi_extra`` key of a route that reads its body as it streams in (an attendance import):
#: the media type is still checked first, but the body is left unread for the handler.
STREAMED_BODY = "x-kpas-streamed-body"


def content_type_of(header: str) -> tuple[str, str | None]:
    """A Content-Type header's media type and charset, both lower-case (charset None when
    not given)."""
    media, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media.strip().lower(), charset


def problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "model": Problem,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def download_responses(
    media_types: Iterable[str], not_found: dict[int | str, dict[str, Any]]
) -> dict[int | str, dict[str, Any]]:
    """What a stored document's content route answers: the decrypted content in one of
    ``media_types``, ``not_found``, or 410 once retention destroyed it."""
    return {
        200: {
            "description": "The document, decrypted, as the media type sniffed on upload.",
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in media_types
            },
        },
        **not_found,
        410: problem_response("The content was destroyed under the retention schedule."),
    }


#: Problems any operation may answer with.
COMMON_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: problem_response("Malformed request (for example, a body that is not JSON)."),
    422: problem_response("Invalid fields; `errors` lists each one."),
}
BODY_PROBLEMS: dict[int | str, dict[str, Any]] = {
    413: problem_response("The request body is over the size limit."),
    415: problem_response("The request body's media type is not accepted."),
}


def _policy_problems(endpoint: Callable[..., Any], dependencies: Any) -> dict[int, Any]:
    """Problems a route answers with because of its declared policy."""
    from app.policies.guard import PolicyDeclaration, declared_policies
    from app.policies.resources import RESOURCES

    problems: dict[int, Any] = {}
    for declaration in declared_policies(endpoint, dependencies):
        if not isinstance(declaration, PolicyDeclaration):
            continue
        problems[401] = problem_response("No valid bearer token.")
        problems[403] = problem_response("The policy refuses this caller; `policy` says why.")
        if RESOURCES[declaration.resource].personal_data:
            problems[400] = problem_response(
                "Malformed request, or a missing or unknown KPAS-Purpose."
            )
    return problems


def _dependency_problems(endpoint: Callable[..., Any]) -> dict[int, Any]:
    """Problems a route answers with because of the request headers it takes: `If-Match`
    (412 stale, 428 missing) and `Idempotency-Key` (409 when the key's first response was
    made under other permissions)."""
    from fastapi.dependencies.utils import get_typed_signature

    from app.routers.deps import idempotency, require_if_match

    problems: dict[int, Any] = {}
    for parameter in get_typed_signature(endpoint).parameters.values():
        for meta in get_args(parameter.annotation)[1:]:
            dependency = getattr(meta, "dependency", None)
            if dependency is require_if_match:
                problems[412] = problem_response("If-Match does not match the current ETag.")
                problems[428] = problem_response("If-Match is missing.")
            elif dependency is idempotency:
                problems[409] = problem_response(
                    "The request's state does not allow it, or its Idempotency-Key was first "
                    "used with other permissions (use a new key)."
                )
    return problems


def body_limit_setting_of(route: Any) -> str | None:
    """The ``Settings`` field with a route's extra body allowance, if it declares one."""
    declared = (getattr(route, "openapi_extra", None) or {}).get(BODY_LIMIT_SETTING)
    return str(declared) if declared else None


def media_types_of(route: APIRoute) -> frozenset[str]:
    declared = (route.openapi_extra or {}).get("x-kpas-media-types")
    if declared:
        return frozenset(declared)
    if "PATCH" in (route.methods or set()):
        return MERGE_PATCH_MEDIA_TYPES
    return JSON_MEDIA_TYPES


#: An unknown parameter's name is repeated in the problem up to this length.
MAX_NAMED_PARAMETER = 64


def declared_query_parameters(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route reads: its own, its dependencies', and the fields of any
    parameter model (a list's filters)."""
    names: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        for param in current.query_params:
            model = param.field_info.annotation
            if isinstance(model, type) and issubclass(model, BaseModel):
                for name, field in model.model_fields.items():
                    names.update({name, field.alias or name})
            else:
                names.add(param.alias)
        pending.extend(current.dependencies)
    return frozenset(names)


def refuse_unknown_query(request: Request, declared: frozenset[str]) -> None:
    """A 422 naming each query parameter the route does not declare (never its value)."""
    unknown = sorted({key for key in request.query_params if key not in declared})
    if not unknown:
        return
    raise ValidationFailed(
        f"{len(unknown)} unknown query parameter(s); nothing was done.",
        errors=[
            {
                "location": "query",
                "pointer": "/" + name[:MAX_NAMED_PARAMETER].replace("~", "~0").replace("/", "~1"),
                "detail": "Not a parameter of this operation.",
                "code": "extra_forbidden",
            }
            for name in unknown
        ],
    )


class KpasRoute(APIRoute):
    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        responses = dict(kwargs.pop("responses", None) or {})
        methods = {m.upper() for m in (kwargs.get("methods") or ())}
        for status, spec in COMMON_PROBLEMS.items():
            responses.setdefault(status, spec)
        if methods & BODY_METHODS:
            for status, spec in BODY_PROBLEMS.items():
                responses.setdefault(status, spec)
        for status, spec in _policy_problems(endpoint, kwargs.get("dependencies")).items():
            responses.setdefault(status, spec)
        for status, spec in _dependency_problems(endpoint).items():
            responses.setdefault(status, spec)
        super().__init__(path, endpoint, responses=responses, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        declared = declared_query_parameters(self.dependant)
        # A route that reads its body itself (in more than one format) declares its media
        # types in ``x-kpas-media-types``: the check applies to it as well.
        reads_body = self.body_field is not None or "x-kpas-media-types" in (
            self.openapi_extra or {}
        )
        accepted = media_types_of(self)
        streamed = bool((self.openapi_extra or {}).get(STREAMED_BODY))

        async def checked(request: Request) -> Response:
            # Before anything else runs: nothing is decided or written for such a request.
            refuse_unknown_query(request, declared)
            if reads_body and request.method in BODY_METHODS:
                media, _ = content_type_of(request.headers.get("content-type", ""))
                if media not in accepted:
                    raise UnsupportedMediaType(
                        f"Send the body as {' or '.join(sorted(accepted))}.",
                        headers={"Accept-Post": ", ".join(sorted(accepted))},
                    )
                # Read the body here: FastAPI reports any error while reading it as a 400,
                # which would hide the body limit's 413. A streamed body is the handler's.
                if not streamed:
                    await request.body()
            return await handler(request)

        return checked


def allowed_methods(app: Any, path: str) -> list[str]:
    """The documented methods of the resource at ``path``, for a 405's ``Allow`` header.

    FastAPI registers one route per method, so the router's own 405 names only the first
    route it matched; the OpenAPI document knows them all.
    """
    from starlette.routing import compile_path

    table: list[tuple[Any, list[str]]] | None = getattr(app.state, "allow_table", None)
    if table is None:
        table = []
        for template, operations in app.openapi().get("paths", {}).items():
            regex, _, _ = compile_path(template)
            table.append((regex, sorted(m.upper() for m in operations)))
        app.state.allow_table = table
    for regex, methods in table:
        if regex.match(path):
            return methods
    return []
