"""ORM tables, one module per domain. Importing this package registers every table."""

from app.models.audit import AuditChainHead, AuditEvent
from app.models.base import Base
from app.models.clients import ApiClient
from app.models.idempotency import IdempotencyRecord
from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.sharing import DataCategory, Recipient, RecipientKind, SharingAgreement
from app.models.subjects import DataSubject, ObjectionStatus, SubjectKind, SubjectObjection

__all__ = [
    "ApiClient",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "DataCategory",
    "DataSubject",
    "IdempotencyRecord",
    "ObjectionStatus",
    "Recipient",
    "RecipientKind",
    "School",
    "SchoolPhase",
    "SchoolStatus",
    "SharingAgreement",
    "SubjectKind",
    "SubjectObjection",
]
