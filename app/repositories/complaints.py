"""Queries over complaints to the council as controller and what they were told."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.subject_requests import (
    Complaint,
    ComplaintStatus,
    ComplaintUpdate,
    SubjectRequest,
)
from app.repositories.pagination import PageRequest, keyset_page

#: The window of ``due_within_7_days``: today and the seven days after it.
DUE_SOON_DAYS = 7


@dataclass(frozen=True, slots=True)
class ComplaintQuery:
    status: ComplaintStatus | None = None
    #: Not acknowledged, and the last day to acknowledge is before ``today``.
    acknowledgement_overdue: bool = False
    #: Not acknowledged, and the last day to acknowledge is today or in the next seven days.
    acknowledgement_due_soon: bool = False
    received_from: date | None = None
    received_to: date | None = None


class ComplaintRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

    async def get(
        self, complaint_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> Complaint | None:
        """The complaint, if visible; ``for_update`` locks it."""
        stmt = (
            select(Complaint)
            .where(Complaint.id == complaint_id, visible)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Complaint)
        return await self.session.scalar(stmt)

    async def updates(self, complaint_id: uuid.UUID) -> list[ComplaintUpdate]:
        """What the complainant was told, in the order it was recorded."""
        rows = await self.session.scalars(
            select(ComplaintUpdate)
            .where(ComplaintUpdate.complaint_id == complaint_id)
            .order_by(ComplaintUpdate.recorded_at, ComplaintUpdate.id)
        )
        return list(rows)

    async def page(
        self,
        query: ComplaintQuery,
        page: PageRequest,
        *,
        visible: ColumnElement[bool],
        today: date,
    ) -> tuple[list[Complaint], str | None]:
        """Complaints by the last day to acknowledge them (so by the day received), oldest
        first."""
        stmt = select(Complaint).where(visible)
        if query.status is not None:
            stmt = stmt.where(Complaint.status == query.status)
        if query.acknowledgement_overdue:
            stmt = stmt.where(
                Complaint.status == ComplaintStatus.RECEIVED, Complaint.acknowledge_by < today
            )
        if query.acknowledgement_due_soon:
            stmt = stmt.where(
                Complaint.status == ComplaintStatus.RECEIVED,
                Complaint.acknowledge_by >= today,
                Complaint.acknowledge_by <= today + timedelta(days=DUE_SOON_DAYS),
            )
        if query.received_from is not None:
            stmt = stmt.where(Complaint.received_on >= query.received_from)
        if query.received_to is not None:
            stmt = stmt.where(Complaint.received_on <= query.received_to)
        keys = (Complaint.acknowledge_by, Complaint.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def reference_taken(self, reference: str) -> bool:
        found = await self.session.scalar(
            select(Complaint.id).where(Complaint.reference == reference)
        )
        return found is not None

    async def request_with_reference(self, reference: str) -> uuid.UUID | None:
        """The id of the subject request with this reference, if one has it."""
        found: uuid.UUID | None = await self.session.scalar(
            select(SubjectRequest.id).where(SubjectRequest.reference == reference)
        )
        return found

    async def request_visible(self, request_id: uuid.UUID, visible: ColumnElement[bool]) -> bool:
        """A subject request with this id exists and ``visible`` lets the caller see it."""
        found = await self.session.scalar(
            select(SubjectRequest.id).where(SubjectRequest.id == request_id, visible)
        )
        return found is not None
