"""``Idempotency-Key`` on POSTs: a replay returns the first response; a changed body is 422.

The remembered response is written in the same transaction as the work it describes, so a
replay can never return a response for work that rolled back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import IdempotencyKeyReused
from app.models.base import utcnow
from app.models.idempotency import IdempotencyRecord


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    body: dict[str, Any]
    headers: dict[str, str]


def request_fingerprint(method: str, path: str, body: Any) -> str:
    canonical = json.dumps(
        {"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, session: AsyncSession, *, ttl: timedelta) -> None:
        self.session = session
        self.ttl = ttl

    async def lookup(self, *, caller: str, key: str, fingerprint: str) -> StoredResponse | None:
        record = await self.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at > utcnow(),
            )
        )
        if record is None:
            return None
        if record.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was first used with a different request; use a new key."
            )
        return StoredResponse(record.status_code, record.response_body, record.response_headers)

    async def remember(
        self,
        *,
        caller: str,
        key: str,
        fingerprint: str,
        method: str,
        path: str,
        response: StoredResponse,
    ) -> None:
        now = utcnow()
        # An expired record for the same key may still be in the table: replace it.
        await self.session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.caller == caller,
                IdempotencyRecord.key == key,
                IdempotencyRecord.expires_at <= now,
            )
        )
        self.session.add(
            IdempotencyRecord(
                caller=caller,
                key=key,
                method=method,
                path=path,
                request_hash=fingerprint,
                status_code=response.status_code,
                response_body=response.body,
                response_headers=response.headers,
                created_at=now,
                expires_at=now + self.ttl,
            )
        )
        await self.session.flush()

    async def purge_expired(self) -> int:
        result = await self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
