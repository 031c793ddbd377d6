"""Queries over the audit trail. Verification (``app.audit.verification``) streams the chain
itself; these serve the API's lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent, AuditEventSubject
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class AuditEventQuery:
    #: Events that touched this data subject (found through the subject index).
    subject_id: uuid.UUID | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    actor: str | None = None
    decision_id: uuid.UUID | None = None
    purpose: str | None = None
    outcome: str | None = None
    kind: str | None = None
    action: str | None = None
    occurred_from: datetime | None = None  # inclusive
    occurred_to: datetime | None = None  # exclusive


class AuditEventRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        query: AuditEventQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool] | None = None,
    ) -> tuple[list[AuditEvent], str | None]:
        """One page of events in chain order (``seq``), oldest first."""
        stmt = select(AuditEvent)
        if visible is not None:
            stmt = stmt.where(visible)
        if query.subject_id is not None:
            touched = select(AuditEventSubject.event_id).where(
                AuditEventSubject.subject_id == query.subject_id
            )
            stmt = stmt.where(AuditEvent.id.in_(touched))
        if query.resource_type is not None:
            stmt = stmt.where(AuditEvent.resource_type == query.resource_type)
        if query.resource_id is not None:
            stmt = stmt.where(AuditEvent.resource_id == query.resource_id)
        if query.actor is not None:
            stmt = stmt.where(AuditEvent.actor == query.actor)
        if query.decision_id is not None:
            stmt = stmt.where(AuditEvent.decision_id == query.decision_id)
        if query.purpose is not None:
            stmt = stmt.where(AuditEvent.purpose == query.purpose)
        if query.outcome is not None:
            stmt = stmt.where(AuditEvent.outcome == query.outcome)
        if query.kind is not None:
            stmt = stmt.where(AuditEvent.kind == query.kind)
        if query.action is not None:
            stmt = stmt.where(AuditEvent.action == query.action)
        if query.occurred_from is not None:
            stmt = stmt.where(AuditEvent.occurred_at >= query.occurred_from)
        if query.occurred_to is not None:
            stmt = stmt.where(AuditEvent.occurred_at < query.occurred_to)
        return await keyset_page(self.session, stmt, [AuditEvent.seq], page)
