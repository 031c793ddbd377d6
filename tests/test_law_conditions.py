"""The registry applies the law exactly: special category data only under a condition that
covers decisions about a person (DPA 2018 Sch 1 para 8(3)); equality monitoring yields figures
only and honours a notice to stop (para 8(5)); prosecution is law enforcement processing (DPA
2018 Part 3) and every consultation is logged with its justification (s62); and naming a
purpose does not open the legal-claims exception to a restriction (UK GDPR Art 18(2))."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, Role
from app.models import AuditEvent, DataSubject, Pupil, School
from app.models.subjects import (
    LegalClaimKind,
    ObjectionStatus,
    SubjectLegalClaim,
    SubjectObjection,
)
from app.policies.engine import PolicyEngine
from app.policies.registry import (
    PURPOSE_BITS,
    REGISTRY,
    RETIRED_PURPOSE_BITS,
    Purpose,
    Regime,
    purposes_mask,
)
from app.policies.rules import READ, RULES, Rule, validate
from app.policies.subject_state import SubjectState, refusal, visible_subjects
from app.repositories.subjects import SubjectRepository
from app.services.people import PEOPLE_PURPOSES_MASK
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_pupil, make_school

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
TODAY = date(2026, 12, 3)
MANAGER = Principal(
    subject="manager-1",
    roles=frozenset({Role.ATTENDANCE_MANAGER}),
    issuer="test",
    area_teams=frozenset({"south"}),
)


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)  # Dover: the South area team


def manager(auth: AuthHeaders, purpose: str) -> dict[str, str]:
    return auth("attendance_manager", area_teams=("south",), purpose=purpose)


async def decision_event(session: AsyncSession, response: httpx.Response) -> AuditEvent:
    decision_id = uuid.UUID(response.headers["kpas-decision-id"])
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.decision_id == decision_id, AuditEvent.kind == "decision"
        )
    )
    assert event is not None
    return event


async def restrict(session: AsyncSession, pupil: Pupil) -> None:
    subject = await session.get(DataSubject, pupil.subject_id)
    assert subject is not None
    subject.restricted_since = NOW
    await session.flush()


class TestSpecialCategoryConditions:
    def test_casework_purposes_rely_on_paragraphs_6_and_18(self) -> None:
        for purpose in (
            Purpose.ATTENDANCE_DUTY,
            Purpose.INTERVENTION,
            Purpose.EXCLUSION_SUPPORT,
            Purpose.CHILD_EMPLOYMENT_LICENSING,
        ):
            assert REGISTRY[purpose].schedule1 == (6, 18)
            assert REGISTRY[purpose].special_category_for_individuals
        relying_on_8 = [p for p, spec in REGISTRY.items() if 8 in spec.schedule1]
        assert relying_on_8 == [Purpose.EQUALITY_MONITORING]

    def test_every_condition_names_its_policy_document(self) -> None:
        for spec in REGISTRY.values():
            for condition in spec.conditions:
                assert condition.policy_document.reference
                assert condition.policy_document.title

    async def test_a_manager_reads_special_category_data_for_an_intervention(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        pupil = await make_pupil(session, school=school)
        response = await client.get(
            f"/v1/pupils/{pupil.id}/sensitive", headers=manager(auth, "intervention")
        )
        assert response.status_code == 200, response.text

    async def test_a_purpose_recorded_under_paragraph_8_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        app: FastAPI,
        session: AsyncSession,
        school: School,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        pupil = await make_pupil(session, school=school)
        spec = REGISTRY[Purpose.INTERVENTION]
        monkeypatch.setitem(REGISTRY, Purpose.INTERVENTION, replace(spec, schedule1=(8,)))
        engine = PolicyEngine()
        assert not engine.decide(
            MANAGER, "pupil_sensitive", "read", Purpose.INTERVENTION, now=NOW
        ).allowed
        # The ordinary record stays reachable; only special category data is refused.
        assert engine.decide(MANAGER, "pupil", "read", Purpose.INTERVENTION, now=NOW).allowed
        app.state.policy_engine = engine
        headers = manager(auth, "intervention")
        assert_problem(await client.get(f"/v1/pupils/{pupil.id}/sensitive", headers=headers), 403)
        assert (await client.get(f"/v1/pupils/{pupil.id}", headers=headers)).status_code == 200


class TestEqualityMonitoring:
    def test_no_rule_may_serve_a_record_under_it(self) -> None:
        bad = Rule(
            "bad",
            frozenset({Role.PARTNER}),
            "pupil",
            READ,
            frozenset({Purpose.EQUALITY_MONITORING}),
        )
        with pytest.raises(ValueError, match="aggregate figures only"):
            validate((*RULES, bad))
        assert not any(Purpose.EQUALITY_MONITORING in rule.purposes for rule in RULES)
        spec = REGISTRY[Purpose.EQUALITY_MONITORING]
        assert spec.aggregate_only and not spec.special_category_for_individuals

    def test_a_notice_to_stop_excludes_the_subject_at_once(self) -> None:
        spec = REGISTRY[Purpose.EQUALITY_MONITORING]
        assert spec.honours_notice_to_stop
        notice = SubjectState(objections={"equality_monitoring": ObjectionStatus.PENDING})
        assert refusal(notice, Purpose.EQUALITY_MONITORING, TODAY) == "objection"
        assert refusal(SubjectState(), Purpose.EQUALITY_MONITORING, TODAY) is None

    async def test_figures_leave_out_a_subject_who_gave_notice(
        self, session: AsyncSession, school: School
    ) -> None:
        counted = await make_pupil(session, school=school)
        stopped = await make_pupil(session, school=school, legal_forename="Sam")
        await session.flush()
        session.add(
            SubjectObjection(
                subject_id=stopped.subject_id,
                purpose=Purpose.EQUALITY_MONITORING.value,
                status=ObjectionStatus.PENDING,
            )
        )
        await session.flush()
        found = await session.scalars(
            select(Pupil.id).where(
                Pupil.id.in_([counted.id, stopped.id]),
                visible_subjects(Pupil.subject_id, Purpose.EQUALITY_MONITORING, TODAY),
            )
        )
        assert set(found.all()) == {counted.id}


class TestLawEnforcement:
    def test_prosecution_is_part_3_processing(self) -> None:
        spec = REGISTRY[Purpose.PROSECUTION]
        assert spec.regime is Regime.LAW_ENFORCEMENT
        assert spec.schedule8 == (1,) and spec.special_category_for_individuals
        assert spec.conditions[0].policy_document.reference == "KCC-APD-PART3"
        assert not spec.objection_applies
        assert not any("portability" in right or "objection" in right for right in spec.rights)

    async def test_each_consultation_is_logged_with_its_justification(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        pupil = await make_pupil(
            session,
            school=school,
            purposes_mask=PEOPLE_PURPOSES_MASK | PURPOSE_BITS[Purpose.PROSECUTION],
        )
        response = await client.get(f"/v1/pupils/{pupil.id}", headers=manager(auth, "prosecution"))
        assert response.status_code == 200, response.text
        event = await decision_event(session, response)
        assert event.outcome == "allow"
        assert event.actor and event.actor_role == "attendance_manager"  # who consulted
        assert event.occurred_at is not None
        assert event.purpose == "prosecution"
        assert event.details["regime"] == "dpa2018_part3"
        assert event.details["justification"] == "prosecution"
        assert "case_id" in event.details


class TestPurposeBinding:
    def test_roll_records_are_collected_for_the_attendance_duty_and_intervention(self) -> None:
        assert (
            purposes_mask([Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION]) == PEOPLE_PURPOSES_MASK
        )

    def test_bit_10_is_never_reused(self) -> None:
        assert RETIRED_PURPOSE_BITS == {"legal_disclosure": 1 << 10}
        assert 1 << 10 not in PURPOSE_BITS.values()
        assert len(set(PURPOSE_BITS.values())) == len(PURPOSE_BITS)

    async def test_naming_prosecution_reaches_no_roll_record(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        pupil = await make_pupil(session, school=school)
        for purpose in ("prosecution", "school_attendance_order"):
            response = await client.get(f"/v1/pupils/{pupil.id}", headers=manager(auth, purpose))
            assert_problem(response, 404)

    async def test_a_restricted_subject_is_processed_only_under_a_live_claim(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, school: School
    ) -> None:
        case_purposes = (
            PURPOSE_BITS[Purpose.PROSECUTION] | PURPOSE_BITS[Purpose.SCHOOL_ATTENDANCE_ORDER]
        )
        pupil = await make_pupil(
            session, school=school, purposes_mask=PEOPLE_PURPOSES_MASK | case_purposes
        )
        await restrict(session, pupil)
        url = f"/v1/pupils/{pupil.id}"
        assert_problem(await client.get(url, headers=manager(auth, "prosecution")), 404)
        assert await SubjectRepository(session).live_legal_claims(pupil.subject_id) == frozenset()

        session.add(
            SubjectLegalClaim(
                subject_id=pupil.subject_id,
                purpose=Purpose.PROSECUTION.value,
                kind=LegalClaimKind.CASE,
                reference="case-0001",
                opened_at=NOW,
            )
        )
        await session.flush()
        assert await SubjectRepository(session).live_legal_claims(pupil.subject_id) == {
            "prosecution"
        }
        allowed = await client.get(url, headers=manager(auth, "prosecution"))
        assert allowed.status_code == 200, allowed.text
        event = await decision_event(session, allowed)
        assert event.details["restriction_ground"] == "legal_claim"
        assert event.details["restricted_subject_ids"] == [str(pupil.subject_id)]
        # The ground is recorded where it was relied on, not on every read under the purpose.
        unrestricted = await make_pupil(
            session, school=school, purposes_mask=PEOPLE_PURPOSES_MASK | case_purposes
        )
        plain = await client.get(
            f"/v1/pupils/{unrestricted.id}", headers=manager(auth, "prosecution")
        )
        assert plain.status_code == 200, plain.text
        plain_event = await decision_event(session, plain)
        assert "restriction_ground" not in plain_event.details
        assert plain_event.details["regime"] == "dpa2018_part3"
        # The claim is for prosecution: the SAO stage and casework stay restricted.
        assert_problem(await client.get(url, headers=manager(auth, "school_attendance_order")), 404)
        assert_problem(await client.get(url, headers=manager(auth, "attendance_duty")), 404)
