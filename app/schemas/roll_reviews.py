"""Roll review shapes for the API.

A list item names what a review would change, never the values: those are read one review at
a time, next to what KPAS holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import Field

from app.models.roll_reviews import RollReview, RollReviewReason, RollReviewStatus
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    Cursor,
    Input,
    Output,
    Page,
)
from app.schemas.schools import URN

#: A field's value as JSON: text (dates as `YYYY-MM-DD`), a number, yes/no, address lines.
FieldValue = str | int | bool | list[str] | None


class RollReviewFilters(Input):
    """Query parameters of ``GET /v1/roll-reviews``."""

    status: RollReviewStatus | None = None
    school_urn: URN | None = Field(default=None, description="Reviews of this school's roll.")
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None


class HeldFieldRead(Output):
    """One field the school's roll would change."""

    field: str = Field(description="The field, by its name on the pupil, carer or relationship.")
    sent: FieldValue = Field(description="What the school's roll sent.")
    held_then: FieldValue = Field(
        description="What KPAS held when the roll was pushed (null for a carer KPAS did not "
        "hold for the pupil)."
    )
    held_now: FieldValue = Field(
        description="What KPAS holds now. Where it differs from both `held_then` and `sent`, "
        "the record changed since the roll was pushed, and accepting is refused."
    )


class HeldCarerRead(Output):
    """A carer the school's roll would change, or add."""

    carer_id: uuid.UUID | None = Field(
        description="The carer KPAS holds; null for a carer the roll named who is not linked "
        "to the pupil (accepting creates and links them)."
    )
    forename: str | None = Field(description="Null where the carer may not be shown now.")
    surname: str | None
    fields: list[HeldFieldRead]


class RollReviewSummary(Output):
    id: uuid.UUID
    school_urn: int = Field(description="The school whose roll sent the changes.")
    pupil_id: uuid.UUID
    reason: RollReviewReason = Field(
        description="`dual_registration`: the pupil is on another school's roll too, so "
        "neither school's roll changes their record alone."
    )
    status: RollReviewStatus = Field(
        description="`open`; `accepted` (applied); `rejected` (not applied); `withdrawn` (the "
        "school's later roll no longer sent these changes, or no longer lists the pupil)."
    )
    detected_at: datetime = Field(description="When a roll first sent changes for this review.")
    updated_at: datetime = Field(description="When a later roll last replaced its content.")
    resolved_at: datetime | None
    resolved_by: str | None
    held_fields: list[str] = Field(description="The pupil's fields the roll would change.")
    held_carers: int = Field(description="Carers the roll would change or add.")

    @classmethod
    def of(cls, review: RollReview) -> RollReviewSummary:
        return cls(
            id=review.id,
            school_urn=review.school_urn,
            pupil_id=review.pupil_id,
            reason=review.reason,
            status=review.status,
            detected_at=review.detected_at,
            updated_at=review.updated_at,
            resolved_at=review.resolved_at,
            resolved_by=review.resolved_by,
            held_fields=sorted(review.pupil_changes),
            held_carers=len(review.carer_changes),
        )


class RollReviewPage(Page[RollReviewSummary]):
    pass


class RollReviewRead(RollReviewSummary):
    """A review: what the school's roll sent next to what KPAS holds."""

    pupil: list[HeldFieldRead] = Field(description="The pupil's fields the roll would change.")
    carers: list[HeldCarerRead]

    @classmethod
    def of_view(
        cls, review: RollReview, *, pupil: Iterable[Any], carers: Iterable[Any]
    ) -> RollReviewRead:
        """``pupil`` and ``carers`` are the service's held fields and carers (read by
        attribute)."""
        return cls(
            **RollReviewSummary.of(review).model_dump(),
            pupil=[HeldFieldRead.model_validate(f) for f in pupil],
            carers=[HeldCarerRead.model_validate(c) for c in carers],
        )
