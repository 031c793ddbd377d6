"""``/v1/clients``: registered machine clients (MIS integrations, partners). Admin only.

A client's secret is in the body of the response that creates (or rotates) it, and nowhere
else, ever. Those responses are ``Cache-Control: no-store``, and creation deliberately takes
no ``Idempotency-Key``: a stored replay would keep the secret in the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.auth.oauth import NO_STORE
from app.auth.principal import Role
from app.db import SessionDep
from app.models.clients import ApiClient
from app.policies import Access, Policy
from app.repositories.clients import ClientQuery
from app.routers.deps import IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import ClientIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.clients import (
    ClientCreate,
    ClientCredentials,
    ClientFilters,
    ClientPage,
    ClientRead,
    ClientUpdate,
)
from app.services import clients
from app.services.clients import client_etag

router = APIRouter(prefix=f"{PREFIX}/clients", tags=["clients"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No API client with that id.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}


def _with_secret(client: ApiClient, secret: str, status_code: int, **headers: str) -> JSONResponse:
    body = ClientCredentials(**ClientRead.model_validate(client).model_dump(), client_secret=secret)
    return JSONResponse(
        jsonable_encoder(body),
        status_code=status_code,
        headers={**NO_STORE, "ETag": client_etag(client), **headers},
    )


@router.get("", name="clients_list", summary="List API clients", response_model=ClientPage)
async def list_clients(
    access: Annotated[Access, Policy("api_client", "list")],
    session: SessionDep,
    filters: Annotated[ClientFilters, Query()],
    paging: PagingDep,
) -> ClientPage:
    """Registered machine clients (MIS integrations and partners), filtered by role or by whether
    they are active. Administrators only. Secrets are never listed.
    """
    query = ClientQuery(
        role=None if filters.role is None else Role(filters.role.value),
        active=filters.active,
    )
    items, next_cursor = await clients.list_clients(
        session, access, query=query, page=paging.page(access, filters)
    )
    return ClientPage(items=[ClientRead.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post(
    "",
    name="clients_create",
    summary="Register an API client",
    status_code=201,
    response_model=ClientCredentials,
    responses={422: problem_response("Invalid fields, or a school URN that is not registered.")},
)
async def create_client(
    access: Annotated[Access, Policy("api_client", "create")],
    body: ClientCreate,
    session: SessionDep,
) -> JSONResponse:
    """Register a machine client for the client credentials grant: an MIS integration scoped to its
    schools' URNs, or a partner scoped to its organisation. Administrators only.

    The response carries `client_secret`: it is shown once, is never stored in readable form and is
    sent with `Cache-Control: no-store`. The route takes no `Idempotency-Key`, because a stored
    replay would keep the secret. Refused with 422 for a school URN that is not registered.
    """
    client, secret = await clients.create_client(session, access, data=body)
    return _with_secret(client, secret, 201, Location=f"{PREFIX}/clients/{client.id}")


@router.get(
    "/{client_id}",
    name="clients_get",
    summary="Get an API client",
    response_model=ClientRead,
    responses=NOT_FOUND,
)
async def get_client(
    access: Annotated[Access, Policy("api_client", "read")],
    client_id: ClientIdPath,
    session: SessionDep,
    response: Response,
) -> ClientRead:
    """One registered client by its `client_id`, with its `ETag`. Administrators only; 404 if there
    is no such client. The secret is never returned here.
    """
    client = await clients.get_client(session, access, client_id=client_id)
    response.headers["ETag"] = client_etag(client)
    return ClientRead.model_validate(client)


@router.patch(
    "/{client_id}",
    name="clients_update",
    summary="Update an API client",
    response_model=ClientRead,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def update_client(
    access: Annotated[Access, Policy("api_client", "update")],
    client_id: ClientIdPath,
    body: ClientUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> ClientRead:
    """Rename, activate or deactivate, or re-scope a client. Administrators only, with `If-Match`. A
    deactivated client gets no new tokens; tokens it already holds expire within the token lifetime.
    """
    client = await clients.update_client(
        session, access, client_id=client_id, changes=body, if_match=if_match
    )
    response.headers["ETag"] = client_etag(client)
    return ClientRead.model_validate(client)


@router.post(
    "/{client_id}/secret",
    name="clients_rotate_secret",
    summary="Rotate an API client's secret",
    response_model=ClientCredentials,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def rotate_client_secret(
    access: Annotated[Access, Policy("api_client", "update")],
    client_id: ClientIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> JSONResponse:
    """Issue a new secret for the client, shown once in the response (`Cache-Control: no-store`);
    the old secret stops working at once. Administrators only, with `If-Match`.
    """
    client, secret = await clients.rotate_secret(
        session, access, client_id=client_id, if_match=if_match
    )
    return _with_secret(client, secret, 200)


@router.delete(
    "/{client_id}",
    name="clients_delete",
    summary="Delete an API client",
    status_code=204,
    response_class=Response,
    responses={**NOT_FOUND, **PRECONDITIONS},
)
async def delete_client(
    access: Annotated[Access, Policy("api_client", "delete")],
    client_id: ClientIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Remove a client for good. Administrators only, with `If-Match`. To suspend a client, PATCH
    `active` to false instead.
    """
    await clients.delete_client(session, access, client_id=client_id, if_match=if_match)
    return Response(status_code=204)
