"""Registered API client shapes. The secret appears in exactly one response: the creation's
(or a rotation's); nothing else ever carries it."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AliasChoices, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.auth.principal import Role
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    JsonBool,
    MergePatch,
    Output,
    Page,
    bounded,
    schema_examples,
)
from app.schemas.schools import URN

#: A partner's client, as the register shows it.
_CLIENT: JsonDict = {
    "client_id": "c16cc2c3-154a-4b4e-82f2-45ef6d06d9e5",
    "name": "Kent Police attendance liaison",
    "role": "partner",
    "school_urns": [],
    "org": "kent_police",
    "active": True,
    "created_at": "2026-09-14T10:02:51Z",
    "updated_at": "2026-09-14T10:02:51Z",
}


@schema_examples("mis_integration")
class ClientRole(StrEnum):
    """The roles a machine client may hold. Staff roles come from the council's IdP."""

    MIS_INTEGRATION = Role.MIS_INTEGRATION.value
    PARTNER = Role.PARTNER.value


ClientName = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
OrgCode = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_.-]{1,99}$",
        description="The partner organisation's code (lower case), as in its sharing agreements.",
        examples=["kent_police"],
    ),
]
SchoolUrns = Annotated[
    list[URN],
    Field(
        max_length=200,
        description="Schools an MIS integration writes for (`mis_integration` only).",
    ),
]


def scope_problem(role: Role, school_urns: list[int], org: str | None) -> tuple[str, str] | None:
    """What is wrong with a client's scope, as (field, message), or None.

    An MIS integration is scoped by its schools, a partner by its organisation: never both.
    """
    if role is Role.MIS_INTEGRATION:
        if not school_urns:
            return "school_urns", "an mis_integration client needs at least one school URN"
        if org is not None:
            return "org", "an mis_integration client has no org"
    elif role is Role.PARTNER:
        if org is None:
            return "org", "a partner client needs its org"
        if school_urns:
            return "school_urns", "a partner client has no school URNs"
    else:
        return "role", "machine clients are mis_integration or partner"
    return None


class ClientCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Hopgarden Primary School MIS (synthetic)",
                    "role": "mis_integration",
                    "school_urns": [990028],
                },
                {"name": "Kent Police attendance liaison", "role": "partner", "org": "kent_police"},
            ]
        }
    )

    name: ClientName
    role: ClientRole
    school_urns: SchoolUrns = Field(default_factory=list)
    org: OrgCode | None = None

    @model_validator(mode="after")
    def _scope_fits_role(self) -> ClientCreate:
        if len(set(self.school_urns)) != len(self.school_urns):
            raise ValueError("school_urns lists a school twice")
        problem = scope_problem(Role(self.role.value), self.school_urns, self.org)
        if problem is not None:
            raise ValueError(problem[1])
        return self


class ClientUpdate(MergePatch):
    """A JSON merge patch: the fields present are changed; none may be null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"active": False}]})

    name: ClientName | None = None
    active: JsonBool | None = None
    school_urns: SchoolUrns | None = None
    org: OrgCode | None = None

    @model_validator(mode="after")
    def _no_repeats(self) -> ClientUpdate:
        if self.school_urns is not None and len(set(self.school_urns)) != len(self.school_urns):
            raise ValueError("school_urns lists a school twice")
        return self


class ClientRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_CLIENT]})

    client_id: uuid.UUID = Field(
        validation_alias=AliasChoices("id", "client_id"), description="Send as `client_id`."
    )
    name: str
    role: ClientRole
    school_urns: list[int]
    org: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class ClientCredentials(ClientRead):
    """A client with its secret: returned once, on creation or rotation, and never again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_CLIENT, "client_secret": "kpas_cs_pR4v7mQ2xK9sT1wZ6yB3nL8cF5hJ0dG4eA2uV7iO9qE"}
            ]
        }
    )

    client_secret: str = Field(
        description="Shown only in this response; KPAS keeps only a hash. Store it securely."
    )


class ClientPage(Page[ClientRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_CLIENT],
                    "next_cursor": None,
                }
            ]
        }
    )


class ClientFilters(Input):
    """Query parameters of ``GET /v1/clients``."""

    role: ClientRole | None = Field(default=None, examples=["mis_integration"])
    active: bool | None = Field(default=None, examples=[True])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None
