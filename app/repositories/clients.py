"""Queries over registered API clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.models.clients import ApiClient
from app.models.schools import School
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class ClientQuery:
    role: Role | None = None
    active: bool | None = None


class ClientRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, client_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> ApiClient | None:
        stmt = select(ApiClient).where(ApiClient.id == client_id)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)

    async def page(
        self,
        query: ClientQuery,
        *,
        page: PageRequest,
        visible: ColumnElement[bool] | None = None,
    ) -> tuple[list[ApiClient], str | None]:
        """One page ordered by id (keyset)."""
        stmt = select(ApiClient)
        if visible is not None:
            stmt = stmt.where(visible)
        if query.role is not None:
            stmt = stmt.where(ApiClient.role == query.role)
        if query.active is not None:
            stmt = stmt.where(ApiClient.active == query.active)
        return await keyset_page(self.session, stmt, [ApiClient.id], page)

    async def known_school_urns(self, urns: Iterable[int]) -> set[int]:
        """Which of ``urns`` are registered schools (a client may only be scoped to those)."""
        wanted = set(urns)
        if not wanted:
            return set()
        found = await self.session.scalars(select(School.urn).where(School.urn.in_(wanted)))
        return set(found.all())

    async def add(self, client: ApiClient) -> ApiClient:
        self.session.add(client)
        await self.session.flush()
        return client

    async def delete(self, client: ApiClient) -> None:
        await self.session.delete(client)
        await self.session.flush()
