"""Thin HTTP: parse, call a service, shape the response."""
