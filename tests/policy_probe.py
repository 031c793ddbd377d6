"""A small test-only personal-data resource for exercising the policy layer on its own.

Its table lives in its own MetaData (it is not part of the service's schema) and is created
inside each test's transaction.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid

from app.auth.principal import Role
from app.policies.conditions import AnyOf, AtOwnSchools, InAreaTeams, column_attribute
from app.policies.engine import PolicyEngine
from app.policies.registry import Purpose
from app.policies.resources import RESOURCES, ResourceBinding
from app.policies.rules import RULES, Rule

probe_metadata = MetaData()

probe_records = Table(
    "policy_probe_records",
    probe_metadata,
    Column("id", Uuid, primary_key=True, default=uuid.uuid4),
    Column("subject_id", Uuid, nullable=False),
    Column("school_urn", Integer, nullable=False),
    Column("area_team", String(10), nullable=False),
    Column("purposes_mask", Integer, nullable=False),
    Column("note", String(50), nullable=False),
    Column("health", String(50)),
)


class ProbeRecord:
    """A plain row object for Python-side checks."""

    def __init__(self, **values: object) -> None:
        self.__dict__.update(values)


c = probe_records.c
PROBE = ResourceBinding(
    "probe",
    personal_data=True,
    attributes={
        "school_urn": column_attribute(c.school_urn),
        "area_team": column_attribute(c.area_team),
    },
    subject_column=c.subject_id,
    purposes_column=c.purposes_mask,
    special_category_fields=frozenset({"health"}),
)

PROBE_RULES: tuple[Rule, ...] = (
    Rule(
        "probe.officer",
        frozenset({Role.ATTENDANCE_OFFICER, Role.ATTENDANCE_MANAGER}),
        "probe",
        frozenset({"read", "list"}),
        frozenset({Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION, Purpose.PROSECUTION}),
        InAreaTeams(),
        special_category=True,
    ),
    Rule(
        "probe.school",
        frozenset({Role.SCHOOL_STAFF}),
        "probe",
        frozenset({"read", "list"}),
        frozenset({Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION}),
        AtOwnSchools(),
    ),
    Rule(
        "probe.mixed",
        frozenset({Role.ATTENDANCE_MANAGER}),
        "probe",
        frozenset({"read", "list"}),
        frozenset({Purpose.EXCLUSION_SUPPORT}),
        AnyOf((InAreaTeams(), AtOwnSchools())),
    ),
    Rule(
        "probe.governance",
        frozenset({Role.INFORMATION_GOVERNANCE}),
        "probe",
        frozenset({"read", "list"}),
        frozenset({Purpose.SUBJECT_RIGHTS, Purpose.RETENTION_MANAGEMENT}),
        special_category=True,
    ),
    Rule(
        "probe.inspector",
        frozenset({Role.INSPECTOR}),
        "probe",
        frozenset({"read", "list"}),
        frozenset({Purpose.STATUTORY_INSPECTION}),
    ),
)


def probe_engine() -> PolicyEngine:
    return PolicyEngine(RULES + PROBE_RULES, {**RESOURCES, "probe": PROBE})
