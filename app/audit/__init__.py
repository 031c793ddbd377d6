"""The tamper-evident audit trail: recording, sealing and verifying the hash chain (UK GDPR
Art 5(2) and Art 32; DPA 2018 s62 logging)."""

from app.audit.trail import PendingAuditEvent, record, seal, take_surviving

__all__ = ["PendingAuditEvent", "record", "seal", "take_surviving"]
