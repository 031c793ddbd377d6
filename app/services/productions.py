"""Productions: the performances, productions and activities children take part in, with the
facts that decide whether a child performing in one needs a licence (Children and Young
Persons Act 1963 s37(2), s37(3)).

A production holds no personal data of its own. Its producer is an adult person on a licence
(``app.services.licensing_people``) whom the caller may see under
``child_employment_licensing``: anyone else (a child, an unknown id, a person restricted or
outside the caller's reach) is refused with the same 422, so the answer never reveals that a
record exists. Changes are audited with ids only, and flushed (the request commits).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed, body_problem
from app.models.licences import PersonType, Production
from app.models.people import NameKey
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.licensing_people import PersonRepository
from app.repositories.pagination import PageRequest
from app.repositories.productions import ProductionQuery, ProductionRepository
from app.rules.names import name_key
from app.schemas.productions import ProductionCreate, ProductionUpdate
from app.services.concurrency import IfMatch, etag_for

#: A title's search key fits its column (titles are longer than names).
TITLE_KEY_LENGTH = NameKey.length or 100


def production_etag(production: Production) -> str:
    return etag_for(production.id, production.version, production.created_at)


def title_key(title: str) -> str:
    """The title as a search key, cut to the column's length."""
    return name_key(title)[:TITLE_KEY_LENGTH]


async def _check_producer(session: AsyncSession, access: Access, producer_id: uuid.UUID) -> None:
    """The producer must be an adult the caller may see for licensing (422 otherwise)."""
    person = await PersonRepository(session).find(
        producer_id,
        visible=access.related_filter("person", "read", purpose=Purpose.CHILD_EMPLOYMENT_LICENSING),
    )
    if person is None or person.person_type is not PersonType.ADULT:
        access.withheld(producer_id)
        detail = "The producer must be an adult person on a licence that you may see."
        raise ValidationFailed(
            detail,
            errors=[body_problem("/producer_id", detail, "not_an_adult_person")],
        )


async def list_productions(
    session: AsyncSession, access: Access, *, query: ProductionQuery, page: PageRequest
) -> tuple[list[Production], str | None]:
    return await ProductionRepository(session).page(query, page, visible=access.filter())


async def _load(
    session: AsyncSession, access: Access, production_id: uuid.UUID, *, for_update: bool = False
) -> Production:
    production = await ProductionRepository(session).get(
        production_id, visible=access.filter(), for_update=for_update
    )
    if production is None:
        raise access.not_found(production_id, "No production with that id.")
    access.touched(subject_ids=[], resource_id=production.id)
    return production


async def get_production(
    session: AsyncSession, access: Access, *, production_id: uuid.UUID
) -> Production:
    return await _load(session, access, production_id)


async def create_production(
    session: AsyncSession, access: Access, *, data: ProductionCreate
) -> Production:
    """A new production, its producer an adult person the caller may see."""
    await _check_producer(session, access, data.producer_id)
    production = Production(
        id=uuid.uuid4(),
        title_key=title_key(data.title),
        created_by=access.principal.subject,
        **data.model_dump(),
    )
    ProductionRepository(session).add(production)
    await session.flush()
    access.record_change(
        "production.created",
        resource_id=production.id,
        details={"kind": production.kind.value, "producer_id": str(production.producer_id)},
    )
    return production


async def update_production(
    session: AsyncSession,
    access: Access,
    *,
    production_id: uuid.UUID,
    changes: ProductionUpdate,
    if_match: IfMatch,
) -> Production:
    """Change a production (a JSON merge patch, with If-Match)."""
    production = await _load(session, access, production_id, for_update=True)
    if_match.require(production_etag(production))
    fields: dict[str, Any] = changes.changes()
    if not fields:
        return production
    if "producer_id" in fields and fields["producer_id"] != production.producer_id:
        await _check_producer(session, access, fields["producer_id"])
    for field, value in fields.items():
        setattr(production, field, value)
    if "title" in fields:
        production.title_key = title_key(production.title)
    await session.flush()
    access.record_change(
        "production.updated",
        resource_id=production.id,
        details={"fields": ",".join(sorted(fields))},
    )
    return production
