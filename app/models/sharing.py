"""Recipients and sharing agreements: who the privacy notice says KPAS shares with, and under
which agreement each may receive which purposes and categories of data, and when.

Reference data maintained by administrators; no personal data.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum
from app.rules.calendar import LONDON


class RecipientKind(StrEnum):
    SCHOOL = "school"
    KCC_TEAM = "kcc_team"
    SPECIALIST_SERVICE = "specialist_service"
    POLICE = "police"
    COMMISSIONED_PROVIDER = "commissioned_provider"
    HEALTH = "health"
    PROCESSOR = "processor"
    INSPECTORATE = "inspectorate"
    COURT = "court"
    LAW_ENFORCEMENT_OTHER = "law_enforcement_other"
    #: The person a subject access request is about, or the requester acting for them: the
    #: released access bundle is a disclosure to them (UK GDPR Art 15; DPA 2018 s45).
    DATA_SUBJECT = "data_subject"


class DataCategory(StrEnum):
    """Categories of personal data an agreement may cover."""

    IDENTITY_CONTACT = "identity_contact"
    ATTENDANCE = "attendance"
    CASEWORK = "casework"
    SPECIAL_CATEGORY_HEALTH = "special_category_health"
    SPECIAL_CATEGORY_SEND = "special_category_send"
    SPECIAL_CATEGORY_ETHNICITY = "special_category_ethnicity"
    SOCIAL_CARE = "social_care"
    IDENTIFICATION_DOCUMENTS = "identification_documents"
    LICENSING = "licensing"


def london_today() -> date:
    """Agreement dates are English calendar dates."""
    return datetime.now(LONDON).date()


class Recipient(Timestamped, Versioned, Base):
    __tablename__ = "recipients"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RecipientKind] = mapped_column(text_enum(RecipientKind, "recipient_kind"))
    #: The phrase of the privacy notice that names this recipient.
    notice_wording: Mapped[str] = mapped_column(String(500))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SharingAgreement(Timestamped, Versioned, Base):
    __tablename__ = "sharing_agreements"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_starts"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    reference: Mapped[str | None] = mapped_column(String(100))
    #: Purpose codes (``app.policies.registry.Purpose``) the recipient may receive data for.
    purposes: Mapped[list[str]] = mapped_column(JSONDocument)
    #: ``DataCategory`` codes the recipient may receive.
    data_categories: Mapped[list[str]] = mapped_column(JSONDocument)
    #: Kent districts whose pupils the agreement covers; empty means the whole county.
    districts: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    recipient: Mapped[Recipient] = relationship(lazy="joined")

    def active_on(self, day: date) -> bool:
        return (
            self.recipient.active
            and self.starts_on <= day
            and (self.ends_on is None or day <= self.ends_on)
        )

    @property
    def active(self) -> bool:
        return self.active_on(london_today())

    def __repr__(self) -> str:
        return f"SharingAgreement(id={self.id!s}, name={self.name!r})"
