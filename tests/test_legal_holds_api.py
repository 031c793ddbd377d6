"""`/v1/legal-holds`: information governance holds a person's records, or a case's, so the
retention sweep destroys nothing they cover until the hold is lifted (with reasons, audited).
Property: whatever is held, and whenever it is swept, a live hold always wins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import DataSubject, Pupil
from app.models.audit import AuditEvent
from app.models.subjects import LegalClaimKind, SubjectLegalClaim
from app.services.retention import SweepOptions, sweep
from tests.case_support import make_case
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil

IG = "information_governance"
URL = "/v1/legal-holds"
TODAY = datetime.now(UTC).date()

NOT_GOVERNANCE: list[tuple[str, dict[str, Any]]] = [
    ("admin", {}),
    ("attendance_officer", {"area_teams": ("south",)}),
    ("attendance_manager", {"area_teams": ("south",)}),
    ("school_staff", {"school_urns": (990028,)}),
    ("licensing_officer", {}),
]


def ig(auth: AuthHeaders) -> dict[str, str]:
    return auth(IG, subject="governance-1")


def hold_body(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "proceedings",
        "reason": "County court claim served on the council.",
        "reference": "K00CT118",
        **fields,
    }


async def expire(session: AsyncSession, *subject_ids: uuid.UUID, days: int = 400) -> None:
    await session.execute(
        update(DataSubject)
        .where(DataSubject.id.in_(subject_ids))
        .values(retain_until=TODAY - timedelta(days=days))
    )
    await session.commit()


async def exists(session: AsyncSession, pupil: Pupil) -> bool:
    return bool(await session.scalar(select(func.count()).where(Pupil.id == pupil.id)))


class TestHolds:
    async def test_place_read_list_and_lift(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        pupil = await make_pupil(session)
        await session.commit()
        placed = await client.post(
            URL, json=hold_body(subject_id=str(pupil.subject_id)), headers=ig(auth)
        )
        assert placed.status_code == 201, placed.text
        hold = placed.json()
        assert hold["live"] and hold["subject_id"] == str(pupil.subject_id)
        claim = await session.scalar(
            select(SubjectLegalClaim).where(SubjectLegalClaim.reference == hold["id"])
        )
        assert claim is not None and claim.kind is LegalClaimKind.LEGAL_HOLD
        assert claim.purpose == "prosecution" and claim.closed_at is None

        read = await client.get(f"{URL}/{hold['id']}", headers=ig(auth))
        assert read.status_code == 200 and read.json() == hold
        listed = await client.get(URL, params={"live": "true"}, headers=ig(auth))
        assert hold["id"] in [h["id"] for h in listed.json()["items"]]

        lifted = await client.post(
            f"{URL}/{hold['id']}/lift",
            json={"reason": "The claim was discontinued."},
            headers={**ig(auth), "If-Match": read.headers["ETag"]},
        )
        assert lifted.status_code == 200, lifted.text
        assert not lifted.json()["live"] and lifted.json()["lift_reason"]
        await session.refresh(claim)
        assert claim.closed_at is not None
        again = await client.post(
            f"{URL}/{hold['id']}/lift",
            json={"reason": "Again."},
            headers={**ig(auth), "If-Match": lifted.headers["ETag"]},
        )
        assert_problem(again, 409)
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.resource_id == hold["id"])
            )
        ).all()
        assert {"legal_hold.placed", "legal_hold.lifted"} <= set(actions)

    async def test_a_hold_on_a_case_holds_its_people(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        world = await make_case(session)
        await session.commit()
        placed = await client.post(
            URL, json=hold_body(case_id=str(world.case.id)), headers=ig(auth)
        )
        assert placed.status_code == 201, placed.text
        assert placed.json()["subject_id"] == str(world.pupil.subject_id)
        await expire(session, world.pupil.subject_id, world.carer.subject_id)

        outcome = await sweep(session, SweepOptions(as_of=TODAY, grace_days=0))
        assert outcome.run.held == 2 and outcome.run.destroyed == 0
        assert await exists(session, world.pupil)

    @pytest.mark.parametrize(
        "body",
        [
            hold_body(),
            hold_body(subject_id=str(uuid.uuid4()), case_id=str(uuid.uuid4())),
            hold_body(subject_id=str(uuid.uuid4())),
            hold_body(case_id=str(uuid.uuid4())),
            hold_body(subject_id=str(uuid.uuid4()), kind="whim"),
        ],
    )
    async def test_bad_holds_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, body: dict[str, Any]
    ) -> None:
        assert_problem(await client.post(URL, json=body, headers=ig(auth)), 422)

    @pytest.mark.parametrize(("role", "claims"), NOT_GOVERNANCE)
    async def test_only_information_governance_sees_or_places_holds(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        role: str,
        claims: dict[str, Any],
    ) -> None:
        pupil = await make_pupil(session)
        await session.commit()
        placed = await client.post(
            URL, json=hold_body(subject_id=str(pupil.subject_id)), headers=ig(auth)
        )
        other = auth(role, **claims)
        hold_url = f"{URL}/{placed.json()['id']}"
        assert_problem(await client.get(URL, headers=other), 403)
        assert_problem(await client.get(hold_url, headers=other), 403)
        body = hold_body(subject_id=str(pupil.subject_id))
        assert_problem(await client.post(URL, json=body, headers=other), 403)
        lift = await client.post(
            f"{hold_url}/lift",
            json={"reason": "No."},
            headers={**other, "If-Match": placed.headers["ETag"]},
        )
        assert_problem(lift, 403)
        assert (await client.get(hold_url, headers=ig(auth))).json()["live"]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    past=st.integers(min_value=1, max_value=4000),
    grace=st.integers(min_value=0, max_value=60),
    kind=st.sampled_from(["proceedings", "subject_request", "breach_investigation"]),
    on_case=st.booleans(),
)
async def test_a_live_hold_always_wins(
    session: AsyncSession, past: int, grace: int, kind: str, on_case: bool
) -> None:
    from app.models.retention import LegalHold, LegalHoldKind

    savepoint = await session.begin_nested()
    try:
        world = await make_case(session, pupil=await make_pupil(session))
        session.add(
            LegalHold(
                kind=LegalHoldKind(kind),
                subject_id=world.pupil.subject_id,
                case_id=world.case.id if on_case else None,
                reason="Held.",
                placed_by="governance-1",
                placed_at=datetime.now(UTC),
            )
        )
        await session.flush()
        await session.execute(
            update(DataSubject)
            .where(DataSubject.id == world.pupil.subject_id)
            .values(retain_until=TODAY - timedelta(days=past))
        )
        await session.flush()
        outcome = await sweep(session, SweepOptions(as_of=TODAY, grace_days=grace))
        assert await exists(session, world.pupil)
        assert world.pupil.subject_id not in outcome.would_destroy
    finally:
        if savepoint.is_active:
            await savepoint.rollback()
        else:
            await session.rollback()
