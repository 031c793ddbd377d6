"""Queries behind the possible-duplicates queue: which pairs a caller may see, and one pair.
A pair is of two pupils, two carers, or two people on licences (``app.models.licences.Person``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.licences import Person
from app.models.people import Carer, DuplicateStatus, PersonKind, PossibleDuplicate, Pupil


def _either_record(
    model: type[Pupil] | type[Carer] | type[Person], visible: ColumnElement[bool]
) -> ColumnElement[bool]:
    return exists(
        select(model.id).where(
            model.id.in_((PossibleDuplicate.first_id, PossibleDuplicate.second_id)), visible
        )
    )


def pair_visible(
    *,
    pupils: ColumnElement[bool],
    carers: ColumnElement[bool],
    people: ColumnElement[bool],
) -> ColumnElement[bool]:
    """SQL: the possible duplicate has at least one record that passes its kind's filter
    (``pupils`` for a pair of pupils, ``carers`` for a pair of carers, ``people`` for a pair
    of people on licences)."""
    return or_(
        and_(PossibleDuplicate.kind == PersonKind.PUPIL, _either_record(Pupil, pupils)),
        and_(PossibleDuplicate.kind == PersonKind.CARER, _either_record(Carer, carers)),
        and_(PossibleDuplicate.kind == PersonKind.PERSON, _either_record(Person, people)),
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
                select(Person.subject_id).where(Person.id.in_(ids)),
            )
        )
        return list(rows.all())

    async def open_person_pairs(
        self, person_id: uuid.UUID, *, partners: ColumnElement[bool]
    ) -> int:
        """How many open possible duplicates name this person with another person who passes
        ``partners`` (the caller's filter over people)."""
        count = await self.session.scalar(
            select(func.count(PossibleDuplicate.id)).where(
                PossibleDuplicate.kind == PersonKind.PERSON,
                PossibleDuplicate.status == DuplicateStatus.OPEN,
                or_(
                    PossibleDuplicate.first_id == person_id,
                    PossibleDuplicate.second_id == person_id,
                ),
                exists(
                    select(Person.id).where(
                        Person.id.in_((PossibleDuplicate.first_id, PossibleDuplicate.second_id)),
                        Person.id != person_id,
                        partners,
                    )
                ),
            )
        )
        return int(count or 0)
