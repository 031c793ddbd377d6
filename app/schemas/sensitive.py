"""Shapes of a pupil's special category data and identification documents.

Each entry is one category of special category data (UK GDPR Art 9), with details validated
for its category, where it came from, and the Article 9(2) condition it was recorded under.
Code lists are the DfE's, as schools return them in the school census (DfE, "Complete the
school census: find a school census code"; Common Basic Data Set items for ethnicity and SEN
type of need).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    RootModel,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.models.people import DocumentKind, SensitiveCategory, SensitiveEntry
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    Output,
    Page,
    bounded,
    schema_examples,
)
from app.schemas.contact import Email, PersonName, Phone

# --- code lists --------------------------------------------------------------------------

#: DfE ethnicity codes: each extended code with its description and the main code it rolls
#: up to (the 20 main codes roll up to themselves). Schools use main or extended codes.
ETHNICITY_CODES: dict[str, tuple[str, str]] = {
    # White - British
    "WBRI": ("White - British", "WBRI"),
    "WCOR": ("White - Cornish", "WBRI"),
    "WENG": ("White - English", "WBRI"),
    "WNIR": ("White - Northern Irish", "WBRI"),
    "WSCO": ("White - Scottish", "WBRI"),
    "WWEL": ("White - Welsh", "WBRI"),
    "WOWB": ("Other White British", "WBRI"),
    "WIRI": ("White - Irish", "WIRI"),
    "WIRT": ("Traveller of Irish heritage", "WIRT"),
    # Any other White background
    "WOTH": ("Any other White background", "WOTH"),
    "WALB": ("Albanian", "WOTH"),
    "WBOS": ("Bosnian-Herzegovinian", "WOTH"),
    "WCRO": ("Croatian", "WOTH"),
    "WGRE": ("Greek/Greek Cypriot", "WOTH"),
    "WGRK": ("Greek", "WOTH"),
    "WGRC": ("Greek Cypriot", "WOTH"),
    "WITA": ("Italian", "WOTH"),
    "WKOS": ("Kosovan", "WOTH"),
    "WPOR": ("Portuguese", "WOTH"),
    "WSER": ("Serbian", "WOTH"),
    "WTUR": ("Turkish/Turkish Cypriot", "WOTH"),
    "WTUK": ("Turkish", "WOTH"),
    "WTUC": ("Turkish Cypriot", "WOTH"),
    "WEUR": ("White European", "WOTH"),
    "WEEU": ("White Eastern European", "WOTH"),
    "WWEU": ("White Western European", "WOTH"),
    "WOTW": ("White other", "WOTH"),
    # Gypsy / Roma
    "WROM": ("Gypsy/Roma", "WROM"),
    "WROG": ("Gypsy", "WROM"),
    "WROR": ("Roma", "WROM"),
    "WROO": ("Other Gypsy/Roma", "WROM"),
    # Mixed / dual background
    "MWBC": ("White and Black Caribbean", "MWBC"),
    "MWBA": ("White and Black African", "MWBA"),
    "MWAS": ("White and Asian", "MWAS"),
    "MWAP": ("White and Pakistani", "MWAS"),
    "MWAI": ("White and Indian", "MWAS"),
    "MWAO": ("White and any other Asian background", "MWAS"),
    "MOTH": ("Any other mixed background", "MOTH"),
    "MAOE": ("Asian and any other ethnic group", "MOTH"),
    "MABL": ("Asian and Black", "MOTH"),
    "MACH": ("Asian and Chinese", "MOTH"),
    "MBOE": ("Black and any other ethnic group", "MOTH"),
    "MBCH": ("Black and Chinese", "MOTH"),
    "MCOE": ("Chinese and any other ethnic group", "MOTH"),
    "MWOE": ("White and any other ethnic group", "MOTH"),
    "MWCH": ("White and Chinese", "MOTH"),
    "MOTM": ("Other mixed background", "MOTH"),
    # Asian or Asian British
    "AIND": ("Indian", "AIND"),
    "APKN": ("Pakistani", "APKN"),
    "AMPK": ("Mirpuri Pakistani", "APKN"),
    "AKPA": ("Kashmiri Pakistani", "APKN"),
    "AOPK": ("Other Pakistani", "APKN"),
    "ABAN": ("Bangladeshi", "ABAN"),
    "AOTH": ("Any other Asian background", "AOTH"),
    "AAFR": ("African Asian", "AOTH"),
    "AKAO": ("Kashmiri other", "AOTH"),
    "ANEP": ("Nepali", "AOTH"),
    "ASNL": ("Sri Lankan Sinhalese", "AOTH"),
    "ASLT": ("Sri Lankan Tamil", "AOTH"),
    "ASRO": ("Sri Lankan other", "AOTH"),
    "AOTA": ("Other Asian", "AOTH"),
    # Black or Black British
    "BCRB": ("Black Caribbean", "BCRB"),
    "BAFR": ("Black - African", "BAFR"),
    "BANN": ("Black - Angolan", "BAFR"),
    "BCON": ("Black - Congolese", "BAFR"),
    "BGHA": ("Black - Ghanaian", "BAFR"),
    "BNGN": ("Black - Nigerian", "BAFR"),
    "BSLN": ("Black - Sierra Leonean", "BAFR"),
    "BSOM": ("Black - Somali", "BAFR"),
    "BSUD": ("Black - Sudanese", "BAFR"),
    "BAOF": ("Other Black African", "BAFR"),
    "BOTH": ("Any other Black background", "BOTH"),
    "BEUR": ("Black European", "BOTH"),
    "BNAM": ("Black North American", "BOTH"),
    "BOTB": ("Other Black", "BOTH"),
    # Chinese
    "CHNE": ("Chinese", "CHNE"),
    "CHKC": ("Hong Kong Chinese", "CHNE"),
    "CMAL": ("Malaysian Chinese", "CHNE"),
    "CSNG": ("Singaporean Chinese", "CHNE"),
    "CTWN": ("Taiwanese", "CHNE"),
    "COCH": ("Other Chinese", "CHNE"),
    # Any other ethnic group
    "OOTH": ("Any other ethnic group", "OOTH"),
    "OAFG": ("Afghan", "OOTH"),
    "OARA": ("Arab other", "OOTH"),
    "OEGY": ("Egyptian", "OOTH"),
    "OFIL": ("Filipino", "OOTH"),
    "OIRN": ("Iranian", "OOTH"),
    "OIRQ": ("Iraqi", "OOTH"),
    "OJPN": ("Japanese", "OOTH"),
    "OKOR": ("Korean", "OOTH"),
    "OKRD": ("Kurdish", "OOTH"),
    "OLAM": ("Latin/South/Central American", "OOTH"),
    "OLEB": ("Lebanese", "OOTH"),
    "OLIB": ("Libyan", "OOTH"),
    "OMAL": ("Malay", "OOTH"),
    "OMRC": ("Moroccan", "OOTH"),
    "OPOL": ("Polynesian", "OOTH"),
    "OTHA": ("Thai", "OOTH"),
    "OVIE": ("Vietnamese", "OOTH"),
    "OYEM": ("Yemeni", "OOTH"),
    "OOEG": ("Other ethnic group", "OOTH"),
    # Not known
    "REFU": ("Refused", "REFU"),
    "NOBT": ("Information not yet obtained", "NOBT"),
}

MAIN_ETHNICITY_CODES = frozenset(main for _, main in ETHNICITY_CODES.values())


def _ethnicity_code(value: str) -> str:
    code = value.strip().upper()
    if code not in ETHNICITY_CODES:
        raise ValueError("not a DfE ethnicity code")
    return code


EthnicityCode = Annotated[
    str,
    AfterValidator(_ethnicity_code),
    WithJsonSchema(
        {
            "type": "string",
            "enum": sorted(ETHNICITY_CODES),
            "description": "A DfE ethnicity code, main (`WBRI`) or extended (`WENG`).",
        }
    ),
]


@schema_examples("ASD")
class SenNeed(StrEnum):
    """SEN type of need, as the school census records a pupil's primary and secondary need."""

    SPLD = "SPLD"  # Specific learning difficulty
    MLD = "MLD"  # Moderate learning difficulty
    SLD = "SLD"  # Severe learning difficulty
    PMLD = "PMLD"  # Profound and multiple learning difficulty
    SEMH = "SEMH"  # Social, emotional and mental health
    SLCN = "SLCN"  # Speech, language and communication needs
    HI = "HI"  # Hearing impairment
    VI = "VI"  # Vision impairment
    MSI = "MSI"  # Multi-sensory impairment
    PD = "PD"  # Physical disability
    ASD = "ASD"  # Autistic spectrum disorder
    OTH = "OTH"  # Other difficulty or disability
    NSA = "NSA"  # SEN support but no specialist assessment of type of need


@schema_examples("sen_support")
class SendStatus(StrEnum):
    """SEN provision (census codes E and K)."""

    EHCP = "ehcp"  # an education, health and care plan (Children and Families Act 2014 s37)
    SEN_SUPPORT = "sen_support"


@schema_examples("medical_condition")
class HealthNeedCategory(StrEnum):
    MEDICAL_CONDITION = "medical_condition"
    DISABILITY = "disability"
    MENTAL_HEALTH = "mental_health"
    OTHER = "other"


@schema_examples("child_in_need")
class SocialCareInvolvement(StrEnum):
    CHILD_IN_NEED = "child_in_need"  # Children Act 1989 s17
    CHILD_PROTECTION_PLAN = "child_protection_plan"  # s47 enquiry, child protection conference
    LOOKED_AFTER = "looked_after"  # s20 or a care order (s31)
    CARE_LEAVER = "care_leaver"  # Children (Leaving Care) Act 2000
    EARLY_HELP = "early_help"


#: Article 9(2) conditions special category data may rest on in this service: (b) social
#: protection law, (c) vital interests, (f) legal claims, (g) substantial public interest
#: (with a DPA 2018 Schedule 1 condition), (h) health or social care. Consent (a) is not
#: offered: a public authority's statutory work cannot rest on it.
Article9Code = Literal["9(2)(b)", "9(2)(c)", "9(2)(f)", "9(2)(g)", "9(2)(h)"]
ARTICLE9_CODES: tuple[str, ...] = get_args(Article9Code)

SourceText = Annotated[
    str,
    bounded(200),
    PRINTABLE,
    Field(
        description="Where the information came from (e.g. `school census, spring 2026`, "
        "`EHCP issued by KCC SEN team`).",
        examples=["school census, spring 2026"],
    ),
]
Description = Annotated[str, bounded(500), PRINTABLE]
RoleText = Annotated[str, bounded(100), PRINTABLE]
OrganisationText = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]

# --- examples ----------------------------------------------------------------------------

_PUPIL_ID = "21c0ca72-076e-4f32-ad8e-b37ca0f6e495"
_ETHNICITY: JsonDict = {"code": "WENG"}
_HEALTH: JsonDict = {
    "description": "Type 1 diabetes: insulin pump; blood glucose checked before lunch",
    "need_category": "medical_condition",
}
_SEND: JsonDict = {
    "status": "ehcp",
    "primary_need": "ASD",
    "secondary_need": "SLCN",
    "plan_date": "2025-03-12",
}
_LEAD: JsonDict = {
    "name": "Sarah Whitcombe",
    "role": "Social worker",
    "organisation": "KCC Children's Social Work Services, Canterbury",
    "phone": "07700 900871",
    "email": "sarah.whitcombe@kent.gov.uk",
}
_SOCIAL_CARE: JsonDict = {
    "involvement": "child_in_need",
    "start_date": "2026-10-05",
    "lead_professional": _LEAD,
}
_SEND_CREATE: JsonDict = {
    "category": "send",
    "source": "EHCP issued by KCC SEN team",
    "article9_condition": "9(2)(g)",
    "details": _SEND,
}
_READ: JsonDict = {
    "pupil_id": _PUPIL_ID,
    "recorded_by": "a.pemberton@kent.gov.uk",
    "created_at": "2026-10-07T11:26:53Z",
    "updated_at": "2026-10-07T11:26:53Z",
}
_ETHNICITY_READ: JsonDict = {
    **_READ,
    "id": "d45970cc-b011-4ef7-8bd9-fadbb3632eee",
    "category": "ethnicity",
    "source": "school census, autumn 2026",
    "article9_condition": "9(2)(g)",
    "valid_from": "2026-10-01",
    "valid_to": None,
    "details": {"code": "WENG", "main_code": "WBRI"},
}
_HEALTH_READ: JsonDict = {
    **_READ,
    "id": "f3391365-8cec-4194-a546-b3f7d886e129",
    "category": "health",
    "source": "individual healthcare plan from the school nurse, October 2026",
    "article9_condition": "9(2)(h)",
    "valid_from": "2026-10-01",
    "valid_to": "2027-09-30",
    "details": _HEALTH,
}
_SEND_READ: JsonDict = {
    **_READ,
    "id": "9889866e-d3e8-49ab-9345-31a577e022fc",
    "category": "send",
    "source": "EHCP issued by KCC SEN team",
    "article9_condition": "9(2)(g)",
    "valid_from": "2025-03-12",
    "valid_to": None,
    "details": _SEND,
}
_SOCIAL_CARE_READ: JsonDict = {
    **_READ,
    "id": "a2e2d88e-739e-4c59-b8bc-90b5d85ac304",
    "category": "social_care",
    "source": "KCC Children's Social Work Services referral outcome",
    "article9_condition": "9(2)(b)",
    "valid_from": "2026-10-05",
    "valid_to": "2027-04-04",
    "details": {**_SOCIAL_CARE, "lead_professional": {**_LEAD, "phone": "+447700900871"}},
}
_DOCUMENT: JsonDict = {
    "id": "589e678e-48b9-4e10-9e5f-2fb67780e985",
    "pupil_id": _PUPIL_ID,
    "kind": "birth_certificate",
    "media_type": "application/pdf",
    "size_bytes": 284213,
    "sha256": "4b1e9f0c7a2d5e8b3c6f9a0d1e4b7c2a5d8e1f4a7b0c3d6e9f2a5b8c1d4e7f0a",
    "source": "copy taken at admission, Hopgarden Primary School",
    "article9_condition": "9(2)(g)",
    "recorded_by": "a.pemberton@kent.gov.uk",
    "created_at": "2026-09-08T14:03:26Z",
    "content_status": "available",
}


# --- details per category (input) ----------------------------------------------------------


class EthnicityDetails(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_ETHNICITY]})

    code: EthnicityCode


class HealthDetails(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_HEALTH]})

    description: Description = Field(description="The health need, as the source states it.")
    need_category: HealthNeedCategory


class SendDetails(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEND]})

    status: SendStatus
    primary_need: SenNeed
    secondary_need: SenNeed | None = None
    plan_date: CalendarDate | None = Field(
        default=None, description="When the EHC plan was issued (required for `ehcp`)."
    )

    @model_validator(mode="after")
    def _census_rules(self) -> SendDetails:
        if self.status is SendStatus.EHCP and self.plan_date is None:
            raise ValueError("an EHC plan needs its plan_date")
        if SenNeed.NSA in (self.primary_need, self.secondary_need) and (
            self.status is not SendStatus.SEN_SUPPORT or self.secondary_need is SenNeed.NSA
        ):
            raise ValueError("NSA is a primary need under SEN support only")
        if self.secondary_need is not None and self.secondary_need == self.primary_need:
            raise ValueError("the secondary need must differ from the primary need")
        return self


class LeadProfessional(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_LEAD]})

    name: PersonName
    role: RoleText
    organisation: OrganisationText
    phone: Phone | None = None
    email: Email | None = None


class SocialCareDetails(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [_SOCIAL_CARE]})

    involvement: SocialCareInvolvement
    start_date: CalendarDate
    end_date: CalendarDate | None = None
    lead_professional: LeadProfessional

    @model_validator(mode="after")
    def _ends_after_start(self) -> SocialCareDetails:
        if self.end_date is not None and self.end_date < self.start_date:
            raise ValueError("end_date must not be before start_date")
        return self


# --- creating an entry ---------------------------------------------------------------------


class _EntryCreate(Input):
    source: SourceText
    article9_condition: Article9Code = Field(
        description="The Article 9(2) condition the entry is recorded under; it must be the "
        "one the purpose of the request rests on (`GET /v1/purposes`)."
    )
    valid_from: CalendarDate | None = None
    valid_to: CalendarDate | None = None

    @model_validator(mode="after")
    def _valid_period(self) -> _EntryCreate:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to must not be before valid_from")
        return self


class EthnicityEntryCreate(_EntryCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "ethnicity",
                    "source": "school census, autumn 2026",
                    "article9_condition": "9(2)(g)",
                    "details": _ETHNICITY,
                }
            ]
        }
    )

    category: Literal[SensitiveCategory.ETHNICITY]
    details: EthnicityDetails


class HealthEntryCreate(_EntryCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "health",
                    "source": "individual healthcare plan from the school nurse, October 2026",
                    "article9_condition": "9(2)(h)",
                    "valid_from": "2026-10-01",
                    "details": _HEALTH,
                }
            ]
        }
    )

    category: Literal[SensitiveCategory.HEALTH]
    details: HealthDetails


class SendEntryCreate(_EntryCreate):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEND_CREATE]})

    category: Literal[SensitiveCategory.SEND]
    details: SendDetails


class SocialCareEntryCreate(_EntryCreate):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "category": "social_care",
                    "source": "KCC Children's Social Work Services referral outcome",
                    "article9_condition": "9(2)(b)",
                    "details": _SOCIAL_CARE,
                }
            ]
        }
    )

    category: Literal[SensitiveCategory.SOCIAL_CARE]
    details: SocialCareDetails


AnyEntryCreate = EthnicityEntryCreate | HealthEntryCreate | SendEntryCreate | SocialCareEntryCreate
_CATEGORIES = tuple(c.value for c in SensitiveCategory)


class SensitiveEntryCreate(RootModel[Annotated[AnyEntryCreate, Field(discriminator="category")]]):
    """An entry of one category; ``category`` decides the shape of ``details``."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SEND_CREATE]})

    @model_validator(mode="wrap")
    @classmethod
    def _pointers_into_the_body(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        """Report errors where they are in the request body.

        Pydantic places a tagged union's errors under the tag (``/ethnicity/details/code``)
        and names the offending tag in its message; problem responses point into the body
        as sent (``/details/code``) and never repeat what was sent.
        """
        try:
            return handler(data)
        except ValidationError as exc:
            errors: list[InitErrorDetails] = []
            for error in exc.errors():
                if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                    errors.append(
                        {
                            "type": "literal_error",
                            "loc": ("category",),
                            "input": None,
                            "ctx": {"expected": ", ".join(f"'{c}'" for c in _CATEGORIES)},
                        }
                    )
                    continue
                loc = error["loc"]
                if loc and loc[0] in _CATEGORIES:
                    loc = loc[1:]
                detail: InitErrorDetails = {
                    "type": PydanticCustomError(error["type"], error["msg"]),
                    "loc": loc,
                    "input": error["input"],
                }
                errors.append(detail)
            raise ValidationError.from_exception_data(exc.title, errors) from None


def stored_details(entry: AnyEntryCreate) -> dict[str, Any]:
    """The details as stored (JSON), with derived fields added."""
    details = entry.details.model_dump(mode="json", exclude_none=True)
    if isinstance(entry, EthnicityEntryCreate):
        details["main_code"] = ETHNICITY_CODES[entry.details.code][1]
    return details


# --- reading -------------------------------------------------------------------------------
# Read shapes take stored values as they are (a code since retired still reads back).


class EthnicityDetailsRead(Output):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "WENG", "main_code": "WBRI"}]}
    )

    code: str
    main_code: str | None = Field(default=None, description="The main code it rolls up to.")


class HealthDetailsRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_HEALTH]})

    description: str
    need_category: str


class SendDetailsRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEND]})

    status: str
    primary_need: str
    secondary_need: str | None = None
    plan_date: date | None = None


class LeadProfessionalRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_LEAD, "phone": "+447700900871"}]})

    name: str
    role: str
    organisation: str
    phone: str | None = None
    email: str | None = None


class SocialCareDetailsRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_SOCIAL_CARE_READ["details"]]})

    involvement: str
    start_date: date
    end_date: date | None = None
    lead_professional: LeadProfessionalRead


class _EntryRead(Output):
    id: uuid.UUID
    pupil_id: uuid.UUID
    source: str
    article9_condition: str
    valid_from: date | None
    valid_to: date | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime


class EthnicityEntryRead(_EntryRead):
    model_config = ConfigDict(json_schema_extra={"examples": [_ETHNICITY_READ]})

    category: Literal[SensitiveCategory.ETHNICITY]
    details: EthnicityDetailsRead


class HealthEntryRead(_EntryRead):
    model_config = ConfigDict(json_schema_extra={"examples": [_HEALTH_READ]})

    category: Literal[SensitiveCategory.HEALTH]
    details: HealthDetailsRead


class SendEntryRead(_EntryRead):
    model_config = ConfigDict(json_schema_extra={"examples": [_SEND_READ]})

    category: Literal[SensitiveCategory.SEND]
    details: SendDetailsRead


class SocialCareEntryRead(_EntryRead):
    model_config = ConfigDict(json_schema_extra={"examples": [_SOCIAL_CARE_READ]})

    category: Literal[SensitiveCategory.SOCIAL_CARE]
    details: SocialCareDetailsRead


SensitiveEntryRead = Annotated[
    EthnicityEntryRead | HealthEntryRead | SendEntryRead | SocialCareEntryRead,
    Field(discriminator="category"),
]


AnyEntryRead = EthnicityEntryRead | HealthEntryRead | SendEntryRead | SocialCareEntryRead


class SensitiveEntryPage(Page[SensitiveEntryRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SEND_READ, _HEALTH_READ], "next_cursor": None}]}
    )


class SensitiveFilters(Input):
    """Query parameters of ``GET /v1/pupils/{pupil_id}/sensitive``."""

    category: SensitiveCategory | None = Field(default=None, examples=["send"])
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- documents -----------------------------------------------------------------------------


class DocumentUploadFields(Input):
    """The text fields of a document upload (the file is the ``file`` part)."""

    kind: DocumentKind
    source: SourceText
    article9_condition: Article9Code


class DocumentUploadFingerprint(Input):
    """What makes two uploads the same request, for ``Idempotency-Key``."""

    kind: DocumentKind
    source: str
    article9_condition: str
    media_type: str
    size_bytes: int
    sha256: str


@schema_examples("available")
class ContentStatus(StrEnum):
    AVAILABLE = "available"
    #: The pupil's key was destroyed (retention): the content is unreadable everywhere.
    DESTROYED = "destroyed"


class DocumentRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_DOCUMENT]})

    id: uuid.UUID
    pupil_id: uuid.UUID
    kind: DocumentKind
    media_type: str = Field(description="What the content is, as sniffed on upload.")
    size_bytes: int
    sha256: str = Field(description="SHA-256 (hex) of the content.")
    source: str
    article9_condition: str
    recorded_by: str
    created_at: datetime
    content_status: ContentStatus
    content_destroyed_at: datetime | None = None


class DocumentPage(Page[DocumentRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DOCUMENT], "next_cursor": None}]}
    )


class DocumentFilters(Input):
    """Query parameters of ``GET /v1/pupils/{pupil_id}/documents``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


def document_upload_schema(accepted_media_types: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of a document upload (``multipart/form-data``)."""
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "source", "article9_condition", "file"],
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"type": "string", "enum": [k.value for k in DocumentKind]},
                        "source": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "pattern": r"^[^\x00-\x1f\x7f]*$",
                        },
                        "article9_condition": {"type": "string", "enum": list(ARTICLE9_CODES)},
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "The document: "
                            + ", ".join(accepted_media_types)
                            + ". The content decides the type; a declared part type that "
                            "disagrees is refused.",
                        },
                    },
                },
                "encoding": {"file": {"contentType": ", ".join(accepted_media_types)}},
            }
        },
    }


_ENTRY_READ: TypeAdapter[AnyEntryRead] = TypeAdapter(SensitiveEntryRead)


def entry_read(entry: SensitiveEntry) -> AnyEntryRead:
    """The API shape of a stored entry."""
    return _ENTRY_READ.validate_python(
        {
            "id": entry.id,
            "pupil_id": entry.pupil_id,
            "category": entry.category,
            "details": entry.details,
            "source": entry.source,
            "article9_condition": entry.article9_condition,
            "valid_from": entry.valid_from,
            "valid_to": entry.valid_to,
            "recorded_by": entry.recorded_by,
            "created_at": entry.created_at,
            "updated_at": entry.updated_at,
        }
    )
