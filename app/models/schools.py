"""Schools: the establishments whose pupils, rolls and attendance KPAS holds."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, Enum, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, Timestamped, Versioned
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


def _enum(cls: type[StrEnum], name: str) -> Enum:
    # Stored as VARCHAR with a CHECK constraint: portable, and new values need only a migration.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
    )


class School(Timestamped, Versioned, Base):
    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("urn BETWEEN 100000 AND 999999", name="urn_six_digits"),
        Index("ix_schools_district_urn", "district", "urn"),
    )

    urn: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    phase: Mapped[SchoolPhase] = mapped_column(_enum(SchoolPhase, "school_phase"))
    district: Mapped[District] = mapped_column(_enum(District, "district"))
    area_team: Mapped[AreaTeam] = mapped_column(_enum(AreaTeam, "area_team"), index=True)
    status: Mapped[SchoolStatus] = mapped_column(_enum(SchoolStatus, "school_status"))
