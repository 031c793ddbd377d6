"""The purposes registry as the API shows it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.policies.registry import ConditionParagraph
from app.schemas.common import Page

_DOCUMENT_EXAMPLE: JsonDict = {
    "reference": "KCC-APD-SCH1",
    "title": "Appropriate policy document: special category data (DPA 2018 Sch 1 Part 4)",
}
_CONDITION_EXAMPLE: JsonDict = {
    "schedule": 1,
    "paragraph": 6,
    "title": "Statutory and government purposes",
    "covers_individual_decisions": True,
    "policy_document": _DOCUMENT_EXAMPLE,
}
_PURPOSE_EXAMPLE: JsonDict = {
    "code": "attendance_duty",
    "wording": "undertake our statutory duties around school attendance",
    "regime": "uk_gdpr",
    "lawful_bases": ["6(1)(c)", "6(1)(e)"],
    "article9_condition": "9(2)(g)",
    "conditions": [
        _CONDITION_EXAMPLE,
        {
            "schedule": 1,
            "paragraph": 18,
            "title": "Safeguarding of children and of individuals at risk",
            "covers_individual_decisions": True,
            "policy_document": _DOCUMENT_EXAMPLE,
        },
    ],
    "schedule1_paragraphs": [6, 18],
    "schedule2_exemption": None,
    "special_category_for_individuals": True,
    "individual_decisions": True,
    "aggregate_only": False,
    "governance": False,
    "rights": [
        "access (Art 15)",
        "rectification (Art 16)",
        "restriction of processing (Art 18)",
        "objection (Art 21)",
    ],
    "objection_applies": True,
    "continues_under_objection": ["school_roll", "attendance_marks", "pupil"],
    "continues_under_objection_note": "The statutory duty continues: keeping and reading the "
    "roll and attendance of the pupil.",
    "honours_notice_to_stop": False,
    "restriction_ground": None,
    "continues_under_restriction": False,
    "legislation": ["Education Act 1996 s436A, s444"],
}
_FINDING_EXAMPLE: JsonDict = {
    "code": "notice_condition_drift",
    "purpose": "intervention",
    "detail": "The notice names DPA 2018 Sch 1 para 8 (Equality of opportunity or treatment) "
    "for intervention; the council relies on Sch 1 para 6 / 18. Amend the notice.",
}


class PolicyDocumentRead(BaseModel):
    """The appropriate policy document a condition needs (DPA 2018 Sch 1 para 5; s42)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DOCUMENT_EXAMPLE]})

    reference: str = Field(examples=["KCC-APD-SCH1"])
    title: str = Field(
        examples=["Appropriate policy document: special category data (DPA 2018 Sch 1 Part 4)"]
    )


class ConditionRead(BaseModel):
    """A DPA 2018 Schedule 1 (UK GDPR Art 9(2)(g)) or Schedule 8 (Part 3, s35) condition."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONDITION_EXAMPLE]})

    schedule: int = Field(description="DPA 2018 Schedule: 1 or 8.", examples=[1])
    paragraph: int = Field(examples=[6])
    title: str = Field(examples=["Statutory and government purposes"])
    covers_individual_decisions: bool = Field(
        description="Whether the condition may support measures or decisions about a person "
        "(Sch 1 para 8(3) says para 8 may not).",
        examples=[True],
    )
    policy_document: PolicyDocumentRead

    @classmethod
    def of(cls, condition: ConditionParagraph) -> ConditionRead:
        """The registry's condition as the API shows it."""
        return cls(
            schedule=condition.schedule,
            paragraph=condition.paragraph,
            title=condition.title,
            covers_individual_decisions=condition.covers_individual_decisions,
            policy_document=PolicyDocumentRead(
                reference=condition.policy_document.reference,
                title=condition.policy_document.title,
            ),
        )


class PurposeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_PURPOSE_EXAMPLE]})

    code: str = Field(examples=["attendance_duty"])
    wording: str = Field(examples=["undertake our statutory duties around school attendance"])
    regime: str = Field(
        description="`uk_gdpr`, or `dpa2018_part3` for law enforcement processing.",
        examples=["uk_gdpr"],
    )
    lawful_bases: list[str] = Field(examples=[["6(1)(c)", "6(1)(e)"]])
    article9_condition: str | None = Field(examples=["9(2)(g)"])
    conditions: list[ConditionRead] = Field(
        description="The DPA 2018 Sch 1 or Sch 8 conditions the council relies on, each with "
        "its appropriate policy document."
    )
    schedule1_paragraphs: list[int] = Field(examples=[[6, 18]])
    schedule2_exemption: str | None = Field(
        description="The DPA 2018 Sch 2 exemption a release for this purpose relies on.",
        examples=[None],
    )
    special_category_for_individuals: bool = Field(
        description="Special category data may be served to decide about a person.",
        examples=[True],
    )
    individual_decisions: bool = Field(examples=[True])
    aggregate_only: bool = Field(
        description="Yields aggregate figures only, never a record about a person.",
        examples=[False],
    )
    governance: bool = Field(examples=[False])
    rights: list[str] = Field(
        description="The data subject's rights for this purpose.",
        examples=[["access (Art 15)", "objection (Art 21)"]],
    )
    objection_applies: bool = Field(examples=[True])
    continues_under_objection: list[str] = Field(
        description="Resources whose processing the legal obligation requires, so it continues "
        "under an upheld objection.",
        examples=[["school_roll", "attendance_marks"]],
    )
    continues_under_objection_note: str = Field(
        examples=["The statutory duty continues: keeping and reading the roll and attendance."]
    )
    honours_notice_to_stop: bool = Field(
        description="A written notice to stop is honoured on receipt (DPA 2018 Sch 1 para 8(5)).",
        examples=[False],
    )
    restriction_ground: str | None = Field(
        description="The UK GDPR Art 18(2) ground on which the purpose may process a restricted "
        "subject; `legal_claim` only where a claim is live for that person.",
        examples=["legal_claim"],
    )
    continues_under_restriction: bool = Field(
        description="Whether the purpose may reach a restricted subject at all (for "
        "`legal_claim`, only with a live claim).",
        examples=[False],
    )
    legislation: list[str] = Field(examples=[["Education Act 1996 s436A, s444"]])


class PurposePage(Page[PurposeRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PURPOSE_EXAMPLE], "next_cursor": None}]}
    )


class FindingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FINDING_EXAMPLE]})

    code: str = Field(examples=["notice_condition_drift"])
    purpose: str = Field(examples=["intervention"])
    detail: str = Field(
        examples=[
            "The notice names DPA 2018 Sch 1 para 8 (Equality of opportunity or treatment) for "
            "intervention; the council relies on Sch 1 para 6 / 18. Amend the notice."
        ]
    )


class FindingPage(Page[FindingRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_FINDING_EXAMPLE], "next_cursor": None}]}
    )
