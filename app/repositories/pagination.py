"""Keyset (cursor) pagination: stable under inserts, O(page) at any depth."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, literal, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.errors import ValidationFailed


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(values, list) or len(values) != arity:
        raise bad_cursor()
    if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in values):
        raise bad_cursor()
    return values


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


async def keyset_page(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any] | Any],
    *,
    limit: int,
    cursor: str | None,
    scalars: bool = True,
) -> tuple[list[Any], str | None]:
    """Run ``stmt`` ordered by ``keys`` (unique together) from ``cursor``; one page back.

    ``scalars`` returns ORM objects; pass False for a Core select to get rows.
    """
    if cursor is not None:
        after = [
            _typed(key, value)
            for key, value in zip(keys, decode_cursor(cursor, len(keys)), strict=True)
        ]
        stmt = (
            stmt.where(tuple_(*keys) > tuple_(*after))
            if len(keys) > 1
            else stmt.where(keys[0] > after[0])
        )
    stmt = stmt.order_by(*keys).limit(limit + 1)
    result = await session.scalars(stmt) if scalars else await session.execute(stmt)
    rows = list(result.all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor([_cursor_value(getattr(last, k.key)) for k in keys])


def _typed(key: Any, value: Any) -> Any:
    """Give a decoded cursor value the column's Python type (a UUID key arrives as text)."""
    try:
        python_type = key.type.python_type
    except NotImplementedError:
        return value
    if isinstance(value, python_type):
        return value
    try:
        return python_type(value)
    except (TypeError, ValueError) as exc:
        raise bad_cursor() from exc


def _cursor_value(value: Any) -> Any:
    return value if isinstance(value, int | str) else str(value)


async def anchored_page(
    session: AsyncSession,
    stmt: Select[Any],
    keys: Sequence[InstrumentedAttribute[Any]],
    *,
    limit: int,
    cursor: str | None,
    descending: bool = False,
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` ordered by ``keys`` (the last is the primary key, a UUID), from
    ``cursor``; ``descending`` for newest first.

    The cursor carries only the last row's id, never its sort values: those may be names, and
    a cursor travels in URLs and logs. The next page starts after that row's current
    position, looked up by id.
    """
    *_, id_column = keys
    if cursor is not None:
        (value,) = decode_cursor(cursor, 1)
        try:
            anchor_id = uuid.UUID(str(value))
        except ValueError:
            raise bad_cursor() from None
        anchor = (await session.execute(select(*keys).where(id_column == anchor_id))).one_or_none()
        if anchor is None:
            raise bad_cursor()
        position = tuple_(*(literal(v, key.type) for key, v in zip(keys, anchor, strict=True)))
        stmt = stmt.where(tuple_(*keys) < position if descending else tuple_(*keys) > position)
    order = [key.desc() for key in keys] if descending else list(keys)
    rows = list((await session.scalars(stmt.order_by(*order).limit(limit + 1))).all())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor([str(getattr(rows[-1], id_column.key))])
