"""Queries behind the possible-duplicates queue: which pairs a caller may see, and one pair."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, PersonKind, PossibleDuplicate, Pupil


def _either_record(
    model: type[Pupil] | type[Carer], visible: ColumnElement[bool]
) -> ColumnElement[bool]:
    return exists(
        select(model.id).where(
            model.id.in_((PossibleDuplicate.first_id, PossibleDuplicate.second_id)), visible
        )
    )


def pair_visible(
    *, pupils: ColumnElement[bool], carers: ColumnElement[bool]
) -> ColumnElement[bool]:
    """SQL: the possible duplicate has at least one record that passes its kind's filter
    (``pupils`` for a pair of pupils, ``carers`` for a pair of carers)."""
    return or_(
        and_(PossibleDuplicate.kind == PersonKind.PUPIL, _either_record(Pupil, pupils)),
        and_(PossibleDuplicate.kind == PersonKind.CARER, _either_record(Carer, carers)),
    )


class DuplicateRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(
        self, duplicate_id: uuid.UUID, *, visible: ColumnElement[bool]
    ) -> PossibleDuplicate | None:
        """The possible duplicate with this id, if it passes ``visible``."""
        found: PossibleDuplicate | None = await self.session.scalar(
            select(PossibleDuplicate).where(PossibleDuplicate.id == duplicate_id, visible)
        )
        return found

    async def subjects_of(self, duplicates: Sequence[PossibleDuplicate]) -> list[uuid.UUID]:
        """The data subjects of the records these possible duplicates name."""
        ids = {record_id for d in duplicates for record_id in (d.first_id, d.second_id)}
        if not ids:
            return []
        rows = await self.session.scalars(
            union_all(
                select(Pupil.subject_id).where(Pupil.id.in_(ids)),
                select(Carer.subject_id).where(Carer.id.in_(ids)),
            )
        )
        return list(rows.all())
