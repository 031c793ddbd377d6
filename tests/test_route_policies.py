"""Every /v1 route declares its policy, and every role meets exactly the outcome the rules
declare for it on every route (the authorisation matrix, generated, not hand-listed).

Each role calls with what it really needs: staff their area team and school, a partner a
purpose an active sharing agreement gives its organisation, an inspector a real grant.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant, Role
from app.cli import render_openapi
from app.main import V1_ROUTERS
from app.models import DataCategory, Recipient
from app.models import InspectionGrant as GrantRow
from app.models.sharing import london_today
from app.policies import PolicyDeclaration, declared_policies
from app.policies.engine import PolicyEngine
from app.policies.registry import Purpose
from app.policies.resources import RESOURCES
from app.policies.rules import PARTNER_PURPOSES, ROLE_PURPOSES, RULES
from app.rules.kent import District
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_school

#: Routes outside /v1 that are public by design: they serve no personal data.
PUBLIC_OUTSIDE_V1 = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/.well-known/jwks.json",
    "/problems",
    "/problems/{slug}",
}
SAMPLE_URN = 118950
SUBJECT = "matrix-caller"
PARTNER_ORG = "kent-police"


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
    # The token endpoint and public intake take anonymous callers by design; Notify's delivery
    # receipts are authenticated by the token we gave Notify, not by a user's token.
    assert public <= {
        "/v1/oauth/token",
        "/v1/public/subject-requests",
        "/v1/public/complaints",
        "/v1/notify/callbacks",
    }


ENGINE = PolicyEngine()


def matrix() -> list[tuple[str, str, str, str]]:
    cases = []
    for route in v1_routes():
        declaration = declaration_of(route)
        if not isinstance(declaration, PolicyDeclaration):
            continue
        for method in sorted(route.methods):
            cases.append((method, route.path, declaration.resource, declaration.action))
    return cases


def purpose_for(role: Role, resource: str, action: str) -> Purpose | None:
    """A purpose a rule lets this role use for this action (the first, for a stable run), or,
    where no rule does, one the role may state at all."""
    allowing = {
        purpose
        for rule in RULES
        if role in rule.roles and rule.resource == resource and action in rule.actions
        for purpose in rule.purposes
    }
    fallback = PARTNER_PURPOSES if role is Role.PARTNER else ROLE_PURPOSES[role]
    candidates = sorted(allowing or fallback)
    return candidates[0] if candidates else None


async def recipient(session: AsyncSession, code: str) -> Recipient:
    found = await session.scalar(select(Recipient).where(Recipient.code == code))
    assert found is not None, f"migrations seed the recipient {code}"
    return found


async def county_wide_agreement(session: AsyncSession) -> None:
    """What a partner needs: an active agreement for its organisation covering every partner
    purpose and every category of data, county-wide."""
    await make_agreement(
        session,
        await recipient(session, PARTNER_ORG),
        purposes=sorted(PARTNER_PURPOSES),
        data_categories=list(DataCategory),
        starts_on=london_today() - timedelta(days=1),
    )


async def inspection_grant(session: AsyncSession, inspector: str) -> InspectionGrant:
    """What an inspector needs: an open grant of their own over the sample school and every
    category; the token's claims name it."""
    now = datetime.now(UTC)
    grant = GrantRow(
        recipient_id=(await recipient(session, "ofsted")).id,
        inspector=inspector,
        reference="matrix",
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        school_urns=[SAMPLE_URN],
        data_categories=[c.value for c in DataCategory],
        granted_by="matrix",
    )
    session.add(grant)
    await session.flush()
    return InspectionGrant(str(grant.id), grant.starts_at, grant.ends_at)


def concrete(path: str) -> str:
    samples = {"urn": str(SAMPLE_URN)}
    return re.sub(r"\{(\w+)\}", lambda m: samples.get(m.group(1), str(uuid.uuid4())), path)


@pytest.mark.parametrize(("method", "path", "resource", "action"), matrix(), ids=str)
async def test_authorisation_matrix(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    method: str,
    path: str,
    resource: str,
    action: str,
) -> None:
    """Every role on this route: a role some rule allows is never refused (401/403); any
    other role is refused with a 403 naming its rule. One test per route, all roles in it,
    so the app and the data each role needs are set up once."""
    # In the east area team, which the staff tokens below carry, so area-team rules match.
    await make_school(session, urn=SAMPLE_URN, district=District.THANET)
    await county_wide_agreement(session)
    grant = await inspection_grant(session, SUBJECT)
    permitted = ENGINE.permitted(resource, action)
    personal = RESOURCES[resource].personal_data
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    wrong: list[str] = []
    for role in Role:
        purpose = purpose_for(role, resource, action)
        headers = auth(
            role,
            subject=SUBJECT,
            area_teams=("east",),
            school_urns=(SAMPLE_URN,),
            org=PARTNER_ORG if role is Role.PARTNER else None,
            inspection=grant if role is Role.INSPECTOR else None,
            purpose=purpose.value if personal and purpose else None,
        )
        headers["If-Match"] = "*"
        response = await client.request(method, concrete(path), json=body, headers=headers)
        if role in permitted:
            if response.status_code in {401, 403}:
                wrong.append(f"{role} (allowed) got {response.status_code}: {response.text}")
        elif response.status_code != 403 or not response.json().get("policy", {}).get("rule"):
            wrong.append(f"{role} (refused) got {response.status_code}: {response.text}")
    assert not wrong, "\n".join(wrong)
    anonymous = await client.request(method, concrete(path), json=body)
    assert anonymous.status_code == 401
