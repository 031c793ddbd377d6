"""Disclosure shapes for the API: the record of each release of personal data outside KPAS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import Field, field_validator, model_validator

from app.models.disclosures import Disclosure, DisclosureChannel
from app.models.sharing import DataCategory
from app.policies.registry import LawfulBasis, Purpose
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
    bounded,
)
from app.schemas.sharing import DataCategories

#: Nothing released before the Data Protection Act 1998 came into force is recorded here; an
#: earlier date is a typing error.
EARLIEST_DISCLOSURE = datetime(2000, 1, 1, tzinfo=UTC)
#: Subjects one recorded release may name (a court bundle about a family, not a bulk export).
MAX_SUBJECTS = 500


class ManualChannel(StrEnum):
    """How a release outside the API was made (``DisclosureChannel`` without ``api``: API
    releases are recorded by the service itself, never by hand)."""

    SECURE_EMAIL = DisclosureChannel.SECURE_EMAIL.value
    SECURE_FILE_TRANSFER = DisclosureChannel.SECURE_FILE_TRANSFER.value
    POST = DisclosureChannel.POST.value
    IN_PERSON = DisclosureChannel.IN_PERSON.value
    TELEPHONE = DisclosureChannel.TELEPHONE.value
    COURT_BUNDLE = DisclosureChannel.COURT_BUNDLE.value


Sha256Hex = Annotated[
    str,
    Field(
        min_length=64,
        max_length=64,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of exactly what was released, as 64 lower-case hex digits.",
    ),
]
Approver = Annotated[
    str,
    bounded(255),
    PRINTABLE,
    Field(description="Who approved the release: the approver's staff identity."),
]
RequestReference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z0-9 ./:#_-]*[0-9][A-Za-z0-9 ./:#_-]*$",
        description="The requester's own reference for the request, such as a police request "
        "number or a court case number: at most 40 letters, digits and separators, with at "
        "least one digit. Never personal data (no names, dates of birth or addresses).",
        examples=["DP-2026-01234"],
    ),
]
SubjectIds = Annotated[
    list[uuid.UUID],
    Field(
        min_length=1,
        max_length=MAX_SUBJECTS,
        description="The data subjects the release was about (ids only).",
    ),
]


class DisclosureCreate(Input):
    """A release of personal data made outside the API, recorded by the member of staff who
    made or approved it."""

    recipient_id: uuid.UUID = Field(description="An active recipient (`GET /v1/recipients`).")
    agreement_id: uuid.UUID | None = Field(
        default=None,
        description="The recipient's sharing agreement the release was made under, if any: "
        "in force on the day of the release and covering its purpose and categories.",
    )
    purpose: Purpose
    lawful_basis: LawfulBasis = Field(
        description="The Article 6 basis relied on: one the purpose's registry entry lists."
    )
    data_categories: DataCategories
    channel: ManualChannel
    approved_by: Approver
    disclosed_at: Timestamp = Field(description="When the data was released; not in the future.")
    content_sha256: Sha256Hex
    request_reference: RequestReference | None = None
    subject_ids: SubjectIds

    @field_validator("disclosed_at")
    @classmethod
    def _not_before_records(cls, value: datetime) -> datetime:
        if value < EARLIEST_DISCLOSURE:
            raise ValueError("disclosed_at must be on or after 2000-01-01")
        return value


class DisclosureRead(Output):
    id: uuid.UUID
    recipient_id: uuid.UUID
    agreement_id: uuid.UUID | None
    inspection_grant_id: uuid.UUID | None
    purpose: str
    lawful_basis: str
    data_categories: list[DataCategory]
    channel: DisclosureChannel
    automatic: bool = Field(
        description="Written by the service on a partner's or inspector's read (true), or "
        "recorded by staff for a release made outside the API (false)."
    )
    approved_by: str | None
    recorded_by: str
    disclosed_at: datetime
    recorded_at: datetime
    content_sha256: str
    request_reference: str | None
    resource_type: str | None = Field(description="For API releases: what was read.")
    resource_id: str | None
    decision_id: uuid.UUID | None = Field(
        description="For API releases: the policy decision that allowed the read."
    )
    subject_count: int = Field(description="How many data subjects the release was about.")

    @classmethod
    def of(cls, disclosure: Disclosure, *, subject_count: int) -> Self:
        return cls.model_validate({**_columns(disclosure), "subject_count": subject_count})


class DisclosureDetail(DisclosureRead):
    subject_ids: list[uuid.UUID] = Field(description="The data subjects the release was about.")

    @classmethod
    def with_subjects(cls, disclosure: Disclosure, subject_ids: list[uuid.UUID]) -> Self:
        return cls.model_validate(
            {**_columns(disclosure), "subject_count": len(subject_ids), "subject_ids": subject_ids}
        )


def _columns(disclosure: Disclosure) -> dict[str, object]:
    return {column.key: getattr(disclosure, column.key) for column in Disclosure.__table__.columns}


class DisclosurePage(Page[DisclosureRead]):
    pass


class DisclosureFilters(Input):
    """Query parameters of ``GET /v1/disclosures`` (newest first)."""

    recipient_id: uuid.UUID | None = None
    agreement_id: uuid.UUID | None = None
    inspection_grant_id: uuid.UUID | None = None
    purpose: Purpose | None = None
    subject_id: uuid.UUID | None = Field(
        default=None, description="Only releases about this data subject."
    )
    automatic: bool | None = None
    disclosed_from: CalendarDate | None = Field(
        default=None, description="Released on or after this day (Europe/London)."
    )
    disclosed_to: CalendarDate | None = Field(
        default=None, description="Released on or before this day (Europe/London)."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.disclosed_from and self.disclosed_to and self.disclosed_to < self.disclosed_from:
            raise ValueError("disclosed_to must be on or after disclosed_from")
        return self
