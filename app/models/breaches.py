"""The breach register (UK GDPR Arts 33 and 34; Art 33(5): every personal data breach is
documented, whether or not it is notified).

A ``Breach`` is one suspected or confirmed personal data breach: when the council became
aware of it, what happened, the categories of data and the people affected, the risk
assessment, the Information Commissioner's deadline (72 hours from awareness) and whether
and when the Commissioner and the people affected were told, or the recorded decision not to
tell them. The register row holds no one's personal data of its own: the people affected are
``BreachSubject`` rows naming their records, and what was done to contain it is a list of
``BreachContainmentAction`` rows.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum, utcnow


class BreachStatus(StrEnum):
    OPEN = "open"
    #: What leaked is recovered or stopped; the investigation and notifications may go on.
    CONTAINED = "contained"
    CLOSED = "closed"


class Likelihood(StrEnum):
    """How likely the breach is to harm the people affected."""

    REMOTE = "remote"
    POSSIBLE = "possible"
    LIKELY = "likely"


class Severity(StrEnum):
    """How severe the harm would be if it happened."""

    MINIMAL = "minimal"
    SIGNIFICANT = "significant"
    SEVERE = "severe"


class RiskLevel(StrEnum):
    """Art 33(1) and Art 34(1): the risk to people's rights and freedoms."""

    #: Unlikely to result in a risk: the Commissioner need not be told (Art 33(1)).
    UNLIKELY = "unlikely"
    #: A risk: tell the Commissioner within 72 hours.
    RISK = "risk"
    #: A high risk: tell the Commissioner, and the people affected without undue delay.
    HIGH_RISK = "high_risk"


class IcoDecision(StrEnum):
    NOTIFIED = "notified"
    #: Decided not to notify: unlikely to result in a risk (Art 33(1)), with the reasons.
    NOT_NOTIFIED = "not_notified"


class IndividualsDecision(StrEnum):
    #: The people affected are told (Art 34(1)) through the Notify outbox.
    TOLD = "told"
    #: Not told, under an Art 34(3) exception, with the reasons.
    EXCEPTION = "exception"


class Art34Exception(StrEnum):
    """UK GDPR Art 34(3): when the people affected need not be told of a high-risk breach."""

    #: (a) the data was protected so as to be unintelligible to anyone not authorised (e.g.
    #: encrypted).
    UNINTELLIGIBLE = "art_34_3_a"
    #: (b) later measures ensure the high risk is no longer likely to materialise.
    RISK_NO_LONGER_LIKELY = "art_34_3_b"
    #: (c) telling each person would involve disproportionate effort: a public communication
    #: instead.
    DISPROPORTIONATE_EFFORT = "art_34_3_c"


class BreachOutcome(StrEnum):
    #: A personal data breach happened and is dealt with.
    CONFIRMED = "confirmed"
    #: Investigated and found not to be a personal data breach.
    NOT_A_BREACH = "not_a_breach"


class AffectedRecordType(StrEnum):
    PUPIL = "pupil"
    CARER = "carer"
    PERSON = "person"


class Breach(Timestamped, Versioned, Base):
    """One entry in the breach register."""

    __tablename__ = "breaches"
    __table_args__ = (
        CheckConstraint("unidentified_count >= 0", name="unidentified_count_not_negative"),
        Index("ix_breaches_status_ico_deadline", "status", "ico_deadline"),
        Index("ix_breaches_aware_at", "aware_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: ``BR-{year}-{number}``: the year the council became aware, numbered in order within it.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[BreachStatus] = mapped_column(text_enum(BreachStatus, "breach_status"))
    #: When the council became aware of the breach: the ICO's 72 hours run from here.
    aware_at: Mapped[datetime]
    #: When the breach happened, where known.
    occurred_at: Mapped[datetime | None]
    #: What happened, in the council's words.
    description: Mapped[str] = mapped_column(Text)
    #: Categories of personal data affected (``app.models.sharing.DataCategory`` values).
    data_categories: Mapped[list[str]] = mapped_column(JSONDocument)
    #: People affected who cannot be identified in the council's records (a count only).
    unidentified_count: Mapped[int] = mapped_column(Integer, default=0)
    likelihood: Mapped[Likelihood | None] = mapped_column(text_enum(Likelihood, "likelihood"))
    severity: Mapped[Severity | None] = mapped_column(text_enum(Severity, "severity"))
    risk: Mapped[RiskLevel | None] = mapped_column(text_enum(RiskLevel, "risk_level"))
    risk_reasons: Mapped[str | None] = mapped_column(String(4000))
    #: Exactly 72 hours after ``aware_at`` (Art 33(1)), held in UTC.
    ico_deadline: Mapped[datetime]
    ico_decision: Mapped[IcoDecision | None] = mapped_column(text_enum(IcoDecision, "ico_decision"))
    ico_notified_at: Mapped[datetime | None]
    ico_reference: Mapped[str | None] = mapped_column(String(40))
    #: Why the Commissioner was told after the deadline (Art 33(1): reasons for the delay).
    ico_late_reasons: Mapped[str | None] = mapped_column(String(4000))
    #: Why the breach is unlikely to result in a risk, where the Commissioner is not told.
    ico_decision_reasons: Mapped[str | None] = mapped_column(String(4000))
    ico_decided_by: Mapped[str | None] = mapped_column(String(255))
    ico_decided_at: Mapped[datetime | None]
    individuals_decision: Mapped[IndividualsDecision | None] = mapped_column(
        text_enum(IndividualsDecision, "individuals_decision")
    )
    individuals_told_at: Mapped[datetime | None]
    individuals_exception: Mapped[Art34Exception | None] = mapped_column(
        text_enum(Art34Exception, "art34_exception")
    )
    individuals_reasons: Mapped[str | None] = mapped_column(String(4000))
    individuals_decided_by: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[BreachOutcome | None] = mapped_column(
        text_enum(BreachOutcome, "breach_outcome")
    )
    outcome_summary: Mapped[str | None] = mapped_column(String(4000))
    #: Indexed: the retention sweep finds breaches closed before its cut-off.
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))


class BreachSubject(Base):
    """A person affected by a breach, by the record the council holds for them, and the
    message that told them, once sent to the outbox."""

    __tablename__ = "breach_subjects"
    __table_args__ = (UniqueConstraint("breach_id", "subject_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    breach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("data_subjects.id", ondelete="RESTRICT"), index=True
    )
    record_type: Mapped[AffectedRecordType] = mapped_column(
        text_enum(AffectedRecordType, "affected_record_type")
    )
    record_id: Mapped[uuid.UUID]
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_messages.id"))
    told_at: Mapped[datetime | None]


class BreachContainmentAction(Base):
    """Something done to contain the breach or limit its effects, when and by whom."""

    __tablename__ = "breach_containment_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    breach_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("breaches.id", ondelete="CASCADE"), index=True
    )
    action: Mapped[str] = mapped_column(String(2000))
    taken_at: Mapped[datetime]
    #: Who took it (a name or a team, as the council records it).
    taken_by: Mapped[str] = mapped_column(String(200))
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
