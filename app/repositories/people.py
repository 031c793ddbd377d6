"""Queries over pupils and carers. Every query takes the policy layer's SQL filter."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from app.models.people import Carer, CarerRelationship, Enrolment, Pupil

#: What the policy layer's Python checks and the API read of a pupil: enrolments and schools.
PUPIL_LOADS = (selectinload(Pupil.enrolments).selectinload(Enrolment.school),)

#: A carer with their pupils' enrolments (the policy layer reaches carers through pupils).
CARER_LOADS = (
    selectinload(Carer.relationships)
    .selectinload(CarerRelationship.pupil)
    .selectinload(Pupil.enrolments)
    .selectinload(Enrolment.school),
)


class PupilRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, pupil_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Pupil | None:
        stmt = select(Pupil).where(Pupil.id == pupil_id).options(*PUPIL_LOADS)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)


class CarerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, carer_id: uuid.UUID, *, visible: ColumnElement[bool] | None = None
    ) -> Carer | None:
        stmt = select(Carer).where(Carer.id == carer_id).options(*CARER_LOADS)
        if visible is not None:
            stmt = stmt.where(visible)
        return await self.session.scalar(stmt)
