"""``/v1/disclosures``: releases of personal data outside KPAS.

Partner and inspector reads write theirs automatically; staff record the releases they make
any other way. Disclosures are records of fact: there is no PATCH or DELETE.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep
from app.routers.paging import PagingDep
from app.routers.params import DisclosureIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.disclosures import (
    DisclosureCreate,
    DisclosureDetail,
    DisclosureFilters,
    DisclosurePage,
    DisclosureRead,
)
from app.services import disclosures
from app.services.disclosures import disclosure_etag

router = APIRouter(prefix=f"{PREFIX}/disclosures", tags=["disclosures"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No disclosure with that id that you may see.")}


@router.get("", name="disclosures_list", summary="List disclosures", response_model=DisclosurePage)
async def list_disclosures(
    access: Annotated[Access, Policy("disclosure", "list")],
    session: SessionDep,
    filters: Annotated[DisclosureFilters, Query()],
    paging: PagingDep,
) -> DisclosurePage:
    """Releases of personal data outside KPAS, newest first, filtered by recipient, agreement,
    inspection grant, purpose, subject, whether automatic, or date. Each says how many subjects it
    covered.

    Information governance sees every disclosure; attendance managers the ones they recorded. No
    `KPAS-Purpose` is needed.
    """
    items, next_cursor = await disclosures.list_disclosures(
        session,
        access,
        query=disclosures.list_query(filters),
        page=paging.page(access, filters),
    )
    return DisclosurePage(
        items=[DisclosureRead.of(disclosure, subject_count=count) for disclosure, count in items],
        next_cursor=next_cursor,
    )


@router.post(
    "",
    name="disclosures_create",
    summary="Record a disclosure",
    status_code=201,
    response_model=DisclosureDetail,
    responses={422: problem_response("Invalid fields; `errors` lists each one.")},
)
async def create_disclosure(
    access: Annotated[Access, Policy("disclosure", "create")],
    body: DisclosureCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record a release of personal data made outside the API (a letter, a court bundle, a secure
    email), naming the recipient, agreement, purpose, lawful basis, data categories and subjects.
    Partner and inspector reads through the API are recorded automatically. Information governance
    and attendance managers; send an `Idempotency-Key` to retry safely. A release decided on
    request names its `ground` and `request_reference`: `court_disclosure` (DPA 2018 Sch 2 para
    5) or `crime_prevention_disclosure` (Sch 2 para 2).

    Refused with 422 when the purpose cannot be recorded by your role, the basis is not the
    registry's, a release on request lacks its ground or reference (or another names one), the
    date is in the future, the recipient is unknown or inactive, the agreement was not in force
    or does not cover the purpose or a category, or a subject is not yours to see.
    Disclosures are records of fact: there is no update or delete.
    """

    async def create() -> Created:
        disclosure, subject_ids = await disclosures.record_disclosure(session, access, data=body)
        return Created(
            DisclosureDetail.with_subjects(disclosure, subject_ids),
            location=f"/v1/disclosures/{disclosure.id}",
            etag=disclosure_etag(disclosure),
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{disclosure_id}",
    name="disclosures_get",
    summary="Get a disclosure",
    response_model=DisclosureDetail,
    responses=NOT_FOUND,
)
async def get_disclosure(
    access: Annotated[Access, Policy("disclosure", "read")],
    disclosure_id: DisclosureIdPath,
    session: SessionDep,
    response: Response,
) -> DisclosureDetail:
    """One disclosure with the ids of the subjects it covered. Information governance, or the
    attendance manager who recorded it; otherwise 404.
    """
    disclosure, subject_ids = await disclosures.get_disclosure(
        session, access, disclosure_id=disclosure_id
    )
    response.headers["ETag"] = disclosure_etag(disclosure)
    return DisclosureDetail.with_subjects(disclosure, subject_ids)
