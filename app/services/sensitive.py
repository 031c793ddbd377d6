"""A pupil's special category data (UK GDPR Art 9): ethnicity, health, SEND and Children's
Social Care involvement, held apart from the ordinary pupil record.

The policy decision is about the pupil: the resource ``pupil_sensitive`` is reachable only
under a purpose with an Article 9 condition, by roles whose rule grants special category
access, and only for pupils the caller may see (the pupil filter travels into every query).
Partners and inspectors receive only the categories their agreement or grant covers, and
each read by them is written down as a disclosure of exactly what was returned.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import ValidationFailed
from app.models.people import Pupil, SensitiveCategory, SensitiveEntry
from app.models.sharing import DataCategory
from app.policies import Access
from app.policies.registry import REGISTRY
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.repositories.sensitive import SensitiveEntryRepository
from app.schemas.sensitive import AnyEntryCreate, stored_details
from app.services.concurrency import IfMatch, etag_for

#: The data category a sharing agreement or inspection grant must cover for each kind of entry.
ENTRY_DATA_CATEGORIES: dict[SensitiveCategory, str] = {
    SensitiveCategory.ETHNICITY: DataCategory.SPECIAL_CATEGORY_ETHNICITY.value,
    SensitiveCategory.HEALTH: DataCategory.SPECIAL_CATEGORY_HEALTH.value,
    SensitiveCategory.SEND: DataCategory.SPECIAL_CATEGORY_SEND.value,
    SensitiveCategory.SOCIAL_CARE: DataCategory.SOCIAL_CARE.value,
}


def entry_etag(entry: SensitiveEntry) -> str:
    return etag_for(entry.id, entry.version, entry.created_at)


async def visible_pupil(session: AsyncSession, access: Access, pupil_id: uuid.UUID) -> Pupil:
    """The pupil, if this decision reaches them; else the audited 404."""
    pupil = await PupilRepository(session).get(pupil_id, visible=access.filter())
    if pupil is None:
        raise access.not_found(pupil_id, f"No pupil {pupil_id}.")
    access.touched(subject_ids=[pupil.subject_id])
    return pupil


def releasable_categories(access: Access) -> frozenset[SensitiveCategory]:
    """The kinds of entry this caller may receive: all inside KPAS; for a partner or an
    inspector, those their agreement or grant covers."""
    allowed = access.releasable(frozenset(ENTRY_DATA_CATEGORIES.values()))
    return frozenset(c for c, data in ENTRY_DATA_CATEGORIES.items() if data in allowed)


def data_categories_of(
    categories: set[SensitiveCategory] | frozenset[SensitiveCategory],
) -> list[str]:
    return sorted(ENTRY_DATA_CATEGORIES[c] for c in categories)


def require_purpose_condition(access: Access, condition: str) -> None:
    """An entry is recorded under the UK GDPR Art 9(2) condition its purpose rests on (as
    ``app.policies.registry`` records it); anything else is refused, naming the condition
    that applies."""
    purpose = access.purpose
    spec = REGISTRY[purpose] if purpose is not None else None
    expected = spec.article9.value if spec is not None and spec.article9 is not None else None
    if condition != expected:
        detail = (
            f"recorded for {purpose.value}, which rests on Article {expected}"
            if purpose is not None and expected is not None
            else "the purpose of this request has no Article 9 condition"
        )
        raise ValidationFailed(
            "The Article 9 condition does not match the purpose of the request.",
            errors=[
                {
                    "location": "body",
                    "pointer": "/article9_condition",
                    "detail": detail,
                    "code": "article9_condition_mismatch",
                }
            ],
        )


async def list_entries(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    category: SensitiveCategory | None,
    page: PageRequest,
) -> tuple[Pupil, list[SensitiveEntry], str | None, frozenset[SensitiveCategory]]:
    """One page of the pupil's entries the caller may receive, and the categories asked of
    the database (what the answer speaks to, for a disclosure record)."""
    pupil = await visible_pupil(session, access, pupil_id)
    categories = releasable_categories(access)
    if category is not None:
        categories = categories & {category}
    entries, next_cursor = await SensitiveEntryRepository(session).page(
        pupil.id, visible=access.filter(), categories=categories, page=page
    )
    access.touched(subject_ids=[pupil.subject_id], resource_id=pupil.id)
    return pupil, entries, next_cursor, categories


async def get_entry(
    session: AsyncSession, access: Access, *, pupil_id: uuid.UUID, entry_id: uuid.UUID
) -> tuple[Pupil, SensitiveEntry]:
    pupil = await visible_pupil(session, access, pupil_id)
    entry = await SensitiveEntryRepository(session).get(
        pupil.id, entry_id, visible=access.filter(), categories=releasable_categories(access)
    )
    if entry is None:
        raise access.not_found(entry_id, f"No special category entry {entry_id} for this pupil.")
    access.touched(subject_ids=[pupil.subject_id], resource_id=entry.id)
    return pupil, entry


async def create_entry(
    session: AsyncSession, access: Access, *, pupil_id: uuid.UUID, data: AnyEntryCreate
) -> SensitiveEntry:
    """Record an entry for the pupil, collected for the pupil's purposes on the pupil's basis,
    under the request purpose's Article 9 condition."""
    pupil = await visible_pupil(session, access, pupil_id)
    require_purpose_condition(access, data.article9_condition)
    entry = SensitiveEntry(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask,
        lawful_basis=pupil.lawful_basis,
        category=data.category,
        details=stored_details(data),
        source=data.source,
        article9_condition=data.article9_condition,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        recorded_by=access.principal.subject,
    )
    await SensitiveEntryRepository(session).add(entry)
    access.record_change(
        "sensitive_entry.created",
        resource_id=entry.id,
        subject_id=pupil.subject_id,
        details={"pupil_id": str(pupil.id)},
    )
    return entry


async def delete_entry(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    entry_id: uuid.UUID,
    if_match: IfMatch,
) -> None:
    """Remove an entry (recorded in error, or rectified on a subject's request)."""
    pupil, entry = await get_entry(session, access, pupil_id=pupil_id, entry_id=entry_id)
    if_match.require(entry_etag(entry))
    await SensitiveEntryRepository(session).delete(entry)
    access.record_change(
        "sensitive_entry.deleted",
        resource_id=entry_id,
        subject_id=pupil.subject_id,
        details={"pupil_id": str(pupil.id)},
    )
