"""Statutory and reference rules as data and pure functions, each citing its source."""
