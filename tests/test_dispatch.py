"""Skipping routers by their routes' literal prefix routes every request as before."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.routing import Match

from app.routers.dispatch import literal_prefix

SAMPLE_PATHS = [
    "/",
    "/healthz",
    "/docs",
    "/docs/assets/swagger-ui.css",
    "/problems/not-found",
    "/v1",
    "/v1/",
    "/v1/cases",
    "/v1/cases/",
    "/v1/casesx",
    "/v1/cases-list",
    "/v1/schools/118000/roll/",
    "/v1/pupils/x/attendance/",
    "/v1/subject-requests/x/y/z",
    "/v1/nothing-here",
    "/.well-known/jwks.json",
    "/.well-known/jwks_json",
]


def _examples(app: FastAPI) -> list[str]:
    """A concrete path for every route template the application serves, and near misses."""
    paths = list(SAMPLE_PATHS)
    for route in app.router.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        templates = [c.path_format for c in contexts()] if contexts else [route.path]
        for template in templates:
            concrete = re.sub(r"\{[^}]*\}", "0b7e6c0a-2f1d-4c8e-9a3b-5d6e7f809112", template)
            paths += [concrete, concrete + "/", concrete + "x", concrete + "/extra"]
            paths.append(re.sub(r"\{[^}]*\}", "118000", template))
    return paths


def _route(app: FastAPI, scope: dict[str, Any], *, guarded: bool) -> tuple[Any, Match, Any]:
    partial = None
    for route in app.router.routes:
        ask = route.matches if guarded else type(route).matches.__get__(route)
        match, child = ask(dict(scope))
        if match == Match.FULL:
            return route, match, child.get("route")
        if match == Match.PARTIAL and partial is None:
            partial = (route, match, child.get("route"))
    return partial or (None, Match.NONE, None)


def test_every_path_reaches_the_route_it_would_without_the_prefix_check(app: FastAPI) -> None:
    guarded = [r for r in app.router.routes if "matches" in vars(r)]
    assert len(guarded) > 40  # every included router has the check
    for path in _examples(app):
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            scope = {"type": "http", "path": path, "root_path": "", "method": method}
            assert _route(app, scope, guarded=True) == _route(app, scope, guarded=False), (
                method,
                path,
            )


def test_literal_prefix() -> None:
    assert literal_prefix(["/v1/cases", "/v1/cases/{case_id}"]) == "/v1/cases"
    assert literal_prefix(["/v1/cases/{id}/a", "/v1/cases/{id}/b"]) == "/v1/cases/"
    assert literal_prefix(["/healthz", "/docs"]) == "/"
    assert literal_prefix(["/v1/x"]) == "/v1/x"
    assert literal_prefix([]) == ""
