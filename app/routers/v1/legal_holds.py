"""`/v1/legal-holds`: holds that stop destruction of a person's records, or a case's, while
proceedings, a subject request or a breach investigation need them; lifted with reasons."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.models.retention import LegalHold
from app.policies import Access, Policy
from app.repositories.retention import HoldQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.retention import (
    LegalHoldCreate,
    LegalHoldFilters,
    LegalHoldLift,
    LegalHoldPage,
    LegalHoldRead,
)
from app.services import retention_registry as registry
from app.services.retention_registry import hold_etag

router = APIRouter(prefix=f"{PREFIX}/legal-holds", tags=["legal holds"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(registry.HOLD_NOT_FOUND)}
HoldIdPath = Annotated[
    uuid.UUID,
    Path(description="The hold's id.", examples=["3e9a1c7b-2d4f-4a8e-b6c1-9f0e8d7c6b5a"]),
]


def _read(hold: LegalHold) -> LegalHoldRead:
    return LegalHoldRead(
        id=hold.id,
        kind=hold.kind,
        subject_id=hold.subject_id,
        case_id=hold.case_id,
        reason=hold.reason,
        reference=hold.reference,
        placed_by=hold.placed_by,
        placed_at=hold.placed_at,
        live=hold.lifted_at is None,
        lifted_at=hold.lifted_at,
        lifted_by=hold.lifted_by,
        lift_reason=hold.lift_reason,
    )


@router.post(
    "",
    name="legal_holds_create",
    summary="Place a legal hold",
    status_code=201,
    response_model=LegalHoldRead,
    responses={
        409: problem_response(
            "The person's records were destroyed already (`rule`: `not_destroyed`)."
        ),
        422: problem_response(
            "Invalid fields, both or neither of `subject_id` and `case_id`, or an id naming "
            "no data subject (`unknown_subject`) or case (`unknown_case`)."
        ),
    },
)
async def create_hold(
    access: Annotated[Access, Policy("legal_hold", "create")],
    body: LegalHoldCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Hold a data subject's records, or a case's (its subject and every person party to
    it): the retention sweep destroys nothing the hold covers until it is lifted. Give the
    kind (`proceedings`, `subject_request`, `breach_investigation`) and the reason, without
    personal data. Information governance only; send an `Idempotency-Key` to retry safely."""

    async def create() -> Created:
        hold = await registry.place_hold(session, access, data=body)
        return Created(
            _read(hold), location=f"{PREFIX}/legal-holds/{hold.id}", etag=hold_etag(hold)
        )

    return await idempotency.run(access, body, create)


@router.get("", name="legal_holds_list", summary="List legal holds", response_model=LegalHoldPage)
async def list_holds(
    access: Annotated[Access, Policy("legal_hold", "list")],
    session: SessionDep,
    filters: Annotated[LegalHoldFilters, Query()],
    paging: PagingDep,
) -> LegalHoldPage:
    """Holds, newest first; filter by person, case, kind, and whether still in force."""
    query = HoldQuery(
        subject_id=filters.subject_id,
        case_id=filters.case_id,
        kind=filters.kind,
        live=filters.live,
    )
    found, next_cursor = await registry.list_holds(
        session, access, query=query, page=paging.page(access, filters)
    )
    return LegalHoldPage(items=[_read(h) for h in found], next_cursor=next_cursor)


@router.get(
    "/{hold_id}",
    name="legal_holds_get",
    summary="Get a legal hold",
    response_model=LegalHoldRead,
    responses=NOT_FOUND,
)
async def get_hold(
    access: Annotated[Access, Policy("legal_hold", "read")],
    hold_id: HoldIdPath,
    session: SessionDep,
    response: Response,
) -> LegalHoldRead:
    """One hold with its `ETag` (send it as `If-Match` to lift the hold)."""
    hold = await registry.get_hold(session, access, hold_id)
    response.headers["ETag"] = hold_etag(hold)
    return _read(hold)


@router.post(
    "/{hold_id}/lift",
    name="legal_holds_lift",
    summary="Lift a legal hold",
    response_model=LegalHoldRead,
    responses={
        **NOT_FOUND,
        409: problem_response("The hold was lifted already (`rule`: `legal_hold_live`)."),
        412: problem_response("If-Match does not match the current ETag."),
        428: problem_response("If-Match is missing."),
    },
)
async def lift_hold(
    access: Annotated[Access, Policy("legal_hold", "lift")],
    hold_id: HoldIdPath,
    body: LegalHoldLift,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> LegalHoldRead:
    """Lift the hold, with `If-Match` and the reason it is no longer needed; recorded in the
    audit trail. What it covered is destroyed by the next sweep if past retention."""
    hold = await registry.lift_hold(
        session, access, hold_id=hold_id, reason=body.reason, if_match=if_match
    )
    response.headers["ETag"] = hold_etag(hold)
    return _read(hold)
