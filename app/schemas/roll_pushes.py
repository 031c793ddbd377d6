"""Roll push history shapes: when, which client, and the counts; never a pupil."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
)
from app.schemas.schools import URN
from app.services.roll_pushes import RollPush

#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"
_PUSH: JsonDict = {
    "id": "e34ea327-0cc0-454e-83bf-58e1b5950aec",
    "school_urn": 990028,
    "pushed_at": "2026-12-02T18:05:11Z",
    "pushed_by": "9889866e-d3e8-49ab-9345-31a577e022fc",
    "as_of": "2026-12-02",
    "pupils_on_roll": 214,
    "joined": 3,
    "updated": 5,
    "unchanged": 205,
    "held_for_review": 1,
    "left": 2,
    "carers_created": 4,
    "carers_updated": 6,
}


class RollPushRead(Output):
    """A push that replaced the school's roll, with the counts its response gave."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUSH]})

    id: uuid.UUID = Field(description="The push's id: its event in the audit trail.")
    school_urn: int
    pushed_at: datetime = Field(description="When the roll was replaced.")
    pushed_by: str | None = Field(description="The client id of the information system.")
    as_of: date = Field(description="The date the roll was true on, as the push gave it.")
    pupils_on_roll: int = Field(description="Rows in the roll.")
    joined: int
    updated: int
    unchanged: int
    held_for_review: int
    left: int
    carers_created: int
    carers_updated: int

    @classmethod
    def of(cls, push: RollPush) -> RollPushRead:
        return cls.model_validate(push)


class RollPushPage(Page[RollPushRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_PUSH],
                    "next_cursor": _NEXT,
                }
            ]
        }
    )


class RollPushFilters(Input):
    """Query parameters of ``GET /v1/roll-pushes``."""

    school_urn: URN | None = Field(
        default=None, description="Only this school's pushes.", examples=[990028]
    )
    pushed_since: Timestamp | None = Field(
        default=None,
        description="Only pushes at or after this moment.",
        examples=["2026-09-01T00:00:00Z"],
    )
    pushed_before: Timestamp | None = Field(
        default=None,
        description="Only pushes before this moment.",
        examples=["2026-12-19T00:00:00Z"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
