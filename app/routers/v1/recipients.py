"""``/v1/recipients``: the organisations the privacy notice says KPAS shares with."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.sharing import RecipientQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import RecipientIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.sharing import (
    RecipientCreate,
    RecipientFilters,
    RecipientPage,
    RecipientRead,
    RecipientUpdate,
)
from app.services import sharing
from app.services.sharing import recipient_etag

router = APIRouter(prefix=f"{PREFIX}/recipients", tags=["sharing"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No recipient with that id.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


@router.get("", name="recipients_list", summary="List recipients", response_model=RecipientPage)
async def list_recipients(
    access: Annotated[Access, Policy("recipient", "list")],
    session: SessionDep,
    filters: Annotated[RecipientFilters, Query()],
    paging: PagingDep,
) -> RecipientPage:
    """The organisations the privacy notice says KPAS shares with, filtered by kind, code or whether
    they are active. Readable by information governance, administrators and attendance managers.
    """
    query = RecipientQuery(kind=filters.kind, active=filters.active, code=filters.code)
    items, next_cursor = await sharing.list_recipients(
        session, access, query=query, page=paging.page(access, filters)
    )
    return RecipientPage(
        items=[RecipientRead.model_validate(r) for r in items], next_cursor=next_cursor
    )


@router.post(
    "",
    name="recipients_create",
    summary="Register a recipient",
    status_code=201,
    response_model=RecipientRead,
    responses={409: problem_response("A recipient with that code already exists.")},
)
async def create_recipient(
    access: Annotated[Access, Policy("recipient", "create")],
    body: RecipientCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an organisation KPAS may share with. Administrators only; send an `Idempotency-Key` to
    retry safely. Refused with 409 if a recipient with that code exists.
    """

    async def create() -> Created:
        recipient = await sharing.create_recipient(session, access, data=body)
        return Created(
            RecipientRead.model_validate(recipient),
            location=f"/v1/recipients/{recipient.id}",
            etag=recipient_etag(recipient),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{recipient_id}",
    name="recipients_get",
    summary="Get a recipient",
    response_model=RecipientRead,
    responses=NOT_FOUND,
)
async def get_recipient(
    access: Annotated[Access, Policy("recipient", "read")],
    recipient_id: RecipientIdPath,
    session: SessionDep,
    response: Response,
) -> RecipientRead:
    """One recipient by id, with its `ETag`. Readable by information governance, administrators and
    attendance managers; 404 if there is none.
    """
    recipient = await sharing.get_recipient(session, access, recipient_id=recipient_id)
    response.headers["ETag"] = recipient_etag(recipient)
    return RecipientRead.model_validate(recipient)


@router.patch(
    "/{recipient_id}",
    name="recipients_update",
    summary="Update a recipient",
    response_model=RecipientRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_recipient(
    access: Annotated[Access, Policy("recipient", "update")],
    recipient_id: RecipientIdPath,
    body: RecipientUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> RecipientRead:
    """Change a recipient's name, kind, privacy-notice wording or whether it is active (a JSON merge
    patch; the code is fixed). Administrators only, with `If-Match`.
    """
    recipient = await sharing.update_recipient(
        session, access, recipient_id=recipient_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = recipient_etag(recipient)
    return RecipientRead.model_validate(recipient)


@router.delete(
    "/{recipient_id}",
    name="recipients_delete",
    summary="Delete a recipient",
    status_code=204,
    response_class=Response,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("Sharing agreements still name this recipient; deactivate it."),
    },
)
async def delete_recipient(
    access: Annotated[Access, Policy("recipient", "delete")],
    recipient_id: RecipientIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Remove a recipient registered in error. Administrators only, with `If-Match`. Refused with
    409 while sharing agreements still name it: deactivate it instead.
    """
    await sharing.delete_recipient(session, access, recipient_id=recipient_id, if_match=if_match)
    return Response(status_code=204)
