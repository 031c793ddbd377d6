"""Schools: the establishments whose pupils, rolls and attendance KPAS holds."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, Versioned, text_enum
from app.rules.kent import AreaTeam, District


class SchoolPhase(StrEnum):
    """Phases of education as Get Information about Schools (GIAS) names them."""

    NURSERY = "nursery"
    PRIMARY = "primary"
    MIDDLE_DEEMED_PRIMARY = "middle_deemed_primary"
    SECONDARY = "secondary"
    MIDDLE_DEEMED_SECONDARY = "middle_deemed_secondary"
    ALL_THROUGH = "all_through"
    SIXTEEN_PLUS = "sixteen_plus"
    SPECIAL = "special"
    ALTERNATIVE_PROVISION = "alternative_provision"


class SchoolStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    PROPOSED_TO_OPEN = "proposed_to_open"
    PROPOSED_TO_CLOSE = "proposed_to_close"


class School(Timestamped, Versioned, Base):
    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("urn BETWEEN 100000 AND 999999", name="urn_six_digits"),
        Index("ix_schools_district_urn", "district", "urn"),
    )

    urn: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[SchoolPhase] = mapped_column(text_enum(SchoolPhase, "school_phase"))
    district: Mapped[District] = mapped_column(text_enum(District, "district"))
    area_team: Mapped[AreaTeam] = mapped_column(text_enum(AreaTeam, "area_team"), index=True)
    status: Mapped[SchoolStatus] = mapped_column(text_enum(SchoolStatus, "school_status"))
