"""Queries over disclosures and the data subjects each was about."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.disclosures import Disclosure, DisclosureSubject
from app.models.subjects import DataSubject
from app.policies.registry import Purpose
from app.repositories.pagination import bad_cursor, decode_cursor, encode_cursor


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


def _after(cursor: str) -> ColumnElement[bool]:
    """Rows that come after the cursor's row, newest first (disclosed_at, then id, descending)."""
    moment_text, id_text = decode_cursor(cursor, 2)
    try:
        moment = datetime.fromisoformat(str(moment_text))
        last_id = uuid.UUID(str(id_text))
    except ValueError as exc:
        raise bad_cursor() from exc
    if moment.tzinfo is None:
        raise bad_cursor()
    return or_(
        Disclosure.disclosed_at < moment,
        and_(Disclosure.disclosed_at == moment, Disclosure.id < last_id),
    )


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
        limit: int,
        cursor: str | None,
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
        if cursor is not None:
            stmt = stmt.where(_after(cursor))
        stmt = stmt.order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc()).limit(limit + 1)
        rows = list((await self.session.scalars(stmt)).all())
        if len(rows) <= limit:
            return rows, None
        rows = rows[:limit]
        last = rows[-1]
        return rows, encode_cursor([last.disclosed_at.isoformat(), str(last.id)])

    async def known_subjects(self, subject_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        """Of these ids, those that name a data subject."""
        ids = list(subject_ids)
        if not ids:
            return set()
        return set(
            await self.session.scalars(select(DataSubject.id).where(DataSubject.id.in_(ids)))
        )

    async def add(self, disclosure: Disclosure, subject_ids: Iterable[uuid.UUID]) -> Disclosure:
        self.session.add(disclosure)
        self.session.add_all(
            DisclosureSubject(disclosure_id=disclosure.id, subject_id=subject_id)
            for subject_id in subject_ids
        )
        await self.session.flush()
        return disclosure
