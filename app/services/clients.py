"""Registered API clients: machine callers of the service's own token issuer.

Administrators register MIS integrations (scoped by school URNs) and partners (scoped by
organisation). A client's secret is generated here, returned once, and stored only as an
Argon2 hash. Deactivating a client stops new tokens at once; tokens already issued run out
within ``token_ttl_seconds``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.client_secrets import check_secret, generate_secret, hash_secret, needs_rehash
from app.auth.issuer import IssuedToken, TokenIssuer
from app.auth.oauth import ClientCredentials, InvalidClient, UnauthorizedClient
from app.auth.principal import Role
from app.errors import ValidationFailed, body_problem
from app.log import get_logger
from app.models.clients import ApiClient
from app.policies import Access
from app.repositories.clients import ClientQuery, ClientRepository
from app.repositories.pagination import PageRequest
from app.schemas.clients import ClientCreate, ClientUpdate, scope_problem
from app.services.concurrency import IfMatch, etag_for

log = get_logger("kpas.clients")

#: Roles a machine client may be issued tokens for.
MACHINE_ROLES = frozenset({Role.MIS_INTEGRATION, Role.PARTNER})


def client_etag(client: ApiClient) -> str:
    return etag_for(client.id, client.version, client.created_at)


def _field_error(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        detail,
        errors=[body_problem(pointer, detail, code)],
    )


async def _require_known_schools(clients: ClientRepository, urns: list[int]) -> None:
    unknown = sorted(set(urns) - await clients.known_school_urns(urns))
    if unknown:
        raise _field_error(
            "/school_urns",
            f"No school is registered with URN {', '.join(map(str, unknown))}.",
            "unknown_school",
        )


async def list_clients(
    session: AsyncSession, access: Access, *, query: ClientQuery, page: PageRequest
) -> tuple[list[ApiClient], str | None]:
    return await ClientRepository(session).page(query, page=page, visible=access.filter())


async def get_client(session: AsyncSession, access: Access, *, client_id: uuid.UUID) -> ApiClient:
    client = await ClientRepository(session).get(client_id, visible=access.filter())
    if client is None:
        raise access.not_found(client_id, f"No API client {client_id}.")
    return client


async def create_client(
    session: AsyncSession, access: Access, *, data: ClientCreate
) -> tuple[ApiClient, str]:
    """Register a client; returns it with its secret, which is not stored anywhere."""
    clients = ClientRepository(session)
    await _require_known_schools(clients, data.school_urns)
    secret = generate_secret()
    client = ApiClient(
        id=uuid.uuid4(),
        name=data.name,
        role=Role(data.role.value),
        org=data.org,
        school_urns=sorted(data.school_urns),
        secret_hash=await hash_secret(secret),
        active=True,
    )
    await clients.add(client)
    access.record_change(
        "api_client.created", resource_id=client.id, details={"role": client.role.value}
    )
    return client, secret


async def update_client(
    session: AsyncSession,
    access: Access,
    *,
    client_id: uuid.UUID,
    changes: ClientUpdate,
    if_match: IfMatch,
) -> ApiClient:
    client = await get_client(session, access, client_id=client_id)
    if_match.require(client_etag(client))
    fields = changes.changes()
    if not fields:
        return client
    school_urns = fields.get("school_urns", client.school_urns)
    org = fields.get("org", client.org)
    problem = scope_problem(client.role, school_urns, org)
    if problem is not None:
        raise _field_error(f"/{problem[0]}", problem[1], "scope")
    if "school_urns" in fields:
        await _require_known_schools(ClientRepository(session), school_urns)
        fields["school_urns"] = sorted(school_urns)
    for field, value in fields.items():
        setattr(client, field, value)
    await session.flush()
    access.record_change(
        "api_client.updated", resource_id=client.id, details={"fields": ",".join(sorted(fields))}
    )
    return client


async def rotate_secret(
    session: AsyncSession, access: Access, *, client_id: uuid.UUID, if_match: IfMatch
) -> tuple[ApiClient, str]:
    """Replace a client's secret: the old one stops working at once. Returns the new one."""
    client = await get_client(session, access, client_id=client_id)
    if_match.require(client_etag(client))
    secret = generate_secret()
    client.secret_hash = await hash_secret(secret)
    await session.flush()
    access.record_change("api_client.secret_rotated", resource_id=client.id)
    return client, secret


async def delete_client(
    session: AsyncSession, access: Access, *, client_id: uuid.UUID, if_match: IfMatch
) -> None:
    client = await get_client(session, access, client_id=client_id)
    if_match.require(client_etag(client))
    await ClientRepository(session).delete(client)
    access.record_change("api_client.deleted", resource_id=client_id)


# --- the client credentials grant ----------------------------------------------------------


async def authenticate_client(session: AsyncSession, credentials: ClientCredentials) -> ApiClient:
    """The active client these credentials prove, or ``InvalidClient``.

    Unknown, inactive and wrong-secret clients get the same answer in about the same time.
    """
    try:
        client_id = uuid.UUID(credentials.client_id)
    except ValueError:
        client_id = None
    client = await ClientRepository(session).get(client_id) if client_id else None
    if not await check_secret(client.secret_hash if client else None, credentials.client_secret):
        log.info("client_authentication_failed", reason="unknown client or wrong secret")
        raise InvalidClient()
    assert client is not None
    if not client.active:
        log.info("client_authentication_failed", client_id=str(client.id), reason="inactive")
        raise InvalidClient()
    if needs_rehash(client.secret_hash):
        client.secret_hash = await hash_secret(credentials.client_secret)
        await session.flush()
    return client


async def issue_client_token(
    session: AsyncSession, issuer: TokenIssuer, credentials: ClientCredentials
) -> IssuedToken:
    """RFC 6749 §4.4: an access token carrying the client's role and scope."""
    client = await authenticate_client(session, credentials)
    if client.role not in MACHINE_ROLES:
        raise UnauthorizedClient("This client may not use the client credentials grant.")
    token = issuer.issue(
        subject=str(client.id),
        roles=[client.role],
        school_urns=client.school_urns if client.role is Role.MIS_INTEGRATION else (),
        org=client.org if client.role is Role.PARTNER else None,
        client_id=str(client.id),
    )
    log.info("client_token_issued", client_id=str(client.id), token_id=token.token_id)
    return token
