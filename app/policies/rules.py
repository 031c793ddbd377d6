"""Who may do what, for which purpose, to which records: the rules as data.

One row per rule: roles, resource, actions, purposes -> condition. Read them as sentences:
"an attendance officer may read a pupil for attendance_duty if the pupil is in one of their
cases". Anything not allowed here is refused (deny by default). Rule ids appear in every
decision, audit event and refusal, so a support desk can find the rule that decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.principal import Role
from app.policies.conditions import ALWAYS, Condition
from app.policies.registry import Purpose

READ = frozenset({"read", "list"})
WRITE = frozenset({"create", "update", "delete"})

STAFF = frozenset(
    {
        Role.ATTENDANCE_OFFICER,
        Role.ATTENDANCE_MANAGER,
        Role.LICENSING_OFFICER,
        Role.INFORMATION_GOVERNANCE,
        Role.ADMIN,
    }
)

SHARING_READERS = frozenset({Role.INFORMATION_GOVERNANCE, Role.ADMIN, Role.ATTENDANCE_MANAGER})


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    roles: frozenset[Role]
    resource: str
    actions: frozenset[str]
    #: Purposes the rule allows; empty for resources that hold no personal data.
    purposes: frozenset[Purpose] = frozenset()
    condition: Condition = ALWAYS
    #: The role may see special category fields (only where the purpose has an Art 9 condition).
    special_category: bool = False


RULES: tuple[Rule, ...] = (
    # Schools hold no personal data: staff and schools read; administrators maintain them.
    Rule("schools.read", STAFF | {Role.SCHOOL_STAFF}, "school", READ),
    Rule("schools.read.inspector", frozenset({Role.INSPECTOR}), "school", READ),
    Rule("schools.manage", frozenset({Role.ADMIN}), "school", WRITE),
    # Machine clients of the token issuer.
    Rule("api_clients.manage", frozenset({Role.ADMIN}), "api_client", READ | WRITE),
    # The audit trail: information governance reviews and verifies it.
    Rule(
        "audit.review",
        frozenset({Role.INFORMATION_GOVERNANCE}),
        "audit_event",
        frozenset({"list", "verify"}),
    ),
    # The purposes registry is the public promise; its findings are for governance.
    Rule("purposes.read", STAFF | {Role.SCHOOL_STAFF}, "purpose_registry", frozenset({"list"})),
    Rule(
        "purposes.findings",
        frozenset({Role.INFORMATION_GOVERNANCE, Role.ADMIN}),
        "purpose_registry",
        frozenset({"findings"}),
    ),
    # Recipients and sharing agreements hold no personal data: administrators maintain them;
    # those who decide on disclosures read them.
    Rule("recipients.read", SHARING_READERS, "recipient", READ),
    Rule("recipients.manage", frozenset({Role.ADMIN}), "recipient", WRITE),
    Rule("sharing_agreements.read", SHARING_READERS, "sharing_agreement", READ),
    Rule("sharing_agreements.manage", frozenset({Role.ADMIN}), "sharing_agreement", WRITE),
)

#: Purposes each role may state at all, whatever the resource (SPEC §4).
ROLE_PURPOSES: dict[Role, frozenset[Purpose]] = {
    Role.ATTENDANCE_OFFICER: frozenset(
        {
            Purpose.ATTENDANCE_DUTY,
            Purpose.INTERVENTION,
            Purpose.PROSECUTION,
            Purpose.SCHOOL_ATTENDANCE_ORDER,
            Purpose.EXCLUSION_SUPPORT,
        }
    ),
    Role.ATTENDANCE_MANAGER: frozenset(
        {
            Purpose.ATTENDANCE_DUTY,
            Purpose.INTERVENTION,
            Purpose.PROSECUTION,
            Purpose.SCHOOL_ATTENDANCE_ORDER,
            Purpose.EXCLUSION_SUPPORT,
        }
    ),
    Role.LICENSING_OFFICER: frozenset({Purpose.CHILD_EMPLOYMENT_LICENSING}),
    Role.INFORMATION_GOVERNANCE: frozenset(
        {
            Purpose.SUBJECT_RIGHTS,
            Purpose.BREACH_MANAGEMENT,
            Purpose.RETENTION_MANAGEMENT,
            Purpose.LEGAL_DISCLOSURE,
            Purpose.STATUTORY_INSPECTION,
        }
    ),
    Role.ADMIN: frozenset(),
    Role.SCHOOL_STAFF: frozenset(
        {Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION, Purpose.EXCLUSION_SUPPORT}
    ),
    Role.MIS_INTEGRATION: frozenset({Purpose.ATTENDANCE_DUTY}),
    Role.PARTNER: frozenset(),  # set per sharing agreement
    Role.INSPECTOR: frozenset({Purpose.STATUTORY_INSPECTION}),
}


def validate(rules: tuple[Rule, ...]) -> None:
    """Refuse a rule set that contradicts itself (checked at start-up and in tests)."""
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise ValueError(f"duplicate rule id {rule.id}")
        seen.add(rule.id)
        for role in rule.roles:
            outside = rule.purposes - ROLE_PURPOSES[role]
            if outside and role is not Role.PARTNER:
                raise ValueError(
                    f"rule {rule.id} lets {role} use purposes the role may not state: "
                    f"{sorted(outside)}"
                )
        if Role.INSPECTOR in rule.roles and not rule.actions <= READ:
            raise ValueError(f"rule {rule.id}: inspectors are read-only")
