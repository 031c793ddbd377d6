"""Queries behind a school roll push: everything the roll touches, loaded in a few set-based
queries (chunked by id or UPN), never one query per row."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, any_, literal, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.models.people import Carer, CarerRelationship, Enrolment, Pupil
from app.models.schools import School, SchoolStatus
from app.models.subjects import DataSubject

#: Values per IN list: well under SQLite's bound-parameter limit.
CHUNK = 500

#: A carer's own data subject, joined for its retention date; aliased so a policy filter's
#: subqueries over data subjects do not correlate with it, and built once.
_CARER_SUBJECT = aliased(DataSubject, name="carer_subject")

T = TypeVar("T")


def _chunks(values: Collection[T]) -> Iterator[Sequence[T]]:
    ordered = list(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _one_of(column: Any, values: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    """``column`` is one of ``values``.

    PostgreSQL gets them as one array parameter (``= ANY``): an IN list of hundreds of
    parameters is compared row by row once the server settles on a generic plan for the
    prepared statement, which made a preload take seconds instead of milliseconds. SQLite
    looks an IN list up in a temporary index.
    """
    clause: ColumnElement[bool]
    if dialect == "postgresql":
        clause = column == any_(literal(list(values), ARRAY(column.type)))
    else:
        clause = column.in_(values)
    return clause


@dataclass(frozen=True, slots=True)
class KnownPupil:
    pupil: Pupil
    #: The pupil's data subject may be processed for the push's purpose today.
    processable: bool
    retain_until: date | None


@dataclass(frozen=True, slots=True)
class OpenEnrolment:
    enrolment: Enrolment
    processable: bool


@dataclass(frozen=True, slots=True)
class CarerLink:
    relationship: CarerRelationship
    carer: Carer
    processable: bool
    retain_until: date | None


class RollRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    async def school_for_update(self, urn: int) -> School | None:
        """The school, locked until the transaction ends, so two pushes of one school's roll
        run one after the other (PostgreSQL; SQLite has a single writer anyway)."""
        return await self.session.scalar(select(School).where(School.urn == urn).with_for_update())

    async def live_pupils_by_upn(
        self, upns: Collection[str], *, processable: ColumnElement[bool]
    ) -> list[KnownPupil]:
        """Unmerged pupils with these UPNs."""
        subject = aliased(DataSubject)  # ``processable`` queries DataSubject on its own
        found: list[KnownPupil] = []
        for chunk in _chunks(upns):
            rows = await self.session.execute(
                select(Pupil, processable.label("processable"), subject.retain_until)
                .join(subject, subject.id == Pupil.subject_id)
                .where(_one_of(Pupil.upn, chunk, self.dialect), Pupil.merged_into_id.is_(None))
                .order_by(Pupil.created_at, Pupil.id)
            )
            found.extend(KnownPupil(p, bool(ok), until) for p, ok, until in rows)
        return found

    async def open_enrolments(
        self, urn: int, *, processable: ColumnElement[bool]
    ) -> list[OpenEnrolment]:
        """Everyone on the school's roll now, with whether each pupil may be processed."""
        rows = await self.session.execute(
            select(Enrolment, processable.label("processable"))
            .join(Pupil, Pupil.id == Enrolment.pupil_id)
            .where(Enrolment.school_urn == urn, Enrolment.off_roll_on.is_(None))
        )
        return [OpenEnrolment(e, bool(ok)) for e, ok in rows]

    async def on_other_rolls(self, urn: int, pupil_ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
        """Of these pupils, those on another open school's roll now. A closed school sends no
        more rolls, so the stays it left open (an academy conversion closes one URN and opens
        another) hold no pupil back from a new school."""
        found: set[uuid.UUID] = set()
        for chunk in _chunks(pupil_ids):
            found.update(
                await self.session.scalars(
                    select(Enrolment.pupil_id)
                    .join(School, School.urn == Enrolment.school_urn)
                    .where(
                        _one_of(Enrolment.pupil_id, chunk, self.dialect),
                        Enrolment.school_urn != urn,
                        Enrolment.off_roll_on.is_(None),
                        School.status != SchoolStatus.CLOSED,
                    )
                )
            )
        return found

    async def closed_enrolments(
        self, urn: int, pupil_ids: Collection[uuid.UUID]
    ) -> list[Enrolment]:
        """These pupils' past enrolments at the school."""
        found: list[Enrolment] = []
        for chunk in _chunks(pupil_ids):
            found.extend(
                await self.session.scalars(
                    select(Enrolment).where(
                        Enrolment.school_urn == urn,
                        _one_of(Enrolment.pupil_id, chunk, self.dialect),
                        Enrolment.off_roll_on.is_not(None),
                    )
                )
            )
        return found

    async def carer_links(
        self, pupil_ids: Collection[uuid.UUID], *, processable: ColumnElement[bool]
    ) -> list[CarerLink]:
        """These pupils' carers (unmerged), with their relationships."""
        subject = _CARER_SUBJECT
        found: list[CarerLink] = []
        for chunk in _chunks(pupil_ids):
            rows = await self.session.execute(
                select(
                    CarerRelationship,
                    Carer,
                    processable.label("processable"),
                    subject.retain_until,
                )
                .join(Carer, Carer.id == CarerRelationship.carer_id)
                .join(subject, subject.id == Carer.subject_id)
                .where(
                    _one_of(CarerRelationship.pupil_id, chunk, self.dialect),
                    Carer.merged_into_id.is_(None),
                )
                .order_by(
                    CarerRelationship.contact_priority.asc().nulls_last(),
                    Carer.created_at,
                    Carer.id,
                )
            )
            found.extend(CarerLink(r, c, bool(ok), until) for r, c, ok, until in rows)
        return found

    async def subjects(self, subject_ids: Collection[uuid.UUID]) -> list[DataSubject]:
        found: list[DataSubject] = []
        for chunk in _chunks(subject_ids):
            found.extend(
                await self.session.scalars(
                    select(DataSubject).where(_one_of(DataSubject.id, chunk, self.dialect))
                )
            )
        return found
