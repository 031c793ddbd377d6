"""``Idempotency-Key``: a key belongs to the token's issuer and subject, and its first response
replays only to that caller holding the same authority; anything else replays nothing."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.auth.principal import InspectionGrant, Principal, Role
from app.db import Database
from app.main import create_app
from app.models import Pupil, School
from app.policies.registry import Purpose
from app.policies.release import Release
from app.rules.kent import District
from app.services.idempotency import key_owner
from tests.auth_support import ForeignKey, JwksServer, valid_claims
from tests.conftest import AuthHeaders, make_settings
from tests.factories import assert_problem, make_school, make_upn, school_body

AUTHORITY_CHANGED = "idempotency-key-authority-changed"


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


def pupil_body(urn: int) -> dict[str, object]:
    return {
        "upn": make_upn(),
        "legal_forename": "Ada",
        "legal_surname": "Synthetic",
        "date_of_birth": "2014-02-28",
        "gender": "female",
        "address_lines": ["1 Synthetic Street", "Margate"],
        "postcode": "CT9 1AA",
        "enrolment": {"school_urn": urn, "on_roll_from": "2024-09-01"},
    }


def manager(
    auth: AuthHeaders, *area_teams: str, purpose: str = "attendance_duty"
) -> dict[str, str]:
    return auth("attendance_manager", subject="manager-7", area_teams=area_teams, purpose=purpose)


async def pupils(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Pupil)) or 0)


class TestReplay:
    async def test_the_same_caller_with_a_new_token_gets_the_first_response(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        body = pupil_body(east.urn)
        first = await client.post(
            "/v1/pupils", json=body, headers={**manager(auth, "east"), "Idempotency-Key": "p-1"}
        )
        assert first.status_code == 201, first.text
        # A token issued later (another jti and iat) with the same authority
        replay = await client.post(
            "/v1/pupils", json=body, headers={**manager(auth, "east"), "Idempotency-Key": "p-1"}
        )
        assert replay.status_code == 201
        assert replay.json() == first.json()
        assert replay.headers["idempotent-replayed"] == "true"
        assert await pupils(session) == 1

    async def test_a_narrowed_token_is_refused_and_shown_nothing_of_the_first_response(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        body = pupil_body(east.urn)
        wide = {**manager(auth, "east", "west"), "Idempotency-Key": "p-2"}
        first = await client.post("/v1/pupils", json=body, headers=wide)
        assert first.status_code == 201, first.text
        pupil_id = first.json()["id"]

        narrowed = {**manager(auth, "west"), "Idempotency-Key": "p-2"}
        replay = await client.post("/v1/pupils", json=body, headers=narrowed)
        problem = assert_problem(replay, 409)
        assert str(problem["type"]).endswith(AUTHORITY_CHANGED)
        assert "idempotent-replayed" not in replay.headers
        assert "location" not in replay.headers
        for stored in (pupil_id, str(body["upn"]), "Synthetic", first.headers["location"]):
            assert stored not in replay.text
        # the narrowed caller cannot see the pupil any other way either
        read = await client.get(f"/v1/pupils/{pupil_id}", headers=manager(auth, "west"))
        assert_problem(read, 404)
        assert await pupils(session) == 1

    async def test_another_stated_purpose_is_other_authority(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        body = pupil_body(east.urn)
        first = await client.post(
            "/v1/pupils", json=body, headers={**manager(auth, "east"), "Idempotency-Key": "p-3"}
        )
        assert first.status_code == 201, first.text
        other = {**manager(auth, "east", purpose="intervention"), "Idempotency-Key": "p-3"}
        replay = await client.post("/v1/pupils", json=body, headers=other)
        assert str(assert_problem(replay, 409)["type"]).endswith(AUTHORITY_CHANGED)
        assert first.json()["id"] not in replay.text
        assert await pupils(session) == 1

    async def test_other_authority_is_refused_before_another_body_is_compared(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School
    ) -> None:
        first = await client.post(
            "/v1/pupils",
            json=pupil_body(east.urn),
            headers={**manager(auth, "east", "west"), "Idempotency-Key": "p-4"},
        )
        assert first.status_code == 201, first.text
        replay = await client.post(
            "/v1/pupils",
            json=pupil_body(east.urn),
            headers={**manager(auth, "east"), "Idempotency-Key": "p-4"},
        )
        assert str(assert_problem(replay, 409)["type"]).endswith(AUTHORITY_CHANGED)


# --- another issuer -------------------------------------------------------------------------

IDP = "https://login.kent.gov.uk/tenant/v2.0"
IDP_AUDIENCE = "api://kpas"


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    with server.running():
        yield server


@pytest_asyncio.fixture
async def two_issuers(
    migrated_engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    jwks_server: JwksServer,
    tmp_path: Path,
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An app trusting its own issuer and the council IdP."""
    settings = make_settings(
        str(migrated_engine.url),
        signing_keys_dir=tmp_path,
        idp_issuer=IDP,
        idp_jwks_url=jwks_server.url,
        idp_audience=IDP_AUDIENCE,
    )
    app = create_app(
        settings, Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    )
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as client:
        yield app, client


async def test_the_same_subject_from_another_issuer_has_keys_of_its_own(
    two_issuers: tuple[Any, httpx.AsyncClient], jwks_server: JwksServer, session: AsyncSession
) -> None:
    app, client = two_issuers
    ours = app.state.token_issuer.issue(subject="admin-9", roles=[Role.ADMIN]).access_token
    idp_key = ForeignKey()
    jwks_server.publish(idp_key)
    theirs = idp_key.sign(valid_claims(iss=IDP, aud=IDP_AUDIENCE, sub="admin-9", roles=["admin"]))

    key = {"Idempotency-Key": "school-k"}
    first = await client.post(
        "/v1/schools",
        json=school_body(118901),
        headers={**key, "Authorization": f"Bearer {ours}"},
    )
    assert first.status_code == 201, first.text
    # The same key and subject from the IdP is not a replay (nor "another body"): it runs.
    other = await client.post(
        "/v1/schools",
        json=school_body(118902),
        headers={**key, "Authorization": f"Bearer {theirs}"},
    )
    assert other.status_code == 201, other.text
    assert "idempotent-replayed" not in other.headers
    assert other.json()["urn"] == 118902
    # and each issuer's caller still replays its own first response
    again = await client.post(
        "/v1/schools",
        json=school_body(118901),
        headers={**key, "Authorization": f"Bearer {ours}"},
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    schools = await session.scalar(
        select(func.count()).select_from(School).where(School.urn.in_([118901, 118902]))
    )
    assert schools == 2


# --- what counts as authority ----------------------------------------------------------------


@dataclasses.dataclass
class _Allowed:
    """What ``key_owner`` reads of an ``Access``."""

    principal: Principal
    release: Release | None = None
    purpose: Purpose | None = Purpose.ATTENDANCE_DUTY


BASE = Principal(
    subject="someone",
    roles=frozenset({Role.ATTENDANCE_MANAGER}),
    issuer="https://kpas.kent.gov.uk",
    area_teams=frozenset({"east", "west"}),
    school_urns=frozenset({118800}),
    token_id="jti-1",
)
MOMENT = datetime(2026, 1, 5, tzinfo=UTC)


def owner(principal: Principal = BASE, **changes: Any) -> Any:
    return key_owner(_Allowed(principal, **changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(dataclasses.replace(BASE, roles=frozenset(Role)), id="roles"),
        pytest.param(dataclasses.replace(BASE, area_teams=frozenset({"west"})), id="area_teams"),
        pytest.param(dataclasses.replace(BASE, school_urns=frozenset()), id="school_urns"),
        pytest.param(dataclasses.replace(BASE, org="kent-police"), id="org"),
        pytest.param(dataclasses.replace(BASE, client_id="client-2"), id="client_id"),
        pytest.param(dataclasses.replace(BASE, districts=frozenset({"dover"})), id="districts"),
        pytest.param(
            dataclasses.replace(
                BASE,
                inspection=InspectionGrant("grant-1", MOMENT, MOMENT + timedelta(days=5)),
            ),
            id="inspection",
        ),
    ],
)
def test_each_part_of_the_principal_is_authority(changed: Principal) -> None:
    assert owner(changed).authority != owner().authority
    assert (owner(changed).issuer, owner(changed).subject) == (BASE.issuer, BASE.subject)


def test_the_agreement_and_the_purpose_are_authority() -> None:
    recipient = uuid.uuid4()
    release = Release(recipient, frozenset({"identity"}), agreement_id=uuid.uuid4())
    other_agreement = dataclasses.replace(release, agreement_id=uuid.uuid4())
    authorities = {
        owner().authority,
        owner(release=release).authority,
        owner(release=other_agreement).authority,
        owner(purpose=Purpose.INTERVENTION).authority,
        owner(purpose=None).authority,
    }
    assert len(authorities) == 5


def test_a_new_token_for_the_same_authority_is_the_same_owner() -> None:
    renewed = dataclasses.replace(BASE, token_id="jti-2")
    reordered = dataclasses.replace(BASE, area_teams=frozenset(["west", "east"]))
    assert owner(renewed) == owner() == owner(reordered)
