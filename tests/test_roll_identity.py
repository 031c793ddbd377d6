"""A school's roll never takes over another school's pupil.

A UPN follows a child between schools, so a roll finds records by UPN county-wide; but a row is
linked to a record only when its identity is corroborated (date of birth, and legal forename
and surname by name key) and the record is on no other school's roll. Otherwise the row becomes
the school's own record, flagged as a possible duplicate; and for a pupil on two schools'
rolls, what one school's roll would change is held in a roll review for a person.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.attendance import AttendanceMark
from app.models.people import (
    Carer,
    CarerRelationship,
    DuplicateReason,
    Enrolment,
    EnrolmentSource,
    Gender,
    PossibleDuplicate,
    Pupil,
)
from app.models.roll_reviews import RollReview, RollReviewStatus
from app.models.schools import School, SchoolStatus
from app.models.subjects import DataSubject
from app.rules.kent import District
from app.rules.retention import pupil_retain_until
from tests.attendance_support import AM, write_marks
from tests.conftest import AuthHeaders
from tests.factories import (
    assert_problem,
    make_carer,
    make_pupil,
    make_school,
    make_upn,
    manager_headers,
)

AS_OF = date(2026, 11, 27)
BORN = date(2014, 5, 17)
ADDRESS = ["1 Synthetic Street", "Dover"]
#: A school day under the 2024 code set, while everyone here is on roll.
MARK_DAY = date(2025, 11, 24)
REVIEWS = "/v1/roll-reviews"


# --- building rolls ---------------------------------------------------------------------------


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


def pupil_row(upn: str, **overrides: Any) -> dict[str, Any]:
    """A row that matches, field for field, the pupil ``a_pupil`` builds."""
    row: dict[str, Any] = {
        "upn": upn,
        "legal_forename": "Alex",
        "legal_surname": "Example",
        "date_of_birth": BORN.isoformat(),
        "gender": "female",
        "address_lines": ADDRESS,
        "postcode": "CT16 1AA",
        "on_roll_from": "2024-09-01",
        "carers": [carer_row()],
    }
    row.update(overrides)
    return row


def hostile_row(upn: str, **overrides: Any) -> dict[str, Any]:
    """Another school's pupil's UPN with made-up identity and carers."""
    made_up: dict[str, Any] = {
        "legal_forename": "Mallory",
        "legal_surname": "Madeup",
        "date_of_birth": "2013-01-01",
        "gender": "male",
        "address_lines": ["9 Invented Road"],
        "postcode": "ME14 1XQ",
        "phone": "07700 900666",
        "carers": [
            carer_row(
                forename="Eve", surname="Madeup", phone="07700 900667", email="eve@example.org"
            )
        ],
    }
    return pupil_row(upn, **{**made_up, **overrides})


def roll(*pupils: dict[str, Any]) -> dict[str, Any]:
    return {"as_of": AS_OF.isoformat(), "pupils": list(pupils)}


async def push(
    client: httpx.AsyncClient, school: School, headers: dict[str, str], *rows: dict[str, Any]
) -> dict[str, Any]:
    response = await client.put(f"/v1/schools/{school.urn}/roll", json=roll(*rows), headers=headers)
    assert response.status_code == 200, response.text
    summary: dict[str, Any] = response.json()
    return summary


# --- reading what is stored -------------------------------------------------------------------


async def reload(session: AsyncSession, pupil: Pupil) -> Pupil:
    found = await session.get(Pupil, pupil.id, populate_existing=True)
    assert found is not None
    return found


async def retain_until(session: AsyncSession, subject_id: uuid.UUID) -> date | None:
    subject = await session.get(DataSubject, subject_id, populate_existing=True)
    assert subject is not None
    return subject.retain_until


async def identity(session: AsyncSession, pupil: Pupil) -> tuple[Any, ...]:
    stored = await reload(session, pupil)
    return (
        stored.legal_forename,
        stored.legal_surname,
        stored.date_of_birth,
        stored.gender,
        stored.address_lines,
        stored.postcode,
        stored.phone,
        stored.version,
        await retain_until(session, stored.subject_id),
    )


async def carers_of(session: AsyncSession, pupil_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await session.execute(
        select(CarerRelationship, Carer)
        .join(Carer, Carer.id == CarerRelationship.carer_id)
        .where(CarerRelationship.pupil_id == pupil_id)
        .order_by(Carer.forename)
        .execution_options(populate_existing=True)
    )
    return [
        (
            c.id,
            c.forename,
            c.surname,
            c.phone,
            c.email,
            c.version,
            r.relationship_type,
            r.contact_priority,
            r.version,
        )
        for r, c in rows
    ]


async def enrolments_of(session: AsyncSession, pupil_id: uuid.UUID) -> list[tuple[Any, ...]]:
    rows = await session.scalars(
        select(Enrolment)
        .where(Enrolment.pupil_id == pupil_id)
        .order_by(Enrolment.school_urn, Enrolment.on_roll_from)
        .execution_options(populate_existing=True)
    )
    return [(e.school_urn, e.on_roll_from, e.off_roll_on) for e in rows]


async def records_with_upn(session: AsyncSession, upn: str) -> list[Pupil]:
    return list(
        await session.scalars(
            select(Pupil)
            .where(Pupil.upn == upn)
            .order_by(Pupil.created_at, Pupil.id)
            .execution_options(populate_existing=True)
        )
    )


async def pair_of(
    session: AsyncSession, first: uuid.UUID, second: uuid.UUID
) -> PossibleDuplicate | None:
    a, b = sorted([first, second])
    return await session.scalar(
        select(PossibleDuplicate)
        .where(PossibleDuplicate.first_id == a, PossibleDuplicate.second_id == b)
        .execution_options(populate_existing=True)
    )


async def roll_event(session: AsyncSession, school: School) -> AuditEvent:
    """The latest roll push's audit event for ``school``."""
    event = await session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == "school_roll.replaced",
            AuditEvent.resource_id == str(school.urn),
        )
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    )
    assert event is not None
    return event


async def reviews_of(session: AsyncSession, pupil_id: uuid.UUID) -> list[RollReview]:
    return list(
        await session.scalars(
            select(RollReview)
            .where(RollReview.pupil_id == pupil_id)
            .order_by(RollReview.created_at)
            .execution_options(populate_existing=True)
        )
    )


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
async def school_a(session: AsyncSession) -> School:
    return await make_school(session, name="Alpha Primary School")


@pytest.fixture
async def school_b(session: AsyncSession) -> School:
    return await make_school(session, name="Bravo Pupil Referral Unit")


@pytest.fixture
def mis_b(auth: AuthHeaders, school_b: School) -> dict[str, str]:
    return auth("mis_integration", subject="mis-b", school_urns=(school_b.urn,))


@pytest.fixture
def staff_b(auth: AuthHeaders, school_b: School) -> dict[str, str]:
    return auth(
        "school_staff", subject="staff-b", school_urns=(school_b.urn,), purpose="attendance_duty"
    )


@pytest.fixture
def manager(auth: AuthHeaders) -> dict[str, str]:
    """An attendance manager of the schools' area team (Dover is in the south)."""
    return manager_headers(auth, area_team="south")


@pytest.fixture
async def a_pupil(session: AsyncSession, school_a: School) -> Pupil:
    """School A's pupil, with their mother as carer."""
    pupil = await make_pupil(
        session,
        school=school_a,
        gender=Gender.FEMALE,
        address_lines=ADDRESS,
        date_of_birth=BORN,
    )
    await make_carer(
        session, pupil=pupil, title="Ms", phone="+447700900123", email="sam@example.org"
    )
    return pupil


# --- the takeover -------------------------------------------------------------------------------


async def test_a_roll_with_another_schools_upn_never_takes_over_that_pupil(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    school_a: School,
    school_b: School,
    a_pupil: Pupil,
    mis_b: dict[str, str],
    staff_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert a_pupil.upn is not None
    await write_marks(
        session, pupil_id=a_pupil.id, school_urn=school_a.urn, marks={(MARK_DAY, AM): "/"}
    )
    before = await identity(session, a_pupil)
    carers_before = await carers_of(session, a_pupil.id)
    enrolments_before = await enrolments_of(session, a_pupil.id)
    summary_path = f"/v1/schools/{school_a.urn}/attendance/summary"
    period = {"from": "2025-09-01", "to": "2025-12-19"}
    figures_before = (await client.get(summary_path, params=period, headers=manager)).json()

    taken = await push(client, school_b, mis_b, hostile_row(a_pupil.upn))

    # What the school is told: the row joined its roll and is held for review; nothing else.
    assert taken == {
        "as_of": AS_OF.isoformat(),
        "pupils_on_roll": 1,
        "joined": 1,
        "updated": 0,
        "unchanged": 0,
        "held_for_review": 1,
        "left": 0,
        "carers_created": 1,
        "carers_updated": 0,
    }
    # A brand-new UPN's row, from a third school, reads the same but for the hold.
    school_c = await make_school(session)
    mis_c = auth("mis_integration", subject="mis-c", school_urns=(school_c.urn,))
    fresh = await push(client, school_c, mis_c, hostile_row(make_upn(), legal_forename="Morgan"))
    assert set(fresh) == set(taken)
    assert {k: v for k, v in fresh.items() if k != "held_for_review"} == {
        k: v for k, v in taken.items() if k != "held_for_review"
    }
    assert (fresh["held_for_review"], taken["held_for_review"]) == (0, 1)

    # The other school's pupil is untouched: identity, retention, carers, enrolments.
    assert await identity(session, a_pupil) == before
    assert before[-1] == pupil_retain_until(BORN)
    assert await carers_of(session, a_pupil.id) == carers_before
    assert await enrolments_of(session, a_pupil.id) == enrolments_before

    # The pushing school's row is a record of its own, on its roll, with its own carers...
    a_record, b_record = await records_with_upn(session, a_pupil.upn)
    assert a_record.id == a_pupil.id
    assert (b_record.legal_forename, b_record.date_of_birth) == ("Mallory", date(2013, 1, 1))
    assert await enrolments_of(session, b_record.id) == [(school_b.urn, date(2024, 9, 1), None)]
    assert [c[1] for c in await carers_of(session, b_record.id)] == ["Eve"]
    # ... flagged as a possible duplicate of the other school's pupil, for a person.
    pair = await pair_of(session, a_pupil.id, b_record.id)
    assert pair is not None and pair.reason is DuplicateReason.ROLL_IDENTITY_UNCONFIRMED

    # The pushing school's staff cannot reach the other school's pupil; they see their own.
    for path in ("", "/carers", "/attendance"):
        response = await client.get(f"/v1/pupils/{a_pupil.id}{path}", headers=staff_b)
        assert_problem(response, 404)
    found = await client.get("/v1/pupils", params={"upn": a_pupil.upn}, headers=staff_b)
    assert [p["id"] for p in found.json()["items"]] == [str(b_record.id)]
    assert str(a_pupil.id) not in found.text

    # The pushing school's marks land on its own record; the other school's are unchanged.
    marks = {
        "marks": [
            {
                "school_urn": school_b.urn,
                "upn": a_pupil.upn,
                "date": MARK_DAY.isoformat(),
                "session": "AM",
                "code": "O",
            }
        ]
    }
    imported = await client.post("/v1/attendance/imports", json=marks, headers=mis_b)
    assert imported.status_code == 201, imported.text
    stored = await session.execute(
        select(AttendanceMark.pupil_id, AttendanceMark.school_urn, AttendanceMark.code)
        .where(AttendanceMark.pupil_id.in_([a_pupil.id, b_record.id]))
        .execution_options(populate_existing=True)
    )
    assert sorted(map(tuple, stored), key=str) == sorted(
        [(a_pupil.id, school_a.urn, "/"), (b_record.id, school_b.urn, "O")], key=str
    )
    figures_after = (await client.get(summary_path, params=period, headers=manager)).json()
    assert figures_after == figures_before

    # The audit events count each kind of row, with no personal data.
    counted = ("rows_unconfirmed", "rows_new", "held_for_review", "possible_duplicates")
    pushed_b = (await roll_event(session, school_b)).details
    pushed_c = (await roll_event(session, school_c)).details
    assert [pushed_b[k] for k in counted] == [1, 0, 1, 1]
    assert [pushed_c[k] for k in counted] == [0, 1, 0, 0]
    assert "Mallory" not in str(pushed_b) and a_pupil.upn not in str(pushed_b)


async def test_a_second_push_with_other_carer_details_never_changes_the_real_carers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    a_pupil: Pupil,
    mis_b: dict[str, str],
) -> None:
    assert a_pupil.upn is not None
    carers_before = await carers_of(session, a_pupil.id)
    before = await identity(session, a_pupil)
    await push(client, school_b, mis_b, hostile_row(a_pupil.upn))
    # Now the real carer's name, with the pusher's contact details.
    second = hostile_row(
        a_pupil.upn,
        carers=[
            carer_row(phone="07700 900666", email="eve@example.org"),
            carer_row(forename="Eve", surname="Madeup", phone="07700 900668"),
        ],
    )
    summary = await push(client, school_b, mis_b, second)
    # The row is the pushing school's own record now: applied to that record only.
    assert (summary["joined"], summary["updated"], summary["held_for_review"]) == (0, 1, 0)
    assert await carers_of(session, a_pupil.id) == carers_before
    assert await identity(session, a_pupil) == before
    _, b_record = await records_with_upn(session, a_pupil.upn)
    assert [(c[1], c[3]) for c in await carers_of(session, b_record.id)] == [
        ("Eve", "+447700900668"),
        ("Sam", "+447700900666"),
    ]


# --- transfers ----------------------------------------------------------------------------------


async def test_a_pupil_off_another_roll_with_matching_identity_transfers_in(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_a: School,
    school_b: School,
    mis_b: dict[str, str],
    staff_b: dict[str, str],
) -> None:
    left = await make_pupil(
        session,
        school=school_a,
        off_roll_on=date(2026, 7, 22),
        legal_forename="Zoë",
        legal_surname="O'Neill",
        gender=Gender.FEMALE,
        date_of_birth=BORN,
    )
    assert left.upn is not None
    await make_carer(session, pupil=left, phone="+447700900123")
    row = pupil_row(
        left.upn,
        legal_forename="ZOE",
        legal_surname="o\u2019neill",
        on_roll_from="2026-09-02",
        carers=[carer_row(phone="07700 900124")],
    )
    summary = await push(client, school_b, mis_b, row)
    assert (summary["joined"], summary["held_for_review"], summary["carers_updated"]) == (1, 0, 1)

    [pupil] = await records_with_upn(session, left.upn)
    assert pupil.id == left.id
    assert (pupil.legal_forename, pupil.legal_surname) == ("ZOE", "o\u2019neill")  # as sent
    assert await enrolments_of(session, left.id) == [
        (school_a.urn, date(2024, 9, 1), date(2026, 7, 22)),
        (school_b.urn, date(2026, 9, 2), None),
    ]
    [carer] = await carers_of(session, left.id)
    assert carer[3] == "+447700900124"
    assert (await client.get(f"/v1/pupils/{left.id}", headers=staff_b)).status_code == 200
    event = await roll_event(session, school_b)
    assert (event.details["rows_transfer_in"], event.details["possible_duplicates"]) == (1, 0)


async def test_a_closed_schools_pupil_with_matching_identity_transfers_in(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    mis_b: dict[str, str],
) -> None:
    # An academy conversion: the old URN closes with its pupils' stays still open.
    closed = await make_school(session, status=SchoolStatus.CLOSED)
    pupil = await make_pupil(session, school=closed, gender=Gender.FEMALE, address_lines=ADDRESS)
    assert pupil.upn is not None
    summary = await push(client, school_b, mis_b, pupil_row(pupil.upn, carers=[]))
    assert (summary["joined"], summary["held_for_review"]) == (1, 0)
    assert [p.id for p in await records_with_upn(session, pupil.upn)] == [pupil.id]
    assert (school_b.urn, date(2024, 9, 1), None) in await enrolments_of(session, pupil.id)


async def test_a_pupil_on_another_roll_with_matching_identity_is_held_as_a_possible_duplicate(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    a_pupil: Pupil,
    mis_b: dict[str, str],
) -> None:
    assert a_pupil.upn is not None
    before = await identity(session, a_pupil)
    summary = await push(client, school_b, mis_b, pupil_row(a_pupil.upn, carers=[]))
    assert (summary["joined"], summary["held_for_review"]) == (1, 1)
    assert await identity(session, a_pupil) == before
    _, b_record = await records_with_upn(session, a_pupil.upn)
    pair = await pair_of(session, a_pupil.id, b_record.id)
    assert pair is not None and pair.reason is DuplicateReason.ROLL_IDENTITY_MATCHED


# --- dual registration and roll reviews ---------------------------------------------------------


async def test_dual_registration_is_linked_by_a_person_then_changes_wait_for_review(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_a: School,
    school_b: School,
    a_pupil: Pupil,
    mis_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert a_pupil.upn is not None
    # B's roll names A's pupil (a PRU place): the rows are kept apart until a person links them.
    first = await push(client, school_b, mis_b, pupil_row(a_pupil.upn, carers=[]))
    assert (first["joined"], first["held_for_review"]) == (1, 1)
    _, b_record = await records_with_upn(session, a_pupil.upn)
    pair = await pair_of(session, a_pupil.id, b_record.id)
    assert pair is not None and pair.reason is DuplicateReason.ROLL_IDENTITY_MATCHED

    etag = (await client.get(f"/v1/pupils/{a_pupil.id}", headers=manager)).headers["etag"]
    merged = await client.post(
        f"/v1/pupils/{a_pupil.id}/merge",
        json={"duplicate_id": str(pair.id), "merge_from": str(b_record.id)},
        headers={**manager, "If-Match": etag},
    )
    assert merged.status_code == 200, merged.text
    assert [urn for urn, _, off in await enrolments_of(session, a_pupil.id) if off is None] == [
        school_a.urn,
        school_b.urn,
    ]

    # Now on both rolls: B's differing names, contact details and carers wait for review.
    before = await identity(session, a_pupil)
    carers_before = await carers_of(session, a_pupil.id)
    changed = pupil_row(
        a_pupil.upn,
        legal_surname="Sample",
        phone="07700 900999",
        carers=[
            carer_row(phone="07700 900124"),
            carer_row(forename="Jo", relationship="father", contact_priority=2),
        ],
    )
    held = await push(client, school_b, mis_b, changed)
    assert (held["held_for_review"], held["updated"], held["unchanged"], held["joined"]) == (
        1,
        0,
        0,
        0,
    )
    assert (held["carers_created"], held["carers_updated"]) == (0, 0)
    assert await identity(session, a_pupil) == before
    assert await carers_of(session, a_pupil.id) == carers_before
    [review] = await reviews_of(session, a_pupil.id)
    assert (review.school_urn, review.status, review.subject_id) == (
        school_b.urn,
        RollReviewStatus.OPEN,
        a_pupil.subject_id,
    )
    opened = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "roll_review.opened")
    )
    assert opened is not None
    assert (opened.resource_id, opened.subject_id) == (str(review.id), a_pupil.subject_id)
    assert opened.details["pupil_fields"] == "legal_surname,phone"
    assert "Sample" not in str(opened.details)

    # The same roll again replaces nothing: one open review per pupil and school.
    again = await push(client, school_b, mis_b, changed)
    assert again["held_for_review"] == 1
    assert [r.id for r in await reviews_of(session, a_pupil.id)] == [review.id]

    listed = await client.get(REVIEWS, params={"status": "open"}, headers=manager)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()["items"]
    assert (item["id"], item["held_fields"], item["held_carers"]) == (
        str(review.id),
        ["legal_surname", "phone"],
        2,
    )
    assert "Sample" not in listed.text  # values only in the review itself

    read = await client.get(f"{REVIEWS}/{review.id}", headers=manager)
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["pupil"] == [
        {"field": "legal_surname", "sent": "Sample", "held_then": "Example", "held_now": "Example"},
        {"field": "phone", "sent": "+447700900999", "held_then": None, "held_now": None},
    ]
    sam, jo = body["carers"]
    assert (sam["forename"], sam["fields"]) == (
        "Sam",
        [
            {
                "field": "phone",
                "sent": "+447700900124",
                "held_then": "+447700900123",
                "held_now": "+447700900123",
            }
        ],
    )
    assert (jo["carer_id"], jo["forename"]) == (None, "Jo")

    accepted = await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    stored = await reload(session, a_pupil)
    assert (stored.legal_surname, stored.surname_key, stored.phone) == (
        "Sample",
        "sample",
        "+447700900999",
    )
    carers = await carers_of(session, a_pupil.id)
    assert [(c[1], c[3]) for c in carers] == [("Jo", "+447700900123"), ("Sam", "+447700900124")]
    event = await session.scalar(
        select(AuditEvent).where(AuditEvent.action == "roll_review.accepted")
    )
    assert event is not None
    assert (event.resource_id, event.subject_id) == (str(review.id), a_pupil.subject_id)
    assert event.details["pupil_fields"] == "legal_surname,phone"
    assert "Sample" not in str(event.details)

    twice = await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager)
    assert_problem(twice, 409)
    # What was accepted is what B's roll says: its next push holds nothing.
    settled = await push(client, school_b, mis_b, changed)
    assert (settled["held_for_review"], settled["unchanged"]) == (0, 1)


@pytest.fixture
async def dual(session: AsyncSession, a_pupil: Pupil, school_b: School) -> Pupil:
    """School A's pupil, on school B's roll too (already linked by a person)."""
    session.add(
        Enrolment(
            pupil_id=a_pupil.id,
            school_urn=school_b.urn,
            on_roll_from=date(2025, 1, 6),
            source=EnrolmentSource.MANUAL,
        )
    )
    await session.flush()
    return a_pupil


async def test_rejecting_a_review_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert dual.upn is not None
    before = await identity(session, dual)
    carers_before = await carers_of(session, dual.id)
    row = pupil_row(
        dual.upn,
        on_roll_from="2025-01-06",
        legal_forename="Alexandra",
        date_of_birth="2014-05-18",
        carers=[carer_row(email="other@example.org")],
    )
    summary = await push(client, school_b, mis_b, row)
    assert summary["held_for_review"] == 1
    [review] = await reviews_of(session, dual.id)
    assert set(review.pupil_changes) == {"legal_forename", "date_of_birth"}

    rejected = await client.post(f"{REVIEWS}/{review.id}/reject", headers=manager)
    assert rejected.status_code == 200, rejected.text
    assert (rejected.json()["status"], rejected.json()["resolved_by"]) == ("rejected", "tester-1")
    assert await identity(session, dual) == before
    assert await carers_of(session, dual.id) == carers_before
    assert_problem(await client.post(f"{REVIEWS}/{review.id}/reject", headers=manager), 409)
    assert_problem(await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager), 409)

    # The school still sends it: its next roll opens a new review.
    await push(client, school_b, mis_b, row)
    statuses = [r.status for r in await reviews_of(session, dual.id)]
    assert statuses == [RollReviewStatus.REJECTED, RollReviewStatus.OPEN]


async def test_an_accepted_date_of_birth_moves_the_retention_dates(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert dual.upn is not None
    [carer_id, *_] = (await carers_of(session, dual.id))[0]
    carer = await session.get(Carer, carer_id)
    assert carer is not None
    corrected = date(2014, 9, 2)
    row = pupil_row(dual.upn, on_roll_from="2025-01-06", date_of_birth=corrected.isoformat())
    await push(client, school_b, mis_b, row)
    assert await retain_until(session, dual.subject_id) == pupil_retain_until(BORN)  # held
    [review] = await reviews_of(session, dual.id)
    accepted = await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager)
    assert accepted.status_code == 200, accepted.text
    assert (await reload(session, dual)).date_of_birth == corrected
    assert await retain_until(session, dual.subject_id) == pupil_retain_until(corrected)
    # Carers are kept at least as long as their pupil.
    assert await retain_until(session, carer.subject_id) == pupil_retain_until(corrected)


async def test_a_review_whose_record_changed_since_is_not_accepted(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert dual.upn is not None
    row = pupil_row(dual.upn, on_roll_from="2025-01-06", legal_surname="Sample", carers=[])
    await push(client, school_b, mis_b, row)
    [review] = await reviews_of(session, dual.id)
    etag = (await client.get(f"/v1/pupils/{dual.id}", headers=manager)).headers["etag"]
    patched = await client.patch(
        f"/v1/pupils/{dual.id}",
        json={"legal_surname": "Specimen"},
        headers={**manager, "If-Match": etag},
    )
    assert patched.status_code == 200, patched.text

    body = (await client.get(f"{REVIEWS}/{review.id}", headers=manager)).json()
    assert body["pupil"] == [
        {"field": "legal_surname", "sent": "Sample", "held_then": "Example", "held_now": "Specimen"}
    ]
    refused = assert_problem(
        await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager), 409
    )
    assert "legal_surname" in str(refused["detail"])
    assert (await reload(session, dual)).legal_surname == "Specimen"
    [review] = await reviews_of(session, dual.id)
    assert review.status is RollReviewStatus.OPEN


async def test_a_review_is_withdrawn_when_the_roll_no_longer_sends_its_changes(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
) -> None:
    assert dual.upn is not None
    same = pupil_row(dual.upn, on_roll_from="2025-01-06")
    await push(client, school_b, mis_b, {**same, "phone": "07700 900999"})
    summary = await push(client, school_b, mis_b, same)
    assert (summary["held_for_review"], summary["unchanged"]) == (0, 1)
    [review] = await reviews_of(session, dual.id)
    assert (review.status, review.resolved_by) == (RollReviewStatus.WITHDRAWN, "mis-b")
    assert (await roll_event(session, school_b)).details["reviews_withdrawn"] == 1


async def test_the_enrolments_dates_of_a_dual_registered_pupil_still_apply(
    client: httpx.AsyncClient,
    session: AsyncSession,
    school_a: School,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
) -> None:
    assert dual.upn is not None
    summary = await push(client, school_b, mis_b, pupil_row(dual.upn, on_roll_from="2025-02-03"))
    assert (summary["updated"], summary["held_for_review"]) == (1, 0)
    assert await enrolments_of(session, dual.id) == [
        (school_a.urn, date(2024, 9, 1), None),
        (school_b.urn, date(2025, 2, 3), None),
    ]
    assert await reviews_of(session, dual.id) == []


# --- who may see and resolve roll reviews -------------------------------------------------------


async def test_roll_reviews_are_for_the_schools_area_team_and_governance(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
    staff_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert dual.upn is not None
    row = pupil_row(dual.upn, on_roll_from="2025-01-06", legal_surname="Sample", carers=[])
    await push(client, school_b, mis_b, row)
    [review] = await reviews_of(session, dual.id)
    one = f"{REVIEWS}/{review.id}"
    routes = [("GET", REVIEWS), ("GET", one), ("POST", f"{one}/reject"), ("POST", f"{one}/accept")]

    for method, path in routes:
        assert_problem(await client.request(method, path), 401)

    elsewhere = manager_headers(auth, area_team="north")
    assert (await client.get(REVIEWS, headers=elsewhere)).json()["items"] == []
    for method, path in routes[1:]:
        assert_problem(await client.request(method, path, headers=elsewhere), 404)

    for role, purpose in (("school_staff", "attendance_duty"), ("mis_integration", None)):
        headers = auth(role, school_urns=(school_b.urn,), purpose=purpose)
        for method, path in routes:
            refused = assert_problem(await client.request(method, path, headers=headers), 403)
            assert refused["policy"]["rule"]

    governance = auth("information_governance", purpose="subject_rights")
    assert [i["id"] for i in (await client.get(REVIEWS, headers=governance)).json()["items"]] == [
        str(review.id)
    ]
    by_school = await client.get(
        REVIEWS, params={"school_urn": school_b.urn + 1}, headers=governance
    )
    assert by_school.json()["items"] == []
    retention = auth("information_governance", purpose="retention_management")
    assert (await client.get(one, headers=retention)).status_code == 200
    assert_problem(await client.post(f"{one}/reject", headers=retention), 403)

    assert (await client.get(one, headers=manager)).status_code == 200
    rejected = await client.post(f"{one}/reject", headers=governance)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["resolved_by"] == "tester-1"


async def test_a_restricted_pupils_review_is_withheld_from_managers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    auth: AuthHeaders,
    school_b: School,
    dual: Pupil,
    mis_b: dict[str, str],
    manager: dict[str, str],
) -> None:
    assert dual.upn is not None
    row = pupil_row(dual.upn, on_roll_from="2025-01-06", legal_surname="Sample", carers=[])
    await push(client, school_b, mis_b, row)
    [review] = await reviews_of(session, dual.id)
    subject = await session.get(DataSubject, dual.subject_id)
    assert subject is not None
    subject.restricted_since = subject.created_at
    await session.flush()
    assert_problem(await client.get(f"{REVIEWS}/{review.id}", headers=manager), 404)
    assert_problem(await client.post(f"{REVIEWS}/{review.id}/accept", headers=manager), 404)
    # Restricted: the next roll neither withdraws nor replaces what is held.
    summary = await push(client, school_b, mis_b, pupil_row(dual.upn, on_roll_from="2025-01-06"))
    assert (summary["unchanged"], summary["held_for_review"]) == (1, 0)
    [review] = await reviews_of(session, dual.id)
    assert review.status is RollReviewStatus.OPEN


# --- closed schools -----------------------------------------------------------------------------


async def test_a_closed_schools_roll_is_refused_and_nothing_changes(
    client: httpx.AsyncClient, session: AsyncSession, auth: AuthHeaders
) -> None:
    closed = await make_school(session, status=SchoolStatus.CLOSED, district=District.THANET)
    on_roll = await make_pupil(session, school=closed)
    mis = auth("mis_integration", subject="mis-closed", school_urns=(closed.urn,))
    counted = select(func.count()).select_from(Pupil)
    pupils = await session.scalar(counted)
    response = await client.put(
        f"/v1/schools/{closed.urn}/roll", json=roll(pupil_row(make_upn())), headers=mis
    )
    body = assert_problem(response, 409)
    assert body["errors"][0]["code"] == "school_closed"
    assert await session.scalar(counted) == pupils
    assert await enrolments_of(session, on_roll.id) == [(closed.urn, date(2024, 9, 1), None)]
    replaced = await session.scalar(
        select(func.count()).where(
            AuditEvent.action == "school_roll.replaced", AuditEvent.resource_id == str(closed.urn)
        )
    )
    assert replaced == 0
