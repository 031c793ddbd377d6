"""The OpenAPI document is a contract an integrator can build on from `/docs` alone: every
operation has a written summary and description, and every example it shows is valid."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator
from typing import Any

import jsonschema_rs
import pytest
from pydantic import BaseModel

import app.schemas
from app.cli import render_openapi

METHODS = frozenset({"get", "post", "put", "patch", "delete"})

#: Operations whose wording is not yet written: the service's own probes and key set, which
#: live outside the versioned API, and the roll, roll push and attendance import routes.
NOT_YET_WRITTEN = frozenset(
    {
        "operations_health",
        "operations_ready",
        "operations_metrics",
        "identity_jwks",
        "school_roll_replace",
        "roll_pushes_list",
        "attendance_imports_create",
        "attendance_imports_list",
        "attendance_imports_get",
    }
)

Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    loaded: Document = json.loads(render_openapi())
    return loaded


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def generated_summary(operation_id: str) -> str:
    """What FastAPI writes when a route has no summary: its name in title case."""
    return operation_id.replace("_", " ").title()


def validator(document: Document, schema: Document) -> jsonschema_rs.Validator:
    """A validator for ``schema`` that resolves the document's component references."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


def assert_valid(document: Document, schema: Document, example: object, where: str) -> None:
    errors = [e.message for e in validator(document, schema).iter_errors(example)]
    assert not errors, f"{where}: example {example!r} is invalid: {errors}"


def schema_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model in ``app.schemas``, by class name (its component name)."""
    models: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.iter_modules(app.schemas.__path__):
        module = importlib.import_module(f"app.schemas.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                models.setdefault(value.__name__, value)
    return models


def test_every_operation_has_a_written_summary_and_description(document: Document) -> None:
    missing = []
    for path, method, operation in operations(document):
        operation_id = operation["operationId"]
        if operation_id in NOT_YET_WRITTEN:
            continue
        summary = operation.get("summary", "")
        if not summary or summary == generated_summary(operation_id):
            missing.append(f"{method.upper()} {path}: no written summary")
        if not operation.get("description", "").strip():
            missing.append(f"{method.upper()} {path}: no description")
    assert not missing, "\n".join(missing)


def test_summaries_are_short_and_distinct(document: Document) -> None:
    summaries = [op["summary"] for _, _, op in operations(document) if "summary" in op]
    assert len(summaries) == len(set(summaries))
    assert all(len(summary) <= 60 for summary in summaries)


def test_schema_and_property_examples_validate(document: Document) -> None:
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            assert_valid(document, schema, example, name)
            checked += 1
        for field, prop in schema.get("properties", {}).items():
            for example in prop.get("examples", []):
                assert_valid(document, prop, example, f"{name}.{field}")
                checked += 1
    assert checked > 0


def test_parameter_examples_validate(document: Document) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            examples = list(schema.get("examples", []))
            if "example" in parameter:
                examples.append(parameter["example"])
            examples += [e["value"] for e in parameter.get("examples", {}).values() if "value" in e]
            for example in examples:
                where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                assert_valid(document, schema, example, where)


def test_request_body_examples_validate_against_the_schema_and_the_model(
    document: Document,
) -> None:
    models = schema_models()
    for path, method, operation in operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            schema = content.get("schema", {})
            ref = schema.get("$ref", "")
            name = ref.rsplit("/", 1)[-1] if ref else None
            component = document["components"]["schemas"].get(name, {}) if name else {}
            examples = list(component.get("examples", [])) + list(schema.get("examples", []))
            if "example" in content:
                examples.append(content["example"])
            examples += [e["value"] for e in content.get("examples", {}).values() if "value" in e]
            for example in examples:
                where = f"{method.upper()} {path} ({media_type})"
                assert_valid(document, schema, example, where)
                if media_type == "application/json" and name in models:
                    models[name].model_validate(example)
