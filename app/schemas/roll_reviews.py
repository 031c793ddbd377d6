"""Roll review shapes for the API.

A list item names what a review would change, never the values: those are read one review at
a time, next to what KPAS holds.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

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


#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"
#: A dual-registered pupil's new address, sent by one of the two schools, not yet decided.
_REVIEW: JsonDict = {
    "id": "aab8edc3-afd7-42db-b724-5452dc002cd3",
    "school_urn": 990028,
    "pupil_id": "21c0ca72-076e-4f32-ad8e-b37ca0f6e495",
    "reason": "dual_registration",
    "status": "open",
    "detected_at": "2026-11-24T18:04:52Z",
    "updated_at": "2026-12-01T18:05:03Z",
    "resolved_at": None,
    "resolved_by": None,
    "held_fields": ["address_lines", "postcode"],
    "held_carers": 1,
}
_POSTCODE: JsonDict = {
    "field": "postcode",
    "sent": "CT2 7NA",
    "held_then": "CT1 3QN",
    "held_now": "CT1 3QN",
}
_ADDRESS: JsonDict = {
    "field": "address_lines",
    "sent": ["3 Hopgarden Lane", "Canterbury"],
    "held_then": ["17 Orchard Close", "Canterbury"],
    "held_now": ["17 Orchard Close", "Canterbury"],
}
_CARER: JsonDict = {
    "carer_id": "a1ffdfad-f911-4b0b-becb-8da24126712c",
    "forename": "Priya",
    "surname": "Marlowe",
    "fields": [
        {
            "field": "phone",
            "sent": "+447700900214",
            "held_then": "+447700900587",
            "held_now": "+447700900587",
        }
    ],
}


class RollReviewFilters(Input):
    """Query parameters of ``GET /v1/roll-reviews``."""

    status: RollReviewStatus | None = Field(default=None, examples=["open"])
    school_urn: URN | None = Field(
        default=None, description="Reviews of this school's roll.", examples=[990028]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class HeldFieldRead(Output):
    """One field the school's roll would change."""

    model_config = ConfigDict(json_schema_extra={"examples": [_POSTCODE]})

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

    model_config = ConfigDict(json_schema_extra={"examples": [_CARER]})

    carer_id: uuid.UUID | None = Field(
        description="The carer KPAS holds; null for a carer the roll named who is not linked "
        "to the pupil (accepting creates and links them)."
    )
    forename: str | None = Field(description="Null where the carer may not be shown now.")
    surname: str | None
    fields: list[HeldFieldRead]


class RollReviewSummary(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_REVIEW]})

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
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_REVIEW],
                    "next_cursor": _NEXT,
                }
            ]
        }
    )


class RollReviewRead(RollReviewSummary):
    """A review: what the school's roll sent next to what KPAS holds."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{**_REVIEW, "pupil": [_ADDRESS, _POSTCODE], "carers": [_CARER]}]
        }
    )

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
