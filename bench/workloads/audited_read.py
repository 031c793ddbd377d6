"""A policy-checked, audited read of one record against the same read with neither, at 32
concurrent clients.

Subject: ``GET /v1/schools/{urn}`` with a bearer token: token verification, the policy
decision, the audit event appended to the hash chain, and the commit that makes it durable.
Baseline: the same read through the same app (middleware, unit of work, repository,
serialisation) on a route with no token, no policy and no audit.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import httpx
from fastapi import APIRouter

from app.auth.principal import Role
from app.db import Database, SessionDep
from app.demo import demo_schools, seed_demo
from app.main import create_app
from app.repositories.schools import SchoolRepository
from app.schemas.schools import SchoolRead
from bench.harness import Result, Scale, Workload, measure_concurrent, sized
from tests.conftest import make_settings

CLIENTS = 32


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(
        url, log_level="WARNING", signing_keys_dir=keys, database_pool_size=CLIENTS
    )
    database = Database.from_settings(settings)
    await database.upgrade()
    async with database.sessions() as session, session.begin():
        await seed_demo(session)
    app = create_app(settings, database)

    bare = APIRouter()

    @bare.get("/bench/schools/{urn}")
    async def read_without_policy(urn: int, session: SessionDep) -> SchoolRead:
        school = await SchoolRepository(session).get(urn)
        assert school is not None
        return SchoolRead.model_validate(school)

    app.include_router(bare)
    token = app.state.token_issuer.issue(
        subject="bench-officer", roles=[Role.ATTENDANCE_OFFICER], ttl_seconds=3600
    ).access_token
    headers = {"Authorization": f"Bearer {token}"}
    urns = [s.urn for s in demo_schools()]
    rng = random.Random(7)

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

        async def audited() -> object:
            response = await client.get(f"/v1/schools/{rng.choice(urns)}", headers=headers)
            assert response.status_code == 200, response.text
            return response

        async def plain() -> object:
            response = await client.get(f"/bench/schools/{rng.choice(urns)}")
            assert response.status_code == 200, response.text
            return response

        result = await measure_concurrent(
            Workload(
                name=f"audited read at {CLIENTS} clients",
                subject=audited,
                baseline=plain,
                target="ratio >= 0.5 on PostgreSQL",
                note="GET /v1/schools/{urn} with token verification, policy decision and "
                "hash-chained audit event committed, against the same read through the same "
                "app with none of them; amortised over 32 concurrent in-process clients.",
            ),
            backend,
            clients=CLIENTS,
            ops_per_client=sized(scale, quick=10, full=20),
            rounds=sized(scale, quick=3, full=6),
        )
    await database.dispose()
    return [result]
