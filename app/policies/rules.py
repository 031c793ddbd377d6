"""Who may do what, for which purpose, to which records: the rules as data.

One row per rule: roles, resource, actions, purposes -> condition. Read them as sentences:
"an attendance officer may read a pupil for attendance_duty if the pupil is in one of their
cases". Anything not allowed here is refused (deny by default). Rule ids appear in every
decision, audit event and refusal, so a support desk can find the rule that decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.auth.principal import Role
from app.policies.conditions import (
    ALWAYS,
    AllOf,
    AnyOf,
    AtOwnSchools,
    Condition,
    InAreaTeams,
    InDistricts,
    InOwnCases,
    OwnedByCaller,
)
from app.policies.registry import REGISTRY, Purpose

READ = frozenset({"read", "list"})
WRITE = frozenset({"create", "update", "delete"})
#: What information governance does to a subject request: record it, move its clock
#: (identity, clarification, extension), confirm whom it is about, answer record by record,
#: build and release the bundle, act on it (rectify, restrict, erase), close and review it.
SUBJECT_REQUEST_ACTIONS = frozenset(
    {"create", "update", "clock", "extend", "match", "answer", "bundle", "act", "close", "review"}
)

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

MANAGERS = frozenset({Role.ATTENDANCE_MANAGER})
OFFICERS = frozenset({Role.ATTENDANCE_OFFICER})
GOVERNANCE = frozenset({Role.INFORMATION_GOVERNANCE})
SCHOOLS = frozenset({Role.SCHOOL_STAFF})
PARTNERS = frozenset({Role.PARTNER})
INSPECTORS = frozenset({Role.INSPECTOR})
LICENSING = frozenset({Role.LICENSING_OFFICER})
#: The one purpose licensing works under.
LICENSING_PURPOSE = frozenset({Purpose.CHILD_EMPLOYMENT_LICENSING})

#: The attendance service's own purposes (``app.policies.registry``), as its managers use them.
ATTENDANCE_PURPOSES = frozenset(
    {
        Purpose.ATTENDANCE_DUTY,
        Purpose.INTERVENTION,
        Purpose.PROSECUTION,
        Purpose.SCHOOL_ATTENDANCE_ORDER,
        Purpose.EXCLUSION_SUPPORT,
    }
)
#: What a school uses its own pupils' records for.
SCHOOL_PURPOSES = frozenset(
    {Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION, Purpose.EXCLUSION_SUPPORT}
)
#: Governance purposes information governance reads records under (never for casework).
GOVERNANCE_READS = frozenset(
    {
        Purpose.SUBJECT_RIGHTS,
        Purpose.BREACH_MANAGEMENT,
        Purpose.RETENTION_MANAGEMENT,
        Purpose.COURT_DISCLOSURE,
        Purpose.CRIME_PREVENTION_DISCLOSURE,
    }
)
#: Purposes a partner may ever be given by an agreement. Which of them a partner has, and
#: over which districts and categories, is the active agreement's to say (checked per request).
PARTNER_PURPOSES = ATTENDANCE_PURPOSES | {
    Purpose.COURT_DISCLOSURE,
    Purpose.CRIME_PREVENTION_DISCLOSURE,
}


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
    #: Which parts of a record the rule serves, tested on the school that recorded each part
    #: (the marks of a pupil's attendance). A caller whose reach comes from their schools sees
    #: what their own schools recorded, not what another school recorded about the same pupil.
    parts: Condition = ALWAYS


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
    # The record of processing, the notice's lists and their drift hold no personal data, but
    # they are governance documents, not public ones.
    Rule(
        "processing_record.read",
        frozenset({Role.INFORMATION_GOVERNANCE, Role.ADMIN}),
        "processing_record",
        frozenset({"read"}),
    ),
    # Recipients and sharing agreements hold no personal data: administrators maintain them;
    # those who decide on disclosures read them.
    Rule("recipients.read", SHARING_READERS, "recipient", READ),
    Rule("recipients.manage", frozenset({Role.ADMIN}), "recipient", WRITE),
    Rule("sharing_agreements.read", SHARING_READERS, "sharing_agreement", READ),
    Rule("sharing_agreements.manage", frozenset({Role.ADMIN}), "sharing_agreement", WRITE),
    # Pupils. Attendance managers: pupils on roll in their area teams. Attendance officers reach
    # pupils only through their cases (the casework rules below).
    Rule("pupils.manager.read", MANAGERS, "pupil", READ, ATTENDANCE_PURPOSES, InAreaTeams()),
    Rule(
        "pupils.manager.write",
        MANAGERS,
        "pupil",
        frozenset({"create", "update", "merge"}),
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    Rule("pupils.school.read", SCHOOLS, "pupil", READ, SCHOOL_PURPOSES, AtOwnSchools()),
    Rule("pupils.governance.read", GOVERNANCE, "pupil", READ, GOVERNANCE_READS),
    # Rectification and merging duplicates are subject-rights work for governance.
    Rule(
        "pupils.governance.rectify",
        GOVERNANCE,
        "pupil",
        frozenset({"update", "merge"}),
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    Rule("pupils.partner.read", PARTNERS, "pupil", READ, PARTNER_PURPOSES, InDistricts()),
    Rule(
        "pupils.inspector.read",
        INSPECTORS,
        "pupil",
        READ,
        frozenset({Purpose.STATUTORY_INSPECTION}),
        AtOwnSchools(),
    ),
    # Special category data and identity documents: LA-held, so never school staff or MIS.
    Rule(
        "sensitive.manager",
        MANAGERS,
        "pupil_sensitive",
        READ | {"create", "delete"},
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
        special_category=True,
    ),
    Rule(
        "sensitive.governance.read",
        GOVERNANCE,
        "pupil_sensitive",
        READ,
        GOVERNANCE_READS,
        special_category=True,
    ),
    Rule(
        "sensitive.governance.rectify",
        GOVERNANCE,
        "pupil_sensitive",
        frozenset({"delete"}),
        frozenset({Purpose.SUBJECT_RIGHTS}),
        special_category=True,
    ),
    Rule(
        "sensitive.partner.read",
        PARTNERS,
        "pupil_sensitive",
        READ,
        PARTNER_PURPOSES,
        InDistricts(),
        special_category=True,
    ),
    Rule(
        "sensitive.inspector.read",
        INSPECTORS,
        "pupil_sensitive",
        READ,
        frozenset({Purpose.STATUTORY_INSPECTION}),
        AtOwnSchools(),
        special_category=True,
    ),
    # Carers, reached through their pupils.
    Rule("carers.manager.read", MANAGERS, "carer", READ, ATTENDANCE_PURPOSES, InAreaTeams()),
    Rule(
        "carers.manager.write",
        MANAGERS,
        "carer",
        frozenset({"create", "update", "merge"}),
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    Rule("carers.school.read", SCHOOLS, "carer", READ, SCHOOL_PURPOSES, AtOwnSchools()),
    Rule("carers.governance.read", GOVERNANCE, "carer", READ, GOVERNANCE_READS),
    Rule(
        "carers.governance.rectify",
        GOVERNANCE,
        "carer",
        frozenset({"update", "merge"}),
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    Rule("carers.partner.read", PARTNERS, "carer", READ, PARTNER_PURPOSES, InDistricts()),
    Rule(
        "carers.inspector.read",
        INSPECTORS,
        "carer",
        READ,
        frozenset({Purpose.STATUTORY_INSPECTION}),
        AtOwnSchools(),
    ),
    # A school's information system replaces its own school's roll, and nothing else.
    Rule(
        "roll.mis.replace",
        frozenset({Role.MIS_INTEGRATION}),
        "school_roll",
        frozenset({"replace"}),
        frozenset({Purpose.ATTENDANCE_DUTY}),
        AtOwnSchools(),
    ),
    # Possible duplicates: managers and governance review them, each pair only where they may
    # see one of its two records for the purpose (the services add that filter; merging
    # needs both, as a pupil action).
    Rule(
        "duplicates.manager.review",
        MANAGERS,
        "possible_duplicate",
        READ | {"update"},
        ATTENDANCE_PURPOSES,
    ),
    Rule(
        "duplicates.governance.review",
        GOVERNANCE,
        "possible_duplicate",
        READ | {"update"},
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    # Roll reviews: what a school's roll sent about a pupil on another school's roll too. The
    # attendance managers of that school's area team and governance (rectification) resolve
    # them.
    Rule(
        "roll_reviews.manager",
        MANAGERS,
        "roll_review",
        READ | {"resolve"},
        frozenset({Purpose.ATTENDANCE_DUTY}),
        InAreaTeams(),
    ),
    Rule("roll_reviews.governance.read", GOVERNANCE, "roll_review", READ, GOVERNANCE_READS),
    Rule(
        "roll_reviews.governance.resolve",
        GOVERNANCE,
        "roll_review",
        frozenset({"resolve"}),
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    # Data-subject requests and complaints to the controller: information governance runs
    # them, under `subject_rights`. The public makes both without a token (`PUBLIC` routes).
    Rule(
        "subject_requests.governance",
        GOVERNANCE,
        "subject_request",
        READ | SUBJECT_REQUEST_ACTIONS,
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    Rule(
        "complaints.governance",
        GOVERNANCE,
        "complaint",
        READ | {"create", "update", "close"},
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    # The breach register (UK GDPR Arts 33 and 34): information governance alone keeps it,
    # under `breach_management`; no other role sees it.
    Rule(
        "breaches.governance",
        GOVERNANCE,
        "breach",
        READ | {"create", "update", "notify", "close"},
        frozenset({Purpose.BREACH_MANAGEMENT}),
    ),
    # Retention: the registry of retention rules holds no personal data; governance and
    # administrators read it, and only information governance changes it. Legal holds and
    # retention runs (ids and counts only) are information governance's.
    Rule(
        "retention_policies.read",
        frozenset({Role.INFORMATION_GOVERNANCE, Role.ADMIN}),
        "retention_policy",
        READ,
    ),
    Rule("retention_policies.change", GOVERNANCE, "retention_policy", frozenset({"update"})),
    Rule("legal_holds.governance", GOVERNANCE, "legal_hold", READ | {"create", "lift"}),
    Rule("retention_runs.governance", GOVERNANCE, "retention_run", READ | {"create"}),
    # Disclosures: governance sees and records all; managers record releases they approve and
    # see the ones they recorded.
    Rule(
        "disclosures.governance",
        GOVERNANCE,
        "disclosure",
        READ | {"create"},
    ),
    Rule("disclosures.manager.record", MANAGERS, "disclosure", frozenset({"create"})),
    Rule(
        "disclosures.manager.read",
        MANAGERS,
        "disclosure",
        READ,
        condition=OwnedByCaller("recorded_by"),
    ),
    # Messages to a pupil's carers through the Notify outbox: managers send and follow them
    # for pupils in their area teams; governance reads them (a subject access request).
    Rule(
        "messages.manager",
        MANAGERS,
        "message",
        READ | {"create", "retry"},
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    Rule("messages.governance.read", GOVERNANCE, "message", READ, GOVERNANCE_READS),
    # Attendance. A school's information system sends marks for its own schools; nothing else.
    Rule(
        "attendance.mis.import",
        frozenset({Role.MIS_INTEGRATION}),
        "attendance_marks",
        frozenset({"import"}),
        frozenset({Purpose.ATTENDANCE_DUTY}),
        AtOwnSchools(),
    ),
    # Import reports (counts and row problems, no personal data): the information system reads
    # back what it sent and its schools' imports; a school its own; managers their area teams'.
    Rule(
        "attendance_imports.mis.read",
        frozenset({Role.MIS_INTEGRATION}),
        "attendance_import",
        READ,
        condition=AnyOf((OwnedByCaller("submitted_by"), AtOwnSchools())),
    ),
    Rule(
        "attendance_imports.school.read",
        SCHOOLS,
        "attendance_import",
        READ,
        condition=AtOwnSchools(),
    ),
    Rule(
        "attendance_imports.manager.read",
        MANAGERS,
        "attendance_import",
        READ,
        condition=InAreaTeams(),
    ),
    # Roll pushes (when, which client, the counts): the same callers, decided on the school.
    Rule(
        "roll_pushes.mis.read",
        frozenset({Role.MIS_INTEGRATION}),
        "roll_push",
        READ,
        condition=AtOwnSchools(),
    ),
    Rule("roll_pushes.school.read", SCHOOLS, "roll_push", READ, condition=AtOwnSchools()),
    Rule("roll_pushes.manager.read", MANAGERS, "roll_push", READ, condition=InAreaTeams()),
    # A pupil's attendance goes with the pupil record: the same people, the same purposes.
    Rule(
        "pupil_attendance.manager.read",
        MANAGERS,
        "pupil_attendance",
        READ,
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    # A school sees the pupils on its roll, and only the marks it recorded itself; the
    # council's own roles see every school's marks.
    Rule(
        "pupil_attendance.school.read",
        SCHOOLS,
        "pupil_attendance",
        READ,
        SCHOOL_PURPOSES,
        AtOwnSchools(),
        parts=AtOwnSchools(),
    ),
    Rule(
        "pupil_attendance.governance.read", GOVERNANCE, "pupil_attendance", READ, GOVERNANCE_READS
    ),
    # A partner's agreement names districts: the marks recorded by schools in them.
    Rule(
        "pupil_attendance.partner.read",
        PARTNERS,
        "pupil_attendance",
        READ,
        PARTNER_PURPOSES,
        InDistricts(),
        parts=InDistricts(),
    ),
    # An inspector's grant names schools: the marks those schools recorded, as for a school.
    Rule(
        "pupil_attendance.inspector.read",
        INSPECTORS,
        "pupil_attendance",
        READ,
        frozenset({Purpose.STATUTORY_INSPECTION}),
        AtOwnSchools(),
        parts=AtOwnSchools(),
    ),
    # A school's summary: managers for schools in their area teams, the school for itself.
    Rule(
        "school_attendance.manager.read",
        MANAGERS,
        "school_attendance",
        READ,
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    Rule(
        "school_attendance.school.read",
        SCHOOLS,
        "school_attendance",
        READ,
        SCHOOL_PURPOSES,
        AtOwnSchools(),
    ),
    Rule(
        "school_attendance.inspector.read",
        INSPECTORS,
        "school_attendance",
        READ,
        frozenset({Purpose.STATUTORY_INSPECTION}),
        AtOwnSchools(),
    ),
    # Alerts are for the attendance duty only: officers and managers for schools in their
    # area teams, a school for its own pupils; nobody else.
    Rule(
        "attendance_alerts.officer.read",
        frozenset({Role.ATTENDANCE_OFFICER, Role.ATTENDANCE_MANAGER}),
        "attendance_alert",
        READ,
        frozenset({Purpose.ATTENDANCE_DUTY}),
        InAreaTeams(),
    ),
    Rule(
        "attendance_alerts.school.read",
        SCHOOLS,
        "attendance_alert",
        READ,
        frozenset({Purpose.ATTENDANCE_DUTY}),
        AtOwnSchools(),
    ),
    # Casework. Attendance officers: the cases assigned to them and the unassigned cases of
    # their area teams (triage), and through those open cases the pupil, their carers, their
    # attendance and special category data. Managers: every case in their area teams; they
    # assign, and approve penalty notices, School Attendance Orders and prosecutions.
    Rule(
        "cases.officer",
        OFFICERS,
        "case",
        READ | {"create", "update", "transition", "record", "export"},
        ATTENDANCE_PURPOSES,
        InOwnCases(),
    ),
    Rule(
        "cases.manager",
        MANAGERS,
        "case",
        READ | {"create", "update", "transition", "record", "export", "assign"},
        ATTENDANCE_PURPOSES,
        InAreaTeams(),
    ),
    Rule("cases.governance.read", GOVERNANCE, "case", READ | {"export"}, GOVERNANCE_READS),
    # Issuing a penalty notice is a manager's decision (the approval recorded on the notice);
    # officers read notices and record a payment or a withdrawal.
    Rule(
        "penalty_notices.officer",
        OFFICERS,
        "penalty_notice",
        READ | {"update"},
        frozenset({Purpose.PROSECUTION}),
        InOwnCases(),
    ),
    Rule(
        "penalty_notices.manager",
        MANAGERS,
        "penalty_notice",
        READ | {"create", "update"},
        frozenset({Purpose.PROSECUTION}),
        InAreaTeams(),
    ),
    Rule("penalty_notices.governance.read", GOVERNANCE, "penalty_notice", READ, GOVERNANCE_READS),
    Rule(
        "school_attendance_orders.officer",
        OFFICERS,
        "school_attendance_order",
        READ | {"create", "update"},
        frozenset({Purpose.SCHOOL_ATTENDANCE_ORDER}),
        InOwnCases(),
    ),
    # Making an order is a manager's decision (council practice); so are approving a
    # prosecution and recording the court bundle sent to HMCTS.
    Rule(
        "school_attendance_orders.manager",
        MANAGERS,
        "school_attendance_order",
        READ | {"create", "update", "approve"},
        frozenset({Purpose.SCHOOL_ATTENDANCE_ORDER}),
        InAreaTeams(),
    ),
    Rule(
        "school_attendance_orders.governance.read",
        GOVERNANCE,
        "school_attendance_order",
        READ,
        GOVERNANCE_READS,
    ),
    Rule(
        "prosecutions.officer",
        OFFICERS,
        "prosecution",
        READ | {"create", "update"},
        frozenset({Purpose.PROSECUTION}),
        InOwnCases(),
    ),
    Rule(
        "prosecutions.manager",
        MANAGERS,
        "prosecution",
        READ | {"create", "update", "approve"},
        frozenset({Purpose.PROSECUTION}),
        InAreaTeams(),
    ),
    Rule("prosecutions.governance.read", GOVERNANCE, "prosecution", READ, GOVERNANCE_READS),
    # Referrals: a school's staff refer pupils on its roll and follow their referrals' stage
    # and outcome; its information system refers and reads back what it referred.
    Rule(
        "referrals.school",
        SCHOOLS,
        "referral",
        READ | {"create"},
        frozenset({Purpose.ATTENDANCE_DUTY, Purpose.EXCLUSION_SUPPORT}),
        AtOwnSchools(),
    ),
    Rule(
        "referrals.mis",
        frozenset({Role.MIS_INTEGRATION}),
        "referral",
        READ | {"create"},
        frozenset({Purpose.ATTENDANCE_DUTY}),
        AllOf((AtOwnSchools(), OwnedByCaller("referred_by"))),
    ),
    # Suspensions and permanent exclusions: schools report their own; managers follow their
    # area teams'; officers those of pupils in their cases.
    Rule(
        "exclusions.school",
        SCHOOLS,
        "exclusion",
        READ | {"create", "update"},
        frozenset({Purpose.EXCLUSION_SUPPORT}),
        AtOwnSchools(),
    ),
    Rule(
        "exclusions.manager.read",
        MANAGERS,
        "exclusion",
        READ,
        frozenset({Purpose.EXCLUSION_SUPPORT}),
        InAreaTeams(),
    ),
    Rule(
        "exclusions.officer.read",
        OFFICERS,
        "exclusion",
        READ,
        frozenset({Purpose.EXCLUSION_SUPPORT}),
        InOwnCases(),
    ),
    Rule("exclusions.governance.read", GOVERNANCE, "exclusion", READ, GOVERNANCE_READS),
    # People reached through casework (see the pupil rules above).
    Rule("pupils.officer.read", OFFICERS, "pupil", READ, ATTENDANCE_PURPOSES, InOwnCases()),
    Rule("carers.officer.read", OFFICERS, "carer", READ, ATTENDANCE_PURPOSES, InOwnCases()),
    Rule(
        "pupil_attendance.officer.read",
        OFFICERS,
        "pupil_attendance",
        READ,
        ATTENDANCE_PURPOSES,
        InOwnCases(),
    ),
    Rule(
        "sensitive.officer.read",
        OFFICERS,
        "pupil_sensitive",
        READ,
        ATTENDANCE_PURPOSES,
        InOwnCases(),
        special_category=True,
    ),
    Rule(
        "messages.officer",
        OFFICERS,
        "message",
        READ | {"create", "retry"},
        ATTENDANCE_PURPOSES,
        InOwnCases(),
    ),
    # Children in employment and entertainment: licensing officers run licences, chaperone
    # approvals, the people on them and productions, under child_employment_licensing only
    # (with the child's health needs: Art 9(2)(g), Sch 1 para 6 / 18). Attendance staff see
    # none of it; the child's school, and the attendance staff who reach the pupil, see only
    # the absence a granted licence gives the school.
    Rule(
        "licences.licensing",
        LICENSING,
        "licence",
        READ | {"create", "update", "decide", "revoke"},
        LICENSING_PURPOSE,
        special_category=True,
    ),
    Rule(
        "licences.governance.read",
        GOVERNANCE,
        "licence",
        READ,
        GOVERNANCE_READS,
        special_category=True,
    ),
    Rule("chaperones.licensing", LICENSING, "chaperone", READ, LICENSING_PURPOSE),
    Rule("chaperones.governance.read", GOVERNANCE, "chaperone", READ, GOVERNANCE_READS),
    Rule(
        "licence_documents.licensing",
        LICENSING,
        "licence_document",
        READ | {"create"},
        LICENSING_PURPOSE,
    ),
    Rule(
        "licence_documents.governance.read",
        GOVERNANCE,
        "licence_document",
        READ,
        GOVERNANCE_READS,
    ),
    Rule(
        "people.licensing",
        LICENSING,
        "person",
        READ | {"create", "update"},
        LICENSING_PURPOSE,
    ),
    Rule("people.governance.read", GOVERNANCE, "person", READ, GOVERNANCE_READS),
    # Governance corrects a person on a licence only in answer to a rectification request
    # (``rectify``: taken by the subject-request action alone; their PATCH stays licensing's).
    Rule(
        "people.governance.rectify",
        GOVERNANCE,
        "person",
        frozenset({"rectify"}),
        frozenset({Purpose.SUBJECT_RIGHTS}),
    ),
    Rule(
        "productions.licensing",
        LICENSING | GOVERNANCE,
        "production",
        READ,
    ),
    Rule("productions.licensing.write", LICENSING, "production", frozenset({"create", "update"})),
    Rule(
        "licensed_absences.school.read",
        SCHOOLS,
        "licensed_absence",
        READ,
        frozenset({Purpose.ATTENDANCE_DUTY}),
        AtOwnSchools(),
    ),
    Rule(
        "licensed_absences.manager.read",
        MANAGERS,
        "licensed_absence",
        READ,
        frozenset({Purpose.ATTENDANCE_DUTY}),
        InAreaTeams(),
    ),
    Rule(
        "licensed_absences.officer.read",
        OFFICERS,
        "licensed_absence",
        READ,
        frozenset({Purpose.ATTENDANCE_DUTY}),
        InOwnCases(),
    ),
    Rule(
        "licensed_absences.licensing.read",
        LICENSING,
        "licensed_absence",
        READ,
        LICENSING_PURPOSE,
    ),
    Rule(
        "licensed_absences.governance.read",
        GOVERNANCE,
        "licensed_absence",
        READ,
        GOVERNANCE_READS,
    ),
    # Possible duplicates among the people on licences: licensing officers review them (a
    # pair only where they may see one of its two people, as for managers and pupils above).
    Rule(
        "duplicates.licensing.review",
        LICENSING,
        "possible_duplicate",
        READ | {"update"},
        LICENSING_PURPOSE,
    ),
    # Inspection grants are issued and revoked by information governance.
    Rule(
        "inspection_grants.manage",
        GOVERNANCE,
        "inspection_grant",
        READ | {"create", "update"},
    ),
)

#: Purposes each role may state at all, whatever the resource; any other is refused.
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
            Purpose.COURT_DISCLOSURE,
            Purpose.CRIME_PREVENTION_DISCLOSURE,
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
        aggregate = sorted(p.value for p in rule.purposes if REGISTRY[p].aggregate_only)
        if aggregate:
            # DPA 2018 Sch 1 para 8(3): figures only, never a record about a person.
            raise ValueError(f"rule {rule.id}: {aggregate} yield aggregate figures only")
        if Role.INSPECTOR in rule.roles and not rule.actions <= READ:
            raise ValueError(f"rule {rule.id}: inspectors are read-only")
