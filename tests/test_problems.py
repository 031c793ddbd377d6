"""Every problem ``type`` URI names a page the service serves, every ``errors[].code`` the code
can send is in the catalogue, and the API docs offer what a client needs to authenticate."""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.cli import render_openapi
from app.errors import PROBLEM_BASE, ProblemError
from app.problems import ERROR_CODES, PROBLEM_TYPES, problem_classes
from app.routers.problems import preferred
from tests.factories import assert_problem

APP = Path(__file__).resolve().parent.parent / "app"
#: Functions that put their argument at this position into ``errors[].code``.
CODE_ARGUMENT = {
    "body_problem": 2,
    "_field_error": 2,
    "_query_problem": 2,
    "_column_problem": 2,
    "_refusal": 2,
    "_refuse": 2,
    "ShapeProblem": 2,
    "_report": 3,
    "report": 0,
    "Refusal": 0,
    "PydanticCustomError": 0,
}
#: Calls whose ``code=`` is an audit reason, not an ``errors[].code``.
NOT_ERROR_CODES = {"refuse"}
#: The fake GOV.UK Notify answers in Notify's own error shape.
SKIPPED = {APP / "notify" / "fake"}
#: Where a dict's ``code`` is a record's own field in an example (an attendance code, a
#: recipient's code, a finding's code), not an error code the service emits.
EXAMPLES = APP / "schemas"


def _strings(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)


def _called(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def emitted_codes() -> dict[str, str]:
    """Every literal ``errors[].code`` in ``app/``, with where it is: a ``"code": ...`` entry,
    a ``code=`` argument, or the code argument of a function that builds an error entry.

    The source is parsed rather than matched with a regular expression, so calls spread over
    several lines and ``a if ... else b`` codes are found too."""
    found: dict[str, str] = {}
    for path in sorted(APP.rglob("*.py")):
        if any(skipped in path.parents for skipped in SKIPPED):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            values: list[ast.expr] = []
            if isinstance(node, ast.Dict) and EXAMPLES not in path.parents:
                values += [
                    v
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == "code"
                ]
            elif isinstance(node, ast.Call) and _called(node.func) not in NOT_ERROR_CODES:
                values += [kw.value for kw in node.keywords if kw.arg == "code"]
                index = CODE_ARGUMENT.get(_called(node.func) or "")
                if index is not None and len(node.args) > index:
                    values.append(node.args[index])
            for value in values:
                for code in _strings(value):
                    found.setdefault(code, f"{path.relative_to(APP.parent)}:{node.lineno}")
    return found


def test_the_scan_finds_the_codes_it_should() -> None:
    codes = emitted_codes()
    for code in ("not_on_roll", "retired_code", "cursor", "formula_like", "school_closed"):
        assert code in codes
    assert "unknown_subject" in codes and "leavers_unconfirmed" in codes


def test_every_error_code_in_the_source_is_catalogued() -> None:
    missing = {code: where for code, where in emitted_codes().items() if code not in ERROR_CODES}
    assert not missing, f"add these to app/problems.py: {missing}"


def test_every_catalogued_code_names_real_problem_types() -> None:
    for entry in ERROR_CODES.values():
        assert entry.types and set(entry.types) <= PROBLEM_TYPES.keys(), entry.code
        assert entry.meaning.strip(), entry.code


def test_every_problem_class_has_a_catalogue_entry() -> None:
    classes = problem_classes()
    assert ProblemError in classes
    for cls in classes:
        problem = PROBLEM_TYPES[cls.slug]
        assert (problem.status, problem.title) == (cls.status, cls.title)
        assert problem.uri == cls.type_uri()
        assert problem.meaning.strip() and problem.fix.strip()


async def test_every_problem_class_has_a_page(client: httpx.AsyncClient) -> None:
    for cls in problem_classes():
        path = cls.type_uri().removeprefix(PROBLEM_BASE.removesuffix("/problems/"))
        response = await client.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 200, path
        page = response.json()
        assert page["type"] == cls.type_uri()
        assert (page["status"], page["title"]) == (cls.status, cls.title)


async def test_a_problem_page_in_json_lists_meaning_fix_and_codes(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/problems/validation-failed")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "Accept" in response.headers["vary"]
    page = response.json()
    assert page["slug"] == "validation-failed" and page["status"] == 422
    assert page["meaning"] and page["fix"]
    codes = {entry["code"]: entry["meaning"] for entry in page["codes"]}
    assert "not_on_roll" in codes and "formula_like" in codes
    assert "school_closed" not in codes  # a conflict's code


async def test_a_problem_page_for_a_person_is_html(client: httpx.AsyncClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await client.get("/problems/conflict", headers={"Accept": browser})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Conflicts with the current state</h1>" in response.text
    assert "<code>leavers_unconfirmed</code>" in response.text
    assert "How to fix it" in response.text


async def test_the_catalogue_lists_every_type_and_code(client: httpx.AsyncClient) -> None:
    body = (await client.get("/problems", headers={"Accept": "application/json"})).json()
    assert {p["slug"] for p in body["problems"]} == set(PROBLEM_TYPES)
    assert {c["code"] for c in body["codes"]} == set(ERROR_CODES)
    page = await client.get("/problems", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html")
    for slug in PROBLEM_TYPES:
        assert f'href="/problems/{slug}"' in page.text


async def test_an_unknown_problem_type_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/problems/no-such-thing"), 404)
    assert body["type"] == PROBLEM_BASE + "not-found"


async def test_a_media_type_neither_json_nor_html_is_a_406(client: httpx.AsyncClient) -> None:
    response = await client.get("/problems/conflict", headers={"Accept": "image/png"})
    assert_problem(response, 406)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("text/html", "text/html"),
        ("application/json;q=0.5, text/*", "text/html"),
        ("text/html;q=0, */*", "application/json"),
        ("image/png", None),
    ],
)
def test_accept_negotiation(accept: str | None, chosen: str | None) -> None:
    assert preferred(accept) == chosen


async def test_problems_made_outside_the_hierarchy_link_to_pages(
    client: httpx.AsyncClient,
) -> None:
    """The framework's 404, 405 and 422 and the body limit's 413 all name catalogued types."""
    made = [
        await client.get("/no-such-path"),
        await client.delete("/problems"),
        await client.get("/problems", params={"unexpected": "1"}),
        await client.post("/v1/oauth/token", headers={"Content-Length": str(10**9)}),
    ]
    for response in made:
        slug = response.json()["type"].removeprefix(PROBLEM_BASE)
        assert slug in PROBLEM_TYPES, response.json()


# --- the API description ----------------------------------------------------------------


def document() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(render_openapi())
    return loaded


def operations() -> Iterator[tuple[str, str, dict[str, object]]]:
    paths = document()["paths"]
    assert isinstance(paths, dict)
    for path, item in paths.items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_tag_a_route_uses_has_a_description() -> None:
    described = {
        tag["name"]: tag.get("description")
        for tag in document().get("tags", [])  # type: ignore[attr-defined]
    }
    for path, method, operation in operations():
        for tag in operation.get("tags", []):  # type: ignore[attr-defined]
            assert described.get(tag), f"tag {tag!r} of {method} {path} has no description"


def test_docs_offer_a_bearer_token_and_the_client_credentials_flow() -> None:
    schemes = document()["components"]["securitySchemes"]  # type: ignore[index]
    assert schemes["bearer"]["scheme"] == "bearer"
    flow = schemes["clientCredentials"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/v1/oauth/token"
    for path, method, operation in operations():
        security = operation.get("security") or []
        if {"bearer": []} in security:  # type: ignore[operator]
            assert {"clientCredentials": []} in security, f"{method} {path}"  # type: ignore[operator]


def test_notifys_callback_token_is_not_offered_to_api_clients() -> None:
    schemes = document()["components"]["securitySchemes"]  # type: ignore[index]
    assert [name for name, s in schemes.items() if s.get("scheme") == "bearer"] == ["bearer"]
    receipts = document()["paths"]["/v1/notify/callbacks"]["post"]  # type: ignore[index]
    assert "security" not in receipts
    assert "token" in receipts["description"]


def test_the_description_says_how_to_get_a_token_and_a_purpose() -> None:
    description = str(document()["info"]["description"])  # type: ignore[index]
    for needed in ("POST /v1/oauth/token", "identity provider", "KPAS-Purpose", "/v1/purposes"):
        assert needed in description
    assert "/problems" in description
