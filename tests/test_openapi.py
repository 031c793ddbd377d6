"""The committed OpenAPI document is the app's, and its operation ids are readable."""

from __future__ import annotations

import json
import re

from app.cli import render_openapi
from app.settings import PROJECT_ROOT


def test_committed_openapi_matches_the_app() -> None:
    committed = (PROJECT_ROOT / "openapi" / "openapi.json").read_text()
    assert committed == render_openapi(), "openapi/openapi.json is stale: run `make openapi`"


def test_operation_ids_are_stable_and_readable() -> None:
    document = json.loads(render_openapi())
    ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation_id), operation_id


def test_every_operation_documents_its_problems() -> None:
    document = json.loads(render_openapi())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" in operation["responses"], f"{method} {path}"
            if method in {"post", "put", "patch"}:
                assert {"413", "415"} <= operation["responses"].keys(), f"{method} {path}"


def test_operations_document_the_problems_of_their_headers() -> None:
    """An operation that takes `If-Match` documents 412 and 428; one that takes
    `Idempotency-Key` documents 409 (the key first used under other permissions)."""
    document = json.loads(render_openapi())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            if "If-Match" in headers:
                assert {"412", "428"} <= operation["responses"].keys(), f"{method} {path}"
            if "Idempotency-Key" in headers:
                assert "409" in operation["responses"], f"{method} {path}"
