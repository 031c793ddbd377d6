"""Registered machine clients of the service's own token issuer (MIS integrations, partners)."""

from __future__ import annotations

import uuid

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.principal import Role
from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum


class ApiClient(Timestamped, Versioned, Base):
    """A machine client. Its secret is stored only as a slow password hash."""

    __tablename__ = "api_clients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(text_enum(Role, "client_role"))
    org: Mapped[str | None] = mapped_column(String(100))
    school_urns: Mapped[list[int]] = mapped_column(JSONDocument, default=list)
    secret_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
