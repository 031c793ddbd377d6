"""Pydantic request and response shapes, separate from the ORM tables."""
