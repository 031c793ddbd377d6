"""Queries over data subjects as the people KPAS holds records about (pupils and carers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, Pupil


class SubjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible_people(
        self,
        subject_ids: Iterable[uuid.UUID],
        *,
        pupils: ColumnElement[bool],
        carers: ColumnElement[bool],
    ) -> set[uuid.UUID]:
        """Of these data subject ids, those of a pupil that passes ``pupils`` or a carer that
        passes ``carers``. An id that names nobody, or somebody the filters leave out, is not
        among them, and the two cannot be told apart."""
        ids = sorted(set(subject_ids))
        if not ids:
            return set()
        found: set[uuid.UUID] = set()
        for model, visible in ((Pupil, pupils), (Carer, carers)):
            rows = await self.session.scalars(
                select(model.subject_id).where(model.subject_id.in_(ids), visible)
            )
            found.update(rows.all())
        return found
