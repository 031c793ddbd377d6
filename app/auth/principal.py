"""Who is calling: the principal a verified token describes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """The roles KPAS knows (``app.policies.rules`` says what each may do). A token may carry
    several; the policy says which one allowed."""

    ATTENDANCE_OFFICER = "attendance_officer"
    ATTENDANCE_MANAGER = "attendance_manager"
    LICENSING_OFFICER = "licensing_officer"
    INFORMATION_GOVERNANCE = "information_governance"
    ADMIN = "admin"
    SCHOOL_STAFF = "school_staff"
    MIS_INTEGRATION = "mis_integration"
    PARTNER = "partner"
    INSPECTOR = "inspector"


@dataclass(frozen=True, slots=True)
class InspectionGrant:
    """An inspector's window of read-only access (Ofsted, HMIP)."""

    grant_id: str
    starts_at: datetime
    ends_at: datetime

    def active_at(self, moment: datetime) -> bool:
        return self.starts_at <= moment < self.ends_at


@dataclass(frozen=True, slots=True)
class Principal:
    """A verified caller. Built only from a verified token (or by tests)."""

    subject: str
    roles: frozenset[Role]
    issuer: str
    area_teams: frozenset[str] = field(default_factory=frozenset)
    school_urns: frozenset[int] = field(default_factory=frozenset)
    org: str | None = None
    #: Kent districts a partner's sharing agreement covers (set by the policy layer from the
    #: agreement, never from the token).
    districts: frozenset[str] = field(default_factory=frozenset)
    inspection: InspectionGrant | None = None
    client_id: str | None = None
    token_id: str | None = None

    def has(self, role: Role) -> bool:
        return role in self.roles
