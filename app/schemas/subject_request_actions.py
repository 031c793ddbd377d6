"""Shapes for acting on a data-subject request: which right applies to each record held about
the person, record by record, from the lawful basis it is held on; and the actions taken
(rectification, restriction and its lifting, objections and their decision, erasure).

What each action does is described in ``docs/subject-requests.md`` ("Acting on a request").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    RootModel,
    ValidationError,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.models.subject_requests import ActionKind, RequestRight
from app.models.subjects import ObjectionStatus
from app.policies.registry import Purpose
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    Cursor,
    Input,
    JsonBool,
    Output,
    Page,
    bounded,
    schema_examples,
)
from app.schemas.licensing_people import PersonUpdate
from app.schemas.people import CarerUpdate, PupilUpdate
from app.schemas.subject_requests import QueuedMessageRead

Reasons = Annotated[str, bounded(2000), PRINTABLE]
#: An objection's decision is kept on the objection itself, in at most 500 characters.
DecisionReasons = Annotated[str, bounded(500), PRINTABLE]
#: What the requester is told verbatim in a letter or email: one line, as Notify takes it.
ToldText = Annotated[str, bounded(200), PRINTABLE]
#: An entity tag as the record's `ETag` header gave it, quotes included.
EntityTag = Annotated[str, bounded(100)]

# --- examples --------------------------------------------------------------------------------

#: The demo restriction request and its confirmed match (``app.demo_subject_requests``).
EXAMPLE_REQUEST_ID = "9179e74b-ae09-510b-a21c-2b40a14eb431"
EXAMPLE_MATCH_ID = "3f388cd7-98db-5356-a7af-612f47f248be"
_ACTION_ID = "0c9b749b-5b5c-5d3c-bfbb-8f7d9ab9de75"
_PUPIL_ID = "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f"
_SUBJECT_ID = "04723476-94c3-5085-838e-5f8aba4fd76e"
_CASE_ID = "7e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"
_RECIPIENT_ID = "d4a0c1f3-7a2e-5b7c-9e61-3f0b8a5c2d19"
_REASONS_RESTRICT = (
    "Ms Tillbrook disputes the reasons recorded for Isla's absences in October. Their use is "
    "restricted while the school's register is checked (UK GDPR Art 18(1)(a))."
)
_RESTRICTION_REASON = (
    "You can ask us to limit what we do with this information while its accuracy or our use "
    "of it is checked, or where you need it kept for a legal claim."
)

# --- the grounds an action relies on ---------------------------------------------------------


@schema_examples("accuracy_contested")
class RestrictionBasis(StrEnum):
    """Why processing is restricted (UK GDPR Art 18(1); DPA 2018 s47(2) for law enforcement
    records)."""

    #: Art 18(1)(a), s47(2)(a): the person contests the accuracy, while it is checked.
    ACCURACY_CONTESTED = "accuracy_contested"
    #: Art 18(1)(b): unlawful processing, and the person asks for restriction, not erasure.
    UNLAWFUL_PROCESSING = "unlawful_processing"
    #: Art 18(1)(c): no longer needed by the council, but the person needs it for a claim.
    NEEDED_FOR_LEGAL_CLAIMS = "needed_for_legal_claims"
    #: Art 18(1)(d): an objection (Art 21(1)) is being decided.
    OBJECTION_PENDING = "objection_pending"
    #: DPA 2018 s47(2)(b): law enforcement data kept as evidence instead of being erased.
    KEPT_AS_EVIDENCE = "kept_as_evidence"


@schema_examples("no_longer_needed")
class ErasureGround(StrEnum):
    """Why records are erased (UK GDPR Art 17(1); DPA 2018 s47(1))."""

    #: Art 17(1)(a): no longer needed for the purpose they were collected for.
    NO_LONGER_NEEDED = "no_longer_needed"
    #: Art 17(1)(c): an objection was upheld and there are no overriding grounds.
    OBJECTION_UPHELD = "objection_upheld"
    #: Art 17(1)(d), s47(1)(a): they should not have been held.
    UNLAWFULLY_PROCESSED = "unlawfully_processed"
    #: Art 17(1)(e), s47(1)(b): the law requires the council to erase them.
    LEGAL_OBLIGATION_TO_ERASE = "legal_obligation_to_erase"


@schema_examples("upheld")
class ObjectionDecision(StrEnum):
    """The decision on an objection (UK GDPR Art 21(1)): `upheld` stops the purpose (what the
    legal obligation requires continues); `compelling_grounds` records compelling legitimate
    grounds that override the person's interests; `rejected` where the objection does not
    reach the processing. Reasons are kept for each."""

    UPHELD = "upheld"
    REJECTED = "rejected"
    COMPELLING_GROUNDS = "compelling_grounds"


@schema_examples("exclusion")
class RecordType(StrEnum):
    """A kind of record held about a person, by its resource name in the API."""

    PUPIL = "pupil"
    CARER = "carer"
    PERSON = "person"
    PUPIL_SENSITIVE = "pupil_sensitive"
    PUPIL_DOCUMENT = "pupil_document"
    ATTENDANCE_ALERT = "attendance_alert"
    CASE = "case"
    CASE_DOCUMENT = "case_document"
    PENALTY_NOTICE = "penalty_notice"
    EXCLUSION = "exclusion"
    LICENCE = "licence"
    LICENCE_DOCUMENT = "licence_document"
    LICENSED_ABSENCE = "licensed_absence"
    MESSAGE = "message"
    ROLL_REVIEW = "roll_review"


@schema_examples("email")
class TellBy(StrEnum):
    EMAIL = "email"
    LETTER = "letter"


# --- the actions -----------------------------------------------------------------------------

_MATCH_ID = Field(
    description="The confirmed match (`SubjectRequestMatch`) of this request the action is "
    "about: the person and their matched record.",
    examples=[EXAMPLE_MATCH_ID],
)


class _ActionCreate(Input):
    match_id: uuid.UUID = _MATCH_ID


_RECTIFIED: JsonDict = {
    "kind": "rectified",
    "match_id": EXAMPLE_MATCH_ID,
    "record_etag": '"5f0c2a9e41d3-1"',
    "pupil": {"address_lines": ["3 Hopgarden Lane", "Canterbury"], "postcode": "CT2 7NA"},
    "reasons": "Council tax bill seen: the family moved in August; the roll had the old address.",
}


class RectifiedCreate(_ActionCreate):
    """Correct the matched record (UK GDPR Art 16; DPA 2018 s46): the fields the request says
    are wrong, as a JSON merge patch under the record's own type (`pupil`, `carer` or
    `person`, whichever the match is), checked as that record's own update checks them."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECTIFIED]})

    kind: Literal[ActionKind.RECTIFIED] = Field(examples=["rectified"])
    record_etag: EntityTag = Field(
        description="The record's `ETag` from your last read of it (quotes included): a "
        "record changed since is refused with 412.",
        examples=['"5f0c2a9e41d3-1"'],
    )
    pupil: PupilUpdate | None = Field(
        default=None, description="The changes, where the match is a pupil."
    )
    carer: CarerUpdate | None = Field(
        default=None, description="The changes, where the match is a carer."
    )
    person: PersonUpdate | None = Field(
        default=None, description="The changes, where the match is a person on a licence."
    )
    reasons: Reasons = Field(
        description="What shows the record was wrong (evidence seen), for the request's file.",
        examples=[_RECTIFIED["reasons"]],
    )

    @model_validator(mode="after")
    def _one_record(self) -> Self:
        given = [name for name in ("pupil", "carer", "person") if getattr(self, name)]
        if len(given) != 1:
            raise ValueError("give the changes under exactly one of pupil, carer or person")
        return self

    @property
    def record_type(self) -> str:
        return next(name for name in ("pupil", "carer", "person") if getattr(self, name))

    def changes(self) -> dict[str, Any]:
        for patch in (self.pupil, self.carer, self.person):
            if patch is not None:
                return patch.changes()
        return {}


_RESTRICTED: JsonDict = {
    "kind": "restricted",
    "match_id": EXAMPLE_MATCH_ID,
    "ground": "accuracy_contested",
    "reasons": _REASONS_RESTRICT,
}


class RestrictedCreate(_ActionCreate):
    """Restrict processing of everything about the person (UK GDPR Art 18; DPA 2018 s47(2)).
    The policy layer applies it at once: their records are kept, and served only for what
    Art 18(2) allows (answering their own requests, a live legal claim, retention)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RESTRICTED]})

    kind: Literal[ActionKind.RESTRICTED] = Field(examples=["restricted"])
    ground: RestrictionBasis
    reasons: Reasons = Field(examples=[_REASONS_RESTRICT])


_LIFTED: JsonDict = {
    "kind": "restriction_lifted",
    "match_id": EXAMPLE_MATCH_ID,
    "reasons": "The school's register was checked against its paper records: the reasons "
    "recorded are correct. Ms Tillbrook was told by email before the restriction was lifted.",
    "told": None,
    "tell_by": None,
}


class RestrictionLiftedCreate(_ActionCreate):
    """Lift a restriction, with reasons. The requester is told before it is lifted (UK GDPR
    Art 18(3)): the letter or email is queued in the same transaction."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LIFTED]})

    kind: Literal[ActionKind.RESTRICTION_LIFTED] = Field(examples=["restriction_lifted"])
    reasons: Reasons = Field(
        description="Why the restriction ends (for the request's file).",
        examples=[_LIFTED["reasons"]],
    )
    told: ToldText | None = Field(
        default=None,
        description="What the requester is told, verbatim; a standard sentence when left out.",
        examples=[None],
    )
    tell_by: TellBy | None = Field(
        default=None,
        description="Email or letter; by email where an address is held, else by letter, "
        "when left out.",
        examples=[None],
    )


_OBJECTION: JsonDict = {
    "kind": "objection_recorded",
    "match_id": EXAMPLE_MATCH_ID,
    "purpose": "intervention",
    "restrict_pending": True,
    "reasons": "Ms Tillbrook objects to referrals to support services: Isla is already "
    "supported by her GP and the school nurse.",
}


class ObjectionRecordedCreate(_ActionCreate):
    """Record an objection to processing for one purpose (UK GDPR Art 21(1)): only where the
    person's records for that purpose are held on 6(1)(e). With `restrict_pending` the
    person also asked for restriction while it is decided (Art 18(1)(d)): the purpose
    stops at once; otherwise it stops when the objection is upheld."""

    model_config = ConfigDict(json_schema_extra={"examples": [_OBJECTION]})

    kind: Literal[ActionKind.OBJECTION_RECORDED] = Field(examples=["objection_recorded"])
    purpose: Purpose = Field(description="The purpose objected to.", examples=["intervention"])
    restrict_pending: JsonBool = Field(
        default=False,
        description="Restriction asked for while the objection is decided (Art 18(1)(d)).",
        examples=[True],
    )
    reasons: Reasons = Field(
        description="The grounds relating to the person's particular situation.",
        examples=[_OBJECTION["reasons"]],
    )


_DECIDED: JsonDict = {
    "kind": "objection_decided",
    "match_id": EXAMPLE_MATCH_ID,
    "purpose": "intervention",
    "outcome": "upheld",
    "reasons": "No compelling grounds: the support Isla needs is already in place.",
}


class ObjectionDecidedCreate(_ActionCreate):
    """Decide an objection recorded for a purpose (UK GDPR Art 21(1)), with reasons."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DECIDED]})

    kind: Literal[ActionKind.OBJECTION_DECIDED] = Field(examples=["objection_decided"])
    purpose: Purpose = Field(examples=["intervention"])
    outcome: ObjectionDecision
    reasons: DecisionReasons = Field(examples=[_DECIDED["reasons"]])


_RECORD_REF: JsonDict = {"resource_type": "exclusion", "resource_id": _CASE_ID}


class RecordRef(Input):
    """One record held about the person (as `GET .../applicability` lists them)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECORD_REF]})

    resource_type: RecordType
    resource_id: uuid.UUID = Field(examples=[_CASE_ID])


_ERASED: JsonDict = {
    "kind": "erased",
    "match_id": EXAMPLE_MATCH_ID,
    "records": [_RECORD_REF],
    "ground": "no_longer_needed",
    "reasons": "The suspension was withdrawn by the governing board and no support case "
    "followed; the record is no longer needed for exclusion support.",
}


class ErasedCreate(_ActionCreate):
    """Erase records of the person where the right to erasure reaches them (UK GDPR Art 17;
    DPA 2018 s47(1)), all in one transaction: a record whose lawful basis refuses erasure
    (6(1)(c), Art 17(3)(b)) refuses the whole action with 409 naming the rule. What was
    erased is recorded by type, id and row counts, never the data."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ERASED]})

    kind: Literal[ActionKind.ERASED] = Field(examples=["erased"])
    records: list[RecordRef] = Field(min_length=1, max_length=50)
    ground: ErasureGround
    reasons: Reasons = Field(examples=[_ERASED["reasons"]])

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        keys = [(r.resource_type, r.resource_id) for r in self.records]
        if len(set(keys)) != len(keys):
            raise ValueError("name each record once")
        return self


AnyActionCreate = (
    RectifiedCreate
    | RestrictedCreate
    | RestrictionLiftedCreate
    | ObjectionRecordedCreate
    | ObjectionDecidedCreate
    | ErasedCreate
)
_KINDS = tuple(kind.value for kind in ActionKind)


class SubjectRequestActionCreate(
    RootModel[Annotated[AnyActionCreate, Field(discriminator="kind")]]
):
    """An action of one kind; `kind` decides the rest of the body."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RESTRICTED]})

    @model_validator(mode="wrap")
    @classmethod
    def _pointers_into_the_body(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Report errors where they are in the body as sent (``/reasons``), not under the
        union's tag (``/restricted/reasons``)."""
        try:
            return handler(data)
        except ValidationError as exc:
            errors: list[InitErrorDetails] = []
            for error in exc.errors():
                if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                    errors.append(
                        {
                            "type": "literal_error",
                            "loc": ("kind",),
                            "input": None,
                            "ctx": {"expected": ", ".join(f"'{k}'" for k in _KINDS)},
                        }
                    )
                    continue
                loc = error["loc"]
                if loc and loc[0] in _KINDS:
                    loc = loc[1:]
                errors.append(
                    {
                        "type": PydanticCustomError(error["type"], error["msg"]),
                        "loc": loc,
                        "input": error["input"],
                    }
                )
            raise ValidationError.from_exception_data(exc.title, errors) from None


# --- reading an action -----------------------------------------------------------------------

_CHANGE: JsonDict = {
    "field": "postcode",
    "before": "CT1 4XT",
    "after": "CT2 7NA",
}


class FieldChangeRead(Output):
    """One field a rectification changed: its value before and after."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHANGE]})

    field: str
    before: Any = Field(description="The value held before (null where there was none).")
    after: Any = Field(description="The value held after (null where it was removed).")


_ERASED_READ: JsonDict = {
    "resource_type": "exclusion",
    "resource_id": _CASE_ID,
    "lawful_basis": "6(1)(e)",
    "provision": "UK GDPR Art 17(3)(b)",
    "method": "deleted",
    "rows": {"exclusions": 1},
}


class ErasedRecordRead(Output):
    """One record erased: what it was, the basis it was held on, how it was erased and how
    many rows went, per table. Never its content."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ERASED_READ]})

    resource_type: str
    resource_id: str
    lawful_basis: str
    provision: str = Field(description="The provision the right to erasure was weighed under.")
    method: str = Field(description="`deleted`: the record and its parts were deleted.")
    rows: dict[str, int] = Field(description="Rows deleted, by table.")


_RECIPIENT: JsonDict = {
    "recipient_id": _RECIPIENT_ID,
    "name": "Kent Police (synthetic)",
    "kind": "police",
    "disclosures": 1,
    "last_disclosed_at": "2026-11-20T14:05:00Z",
}


class RecipientToTellRead(Output):
    """A recipient the person's data was disclosed to, who must be told of a rectification,
    erasure or restriction unless that proves impossible or disproportionate (UK GDPR Art
    19); from the disclosure log."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECIPIENT]})

    recipient_id: uuid.UUID
    name: str
    kind: str
    disclosures: int = Field(description="How many disclosures of the person's data it had.")
    last_disclosed_at: datetime | None


_ACTION_READ: JsonDict = {
    "id": _ACTION_ID,
    "request_id": EXAMPLE_REQUEST_ID,
    "kind": "restricted",
    "subject_id": _SUBJECT_ID,
    "resource_type": "pupil",
    "resource_id": _PUPIL_ID,
    "fields": [],
    "changes": None,
    "changes_sha256": None,
    "ground": "accuracy_contested",
    "purpose": None,
    "objection_outcome": None,
    "erased": None,
    "recipients_to_tell": [_RECIPIENT],
    "reasons": _REASONS_RESTRICT,
    "message_id": None,
    "messages": [],
    "performed_by": "governance-1",
    "performed_at": "2026-12-03T10:30:00Z",
}


class SubjectRequestActionRead(Output):
    """An action taken in answer to a request."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ACTION_READ]})

    id: uuid.UUID
    request_id: uuid.UUID
    kind: ActionKind
    subject_id: uuid.UUID = Field(description="The person acted on (the match's subject).")
    resource_type: str | None = Field(description="The matched record's type.")
    resource_id: str | None
    fields: list[str] = Field(description="The fields a rectification changed.")
    changes: list[FieldChangeRead] | None = Field(
        description="A rectification's values before and after (kept here, never in the "
        "audit trail)."
    )
    changes_sha256: str | None = Field(
        description="The SHA-256 of the stored values, as the audit trail recorded it."
    )
    ground: str | None = Field(
        description="For a restriction, the Art 18(1) ground; for an erasure, the Art 17(1)."
    )
    purpose: str | None = Field(description="For an objection, the purpose objected to.")
    objection_outcome: ObjectionStatus | None
    erased: list[ErasedRecordRead] | None
    recipients_to_tell: list[RecipientToTellRead] = Field(
        description="For a rectification, erasure or restriction: who must be told (Art 19)."
    )
    reasons: str
    message_id: uuid.UUID | None = Field(
        description="The letter or email that told the requester (before a restriction was "
        "lifted, Art 18(3))."
    )
    messages: list[QueuedMessageRead] = Field(
        default_factory=list, description="Letters and emails this call queued."
    )
    performed_by: str
    performed_at: datetime


class SubjectRequestActionPage(Page[SubjectRequestActionRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_ACTION_READ], "next_cursor": None}]}
    )


class ActionFilters(Input):
    """Query parameters of ``GET /v1/subject-requests/{request_id}/actions``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- applicability ---------------------------------------------------------------------------

_RECORD: JsonDict = {
    "resource_type": "pupil",
    "resource_id": _PUPIL_ID,
    "lawful_basis": "6(1)(c),6(1)(e)",
    "law_enforcement": False,
    "purposes": ["attendance_duty", "intervention"],
    "applies": True,
    "conditional": False,
    "provision": "UK GDPR Art 18",
    "reason": _RESTRICTION_REASON,
}


class RecordApplicabilityRead(Output):
    """Whether the request's right applies to one record, from the basis it is held on."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RECORD]})

    resource_type: str
    resource_id: uuid.UUID
    lawful_basis: str = Field(description="The Article 6 basis (or DPA 2018 s35(2)(b)).")
    law_enforcement: bool = Field(
        description="Held for law enforcement (DPA 2018 Part 3): the Part 3 rights answer."
    )
    purposes: list[str] = Field(description="The purposes the record was collected for.")
    applies: bool
    conditional: bool = Field(
        description="It applies only in the circumstances the reason names: a person decides, "
        "and records why."
    )
    provision: str
    reason: str = Field(description="In plain English, for the response letter.")


_MATCH: JsonDict = {
    "match_id": EXAMPLE_MATCH_ID,
    "subject_id": _SUBJECT_ID,
    "record_type": "pupil",
    "record_id": _PUPIL_ID,
    "records": [_RECORD],
}


class MatchApplicabilityRead(Output):
    """A confirmed match and every record held about the person."""

    model_config = ConfigDict(json_schema_extra={"examples": [_MATCH]})

    match_id: uuid.UUID
    subject_id: uuid.UUID
    record_type: str
    record_id: uuid.UUID
    records: list[RecordApplicabilityRead]


_BASIS: JsonDict = {
    "lawful_basis": "6(1)(c),6(1)(e)",
    "law_enforcement": False,
    "records": 1,
    "applies": True,
    "conditional": False,
    "provision": "UK GDPR Art 18",
    "reason": _RESTRICTION_REASON,
}


class BasisApplicabilityRead(Output):
    """The answer for every record held on one basis: one paragraph of the letter."""

    model_config = ConfigDict(json_schema_extra={"examples": [_BASIS]})

    lawful_basis: str
    law_enforcement: bool
    records: int = Field(description="How many of the records are held on this basis.")
    applies: bool
    conditional: bool
    provision: str
    reason: str


_APPLICABILITY: JsonDict = {
    "request_id": EXAMPLE_REQUEST_ID,
    "right": "restriction",
    "matches": [_MATCH],
    "bases": [_BASIS],
}


class ApplicabilityRead(Output):
    """Whether the request's right applies, record by record, for every confirmed match."""

    model_config = ConfigDict(json_schema_extra={"examples": [_APPLICABILITY]})

    request_id: uuid.UUID
    right: RequestRight
    matches: list[MatchApplicabilityRead]
    bases: list[BasisApplicabilityRead] = Field(
        description="The answer per lawful basis across all the records, for the letter."
    )
