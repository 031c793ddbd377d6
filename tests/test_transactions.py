"""The request owns the transaction: a failure half-way leaves nothing half-written."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.errors import Conflict
from app.models import School
from app.rules.kent import District
from tests.factories import make_school


@pytest.fixture
def app(own_app: FastAPI) -> FastAPI:
    """Tests here add routes of their own, so each gets an application of its own."""
    return own_app


async def test_error_after_a_flush_rolls_everything_back(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    async def half_way(db: SessionDep) -> None:
        await make_school(db, urn=500001, district=District.SWALE)
        await make_school(db, urn=500002, district=District.SWALE)
        raise Conflict("second step refused")

    app.add_api_route("/half-way", half_way, methods=["POST"])
    response = await client.post("/half-way")
    assert response.status_code == 409
    assert await session.get(School, 500001) is None
    assert await session.get(School, 500002) is None


async def test_success_commits(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    async def whole(db: SessionDep) -> None:
        await make_school(db, urn=500003)

    app.add_api_route("/whole", whole, methods=["POST"])
    assert (await client.post("/whole")).status_code == 200
    assert await session.get(School, 500003) is not None
