"""Bulk writes that cannot do damage by mistake: ``validate_only`` on the roll push and the
attendance import writes nothing and answers what would happen; a roll that takes many pupils
off roll must state how many; the documented example bodies are valid and harmless."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.people import Enrolment
from app.models.schools import School
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school
from tests.test_roll_api import pupil_row, roll
from tests.test_unknown_query_parameters import table_counts

AS_OF = date(2026, 11, 27)


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
def mis(auth: AuthHeaders, school: School) -> dict[str, str]:
    return auth("mis_integration", subject="mis-1", school_urns=(school.urn,))


async def change_events(session: AsyncSession) -> list[str]:
    return list(await session.scalars(select(AuditEvent.action).where(AuditEvent.kind == "change")))


async def assert_unchanged(session: AsyncSession, before: list[tuple[str, int]]) -> None:
    """Every table as it was, but the audit trail (which records the request's decision)."""
    after = dict(await table_counts(session))
    for name, n in before:
        if not name.startswith("audit_"):
            assert after[name] == n, name


async def open_pupils(session: AsyncSession, urn: int) -> set[Any]:
    return set(
        await session.scalars(
            select(Enrolment.pupil_id)
            .where(Enrolment.school_urn == urn, Enrolment.off_roll_on.is_(None))
            .execution_options(populate_existing=True)
        )
    )


async def school_of(session: AsyncSession, school: School, pupils: int) -> list[Any]:
    return [(await make_pupil(session, school=school)) for _ in range(pupils)]


def rows_for(pupils: list[Any]) -> list[dict[str, Any]]:
    """Roll rows naming these pupils as KPAS holds them (no change to any of them)."""
    return [
        pupil_row(
            p.upn,
            legal_forename=p.legal_forename,
            legal_surname=p.legal_surname,
            date_of_birth=p.date_of_birth.isoformat(),
            carers=[],
        )
        for p in pupils
    ]


async def push(
    client: httpx.AsyncClient, urn: int, body: Any, headers: dict[str, str], **params: Any
) -> httpx.Response:
    return await client.put(
        f"/v1/schools/{urn}/roll",
        json=body,
        headers=headers,
        params={k: str(v).lower() for k, v in params.items()},
    )


# --- the leavers guard --------------------------------------------------------------------


async def test_21_leavers_of_100_are_refused_unless_stated_exactly(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupils = await school_of(session, school, 100)
    body = roll(*rows_for(pupils[21:]), as_of=AS_OF)
    before = await table_counts(session)

    refused = await push(client, school.urn, body, mis)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["errors"][0]["code"] == "leavers_unconfirmed"
    assert "21 pupil(s)" in problem["detail"] and "expected_leavers=21" in problem["detail"]
    wrong = await push(client, school.urn, body, mis, expected_leavers=20)
    assert wrong.status_code == 409
    assert wrong.json()["errors"][0]["code"] == "leavers_mismatch"
    await assert_unchanged(session, before)
    assert len(await open_pupils(session, school.urn)) == 100

    applied = await push(client, school.urn, body, mis, expected_leavers=21)
    assert applied.status_code == 200, applied.text
    assert applied.json()["left"] == 21
    assert await open_pupils(session, school.urn) == {p.id for p in pupils[21:]}


async def test_small_changes_need_no_confirmation_but_a_stated_number_must_be_right(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupils = await school_of(session, school, 100)
    body = roll(*rows_for(pupils[5:]), pupil_row(), as_of=AS_OF)
    wrong = await push(client, school.urn, body, mis, expected_leavers=4)
    assert wrong.status_code == 409
    applied = await push(client, school.urn, body, mis)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["left"], applied.json()["joined"]) == (5, 1)


async def test_an_empty_roll_needs_its_leavers_stated(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    await school_of(session, school, 1)
    refused = await push(client, school.urn, roll(as_of=AS_OF), mis)
    assert refused.status_code == 409
    assert len(await open_pupils(session, school.urn)) == 1
    applied = await push(client, school.urn, roll(as_of=AS_OF), mis, expected_leavers=1)
    assert applied.status_code == 200 and applied.json()["left"] == 1


async def test_the_limits_are_settings(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    mis: dict[str, str],
) -> None:
    pupils = await school_of(session, school, 10)
    app.state.settings = app.state.settings.model_copy(
        update={"roll_leavers_confirm_over_percent": 50.0}
    )
    applied = await push(client, school.urn, roll(*rows_for(pupils[4:]), as_of=AS_OF), mis)
    assert applied.status_code == 200, applied.text


# --- validate only: the roll --------------------------------------------------------------


async def test_a_validate_only_roll_answers_what_it_would_do_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupils = await school_of(session, school, 30)
    body = roll(*rows_for(pupils[3:]), pupil_row(), pupil_row(), as_of=AS_OF)
    before = await table_counts(session)
    events = await change_events(session)

    checked = await push(client, school.urn, body, mis, validate_only=True)
    assert checked.status_code == 200, checked.text
    answer = checked.json()
    assert answer["validate_only"] is True
    kept = answer["updated"] + answer["unchanged"]
    assert (answer["joined"], kept, answer["left"]) == (2, 27, 3)
    assert sorted(answer["leavers"]) == sorted(str(p.id) for p in pupils[:3])
    await assert_unchanged(session, before)
    assert await change_events(session) == events  # the decision only
    assert len(await open_pupils(session, school.urn)) == 30

    applied = await push(client, school.urn, body, mis)
    assert applied.status_code == 200, applied.text
    real = applied.json()
    assert "validate_only" not in real
    assert {k: answer[k] for k in real} == real


async def test_a_validate_only_roll_is_refused_as_the_push_would_be(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupils = await school_of(session, school, 10)
    body = roll(*rows_for(pupils[5:]), as_of=AS_OF)
    refused = await push(client, school.urn, body, mis, validate_only=True)
    assert refused.status_code == 409
    listed = await push(client, school.urn, body, mis, validate_only=True, expected_leavers=5)
    assert listed.status_code == 200
    assert sorted(listed.json()["leavers"]) == sorted(str(p.id) for p in pupils[:5])
    assert len(await open_pupils(session, school.urn)) == 10


# --- validate only: the import ------------------------------------------------------------


async def test_a_validate_only_import_counts_marks_and_writes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupil, other = await school_of(session, school, 2)

    def mark(upn: str, session_: str, code: str) -> dict[str, Any]:
        day = "2026-11-26"
        return {
            "school_urn": school.urn,
            "upn": upn,
            "date": day,
            "session": session_,
            "code": code,
        }

    first = await client.post(
        "/v1/attendance/imports",
        json={"marks": [mark(pupil.upn, "AM", "/"), mark(pupil.upn, "PM", "/")]},
        headers=mis,
    )
    assert first.status_code == 201, first.text
    before = await table_counts(session)
    events = await change_events(session)
    marks = [mark(pupil.upn, "AM", "/"), mark(pupil.upn, "PM", "N"), mark(other.upn, "AM", "/")]

    checked = await client.post(
        "/v1/attendance/imports",
        params={"validate_only": "true"},
        json={"marks": marks},
        headers=mis,
    )
    assert checked.status_code == 200, checked.text
    answer = checked.json()
    assert answer["validate_only"] is True and answer["status"] == "applied"
    assert (answer["marks_created"], answer["marks_replaced"], answer["marks_unchanged"]) == (
        1,
        1,
        1,
    )
    await assert_unchanged(session, before)
    assert await change_events(session) == events

    bad = [*marks, mark("A123456789012", "AM", "/")]
    rejected = await client.post(
        "/v1/attendance/imports",
        params={"validate_only": "true"},
        json={"marks": bad},
        headers=mis,
    )
    assert rejected.status_code == 422, rejected.text
    problem = rejected.json()
    assert problem["validate_only"] is True and problem["import_id"] is None
    assert problem["problem_count"] == 1
    await assert_unchanged(session, before)


# --- the documented examples ----------------------------------------------------------------


def documented_example(app: FastAPI, path: str, method: str, media_type: str) -> Any:
    operation = app.openapi()["paths"][path][method]
    return operation["requestBody"]["content"][media_type]["example"]


async def test_the_documented_examples_are_valid(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    json_roll = documented_example(app, "/v1/schools/{urn}/roll", "put", "application/json")
    csv_roll = documented_example(app, "/v1/schools/{urn}/roll", "put", "text/csv")
    json_import = documented_example(app, "/v1/attendance/imports", "post", "application/json")
    csv_import = documented_example(app, "/v1/attendance/imports", "post", "text/csv")
    urn = json_import["marks"][0]["school_urn"]
    school = await make_school(session, urn=urn)
    mis = auth("mis_integration", subject="mis-1", school_urns=(urn,))

    checked = await push(client, urn, json_roll, mis, validate_only=True)
    assert checked.status_code == 200, checked.text
    assert checked.json()["joined"] == len(json_roll["pupils"])
    checked_csv = await client.put(
        f"/v1/schools/{urn}/roll",
        params={"as_of": json_roll["as_of"], "validate_only": "true"},
        content=csv_roll.encode(),
        headers={**mis, "Content-Type": "text/csv"},
    )
    assert checked_csv.status_code == 200, checked_csv.text
    assert checked_csv.json() == checked.json()

    # Marks need the pupils on the roll: put them there, then check the import examples.
    assert (await push(client, urn, json_roll, mis)).status_code == 200
    for body, media in ((json_import, "application/json"), (csv_import, "text/csv")):
        content = body.encode() if isinstance(body, str) else None
        checked_import = await client.post(
            "/v1/attendance/imports",
            params={"validate_only": "true"},
            json=None if content else body,
            content=content,
            headers={**mis, "Content-Type": media},
        )
        assert checked_import.status_code == 200, checked_import.text
        assert checked_import.json()["marks_created"] == len(json_import["marks"])
    assert school.urn == urn


async def test_the_roll_example_cannot_wipe_an_existing_roll(
    app: FastAPI,
    client: httpx.AsyncClient,
    session: AsyncSession,
    school: School,
    mis: dict[str, str],
) -> None:
    await school_of(session, school, 12)
    json_roll = documented_example(app, "/v1/schools/{urn}/roll", "put", "application/json")
    refused = await push(client, school.urn, json_roll, mis)
    assert refused.status_code == 409, refused.text
    assert "12 pupil(s)" in refused.json()["detail"]
    assert len(await open_pupils(session, school.urn)) == 12
