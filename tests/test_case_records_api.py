"""What officers record on a case, over HTTP: the chronology (notes and contacts, never
edited), meetings and their invitations, attendance contracts, and the messages sent on it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import AuditEvent
from app.models.cases import (
    AttendanceContract,
    CaseEvent,
    CaseEventKind,
    CaseMeeting,
    CaseStage,
)
from app.models.messages import MessageStatus, OutboundMessage
from app.rules.kent import District
from tests.case_support import CASE_URN, CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil, make_school

OPENED = date.today() - timedelta(days=40)


@pytest.fixture
async def world(session: AsyncSession) -> CaseWorld:
    """A case opened 40 days ago, assigned to the officer, whose parent has a postal address."""
    school = await make_school(session, urn=CASE_URN, district=District.THANET)  # east
    pupil = await make_pupil(session, school=school, legal_forename="Isla")
    carer = await make_carer(
        session, pupil=pupil, address_lines=["1 High Street", "Margate"], postcode="CT9 1AA"
    )
    return await make_case(session, school=school, pupil=pupil, carer=carer, opened_on=OPENED)


@pytest.fixture
def officer(auth: AuthHeaders) -> dict[str, str]:
    return officer_headers(auth)


def url(world: CaseWorld, *rest: object) -> str:
    return "/".join([f"/v1/cases/{world.case.id}", *(str(r) for r in rest)])


def ago(days: float = 0, hours: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days, hours=hours)).isoformat()


async def count(session: AsyncSession, model: Any, *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def the_day_before_opening() -> str:
    """Noon UTC the day before the case opened: before it on any clock, in London too
    (``ago(days=41)`` falls on the opening day in London late in a summer-time evening)."""
    return datetime.combine(OPENED - timedelta(days=1), time(12), tzinfo=UTC).isoformat()


def note(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": "note", "occurred_at": ago(days=1), "text": "Spoke to mum."}
    return {**body, **overrides}


def meeting_body(world: CaseWorld, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "kind": "attendance_meeting",
        "scheduled_for": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        "location": "Meeting room 2",
        "invited_carer_ids": [str(world.carer.id)],
    }
    return {**body, **overrides}


def contract_body(world: CaseWorld, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "agreed_on": (date.today() - timedelta(days=2)).isoformat(),
        "review_on": (date.today() + timedelta(days=40)).isoformat(),
        "carer_ids": [str(world.carer.id)],
        "actions": [
            {"by": "parent", "action": "Bring Isla to school by 08:40."},
            {"by": "school", "action": "A daily check-in."},
        ],
    }
    return {**body, **overrides}


# --- the chronology --------------------------------------------------------------------------


class TestChronology:
    async def test_entries_come_in_the_order_they_happened_across_pages(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        # Recorded out of order: a visit 3 days ago is written after a call yesterday.
        for days, kind in ((1, "phone_call"), (10, "home_visit"), (3, "school_contact")):
            response = await client.post(
                url(world, "events"),
                json=note(kind=kind, occurred_at=ago(days=days), text=f"{kind} entry"),
                headers=officer,
            )
            assert response.status_code == 201, response.text
            assert response.headers["location"] == url(world, "events", response.json()["id"])
            assert response.headers["etag"]

        seen: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, object] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = await client.get(url(world, "events"), params=params, headers=officer)
            assert page.status_code == 200, page.text
            seen += page.json()["items"]
            cursor = page.json()["next_cursor"]
            if cursor is None:
                break
        # The case's opening entry was written "now": it comes last.
        assert [e["kind"] for e in seen] == ["home_visit", "school_contact", "phone_call", "opened"]
        assert [e["occurred_at"] for e in seen] == sorted(e["occurred_at"] for e in seen)
        assert seen[0]["text"] == "home_visit entry" and seen[0]["recorded_by"] == "officer-1"

        only = await client.get(url(world, "events"), params={"kind": "opened"}, headers=officer)
        assert [e["kind"] for e in only.json()["items"]] == ["opened"]

        one = await client.get(url(world, "events", seen[0]["id"]), headers=officer)
        assert one.status_code == 200 and one.json() == seen[0] and one.headers["etag"]

        recorded = (
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "case.event_recorded")
            )
        ).all()
        assert len(recorded) == 3
        assert all(set(d) == {"case_id", "kind", "corrects_id"} for d in recorded)  # ids only

    async def test_a_note_dated_in_the_future_is_refused_and_nothing_is_written(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        before = await count(session, CaseEvent)
        refusals = [
            ("/occurred_at", note(occurred_at=ago(hours=-1))),  # an hour ahead
            ("/occurred_at", note(occurred_at=the_day_before_opening())),
            ("/kind", note(kind="stage_changed")),  # the service writes those
            ("/text", note(text="   ")),
        ]
        for pointer, body in refusals:
            response = await client.post(url(world, "events"), json=body, headers=officer)
            problem = assert_problem(response, 422)
            assert pointer in {e["pointer"] for e in problem["errors"]}  # type: ignore[union-attr]
        assert await count(session, CaseEvent) == before
        assert await count(session, AuditEvent, AuditEvent.action == "case.event_recorded") == 0

    async def test_a_correction_names_an_earlier_entry_of_the_same_case(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        first = await client.post(url(world, "events"), json=note(), headers=officer)
        other = await make_case(session, school=world.school)  # another case, same officer
        foreign = (
            await session.scalars(select(CaseEvent.id).where(CaseEvent.case_id == other.case.id))
        ).first()

        wrong = await client.post(
            url(world, "events"), json=note(corrects_id=str(foreign)), headers=officer
        )
        assert assert_problem(wrong, 422)["errors"][0]["code"] == "unknown_entry"  # type: ignore[index]

        corrected = await client.post(
            url(world, "events"),
            json=note(text="It was dad, not mum.", corrects_id=first.json()["id"]),
            headers=officer,
        )
        assert corrected.status_code == 201, corrected.text
        assert corrected.json()["corrects_id"] == first.json()["id"]
        original = await client.get(url(world, "events", first.json()["id"]), headers=officer)
        assert original.json()["text"] == "Spoke to mum."  # never edited

    async def test_nothing_more_is_recorded_on_a_closed_case(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        closed = await make_case(session, school=world.school, stage=CaseStage.CLOSED)
        response = await client.post(url(closed, "events"), json=note(), headers=officer)
        assert_problem(response, 409)


# --- who may see it ----------------------------------------------------------------------------


def every_route(world: CaseWorld) -> list[tuple[str, str, dict[str, Any] | None]]:
    some = uuid.uuid4()
    return [
        ("GET", url(world, "events"), None),
        ("POST", url(world, "events"), note()),
        ("GET", url(world, "events", some), None),
        ("GET", url(world, "chronology"), None),
        ("POST", url(world, "meetings"), meeting_body(world)),
        ("GET", url(world, "meetings"), None),
        ("GET", url(world, "meetings", some), None),
        ("PATCH", url(world, "meetings", some), {"location": "Elsewhere"}),
        ("POST", url(world, "attendance-contracts"), contract_body(world)),
        ("GET", url(world, "attendance-contracts"), None),
        ("GET", url(world, "attendance-contracts", some), None),
        ("PATCH", url(world, "attendance-contracts", some), {"status": "ended"}),
        ("POST", url(world, "documents"), None),
        ("GET", url(world, "documents"), None),
        ("GET", url(world, "documents", some), None),
        ("GET", url(world, "documents", some, "content"), None),
        ("GET", url(world, "messages"), None),
    ]


class TestNeedToKnow:
    async def test_an_officer_of_another_team_gets_404_on_every_route(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        auth: AuthHeaders,
        world: CaseWorld,
    ) -> None:
        before = await count(session, CaseEvent)
        strangers = {
            "another team's officer": officer_headers(auth, subject="officer-9", area_team="west"),
            "a colleague in the team": officer_headers(auth, subject="officer-2"),
            "another team's manager": auth(
                "attendance_manager", area_teams=("west",), purpose="attendance_duty"
            ),
        }
        for who, headers in strangers.items():
            for method, path, body in every_route(world):
                response = await client.request(
                    method, path, json=body, headers={**headers, "If-Match": "*"}
                )
                assert response.status_code == 404, f"{who}: {method} {path} {response.text}"
        assert await count(session, CaseEvent) == before

    async def test_the_referring_school_cannot_read_the_chronology_or_documents(
        self, client: httpx.AsyncClient, auth: AuthHeaders, world: CaseWorld
    ) -> None:
        school = auth("school_staff", school_urns=(world.school.urn,), purpose="attendance_duty")
        for method, path, body in every_route(world):
            response = await client.request(
                method, path, json=body, headers={**school, "If-Match": "*"}
            )
            assert response.status_code in {403, 404}, f"{method} {path}"
            if response.status_code == 403:
                assert assert_problem(response, 403)["policy"]

    async def test_the_team_manager_reads_and_records(
        self, client: httpx.AsyncClient, auth: AuthHeaders, world: CaseWorld
    ) -> None:
        manager = auth("attendance_manager", area_teams=("east",), purpose="attendance_duty")
        created = await client.post(url(world, "events"), json=note(), headers=manager)
        assert created.status_code == 201, created.text
        listed = await client.get(url(world, "events"), headers=manager)
        assert created.json()["id"] in {e["id"] for e in listed.json()["items"]}


# --- meetings --------------------------------------------------------------------------------


class TestMeetings:
    async def test_invitations_are_queued_to_each_party_with_the_case(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        response = await client.post(
            url(world, "meetings"), json=meeting_body(world, send_invitations=True), headers=officer
        )
        assert response.status_code == 201, response.text
        meeting = response.json()
        assert response.headers["location"] == url(world, "meetings", meeting["id"])
        assert meeting["invited_carer_ids"] == [str(world.carer.id)]

        letters = (
            await session.scalars(
                select(OutboundMessage).where(OutboundMessage.case_id == world.case.id)
            )
        ).all()
        assert [(m.message_type, m.channel.value, m.carer_id) for m in letters] == [
            ("meeting_invitation", "letter", world.carer.id)
        ]
        assert letters[0].personalisation is not None
        assert letters[0].personalisation["venue"] == "Meeting room 2"
        kinds = (
            await session.scalars(
                select(CaseEvent.kind)
                .where(CaseEvent.case_id == world.case.id)
                .order_by(CaseEvent.recorded_at, CaseEvent.kind)
            )
        ).all()
        assert CaseEventKind.MEETING in kinds and CaseEventKind.LETTER_QUEUED in kinds

        sent = await client.get(url(world, "messages"), headers=officer)
        assert [m["message_type"] for m in sent.json()["items"]] == ["meeting_invitation"]
        assert sent.json()["items"][0]["status"] == "queued"

    async def test_an_invitation_the_carer_cannot_receive_writes_nothing(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        before = await count(session, CaseEvent)
        cases = {
            "no phone for a text": meeting_body(world, send_invitations=True, channel="sms"),
            "no venue": meeting_body(world, send_invitations=True, location=None),
            "a stranger invited": meeting_body(world, invited_carer_ids=[str(uuid.uuid4())]),
            "a meeting already past": meeting_body(
                world, send_invitations=True, scheduled_for=ago(hours=2)
            ),
        }
        for case, body in cases.items():
            body = {k: v for k, v in body.items() if v is not None}
            response = await client.post(url(world, "meetings"), json=body, headers=officer)
            assert response.status_code == 422, f"{case}: {response.text}"
        assert await count(session, CaseMeeting) == 0
        assert await count(session, OutboundMessage) == 0
        assert await count(session, CaseEvent) == before

    async def test_a_meeting_is_held_with_if_match_and_a_stale_etag_is_412(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        created = await client.post(
            url(world, "meetings"), json=meeting_body(world), headers=officer
        )
        first_etag = created.headers["etag"]
        path = url(world, "meetings", created.json()["id"])

        missing = await client.patch(path, json={"location": "Room 3"}, headers=officer)
        assert_problem(missing, 428)
        moved = await client.patch(
            path, json={"location": "Room 3"}, headers={**officer, "If-Match": first_etag}
        )
        assert moved.status_code == 200, moved.text
        assert moved.headers["etag"] != first_etag

        stale = await client.patch(
            path,
            json={"held_on": date.today().isoformat()},
            headers={**officer, "If-Match": first_etag},
        )
        assert_problem(stale, 412)

        held = await client.patch(
            path,
            json={
                "held_on": date.today().isoformat(),
                "attended_carer_ids": [str(world.carer.id)],
                "notes": "Mum and Isla came.\nAgreed a routine.",
                "agreed_actions": [{"by": "pupil", "action": "Use the morning club."}],
            },
            headers={**officer, "If-Match": moved.headers["etag"]},
        )
        assert held.status_code == 200, held.text
        assert held.json()["held_on"] == date.today().isoformat()
        assert held.json()["agreed_actions"] == [{"by": "pupil", "action": "Use the morning club."}]

        cancel = await client.patch(
            path, json={"cancelled": True}, headers={**officer, "If-Match": held.headers["etag"]}
        )
        assert_problem(cancel, 409)
        changes = (
            await session.scalars(
                select(CaseEvent.details).where(
                    CaseEvent.case_id == world.case.id, CaseEvent.kind == CaseEventKind.MEETING
                )
            )
        ).all()
        assert sorted(d["change"] for d in changes) == ["held", "scheduled", "updated"]

    async def test_a_governing_board_meeting_records_whether_an_officer_attended(
        self, client: httpx.AsyncClient, world: CaseWorld, officer: dict[str, str]
    ) -> None:
        created = await client.post(
            url(world, "meetings"),
            json=meeting_body(world, kind="governing_board", scheduled_for=ago(days=2)),
            headers=officer,
        )
        assert created.status_code == 201, created.text
        path = url(world, "meetings", created.json()["id"])
        headers = {**officer, "If-Match": created.headers["etag"]}
        held_on = (date.today() - timedelta(days=2)).isoformat()
        without = await client.patch(path, json={"held_on": held_on}, headers=headers)
        problem = assert_problem(without, 422)
        assert problem["errors"][0]["pointer"] == "/officer_attended"  # type: ignore[index]
        future = await client.patch(
            path,
            json={"held_on": (date.today() + timedelta(days=1)).isoformat()},
            headers=headers,
        )
        assert_problem(future, 422)
        held = await client.patch(
            path, json={"held_on": held_on, "officer_attended": True}, headers=headers
        )
        assert held.status_code == 200, held.text
        assert held.json()["officer_attended"] is True


# --- attendance contracts ------------------------------------------------------------------------


class TestContracts:
    async def test_a_review_before_the_agreement_is_refused(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        body = contract_body(
            world,
            agreed_on=date.today().isoformat(),
            review_on=(date.today() - timedelta(days=1)).isoformat(),
        )
        response = await client.post(url(world, "attendance-contracts"), json=body, headers=officer)
        problem = assert_problem(response, 422)
        assert problem["errors"][0]["pointer"] == "/review_on"  # type: ignore[index]
        assert problem["errors"][0]["code"] == "date_order"  # type: ignore[index]
        for bad in (
            contract_body(world, actions=[]),
            contract_body(world, carer_ids=[str(uuid.uuid4())]),
            contract_body(world, agreed_on=(date.today() + timedelta(days=1)).isoformat()),
        ):
            response = await client.post(
                url(world, "attendance-contracts"), json=bad, headers=officer
            )
            assert_problem(response, 422)
        assert await count(session, AttendanceContract) == 0

    async def test_one_active_contract_per_case(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        first = await client.post(
            url(world, "attendance-contracts"), json=contract_body(world), headers=officer
        )
        assert first.status_code == 201, first.text
        assert first.json()["status"] == "active"
        second = await client.post(
            url(world, "attendance-contracts"), json=contract_body(world), headers=officer
        )
        problem = assert_problem(second, 409)
        assert problem["active_contract_id"] == first.json()["id"]

        path = url(world, "attendance-contracts", first.json()["id"])
        moved = await client.patch(
            path,
            json={"review_on": (date.today() + timedelta(days=50)).isoformat()},
            headers={**officer, "If-Match": first.headers["etag"]},
        )
        assert moved.status_code == 200, moved.text
        stale = await client.patch(
            path, json={"status": "broken"}, headers={**officer, "If-Match": first.headers["etag"]}
        )
        assert_problem(stale, 412)
        ended = await client.patch(
            path, json={"status": "broken"}, headers={**officer, "If-Match": moved.headers["etag"]}
        )
        assert ended.status_code == 200, ended.text
        assert ended.json()["status"] == "broken"
        assert ended.json()["ended_on"] == date.today().isoformat()
        again = await client.patch(
            path, json={"status": "ended"}, headers={**officer, "If-Match": ended.headers["etag"]}
        )
        assert_problem(again, 409)

        renewed = await client.post(
            url(world, "attendance-contracts"), json=contract_body(world), headers=officer
        )
        assert renewed.status_code == 201, renewed.text
        listed = await client.get(url(world, "attendance-contracts"), headers=officer)
        assert sorted(c["status"] for c in listed.json()["items"]) == ["active", "broken"]
        changes = (
            await session.scalars(
                select(CaseEvent.details).where(
                    CaseEvent.case_id == world.case.id,
                    CaseEvent.kind == CaseEventKind.ATTENDANCE_CONTRACT,
                )
            )
        ).all()
        assert sorted(d["change"] for d in changes) == ["agreed", "agreed", "broken", "updated"]


# --- letters on the case -------------------------------------------------------------------------


class TestLetters:
    async def test_a_returned_letter_shows_on_the_case_and_its_chronology(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        created = await client.post(
            url(world, "meetings"), json=meeting_body(world, send_invitations=True), headers=officer
        )
        assert created.status_code == 201, created.text
        letter = await session.scalar(
            select(OutboundMessage).where(OutboundMessage.case_id == world.case.id)
        )
        assert letter is not None
        letter.status = MessageStatus.DISPATCHED
        letter.notify_id = uuid.uuid4()
        await session.flush()

        receipt_token = app.state.settings.notify_callback_token.get_secret_value()
        callback = await client.post(
            "/v1/notify/callbacks",
            json={"notification_id": str(letter.notify_id), "reference": letter.reference},
            headers={"Authorization": f"Bearer {receipt_token}"},
        )
        assert callback.status_code == 204, callback.text
        returned = await client.get(
            url(world, "messages"), params={"status": "returned"}, headers=officer
        )
        assert returned.status_code == 200, returned.text
        [item] = returned.json()["items"]
        assert item["id"] == str(letter.id) and item["returned_at"] is not None
        assert item["returned_reported_by"] == "notify"

        events = await client.get(
            url(world, "events"), params={"kind": "letter_returned"}, headers=officer
        )
        [event] = events.json()["items"]
        assert event["details"]["message_id"] == str(letter.id)
        assert event["recorded_by"] == "notify"
