"""The published contract: what FastAPI renders, completed where it falls short.

- FastAPI renders the OpenAPI document without ``null`` values, which is right for the
  document's own keywords but strips ``null`` out of examples too: an example whose required
  field is ``null`` (a last page's ``next_cursor``) would be published invalid.
  ``restore_examples`` puts each model's declared examples back.
- A request body the route reads itself (the roll and attendance imports stream JSON or CSV)
  is declared in ``openapi_extra``, where FastAPI does not collect models. ``component_ref``
  names such a model, and ``publish_components`` adds it (and the models it uses) to the
  document's components, so generated clients get real types.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

#: Suffixes FastAPI gives a model's component when its input and output schemas differ.
_MODE_SUFFIXES = ("-Input", "-Output")


#: Libraries whose own models (FastAPI's validation errors) publish what they declare.
_LIBRARIES = ("fastapi", "pydantic", "starlette")


def _models(root: type[BaseModel] = BaseModel) -> Iterator[type[BaseModel]]:
    for model in root.__subclasses__():
        if model.__module__.partition(".")[0] not in _LIBRARIES:
            yield model
        yield from _models(model)


_REF_TEMPLATE = "#/components/schemas/{model}"

#: Models request bodies refer to by ``component_ref``, published by ``publish_components``.
_REFERRED: dict[str, type[BaseModel]] = {}


def component_ref(model: type[BaseModel]) -> dict[str, str]:
    """A reference to ``model`` as a named component of the published document."""
    _REFERRED[model.__name__] = model
    return {"$ref": _REF_TEMPLATE.format(model=model.__name__)}


def publish_components(document: dict[str, Any]) -> dict[str, Any]:
    """Add every model ``component_ref`` named, with the models it uses, as components."""
    components = document.setdefault("components", {}).setdefault("schemas", {})
    for name, model in sorted(_REFERRED.items()):
        schema = model.model_json_schema(ref_template=_REF_TEMPLATE)
        for nested_name, nested in schema.pop("$defs", {}).items():
            components.setdefault(nested_name, nested)
        components.setdefault(name, schema)
    document["components"]["schemas"] = dict(sorted(components.items()))
    return document


def _declared_examples(model: type[BaseModel]) -> list[Any] | None:
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return list(examples) if isinstance(examples, list) else None


def restore_examples(document: dict[str, Any]) -> dict[str, Any]:
    """Replace each component's (and its properties') examples with the declared ones."""
    models: dict[str, type[BaseModel]] = {}
    for declared_model in _models():
        models.setdefault(declared_model.__name__, declared_model)
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        base = name
        for suffix in _MODE_SUFFIXES:
            base = base.removesuffix(suffix)
        model = models.get(base)
        if model is None:
            continue
        declared = _declared_examples(model)
        if declared is not None and "examples" in schema:
            schema["examples"] = to_jsonable_python(declared)
        properties = schema.get("properties", {})
        for field_name, field in model.model_fields.items():
            key = field.serialization_alias or field.alias or field_name
            prop = properties.get(key) or properties.get(field_name)
            if prop is not None and field.examples is not None and "examples" in prop:
                prop["examples"] = to_jsonable_python(field.examples)
    return document


def purpose_examples(document: dict[str, Any], routes: Iterable[Any]) -> dict[str, Any]:
    """Give each operation's ``KPAS-Purpose`` header an example the operation accepts: the
    purpose its resource fixes (penalty notices: ``prosecution``), else the first purpose
    its rules allow, so "Try it out" states a purpose the route will take."""
    from fastapi.routing import APIRoute

    from app.policies import PolicyDeclaration, declared_policies
    from app.policies.resources import RESOURCES
    from app.policies.rules import RULES

    for route in routes:
        if not isinstance(route, APIRoute):
            continue
        declared = [
            d
            for d in declared_policies(route.endpoint, route.dependencies)
            if isinstance(d, PolicyDeclaration)
        ]
        if len(declared) != 1:
            continue
        resource, action = declared[0].resource, declared[0].action
        fixed = RESOURCES[resource].default_purpose
        allowed = sorted(
            purpose.value
            for rule in RULES
            if rule.resource == resource and action in rule.actions
            for purpose in rule.purposes
        )
        example = fixed.value if fixed is not None else (allowed[0] if allowed else None)
        if example is None:
            continue
        for method in route.methods or ():
            operation = document.get("paths", {}).get(route.path, {}).get(method.lower())
            for parameter in (operation or {}).get("parameters", []):
                if parameter.get("name") == "KPAS-Purpose" and parameter.get("in") == "header":
                    parameter.setdefault("schema", {})["examples"] = [example]
    return document
