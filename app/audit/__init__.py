"""The tamper-evident audit trail: recording, sealing and verifying the hash chain (SPEC §9)."""

from app.audit.trail import PendingAuditEvent, record, seal, take_surviving

__all__ = ["PendingAuditEvent", "record", "seal", "take_surviving"]
