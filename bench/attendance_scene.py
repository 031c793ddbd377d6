"""Synthetic schools, pupils and attendance marks for the attendance benchmarks.

Everything is clearly fake (UPNs under LA 999, which no authority has) and deterministic.
Pupils are written with bulk Core INSERTs; marks either as the body of an import (CSV) or,
for the reads benchmark, straight into the table with binary COPY.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, insert

from app.db import Database
from app.models.people import Enrolment, Pupil
from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.subjects import DataSubject
from app.rules.kent import District, area_team_for
from app.rules.names import name_key
from app.rules.retention import pupil_retain_until
from app.rules.upn import check_letter
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from tests.attendance_support import make_import

FIRST_URN = 870000


@dataclass(frozen=True, slots=True)
class ScenePupil:
    id: uuid.UUID
    upn: str
    school_urn: int


def upn_for(serial: int) -> str:
    body = f"999{serial // 1000:04d}25{serial % 1000:03d}"
    return check_letter(body) + body


def school_days(first: date, count: int) -> list[date]:
    """``count`` weekdays from ``first``."""
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def code_for(serial: int, day_index: int, session: int) -> str:
    """Mostly present; a steady sprinkle of illness, appointments and unauthorised absence;
    one pupil in 25 often absent without reason, so alerts have work."""
    if serial % 25 == 0 and (day_index * 2 + session) % 7 < 2:
        return "N" if day_index % 2 else "O"
    mix = (serial * 7 + day_index * 13 + session * 5) % 100
    if mix < 3:
        return "I"
    if mix == 3:
        return "M"
    if mix == 4:
        return "N"
    if mix == 5:
        return "L"
    return "/" if session == 0 else "\\"


async def create_schools_and_pupils(
    database: Database, *, schools: int, pupils_per_school: int, district: District
) -> list[ScenePupil]:
    """Open schools in ``district`` and pupils on their rolls since 1 September 2025."""
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    urns = [FIRST_URN + n for n in range(schools)]
    pupils: list[ScenePupil] = []
    async with database.sessions() as session, session.begin():
        await session.execute(
            insert(cast(Table, School.__table__)),
            [
                {
                    "urn": urn,
                    "name": f"Synthetic Academy {urn}",
                    "phase": SchoolPhase.SECONDARY.value,
                    "district": district.value,
                    "area_team": area_team_for(district).value,
                    "status": SchoolStatus.OPEN.value,
                    **stamps,
                }
                for urn in urns
            ],
        )
        batch: dict[str, list[dict[str, Any]]] = {"subjects": [], "pupils": [], "enrolments": []}
        serial = 0
        for urn in urns:
            for _ in range(pupils_per_school):
                serial += 1
                born = date(2011, 9, 1) + timedelta(days=serial % 1800)
                pupil = ScenePupil(uuid.uuid4(), upn_for(serial), urn)
                subject_id = uuid.uuid4()
                pupils.append(pupil)
                batch["subjects"].append(
                    {
                        "id": subject_id,
                        "kind": "pupil",
                        "retain_until": pupil_retain_until(born),
                        **stamps,
                    }
                )
                batch["pupils"].append(
                    {
                        "id": pupil.id,
                        "subject_id": subject_id,
                        "upn": pupil.upn,
                        "legal_forename": "Synthetic",
                        "legal_surname": f"Pupil{serial}",
                        "date_of_birth": born,
                        "gender": "not_known",
                        "surname_key": name_key(f"Pupil{serial}"),
                        "forename_key": "synthetic",
                        "purposes_mask": PEOPLE_PURPOSES_MASK,
                        "lawful_basis": PEOPLE_BASIS,
                        **stamps,
                    }
                )
                batch["enrolments"].append(
                    {
                        "id": uuid.uuid4(),
                        "pupil_id": pupil.id,
                        "school_urn": urn,
                        "on_roll_from": date(2025, 9, 1),
                        "source": "roll",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                if len(batch["pupils"]) >= 5000:
                    await _flush(session, batch)
        await _flush(session, batch)
    return pupils


async def _flush(session: Any, batch: dict[str, list[dict[str, Any]]]) -> None:
    for table, key in ((DataSubject, "subjects"), (Pupil, "pupils"), (Enrolment, "enrolments")):
        if batch[key]:
            await session.execute(insert(cast(Table, table.__table__)), batch[key])
            batch[key].clear()


def csv_body(pupils: Sequence[ScenePupil], days: Sequence[date], marks: int) -> list[bytes]:
    """An import body of exactly ``marks`` rows, in 1 MiB chunks: every pupil's two sessions
    for each day in turn (the order a daily push arrives in)."""
    chunks: list[bytes] = []
    lines = ["school_urn,upn,date,session,code\n"]
    size = len(lines[0])
    written = 0
    for day_index, day in enumerate(days):
        iso = day.isoformat()
        for serial, pupil in enumerate(pupils):
            for session, name in ((0, "AM"), (1, "PM")):
                if written == marks:
                    break
                line = (
                    f"{pupil.school_urn},{pupil.upn},{iso},{name},"
                    f"{code_for(serial, day_index, session)}\n"
                )
                lines.append(line)
                size += len(line)
                written += 1
                if size >= 1 << 20:
                    chunks.append("".join(lines).encode())
                    lines, size = [], 0
    if written < marks:
        raise ValueError(f"{len(pupils)} pupils and {len(days)} days give only {written} marks")
    if lines:
        chunks.append("".join(lines).encode())
    return chunks


def mark_records(
    pupils: Sequence[ScenePupil], days: Sequence[date], marks: int, import_id: uuid.UUID
) -> Iterator[tuple[Any, ...]]:
    """The same marks as ``csv_body``, as attendance_marks rows for COPY."""
    now = datetime.now(UTC)
    written = 0
    for day_index, day in enumerate(days):
        for serial, pupil in enumerate(pupils):
            for session, name in ((0, "AM"), (1, "PM")):
                if written == marks:
                    return
                yield (
                    pupil.id,
                    day,
                    name,
                    pupil.school_urn,
                    code_for(serial, day_index, session),
                    import_id,
                    now,
                )
                written += 1


async def raw_connection(conn: Any) -> Any:
    """The asyncpg connection under a SQLAlchemy async connection."""
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def insert_import_row(database: Database) -> uuid.UUID:
    """An import record for marks copied in directly (marks name the import that wrote them)."""
    async with database.sessions() as session, session.begin():
        return await make_import(session, submitted_by="bench")
