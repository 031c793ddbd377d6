"""Queries over prosecutions and the records they rest on. A prosecution is read only after its
case was (the case decides who may see it)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import (
    CaseDocument,
    PenaltyNotice,
    Prosecution,
    ProsecutionStatus,
)
from app.repositories.pagination import PageRequest, keyset_page

#: A prosecution still running: preparing, or laid and awaiting its outcome.
LIVE_STATUSES = (ProsecutionStatus.PREPARING, ProsecutionStatus.LAID)


class ProsecutionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, prosecution: Prosecution) -> None:
        self.session.add(prosecution)

    async def get(
        self, case_id: uuid.UUID, prosecution_id: uuid.UUID, *, for_update: bool = False
    ) -> Prosecution | None:
        stmt = select(Prosecution).where(
            Prosecution.case_id == case_id, Prosecution.id == prosecution_id
        )
        if for_update:
            stmt = stmt.with_for_update()
        prosecution: Prosecution | None = await self.session.scalar(stmt)
        return prosecution

    async def live_for(self, case_id: uuid.UUID, carer_id: uuid.UUID) -> Prosecution | None:
        """The parent's prosecution still running on the case, if any (one at a time)."""
        prosecution: Prosecution | None = await self.session.scalar(
            select(Prosecution)
            .where(
                Prosecution.case_id == case_id,
                Prosecution.carer_id == carer_id,
                Prosecution.status.in_(LIVE_STATUSES),
            )
            .limit(1)
        )
        return prosecution

    async def page(
        self, case_id: uuid.UUID, page: PageRequest, *, status: ProsecutionStatus | None = None
    ) -> tuple[list[Prosecution], str | None]:
        """A case's prosecutions, oldest first (by when recorded, then id)."""
        stmt = select(Prosecution).where(Prosecution.case_id == case_id)
        if status is not None:
            stmt = stmt.where(Prosecution.status == status)
        keys = (Prosecution.created_at, Prosecution.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def penalty_notice(
        self, case_id: uuid.UUID, notice_id: uuid.UUID
    ) -> PenaltyNotice | None:
        """A penalty notice on this case, if there is one with that id."""
        notice: PenaltyNotice | None = await self.session.scalar(
            select(PenaltyNotice).where(
                PenaltyNotice.case_id == case_id, PenaltyNotice.id == notice_id
            )
        )
        return notice

    async def penalty_notices(
        self, notice_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, PenaltyNotice]:
        ids = sorted(set(notice_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(select(PenaltyNotice).where(PenaltyNotice.id.in_(ids)))
        return {notice.id: notice for notice in rows}

    async def documents_on_case(
        self, case_id: uuid.UUID, document_ids: Iterable[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Of these document ids, those of documents on this case."""
        ids = sorted(set(document_ids))
        if not ids:
            return set()
        rows = await self.session.scalars(
            select(CaseDocument.id).where(CaseDocument.case_id == case_id, CaseDocument.id.in_(ids))
        )
        return set(rows)
