"""Parents, guardians and carers, reached through the pupils they care for.

A carer is visible where one of their pupils is (the policy layer's carer conditions), and a
carer's record shows only their relationships to pupils this caller may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models.people import Carer, CarerRelationship
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.people import CarerQuery, CarerRepository, PupilRepository
from app.schemas.people import CarerUpdate
from app.services.concurrency import IfMatch, etag_for
from app.services.people import rename_carer


@dataclass(frozen=True, slots=True)
class CarerRecord:
    """A carer, their relationships to the pupils the caller may see, and their retention."""

    carer: Carer
    relationships: list[CarerRelationship]
    #: The data subjects of the pupils in ``relationships``.
    pupil_subject_ids: frozenset[uuid.UUID]
    retain_until: date | None

    @property
    def subject_ids(self) -> frozenset[uuid.UUID]:
        """Everyone this record says something about."""
        return self.pupil_subject_ids | {self.carer.subject_id}


def carer_etag(carer: Carer) -> str:
    return etag_for(carer.id, carer.version, carer.created_at)


async def list_carers(
    session: AsyncSession,
    access: Access,
    *,
    query: CarerQuery,
    page: PageRequest,
) -> tuple[list[Carer], str | None]:
    found, next_cursor = await CarerRepository(session).page(
        query, page=page, visible=access.filter()
    )
    access.touched(subject_ids=[c.subject_id for c in found])
    return found, next_cursor


async def get_carer(session: AsyncSession, access: Access, *, carer_id: uuid.UUID) -> CarerRecord:
    carers = CarerRepository(session)
    carer = await carers.get(carer_id, visible=access.filter())
    if carer is None:
        raise access.not_found(carer_id, "No carer with that id.")
    visible = await carers.relationships_of_carer(
        carer.id, pupil_visible=access.related_filter("pupil", "read")
    )
    # The carer, and the pupils the record names as theirs.
    access.touched(
        subject_ids=[carer.subject_id, *(subject_id for _, subject_id in visible)],
        resource_id=carer.id,
    )
    retention = await PupilRepository(session).retention_dates([carer.subject_id])
    return CarerRecord(
        carer=carer,
        relationships=[relationship for relationship, _ in visible],
        pupil_subject_ids=frozenset(subject_id for _, subject_id in visible),
        retain_until=retention.get(carer.subject_id),
    )


async def update_carer(
    session: AsyncSession,
    access: Access,
    *,
    carer_id: uuid.UUID,
    changes: CarerUpdate,
    if_match: IfMatch,
) -> CarerRecord:
    record = await get_carer(session, access, carer_id=carer_id)
    carer = record.carer
    if_match.require(carer_etag(carer))
    if carer.merged_into_id is not None:
        raise Conflict(
            "This record was merged into another; change the surviving record "
            f"({carer.merged_into_id})."
        )
    fields: dict[str, Any] = changes.changes()
    if not fields:
        return record
    changed = sorted(fields)
    forename = fields.pop("forename", None)
    surname = fields.pop("surname", None)
    if forename is not None or surname is not None:
        rename_carer(carer, forename=forename or carer.forename, surname=surname or carer.surname)
    for field, value in fields.items():
        setattr(carer, field, value)
    await session.flush()
    access.record_change(
        "carer.updated",
        resource_id=carer.id,
        subject_id=carer.subject_id,
        details={"fields": ",".join(changed)},
    )
    return record
