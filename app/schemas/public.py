"""Shapes of the public intake (``/v1/public``): a data-subject request or a complaint made by
anyone, without a token.

What comes in is what the council needs to act: the right asked for, who asks and how to
answer them, who the request is about, in the requester's words. What goes out is a reference
and what happens next, and nothing else: never whether the council holds anything about the
person (``docs/subject-requests.md``, "Requests made by the public"; ``docs/complaints.md``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field
from pydantic.config import JsonDict

from app.models.subject_requests import RequestRight
from app.schemas.common import PRINTABLE, Input, Output, bounded
from app.schemas.complaints import ComplainantDetails, QuotedReference
from app.schemas.subject_requests import LongReasons, RequesterDetails, SubjectDetails

AuthorityEvidence = Annotated[str, bounded(500), PRINTABLE]

# --- examples --------------------------------------------------------------------------------

_REQUESTER: JsonDict = {
    "kind": "subject",
    "name": "Sam Example",
    "email": "sam.example@example.org",
    "phone": None,
    "address_lines": None,
    "postcode": None,
}
_SUBJECT_DETAILS: JsonDict = {
    "forename": "Sam",
    "surname": "Example",
    "other_names": [],
    "date_of_birth": "1990-05-17",
    "upn": None,
    "postcode": "ME14 1XQ",
    "school_urn": None,
}
_REQUEST: JsonDict = {
    "right": "access",
    "requester": _REQUESTER,
    "authority_evidence": None,
    "subject_details": _SUBJECT_DETAILS,
    "description": "Please send me a copy of the information the council's attendance "
    "service holds about me from when I was at school.",
}
_COMPLAINANT: JsonDict = {
    "name": "Sam Example",
    "email": "sam.example@example.org",
    "phone": None,
    "address_lines": None,
    "postcode": None,
}
_COMPLAINT: JsonDict = {
    "complainant": _COMPLAINANT,
    "description": "I made a request for my records and have not heard anything since the "
    "email asking for proof of my identity, which I sent the same week.",
    "request_reference": "SR-DEMORECTIF",
}
_RECEIPT: JsonDict = {
    "reference": "SR-7KQ2M9XD4P",
    "next_steps": "We have received your request. We will write to you, by email if you gave "
    "us an address, about what happens next. Quote this reference if you contact us.",
}


class PublicSubjectRequestCreate(Input):
    """A data-subject request made by a member of the public: the right asked for, who asks,
    who it is about, and what they ask for in their own words."""

    model_config = ConfigDict(json_schema_extra={"examples": [_REQUEST]})

    right: RequestRight = Field(
        description="`access` (a copy of the information held), `rectification` (correct "
        "it), `erasure`, `restriction`, `objection`, `portability`, or "
        "`automated_decisions`.",
        examples=["access"],
    )
    requester: RequesterDetails = Field(
        description="You: `kind` is `subject` when you ask about yourself, `parent_or_carer` "
        "or `representative` when you ask for someone else. Give an email address or a "
        "postal address for the answer."
    )
    authority_evidence: AuthorityEvidence | None = Field(
        default=None,
        description="When you ask for someone else: what shows you may (parental "
        "responsibility, a letter of authority, a court order). The council will ask to see "
        "it. Leave it out when you ask about yourself.",
        examples=[None],
    )
    subject_details: SubjectDetails = Field(
        description="The person the request is about (you, when you ask about yourself): "
        "their names, date of birth, and any UPN, postcode or school that helps find them."
    )
    description: LongReasons = Field(
        description="What you are asking for, in your own words.",
        examples=[_REQUEST["description"]],
    )


class PublicComplaintCreate(Input):
    """A complaint to the council about how it has used someone's personal information or
    answered a request about it (Data Protection Act 2018 s164A)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPLAINT]})

    complainant: ComplainantDetails = Field(
        description="You, and how to reach you: an email address or a postal address."
    )
    description: LongReasons = Field(
        description="What your complaint is about, in your own words.",
        examples=[_COMPLAINT["description"]],
    )
    request_reference: QuotedReference | None = Field(
        default=None,
        description="The reference of a request your complaint is about, if you have one "
        "(it starts `SR-`).",
        examples=["SR-DEMORECTIF"],
    )


class PublicReceipt(Output):
    """The reference to quote, and what happens next. The same for every submission accepted:
    it never says whether the council holds information about anyone."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECEIPT]})

    reference: str = Field(description="Quote it whenever you contact the council about this.")
    next_steps: str = Field(description="What happens next, in plain words.")
