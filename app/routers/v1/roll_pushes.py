"""`/v1/roll-pushes`: the history of schools' roll pushes, for the information systems that
send them and the people who rely on the rolls."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import SessionDep
from app.policies import Access, Policy
from app.repositories.roll_pushes import RollPushQuery
from app.routers.paging import PagingDep
from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX
from app.schemas.roll_pushes import RollPushFilters, RollPushPage, RollPushRead
from app.services import roll_pushes

router = APIRouter(prefix=f"{PREFIX}/roll-pushes", tags=["school roll"], route_class=KpasRoute)


@router.get("", name="roll_pushes_list", summary="List roll pushes", response_model=RollPushPage)
async def list_roll_pushes(
    access: Annotated[Access, Policy("roll_push", "list")],
    session: SessionDep,
    filters: Annotated[RollPushFilters, Query()],
    paging: PagingDep,
) -> RollPushPage:
    """Pushes that replaced a school's roll (`PUT /v1/schools/{urn}/roll`), newest first:
    when, which client sent it, the roll's `as_of` and the counts the push's response gave.
    An information system sees its own schools' pushes, school staff their school's,
    attendance managers those of schools in their area teams; anyone else's list is empty.
    A push that was refused changed nothing and is not listed."""
    query = RollPushQuery(
        school_urn=filters.school_urn,
        pushed_since=filters.pushed_since,
        pushed_before=filters.pushed_before,
    )
    pushes, next_cursor = await roll_pushes.list_roll_pushes(
        session, access, query=query, page=paging.page(access, filters)
    )
    return RollPushPage(items=[RollPushRead.of(p) for p in pushes], next_cursor=next_cursor)
