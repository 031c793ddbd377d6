"""Disclosure shapes for the API: the record of each release of personal data outside KPAS."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.config import JsonDict

from app.models.disclosures import Disclosure, DisclosureChannel, DisclosureGround
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


#: The examples: Kent Police (a recipient every database holds) and its demo agreement.
_POLICE = "8a9a6d49-d291-508f-9494-1845b264df94"
_POLICE_AGREEMENT = "7020795a-13e6-595b-9cb4-b712640e7382"
_SUBJECT = "04723476-94c3-5085-838e-5f8aba4fd76e"  # the demo pupil Isla Tillbrook (synthetic)
_HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
_CREATE_EXAMPLE: JsonDict = {
    "recipient_id": _POLICE,
    "purpose": "attendance_duty",
    "lawful_basis": "6(1)(c)",
    "data_categories": ["identity_contact", "attendance"],
    "channel": "secure_email",
    "approved_by": "attendance-manager-3",
    "disclosed_at": "2026-11-20T10:30:00Z",
    "content_sha256": _HASH,
    "request_reference": "JV-2026-0042",
    "subject_ids": [_SUBJECT],
}
_READ_EXAMPLE: JsonDict = {
    "id": "0d5c2a7e-6b1f-4c3d-8e9a-7f6b5c4d3e21",
    "recipient_id": _POLICE,
    "agreement_id": _POLICE_AGREEMENT,
    "inspection_grant_id": None,
    "purpose": "crime_prevention_disclosure",
    "lawful_basis": "6(1)(e)",
    "data_categories": ["identity_contact", "attendance"],
    "channel": "secure_email",
    "automatic": False,
    "approved_by": "ig-approver-7",
    "recorded_by": "ig-officer-1",
    "disclosed_at": "2026-11-20T10:30:00Z",
    "recorded_at": "2026-11-20T11:02:13Z",
    "content_sha256": _HASH,
    "request_reference": "DP-2026-01234",
    "ground": "prevention_or_detection_of_crime",
    "resource_type": None,
    "resource_id": None,
    "decision_id": None,
    "subject_count": 1,
}


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
        examples=[_HASH],
    ),
]
Approver = Annotated[
    str,
    bounded(255),
    PRINTABLE,
    Field(
        description="Who approved the release: the approver's staff identity.",
        examples=["attendance-manager-3"],
    ),
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
        examples=[[_SUBJECT]],
    ),
]


class DisclosureCreate(Input):
    """A release of personal data made outside the API, recorded by the member of staff who
    made or approved it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE_EXAMPLE]})

    recipient_id: uuid.UUID = Field(
        description="An active recipient (`GET /v1/recipients`).", examples=[_POLICE]
    )
    agreement_id: uuid.UUID | None = Field(
        default=None,
        description="The recipient's sharing agreement the release was made under, if any: "
        "in force on the day of the release and covering its purpose and categories.",
        examples=[_POLICE_AGREEMENT],
    )
    purpose: Purpose = Field(
        description="The registry purpose of the release: `court_disclosure` where an "
        "enactment or a court order requires it, `crime_prevention_disclosure` for a police "
        "or other authority's request, or the casework purpose it served.",
        examples=["attendance_duty"],
    )
    lawful_basis: LawfulBasis = Field(
        description="The basis relied on: one the purpose's registry entry lists.",
        examples=["6(1)(c)"],
    )
    data_categories: DataCategories
    channel: ManualChannel = Field(examples=["secure_email"])
    approved_by: Approver
    disclosed_at: Timestamp = Field(
        description="When the data was released; not in the future.",
        examples=["2026-11-20T10:30:00Z"],
    )
    content_sha256: Sha256Hex
    request_reference: RequestReference | None = Field(
        default=None,
        description="Required for `court_disclosure` and `crime_prevention_disclosure`: the "
        "request or order the release answers.",
    )
    ground: DisclosureGround | None = Field(
        default=None,
        description="For a release decided on request, the ground it was decided on: for "
        "`court_disclosure` one of DPA 2018 Sch 2 para 5 (`required_by_enactment`, "
        "`court_order`, `legal_proceedings`); for `crime_prevention_disclosure` one of Sch 2 "
        "para 2 (`prevention_or_detection_of_crime`, `apprehension_or_prosecution`). Not "
        "given for other purposes.",
        examples=["prevention_or_detection_of_crime"],
    )
    subject_ids: SubjectIds

    @field_validator("disclosed_at")
    @classmethod
    def _not_before_records(cls, value: datetime) -> datetime:
        if value < EARLIEST_DISCLOSURE:
            raise ValueError("disclosed_at must be on or after 2000-01-01")
        return value


class DisclosureRead(Output):
    """One release of personal data outside KPAS."""

    model_config = ConfigDict(from_attributes=True, json_schema_extra={"examples": [_READ_EXAMPLE]})

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
    ground: str | None = Field(
        description="For a release decided on request: the ground it was decided on.",
        examples=["prevention_or_detection_of_crime"],
    )
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
    """One release, with the data subjects it was about."""

    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"examples": [{**_READ_EXAMPLE, "subject_ids": [_SUBJECT]}]},
    )

    subject_ids: list[uuid.UUID] = Field(description="The data subjects the release was about.")

    @classmethod
    def with_subjects(cls, disclosure: Disclosure, subject_ids: list[uuid.UUID]) -> Self:
        return cls.model_validate(
            {**_columns(disclosure), "subject_count": len(subject_ids), "subject_ids": subject_ids}
        )


def _columns(disclosure: Disclosure) -> dict[str, object]:
    return {column.key: getattr(disclosure, column.key) for column in Disclosure.__table__.columns}


class DisclosurePage(Page[DisclosureRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ_EXAMPLE], "next_cursor": None}]}
    )


class DisclosureFilters(Input):
    """Query parameters of ``GET /v1/disclosures`` (newest first)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "purpose": "crime_prevention_disclosure",
                    "disclosed_from": "2026-11-01",
                    "disclosed_to": "2026-11-30",
                    "limit": 50,
                }
            ]
        },
    )

    recipient_id: uuid.UUID | None = Field(default=None, examples=[_POLICE])
    agreement_id: uuid.UUID | None = Field(default=None, examples=[_POLICE_AGREEMENT])
    inspection_grant_id: uuid.UUID | None = Field(
        default=None, examples=["5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"]
    )
    purpose: Purpose | None = Field(default=None, examples=["crime_prevention_disclosure"])
    subject_id: uuid.UUID | None = Field(
        default=None, description="Only releases about this data subject.", examples=[_SUBJECT]
    )
    automatic: bool | None = Field(default=None, examples=[False])
    disclosed_from: CalendarDate | None = Field(
        default=None,
        description="Released on or after this day (Europe/London).",
        examples=["2026-11-01"],
    )
    disclosed_to: CalendarDate | None = Field(
        default=None,
        description="Released on or before this day (Europe/London).",
        examples=["2026-11-30"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.disclosed_from and self.disclosed_to and self.disclosed_to < self.disclosed_from:
            raise ValueError("disclosed_to must be on or after disclosed_from")
        return self
