"""``PUT /v1/schools/{urn}/roll``: a school's information system replaces its roll, whole or
not at all, as JSON or CSV; only for its own school."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.people import (
    Carer,
    CarerRelationship,
    Enrolment,
    EnrolmentSource,
    Gender,
    PossibleDuplicate,
    Pupil,
    RelationshipType,
)
from app.models.schools import School
from app.models.subjects import DataSubject
from app.rules.retention import pupil_retain_until
from tests.conftest import AuthHeaders
from tests.factories import make_carer, make_pupil, make_school, make_upn

PROBLEM = "application/problem+json"
AS_OF = date(2026, 11, 27)
TABLES = (Pupil, Enrolment, Carer, CarerRelationship, DataSubject)


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)


@pytest.fixture
def mis(auth: AuthHeaders, school: School) -> dict[str, str]:
    """The school's own information system (no KPAS-Purpose: the roll defaults to it)."""
    return auth("mis_integration", subject="mis-1", school_urns=(school.urn,))


def carer_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "forename": "Sam",
        "surname": "Example",
        "title": "Ms",
        "relationship": "mother",
        "parental_responsibility": True,
        "lives_with": True,
        "contact_priority": 1,
        "phone": "07700 900123",
        "email": "sam@example.org",
    }
    row.update(overrides)
    return row


def pupil_row(upn: str | None = None, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "upn": upn or make_upn(),
        "legal_forename": "Alex",
        "legal_surname": "Example",
        "date_of_birth": "2014-05-17",
        "gender": "female",
        "address_lines": ["1 Synthetic Street", "Dover"],
        "postcode": "ct16 1aa",
        "on_roll_from": "2024-09-01",
        "carers": [carer_row()],
    }
    row.update(overrides)
    return row


def roll(*pupils: dict[str, Any], as_of: date = AS_OF) -> dict[str, Any]:
    return {"as_of": as_of.isoformat(), "pupils": list(pupils)}


async def put_roll(
    client: httpx.AsyncClient,
    urn: int,
    body: Any,
    headers: dict[str, str],
    *,
    expected_leavers: int | None = None,
) -> httpx.Response:
    """Push a JSON roll; ``expected_leavers`` confirms a roll that takes many off roll."""
    params = {} if expected_leavers is None else {"expected_leavers": str(expected_leavers)}
    return await client.put(f"/v1/schools/{urn}/roll", json=body, headers=headers, params=params)


async def put_csv(
    client: httpx.AsyncClient,
    urn: int,
    text: str | bytes,
    headers: dict[str, str],
    as_of: date | None = AS_OF,
) -> httpx.Response:
    content = text.encode() if isinstance(text, str) else text
    params = {"as_of": as_of.isoformat()} if as_of else {}
    return await client.put(
        f"/v1/schools/{urn}/roll",
        content=content,
        params=params,
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
    )


async def row_counts(session: AsyncSession) -> dict[str, int]:
    return {
        table.__tablename__: int(await session.scalar(select(func.count()).select_from(table)) or 0)
        for table in TABLES
    }


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def problems(body: dict[str, Any]) -> set[tuple[int | None, str | None, str]]:
    for error in body["errors"]:
        assert {"location", "pointer", "detail", "code", "row", "field", "problem"} <= set(error)
    return {(e["row"], e["field"], e["code"]) for e in body["errors"]}


async def pupil_by_upn(session: AsyncSession, upn: str) -> Pupil:
    pupil = await session.scalar(
        select(Pupil).where(Pupil.upn == upn).execution_options(populate_existing=True)
    )
    assert pupil is not None
    return pupil


async def enrolments_of(session: AsyncSession, pupil_id: uuid.UUID) -> list[Enrolment]:
    return list(
        await session.scalars(
            select(Enrolment)
            .where(Enrolment.pupil_id == pupil_id)
            .order_by(Enrolment.school_urn, Enrolment.on_roll_from)
            .execution_options(populate_existing=True)
        )
    )


async def carers_of(
    session: AsyncSession, pupil_id: uuid.UUID
) -> list[tuple[CarerRelationship, Carer]]:
    rows = await session.execute(
        select(CarerRelationship, Carer)
        .join(Carer, Carer.id == CarerRelationship.carer_id)
        .where(CarerRelationship.pupil_id == pupil_id)
        .order_by(Carer.forename)
        .execution_options(populate_existing=True)
    )
    return [(r, c) for r, c in rows]


async def retain_until(session: AsyncSession, subject_id: uuid.UUID) -> date | None:
    subject = await session.get(DataSubject, subject_id, populate_existing=True)
    assert subject is not None
    return subject.retain_until


# --- applying a roll ------------------------------------------------------------------------


async def test_json_roll_creates_pupils_enrolments_and_carers(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    first, second = make_upn(), make_upn()
    body = roll(
        pupil_row(
            first,
            carers=[carer_row(), carer_row(forename="Jo", relationship="father", title=None)],
        ),
        pupil_row(second, legal_forename="Zoë", gender="male", carers=[]),
    )
    response = await put_roll(client, school.urn, body, mis)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "as_of": AS_OF.isoformat(),
        "pupils_on_roll": 2,
        "joined": 2,
        "updated": 0,
        "unchanged": 0,
        "held_for_review": 0,
        "left": 0,
        "carers_created": 2,
        "carers_updated": 0,
    }
    assert "Example" not in response.text and first not in response.text  # counts only
    assert response.headers["KPAS-Decision-Id"]

    pupil = await pupil_by_upn(session, first)
    assert (pupil.legal_forename, pupil.gender, pupil.postcode) == (
        "Alex",
        Gender.FEMALE,
        "CT16 1AA",
    )
    assert await retain_until(session, pupil.subject_id) == pupil_retain_until(date(2014, 5, 17))
    [enrolment] = await enrolments_of(session, pupil.id)
    assert (enrolment.school_urn, enrolment.on_roll_from, enrolment.off_roll_on) == (
        school.urn,
        date(2024, 9, 1),
        None,
    )
    assert enrolment.source is EnrolmentSource.ROLL
    carers = await carers_of(session, pupil.id)
    assert [(c.forename, r.relationship_type) for r, c in carers] == [
        ("Jo", RelationshipType.FATHER),
        ("Sam", RelationshipType.MOTHER),
    ]
    sam = carers[1][1]
    assert (sam.phone, sam.email, sam.title) == ("+447700900123", "sam@example.org", "Ms")
    assert await retain_until(session, sam.subject_id) == pupil_retain_until(date(2014, 5, 17))
    assert (await pupil_by_upn(session, second)).forename_key == "zoe"

    events = list(
        await session.scalars(select(AuditEvent).where(AuditEvent.action == "school_roll.replaced"))
    )
    assert len(events) == 1  # one event for the roll, not one per pupil
    assert events[0].resource_id == str(school.urn)
    assert events[0].details["joined"] == 2
    assert events[0].details["rows_new"] == 2
    assert events[0].purpose == "attendance_duty"
    assert "Example" not in json.dumps(events[0].details)


async def test_pushing_the_same_roll_again_changes_nothing(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    body = roll(pupil_row(), pupil_row(carers=[carer_row(), carer_row(forename="Jo")]))
    assert (await put_roll(client, school.urn, body, mis)).status_code == 200
    upns = [p["upn"] for p in body["pupils"]]
    before = [
        (p.id, p.version, p.updated_at) for p in [await pupil_by_upn(session, u) for u in upns]
    ]
    carer_versions = [
        (r.version, c.version) for p in before for r, c in await carers_of(session, p[0])
    ]
    counts = await row_counts(session)

    again = await put_roll(client, school.urn, body, mis)
    assert again.status_code == 200, again.text
    summary = again.json()
    assert (summary["unchanged"], summary["joined"], summary["updated"]) == (2, 0, 0)
    assert (summary["carers_created"], summary["carers_updated"], summary["left"]) == (0, 0, 0)
    after = [
        (p.id, p.version, p.updated_at) for p in [await pupil_by_upn(session, u) for u in upns]
    ]
    assert after == before  # versions (and so ETags) did not move
    assert [
        (r.version, c.version) for p in before for r, c in await carers_of(session, p[0])
    ] == carer_versions
    assert await row_counts(session) == counts


async def test_changed_fields_are_updated_and_left_out_fields_kept(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    upn = make_upn()
    pupil = await make_pupil(
        session, school=school, upn=upn, email="alex@example.org", phone="+447700900456"
    )
    carer = await make_carer(session, pupil=pupil, phone="+447700900001")
    version = pupil.version
    row = pupil_row(
        upn,
        legal_surname="Sample",
        date_of_birth="2014-06-01",
        gender="not_known",
        address_lines=None,
        phone=None,
        carers=[carer_row(phone="07700 900002", lives_with=False), carer_row(forename="Jo")],
    )
    del row["postcode"]  # left out: the stored postcode stays
    response = await put_roll(client, school.urn, roll(row), mis)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["updated"], summary["joined"], summary["left"]) == (1, 0, 0)
    assert (summary["carers_created"], summary["carers_updated"]) == (1, 1)

    stored = await pupil_by_upn(session, upn)
    assert stored.id == pupil.id and stored.version == version + 1
    assert (stored.legal_surname, stored.surname_key) == ("Sample", "sample")
    assert (stored.address_lines, stored.phone) == (None, None)  # null clears
    assert (stored.postcode, stored.email) == ("CT16 1AA", "alex@example.org")  # kept
    moved = pupil_retain_until(date(2014, 6, 1))
    assert await retain_until(session, stored.subject_id) == moved
    assert await retain_until(session, carer.subject_id) == moved  # kept as long as the pupil
    links = {c.forename: (r, c) for r, c in await carers_of(session, pupil.id)}
    assert links["Sam"][1].id == carer.id
    assert (links["Sam"][1].phone, links["Sam"][0].lives_with) == ("+447700900002", False)
    assert await retain_until(session, links["Jo"][1].subject_id) == moved
    [enrolment] = await enrolments_of(session, pupil.id)
    assert enrolment.source is EnrolmentSource.MANUAL  # the existing stay, not a second one


async def test_leavers_come_off_roll_on_as_of_but_never_before_joining(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    staying = await make_pupil(session, school=school)
    leaving = await make_pupil(session, school=school)
    joining_later = await make_pupil(session, school=school, on_roll_from=AS_OF + timedelta(3))
    elsewhere = await make_pupil(session, school=await make_school(session))
    assert staying.upn is not None
    row = pupil_row(staying.upn, legal_surname=staying.legal_surname, carers=[])
    response = await put_roll(client, school.urn, roll(row), mis, expected_leavers=2)
    assert response.status_code == 200, response.text
    assert response.json()["left"] == 2
    assert [e.off_roll_on for e in await enrolments_of(session, staying.id)] == [None]
    assert [e.off_roll_on for e in await enrolments_of(session, leaving.id)] == [AS_OF]
    assert [e.off_roll_on for e in await enrolments_of(session, joining_later.id)] == [
        AS_OF + timedelta(3)
    ]
    assert [e.off_roll_on for e in await enrolments_of(session, elsewhere.id)] == [None]


async def test_a_pupil_who_moves_school_is_on_one_roll_and_off_the_other(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders, school: School
) -> None:
    new_school = await make_school(session)
    old_mis = auth("mis_integration", subject="mis-old", school_urns=(school.urn,))
    new_mis = auth("mis_integration", subject="mis-new", school_urns=(new_school.urn,))
    row = pupil_row()
    assert (await put_roll(client, school.urn, roll(row), old_mis)).status_code == 200
    response = await put_roll(client, school.urn, roll(), old_mis, expected_leavers=1)
    assert response.json()["left"] == 1
    moved = {**row, "on_roll_from": "2026-11-02"}
    response = await put_roll(client, new_school.urn, roll(moved), new_mis)
    assert response.status_code == 200, response.text
    summary = response.json()
    # The same pupil, now on a second roll: counted as any pupil new to this roll is.
    assert (summary["joined"], summary["held_for_review"]) == (1, 0)

    pupil = await pupil_by_upn(session, row["upn"])
    assert [
        (e.school_urn, e.on_roll_from, e.off_roll_on)
        for e in await enrolments_of(session, pupil.id)
    ] == sorted([(school.urn, date(2024, 9, 1), AS_OF), (new_school.urn, date(2026, 11, 2), None)])
    assert await session.scalar(select(func.count()).where(Pupil.upn == row["upn"])) == 1


async def test_a_pupil_left_out_by_mistake_is_put_back_on_the_same_stay(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    row = pupil_row()
    assert (await put_roll(client, school.urn, roll(row), mis)).status_code == 200
    emptied = await put_roll(client, school.urn, roll(), mis, expected_leavers=1)
    assert emptied.json()["left"] == 1
    response = await put_roll(client, school.urn, roll(row), mis)
    assert response.json()["joined"] == 1  # back on this roll
    pupil = await pupil_by_upn(session, row["upn"])
    assert [(e.on_roll_from, e.off_roll_on) for e in await enrolments_of(session, pupil.id)] == [
        (date(2024, 9, 1), None)
    ]


async def test_an_empty_roll_takes_everyone_off_but_must_say_so(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    on_roll = [await make_pupil(session, school=school) for _ in range(2)]
    counts = await row_counts(session)
    missing = await put_roll(client, school.urn, {"as_of": AS_OF.isoformat()}, mis)
    assert problems(assert_problem(missing, 422)) == {(None, "pupils", "missing")}
    assert await row_counts(session) == counts

    unconfirmed = await put_roll(client, school.urn, roll(), mis)
    assert assert_problem(unconfirmed, 409)["errors"][0]["code"] == "leavers_unconfirmed"
    assert await row_counts(session) == counts

    response = await put_roll(client, school.urn, roll(), mis, expected_leavers=2)
    assert response.status_code == 200, response.text
    assert response.json()["left"] == 2
    for pupil in on_roll:
        assert [e.off_roll_on for e in await enrolments_of(session, pupil.id)] == [AS_OF]


async def test_pupils_who_may_not_be_processed_are_held_as_they_are(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    restricted = await make_pupil(session, school=school, legal_surname="Kept")
    restricted_leaver = await make_pupil(session, school=school)
    for pupil in (restricted, restricted_leaver):
        subject = await session.get(DataSubject, pupil.subject_id)
        assert subject is not None
        subject.restricted_since = datetime(2026, 11, 1, tzinfo=UTC)
    await session.flush()
    assert restricted.upn is not None
    row = pupil_row(restricted.upn, legal_surname="Changed")
    response = await put_roll(client, school.urn, roll(row), mis)
    assert response.status_code == 200, response.text
    summary = response.json()
    # The school is not told why: the row reads as unchanged, the leaver stays on roll.
    assert (summary["unchanged"], summary["updated"], summary["left"]) == (1, 0, 0)
    assert "held" not in summary
    event = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "school_roll.replaced")
    )
    assert event is not None and event.details["held"] == 2
    stored = await pupil_by_upn(session, restricted.upn)
    assert (stored.legal_surname, stored.version) == ("Kept", restricted.version)
    assert await carers_of(session, restricted.id) == []
    assert [e.off_roll_on for e in await enrolments_of(session, restricted_leaver.id)] == [None]


async def test_new_and_updated_pupils_are_checked_for_duplicates(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    other = await make_pupil(session, legal_forename="Alex", legal_surname="Example")
    row = pupil_row()
    response = await put_roll(client, school.urn, roll(row), mis)
    assert response.status_code == 200, response.text
    pupil = await pupil_by_upn(session, row["upn"])
    pair = tuple(sorted([pupil.id, other.id]))
    flagged = await session.scalar(
        select(func.count()).where(
            PossibleDuplicate.first_id == pair[0], PossibleDuplicate.second_id == pair[1]
        )
    )
    assert flagged == 1  # same names, date of birth and postcode


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = (
    "upn,legal_forename,legal_surname,date_of_birth,gender,address_line_1,address_line_2,"
    "postcode,phone,on_roll_from,carer_1_forename,carer_1_surname,carer_1_relationship,"
    "carer_1_parental_responsibility,carer_1_lives_with,carer_1_phone,carer_2_forename,"
    "carer_2_surname,carer_2_relationship,carer_2_parental_responsibility,carer_2_lives_with,"
    "carer_2_email"
)


def csv_row(upn: str, gender: str = "F", **cells: str) -> str:
    values = {
        "upn": upn,
        "legal_forename": "Alex",
        "legal_surname": "Example",
        "date_of_birth": "2014-05-17",
        "gender": gender,
        "address_line_1": "1 Synthetic Street",
        "address_line_2": "",
        "postcode": "CT16 1AA",
        "phone": "",
        "on_roll_from": "2024-09-01",
        "carer_1_forename": "Sam",
        "carer_1_surname": "Example",
        "carer_1_relationship": "mother",
        "carer_1_parental_responsibility": "yes",
        "carer_1_lives_with": "Y",
        "carer_1_phone": "07700 900123",
        "carer_2_forename": "",
        "carer_2_surname": "",
        "carer_2_relationship": "",
        "carer_2_parental_responsibility": "",
        "carer_2_lives_with": "",
        "carer_2_email": "",
    }
    values.update(cells)
    return ",".join(values[name] for name in CSV_HEADER.split(","))


async def test_csv_roll_with_bom_and_crlf_creates_pupils_and_carers(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    first, second = make_upn(), make_upn()
    lines = [
        CSV_HEADER,
        csv_row(first),
        csv_row(
            second,
            gender="U",
            legal_forename='"Zoë, Ann"',
            carer_2_forename="Jo",
            carer_2_surname="Example",
            carer_2_relationship="Grandparent",
            carer_2_parental_responsibility="false",
            carer_2_lives_with="0",
            carer_2_email="jo@example.org",
        ),
    ]
    text = "\ufeff" + "\r\n".join(lines) + "\r\n"
    response = await put_csv(client, school.urn, text, mis)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert (summary["joined"], summary["carers_created"]) == (2, 3)

    pupil = await pupil_by_upn(session, second)
    assert (pupil.legal_forename, pupil.gender) == ("Zoë, Ann", Gender.NOT_KNOWN)
    assert (pupil.address_lines, pupil.phone) == (["1 Synthetic Street"], None)
    carers = await carers_of(session, pupil.id)
    assert [(c.forename, r.relationship_type, r.parental_responsibility) for r, c in carers] == [
        ("Jo", RelationshipType.GRANDPARENT, False),
        ("Sam", RelationshipType.MOTHER, True),
    ]
    assert (await pupil_by_upn(session, first)).gender is Gender.FEMALE

    again = await put_csv(client, school.urn, text, mis)
    assert again.json()["unchanged"] == 2


async def test_csv_header_problems_are_named(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    counts = await row_counts(session)
    header = CSV_HEADER.replace("date_of_birth,", "").replace("upn,", "upn,house,")
    response = await put_csv(client, school.urn, header + "\n", mis)
    assert problems(assert_problem(response, 422)) == {
        (None, "date_of_birth", "missing_column"),
        (None, "house", "unknown_column"),
    }
    assert await row_counts(session) == counts


async def test_csv_row_problems_name_rows_and_columns(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    counts = await row_counts(session)
    good = make_upn()
    lines = [
        CSV_HEADER,
        csv_row(good),
        csv_row(make_upn(), gender="X"),
        csv_row(make_upn(), carer_1_phone="12", postcode="NOT A CODE"),
        csv_row(make_upn(), carer_1_forename=""),
        csv_row(good),
        csv_row(make_upn()) + ",one cell too many",
    ]
    response = await put_csv(client, school.urn, "\n".join(lines), mis, as_of=None)
    body = assert_problem(response, 422)
    assert problems(body) == {
        (None, "as_of", "missing"),
        (2, "gender", "enum"),
        (3, "carer_1_phone", "string_too_short"),
        (3, "postcode", "value_error"),
        (4, "carer_1_forename", "missing"),
        (5, "upn", "duplicate_upn"),
        (6, None, "cell_count"),
    }
    pointers = {e["field"]: e["pointer"] for e in body["errors"]}
    assert pointers["carer_1_phone"] == "/pupils/2/carers/0/phone"
    assert "NOT A CODE" not in response.text  # values are never echoed
    assert await row_counts(session) == counts


# --- refused rolls --------------------------------------------------------------------------


async def test_invalid_rows_refuse_the_whole_roll(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    await make_pupil(session, school=school)
    counts = await row_counts(session)
    duplicate = make_upn()
    body = roll(
        pupil_row(duplicate),
        pupil_row("A801200005001"),  # wrong check letter
        pupil_row(date_of_birth=(AS_OF + timedelta(1)).isoformat()),
        pupil_row(date_of_birth="1990-01-01"),
        pupil_row(phone="0123"),
        pupil_row(carers=[carer_row(email="not-an-email")]),
        pupil_row(postcode="ZZ"),
        pupil_row(duplicate),
        pupil_row(nickname="Al"),
    )
    response = await put_roll(client, school.urn, body, mis)
    result = assert_problem(response, 422)
    assert problems(result) == {
        (2, "upn", "value_error"),
        (3, "date_of_birth", "impossible_date"),
        (3, "on_roll_from", "before_birth"),
        (4, "date_of_birth", "impossible_date"),
        (5, "phone", "value_error"),
        (6, "carers.0.email", "value_error"),
        (7, "postcode", "string_too_short"),
        (8, "upn", "duplicate_upn"),
        (9, "nickname", "extra_forbidden"),
    }
    errors = {e["row"]: e for e in result["errors"]}
    assert errors[6]["pointer"] == "/pupils/5/carers/0/email"
    assert errors[8]["detail"] == "Row 8, upn: the same UPN is in row 1."
    assert "not-an-email" not in response.text and duplicate not in response.text
    assert await row_counts(session) == counts  # nothing half-applied
    assert (
        await session.scalar(
            select(func.count()).where(AuditEvent.action == "school_roll.replaced")
        )
        == 0
    )


async def test_malformed_requests_are_refused(
    client: httpx.AsyncClient, school: School, mis: dict[str, str]
) -> None:
    url = f"/v1/schools/{school.urn}/roll"
    wrong_type = await client.put(url, content=b"x", headers={**mis, "Content-Type": "text/plain"})
    assert_problem(wrong_type, 415)
    not_json = await client.put(
        url, content=b"{", headers={**mis, "Content-Type": "application/json"}
    )
    assert_problem(not_json, 400)
    not_utf8 = await put_csv(client, school.urn, CSV_HEADER.encode() + b"\n\xff\xfe", mis)
    assert_problem(not_utf8, 400)
    future = await put_roll(client, school.urn, roll(as_of=date.today() + timedelta(2)), mis)
    assert problems(assert_problem(future, 422)) == {(None, "as_of", "future_date")}
    query_as_of = await client.put(url, json=roll(), params={"as_of": "2026-11-01"}, headers=mis)
    assert problems(assert_problem(query_as_of, 422)) == {(None, "as_of", "extra_forbidden")}


# --- who may push ---------------------------------------------------------------------------


async def test_a_roll_for_another_school_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    other = await make_school(session)
    await make_pupil(session, school=other)
    counts = await row_counts(session)
    response = await put_roll(client, other.urn, roll(pupil_row()), mis)
    body = assert_problem(response, 403)
    assert body["policy"]["rule"] == "roll.mis.replace"
    assert await row_counts(session) == counts
    denied = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "school_roll.replace",
            AuditEvent.outcome == "deny",
            AuditEvent.resource_id == str(other.urn),
        )
    )
    assert denied is not None


@pytest.mark.parametrize(
    ("role", "purpose"),
    [
        ("school_staff", "attendance_duty"),
        ("admin", None),
        ("attendance_manager", "attendance_duty"),
    ],
)
async def test_only_the_schools_information_system_may_push(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    school: School,
    role: str,
    purpose: str | None,
) -> None:
    counts = await row_counts(session)
    headers = auth(role, area_teams=("east",), school_urns=(school.urn,), purpose=purpose)
    response = await put_roll(client, school.urn, roll(pupil_row()), headers)
    assert assert_problem(response, 403)["policy"]["rule"]
    assert await row_counts(session) == counts


async def test_unknown_school_anonymous_and_other_purposes(
    client: httpx.AsyncClient, auth: AuthHeaders, school: School, mis: dict[str, str]
) -> None:
    missing = auth("mis_integration", school_urns=(999998,))
    assert_problem(await put_roll(client, 999998, roll(), missing), 404)
    assert_problem(await put_roll(client, school.urn, roll(), {}), 401)
    other_purpose = {**mis, "KPAS-Purpose": "intervention"}
    assert_problem(await put_roll(client, school.urn, roll(), other_purpose), 403)


# --- idempotency and size -------------------------------------------------------------------


async def test_an_idempotency_key_replays_the_first_response(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    body = roll(pupil_row())
    keyed = {**mis, "Idempotency-Key": "roll-2026-11-27"}
    first = await put_roll(client, school.urn, body, keyed)
    assert first.status_code == 200, first.text
    counts = await row_counts(session)
    replay = await put_roll(client, school.urn, body, keyed)
    assert replay.status_code == 200
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()  # the first response: joined 1
    assert await row_counts(session) == counts
    changed = await put_roll(client, school.urn, roll(pupil_row()), keyed)
    assert assert_problem(changed, 422)["type"].endswith("idempotency-key-reused")


async def test_a_large_schools_roll_fits_and_an_oversized_body_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, school: School, mis: dict[str, str]
) -> None:
    pupils = [
        pupil_row(
            # Different dates of birth: 2,000 identical pupils would all be possible duplicates.
            date_of_birth=(date(2010, 9, 1) + timedelta(days=n)).isoformat(),
            email=f"pupil{n}@example.org",
            phone="07700 900123",
            carers=[carer_row(), carer_row(forename="Jo", relationship="father")],
        )
        for n in range(2000)
    ]
    content = json.dumps(roll(*pupils)).encode()
    assert len(content) > 1_048_576  # over the default body limit
    response = await client.put(
        f"/v1/schools/{school.urn}/roll",
        content=content,
        headers={**mis, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    assert (response.json()["joined"], response.json()["carers_created"]) == (2000, 4000)
    too_big = await client.put(
        f"/v1/schools/{school.urn}/roll",
        content=b" " * (20 * 1024 * 1024),  # far beyond any school's roll
        headers={**mis, "Content-Type": "application/json"},
    )
    assert_problem(too_big, 413)
