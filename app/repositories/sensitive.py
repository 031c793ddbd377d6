"""Queries over a pupil's special category data, identification documents and subject keys.

Entry and document queries join the pupil and carry the policy layer's filter (which is
written over the ``pupils`` table), so nothing is read for a pupil the caller may not see.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.models.people import (
    Pupil,
    PupilDocument,
    SensitiveCategory,
    SensitiveEntry,
    SubjectKey,
)
from app.repositories.pagination import PageRequest, keyset_page

#: Listing documents never reads their (possibly large) ciphertext, and nothing can lazily.
METADATA_ONLY = defer(PupilDocument.ciphertext, raiseload=True)


class SensitiveEntryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        pupil_id: uuid.UUID,
        *,
        visible: ColumnElement[bool],
        categories: Collection[SensitiveCategory],
        page: PageRequest,
    ) -> tuple[list[SensitiveEntry], str | None]:
        """A pupil's entries in the given categories, grouped by category."""
        stmt = (
            select(SensitiveEntry)
            .join(Pupil, Pupil.id == SensitiveEntry.pupil_id)
            .where(
                SensitiveEntry.pupil_id == pupil_id,
                SensitiveEntry.category.in_(list(categories)),
                visible,
            )
        )
        keys = [SensitiveEntry.category, SensitiveEntry.id]
        return await keyset_page(self.session, stmt, keys, page)

    async def get(
        self,
        pupil_id: uuid.UUID,
        entry_id: uuid.UUID,
        *,
        visible: ColumnElement[bool],
        categories: Collection[SensitiveCategory],
    ) -> SensitiveEntry | None:
        stmt = (
            select(SensitiveEntry)
            .join(Pupil, Pupil.id == SensitiveEntry.pupil_id)
            .where(
                SensitiveEntry.id == entry_id,
                SensitiveEntry.pupil_id == pupil_id,
                SensitiveEntry.category.in_(list(categories)),
                visible,
            )
        )
        return await self.session.scalar(stmt)

    async def add(self, entry: SensitiveEntry) -> SensitiveEntry:
        self.session.add(entry)
        await self.session.flush()
        return entry

    async def delete(self, entry: SensitiveEntry) -> None:
        await self.session.delete(entry)
        await self.session.flush()


class PupilDocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, pupil_id: uuid.UUID, *, visible: ColumnElement[bool], page: PageRequest
    ) -> tuple[list[PupilDocument], str | None]:
        """A pupil's documents: metadata only, the ciphertext is not read."""
        stmt = (
            select(PupilDocument)
            .join(Pupil, Pupil.id == PupilDocument.pupil_id)
            .where(PupilDocument.pupil_id == pupil_id, visible)
            .options(METADATA_ONLY)
        )
        keys = [PupilDocument.kind, PupilDocument.id]
        return await keyset_page(self.session, stmt, keys, page)

    async def get(
        self,
        pupil_id: uuid.UUID,
        document_id: uuid.UUID,
        *,
        visible: ColumnElement[bool],
        with_content: bool = False,
    ) -> PupilDocument | None:
        """One document; its ciphertext only when ``with_content``."""
        stmt = (
            select(PupilDocument)
            .join(Pupil, Pupil.id == PupilDocument.pupil_id)
            .where(PupilDocument.id == document_id, PupilDocument.pupil_id == pupil_id, visible)
        )
        if not with_content:
            stmt = stmt.options(METADATA_ONLY)
        return await self.session.scalar(stmt)

    async def add(self, document: PupilDocument) -> PupilDocument:
        self.session.add(document)
        await self.session.flush()
        return document

    async def delete(self, document: PupilDocument) -> None:
        await self.session.delete(document)
        await self.session.flush()


class SubjectKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, subject_id: uuid.UUID) -> SubjectKey | None:
        stmt = (
            select(SubjectKey)
            .where(SubjectKey.subject_id == subject_id)
            .execution_options(populate_existing=True)
        )
        return await self.session.scalar(stmt)

    async def add_if_absent(
        self, *, subject_id: uuid.UUID, wrapping_key_id: str, wrapped_key: bytes
    ) -> SubjectKey:
        """Store a subject's first key, or keep the one a concurrent request stored first;
        either way return the key that is stored."""
        insert = (
            postgresql.insert
            if self.session.get_bind().dialect.name == "postgresql"
            else sqlite.insert
        )
        await self.session.execute(
            insert(SubjectKey)
            .values(subject_id=subject_id, wrapping_key_id=wrapping_key_id, wrapped_key=wrapped_key)
            .on_conflict_do_nothing(index_elements=[SubjectKey.subject_id])
        )
        stored = await self.get(subject_id)
        assert stored is not None  # just inserted, or already there
        return stored

    async def destroy(self, subject_id: uuid.UUID, *, at: datetime) -> bool:
        """Empty a live key; True if there was one to destroy."""
        result = await self.session.execute(
            update(SubjectKey)
            .where(SubjectKey.subject_id == subject_id, SubjectKey.destroyed_at.is_(None))
            .values(wrapped_key=None, destroyed_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def wrapped_by_other_than(self, kek_id: str, *, limit: int) -> list[SubjectKey]:
        stmt = (
            select(SubjectKey)
            .where(SubjectKey.wrapping_key_id != kek_id, SubjectKey.destroyed_at.is_(None))
            .order_by(SubjectKey.subject_id)
            .limit(limit)
        )
        return list(await self.session.scalars(stmt))

    async def flush(self) -> None:
        await self.session.flush()
