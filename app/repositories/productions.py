"""Queries over productions. Productions hold no personal data; lists and single reads still
take the policy layer's SQL filter, as every query does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.licences import Production, ProductionKind
from app.repositories.pagination import PageRequest, keyset_page
from app.repositories.people import _starts_with


@dataclass(frozen=True, slots=True)
class ProductionQuery:
    #: The start of the title, as a name key (``app.rules.names.name_key``).
    title_key: str | None = None
    kind: ProductionKind | None = None
    producer_id: uuid.UUID | None = None


class ProductionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, production: Production) -> None:
        self.session.add(production)

    async def get(
        self,
        production_id: uuid.UUID,
        *,
        visible: ColumnElement[bool],
        for_update: bool = False,
    ) -> Production | None:
        """The production, if visible; ``for_update`` locks it until the transaction ends."""
        stmt = (
            select(Production)
            .where(Production.id == production_id, visible)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Production)
        found: Production | None = await self.session.scalar(stmt)
        return found

    async def page(
        self, query: ProductionQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[Production], str | None]:
        """Productions in title order (title key, id)."""
        stmt = select(Production).where(visible)
        if query.title_key:
            stmt = stmt.where(_starts_with(Production.title_key, query.title_key))
        if query.kind is not None:
            stmt = stmt.where(Production.kind == query.kind)
        if query.producer_id is not None:
            stmt = stmt.where(Production.producer_id == query.producer_id)
        keys = (Production.title_key, Production.id)
        return await keyset_page(self.session, stmt, keys, page)
