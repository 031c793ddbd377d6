"""``/v1/audit``: the tamper-evident audit trail, for information governance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.audit import AuditEventQuery
from app.routers.paging import PagingDep
from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX
from app.schemas.audit import (
    AuditEventFilters,
    AuditEventPage,
    AuditEventRead,
    ChainVerificationRead,
)
from app.services import audit

router = APIRouter(prefix=f"{PREFIX}/audit", tags=["audit"], route_class=KpasRoute)


@router.get(
    "/events", name="audit_events_list", summary="List audit events", response_model=AuditEventPage
)
async def list_audit_events(
    access: Annotated[Access, Policy("audit_event", "list")],
    session: SessionDep,
    filters: Annotated[AuditEventFilters, Query()],
    paging: PagingDep,
) -> AuditEventPage:
    """Policy decisions (allow and deny) and changes, in chain order, filtered by subject,
    resource, actor, decision, purpose, outcome, kind, action or time. Events carry ids only,
    never names.

    Information governance only; no `KPAS-Purpose` is needed.
    """
    query = AuditEventQuery(
        subject_id=filters.subject_id,
        resource_type=filters.resource_type,
        resource_id=filters.resource_id,
        actor=filters.actor,
        decision_id=filters.decision_id,
        purpose=filters.purpose,
        outcome=filters.outcome,
        kind=filters.kind,
        action=filters.action,
        occurred_from=filters.occurred_from,
        occurred_to=filters.occurred_to,
    )
    items, next_cursor = await audit.list_events(
        session, access, query=query, page=paging.page(access, filters)
    )
    return AuditEventPage(items=[AuditEventRead.of(e) for e in items], next_cursor=next_cursor)


@router.get(
    "/verification",
    name="audit_verification_get",
    summary="Verify the audit chain",
    response_model=ChainVerificationRead,
)
async def get_audit_verification(
    access: Annotated[Access, Policy("audit_event", "verify")], session: SessionDep
) -> ChainVerificationRead:
    """Check every event's hash and link to the one before, and the chain head, and name the first
    event that does not verify. A broken chain is reported in the body (`ok: false`), not as an
    error status. Information governance only.
    """
    result = await audit.verify(session, access)
    return ChainVerificationRead.model_validate(result)
