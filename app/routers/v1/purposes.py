"""``/v1/purposes``: why KPAS processes personal data, and what governance should review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.policies import Access, Policy
from app.policies.registry import REGISTRY, SCHEDULE_1, findings
from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX
from app.schemas.purposes import FindingPage, FindingRead, PurposePage, PurposeRead

router = APIRouter(prefix=f"{PREFIX}/purposes", tags=["purposes"], route_class=KpasRoute)


@router.get("", name="purposes_list", summary="List purposes", response_model=PurposePage)
async def list_purposes(
    access: Annotated[Access, Policy("purpose_registry", "list")],
) -> PurposePage:
    """Every purpose KPAS processes personal data for, as the privacy notice promises it: its lawful
    bases, its Article 9 condition and Schedule 1 paragraph where special category data is
    processed, and whether objection and restriction apply.

    Readable by every staff role and school staff; the whole registry comes in one page.
    """
    items = []
    for spec in REGISTRY.values():
        paragraph = SCHEDULE_1.get(spec.schedule1) if spec.schedule1 is not None else None
        items.append(
            PurposeRead(
                code=spec.purpose.value,
                wording=spec.wording,
                lawful_bases=[b.value for b in spec.bases],
                article9_condition=spec.article9.value if spec.article9 else None,
                schedule1_paragraph=spec.schedule1,
                schedule1_title=paragraph.title if paragraph else None,
                individual_decisions=spec.individual_decisions,
                governance=spec.governance,
                objection_applies=spec.objection_applies,
                continues_under_restriction=spec.legal_claims,
            )
        )
    return PurposePage(items=items, next_cursor=None)


@router.get(
    "/findings",
    name="purposes_findings",
    summary="List purpose registry findings",
    response_model=FindingPage,
)
async def list_findings(
    access: Annotated[Access, Policy("purpose_registry", "findings")],
) -> FindingPage:
    """Purposes whose recorded conditions do not cover what they are used for, for governance to
    review. Information governance and administrators only; an empty list means nothing to review.
    """
    return FindingPage(
        items=[
            FindingRead(code=f.code, purpose=f.purpose.value, detail=f.detail) for f in findings()
        ],
        next_cursor=None,
    )
