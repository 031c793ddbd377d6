"""The purposes registry as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel

from app.schemas.common import Page


class PurposeRead(BaseModel):
    code: str
    wording: str
    lawful_bases: list[str]
    article9_condition: str | None
    schedule1_paragraph: int | None
    schedule1_title: str | None
    individual_decisions: bool
    governance: bool
    objection_applies: bool
    continues_under_restriction: bool


class PurposePage(Page[PurposeRead]):
    pass


class FindingRead(BaseModel):
    code: str
    purpose: str
    detail: str


class FindingPage(Page[FindingRead]):
    pass
