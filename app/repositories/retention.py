"""Queries of the retention registry, legal holds, retention runs and destruction records."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import Case, CaseParty
from app.models.retention import (
    LegalHold,
    LegalHoldKind,
    RetentionDestruction,
    RetentionPolicy,
    RetentionPolicyVersion,
    RetentionRun,
)
from app.models.subjects import DataSubject
from app.repositories.pagination import PageRequest, keyset_page

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DueSubject:
    id: uuid.UUID
    kind: str
    retain_until: date


@dataclass(frozen=True, slots=True)
class HoldQuery:
    subject_id: uuid.UUID | None = None
    case_id: uuid.UUID | None = None
    kind: LegalHoldKind | None = None
    live: bool | None = None


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: object) -> None:
        self.session.add(row)

    async def flush(self) -> None:
        await self.session.flush()

    # --- the registry ----------------------------------------------------------------------

    async def policies(self) -> list[RetentionPolicy]:
        rows = await self.session.scalars(
            select(RetentionPolicy).order_by(RetentionPolicy.record_type)
        )
        return list(rows.all())

    async def policy(self, record_type: str, *, for_update: bool = False) -> RetentionPolicy | None:
        stmt = select(RetentionPolicy).where(RetentionPolicy.record_type == record_type)
        if for_update:
            stmt = stmt.with_for_update()
        found: RetentionPolicy | None = await self.session.scalar(stmt)
        return found

    async def history(self, policy_id: uuid.UUID) -> list[RetentionPolicyVersion]:
        rows = await self.session.scalars(
            select(RetentionPolicyVersion)
            .where(RetentionPolicyVersion.policy_id == policy_id)
            .order_by(RetentionPolicyVersion.version.desc())
        )
        return list(rows.all())

    async def versions_in_force(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(RetentionPolicy.record_type, RetentionPolicy.version)
        )
        return {record_type: version for record_type, version in rows.all()}

    async def periods_in_force(self, record_types: Collection[str]) -> dict[str, int]:
        """The years of the current version of each of these record types' rules."""
        rows = await self.session.execute(
            select(RetentionPolicy.record_type, RetentionPolicy.years).where(
                RetentionPolicy.record_type.in_(sorted(record_types))
            )
        )
        return {record_type: int(years) for record_type, years in rows.all()}

    # --- legal holds -----------------------------------------------------------------------

    async def hold(self, hold_id: uuid.UUID, *, for_update: bool = False) -> LegalHold | None:
        stmt = select(LegalHold).where(LegalHold.id == hold_id)
        if for_update:
            stmt = stmt.with_for_update()
        found: LegalHold | None = await self.session.scalar(stmt)
        return found

    async def hold_page(
        self, query: HoldQuery, page: PageRequest
    ) -> tuple[list[LegalHold], str | None]:
        """Holds, newest placed first."""
        stmt = select(LegalHold)
        if query.subject_id is not None:
            stmt = stmt.where(LegalHold.subject_id == query.subject_id)
        if query.case_id is not None:
            stmt = stmt.where(LegalHold.case_id == query.case_id)
        if query.kind is not None:
            stmt = stmt.where(LegalHold.kind == query.kind)
        if query.live is True:
            stmt = stmt.where(LegalHold.lifted_at.is_(None))
        elif query.live is False:
            stmt = stmt.where(LegalHold.lifted_at.is_not(None))
        keys = (LegalHold.placed_at, LegalHold.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def subject_exists(self, subject_id: uuid.UUID) -> bool:
        found = await self.session.scalar(
            select(DataSubject.id).where(DataSubject.id == subject_id)
        )
        return found is not None

    async def case_subject(self, case_id: uuid.UUID) -> uuid.UUID | None:
        found: uuid.UUID | None = await self.session.scalar(
            select(Case.subject_id).where(Case.id == case_id)
        )
        return found

    async def held_subjects(self, subject_ids: Collection[uuid.UUID]) -> frozenset[uuid.UUID]:
        """Of these subjects, those a live legal hold covers: a hold on them, or on a case
        they are the subject of or a party to."""
        ordered = sorted(subject_ids)
        held: set[uuid.UUID] = set()
        live = LegalHold.lifted_at.is_(None)
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            direct = await self.session.scalars(
                select(LegalHold.subject_id).where(live, LegalHold.subject_id.in_(chunk))
            )
            held.update(direct.all())
            held_cases = select(LegalHold.case_id).where(live, LegalHold.case_id.is_not(None))
            parties = await self.session.scalars(
                select(CaseParty.subject_id).where(
                    CaseParty.case_id.in_(held_cases), CaseParty.subject_id.in_(chunk)
                )
            )
            held.update(parties.all())
        return frozenset(held)

    # --- what is due -----------------------------------------------------------------------

    async def claim_for_destruction(
        self, subject_ids: Collection[uuid.UUID]
    ) -> frozenset[uuid.UUID]:
        """Of these subjects, those this transaction may destroy: locked for it, and not
        destroyed yet once locked.

        Sweeps run side by side (each worker's schedule, a run started through the API). A
        subject another transaction holds is skipped: it is that sweep's, or the next
        sweep's. The check for a destruction comes after the lock, in a statement of its own,
        so a sweep that destroyed the subject and committed while this one read sees it
        then: no subject is destroyed twice. (SQLite has one writer: its transaction already
        excludes every other.)
        """
        ordered = sorted(subject_ids)
        if not ordered:
            return frozenset()
        locked = await self.session.scalars(
            select(DataSubject.id)
            .where(DataSubject.id.in_(ordered))
            .order_by(DataSubject.id)
            .with_for_update(skip_locked=True)
        )
        mine = sorted(locked.all())
        if not mine:
            return frozenset()
        destroyed = await self.session.scalars(
            select(RetentionDestruction.subject_id).where(RetentionDestruction.subject_id.in_(mine))
        )
        return frozenset(mine) - set(destroyed.all())

    def _not_destroyed(self) -> ColumnElement[bool]:
        return (
            ~select(RetentionDestruction.id)
            .where(RetentionDestruction.subject_id == DataSubject.id)
            .exists()
        )

    async def due_subjects(
        self, *, before: date, after: uuid.UUID | None, limit: int
    ) -> list[DueSubject]:
        """Subjects whose retention date is before ``before`` and who are not destroyed yet,
        in id order after ``after`` (keyset: flat memory however many there are)."""
        stmt = (
            select(DataSubject.id, DataSubject.kind, DataSubject.retain_until)
            .where(DataSubject.retain_until < before, self._not_destroyed())
            .order_by(DataSubject.id)
            .limit(limit)
        )
        if after is not None:
            stmt = stmt.where(DataSubject.id > after)
        rows = await self.session.execute(stmt)
        return [
            DueSubject(sid, str(kind), until)
            for sid, kind, until in rows.all()
            if until is not None
        ]

    async def past_retention_count(self, as_of: date) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(DataSubject)
            .where(DataSubject.retain_until < as_of, self._not_destroyed())
        )
        return int(count or 0)

    async def destroyed(self, subject_id: uuid.UUID) -> RetentionDestruction | None:
        found: RetentionDestruction | None = await self.session.scalar(
            select(RetentionDestruction).where(RetentionDestruction.subject_id == subject_id)
        )
        return found

    async def destroyed_among(self, subject_ids: Collection[uuid.UUID]) -> frozenset[uuid.UUID]:
        ordered = sorted(subject_ids)
        found: set[uuid.UUID] = set()
        for start in range(0, len(ordered), _CHUNK):
            rows = await self.session.scalars(
                select(RetentionDestruction.subject_id).where(
                    RetentionDestruction.subject_id.in_(ordered[start : start + _CHUNK])
                )
            )
            found.update(s for s in rows.all() if s is not None)
        return frozenset(found)

    # --- runs ------------------------------------------------------------------------------

    async def run(self, run_id: uuid.UUID) -> RetentionRun | None:
        found: RetentionRun | None = await self.session.scalar(
            select(RetentionRun).where(RetentionRun.id == run_id)
        )
        return found

    async def run_page(
        self, page: PageRequest, *, dry_run: bool | None = None
    ) -> tuple[list[RetentionRun], str | None]:
        stmt = select(RetentionRun)
        if dry_run is not None:
            stmt = stmt.where(RetentionRun.dry_run.is_(dry_run))
        keys = (RetentionRun.started_at, RetentionRun.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def destructions_of_run(self, run_id: uuid.UUID) -> Sequence[RetentionDestruction]:
        rows = await self.session.scalars(
            select(RetentionDestruction)
            .where(RetentionDestruction.run_id == run_id)
            .order_by(RetentionDestruction.subject_id)
        )
        return rows.all()


def either(*clauses: ColumnElement[bool]) -> ColumnElement[bool]:
    return or_(*clauses)
