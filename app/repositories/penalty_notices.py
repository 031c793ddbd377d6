"""Queries over a case's notices to improve and penalty notices.

A notice is read only after its case was loaded through the policy layer's filter (the case
decides who sees its parts), so the reads here take the case's id. The one exception is the
three-year count, which must see every notice to a parent for a child, on any case, whoever
may read those cases: it returns issue dates and whether each was withdrawn, nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceAlert
from app.models.cases import (
    NoticeToImprove,
    NoticeToImproveStatus,
    PenaltyNotice,
    PenaltyNoticeStatus,
)
from app.repositories.pagination import PageRequest, keyset_page


class NoticeToImproveRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, notice: NoticeToImprove) -> None:
        self.session.add(notice)

    async def get(
        self, case_id: uuid.UUID, notice_id: uuid.UUID, *, for_update: bool = False
    ) -> NoticeToImprove | None:
        stmt = select(NoticeToImprove).where(
            NoticeToImprove.case_id == case_id, NoticeToImprove.id == notice_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        notice: NoticeToImprove | None = await self.session.scalar(stmt)
        return notice

    async def page(
        self, case_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[NoticeToImprove], str | None]:
        """A case's notices to improve, newest first."""
        stmt = select(NoticeToImprove).where(NoticeToImprove.case_id == case_id)
        keys = (NoticeToImprove.issued_on, NoticeToImprove.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def current_for(self, case_id: uuid.UUID, carer_id: uuid.UUID) -> NoticeToImprove | None:
        """The notice to improve to this parent on this case whose outcome is not yet
        recorded, if any."""
        notice: NoticeToImprove | None = await self.session.scalar(
            select(NoticeToImprove)
            .where(
                NoticeToImprove.case_id == case_id,
                NoticeToImprove.carer_id == carer_id,
                NoticeToImprove.status == NoticeToImproveStatus.ISSUED,
            )
            .limit(1)
        )
        return notice

    async def issued_that_day(
        self, case_id: uuid.UUID, carer_id: uuid.UUID, issued_on: date
    ) -> bool:
        """A notice to improve to this parent on this case is dated that day already."""
        found = await self.session.scalar(
            select(NoticeToImprove.id).where(
                NoticeToImprove.case_id == case_id,
                NoticeToImprove.carer_id == carer_id,
                NoticeToImprove.issued_on == issued_on,
            )
        )
        return found is not None


class PenaltyNoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, notice: PenaltyNotice) -> None:
        self.session.add(notice)

    async def get(
        self, case_id: uuid.UUID, notice_id: uuid.UUID, *, for_update: bool = False
    ) -> PenaltyNotice | None:
        stmt = select(PenaltyNotice).where(
            PenaltyNotice.case_id == case_id, PenaltyNotice.id == notice_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        notice: PenaltyNotice | None = await self.session.scalar(stmt)
        return notice

    async def page(
        self, case_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[PenaltyNotice], str | None]:
        """A case's penalty notices, newest first."""
        stmt = select(PenaltyNotice).where(PenaltyNotice.case_id == case_id)
        keys = (PenaltyNotice.issued_on, PenaltyNotice.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def of_case(self, case_id: uuid.UUID) -> list[PenaltyNotice]:
        """Every penalty notice on a case, oldest first (for the case's own read)."""
        rows = await self.session.scalars(
            select(PenaltyNotice)
            .where(PenaltyNotice.case_id == case_id)
            .order_by(PenaltyNotice.issued_on, PenaltyNotice.id)
        )
        return list(rows.all())

    async def history(self, carer_id: uuid.UUID, pupil_id: uuid.UUID) -> list[tuple[date, bool]]:
        """Every notice ever issued to this parent for this child, on any case: its issue date
        and whether it was withdrawn (the three-year count)."""
        rows = await self.session.execute(
            select(PenaltyNotice.issued_on, PenaltyNotice.status).where(
                PenaltyNotice.carer_id == carer_id, PenaltyNotice.pupil_id == pupil_id
            )
        )
        return [(issued, status is PenaltyNoticeStatus.WITHDRAWN) for issued, status in rows]

    async def overlapping(
        self, carer_id: uuid.UUID, pupil_id: uuid.UUID, offence_from: date, offence_to: date
    ) -> PenaltyNotice | None:
        """A notice in force (not withdrawn) to this parent for this child whose offence
        period overlaps the one given, on any case."""
        notice: PenaltyNotice | None = await self.session.scalar(
            select(PenaltyNotice)
            .where(
                PenaltyNotice.carer_id == carer_id,
                PenaltyNotice.pupil_id == pupil_id,
                PenaltyNotice.status != PenaltyNoticeStatus.WITHDRAWN,
                PenaltyNotice.offence_from <= offence_to,
                PenaltyNotice.offence_to >= offence_from,
            )
            .limit(1)
        )
        return notice

    async def reference_taken(self, reference: str) -> bool:
        found = await self.session.scalar(
            select(PenaltyNotice.id).where(PenaltyNotice.reference == reference)
        )
        return found is not None

    async def alert(self, alert_id: uuid.UUID) -> AttendanceAlert | None:
        alert: AttendanceAlert | None = await self.session.scalar(
            select(AttendanceAlert).where(AttendanceAlert.id == alert_id)
        )
        return alert
