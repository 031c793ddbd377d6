"""Limits hold on every route of their kind, not only the ones their own tests name: a body
over the limit is a 413 problem on every write operation the API publishes (JSON, CSV, form
and multipart alike; declared by ``Content-Length`` or streamed without one) and nothing is
written; the limited routes (the token endpoint, the public intake) answer 429 with
``Retry-After``."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models import AuditEvent
from app.models.base import Base
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.factories import assert_problem
from tests.test_auth_clients import TOKEN_URL, grant
from tests.test_public_intake_api import COMPLAINTS, REQUESTS, complaint_body, request_body

#: The smallest limits the settings allow, so an oversized body stays small.
LIMITS: dict[str, int] = {
    "max_body_bytes": 1024,
    "roll_max_body_bytes": 1024,
    "attendance_import_max_body_bytes": 1024,
    "document_max_bytes": 1024,
    "public_intake_max_body_bytes": 1024,
}
#: Over every route's limit (the default, plus the largest allowance a route declares).
OVERSIZED = 8 * 1024
WRITES = ("post", "put", "patch", "delete")


@pytest.fixture
def app(migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    settings = make_settings(
        str(migrated_engine.url),
        token_requests_per_minute_per_client=2,
        token_requests_per_minute_per_address=1_000,
        public_intake_requests_per_address=2,
        **LIMITS,
    )
    return create_app(
        settings, Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    )


def every_write() -> Iterator[tuple[str, str, list[str]]]:
    """(method, path with its parameters filled, media types of its body) of every write
    operation the API publishes (the committed contract, which a test holds to the app's:
    building the document again would take seconds)."""
    document = json.loads((PROJECT_ROOT / "openapi" / "openapi.json").read_text())
    for template, operations in document["paths"].items():
        path = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), template)
        for method, operation in operations.items():
            if method in WRITES:
                content = (operation.get("requestBody") or {}).get("content", {})
                yield method.upper(), path, sorted(content) or ["application/json"]


def oversized(media_type: str) -> tuple[bytes, str]:
    """A well-formed body of ``media_type`` larger than any limit, and its content type."""
    filler = "a" * OVERSIZED
    if media_type == "multipart/form-data":
        boundary = "kpas-limit-boundary"
        body = (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="title"\r\n\r\nA title\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="scan"\r\n'
            "Content-Type: text/plain\r\n\r\n"
            f"{filler}\r\n"
            f"--{boundary}--\r\n"
        )
        return body.encode(), f"multipart/form-data; boundary={boundary}"
    if media_type == "text/csv":
        return ("school_urn,upn,date,session,code\n" + filler + "\n").encode(), media_type
    if media_type == "application/x-www-form-urlencoded":
        return f"grant_type=client_credentials&client_id={filler}".encode(), media_type
    return f'{{"note": "{filler}"}}'.encode(), "application/json"


async def chunks(body: bytes, size: int = 512) -> AsyncIterator[bytes]:
    """The body streamed in pieces, with no ``Content-Length``."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def rows(session: AsyncSession) -> dict[str, int]:
    """Rows in every table (the audit trail's included), in one query."""
    counts = union_all(
        *(
            select(literal(table.name).label("name"), func.count().label("n")).select_from(table)
            for table in Base.metadata.sorted_tables
        )
    )
    return {name: int(n) for name, n in await session.execute(counts)}


@pytest.fixture
async def everyone(app: FastAPI) -> dict[str, str]:
    """A token with every role, so no route refuses before it reads the body."""
    issued = app.state.token_issuer.issue(
        subject="limits-1", roles=list(Role), area_teams=("east", "west", "north", "south")
    )
    return {"Authorization": f"Bearer {issued.access_token}", "KPAS-Purpose": "attendance_duty"}


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as c:
        yield c


async def test_every_write_operation_refuses_an_oversized_body_with_a_413(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, everyone: dict[str, str]
) -> None:
    before = await rows(session)
    changes = await change_events(session)
    declared_refusals: dict[str, int] = {}
    streamed_refusals: dict[int, list[str]] = {}
    for method, path, media_types in every_write():
        for media_type in media_types:
            body, content_type = oversized(media_type)
            headers = {**everyone, "Content-Type": content_type}
            operation = f"{method} {path} ({media_type})"
            # Declared by Content-Length: refused before the request is routed.
            declared = await client.request(method, path, content=body, headers=headers)
            declared_refusals[operation] = declared.status_code
            if declared.status_code == 413:
                problem = assert_problem(declared, 413)
                assert str(problem["type"]).endswith("/payload-too-large"), problem
            # Streamed: refused once the route has read past its limit. A route that refuses
            # before reading the body at all (unknown record, no If-Match, not permitted, a
            # stream whose start is already wrong) says so instead; never a 2xx or a 5xx.
            streamed = await client.request(method, path, content=chunks(body), headers=headers)
            problem = assert_problem(streamed, streamed.status_code)
            assert streamed.status_code in {403, 404, 413, 422, 428}, (operation, problem)
            streamed_refusals.setdefault(streamed.status_code, []).append(operation)
    assert len(declared_refusals) > 100
    assert {op: status for op, status in declared_refusals.items() if status != 413} == {}
    # Most routes read their body before anything else refuses it.
    assert len(streamed_refusals[413]) > len(declared_refusals) * 3 // 4, streamed_refusals
    # Nothing is written, and no change is recorded (refusals after a policy decision leave
    # the decision's audit event, as every refusal does).
    after = await rows(session)
    audit = {"audit_events", "audit_chain_head", "audit_event_subjects"}
    assert {t: n for t, n in after.items() if n != before[t] and t not in audit} == {}
    assert await change_events(session) == changes


async def change_events(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "change")
        )
        or 0
    )


async def test_each_limited_route_answers_429_with_retry_after_and_keeps_nothing(
    app: FastAPI, session: AsyncSession
) -> None:
    """The token endpoint (2 a minute per client id here) and the public intake (2 in its
    window per address here): the request after the allowance is a 429 problem whose
    ``Retry-After`` says how long to wait, and it is not acted on."""
    window = app.state.settings.public_intake_window_seconds
    limited = [
        (TOKEN_URL, {"data": grant("kpas_unknown_client", "kpas_cs_guess")}, 60, {401}),
        (REQUESTS, {"json": request_body()}, window, {202}),
        (COMPLAINTS, {"json": complaint_body()}, window, {202}),
    ]
    for number, (path, body, longest, allowed) in enumerate(limited):
        transport = httpx.ASGITransport(
            app=app, raise_app_exceptions=False, client=(f"198.51.100.{number + 20}", 5000)
        )
        async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
            for _ in range(2):
                answered = await client.post(path, **body)
                assert answered.status_code in allowed, answered.text
            before = await rows(session)
            refused = await client.post(path, **body)
            problem = assert_problem(refused, 429)
            assert str(problem["type"]).endswith("/too-many-requests"), problem
            assert 1 <= int(refused.headers["retry-after"]) <= longest, path
            assert await rows(session) == before, path
