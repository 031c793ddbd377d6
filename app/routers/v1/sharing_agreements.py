"""``/v1/sharing-agreements``: which purposes and data categories each recipient may receive,
under which agreement, and when."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.sharing import AgreementQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import AgreementIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.sharing import (
    SharingAgreementCreate,
    SharingAgreementFilters,
    SharingAgreementPage,
    SharingAgreementRead,
    SharingAgreementUpdate,
)
from app.services import sharing
from app.services.sharing import agreement_etag

router = APIRouter(prefix=f"{PREFIX}/sharing-agreements", tags=["sharing"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No sharing agreement with that id.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


@router.get(
    "",
    name="sharing_agreements_list",
    summary="List sharing agreements",
    response_model=SharingAgreementPage,
)
async def list_agreements(
    access: Annotated[Access, Policy("sharing_agreement", "list")],
    session: SessionDep,
    filters: Annotated[SharingAgreementFilters, Query()],
    paging: PagingDep,
) -> SharingAgreementPage:
    """Which purposes and data categories each recipient may receive, over which districts and when,
    filtered by recipient, purpose, district or the day an agreement is in force. Readable by
    information governance, administrators and attendance managers.
    """
    query = AgreementQuery(
        recipient_id=filters.recipient_id,
        purpose=filters.purpose,
        active_on=filters.active_on,
        district=filters.district,
    )
    items, next_cursor = await sharing.list_agreements(
        session, access, query=query, page=paging.page(access, filters)
    )
    return SharingAgreementPage(
        items=[SharingAgreementRead.model_validate(a) for a in items], next_cursor=next_cursor
    )


@router.post(
    "",
    name="sharing_agreements_create",
    summary="Record a sharing agreement",
    status_code=201,
    response_model=SharingAgreementRead,
)
async def create_agreement(
    access: Annotated[Access, Policy("sharing_agreement", "create")],
    body: SharingAgreementCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record an agreement under which a recipient may receive data: its purposes, data categories,
    districts and term. Administrators only; send an `Idempotency-Key` to retry safely. A partner
    client's reach follows from the agreement in force on the day of each request. Refused with 422
    for an unknown recipient or an inconsistent term.
    """

    async def create() -> Created:
        agreement = await sharing.create_agreement(session, access, data=body)
        return Created(
            SharingAgreementRead.model_validate(agreement),
            location=f"/v1/sharing-agreements/{agreement.id}",
            etag=agreement_etag(agreement),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{agreement_id}",
    name="sharing_agreements_get",
    summary="Get a sharing agreement",
    response_model=SharingAgreementRead,
    responses=NOT_FOUND,
)
async def get_agreement(
    access: Annotated[Access, Policy("sharing_agreement", "read")],
    agreement_id: AgreementIdPath,
    session: SessionDep,
    response: Response,
) -> SharingAgreementRead:
    """One sharing agreement by id, with its `ETag`. Readable by information governance,
    administrators and attendance managers; 404 if there is none.
    """
    agreement = await sharing.get_agreement(session, access, agreement_id=agreement_id)
    response.headers["ETag"] = agreement_etag(agreement)
    return SharingAgreementRead.model_validate(agreement)


@router.patch(
    "/{agreement_id}",
    name="sharing_agreements_update",
    summary="Update a sharing agreement",
    response_model=SharingAgreementRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_agreement(
    access: Annotated[Access, Policy("sharing_agreement", "update")],
    agreement_id: AgreementIdPath,
    body: SharingAgreementUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> SharingAgreementRead:
    """Change an agreement's purposes, categories, districts or term (a JSON merge patch).
    Administrators only, with `If-Match`. Partners' reach changes from their next request.
    """
    agreement = await sharing.update_agreement(
        session, access, agreement_id=agreement_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = agreement_etag(agreement)
    return SharingAgreementRead.model_validate(agreement)


@router.delete(
    "/{agreement_id}",
    name="sharing_agreements_delete",
    summary="Delete a sharing agreement",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def delete_agreement(
    access: Annotated[Access, Policy("sharing_agreement", "delete")],
    agreement_id: AgreementIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Remove an agreement recorded in error. Administrators only, with `If-Match`. To end an
    agreement, set the end of its term instead, so past disclosures still name it.
    """
    await sharing.delete_agreement(session, access, agreement_id=agreement_id, if_match=if_match)
    return Response(status_code=204)
