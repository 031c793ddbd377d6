"""Audit trail shapes for the API: events, their filters, and the chain's verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.audit.trail import event_subjects
from app.models.audit import AuditEvent
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
    bounded,
)

Code = Annotated[str, bounded(60), PRINTABLE]
PrincipalName = Annotated[str, bounded(255), PRINTABLE]


#: An allowed read of one pupil, as the chain stores it.
_EVENT: JsonDict = {
    "seq": 48213,
    "id": "c4776e22-93ee-4047-bade-2c906c711867",
    "occurred_at": "2026-12-03T09:14:27.512034Z",
    "kind": "decision",
    "action": "pupil.read",
    "outcome": "allow",
    "decision_id": "947af2e9-98e7-4d37-8c4b-960c76157277",
    "rule": "pupils.manager.read",
    "purpose": "attendance_duty",
    "basis": "6(1)(e)",
    "actor": "a.pemberton@kent.gov.uk",
    "actor_role": "attendance_manager",
    "resource_type": "pupil",
    "resource_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "subject_id": "2169864d-4413-404f-a11a-c166cb4587d5",
    "request_id": "6f1c0d9e2b8a4c57a3e41f0b9d2c7e86",
    "details": {"reason": "allowed"},
    "subject_ids": ["2169864d-4413-404f-a11a-c166cb4587d5"],
    "prev_hash": "5f0c1e9a7b3d2c4e8f6a0b1d3c5e7f9a2b4d6c8e0f1a3b5c7d9e1f3a5b7c9d0e",
    "hash": "a3e7c9d1b5f20486e1c3a5b7d9f0e2c4a6b8d0f2e4c6a8b0d2f4e6c8a0b2d4f6",
}


class AuditEventFilters(Input):
    """Query parameters of ``GET /v1/audit/events``. Events come oldest first (by ``seq``)."""

    subject_id: uuid.UUID | None = Field(
        default=None,
        description="Events that touched this data subject: single reads, every list page "
        "that included them, and changes (the `subject_id` of a pupil or carer).",
        examples=[_EVENT["subject_id"]],
    )
    resource_type: Code | None = Field(
        default=None,
        description="Events about this kind of resource, e.g. `pupil`.",
        examples=["pupil"],
    )
    resource_id: Annotated[str, bounded(100), PRINTABLE] | None = Field(
        default=None,
        description="Events about this record (use with `resource_type`: ids of different "
        "kinds of record may look alike).",
        examples=[_EVENT["resource_id"]],
    )
    actor: PrincipalName | None = Field(
        default=None,
        description="Events caused by this principal (a token's `sub`).",
        examples=[_EVENT["actor"]],
    )
    decision_id: uuid.UUID | None = Field(
        default=None,
        description="Events of one policy decision (the `KPAS-Decision-Id` response header).",
        examples=[_EVENT["decision_id"]],
    )
    purpose: Code | None = Field(
        default=None,
        description="Purpose code, e.g. `attendance_duty`.",
        examples=["attendance_duty"],
    )
    outcome: Literal["allow", "deny"] | None = Field(
        default=None, description="Decisions that allowed or refused.", examples=["deny"]
    )
    kind: Literal["decision", "change"] | None = Field(default=None, examples=["decision"])
    action: Code | None = Field(
        default=None, description="Action code, e.g. `school.read`.", examples=["pupil.read"]
    )
    occurred_from: Timestamp | None = Field(
        default=None,
        description="Events at or after this instant (ISO 8601 with offset).",
        examples=["2026-12-01T00:00:00Z"],
    )
    occurred_to: Timestamp | None = Field(
        default=None,
        description="Events before this instant (ISO 8601 with offset).",
        examples=["2026-12-08T00:00:00Z"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.occurred_from and self.occurred_to and self.occurred_to < self.occurred_from:
            raise ValueError("occurred_to must not be before occurred_from")
        return self


class AuditEventRead(Output):
    """One event of the chain, exactly as stored (so a reader can recompute its hash)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT]})

    seq: int = Field(description="Position in the chain: 1, 2, 3, ... with no gaps.")
    id: uuid.UUID
    occurred_at: datetime
    kind: str = Field(description="`decision` (a policy decision) or `change`.")
    action: str
    outcome: str | None = Field(description="`allow` or `deny` for decisions.")
    decision_id: uuid.UUID | None
    rule: str | None
    purpose: str | None
    basis: str | None
    actor: str | None
    actor_role: str | None
    resource_type: str | None
    resource_id: str | None
    subject_id: uuid.UUID | None
    request_id: str | None
    details: dict[str, str | int | bool | list[str] | None]
    subject_ids: list[uuid.UUID] = Field(
        description="Every data subject the event touched: `subject_id` and, when there are "
        "several, the `subject_ids` detail (both covered by `hash`)."
    )
    prev_hash: str = Field(description="`hash` of the event before (64 zeros for the first).")
    hash: str = Field(description="SHA-256 chaining this event to the one before.")

    @classmethod
    def of(cls, event: AuditEvent) -> Self:
        return cls.model_validate(
            {
                **{name: getattr(event, name) for name in _EVENT_FIELDS},
                "subject_ids": sorted(event_subjects(event.subject_id, event.details), key=str),
            }
        )


_EVENT_FIELDS = tuple(name for name in AuditEventRead.model_fields if name != "subject_ids")


class AuditEventPage(Page[AuditEventRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_EVENT],
                    "next_cursor": None,
                }
            ]
        }
    )


class ChainVerificationRead(Output):
    """The result of checking the whole chain, event by event."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "ok": True,
                    "events_checked": 51874,
                    "first_bad_seq": None,
                    "problem": None,
                    "head_seq": 51874,
                    "head_hash": "9d4b2f6e8a0c1e3f5b7d9a1c3e5f7b9d0a2c4e6f8b0d2a4c6e8f0b2d4a6c8e0f",
                }
            ]
        }
    )

    ok: bool
    events_checked: int = Field(description="Events found intact before any problem.")
    first_bad_seq: int | None = Field(
        description="Where the chain first breaks: the edited, missing or misplaced event."
    )
    problem: str | None = Field(description="What is wrong there, in words.")
    head_seq: int | None = Field(description="The chain head's `seq` when the check started.")
    head_hash: str | None = Field(
        description="The chain head's hash: compare it with an exported head digest."
    )
