"""The retention schedule: every kind of record the service keeps, how long, and why.

This is the schedule the service ships with; the retention registry (``/v1/retention/policies``)
starts from it and information governance may change a period there, each change a new version.
The Article 30 record of processing and the privacy notice's "how long we keep it" are rendered
from the registry, so a period is written once.

Pupil-linked records follow the privacy notice: kept from birth until the 25th birthday, then
made inaccessible and destroyed (``app.rules.retention``). Every other record type has an
explicit period counted from a named event, with the reason the council keeps it that long.
Periods that are council practice rather than statute say so in ``source``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.rules.retention import LICENSING_ADULT_YEARS, PUPIL_RECORD_YEARS


class RetentionStart(StrEnum):
    """The event a retention period is counted from."""

    #: The data subject's date of birth (the pupil-linked rule: until the 25th birthday).
    DATE_OF_BIRTH = "date_of_birth"
    #: The day the last licence or approval the person is on ends (or expires).
    LAST_LICENCE_ENDS = "last_licence_ends"
    #: The day the record was closed (a request answered, a breach closed, a complaint decided).
    CLOSED = "closed"
    #: The day the record was made (a disclosure made, a message sent, an event recorded).
    CREATED = "created"


class RetentionAction(StrEnum):
    """What destruction does to a record of the type."""

    #: The rows are deleted, and documents crypto-shredded by destroying the subject's key.
    DELETE = "delete"
    #: The row stays for its figures or its place in a chain, stripped of everything personal.
    ANONYMISE = "anonymise"


@dataclass(frozen=True, slots=True)
class RetentionRule:
    """One record type's retention: ``years`` from ``starts`` (the 25th birthday for
    ``date_of_birth``), then ``action``."""

    record_type: str
    description: str
    starts: RetentionStart
    years: int
    action: RetentionAction
    reason: str
    source: str


#: Until the 25th birthday (the notice's promise).
PUPIL_LINKED_YEARS = PUPIL_RECORD_YEARS

SCHEDULE: tuple[RetentionRule, ...] = (
    RetentionRule(
        "pupil_linked",
        "Pupils, their carers, attendance marks and figures, alerts, sensitive entries, "
        "documents, cases and every casework record, exclusions",
        RetentionStart.DATE_OF_BIRTH,
        PUPIL_LINKED_YEARS,
        RetentionAction.DELETE,
        "The privacy notice promises pupil-linked information is kept from the child's date "
        "of birth until they reach 25, then made inaccessible or securely destroyed; this "
        "covers claims the young person may bring after reaching 18 (Limitation Act 1980 "
        "s28, s2, s11).",
        "KPAS privacy notice, 'How long we keep your information'; Limitation Act 1980",
    ),
    RetentionRule(
        "licensed_child",
        "Children on work permits and performance licences who are not on a Kent roll, and "
        "their licences",
        RetentionStart.DATE_OF_BIRTH,
        PUPIL_LINKED_YEARS,
        RetentionAction.DELETE,
        "A child's licensing records are pupil-linked records: kept until the 25th birthday "
        "like the rest of a child's records.",
        "KPAS privacy notice, 'How long we keep your information'",
    ),
    RetentionRule(
        "licensing_adult",
        "Employers, producers and chaperones, with their licences and approvals",
        RetentionStart.LAST_LICENCE_ENDS,
        LICENSING_ADULT_YEARS,
        RetentionAction.DELETE,
        "Kept for six years after the last licence or approval they are on ends: the "
        "limitation period for a claim in contract or tort.",
        "Limitation Act 1980 ss2, 5; council retention schedule",
    ),
    RetentionRule(
        "subject_request",
        "Data-subject requests, their matches, actions, reviews and released bundles",
        RetentionStart.CLOSED,
        6,
        RetentionAction.DELETE,
        "Kept for six years after the request is closed, so the council can show how it "
        "answered if the ICO or a court asks (complaints to the ICO and claims under DPA "
        "2018 s167-169).",
        "UK GDPR Art 5(2) (accountability); council retention schedule",
    ),
    RetentionRule(
        "complaint",
        "Data protection complaints to the council as controller",
        RetentionStart.CLOSED,
        6,
        RetentionAction.DELETE,
        "Kept for six years after the outcome is told, as the subject request it concerns.",
        "DPA 2018 s164A; council retention schedule",
    ),
    RetentionRule(
        "breach",
        "The breach register: what happened, the risk assessment, who was told and when",
        RetentionStart.CLOSED,
        6,
        RetentionAction.ANONYMISE,
        "The register is kept (Art 33(5)); after six years the links to affected people are "
        "removed and the facts, dates and decisions stay.",
        "UK GDPR Art 33(5); council retention schedule",
    ),
    RetentionRule(
        "disclosure",
        "The disclosure log: every release of personal data outside the service",
        RetentionStart.CREATED,
        6,
        RetentionAction.ANONYMISE,
        "Kept six years after the release so a subject access request can say who received "
        "the data; then the person is removed and the release stays as a count.",
        "UK GDPR Art 15(1)(c), Art 30; council retention schedule",
    ),
    RetentionRule(
        "outbound_message",
        "Letters, texts and emails sent through GOV.UK Notify",
        RetentionStart.CREATED,
        2,
        RetentionAction.ANONYMISE,
        "The personalisation and address are needed only to show what was sent; after two "
        "years they are cleared and the delivery record stays without them.",
        "Council retention schedule",
    ),
    RetentionRule(
        "audit_event",
        "The audit trail: every decision of the policy layer and every change",
        RetentionStart.CREATED,
        7,
        RetentionAction.ANONYMISE,
        "Events hold ids and codes only; the chain is kept whole for seven years (six plus "
        "the current) so every read and change can be accounted for; the subject index "
        "rows of destroyed subjects are removed with the subject.",
        "DPA 2018 s62 (logging, Part 3); UK GDPR Art 5(2); council retention schedule",
    ),
)

BY_TYPE: dict[str, RetentionRule] = {rule.record_type: rule for rule in SCHEDULE}

#: The record type each personal-data table's rows belong to, for the sweep's destruction
#: records (``app.services.retention``). A table that depends on one of these (a case's
#: events, a licence's days) is counted under its parent's type. A test fails when a table
#: holding personal data is missing here.
TABLE_RECORD_TYPES: dict[str, str] = {
    "pupils": "pupil_linked",
    "carers": "pupil_linked",
    "pupil_carers": "pupil_linked",
    "pupil_sensitive_entries": "pupil_linked",
    "pupil_documents": "pupil_linked",
    "pupil_enrolments": "pupil_linked",
    "attendance_marks": "pupil_linked",
    "attendance_mark_history": "pupil_linked",
    "attendance_pupil_weeks": "pupil_linked",
    "attendance_withheld_pupils": "pupil_linked",
    "attendance_alerts": "pupil_linked",
    "possible_duplicates": "pupil_linked",
    "roll_reviews": "pupil_linked",
    "cases": "pupil_linked",
    "case_parties": "pupil_linked",
    "case_documents": "pupil_linked",
    "penalty_notices": "pupil_linked",
    "exclusions": "pupil_linked",
    "subject_objections": "pupil_linked",
    "people": "licensing_adult",
    "productions": "licensing_adult",
    "licences": "licensed_child",
    "licence_documents": "licensed_child",
    "licensed_absences": "licensed_child",
    "subject_requests": "subject_request",
    "subject_request_items": "subject_request",
    "subject_request_matches": "subject_request",
    "subject_request_actions": "subject_request",
    "complaints": "complaint",
    "disclosure_subjects": "disclosure",
    "breach_subjects": "breach",
    "outbound_messages": "outbound_message",
    "audit_event_subjects": "audit_event",
}
