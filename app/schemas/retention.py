"""Retention shapes for the API: the registry of retention rules (versioned), legal holds, and
retention runs with what they destroyed. What each means is described in
``docs/retention.md``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, model_validator

from app.models.retention import LegalHoldKind, RunStatus
from app.rules.retention_schedule import RetentionAction, RetentionStart
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    JsonBool,
    Output,
    Page,
    bounded,
)

Reason = Annotated[str, bounded(500), PRINTABLE, NOT_FORMULA]
LongText = Annotated[str, bounded(2000), PRINTABLE, NOT_FORMULA]
Reference = Annotated[str, bounded(100), PRINTABLE, NOT_FORMULA]

_WHEN = "2026-12-01T10:15:00Z"
_RUN_ID = "7d2f4c1e-8a3b-4e6f-9c0d-1b2a3c4d5e6f"
_HOLD_ID = "3e9a1c7b-2d4f-4a8e-b6c1-9f0e8d7c6b5a"
_SUBJECT_ID = "5b8e2f4a-1c3d-4e6f-8a9b-0c1d2e3f4a5b"
_CASE_ID = "a1c2e3f4-5b6d-4e8f-9a0b-1c2d3e4f5a6b"


# --- the registry ----------------------------------------------------------------------------

_POLICY: dict[str, Any] = {
    "record_type": "outbound_message",
    "description": "Letters, texts and emails sent through GOV.UK Notify",
    "starts": "created",
    "years": 2,
    "action": "anonymise",
    "reason": "The personalisation and address are needed only to show what was sent; after "
    "two years they are cleared and the delivery record stays without them.",
    "source": "Council retention schedule",
    "version": 2,
    "changed_by": "ig-officer-1",
    "changed_at": _WHEN,
    "change_reason": "Information governance board decision IGB-2026-14.",
}


class RetentionPolicyRead(Output):
    """One record type's retention rule as it stands (``version`` is the registry version in
    force; the `ETag` goes with it)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_POLICY]})

    record_type: str
    description: str
    starts: RetentionStart = Field(
        description="What the period is counted from: `date_of_birth` (the 25th birthday for "
        "pupil-linked records), `last_licence_ends`, `closed` or `created`."
    )
    years: int
    action: RetentionAction = Field(
        description="What destruction does: `delete` the rows (documents crypto-shredded) or "
        "`anonymise` them (personal data cleared, the row kept)."
    )
    reason: str
    source: str
    version: int
    changed_by: str
    changed_at: datetime
    change_reason: str


class RetentionPolicyVersionRead(RetentionPolicyRead):
    """One version of the rule, as it was from `changed_at`."""


class RetentionPolicyList(Output):
    items: list[RetentionPolicyRead]

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_POLICY]}]})


class RetentionPolicyHistory(Output):
    """Every version of a record type's rule, newest first."""

    record_type: str
    versions: list[RetentionPolicyVersionRead]

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"record_type": "outbound_message", "versions": [_POLICY]}]}
    )


class RetentionPolicyChange(Input):
    """A change to a record type's rule: a new version. `change_reason` says why (a board
    decision, a change in the law); fields left out keep their value."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "years": 3,
                    "reason": "The personalisation and address are needed only to show what "
                    "was sent; after three years they are cleared and the delivery record "
                    "stays without them.",
                    "change_reason": "Information governance board decision IGB-2026-14.",
                }
            ]
        }
    )

    description: LongText | None = None
    years: int | None = Field(default=None, ge=1, le=100, examples=[3])
    action: RetentionAction | None = None
    reason: LongText | None = None
    source: LongText | None = None
    change_reason: Reason

    def changes(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.model_dump(exclude_unset=True).items()
            if name != "change_reason" and value is not None
        }


# --- legal holds -----------------------------------------------------------------------------

_HOLD: dict[str, Any] = {
    "id": _HOLD_ID,
    "kind": "proceedings",
    "subject_id": _SUBJECT_ID,
    "case_id": _CASE_ID,
    "reason": "County court claim about the school's handling of the exclusion; the claim "
    "form was served on the council.",
    "reference": "K00CT118",
    "placed_by": "ig-officer-1",
    "placed_at": _WHEN,
    "live": True,
    "lifted_at": None,
    "lifted_by": None,
    "lift_reason": None,
}


class LegalHoldCreate(Input):
    """A hold on a data subject or on a case (its subject and the people party to it). Name
    exactly one of `subject_id` and `case_id`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "proceedings",
                    "case_id": "b966f900-0144-5d32-bdc0-7ca9cb8f412b",
                    "reason": "Magistrates' court proceedings for the s444 offence are under "
                    "way; the case file must be kept until they end.",
                    "reference": "MC-2026-4471",
                }
            ]
        }
    )

    kind: LegalHoldKind = Field(
        description="`proceedings` (ongoing or expected legal proceedings), `subject_request` "
        "(a request that needs the records) or `breach_investigation`."
    )
    subject_id: uuid.UUID | None = Field(default=None, examples=[_SUBJECT_ID])
    case_id: uuid.UUID | None = Field(default=None, examples=[_CASE_ID])
    reason: Reason = Field(description="Why the records must be kept. No personal data.")
    reference: Reference | None = Field(
        default=None, description="The proceedings', request's or breach's reference."
    )

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.subject_id is None) == (self.case_id is None):
            raise ValueError("name exactly one of subject_id and case_id")
        return self


class LegalHoldLift(Input):
    """Lifting a hold: why it is no longer needed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"reason": "The proceedings ended with the court's order of 1 December 2026."}
            ]
        }
    )

    reason: Reason


class LegalHoldRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_HOLD]})

    id: uuid.UUID
    kind: LegalHoldKind
    subject_id: uuid.UUID
    case_id: uuid.UUID | None
    reason: str
    reference: str | None
    placed_by: str
    placed_at: datetime
    live: bool = Field(description="Not lifted: nothing it covers is destroyed.")
    lifted_at: datetime | None
    lifted_by: str | None
    lift_reason: str | None


class LegalHoldFilters(Input):
    """Query parameters of `GET /v1/legal-holds`."""

    subject_id: uuid.UUID | None = Field(default=None, examples=[_SUBJECT_ID])
    case_id: uuid.UUID | None = Field(default=None, examples=[_CASE_ID])
    kind: LegalHoldKind | None = Field(default=None, examples=["proceedings"])
    live: bool | None = Field(
        default=None, description="`true`: holds in force; `false`: lifted.", examples=[True]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class LegalHoldPage(Page[LegalHoldRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_HOLD], "next_cursor": None}]}
    )


# --- runs ------------------------------------------------------------------------------------

_RUN: dict[str, Any] = {
    "id": _RUN_ID,
    "dry_run": True,
    "status": "completed",
    "as_of": "2026-12-01",
    "grace_days": 30,
    "started_by": "ig-officer-1",
    "started_at": _WHEN,
    "finished_at": "2026-12-01T10:15:04Z",
    "past_retention": 14,
    "due": 9,
    "held": 1,
    "destroyed": 0,
    "policy_versions": {"pupil_linked": 1, "outbound_message": 2},
    "counts": {"pupil_linked": 412, "subject_request": 31, "audit_event": 96},
    "records": {
        "subject_request": {"due": 3, "held": 1, "destroyed": 2},
        "outbound_message": {"due": 120, "held": 0, "destroyed": 120},
    },
    "would_destroy": [_SUBJECT_ID],
}


class RetentionRunCreate(Input):
    """Start a sweep as of today. `dry_run` (the default) lists what would be destroyed and
    destroys nothing."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"dry_run": True}]})

    dry_run: JsonBool = Field(default=True, examples=[True])


class RecordTypeCounts(Output):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"due": 3, "held": 1, "destroyed": 2}]}
    )

    due: int = Field(examples=[3])
    held: int = Field(examples=[1])
    destroyed: int = Field(examples=[2])


class RetentionRunSummary(Output):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{k: v for k, v in _RUN.items() if k != "would_destroy"}]}
    )

    id: uuid.UUID
    dry_run: bool
    status: RunStatus = Field(
        description="`running` until the run finishes; a run that stopped part-way stays "
        "`running`, and the next run finishes its work."
    )
    as_of: date
    grace_days: int
    started_by: str
    started_at: datetime
    finished_at: datetime | None
    past_retention: int = Field(description="Subjects past retention (inaccessible).")
    due: int = Field(description="Subjects past retention by more than the grace period.")
    held: int = Field(description="Due subjects a live legal hold kept.")
    destroyed: int
    policy_versions: dict[str, int] = Field(description="Registry versions in force.")
    counts: dict[str, int] = Field(
        description="Rows destroyed (or, in a dry run, that would be), by record type."
    )
    records: dict[str, RecordTypeCounts] = Field(
        description="Records swept by their own age (counted from when they were closed or "
        "made), by record type: how many were due, how many a live legal hold kept, and how "
        "many were destroyed or anonymised (in a dry run, would be). For `audit_event`, "
        "events whose subject index rows go."
    )


class RetentionRunRead(RetentionRunSummary):
    model_config = ConfigDict(json_schema_extra={"examples": [_RUN]})

    would_destroy: list[uuid.UUID] | None = Field(
        description="A dry run: the data subjects that would be destroyed (ids only)."
    )


class RetentionRunFilters(Input):
    """Query parameters of `GET /v1/retention/runs`."""

    dry_run: bool | None = Field(default=None, examples=[False])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class RetentionRunPage(Page[RetentionRunSummary]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [{k: v for k, v in _RUN.items() if k != "would_destroy"}],
                    "next_cursor": None,
                }
            ]
        }
    )
