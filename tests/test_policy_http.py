"""The policy layer end to end over HTTP, on a test-only personal-data resource: purposes,
need-to-know in list queries (with pagination), special category gating, subject states."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Query
from pydantic import Field
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.models.subjects import DataSubject, ObjectionStatus, SubjectKind, SubjectObjection
from app.policies import Access, Policy
from app.policies.registry import Purpose, purposes_mask
from app.policies.resources import RESOURCES
from app.repositories.pagination import keyset_page
from app.routers.paging import PagingDep
from app.schemas.common import PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX, Cursor, Input
from tests.conftest import AuthHeaders
from tests.policy_probe import PROBE, probe_engine, probe_metadata, probe_records


class ProbeFilters(Input):
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None


@pytest.fixture
def app(own_app: FastAPI) -> FastAPI:
    """Tests here add routes of their own, so each gets an application of its own."""
    return own_app


@pytest.fixture
def probe_app(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setitem(RESOURCES, "probe", PROBE)
    app.state.policy_engine = probe_engine()
    router = APIRouter()

    @router.get("/probe-records")
    async def list_probe(
        access: Annotated[Access, Policy("probe", "list")],
        session: SessionDep,
        filters: Annotated[ProbeFilters, Query()],
        paging: PagingDep,
    ) -> dict[str, Any]:
        stmt = select(probe_records).where(access.filter())
        rows, next_cursor = await keyset_page(
            session, stmt, [probe_records.c.id], paging.page(access, filters), scalars=False
        )
        items = []
        for row in rows:
            item = {"id": str(row.id), "note": row.note}
            if access.special_category:
                item["health"] = row.health
            items.append(item)
        return {"items": items, "next_cursor": next_cursor}

    app.include_router(router)
    return app


NOW = datetime.now(UTC)


async def add(
    session: AsyncSession,
    note: str,
    *,
    team: str = "east",
    urn: int = 118800,
    purposes: tuple[Purpose, ...] = (Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION),
    restricted: bool = False,
    retain_until: date | None = None,
    objection: tuple[Purpose, ObjectionStatus] | None = None,
) -> None:
    subject = DataSubject(
        kind=SubjectKind.PUPIL,
        restricted_since=NOW if restricted else None,
        retain_until=retain_until,
    )
    session.add(subject)
    await session.flush()
    if objection:
        session.add(
            SubjectObjection(
                subject_id=subject.id,
                purpose=objection[0].value,
                status=objection[1],
                # Restriction asked for while the objection is decided (Art 18(1)(d)).
                restrict_pending=True,
            )
        )
    await session.execute(
        insert(probe_records).values(
            id=uuid.uuid4(),
            subject_id=subject.id,
            school_urn=urn,
            area_team=team,
            purposes_mask=purposes_mask(list(purposes)),
            note=note,
            health="asthma",
        )
    )
    await session.flush()


@pytest.fixture
async def records(session: AsyncSession) -> None:
    await (await session.connection()).run_sync(probe_metadata.create_all)
    today = NOW.date()
    await add(session, "east-1")
    await add(session, "east-2")
    await add(session, "east-3", purposes=(Purpose.PROSECUTION,))
    await add(session, "west-1", team="west", urn=118801)
    await add(session, "east-restricted", restricted=True)
    await add(session, "east-expired", retain_until=today - timedelta(days=1))
    await add(session, "east-objected", objection=(Purpose.INTERVENTION, ObjectionStatus.PENDING))


async def notes(client: httpx.AsyncClient, headers: dict[str, str], limit: int = 2) -> list[str]:
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/probe-records", params=params, headers=headers)
        assert response.status_code == 200, response.text
        seen += [item["note"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return sorted(seen)


@pytest.mark.usefixtures("probe_app", "records")
class TestNeedToKnowInLists:
    async def test_officer_sees_only_their_team_for_the_purpose(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("attendance_officer", area_teams=("east",), purpose="intervention")
        assert await notes(client, headers) == ["east-1", "east-2"]

    async def test_legal_claims_continue_under_restriction(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("attendance_officer", area_teams=("east",), purpose="prosecution")
        assert await notes(client, headers) == ["east-3"]

    async def test_objection_does_not_stop_the_legal_duty(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("attendance_officer", area_teams=("east",), purpose="attendance_duty")
        assert await notes(client, headers) == ["east-1", "east-2", "east-objected"]

    async def test_school_sees_its_own_roll_only(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("school_staff", school_urns=(118801,), purpose="attendance_duty")
        assert await notes(client, headers) == ["west-1"]

    async def test_retention_management_alone_sees_expired_records(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        rights = auth("information_governance", purpose="subject_rights")
        assert "east-expired" not in await notes(client, rights)
        retention = auth("information_governance", purpose="retention_management")
        assert "east-expired" in await notes(client, retention)


@pytest.mark.usefixtures("probe_app", "records")
class TestPurposeHeader:
    async def test_missing_purpose_is_400_naming_the_allowed_ones(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        response = await client.get("/probe-records", headers=auth("school_staff"))
        assert response.status_code == 400
        policy = response.json()["policy"]
        assert policy["rule"] == "purpose.required"
        assert policy["allowed_purposes"] == ["attendance_duty", "intervention"]

    async def test_unknown_purpose_is_400(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        response = await client.get(
            "/probe-records", headers=auth("school_staff", purpose="marketing")
        )
        assert response.status_code == 400
        assert response.json()["policy"]["rule"] == "purpose.unknown"

    async def test_purpose_the_role_may_not_use_is_403(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        response = await client.get(
            "/probe-records", headers=auth("school_staff", purpose="prosecution")
        )
        assert response.status_code == 403
        assert response.json()["policy"]["allowed_purposes"] == ["attendance_duty", "intervention"]


@pytest.mark.usefixtures("probe_app", "records")
class TestSpecialCategory:
    async def test_served_to_a_role_whose_rule_grants_it(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("attendance_officer", area_teams=("east",), purpose="intervention")
        items = (await client.get("/probe-records", headers=headers)).json()["items"]
        assert items and all(item["health"] == "asthma" for item in items)

    async def test_withheld_from_school_staff(
        self, client: httpx.AsyncClient, auth: AuthHeaders
    ) -> None:
        headers = auth("school_staff", school_urns=(118800,), purpose="attendance_duty")
        items = (await client.get("/probe-records", headers=headers)).json()["items"]
        assert items and all("health" not in item for item in items)
