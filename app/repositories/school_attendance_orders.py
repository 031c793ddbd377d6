"""Queries over School Attendance Orders. An order is read only after its case was (the case
decides who may see it)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import SaoStatus, SchoolAttendanceOrder
from app.repositories.pagination import PageRequest, keyset_page

#: An order still running: a further step may follow.
LIVE_STATUSES = (
    SaoStatus.NOTICE_SERVED,
    SaoStatus.INTENTION_SERVED,
    SaoStatus.ORDER_MADE,
    SaoStatus.BREACHED,
)


class SchoolAttendanceOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, order: SchoolAttendanceOrder) -> None:
        self.session.add(order)

    async def get(
        self, case_id: uuid.UUID, order_id: uuid.UUID, *, for_update: bool = False
    ) -> SchoolAttendanceOrder | None:
        stmt = select(SchoolAttendanceOrder).where(
            SchoolAttendanceOrder.case_id == case_id, SchoolAttendanceOrder.id == order_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        order: SchoolAttendanceOrder | None = await self.session.scalar(stmt)
        return order

    async def live_for(
        self, case_id: uuid.UUID, carer_id: uuid.UUID
    ) -> SchoolAttendanceOrder | None:
        """The parent's order still running on the case, if any (one at a time)."""
        order: SchoolAttendanceOrder | None = await self.session.scalar(
            select(SchoolAttendanceOrder)
            .where(
                SchoolAttendanceOrder.case_id == case_id,
                SchoolAttendanceOrder.carer_id == carer_id,
                SchoolAttendanceOrder.status.in_(LIVE_STATUSES),
            )
            .limit(1)
        )
        return order

    async def breached_for(
        self, case_id: uuid.UUID, carer_id: uuid.UUID
    ) -> SchoolAttendanceOrder | None:
        """The parent's order on the case they failed to comply with (s443), if any."""
        order: SchoolAttendanceOrder | None = await self.session.scalar(
            select(SchoolAttendanceOrder)
            .where(
                SchoolAttendanceOrder.case_id == case_id,
                SchoolAttendanceOrder.carer_id == carer_id,
                SchoolAttendanceOrder.status == SaoStatus.BREACHED,
            )
            .order_by(SchoolAttendanceOrder.breached_on.desc())
            .limit(1)
        )
        return order

    async def page(
        self, case_id: uuid.UUID, page: PageRequest, *, status: SaoStatus | None = None
    ) -> tuple[list[SchoolAttendanceOrder], str | None]:
        """A case's orders, oldest first (by when recorded, then id)."""
        stmt = select(SchoolAttendanceOrder).where(SchoolAttendanceOrder.case_id == case_id)
        if status is not None:
            stmt = stmt.where(SchoolAttendanceOrder.status == status)
        keys = (SchoolAttendanceOrder.created_at, SchoolAttendanceOrder.id)
        return await keyset_page(self.session, stmt, keys, page)
