"""Inspection grant shapes for the API: an inspector's read-only window (Ofsted, HMIP)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.disclosures import InspectionGrant
from app.models.sharing import DataCategory
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
from app.schemas.schools import URN
from app.schemas.sharing import DataCategories

#: The longest window one grant may open. A statutory inspection of a local authority's
#: children's services lasts weeks, not months; a longer one is a new grant, decided again.
MAX_WINDOW = timedelta(days=90)
#: How far ahead a grant may be issued.
MAX_LEAD = timedelta(days=365)
#: Roughly every school in Kent.
MAX_SCHOOLS = 600

Inspector = Annotated[
    str,
    bounded(255),
    PRINTABLE,
    Field(description="The inspector's identity: the `sub` of the tokens they will present."),
]
InspectionReference = Annotated[
    str,
    bounded(100),
    PRINTABLE,
    Field(description="The inspectorate's reference for the inspection."),
]
SchoolUrns = Annotated[
    list[URN],
    Field(
        min_length=1,
        max_length=MAX_SCHOOLS,
        description="URNs of the schools whose pupils the inspection covers.",
    ),
]


#: Ofsted: its id is fixed by the migrations, the same in every database.
_OFSTED = "1373d853-770c-5894-9f69-fb61faead546"
#: A grant as the register shows it while the inspection is under way.
_GRANT: JsonDict = {
    "id": "6789c789-9209-4e1e-b50f-085c2b92df10",
    "recipient_id": _OFSTED,
    "inspector": "hmi.r.sharma@ofsted.gov.uk",
    "reference": "ILACS-2027-0142",
    "starts_at": "2027-01-11T08:00:00Z",
    "ends_at": "2027-01-22T18:00:00Z",
    "school_urns": [990028, 990031],
    "data_categories": ["identity_contact", "attendance"],
    "granted_by": "k.fairleigh@kent.gov.uk",
    "revoked_at": None,
    "revoked_by": None,
    "active": True,
    "created_at": "2026-12-03T11:20:45Z",
    "updated_at": "2026-12-03T11:20:45Z",
}


class InspectionGrantCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "recipient_id": _OFSTED,
                    "inspector": "hmi.r.sharma@ofsted.gov.uk",
                    "reference": "ILACS-2027-0142",
                    "starts_at": "2027-01-11T08:00:00Z",
                    "ends_at": "2027-01-22T18:00:00Z",
                    "school_urns": [990028, 990031],
                    "data_categories": ["identity_contact", "attendance"],
                }
            ]
        }
    )

    recipient_id: uuid.UUID = Field(
        description="The inspectorate (a recipient of kind `inspectorate`: Ofsted or HMIP)."
    )
    inspector: Inspector
    reference: InspectionReference
    starts_at: Timestamp
    ends_at: Timestamp = Field(
        description="When the window closes: after `starts_at`, at most 90 days later, and "
        "not already past."
    )
    school_urns: SchoolUrns
    data_categories: DataCategories = Field(
        description="The categories of personal data the inspection covers."
    )

    @model_validator(mode="after")
    def _window(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.ends_at - self.starts_at > MAX_WINDOW:
            raise ValueError("a grant may last at most 90 days")
        return self


class InspectionGrantRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_GRANT]})

    id: uuid.UUID
    recipient_id: uuid.UUID
    inspector: str
    reference: str
    starts_at: datetime
    ends_at: datetime
    school_urns: list[int]
    data_categories: list[DataCategory]
    granted_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    active: bool = Field(description="Open now: started, not ended, not revoked.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, grant: InspectionGrant, *, now: datetime) -> Self:
        columns = {column.key: getattr(grant, column.key) for column in grant.__table__.columns}
        return cls.model_validate({**columns, "active": grant.active_at(now)})


class InspectionGrantPage(Page[InspectionGrantRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_GRANT],
                    "next_cursor": None,
                }
            ]
        }
    )


class InspectionGrantFilters(Input):
    """Query parameters of ``GET /v1/inspection-grants``."""

    active: bool | None = Field(
        default=None,
        description="Only grants open now (true), or only those that are not.",
        examples=[True],
    )
    inspector: Inspector | None = Field(default=None, examples=[_GRANT["inspector"]])
    recipient_id: uuid.UUID | None = Field(
        default=None, description="The inspectorate's recipient id.", examples=[_OFSTED]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
