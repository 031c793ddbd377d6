"""Optimistic concurrency: ETags from row versions, and ``If-Match`` preconditions.

The check here catches a stale client early with a clear 412; the row's ``version`` column
(SQLAlchemy ``version_id_col``) catches the race between this check and the write.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from app.errors import PreconditionFailed


def etag_for(identity: object, version: int, created_at: datetime) -> str:
    """A strong ETag that changes on every update and differs for a re-created record."""
    digest = hashlib.sha256(f"{identity}|{created_at.isoformat()}".encode()).hexdigest()[:12]
    return f'"{digest}-{version}"'


@dataclass(frozen=True, slots=True)
class IfMatch:
    """A parsed ``If-Match`` header: ``*`` or a list of entity tags."""

    tags: tuple[str, ...]
    any: bool = False

    @classmethod
    def parse(cls, header: str) -> IfMatch:
        header = header.strip()
        if header == "*":
            return cls(tags=(), any=True)
        tags = tuple(t.strip() for t in header.split(",") if t.strip())
        return cls(tags=tags)

    def require(self, current: str) -> None:
        """Raise 412 unless ``current`` matches (strong comparison: weak tags never match)."""
        if self.any or current in self.tags:
            return
        raise PreconditionFailed(
            "If-Match does not match the current version of this resource; fetch it again.",
            headers={"ETag": current},
        )
