"""``/v1/purposes``: why KPAS processes personal data, and what governance should review."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from app.policies import Access, Policy
from app.policies.registry import REGISTRY, PurposeSpec, findings
from app.policies.subject_state import restriction_ground
from app.routers.route import KpasRoute
from app.routers.v1 import PREFIX
from app.schemas.purposes import (
    ConditionRead,
    FindingPage,
    FindingRead,
    PurposePage,
    PurposeRead,
)

router = APIRouter(prefix=f"{PREFIX}/purposes", tags=["purposes"], route_class=KpasRoute)


@router.get("", name="purposes_list", summary="List purposes", response_model=PurposePage)
async def list_purposes(
    access: Annotated[Access, Policy("purpose_registry", "list")],
) -> PurposePage:
    """Every purpose KPAS processes personal data for: its regime (UK GDPR, or DPA 2018 Part 3
    for law enforcement processing), lawful bases, the DPA 2018 Schedule 1 or Schedule 8
    conditions the council relies on for special category data with the appropriate policy
    document each needs, the data subject's rights, and what continues under an objection or a
    restriction.

    Readable by every staff role and school staff; the whole registry comes in one page.
    """
    items = [_purpose(spec) for spec in REGISTRY.values()]
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
    """Purposes whose recorded conditions do not cover what they are used for, and where the
    privacy notice names a condition or regime the council does not rely on
    (`notice_condition_drift`, `notice_regime_drift`: the notice is to be amended), for
    governance to review. Information governance and administrators only; an empty list means
    nothing to review.
    """
    return FindingPage(
        items=[
            FindingRead(code=f.code, purpose=f.purpose.value, detail=f.detail) for f in findings()
        ],
        next_cursor=None,
    )


def _purpose(spec: PurposeSpec) -> PurposeRead:
    ground = spec.restriction_ground
    return PurposeRead(
        code=spec.purpose.value,
        wording=spec.wording,
        regime=spec.regime.value,
        lawful_bases=[b.value for b in spec.bases],
        article9_condition=spec.article9.value if spec.article9 else None,
        conditions=[ConditionRead.of(c) for c in spec.conditions],
        schedule1_paragraphs=list(spec.schedule1),
        schedule2_exemption=spec.schedule2_exemption,
        special_category_for_individuals=spec.special_category_for_individuals,
        individual_decisions=spec.individual_decisions,
        aggregate_only=spec.aggregate_only,
        governance=spec.governance,
        rights=list(spec.rights),
        objection_applies=spec.objection_applies,
        continues_under_objection=list(spec.obligation_continues),
        continues_under_objection_note=spec.obligation_note,
        honours_notice_to_stop=spec.honours_notice_to_stop,
        restriction_ground=ground.value if ground is not None else None,
        continues_under_restriction=restriction_ground(spec, frozenset({spec.purpose.value}))
        is not None,
        legislation=list(spec.legislation),
    )
