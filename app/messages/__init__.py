"""Outbound messages: the registry of message types and the outbox they go through."""
