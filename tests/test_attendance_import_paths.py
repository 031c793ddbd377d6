"""The two ways an import writes its marks give the same result.

An import of new marks only (the daily case) is written straight from the staged rows into
the marks; any other goes through the matching path that finds the marks it replaces. Both
are run here on the same generated imports (seeded, so a failure can be replayed): rolls with
a pupil who left and came back, two records sharing a UPN, a pupil not yet on roll, rows that
repeat each other, and a second import correcting the first. The stored marks, their history,
the queued weeks and the reports must be the same whichever path wrote them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import (
    AttendanceMark,
    AttendanceMarkHistory,
    AttendanceStaleWeek,
)
from app.models.people import Enrolment, EnrolmentSource, Pupil
from app.models.schools import School
from app.repositories.attendance_marks import AttendanceMarksRepository
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
    direct_taken: list[bool] = []
    insert_all_new = AttendanceMarksRepository.insert_all_new

    async def spy(self: AttendanceMarksRepository, *args: Any, **kwargs: Any) -> bool:
        taken = await insert_all_new(self, *args, **kwargs)
        direct_taken.append(taken)
        return taken

    monkeypatch.setattr(AttendanceMarksRepository, "insert_all_new", spy)

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
    direct_taken.clear()
    matched = await run()
    assert direct_taken == []
    assert direct == matched


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
