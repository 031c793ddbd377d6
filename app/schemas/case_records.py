"""Shapes of what is recorded on a case: its chronology (and the court-bundle export of it),
meetings, attendance contracts, documents and the messages sent on it.

Officers' own words (notes, meeting notes) are LA-internal: these shapes are served only
under the case's policy, which no school role reaches.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints
from pydantic.config import JsonDict

from app.models.cases import (
    RECORDED_KINDS,
    AttendanceContract,
    CaseDocumentKind,
    CaseEvent,
    CaseEventKind,
    CaseMeeting,
    CaseStage,
    CaseType,
    ContractStatus,
    MeetingKind,
)
from app.models.messages import Channel, MessageStatus
from app.models.people import RelationshipType
from app.schemas.common import (
    NOT_FORMULA,
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    PRINTABLE,
    CalendarDate,
    Cursor,
    Input,
    JsonBool,
    MergePatch,
    Output,
    Page,
    Timestamp,
    bounded,
    schema_examples,
)
from app.schemas.messages import MessageRead
from app.schemas.sensitive import ContentStatus

#: The longest note, contact record or set of meeting notes (about four pages of text).
TEXT_MAX_LENGTH = 10_000
#: Carers one meeting or contract can name (a case's parties are a handful).
MAX_CARERS = 10
#: Agreed actions on one contract or meeting.
MAX_ACTIONS = 30

#: Line breaks and tabs are part of a note; every other control character is refused.
_TEXT_LAYOUT = frozenset("\n\r\t")


def _multiline_printable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode") from exc
    for ch in value:
        if ch not in _TEXT_LAYOUT and unicodedata.category(ch) in {"Cc", "Cs", "Co", "Cn"}:
            raise ValueError("text must not contain control or unassigned characters")
    return value


#: An officer's words: several lines allowed, trimmed, at most ``TEXT_MAX_LENGTH`` characters.
RecordText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TEXT_MAX_LENGTH),
    AfterValidator(_multiline_printable),
]
#: A document's title: shown in lists and exports, so never a spreadsheet formula.
Title = Annotated[str, bounded(200), PRINTABLE, NOT_FORMULA]
Location = Annotated[str, bounded(200), PRINTABLE]
ActionText = Annotated[str, bounded(500), PRINTABLE]


@schema_examples("home_visit")
class RecordedEventKind(StrEnum):
    """What an officer records by hand; every other kind of entry the service writes."""

    NOTE = "note"
    PHONE_CALL = "phone_call"
    HOME_VISIT = "home_visit"
    LETTER = "letter"
    EMAIL = "email"
    SCHOOL_CONTACT = "school_contact"
    OTHER_CONTACT = "other_contact"


assert {k.value for k in RecordedEventKind} == {k.value for k in RECORDED_KINDS}


@schema_examples("parent")
class ActionBy(StrEnum):
    PARENT = "parent"
    SCHOOL = "school"
    COUNCIL = "council"
    PUPIL = "pupil"


# --- examples --------------------------------------------------------------------------------

_CASE_ID = "b966f900-0144-5d32-bdc0-7ca9cb8f412b"
_CARER_ID = "84384276-0289-572a-8f68-ba0a79576c9d"
#: Fatima Rushworth's mother (synthetic), on the demo case at support with no contract yet.
_SUPPORT_CARER_ID = "88965730-3ff4-588e-99d1-9407375ce898"
_OFFICER = "a.pemberton@kent.gov.uk"
_NEXT = "AXZX2yePNeZ-_svwqWyOpPy02boEmwFT39E4_iWp8MC9XiJdb_phKXxIWmzG55EmEQwHqbE"
_EVENT: JsonDict = {
    "id": "0d6c43b5-1f5a-4a53-8d0e-0bcf8e1f3c21",
    "case_id": _CASE_ID,
    "kind": "home_visit",
    "occurred_at": "2026-12-02T15:30:00Z",
    "recorded_at": "2026-12-03T09:12:44Z",
    "recorded_by": _OFFICER,
    "text": "Visited the family home. Mother says Isla has been anxious about the new class.",
    "details": {},
    "corrects_id": None,
}
_SYSTEM_EVENT: JsonDict = {
    **_EVENT,
    "id": "6a0b1f0e-9c0e-4d47-a7f1-4f3f0f7e52a4",
    "kind": "stage_changed",
    "occurred_at": "2026-12-01T10:00:00Z",
    "recorded_at": "2026-12-01T10:00:00Z",
    "text": None,
    "details": {"from": "triage", "to": "support"},
}
_ACTION: JsonDict = {"by": "parent", "action": "Bring Isla to the school gate by 08:40 each day."}
_MEETING: JsonDict = {
    "id": "c6f1d7a2-3b8e-4e0f-9a51-2d7c8b9e0f13",
    "case_id": _CASE_ID,
    "kind": "attendance_meeting",
    "scheduled_for": "2026-12-10T10:30:00Z",
    "location": "Hopgarden Primary School, meeting room 2",
    "invited_carer_ids": [_CARER_ID],
    "attended_carer_ids": None,
    "officer_attended": None,
    "held_on": None,
    "cancelled_at": None,
    "notes": None,
    "agreed_actions": None,
    "recorded_by": _OFFICER,
    "created_at": "2026-12-03T09:20:00Z",
    "updated_at": "2026-12-03T09:20:00Z",
}
_CONTRACT: JsonDict = {
    "id": "5e2a9c4b-7d1f-4b3a-8c6e-0f9d8e7c6b5a",
    "case_id": _CASE_ID,
    "agreed_on": "2026-12-10",
    "review_on": "2027-01-21",
    "carer_ids": [_CARER_ID],
    "actions": [_ACTION, {"by": "school", "action": "A daily check-in with the class teacher."}],
    "status": "active",
    "ended_on": None,
    "recorded_by": _OFFICER,
    "created_at": "2026-12-10T11:02:00Z",
    "updated_at": "2026-12-10T11:02:00Z",
}
_DOCUMENT: JsonDict = {
    "id": "9b7e3f21-4c5d-4e6f-8a9b-0c1d2e3f4a5b",
    "case_id": _CASE_ID,
    "kind": "letter",
    "title": "Letter from the school, 3 December",
    "media_type": "application/pdf",
    "size_bytes": 48213,
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "recorded_by": _OFFICER,
    "created_at": "2026-12-03T09:30:00Z",
    "content_status": "available",
    "content_destroyed_at": None,
}


# --- the chronology --------------------------------------------------------------------------


class CaseEventFilters(Input):
    """Query parameters of ``GET /v1/cases/{case_id}/events``."""

    kind: CaseEventKind | None = Field(
        default=None, description="Only entries of this kind.", examples=["home_visit"]
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class CaseEventCreate(Input):
    """A note or a contact, in the officer's own words."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "home_visit",
                    "occurred_at": "2026-12-02T15:30:00Z",
                    "text": "Visited the family home. Mother says Isla has been anxious about "
                    "the new class.",
                }
            ]
        }
    )

    kind: RecordedEventKind
    occurred_at: Timestamp = Field(
        description="When it happened (with a UTC offset): not in the future, not before the "
        "case opened.",
        examples=["2026-12-02T15:30:00Z"],
    )
    text: RecordText = Field(
        description=f"What happened, in the officer's words (at most {TEXT_MAX_LENGTH} "
        "characters; line breaks allowed). LA-internal: never shown to a school.",
        examples=["Phoned mother: Isla will be back on Monday."],
    )
    corrects_id: uuid.UUID | None = Field(
        default=None,
        description="An earlier entry of this case that this one corrects. Entries are never "
        "edited: the correction stands next to what it corrects.",
        examples=["0d6c43b5-1f5a-4a53-8d0e-0bcf8e1f3c21"],
    )


class CaseEventRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_EVENT]})

    id: uuid.UUID
    case_id: uuid.UUID
    kind: CaseEventKind
    occurred_at: datetime = Field(description="When it happened: the chronology's order.")
    recorded_at: datetime
    recorded_by: str
    text: str | None = Field(description="The officer's words (notes and contacts).")
    details: dict[str, Any] = Field(
        description="Ids, dates and codes the entry is about (a stage, a message's id)."
    )
    corrects_id: uuid.UUID | None

    @classmethod
    def of(cls, event: CaseEvent) -> CaseEventRead:
        return cls.model_validate(event)


class CaseEventPage(Page[CaseEventRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_SYSTEM_EVENT, _EVENT], "next_cursor": _NEXT}]}
    )


class ChronologyPupil(Output):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
                    "upn": "P999000026313",
                    "legal_forename": "Isla",
                    "legal_middle_names": None,
                    "legal_surname": "Tillbrook",
                    "preferred_forename": None,
                    "preferred_surname": None,
                    "date_of_birth": "2016-04-12",
                }
            ]
        }
    )

    id: uuid.UUID
    upn: str | None
    legal_forename: str
    legal_middle_names: str | None
    legal_surname: str
    preferred_forename: str | None
    preferred_surname: str | None
    date_of_birth: date


_PARTY: JsonDict = {
    "carer_id": _CARER_ID,
    "title": "Mrs",
    "forename": "Evie",
    "surname": "Tillbrook",
    "relationship_type": "mother",
    "parental_responsibility": True,
    "added_at": "2026-11-20T10:00:00Z",
    "removed_at": None,
}


class ChronologyParty(Output):
    """A parent or carer the case involves (or involved: ``removed_at``)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PARTY]})

    carer_id: uuid.UUID
    title: str | None
    forename: str
    surname: str
    relationship_type: RelationshipType
    parental_responsibility: bool
    added_at: datetime
    removed_at: datetime | None


_CHRONOLOGY: JsonDict = {
    "case_id": _CASE_ID,
    "reference": "KPAS-2026-7QH3MZ2K",
    "case_type": "attendance",
    "stage": "support",
    "opened_on": "2026-11-20",
    "closed_at": None,
    "school_urn": 990028,
    "pupil": {
        "id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
        "upn": "P999000026313",
        "legal_forename": "Isla",
        "legal_middle_names": None,
        "legal_surname": "Tillbrook",
        "preferred_forename": None,
        "preferred_surname": None,
        "date_of_birth": "2016-04-12",
    },
    "parties": [_PARTY],
    "entries": [_SYSTEM_EVENT, _EVENT],
    "exported_at": "2026-12-04T08:00:00Z",
    "exported_by": _OFFICER,
}


class CaseChronology(Output):
    """A case's chronology as a court bundle needs it: who the case is about, the parties, and
    every entry in the order things happened, with who recorded each and when."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHRONOLOGY]})

    case_id: uuid.UUID
    reference: str = Field(description="The case reference quoted on letters.")
    case_type: CaseType
    stage: CaseStage
    opened_on: date
    closed_at: datetime | None
    school_urn: int
    pupil: ChronologyPupil
    parties: list[ChronologyParty]
    entries: list[CaseEventRead] = Field(description="Every entry, by when it happened.")
    exported_at: datetime
    exported_by: str


# --- meetings --------------------------------------------------------------------------------


class AgreedAction(Input):
    """Something one side agreed to do."""

    model_config = ConfigDict(json_schema_extra={"examples": [_ACTION]})

    by: ActionBy
    action: ActionText = Field(examples=["Bring Isla to the school gate by 08:40 each day."])


class MeetingCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "kind": "attendance_meeting",
                    "scheduled_for": "2027-01-14T10:30:00Z",
                    "location": "Hopgarden Primary School, meeting room 2",
                    "invited_carer_ids": [_CARER_ID],
                    "send_invitations": True,
                }
            ]
        }
    )

    kind: MeetingKind
    scheduled_for: Timestamp = Field(
        description="When the meeting is (with a UTC offset).", examples=["2027-01-14T10:30:00Z"]
    )
    location: Location | None = Field(
        default=None,
        description="Where: needed to send invitations.",
        examples=["Hopgarden Primary School, meeting room 2"],
    )
    invited_carer_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_CARERS,
        description="Parties of the case invited (carer ids).",
        examples=[[_CARER_ID]],
    )
    send_invitations: JsonBool = Field(
        default=False,
        description="Queue the `meeting_invitation` message to each invited party, in the same "
        "transaction (the meeting must be in the future and have a location).",
        examples=[True],
    )
    channel: Channel = Field(
        default=Channel.LETTER,
        description="How invitations go: a letter by default; `sms` or `email` where each "
        "invited carer has that contact.",
        examples=["letter"],
    )


class MeetingUpdate(MergePatch):
    """A JSON merge patch of a meeting: rearrange it, record that it was held and what was
    agreed, or cancel it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-19",
                    "attended_carer_ids": [_CARER_ID],
                    "officer_attended": True,
                    "notes": "Mother and Isla attended. Agreed a morning routine.",
                    "agreed_actions": [_ACTION],
                }
            ]
        }
    )

    scheduled_for: Timestamp | None = Field(default=None, examples=["2027-01-14T10:30:00Z"])
    location: Location | None = Field(
        default=None, examples=["Hopgarden Primary School, meeting room 2"]
    )
    invited_carer_ids: list[uuid.UUID] | None = Field(
        default=None, max_length=MAX_CARERS, examples=[[_CARER_ID]]
    )
    held_on: CalendarDate | None = Field(
        default=None,
        description="The day it was held: not in the future, not before the case opened.",
        examples=["2026-12-10"],
    )
    attended_carer_ids: list[uuid.UUID] | None = Field(
        default=None,
        max_length=MAX_CARERS,
        description="Parties of the case who came.",
        examples=[[_CARER_ID]],
    )
    officer_attended: JsonBool | None = Field(
        default=None,
        description="Whether a council officer attended. Required when a governing board or "
        "independent review panel meeting is recorded as held.",
        examples=[True],
    )
    notes: RecordText | None = Field(
        default=None, examples=["Mother and Isla attended. Agreed a morning routine."]
    )
    agreed_actions: list[AgreedAction] | None = Field(
        default=None, max_length=MAX_ACTIONS, examples=[[_ACTION]]
    )
    cancelled: JsonBool | None = Field(
        default=None,
        description="`true` cancels the meeting (final: a cancelled meeting changes no more).",
        examples=[True],
    )


class MeetingRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_MEETING]})

    id: uuid.UUID
    case_id: uuid.UUID
    kind: MeetingKind
    scheduled_for: datetime
    location: str | None
    invited_carer_ids: list[uuid.UUID]
    attended_carer_ids: list[uuid.UUID] | None
    officer_attended: bool | None
    held_on: date | None
    cancelled_at: datetime | None
    notes: str | None
    agreed_actions: list[AgreedAction] | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, meeting: CaseMeeting) -> MeetingRead:
        return cls.model_validate(meeting)


class MeetingPage(Page[MeetingRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_MEETING], "next_cursor": None}]}
    )


class MeetingFilters(Input):
    """Query parameters of ``GET /v1/cases/{case_id}/meetings``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- attendance contracts ----------------------------------------------------------------------


class ContractCreate(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreed_on": "2026-11-26",
                    "review_on": "2027-01-21",
                    "carer_ids": [_SUPPORT_CARER_ID],
                    "actions": _CONTRACT["actions"],
                }
            ]
        }
    )

    agreed_on: CalendarDate = Field(
        description="The day the parents signed: not in the future, not before the case opened.",
        examples=["2026-12-10"],
    )
    review_on: CalendarDate = Field(
        description="When progress is reviewed: on or after `agreed_on`.", examples=["2027-01-21"]
    )
    carer_ids: list[uuid.UUID] = Field(
        min_length=1,
        max_length=MAX_CARERS,
        description="The parents who agreed it: parties of the case.",
        examples=[[_CARER_ID]],
    )
    actions: list[AgreedAction] = Field(min_length=1, max_length=MAX_ACTIONS, examples=[[_ACTION]])


class ContractUpdate(MergePatch):
    """A JSON merge patch of an active contract: move its review, change the actions, or end
    it (``completed``, ``broken`` or ``ended``, on ``ended_on``: today when left out)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "completed", "ended_on": "2026-11-26"}]}
    )

    review_on: CalendarDate | None = Field(default=None, examples=["2027-02-04"])
    actions: list[AgreedAction] | None = Field(
        default=None, min_length=1, max_length=MAX_ACTIONS, examples=[[_ACTION]]
    )
    status: ContractStatus | None = Field(default=None, examples=["completed"])
    ended_on: CalendarDate | None = Field(
        default=None,
        description="When it ended: with a status other than `active`; not in the future.",
        examples=["2027-01-21"],
    )


class ContractRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONTRACT]})

    id: uuid.UUID
    case_id: uuid.UUID
    agreed_on: date
    review_on: date
    carer_ids: list[uuid.UUID]
    actions: list[AgreedAction]
    status: ContractStatus
    ended_on: date | None
    recorded_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, contract: AttendanceContract) -> ContractRead:
        return cls.model_validate(contract)


class ContractPage(Page[ContractRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_CONTRACT], "next_cursor": None}]}
    )


class ContractFilters(Input):
    """Query parameters of ``GET /v1/cases/{case_id}/attendance-contracts``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


# --- documents ---------------------------------------------------------------------------------


class CaseDocumentUploadFields(Input):
    """The text fields of a case document upload (the ``file`` part is read apart)."""

    kind: CaseDocumentKind
    title: Title = Field(
        description="A short title (never the file's name).",
        examples=["Letter from the school, 3 December"],
    )


class CaseDocumentFingerprint(Input):
    """What makes two uploads the same request, for ``Idempotency-Key``."""

    kind: CaseDocumentKind
    title: Title
    media_type: str
    size_bytes: int
    sha256: str


class CaseDocumentRead(Output):
    model_config = ConfigDict(json_schema_extra={"examples": [_DOCUMENT]})

    id: uuid.UUID
    case_id: uuid.UUID
    kind: CaseDocumentKind
    title: str
    media_type: str = Field(description="What the content is, as sniffed on upload.")
    size_bytes: int
    sha256: str = Field(description="SHA-256 (hex) of the content.")
    recorded_by: str
    created_at: datetime
    content_status: ContentStatus
    content_destroyed_at: datetime | None = None


class CaseDocumentPage(Page[CaseDocumentRead]):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DOCUMENT], "next_cursor": None}]}
    )


class CaseDocumentFilters(Input):
    """Query parameters of ``GET /v1/cases/{case_id}/documents``."""

    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


def case_document_upload_schema(accepted_media_types: list[str]) -> dict[str, Any]:
    """The OpenAPI request body of a case document upload (``multipart/form-data``)."""
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "title", "file"],
                    "additionalProperties": False,
                    "properties": {
                        "kind": {"type": "string", "enum": [k.value for k in CaseDocumentKind]},
                        "title": {
                            "type": "string",
                            "minLength": 1,
                            "maxLength": 200,
                            "pattern": r"^[^\x00-\x1f\x7f]*$",
                        },
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


# --- messages sent on the case -----------------------------------------------------------------


#: An invitation letter Royal Mail sent back.
_RETURNED_LETTER: JsonDict = {
    "id": "8a6185a8-cf4c-434e-bada-cc8ead97a3ea",
    "message_type": "meeting_invitation",
    "channel": "letter",
    "status": "returned",
    "notify_status": "received",
    "notify_id": "dce690a9-f970-49a8-a84b-7e0b44293dc2",
    "pupil_id": "4ebad7d8-8a92-5b42-a557-5fa4cd0c678f",
    "carer_id": _CARER_ID,
    "purpose": "attendance_duty",
    "attempts": 1,
    "last_error": None,
    "retry_at": None,
    "created_by": _OFFICER,
    "created_at": "2026-12-03T09:20:00Z",
    "updated_at": "2026-12-09T07:02:11Z",
    "sent_at": "2026-12-03T09:21:30Z",
    "completed_at": "2026-12-04T17:00:00Z",
    "personal_data_cleared_at": None,
    "returned_at": "2026-12-09T00:00:00Z",
    "returned_reported_by": "notify",
}


class CaseMessageFilters(Input):
    """Query parameters of ``GET /v1/cases/{case_id}/messages``."""

    status: MessageStatus | None = Field(
        default=None,
        description="Only messages in this status (`returned`: letters Royal Mail sent back).",
        examples=["returned"],
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX, examples=[50])
    cursor: Cursor | None = None


class CaseMessagePage(Page[MessageRead]):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [_RETURNED_LETTER],
                    "next_cursor": None,
                }
            ]
        }
    )
