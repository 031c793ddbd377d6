"""Two API processes and two workers on one PostgreSQL database, with the fake Notify on
loopback, as a deployment runs them: work goes in through both APIs at once (messages to
carers, attendance imports, retention runs) while both workers drain the outbox, recompute
attendance and sweep retention on their own schedule. Every message reaches Notify exactly
once, every queued school week is recomputed once with the right figures, every record due
for destruction is destroyed once and counted once, and the audit chain verifies."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.audit.verification import verify_chain
from app.auth.identity import development_token
from app.auth.principal import Role
from app.db import Database
from app.models import DataSubject
from app.models.attendance import AttendancePupilWeek, AttendanceSchoolWeek, AttendanceStaleWeek
from app.models.messages import MessageStatus, OutboundMessage
from app.models.retention import RetentionDestruction, RetentionRun
from app.rules.kent import District
from app.settings import PROJECT_ROOT
from tests.conftest import make_settings
from tests.databases import fresh_database
from tests.factories import make_carer, make_pupil, make_school
from tests.live import live_server, service_env
from tests.messages_support import CONCERN, start_outbox_fake
from tests.notify_support import NOTIFY_KEY, ledger

pytestmark = pytest.mark.resilience

#: Ten school weeks in the past, under the 2024 code set: each import sends one school's week.
WEEKS = [date(2025, 9, 15) + timedelta(weeks=n) for n in range(5)]
PUPILS_PER_SCHOOL = 4
MESSAGES_PER_PUPIL = 3
DUE_PUPILS = 6


def code_for(pupil: int, day: int, session: str) -> str:
    """A mix of present, authorised (illness) and unauthorised (``O``) sessions."""
    if (pupil + day) % 4 == 0 and session == "AM":
        return "O"
    if (pupil + day) % 5 == 0:
        return "I"
    return "/"


@dataclass
class Scene:
    schools: list[int] = field(default_factory=list)
    #: Pupils on each school's roll: (pupil id, UPN, carer id).
    families: dict[int, list[tuple[uuid.UUID, str, uuid.UUID]]] = field(default_factory=dict)
    #: Subjects that will be past retention.
    due: list[uuid.UUID] = field(default_factory=list)


async def build_scene(database: Database) -> Scene:
    scene = Scene()
    async with database.sessions() as session:
        for name in ("Harbour Primary School", "Cliff Primary School"):
            school = await make_school(session, name=name, district=District.THANET)
            scene.schools.append(school.urn)
            scene.families[school.urn] = []
            for _ in range(PUPILS_PER_SCHOOL):
                pupil = await make_pupil(session, school=school)
                carer = await make_carer(session, pupil=pupil, phone="+447700900123")
                scene.families[school.urn].append((pupil.id, str(pupil.upn), carer.id))
        for _ in range(DUE_PUPILS):
            pupil = await make_pupil(session)
            scene.due.append(pupil.subject_id)
        await session.commit()
    return scene


async def expire(database: Database, subject_ids: list[uuid.UUID]) -> None:
    async with database.sessions() as session:
        await session.execute(
            update(DataSubject)
            .where(DataSubject.id.in_(subject_ids))
            .values(retain_until=datetime.now(UTC).date() - timedelta(days=400))
        )
        await session.commit()


def import_body(urn: int, week: date, pupils: list[tuple[uuid.UUID, str, uuid.UUID]]) -> Any:
    marks = [
        {
            "school_urn": urn,
            "upn": upn,
            "date": (week + timedelta(days=day)).isoformat(),
            "session": session,
            "code": code_for(index, day, session),
        }
        for index, (_, upn, _) in enumerate(pupils)
        for day in range(5)
        for session in ("AM", "PM")
    ]
    return {"marks": marks}


def expected_week(index: int) -> dict[str, int]:
    codes = [code_for(index, day, s) for day in range(5) for s in ("AM", "PM")]
    return {
        "possible": len(codes),
        "present": codes.count("/"),
        "authorised": codes.count("I"),
        "unauthorised": codes.count("O"),
        "approved_activity": 0,
    }


def worker_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--idle", "0.1", "--concurrency", "4"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def log_events(path: Path, name: str) -> list[dict[str, Any]]:
    events = []
    for line in path.read_text().splitlines():
        if line.startswith("{") and f'"{name}"' in line:
            entry = json.loads(line)
            if entry.get("event") == name:
                events.append(entry)
    return events


async def until(condition: Callable[[], Awaitable[bool]], within: float, why: str) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, why
        await asyncio.sleep(0.2)


async def test_two_apis_and_two_workers_do_each_piece_of_work_once(tmp_path: Path) -> None:
    async with fresh_database("postgresql", tmp_path) as url:
        database = Database.from_settings(make_settings(url))
        fake = start_outbox_fake()
        try:
            await database.upgrade()
            scene = await build_scene(database)
            env = service_env(
                url,
                KPAS_NOTIFY_BASE_URL=fake.url,
                KPAS_NOTIFY_API_KEY=NOTIFY_KEY.formatted(),
                KPAS_LOG_FORMAT="json",
                # Each worker sweeps every second: they race each other and the API's runs.
                KPAS_RETENTION_SWEEP_SECONDS="1",
            )
            settings = make_settings(url)
            manager = {
                "Authorization": "Bearer "
                + development_token(
                    settings,
                    subject="manager-1",
                    roles=[Role.ATTENDANCE_MANAGER],
                    area_teams=["east"],
                ),
                "KPAS-Purpose": "attendance_duty",
            }
            governance = {
                "Authorization": "Bearer "
                + development_token(settings, subject="ig-1", roles=[Role.INFORMATION_GOVERNANCE])
            }

            def mis(urn: int) -> dict[str, str]:
                token = development_token(
                    settings, subject=f"mis-{urn}", roles=[Role.MIS_INTEGRATION], school_urns=[urn]
                )
                return {"Authorization": f"Bearer {token}"}

            logs = [tmp_path / "worker-a.log", tmp_path / "worker-b.log"]
            with ExitStack() as stack:
                bases = [
                    stack.enter_context(
                        live_server(env, tmp_path / f"api-{n}.log", start_within=120)
                    )
                    for n in ("a", "b")
                ]
                workers = [worker_process(env, log) for log in logs]
                try:
                    await expire(database, scene.due)
                    clients = [httpx.AsyncClient(base_url=b, timeout=60) for b in bases]
                    requests = []
                    n = 0
                    for urn, families in scene.families.items():
                        for pupil_id, _, carer_id in families:
                            for _ in range(MESSAGES_PER_PUPIL):
                                body = {
                                    "message_type": "attendance_concern",
                                    "channel": "sms",
                                    "pupil_id": str(pupil_id),
                                    "carer_id": str(carer_id),
                                    "personalisation": CONCERN,
                                }
                                requests.append(
                                    clients[n % 2].post("/v1/messages", json=body, headers=manager)
                                )
                                n += 1
                        for week in WEEKS:
                            requests.append(
                                clients[n % 2].post(
                                    "/v1/attendance/imports",
                                    json=import_body(urn, week, families),
                                    headers=mis(urn),
                                )
                            )
                            n += 1
                    for client in clients:
                        requests.append(
                            client.post(
                                "/v1/retention/runs", json={"dry_run": False}, headers=governance
                            )
                        )
                    responses = await asyncio.gather(*requests)
                    for client in clients:
                        await client.aclose()
                    statuses = Counter(r.status_code for r in responses)
                    assert statuses == {201: len(requests)}, [
                        r.text for r in responses if r.status_code != 201
                    ]

                    async def all_done() -> bool:
                        async with database.sessions() as session:
                            unsent = await session.scalar(
                                select(func.count()).where(
                                    OutboundMessage.status.in_(
                                        [MessageStatus.QUEUED, MessageStatus.SENDING]
                                    )
                                )
                            )
                            stale = await session.scalar(
                                select(func.count()).select_from(AttendanceStaleWeek)
                            )
                            destroyed = await session.scalar(
                                select(func.count()).where(
                                    RetentionDestruction.subject_id.in_(scene.due)
                                )
                            )
                        return not unsent and not stale and destroyed == len(scene.due)

                    await until(all_done, 90, "the workers did not finish the work")
                finally:
                    for worker in workers:
                        worker.send_signal(signal.SIGTERM)
                    codes = [worker.wait(30) for worker in workers]
                assert codes == [0, 0], [log.read_text()[-3000:] for log in logs]

            for name in ("api-a.log", "api-b.log", *(log.name for log in logs)):
                text = (tmp_path / name).read_text()
                assert '"status": 500' not in text, text[-3000:]
                assert "unhandled_error" not in text, text[-3000:]
                for failure in ("retention_sweep_failed", "attendance_recompute_failed"):
                    assert failure not in text, text[-3000:]

            # Messages: each reached Notify exactly once, none lost, none twice.
            messages = await _all(database, OutboundMessage)
            total = len(scene.schools) * PUPILS_PER_SCHOOL * MESSAGES_PER_PUPIL
            assert len(messages) == total
            assert {m.status for m in messages} <= {MessageStatus.ACCEPTED, MessageStatus.DELIVERED}
            book = ledger(fake)
            assert book["duplicate_references"] == []
            assert book["accepted_by_reference"] == {m.reference: 1 for m in messages}
            by_reference = {n["reference"]: n["id"] for n in book["notifications"]}
            assert {m.reference: str(m.notify_id) for m in messages} == by_reference

            # Attendance: every queued school week recomputed once, with the right figures.
            recomputed = sum(
                entry["weeks"]
                for log in logs
                for entry in log_events(log, "attendance_recompute_pass")
            )
            assert recomputed == len(scene.schools) * len(WEEKS)
            school_weeks = await _all(database, AttendanceSchoolWeek)
            assert {(w.school_urn, w.week_start) for w in school_weeks} == {
                (urn, week) for urn in scene.schools for week in WEEKS
            }
            assert all(w.possible_sessions > 0 for w in school_weeks)
            figures = {
                (w.pupil_id, w.week_start): {
                    "possible": w.possible,
                    "present": w.present,
                    "authorised": w.authorised,
                    "unauthorised": w.unauthorised,
                    "approved_activity": w.approved_activity,
                }
                for w in await _all(database, AttendancePupilWeek)
            }
            assert figures == {
                (pupil_id, week): expected_week(index)
                for families in scene.families.values()
                for index, (pupil_id, _, _) in enumerate(families)
                for week in WEEKS
            }

            # Retention: each due subject destroyed once, and counted once across the runs.
            destructions = [
                d for d in await _all(database, RetentionDestruction) if d.subject_id is not None
            ]
            assert sorted(d.subject_id for d in destructions) == sorted(scene.due)
            runs = [r for r in await _all(database, RetentionRun) if not r.dry_run]
            assert sum(r.destroyed for r in runs) == len(scene.due)
            assert {d.run_id for d in destructions} <= {r.id for r in runs}

            async with database.sessions() as session:
                verification = await verify_chain(session)
            assert verification.ok, verification
        finally:
            fake.stop()
            await database.dispose()


async def _all(database: Database, model: Any) -> list[Any]:
    async with database.sessions() as session:
        return list((await session.scalars(select(model))).all())
