"""Records swept by their own age: subject requests, complaints, breaches, disclosures,
messages and the audit trail's subject index go when the period counted from their closure
or making (the registry's current version) and the grace period are past, and not a day
before; a legal hold wins; a second sweep changes nothing; an interrupted sweep resumes to
the same end; the audit chain still verifies, and still catches a young event's missing
index row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Enum, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.audit.trail import PendingAuditEvent, record, seal
from app.audit.verification import SUBJECTS_MISMATCH, verify_chain
from app.models import AuditEventSubject, Case, DataSubject, OutboundMessage, Pupil
from app.models.audit import AuditEvent
from app.models.base import Base
from app.models.breaches import Breach, BreachStatus, BreachSubject
from app.models.disclosures import Disclosure, DisclosureChannel, DisclosureSubject
from app.models.licences import PersonType
from app.models.retention import (
    LegalHold,
    LegalHoldKind,
    RetentionDestruction,
    RetentionPolicy,
)
from app.models.subject_requests import (
    Complaint,
    SubjectRequest,
    SubjectRequestClockEvent,
    SubjectRequestItem,
    SubjectRequestMatch,
)
from app.rules.calendar import LONDON
from app.rules.kent import District
from app.rules.retention import (
    birthday,
    earliest_start_kept,
    licensing_adult_retain_until,
    pupil_retain_until,
    record_retain_until,
)
from app.rules.retention_schedule import BY_TYPE
from app.services.retention import SweepInterrupted, SweepOptions, sweep
from app.services.retention_periods import years_in_force
from app.services.retention_records import RECORD_TYPES
from tests.conftest import AuthHeaders
from tests.factories import make_recipient, make_school, manager_headers
from tests.licence_support import make_licence, make_person
from tests.test_retention_sweep import pupil_world, snapshot

TODAY = datetime.now(UTC).date()
GRACE = 30


def options(**overrides: Any) -> SweepOptions:
    values: dict[str, Any] = {"as_of": TODAY, "grace_days": GRACE, "actor": "test-sweep"}
    return SweepOptions(**{**values, **overrides})


# --- the rule ------------------------------------------------------------------------------


def due(start: date, years: int, as_of: date, grace: int) -> bool:
    return start < earliest_start_kept(as_of - timedelta(days=grace), years)


@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31)),
    years=st.integers(min_value=1, max_value=10),
    grace=st.integers(min_value=0, max_value=90),
)
def test_due_one_day_after_the_period_and_the_grace_and_not_one_day_before(
    start: date, years: int, grace: int
) -> None:
    last_kept = record_retain_until(start, years) + timedelta(days=grace)
    assert due(start, years, last_kept + timedelta(days=1), grace)
    assert not due(start, years, last_kept, grace)
    assert not due(start, years, last_kept - timedelta(days=1), grace)


# --- records -------------------------------------------------------------------------------


def filled(model: type[Any], **given: Any) -> Any:
    """A row of ``model`` with ``given`` and a plain value in every other required column."""
    values = dict(given)
    for column in Base.metadata.tables[model.__tablename__].columns:
        if column.name in values or column.nullable or column.default is not None:
            continue
        if column.server_default is not None:
            continue
        if isinstance(column.type, Enum) and column.type.enum_class is not None:
            values[column.name] = next(iter(column.type.enum_class))
            continue
        kind = getattr(column.type, "impl", column.type)
        try:
            python = kind.python_type
        except NotImplementedError:
            python = list
        values[column.name] = {
            str: "x",
            int: 0,
            bool: False,
            date: TODAY,
            datetime: datetime.now(UTC),
            uuid.UUID: uuid.uuid4(),
            list: [],
            dict: {},
        }[python]
    return model(**values)


def moment(day: date) -> datetime:
    """Noon, London time, on ``day``."""
    return datetime.combine(day, time(12), LONDON).astimezone(UTC)


def start_day(record_type: str, *, due_today: bool, years: int | None = None) -> date:
    """The day a record of the type must have been closed or made to be due today (the day
    after the period and the grace end), or to be kept one more day."""
    kept_from = earliest_start_kept(
        TODAY - timedelta(days=GRACE), years or BY_TYPE[record_type].years
    )
    return kept_from - timedelta(days=1) if due_today else kept_from


@dataclass
class World:
    requester: uuid.UUID
    matched: uuid.UUID
    request: uuid.UUID
    request_complaint: uuid.UUID
    bundle_disclosure: uuid.UUID
    complaint: uuid.UUID
    breach: uuid.UUID
    disclosure: uuid.UUID
    message: uuid.UUID
    event: uuid.UUID


async def make_world(session: AsyncSession, *, due_today: bool) -> World:
    """One record of every type, each closed or made so that it is due today (or kept one
    more day), about a carer and a pupil whose own retention is decades away."""
    pupil, carer = await pupil_world(session)
    personal = {
        "subject_id": carer.subject_id,
        "purposes_mask": carer.purposes_mask,
        "lawful_basis": carer.lawful_basis,
    }

    def day(record_type: str) -> date:
        return start_day(record_type, due_today=due_today)

    recipient = await make_recipient(session)
    release = {
        "recipient_id": recipient.id,
        "purpose": "subject_rights",
        "lawful_basis": "6(1)(c)",
        "data_categories": ["attendance"],
        "channel": DisclosureChannel.SECURE_EMAIL,
        "automatic": False,
        "approved_by": "ig-1",
        "recorded_by": "ig-1",
        "content_sha256": "a" * 64,
    }
    # A bundle released recently: the disclosure log keeps it whatever happens to the request.
    bundle = Disclosure(**release, disclosed_at=datetime.now(UTC), resource_type="subject_request")
    session.add(bundle)
    await session.flush()
    session.add(DisclosureSubject(disclosure_id=bundle.id, subject_id=pupil.subject_id))
    request = filled(
        SubjectRequest,
        **personal,
        reference=f"SR-{uuid.uuid4().hex[:10]}",
        subject_details={"legal_forename": "Sam"},
        extension_months=0,
        closed_at=moment(day("subject_request")),
        bundle_disclosure_id=bundle.id,
    )
    session.add(request)
    await session.flush()
    session.add_all(
        [
            filled(SubjectRequestClockEvent, request_id=request.id, on=TODAY),
            filled(
                SubjectRequestMatch,
                request_id=request.id,
                subject_id=pupil.subject_id,
                record_id=pupil.id,
                matched_on=["upn"],
            ),
            filled(
                SubjectRequestItem,
                request_id=request.id,
                subject_id=pupil.subject_id,
                resource_id=str(pupil.id),
            ),
        ]
    )
    # A complaint about the request, still open: it stays, its link emptied.
    about_request = filled(
        Complaint, **personal, reference=f"DPC-{uuid.uuid4().hex[:8]}", request_id=request.id
    )
    complaint = filled(
        Complaint,
        **personal,
        reference=f"DPC-{uuid.uuid4().hex[:8]}",
        closed_at=moment(day("complaint")),
    )
    closed = moment(day("breach"))
    breach = filled(
        Breach,
        reference=f"BR-{uuid.uuid4().hex[:8]}",
        status=BreachStatus.CLOSED,
        aware_at=closed - timedelta(days=30),
        ico_deadline=closed - timedelta(days=27),
        data_categories=["attendance"],
        unidentified_count=0,
        closed_at=closed,
        description="Letter sent to the wrong address",
    )
    session.add_all([about_request, complaint, breach])
    await session.flush()
    session.add(
        filled(
            BreachSubject,
            breach_id=breach.id,
            subject_id=pupil.subject_id,
            record_id=pupil.id,
        )
    )
    disclosure = Disclosure(
        **release,
        disclosed_at=moment(day("disclosure")),
        resource_type="pupil",
        resource_id=str(pupil.id),
    )
    session.add(disclosure)
    await session.flush()
    session.add(DisclosureSubject(disclosure_id=disclosure.id, subject_id=pupil.subject_id))
    message = filled(
        OutboundMessage,
        **personal,
        reference=uuid.uuid4().hex,
        recipient="sam@example.com",
        personalisation={"parent_name": "Sam"},
        pupil_id=pupil.id,
        carer_id=carer.id,
        purpose="attendance_duty",
        attempts=1,
        created_at=moment(day("outbound_message")),
    )
    session.add(message)
    await session.flush()
    event = PendingAuditEvent(
        kind="decision",
        action="pupil.read",
        outcome="allow",
        actor="officer-1",
        subject_id=pupil.subject_id,
        resource_type="pupil",
        resource_id=str(pupil.id),
        occurred_at=moment(day("audit_event")),
    )
    record(session, event)
    await seal(session)
    await session.commit()
    event_id = await session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "pupil.read", AuditEvent.resource_id == str(pupil.id)
        )
    )
    assert event_id is not None
    return World(
        requester=carer.subject_id,
        matched=pupil.subject_id,
        request=request.id,
        request_complaint=about_request.id,
        bundle_disclosure=bundle.id,
        complaint=complaint.id,
        breach=breach.id,
        disclosure=disclosure.id,
        message=message.id,
        event=event_id,
    )


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def state(session: AsyncSession, world: World) -> dict[str, bool]:
    """Whether each record is still whole (not destroyed or anonymised)."""
    session.expire_all()
    message = await session.get(OutboundMessage, world.message)
    disclosure = await session.get(Disclosure, world.disclosure)
    assert message is not None and disclosure is not None
    return {
        "subject_request": await count(session, SubjectRequest, SubjectRequest.id == world.request)
        == 1,
        "complaint": await count(session, Complaint, Complaint.id == world.complaint) == 1,
        "breach": await count(session, BreachSubject, BreachSubject.breach_id == world.breach) == 1,
        "disclosure": await count(
            session, DisclosureSubject, DisclosureSubject.disclosure_id == world.disclosure
        )
        == 1
        and disclosure.resource_id is not None,
        "outbound_message": message.recipient is not None
        and message.personalisation is not None
        and message.personal_data_cleared_at is None,
        "audit_event": await count(
            session, AuditEventSubject, AuditEventSubject.event_id == world.event
        )
        == 1,
    }


class TestByAge:
    async def test_each_record_goes_the_day_after_its_period_and_the_grace(
        self, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        assert set((await state(session, world)).values()) == {True}

        outcome = await sweep(session, options())

        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, False)
        records = outcome.records
        for record_type in RECORD_TYPES:
            assert records[record_type]["destroyed"] >= 1, record_type
            assert outcome.counts[record_type] >= 1, record_type
        # Everything hanging off the request went; what it does not own stayed.
        for model in (SubjectRequestClockEvent, SubjectRequestMatch, SubjectRequestItem):
            assert await count(session, model, model.request_id == world.request) == 0
        kept = await session.get(Complaint, world.request_complaint)
        assert kept is not None and kept.request_id is None
        assert await count(session, Disclosure, Disclosure.id == world.bundle_disclosure) == 1
        assert (
            await count(
                session,
                DisclosureSubject,
                DisclosureSubject.disclosure_id == world.bundle_disclosure,
            )
            == 1
        )
        # Anonymised records keep their facts.
        breach = await session.get(Breach, world.breach)
        assert breach is not None and breach.description and breach.closed_at is not None
        disclosure = await session.get(Disclosure, world.disclosure)
        assert disclosure is not None
        assert disclosure.content_sha256 == "a" * 64 and disclosure.data_categories
        message = await session.get(OutboundMessage, world.message)
        assert message is not None and message.pupil_id is None and message.carer_id is None
        assert await session.get(AuditEvent, (await self._seq(session, world.event))) is not None
        # Destruction records say what went, by record type, with ids and counts only.
        rows = (
            await session.scalars(
                select(RetentionDestruction).where(RetentionDestruction.record_type.is_not(None))
            )
        ).all()
        by_type = {row.record_type: row for row in rows}
        assert set(by_type) == set(RECORD_TYPES)
        assert by_type["subject_request"].record_ids == [str(world.request)]
        assert by_type["subject_request"].counts["tables"]["subject_request_matches"] == 1
        assert by_type["audit_event"].through_seq is not None
        for row in rows:
            assert row.subject_id is None and row.policy_versions == {row.record_type: 1}
            assert "Sam" not in str(row.counts) and "example.com" not in str(row.counts)
        # The people themselves are not due: their records elsewhere stay.
        assert (await verify_chain(session)).ok

    @staticmethod
    async def _seq(session: AsyncSession, event_id: uuid.UUID) -> int:
        seq = await session.scalar(select(AuditEvent.seq).where(AuditEvent.id == event_id))
        assert seq is not None
        return int(seq)

    async def test_nothing_goes_one_day_before(self, session: AsyncSession) -> None:
        world = await make_world(session, due_today=False)
        outcome = await sweep(session, options())
        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, True)
        assert all(tally["due"] == 0 for tally in outcome.records.values())
        # ... and all of it the next day.
        await sweep(session, options(as_of=TODAY + timedelta(days=1)))
        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, False)

    async def test_a_live_legal_hold_wins_until_lifted(self, session: AsyncSession) -> None:
        world = await make_world(session, due_today=True)
        hold = LegalHold(
            kind=LegalHoldKind.PROCEEDINGS,
            subject_id=world.matched,
            reason="County court claim KT-2026-118",
            placed_by="ig-1",
            placed_at=datetime.now(UTC),
        )
        session.add(hold)
        await session.commit()
        hold_id = hold.id

        outcome = await sweep(session, options())
        kept = await state(session, world)
        # Records about the held pupil stay; the complaint and the message about the carer
        # alone go.
        assert kept == {
            "subject_request": True,
            "complaint": False,
            "breach": True,
            "disclosure": True,
            "outbound_message": False,
            "audit_event": True,
        }
        records = outcome.records
        assert records["subject_request"]["held"] == 1
        assert records["breach"]["held"] == 1
        assert (await verify_chain(session)).ok

        await session.execute(
            update(LegalHold).where(LegalHold.id == hold_id).values(lifted_at=datetime.now(UTC))
        )
        await session.commit()
        await sweep(session, options())
        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, False)
        assert (await verify_chain(session)).ok

    async def test_a_dry_run_counts_by_record_type_and_writes_nothing(
        self, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        before = await snapshot(session)
        events = await count(session, AuditEvent)
        outcome = await sweep(session, options(dry_run=True))
        assert await snapshot(session) == before
        assert await count(session, AuditEvent) == events
        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, True)
        records = outcome.records
        assert {rt: records[rt]["destroyed"] for rt in RECORD_TYPES} == dict.fromkeys(
            RECORD_TYPES, 1
        )
        assert outcome.counts["subject_request"] >= 4  # the request and three rows

    async def test_sweeping_twice_changes_nothing_the_second_time(
        self, session: AsyncSession
    ) -> None:
        await make_world(session, due_today=True)
        await sweep(session, options())
        after_first = await snapshot(session)
        destructions = await count(session, RetentionDestruction)
        second = await sweep(session, options())
        assert await snapshot(session) == after_first
        assert await count(session, RetentionDestruction) == destructions
        assert all(t["destroyed"] == 0 for t in second.records.values())

    async def test_an_interrupted_sweep_resumes_to_the_same_end(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        for _ in range(3):
            await make_world(session, due_today=True)
        untouched = await snapshot(session)

        # An uninterrupted sweep, in a savepoint rolled back afterwards.
        rehearsal = await connection.begin_nested()
        async with sessions() as other:
            await sweep(other, options(per_transaction=1))
            uninterrupted = await snapshot(other)
        await rehearsal.rollback()
        assert await snapshot(session) == untouched

        def crash_after_four(done: int) -> None:
            if done == 4:
                raise SweepInterrupted

        with pytest.raises(SweepInterrupted):
            await sweep(session, options(after_commit=crash_after_four, per_transaction=1))
        await session.rollback()
        # Three requests and one complaint wholly gone, nothing half done.
        halfway = await snapshot(session)
        assert len(halfway["subject_requests"]) == 0
        assert len(halfway["subject_request_matches"]) == 0
        assert len(halfway["complaints"]) == len(untouched["complaints"]) - 1
        assert halfway["breach_subjects"] == untouched["breach_subjects"]

        await sweep(session, options(per_transaction=1))

        assert await snapshot(session) == uninterrupted
        assert (await verify_chain(session)).ok

    async def test_a_registry_change_moves_what_the_next_sweep_selects(
        self, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        await session.execute(
            update(RetentionPolicy)
            .where(RetentionPolicy.record_type == "complaint")
            .values(years=7, version=RetentionPolicy.version + 1)
        )
        await session.commit()
        dry = await sweep(session, options(dry_run=True))
        assert dry.records["complaint"]["due"] == 0
        assert dry.records["subject_request"]["due"] == 1

        # A complaint closed seven years (and the grace) ago is due under the new period.
        seven = start_day("complaint", due_today=True, years=7)
        await session.execute(
            update(Complaint).where(Complaint.id == world.complaint).values(closed_at=moment(seven))
        )
        await session.commit()
        dry = await sweep(session, options(dry_run=True))
        assert dry.records["complaint"]["due"] == 1
        await sweep(session, options())
        assert (await state(session, world))["complaint"] is False
        row = await session.scalar(
            select(RetentionDestruction).where(RetentionDestruction.record_type == "complaint")
        )
        assert row is not None and row.policy_versions == {"complaint": 2}


class TestAuditIndex:
    async def test_the_chain_still_catches_a_young_events_missing_index_row(
        self, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        record(
            session,
            PendingAuditEvent(
                kind="decision",
                action="pupil.read",
                outcome="allow",
                actor="officer-1",
                subject_id=world.matched,
            ),
        )
        await seal(session)
        await session.commit()
        await sweep(session, options())
        assert (await verify_chain(session)).ok

        young = await session.scalar(
            select(AuditEventSubject.event_id)
            .join(AuditEvent, AuditEvent.id == AuditEventSubject.event_id)
            .order_by(AuditEvent.seq.desc())
            .limit(1)
        )
        assert young is not None
        await session.execute(delete(AuditEventSubject).where(AuditEventSubject.event_id == young))
        await session.commit()
        verdict = await verify_chain(session)
        assert not verdict.ok and verdict.problem == SUBJECTS_MISMATCH

    async def test_an_index_row_added_to_a_pruned_event_is_caught(
        self, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        await sweep(session, options())
        session.add(AuditEventSubject(event_id=world.event, subject_id=uuid.uuid4()))
        await session.commit()
        verdict = await verify_chain(session)
        assert not verdict.ok and verdict.problem == SUBJECTS_MISMATCH


class TestThroughTheApi:
    async def test_a_run_reports_records_by_record_type(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_world(session, due_today=True)
        headers = auth("information_governance")
        dry = await client.post("/v1/retention/runs", json={"dry_run": True}, headers=headers)
        assert dry.status_code == 201, dry.text
        assert dry.json()["records"]["complaint"] == {"due": 1, "held": 0, "destroyed": 1}
        assert (await state(session, world))["complaint"] is True

        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
        swept = await client.post("/v1/retention/runs", json={"dry_run": False}, headers=headers)
        assert swept.status_code == 201, swept.text
        run = swept.json()
        assert {rt: run["records"][rt]["destroyed"] for rt in RECORD_TYPES} == dict.fromkeys(
            RECORD_TYPES, 1
        )
        assert run["counts"]["outbound_message"] == 1
        fetched = await client.get(f"/v1/retention/runs/{run['id']}", headers=headers)
        assert fetched.json()["records"] == run["records"]
        assert await state(session, world) == dict.fromkeys(RECORD_TYPES, False)


# --- a registry change moves retention dates -----------------------------------------------


async def change_period(
    client: httpx.AsyncClient, auth: AuthHeaders, record_type: str, years: int
) -> None:
    headers = auth("information_governance")
    path = f"/v1/retention/policies/{record_type}"
    current = await client.get(path, headers=headers)
    assert current.status_code == 200, current.text
    response = await client.patch(
        path,
        json={"years": years, "change_reason": "Information governance board decision IGB-7."},
        headers={**headers, "If-Match": current.headers["ETag"]},
    )
    assert response.status_code == 200, response.text


async def retain_until(session: AsyncSession, subject_id: uuid.UUID) -> date | None:
    found: date | None = await session.scalar(
        select(DataSubject.retain_until).where(DataSubject.id == subject_id)
    )
    return found


class TestRegistryPeriods:
    async def test_a_pupil_linked_period_moves_pupils_and_their_carers(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        pupil, carer = await pupil_world(session)
        born = pupil.date_of_birth
        assert await retain_until(session, pupil.subject_id) == pupil_retain_until(born)

        await change_period(client, auth, "pupil_linked", 26)

        assert await retain_until(session, pupil.subject_id) == pupil_retain_until(born, 26)
        assert await retain_until(session, carer.subject_id) == pupil_retain_until(born, 26)
        assert await years_in_force(session, "pupil_linked") == 26

        await change_period(client, auth, "pupil_linked", 25)
        assert await retain_until(session, pupil.subject_id) == pupil_retain_until(born)
        assert await retain_until(session, carer.subject_id) == pupil_retain_until(born)

    async def test_a_change_moves_what_the_next_sweep_selects(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        pupil, carer = await pupil_world(session)
        # Born so that the 25th birthday and the grace period are past, the 26th not.
        born = birthday(TODAY - timedelta(days=GRACE + 40), -25)
        await session.execute(update(Pupil).where(Pupil.id == pupil.id).values(date_of_birth=born))
        await session.execute(
            update(DataSubject)
            .where(DataSubject.id.in_([pupil.subject_id, carer.subject_id]))
            .values(retain_until=pupil_retain_until(born))
        )
        await session.commit()
        dry = await sweep(session, options(dry_run=True))
        assert {pupil.subject_id, carer.subject_id} <= set(dry.would_destroy)

        await change_period(client, auth, "pupil_linked", 26)

        dry = await sweep(session, options(dry_run=True))
        assert pupil.subject_id not in dry.would_destroy
        assert carer.subject_id not in dry.would_destroy

    async def test_a_licensed_child_period_moves_children_on_licences(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        child = await make_person(session, date_of_birth=TODAY - timedelta(days=365 * 12))
        await session.commit()
        born = child.date_of_birth
        assert born is not None
        await change_period(client, auth, "licensed_child", 27)
        assert await retain_until(session, child.subject_id) == pupil_retain_until(born, 27)

    async def test_a_licensing_adult_period_moves_adults_from_their_last_licence(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        child = await make_person(session, date_of_birth=TODAY - timedelta(days=365 * 12))
        employer = await make_person(
            session, person_type=PersonType.ADULT, date_of_birth=None, organisation="Acme Ltd"
        )
        received = TODAY - timedelta(days=400)
        licence = await make_licence(session, child, received_on=received)
        licence.employer_id = employer.id
        await session.commit()
        await change_period(client, auth, "licensing_adult", 8)
        assert await retain_until(session, employer.subject_id) == licensing_adult_retain_until(
            received, 8
        )
        # The child is not an adult on a licence: their date stays from their birthday.
        assert await retain_until(session, child.subject_id) == pupil_retain_until(
            child.date_of_birth or TODAY
        )

    async def test_a_pupil_made_after_a_change_is_kept_by_the_new_period(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        school = await make_school(session, district=District.THANET)
        await session.commit()
        await change_period(client, auth, "pupil_linked", 26)
        born = TODAY - timedelta(days=365 * 10)
        body = {
            "legal_forename": "Zoe",
            "legal_surname": "Newcombe",
            "date_of_birth": born.isoformat(),
            "gender": "female",
            "postcode": "CT9 1AA",
            "enrolment": {"school_urn": school.urn, "on_roll_from": "2024-09-01"},
        }
        response = await client.post("/v1/pupils", json=body, headers=manager_headers(auth))
        assert response.status_code == 201, response.text
        subject_id = await session.scalar(
            select(Pupil.subject_id).where(Pupil.id == uuid.UUID(response.json()["id"]))
        )
        assert subject_id is not None
        assert await retain_until(session, subject_id) == pupil_retain_until(born, 26)


class TestCaseHolds:
    async def test_a_hold_on_a_case_keeps_a_message_about_it(self, session: AsyncSession) -> None:
        world = await make_world(session, due_today=True)
        case = await session.scalar(select(Case).where(Case.subject_id == world.matched))
        assert case is not None
        case_id = case.id
        await session.execute(
            update(OutboundMessage)
            .where(OutboundMessage.id == world.message)
            .values(case_id=case_id)
        )
        session.add(
            LegalHold(
                kind=LegalHoldKind.PROCEEDINGS,
                subject_id=world.matched,
                case_id=case_id,
                reason="Magistrates' court prosecution MC-2026-31",
                placed_by="ig-1",
                placed_at=datetime.now(UTC),
            )
        )
        await session.commit()
        outcome = await sweep(session, options())
        assert (await state(session, world))["outbound_message"] is True
        assert outcome.records["outbound_message"]["held"] == 1
