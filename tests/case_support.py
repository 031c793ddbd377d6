"""Cases for tests: a pupil on a school's roll with a parent, and a case about them at any
stage, written the way the service writes them (parties, chronology, legal claims)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import Case, CaseEventKind, CaseParty, CaseStage, CaseType, ReferralSource
from app.models.people import Carer, Pupil
from app.models.schools import School
from app.policies.registry import purposes_mask
from app.rules import casework
from app.rules.kent import District
from app.services.cases import add_event, case_basis, new_reference, sync_claims
from tests.factories import make_carer, make_pupil, make_school

#: Thanet is in the east area team.
CASE_URN = 118960
OFFICER = "officer-1"


@dataclass
class CaseWorld:
    school: School
    pupil: Pupil
    carer: Carer
    case: Case


async def make_case(
    session: AsyncSession,
    *,
    school: School | None = None,
    pupil: Pupil | None = None,
    carer: Carer | None = None,
    case_type: CaseType = CaseType.ATTENDANCE,
    stage: CaseStage = CaseStage.SUPPORT,
    officer: str | None = OFFICER,
    urn: int = CASE_URN,
    district: District = District.THANET,
    opened_on: date | None = None,
    source: ReferralSource = ReferralSource.COUNCIL,
    referred_by: str = "manager-1",
) -> CaseWorld:
    """A case about a pupil on ``school``'s roll (made when not given) with one parent who has
    parental responsibility, at ``stage``, assigned to ``officer`` (None: unassigned)."""
    if school is None:
        school = await session.get(School, urn) or await make_school(
            session, urn=urn, district=district
        )
    if pupil is None:
        pupil = await make_pupil(session, school=school)
    if carer is None:
        carer = await make_carer(session, pupil=pupil)
    now = datetime.now(UTC)
    today = opened_on or now.date()
    case = Case(
        id=uuid.uuid4(),
        reference=new_reference(today),
        case_type=case_type,
        purpose=casework.CASE_PURPOSE[case_type].value,
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=purposes_mask(set(casework.COLLECTED_FOR[case_type])),
        lawful_basis=case_basis(case_type),
        stage=stage,
        school_urn=school.urn,
        district=school.district,
        area_team=school.area_team,
        assigned_officer=officer,
        assigned_at=now if officer else None,
        referral_source=source,
        referred_by=referred_by,
        opened_on=today,
        closed_at=now if stage is CaseStage.CLOSED else None,
        outcome=None,
    )
    if stage is CaseStage.CLOSED:
        from app.models.cases import CaseOutcome

        case.outcome = CaseOutcome.NO_FURTHER_ACTION
    case.parties = []
    session.add(case)
    await session.flush()
    party = CaseParty(
        id=uuid.uuid4(),
        case_id=case.id,
        carer_id=carer.id,
        subject_id=carer.subject_id,
        relationship_type="mother",
        parental_responsibility=True,
        added_at=now,
    )
    session.add(party)
    case.parties.append(party)
    await session.flush()
    add_event(session, case, CaseEventKind.OPENED, by=referred_by, now=now)
    await sync_claims(session, case, now)
    return CaseWorld(school, pupil, carer, case)


def officer_headers(
    auth,
    *,
    subject: str = OFFICER,
    purpose: str | None = "attendance_duty",
    area_team: str = "east",
) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Headers of an attendance officer in one area team."""
    return auth("attendance_officer", subject=subject, area_teams=(area_team,), purpose=purpose)
