"""``Idempotency-Key`` on POSTs: a replay returns the first response; a changed body is 422.

A key belongs to one caller, the token's issuer and subject together: the same ``sub`` from
another issuer is someone else. The remembered response is replayed only to that caller
holding the same authority as when it was made (roles, area teams, schools, organisation,
client, inspection grant, the agreement or grant a partner or inspector read under, and the
stated purpose): a token for the same subject with other permissions gets a 409 and nothing
of the stored response, which may name records it can no longer see.

The remembered response is written in the same transaction as the work it describes, so a
replay can never return a response for work that rolled back. The key is claimed (its record
inserted) before the work runs: a concurrent request with the same key waits on that row until
the first commits, then replays its response, or takes the key over if the first rolled back.
So requests sent again before the first answered apply the work once, and none of them fails.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, IdempotencyKeyAuthorityChanged, IdempotencyKeyReused
from app.models.base import utcnow
from app.models.idempotency import IdempotencyRecord

if TYPE_CHECKING:
    from app.policies.guard import Access

#: Principal fields that change from one token to the next without changing what the caller
#: may do. Every other field (including any added later) is part of the caller's authority.
_NOT_AUTHORITY = frozenset({"token_id"})


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Whose keys these are, and what they were allowed when they used one."""

    issuer: str
    subject: str
    authority: str


def request_fingerprint(method: str, path: str, body: Any) -> str:
    return _digest({"method": method, "path": path, "body": body})


def _canonical(value: Any) -> Any:
    """A value as JSON that compares equal exactly when the values do (sets sorted)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_canonical(item) for item in value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Enum):
        return _canonical(value.value)
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def key_owner(access: Access) -> KeyOwner:
    """The caller an ``Idempotency-Key`` belongs to, with a fingerprint of the authority the
    request was allowed under: the principal as the policy scoped it (a partner's agreement
    districts, an inspector's grant schools), what a partner or inspector may be released and
    under which agreement or grant, and the purpose."""
    principal = access.principal
    authority = {
        "principal": {
            f.name: _canonical(getattr(principal, f.name))
            for f in dataclasses.fields(principal)
            if f.name not in _NOT_AUTHORITY
        },
        "release": _canonical(access.release),
        "purpose": _canonical(access.purpose),
    }
    return KeyOwner(principal.issuer, principal.subject, _digest(authority))


class IdempotencyStore:
    def __init__(self, session: AsyncSession, *, ttl: timedelta) -> None:
        self.session = session
        self.ttl = ttl
        self._claimed: tuple[KeyOwner, str] | None = None

    async def lookup(self, *, owner: KeyOwner, key: str, fingerprint: str) -> StoredResponse | None:
        """The first response to this key, or None. Refuses (and replays nothing) when the key
        was first used under other authority (409) or for another request (422)."""
        record = await self.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.issuer == owner.issuer,
                IdempotencyRecord.subject == owner.subject,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at > utcnow(),
            )
        )
        if record is None:
            return None
        if record.authority_hash != owner.authority:
            raise IdempotencyKeyAuthorityChanged(
                "This Idempotency-Key was used with different permissions; use a new key."
            )
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was first used with a different request; use a new key."
            )
        return StoredResponse(record.status_code, record.response_body, record.response_headers)

    async def claim(
        self, *, owner: KeyOwner, key: str, fingerprint: str, method: str, path: str
    ) -> StoredResponse | None:
        """Take the key for this request before its work runs (None), or the response of a
        request with the same key that committed first (refused as ``lookup`` refuses).

        The claim is the record itself, inserted in this transaction with no response yet:
        nobody else sees it before it commits, with the response ``remember`` fills in. A
        concurrent insert of the same key waits for this transaction (PostgreSQL's unique
        index; SQLite runs one writer at a time), then fails, and that request replays.
        """
        now = utcnow()
        # An expired record for the same key may still be in the table: replace it.
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.issuer == owner.issuer,
                IdempotencyRecord.subject == owner.subject,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at <= now,
            )
        )
        claim = insert(IdempotencyRecord).values(
            issuer=owner.issuer,
            subject=owner.subject,
            key=key,
            authority_hash=owner.authority,
            method=method,
            path=path,
            request_hash=fingerprint,
            status_code=0,
            response_body={},
            response_headers={},
            created_at=now,
            expires_at=now + self.ttl,
        )
        connection = await self.session.connection()
        try:
            # A savepoint of the connection's own: the refusal leaves the request's
            # transaction usable, and the session's pending audit events untouched.
            async with connection.begin_nested():
                await connection.execute(claim)
        except IntegrityError:
            stored = await self.lookup(owner=owner, key=key, fingerprint=fingerprint)
            if stored is None:  # the first request's record expired the moment it committed
                raise Conflict(
                    "A request with this Idempotency-Key was being processed; retry it.",
                    headers={"Retry-After": "1"},
                ) from None
            return stored
        self._claimed = owner, key
        return None

    async def remember(self, *, response: StoredResponse) -> None:
        """Keep the first response on the record ``claim`` inserted, in the same
        transaction as the work it describes."""
        if self._claimed is None:
            raise RuntimeError("remember() without a claim")
        owner, key = self._claimed
        await self.session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.issuer == owner.issuer,
                IdempotencyRecord.subject == owner.subject,
                IdempotencyRecord.key == key,
            )
            .values(
                status_code=response.status_code,
                response_body=response.body,
                response_headers=response.headers,
            )
        )

    async def purge_expired(self) -> int:
        result = await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
