"""Referrals: a school refers a pupil on its roll to the council, and follows its referral.

A referral opens a case (``app.services.cases.open_case``) at the ``referral`` stage,
unassigned, in the school's area team; the referral's id is the case's id. The referring
school (its staff, or its information system for what that system referred) reads back
only what it may know: its own referral, a school-facing status and, once closed, the
outcome and the summary the council wrote for the school (``app.schemas.referrals``).

Also here: linking a suspension or exclusion a school reports to the pupil's open
exclusion-support case, with an entry on that case's chronology.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.errors import ValidationFailed, body_problem
from app.models.cases import Case, CaseEventKind, CaseStage, CaseType, ReferralSource
from app.models.exclusions import Exclusion
from app.models.people import Pupil
from app.policies import Access
from app.repositories.cases import CaseRepository
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.repositories.referrals import ReferralQuery, ReferralRepository, on_roll
from app.rules import casework
from app.schemas.referrals import ReferralCaseType, ReferralCreate, ReferralStatus
from app.services.cases import add_event, open_case


def status_of(case: Case) -> ReferralStatus:
    """The school-facing status of the case's stage: the council's ladder (enforcement
    included) stays the council's."""
    if case.closed_at is not None or case.stage is CaseStage.CLOSED:
        return ReferralStatus.CLOSED
    if case.stage is CaseStage.REFERRAL:
        return ReferralStatus.RECEIVED
    if case.stage is CaseStage.TRIAGE:
        return ReferralStatus.IN_TRIAGE
    return ReferralStatus.IN_PROGRESS


#: The stages behind each status (for the list's filter, inside the query).
STATUS_STAGES: Mapping[ReferralStatus, frozenset[CaseStage]] = {
    ReferralStatus.RECEIVED: frozenset({CaseStage.REFERRAL}),
    ReferralStatus.IN_TRIAGE: frozenset({CaseStage.TRIAGE}),
    ReferralStatus.CLOSED: frozenset({CaseStage.CLOSED}),
    ReferralStatus.IN_PROGRESS: frozenset(CaseStage)
    - {CaseStage.REFERRAL, CaseStage.TRIAGE, CaseStage.CLOSED},
}

NOT_ON_ROLL = (
    "A school refers only a pupil on its own roll today: no pupil with that id is on this "
    "school's roll."
)


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _check_case_type(access: Access, data: ReferralCreate) -> CaseType:
    """The case type, if the caller may refer for it under the purpose it stated."""
    case_type = CaseType(data.case_type.value)
    integration = access.principal.has(Role.MIS_INTEGRATION) and not access.principal.has(
        Role.SCHOOL_STAFF
    )
    if integration and data.case_type is not ReferralCaseType.ATTENDANCE:
        raise _refuse(
            "/case_type",
            "A school's information system refers attendance cases only; staff refer "
            "for exclusion support.",
            "not_for_integrations",
        )
    purpose = casework.CASE_PURPOSE[case_type]
    if access.purpose is not purpose:
        raise _refuse(
            "/case_type",
            f"A {case_type.value} referral is made under KPAS-Purpose {purpose.value}.",
            "purpose_mismatch",
        )
    return case_type


async def create_referral(session: AsyncSession, access: Access, *, data: ReferralCreate) -> Case:
    """Open a case from a school's referral (422 naming the rule for a pupil not on the
    school's roll today, the same whether or not the pupil exists elsewhere; 409 when the
    pupil already has an open case of the type)."""
    if data.school_urn not in access.principal.school_urns:
        raise _refuse(
            "/school_urn",
            "A school refers from its own schools only: this URN is not one of yours.",
            "not_your_school",
        )
    case_type = _check_case_type(access, data)
    # The pupil's own record is collected for the roll's purposes, not this one: what
    # decides is that they are on the school's roll today and their data subject may be
    # processed for this purpose (no restriction, objection or retention bars it).
    pupil = await PupilRepository(session).get(
        data.pupil_id, visible=access.visible_subjects(Pupil.subject_id)
    )
    if (
        pupil is None
        or pupil.merged_into_id is not None
        or not await on_roll(session, pupil.id, data.school_urn, access.today)
    ):
        access.withheld(data.pupil_id)
        raise _refuse("/pupil_id", NOT_ON_ROLL, "not_on_roll")
    return await open_case(
        session,
        access,
        case_type=case_type,
        pupil=pupil,
        school_urn=data.school_urn,
        source=ReferralSource.SCHOOL,
        carer_ids=data.carer_ids,
        referral=data.sent(),
    )


async def list_referrals(
    session: AsyncSession,
    access: Access,
    *,
    school_urn: int | None,
    status: ReferralStatus | None,
    open_: bool | None,
    page: PageRequest,
) -> tuple[list[Case], str | None]:
    query = ReferralQuery(
        school_urn=school_urn,
        stages=STATUS_STAGES[status] if status is not None else None,
        open=open_,
    )
    found, next_cursor = await ReferralRepository(session).page(
        query, page, visible=access.filter()
    )
    access.touched(subject_ids=[case.subject_id for case in found])
    return found, next_cursor


async def get_referral(session: AsyncSession, access: Access, *, referral_id: uuid.UUID) -> Case:
    case = await ReferralRepository(session).get(referral_id, visible=access.filter())
    if case is None:
        raise access.not_found(referral_id, "No referral with that id that you may see.")
    # Only the pupil: a referral's answer names no carer.
    access.touched(subject_ids=[case.subject_id], resource_id=case.id)
    return case


# --- exclusions on exclusion-support cases -----------------------------------------------


async def link_exclusion(
    session: AsyncSession, access: Access, exclusion: Exclusion
) -> Case | None:
    """Link a reported suspension or exclusion to the pupil's open exclusion-support case, if
    there is one, and put it on that case's chronology (ids, dates and codes only)."""
    case = await CaseRepository(session).open_case_of_type(
        exclusion.pupil_id, CaseType.EXCLUSION_SUPPORT
    )
    if case is None:
        return None
    exclusion.case_id = case.id
    details: dict[str, object] = {
        "exclusion_id": str(exclusion.id),
        "kind": exclusion.kind.value,
        "school_urn": exclusion.school_urn,
        "starts_on": exclusion.starts_on.isoformat(),
    }
    if exclusion.school_days is not None:
        details["school_days"] = exclusion.school_days
    add_event(
        session,
        case,
        CaseEventKind.EXCLUSION_REPORTED,
        by=access.principal.subject,
        now=access.now,
        details=details,
    )
    return case
