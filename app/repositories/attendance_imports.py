"""Queries over attendance import reports: the policy-filtered list of past imports.

An import's own read lives with the marks it wrote (``AttendanceMarksRepository.get_import``);
this is the history an information system, a school or an area team reads back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Integer, cast, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceImport, ImportStatus
from app.models.base import json_list_elements
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class ImportQuery:
    school_urn: int | None = None
    status: ImportStatus | None = None
    received_since: datetime | None = None  # inclusive
    received_before: datetime | None = None  # exclusive


def names_school(urn: int) -> ColumnElement[bool]:
    """The import's rows named the school ``urn``."""
    listed = json_list_elements(AttendanceImport.school_urns).table_valued("value")
    return exists(select(1).select_from(listed).where(cast(listed.c.value, Integer) == urn))


class AttendanceImportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, query: ImportQuery, *, page: PageRequest, visible: ColumnElement[bool]
    ) -> tuple[list[AttendanceImport], str | None]:
        """Imports most recently received first (``received_at``, then id, descending), in
        one query: the policy's filter, the caller's filters and the page together."""
        stmt = select(AttendanceImport).where(visible)
        if query.school_urn is not None:
            stmt = stmt.where(names_school(query.school_urn))
        if query.status is not None:
            stmt = stmt.where(AttendanceImport.status == query.status)
        if query.received_since is not None:
            stmt = stmt.where(AttendanceImport.received_at >= query.received_since)
        if query.received_before is not None:
            stmt = stmt.where(AttendanceImport.received_at < query.received_before)
        keys = (AttendanceImport.received_at, AttendanceImport.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)
