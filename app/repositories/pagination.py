"""Keyset (cursor) pagination: stable under inserts, O(page) at any depth.

A page's cursor is the sort values of its last row, sealed (``app.crypto.cursors``) to the list,
caller and filters it was served for. The next page is a plain comparison with those values
inside the caller's own query: no row is looked up on the cursor's word, so a cursor can never
tell anything about a row the caller may not see.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import Enum
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Select, TypeDecorator, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed

#: The range of a 64-bit signed integer column (BIGINT): a decoded integer outside it is
#: refused before it reaches the database driver.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

#: A value as a cursor carries it: sort values are text or whole numbers.
Plain = str | int


class Seal(Protocol):
    """Seals a page position into a cursor and opens it again, bound to one list, caller and
    set of filters (``app.crypto.cursors.CursorSeal``)."""

    def seal(self, payload: bytes) -> str: ...

    def open(self, cursor: str) -> bytes | None:
        """The payload, or None for a cursor not sealed under this binding or expired."""
        ...


def bad_cursor() -> ValidationFailed:
    """The 422 for a cursor this service did not issue (or one altered since)."""
    return ValidationFailed(
        "The cursor is not one this service issued.",
        errors=[
            {
                "location": "query",
                "pointer": "/cursor",
                "detail": "invalid cursor",
                "code": "cursor",
            }
        ],
    )


@dataclass(frozen=True, slots=True)
class PageRequest:
    """One page of a list: how many rows, where the previous page ended, and the seal its
    next cursor is issued under (bound to the list, the caller and the filters).

    Built by ``PageRequest.start`` from the ``cursor`` the caller sent, which it opens or
    refuses there and then.
    """

    limit: int
    seal: Seal = field(repr=False)
    #: The sort values of the previous page's last row, as the cursor carried them.
    after: tuple[Plain, ...] | None = None

    @classmethod
    def start(cls, *, limit: int, cursor: str | None, seal: Seal) -> PageRequest:
        """The page ``cursor`` points at (the first page without one); ``bad_cursor()`` for a
        cursor not sealed under ``seal``'s binding, altered, expired or malformed."""
        if cursor is None:
            return cls(limit=limit, seal=seal)
        payload = seal.open(cursor)
        if payload is None:
            raise bad_cursor()
        return cls(limit=limit, seal=seal, after=_plain_values(payload))

    def position(self, keys: Sequence[Any]) -> tuple[Any, ...] | None:
        """The cursor's values typed as ``keys`` (the columns the list is ordered by)."""
        if self.after is None:
            return None
        if len(self.after) != len(keys):
            raise bad_cursor()
        return tuple(_typed(key, value) for key, value in zip(keys, self.after, strict=True))

    def next_cursor(self, values: Sequence[Any]) -> str:
        """The cursor of the page after the row whose sort values are ``values``."""
        payload = json.dumps(
            [_plain(value) for value in values], separators=(",", ":"), ensure_ascii=False
        )
        return self.seal.seal(payload.encode("utf-8"))


async def keyset_page(
    session: AsyncSession,
    stmt: Select[*tuple[Any, ...]],
    keys: Sequence[Any],
    page: PageRequest,
    *,
    descending: bool = False,
    scalars: bool = True,
    values_of: Callable[[Any], Sequence[Any]] | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` ordered by ``keys`` (unique together; all descending when
    ``descending``), from where ``page`` left off, and the cursor of the next page (None on
    the last).

    ``scalars`` returns ORM objects; pass False for rows. The next cursor is built from the
    last row's attributes named as the keys, or from ``values_of(row)`` when given.
    """
    position = page.position(keys)
    if position is not None:
        stmt = stmt.where(_beyond(keys, position, descending=descending))
    order = [key.desc() for key in keys] if descending else list(keys)
    stmt = stmt.order_by(*order).limit(page.limit + 1)
    result = await session.scalars(stmt) if scalars else await session.execute(stmt)
    rows = list(result.all())
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    last = rows[-1]
    values = values_of(last) if values_of else [getattr(last, key.key) for key in keys]
    return rows, page.next_cursor(values)


def _beyond(keys: Sequence[Any], position: Sequence[Any], *, descending: bool) -> Any:
    """Rows after ``position`` in the list's order: a row-value comparison, which both
    databases answer from an index on the keys."""
    bound = [literal(value, key.type) for key, value in zip(keys, position, strict=True)]
    if len(keys) == 1:
        left: Any = keys[0]
        right: Any = bound[0]
    else:
        left, right = tuple_(*keys), tuple_(*bound)
    clause: ColumnElement[bool] = left < right if descending else left > right
    return clause


def _plain(value: Any) -> Plain:
    """A sort value as a cursor carries it."""
    if isinstance(value, bool):
        raise TypeError("a boolean cannot be a sort key")
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, int | str):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TypeError("a naive timestamp cannot be a sort key")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be a sort key")


def _plain_values(payload: bytes) -> tuple[Plain, ...]:
    try:
        values = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        raise bad_cursor() from None
    if not isinstance(values, list) or not values:
        raise bad_cursor()
    if not all(isinstance(v, int | str) and not isinstance(v, bool) for v in values):
        raise bad_cursor()
    return tuple(values)


def _typed(key: Any, value: Plain) -> Any:
    """A cursor value as the key column's Python type; ``bad_cursor()`` if it is not one."""
    column_type = key.type
    if isinstance(column_type, TypeDecorator):  # e.g. UTCDateTime: its stored type says
        column_type = column_type.impl_instance
    try:
        python_type = column_type.python_type
    except NotImplementedError:
        raise bad_cursor() from None
    if python_type is not bool and issubclass(python_type, int):
        if isinstance(value, int) and INT64_MIN <= value <= INT64_MAX:
            return value
    elif isinstance(value, str):
        try:
            return _parsed(python_type, value)
        except ValueError:
            pass
    raise bad_cursor()


def _parsed(python_type: type, text: str) -> Any:
    """``text`` as a value of ``python_type``; ``ValueError`` if it is not one."""
    if python_type is uuid.UUID:
        return uuid.UUID(text)
    if python_type is datetime:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("a timestamp without an offset")
        return moment
    if python_type is date:
        return date.fromisoformat(text)
    if issubclass(python_type, str):  # text, and enums stored as text
        return python_type(text)
    raise ValueError(f"no cursor values of type {python_type.__name__}")
