"""The files in ``samples/`` work: the service's own readers accept the roll and attendance
samples, and every request of ``samples/kpas.http`` succeeds, in order, against the demo data.

The collection is read by a small parser for the part of the ``.http`` format it uses: file
variables (``@name = value``), ``###`` between requests, ``# @name`` to name a request, the
request line, headers, a body or a ``< ./file`` include, and ``{{...}}`` references to file
variables and to a named request's JSON response (``{{name.response.body.$.a[0].b}}``).
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from app.auth.principal import Role
from app.demo import (
    demo_pupil_id,
)
from app.routers.params import EXAMPLE_PUPIL_ID, EXAMPLE_URN
from app.rules.attendance import CODES_IN_FORCE_FROM, classify, normal_code, normal_session
from app.rules.upn import validate_upn
from app.schemas.attendance_imports import EXAMPLE_IMPORT
from app.schemas.roll import EXAMPLE_CSV_ROLL, EXAMPLE_ROLL, read_csv_roll, read_json_roll
from app.services.attendance_rows import CsvMarkReader, JsonMarkReader, RawMark
from tests.conftest import build_app
from tests.demo_support import demo_engine_on

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
COLLECTION = SAMPLES / "kpas.http"
#: The demo school the samples are for.
SAMPLE_URN = 990028
#: The day the samples were written for: every date in them is on or before it.
SAMPLES_WRITTEN_ON = date(2026, 12, 3)

_VARIABLE = re.compile(r"^@([A-Za-z_][\w-]*)\s*=\s*(.*)$")
_REFERENCE = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_REQUEST_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)(?:\s+HTTP/[\d.]+)?$")
_PATH_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


@dataclass
class HttpRequest:
    name: str | None
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body_lines: list[str] = field(default_factory=list)


@dataclass
class Collection:
    variables: dict[str, str]
    requests: list[HttpRequest]


def parse_collection(text: str) -> Collection:
    """File variables and requests, in order, from ``.http`` text."""
    variables: dict[str, str] = {}
    requests: list[HttpRequest] = []
    for block in re.split(r"^###.*$", text, flags=re.MULTILINE):
        name: str | None = None
        request: HttpRequest | None = None
        in_body = False
        for line in block.splitlines():
            stripped = line.strip()
            if request is None:
                if named := re.match(r"^(?:#|//)\s*@name\s+(\S+)", stripped):
                    name = named.group(1)
                elif variable := _VARIABLE.match(stripped):
                    variables[variable.group(1)] = variable.group(2).strip()
                elif stripped and not stripped.startswith(("#", "//")):
                    matched = _REQUEST_LINE.match(stripped)
                    assert matched, f"not a request line: {stripped!r}"
                    request = HttpRequest(name, matched.group(1), matched.group(2))
            elif in_body:
                request.body_lines.append(line)
            elif not stripped:
                in_body = True
            elif not stripped.startswith(("#", "//")):
                header, _, value = stripped.partition(":")
                request.headers.append((header.strip(), value.strip()))
        if request is not None:
            requests.append(request)
    return Collection(variables, requests)


def json_path(document: Any, path: str) -> Any:
    """The value at a ``$.a.b[0].c`` path."""
    assert path.startswith("$"), path
    value = document
    for key, index in _PATH_STEP.findall(path[1:]):
        value = value[int(index)] if index else value[key]
    return value


@dataclass
class Runner:
    """Sends a collection's requests in order, resolving references as it goes."""

    client: httpx.AsyncClient
    variables: dict[str, str]
    responses: dict[str, httpx.Response] = field(default_factory=dict)

    def resolve(self, text: str, depth: int = 0) -> str:
        assert depth < 10, "variables refer to each other in a loop"

        def value_of(match: re.Match[str]) -> str:
            reference = match.group(1)
            if reference in self.variables:
                return self.resolve(self.variables[reference], depth + 1)
            request, _, rest = reference.partition(".response.body.")
            assert rest, f"unknown variable {reference!r}"
            assert request in self.responses, f"{request!r} has not been sent yet"
            return str(json_path(self.responses[request].json(), rest))

        return _REFERENCE.sub(value_of, text)

    def body_of(self, request: HttpRequest) -> bytes:
        lines = list(request.body_lines)
        while lines and not lines[-1].strip():
            lines.pop()
        if len(lines) == 1 and lines[0].startswith("< "):
            # An include is sent as the file holds it, with no variables resolved.
            return (COLLECTION.parent / lines[0][2:].strip()).read_bytes()
        return self.resolve("\n".join(lines)).encode()

    async def send(self, request: HttpRequest) -> httpx.Response:
        url = self.resolve(request.url)
        headers = [(name, self.resolve(value)) for name, value in request.headers]
        body = self.body_of(request)
        response = await self.client.request(
            request.method, url, headers=headers, content=body or None
        )
        if request.name:
            self.responses[request.name] = response
        return response


# --- the sample files read as the service reads them ----------------------------------------


def test_json_and_csv_rolls_are_accepted_and_describe_the_same_pupils() -> None:
    from_json = read_json_roll(
        (SAMPLES / "roll.json").read_bytes(), as_of_query=None, today=SAMPLES_WRITTEN_ON
    )
    as_of = from_json.as_of
    from_csv = read_csv_roll(
        (SAMPLES / "roll.csv").read_bytes(),
        charset="utf-8",
        as_of_query=as_of,
        today=SAMPLES_WRITTEN_ON,
    )
    assert len(from_json.pupils) == len(from_csv.pupils) == 12
    for by_json, by_csv in zip(from_json.pupils, from_csv.pupils, strict=True):
        assert by_json.model_dump() == by_csv.model_dump()
        assert validate_upn(by_json.upn) == by_json.upn


def test_the_documented_examples_are_the_samples() -> None:
    """The API's request examples are the samples, for the school and pupil its parameter
    examples name: what an integrator tries in ``/docs`` is what this directory holds."""
    assert json.loads((SAMPLES / "roll.json").read_text()) == EXAMPLE_ROLL
    assert (SAMPLES / "roll.csv").read_bytes().decode() == EXAMPLE_CSV_ROLL
    assert json.loads((SAMPLES / "attendance.json").read_text()) == EXAMPLE_IMPORT
    assert EXAMPLE_URN == SAMPLE_URN
    # The roll's first pupil is the pupil the path examples name (the 313th demo pupil).
    assert EXAMPLE_ROLL["pupils"][0]["upn"] == "P999000026313"
    assert demo_pupil_id(313) == EXAMPLE_PUPIL_ID


def _marks(reader: JsonMarkReader | CsvMarkReader, raw: bytes) -> list[RawMark]:
    return [*reader.feed(raw), *reader.close()]


def test_attendance_imports_are_read_as_valid_marks_for_the_sample_school() -> None:
    roll = read_json_roll(
        (SAMPLES / "roll.json").read_bytes(), as_of_query=None, today=SAMPLES_WRITTEN_ON
    )
    on_roll = {pupil.upn for pupil in roll.pupils}
    json_marks = _marks(JsonMarkReader(), (SAMPLES / "attendance.json").read_bytes())
    csv_marks = _marks(CsvMarkReader(), (SAMPLES / "attendance.csv").read_bytes())
    assert len(json_marks) == len(csv_marks) == 2 * len(on_roll)
    seen: set[tuple[str, date, str]] = set()
    for _, urn, upn, day, session, code, shape in [*json_marks, *csv_marks]:
        assert shape == ()
        assert int(urn) == SAMPLE_URN
        assert validate_upn(upn) in on_roll
        marked = date.fromisoformat(day)
        assert CODES_IN_FORCE_FROM <= marked <= SAMPLES_WRITTEN_ON
        assert marked.weekday() < 5
        classify(normal_code(code))
        seen.add((upn, marked, normal_session(session).value))
    assert len(seen) == len(json_marks) + len(csv_marks)


# --- the collection, end to end --------------------------------------------------------------


@pytest_asyncio.fixture(scope="module")
async def demo_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A database holding what ``kpas seed-demo`` loads, built once for this module."""
    async with demo_engine_on(
        backend, tmp_path_factory.mktemp(f"demo-{backend}"), marks_on=SAMPLES_WRITTEN_ON
    ) as engine:
        yield engine


async def test_every_request_in_the_collection_succeeds_against_the_demo(
    demo_engine: AsyncEngine,
) -> None:
    collection = parse_collection(COLLECTION.read_text())
    async with demo_engine.connect() as conn:
        transaction = await conn.begin()
        try:
            sessions = async_sessionmaker(
                bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            app = build_app(demo_engine, sessions)
            issuer = app.state.token_issuer
            variables = {
                **collection.variables,
                "base_url": "http://kpas.test",
                "admin_token": issuer.issue(subject="dev-admin", roles=[Role.ADMIN]).access_token,
                "staff_token": issuer.issue(
                    subject="manager-1", roles=[Role.ATTENDANCE_MANAGER], area_teams=("east",)
                ).access_token,
            }
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport) as client:
                runner = Runner(client, variables)
                sent = []
                for request in collection.requests:
                    response = await runner.send(request)
                    sent.append(request.name)
                    assert response.is_success, (request.name, response.status_code, response.text)
        finally:
            await transaction.rollback()
    assert sent == [
        "register_client",
        "client_token",
        "roll_json",
        "roll_csv",
        "import_json",
        "import_csv",
        "import_report",
        "alerts",
        "find_pupil",
        "pupil",
    ]
    imported = runner.responses["import_report"].json()
    assert imported["status"] == "applied"
    assert imported["rows_applied"] == 24
    assert runner.responses["pupil"].json()["upn"] == "K999000026320"
