"""The record of processing (UK GDPR Art 30; DPA 2018 s61), the privacy notice's lists, and
the drift between them, as the API shows them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.schemas.common import Input
from app.schemas.purposes import ConditionRead

_CONDITION_EXAMPLE: JsonDict = {
    "schedule": 1,
    "paragraph": 6,
    "title": "Statutory and government purposes",
    "covers_individual_decisions": True,
    "policy_document": {
        "reference": "KCC-APD-SCH1",
        "title": "Appropriate policy document: special category data (DPA 2018 Sch 1 Part 4)",
    },
}
_SCH8_EXAMPLE: JsonDict = {
    "schedule": 8,
    "paragraph": 1,
    "title": "Statutory purposes",
    "covers_individual_decisions": True,
    "policy_document": {
        "reference": "KCC-APD-PART3",
        "title": "Appropriate policy document: sensitive processing for law enforcement "
        "(DPA 2018 s42)",
    },
}
_CONTROLLER_EXAMPLE: JsonDict = {
    "name": "Kent County Council",
    "data_protection_officer": "Benjamin Watts",
    "contact_email": "data.protection@kent.gov.uk",
    "notice_version": 1,
}
_PURPOSE_EXAMPLE: JsonDict = {
    "code": "attendance_duty",
    "wording": "undertake our statutory duties around school attendance",
    "regime": "uk_gdpr",
    "lawful_bases": ["6(1)(c)", "6(1)(e)"],
    "article9_condition": "9(2)(g)",
    "conditions": [_CONDITION_EXAMPLE],
    "schedule2_exemption": None,
    "legislation": ["Education Act 1996 s436A, s444"],
    "governance": False,
    "aggregate_only": False,
    "individual_decisions": True,
    "rights": ["access (Art 15)", "rectification (Art 16)", "objection (Art 21)"],
}
_CATEGORY_EXAMPLE: JsonDict = {
    "code": "special_category_health",
    "description": "Health information about a pupil, including medical reasons for absence",
    "special_category": True,
}
_SUBJECTS_EXAMPLE: JsonDict = {
    "code": "pupil",
    "description": "Children and young people on the roll of a Kent school or provision",
}
_AGREEMENT_EXAMPLE: JsonDict = {
    "id": "0b7e3c52-6a1d-4f0e-9a55-3f2d8b1c7e40",
    "name": "Kent and Medway Information Sharing Agreement",
    "reference": "KMISA-2024-07",
    "purposes": ["prosecution"],
    "data_categories": ["identity_contact", "attendance"],
    "districts": [],
    "starts_on": "2026-01-01",
    "ends_on": None,
}
_RECIPIENT_EXAMPLE: JsonDict = {
    "code": "kent-police",
    "name": "Kent Police",
    "kind": "police",
    "notice_wording": "professionals from Kent Police",
    "agreements": [_AGREEMENT_EXAMPLE],
}
_RETENTION_EXAMPLE: JsonDict = {
    "record_type": "licensing_adult",
    "description": "Employers, producers and chaperones, with their licences and approvals",
    "starts": "last_licence_ends",
    "years": 6,
    "action": "delete",
    "reason": "Kept for six years after the last licence or approval they are on ends.",
    "source": "Limitation Act 1980 ss2, 5; council retention schedule",
    "policy_version": 1,
}
_TRANSFERS_EXAMPLE: JsonDict = {
    "transfers": [],
    "statement": "No personal data is transferred outside the United Kingdom.",
}
_MEASURE_EXAMPLE: JsonDict = {
    "code": "audit_chain",
    "measure": "Tamper-evident audit trail",
    "detail": "Every decision of the policy layer and every change is an append-only event "
    "carrying the SHA-256 hash of the one before.",
}
_LOGGING_EXAMPLE: JsonDict = {
    "operation": "consultation",
    "how": "Every read is a decision event: the purpose as justification, the case it serves, "
    "the time and the caller; the people whose data was returned are indexed by id.",
}
_LAW_ENFORCEMENT_EXAMPLE: JsonDict = {
    "purpose": "prosecution",
    "competent_authority": "Kent County Council prosecutes offences under the Education Act "
    "1996 s444 as a competent authority (DPA 2018 s30(1)(b), Sch 7).",
    "legal_basis": "DPA 2018 s35(2)(b): necessary for a law enforcement task of the council",
    "sensitive_processing": [_SCH8_EXAMPLE],
    "legislation": ["Education Act 1996 s444, s444A, s446"],
    "profiling": "None: no decision is made by automated means.",
    "recipients": ["hmcts", "kent-police"],
    "retention": ["pupil_linked"],
    "logging": [_LOGGING_EXAMPLE],
}
_RECORD_EXAMPLE: JsonDict = {
    "controller": _CONTROLLER_EXAMPLE,
    "generated_at": "2026-12-04T10:15:00Z",
    "purposes": [_PURPOSE_EXAMPLE],
    "data_categories": [_CATEGORY_EXAMPLE],
    "data_subjects": [_SUBJECTS_EXAMPLE],
    "recipients": [_RECIPIENT_EXAMPLE],
    "retention_source": "registry",
    "retention": [_RETENTION_EXAMPLE],
    "international_transfers": _TRANSFERS_EXAMPLE,
    "security_measures": [_MEASURE_EXAMPLE],
    "law_enforcement": [_LAW_ENFORCEMENT_EXAMPLE],
}
_FINDING_EXAMPLE: JsonDict = {
    "code": "recipient_not_named",
    "severity": "high",
    "about": "north-kent-mentoring",
    "notice_says": "Nothing: the notice does not name North Kent Mentoring.",
    "processing_does": "North Kent Mentoring may receive attendance for intervention under "
    "the agreement 'Mentoring referrals' in force since 2026-11-01.",
    "source": "sharing agreements",
}
_DRIFT_EXAMPLE: JsonDict = {
    "notice_version": 1,
    "notice_published_on": "2024-09-01",
    "generated_at": "2026-12-04T10:15:00Z",
    "items": [_FINDING_EXAMPLE],
}
_NOTICE_PURPOSE_EXAMPLE: JsonDict = {
    "code": "intervention",
    "wording": "enable us to identify the most appropriate intervention to improve school "
    "attendance",
    "lawful_basis": "UK GDPR Article 6(1)(e): a task in the public interest",
    "special_category": "UK GDPR Article 9(2)(g), with DPA 2018 Sch 1 para 6 (Statutory and "
    "government purposes) and para 18 (Safeguarding of children and of individuals at risk)",
}
_NOTICE_RECIPIENT_EXAMPLE: JsonDict = {
    "code": "kent-police",
    "wording": "professionals from Kent Police",
    "under_agreement": True,
}
_NOTICE_RETENTION_EXAMPLE: JsonDict = {
    "record_type": "pupil_linked",
    "wording": "Pupils, their carers, attendance marks and figures, alerts, sensitive entries, "
    "documents, cases and every casework record, exclusions: kept until the child's 25th "
    "birthday, then destroyed.",
}
_NOTICE_RIGHTS_EXAMPLE: JsonDict = {
    "regime": "uk_gdpr",
    "purposes": ["intervention", "exclusion_support"],
    "rights": ["access (Art 15)", "rectification (Art 16)", "erasure (Art 17)"],
}
_NOTICE_LISTS_EXAMPLE: JsonDict = {
    "controller": _CONTROLLER_EXAMPLE,
    "generated_at": "2026-12-04T10:15:00Z",
    "purposes": [_NOTICE_PURPOSE_EXAMPLE],
    "data_categories": [_CATEGORY_EXAMPLE],
    "data_subjects": [_SUBJECTS_EXAMPLE],
    "recipients": [_NOTICE_RECIPIENT_EXAMPLE],
    "retention": [_NOTICE_RETENTION_EXAMPLE],
    "international_transfers": "No personal data is transferred outside the United Kingdom.",
    "rights": [_NOTICE_RIGHTS_EXAMPLE],
}


class RecordFormat(StrEnum):
    JSON = "json"
    HTML = "html"


class RecordQuery(Input):
    """Query parameters of the record: `format` chooses JSON or HTML (else `Accept` does)."""

    format: RecordFormat | None = Field(default=None, examples=["html"])


class ControllerRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONTROLLER_EXAMPLE]})

    name: str = Field(examples=["Kent County Council"])
    data_protection_officer: str = Field(examples=["Benjamin Watts"])
    contact_email: str = Field(examples=["data.protection@kent.gov.uk"])
    notice_version: int = Field(
        description="The version of the published privacy notice these details are taken from.",
        examples=[1],
    )


class RecordPurposeRead(BaseModel):
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
        description="The DPA 2018 Sch 1 or Sch 8 conditions relied on, each with its "
        "appropriate policy document."
    )
    schedule2_exemption: str | None = Field(examples=[None])
    legislation: list[str] = Field(examples=[["Education Act 1996 s436A, s444"]])
    governance: bool = Field(examples=[False])
    aggregate_only: bool = Field(examples=[False])
    individual_decisions: bool = Field(examples=[True])
    rights: list[str] = Field(examples=[["access (Art 15)", "rectification (Art 16)"]])


class DataCategoryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CATEGORY_EXAMPLE]})

    code: str = Field(examples=["special_category_health"])
    description: str = Field(examples=["Health information about a pupil"])
    special_category: bool = Field(
        description="Special category data (UK GDPR Art 9(1)).", examples=[True]
    )


class DataSubjectsRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECTS_EXAMPLE]})

    code: str = Field(examples=["pupil"])
    description: str = Field(
        examples=["Children and young people on the roll of a Kent school or provision"]
    )


class AgreementSummaryRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_AGREEMENT_EXAMPLE]})

    id: uuid.UUID = Field(examples=["0b7e3c52-6a1d-4f0e-9a55-3f2d8b1c7e40"])
    name: str = Field(examples=["Kent and Medway Information Sharing Agreement"])
    reference: str | None = Field(examples=["KMISA-2024-07"])
    purposes: list[str] = Field(examples=[["prosecution"]])
    data_categories: list[str] = Field(examples=[["identity_contact", "attendance"]])
    districts: list[str] = Field(
        description="Kent districts covered; empty for the whole county.", examples=[[]]
    )
    starts_on: date = Field(examples=["2026-01-01"])
    ends_on: date | None = Field(examples=[None])


class RecordRecipientRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RECIPIENT_EXAMPLE]})

    code: str = Field(examples=["kent-police"])
    name: str = Field(examples=["Kent Police"])
    kind: str = Field(examples=["police"])
    notice_wording: str = Field(examples=["professionals from Kent Police"])
    agreements: list[AgreementSummaryRead] = Field(
        description="The sharing agreements in force today; empty for a recipient that "
        "receives data without one (a processor, a court, the data subject)."
    )


class RetentionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_RETENTION_EXAMPLE]})

    record_type: str = Field(examples=["licensing_adult"])
    description: str = Field(examples=["Employers, producers and chaperones"])
    starts: str = Field(
        description="The event the period is counted from (`date_of_birth`: until that birthday).",
        examples=["last_licence_ends"],
    )
    years: int = Field(examples=[6])
    action: str = Field(description="`delete` or `anonymise`.", examples=["delete"])
    reason: str = Field(examples=["Kept for six years after the last licence ends."])
    source: str = Field(examples=["Limitation Act 1980 ss2, 5; council retention schedule"])
    policy_version: int | None = Field(
        description="The retention registry version in force; null where the rule comes "
        "from the schedule the service ships with.",
        examples=[1],
    )


class TransfersRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TRANSFERS_EXAMPLE]})

    transfers: list[str] = Field(
        description="Transfers to a third country or international organisation.", examples=[[]]
    )
    statement: str = Field(examples=["No personal data is transferred outside the United Kingdom."])


class SecurityMeasureRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_MEASURE_EXAMPLE]})

    code: str = Field(examples=["audit_chain"])
    measure: str = Field(examples=["Tamper-evident audit trail"])
    detail: str = Field(examples=["Every decision and every change is an append-only event."])


class LoggedOperationRead(BaseModel):
    """One kind of processing operation DPA 2018 s62(1) requires a log of, and how it is kept."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LOGGING_EXAMPLE]})

    operation: str = Field(examples=["consultation"])
    how: str = Field(examples=["Every read is a decision event in the audit trail."])


class LawEnforcementRead(BaseModel):
    """The record DPA 2018 s61 requires for a law enforcement purpose, and its s62 logging."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LAW_ENFORCEMENT_EXAMPLE]})

    purpose: str = Field(examples=["prosecution"])
    competent_authority: str = Field(examples=["Kent County Council, DPA 2018 s30(1)(b)"])
    legal_basis: str = Field(examples=["DPA 2018 s35(2)(b)"])
    sensitive_processing: list[ConditionRead] = Field(
        description="DPA 2018 Sch 8 conditions (s35(5)), each with its appropriate policy "
        "document (s42)."
    )
    legislation: list[str] = Field(examples=[["Education Act 1996 s444, s444A, s446"]])
    profiling: str = Field(examples=["None: no decision is made by automated means."])
    recipients: list[str] = Field(
        description="Codes of the recipients with an agreement in force for the purpose.",
        examples=[["kent-police"]],
    )
    retention: list[str] = Field(
        description="The record types (see `retention`) its records are kept under.",
        examples=[["pupil_linked"]],
    )
    logging: list[LoggedOperationRead] = Field(
        description="The operations DPA 2018 s62(1) requires a log of, and how each is logged."
    )


class ProcessingRecordRead(BaseModel):
    """The record of processing activities (UK GDPR Art 30(1); DPA 2018 s61 for law
    enforcement processing), rendered from the live registry."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECORD_EXAMPLE]})

    controller: ControllerRead
    generated_at: AwareDatetime = Field(examples=["2026-12-04T10:15:00Z"])
    purposes: list[RecordPurposeRead]
    data_categories: list[DataCategoryRead]
    data_subjects: list[DataSubjectsRead]
    recipients: list[RecordRecipientRead] = Field(
        description="Every active recipient, with its agreements in force today."
    )
    retention_source: str = Field(
        description="`registry` (the retention registry's current versions) or `schedule` "
        "(the schedule the service ships with, where the registry holds no rule).",
        examples=["registry"],
    )
    retention: list[RetentionRead]
    international_transfers: TransfersRead
    security_measures: list[SecurityMeasureRead]
    law_enforcement: list[LawEnforcementRead] = Field(
        description="The DPA 2018 s61 record and s62 logging for each law enforcement purpose."
    )


class Severity(StrEnum):
    #: The notice misstates the law relied on, or does not name someone data goes to.
    HIGH = "high"
    #: Something the service processes is missing from the notice.
    MEDIUM = "medium"
    #: Wording, or a statement the law requires that the notice leaves out.
    LOW = "low"


class DriftFindingRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_FINDING_EXAMPLE]})

    code: str = Field(examples=["recipient_not_named"])
    severity: Severity = Field(examples=["high"])
    about: str = Field(
        description="What the finding is about: a purpose, recipient, category, record type "
        "or right code.",
        examples=["north-kent-mentoring"],
    )
    notice_says: str = Field(examples=["Nothing: the notice does not name this recipient."])
    processing_does: str = Field(examples=["The recipient may receive attendance data."])
    source: str = Field(
        description="Where the service's side of the finding comes from.",
        examples=["sharing agreements"],
    )


class DriftReportRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_DRIFT_EXAMPLE]})

    notice_version: int = Field(examples=[1])
    notice_published_on: date = Field(examples=["2024-09-01"])
    generated_at: AwareDatetime = Field(examples=["2026-12-04T10:15:00Z"])
    items: list[DriftFindingRead] = Field(
        description="Everything the notice does not say or says wrongly; empty when it "
        "matches the service."
    )


class NoticePurposeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NOTICE_PURPOSE_EXAMPLE]})

    code: str = Field(examples=["intervention"])
    wording: str = Field(examples=["enable us to identify the most appropriate intervention"])
    lawful_basis: str = Field(examples=["UK GDPR Article 6(1)(e): a task in the public interest"])
    special_category: str | None = Field(
        examples=["UK GDPR Article 9(2)(g), with DPA 2018 Sch 1 para 6"]
    )


class NoticeRecipientRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NOTICE_RECIPIENT_EXAMPLE]})

    code: str = Field(examples=["kent-police"])
    wording: str = Field(examples=["professionals from Kent Police"])
    under_agreement: bool = Field(
        description="Whether a sharing agreement with the recipient is in force today.",
        examples=[True],
    )


class NoticeRetentionRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NOTICE_RETENTION_EXAMPLE]})

    record_type: str = Field(examples=["pupil_linked"])
    wording: str = Field(examples=["Kept until the child's 25th birthday, then destroyed."])


class NoticeRightsRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_NOTICE_RIGHTS_EXAMPLE]})

    regime: str = Field(examples=["uk_gdpr"])
    purposes: list[str] = Field(examples=[["intervention"]])
    rights: list[str] = Field(examples=[["access (Art 15)"]])


class NoticeListsRead(BaseModel):
    """The lists of the privacy notice, as the service would write them today."""

    model_config = ConfigDict(json_schema_extra={"examples": [_NOTICE_LISTS_EXAMPLE]})

    controller: ControllerRead
    generated_at: datetime = Field(examples=["2026-12-04T10:15:00Z"])
    purposes: list[NoticePurposeRead]
    data_categories: list[DataCategoryRead]
    data_subjects: list[DataSubjectsRead]
    recipients: list[NoticeRecipientRead]
    retention: list[NoticeRetentionRead]
    international_transfers: str = Field(
        examples=["No personal data is transferred outside the United Kingdom."]
    )
    rights: list[NoticeRightsRead] = Field(
        description="The rights people have, grouped by the purposes that give the same ones."
    )
