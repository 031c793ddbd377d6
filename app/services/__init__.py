"""Use cases. Services own business rules and state machines; they flush, never commit."""
