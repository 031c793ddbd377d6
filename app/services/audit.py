"""The audit trail for information governance: review events, verify the chain."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.verification import ChainVerification, verify_chain
from app.models.audit import AuditEvent
from app.policies import Access
from app.repositories.audit import AuditEventQuery, AuditEventRepository
from app.repositories.pagination import PageRequest


async def list_events(
    session: AsyncSession, access: Access, *, query: AuditEventQuery, page: PageRequest
) -> tuple[list[AuditEvent], str | None]:
    return await AuditEventRepository(session).page(query, page=page, visible=access.filter())


async def verify(session: AsyncSession, access: Access) -> ChainVerification:
    """Check the whole chain. The policy has already recorded who asked."""
    return await verify_chain(session)
