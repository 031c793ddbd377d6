"""Inspection grants: the windows in which an Ofsted or HMIP inspector may read, read-only,
the schools and categories of data their inspection covers (UK GDPR Art 6(1)(c): the
``statutory_inspection`` purpose of ``app.policies.registry``).

Information governance issues and revokes them. The inspector's token names the grant; the
policy layer loads it on every request, so a revocation takes effect at once, and every read
under it is written down as a disclosure naming the grant.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.disclosures import InspectionGrant
from app.models.sharing import RecipientKind
from app.policies import Access
from app.repositories.inspection_grants import GrantQuery, GrantRepository
from app.repositories.pagination import PageRequest
from app.repositories.sharing import RecipientRepository
from app.schemas.inspection_grants import MAX_LEAD, InspectionGrantCreate
from app.services.concurrency import IfMatch, etag_for


def grant_etag(grant: InspectionGrant) -> str:
    return etag_for(grant.id, grant.version, grant.created_at)


async def list_grants(
    session: AsyncSession, access: Access, *, query: GrantQuery, page: PageRequest
) -> tuple[list[InspectionGrant], str | None]:
    return await GrantRepository(session).page(query, page=page, visible=access.filter())


async def get_grant(
    session: AsyncSession, access: Access, *, grant_id: uuid.UUID
) -> InspectionGrant:
    grant = await GrantRepository(session).get(grant_id, visible=access.filter())
    if grant is None:
        raise access.not_found(grant_id, f"No inspection grant with id {grant_id}.")
    return grant


async def create_grant(
    session: AsyncSession, access: Access, *, data: InspectionGrantCreate
) -> InspectionGrant:
    """Issue a grant. Every problem with the body is reported at once (422)."""
    errors = await _problems(session, access, data)
    if errors:
        raise ValidationFailed("The inspection grant cannot be issued as given.", errors=errors)
    grant = InspectionGrant(
        id=uuid.uuid4(),
        recipient_id=data.recipient_id,
        inspector=data.inspector,
        reference=data.reference,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        school_urns=sorted(set(data.school_urns)),
        data_categories=list(dict.fromkeys(c.value for c in data.data_categories)),
        granted_by=access.principal.subject,
    )
    await GrantRepository(session).add(grant)
    access.record_change(
        "inspection_grant.issued",
        resource_id=grant.id,
        details={
            "recipient_id": str(grant.recipient_id),
            "schools": len(grant.school_urns),
            "categories": ",".join(grant.data_categories),
        },
    )
    return grant


async def revoke_grant(
    session: AsyncSession, access: Access, *, grant_id: uuid.UUID, if_match: IfMatch
) -> InspectionGrant:
    """Close a grant now: the inspector's next request is refused, whatever their token says."""
    grant = await get_grant(session, access, grant_id=grant_id)
    if_match.require(grant_etag(grant))
    if grant.revoked_at is not None:
        raise Conflict("The inspection grant is already revoked.")
    grant.revoked_at = access.now
    grant.revoked_by = access.principal.subject
    await session.flush()
    access.record_change("inspection_grant.revoked", resource_id=grant.id)
    return grant


async def _problems(
    session: AsyncSession, access: Access, data: InspectionGrantCreate
) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    if data.ends_at <= access.now:
        errors.append(body_problem("/ends_at", "the window has already closed", "past"))
    if data.starts_at > access.now + MAX_LEAD:
        errors.append(body_problem("/starts_at", "at most a year ahead", "too_far_ahead"))

    recipient = await RecipientRepository(session).get(data.recipient_id)
    if recipient is None:
        errors.append(body_problem("/recipient_id", "no such recipient", "unknown_recipient"))
    elif recipient.kind is not RecipientKind.INSPECTORATE:
        errors.append(body_problem("/recipient_id", "not an inspectorate", "not_inspectorate"))
    elif not recipient.active:
        errors.append(
            body_problem("/recipient_id", "the recipient is not active", "inactive_recipient")
        )

    known = await GrantRepository(session).known_schools(data.school_urns)
    errors.extend(
        body_problem(f"/school_urns/{i}", "no school with this URN", "unknown_school")
        for i, urn in enumerate(data.school_urns)
        if urn not in known
    )
    return errors
