"""Queries over a school's roll pushes, as the audit trail records them.

Each push that replaced a roll left one ``school_roll.replaced`` change event, naming the
school and carrying the push's ``as_of`` and counts (ids and counts only, never a pupil). The
history is read from those events: no second record of a push to keep in step with the trail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent
from app.repositories.pagination import PageRequest, keyset_page

#: The change event a roll push that replaced a roll records (``app.services.roll``).
ROLL_REPLACED = "school_roll.replaced"


@dataclass(frozen=True, slots=True)
class RollPushQuery:
    school_urn: int | None = None
    pushed_since: datetime | None = None  # inclusive
    pushed_before: datetime | None = None  # exclusive


class RollPushRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, query: RollPushQuery, *, page: PageRequest, visible: ColumnElement[bool]
    ) -> tuple[list[AuditEvent], str | None]:
        """Roll pushes newest first (chain order, ``seq`` descending), in one query: the
        policy's filter, the caller's filters and the page together."""
        stmt = select(AuditEvent).where(
            AuditEvent.kind == "change",
            AuditEvent.action == ROLL_REPLACED,
            AuditEvent.resource_type == "school_roll",
            visible,
        )
        if query.school_urn is not None:
            stmt = stmt.where(AuditEvent.resource_id == str(query.school_urn))
        if query.pushed_since is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= query.pushed_since)
        if query.pushed_before is not None:
            stmt = stmt.where(AuditEvent.occurred_at < query.pushed_before)
        return await keyset_page(self.session, stmt, [AuditEvent.seq], page, descending=True)
