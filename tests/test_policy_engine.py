"""The policy engine: rules, purposes, special category, subject states, and the promise that
a record check and its SQL filter always agree."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant, Principal, Role
from app.models.subjects import (
    DataSubject,
    LegalClaimKind,
    ObjectionStatus,
    SubjectKind,
    SubjectLegalClaim,
    SubjectObjection,
)
from app.policies.engine import PolicyEngine
from app.policies.registry import (
    REGISTRY,
    Purpose,
    findings,
    purposes_mask,
    purposes_of,
)
from app.policies.rules import RULES, Rule, validate
from app.policies.subject_state import Objection, SubjectState, refusal
from tests.policy_probe import ProbeRecord, probe_engine, probe_metadata, probe_records

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 29)


def principal(*roles: Role, **claims: object) -> Principal:
    return Principal(
        subject=str(claims.pop("subject", "user-1")),
        roles=frozenset(roles),
        issuer="https://kpas.test",
        **claims,  # type: ignore[arg-type]
    )


class TestSchoolsRules:
    engine = PolicyEngine()

    @pytest.mark.parametrize(
        "role",
        [Role.ATTENDANCE_OFFICER, Role.LICENSING_OFFICER, Role.ADMIN, Role.SCHOOL_STAFF],
    )
    def test_staff_and_schools_read(self, role: Role) -> None:
        decision = self.engine.decide(principal(role), "school", "list", None, now=NOW)
        assert decision.allowed and decision.rule == "schools.read"

    @pytest.mark.parametrize("role", [Role.PARTNER, Role.MIS_INTEGRATION])
    def test_partners_and_integrations_do_not(self, role: Role) -> None:
        decision = self.engine.decide(principal(role), "school", "list", None, now=NOW)
        assert not decision.allowed
        assert decision.rule == "default.deny"

    def test_only_admin_writes(self) -> None:
        assert self.engine.decide(principal(Role.ADMIN), "school", "update", None, now=NOW).allowed
        officer = self.engine.decide(
            principal(Role.ATTENDANCE_MANAGER), "school", "update", None, now=NOW
        )
        assert not officer.allowed

    def test_inspector_reads_only_inside_the_grant(self) -> None:
        grant = InspectionGrant("g1", NOW - timedelta(days=1), NOW + timedelta(days=1))
        inside = principal(Role.INSPECTOR, inspection=grant)
        assert self.engine.decide(inside, "school", "read", None, now=NOW).allowed
        after = self.engine.decide(inside, "school", "read", None, now=NOW + timedelta(days=2))
        assert not after.allowed and after.rule == "inspection.inactive"
        no_grant = self.engine.decide(principal(Role.INSPECTOR), "school", "read", None, now=NOW)
        assert not no_grant.allowed

    def test_every_decision_has_a_fresh_id(self) -> None:
        first = self.engine.decide(principal(Role.ADMIN), "school", "read", None, now=NOW)
        second = self.engine.decide(principal(Role.ADMIN), "school", "read", None, now=NOW)
        assert first.id != second.id


class TestPurposes:
    engine = probe_engine()

    def test_missing_purpose_names_the_allowed_ones(self) -> None:
        decision = self.engine.decide(principal(Role.SCHOOL_STAFF), "probe", "read", None, now=NOW)
        assert not decision.allowed and decision.rule == "purpose.required"
        assert decision.allowed_purposes == ("attendance_duty", "intervention")

    def test_purpose_the_role_may_not_use_is_refused(self) -> None:
        decision = self.engine.decide(
            principal(Role.SCHOOL_STAFF), "probe", "read", Purpose.PROSECUTION, now=NOW
        )
        assert not decision.allowed and decision.rule == "purpose.not_allowed"
        assert "attendance_duty" in decision.allowed_purposes

    def test_allowed_decision_names_rule_purpose_and_basis(self) -> None:
        decision = self.engine.decide(
            principal(Role.ATTENDANCE_OFFICER, area_teams=frozenset({"east"})),
            "probe",
            "read",
            Purpose.INTERVENTION,
            now=NOW,
        )
        assert decision.allowed
        assert (decision.rule, decision.purpose, decision.basis) == (
            "probe.officer",
            Purpose.INTERVENTION,
            "6(1)(e)",
        )

    def test_record_not_collected_for_the_purpose_is_not_visible(self) -> None:
        officer = principal(Role.ATTENDANCE_OFFICER, area_teams=frozenset({"east"}))
        decision = self.engine.decide(officer, "probe", "read", Purpose.PROSECUTION, now=NOW)
        record = ProbeRecord(
            school_urn=1,
            area_team="east",
            purposes_mask=purposes_mask([Purpose.ATTENDANCE_DUTY]),
        )
        assert not self.engine.permits(decision, officer, record, today=TODAY)

    def test_governance_purposes_reach_every_record(self) -> None:
        ig = principal(Role.INFORMATION_GOVERNANCE)
        decision = self.engine.decide(ig, "probe", "read", Purpose.SUBJECT_RIGHTS, now=NOW)
        record = ProbeRecord(
            school_urn=1, area_team="west", purposes_mask=purposes_mask([Purpose.INTERVENTION])
        )
        assert self.engine.permits(decision, ig, record, today=TODAY)


class TestSpecialCategory:
    engine = probe_engine()

    def test_served_where_the_rule_and_an_article_9_condition_allow(self) -> None:
        officer = principal(Role.ATTENDANCE_OFFICER, area_teams=frozenset({"east"}))
        decision = self.engine.decide(officer, "probe", "read", Purpose.ATTENDANCE_DUTY, now=NOW)
        assert decision.special_category

    def test_withheld_from_a_role_whose_rule_does_not_grant_it(self) -> None:
        school = principal(Role.SCHOOL_STAFF, school_urns=frozenset({118800}))
        decision = self.engine.decide(school, "probe", "read", Purpose.ATTENDANCE_DUTY, now=NOW)
        assert decision.allowed and not decision.special_category


class TestSubjectStates:
    def test_restriction_stops_all_but_the_recorded_article_18_2_grounds(self) -> None:
        state = SubjectState(restricted=True)
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY) == "restricted"
        assert refusal(state, Purpose.INTERVENTION, TODAY) == "restricted"
        # Naming prosecution is not a legal claim: only a live claim for the person is.
        assert refusal(state, Purpose.PROSECUTION, TODAY) == "restricted"
        assert refusal(state, Purpose.SCHOOL_ATTENDANCE_ORDER, TODAY) == "restricted"
        assert refusal(state, Purpose.SUBJECT_RIGHTS, TODAY) is None
        assert refusal(state, Purpose.RETENTION_MANAGEMENT, TODAY) is None

    def test_a_live_legal_claim_lets_its_own_purpose_continue(self) -> None:
        state = SubjectState(restricted=True, live_claims=frozenset({"prosecution"}))
        assert refusal(state, Purpose.PROSECUTION, TODAY) is None
        assert refusal(state, Purpose.SCHOOL_ATTENDANCE_ORDER, TODAY) == "restricted"

    def test_an_upheld_objection_stops_a_public_task_purpose(self) -> None:
        state = SubjectState(objections={"intervention": ObjectionStatus.UPHELD})
        assert refusal(state, Purpose.INTERVENTION, TODAY) == "objection"

    def test_a_pending_objection_suspends_only_with_restriction_asked_for(self) -> None:
        pending = SubjectState(objections={"intervention": ObjectionStatus.PENDING})
        assert refusal(pending, Purpose.INTERVENTION, TODAY) is None
        restricting = SubjectState(
            objections={"intervention": Objection(ObjectionStatus.PENDING, restrict_pending=True)}
        )
        assert refusal(restricting, Purpose.INTERVENTION, TODAY) == "objection"

    @pytest.mark.parametrize(
        "status", [ObjectionStatus.REJECTED, ObjectionStatus.COMPELLING_GROUNDS]
    )
    def test_rejected_or_overridden_objection_lifts(self, status: ObjectionStatus) -> None:
        state = SubjectState(objections={"intervention": status})
        assert refusal(state, Purpose.INTERVENTION, TODAY) is None

    def test_an_objection_reaches_the_public_task_part_of_a_legal_obligation_purpose(
        self,
    ) -> None:
        # attendance_duty rests on 6(1)(c) and 6(1)(e): the obligation's part continues.
        state = SubjectState(objections={"attendance_duty": ObjectionStatus.UPHELD})
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY, "pupil_attendance") is None
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY, "school_roll") is None
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY, "attendance_alert") == "objection"
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY, "message") == "objection"

    def test_past_retention_is_visible_only_to_retention_management(self) -> None:
        state = SubjectState(retain_until=TODAY - timedelta(days=1))
        assert refusal(state, Purpose.ATTENDANCE_DUTY, TODAY) == "past_retention"
        assert refusal(state, Purpose.SUBJECT_RIGHTS, TODAY) == "past_retention"
        assert refusal(state, Purpose.RETENTION_MANAGEMENT, TODAY) is None

    def test_retention_date_itself_is_still_inside(self) -> None:
        assert refusal(SubjectState(retain_until=TODAY), Purpose.ATTENDANCE_DUTY, TODAY) is None


class TestRegistry:
    def test_no_casework_purpose_relies_on_paragraph_8(self) -> None:
        codes = {(f.purpose, f.code) for f in findings()}
        assert not any(code == "schedule1_excludes_individual_decisions" for _, code in codes)
        for purpose in (Purpose.ATTENDANCE_DUTY, Purpose.CHILD_EMPLOYMENT_LICENSING):
            assert (purpose, "notice_condition_drift") in codes
        assert (Purpose.PROSECUTION, "notice_regime_drift") in codes

    def test_every_purpose_has_a_basis_and_a_bit(self) -> None:
        for purpose in Purpose:
            assert REGISTRY[purpose].bases
            assert purposes_of(purposes_mask([purpose])) == [purpose]

    def test_a_record_needs_at_least_one_purpose(self) -> None:
        with pytest.raises(ValueError, match="at least one purpose"):
            purposes_mask([])


class TestRuleValidation:
    def test_the_shipped_rules_are_valid(self) -> None:
        validate(RULES)

    def test_duplicate_ids_are_refused(self) -> None:
        with pytest.raises(ValueError, match="duplicate"):
            validate((RULES[0], RULES[0]))

    def test_a_role_cannot_be_given_a_purpose_it_may_not_state(self) -> None:
        bad = Rule(
            "bad",
            frozenset({Role.SCHOOL_STAFF}),
            "school",
            frozenset({"read"}),
            frozenset({Purpose.PROSECUTION}),
        )
        with pytest.raises(ValueError, match="may not state"):
            validate((bad,))

    def test_inspectors_cannot_be_given_writes(self) -> None:
        bad = Rule("bad", frozenset({Role.INSPECTOR}), "school", frozenset({"update"}))
        with pytest.raises(ValueError, match="read-only"):
            validate((bad,))


# --- the two faces agree ---------------------------------------------------------------

AREA_TEAMS = ["north", "south", "east", "west"]
URNS = [118800, 118801, 118802]
probe_purposes = [
    Purpose.ATTENDANCE_DUTY,
    Purpose.INTERVENTION,
    Purpose.PROSECUTION,
    Purpose.EXCLUSION_SUPPORT,
    Purpose.SUBJECT_RIGHTS,
    Purpose.RETENTION_MANAGEMENT,
    Purpose.STATUTORY_INSPECTION,
]

records_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "school_urn": st.sampled_from(URNS),
            "area_team": st.sampled_from(AREA_TEAMS),
            "purposes": st.sets(st.sampled_from(probe_purposes), min_size=1),
            "restricted": st.booleans(),
            "retention_offset": st.sampled_from([None, -1, 0, 1]),
            "objection": st.sampled_from([None, *ObjectionStatus]),
            "restrict_pending": st.booleans(),
            "claim": st.sampled_from([None, Purpose.PROSECUTION, Purpose.INTERVENTION]),
            "objection_purpose": st.sampled_from(probe_purposes),
        }
    ),
    min_size=1,
    max_size=12,
)
principal_strategy = st.builds(
    lambda roles, teams, urns: principal(
        *roles, area_teams=frozenset(teams), school_urns=frozenset(urns)
    ),
    st.sets(
        st.sampled_from(
            [
                Role.ATTENDANCE_OFFICER,
                Role.ATTENDANCE_MANAGER,
                Role.SCHOOL_STAFF,
                Role.INFORMATION_GOVERNANCE,
                Role.ADMIN,
            ]
        ),
        min_size=1,
        max_size=2,
    ),
    st.sets(st.sampled_from(AREA_TEAMS), max_size=2),
    st.sets(st.sampled_from(URNS), max_size=2),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=records_strategy, caller=principal_strategy, purpose=st.sampled_from(probe_purposes))
# A case open for intervention does not reach a record held for the attendance duty alone:
# only a case-bound purpose (prosecution, orders) is reached through a case.
@example(
    rows=[
        {
            "school_urn": URNS[0],
            "area_team": "north",
            "purposes": {Purpose.ATTENDANCE_DUTY},
            "restricted": False,
            "retention_offset": None,
            "objection": None,
            "restrict_pending": False,
            "claim": Purpose.INTERVENTION,
            "objection_purpose": Purpose.ATTENDANCE_DUTY,
        }
    ],
    caller=principal(Role.ATTENDANCE_OFFICER, area_teams=frozenset({"north"})),
    purpose=Purpose.INTERVENTION,
)
async def test_record_check_and_sql_filter_agree(
    session: AsyncSession, rows: list[dict[str, object]], caller: Principal, purpose: Purpose
) -> None:
    engine = probe_engine()
    connection = await session.connection()
    await connection.run_sync(probe_metadata.create_all)
    nested = await session.begin_nested()
    try:
        expected: set[uuid.UUID] = set()
        decision = engine.decide(caller, "probe", "list", purpose, now=NOW)
        for row in rows:
            subject = DataSubject(
                kind=SubjectKind.PUPIL,
                restricted_since=NOW if row["restricted"] else None,
                retain_until=(
                    TODAY + timedelta(days=int(row["retention_offset"]))  # type: ignore[call-overload]
                    if row["retention_offset"] is not None
                    else None
                ),
            )
            session.add(subject)
            await session.flush()
            objections = {}
            if row["objection"] is not None:
                objection_purpose = Purpose(str(row["objection_purpose"]))
                session.add(
                    SubjectObjection(
                        subject_id=subject.id,
                        purpose=objection_purpose.value,
                        status=row["objection"],
                        restrict_pending=bool(row["restrict_pending"]),
                    )
                )
                objections[objection_purpose.value] = Objection(
                    ObjectionStatus(str(row["objection"])), bool(row["restrict_pending"])
                )
            claims: frozenset[str] = frozenset()
            if row["claim"] is not None:
                session.add(
                    SubjectLegalClaim(
                        subject_id=subject.id,
                        purpose=str(row["claim"]),
                        kind=LegalClaimKind.CASE,
                        reference="case-1",
                        opened_at=NOW,
                    )
                )
                claims = frozenset({str(row["claim"])})
            record_id = uuid.uuid4()
            values = {
                "id": record_id,
                "subject_id": subject.id,
                "school_urn": row["school_urn"],
                "area_team": row["area_team"],
                "purposes_mask": purposes_mask(list(row["purposes"])),  # type: ignore[call-overload]
                "note": "n",
            }
            await session.execute(insert(probe_records).values(**values))
            state = SubjectState(
                restricted=subject.restricted_since is not None,
                retain_until=subject.retain_until,
                objections=objections,
                live_claims=claims,
                # The claims written above are a case's: they bind the purpose too.
                case_claims=claims,
            )
            if engine.permits(
                decision, caller, ProbeRecord(**values), subject_state=state, today=TODAY
            ):
                expected.add(record_id)
        await session.flush()
        visible = engine.visible(decision, caller, today=TODAY)
        found = set((await session.scalars(select(probe_records.c.id).where(visible))).all())
        assert found == expected
    finally:
        await nested.rollback()
