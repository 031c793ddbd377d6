"""The subject access bundle for a pupil with five years of history, at two database sizes.

The pupil: on two schools' rolls over five school years (about 1,900 attendance marks), two
carers, an attendance case with 50 chronology entries and 20 documents, two licences, ten
letters and emails, five disclosures, and 200 reads of their records in the audit trail. Their
mother's access request has the pupil as its confirmed match.

Subject: ``GET /v1/subject-requests/{id}/bundle`` as information governance, through the ASGI
app: token, policy decision, every module's records about the pupil read under the
subject-rights purpose, each item's purposes, bases, retention, rights and third-party check,
the audit event naming every subject, commit, serialisation. Baseline: the same rows read
directly (the pupil, marks, case, chronology, document metadata, licences, messages,
disclosures, audit reads), with no policy, answers or audit.

Around the pupil, every other pupil has a week of marks and a read in the audit trail, one in
ten has a case with five entries, and one in a hundred a disclosure: so a query that scanned
a table instead of following the pupil's keys would grow with the database. The last result
builds the same bundle against the larger database and the smaller side by side, interleaved:
the target is a flat time (the larger within 1.5x of the smaller) under 2 seconds.

Sizes: ``--full`` 10,000 and 240,000 pupils (Kent's school population); ``--quick`` 1,000 and
10,000.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.audit.trail import PendingAuditEvent, record, seal
from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models import (
    AttendanceMark,
    AuditEvent,
    AuditEventSubject,
    Carer,
    CarerRelationship,
    Case,
    CaseDocument,
    CaseEvent,
    CaseParty,
    DataSubject,
    Disclosure,
    DisclosureSubject,
    Enrolment,
    Licence,
    OutboundMessage,
    Pupil,
    Recipient,
    School,
    SubjectRequest,
    SubjectRequestMatch,
)
from app.models.cases import CaseDocumentKind, CaseEventKind, CaseStage, CaseType
from app.models.disclosures import DisclosureChannel
from app.models.licences import LicenceKind, LicenceStatus
from app.models.messages import Channel, MessageStatus
from app.models.people import EnrolmentSource, Gender, RelationshipType
from app.models.subject_requests import (
    ChildCompetence,
    MatchStatus,
    RequestChannel,
    RequesterKind,
    RequestRight,
    RequestStatus,
)
from app.models.subjects import SubjectKind
from app.policies.registry import purposes_mask
from app.rules import casework
from app.rules.retention import pupil_retain_until
from app.services.cases import case_basis
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK, new_carer, new_pupil
from app.services.subject_requests import REQUESTER_BASIS, REQUESTER_MASK, recompute_clock
from bench.harness import Op, Result, Scale, Workload, measure
from bench.workloads.pupil_search import _load, _schools
from tests.conftest import make_settings
from tests.databases import fresh_database

SIZES = {Scale.QUICK: (1_000, 10_000), Scale.FULL: (10_000, 240_000)}
ROUNDS = {Scale.QUICK: 20, Scale.FULL: 50}
YEARS = 5
CASE_EVENTS = 50
CASE_DOCUMENTS = 20
AUDIT_READS = 200
MESSAGES = 10
DISCLOSURES = 5
#: Around the pupil: marks per other pupil, one case in this many pupils (with this many
#: entries), one disclosure in this many.
BACKGROUND_MARKS = 10
BACKGROUND_CASE_EVERY = 10
BACKGROUND_CASE_EVENTS = 5
BACKGROUND_DISCLOSURE_EVERY = 100
BATCH = 10_000
GOVERNANCE = "bench-governance"
OFFICER = "bench-officer"


def _copyable(value: Any) -> Any:
    """A value as COPY takes it: JSON documents as their text."""
    return json.dumps(value) if isinstance(value, dict | list) else value


async def _insert(database: Database, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk rows: COPY on PostgreSQL, batched executemany on SQLite."""
    for offset in range(0, len(rows), BATCH):
        batch = rows[offset : offset + BATCH]
        async with database.sessions() as session, session.begin():
            if database.engine.dialect.name == "postgresql":
                raw = await (await session.connection()).get_raw_connection()
                columns = list(batch[0])
                await raw.driver_connection.copy_records_to_table(
                    table.name,
                    records=[tuple(_copyable(row[c]) for c in columns) for row in batch],
                    columns=columns,
                )
            else:
                await session.execute(insert(table), batch)


def _school_days(first: date, years: int) -> list[date]:
    """Weekdays from September to July, ``years`` school years from ``first``: about 190 a
    year once a few holiday weeks are taken out."""
    days = []
    day = first
    end = date(first.year + years, 7, 20)
    while day <= end:
        holiday = (
            day.month == 8
            or (day.month == 12 and day.day > 20)
            or (day.month == 4 and day.day < 14)
        )
        if day.weekday() < 5 and not holiday:
            days.append(day)
        day += timedelta(days=1)
    return days


@dataclass(slots=True)
class _Subject:
    pupil_id: uuid.UUID
    subject_id: uuid.UUID
    case_id: uuid.UUID
    request_id: uuid.UUID


async def _the_pupil(database: Database, urns: list[int]) -> _Subject:
    """The pupil with five years of history, and the access request about them."""
    now = datetime.now(UTC)
    rng = random.Random(5)
    first_year = date(now.year - YEARS, 9, 1)
    async with database.sessions() as session, session.begin():
        pupil = new_pupil(
            session,
            legal_forename="Isobel",
            legal_surname="Benchmark",
            date_of_birth=date(now.year - 14, 3, 4),
            gender=Gender.FEMALE,
            upn="A999999999999",
            postcode="CT9 1AA",
        )
        mother = new_carer(
            session,
            forename="Evie",
            surname="Benchmark",
            retain_until=pupil_retain_until(pupil.date_of_birth),
            email="evie.benchmark@example.org",
        )
        father = new_carer(
            session,
            forename="Sam",
            surname="Benchmark",
            retain_until=pupil_retain_until(pupil.date_of_birth),
        )
        await session.flush()
        change = date(first_year.year + 3, 9, 1)
        session.add_all(
            [
                Enrolment(
                    pupil_id=pupil.id,
                    school_urn=urns[0],
                    on_roll_from=first_year,
                    off_roll_on=change - timedelta(days=40),
                    source=EnrolmentSource.ROLL,
                ),
                Enrolment(
                    pupil_id=pupil.id,
                    school_urn=urns[1],
                    on_roll_from=change,
                    source=EnrolmentSource.ROLL,
                ),
                *(
                    CarerRelationship(
                        pupil_id=pupil.id,
                        carer_id=carer.id,
                        relationship_type=kind,
                        parental_responsibility=True,
                        lives_with=True,
                    )
                    for carer, kind in (
                        (mother, RelationshipType.MOTHER),
                        (father, RelationshipType.FATHER),
                    )
                ),
            ]
        )
        case = Case(
            id=uuid.uuid4(),
            reference="KPAS-BENCH-SUBJECT",
            case_type=CaseType.ATTENDANCE,
            purpose="attendance_duty",
            pupil_id=pupil.id,
            subject_id=pupil.subject_id,
            purposes_mask=purposes_mask(set(casework.COLLECTED_FOR[CaseType.ATTENDANCE])),
            lawful_basis=case_basis(CaseType.ATTENDANCE),
            stage=CaseStage.SUPPORT,
            school_urn=urns[1],
            district="thanet",
            area_team="east",
            assigned_officer=OFFICER,
            referral_source="council",
            referred_by=OFFICER,
            opened_on=change + timedelta(days=60),
        )
        session.add(case)
        await session.flush()
        for carer in (mother, father):
            session.add(
                CaseParty(
                    case_id=case.id,
                    carer_id=carer.id,
                    subject_id=carer.subject_id,
                    relationship_type="mother" if carer is mother else "father",
                    parental_responsibility=True,
                )
            )
        for n in range(CASE_EVENTS):
            session.add(
                CaseEvent(
                    case_id=case.id,
                    kind=CaseEventKind.NOTE if n % 2 else CaseEventKind.PHONE_CALL,
                    occurred_at=now - timedelta(days=CASE_EVENTS - n),
                    recorded_at=now - timedelta(days=CASE_EVENTS - n),
                    recorded_by=OFFICER,
                    text=f"Entry {n}: spoke to Evie about the week's attendance."
                    if n % 5 == 0
                    else f"Entry {n}: attendance reviewed with the school.",
                    details={},
                )
            )
        for n in range(CASE_DOCUMENTS):
            session.add(
                CaseDocument(
                    case_id=case.id,
                    kind=CaseDocumentKind.LETTER,
                    title=f"Letter {n}",
                    media_type="application/pdf",
                    size_bytes=4096,
                    sha256=f"{n:064x}",
                    nonce=bytes(12),
                    ciphertext=rng.randbytes(4096),
                    recorded_by=OFFICER,
                    subject_id=pupil.subject_id,
                    purposes_mask=case.purposes_mask,
                    lawful_basis=case.lawful_basis,
                )
            )
        for n, kind in enumerate((LicenceKind.WORK_PERMIT, LicenceKind.PERFORMANCE_LICENCE)):
            received = date(now.year - 1, 3 + n, 1)
            session.add(
                Licence(
                    reference=f"LIC-BENCH-{n}",
                    kind=kind,
                    status=LicenceStatus.GRANTED,
                    pupil_id=pupil.id,
                    forename=pupil.legal_forename,
                    surname=pupil.legal_surname,
                    date_of_birth=pupil.date_of_birth,
                    received_on=received,
                    starts_on=received,
                    particulars={},
                    findings=[],
                    subject_id=pupil.subject_id,
                    purposes_mask=LICENSING_MASK,
                    lawful_basis=LICENSING_BASIS,
                    created_by="bench-licensing",
                )
            )
        for n in range(MESSAGES):
            session.add(
                OutboundMessage(
                    message_type="attendance_concern_letter",
                    channel=Channel.LETTER,
                    template_id=uuid.uuid4(),
                    reference=uuid.uuid4().hex,
                    personalisation={"address_line_1": "Evie Benchmark", "n": n},
                    pupil_id=pupil.id,
                    carer_id=mother.id,
                    case_id=case.id,
                    purpose="attendance_duty",
                    status=MessageStatus.DISPATCHED,
                    attempts=1,
                    next_attempt_at=now,
                    created_by=OFFICER,
                    subject_id=mother.subject_id,
                    purposes_mask=PEOPLE_PURPOSES_MASK,
                    lawful_basis=PEOPLE_BASIS,
                )
            )
        police = await session.scalar(select(Recipient.id).where(Recipient.code == "kent-police"))
        assert police is not None
        for n in range(DISCLOSURES):
            disclosure = Disclosure(
                recipient_id=police,
                purpose="crime_prevention_disclosure",
                lawful_basis="6(1)(e)",
                data_categories=["attendance"],
                channel=DisclosureChannel.SECURE_EMAIL,
                automatic=False,
                approved_by=GOVERNANCE,
                recorded_by=GOVERNANCE,
                content_sha256=f"{n:064x}",
                request_reference=f"POLICE-{n}",
                ground="prevention_or_detection_of_crime",
            )
            session.add(disclosure)
            await session.flush()
            session.add(DisclosureSubject(disclosure_id=disclosure.id, subject_id=pupil.subject_id))
        requester = DataSubject(id=uuid.uuid4(), kind=SubjectKind.REQUESTER)
        session.add(requester)
        request = SubjectRequest(
            id=uuid.uuid4(),
            reference="SR-BENCHMARK0",
            right=RequestRight.ACCESS,
            channel=RequestChannel.EMAIL,
            status=RequestStatus.IN_PROGRESS,
            received_on=now.date() - timedelta(days=3),
            requester_kind=RequesterKind.PARENT_OR_CARER,
            requester_name="Evie Benchmark",
            requester_email="evie.benchmark@example.org",
            subject_details={
                "forename": "Isobel",
                "surname": "Benchmark",
                "date_of_birth": pupil.date_of_birth.isoformat(),
                "upn": pupil.upn,
            },
            description="Everything you hold about my daughter.",
            extension_months=0,
            clock_rule="",
            child_competence=ChildCompetence.NOT_COMPETENT,
            subject_id=requester.id,
            purposes_mask=REQUESTER_MASK,
            lawful_basis=REQUESTER_BASIS,
            created_by=GOVERNANCE,
            clock_events=[],
            matches=[],
        )
        recompute_clock(request)
        session.add(request)
        await session.flush()
        session.add(
            SubjectRequestMatch(
                request_id=request.id,
                subject_id=pupil.subject_id,
                record_type="pupil",
                record_id=pupil.id,
                status=MatchStatus.CONFIRMED,
                matched_on=["upn", "legal_names", "date_of_birth"],
                decided_by=GOVERNANCE,
                decided_at=now,
            )
        )
        for n in range(AUDIT_READS):
            record(session, _read(pupil.subject_id, f"officer-{n % 7}"))
        await seal(session)
        subject = _Subject(pupil.id, pupil.subject_id, case.id, request.id)
    marks = []
    for day in _school_days(first_year, YEARS):
        for half in ("AM", "PM"):
            marks.append(
                {
                    "pupil_id": subject.pupil_id,
                    "mark_date": day,
                    "session": half,
                    "school_urn": urns[0] if day < change else urns[1],
                    "code": rng.choice(["/", "/", "/", "/", "/", "/", "L", "N", "I", "G"])
                    if half == "AM"
                    else "\\",
                    "import_id": uuid.uuid4(),
                    "recorded_at": now,
                }
            )
    await _insert(database, AttendanceMark.__table__, marks)
    return subject


def _read(subject_id: uuid.UUID, actor: str) -> PendingAuditEvent:
    return PendingAuditEvent(
        kind="decision",
        action="pupil.read",
        outcome="allow",
        decision_id=uuid.uuid4(),
        rule="pupils.manager.read",
        purpose="attendance_duty",
        basis="6(1)(c),6(1)(e)",
        actor=actor,
        actor_role="attendance_manager",
        resource_type="pupil",
        resource_id=str(subject_id),
        subject_id=subject_id,
        details={"reason": "allowed"},
    )


async def _background(database: Database, urns: list[int], subject: _Subject) -> None:
    """History for every other pupil: a week of marks each, one read each in the audit
    trail, a case with entries for one in ten, a disclosure for one in a hundred."""
    async with database.sessions() as session:
        others = [
            tuple(row)
            for row in await session.execute(
                select(Pupil.id, Pupil.subject_id).where(Pupil.id != subject.pupil_id)
            )
        ]
        police = await session.scalar(select(Recipient.id).where(Recipient.code == "kent-police"))
    now = datetime.now(UTC)
    monday = date(now.year - 1, 1, 8)
    marks, cases, events = [], [], []
    mask = purposes_mask(set(casework.COLLECTED_FOR[CaseType.ATTENDANCE]))
    basis = case_basis(CaseType.ATTENDANCE)
    for serial, (pupil_id, subject_id) in enumerate(others):
        for n in range(BACKGROUND_MARKS):
            marks.append(
                {
                    "pupil_id": pupil_id,
                    "mark_date": monday + timedelta(days=n // 2),
                    "session": "AM" if n % 2 == 0 else "PM",
                    "school_urn": urns[serial % len(urns)],
                    "code": "/" if n % 2 == 0 else "\\",
                    "import_id": uuid.uuid4(),
                    "recorded_at": now,
                }
            )
        if serial % BACKGROUND_CASE_EVERY == 0:
            case_id = uuid.uuid4()
            cases.append(
                {
                    "id": case_id,
                    "reference": f"KPAS-BG-{serial:09d}",
                    "case_type": "attendance",
                    "purpose": "attendance_duty",
                    "pupil_id": pupil_id,
                    "subject_id": subject_id,
                    "purposes_mask": mask,
                    "lawful_basis": basis,
                    "stage": "support",
                    "school_urn": urns[serial % len(urns)],
                    "district": "thanet",
                    "area_team": "east",
                    "assigned_officer": OFFICER,
                    "assigned_at": now,
                    "referral_source": "council",
                    "referred_by": OFFICER,
                    "referral": None,
                    "alert_id": None,
                    "opened_on": now.date(),
                    "next_action_on": None,
                    "next_action": None,
                    "eso_decision": None,
                    "eso_considered_on": None,
                    "eso_reason": None,
                    "eso_recorded_by": None,
                    "prosecution_approved_by": None,
                    "prosecution_approved_at": None,
                    "closed_at": None,
                    "outcome": None,
                    "outcome_summary": None,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            events += [
                {
                    "id": uuid.uuid4(),
                    "case_id": case_id,
                    "kind": "note",
                    "occurred_at": now - timedelta(days=n),
                    "recorded_at": now,
                    "recorded_by": OFFICER,
                    "text": "Attendance reviewed.",
                    "details": {},
                    "corrects_id": None,
                }
                for n in range(BACKGROUND_CASE_EVENTS)
            ]
    await _insert(database, AttendanceMark.__table__, marks)
    await _insert(database, Case.__table__, cases)
    await _insert(database, CaseEvent.__table__, events)
    for offset in range(0, len(others), BATCH):
        async with database.sessions() as session, session.begin():
            for serial, (_, subject_id) in enumerate(others[offset : offset + BATCH], start=offset):
                record(session, _read(subject_id, f"officer-{serial % 50}"))
                if serial % BACKGROUND_DISCLOSURE_EVERY == 0 and police is not None:
                    disclosure = Disclosure(
                        id=uuid.uuid4(),
                        recipient_id=police,
                        purpose="prosecution",
                        lawful_basis="s35(2)(b)",
                        data_categories=["attendance"],
                        channel=DisclosureChannel.SECURE_EMAIL,
                        automatic=False,
                        approved_by=GOVERNANCE,
                        recorded_by=GOVERNANCE,
                        content_sha256=f"{serial:064x}",
                    )
                    session.add(disclosure)
                    await session.flush()
                    session.add(
                        DisclosureSubject(disclosure_id=disclosure.id, subject_id=subject_id)
                    )
            await seal(session)


@dataclass(slots=True)
class _Population:
    size: int
    database: Database
    client: httpx.AsyncClient
    headers: dict[str, str]
    subject: _Subject
    load_seconds: float


@asynccontextmanager
async def _population(url: str, size: int) -> AsyncIterator[_Population]:
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    schools = _schools()
    async with database.sessions() as session, session.begin():
        await session.execute(insert(School.__table__), schools)
    urns = [row["urn"] for row in schools]
    started = time.perf_counter()
    await _load(database, 0, size - 1, urns)
    subject = await _the_pupil(database, urns)
    await _background(database, urns, subject)
    async with database.sessions() as session, session.begin():
        await session.execute(text("ANALYZE"))
    load_seconds = time.perf_counter() - started
    app = create_app(settings, database)
    token = app.state.token_issuer.issue(
        subject=GOVERNANCE, roles=[Role.INFORMATION_GOVERNANCE], ttl_seconds=3600
    ).access_token
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield _Population(size, database, client, headers, subject, load_seconds)
    finally:
        await database.dispose()


def _through_api(population: _Population) -> Op:
    url = f"/v1/subject-requests/{population.subject.request_id}/bundle"

    async def built() -> object:
        response = await population.client.get(url, headers=population.headers)
        assert response.status_code == 200, response.text
        return response

    return built


async def _direct_reads(session: AsyncSession, subject: _Subject) -> list[Any]:
    """The rows the bundle is made of, read by the same keys: no policy, answers or audit."""
    pupil_id, subject_id, case_id = subject.pupil_id, subject.subject_id, subject.case_id
    found: list[Any] = [await session.get(Pupil, pupil_id)]
    statements = [
        select(Enrolment).where(Enrolment.pupil_id == pupil_id),
        select(CarerRelationship).where(CarerRelationship.pupil_id == pupil_id),
        select(Carer).where(
            Carer.id.in_(
                select(CarerRelationship.carer_id).where(CarerRelationship.pupil_id == pupil_id)
            )
        ),
        select(AttendanceMark).where(AttendanceMark.pupil_id == pupil_id),
        select(Case).where(Case.pupil_id == pupil_id),
        select(CaseEvent).where(CaseEvent.case_id == case_id),
        select(CaseDocument)
        .where(CaseDocument.case_id == case_id)
        .options(defer(CaseDocument.ciphertext, raiseload=True)),
        select(Licence).where(Licence.pupil_id == pupil_id),
        select(OutboundMessage).where(OutboundMessage.pupil_id == pupil_id),
        select(Disclosure)
        .join(DisclosureSubject)
        .where(DisclosureSubject.subject_id == subject_id),
        select(AuditEvent)
        .join(AuditEventSubject, AuditEventSubject.event_id == AuditEvent.id)
        .where(AuditEventSubject.subject_id == subject_id),
    ]
    for statement in statements:
        found.append((await session.scalars(statement)).all())
    return found


def _directly(population: _Population) -> Op:
    async def read() -> object:
        async with population.database.sessions() as session:
            return await _direct_reads(session, population.subject)

    return read


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    small_size, large_size = SIZES[scale]
    rounds = ROUNDS[scale]
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as workdir:
        async with (
            _population(url, small_size) as small,
            fresh_database(backend, Path(workdir)) as large_url,
            _population(large_url, large_size) as large,
        ):
            for population in (small, large):
                results.append(
                    await measure(
                        Workload(
                            name=f"subject access bundle at {population.size:,} pupils",
                            subject=_through_api(population),
                            baseline=_directly(population),
                            target="median < 2000 ms",
                            note="GET /v1/subject-requests/{id}/bundle as information "
                            "governance for a pupil with five years of history (about 1,900 "
                            f"marks, a case with {CASE_EVENTS} entries and {CASE_DOCUMENTS} "
                            f"documents, two licences, {AUDIT_READS} audit reads) against the "
                            "same rows read directly by the same keys. Loading took "
                            f"{population.load_seconds:.0f} s.",
                        ),
                        backend,
                        rounds=rounds,
                        warmup=3,
                    )
                )
            results.append(
                await measure(
                    Workload(
                        name=f"subject access bundle, {large_size:,} pupils against {small_size:,}",
                        subject=_through_api(large),
                        baseline=_through_api(small),
                        target="ratio >= 0.67 (the larger within 1.5x of the smaller)",
                        note="The same bundle against the larger database (subject) and the "
                        "smaller (baseline), interleaved: the pupil's history is the same in "
                        "both, so the time should not grow with the database.",
                    ),
                    backend,
                    rounds=rounds,
                    warmup=3,
                )
            )
    return results
