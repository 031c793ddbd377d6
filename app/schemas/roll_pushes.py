"""Roll push history shapes: when, which client, and the counts; never a pupil."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

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


class RollPushRead(Output):
    """A push that replaced the school's roll, with the counts its response gave."""

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
    pass


class RollPushFilters(Input):
    """Query parameters of ``GET /v1/roll-pushes``."""

    school_urn: URN | None = Field(default=None, description="Only this school's pushes.")
    pushed_since: Timestamp | None = Field(
        default=None, description="Only pushes at or after this moment."
    )
    pushed_before: Timestamp | None = Field(
        default=None, description="Only pushes before this moment."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None
