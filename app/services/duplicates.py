"""Possible duplicates: records that may be the same person, flagged for a person to resolve.

Nothing is merged automatically. A pair is flagged when two live (unmerged) pupils share a
UPN, or share legal forename, surname, date of birth and postcode (compared by name key, so
case and accents do not hide a match). A pair is flagged once, whatever its reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.people import DuplicateReason, PersonKind, PossibleDuplicate, Pupil

#: Ids per query: well under SQLite's bound-parameter limit.
CHUNK = 500


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _pair(a: uuid.UUID, b: uuid.UUID) -> tuple[uuid.UUID, uuid.UUID]:
    return (a, b) if a < b else (b, a)


async def flag_pupil_duplicates(session: AsyncSession, pupil_ids: Collection[uuid.UUID]) -> int:
    """Flag possible duplicates of these pupils among all live pupils; returns how many new
    pairs were flagged. Call after the pupils are flushed, in the same transaction."""
    ids = sorted(set(pupil_ids))
    if not ids:
        return 0
    new, other = aliased(Pupil), aliased(Pupil)
    matches: list[tuple[ColumnElement[bool], DuplicateReason]] = [
        (and_(new.upn.is_not(None), other.upn == new.upn), DuplicateReason.SAME_UPN),
        (
            and_(
                new.postcode.is_not(None),
                other.surname_key == new.surname_key,
                other.forename_key == new.forename_key,
                other.date_of_birth == new.date_of_birth,
                other.postcode == new.postcode,
            ),
            DuplicateReason.SAME_NAME_BIRTH_DATE_POSTCODE,
        ),
    ]
    found: dict[tuple[uuid.UUID, uuid.UUID], DuplicateReason] = {}
    for chunk in _chunks(ids):
        for condition, reason in matches:
            rows = await session.execute(
                select(new.id, other.id)
                .join(other, and_(condition, other.id != new.id))
                .where(
                    new.id.in_(chunk),
                    new.merged_into_id.is_(None),
                    other.merged_into_id.is_(None),
                )
            )
            for a, b in rows:
                found.setdefault(_pair(a, b), reason)
    if not found:
        return 0
    involved = sorted({i for pair in found for i in pair})
    known: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for chunk in _chunks(involved):
        rows = await session.execute(
            select(PossibleDuplicate.first_id, PossibleDuplicate.second_id).where(
                PossibleDuplicate.kind == PersonKind.PUPIL,
                or_(PossibleDuplicate.first_id.in_(chunk), PossibleDuplicate.second_id.in_(chunk)),
            )
        )
        known.update((a, b) for a, b in rows)
    fresh = [
        PossibleDuplicate(kind=PersonKind.PUPIL, first_id=a, second_id=b, reason=reason)
        for (a, b), reason in sorted(found.items())
        if (a, b) not in known
    ]
    session.add_all(fresh)
    await session.flush()
    return len(fresh)
