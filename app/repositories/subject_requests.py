"""Queries over data-subject requests and complaints."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.schools import School
from app.models.subject_requests import (
    RequestRight,
    RequestStatus,
    SubjectRequest,
    SubjectRequestReview,
)
from app.repositories.pagination import PageRequest, keyset_page

#: Requests whose clock is not running have no due date: lists put them after every dated one.
NO_DUE_DATE = date(9999, 12, 31)
#: The window of ``due_within_7_days``: today and the seven days after it.
DUE_SOON_DAYS = 7


@dataclass(frozen=True, slots=True)
class SubjectRequestQuery:
    status: RequestStatus | None = None
    right: RequestRight | None = None
    #: Open requests due before ``today``.
    overdue: bool = False
    #: Open requests due from ``today`` to ``DUE_SOON_DAYS`` days on.
    due_soon: bool = False
    received_from: date | None = None
    received_to: date | None = None
    assigned_to: str | None = None


@dataclass(frozen=True, slots=True)
class Timeliness:
    """Counts for the on-time rate: closed requests by whether they were answered by their
    due date, and open requests past it."""

    closed_on_time: int = 0
    closed_late: int = 0
    #: Closed before the clock ever started (withdrawn while identity was awaited, say).
    closed_without_deadline: int = 0
    open_overdue: int = 0
    open_due_soon: int = 0
    open_total: int = 0


def _due_order() -> ColumnElement[Any]:
    return func.coalesce(SubjectRequest.due_on, literal(NO_DUE_DATE, SubjectRequest.due_on.type))


class SubjectRequestRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

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

    async def page(
        self,
        query: SubjectRequestQuery,
        page: PageRequest,
        *,
        visible: ColumnElement[bool],
        today: date,
    ) -> tuple[list[SubjectRequest], str | None]:
        """Requests by due date (those without one last), then date received."""
        stmt = select(SubjectRequest).where(visible)
        if query.status is not None:
            stmt = stmt.where(SubjectRequest.status == query.status)
        if query.right is not None:
            stmt = stmt.where(SubjectRequest.right == query.right)
        if query.overdue:
            stmt = stmt.where(
                SubjectRequest.status != RequestStatus.CLOSED, SubjectRequest.due_on < today
            )
        if query.due_soon:
            stmt = stmt.where(
                SubjectRequest.status != RequestStatus.CLOSED,
                SubjectRequest.due_on >= today,
                SubjectRequest.due_on <= today + timedelta(days=DUE_SOON_DAYS),
            )
        if query.received_from is not None:
            stmt = stmt.where(SubjectRequest.received_on >= query.received_from)
        if query.received_to is not None:
            stmt = stmt.where(SubjectRequest.received_on <= query.received_to)
        if query.assigned_to is not None:
            stmt = stmt.where(SubjectRequest.assigned_to == query.assigned_to)
        keys = (_due_order(), SubjectRequest.received_on, SubjectRequest.id)
        return await keyset_page(
            self.session,
            stmt,
            keys,
            page,
            values_of=lambda r: (r.due_on or NO_DUE_DATE, r.received_on, r.id),
        )

    async def school_exists(self, urn: int) -> bool:
        return await self.session.scalar(select(School.urn).where(School.urn == urn)) is not None

    async def reference_taken(self, reference: str) -> bool:
        found = await self.session.scalar(
            select(SubjectRequest.id).where(SubjectRequest.reference == reference)
        )
        return found is not None

    # --- reviews ------------------------------------------------------------------------------

    async def review(
        self, request_id: uuid.UUID, review_id: uuid.UUID, *, for_update: bool = False
    ) -> SubjectRequestReview | None:
        stmt = select(SubjectRequestReview).where(
            SubjectRequestReview.request_id == request_id, SubjectRequestReview.id == review_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def review_page(
        self, request_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[SubjectRequestReview], str | None]:
        """A request's reviews in the order they were recorded."""
        stmt = select(SubjectRequestReview).where(SubjectRequestReview.request_id == request_id)
        keys = (SubjectRequestReview.recorded_at, SubjectRequestReview.id)
        return await keyset_page(self.session, stmt, keys, page)

    # --- the on-time rate ---------------------------------------------------------------------

    async def timeliness(self, today: date) -> Timeliness:
        """One aggregate over every request (no personal data): answered on time or late,
        and open past or near the deadline."""
        closed = SubjectRequest.status == RequestStatus.CLOSED
        open_ = SubjectRequest.status != RequestStatus.CLOSED
        dated = SubjectRequest.due_on.is_not(None)

        def count(*conditions: ColumnElement[bool]) -> Any:
            return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

        row = (
            await self.session.execute(
                select(
                    count(closed, dated, SubjectRequest.closed_on <= SubjectRequest.due_on),
                    count(closed, dated, SubjectRequest.closed_on > SubjectRequest.due_on),
                    count(closed, SubjectRequest.due_on.is_(None)),
                    count(open_, dated, SubjectRequest.due_on < today),
                    count(
                        open_,
                        dated,
                        SubjectRequest.due_on >= today,
                        SubjectRequest.due_on <= today + timedelta(days=DUE_SOON_DAYS),
                    ),
                    count(open_),
                )
            )
        ).one()
        return Timeliness(*(int(value) for value in row))
