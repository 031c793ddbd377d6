"""Roll reviews: changes a school's roll sent for a pupil that KPAS did not apply, held for a
person to accept or reject.

A pupil on two schools' rolls (dual registration) is not either school's alone to change:
what one school's roll sends about the pupil's identity, contact details or carers waits here.
The record names the pupil's data subject, so retention, restriction and subject access find
it with the rest of the pupil's records.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum, utcnow
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import PersonalRecord


class RollReviewReason(StrEnum):
    #: The pupil is on another school's roll too: neither school's roll changes the record alone.
    DUAL_REGISTRATION = "dual_registration"


class RollReviewStatus(StrEnum):
    OPEN = "open"
    #: A person applied the held changes.
    ACCEPTED = "accepted"
    #: A person decided the held changes are not to be applied.
    REJECTED = "rejected"
    #: The school's later roll no longer sent these changes (or no longer lists the pupil).
    WITHDRAWN = "withdrawn"


class RollReview(PersonalRecord, Timestamped, Versioned, Base):
    """What one school's roll sent about one pupil that differs from what KPAS holds."""

    __tablename__ = "roll_reviews"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        # One open review per pupil and school: a later roll replaces its content.
        Index(
            "uq_roll_reviews_open",
            "pupil_id",
            "school_urn",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_roll_reviews_status_detected", "status", "detected_at", "id"),
        Index("ix_roll_reviews_school_status", "school_urn", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    pupil_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[RollReviewReason] = mapped_column(
        text_enum(RollReviewReason, "roll_review_reason")
    )
    #: The pupil's fields the roll would change: ``{field: {"sent": value, "held": value}}``,
    #: values as JSON, ``held`` being what KPAS held when the roll was pushed.
    pupil_changes: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: Per carer: ``{"carer_id": id, "changes": {field: {"sent", "held"}}}`` for a carer KPAS
    #: holds, or ``{"carer_id": null, "new_carer": {...}}`` for one it does not.
    carer_changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    status: Mapped[RollReviewStatus] = mapped_column(
        text_enum(RollReviewStatus, "roll_review_status"), default=RollReviewStatus.OPEN
    )
    #: When a roll first sent changes for this open review (a later roll may replace them).
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(255))

    pupil: Mapped[Pupil] = relationship(lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")

    # What the policy layer's conditions read in Python (needs ``school`` loaded): a review
    # belongs to the school whose roll sent it.

    @property
    def school_area_team(self) -> str:
        return self.school.area_team

    @property
    def school_district(self) -> str:
        return self.school.district
