"""Data-subject requests and complaints to the council as controller (UK GDPR Arts 12-22,
DPA 2018 Part 3 ss45-48, s164A; Data (Use and Access) Act 2025).

A ``SubjectRequest`` is one request for one right, from the subject, a parent or carer, or a
representative. Its own row is personal data of the *requester* (names and contact details),
held under ``subject_rights`` on 6(1)(c); the people the request is about are found and
confirmed as ``SubjectRequestMatch`` rows. Around it:

- ``SubjectRequestClockEvent``: every stop and start of the statutory clock (identity asked
  for and received, clarification asked for and received), so the due date can be recomputed
  and explained at any time (``app.rules.subject_rights``);
- ``SubjectRequestItem``: the answer for one record: released, withheld under an exemption,
  restricted under DPA 2018 s45(4), flagged as holding third-party data, or the applicability
  of the right to it, each with its reason in plain English;
- ``SubjectRequestAction``: what was done (rectified, restricted, objection recorded, erased);
  the audit trail names the fields changed, never their values;
- ``SubjectRequestReview``: internal reviews of the council's answer;
- ``Complaint`` and ``ComplaintUpdate``: complaints under DPA 2018 s164A.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, Timestamped, Versioned, text_enum, utcnow
from app.models.subjects import ObjectionStatus, PersonalRecord


class RequestRight(StrEnum):
    """The right a request exercises (UK GDPR Arts 15-22; for law enforcement records the
    Part 3 rights of DPA 2018 ss45-47 answer the same request)."""

    ACCESS = "access"  # Art 15 / s45
    RECTIFICATION = "rectification"  # Art 16 / s46
    ERASURE = "erasure"  # Art 17 / s47
    RESTRICTION = "restriction"  # Art 18 / s47
    OBJECTION = "objection"  # Art 21
    PORTABILITY = "portability"  # Art 20
    AUTOMATED_DECISIONS = "automated_decisions"  # Arts 22A-22D


class RequestChannel(StrEnum):
    """How the request reached the council."""

    POST = "post"
    EMAIL = "email"
    SCHOOL = "school"
    TELEPHONE = "telephone"
    IN_PERSON = "in_person"
    PUBLIC_FORM = "public_form"


class RequesterKind(StrEnum):
    SUBJECT = "subject"
    PARENT_OR_CARER = "parent_or_carer"
    REPRESENTATIVE = "representative"


class RequestStatus(StrEnum):
    """Where a request stands. The clock runs only in ``in_progress``."""

    #: Received; the council has asked for identity information and the clock has not started.
    AWAITING_IDENTITY = "awaiting_identity"
    #: The clock is running.
    IN_PROGRESS = "in_progress"
    #: The council asked for a clarification it needs: the clock is stopped.
    AWAITING_CLARIFICATION = "awaiting_clarification"
    CLOSED = "closed"


class ClockEventKind(StrEnum):
    IDENTITY_REQUESTED = "identity_requested"
    IDENTITY_RECEIVED = "identity_received"
    CLARIFICATION_REQUESTED = "clarification_requested"
    CLARIFICATION_RECEIVED = "clarification_received"


class ChildCompetence(StrEnum):
    """For a child subject: the recorded judgement of whether the child understands their
    rights well enough to make (or to be asked about) the request (ICO, children and the UK
    GDPR; in Scotland 12 is presumed, in England it is a judgement)."""

    COMPETENT = "competent"
    NOT_COMPETENT = "not_competent"
    NOT_A_CHILD = "not_a_child"


class MatchStatus(StrEnum):
    POSSIBLE = "possible"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class ItemDecision(StrEnum):
    """The answer for one record of the subject's."""

    RELEASED = "released"
    #: Withheld under a UK GDPR exemption (DPA 2018 Schs 2-4): ``exemption`` says which.
    WITHHELD = "withheld"
    #: Law enforcement record: access restricted because it would prejudice a prosecution
    #: (DPA 2018 s45(4)).
    RESTRICTED = "restricted"
    #: Holds third-party personal data: to be reviewed before release (Sch 2 paras 16-17).
    THIRD_PARTY_REVIEW = "third_party_review"


class Exemption(StrEnum):
    CRIME_AND_TAXATION = "crime_and_taxation"  # DPA 2018 Sch 2 para 2
    THIRD_PARTY = "third_party"  # Sch 2 paras 16-17
    SOCIAL_WORK_SERIOUS_HARM = "social_work_serious_harm"  # Sch 3 Part 3
    EDUCATION_SERIOUS_HARM = "education_serious_harm"  # Sch 3 Part 4
    LEGAL_PROFESSIONAL_PRIVILEGE = "legal_professional_privilege"  # Sch 2 para 19
    #: DPA 2018 s45(4): law enforcement record; prejudice to an investigation or prosecution.
    PART3_PREJUDICE = "part3_prejudice"


class ActionKind(StrEnum):
    RECTIFIED = "rectified"
    RESTRICTED = "restricted"
    RESTRICTION_LIFTED = "restriction_lifted"
    OBJECTION_RECORDED = "objection_recorded"
    OBJECTION_DECIDED = "objection_decided"
    ERASED = "erased"


class RequestOutcome(StrEnum):
    COMPLETED = "completed"
    PARTLY_COMPLETED = "partly_completed"
    REFUSED = "refused"
    #: Refused as manifestly unfounded or excessive (Art 12(5); DPA 2018 s53; since the DUAA
    #: 2025, "vexatious or excessive" for Part 3 requests too).
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    WITHDRAWN = "withdrawn"
    #: The council holds no personal data of the subject (told without saying more).
    NO_DATA_HELD = "no_data_held"


class ReviewOutcome(StrEnum):
    UPHELD = "upheld"  # the original answer stands
    CHANGED = "changed"  # the answer was changed; a new response follows


class ComplaintStatus(StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


class ComplaintOutcome(StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    NOT_UPHELD = "not_upheld"
    WITHDRAWN = "withdrawn"


class SubjectRequest(PersonalRecord, Timestamped, Versioned, Base):
    """One request for one right. The row's data subject is the requester."""

    __tablename__ = "subject_requests"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint("extension_months BETWEEN 0 AND 2", name="extension_at_most_two_months"),
        Index("ix_subject_requests_status_due_on", "status", "due_on"),
        Index("ix_subject_requests_received_on", "received_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: What the requester is told and quotes back (``SR-`` and ten characters; never a count).
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    right: Mapped[RequestRight] = mapped_column(text_enum(RequestRight, "request_right"))
    channel: Mapped[RequestChannel] = mapped_column(text_enum(RequestChannel, "request_channel"))
    status: Mapped[RequestStatus] = mapped_column(text_enum(RequestStatus, "request_status"))
    #: The London date the council received the request (day 1 of the clock).
    received_on: Mapped[date]
    #: The school that passed the request on, where it came through one.
    via_school_urn: Mapped[int | None] = mapped_column(ForeignKey("schools.urn"))
    requester_kind: Mapped[RequesterKind] = mapped_column(
        text_enum(RequesterKind, "requester_kind")
    )
    requester_name: Mapped[str] = mapped_column(String(200))
    requester_email: Mapped[str | None] = mapped_column(String(254))
    requester_phone: Mapped[str | None] = mapped_column(String(30))
    requester_address: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: For a parent, carer or representative: the evidence of authority seen (a description:
    #: "signed letter of authority", "court order"), and who accepted it and when.
    authority_evidence: Mapped[str | None] = mapped_column(String(500))
    authority_accepted_by: Mapped[str | None] = mapped_column(String(255))
    authority_accepted_at: Mapped[datetime | None]
    #: What the requester told us to find the subject by: names, date of birth, UPN,
    #: postcode, school (``SubjectDetails`` in the schemas).
    subject_details: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    #: For a child subject: whether the child is competent to make the request, with the
    #: reasons, who judged and when.
    child_competence: Mapped[ChildCompetence | None] = mapped_column(
        text_enum(ChildCompetence, "child_competence")
    )
    child_competence_reasons: Mapped[str | None] = mapped_column(String(1000))
    child_competence_by: Mapped[str | None] = mapped_column(String(255))
    #: The request in the requester's words (what they ask for).
    description: Mapped[str] = mapped_column(Text)
    identity_verified_at: Mapped[datetime | None]
    identity_verified_by: Mapped[str | None] = mapped_column(String(255))
    #: How identity was verified (documents seen, known contact details): no document numbers.
    identity_method: Mapped[str | None] = mapped_column(String(300))
    #: The date the clock started (receipt, or the arrival of identity information asked for);
    #: None while awaiting identity.
    clock_started_on: Mapped[date | None]
    #: The response deadline, extension and stops included; recomputed on every clock event.
    due_on: Mapped[date | None]
    #: Which clock rule applied (``app.rules.subject_rights.ClockRule``), chosen by date.
    clock_rule: Mapped[str] = mapped_column(String(40))
    extension_months: Mapped[int] = mapped_column(Integer, default=0)
    extension_reasons: Mapped[str | None] = mapped_column(String(2000))
    extension_decided_on: Mapped[date | None]
    extension_decided_by: Mapped[str | None] = mapped_column(String(255))
    #: The message that told the requester of the extension.
    extension_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbound_messages.id")
    )
    #: The search made (Art 15(1A), reasonable and proportionate): what was searched and why.
    search_record: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    assigned_to: Mapped[str | None] = mapped_column(String(255))
    acknowledgement_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbound_messages.id")
    )
    outcome: Mapped[RequestOutcome | None] = mapped_column(
        text_enum(RequestOutcome, "request_outcome")
    )
    outcome_reasons: Mapped[str | None] = mapped_column(String(4000))
    #: Indexed: the retention sweep finds requests closed before its cut-off.
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The London date of closure; on time when it is on or before ``due_on``.
    closed_on: Mapped[date | None]
    closed_by: Mapped[str | None] = mapped_column(String(255))
    response_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbound_messages.id")
    )
    #: SHA-256 of the access bundle released, when one was (also in the disclosure log).
    bundle_sha256: Mapped[str | None] = mapped_column(String(64))
    bundle_disclosure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("disclosures.id"))
    created_by: Mapped[str] = mapped_column(String(255))

    clock_events: Mapped[list[SubjectRequestClockEvent]] = relationship(
        lazy="raise", order_by="SubjectRequestClockEvent.recorded_at"
    )
    matches: Mapped[list[SubjectRequestMatch]] = relationship(lazy="raise")


class SubjectRequestClockEvent(Base):
    """One stop or start of a request's clock. Append-only."""

    __tablename__ = "subject_request_clock_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ClockEventKind] = mapped_column(text_enum(ClockEventKind, "clock_event_kind"))
    #: The London date it happened (a request sent, an answer received).
    on: Mapped[date]
    #: Why (what was asked for; for a clarification, why it is needed): no personal data.
    note: Mapped[str | None] = mapped_column(String(1000))
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectRequestMatch(Base):
    """A person the request may be about: found by identifiers, confirmed or rejected by a
    person. Only confirmed matches go into the bundle."""

    __tablename__ = "subject_request_matches"
    __table_args__ = (UniqueConstraint("request_id", "subject_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    #: What the matched record is (``pupil``, ``carer``, ``person``) and its id.
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID]
    status: Mapped[MatchStatus] = mapped_column(text_enum(MatchStatus, "match_status"))
    #: The identifiers that matched (``upn``, ``legal_names``, ``date_of_birth``, ...).
    matched_on: Mapped[list[str]] = mapped_column(JSONDocument)
    decided_by: Mapped[str | None] = mapped_column(String(255))
    decided_at: Mapped[datetime | None]


class SubjectRequestItem(Base):
    """The answer for one record: released, withheld (with the exemption), restricted
    (s45(4)) or for third-party review, and whether the request's right applies to it."""

    __tablename__ = "subject_request_items"
    __table_args__ = (UniqueConstraint("request_id", "resource_type", "resource_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    resource_type: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str] = mapped_column(String(100))
    decision: Mapped[ItemDecision] = mapped_column(text_enum(ItemDecision, "item_decision"))
    exemption: Mapped[Exemption | None] = mapped_column(text_enum(Exemption, "exemption"))
    #: Plain English for the response letter (never the withheld content).
    reason: Mapped[str] = mapped_column(String(2000))
    decided_by: Mapped[str] = mapped_column(String(255))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubjectRequestAction(Base):
    """Something done in answer to a request (``app.services.subject_request_actions``).

    The audit trail names the fields a rectification changed and a digest of ``changes``,
    never the values (audit events hold ids and codes only). The values before and after are
    kept here, on the request's own record, which only information governance reads under
    ``subject_rights``: the accountability record of the correction (Art 5(2)). An erasure
    records what was erased (types, ids, row counts), never the data."""

    __tablename__ = "subject_request_actions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ActionKind] = mapped_column(text_enum(ActionKind, "request_action_kind"))
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"))
    resource_type: Mapped[str | None] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    #: The fields changed or erased (names only).
    fields: Mapped[list[str]] = mapped_column(JSONDocument)
    #: Recipients who received the data and must be told of the change (Art 19): ids.
    recipients_to_tell: Mapped[list[str]] = mapped_column(JSONDocument)
    reason: Mapped[str] = mapped_column(String(2000))
    performed_by: Mapped[str] = mapped_column(String(255))
    performed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The ground relied on: for a restriction, UK GDPR Art 18(1) (or DPA 2018 s47(2)); for
    #: an erasure, Art 17(1) (or s47(1)).
    ground: Mapped[str | None] = mapped_column(String(40))
    #: The purpose an objection is to (``app.policies.registry.Purpose``).
    purpose: Mapped[str | None] = mapped_column(String(60))
    #: The decision on an objection.
    objection_outcome: Mapped[ObjectionStatus | None] = mapped_column(
        text_enum(ObjectionStatus, "objection_status")
    )
    #: A rectification's values: ``{"salt": hex, "fields": {name: {"before", "after"}}}``.
    #: The audit event carries the SHA-256 of this document (the salt keeps the digest from
    #: being guessed from likely values).
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    #: What an erasure erased: one entry per record (type, id, how, rows per table).
    erased: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    #: The letter or email that told the requester (before a restriction is lifted, Art 18(3)).
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_messages.id"))


class SubjectRequestReview(Base):
    """An internal review of the council's answer, asked for by the requester."""

    __tablename__ = "subject_request_reviews"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subject_requests.id", ondelete="CASCADE"), index=True
    )
    requested_on: Mapped[date]
    grounds: Mapped[str] = mapped_column(String(2000))
    outcome: Mapped[ReviewOutcome | None] = mapped_column(
        text_enum(ReviewOutcome, "review_outcome")
    )
    outcome_reasons: Mapped[str | None] = mapped_column(String(2000))
    reviewed_by: Mapped[str | None] = mapped_column(String(255))
    decided_on: Mapped[date | None]
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Complaint(PersonalRecord, Timestamped, Versioned, Base):
    """A complaint to the council as controller (DPA 2018 s164A). The row's data subject is
    the complainant."""

    __tablename__ = "complaints"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        Index("ix_complaints_status_acknowledge_by", "status", "acknowledge_by"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[ComplaintStatus] = mapped_column(text_enum(ComplaintStatus, "complaint_status"))
    channel: Mapped[RequestChannel] = mapped_column(text_enum(RequestChannel, "request_channel"))
    received_on: Mapped[date]
    #: Acknowledge within 30 days beginning with the day of receipt (s164A(3)).
    acknowledge_by: Mapped[date]
    complainant_name: Mapped[str] = mapped_column(String(200))
    complainant_email: Mapped[str | None] = mapped_column(String(254))
    complainant_phone: Mapped[str | None] = mapped_column(String(30))
    complainant_address: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: The complaint in the complainant's words.
    description: Mapped[str] = mapped_column(Text)
    #: What it is about: a subject request (by id) or a breach (by the register's reference).
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subject_requests.id"), index=True
    )
    breach_reference: Mapped[str | None] = mapped_column(String(40))
    #: The register's entry for ``breach_reference`` (set and checked together).
    breach_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("breaches.id"), index=True)
    #: The request reference the complainant quoted, as they gave it, whether or not a request
    #: has it (the public is never told which): staff read it beside ``request_id``.
    request_reference_given: Mapped[str | None] = mapped_column(String(40))
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("outbound_messages.id")
    )
    outcome: Mapped[ComplaintOutcome | None] = mapped_column(
        text_enum(ComplaintOutcome, "complaint_outcome")
    )
    outcome_reasons: Mapped[str | None] = mapped_column(String(4000))
    #: Indexed: the retention sweep finds requests closed before its cut-off.
    closed_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_by: Mapped[str | None] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))


class ComplaintUpdate(Base):
    """Progress told to a complainant (s164A(4): enquiries and progress without undue
    delay), with the message that carried it."""

    __tablename__ = "complaint_updates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    complaint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(30))  # acknowledgement, progress, outcome
    summary: Mapped[str] = mapped_column(String(2000))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_messages.id"))
    recorded_by: Mapped[str] = mapped_column(String(255))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
