"""A query parameter an operation does not declare is refused (422) on every route, before
anything runs: an option the service does not have (``?dry_run=true``) is never ignored while
the request goes ahead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.models.base import Base
from app.models.people import Enrolment
from app.policies.resources import RESOURCES
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school
from tests.test_roll_api import pupil_row, roll
from tests.test_route_policies import (
    ENGINE,
    PARTNER_ORG,
    SAMPLE_URN,
    SUBJECT,
    concrete,
    county_wide_agreement,
    inspection_grant,
    matrix,
    purpose_for,
)

PROBLEM = "application/problem+json"

#: Options integrators reach for that most operations do not have.
UNKNOWN_OPTIONS = ("dry_run", "validate_only", "preview")


def unknown_option(app: FastAPI, method: str, path: str) -> str:
    """The first of ``UNKNOWN_OPTIONS`` the operation does not declare (a retention run list
    filters by ``dry_run``: there it is known)."""
    operation: dict[str, Any] = app.openapi()["paths"][path][method.lower()]
    declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return next(name for name in UNKNOWN_OPTIONS if name not in declared)


async def table_counts(session: AsyncSession) -> list[tuple[str, int]]:
    """Rows in every table of the schema, in one round trip."""
    counts = [
        select(literal(table.name).label("name"), func.count().label("n")).select_from(table)
        for table in Base.metadata.sorted_tables
    ]
    return sorted((name, n) for name, n in (await session.execute(union_all(*counts))).all())


@pytest.mark.parametrize(("method", "path", "resource", "action"), matrix(), ids=str)
async def test_an_unknown_query_parameter_is_refused_and_nothing_happens(
    app: FastAPI,
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    method: str,
    path: str,
    resource: str,
    action: str,
) -> None:
    school = await make_school(session, urn=SAMPLE_URN)
    await make_pupil(session, school=school)
    await county_wide_agreement(session)
    grant = await inspection_grant(session, SUBJECT)
    role = sorted(ENGINE.permitted(resource, action))[0]
    purpose = purpose_for(role, resource, action)
    headers = auth(
        role,
        subject=SUBJECT,
        area_teams=("east",),
        school_urns=(SAMPLE_URN,),
        org=PARTNER_ORG if role is Role.PARTNER else None,
        inspection=grant if role is Role.INSPECTOR else None,
        purpose=purpose.value if RESOURCES[resource].personal_data and purpose else None,
    )
    headers["If-Match"] = "*"
    body = {} if method in {"POST", "PUT", "PATCH"} else None
    before = await table_counts(session)

    option = unknown_option(app, method, path)
    response = await client.request(
        method, concrete(path), params={option: "secret-value"}, json=body, headers=headers
    )

    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    problem = response.json()
    assert [(e["location"], e["pointer"], e["code"]) for e in problem["errors"]] == [
        ("query", f"/{option}", "extra_forbidden")
    ]
    assert "secret-value" not in response.text  # the value is never echoed
    assert await table_counts(session) == before  # not even a decision is recorded


async def test_a_roll_with_dry_run_is_refused_and_the_roll_is_unchanged(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session)
    on_roll = await make_pupil(session, school=school)
    mis = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    before = await table_counts(session)
    response = await client.put(
        f"/v1/schools/{school.urn}/roll",
        params={"dry_run": "true"},
        json=roll(pupil_row()),
        headers=mis,
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/dry_run"
    assert await table_counts(session) == before
    enrolments = await session.scalars(
        select(Enrolment.off_roll_on)
        .where(Enrolment.pupil_id == on_roll.id)
        .execution_options(populate_existing=True)
    )
    assert list(enrolments) == [None]


async def test_an_import_with_dry_run_is_refused_and_nothing_is_written(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session)
    pupil = await make_pupil(session, school=school)
    mis = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    before = await table_counts(session)
    mark = {
        "school_urn": school.urn,
        "upn": pupil.upn,
        "date": "2026-11-27",
        "session": "AM",
        "code": "/",
    }
    response = await client.post(
        "/v1/attendance/imports", params={"dry_run": "true"}, json={"marks": [mark]}, headers=mis
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == "/dry_run"
    assert await table_counts(session) == before
