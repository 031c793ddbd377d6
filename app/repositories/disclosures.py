"""Queries over disclosures and the data subjects each was about."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.disclosures import Disclosure, DisclosureSubject
from app.policies.registry import Purpose
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class DisclosureQuery:
    recipient_id: uuid.UUID | None = None
    agreement_id: uuid.UUID | None = None
    inspection_grant_id: uuid.UUID | None = None
    purpose: Purpose | None = None
    subject_id: uuid.UUID | None = None
    automatic: bool | None = None
    #: Released at or after this moment.
    disclosed_from: datetime | None = None
    #: Released before this moment.
    disclosed_before: datetime | None = None


class DisclosureRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, disclosure_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Disclosure | None:
        stmt = select(Disclosure).where(Disclosure.id == disclosure_id)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def subject_ids(self, disclosure_id: uuid.UUID) -> list[uuid.UUID]:
        rows = await self.session.scalars(
            select(DisclosureSubject.subject_id)
            .where(DisclosureSubject.disclosure_id == disclosure_id)
            .order_by(DisclosureSubject.subject_id)
        )
        return list(rows)

    async def subject_counts(self, disclosure_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
        ids = list(disclosure_ids)
        if not ids:
            return {}
        rows = await self.session.execute(
            select(DisclosureSubject.disclosure_id, func.count())
            .where(DisclosureSubject.disclosure_id.in_(ids))
            .group_by(DisclosureSubject.disclosure_id)
        )
        return {disclosure_id: int(n) for disclosure_id, n in rows}

    async def page(
        self,
        query: DisclosureQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool],
    ) -> tuple[list[Disclosure], str | None]:
        """One page, newest first. Keyset on (disclosed_at, id): stable while new
        disclosures are written, and as cheap at any depth."""
        stmt = select(Disclosure).where(visible)
        if query.recipient_id is not None:
            stmt = stmt.where(Disclosure.recipient_id == query.recipient_id)
        if query.agreement_id is not None:
            stmt = stmt.where(Disclosure.agreement_id == query.agreement_id)
        if query.inspection_grant_id is not None:
            stmt = stmt.where(Disclosure.inspection_grant_id == query.inspection_grant_id)
        if query.purpose is not None:
            stmt = stmt.where(Disclosure.purpose == query.purpose.value)
        if query.automatic is not None:
            stmt = stmt.where(Disclosure.automatic.is_(query.automatic))
        if query.disclosed_from is not None:
            stmt = stmt.where(Disclosure.disclosed_at >= query.disclosed_from)
        if query.disclosed_before is not None:
            stmt = stmt.where(Disclosure.disclosed_at < query.disclosed_before)
        if query.subject_id is not None:
            stmt = stmt.where(
                exists(
                    select(DisclosureSubject.disclosure_id).where(
                        DisclosureSubject.disclosure_id == Disclosure.id,
                        DisclosureSubject.subject_id == query.subject_id,
                    )
                )
            )
        keys = (Disclosure.disclosed_at, Disclosure.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def add(self, disclosure: Disclosure, subject_ids: Iterable[uuid.UUID]) -> Disclosure:
        self.session.add(disclosure)
        self.session.add_all(
            DisclosureSubject(disclosure_id=disclosure.id, subject_id=subject_id)
            for subject_id in subject_ids
        )
        await self.session.flush()
        return disclosure
