"""Queries over data-subject requests and complaints."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.subject_requests import SubjectRequest


class SubjectRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, request_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> SubjectRequest | None:
        """The request with its clock events and matches, if visible; ``for_update`` locks it."""
        stmt = (
            select(SubjectRequest)
            .where(SubjectRequest.id == request_id, visible)
            .options(
                selectinload(SubjectRequest.clock_events), selectinload(SubjectRequest.matches)
            )
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=SubjectRequest)
        return await self.session.scalar(stmt)
