"""Shapes for productions: the performances, productions and activities children take part in,
and the facts that decide whether a child needs a performance licence.

Sources: Children and Young Persons Act 1963 s37(2) (a licence is needed for a performance for
which a charge is made, on licensed premises, or broadcast or recorded for use in a broadcast or
film for public exhibition) and s37(3) (the exemptions, among them (b): a performance arranged
by a body of persons approved by the Secretary of State or the licensing authority, a "Body of
Persons Approval"). A production holds no personal data of its own: its producer is a person
(``/v1/people``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.licences import Production, ProductionKind
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
from app.schemas.people import PeoplePatch

Title = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
Company = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
Venue = Annotated[str, bounded(300), PRINTABLE, NOT_FORMULA]
ApprovalReference = Annotated[str, bounded(100), PRINTABLE, NOT_FORMULA]

_PRODUCER_ID = "b000a4a0-452e-5144-a0fd-27dc903c8260"
_CREATE: JsonDict = {
    "title": "The Snow Queen (synthetic)",
    "kind": "theatre",
    "company": "Bluebell Lane Productions Ltd (synthetic)",
    "producer_id": _PRODUCER_ID,
    "venue": "Marlowe Studio, Canterbury",
    "charge_made": True,
    "licensed_premises": False,
    "broadcast_or_recorded": False,
    "body_of_persons_approval": None,
}
_READ: JsonDict = {
    "id": "c2a9d4e7-1f35-4b8c-9e6a-7d0b3f5a2c84",
    **_CREATE,
    "created_by": "licensing-officer-1",
    "created_at": "2026-11-20T10:20:41Z",
    "updated_at": "2026-11-20T10:20:41Z",
}
#: A list's cursor is opaque: pass it back unchanged.
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


class ProductionCreate(Input):
    """A performance, production or activity children take part in."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    title: Title = Field(description="The production's title.", examples=[_CREATE["title"]])
    kind: ProductionKind = Field(description="What sort of production it is.", examples=["theatre"])
    company: Company = Field(
        description="The company putting it on.", examples=[_CREATE["company"]]
    )
    producer_id: uuid.UUID = Field(
        description="The producer: an adult person (`/v1/people`) you may see.",
        examples=[_PRODUCER_ID],
    )
    venue: Venue = Field(description="Where it takes place.", examples=[_CREATE["venue"]])
    charge_made: JsonBool = Field(
        description="A charge is made for admission (CYPA 1963 s37(2)(a)).", examples=[True]
    )
    licensed_premises: JsonBool = Field(
        description="It takes place on licensed premises (CYPA 1963 s37(2)(b)).",
        examples=[False],
    )
    broadcast_or_recorded: JsonBool = Field(
        description="It is broadcast, or recorded for broadcast or for a film for public "
        "exhibition (CYPA 1963 s37(2)(c), (d)).",
        examples=[False],
    )
    body_of_persons_approval: ApprovalReference | None = Field(
        default=None,
        description="A Body of Persons Approval the production holds (CYPA 1963 s37(3)(b)): "
        "the granting authority's reference.",
        examples=["BOPA/2026/0147"],
    )


class ProductionUpdate(PeoplePatch):
    """A JSON merge patch: the fields sent change. Only `body_of_persons_approval` may be
    removed (`null`)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"venue": "Gulbenkian Theatre, Canterbury"}]}
    )

    clearable: ClassVar[frozenset[str]] = frozenset({"body_of_persons_approval"})

    title: Title | None = Field(default=None, examples=["The Snow Queen (synthetic)"])
    kind: ProductionKind | None = Field(default=None, examples=["theatre"])
    company: Company | None = Field(default=None, examples=[_CREATE["company"]])
    producer_id: uuid.UUID | None = Field(
        default=None, description="An adult person you may see.", examples=[_PRODUCER_ID]
    )
    venue: Venue | None = Field(default=None, examples=["Gulbenkian Theatre, Canterbury"])
    charge_made: JsonBool | None = Field(default=None, examples=[True])
    licensed_premises: JsonBool | None = Field(default=None, examples=[False])
    broadcast_or_recorded: JsonBool | None = Field(default=None, examples=[False])
    body_of_persons_approval: ApprovalReference | None = Field(
        default=None, description="`null` removes it.", examples=["BOPA/2026/0147"]
    )


class ProductionFilters(Input):
    """Query parameters of ``GET /v1/productions``."""

    title: Annotated[str, bounded(200), PRINTABLE] | None = Field(
        default=None,
        description="The start of the title (case and accents are ignored).",
        examples=["Snow"],
    )
    kind: ProductionKind | None = Field(default=None, examples=["theatre"])
    producer_id: uuid.UUID | None = Field(default=None, examples=[_PRODUCER_ID])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class ProductionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_READ]})

    id: uuid.UUID
    title: str
    kind: ProductionKind
    company: str
    producer_id: uuid.UUID
    venue: str
    charge_made: bool
    licensed_premises: bool
    broadcast_or_recorded: bool
    body_of_persons_approval: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, production: Production) -> ProductionRead:
        return cls.model_validate(production)


class ProductionPage(Page[ProductionRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_READ], "next_cursor": _NEXT}]}
    )
