"""School shapes for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field

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
        examples=[990002],
    ),
]
SchoolName = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
NameSearch = Annotated[str, bounded(100), PRINTABLE]


class SchoolCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "urn": 990301,
                    "name": "Larkspur Green Primary School (synthetic)",
                    "phase": "primary",
                    "district": "ashford",
                    "status": "proposed_to_open",
                }
            ]
        }
    )

    urn: URN
    name: SchoolName
    phase: SchoolPhase
    district: District
    status: SchoolStatus = SchoolStatus.OPEN


class SchoolUpdate(MergePatch):
    """A JSON merge patch: the fields present are changed; none may be null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "closed"}]})

    name: SchoolName | None = None
    phase: SchoolPhase | None = None
    district: District | None = None
    status: SchoolStatus | None = None


class SchoolRead(Output):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "urn": 990002,
                    "name": "Foxglove Primary School (synthetic)",
                    "phase": "primary",
                    "district": "ashford",
                    "area_team": "south",
                    "status": "open",
                    "created_at": "2025-09-01T08:30:00Z",
                    "updated_at": "2025-11-14T16:05:12Z",
                }
            ]
        }
    )

    urn: int
    name: str
    phase: SchoolPhase
    district: District
    area_team: AreaTeam
    status: SchoolStatus
    created_at: datetime
    updated_at: datetime


class SchoolPage(Page[SchoolRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "urn": 990028,
                            "name": "Hopgarden Primary School (synthetic)",
                            "phase": "primary",
                            "district": "canterbury",
                            "area_team": "east",
                            "status": "open",
                            "created_at": "2025-09-01T08:30:00Z",
                            "updated_at": "2025-09-01T08:30:00Z",
                        },
                        {
                            "urn": 990031,
                            "name": "Oakfield Primary School (synthetic)",
                            "phase": "primary",
                            "district": "canterbury",
                            "area_team": "east",
                            "status": "open",
                            "created_at": "2025-09-01T08:30:00Z",
                            "updated_at": "2026-02-10T11:42:07Z",
                        },
                    ],
                    "next_cursor": "ASzu7po9IXD0YSOeigJucFovtIGgfVtZm06DJqpzygmTpJACftQjJiI",
                }
            ]
        }
    )


class SchoolFilters(Input):
    """Query parameters of ``GET /v1/schools``."""

    district: District | None = Field(default=None, examples=["canterbury"])
    area_team: AreaTeam | None = Field(default=None, examples=["east"])
    phase: SchoolPhase | None = Field(default=None, examples=["primary"])
    status: SchoolStatus | None = Field(default=None, examples=["open"])
    name: NameSearch | None = Field(
        default=None, description="Case-insensitive part of the school's name.", examples=["hop"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
