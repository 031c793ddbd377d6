"""A 50-row list of pupils whose audit event names every data subject on the page.

Subject: ``GET /v1/pupils?name=<prefix>&limit=50`` as an area-team manager at 10,000 pupils:
token, policy decision, the page, the allow event carrying the page's 50 subject ids (in its
chained content and in ``audit_event_subjects``), commit, serialisation.

Three baselines, each in the same run as the subject, interleaved:

- the same name range and page read directly, with what the response carries for each pupil
  (enrolments with their schools' names, retention date): the bare query, no app;
- the same page through the same app (middleware, unit of work, repository, serialisation)
  on a route with no token, no policy and no audit;
- for the marginal cost alone: sealing one allow event with no subjects against sealing the
  same event naming 50.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime

import httpx
from fastapi import APIRouter, FastAPI, Query, Request
from sqlalchemy import true

from app.audit.trail import record, seal, with_subjects
from app.crypto.cursors import CursorSeal, cursor_key_of
from app.db import Database, SessionDep
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilQuery, PupilRepository
from app.routers.v1.pupils import _read
from app.schemas.people import PupilPage
from app.services.pupils import PupilRecord, name_prefix
from bench.harness import Op, Result, Scale, Workload, measure
from bench.workloads.pupil_search import (
    PAGE,
    PREFIXES,
    _direct_query,
    _population,
    _through_api,
)
from tests.audit_support import decision

#: Pupils: every surname prefix must fill a page of the area team's pupils, which takes about
#: 10,000 at both sizes; the quick size runs fewer rounds.
SIZE = 10_000
ROUNDS = {Scale.QUICK: 30, Scale.FULL: 100}


def _bare_route(app: FastAPI) -> None:
    bare = APIRouter()

    @bare.get("/bench/pupils")
    async def list_without_policy(
        request: Request, session: SessionDep, name: str = Query()
    ) -> PupilPage:
        # Every row passes: the same page (and its sealed cursor), no policy and no audit.
        seal = CursorSeal(cursor_key_of(request.app), name.encode(), now=datetime.now(UTC))
        found, next_cursor = await PupilRepository(session).page_with_retention(
            PupilQuery(name=name_prefix(name)),
            page=PageRequest(limit=PAGE, seal=seal),
            visible=true(),
        )
        items = [_read(PupilRecord(p, retain_until)) for p, retain_until in found]
        return PupilPage(items=items, next_cursor=next_cursor)

    app.include_router(bare)


def _seal(database: Database, subjects: int) -> Op:
    # Ids made beforehand: a service has its rows' subject ids already.
    pages = itertools.cycle([[uuid.uuid4() for _ in range(subjects)] for _ in range(64)])

    async def sealed() -> object:
        async with database.sessions() as session:
            event = decision(resource_type="pupil", resource_id=None)
            if subjects:
                event = with_subjects(event, resource_id=None, subject_ids=next(pages))
            record(session, event)
            await seal(session)
            await session.commit()
        return None

    return sealed


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    size, rounds = SIZE, ROUNDS[scale]
    rng = random.Random(23)
    results: list[Result] = []
    async with _population(url, size) as population:
        transport = population.client._transport
        assert isinstance(transport, httpx.ASGITransport)
        _bare_route(transport.app)  # type: ignore[arg-type]

        async def through_bare_route() -> object:
            response = await population.client.get(
                "/bench/pupils", params={"name": rng.choice(PREFIXES)}
            )
            assert response.status_code == 200, response.text
            assert len(response.json()["items"]) == PAGE
            return response

        note = (
            f"GET /v1/pupils?name=<prefix>&limit={PAGE} at {size:,} pupils as an area-team "
            f"manager; its allow event names the page's {PAGE} data subjects (chained content "
            "and subject index)."
        )
        results.append(
            await measure(
                Workload(
                    name="audited 50-row list, against the bare query",
                    subject=_through_api(population, rng),
                    baseline=_direct_query(population, rng),
                    target="ratio >= 0.5",
                    note=note + " Baseline: the same name range and page read directly, with "
                    "each pupil's enrolments, schools and retention date.",
                ),
                backend,
                rounds=rounds,
                warmup=10,
            )
        )
        results.append(
            await measure(
                Workload(
                    name="audited 50-row list, against the same app unaudited",
                    subject=_through_api(population, rng),
                    baseline=through_bare_route,
                    target="report only",
                    note=note + " Baseline: the same page through the same app on a route "
                    "with no token, no policy and no audit.",
                ),
                backend,
                rounds=rounds,
                warmup=10,
            )
        )
        results.append(
            await measure(
                Workload(
                    name="sealing an allow event naming 50 subjects",
                    subject=_seal(population.database, PAGE),
                    baseline=_seal(population.database, 0),
                    target="report only",
                    note="One allow event recorded, sealed and committed: naming 50 subjects "
                    "(a sorted detail list and 50 index rows) against naming none.",
                ),
                backend,
                rounds=rounds,
                warmup=10,
            )
        )
    return results
