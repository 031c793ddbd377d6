"""Building blocks every schema shares: strict input, safe text, pages, problems."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

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


class Input(BaseModel):
    """Base for request bodies: unknown fields are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
    location: str = Field(description="Where the problem is: body, query, header or path.")
    pointer: str = Field(description="JSON pointer to the field within that location.")
    detail: str
    code: str


class PolicyRefusal(BaseModel):
    """Which rule refused, for which purpose, and why."""

    rule: str
    purpose: str | None = None
    reason: str
    allowed_purposes: list[str] | None = None


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(extra="allow")

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
    Field(description="The `next_cursor` of the page before, passed back unchanged."),
]


#: Charsets a text body (a CSV roll, an attendance import) may declare: UTF-8, or ASCII, which
#: is a subset of it.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii"})
