"""Listing schools through the API against the same query run directly."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from app.auth.principal import Role
from app.db import Database
from app.demo import seed_demo
from app.main import create_app
from app.models import School
from bench.harness import Result, Scale, Workload, measure, sized
from tests.conftest import make_settings

PAGE = 50


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    settings = make_settings(url, log_level="WARNING")
    database = Database.from_settings(settings)
    await database.upgrade()
    async with database.sessions() as session, session.begin():
        await seed_demo(session)
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject="bench-officer", roles=[Role.ATTENDANCE_OFFICER], ttl_seconds=3600
    ).access_token
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def through_api() -> object:
            response = await client.get(
                "/v1/schools", params={"limit": PAGE, "district": "thanet"}, headers=headers
            )
            assert response.status_code == 200
            return response

        async def direct_query() -> object:
            async with database.sessions() as session:
                stmt = (
                    select(School)
                    .where(School.district == "thanet")
                    .order_by(School.urn)
                    .limit(PAGE + 1)
                )
                return (await session.scalars(stmt)).all()

        result = await measure(
            Workload(
                name="schools list (50 per page)",
                subject=through_api,
                baseline=direct_query,
                target="report only (foundation)",
                note="GET /v1/schools through the ASGI app (token, policy decision, audit "
                "event and commit, middleware, validation, serialisation) against the same "
                "SELECT on a pooled session.",
            ),
            backend,
            rounds=sized(scale, quick=50, full=200),
            warmup=sized(scale, quick=10, full=20),
        )
    await database.dispose()
    return [result]
