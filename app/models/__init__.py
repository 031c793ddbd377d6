"""ORM tables, one module per domain. Importing this package registers every table."""

from app.models.attendance import (
    AlertKind,
    AlertStatus,
    AttendanceAlert,
    AttendanceImport,
    AttendanceMark,
    AttendanceMarkHistory,
    AttendancePupilWeek,
    AttendanceSchoolWeek,
    AttendanceStaleWeek,
    ImportMode,
    ImportStatus,
)
from app.models.audit import AuditChainHead, AuditEvent
from app.models.base import Base
from app.models.clients import ApiClient
from app.models.disclosures import Disclosure, DisclosureChannel, DisclosureSubject, InspectionGrant
from app.models.idempotency import IdempotencyRecord
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.people import (
    Carer,
    CarerRelationship,
    DocumentKind,
    DuplicateReason,
    DuplicateStatus,
    Enrolment,
    EnrolmentSource,
    Gender,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    PupilDocument,
    RelationshipType,
    SensitiveCategory,
    SensitiveEntry,
    SubjectKey,
)
from app.models.roll_reviews import RollReview, RollReviewReason, RollReviewStatus
from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.sharing import DataCategory, Recipient, RecipientKind, SharingAgreement
from app.models.subjects import DataSubject, ObjectionStatus, SubjectKind, SubjectObjection

__all__ = [
    "AlertKind",
    "AlertStatus",
    "ApiClient",
    "AttendanceAlert",
    "AttendanceImport",
    "AttendanceMark",
    "AttendanceMarkHistory",
    "AttendancePupilWeek",
    "AttendanceSchoolWeek",
    "AttendanceStaleWeek",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Carer",
    "CarerRelationship",
    "Channel",
    "DataCategory",
    "DataSubject",
    "Disclosure",
    "DisclosureChannel",
    "DisclosureSubject",
    "DocumentKind",
    "DuplicateReason",
    "DuplicateStatus",
    "Enrolment",
    "EnrolmentSource",
    "Gender",
    "IdempotencyRecord",
    "ImportMode",
    "ImportStatus",
    "InspectionGrant",
    "MessageStatus",
    "ObjectionStatus",
    "OutboundMessage",
    "PersonKind",
    "PossibleDuplicate",
    "Pupil",
    "PupilDocument",
    "Recipient",
    "RecipientKind",
    "RelationshipType",
    "RollReview",
    "RollReviewReason",
    "RollReviewStatus",
    "School",
    "SchoolPhase",
    "SchoolStatus",
    "SensitiveCategory",
    "SensitiveEntry",
    "SharingAgreement",
    "SubjectKey",
    "SubjectKind",
    "SubjectObjection",
]
