"""Data-subject requests: recording them, their statutory clock, and closing them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.subject_requests import SubjectRequest
from app.policies import Access
from app.repositories.subject_requests import SubjectRequestRepository
from app.services.concurrency import etag_for

NOT_FOUND = "No subject request with that id that you may see."


def request_etag(request: SubjectRequest) -> str:
    return etag_for(request.id, request.version, request.created_at)


async def load_request(
    session: AsyncSession, access: Access, request_id: uuid.UUID, *, for_update: bool = False
) -> SubjectRequest:
    """The request, if the caller may see it (else a recorded 404); the requester's subject id
    joins the request's audit event."""
    request = await SubjectRequestRepository(session).get(
        request_id, visible=access.filter(), for_update=for_update
    )
    if request is None:
        raise access.not_found(request_id, NOT_FOUND)
    access.touched(subject_ids=[request.subject_id], resource_id=request.id)
    return request
