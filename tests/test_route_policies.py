"""Every /v1 route declares its policy, and every role meets exactly the outcome the rules
declare for it on every route (the authorisation matrix, generated, not hand-listed)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant, Role
from app.cli import render_openapi
from app.main import V1_ROUTERS
from app.policies import PolicyDeclaration, declared_policies
from app.policies.engine import PolicyEngine
from app.policies.resources import RESOURCES
from app.policies.rules import ROLE_PURPOSES
from tests.conftest import AuthHeaders
from tests.factories import make_school

#: Routes outside /v1 that are public by design: they serve no personal data.
PUBLIC_OUTSIDE_V1 = {"/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"}
SAMPLE_URN = 118950


def v1_routes() -> list[APIRoute]:
    return [
        route for router in V1_ROUTERS for route in router.routes if isinstance(route, APIRoute)
    ]


def declaration_of(route: APIRoute) -> PolicyDeclaration | str:
    found = list(declared_policies(route.endpoint, route.dependencies))
    assert len(found) == 1, f"{route.path} {route.methods} declares {len(found)} policies"
    return found[0]


def test_every_v1_route_declares_exactly_one_policy() -> None:
    for route in v1_routes():
        assert route.path.startswith("/v1/")
        declaration_of(route)


def test_every_documented_operation_is_checked_here() -> None:
    document = json.loads(render_openapi())
    checked = {(route.path, method.lower()) for route in v1_routes() for method in route.methods}
    for path, operations in document["paths"].items():
        if not path.startswith("/v1/"):
            assert path in PUBLIC_OUTSIDE_V1, f"{path} is outside /v1 and not a known public route"
            continue
        for method in operations:
            assert (path, method) in checked, f"{method} {path} is served by an unchecked router"


def test_public_v1_routes_are_the_known_few() -> None:
    public = {route.path for route in v1_routes() if declaration_of(route) == "public"}
    assert public <= {"/v1/oauth/token", "/v1/public/subject-requests"}


def matrix() -> list[tuple[str, str, str, str, Role]]:
    cases = []
    for route in v1_routes():
        declaration = declaration_of(route)
        if not isinstance(declaration, PolicyDeclaration):
            continue
        for method in sorted(route.methods):
            for role in Role:
                cases.append((method, route.path, declaration.resource, declaration.action, role))
    return cases


def concrete(path: str) -> str:
    samples = {"urn": str(SAMPLE_URN)}
    return re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), str(uuid.uuid4())), path)


@pytest.mark.parametrize(
    ("method", "path", "resource", "action", "role"),
    matrix(),
    ids=lambda v: v.value if isinstance(v, Role) else str(v),
)
async def test_authorisation_matrix(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    method: str,
    path: str,
    resource: str,
    action: str,
    role: Role,
) -> None:
    await make_school(session, urn=SAMPLE_URN)
    allowed = role in PolicyEngine().permitted(resource, action)
    now = datetime.now(UTC)
    grant = InspectionGrant("grant-1", now - timedelta(hours=1), now + timedelta(hours=1))
    purposes = sorted(ROLE_PURPOSES[role])
    headers = auth(
        role,
        area_teams=("east",),
        school_urns=(SAMPLE_URN,),
        org="kent-police" if role is Role.PARTNER else None,
        inspection=grant if role is Role.INSPECTOR else None,
        purpose=purposes[0].value if purposes and RESOURCES[resource].personal_data else None,
    )
    headers["If-Match"] = "*"
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    response = await client.request(method, concrete(path), json=body, headers=headers)
    if allowed:
        assert response.status_code not in {401, 403}, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.json()["policy"]["rule"]
    anonymous = await client.request(method, concrete(path), json=body)
    assert anonymous.status_code == 401
