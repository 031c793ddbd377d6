"""Demo data-subject requests: clearly fake, with fixed ids (``app.routers.params`` names the
same ones), dated back from the day the demo is loaded so their clocks are live:

- Evie Tillbrook asks for a copy of her daughter Isla's records (access, in progress; Isla
  is 10 and judged not competent to make the request herself);
- Jordan Reeve asks for his address to be corrected (rectification): the council asked for
  proof of address, which arrived four days later and started the clock; ready to close;
- Morgan Hale asked for her records to be erased: refused under Art 17(3)(b), and she has
  asked for an internal review, not yet decided;
- a solicitor asks for a client's records, and the council has asked which records are meant:
  the clock is stopped;
- Evie Tillbrook also asks for the use of Isla's absence records to be restricted while their
  accuracy is checked (Art 18(1)(a)); Isla is the confirmed match, ready to act on;
- two complaints (DPA 2018 s164A): Jordan Reeve's, that his rectification request has stalled
  (received, not yet acknowledged), and Sam Okafor's about a letter sent to the wrong address
  (acknowledged, open), linked to that breach in the register (``app.demo_breaches``, seeded
  with these).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import DEMO_AGREEMENT_NAMESPACE, demo_carer_id, demo_pupil_id
from app.demo_breaches import LETTER_BREACH, LETTER_BREACH_REFERENCE, seed_demo_breaches
from app.models.people import Carer, Pupil
from app.models.subject_requests import (
    ChildCompetence,
    ClockEventKind,
    Complaint,
    ComplaintStatus,
    ComplaintUpdate,
    MatchStatus,
    RequestChannel,
    RequesterKind,
    RequestOutcome,
    RequestRight,
    RequestStatus,
    SubjectRequest,
    SubjectRequestClockEvent,
    SubjectRequestMatch,
    SubjectRequestReview,
)
from app.models.subjects import DataSubject, SubjectKind
from app.policies.guard import local_today
from app.rules.subject_rights import complaint_acknowledge_by
from app.services.subject_requests import REQUESTER_BASIS, REQUESTER_MASK, recompute_clock

DEMO_SUBJECT_REQUESTS_NAMESPACE = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "subject-requests")
GOVERNANCE_OFFICER = "governance-1"
DEMO_SCHOOL_URN = 990028


def demo_subject_request_id(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_SUBJECT_REQUESTS_NAMESPACE, name)


ACCESS_REQUEST = demo_subject_request_id("request-access")
RECTIFICATION_REQUEST = demo_subject_request_id("request-rectification")
ERASURE_REQUEST = demo_subject_request_id("request-erasure")
CLARIFICATION_REQUEST = demo_subject_request_id("request-clarification")
ERASURE_REVIEW = demo_subject_request_id("review-erasure")


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _request(
    session: AsyncSession,
    name: str,
    *,
    reference: str,
    right: RequestRight,
    channel: RequestChannel,
    received_on: date,
    requester_kind: RequesterKind,
    requester_name: str,
    subject_details: dict[str, Any],
    description: str,
    **fields: Any,
) -> SubjectRequest:
    requester = DataSubject(
        id=demo_subject_request_id(f"requester-{name}"), kind=SubjectKind.REQUESTER
    )
    session.add(requester)
    return SubjectRequest(
        id=demo_subject_request_id(f"request-{name}"),
        reference=reference,
        right=right,
        channel=channel,
        status=RequestStatus.IN_PROGRESS,
        received_on=received_on,
        requester_kind=requester_kind,
        requester_name=requester_name,
        subject_details=subject_details,
        description=description,
        extension_months=0,
        clock_rule="",
        subject_id=requester.id,
        purposes_mask=REQUESTER_MASK,
        lawful_basis=REQUESTER_BASIS,
        created_by=GOVERNANCE_OFFICER,
        created_at=_at(received_on),
        clock_events=[],
        matches=[],
        **fields,
    )


def _event(
    request: SubjectRequest, name: str, kind: ClockEventKind, on: date, note: str | None = None
) -> SubjectRequestClockEvent:
    return SubjectRequestClockEvent(
        id=demo_subject_request_id(f"event-{name}"),
        request_id=request.id,
        kind=kind,
        on=on,
        note=note,
        recorded_by=GOVERNANCE_OFFICER,
        recorded_at=_at(on, 11),
    )


async def seed_demo_subject_requests(session: AsyncSession, today: date | None = None) -> int:
    """Add the demo subject requests (skipped when they exist), dated back from ``today``
    (London's today by default); returns how many were added. Clocks are computed by the same
    function the API uses."""
    if await session.get(SubjectRequest, ACCESS_REQUEST) is not None:
        return 0
    today = today or local_today(datetime.now(UTC))
    isla = await session.get(Pupil, demo_pupil_id(313))
    evie = await session.get(Carer, demo_carer_id(313, 1))
    requests: list[SubjectRequest] = []

    if isla is not None and evie is not None:
        received = today - timedelta(days=6)
        requests.append(
            _request(
                session,
                "access",
                reference="SR-DEMOACCESS",
                right=RequestRight.ACCESS,
                channel=RequestChannel.EMAIL,
                received_on=received,
                requester_kind=RequesterKind.PARENT_OR_CARER,
                requester_name=f"{evie.forename} {evie.surname}",
                requester_email=evie.email,
                subject_details={
                    "forename": isla.legal_forename,
                    "surname": isla.legal_surname,
                    "other_names": [],
                    "date_of_birth": isla.date_of_birth.isoformat(),
                    "upn": isla.upn,
                    "postcode": isla.postcode,
                    "school_urn": DEMO_SCHOOL_URN,
                },
                description="Please send me copies of everything the council holds about my "
                "daughter's attendance, including letters and notes of meetings.",
                authority_evidence="Mother with parental responsibility, as on the school's "
                "contact record; the request came from the email address the school holds",
                authority_accepted_by=GOVERNANCE_OFFICER,
                authority_accepted_at=_at(received, 11),
                child_competence=ChildCompetence.NOT_COMPETENT,
                child_competence_reasons="Isla is 10. Her teacher and her mother agree she "
                "does not yet understand what the request involves; her mother asks for her.",
                child_competence_by=GOVERNANCE_OFFICER,
                identity_verified_at=_at(received, 11),
                identity_verified_by=GOVERNANCE_OFFICER,
                identity_method="Email address matches the one the school holds for her",
                assigned_to=GOVERNANCE_OFFICER,
            )
        )

    received = today - timedelta(days=12)
    rectification = _request(
        session,
        "rectification",
        reference="SR-DEMORECTIF",
        right=RequestRight.RECTIFICATION,
        channel=RequestChannel.POST,
        received_on=received,
        requester_kind=RequesterKind.SUBJECT,
        requester_name="Jordan Reeve (synthetic)",
        requester_address=["12 Example Road", "Ashford", "TN23 1AA"],
        subject_details={
            "forename": "Jordan",
            "surname": "Reeve",
            "other_names": [],
            "date_of_birth": "2005-04-11",
            "upn": None,
            "postcode": "TN23 1AA",
            "school_urn": None,
        },
        description="My address on your records is my old one. Please correct it to 12 "
        "Example Road, Ashford.",
        child_competence=ChildCompetence.NOT_A_CHILD,
        identity_verified_at=_at(received + timedelta(days=4), 11),
        identity_verified_by=GOVERNANCE_OFFICER,
        identity_method="Council tax bill showing the new address",
        assigned_to=GOVERNANCE_OFFICER,
    )
    rectification.clock_events += [
        _event(
            rectification,
            "rectification-identity-asked",
            ClockEventKind.IDENTITY_REQUESTED,
            received,
            "Proof of the new address: the letter's address differs from the one held.",
        ),
        _event(
            rectification,
            "rectification-identity-received",
            ClockEventKind.IDENTITY_RECEIVED,
            received + timedelta(days=4),
        ),
    ]
    requests.append(rectification)

    received = today - timedelta(days=45)
    closed_on = today - timedelta(days=25)
    erasure = _request(
        session,
        "erasure",
        reference="SR-DEMOERASUR",
        right=RequestRight.ERASURE,
        channel=RequestChannel.EMAIL,
        received_on=received,
        requester_kind=RequesterKind.SUBJECT,
        requester_name="Morgan Hale (synthetic)",
        requester_email="morgan.hale@example.com",
        subject_details={
            "forename": "Morgan",
            "surname": "Hale",
            "other_names": ["Morgan Price"],
            "date_of_birth": "1988-02-14",
            "upn": None,
            "postcode": None,
            "school_urn": None,
        },
        description="Please delete the records of the attendance case about my son that was "
        "closed last year.",
        child_competence=ChildCompetence.NOT_A_CHILD,
        identity_verified_at=_at(received, 11),
        identity_verified_by=GOVERNANCE_OFFICER,
        identity_method="Email address matches the one held on the case",
        outcome=RequestOutcome.REFUSED,
        outcome_reasons="The case records are held to meet the council's legal duties on "
        "school attendance (UK GDPR Art 17(3)(b)); they are kept until the child's 25th "
        "birthday and then destroyed.",
        closed_at=_at(closed_on, 15),
        closed_on=closed_on,
        closed_by=GOVERNANCE_OFFICER,
        assigned_to=GOVERNANCE_OFFICER,
    )
    requests.append(erasure)

    received = today - timedelta(days=10)
    clarification = _request(
        session,
        "clarification",
        reference="SR-DEMOCLARIF",
        right=RequestRight.ACCESS,
        channel=RequestChannel.POST,
        received_on=received,
        requester_kind=RequesterKind.REPRESENTATIVE,
        requester_name="Priya Shah, Example Law LLP (synthetic)",
        requester_address=["Example Law LLP", "1 Synthetic Chambers", "Maidstone", "ME14 1XQ"],
        subject_details={
            "forename": "Alex",
            "surname": "Marlowe",
            "other_names": [],
            "date_of_birth": "1979-08-30",
            "upn": None,
            "postcode": "ME15 6AA",
            "school_urn": None,
        },
        description="We act for our client and ask for copies of 'the file' the council "
        "holds about them.",
        authority_evidence="Signed letter of authority from the client, dated the week of "
        "the request",
        authority_accepted_by=GOVERNANCE_OFFICER,
        authority_accepted_at=_at(received, 11),
        child_competence=ChildCompetence.NOT_A_CHILD,
        identity_verified_at=_at(received, 11),
        identity_verified_by=GOVERNANCE_OFFICER,
        identity_method="Solicitor's firm checked on the SRA register; client's authority",
        assigned_to="governance-2",
    )
    clarification.clock_events.append(
        _event(
            clarification,
            "clarification-asked",
            ClockEventKind.CLARIFICATION_REQUESTED,
            today - timedelta(days=3),
            "The council holds attendance, casework and licensing records; the request does "
            "not say which 'the file' means.",
        )
    )
    requests.append(clarification)

    for request in requests:
        recompute_clock(request)
    erasure.status = RequestStatus.CLOSED
    session.add_all(requests)
    await session.flush()
    session.add(
        SubjectRequestReview(
            id=ERASURE_REVIEW,
            request_id=ERASURE_REQUEST,
            requested_on=today - timedelta(days=5),
            grounds="The case was closed with no further action, so the records are no "
            "longer needed.",
            recorded_by=GOVERNANCE_OFFICER,
            recorded_at=_at(today - timedelta(days=5)),
        )
    )
    await session.flush()
    await seed_demo_breaches(session)
    await _seed_demo_complaints(session, today)
    await _seed_demo_access_match(session)
    return len(requests) + await _seed_demo_restriction(session, today)


# --- complaints to the council as controller (DPA 2018 s164A) ------------------------------

ADDRESS_COMPLAINT = demo_subject_request_id("complaint-address")
BREACH_COMPLAINT = demo_subject_request_id("complaint-breach")


def _complaint(name: str, received_on: date, **fields: Any) -> Complaint:
    return Complaint(
        id=demo_subject_request_id(f"complaint-{name}"),
        received_on=received_on,
        acknowledge_by=complaint_acknowledge_by(received_on),
        subject_id=demo_subject_request_id(f"complainant-{name}"),
        purposes_mask=REQUESTER_MASK,
        lawful_basis=REQUESTER_BASIS,
        created_by=GOVERNANCE_OFFICER,
        created_at=_at(received_on, 14),
        **fields,
    )


async def _seed_demo_complaints(session: AsyncSession, today: date) -> None:
    """Jordan Reeve complains by post that his rectification request has stalled (received,
    not yet acknowledged); Sam Okafor complained by email about a letter sent to the wrong
    address (acknowledged; progress and the outcome to tell)."""
    for name in ("address", "breach"):
        session.add(
            DataSubject(
                id=demo_subject_request_id(f"complainant-{name}"), kind=SubjectKind.REQUESTER
            )
        )
    received = today - timedelta(days=3)
    address = _complaint(
        "address",
        received,
        reference="CP-DEMOADDRES",
        status=ComplaintStatus.RECEIVED,
        channel=RequestChannel.POST,
        complainant_name="Jordan Reeve (synthetic)",
        complainant_address=["12 Example Road", "Ashford", "TN23 1AA"],
        description="I asked the council to correct my address and sent the proof it asked "
        "for, but I have heard nothing since.",
        request_id=RECTIFICATION_REQUEST,
    )
    received = today - timedelta(days=9)
    acknowledged_at = _at(today - timedelta(days=8), 9)
    breach = _complaint(
        "breach",
        received,
        reference="CP-DEMOBREACH",
        status=ComplaintStatus.ACKNOWLEDGED,
        channel=RequestChannel.EMAIL,
        complainant_name="Sam Okafor (synthetic)",
        complainant_email="sam.okafor@example.com",
        description="A letter about my son's attendance was sent to my former partner's "
        "address, which the school had been told not to use.",
        breach_id=LETTER_BREACH,
        breach_reference=LETTER_BREACH_REFERENCE,
        acknowledged_at=acknowledged_at,
    )
    session.add_all([address, breach])
    await session.flush()
    session.add(
        ComplaintUpdate(
            id=demo_subject_request_id("complaint-breach-acknowledgement"),
            complaint_id=breach.id,
            kind="acknowledgement",
            summary="Acknowledged by email.",
            recorded_by=GOVERNANCE_OFFICER,
            recorded_at=acknowledged_at,
        )
    )
    await session.flush()


# --- a request to act on: restriction while accuracy is checked (Art 18(1)(a)) ------------

RESTRICTION_REQUEST = demo_subject_request_id("request-restriction")
RESTRICTION_MATCH = demo_subject_request_id("match-restriction-isla")


async def _seed_demo_restriction(session: AsyncSession, today: date) -> int:
    """Evie Tillbrook disputes the reasons recorded for Isla's absences and asks for their use
    to be restricted while they are checked; Isla's pupil record is the confirmed match, so
    the request can be acted on (``POST /v1/subject-requests/{id}/actions``). Returns how
    many requests were added (none without the demo pupil and carer)."""
    isla = await session.get(Pupil, demo_pupil_id(313))
    evie = await session.get(Carer, demo_carer_id(313, 1))
    if isla is None or evie is None:
        return 0
    received = today - timedelta(days=2)
    request = _request(
        session,
        "restriction",
        reference="SR-DEMORESTRI",
        right=RequestRight.RESTRICTION,
        channel=RequestChannel.EMAIL,
        received_on=received,
        requester_kind=RequesterKind.PARENT_OR_CARER,
        requester_name=f"{evie.forename} {evie.surname}",
        requester_email=evie.email,
        subject_details={
            "forename": isla.legal_forename,
            "surname": isla.legal_surname,
            "other_names": [],
            "date_of_birth": isla.date_of_birth.isoformat(),
            "upn": isla.upn,
            "postcode": isla.postcode,
            "school_urn": DEMO_SCHOOL_URN,
        },
        description="The reasons recorded for my daughter's absences in October are wrong. "
        "Please do not use them while they are checked.",
        authority_evidence="Mother with parental responsibility, as on the school's contact "
        "record; the request came from the email address the school holds",
        authority_accepted_by=GOVERNANCE_OFFICER,
        authority_accepted_at=_at(received, 11),
        child_competence=ChildCompetence.NOT_COMPETENT,
        child_competence_reasons="Isla is 10; her mother asks for her.",
        child_competence_by=GOVERNANCE_OFFICER,
        identity_verified_at=_at(received, 11),
        identity_verified_by=GOVERNANCE_OFFICER,
        identity_method="Email address matches the one the school holds for her",
        assigned_to=GOVERNANCE_OFFICER,
    )
    recompute_clock(request)
    session.add(request)
    await session.flush()
    session.add(
        SubjectRequestMatch(
            id=RESTRICTION_MATCH,
            request_id=request.id,
            subject_id=isla.subject_id,
            record_type="pupil",
            record_id=isla.id,
            status=MatchStatus.CONFIRMED,
            matched_on=["upn", "legal_names", "date_of_birth"],
            decided_by=GOVERNANCE_OFFICER,
            decided_at=_at(received, 12),
        )
    )
    await session.flush()
    return 1


# --- answering the access request: whom it is about ------------------------------------------

ACCESS_MATCH = demo_subject_request_id("match-access-isla")


async def _seed_demo_access_match(session: AsyncSession) -> None:
    """Isla's pupil record, confirmed as the subject of her mother's access request (found by
    UPN, legal names and date of birth): her bundle can be built, answered item by item and
    released (``/v1/subject-requests/{id}/bundle``)."""
    access = await session.get(SubjectRequest, ACCESS_REQUEST)
    isla = await session.get(Pupil, demo_pupil_id(313))
    if access is None or isla is None:
        return
    session.add(
        SubjectRequestMatch(
            id=ACCESS_MATCH,
            request_id=access.id,
            subject_id=isla.subject_id,
            record_type="pupil",
            record_id=isla.id,
            status=MatchStatus.CONFIRMED,
            matched_on=["upn", "legal_names", "date_of_birth", "postcode", "school_urn"],
            decided_by=GOVERNANCE_OFFICER,
            decided_at=_at(access.received_on, 12),
        )
    )
    await session.flush()
