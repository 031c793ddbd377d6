"""Recipient and sharing agreement shapes for the API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Self, TypeVar

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.sharing import DataCategory, RecipientKind
from app.policies.registry import Purpose
from app.rules.kent import District
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    JsonBool,
    MergePatch,
    Output,
    Page,
    bounded,
)

#: Kent Police: its id is fixed by the migrations, the same in every database.
_POLICE_ID = "8a9a6d49-d291-508f-9494-1845b264df94"
_RECIPIENT: JsonDict = {
    "id": _POLICE_ID,
    "code": "kent-police",
    "name": "Kent Police",
    "kind": "police",
    "notice_wording": "professionals from Kent Police",
    "active": True,
    "created_at": "2026-11-29T00:00:00Z",
    "updated_at": "2026-11-29T00:00:00Z",
}
_AGREEMENT: JsonDict = {
    "id": "92452ea7-f5d2-480d-96d9-8dc761509499",
    "recipient_id": _POLICE_ID,
    "name": "Kent and Medway Information Sharing Agreement: school attendance",
    "reference": "KMISA-2026-07",
    "purposes": ["intervention"],
    "data_categories": ["identity_contact", "attendance"],
    "districts": ["swale", "thanet"],
    "starts_on": "2026-09-01",
    "ends_on": "2027-08-31",
    "active": True,
    "created_at": "2026-08-20T13:12:40Z",
    "updated_at": "2026-08-20T13:12:40Z",
}


RecipientCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=64,
        pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$",
        description="A stable lower-case slug naming the recipient.",
        examples=["kent-police"],
    ),
]
Name = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
NoticeWording = Annotated[str, bounded(500), PRINTABLE]
Reference = Annotated[str, bounded(100), PRINTABLE]
Purposes = Annotated[
    list[Purpose],
    Field(min_length=1, max_length=len(Purpose), description="Purpose codes of the registry."),
]
DataCategories = Annotated[list[DataCategory], Field(min_length=1, max_length=len(DataCategory))]
Districts = Annotated[
    list[District],
    Field(
        max_length=len(District),
        description="Kent districts whose pupils the agreement covers (where they are on roll "
        "now); an empty list covers the whole county.",
    ),
]


T = TypeVar("T")


def _distinct(values: list[T] | None) -> list[T] | None:
    if values is None:
        return None
    return list(dict.fromkeys(values))


class RecipientCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "kent-youth-justice",
                    "name": "Kent Youth Justice Service",
                    "kind": "kcc_team",
                    "notice_wording": "the Kent Youth Justice Service, for the young people it "
                    "works with",
                }
            ]
        }
    )

    code: RecipientCode
    name: Name
    kind: RecipientKind
    notice_wording: NoticeWording = Field(
        description="The phrase of the privacy notice that names this recipient."
    )
    active: JsonBool = True


class RecipientUpdate(MergePatch):
    """A JSON merge patch: the fields present are changed; none may be null. The code is fixed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "Kent Police (Missing and Child Exploitation Team)"}]
        }
    )

    name: Name | None = None
    kind: RecipientKind | None = None
    notice_wording: NoticeWording | None = None
    active: JsonBool | None = None


class RecipientRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_RECIPIENT]})

    id: uuid.UUID
    code: str
    name: str
    kind: RecipientKind
    notice_wording: str
    active: bool
    created_at: datetime
    updated_at: datetime


class RecipientPage(Page[RecipientRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_RECIPIENT], "next_cursor": None}]}
    )


class RecipientFilters(Input):
    """Query parameters of ``GET /v1/recipients``."""

    kind: RecipientKind | None = Field(default=None, examples=["inspectorate"])
    active: bool | None = Field(default=None, examples=[True])
    code: RecipientCode | None = Field(default=None, examples=["ofsted"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class SharingAgreementCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient_id": _POLICE_ID,
                    "name": "Kent and Medway Information Sharing Agreement: school attendance",
                    "reference": "KMISA-2026-07",
                    "purposes": ["intervention"],
                    "data_categories": ["identity_contact", "attendance"],
                    "districts": ["swale", "thanet"],
                    "starts_on": "2026-09-01",
                    "ends_on": "2027-08-31",
                }
            ]
        }
    )

    recipient_id: uuid.UUID
    name: Name = Field(examples=["Kent and Medway Information Sharing Agreement"])
    reference: Reference | None = None
    purposes: Purposes
    data_categories: DataCategories
    districts: Districts = Field(default_factory=list)
    starts_on: CalendarDate
    ends_on: CalendarDate | None = Field(
        default=None, description="Last day in force; open if absent."
    )

    @model_validator(mode="after")
    def _tidy(self) -> Self:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on must be on or after starts_on")
        self.purposes = _distinct(self.purposes) or []
        self.data_categories = _distinct(self.data_categories) or []
        self.districts = _distinct(self.districts) or []
        return self


class SharingAgreementUpdate(MergePatch):
    """A JSON merge patch. ``ends_on`` may be null (open-ended); the other fields may not.

    The recipient is fixed: make a new agreement for another recipient.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [{"ends_on": "2027-03-31"}]})

    name: Name | None = None
    reference: Reference | None = None
    purposes: Purposes | None = None
    data_categories: DataCategories | None = None
    districts: Districts | None = None
    starts_on: CalendarDate | None = None
    ends_on: CalendarDate | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        # ``reference`` and ``ends_on`` are optional and may be removed with null.
        if isinstance(data, dict):
            nulls = [k for k, v in data.items() if v is None and k not in {"reference", "ends_on"}]
            if nulls:
                raise ValueError(f"these fields cannot be removed: {', '.join(sorted(nulls))}")
        return data

    @model_validator(mode="after")
    def _tidy(self) -> Self:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must be on or after starts_on")
        if self.purposes is not None:
            self.purposes = _distinct(self.purposes)
        if self.data_categories is not None:
            self.data_categories = _distinct(self.data_categories)
        if self.districts is not None:
            self.districts = _distinct(self.districts)
        return self


class SharingAgreementRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_AGREEMENT]})

    id: uuid.UUID
    recipient_id: uuid.UUID
    name: str
    reference: str | None
    purposes: list[Purpose]
    data_categories: list[DataCategory]
    districts: list[District] = Field(
        description="Kent districts the agreement covers; empty means the whole county."
    )
    starts_on: date
    ends_on: date | None
    active: bool = Field(
        description="In force today (Europe/London): started, not ended, recipient active."
    )
    created_at: datetime
    updated_at: datetime


class SharingAgreementPage(Page[SharingAgreementRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_AGREEMENT], "next_cursor": None}]}
    )


class SharingAgreementFilters(Input):
    """Query parameters of ``GET /v1/sharing-agreements``."""

    recipient_id: uuid.UUID | None = Field(default=None, examples=[_POLICE_ID])
    purpose: Purpose | None = Field(default=None, examples=["prosecution"])
    active_on: CalendarDate | None = Field(
        default=None,
        description="Only agreements in force on this day (recipient active).",
        examples=["2026-11-30"],
    )
    district: District | None = Field(
        default=None,
        description="Only agreements that reach this district (or the county).",
        examples=["canterbury"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
