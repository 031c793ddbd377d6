"""Objections (UK GDPR Art 21) and restriction (Art 18) as the policy layer applies them: an
objection reaches the 6(1)(e) part of a purpose that also rests on 6(1)(c), what the legal
obligation requires continues, compelling legitimate grounds are a recorded outcome, and a
pending objection suspends only where restriction was asked for while it is decided."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Pupil, School
from app.models.subjects import ObjectionStatus, SubjectObjection
from app.policies.registry import REGISTRY, Purpose, RestrictionGround
from app.policies.subject_state import visible_subjects
from app.repositories.subjects import SubjectRepository
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)  # Dover: the South area team


def manager(auth: AuthHeaders, purpose: str) -> dict[str, str]:
    return auth("attendance_manager", area_teams=("south",), purpose=purpose)


async def objecting(
    session: AsyncSession,
    pupil: Pupil,
    purpose: Purpose,
    status: ObjectionStatus,
    *,
    restrict_pending: bool = False,
) -> SubjectObjection:
    objection = SubjectObjection(
        subject_id=pupil.subject_id,
        purpose=purpose.value,
        status=status,
        restrict_pending=restrict_pending,
    )
    session.add(objection)
    await session.flush()
    return objection


async def visible_for(session: AsyncSession, pupil: Pupil, purpose: Purpose, resource: str) -> bool:
    found = await session.scalar(
        select(Pupil.id).where(
            Pupil.id == pupil.id,
            visible_subjects(Pupil.subject_id, purpose, NOW.date(), resource),
        )
    )
    return found is not None


class TestTheRegistrySaysWhatContinues:
    def test_objection_applies_to_every_public_task_purpose(self) -> None:
        for purpose in (
            Purpose.ATTENDANCE_DUTY,
            Purpose.INTERVENTION,
            Purpose.EXCLUSION_SUPPORT,
            Purpose.CHILD_EMPLOYMENT_LICENSING,
            Purpose.EQUALITY_MONITORING,
        ):
            assert REGISTRY[purpose].objection_applies, purpose
        # A legal obligation alone, Part 3 processing, and a Sch 2 para 2 release: no objection.
        for purpose in (
            Purpose.SCHOOL_ATTENDANCE_ORDER,
            Purpose.PROSECUTION,
            Purpose.CRIME_PREVENTION_DISCLOSURE,
        ):
            assert not REGISTRY[purpose].objection_applies, purpose

    def test_the_attendance_duty_keeps_the_roll_and_attendance(self) -> None:
        spec = REGISTRY[Purpose.ATTENDANCE_DUTY]
        assert {"school_roll", "attendance_marks", "pupil", "pupil_attendance"} <= set(
            spec.obligation_continues
        )
        assert "attendance_alert" not in spec.obligation_continues
        assert "message" not in spec.obligation_continues
        assert "pupil_sensitive" not in spec.obligation_continues

    def test_the_article_18_2_grounds_are_data(self) -> None:
        assert {g.value for g in RestrictionGround} == {
            "storage",
            "consent",
            "legal_claim",
            "protection_of_others",
            "important_public_interest",
            "subject_rights",
        }
        assert (
            REGISTRY[Purpose.SUBJECT_RIGHTS].restriction_ground is RestrictionGround.SUBJECT_RIGHTS
        )
        assert REGISTRY[Purpose.PROSECUTION].restriction_ground is RestrictionGround.LEGAL_CLAIM
        assert REGISTRY[Purpose.ATTENDANCE_DUTY].restriction_ground is None


class TestUpheldObjections:
    async def test_under_the_attendance_duty_only_the_obligation_continues(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        pupil = await make_pupil(session, school=school)
        await objecting(session, pupil, Purpose.ATTENDANCE_DUTY, ObjectionStatus.UPHELD)
        headers = manager(auth, "attendance_duty")
        assert (await client.get(f"/v1/pupils/{pupil.id}", headers=headers)).status_code == 200
        assert await visible_for(session, pupil, Purpose.ATTENDANCE_DUTY, "pupil_attendance")
        assert not await visible_for(session, pupil, Purpose.ATTENDANCE_DUTY, "attendance_alert")
        assert not await visible_for(session, pupil, Purpose.ATTENDANCE_DUTY, "message")
        sensitive = await client.get(f"/v1/pupils/{pupil.id}/sensitive", headers=headers)
        assert_problem(sensitive, 404)

    async def test_compelling_grounds_are_recorded_with_their_reason(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        pupil = await make_pupil(session, school=school)
        objection = await objecting(
            session, pupil, Purpose.INTERVENTION, ObjectionStatus.PENDING, restrict_pending=True
        )
        headers = manager(auth, "intervention")
        assert_problem(await client.get(f"/v1/pupils/{pupil.id}", headers=headers), 404)
        subjects = SubjectRepository(session)
        with pytest.raises(ValueError, match="reason"):
            await subjects.decide_objection(
                objection,
                outcome=ObjectionStatus.COMPELLING_GROUNDS,
                reason=" ",
                decided_by="ig-officer-1",
                now=NOW,
            )
        with pytest.raises(ValueError, match="not a decision"):
            await subjects.decide_objection(
                objection,
                outcome=ObjectionStatus.PENDING,
                reason=None,
                decided_by="ig-officer-1",
                now=NOW,
            )
        await subjects.decide_objection(
            objection,
            outcome=ObjectionStatus.COMPELLING_GROUNDS,
            reason="Child protection plan in force; support must continue.",
            decided_by="ig-officer-1",
            now=NOW,
        )
        await session.refresh(objection)
        assert objection.status is ObjectionStatus.COMPELLING_GROUNDS
        assert objection.outcome_reason
        assert objection.decided_by == "ig-officer-1"
        assert (await client.get(f"/v1/pupils/{pupil.id}", headers=headers)).status_code == 200


class TestPendingObjections:
    async def test_suspend_only_where_restriction_was_asked_for(
        self, session: AsyncSession, school: School
    ) -> None:
        open_objection = await make_pupil(session, school=school)
        restricting = await make_pupil(session, school=school, legal_forename="Sam")
        await objecting(session, open_objection, Purpose.INTERVENTION, ObjectionStatus.PENDING)
        await objecting(
            session,
            restricting,
            Purpose.INTERVENTION,
            ObjectionStatus.PENDING,
            restrict_pending=True,
        )
        assert await visible_for(session, open_objection, Purpose.INTERVENTION, "pupil")
        assert not await visible_for(session, restricting, Purpose.INTERVENTION, "pupil")
        # Another purpose is untouched by an objection to intervention.
        assert await visible_for(session, restricting, Purpose.ATTENDANCE_DUTY, "pupil")
