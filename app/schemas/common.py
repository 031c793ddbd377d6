"""Building blocks every schema shares: strict input, safe text, pages, problems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    Strict,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from app.rules.calendar import LONDON
from app.rules.formulas import is_formula_like

#: No control characters: documented in the schema; ``_printable`` also refuses the rest.
SINGLE_LINE_TEXT = r"^[^\x00-\x1f\x7f]*$"


def _printable(value: str) -> str:
    """Refuse text a database or a log cannot hold safely: control characters, lone surrogates."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode") from exc
    for ch in value:
        if unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}:
            raise ValueError("text must not contain control or unassigned characters")
    return value


def bounded(max_length: int, min_length: int = 1) -> StringConstraints:
    """Single-line text, trimmed, between ``min_length`` and ``max_length`` characters.

    Use with ``PRINTABLE``: ``Annotated[str, bounded(200), PRINTABLE]``.
    """
    return StringConstraints(
        strip_whitespace=True,
        min_length=min_length,
        max_length=max_length,
        pattern=SINGLE_LINE_TEXT,
    )


PRINTABLE = AfterValidator(_printable)


def _not_formula(value: str) -> str:
    """Refuse text a spreadsheet would run as a formula (``app.rules.formulas``)."""
    if is_formula_like(value):
        raise PydanticCustomError(
            "formula_like",
            "must not start with =, +, -, @, a tab or a carriage return "
            "(a spreadsheet would read it as a formula)",
        )
    return value


#: For names and address lines: ``Annotated[str, bounded(100), PRINTABLE, NOT_FORMULA]``.
#: They end up in exports people open in spreadsheets, and no real one starts like a formula.
NOT_FORMULA = AfterValidator(_not_formula)


_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")


def _iso_only(value: Any) -> Any:
    """Refuse numbers as timestamps: pydantic would read ``0.5`` as seconds since 1970."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 timestamp with a UTC offset")
    return value


#: An ISO 8601 timestamp with an offset (``2026-11-29T10:00:00Z``); numbers are refused.
Timestamp = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


def _iso_date_only(value: Any) -> Any:
    """Refuse numbers as dates: pydantic would read ``0`` as 1970-01-01."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 date (YYYY-MM-DD)")
    return value


#: An ISO 8601 calendar date (``2026-11-29``); numbers are refused.
CalendarDate = Annotated[date, BeforeValidator(_iso_date_only)]


def _not_in_future(value: date) -> date:
    if value > datetime.now(LONDON).date():
        raise ValueError("a date of birth cannot be in the future")
    return value


#: A date of birth as anyone gives it: a calendar date not after today (a birthday rule
#: applied to a date in the future would be nonsense, and at year 9999 cannot be computed).
PastBirthDate = Annotated[CalendarDate, AfterValidator(_not_in_future)]


E = TypeVar("E", bound=type)


def schema_examples(*examples: Any) -> Callable[[E], E]:
    """Give a type that cannot carry ``Field(examples=...)`` (an enum) examples in its schema."""

    def json_schema(
        cls: type, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        generated = handler.resolve_ref_schema(handler(schema))
        generated["examples"] = list(examples)
        return generated

    def decorate(cls: E) -> E:
        cls.__get_pydantic_json_schema__ = classmethod(json_schema)  # type: ignore[attr-defined]
        return cls

    return decorate


#: A boolean in a JSON body: ``true`` or ``false`` only (``0``, ``1`` or ``"yes"`` is refused,
#: never coerced). Query parameters keep their text forms.
JsonBool = Annotated[bool, Strict()]


def _numeric(annotation: Any) -> bool:
    """The field takes a number (``int``, ``float``, optional or constrained)."""
    if annotation in (int, float):
        return True
    return any(_numeric(arg) for arg in get_args(annotation))


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise PydanticCustomError("number_not_boolean", "a number, not true or false")
    return value


class Input(BaseModel):
    """Base for request bodies: unknown fields are refused, not ignored, and a number is a
    number: ``true`` where a count belongs is refused at that field, never read as 1 (as
    pydantic's lax mode would)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        numeric = [f for f in cls.model_fields.values() if _numeric(f.annotation)]
        guard = BeforeValidator(_not_a_boolean)
        changed = False
        for field in numeric:
            if guard not in field.metadata:
                field.metadata.append(guard)
                changed = True
        if changed:
            cls.model_rebuild(force=True)


class MergePatch(Input):
    """A JSON merge patch (RFC 7396): the fields present change; none may be set to null,
    because every patchable field of our resources is required."""

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [k for k, v in data.items() if v is None]
            if nulls:
                raise ValueError(f"these fields cannot be removed: {', '.join(sorted(nulls))}")
        return data

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a cursor-paginated list."""

    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to fetch the next page; null on the last page."
    )


class ProblemFieldError(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "location": "body",
                    "pointer": "/upn",
                    "detail": "Value error, the UPN's check letter does not match its digits",
                    "code": "value_error",
                }
            ]
        }
    )

    location: str = Field(description="Where the problem is: body, query, header or path.")
    pointer: str = Field(description="JSON pointer to the field within that location.")
    detail: str
    code: str


class PolicyRefusal(BaseModel):
    """Which rule refused, for which purpose, and why."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "rule": "purpose.not_allowed",
                    "purpose": "child_employment_licensing",
                    "reason": "child_employment_licensing is not allowed here",
                    "allowed_purposes": ["attendance_duty", "intervention"],
                }
            ]
        }
    )

    rule: str
    purpose: str | None = None
    reason: str
    allowed_purposes: list[str] | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "https://kpas.kent.gov.uk/problems/validation-failed",
                    "title": "The request has invalid fields",
                    "status": 422,
                    "detail": "1 field(s) failed validation.",
                    "instance": "/v1/pupils",
                    "errors": [
                        {
                            "location": "body",
                            "pointer": "/upn",
                            "detail": "Value error, the UPN's check letter does not match "
                            "its digits",
                            "code": "value_error",
                        }
                    ],
                },
                {
                    "type": "https://kpas.kent.gov.uk/problems/forbidden",
                    "title": "Not permitted",
                    "status": 403,
                    "detail": "Refused by rule purpose.not_allowed: child_employment_licensing "
                    "is not allowed here.",
                    "instance": "/v1/pupils/3a58f793-11dc-43c5-b8ef-744610a81630",
                    "policy": {
                        "rule": "purpose.not_allowed",
                        "purpose": "child_employment_licensing",
                        "reason": "child_employment_licensing is not allowed here",
                        "allowed_purposes": ["attendance_duty", "intervention"],
                    },
                },
            ]
        },
    )

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[ProblemFieldError] | None = None
    policy: PolicyRefusal | None = None


PAGE_LIMIT_MAX = 200
PAGE_LIMIT_DEFAULT = 50

#: A list's ``cursor`` parameter. Only the list that issued a cursor can check it, and every
#: cursor it refuses (garbage included) is answered with the one same 422, so no constraint is
#: enforced here: one would answer some of them with a different problem.
Cursor = Annotated[
    str,
    Field(
        description="Leave out for the first page. For the next, the `next_cursor` of the page "
        "before, passed back unchanged with the same filters: a cursor is opaque, sealed to "
        "the list, the caller and the filters that issued it, and short-lived, so none can be "
        "written by hand."
    ),
]


#: Charsets a text body (a CSV roll, an attendance import) may declare: UTF-8, or ASCII, which
#: is a subset of it.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
