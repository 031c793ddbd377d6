"""School shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from app.models.schools import SchoolPhase, SchoolStatus
from app.rules.kent import AreaTeam, District
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    MergePatch,
    Output,
    Page,
    bounded,
)

URN = Annotated[
    int,
    Field(
        ge=100000,
        le=999999,
        description="Unique Reference Number from Get Information about Schools: six digits.",
        examples=[118800],
    ),
]
SchoolName = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
NameSearch = Annotated[str, bounded(100), PRINTABLE]


class SchoolCreate(Input):
    urn: URN
    name: SchoolName
    phase: SchoolPhase
    district: District
    status: SchoolStatus = SchoolStatus.OPEN


class SchoolUpdate(MergePatch):
    """A JSON merge patch: the fields present are changed; none may be null."""

    name: SchoolName | None = None
    phase: SchoolPhase | None = None
    district: District | None = None
    status: SchoolStatus | None = None


class SchoolRead(Output):
    urn: int
    name: str
    phase: SchoolPhase
    district: District
    area_team: AreaTeam
    status: SchoolStatus
    created_at: datetime
    updated_at: datetime


class SchoolPage(Page[SchoolRead]):
    pass


class SchoolFilters(Input):
    """Query parameters of ``GET /v1/schools``."""

    district: District | None = None
    area_team: AreaTeam | None = None
    phase: SchoolPhase | None = None
    status: SchoolStatus | None = None
    name: NameSearch | None = Field(
        default=None, description="Case-insensitive part of the school's name."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None
