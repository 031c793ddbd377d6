"""Remembered responses for ``Idempotency-Key`` replays."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow


class IdempotencyRecord(Base):
    """The first response to a keyed POST, replayed for the same caller, key and body.

    A key belongs to one caller: the token's issuer and subject together. ``authority_hash``
    fingerprints what that caller was allowed to see when the response was made; a replay to the
    same caller holding other authority is refused. Holds ids and the response body of a create;
    purged after ``KPAS_IDEMPOTENCY_TTL_HOURS``.
    """

    __tablename__ = "idempotency_records"

    issuer: Mapped[str] = mapped_column(String(255), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    authority_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    response_headers: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
