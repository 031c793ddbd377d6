"""Audit trail shapes for the API: events, their filters, and the chain's verification."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

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


class AuditEventFilters(Input):
    """Query parameters of ``GET /v1/audit/events``. Events come oldest first (by ``seq``)."""

    subject_id: uuid.UUID | None = Field(
        default=None,
        description="Events that touched this data subject: single reads, every list page "
        "that included them, and changes (the `subject_id` of a pupil or carer).",
    )
    resource_type: Code | None = Field(
        default=None, description="Events about this kind of resource, e.g. `pupil`."
    )
    resource_id: Annotated[str, bounded(100), PRINTABLE] | None = Field(
        default=None,
        description="Events about this record (use with `resource_type`: ids of different "
        "kinds of record may look alike).",
    )
    actor: PrincipalName | None = Field(
        default=None, description="Events caused by this principal (a token's `sub`)."
    )
    decision_id: uuid.UUID | None = Field(
        default=None,
        description="Events of one policy decision (the `KPAS-Decision-Id` response header).",
    )
    purpose: Code | None = Field(default=None, description="Purpose code, e.g. `attendance_duty`.")
    outcome: Literal["allow", "deny"] | None = Field(
        default=None, description="Decisions that allowed or refused."
    )
    kind: Literal["decision", "change"] | None = None
    action: Code | None = Field(default=None, description="Action code, e.g. `school.read`.")
    occurred_from: Timestamp | None = Field(
        default=None, description="Events at or after this instant (ISO 8601 with offset)."
    )
    occurred_to: Timestamp | None = Field(
        default=None, description="Events before this instant (ISO 8601 with offset)."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _window_is_ordered(self) -> Self:
        if self.occurred_from and self.occurred_to and self.occurred_to < self.occurred_from:
            raise ValueError("occurred_to must not be before occurred_from")
        return self


class AuditEventRead(Output):
    """One event of the chain, exactly as stored (so a reader can recompute its hash)."""

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
    pass


class ChainVerificationRead(Output):
    """The result of checking the whole chain, event by event."""

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
