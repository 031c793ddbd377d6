"""Casework: attendance cases, suspension and exclusion-risk cases and School Attendance Order
cases, with everything an officer records on them.

A case is about one pupil (its data subject) and the carers with parental responsibility it
involves (``CaseParty``). It serves one purpose, its type's (``attendance_duty``,
``exclusion_support``, ``school_attendance_order``); the purposes it is collected for grow with
its stage (a case at penalty notice or prosecution stage is also processed for
``prosecution``: purpose binding), and while it is at such a stage its people have a live
legal claim (``subject_legal_claims``) for that purpose.

Need-to-know runs through cases: an attendance officer reaches a pupil, their carers, their
attendance and documents only through a case assigned to them, or unassigned in their area
team (triage). So the columns conditions read (``area_team``, ``assigned_officer``,
``closed_at``) are on the case row itself and indexed for the lists.

Every change is also a chronology event (``CaseEvent``), written in the same transaction:
the chronology a court bundle needs is a query, not a reconstruction.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    Base,
    EncryptedContent,
    JSONDocument,
    Timestamped,
    Versioned,
    text_enum,
    utcnow,
)
from app.models.people import Carer, Pupil, RelationshipType
from app.models.schools import School
from app.models.subjects import PersonalRecord


class CaseType(StrEnum):
    ATTENDANCE = "attendance"
    EXCLUSION_SUPPORT = "exclusion_support"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order"


class CaseStage(StrEnum):
    """Every stage any case type passes through (``app.rules.casework`` says which types
    use which, and the steps between them)."""

    REFERRAL = "referral"
    TRIAGE = "triage"
    SUPPORT = "support"
    ATTENDANCE_CONTRACT = "attendance_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    PENALTY_NOTICE = "penalty_notice"
    ESO_CONSIDERED = "eso_considered"
    PROSECUTION_PREPARATION = "prosecution_preparation"
    PROSECUTION = "prosecution"
    # School Attendance Orders (EA 1996 s437-s443).
    SAO_NOTICE = "sao_notice"
    SAO_INTENTION = "sao_intention"
    SAO_ORDER = "sao_order"
    # Suspension and exclusion-risk support.
    REINTEGRATION = "reintegration"
    CLOSED = "closed"


class ReferralSource(StrEnum):
    #: A school's staff or its information system.
    SCHOOL = "school"
    #: An officer or manager from an attendance alert.
    ALERT = "alert"
    #: Opened by the council without a referral (a manager, another service's concern).
    COUNCIL = "council"


class CaseOutcome(StrEnum):
    ATTENDANCE_IMPROVED = "attendance_improved"
    REFERRAL_DECLINED = "referral_declined"
    MOVED_SCHOOL = "moved_school"
    LEFT_AREA = "left_area"
    ELECTIVE_HOME_EDUCATION = "elective_home_education"
    REFERRED_TO_OTHER_SERVICE = "referred_to_other_service"
    PENALTY_PAID = "penalty_paid"
    EDUCATION_SUPERVISION_ORDER = "education_supervision_order"
    CONVICTED = "convicted"
    ACQUITTED = "acquitted"
    PROSECUTION_WITHDRAWN = "prosecution_withdrawn"
    ORDER_COMPLIED_WITH = "order_complied_with"
    ORDER_REVOKED = "order_revoked"
    REINTEGRATED = "reintegrated"
    NO_FURTHER_ACTION = "no_further_action"
    #: The case's pupil record was merged into another; the case moved with it.
    MERGED = "merged"


class EsoDecision(StrEnum):
    """Education Act 1996 s447: before prosecuting, the council must consider applying for
    an education supervision order instead (or as well)."""

    APPLY = "apply"
    NOT_APPROPRIATE = "not_appropriate"


class Case(PersonalRecord, Timestamped, Versioned, Base):
    __tablename__ = "cases"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint(
            "(stage = 'closed') = (closed_at IS NOT NULL)", name="closed_at_stage_closed"
        ),
        CheckConstraint("closed_at IS NULL OR outcome IS NOT NULL", name="closed_with_outcome"),
        # An officer's list: theirs, open first, by next action.
        Index("ix_cases_officer", "assigned_officer", "closed_at", "next_action_on", "id"),
        # Triage and a manager's list: a team's cases.
        Index("ix_cases_team", "area_team", "assigned_officer", "closed_at", "id"),
        # Need-to-know through cases: a pupil's open cases.
        Index("ix_cases_pupil_open", "pupil_id", "closed_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: A reference officers and schools can quote ("KPAS-2026-000123"): no personal data.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    case_type: Mapped[CaseType] = mapped_column(text_enum(CaseType, "case_type"))
    #: The purpose the case serves (its type's); routes on the case default to it.
    purpose: Mapped[str] = mapped_column(String(60))
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"))
    stage: Mapped[CaseStage] = mapped_column(text_enum(CaseStage, "case_stage"), index=True)
    #: The school the case is about (the referring school, or the school whose marks raised
    #: the alert). Its district and area team are copied here when the case opens.
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    district: Mapped[str] = mapped_column(String(40))
    area_team: Mapped[str] = mapped_column(String(20))
    assigned_officer: Mapped[str | None] = mapped_column(String(255))
    assigned_at: Mapped[datetime | None]
    referral_source: Mapped[ReferralSource] = mapped_column(
        text_enum(ReferralSource, "referral_source")
    )
    #: Who referred (a member of school staff or a machine client: the token's subject).
    referred_by: Mapped[str] = mapped_column(String(255))
    #: The referring school's reason and evidence (``app.schemas.cases.ReferralEvidence``).
    #: The school's own words about its pupil: shown to the council, and back to the school.
    referral: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    #: The attendance alert the case was opened from, if any.
    alert_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attendance_alerts.id", ondelete="SET NULL"), index=True
    )
    opened_on: Mapped[date] = mapped_column(Date)
    #: The date of the next action due (a review, a deadline); the "overdue" filter.
    next_action_on: Mapped[date | None] = mapped_column(Date)
    next_action: Mapped[str | None] = mapped_column(String(200))
    #: s447: an education supervision order considered, and the decision.
    eso_decision: Mapped[EsoDecision | None] = mapped_column(text_enum(EsoDecision, "eso_decision"))
    eso_considered_on: Mapped[date | None] = mapped_column(Date)
    eso_reason: Mapped[str | None] = mapped_column(String(2000))
    eso_recorded_by: Mapped[str | None] = mapped_column(String(255))
    #: A manager's approval to prosecute (with the evidence list it saw).
    prosecution_approved_by: Mapped[str | None] = mapped_column(String(255))
    prosecution_approved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[CaseOutcome | None] = mapped_column(text_enum(CaseOutcome, "case_outcome"))
    #: What the referring school is told with the outcome (no LA-internal notes).
    outcome_summary: Mapped[str | None] = mapped_column(String(500))

    pupil: Mapped[Pupil] = relationship(lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")
    parties: Mapped[list[CaseParty]] = relationship(
        back_populates="case", lazy="raise", order_by="CaseParty.added_at"
    )

    # What the policy layer's conditions read in Python.

    @property
    def reach_keys(self) -> frozenset[str]:
        return case_reach_keys(self.assigned_officer, self.area_team, self.closed_at is None)


def case_reach_keys(officer: str | None, area_team: str, open_: bool) -> frozenset[str]:
    """Who an open case reaches, as keys a caller's own keys are compared with: its assigned
    officer, or (unassigned) its area team for triage. A closed case stays with its officer."""
    if officer is not None:
        return frozenset({f"officer:{officer}"})
    return frozenset({f"team:{area_team}"}) if open_ else frozenset()


class CaseParty(Timestamped, Base):
    """A parent or carer a case involves. Penalty notices and prosecutions are per parent,
    per child: only a party with parental responsibility for the pupil can receive them."""

    __tablename__ = "case_parties"
    __table_args__ = (UniqueConstraint("case_id", "carer_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"), index=True)
    #: The carer's data subject (audit, restriction and legal claims without a join).
    subject_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_subjects.id"), index=True)
    relationship_type: Mapped[RelationshipType] = mapped_column(
        text_enum(RelationshipType, "relationship_type")
    )
    parental_responsibility: Mapped[bool] = mapped_column(Boolean)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship(back_populates="parties", lazy="raise")
    carer: Mapped[Carer] = relationship(lazy="raise")


class CaseEventKind(StrEnum):
    # Written by the service as the case changes.
    OPENED = "opened"
    ASSIGNED = "assigned"
    STAGE_CHANGED = "stage_changed"
    PARTY_ADDED = "party_added"
    PARTY_REMOVED = "party_removed"
    ESO_CONSIDERED = "eso_considered"
    PROSECUTION_APPROVED = "prosecution_approved"
    MEETING = "meeting"
    ATTENDANCE_CONTRACT = "attendance_contract"
    NOTICE_TO_IMPROVE = "notice_to_improve"
    PENALTY_NOTICE = "penalty_notice"
    SCHOOL_ATTENDANCE_ORDER = "school_attendance_order"
    PROSECUTION = "prosecution"
    DOCUMENT = "document"
    LETTER_QUEUED = "letter_queued"
    LETTER_RETURNED = "letter_returned"
    DISCLOSURE = "disclosure"
    MERGED = "merged"
    #: A school reported a suspension or permanent exclusion of the case's pupil.
    EXCLUSION_REPORTED = "exclusion_reported"
    CLOSED = "closed"
    # Recorded by officers.
    NOTE = "note"
    PHONE_CALL = "phone_call"
    HOME_VISIT = "home_visit"
    LETTER = "letter"
    EMAIL = "email"
    SCHOOL_CONTACT = "school_contact"
    OTHER_CONTACT = "other_contact"


#: Kinds an officer records by hand; the rest the service writes.
RECORDED_KINDS = frozenset(
    {
        CaseEventKind.NOTE,
        CaseEventKind.PHONE_CALL,
        CaseEventKind.HOME_VISIT,
        CaseEventKind.LETTER,
        CaseEventKind.EMAIL,
        CaseEventKind.SCHOOL_CONTACT,
        CaseEventKind.OTHER_CONTACT,
    }
)


class CaseEvent(Base):
    """One entry of a case's chronology. Entries are never edited: a correction is a new
    entry that says what it corrects (``corrects_id``)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_chronology", "case_id", "occurred_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[CaseEventKind] = mapped_column(text_enum(CaseEventKind, "case_event_kind"))
    #: When it happened (a visit yesterday is recorded today): the chronology's order.
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(255))
    #: The officer's words (notes and contacts), LA-internal: never shown to a school.
    text: Mapped[str | None] = mapped_column(Text)
    #: Ids, dates and codes the event is about (a stage, a notice's id), never free text.
    details: Mapped[dict[str, Any]] = mapped_column(JSONDocument, default=dict)
    corrects_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case_events.id"))


class CaseDocumentKind(StrEnum):
    LETTER = "letter"
    MEETING_NOTES = "meeting_notes"
    ATTENDANCE_CONTRACT = "attendance_contract"
    CHRONOLOGY = "chronology"
    EVIDENCE = "evidence"
    WITNESS_STATEMENT = "witness_statement"
    COURT_DOCUMENT = "court_document"
    OTHER = "other"


class CaseDocument(PersonalRecord, EncryptedContent, Timestamped, Base):
    """A document on a case (a letter a school sent, meeting notes, a contract), encrypted at
    rest with the pupil's subject key: destroying that key destroys every copy."""

    __tablename__ = "case_documents"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        CheckConstraint("size_bytes > 0", name="not_empty"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[CaseDocumentKind] = mapped_column(
        text_enum(CaseDocumentKind, "case_document_kind")
    )
    #: A short title the officer gives it ("Letter from school, 3 March"): no file names.
    title: Mapped[str] = mapped_column(String(200))


class MeetingKind(StrEnum):
    ATTENDANCE_MEETING = "attendance_meeting"
    EARLY_HELP = "early_help"
    CONTRACT_REVIEW = "contract_review"
    REINTEGRATION = "reintegration"
    #: The governing board's consideration of a suspension or permanent exclusion.
    GOVERNING_BOARD = "governing_board"
    INDEPENDENT_REVIEW_PANEL = "independent_review_panel"
    OTHER = "other"


class CaseMeeting(Timestamped, Versioned, Base):
    __tablename__ = "case_meetings"
    __table_args__ = (Index("ix_case_meetings_case", "case_id", "scheduled_for"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[MeetingKind] = mapped_column(text_enum(MeetingKind, "meeting_kind"))
    scheduled_for: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200))
    #: Who was invited and who came: carer ids and roles, never names.
    invited_carer_ids: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    attended_carer_ids: Mapped[list[str] | None] = mapped_column(JSONDocument)
    #: An officer attended (statutory exclusion meetings record it).
    officer_attended: Mapped[bool | None] = mapped_column(Boolean)
    held_on: Mapped[date | None] = mapped_column(Date)
    cancelled_at: Mapped[datetime | None]
    notes: Mapped[str | None] = mapped_column(Text)
    agreed_actions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONDocument)
    recorded_by: Mapped[str] = mapped_column(String(255))


class ContractStatus(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    ENDED = "ended"


class AttendanceContract(Timestamped, Versioned, Base):
    """A voluntary written agreement between the parents and the school or council (DfE,
    *Working together to improve school attendance*, 2024): agreed actions and a review."""

    __tablename__ = "attendance_contracts"
    __table_args__ = (
        CheckConstraint("review_on >= agreed_on", name="review_after_agreement"),
        CheckConstraint("(status = 'active') = (ended_on IS NULL)", name="ended_has_date"),
        CheckConstraint("ended_on IS NULL OR ended_on >= agreed_on", name="ended_after_agreement"),
        Index("ix_attendance_contracts_case", "case_id", "agreed_on"),
        # One active contract per case: a new one follows the end of the last.
        Index(
            "uq_attendance_contracts_active",
            "case_id",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    agreed_on: Mapped[date] = mapped_column(Date)
    review_on: Mapped[date] = mapped_column(Date)
    carer_ids: Mapped[list[str]] = mapped_column(JSONDocument)
    #: ``[{"by": "parent" | "school" | "council" | "pupil", "action": "..."}]``.
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    status: Mapped[ContractStatus] = mapped_column(text_enum(ContractStatus, "contract_status"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(255))


class NoticeGround(StrEnum):
    """Why attendance is being enforced: a notice to improve is not needed for term-time
    holidays (DfE guidance 2024), everything else goes through one first."""

    IRREGULAR_ATTENDANCE = "irregular_attendance"
    TERM_TIME_HOLIDAY = "term_time_holiday"


class NoticeToImproveStatus(StrEnum):
    ISSUED = "issued"
    IMPROVED = "improved"
    NOT_IMPROVED = "not_improved"
    WITHDRAWN = "withdrawn"


class NoticeToImprove(Timestamped, Versioned, Base):
    """A last chance to engage in support before a penalty notice: an improvement period of
    3 to 6 weeks (DfE, *Working together to improve school attendance*, 2024)."""

    __tablename__ = "notices_to_improve"
    __table_args__ = (
        CheckConstraint("improvement_weeks BETWEEN 3 AND 6", name="improvement_period"),
        UniqueConstraint("case_id", "carer_id", "issued_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    improvement_weeks: Mapped[int] = mapped_column(SmallInteger)
    period_ends_on: Mapped[date] = mapped_column(Date)
    status: Mapped[NoticeToImproveStatus] = mapped_column(
        text_enum(NoticeToImproveStatus, "notice_to_improve_status")
    )
    outcome_on: Mapped[date | None] = mapped_column(Date)
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_messages.id"))
    recorded_by: Mapped[str] = mapped_column(String(255))


class ServiceMethod(StrEnum):
    HAND = "hand"
    FIRST_CLASS_POST = "first_class_post"


class PenaltyNoticeStatus(StrEnum):
    ISSUED = "issued"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    #: Unpaid after the 28-day period: the council prosecutes or withdraws.
    UNPAID = "unpaid"


class PenaltyNotice(PersonalRecord, Timestamped, Versioned, Base):
    """A penalty notice to one parent for one child (EA 1996 s444A; the Education (Penalty
    Notices) (England) Regulations 2007 as amended by SI 2024/210). Its data subject is the
    parent it is issued to; the pupil's subject is kept too."""

    __tablename__ = "penalty_notices"
    __table_args__ = (
        *PersonalRecord.table_checks(law_enforcement=True),
        CheckConstraint("offence_to >= offence_from", name="offence_period_in_order"),
        CheckConstraint("served_on >= issued_on", name="served_after_issue"),
        CheckConstraint(
            "(status = 'withdrawn') = (withdrawn_on IS NOT NULL)", name="withdrawn_has_date"
        ),
        CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name="paid_has_date"),
        # The three-year count: a parent's notices for a child, by date.
        Index("ix_penalty_notices_parent_child", "carer_id", "pupil_id", "issued_on"),
        # One notice per parent, per child, per offence period (a withdrawn one may be
        # issued again, correctly).
        Index(
            "uq_penalty_notices_parent_child_period",
            "carer_id",
            "pupil_id",
            "offence_from",
            "offence_to",
            unique=True,
            sqlite_where=text("status <> 'withdrawn'"),
            postgresql_where=text("status <> 'withdrawn'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The notice number printed on the notice and quoted with a payment ("PN-2026-7KQ2M9XD"):
    #: no personal data.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    case_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), index=True
    )
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id"))
    #: The pupil's data subject (not a key: the row's own subject is the parent's).
    pupil_subject_id: Mapped[uuid.UUID] = mapped_column(index=True)
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"))
    #: The threshold event (a ``penalty_threshold`` alert) the notice followed, if any.
    alert_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("attendance_alerts.id", ondelete="SET NULL"), index=True
    )
    ground: Mapped[NoticeGround] = mapped_column(text_enum(NoticeGround, "notice_ground"))
    offence_from: Mapped[date] = mapped_column(Date)
    offence_to: Mapped[date] = mapped_column(Date)
    #: 1 for a first notice in three years (£80 / £160), 2 for a second (£160 flat).
    sequence: Mapped[int] = mapped_column(SmallInteger)
    issued_on: Mapped[date] = mapped_column(Date)
    service_method: Mapped[ServiceMethod] = mapped_column(
        text_enum(ServiceMethod, "service_method")
    )
    served_on: Mapped[date] = mapped_column(Date)
    #: When the parent is taken to have received it (by hand: the day served; by post: the
    #: rule in ``app.rules.penalty_notices``).
    received_on: Mapped[date] = mapped_column(Date)
    #: The reduced amount and its last day (first notices only), in pence.
    reduced_amount_pence: Mapped[int | None] = mapped_column(Integer)
    reduced_due_on: Mapped[date | None] = mapped_column(Date)
    full_amount_pence: Mapped[int] = mapped_column(Integer)
    full_due_on: Mapped[date] = mapped_column(Date)
    approved_by: Mapped[str] = mapped_column(String(255))
    status: Mapped[PenaltyNoticeStatus] = mapped_column(
        text_enum(PenaltyNoticeStatus, "penalty_notice_status")
    )
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_amount_pence: Mapped[int | None] = mapped_column(Integer)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outbound_messages.id"))
    recorded_by: Mapped[str] = mapped_column(String(255))


class SaoRegime(StrEnum):
    EDUCATION_ACT_1996 = "education_act_1996"
    CHILDRENS_WELLBEING_AND_SCHOOLS_ACT_2026 = "cwsa_2026"


class SaoStatus(StrEnum):
    NOTICE_SERVED = "notice_served"
    #: The parent satisfied the council within the notice period: no order.
    SATISFIED = "satisfied"
    INTENTION_SERVED = "intention_served"
    ORDER_MADE = "order_made"
    REVOKED = "revoked"
    BREACHED = "breached"


class SchoolAttendanceOrder(Timestamped, Versioned, Base):
    """The School Attendance Order process for one parent and child (EA 1996 s437-s443),
    under the regime in force on the day the first notice was served."""

    __tablename__ = "school_attendance_orders"
    __table_args__ = (
        CheckConstraint("notice_deadline >= notice_served_on", name="notice_period"),
        Index("ix_school_attendance_orders_case", "case_id", "notice_served_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"), index=True)
    regime: Mapped[SaoRegime] = mapped_column(text_enum(SaoRegime, "sao_regime"))
    status: Mapped[SaoStatus] = mapped_column(text_enum(SaoStatus, "sao_status"))
    #: s437(1): the notice to satisfy the council that the child is receiving suitable
    #: education, and the last day of the period it gives.
    notice_served_on: Mapped[date] = mapped_column(Date)
    notice_deadline: Mapped[date] = mapped_column(Date)
    #: s437(3)-(4), s438: the notice of intention naming a school, and the last day to choose
    #: another.
    intention_served_on: Mapped[date | None] = mapped_column(Date)
    intention_school_urn: Mapped[int | None] = mapped_column(ForeignKey("schools.urn"))
    intention_deadline: Mapped[date | None] = mapped_column(Date)
    parent_chosen_school_urn: Mapped[int | None] = mapped_column(ForeignKey("schools.urn"))
    order_made_on: Mapped[date | None] = mapped_column(Date)
    order_school_urn: Mapped[int | None] = mapped_column(ForeignKey("schools.urn"))
    approved_by: Mapped[str | None] = mapped_column(String(255))
    amended_on: Mapped[date | None] = mapped_column(Date)
    revoked_on: Mapped[date | None] = mapped_column(Date)
    revocation_reason: Mapped[str | None] = mapped_column(String(500))
    breached_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(255))


class Offence(StrEnum):
    """Education Act 1996 s444."""

    #: s444(1): a child of compulsory school age fails to attend regularly (level 3 fine).
    FAILURE_TO_SECURE_REGULAR_ATTENDANCE = "s444(1)"
    #: s444(1A): the parent knows of the failure and fails to cause attendance (level 4 fine
    #: and/or up to 3 months' imprisonment).
    KNOWINGLY_FAILING = "s444(1A)"
    #: s443: failure to comply with a School Attendance Order.
    SAO_BREACH = "s443"


class ProsecutionStatus(StrEnum):
    PREPARING = "preparing"
    LAID = "laid"
    CONCLUDED = "concluded"
    WITHDRAWN = "withdrawn"


class Prosecution(Timestamped, Versioned, Base):
    """A prosecution of one parent for one child: DPA 2018 Part 3 processing (the council is a
    competent authority, s30(1)(b)); every read and change of it is logged with its case."""

    __tablename__ = "prosecutions"
    __table_args__ = (
        CheckConstraint("offence_to >= offence_from", name="offence_period_in_order"),
        Index("ix_prosecutions_case", "case_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    carer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("carers.id"), index=True)
    offence: Mapped[Offence] = mapped_column(text_enum(Offence, "offence"))
    offence_from: Mapped[date] = mapped_column(Date)
    offence_to: Mapped[date] = mapped_column(Date)
    #: The unpaid penalty notice the prosecution follows, if any.
    penalty_notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("penalty_notices.id"))
    #: Magistrates' Courts Act 1980 s127: the last day the information may be laid.
    lay_by: Mapped[date] = mapped_column(Date)
    #: ``[{"item": "...", "document_id": uuid | null}]``: what the prosecution relies on.
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument, default=list)
    #: The witness statement's structured data (the officer, the attendance figures, the
    #: interventions tried): ids, dates and figures.
    witness_statement: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)
    status: Mapped[ProsecutionStatus] = mapped_column(
        text_enum(ProsecutionStatus, "prosecution_status")
    )
    laid_on: Mapped[date | None] = mapped_column(Date)
    court: Mapped[str | None] = mapped_column(String(200))
    hearing_on: Mapped[date | None] = mapped_column(Date)
    #: The disclosure that recorded the bundle sent to HMCTS.
    disclosure_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("disclosures.id"))
    outcome: Mapped[str | None] = mapped_column(String(500))
    concluded_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(255))
