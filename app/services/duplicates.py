"""Possible duplicates: records that may be the same person, flagged for a person to resolve.

Nothing is merged automatically. A pair is flagged when two live (unmerged) pupils share a
UPN, or share legal forename, surname, date of birth and postcode (compared by name key, so
case and accents do not hide a match), or when a school's roll sent a known UPN for a child it
could not be matched to (``app.services.roll``). A pair is flagged once, whatever its reason.

People on licences (``app.models.licences.Person``) are flagged among themselves: two with the
same name keys and date of birth (a child's is always held), or two adults with the same name
keys and the same postcode or email address.

Managers and information governance review the queue: a pair is dismissed (not the same
person) or merged (``app.services.pupils.merge_pupils``). Licensing officers review pairs of
people on licences, which are dismissed only: there is no merging of people yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.errors import Conflict, ValidationFailed
from app.models.licences import Person, PersonType
from app.models.people import (
    DuplicateReason,
    DuplicateStatus,
    PersonKind,
    PossibleDuplicate,
    Pupil,
)
from app.policies import Access
from app.repositories.duplicates import DuplicateRepository, pair_visible
from app.repositories.pagination import PageRequest, keyset_page

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
    return await flag_pupil_pairs(session, [(a, b, reason) for (a, b), reason in found.items()])


async def flag_pupil_pairs(
    session: AsyncSession, pairs: Collection[tuple[uuid.UUID, uuid.UUID, DuplicateReason]]
) -> int:
    """Flag these pairs of pupils, each for its reason (a pair already flagged keeps its
    first); returns how many new pairs were flagged. Call after the pupils are flushed."""
    return await _flag_pairs(session, PersonKind.PUPIL, pairs)


async def flag_person_duplicates(session: AsyncSession, person_ids: Collection[uuid.UUID]) -> int:
    """Flag possible duplicates of these people on licences among all people; returns how
    many new pairs were flagged. Call after the people are flushed, in the same transaction."""
    ids = sorted(set(person_ids))
    if not ids:
        return 0
    new, other = aliased(Person), aliased(Person)
    same_name = and_(other.surname_key == new.surname_key, other.forename_key == new.forename_key)
    adults = and_(new.person_type == PersonType.ADULT, other.person_type == PersonType.ADULT)
    matches: list[tuple[ColumnElement[bool], DuplicateReason]] = [
        (
            and_(
                same_name,
                new.date_of_birth.is_not(None),
                other.date_of_birth == new.date_of_birth,
            ),
            DuplicateReason.SAME_NAME_AND_BIRTH_DATE,
        ),
        (
            and_(
                same_name,
                adults,
                or_(
                    and_(new.postcode.is_not(None), other.postcode == new.postcode),
                    and_(new.email.is_not(None), func.lower(other.email) == func.lower(new.email)),
                ),
            ),
            DuplicateReason.SAME_NAME_AND_CONTACT,
        ),
    ]
    found: dict[tuple[uuid.UUID, uuid.UUID], DuplicateReason] = {}
    for chunk in _chunks(ids):
        for condition, reason in matches:
            rows = await session.execute(
                select(new.id, other.id)
                .join(other, and_(condition, other.id != new.id))
                .where(new.id.in_(chunk))
            )
            for a, b in rows:
                found.setdefault(_pair(a, b), reason)
    return await _flag_pairs(
        session, PersonKind.PERSON, [(a, b, reason) for (a, b), reason in found.items()]
    )


async def _flag_pairs(
    session: AsyncSession,
    kind: PersonKind,
    pairs: Collection[tuple[uuid.UUID, uuid.UUID, DuplicateReason]],
) -> int:
    """Flag these pairs of records of one kind, each for its reason (a pair already flagged
    keeps its first); returns how many new pairs were flagged."""
    wanted: dict[tuple[uuid.UUID, uuid.UUID], DuplicateReason] = {}
    for a, b, reason in pairs:
        if a != b:
            wanted.setdefault(_pair(a, b), reason)
    if not wanted:
        return 0
    involved = sorted({i for pair in wanted for i in pair})
    known: set[tuple[uuid.UUID, uuid.UUID]] = set()
    for chunk in _chunks(involved):
        rows = await session.execute(
            select(PossibleDuplicate.first_id, PossibleDuplicate.second_id).where(
                PossibleDuplicate.kind == kind,
                or_(PossibleDuplicate.first_id.in_(chunk), PossibleDuplicate.second_id.in_(chunk)),
            )
        )
        known.update((a, b) for a, b in rows)
    fresh = [
        PossibleDuplicate(kind=kind, first_id=a, second_id=b, reason=reason)
        for (a, b), reason in sorted(wanted.items())
        if (a, b) not in known
    ]
    session.add_all(fresh)
    await session.flush()
    return len(fresh)


# --- reviewing possible duplicates -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DuplicateQuery:
    status: DuplicateStatus | None = None
    kind: PersonKind | None = None


def _visible(access: Access, action: str) -> ColumnElement[bool]:
    """SQL: the possible duplicates this caller may see. A pair is about two people: it is
    visible only where the caller may see at least one of its two records, by that record's
    own rules for ``action`` and the same purpose; anyone else is told it does not exist."""
    return and_(
        access.filter(),
        pair_visible(
            pupils=access.related_filter("pupil", action),
            carers=access.related_filter("carer", action),
            people=access.related_filter("person", action),
        ),
    )


async def person_pairs_seen(session: AsyncSession, access: Access, person_id: uuid.UUID) -> int:
    """How many open possible duplicates name this person with another person the caller may
    read for the same purpose (pairs with people outside their reach are not counted)."""
    return await DuplicateRepository(session).open_person_pairs(
        person_id, partners=access.related_filter("person", "read")
    )


async def list_duplicates(
    session: AsyncSession,
    access: Access,
    *,
    query: DuplicateQuery,
    page: PageRequest,
) -> tuple[list[PossibleDuplicate], str | None]:
    """Possible duplicates the caller may see (one of the two records, at least), oldest
    first (the order a person works through them)."""
    stmt = select(PossibleDuplicate).where(_visible(access, "list"))
    if query.status is not None:
        stmt = stmt.where(PossibleDuplicate.status == query.status)
    if query.kind is not None:
        stmt = stmt.where(PossibleDuplicate.kind == query.kind)
    keys = (PossibleDuplicate.detected_at, PossibleDuplicate.id)
    found, next_cursor = await keyset_page(session, stmt, keys, page)
    access.touched(subject_ids=await DuplicateRepository(session).subjects_of(found))
    return found, next_cursor


async def get_duplicate(
    session: AsyncSession, access: Access, *, duplicate_id: uuid.UUID
) -> PossibleDuplicate:
    """The possible duplicate, if the caller may see one of its records; otherwise a 404, the
    same as for an id that names nothing (and recorded as withheld)."""
    duplicate = await DuplicateRepository(session).get(
        duplicate_id, visible=_visible(access, "read")
    )
    if duplicate is None:
        raise access.not_found(duplicate_id, "No possible duplicate with that id.")
    access.touched(
        subject_ids=await DuplicateRepository(session).subjects_of([duplicate]),
        resource_id=duplicate.id,
    )
    return duplicate


async def _resolve(
    session: AsyncSession,
    duplicate: PossibleDuplicate,
    *,
    status: DuplicateStatus,
    resolved_by: str,
    resolved_at: datetime,
    survivor_id: uuid.UUID | None = None,
) -> None:
    """Close an open possible duplicate, once: of two people resolving it at the same moment,
    the second is told it is no longer open."""
    result = await session.execute(
        update(PossibleDuplicate)
        .where(
            PossibleDuplicate.id == duplicate.id,
            PossibleDuplicate.status == DuplicateStatus.OPEN,
        )
        .values(
            status=status,
            resolved_at=resolved_at,
            resolved_by=resolved_by,
            survivor_id=survivor_id,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise _not_open()
    await session.refresh(duplicate)


def _not_open() -> Conflict:
    return Conflict("This possible duplicate has already been resolved.")


async def dismiss_duplicate(
    session: AsyncSession, access: Access, *, duplicate_id: uuid.UUID
) -> PossibleDuplicate:
    """Record that the two records are different people. Only a caller who may see one of
    them may say so; for anyone else the pair does not exist (404), and nothing changes."""
    duplicate = await get_duplicate(session, access, duplicate_id=duplicate_id)
    if duplicate.status is not DuplicateStatus.OPEN:
        raise _not_open()
    await _resolve(
        session,
        duplicate,
        status=DuplicateStatus.NOT_DUPLICATE,
        resolved_by=access.principal.subject,
        resolved_at=access.now,
    )
    access.record_change("possible_duplicate.dismissed", resource_id=duplicate.id)
    return duplicate


async def open_pupil_duplicate(
    session: AsyncSession, *, duplicate_id: uuid.UUID, pupil_ids: tuple[uuid.UUID, uuid.UUID]
) -> PossibleDuplicate:
    """The open possible duplicate naming exactly these two pupils (for a merge), or a
    problem saying why not. The caller must already have been found to see both pupils (the
    merge decision's filter), so the pair is theirs to see; an id naming any other pair, or
    nothing, gets the same problem."""
    duplicate = await session.get(PossibleDuplicate, duplicate_id)
    if (
        duplicate is None
        or duplicate.kind is not PersonKind.PUPIL
        or {duplicate.first_id, duplicate.second_id} != set(pupil_ids)
    ):
        raise ValidationFailed(
            "The possible duplicate does not name these two pupils.",
            errors=[
                {
                    "location": "body",
                    "pointer": "/duplicate_id",
                    "detail": "no possible duplicate of these two pupils has this id",
                    "code": "duplicate_mismatch",
                }
            ],
        )
    if duplicate.status is not DuplicateStatus.OPEN:
        raise _not_open()
    return duplicate


async def resolve_as_merged(
    session: AsyncSession,
    access: Access,
    duplicate: PossibleDuplicate,
    *,
    survivor_id: uuid.UUID,
) -> None:
    await _resolve(
        session,
        duplicate,
        status=DuplicateStatus.MERGED,
        resolved_by=access.principal.subject,
        resolved_at=access.now,
        survivor_id=survivor_id,
    )
