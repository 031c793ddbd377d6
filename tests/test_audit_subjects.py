"""Who saw whose data: every allowed access to personal data records the data subjects it
touched, in the chained event and in the subject index, so "every access to subject S" is one
indexed query; the verifier holds the index to the chain."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import SUBJECT_IDS, event_subjects, record, seal, with_subjects
from app.audit.verification import SUBJECTS_MISMATCH, SUBJECTS_ORPHANED, verify_chain
from app.auth.principal import Role
from app.models import (
    AttendanceAlert,
    AuditEvent,
    AuditEventSubject,
    Carer,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    School,
    SensitiveCategory,
    SensitiveEntry,
)
from app.models.attendance import AlertKind, AlertStatus
from app.models.cases import (
    AttendanceContract,
    CaseEventKind,
    CaseMeeting,
    CaseStage,
    CaseType,
    ContractStatus,
    MeetingKind,
    NoticeGround,
    NoticeToImprove,
    NoticeToImproveStatus,
    Offence,
    PenaltyNotice,
    PenaltyNoticeStatus,
    Prosecution,
    ProsecutionStatus,
    ReferralSource,
    SaoRegime,
    SaoStatus,
    SchoolAttendanceOrder,
    ServiceMethod,
)
from app.models.exclusions import Exclusion, ExclusionKind
from app.models.messages import Channel
from app.models.people import DuplicateReason
from app.models.roll_reviews import RollReview, RollReviewReason, RollReviewStatus
from app.policies import PolicyDeclaration
from app.policies.engine import PolicyEngine
from app.policies.registry import Purpose, purposes_mask
from app.policies.resources import RESOURCES
from app.repositories.audit import AuditEventQuery, AuditEventRepository
from app.repositories.pagination import PageRequest
from app.rules.kent import District
from app.services.cases import add_event
from app.services.outbox import Addressee, enqueue
from tests.attendance_support import every_session, school_days, write_marks
from tests.audit_support import decision, migrated_database
from tests.case_support import make_case
from tests.conftest import AuthHeaders
from tests.factories import make_carer, make_pupil, make_school
from tests.licence_support import (
    licensing_headers,
    make_adult,
    make_approved_chaperone,
    make_person,
    make_production,
)
from tests.subject_answer_support import TODAY, confirm_all, etag_of, ig, record_request
from tests.test_documents_api import form, pdf, upload_files
from tests.test_licences_api import apply, day, decide, performance
from tests.test_messages_api import CONCERN
from tests.test_route_policies import declaration_of, purpose_for, v1_routes

INDEX = cast(Table, AuditEventSubject.__table__)
S = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
T = uuid.UUID("00000000-0000-4000-8000-0000000000b2")
U = uuid.UUID("00000000-0000-4000-8000-0000000000c3")


async def index_rows(session: AsyncSession) -> set[tuple[uuid.UUID, uuid.UUID]]:
    rows = await session.execute(select(AuditEventSubject.subject_id, AuditEventSubject.event_id))
    return {(subject, event) for subject, event in rows.all()}


async def accesses_to(session: AsyncSession, subject: uuid.UUID) -> list[AuditEvent]:
    # Fewer events than the limit: the page issues no cursor, so needs no seal.
    page = PageRequest(limit=100, seal=None)  # type: ignore[arg-type]
    events, _ = await AuditEventRepository(session).page(
        AuditEventQuery(subject_id=subject), page=page
    )
    return events


def read_of(*subjects: uuid.UUID, resource_id: str | None = None) -> Any:
    return with_subjects(
        decision(resource_type="pupil", resource_id=None),
        resource_id=resource_id,
        subject_ids=subjects,
    )


class TestSubjectsInTheEvent:
    def test_one_subject_goes_in_the_column(self) -> None:
        event = read_of(S, resource_id="p-1")
        assert event.subject_id == S
        assert SUBJECT_IDS not in event.details
        assert event.resource_id == "p-1"

    def test_several_go_sorted_in_the_details_and_accumulate(self) -> None:
        event = with_subjects(read_of(T), resource_id=None, subject_ids=[U, S])
        assert event.details[SUBJECT_IDS] == (str(S), str(T), str(U))
        assert event_subjects(event.subject_id, event.details) == {S, T, U}

    def test_a_list_of_anything_but_strings_is_refused(self) -> None:
        class Buffer:
            info: dict[str, Any] = {}

        with pytest.raises(ValueError, match="list strings only"):
            record(Buffer(), decision(details={SUBJECT_IDS: (1, 2)}))  # type: ignore[arg-type]


class TestIndexWrittenWithTheEvent:
    async def test_rows_name_every_subject_of_every_event(self, session: AsyncSession) -> None:
        record(session, read_of(S, resource_id="p-1"))
        record(session, read_of(S, T, U))
        record(session, decision())  # no subjects: no rows
        await seal(session)
        events = {e.seq: e for e in (await session.scalars(select(AuditEvent))).all()}
        single, listed = (e for e in events.values() if event_subjects(e.subject_id, e.details))
        assert await index_rows(session) == {
            (S, single.id),
            (S, listed.id),
            (T, listed.id),
            (U, listed.id),
        }
        assert (await verify_chain(session)).ok

    async def test_rows_commit_and_roll_back_with_their_events(
        self, backend: str, tmp_path: Path
    ) -> None:
        # Outermost transactions: on PostgreSQL the events go through the commit-time queue.
        async with migrated_database(backend, tmp_path) as database:
            async with database.sessions() as session:
                record(session, read_of(S, T))
                await seal(session)
                await session.rollback()
            async with database.sessions() as session:
                assert await index_rows(session) == set()
                record(session, read_of(S, T))
                await seal(session)
                await session.commit()
            async with database.sessions() as session:
                event_id = await session.scalar(select(AuditEvent.id))
                assert await index_rows(session) == {(S, event_id), (T, event_id)}
                assert (await verify_chain(session)).ok


class TestAllAccessesToASubject:
    async def test_single_and_list_reads_that_included_the_subject_and_no_others(
        self, session: AsyncSession
    ) -> None:
        record(session, read_of(S, resource_id="pupil-s"))  # a single read of S
        record(session, read_of(S, T))  # a list page with S on it
        record(session, read_of(T, U))  # a list page without S
        record(session, decision())  # something else
        await seal(session)
        found = await accesses_to(session, S)
        assert [event_subjects(e.subject_id, e.details) for e in found] == [{S}, {S, T}]
        assert [len(await accesses_to(session, x)) for x in (T, U)] == [2, 1]


class TestVerifierHoldsTheIndexToTheChain:
    """Tampering with the index as an insider would: plain statements on the table."""

    async def chain(self, session: AsyncSession) -> list[AuditEvent]:
        record(session, read_of(S))
        record(session, read_of(S, T))
        record(session, decision())
        await seal(session)
        assert (await verify_chain(session)).ok
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())

    async def test_a_row_added(self, session: AsyncSession) -> None:
        events = await self.chain(session)
        await session.execute(insert(INDEX).values(subject_id=U, event_id=events[2].id))
        result = await verify_chain(session)
        assert (result.ok, result.first_bad_seq, result.problem) == (
            False,
            events[2].seq,
            SUBJECTS_MISMATCH,
        )

    async def test_a_row_removed(self, session: AsyncSession) -> None:
        events = await self.chain(session)
        await session.execute(
            delete(INDEX).where(INDEX.c.subject_id == T, INDEX.c.event_id == events[1].id)
        )
        result = await verify_chain(session)
        assert (result.first_bad_seq, result.problem) == (events[1].seq, SUBJECTS_MISMATCH)

    async def test_a_row_altered(self, session: AsyncSession) -> None:
        events = await self.chain(session)
        await session.execute(
            update(INDEX).where(INDEX.c.event_id == events[0].id).values(subject_id=U)
        )
        result = await verify_chain(session)
        assert (result.first_bad_seq, result.problem) == (events[0].seq, SUBJECTS_MISMATCH)

    async def test_a_row_pointing_nowhere(self, session: AsyncSession) -> None:
        await self.chain(session)
        await session.execute(insert(INDEX).values(subject_id=S, event_id=uuid.uuid4()))
        result = await verify_chain(session)
        assert (result.ok, result.problem) == (False, SUBJECTS_ORPHANED)


# --- through the API --------------------------------------------------------------------------


def officer(auth: AuthHeaders) -> dict[str, str]:
    return auth("attendance_manager", area_teams=("east",), purpose="attendance_duty")


def governance(auth: AuthHeaders) -> dict[str, str]:
    return auth("information_governance")


async def test_the_audit_trail_answers_who_looked_at_this_child(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await make_school(session, district=District.THANET)
    child = await make_pupil(session, school=school, legal_surname="Looked")
    other = await make_pupil(session, school=school, legal_surname="Other")

    read = await client.get(f"/v1/pupils/{child.id}", headers=officer(auth))
    assert read.status_code == 200, read.text
    assert read.json()["subject_id"] == str(child.subject_id)
    listed = await client.get(
        "/v1/pupils", params={"school_urn": school.urn}, headers=officer(auth)
    )
    assert {i["subject_id"] for i in listed.json()["items"]} == {
        str(child.subject_id),
        str(other.subject_id),
    }
    alone = await client.get(f"/v1/pupils/{other.id}", headers=officer(auth))
    assert alone.status_code == 200

    by_subject = await client.get(
        "/v1/audit/events", params={"subject_id": str(child.subject_id)}, headers=governance(auth)
    )
    assert by_subject.status_code == 200, by_subject.text
    items = by_subject.json()["items"]
    assert [i["action"] for i in items] == ["pupil.read", "pupil.list"]
    assert [i["decision_id"] for i in items] == [
        read.headers["KPAS-Decision-Id"],
        listed.headers["KPAS-Decision-Id"],
    ]
    assert items[0]["subject_ids"] == [str(child.subject_id)]
    assert items[0]["resource_id"] == str(child.id)
    assert set(items[1]["subject_ids"]) == {str(child.subject_id), str(other.subject_id)}

    page = await client.get(
        "/v1/audit/events",
        params={"subject_id": str(child.subject_id), "limit": 1},
        headers=governance(auth),
    )
    assert [i["action"] for i in page.json()["items"]] == ["pupil.read"]
    rest = await client.get(
        "/v1/audit/events",
        params={"subject_id": str(child.subject_id), "cursor": page.json()["next_cursor"]},
        headers=governance(auth),
    )
    assert [i["action"] for i in rest.json()["items"]] == ["pupil.list"]

    by_resource = await client.get(
        "/v1/audit/events",
        params={"resource_type": "pupil", "resource_id": str(other.id)},
        headers=governance(auth),
    )
    assert [i["decision_id"] for i in by_resource.json()["items"]] == [
        alone.headers["KPAS-Decision-Id"]
    ]
    assert (await verify_chain(session)).ok


# --- every personal-data read records its subjects ------------------------------------------

ENGINE = PolicyEngine()
#: Callers the walk tries, in order; partners and inspectors are covered through the
#: disclosure they leave, which names the same subjects (tests/test_partner_access.py).
WALKERS = (
    Role.LICENSING_OFFICER,
    Role.ATTENDANCE_MANAGER,
    Role.INFORMATION_GOVERNANCE,
    Role.ATTENDANCE_OFFICER,
    Role.ADMIN,
    Role.SCHOOL_STAFF,
)
RAISED = datetime(2025, 11, 3, 7, 0, tzinfo=UTC)
PERIOD = {"from": "2025-08-01", "to": "2026-07-31"}


def personal_reads() -> list[tuple[str, str, str]]:
    found = []
    for route in v1_routes():
        declaration = declaration_of(route)
        if (
            "GET" in route.methods
            and isinstance(declaration, PolicyDeclaration)
            and RESOURCES[declaration.resource].personal_data
        ):
            found.append((route.path, declaration.resource, declaration.action))
    return found


async def seeded(client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession) -> Any:
    """One of everything a personal-data read can return, in the east area team."""
    school = await make_school(session, district=District.THANET)
    pupil = await make_pupil(session, school=school)
    twin = await make_pupil(session, school=school, upn=pupil.upn, legal_forename="Twin")
    carer = await make_carer(session, pupil=pupil, phone="07700900123")
    days = list(school_days(date(2025, 9, 1), date(2025, 10, 31)))
    await write_marks(
        session, pupil_id=pupil.id, school_urn=school.urn, marks=every_session(days, "O")
    )
    entry = SensitiveEntry(
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask,
        lawful_basis=pupil.lawful_basis,
        category=SensitiveCategory.HEALTH,
        details={"description": "Synthetic need", "need_category": "other"},
        source="synthetic",
        article9_condition="9(2)(g)",
        recorded_by="someone",
    )
    a, b = sorted((pupil.id, twin.id))
    duplicate = PossibleDuplicate(
        kind=PersonKind.PUPIL, first_id=a, second_id=b, reason=DuplicateReason.SAME_UPN
    )
    alert = AttendanceAlert(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        school_urn=school.urn,
        kind=AlertKind.PENALTY_THRESHOLD,
        status=AlertStatus.OPEN,
        period_start=date(2025, 9, 1),
        period_end=date(2025, 10, 31),
        possible_sessions=90,
        attended_sessions=78,
        authorised_sessions=2,
        unauthorised_sessions=10,
        raised_at=RAISED,
        updated_at=RAISED,
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask,
        lawful_basis=pupil.lawful_basis,
    )
    review = RollReview(
        id=uuid.uuid4(),
        subject_id=pupil.subject_id,
        purposes_mask=pupil.purposes_mask,
        lawful_basis=pupil.lawful_basis,
        school_urn=school.urn,
        pupil_id=pupil.id,
        reason=RollReviewReason.DUAL_REGISTRATION,
        status=RollReviewStatus.OPEN,
        pupil_changes={},
        carer_changes=[],
    )
    session.add_all([entry, duplicate, alert, review])
    message = enqueue(
        session,
        message_type_code="attendance_concern",
        channel=Channel.SMS,
        to=Addressee(phone=carer.phone),
        personalisation=CONCERN,
        purpose=Purpose.ATTENDANCE_DUTY,
        subject_id=carer.subject_id,
        purposes_mask=carer.purposes_mask,
        lawful_basis=carer.lawful_basis,
        created_by="someone",
        now=alert.raised_at,
        pupil_id=pupil.id,
        carer_id=carer.id,
    )
    await session.flush()
    uploaded = await client.post(
        f"/v1/pupils/{pupil.id}/documents",
        data=form(),
        files=upload_files(pdf(), "application/pdf"),
        headers=officer(auth),
    )
    assert uploaded.status_code == 201, uploaded.text
    return {
        "pupil_id": pupil.id,
        "carer_id": carer.id,
        "entry_id": entry.id,
        "document_id": uploaded.json()["id"],
        "alert_id": alert.id,
        "message_id": message.id,
        "duplicate_id": duplicate.id,
        "review_id": review.id,
        "urn": school.urn,
        **await seeded_casework(client, auth, session, school, pupil, twin, carer),
        **await seeded_licensing(client, auth, session, school),
        **await seeded_subject_rights(client, auth, session, pupil),
    }


async def seeded_licensing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
) -> dict[str, Any]:
    """A granted performance licence for a pupil of the school (giving it a licensed
    absence) with a chaperone, its production and producer, and a document on it."""
    pupil = await make_pupil(session, school=school, legal_surname="Performer")
    producer = await make_adult(session, surname="Producer")
    production = await make_production(session, producer)
    chaperone = await make_approved_chaperone(
        session, approved_on=date(2026, 1, 5), expires_on=date(2029, 1, 4)
    )
    holder = {
        "pupil": {
            "upn": pupil.upn,
            "legal_surname": pupil.legal_surname,
            "date_of_birth": pupil.date_of_birth.isoformat(),
        }
    }
    days = [day("2027-01-08", school_day=True, absent_from_school=True, tutor_minutes=180)]
    body = performance(holder, production.id, days, chaperone_id=str(chaperone.id))
    created = await apply(client, auth, body)
    warnings = tuple(f["rule"] for f in created.json()["findings"])
    granted = await decide(client, auth, created, acknowledged=warnings)
    assert granted.status_code == 200, granted.text
    licence_id = created.json()["id"]
    document = await client.post(
        f"/v1/licences/{licence_id}/documents",
        data={"kind": "contract", "title": "Contract"},
        files={"file": ("scan", pdf())},
        headers=licensing_headers(auth),
    )
    assert document.status_code == 201, document.text
    return {
        "person_id": producer.id,
        "production_id": production.id,
        "licence_id": licence_id,
        "/v1/licences/{licence_id}/documents": {"document_id": document.json()["id"]},
    }


async def seeded_subject_rights(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, pupil: Pupil
) -> dict[str, Any]:
    """An access request about the pupil with its matches confirmed; a refused erasure
    request under internal review; a restriction acted on for a person no other read
    touches (so the walk's other reads are not refused by it); and a complaint."""
    details = {
        "forename": pupil.legal_forename,
        "surname": pupil.legal_surname,
        "date_of_birth": pupil.date_of_birth.isoformat(),
        "upn": pupil.upn,
    }
    access = await record_request(client, auth, details)
    await confirm_all(client, auth, access["id"])

    erasure = await record_request(client, auth, details, right="erasure")
    url = f"/v1/subject-requests/{erasure['id']}"
    closed = await client.post(
        f"{url}/closure",
        json={
            "outcome": "refused",
            "reasons": "The records are held to meet a legal obligation (Art 17(3)(b)).",
            "response_channel": "email",
        },
        headers={**ig(auth), "If-Match": await etag_of(client, auth, erasure["id"])},
    )
    assert closed.status_code == 200, closed.text
    review = await client.post(
        f"{url}/reviews", json={"grounds": "The records should go."}, headers=ig(auth)
    )
    assert review.status_code == 201, review.text

    person = await make_person(
        session, forename="Quinn", surname="Hollis", date_of_birth=date(2012, 3, 9)
    )
    assert person.date_of_birth is not None
    restriction = await record_request(
        client,
        auth,
        {
            "forename": person.legal_forename,
            "surname": person.legal_surname,
            "date_of_birth": person.date_of_birth.isoformat(),
        },
        right="restriction",
    )
    await confirm_all(client, auth, restriction["id"])
    matches = await client.get(
        f"/v1/subject-requests/{restriction['id']}/matches", headers=ig(auth)
    )
    confirmed = [m for m in matches.json()["items"] if m["record_id"] == str(person.id)]
    assert confirmed, matches.text
    action = await client.post(
        f"/v1/subject-requests/{restriction['id']}/actions",
        json={
            "kind": "restricted",
            "match_id": confirmed[0]["id"],
            "ground": "accuracy_contested",
            "reasons": "The person disputes the employer recorded on the licence.",
        },
        headers=ig(auth),
    )
    assert action.status_code == 201, action.text

    complaint = await client.post(
        "/v1/complaints",
        json={
            "channel": "email",
            "received_on": TODAY.isoformat(),
            "complainant": {"name": "Robin Example", "email": "robin.example@example.org"},
            "description": "Letters about my child keep going to my old address.",
        },
        headers=ig(auth),
    )
    assert complaint.status_code == 201, complaint.text
    breach = await client.post(
        "/v1/breaches",
        json={
            "aware_at": datetime.now(UTC).isoformat(),
            "description": "A letter about the pupil went to the wrong address.",
            "data_categories": ["identity_contact", "attendance"],
            "subjects": [{"record_type": "pupil", "record_id": str(pupil.id)}],
        },
        headers=auth("information_governance"),
    )
    assert breach.status_code == 201, breach.text
    return {
        "request_id": access["id"],
        "complaint_id": complaint.json()["id"],
        "breach_id": breach.json()["id"],
        "/v1/subject-requests/{request_id}/reviews": {
            "request_id": erasure["id"],
            "review_id": review.json()["id"],
        },
        "/v1/subject-requests/{request_id}/actions": {
            "request_id": restriction["id"],
            "action_id": action.json()["id"],
        },
    }


async def seeded_casework(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    pupil: Pupil,
    twin: Pupil,
    carer: Carer,
) -> dict[str, Any]:
    """One of every casework record, for the case routes: an attendance case at prosecution
    stage with every part, a School Attendance Order case, a school's referral and a
    suspension. Ids by path parameter; where two routes share a parameter name, by route."""
    today = datetime.now(UTC).date()
    enforcement = await make_case(
        session, school=school, pupil=pupil, carer=carer, stage=CaseStage.PROSECUTION
    )
    case = enforcement.case
    sao = await make_case(
        session,
        school=school,
        pupil=pupil,
        carer=carer,
        case_type=CaseType.SCHOOL_ATTENDANCE_ORDER,
        stage=CaseStage.SAO_ORDER,
    )
    referral = await make_case(
        session,
        school=school,
        pupil=twin,
        stage=CaseStage.REFERRAL,
        officer=None,
        source=ReferralSource.SCHOOL,
    )
    event = add_event(
        session, case, CaseEventKind.NOTE, by="someone", now=datetime.now(UTC), text="Visit."
    )
    meeting = CaseMeeting(
        case_id=case.id,
        kind=MeetingKind.ATTENDANCE_MEETING,
        scheduled_for=datetime.now(UTC),
        invited_carer_ids=[str(carer.id)],
        recorded_by="someone",
    )
    contract = AttendanceContract(
        case_id=case.id,
        agreed_on=today,
        review_on=today + timedelta(weeks=4),
        carer_ids=[str(carer.id)],
        actions=[{"by": "parent", "action": "Bring to school on time"}],
        status=ContractStatus.ENDED,
        ended_on=today,
        recorded_by="someone",
    )
    improve = NoticeToImprove(
        case_id=case.id,
        carer_id=carer.id,
        issued_on=today - timedelta(weeks=4),
        improvement_weeks=3,
        period_ends_on=today - timedelta(weeks=1),
        status=NoticeToImproveStatus.NOT_IMPROVED,
        recorded_by="someone",
    )
    notice = PenaltyNotice(
        reference="PN-TEST-0001",
        case_id=case.id,
        pupil_id=pupil.id,
        pupil_subject_id=pupil.subject_id,
        carer_id=carer.id,
        subject_id=carer.subject_id,
        purposes_mask=carer.purposes_mask,
        lawful_basis=carer.lawful_basis,
        ground=NoticeGround.IRREGULAR_ATTENDANCE,
        offence_from=today - timedelta(days=70),
        offence_to=today - timedelta(days=40),
        sequence=1,
        issued_on=today - timedelta(days=35),
        service_method=ServiceMethod.HAND,
        served_on=today - timedelta(days=35),
        received_on=today - timedelta(days=35),
        reduced_amount_pence=8000,
        reduced_due_on=today - timedelta(days=15),
        full_amount_pence=16000,
        full_due_on=today - timedelta(days=8),
        approved_by="manager",
        status=PenaltyNoticeStatus.ISSUED,
        recorded_by="someone",
    )
    order = SchoolAttendanceOrder(
        case_id=sao.case.id,
        carer_id=carer.id,
        regime=SaoRegime.EDUCATION_ACT_1996,
        status=SaoStatus.NOTICE_SERVED,
        notice_served_on=today - timedelta(days=20),
        notice_deadline=today - timedelta(days=6),
        recorded_by="someone",
    )
    session.add_all([meeting, contract, improve, notice, order])
    await session.flush()
    prosecution = Prosecution(
        case_id=case.id,
        carer_id=carer.id,
        offence=Offence.FAILURE_TO_SECURE_REGULAR_ATTENDANCE,
        offence_from=notice.offence_from,
        offence_to=notice.offence_to,
        penalty_notice_id=notice.id,
        lay_by=notice.offence_to + timedelta(days=180),
        evidence=[{"item": "Attendance record", "document_id": None}],
        status=ProsecutionStatus.PREPARING,
        recorded_by="someone",
    )
    suspension = Exclusion(
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=purposes_mask({Purpose.EXCLUSION_SUPPORT}),
        lawful_basis="6(1)(e)",
        school_urn=school.urn,
        kind=ExclusionKind.SUSPENSION,
        starts_on=date(2025, 10, 6),
        school_days=2,
        notified_on=date(2025, 10, 6),
        reasons=["PP"],
        reported_by="school",
        reported_at=datetime.now(UTC),
    )
    session.add_all([prosecution, suspension])
    letter = enqueue(
        session,
        message_type_code="attendance_concern",
        channel=Channel.SMS,
        to=Addressee(phone=carer.phone),
        personalisation=CONCERN,
        purpose=Purpose.ATTENDANCE_DUTY,
        subject_id=carer.subject_id,
        purposes_mask=carer.purposes_mask,
        lawful_basis=carer.lawful_basis,
        created_by="someone",
        now=datetime.now(UTC),
        pupil_id=pupil.id,
        carer_id=carer.id,
        case_id=case.id,
    )
    await session.flush()
    document = await client.post(
        f"/v1/cases/{case.id}/documents",
        data={"kind": "evidence", "title": "Attendance certificate"},
        files={"file": ("scan", pdf())},
        headers=auth("attendance_manager", area_teams=("east",), purpose="attendance_duty"),
    )
    assert document.status_code == 201, document.text
    del letter
    return {
        "case_id": case.id,
        "event_id": event.id,
        "meeting_id": meeting.id,
        "contract_id": contract.id,
        "order_id": order.id,
        "prosecution_id": prosecution.id,
        "referral_id": referral.case.id,
        "exclusion_id": suspension.id,
        # Parameters two kinds of route share, by route.
        "/v1/cases/{case_id}/documents": {"document_id": document.json()["id"]},
        "/v1/cases/{case_id}/notices-to-improve": {"notice_id": improve.id},
        "/v1/cases/{case_id}/penalty-notices": {"notice_id": notice.id},
        "/v1/cases/{case_id}/school-attendance-orders": {"case_id": sao.case.id},
    }


def concrete_path(path: str, ids: dict[str, Any]) -> str:
    """``path`` with its parameters filled from ``ids``: a route's own ids first (by the
    longest route prefix that names some), then the shared ones."""
    own: dict[str, Any] = {}
    for prefix in sorted((k for k in ids if k.startswith("/")), key=len):
        if path.startswith(prefix):
            own.update(ids[prefix])
    values = {**ids, **own}
    return re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)


def returned_records(response: httpx.Response) -> bool:
    if response.status_code != 200:
        return False
    if not response.headers.get("content-type", "").startswith("application/json"):
        return bool(response.content)
    body = response.json()
    if isinstance(body, dict) and "items" in body:
        return bool(body["items"])
    if isinstance(body, dict) and "persistent_absentees" in body:
        return bool(body["persistent_absentees"] or body["severe_absentees"])
    return bool(body)


async def subjects_recorded(session: AsyncSession, response: httpx.Response) -> set[uuid.UUID]:
    decision_ids = [uuid.UUID(d) for d in response.headers["KPAS-Decision-Id"].split(",")]
    session.expire_all()
    events = await session.scalars(
        select(AuditEvent).where(AuditEvent.decision_id.in_(decision_ids))
    )
    return {s for e in events for s in event_subjects(e.subject_id, e.details)}


async def test_every_personal_data_read_records_whose_data_it_returned(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """Walks every GET route whose policy resource holds personal data: a read that returns
    records must leave their data subjects on its audit event. A new route that forgets to
    say what it touched fails here (and one this test cannot seed fails too: seed it)."""
    ids = await seeded(client, auth, session)
    unseeded, silent = [], []
    for path, resource, action in personal_reads():
        url = concrete_path(path, ids)
        answered = False
        for role in WALKERS:
            if role not in ENGINE.permitted(resource, action):
                continue
            purpose = purpose_for(role, resource, action)
            headers = auth(
                role,
                area_teams=("east",),
                school_urns=(ids["urn"],),
                purpose=purpose.value if purpose else None,
            )
            params = PERIOD if path.endswith(("/attendance", "/summary")) else None
            response = await client.get(url, params=params, headers=headers)
            if not returned_records(response):
                continue
            answered = True
            if not await subjects_recorded(session, response):
                silent.append(f"{path} as {role}")
        if not answered:
            unseeded.append(path)
    assert not silent, f"reads that returned records but recorded no subjects: {silent}"
    assert not unseeded, f"no walker got records from: {unseeded}"
