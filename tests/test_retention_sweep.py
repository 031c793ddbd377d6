"""The retention sweep: records past retention (plus the grace period) are destroyed, every
table that holds personal data is reached, legal holds win, documents are crypto-shredded,
a second sweep changes nothing, an interrupted sweep resumes to the same end, and the audit
chain still verifies."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from app.audit.verification import verify_chain
from app.crypto import KeyEncryptionKeys, data_key_for
from app.crypto.subject_keys import SubjectKeyDestroyed
from app.db import Database
from app.models import (
    AttendanceAlert,
    AuditEventSubject,
    Carer,
    CarerRelationship,
    Case,
    DataSubject,
    Enrolment,
    OutboundMessage,
    Pupil,
    PupilDocument,
    SubjectKey,
)
from app.models.base import Base
from app.models.retention import LegalHold, LegalHoldKind, RetentionDestruction, RetentionRun
from app.models.subjects import PersonalRecord, SubjectKind
from app.policies.registry import Purpose
from app.policies.subject_state import SubjectState, refusal
from app.rules.retention import pupil_retain_until
from app.rules.retention_schedule import TABLE_RECORD_TYPES
from app.services.retention import (
    RetentionSweeper,
    SweepInterrupted,
    SweepOptions,
    check_coverage,
    due_for_destruction,
    personal_tables,
    sweep,
)
from tests.case_support import make_case
from tests.conftest import AuthHeaders, make_settings
from tests.factories import make_pupil, make_school, manager_headers
from tests.live import kpas, service_env
from tests.messages_support import CONCERN
from tests.test_documents_api import png, upload

TODAY = datetime.now(UTC).date()
GRACE = 30


def options(**overrides: Any) -> SweepOptions:
    values: dict[str, Any] = {"as_of": TODAY, "grace_days": GRACE, "actor": "test-sweep"}
    return SweepOptions(**{**values, **overrides})


async def expire(session: AsyncSession, *subject_ids: uuid.UUID, days_ago: int = GRACE + 5) -> None:
    """Put the subjects past retention ``days_ago`` days ago."""
    await session.execute(
        update(DataSubject)
        .where(DataSubject.id.in_(subject_ids))
        .values(retain_until=TODAY - timedelta(days=days_ago))
    )
    await session.commit()


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def snapshot(session: AsyncSession) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that can hold personal data, and the sweep's own records
    without their moments and ids (which differ run to run)."""
    state: dict[str, list[tuple[Any, ...]]] = {}
    for name in sorted({*TABLE_RECORD_TYPES, "subject_keys", "data_subjects"}):
        table = Base.metadata.tables.get(name)
        if table is None:
            continue
        skipped = {"updated_at", "version", "destroyed_at", "personal_data_cleared_at"}
        result = await session.execute(select(text("*")).select_from(table))
        names = list(result.keys())
        rows = [
            tuple(v for k, v in zip(names, row, strict=True) if k not in skipped)
            for row in result.all()
        ]
        state[name] = sorted(tuple(str(v) for v in row) for row in rows)
    destroyed = await session.execute(
        select(RetentionDestruction.subject_id, RetentionDestruction.counts)
    )
    state["destructions"] = sorted((str(s), str(c)) for s, c in destroyed.all())
    return state


async def pupil_world(session: AsyncSession, *, surname: str = "Example") -> tuple[Pupil, Carer]:
    """A pupil with a carer, a case with a party, and an attendance alert."""
    world = await make_case(session, pupil=await make_pupil(session, legal_surname=surname))
    pupil, carer = world.pupil, world.carer
    session.add(
        AttendanceAlert(
            pupil_id=pupil.id,
            school_urn=world.school.urn,
            subject_id=pupil.subject_id,
            purposes_mask=pupil.purposes_mask,
            lawful_basis=pupil.lawful_basis,
            **alert_fields(),
        )
    )
    await session.commit()
    return pupil, carer


def alert_fields() -> dict[str, Any]:
    from app.models.attendance import AlertKind, AlertStatus

    columns = Base.metadata.tables["attendance_alerts"].c
    values: dict[str, Any] = {
        "kind": AlertKind.PERSISTENT_ABSENCE,
        "status": AlertStatus.OPEN,
    }
    for column in columns:
        if column.name in values or column.nullable or column.default is not None:
            continue
        if column.name in {"pupil_id", "school_urn", "subject_id", "purposes_mask"}:
            continue
        if column.name in {"lawful_basis", "id"}:
            continue
        python = column.type.python_type
        if python is date:
            values[column.name] = TODAY - timedelta(days=7)
        elif python is datetime:
            values[column.name] = datetime.now(UTC)
        elif python is int:
            values[column.name] = 10
        elif python is float:
            values[column.name] = 10.0
        elif python is str:
            values[column.name] = "2025/26"
    return values


# --- coverage --------------------------------------------------------------------------------


class TestCoverage:
    def test_every_personal_data_table_is_reached_and_counted(self) -> None:
        assert check_coverage() == []

    def test_the_personal_tables_are_found_from_the_mixin(self) -> None:
        found = personal_tables()
        mixed = {
            m.local_table.name
            for m in Base.registry.mappers
            if issubclass(m.class_, PersonalRecord)
        }
        assert found == mixed and {"pupils", "carers", "outbound_messages"} <= found

    def test_a_table_left_out_of_the_record_types_is_found(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        shorter = {k: v for k, v in TABLE_RECORD_TYPES.items() if k != "exclusions"}
        monkeypatch.setattr("app.services.retention.TABLE_RECORD_TYPES", shorter)
        assert check_coverage() == ["exclusions: no record type in TABLE_RECORD_TYPES"]


# --- the rule ------------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    born=st.dates(min_value=date(1950, 1, 1), max_value=date(2030, 12, 31)),
    swept=st.dates(min_value=date(1970, 1, 1), max_value=date(2090, 12, 31)),
    grace=st.integers(min_value=0, max_value=365),
)
def test_never_destroyed_before_the_25th_birthday_nor_visible_after_it(
    born: date, swept: date, grace: int
) -> None:
    from app.rules.retention import birthday

    until = pupil_retain_until(born)
    twenty_fifth = birthday(born, 25)
    if due_for_destruction(until, swept, grace):
        assert swept >= twenty_fifth + timedelta(days=grace)
    state = SubjectState(retain_until=until)
    for purpose in Purpose:
        if purpose is Purpose.RETENTION_MANAGEMENT:
            continue
        reason = refusal(state, purpose, swept)
        if swept >= twenty_fifth:
            assert reason == "past_retention"
        else:
            assert reason != "past_retention"


# --- sweeping ------------------------------------------------------------------------------


class TestSweep:
    async def test_destroys_what_is_due_and_keeps_what_is_not(self, session: AsyncSession) -> None:
        due_pupil, due_carer = await pupil_world(session, surname="Due")
        kept_pupil, kept_carer = await pupil_world(session, surname="Kept")
        await expire(session, due_pupil.subject_id, due_carer.subject_id)
        recent = await make_pupil(session, legal_surname="Recent")
        await expire(session, recent.subject_id, days_ago=GRACE - 1)  # within the grace period

        outcome = await sweep(session, options())

        assert outcome.run.destroyed == 2 and outcome.run.due == 2
        assert outcome.run.past_retention == 3
        assert await count(session, Pupil, Pupil.id == due_pupil.id) == 0
        assert await count(session, Carer, Carer.id == due_carer.id) == 0
        assert await count(session, Case, Case.subject_id == due_pupil.subject_id) == 0
        assert await count(session, AttendanceAlert, AttendanceAlert.pupil_id == due_pupil.id) == 0
        assert await count(session, Enrolment, Enrolment.pupil_id == due_pupil.id) == 0
        for kept in (kept_pupil.id, recent.id):
            assert await count(session, Pupil, Pupil.id == kept) == 1
        assert await count(session, Carer, Carer.id == kept_carer.id) == 1
        assert await count(session, Case, Case.subject_id == kept_pupil.subject_id) == 1
        # The tombstone stays, and the destruction record says what went, without names.
        assert await count(session, DataSubject, DataSubject.id == due_pupil.subject_id) == 1
        record = await session.scalar(
            select(RetentionDestruction).where(
                RetentionDestruction.subject_id == due_pupil.subject_id
            )
        )
        assert record is not None and record.run_id == outcome.run.id
        assert record.counts["tables"]["pupils"] == 1
        assert record.counts["record_types"]["pupil_linked"] >= 4
        assert record.policy_versions["pupil_linked"] == 1
        assert "Due" not in str(record.counts)

    async def test_messages_about_the_subject_are_anonymised_not_deleted(
        self, session: AsyncSession
    ) -> None:
        from app.models.messages import Channel
        from app.services.outbox import Addressee, enqueue

        pupil, carer = await pupil_world(session)
        message = enqueue(
            session,
            message_type_code="attendance_concern",
            channel=Channel.EMAIL,
            to=Addressee(email="sam@example.com"),
            personalisation=CONCERN,
            purpose=Purpose.ATTENDANCE_DUTY,
            subject_id=carer.subject_id,
            purposes_mask=carer.purposes_mask,
            lawful_basis=carer.lawful_basis,
            created_by="manager-1",
            now=datetime.now(UTC),
            pupil_id=pupil.id,
            carer_id=carer.id,
        )
        await session.commit()
        await expire(session, pupil.subject_id)  # the pupil only: the carer is kept

        await sweep(session, options())

        kept = await session.get(OutboundMessage, message.id, populate_existing=True)
        assert kept is not None
        assert kept.personalisation is None and kept.recipient is None
        assert kept.pupil_id is None and kept.personal_data_cleared_at is not None
        assert await count(session, Carer, Carer.id == carer.id) == 1
        assert await count(session, CarerRelationship, CarerRelationship.carer_id == carer.id) == 0

    async def test_a_live_legal_hold_wins_until_lifted(self, session: AsyncSession) -> None:
        pupil, carer = await pupil_world(session)
        await expire(session, pupil.subject_id, carer.subject_id)
        case = await session.scalar(select(Case).where(Case.subject_id == pupil.subject_id))
        assert case is not None
        hold = LegalHold(
            kind=LegalHoldKind.PROCEEDINGS,
            subject_id=pupil.subject_id,
            case_id=case.id,
            reason="County court claim KT-2026-118",
            placed_by="ig-1",
            placed_at=datetime.now(UTC),
        )
        session.add(hold)
        await session.commit()

        held = await sweep(session, options())
        assert held.run.held == 2 and held.run.destroyed == 0  # the pupil, and the carer (party)
        assert await count(session, Pupil, Pupil.id == pupil.id) == 1

        hold.lifted_at = datetime.now(UTC)
        await session.commit()
        lifted = await sweep(session, options())
        assert lifted.run.destroyed == 2
        assert await count(session, Pupil, Pupil.id == pupil.id) == 0

    async def test_a_dry_run_lists_what_would_go_and_writes_nothing(
        self, session: AsyncSession
    ) -> None:
        pupil, carer = await pupil_world(session)
        await expire(session, pupil.subject_id, carer.subject_id)
        before = await snapshot(session)

        outcome = await sweep(session, options(dry_run=True))

        assert set(outcome.would_destroy) == {pupil.subject_id, carer.subject_id}
        assert outcome.run.counts["pupil_linked"] >= 4
        assert await snapshot(session) == before

    async def test_sweeping_twice_changes_nothing_the_second_time(
        self, session: AsyncSession
    ) -> None:
        for surname in ("One", "Two"):
            pupil, carer = await pupil_world(session, surname=surname)
            await expire(session, pupil.subject_id, carer.subject_id)
        await sweep(session, options())
        after_first = await snapshot(session)

        second = await sweep(session, options())

        assert second.run.destroyed == 0 and second.run.due == 0
        assert await snapshot(session) == after_first

    async def test_an_interrupted_sweep_resumes_to_the_same_end(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        for surname in ("One", "Two", "Three"):
            pupil, carer = await pupil_world(session, surname=surname)
            await expire(session, pupil.subject_id, carer.subject_id)
        untouched = await snapshot(session)

        # An uninterrupted sweep, in a savepoint rolled back afterwards.
        rehearsal = await connection.begin_nested()
        async with sessions() as other:
            await sweep(other, options(per_transaction=1))
            uninterrupted = await snapshot(other)
        await rehearsal.rollback()
        assert await snapshot(session) == untouched

        def crash_after_three(done: int) -> None:
            if done == 3:
                raise SweepInterrupted

        with pytest.raises(SweepInterrupted):
            await sweep(session, options(after_commit=crash_after_three, per_transaction=1))
        await session.rollback()
        # Three people wholly destroyed, the other three wholly kept: nothing half done.
        records = (await session.scalars(select(RetentionDestruction))).all()
        assert len(records) == 3
        halfway = await snapshot(session)
        for name in ("pupils", "carers", "cases"):
            assert len(halfway[name]) == len(untouched[name]) - sum(
                r.counts["tables"].get(name, 0) for r in records
            )

        resumed = await sweep(session, options(per_transaction=1))

        assert resumed.run.destroyed == 3 and resumed.run.due == 3
        assert await snapshot(session) == uninterrupted
        assert uninterrupted["pupils"] == [] and len(uninterrupted["destructions"]) == 6

    async def test_the_audit_chain_verifies_after_a_sweep(self, session: AsyncSession) -> None:
        pupil, carer = await pupil_world(session)
        from app.audit.trail import PendingAuditEvent, record, seal

        record(
            session,
            PendingAuditEvent(
                kind="decision",
                action="read",
                outcome="allow",
                resource_type="pupil",
                resource_id=str(pupil.id),
                subject_id=pupil.subject_id,
            ),
        )
        await seal(session)
        await session.commit()
        assert await count(
            session, AuditEventSubject, AuditEventSubject.subject_id == pupil.subject_id
        )
        await expire(session, pupil.subject_id, carer.subject_id)

        await sweep(session, options())

        assert (
            await count(
                session, AuditEventSubject, AuditEventSubject.subject_id == pupil.subject_id
            )
            == 0
        )
        verification = await verify_chain(session)
        assert verification.ok, verification.problem


class TestCryptoShredding:
    async def test_a_destroyed_document_cannot_be_read_back(
        self, session: AsyncSession, client: httpx.AsyncClient, auth: AuthHeaders, app: Any
    ) -> None:
        school = await make_school(session)
        pupil = await make_pupil(session, school=school)
        await session.commit()
        manager = manager_headers(auth, area_team="south")
        uploaded = await upload(client, pupil, manager, png())
        assert uploaded.status_code == 201, uploaded.text
        document_id = uploaded.json()["id"]
        stored = await session.scalar(
            select(PupilDocument.ciphertext).where(PupilDocument.id == uuid.UUID(document_id))
        )
        assert stored is not None
        await expire(session, pupil.subject_id)

        await sweep(session, options())

        key = await session.get(SubjectKey, pupil.subject_id, populate_existing=True)
        assert key is not None and key.wrapped_key is None and key.destroyed_at is not None
        ring = KeyEncryptionKeys.from_settings(app.state.settings)
        with pytest.raises(SubjectKeyDestroyed):
            await data_key_for(session, ring, pupil.subject_id)
        assert await count(session, PupilDocument, PupilDocument.pupil_id == pupil.id) == 0
        for path in (
            f"/v1/pupils/{pupil.id}/documents/{document_id}",
            f"/v1/pupils/{pupil.id}/documents/{document_id}/content",
        ):
            response = await client.get(path, headers=manager)
            assert response.status_code in (404, 410), (path, response.status_code)


# --- entry points --------------------------------------------------------------------------


async def overdue_subjects(url: str, count: int) -> list[uuid.UUID]:
    """``count`` data subjects past retention long ago (and one well within it)."""
    database = Database.from_settings(make_settings(url))
    try:
        async with database.sessions() as session, session.begin():
            due = [
                DataSubject(kind=SubjectKind.OTHER, retain_until=TODAY - timedelta(days=400))
                for _ in range(count)
            ]
            kept = DataSubject(kind=SubjectKind.OTHER, retain_until=TODAY + timedelta(days=400))
            session.add_all([*due, kept])
        return sorted(s.id for s in due)
    finally:
        await database.dispose()


class TestEntryPoints:
    async def test_the_command_line_dry_runs_then_sweeps(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}"
        env = service_env(url)
        kpas("migrate", env=env)
        due = await overdue_subjects(url, 3)

        dry = kpas("retention", "sweep", "--dry-run", env=env).stdout.splitlines()
        assert dry[0].startswith("dry run as of") and "3 would be destroyed" in dry[0]
        assert sorted(uuid.UUID(line) for line in dry[1:]) == due

        swept = kpas("retention", "sweep", env=env).stdout
        assert "3 destroyed" in swept
        again = kpas("retention", "sweep", env=env).stdout
        assert "0 due" in again and "0 destroyed" in again
        assert "audit chain intact" in kpas("audit", "verify", env=env).stdout

    async def test_the_worker_sweeps_on_its_schedule(self, tmp_path: Path) -> None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}"
        settings = make_settings(url)
        database = Database.from_settings(settings)
        try:
            await database.upgrade()
            await overdue_subjects(url, 2)
            sweeper = RetentionSweeper(database, grace_days=0, every_seconds=3600, actor="w-1")
            outcome = await sweeper.run_once()
            assert outcome.run.destroyed == 2
            idle = await sweeper.run_once()  # nobody due: nothing written
            assert idle.run.due == 0
            async with database.sessions() as session:
                runs = await session.scalar(select(func.count()).select_from(RetentionRun))
            assert runs == 1
            sweeper.stop()
            await sweeper.run()  # stopped: returns at once
        finally:
            await database.dispose()
