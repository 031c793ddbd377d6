"""A school's roll push history: when each push replaced the roll, which client sent it, and
what it did, in the counts the push's own response gave.

Read from the audit trail (``app.repositories.roll_pushes``); the ``roll_pushes.*`` rules
decide whose pushes a caller sees, and their filter travels into the one query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.roll_pushes import RollPushQuery, RollPushRepository


@dataclass(frozen=True, slots=True)
class RollPush:
    """One push that replaced a school's roll. ``unchanged`` is the count the push's response
    gave, which includes rows held because their pupil's processing is restricted or
    objected to: that is not the school's to learn, here any more than there."""

    id: uuid.UUID
    school_urn: int
    pushed_at: datetime
    pushed_by: str | None
    as_of: date
    pupils_on_roll: int
    joined: int
    updated: int
    unchanged: int
    held_for_review: int
    left: int
    carers_created: int
    carers_updated: int

    @classmethod
    def of(cls, event: AuditEvent) -> RollPush:
        details: dict[str, Any] = event.details or {}

        def count(name: str) -> int:
            value = details.get(name, 0)
            return value if isinstance(value, int) and not isinstance(value, bool) else 0

        # The response counted rows held because their processing is restricted as
        # unchanged; the event records the two apart.
        unchanged = count("unchanged") + count("held_rows")
        return cls(
            id=event.id,
            school_urn=int(event.resource_id or 0),
            pushed_at=event.occurred_at,
            pushed_by=event.actor,
            as_of=date.fromisoformat(str(details.get("as_of"))),
            pupils_on_roll=count("pupils_on_roll"),
            joined=count("joined"),
            updated=count("updated"),
            unchanged=unchanged,
            held_for_review=count("held_for_review"),
            left=count("left"),
            carers_created=count("carers_created"),
            carers_updated=count("carers_updated"),
        )


async def list_roll_pushes(
    session: AsyncSession, access: Access, *, query: RollPushQuery, page: PageRequest
) -> tuple[list[RollPush], str | None]:
    """The roll pushes the caller may see, newest first."""
    events, next_cursor = await RollPushRepository(session).page(
        query, page=page, visible=access.filter()
    )
    return [RollPush.of(event) for event in events], next_cursor
