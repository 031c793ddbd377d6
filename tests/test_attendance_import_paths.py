"""The ways an import writes its marks give the same result.

An import of new marks only (the daily case) is written straight into the marks: on
PostgreSQL as it streams in, by binary COPY; on SQLite from the staged rows. Any other goes
through the matching path that finds the marks it replaces. They are run here on the same
generated imports (seeded, so a failure can be replayed): rolls with a pupil who left and came
back, two records sharing a UPN, a pupil not yet on roll, rows that repeat each other, and a
second import correcting the first. The stored marks, their history, the queued weeks and the
reports must be the same whichever path wrote them; and an import that fails after some of
its marks were written leaves nothing of them.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AttendanceImport,
    AttendanceMark,
    AttendanceMarkHistory,
    AttendanceStaleWeek,
)
from app.models.people import Enrolment, EnrolmentSource, Pupil
from app.models.schools import School
from app.repositories.attendance_marks import AttendanceMarksRepository
from app.services import attendance_imports
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school, make_upn

IMPORTS = "/v1/attendance/imports"
FIRST_DAY = date(2025, 11, 17)
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(14)]
CODES = ["/", "\\", "N", "I", "M", "O", "G", "U", "L", "B", "#", "D"]
SEEDS = range(6)
REPORTED = (
    "status",
    "rows_received",
    "rows_applied",
    "rows_refused",
    "marks_created",
    "marks_replaced",
    "marks_unchanged",
    "problem_count",
    "problems",
)


async def _scene(session: AsyncSession) -> tuple[School, list[Pupil]]:
    school = await make_school(session)
    pupils = [await make_pupil(session, school=school) for _ in range(4)]
    # Left on the fourth day and came back on the ninth: two roll rows for one UPN.
    returning = await make_pupil(session, school=school, off_roll_on=DAYS[3])
    session.add(
        Enrolment(
            pupil_id=returning.id,
            school_urn=school.urn,
            on_roll_from=DAYS[8],
            source=EnrolmentSource.MANUAL,
        )
    )
    # Two records sharing one UPN: the older wins.
    shared = make_upn(establishment=2001)
    first = await make_pupil(session, school=school, upn=shared)
    second = await make_pupil(session, school=school, upn=shared, legal_forename="Sam")
    # On roll only from the sixth day.
    late = await make_pupil(session, school=school, on_roll_from=DAYS[5])
    await session.flush()
    return school, [*pupils, returning, first, second, late]


def _rows(
    rng: random.Random, school: School, pupils: list[Pupil], *, clean: bool
) -> list[dict[str, Any]]:
    """Marks for a random set of the pupils' sessions. ``clean``: every row on roll and no
    two rows for one mark (the kind the direct path takes); otherwise rows off roll, rows
    for both records sharing a UPN, and a repeated row too."""
    rows: list[dict[str, Any]] = []
    for pupil in pupils:
        assert pupil.upn is not None
        for day in DAYS:
            for name in ("AM", "PM"):
                if rng.random() < 0.5:
                    continue
                off_roll = pupil is pupils[4] and DAYS[3] <= day < DAYS[8]
                not_yet = pupil is pupils[7] and day < DAYS[5]
                if clean and (off_roll or not_yet or pupil is pupils[6]):
                    continue
                rows.append(
                    {
                        "school_urn": school.urn,
                        "upn": pupil.upn,
                        "date": day.isoformat(),
                        "session": name,
                        "code": rng.choice(CODES),
                    }
                )
    rng.shuffle(rows)
    if not clean and rows:
        rows.append({**rng.choice(rows), "code": rng.choice(CODES)})  # a repeated row
    return rows


async def _stored(session: AsyncSession, import_ids: list[str]) -> dict[str, Any]:
    marks = await session.execute(select(AttendanceMark).execution_options(populate_existing=True))
    history = await session.execute(
        select(AttendanceMarkHistory).execution_options(populate_existing=True)
    )
    weeks = await session.execute(
        select(AttendanceStaleWeek.school_urn, AttendanceStaleWeek.week_start)
    )
    by_id = {value: n for n, value in enumerate(import_ids)}
    return {
        "marks": sorted(
            (m.pupil_id, m.mark_date, m.session, m.school_urn, m.code, by_id[str(m.import_id)])
            for (m,) in marks
        ),
        "history": sorted(
            (
                h.pupil_id,
                h.mark_date,
                h.session,
                h.code,
                by_id[str(h.import_id)],
                by_id[str(h.replaced_by_import_id)],
            )
            for (h,) in history
        ),
        "weeks": sorted(weeks.all()),
    }


async def _clear(session: AsyncSession) -> None:
    for model in (AttendanceMarkHistory, AttendanceMark, AttendanceStaleWeek):
        await session.execute(delete(model))
    await session.flush()


@pytest.mark.parametrize("seed", SEEDS)
async def test_new_marks_written_directly_match_the_matching_path(
    seed: int,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    school, pupils = await _scene(session)
    headers = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    rng = random.Random(seed)
    clean = seed % 2 == 0
    first = _rows(rng, school, pupils, clean=clean)
    second = _rows(rng, school, pupils, clean=True)
    mode = "partial" if seed % 4 == 1 else None
    direct_taken = _spy_on_direct_writes(monkeypatch)

    async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
        reports, ids = [], []
        for rows in (first, second):
            response = await client.post(
                IMPORTS,
                json={"marks": rows},
                params={"mode": mode} if mode else {},
                headers=headers,
            )
            assert response.status_code in (201, 422), response.text
            body = response.json()
            ids.append(body.get("id", body.get("import_id")))
            reports.append({key: body.get(key) for key in REPORTED})
        return reports, await _stored(session, ids)

    direct = await run()
    # A clean first import holds only new marks: it is written directly.
    assert direct_taken[:1] == ([True] if clean else direct_taken[:1])
    await _clear(session)

    async def always_stored(self: AttendanceMarksRepository, *args: Any) -> bool:
        return True

    monkeypatch.setattr(AttendanceMarksRepository, "any_marks", always_stored)

    async def all_held(self: AttendanceMarksRepository, keys: Any) -> set[Any]:
        return set(keys)

    monkeypatch.setattr(AttendanceMarksRepository, "marks_held_at", all_held)
    direct_taken.clear()
    matched = await run()
    assert True not in direct_taken
    assert direct == matched


def _spy_on_direct_writes(
    monkeypatch: pytest.MonkeyPatch, streamed: list[int] | None = None
) -> list[bool]:
    """Whether each try at writing an import directly wrote it: on PostgreSQL as it streams
    in (``_DirectWrite``), else from the staged rows (``insert_all_new``). ``streamed``
    gets the number of marks each try on PostgreSQL had written when it ended."""
    taken: list[bool] = []
    insert_all_new = AttendanceMarksRepository.insert_all_new
    run = attendance_imports._DirectWrite.run

    async def spy_staged(self: AttendanceMarksRepository, *args: Any, **kwargs: Any) -> bool:
        written = await insert_all_new(self, *args, **kwargs)
        taken.append(written)
        return written

    async def spy_streamed(self: Any) -> Any:
        try:
            received = await run(self)
        finally:
            if streamed is not None:
                streamed.append(self.written)
        taken.append(received is not None)
        return received

    monkeypatch.setattr(AttendanceMarksRepository, "insert_all_new", spy_staged)
    monkeypatch.setattr(attendance_imports._DirectWrite, "run", spy_streamed)
    return taken


def _csv_rows(school: School, pupils: list[Pupil], days: list[date]) -> list[str]:
    return [
        f"{school.urn},{pupil.upn},{day.isoformat()},{name},/\r\n"
        for day in days
        for pupil in pupils
        for name in ("AM", "PM")
    ]


def _pieces(lines: list[str], *, size: int = 3) -> Any:
    """The CSV body, streamed a few rows at a time."""

    async def body() -> AsyncIterator[bytes]:
        yield b"school_urn,upn,date,session,code\r\n"
        for start in range(0, len(lines), size):
            yield "".join(lines[start : start + size]).encode()

    return body()


async def _count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_an_import_of_new_marks_is_written_directly(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two schools, a week of days, streamed a few rows at a time: written on the direct
    path, every mark created and each school week queued once."""
    school, pupils = await _scene(session)
    other, others = await _scene(session)
    on_roll = pupils[:4]
    lines = [
        *_csv_rows(school, on_roll, DAYS[:5]),
        *_csv_rows(other, others[:4], DAYS[:5]),
        *_csv_rows(school, on_roll, DAYS[7:9]),
    ]
    taken = _spy_on_direct_writes(monkeypatch)
    headers = auth(
        "mis_integration", subject="mis-1", school_urns=tuple(sorted((school.urn, other.urn)))
    )
    response = await client.post(
        IMPORTS, content=_pieces(lines), headers={**headers, "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["marks_created"], body["rows_applied"]) == (
        "applied",
        len(lines),
        len(lines),
    )
    assert taken == [True]
    stored = await _stored(session, [body["id"]])
    assert len(stored["marks"]) == len(lines)
    assert {mark[0] for mark in stored["marks"]} == {p.id for p in [*on_roll, *others[:4]]}
    weeks = {(school.urn, date(2025, 11, 17)), (other.urn, date(2025, 11, 17))}
    weeks.add((school.urn, date(2025, 11, 24)))
    assert set(stored["weeks"]) == weeks


FAILURES = {
    # The last row, after every other was written: what the import answers.
    "not_on_roll": (422, "not_on_roll"),
    "repeated_row": (422, "repeated_row"),
    "unknown_code": (422, "unknown_code"),
    "not_own_school": (422, "not_own_school"),
    "unreadable": (400, None),
    "too_large": (413, None),
}


@pytest.mark.parametrize("failure", list(FAILURES))
async def test_an_import_failing_after_marks_were_written_leaves_none_of_them(
    failure: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every row but the last is a new mark of a pupil on roll, so (on PostgreSQL) they are
    written as they arrive; the last one fails. The answer is the one the staged path gives,
    and not one mark, history row or queued week is kept."""
    school, pupils = await _scene(session)
    elsewhere = await make_school(session)
    lines = _csv_rows(school, pupils[:4], DAYS[:6])
    last = {
        "not_on_roll": f"{school.urn},{pupils[7].upn},{DAYS[0]},AM,/\r\n",
        "repeated_row": lines[0].replace(",/", ",N"),
        "unknown_code": f"{school.urn},{pupils[0].upn},{DAYS[8]},AM,9\r\n",
        "not_own_school": f"{elsewhere.urn},{pupils[0].upn},{DAYS[8]},AM,/\r\n",
        "unreadable": f'{school.urn},"{pupils[0].upn},{DAYS[8]},AM,/\r\n',
        "too_large": f"{school.urn},{pupils[0].upn},{DAYS[8]},AM,/\r\n",
    }[failure]
    if failure == "too_large":
        limit = sum(len(line) for line in lines) + 40
        app.state.settings = app.state.settings.model_copy(
            update={"attendance_import_max_body_bytes": limit}
        )
    # Small batches and little read ahead: the rows are written in several COPYs, each
    # stopped by a look-up, before the last row is read.
    monkeypatch.setattr(attendance_imports, "DIRECT_BATCH", 4)
    monkeypatch.setattr(attendance_imports, "LOOK_AHEAD", 5)
    streamed: list[int] = []
    taken = _spy_on_direct_writes(monkeypatch, streamed)
    headers = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    response = await client.post(
        IMPORTS,
        content=_pieces([*lines, last]),
        headers={**headers, "Content-Type": "text/csv"},
    )
    status, code = FAILURES[failure]
    assert response.status_code == status, response.text
    if code is not None:
        assert [p["code"] for p in response.json()["errors"]] == [code]
        assert response.json()["errors"][0]["row"] == len(lines) + 1
    if session.get_bind().dialect.name == "postgresql":
        # The rows before the last were written before it was read (a repeat, the last
        # one too: the mark's key refuses it), and then undone.
        assert streamed[:1] == [len(lines) + (failure == "repeated_row")]
        assert taken[:1] == [False] if code is not None else taken == []
    assert True not in taken
    for model in (AttendanceMark, AttendanceMarkHistory, AttendanceStaleWeek):
        assert await _count(session, model) == 0
    assert await _count(session, AttendanceImport) == (1 if code is not None else 0)


async def test_a_row_off_roll_sends_a_new_import_down_the_matching_path(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    """The direct write is undone whole when a row matches no pupil: the 422 names the row
    and no mark is kept."""
    school, pupils = await _scene(session)
    headers = auth("mis_integration", subject="mis-1", school_urns=(school.urn,))
    late = pupils[7]
    rows = [
        {
            "school_urn": school.urn,
            "upn": p.upn,
            "date": DAYS[1].isoformat(),
            "session": "AM",
            "code": "/",
        }
        for p in (pupils[0], late)
    ]
    response = await client.post(IMPORTS, json={"marks": rows}, headers=headers)
    assert response.status_code == 422, response.text
    assert [(p["row"], p["code"]) for p in response.json()["errors"]] == [(2, "not_on_roll")]
    assert (await _stored(session, []))["marks"] == []
