"""Disclosures and inspection grants: every release of personal data outside KPAS, and the
windows in which inspectors may read (UK GDPR Art 5(2); DPA 2018 s62).

A disclosure names the recipient, purpose, basis, categories, channel and approver, and holds
a SHA-256 of what was released, never the data itself. Partner and inspector reads through the
API write one automatically; staff record releases made outside the API (a court bundle, a
reply to a police request). Ids only: the people concerned are linked by subject id.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum, utcnow


class DisclosureChannel(StrEnum):
    API = "api"
    SECURE_EMAIL = "secure_email"
    SECURE_FILE_TRANSFER = "secure_file_transfer"
    POST = "post"
    IN_PERSON = "in_person"
    TELEPHONE = "telephone"
    COURT_BUNDLE = "court_bundle"


class DisclosureGround(StrEnum):
    """The ground a release on request was decided on, recorded per request."""

    #: DPA 2018 Sch 2 para 2(1)(a): the prevention or detection of crime.
    PREVENTION_OR_DETECTION_OF_CRIME = "prevention_or_detection_of_crime"
    #: DPA 2018 Sch 2 para 2(1)(b): the apprehension or prosecution of offenders.
    APPREHENSION_OR_PROSECUTION = "apprehension_or_prosecution"
    #: DPA 2018 Sch 2 para 5(1): required by an enactment.
    REQUIRED_BY_ENACTMENT = "required_by_enactment"
    #: DPA 2018 Sch 2 para 5(2): required by an order of a court or tribunal.
    COURT_ORDER = "court_order"
    #: DPA 2018 Sch 2 para 5(3): necessary for legal proceedings or legal advice.
    LEGAL_PROCEEDINGS = "legal_proceedings"


class InspectionGrant(Timestamped, Versioned, Base):
    """An inspector's read-only window: who, from when to when, and what the inspection
    covers (schools and data categories). The token names the grant; the grant decides."""

    __tablename__ = "inspection_grants"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_starts"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The inspectorate (a recipient of kind ``inspectorate``: Ofsted or HMIP).
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    #: The inspector's identity (the ``sub`` of their token).
    inspector: Mapped[str] = mapped_column(String(255), index=True)
    #: The inspectorate's reference for the inspection.
    reference: Mapped[str] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    #: URNs of the schools whose pupils the inspection covers.
    school_urns: Mapped[list[int]] = mapped_column(JSONDocument)
    #: ``DataCategory`` codes the inspection covers.
    data_categories: Mapped[list[str]] = mapped_column(JSONDocument)
    granted_by: Mapped[str] = mapped_column(String(255))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(255))

    def active_at(self, moment: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= moment < self.ends_at


class Disclosure(Base):
    __tablename__ = "disclosures"
    __table_args__ = (
        Index("ix_disclosures_recipient_disclosed_at", "recipient_id", "disclosed_at"),
        CheckConstraint(
            "automatic OR approved_by IS NOT NULL", name="manual_releases_are_approved"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"))
    #: The agreement that allowed it (partner reads), if any.
    agreement_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("sharing_agreements.id"))
    #: The inspection grant that allowed it (inspector reads), if any.
    inspection_grant_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inspection_grants.id")
    )
    purpose: Mapped[str] = mapped_column(String(60), index=True)
    lawful_basis: Mapped[str] = mapped_column(String(60))
    #: ``DataCategory`` codes released.
    data_categories: Mapped[list[str]] = mapped_column(JSONDocument)
    channel: Mapped[DisclosureChannel] = mapped_column(
        text_enum(DisclosureChannel, "disclosure_channel")
    )
    #: Written by the service on a partner or inspector read (True), or recorded by staff.
    automatic: Mapped[bool] = mapped_column(Boolean)
    approved_by: Mapped[str | None] = mapped_column(String(255))
    recorded_by: Mapped[str] = mapped_column(String(255))
    disclosed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: SHA-256 (hex) of exactly what was released.
    content_sha256: Mapped[str] = mapped_column(String(64))
    #: The requester's reference (a police request number, a court case number). Not personal.
    request_reference: Mapped[str | None] = mapped_column(String(100))
    #: For a release on request (``court_disclosure``, ``crime_prevention_disclosure``): the
    #: ground it was decided on (``DisclosureGround``).
    ground: Mapped[str | None] = mapped_column(String(60))
    #: For API releases: what was read, and the decision that allowed it.
    resource_type: Mapped[str | None] = mapped_column(String(60))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    decision_id: Mapped[uuid.UUID | None]


class DisclosureSubject(Base):
    """The people a disclosure was about, so a subject access request can list them."""

    __tablename__ = "disclosure_subjects"

    disclosure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosures.id", ondelete="CASCADE"), primary_key=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id"), primary_key=True, index=True
    )
