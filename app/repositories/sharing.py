"""Queries over recipients and sharing agreements."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, cast, exists, func, or_, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.sharing import Recipient, RecipientKind, SharingAgreement
from app.policies.registry import Purpose
from app.repositories.pagination import PageRequest, keyset_page
from app.rules.kent import District


@dataclass(frozen=True, slots=True)
class RecipientQuery:
    kind: RecipientKind | None = None
    active: bool | None = None
    code: str | None = None


@dataclass(frozen=True, slots=True)
class AgreementQuery:
    recipient_id: uuid.UUID | None = None
    recipient_code: str | None = None
    purpose: Purpose | None = None
    active_on: date | None = None
    #: Agreements that reach this district: county-wide ones, and those that name it.
    district: District | None = None


def in_force_on(day: date) -> ColumnElement[bool]:
    """Agreements in force on ``day``: started, not ended (end day included), recipient active."""
    return and_(
        SharingAgreement.starts_on <= day,
        or_(SharingAgreement.ends_on.is_(None), SharingAgreement.ends_on >= day),
        SharingAgreement.recipient_id.in_(select(Recipient.id).where(Recipient.active.is_(True))),
    )


class RecipientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, recipient_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Recipient | None:
        if visible is None:
            return await self.session.get(Recipient, recipient_id)
        return await self.session.scalar(
            select(Recipient).where(Recipient.id == recipient_id, visible)
        )

    async def by_code(self, code: str) -> Recipient | None:
        return await self.session.scalar(select(Recipient).where(Recipient.code == code))

    async def has_agreements(self, recipient_id: uuid.UUID) -> bool:
        stmt = select(exists().where(SharingAgreement.recipient_id == recipient_id))
        return bool(await self.session.scalar(stmt))

    async def page(
        self,
        query: RecipientQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool] | None = None,
    ) -> tuple[list[Recipient], str | None]:
        stmt = select(Recipient)
        if visible is not None:
            stmt = stmt.where(visible)
        if query.kind is not None:
            stmt = stmt.where(Recipient.kind == query.kind)
        if query.active is not None:
            stmt = stmt.where(Recipient.active.is_(query.active))
        if query.code is not None:
            stmt = stmt.where(Recipient.code == query.code)
        return await keyset_page(self.session, stmt, [Recipient.id], page)

    async def add(self, recipient: Recipient) -> Recipient:
        self.session.add(recipient)
        await self.session.flush()
        return recipient

    async def delete(self, recipient: Recipient) -> None:
        await self.session.delete(recipient)
        await self.session.flush()


class AgreementRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, agreement_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> SharingAgreement | None:
        if visible is None:
            return await self.session.get(SharingAgreement, agreement_id)
        return await self.session.scalar(
            select(SharingAgreement).where(SharingAgreement.id == agreement_id, visible)
        )

    def _lists(self, column: Any, value: str) -> ColumnElement[bool]:
        """The agreement's JSON list in ``column`` holds ``value`` (inside SQL, both backends)."""
        if self.session.get_bind().dialect.name == "postgresql":
            return cast(column, JSONB).contains([value])
        listed = func.json_each(column).table_valued("value")
        return exists(select(1).select_from(listed).where(listed.c.value == value))

    def _covers(self, purpose: Purpose) -> ColumnElement[bool]:
        return self._lists(SharingAgreement.purposes, purpose.value)

    def _reaches(self, district: District) -> ColumnElement[bool]:
        """County-wide (no districts named) or naming ``district``."""
        if self.session.get_bind().dialect.name == "postgresql":
            county_wide = func.jsonb_array_length(cast(SharingAgreement.districts, JSONB)) == 0
        else:
            county_wide = func.json_array_length(SharingAgreement.districts) == 0
        return or_(county_wide, self._lists(SharingAgreement.districts, district.value))

    def _select(self, query: AgreementQuery) -> Select[SharingAgreement]:
        stmt = select(SharingAgreement)
        if query.recipient_id is not None:
            stmt = stmt.where(SharingAgreement.recipient_id == query.recipient_id)
        if query.recipient_code is not None:
            stmt = stmt.where(
                SharingAgreement.recipient_id.in_(
                    select(Recipient.id).where(Recipient.code == query.recipient_code)
                )
            )
        if query.purpose is not None:
            stmt = stmt.where(self._covers(query.purpose))
        if query.district is not None:
            stmt = stmt.where(self._reaches(query.district))
        if query.active_on is not None:
            stmt = stmt.where(in_force_on(query.active_on))
        return stmt

    async def page(
        self,
        query: AgreementQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool] | None = None,
    ) -> tuple[list[SharingAgreement], str | None]:
        stmt = self._select(query)
        if visible is not None:
            stmt = stmt.where(visible)
        return await keyset_page(self.session, stmt, [SharingAgreement.id], page)

    async def all(self, query: AgreementQuery) -> list[SharingAgreement]:
        stmt = self._select(query).order_by(SharingAgreement.starts_on, SharingAgreement.id)
        return list((await self.session.scalars(stmt)).unique().all())

    async def add(self, agreement: SharingAgreement) -> SharingAgreement:
        self.session.add(agreement)
        await self.session.flush()
        return agreement

    async def delete(self, agreement: SharingAgreement) -> None:
        await self.session.delete(agreement)
        await self.session.flush()
