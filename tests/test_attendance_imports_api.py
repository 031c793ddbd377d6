"""``POST /v1/attendance/imports`` and ``GET /v1/attendance/imports/{id}``: a school's
information system sends marks (JSON or CSV, streamed), atomic by default or partial; each row
is checked and matched to a pupil on that school's roll on that day; corrections keep history;
the report is kept, and read back by its schools' systems and people, never another school's."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.attendance import (
    AttendanceImport,
    AttendanceMark,
    AttendanceMarkHistory,
    AttendanceStaleWeek,
)
from app.models.people import Enrolment, EnrolmentSource, Pupil
from app.models.schools import School
from app.repositories.attendance_marks import AttendanceMarksRepository
from app.rules.attendance import ATTENDANCE_CODES, RETIRED_CODES, week_start
from app.rules.kent import District
from tests.attendance_support import write_marks
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school, make_upn

PROBLEM = "application/problem+json"
IMPORTS = "/v1/attendance/imports"
#: A Monday well in the past, under the 2024 code set.
DAY = date(2025, 11, 24)
CSV_HEADER = "school_urn,upn,date,session,code"


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
async def other_school(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school, on_roll_from=date(2024, 9, 1))


@pytest.fixture
def mis(auth: AuthHeaders, school: School) -> dict[str, str]:
    """The school's own information system (no KPAS-Purpose: the import defaults to it)."""
    return auth("mis_integration", subject="mis-1", school_urns=(school.urn,))


def mark(
    urn: int | Any, upn: str | Any, day: date | str = DAY, session: str = "AM", code: str = "/"
) -> dict[str, Any]:
    return {
        "school_urn": urn,
        "upn": upn,
        "date": day.isoformat() if isinstance(day, date) else day,
        "session": session,
        "code": code,
    }


async def send(
    client: httpx.AsyncClient,
    marks: Iterable[dict[str, Any]],
    headers: dict[str, str],
    *,
    mode: str | None = None,
    key: str | None = None,
) -> httpx.Response:
    extra = {"Idempotency-Key": key} if key else {}
    params = {"mode": mode} if mode else {}
    return await client.post(
        IMPORTS, json={"marks": list(marks)}, params=params, headers={**headers, **extra}
    )


async def send_csv(
    client: httpx.AsyncClient, text: str | bytes, headers: dict[str, str], **params: str
) -> httpx.Response:
    content = text.encode() if isinstance(text, str) else text
    return await client.post(
        IMPORTS,
        content=content,
        params=params,
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
    )


def problems_of(body: dict[str, Any]) -> set[tuple[int, str | None, str]]:
    """(row, field, code) of each problem in a report or a 422."""
    entries = body.get("problems", body.get("errors"))
    assert entries is not None, body
    return {(e["row"], e["field"], e["code"]) for e in entries}


def assert_rejected(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == 422 and body["import_id"]
    return body


async def marks_of(session: AsyncSession, *pupils: Pupil) -> dict[tuple[Any, ...], str]:
    rows = await session.execute(
        select(
            AttendanceMark.pupil_id,
            AttendanceMark.mark_date,
            AttendanceMark.session,
            AttendanceMark.school_urn,
            AttendanceMark.code,
        )
        .where(AttendanceMark.pupil_id.in_([p.id for p in pupils]))
        .execution_options(populate_existing=True)
    )
    return {(p, d, s, u): code for p, d, s, u, code in rows}


async def count(session: AsyncSession, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def stale_weeks(session: AsyncSession) -> dict[tuple[int, date], Any]:
    rows = await session.execute(
        select(
            AttendanceStaleWeek.school_urn,
            AttendanceStaleWeek.week_start,
            AttendanceStaleWeek.queued_at,
        ).execution_options(populate_existing=True)
    )
    return {(urn, week): queued for urn, week, queued in rows}


# --- codes, dates and sessions ------------------------------------------------------------


async def test_every_2024_code_is_accepted_and_stored(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    codes = sorted(ATTENDANCE_CODES)
    sent = [
        mark(school.urn, pupil.upn, DAY + timedelta(days=n // 2), ("AM", "PM")[n % 2], code)
        for n, code in enumerate(codes)
    ]
    response = await send(client, sent, mis)
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "applied"
    assert (report["rows_received"], report["rows_applied"]) == (len(codes), len(codes))
    assert (report["marks_created"], report["problem_count"]) == (len(codes), 0)
    assert response.headers["location"] == f"{IMPORTS}/{report['id']}"
    stored = await marks_of(session, pupil)
    assert sorted(stored.values()) == codes
    assert {m["code"] for m in sent} == set(stored.values())


async def test_codes_are_read_in_any_case_and_sessions_too(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    response = await send(
        client,
        [
            mark(school.urn, pupil.upn.lower(), DAY, " am ", "y1"),
            mark(school.urn, pupil.upn, DAY, "pm", "c2"),
        ],
        mis,
    )
    assert response.status_code == 201, response.text
    assert set((await marks_of(session, pupil)).values()) == {"Y1", "C2"}


async def test_withdrawn_and_unknown_codes_are_refused_with_their_reasons(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    retired = sorted(RETIRED_CODES)
    sent = [
        mark(school.urn, pupil.upn, DAY + timedelta(days=n), "AM", code)
        for n, code in enumerate([*retired, "ZZ", "", "*"])
    ]
    body = assert_rejected(await send(client, sent, mis))
    by_row = {e["row"]: e for e in body["errors"]}
    for row in range(1, len(retired) + 1):
        assert by_row[row]["code"] == "retired_code"
        assert "withdrawn" in by_row[row]["problem"]
    assert "J1" in by_row[retired.index("J") + 1]["problem"]
    assert "Y1 to Y7" in by_row[retired.index("Y") + 1]["problem"]
    n = len(retired)
    assert by_row[n + 1]["code"] == "unknown_code"
    assert "2024 national code set" in by_row[n + 1]["problem"]
    assert by_row[n + 2]["code"] == "required"
    assert by_row[n + 3]["code"] == "unknown_code"
    assert all(e["field"] == "code" for e in body["errors"])
    assert await count(session, AttendanceMark) == 0


async def test_future_dates_and_dates_before_the_2024_code_set_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    pupil: Pupil,
    mis: Any,
) -> None:
    assert pupil.upn is not None
    today = date.today()
    sent = [
        mark(school.urn, pupil.upn, today + timedelta(days=2)),
        mark(school.urn, pupil.upn, date(2024, 8, 16)),
        mark(school.urn, pupil.upn, "2025-02-30"),
        mark(school.urn, pupil.upn, "24/11/2025"),
        mark(school.urn, pupil.upn, "20251124"),
        mark(school.urn, pupil.upn, date(2024, 8, 19)),
    ]
    body = assert_rejected(await send(client, sent, mis))
    assert problems_of(body) == {
        (1, "date", "future_date"),
        (2, "date", "before_code_set"),
        (3, "date", "invalid_date"),
        (4, "date", "invalid_date"),
        (5, "date", "invalid_date"),
        (6, "upn", "not_on_roll"),  # a real day under the code set: not yet on roll then
    }
    reason = next(e["problem"] for e in body["errors"] if e["row"] == 2)
    assert "19 August 2024" in reason and "2024 attendance codes" in reason


async def test_sessions_other_than_am_and_pm_and_bad_upns_are_refused(
    client: httpx.AsyncClient, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    wrong_letter = ("A" if pupil.upn[0] != "A" else "B") + pupil.upn[1:]
    sent = [
        mark(school.urn, pupil.upn, session="EV"),
        mark(school.urn, wrong_letter),
        mark(school.urn, "not-a-upn"),
        {"school_urn": school.urn, "upn": pupil.upn, "date": DAY.isoformat(), "session": "AM"},
        {**mark(school.urn, pupil.upn), "comment": "late bus"},
        {**mark(school.urn, 12), "session": None},
        ["not", "an", "object"],
    ]
    body = assert_rejected(await send(client, sent, mis))
    assert problems_of(body) == {
        (1, "session", "invalid_session"),
        (2, "upn", "invalid_upn"),
        (3, "upn", "invalid_upn"),
        (4, "code", "required"),
        (5, "comment", "unknown_field"),
        (6, "upn", "invalid_type"),
        (6, "session", "required"),
        (7, None, "invalid_row"),
    }
    text = json.dumps(body)
    assert pupil.upn not in text and "late bus" not in text and "not-a-upn" not in text


# --- schools and rolls --------------------------------------------------------------------


async def test_rows_for_schools_the_client_may_not_write_for_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    other_school: School,
    pupil: Pupil,
    mis: Any,
) -> None:
    theirs = await make_pupil(session, school=other_school)
    assert pupil.upn is not None and theirs.upn is not None
    sent = [
        mark(other_school.urn, theirs.upn),
        mark(999_998, pupil.upn),
        mark("118950", pupil.upn),
        mark(1234, pupil.upn),
        mark(school.urn, pupil.upn),
    ]
    body = assert_rejected(await send(client, sent, mis))
    assert problems_of(body) == {
        (1, "school_urn", "not_own_school"),
        (2, "school_urn", "unknown_school"),
        (3, "school_urn", "invalid_urn"),  # JSON URNs are numbers
        (4, "school_urn", "invalid_urn"),
    }
    assert {e["problem"] for e in body["errors"] if e["row"] in (1, 2)} == {
        "not one of your schools",
        "no school with this URN",
    }
    assert await count(session, AttendanceMark) == 0


async def test_pupils_not_on_that_schools_roll_on_that_date_are_refused(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    other_school: School,
    mis: Any,
) -> None:
    joiner = await make_pupil(session, school=school, on_roll_from=date(2025, 11, 25))
    leaver = await make_pupil(
        session, school=school, on_roll_from=date(2024, 9, 2), off_roll_on=date(2025, 11, 25)
    )
    elsewhere = await make_pupil(session, school=other_school)
    unknown = make_upn()
    for p in (joiner, leaver, elsewhere):
        assert p.upn is not None
    sent = [
        mark(school.urn, joiner.upn, date(2025, 11, 24)),  # before joining
        mark(school.urn, joiner.upn, date(2025, 11, 25)),  # the day they join
        mark(school.urn, leaver.upn, date(2025, 11, 24)),  # their last day on roll
        mark(school.urn, leaver.upn, date(2025, 11, 25)),  # off roll from this day
        mark(school.urn, elsewhere.upn),  # another school's pupil
        mark(school.urn, unknown),  # nobody
    ]
    response = await send(client, sent, mis, mode="partial")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "partially_applied"
    assert problems_of(report) == {
        (1, "upn", "not_on_roll"),
        (4, "upn", "not_on_roll"),
        (5, "upn", "not_on_roll"),
        (6, "upn", "not_on_roll"),
    }
    assert {p["problem"] for p in report["problems"]} == {
        "no pupil with this UPN is on this school's roll on this date"
    }
    assert (report["rows_applied"], report["rows_refused"]) == (2, 4)
    stored = await marks_of(session, joiner, leaver, elsewhere)
    assert set(stored) == {
        (joiner.id, date(2025, 11, 25), "AM", school.urn),
        (leaver.id, date(2025, 11, 24), "AM", school.urn),
    }


async def test_two_live_records_with_one_upn_on_the_roll_take_the_oldest(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: Any
) -> None:
    upn = make_upn()
    second = await make_pupil(session, school=school, upn=upn)
    first = await make_pupil(session, school=school, upn=upn)
    first.created_at = second.created_at - timedelta(days=30)  # the older record
    merged = await make_pupil(session, school=school, upn=make_upn())
    assert merged.upn is not None
    merged.merged_into_id = first.id
    await session.flush()
    response = await send(
        client, [mark(school.urn, upn), mark(school.urn, merged.upn)], mis, mode="partial"
    )
    assert response.status_code == 201, response.text
    assert problems_of(response.json()) == {(2, "upn", "not_on_roll")}  # merged away
    assert set(await marks_of(session, first, second, merged)) == {
        (first.id, DAY, "AM", school.urn)
    }


async def test_a_repeated_row_in_one_import_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [
        mark(school.urn, pupil.upn, code="N"),
        mark(school.urn, pupil.upn, session="PM"),
        mark(school.urn, pupil.upn.lower(), code="/"),
        mark(school.urn, pupil.upn, code="N"),
    ]
    body = assert_rejected(await send(client, sent, mis))
    assert problems_of(body) == {(3, None, "repeated_row"), (4, None, "repeated_row")}
    assert {e["problem"] for e in body["errors"]} == {"same pupil, date and session as row 1"}
    response = await send(client, sent, mis, mode="partial")
    assert response.status_code == 201, response.text
    assert response.json()["marks_created"] == 2
    assert set((await marks_of(session, pupil)).values()) == {"N", "/"}


async def test_a_pupil_who_left_and_came_back_is_on_roll_only_in_each_stay(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: Any
) -> None:
    returner = await make_pupil(
        session, school=school, on_roll_from=date(2024, 9, 2), off_roll_on=date(2025, 1, 6)
    )
    session.add(
        Enrolment(
            pupil_id=returner.id,
            school_urn=school.urn,
            on_roll_from=date(2025, 3, 3),
            source=EnrolmentSource.ROLL,
        )
    )
    await session.flush()
    assert returner.upn is not None
    days = [date(2024, 12, 2), date(2025, 2, 3), date(2025, 3, 3)]
    response = await send(
        client, [mark(school.urn, returner.upn, day) for day in days], mis, mode="partial"
    )
    assert response.status_code == 201, response.text
    assert problems_of(response.json()) == {(2, "upn", "not_on_roll")}
    assert {key[1] for key in await marks_of(session, returner)} == {days[0], days[2]}


async def test_rows_repeating_a_mark_already_held_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    first = await send(client, [mark(school.urn, pupil.upn, code="N")], mis)
    assert first.status_code == 201, first.text
    twice = [mark(school.urn, pupil.upn, code="M"), mark(school.urn, pupil.upn, code="I")]
    body = assert_rejected(await send(client, twice, mis))
    assert problems_of(body) == {(2, None, "repeated_row")}
    assert (await marks_of(session, pupil))[(pupil.id, DAY, "AM", school.urn)] == "N"
    assert await count(session, AttendanceMarkHistory) == 0
    partial = await send(client, twice, mis, mode="partial")
    assert partial.status_code == 201, partial.text
    assert partial.json()["marks_replaced"] == 1
    assert (await marks_of(session, pupil))[(pupil.id, DAY, "AM", school.urn)] == "M"


async def test_new_marks_already_written_by_another_writer_are_not_overwritten(
    session: AsyncSession, school: School, pupil: Pupil
) -> None:
    """The insert of new marks is all or nothing: a key another writer took meanwhile
    refuses it whole, and the import is answered 409 rather than half written."""
    assert pupil.upn is not None
    repo = AttendanceMarksRepository(session)
    staging = await repo.open_staging()
    rows = [
        (1, school.urn, pupil.upn, DAY, "AM", "/", week_start(DAY)),
        (2, school.urn, pupil.upn, DAY, "PM", "\\", week_start(DAY)),
    ]
    await repo.stage(staging, rows)
    assert await repo.match_pupils(staging, [school.urn], (DAY, DAY)) == 2
    await write_marks(session, pupil_id=pupil.id, school_urn=school.urn, marks={(DAY, "PM"): "N"})
    now = datetime.now(UTC)
    assert not await repo.insert_new_marks(staging, import_id=uuid.uuid4(), now=now)
    assert set((await marks_of(session, pupil)).values()) == {"N"}
    await repo.close_staging(staging)


# --- corrections and history --------------------------------------------------------------


async def test_a_correction_replaces_the_mark_and_keeps_the_old_code_in_history(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    first = await send(client, [mark(school.urn, pupil.upn, code="N")], mis)
    assert first.status_code == 201, first.text
    second = await send(
        client,
        [mark(school.urn, pupil.upn, code="M"), mark(school.urn, pupil.upn, session="PM")],
        mis,
    )
    assert second.status_code == 201, second.text
    report = second.json()
    assert (report["marks_created"], report["marks_replaced"], report["marks_unchanged"]) == (
        1,
        1,
        0,
    )
    assert (await marks_of(session, pupil))[(pupil.id, DAY, "AM", school.urn)] == "M"
    history = list(await session.scalars(select(AttendanceMarkHistory)))
    assert len(history) == 1
    kept = history[0]
    assert (kept.pupil_id, kept.mark_date, kept.session, kept.school_urn) == (
        pupil.id,
        DAY,
        "AM",
        school.urn,
    )
    assert kept.code == "N"
    assert str(kept.import_id) == first.json()["id"]
    assert str(kept.replaced_by_import_id) == report["id"]
    assert kept.replaced_at >= kept.recorded_at
    mark_row = await session.get(
        AttendanceMark, (pupil.id, DAY, "AM", school.urn), populate_existing=True
    )
    assert mark_row is not None and str(mark_row.import_id) == report["id"]


async def test_the_same_mark_again_is_unchanged_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    first = await send(client, [mark(school.urn, pupil.upn, code="I")], mis)
    assert first.status_code == 201, first.text
    queued = await stale_weeks(session)
    again = await send(client, [mark(school.urn, pupil.upn, code="i")], mis)
    assert again.status_code == 201, again.text
    report = again.json()
    assert (report["marks_created"], report["marks_replaced"], report["marks_unchanged"]) == (
        0,
        0,
        1,
    )
    assert report["rows_applied"] == 1
    assert await count(session, AttendanceMarkHistory) == 0
    mark_row = await session.get(
        AttendanceMark, (pupil.id, DAY, "AM", school.urn), populate_existing=True
    )
    assert mark_row is not None and str(mark_row.import_id) == first.json()["id"]
    assert await stale_weeks(session) == queued  # not queued again


async def test_changed_weeks_are_queued_for_the_worker_and_queued_again_later(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    next_week = DAY + timedelta(days=7)
    first = await send(
        client, [mark(school.urn, pupil.upn, code="N"), mark(school.urn, pupil.upn, next_week)], mis
    )
    assert first.status_code == 201, first.text
    queued = await stale_weeks(session)
    assert set(queued) == {(school.urn, week_start(DAY)), (school.urn, week_start(next_week))}
    # A correction in the first week, the second week's mark unchanged.
    again = await send(
        client, [mark(school.urn, pupil.upn, code="M"), mark(school.urn, pupil.upn, next_week)], mis
    )
    assert again.status_code == 201, again.text
    requeued = await stale_weeks(session)
    assert requeued[(school.urn, week_start(DAY))] > queued[(school.urn, week_start(DAY))]
    assert requeued[(school.urn, next_week)] == queued[(school.urn, next_week)]


# --- atomic and partial -------------------------------------------------------------------


async def test_an_atomic_import_with_a_problem_writes_nothing_but_keeps_its_report(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [mark(school.urn, pupil.upn), mark(school.urn, pupil.upn, session="PM", code="H")]
    body = assert_rejected(await send(client, sent, mis))
    assert body["problem_count"] == 1
    assert body["errors"][0]["pointer"] == "/marks/1/code"
    assert body["errors"][0]["location"] == "body"
    assert await count(session, AttendanceMark) == 0
    assert await stale_weeks(session) == {}
    report = await client.get(f"{IMPORTS}/{body['import_id']}", headers=mis)
    assert report.status_code == 200, report.text
    stored = report.json()
    assert stored["status"] == "rejected" and stored["mode"] == "atomic"
    assert (stored["rows_received"], stored["rows_applied"], stored["rows_refused"]) == (2, 0, 1)
    assert stored["marks_created"] == 0
    assert stored["problems"] == [
        {
            "row": 2,
            "field": "code",
            "code": "retired_code",
            "problem": body["errors"][0]["problem"],
        }
    ]
    assert stored["school_urns"] == [school.urn]


async def test_a_partial_import_applies_the_good_rows_and_reports_the_rest(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [
        mark(school.urn, pupil.upn),
        mark(school.urn, pupil.upn, session="PM", code="F"),
        mark(school.urn, pupil.upn, DAY + timedelta(days=1), code="L"),
    ]
    response = await send(client, sent, mis, mode="partial")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["status"] == "partially_applied" and report["mode"] == "partial"
    assert (report["rows_applied"], report["rows_refused"], report["marks_created"]) == (2, 1, 2)
    assert [(p["row"], p["field"], p["code"]) for p in report["problems"]] == [
        (2, "code", "retired_code")
    ]
    assert sorted((await marks_of(session, pupil)).values()) == ["/", "L"]
    again = await client.get(f"{IMPORTS}/{report['id']}", headers=mis)
    assert again.json() == report


async def test_a_partial_import_with_no_valid_row_is_rejected(
    client: httpx.AsyncClient, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    body = assert_rejected(
        await send(client, [mark(school.urn, pupil.upn, code="H")], mis, mode="partial")
    )
    assert body["problem_count"] == 1


async def test_the_report_keeps_the_first_thousand_problems_and_counts_them_all(
    client: httpx.AsyncClient, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [mark(school.urn, pupil.upn, code="H") for _ in range(1203)]
    body = assert_rejected(await send(client, sent, mis))
    assert body["problem_count"] == 1203
    assert [e["row"] for e in body["errors"]] == list(range(1, 1001))
    assert "the first 1000 are listed" in body["detail"]


# --- idempotency --------------------------------------------------------------------------


async def test_a_replayed_import_returns_the_first_response_and_writes_nothing_more(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [mark(school.urn, pupil.upn, code="N")]
    first = await send(client, sent, mis, key="register-2025-11-24-am")
    assert first.status_code == 201, first.text
    history_before = await count(session, AttendanceMarkHistory)
    replay = await send(client, sent, mis, key="register-2025-11-24-am")
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["location"] == first.headers["location"]
    assert await count(session, AttendanceImport) == 1
    assert await count(session, AttendanceMarkHistory) == history_before


async def test_a_replayed_rejection_returns_the_same_422(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    sent = [mark(school.urn, pupil.upn, code="J")]
    first = assert_rejected(await send(client, sent, mis, key="rejected-once"))
    replay = await send(client, sent, mis, key="rejected-once")
    assert_rejected(replay)
    assert replay.json() == first
    assert replay.headers["idempotent-replayed"] == "true"
    assert await count(session, AttendanceImport) == 1


async def test_the_same_key_with_another_body_or_mode_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    first = await send(client, [mark(school.urn, pupil.upn)], mis, key="k-1")
    assert first.status_code == 201, first.text
    other = await send(client, [mark(school.urn, pupil.upn, code="N")], mis, key="k-1")
    assert other.status_code == 422, other.text
    assert other.json()["type"].endswith("/idempotency-key-reused")
    mode = await send(client, [mark(school.urn, pupil.upn)], mis, key="k-1", mode="partial")
    assert mode.status_code == 422
    assert set((await marks_of(session, pupil)).values()) == {"/"}
    assert await count(session, AttendanceImport) == 1


async def test_a_replay_to_the_same_system_now_holding_fewer_schools_replays_nothing(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    other_school: School,
    pupil: Pupil,
) -> None:
    assert pupil.upn is not None
    both = auth("mis_integration", subject="mis-1", school_urns=(school.urn, other_school.urn))
    fewer = auth("mis_integration", subject="mis-1", school_urns=(other_school.urn,))
    sent = [mark(school.urn, pupil.upn, code="N")]
    first = await send(client, sent, both, key="register-k-2")
    assert first.status_code == 201, first.text
    replay = await send(client, sent, fewer, key="register-k-2")
    assert replay.status_code == 409, replay.text
    assert replay.json()["type"].endswith("/idempotency-key-authority-changed")
    assert "location" not in replay.headers
    assert first.headers["location"].rsplit("/", 1)[-1] not in replay.text
    assert await count(session, AttendanceImport) == 1


# --- CSV and streaming --------------------------------------------------------------------


async def test_csv_with_a_byte_order_mark_crlf_and_columns_in_any_order(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    text = (
        "\ufeffCode,Session,UPN,Date,School_URN\r\n"
        f"N,AM,{pupil.upn},{DAY},{school.urn}\r\n"
        "\r\n"
        f'"\\",PM,{pupil.upn},{DAY}, {school.urn} \r\n'
        f"H,AM,{pupil.upn},{DAY + timedelta(days=1)},{school.urn}\r\n"
    )
    response = await send_csv(client, text, mis, mode="partial")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["media_type"] == "text/csv"
    assert report["marks_created"] == 2
    assert problems_of(report) == {(3, "code", "retired_code")}  # blank lines are not rows
    assert sorted((await marks_of(session, pupil)).values()) == ["N", "\\"]


async def test_a_bad_csv_header_is_refused_and_nothing_kept(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    response = await send_csv(client, f"school_urn,upn,date,code,code,notes\n{school.urn},x\n", mis)
    assert response.status_code == 422, response.text
    fields = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert fields == {
        ("notes", "unknown_column"),
        ("code", "duplicate_column"),
        ("session", "missing_column"),
    }
    assert await count(session, AttendanceImport) == 0
    short = await send_csv(client, f"{CSV_HEADER}\n{school.urn},{pupil.upn},{DAY}\n", mis)
    assert problems_of(assert_rejected(short)) == {(1, None, "invalid_row")}
    for empty in ("", "\ufeff", "\r\n"):
        response = await send_csv(client, empty, mis)
        assert response.status_code == 422, response.text
    response = await send_csv(client, CSV_HEADER + "\r\n", mis)
    assert response.status_code == 422
    assert "no marks" in response.json()["detail"]


async def test_a_body_streamed_in_small_pieces_is_read_whole(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: Any
) -> None:
    pupils = [await make_pupil(session, school=school) for _ in range(3)]
    days = [DAY + timedelta(days=n) for n in range(4)]
    lines = [CSV_HEADER] + [
        f"{school.urn},{p.upn},{day},{name},{code}"
        for p in pupils
        for day in days
        for name, code in (("AM", "/"), ("PM", "\\"))
    ]
    body = ("\r\n".join(lines) + "\r\n").encode()

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = await client.post(
        IMPORTS, content=pieces(), headers={**mis, "Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["marks_created"] == 24
    document = json.dumps({"marks": [mark(school.urn, p.upn, DAY, "AM", "L") for p in pupils]})
    encoded = document.encode()

    async def json_pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(encoded), 5):
            yield encoded[start : start + 5]

    response = await client.post(
        IMPORTS, content=json_pieces(), headers={**mis, "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text
    assert response.json()["marks_replaced"] == 3


# --- malformed bodies, media types, limits ------------------------------------------------


async def test_malformed_bodies_are_4xx_and_keep_nothing(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: Any
) -> None:
    json_headers = {**mis, "Content-Type": "application/json"}
    for content, status in (
        (b'{"marks": [', 400),
        (b'{"marks": [{"school_urn": 1,}]}', 400),
        (b"garbage", 400),
        (b"nonsense", 422),  # it could have been null: not an object
        (b'{"marks": []} trailing', 400),
        (b"\xff\xfe{}", 400),
        (b"[]", 422),
        (b'"marks"', 422),
        (b'{"marks": {}}', 422),
        (b'{"marks": [], "as_of": "2025-11-24"}', 422),
        (b'{"marks": [], "marks": []}', 422),
        (b'{"marks": []}', 422),
        (b"{}", 422),
        (b"", 400),
        (b'{"marks": [' + b"[" * 5000, 400),
    ):
        response = await client.post(IMPORTS, content=content, headers=json_headers)
        assert response.status_code == status, (content[:40], response.text)
        assert response.headers["content-type"].startswith(PROBLEM)
    response = await send_csv(client, b'school_urn,upn,date,session,code\n"unclosed,1\n', mis)
    assert response.status_code == 400
    response = await send_csv(client, b"school_urn,upn\xff\n", mis)
    assert response.status_code == 400
    assert await count(session, AttendanceImport) == 0


async def test_unsupported_media_types_and_charsets_are_refused_before_reading(
    client: httpx.AsyncClient, mis: Any
) -> None:
    response = await client.post(
        IMPORTS, content=b"<marks/>", headers={**mis, "Content-Type": "application/xml"}
    )
    assert response.status_code == 415
    assert response.headers["accept-post"] == "application/json, text/csv"
    response = await client.post(
        IMPORTS, content=b"a,b\n", headers={**mis, "Content-Type": "text/csv; charset=latin-1"}
    )
    assert response.status_code == 400


async def test_a_body_over_the_limit_is_refused_while_streaming(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, school: School, mis: Any
) -> None:
    app.state.settings = app.state.settings.model_copy(
        update={"attendance_import_max_body_bytes": 4096}
    )
    row = f"{school.urn},{make_upn()},{DAY},AM,/\r\n".encode()

    async def rows() -> AsyncIterator[bytes]:
        yield (CSV_HEADER + "\r\n").encode()
        for _ in range(200):
            yield row

    response = await client.post(
        IMPORTS, content=rows(), headers={**mis, "Content-Type": "text/csv"}
    )
    assert response.status_code == 413, response.text
    declared = await client.post(
        IMPORTS,
        content=b"x" * 5000,
        headers={**mis, "Content-Type": "text/csv"},
    )
    assert declared.status_code == 413
    assert await count(session, AttendanceImport) == 0


# --- who may send and read ----------------------------------------------------------------


async def test_anonymous_callers_are_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(IMPORTS, json={"marks": []})
    assert response.status_code == 401
    response = await client.get(f"{IMPORTS}/{uuid.uuid4()}")
    assert response.status_code == 401


@pytest.mark.parametrize(
    "role",
    ["school_staff", "attendance_manager", "attendance_officer", "admin", "information_governance"],
)
async def test_roles_other_than_an_information_system_may_not_import(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    school: School,
    pupil: Pupil,
    role: str,
) -> None:
    assert pupil.upn is not None
    headers = auth(role, school_urns=(school.urn,), area_teams=("east",), purpose="attendance_duty")
    response = await send(client, [mark(school.urn, pupil.upn)], headers)
    assert response.status_code == 403, response.text
    assert response.json()["policy"]["rule"]
    assert await count(session, AttendanceMark) == 0


async def test_a_report_is_shown_to_its_schools_and_no_other(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    school: School,
    other_school: School,
    pupil: Pupil,
    mis: Any,
) -> None:
    assert pupil.upn is not None
    sent = await send(client, [mark(school.urn, pupil.upn)], mis)
    assert sent.status_code == 201, sent.text
    location = sent.headers["location"]
    own = await client.get(location, headers=mis)
    assert own.status_code == 200 and own.json() == sent.json()
    same_school = auth("mis_integration", subject="mis-2", school_urns=(school.urn,))
    assert (await client.get(location, headers=same_school)).status_code == 200
    staff = auth("school_staff", school_urns=(school.urn,))
    assert (await client.get(location, headers=staff)).status_code == 200
    other = auth("mis_integration", subject="mis-3", school_urns=(other_school.urn,))
    assert (await client.get(location, headers=other)).status_code == 404
    officer = auth("attendance_officer", area_teams=(school.area_team,))
    assert (await client.get(location, headers=officer)).status_code == 403
    missing = await client.get(f"{IMPORTS}/{uuid.uuid4()}", headers=mis)
    assert missing.status_code == 404


async def test_one_audit_event_with_counts_and_no_personal_data(
    client: httpx.AsyncClient, session: AsyncSession, school: School, pupil: Pupil, mis: Any
) -> None:
    assert pupil.upn is not None
    response = await send(
        client, [mark(school.urn, pupil.upn), mark(school.urn, pupil.upn, session="PM")], mis
    )
    assert response.status_code == 201, response.text
    events = list(
        await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "attendance_marks.imported")
        )
    )
    assert len(events) == 1
    event = events[0]
    assert event.resource_id == response.json()["id"]
    assert event.purpose == "attendance_duty"
    assert event.details["marks_created"] == 2 and event.details["status"] == "applied"
    assert pupil.upn not in json.dumps(event.details)
