"""A boolean in a JSON body is ``true`` or ``false``: ``0``, ``1`` or ``"yes"`` is refused, never
coerced into a decision nobody made (who has parental responsibility, whether a client may
still sign in)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import get_args

import pytest
from pydantic import BaseModel, Strict, ValidationError

import app.schemas
from app.schemas.common import Input
from app.schemas.people import CarerLink


def _input_models() -> list[type[BaseModel]]:
    """Request-body models: inputs that are not query parameters (filters read text)."""
    for info in pkgutil.iter_modules(app.schemas.__path__):
        importlib.import_module(f"app.schemas.{info.name}")
    seen: list[type[BaseModel]] = []
    pending: list[type[BaseModel]] = [Input]
    while pending:
        model = pending.pop()
        for sub in model.__subclasses__():
            pending.append(sub)
            if not sub.__name__.endswith(("Filters", "Query")):
                seen.append(sub)
    return seen


#: Inputs read from CSV as well as JSON, whose booleans are parsed from the text forms.
CSV_ROWS = frozenset({"RollCarer"})


def test_every_body_boolean_is_strict() -> None:
    lax = []
    for model in _input_models():
        if model.__name__ in CSV_ROWS:
            continue
        for name, field in model.model_fields.items():
            types = {field.annotation, *get_args(field.annotation)}
            if bool in types and not any(isinstance(m, Strict) for m in field.metadata):
                lax.append(f"{model.__name__}.{name}")
    assert not lax, f"lax JSON booleans: {lax}"


@pytest.mark.parametrize("value", [0, 1, "yes", "true"])
def test_a_number_or_word_is_not_a_boolean(value: object) -> None:
    with pytest.raises(ValidationError):
        CarerLink.model_validate(
            {
                "carer_id": "84384276-0289-572a-8f68-ba0a79576c9d",
                "relationship_type": "mother",
                "parental_responsibility": value,
                "lives_with": True,
            }
        )


def _numeric(annotation: object) -> bool:
    return annotation in (int, float) or any(_numeric(arg) for arg in get_args(annotation))


def test_no_body_number_takes_a_boolean() -> None:
    """``true`` where a count belongs (references received, school days, minutes) is refused
    at that field, in every request body, never read as 1."""
    checked = 0
    for model in _input_models():
        for name, field in model.model_fields.items():
            if not _numeric(field.annotation):
                continue
            key = field.alias or name
            with pytest.raises(ValidationError) as refused:
                model.model_validate({key: True})
            assert any(
                error["loc"][:1] == (key,) and "not true or false" in error["msg"]
                for error in refused.value.errors()
            ), f"{model.__name__}.{name}"
            checked += 1
    assert checked > 10
