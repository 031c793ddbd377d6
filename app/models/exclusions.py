"""Suspensions and permanent exclusions schools report (School Discipline (Pupil Exclusions
and Reviews) (England) Regulations 2012, SI 2012/1033; DfE, *Suspension and permanent
exclusion from maintained schools, academies and pupil referral units in England*).

Schools report each suspension and permanent exclusion; the service keeps the cumulative
school days per term and school year, the governing board's deadlines and the sixth-day
education duties, and attendance officers follow exclusion-risk pupils through an
``exclusion_support`` case.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import PersonalRecord


class ExclusionKind(StrEnum):
    SUSPENSION = "suspension"
    PERMANENT = "permanent"


class Exclusion(PersonalRecord, Timestamped, Versioned, Base):
    __tablename__ = "exclusions"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint(
            "(kind = 'suspension') = (school_days IS NOT NULL)", name="suspensions_have_days"
        ),
        CheckConstraint("school_days IS NULL OR school_days > 0", name="days_positive"),
        # A pupil's suspensions in a school year (the cumulative counts).
        Index("ix_exclusions_pupil_start", "pupil_id", "school_urn", "starts_on"),
        Index("ix_exclusions_school_start", "school_urn", "starts_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"))
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    kind: Mapped[ExclusionKind] = mapped_column(text_enum(ExclusionKind, "exclusion_kind"))
    #: The first school day the pupil is excluded.
    starts_on: Mapped[date] = mapped_column(Date)
    #: School days of a suspension (None for a permanent exclusion).
    school_days: Mapped[int | None] = mapped_column(SmallInteger)
    #: When the parents were notified (the board's deadlines run from it).
    notified_on: Mapped[date] = mapped_column(Date)
    #: DfE census reason codes.
    reasons: Mapped[list[str]] = mapped_column(JSONDocument)
    public_exam_missed: Mapped[bool] = mapped_column(Boolean, default=False)
    parents_representations_on: Mapped[date | None] = mapped_column(Date)
    board_considered_on: Mapped[date | None] = mapped_column(Date)
    board_decision: Mapped[str | None] = mapped_column(String(40))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    reported_by: Mapped[str] = mapped_column(String(255))
    reported_at: Mapped[datetime]
    #: The exclusion-support case that follows it, if any.
    case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )

    pupil: Mapped[Pupil] = relationship(lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")

    # What the policy layer's conditions read in Python (needs ``school`` loaded).

    @property
    def school_area_team(self) -> str:
        return self.school.area_team

    @property
    def school_district(self) -> str:
        return self.school.district
