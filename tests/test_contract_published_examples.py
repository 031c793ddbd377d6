"""What a schema declares as its example is what the published contract shows, nulls and all."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic_core import to_jsonable_python

from app.cli import render_openapi
from app.contract import _declared_examples, _models, restore_examples


def test_every_declared_example_is_published_unchanged() -> None:
    document = json.loads(render_openapi())
    models = {model.__name__: model for model in _models()}
    compared = 0
    for name, schema in document["components"]["schemas"].items():
        model = models.get(name.removesuffix("-Input").removesuffix("-Output"))
        declared = _declared_examples(model) if model is not None else None
        if declared is None:
            continue
        assert schema.get("examples") == to_jsonable_python(declared), name
        compared += 1
    assert compared > 0


class _LastPage(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [], "next_cursor": None}]})

    items: list[int]
    next_cursor: str | None


def test_a_null_in_an_example_survives_rendering() -> None:
    stripped: dict[str, Any] = {
        "components": {"schemas": {"_LastPage": {"examples": [{"items": []}], "properties": {}}}}
    }
    restored = restore_examples(stripped)
    assert restored["components"]["schemas"]["_LastPage"]["examples"] == [
        {"items": [], "next_cursor": None}
    ]
