"""`/v1/referrals`: Referrals: a school refers a pupil, and follows its referral."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.models.cases import Case
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep
from app.routers.paging import PagingDep
from app.routers.params import EXAMPLE_CASE_ID
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.referrals import (
    ReferralCreate,
    ReferralFilters,
    ReferralPage,
    ReferralRead,
    ReferralSent,
)
from app.services import referrals
from app.services.referrals import status_of

router = APIRouter(prefix=f"{PREFIX}/referrals", tags=["referrals"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No referral with that id that you may see.")}

ReferralIdPath = Annotated[
    uuid.UUID,
    Path(
        description="The referral's id (the id of the case it opened).",
        examples=[str(EXAMPLE_CASE_ID)],
    ),
]


def _read(case: Case) -> ReferralRead:
    """Only what the referring school may know; the outcome only once closed."""
    closed = case.closed_at is not None
    return ReferralRead(
        id=case.id,
        reference=case.reference,
        pupil_id=case.pupil_id,
        school_urn=case.school_urn,
        case_type=case.case_type,
        referred_at=case.created_at,
        referred_by=case.referred_by,
        referral=ReferralSent.model_validate(case.referral) if case.referral else None,
        status=status_of(case),
        outcome=case.outcome if closed else None,
        outcome_summary=case.outcome_summary if closed else None,
    )


def _etag(read: ReferralRead) -> str:
    """Changes with what the school sees, not with the council's work on the case."""
    canonical = json.dumps(read.model_dump(mode="json"), sort_keys=True).encode()
    return f'"{hashlib.sha256(canonical).hexdigest()[:16]}"'


@router.post(
    "",
    name="referrals_create",
    summary="Refer a pupil",
    status_code=201,
    response_model=ReferralRead,
    responses={
        409: problem_response("The pupil already has an open case of this type."),
    },
)
async def create_referral(
    access: Annotated[Access, Policy("referral", "create")],
    body: ReferralCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Refer a pupil on one of your schools' rolls today to the council: it opens a case at the
    `referral` stage, unassigned, in the school's area team. Follow it with
    `GET /v1/referrals/{referral_id}`. Send an `Idempotency-Key` to retry safely.

    School staff under `KPAS-Purpose` `attendance_duty` (attendance referrals) or
    `exclusion_support` (exclusion-support referrals); a school's information system refers
    attendance cases under `attendance_duty`. 422 if the pupil is not on the school's roll
    today (the same answer whether or not the pupil exists elsewhere), or the purpose does not
    match the case type; 409 if the pupil already has an open case of this type.
    """

    async def create() -> Created:
        case = await referrals.create_referral(session, access, data=body)
        read = _read(case)
        return Created(read, location=f"{PREFIX}/referrals/{case.id}", etag=_etag(read))

    return await idempotency.run(access, body, create)


@router.get("", name="referrals_list", summary="List referrals", response_model=ReferralPage)
async def list_referrals(
    access: Annotated[Access, Policy("referral", "list")],
    session: SessionDep,
    filters: Annotated[ReferralFilters, Query()],
    paging: PagingDep,
) -> ReferralPage:
    """Your schools' referrals, newest first, filtered by school, status or open/closed, with
    their status and (once closed) outcome.

    School staff see their schools' referrals under the purpose of each referral's case type
    (`attendance_duty` or `exclusion_support`); a school's information system sees what it
    referred, under `attendance_duty`.
    """
    items, next_cursor = await referrals.list_referrals(
        session,
        access,
        school_urn=filters.school_urn,
        status=filters.status,
        open_=filters.open,
        page=paging.page(access, filters),
    )
    return ReferralPage(items=[_read(case) for case in items], next_cursor=next_cursor)


@router.get(
    "/{referral_id}",
    name="referrals_get",
    summary="Get a referral",
    response_model=ReferralRead,
    responses=NOT_FOUND,
)
async def get_referral(
    access: Annotated[Access, Policy("referral", "read")],
    referral_id: ReferralIdPath,
    session: SessionDep,
    response: Response,
) -> ReferralRead:
    """One referral as the referring school may know it: what it sent, its status and, once
    closed, the outcome. Send `KPAS-Purpose`: as for listing; 404 for a referral outside your
    reach.
    """
    read = _read(await referrals.get_referral(session, access, referral_id=referral_id))
    response.headers["ETag"] = _etag(read)
    return read
