"""Answering a data-subject request: the search for the subject's records, the possible
matches a person confirms or rejects, the answer for each record (released, withheld under
an exemption, restricted under DPA 2018 s45(4), for third-party review), and the access
bundle itself, as JSON (these shapes) or as a readable HTML page.

What each part means is described in ``docs/subject-requests.md``.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from app.models.subject_requests import Exemption, ItemDecision, MatchStatus, RequestRight
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    Output,
    Page,
    bounded,
    schema_examples,
)
from app.schemas.contact import Email, Phone
from app.schemas.subject_requests import EXAMPLE_REQUEST_ID

Reasons = Annotated[str, bounded(2000), PRINTABLE]

_PUPIL_ID = "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"
_PUPIL_SUBJECT_ID = "0b1c2d3e-4f50-5617-8293-a4b5c6d7e8f9"
_MATCH_ID = "5a0c7c1e-6a3f-5b8e-9d21-3c4b5a6d7e8f"
_ITEM_ID = "6b1d8d2f-7b40-5c9f-8e32-4d5c6b7e8f90"
_DISCLOSURE_ID = "7c2e9e30-8c51-5da0-9f43-5e6d7c8f9012"
_RECIPIENT_ID = "8a9a6d49-d291-508f-9494-1845b264df94"
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"


# --- the search -------------------------------------------------------------------------------

_SEARCH: JsonDict = {"email": None, "phone": None}


class SubjectSearchCreate(Input):
    """Search every module for the person the request is about, by the identifiers the
    request holds (`subject_details`: UPN, names and other names, date of birth, postcode,
    school; for the subject's own request, the requester's email address and phone number),
    and any contact details the requester gave for the subject here."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCH]})

    email: Email | None = Field(
        default=None,
        description="An email address the subject uses (a parent or an adult on a licence is "
        "found by it).",
        examples=[None],
    )
    phone: Phone | None = Field(
        default=None, description="A phone number the subject uses.", examples=[None]
    )


@schema_examples("pupil")
class MatchRecordType(StrEnum):
    """What kind of record matched: a pupil, a carer, or a person on a licence (a child not on
    a Kent roll, a parent, an employer, a producer or a chaperone)."""

    PUPIL = "pupil"
    CARER = "carer"
    PERSON = "person"


@schema_examples("identifier")
class MatchStrength(StrEnum):
    """How strongly the identifiers agree, strongest first: an `identifier` (the UPN), the
    `name_and_date_of_birth`, `contact_details` (an email address or phone number), the
    `name_and_postcode`, or the `name_only`. Every match is possible until a person decides:
    none is confirmed by the search."""

    IDENTIFIER = "identifier"
    NAME_AND_DATE_OF_BIRTH = "name_and_date_of_birth"
    CONTACT_DETAILS = "contact_details"
    NAME_AND_POSTCODE = "name_and_postcode"
    NAME_ONLY = "name_only"


_MATCHED_RECORD: JsonDict = {
    "name": "Isla Tillbrook",
    "date_of_birth": "2016-09-29",
    "upn": "P999000026313",
    "postcode": "CT1 4XT",
    "school_urns": [990028],
    "description": "Pupil",
}


class MatchedRecordRead(Output):
    """Who the matched record is, so a person can judge whether it is the subject."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MATCHED_RECORD]})

    name: str = Field(description="Legal names as the record holds them.")
    date_of_birth: date | None
    upn: str | None
    postcode: str | None
    school_urns: list[int] = Field(
        description="Schools the pupil is or was on the roll of (pupils only)."
    )
    description: str = Field(description="What the record is (pupil, carer, person on a licence).")


_MATCH: JsonDict = {
    "id": _MATCH_ID,
    "request_id": EXAMPLE_REQUEST_ID,
    "subject_id": _PUPIL_SUBJECT_ID,
    "record_type": "pupil",
    "record_id": _PUPIL_ID,
    "status": "possible",
    "matched_on": ["upn", "legal_names", "date_of_birth", "postcode", "school_urn"],
    "strength": "identifier",
    "record": _MATCHED_RECORD,
    "decided_by": None,
    "decided_at": None,
}


class MatchRead(Output):
    """A record the request may be about: what matched, and the decision on it (who, when).
    Only confirmed matches go into the bundle."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MATCH]})

    id: uuid.UUID
    request_id: uuid.UUID
    subject_id: uuid.UUID = Field(description="The matched record's data subject.")
    record_type: MatchRecordType
    record_id: uuid.UUID
    status: MatchStatus
    matched_on: list[str] = Field(
        description="The identifiers that agree: `upn`, `legal_names`, `other_names`, "
        "`date_of_birth`, `postcode`, `school_urn`, `email`, `phone`."
    )
    strength: MatchStrength
    record: MatchedRecordRead | None = Field(
        description="The matched record as held now (null if it has since been erased)."
    )
    decided_by: str | None
    decided_at: datetime | None


class MatchPage(Page[MatchRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_MATCH], "next_cursor": _NEXT}]}
    )


class MatchFilters(Input):
    """Query parameters of ``GET /v1/subject-requests/{request_id}/matches``."""

    status: MatchStatus | None = Field(default=None, examples=["possible"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


_SEARCH_READ: JsonDict = {
    "request_id": EXAMPLE_REQUEST_ID,
    "searched_on": "2026-12-02",
    "searched_by": ["UPN", "legal name", "date of birth", "postcode"],
    "modules": ["pupils", "carers", "people on licences"],
    "found": 1,
    "added": 1,
    "limit_reached": False,
    "search_record_written": True,
    "matches": [_MATCH],
}


class SearchRead(Output):
    """What a search found: every match now on the request, and how many this search added
    (a record already matched keeps its match and decision)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEARCH_READ]})

    request_id: uuid.UUID
    searched_on: date
    searched_by: list[str] = Field(description="The identifiers searched by (never their values).")
    modules: list[str]
    found: int = Field(description="Records whose identifiers matched.")
    added: int = Field(description="Matches this search added to the request.")
    limit_reached: bool = Field(
        description="A name matched more records of one kind than a search records: narrow it "
        "with a date of birth, UPN or contact details."
    )
    search_record_written: bool = Field(
        description="The request had no search record: this search was recorded as it."
    )
    matches: list[MatchRead]


@schema_examples("confirmed")
class MatchDecisionKind(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


_MATCH_DECISION: JsonDict = {"decision": "confirmed"}


class MatchDecisionCreate(Input):
    """Confirm that a matched record is the subject's, or reject it. Decided by a person; a
    decision may be changed while the request is open."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MATCH_DECISION]})

    decision: MatchDecisionKind = Field(examples=["confirmed"])


# --- item decisions -------------------------------------------------------------------------


@schema_examples("case_event")
class BundleResourceType(StrEnum):
    """The kinds of record an access bundle holds, one item each."""

    PUPIL = "pupil"
    CARER = "carer"
    PERSON = "person"
    CARER_RELATIONSHIP = "carer_relationship"
    SENSITIVE_ENTRY = "sensitive_entry"
    PUPIL_DOCUMENT = "pupil_document"
    ATTENDANCE = "attendance"
    ATTENDANCE_ALERT = "attendance_alert"
    EXCLUSION = "exclusion"
    ROLL_REVIEW = "roll_review"
    CASE = "case"
    CASE_EVENT = "case_event"
    CASE_DOCUMENT = "case_document"
    CASE_MEETING = "case_meeting"
    ATTENDANCE_CONTRACT = "attendance_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    PENALTY_NOTICE = "penalty_notice"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order"
    PROSECUTION = "prosecution"
    LICENCE = "licence"
    LICENCE_DOCUMENT = "licence_document"
    LICENSED_ABSENCE = "licensed_absence"
    PRODUCTION = "production"
    MESSAGE = "message"
    DISCLOSURE = "disclosure"
    ACCESS_LOG = "access_log"


@schema_examples("withheld")
class ItemDecisionKind(StrEnum):
    """`released`; `withheld` under an exemption; `restricted` (a law enforcement record,
    DPA 2018 s45(4)); `third_party_review` (hold it for a reviewer)."""

    RELEASED = "released"
    WITHHELD = "withheld"
    RESTRICTED = "restricted"
    THIRD_PARTY_REVIEW = "third_party_review"


@schema_examples("social_work_serious_harm")
class WithholdingExemption(StrEnum):
    """The exemption an item is withheld under: crime and taxation (DPA 2018 Sch 2 para 2),
    third-party data (Sch 2 paras 16-17), the serious-harm tests for social work and
    education data (Sch 3 Parts 3 and 4), legal professional privilege (Sch 2 para 19)."""

    CRIME_AND_TAXATION = "crime_and_taxation"
    THIRD_PARTY = "third_party"
    SOCIAL_WORK_SERIOUS_HARM = "social_work_serious_harm"
    EDUCATION_SERIOUS_HARM = "education_serious_harm"
    LEGAL_PROFESSIONAL_PRIVILEGE = "legal_professional_privilege"


_ITEM_DECISION: JsonDict = {
    "resource_type": "pupil",
    "resource_id": _PUPIL_ID,
    "decision": "released",
    "exemption": None,
    "reason": "The pupil's own record, released in full.",
}


class ItemDecisionInput(Input):
    """The answer for one item of the bundle, named by its `resource_type` and `resource_id`
    as the bundle shows them. A later decision on the same item replaces the earlier one."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_DECISION]})

    resource_type: BundleResourceType = Field(examples=["pupil"])
    resource_id: Annotated[str, bounded(100), PRINTABLE] = Field(examples=[_PUPIL_ID])
    decision: ItemDecisionKind = Field(examples=["released"])
    exemption: WithholdingExemption | None = Field(
        default=None, description="Required to withhold; only then.", examples=[None]
    )
    reason: Reasons | None = Field(
        default=None,
        description="Plain English for the response letter (never the withheld content): "
        "required to withhold, restrict or hold for review.",
        examples=[_ITEM_DECISION["reason"]],
    )

    @model_validator(mode="after")
    def _exemption_with_withholding(self) -> Self:
        if (self.decision is ItemDecisionKind.WITHHELD) != (self.exemption is not None):
            raise ValueError("an exemption is given to withhold an item, and only then")
        if self.decision is not ItemDecisionKind.RELEASED and self.reason is None:
            raise ValueError("say why, in words the requester can be told")
        return self


_ITEM_DECISIONS: JsonDict = {"items": [_ITEM_DECISION]}


class ItemDecisionsCreate(Input):
    """Answers for items of the bundle, recorded together (all or none)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_DECISIONS]})

    items: list[ItemDecisionInput] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _each_item_once(self) -> Self:
        keys = [(i.resource_type, i.resource_id) for i in self.items]
        if len(keys) != len(set(keys)):
            raise ValueError("each item is answered once per call")
        return self


_ITEM_DECISION_READ: JsonDict = {
    "id": _ITEM_ID,
    "resource_type": "case_event",
    "resource_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "subject_id": _PUPIL_SUBJECT_ID,
    "decision": "withheld",
    "exemption": "social_work_serious_harm",
    "provision": "DPA 2018 Sch 3 Part 3",
    "reason": "This note records a social worker's view that telling the family now would "
    "put the child at risk of serious harm.",
    "decided_by": "governance-1",
    "decided_at": "2026-12-10T14:05:00Z",
}


class ItemDecisionRead(Output):
    """The recorded answer for one item: who decided, when, and why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM_DECISION_READ]})

    id: uuid.UUID
    resource_type: str
    resource_id: str
    subject_id: uuid.UUID
    decision: ItemDecision
    exemption: Exemption | None
    provision: str | None = Field(description="The provision the exemption or restriction is.")
    reason: str
    decided_by: str
    decided_at: datetime


class ItemDecisionsRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [_ITEM_DECISION_READ]}]})

    items: list[ItemDecisionRead]


# --- the bundle ---------------------------------------------------------------------------------

_PURPOSE: JsonDict = {
    "code": "attendance_duty",
    "wording": "undertake our statutory duties around school attendance",
}


class BundlePurposeRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_PURPOSE]})

    code: str
    wording: str = Field(description="The privacy notice's words for the purpose.")


_RETENTION: JsonDict = {
    "period": "Until the day before the pupil's 25th birthday (KPAS privacy notice), then "
    "made inaccessible and destroyed.",
    "retain_until": "2041-09-28",
}


class RetentionRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_RETENTION]})

    period: str
    retain_until: date | None = Field(description="The last day it is kept, where one is set.")


_RIGHT: JsonDict = {
    "right": "erasure",
    "basis": "6(1)(c),6(1)(e)",
    "applies": False,
    "conditional": False,
    "provision": "UK GDPR Art 17(3)(b)",
    "reason": "We must keep this information to comply with a legal obligation, so the right "
    "to erasure does not apply to it.",
}


class RightRead(Output):
    """Whether a right applies to the record on one of the bases it is held on, and why, in
    the words the response letter uses."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RIGHT]})

    right: RequestRight
    basis: str
    applies: bool
    conditional: bool = Field(description="It applies only in the circumstances `reason` names.")
    provision: str
    reason: str


_THIRD_PARTY: JsonDict = {
    "present": True,
    "reasons": ["names another person: a parent or carer"],
}


class ThirdPartyRead(Output):
    """Whether the item holds someone else's personal data, and what was found."""

    model_config = ConfigDict(json_schema_extra={"examples": [_THIRD_PARTY]})

    present: bool
    reasons: list[str]


_DECISION: JsonDict = {
    "decision": "third_party_review",
    "exemption": None,
    "provision": "DPA 2018 Sch 2 paras 16-17",
    "reason": "Holds personal data of someone other than the subject: review before release.",
    "decided_by": None,
    "decided_at": None,
    "automatic": True,
}


class BundleDecisionRead(Output):
    """The item's answer: recorded by a person, or (`automatic`) flagged by the service for
    third-party review, or released by default."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DECISION]})

    decision: ItemDecision
    exemption: Exemption | None
    provision: str | None
    reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    automatic: bool


_ITEM: JsonDict = {
    "resource_type": "case_event",
    "resource_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "subject_id": _PUPIL_SUBJECT_ID,
    "title": "Case KPAS-2026-000123: phone call",
    "recorded_at": "2026-11-12T10:30:00Z",
    "data": {
        "kind": "phone_call",
        "occurred_at": "2026-11-12T10:15:00Z",
        "recorded_by": "officer-1",
        "text": "Spoke to Evie Tillbrook about Isla's absences; agreed a meeting next week.",
        "details": {},
        "corrects_id": None,
    },
    "purposes": [_PURPOSE],
    "lawful_basis": ["6(1)(c),6(1)(e)"],
    "law_enforcement": False,
    "categories": ["casework"],
    "special_category": False,
    "retention": _RETENTION,
    "source": "Recorded by the council's attendance officers on the case.",
    "rights": [_RIGHT],
    "third_party": _THIRD_PARTY,
    "decision": _DECISION,
}


class BundleItemRead(Output):
    """One record about the subject, with what the council must tell them about it (UK GDPR
    Art 15(1)-(2); DPA 2018 s45(2)): why it is held and on which basis, what kind of data it
    is, how long it is kept, where it came from, and the rights that apply to it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM]})

    resource_type: BundleResourceType
    resource_id: str
    subject_id: uuid.UUID = Field(description="The confirmed subject the item is about.")
    title: str
    recorded_at: datetime | None
    data: dict[str, Any] = Field(description="The record's content as held.")
    purposes: list[BundlePurposeRead]
    lawful_basis: list[str] = Field(
        description="The bases it is held on: UK GDPR Art 6(1) bases, and `s35(2)(b)` for "
        "law enforcement processing (DPA 2018 Part 3)."
    )
    law_enforcement: bool = Field(
        description="Held for `prosecution` (DPA 2018 Part 3): the Part 3 rights apply, and "
        "access may be restricted item by item (s45(4))."
    )
    categories: list[str] = Field(description="Data categories (`DataCategory` codes).")
    special_category: bool
    retention: RetentionRead
    source: str
    rights: list[RightRead]
    third_party: ThirdPartyRead
    decision: BundleDecisionRead


_SUBJECT: JsonDict = {
    "subject_id": _PUPIL_SUBJECT_ID,
    "record_type": "pupil",
    "record_id": _PUPIL_ID,
    "name": "Isla Tillbrook",
    "matched_on": ["upn", "legal_names", "date_of_birth"],
    "confirmed_by": "governance-1",
    "confirmed_at": "2026-12-02T15:40:00Z",
}


class BundleSubjectRead(Output):
    """A person confirmed as the one the request is about."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUBJECT]})

    subject_id: uuid.UUID
    record_type: MatchRecordType
    record_id: uuid.UUID
    name: str
    matched_on: list[str]
    confirmed_by: str | None
    confirmed_at: datetime | None


_RECIPIENT: JsonDict = {
    "recipient_id": _RECIPIENT_ID,
    "name": "Kent Police",
    "kind": "police",
    "disclosures": 2,
    "first_disclosed_at": "2026-10-01T09:00:00Z",
    "last_disclosed_at": "2026-11-20T14:00:00Z",
    "purposes": ["prosecution"],
    "through_the_api": 1,
}


class BundleRecipientRead(Output):
    """A recipient the subject's data was disclosed to (UK GDPR Art 15(1)(c)), from the
    disclosure log."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECIPIENT]})

    recipient_id: uuid.UUID
    name: str
    kind: str
    disclosures: int
    first_disclosed_at: datetime
    last_disclosed_at: datetime
    purposes: list[str]
    through_the_api: int = Field(description="Of them, read by the recipient through the API.")


_WITHHELD: JsonDict = {
    "resource_type": "case_event",
    "resource_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
    "decision": "withheld",
    "exemption": "social_work_serious_harm",
    "provision": "DPA 2018 Sch 3 Part 3",
    "reason": _ITEM_DECISION_READ["reason"],
}


class NotReleasedRead(Output):
    """An item left out of the released bundle: withheld under an exemption, or restricted
    (s45(4)), with the reason the requester is told."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WITHHELD]})

    resource_type: BundleResourceType
    resource_id: str
    decision: ItemDecision
    exemption: Exemption | None
    provision: str | None
    reason: str | None


_COMPLAINT: JsonDict = {
    "council": "Write to Kent County Council's Information Resilience and Transparency Team "
    "at data.protection@kent.gov.uk. We acknowledge a complaint within 30 days and tell you "
    "the outcome (Data Protection Act 2018 section 164A).",
    "ico": "You can complain to the Information Commissioner's Office: "
    "https://ico.org.uk/make-a-complaint/, telephone 0303 123 1113, or Wycliffe House, Water "
    "Lane, Wilmslow, Cheshire SK9 5AF.",
    "data_protection_officer": "Benjamin Watts",
}


class ComplaintRoutesRead(Output):
    """How to complain about the answer: to the council, and to the ICO."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPLAINT]})

    council: str
    ico: str
    data_protection_officer: str


_RELEASE: JsonDict = {
    "disclosure_id": _DISCLOSURE_ID,
    "released_at": "2026-12-21T15:50:00Z",
    "released_by": "governance-1",
}


class ReleaseRead(Output):
    """The release this bundle is: the disclosure that records it (with the SHA-256 of this
    JSON document)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RELEASE]})

    disclosure_id: uuid.UUID
    released_at: datetime
    released_by: str


_BUILT_UNDER: JsonDict = {
    "purpose": "subject_rights",
    "basis": "6(1)(c)",
    "view": "system_wide",
}


class BuiltUnderRead(Output):
    """The footing the bundle was built on: the subject-rights purpose, over every module,
    never the caller's own reach."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BUILT_UNDER]})

    purpose: str
    basis: str
    view: str


_BUNDLE: JsonDict = {
    "request_id": EXAMPLE_REQUEST_ID,
    "reference": "SR-7KQ2M9XD4P",
    "right": "access",
    "received_on": "2026-11-30",
    "due_on": "2026-12-30",
    "status": "preview",
    "generated_at": "2026-12-10T14:05:00Z",
    "built_under": _BUILT_UNDER,
    "controller": "Kent County Council",
    "subjects": [_SUBJECT],
    "items": [_ITEM],
    "recipients": [_RECIPIENT],
    "not_released": [],
    "awaiting_review": 1,
    "released_sha256": None,
    "complaints": _COMPLAINT,
    "release": None,
}


class BundleRead(Output):
    """The access bundle: every record about every confirmed subject, each with its
    purposes, basis, categories, retention, source and the rights that apply; the recipients
    their data was disclosed to; and how to complain.

    `status: preview` is the working copy (every item, with its decision). A released bundle
    (`status: released`) holds only the items released; those withheld or restricted are
    listed in `not_released` with their exemption and reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BUNDLE]})

    request_id: uuid.UUID
    reference: str
    right: RequestRight
    received_on: date
    due_on: date | None
    status: str = Field(description="`preview` or `released`.")
    generated_at: datetime
    built_under: BuiltUnderRead
    controller: str
    subjects: list[BundleSubjectRead]
    items: list[BundleItemRead]
    recipients: list[BundleRecipientRead]
    not_released: list[NotReleasedRead]
    awaiting_review: int = Field(
        description="Items awaiting third-party review: the bundle is not released until none are."
    )
    released_sha256: str | None = Field(
        description="In a preview: the SHA-256 of the bundle last released for the request, "
        "if any. Null in a released document, whose own hash is in the disclosure log."
    )
    complaints: ComplaintRoutesRead
    release: ReleaseRead | None = Field(description="Set in a released bundle.")


@schema_examples("html")
class BundleFormat(StrEnum):
    JSON = "json"
    HTML = "html"


class BundleQuery(Input):
    """Query parameters of the bundle: `format` chooses JSON or HTML (else `Accept` does)."""

    format: BundleFormat | None = Field(default=None, examples=["html"])
