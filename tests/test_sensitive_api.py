"""``/v1/pupils/{id}/sensitive``: special category data as its own resource. Who reaches it
(and under which purpose), what stays hidden, validation of each category, idempotent
creation, and the disclosure written for a partner's read."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, Role
from app.models import (
    AuditEvent,
    DataCategory,
    DataSubject,
    Disclosure,
    DisclosureSubject,
    Pupil,
    RecipientKind,
    School,
    SensitiveEntry,
)
from app.policies.engine import PolicyEngine
from app.policies.registry import REGISTRY, Purpose
from tests.conftest import AuthHeaders
from tests.factories import (
    assert_problem,
    make_agreement,
    make_pupil,
    make_recipient,
    make_school,
    manager_headers,
)

SOURCE = "school census, spring 2026"


def ethnicity(**overrides: object) -> dict[str, object]:
    return {
        "category": "ethnicity",
        "details": {"code": "WENG"},
        "source": SOURCE,
        "article9_condition": "9(2)(g)",
        "valid_from": "2026-01-15",
        **overrides,
    }


def health(**overrides: object) -> dict[str, object]:
    return {
        "category": "health",
        "details": {
            "description": "Asthma; inhaler kept in class",
            "need_category": "medical_condition",
        },
        "source": "school nurse",
        "article9_condition": "9(2)(g)",
        **overrides,
    }


def send(**details: object) -> dict[str, object]:
    return {
        "category": "send",
        "details": {"status": "ehcp", "primary_need": "ASD", "plan_date": "2025-03-01", **details},
        "source": "KCC SEN team",
        "article9_condition": "9(2)(g)",
    }


def social_care(**details: object) -> dict[str, object]:
    return {
        "category": "social_care",
        "details": {
            "involvement": "child_in_need",
            "start_date": "2025-09-01",
            "lead_professional": {
                "name": "Jo Synthetic",
                "role": "Social worker",
                "organisation": "KCC Children's Social Care",
                "phone": "07700 900123",
                "email": "jo.synthetic@example.org",
            },
            **details,
        },
        "source": "KCC Children's Social Care",
        "article9_condition": "9(2)(g)",
    }


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)  # Dover: the South area team


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school)


@pytest.fixture
def manager(auth: AuthHeaders) -> dict[str, str]:
    return manager_headers(auth, area_team="south")


def url(pupil: Pupil, entry_id: object = None) -> str:
    base = f"/v1/pupils/{pupil.id}/sensitive"
    return base if entry_id is None else f"{base}/{entry_id}"


async def count_entries(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(SensitiveEntry)) or 0)


class TestManagerInArea:
    async def test_records_each_category_and_reads_them_back(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = {}
        for body in (social_care(), send(), health(), ethnicity()):
            response = await client.post(url(pupil), json=body, headers=manager)
            assert response.status_code == 201, response.text
            entry = response.json()
            assert response.headers["location"] == url(pupil, entry["id"])
            assert response.headers["etag"].startswith('"')
            assert response.headers["cache-control"] == "no-store"
            created[entry["category"]] = (entry, response.headers["etag"])
        assert created["ethnicity"][0]["details"] == {"code": "WENG", "main_code": "WBRI"}
        assert created["social_care"][0]["details"]["lead_professional"]["phone"] == (
            "+447700900123"
        )

        first = await client.get(url(pupil), params={"limit": 3}, headers=manager)
        assert first.status_code == 200, first.text
        rest = await client.get(
            url(pupil), params={"cursor": first.json()["next_cursor"]}, headers=manager
        )
        items = first.json()["items"] + rest.json()["items"]
        assert [e["category"] for e in items] == ["ethnicity", "health", "send", "social_care"]
        assert rest.json()["next_cursor"] is None
        assert first.headers["cache-control"] == "no-store"

        only_send = await client.get(url(pupil), params={"category": "send"}, headers=manager)
        assert [e["category"] for e in only_send.json()["items"]] == ["send"]

        entry, etag = created["health"]
        read = await client.get(url(pupil, entry["id"]), headers=manager)
        assert read.status_code == 200 and read.json() == entry
        assert read.headers["etag"] == etag

        stored = await session.get(SensitiveEntry, uuid.UUID(entry["id"]))
        assert stored is not None
        assert (stored.subject_id, stored.purposes_mask, stored.lawful_basis) == (
            pupil.subject_id,
            pupil.purposes_mask,
            pupil.lawful_basis,
        )
        assert (stored.article9_condition, stored.recorded_by) == ("9(2)(g)", "tester-1")

    async def test_delete_needs_a_current_etag_and_is_audited_by_id(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await client.post(url(pupil), json=ethnicity(), headers=manager)
        entry_url = created.headers["location"]
        assert_problem(await client.delete(entry_url, headers=manager), 428)
        stale = await client.delete(entry_url, headers={**manager, "If-Match": '"stale-1"'})
        assert_problem(stale, 412)
        deleted = await client.delete(
            entry_url, headers={**manager, "If-Match": created.headers["etag"]}
        )
        assert deleted.status_code == 204
        assert_problem(await client.get(entry_url, headers=manager), 404)
        assert await count_entries(session) == 0

        changes = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.kind == "change", AuditEvent.resource_id == created.json()["id"])
                .order_by(AuditEvent.occurred_at)
            )
        ).all()
        assert [c.action for c in changes] == ["sensitive_entry.created", "sensitive_entry.deleted"]
        for change in changes:
            assert change.subject_id == pupil.subject_id
            assert change.details == {"pupil_id": str(pupil.id)}  # ids only
            assert change.purpose == "attendance_duty" and change.basis

    async def test_a_manager_of_another_area_finds_nothing(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await client.post(url(pupil), json=ethnicity(), headers=manager)
        north = auth("attendance_manager", area_teams=("north",), purpose="attendance_duty")
        assert_problem(await client.get(url(pupil), headers=north), 404)
        assert_problem(await client.get(created.headers["location"], headers=north), 404)
        assert_problem(await client.post(url(pupil), json=health(), headers=north), 404)
        assert await count_entries(session) == 1

    async def test_an_unknown_pupil_or_entry_is_404(
        self, client: httpx.AsyncClient, pupil: Pupil, manager: dict[str, str]
    ) -> None:
        assert_problem(
            await client.get(f"/v1/pupils/{uuid.uuid4()}/sensitive", headers=manager), 404
        )
        assert_problem(await client.get(url(pupil, uuid.uuid4()), headers=manager), 404)


#: Invalid entries, what is wrong with each, and where the problem must point.
INVALID_ENTRIES: dict[str, tuple[dict[str, object], str]] = {
    "unknown ethnicity code": (ethnicity(details={"code": "XXXX"}), "/details/code"),
    "EHCP without plan date": (send(plan_date=None), "/details"),
    "NSA with an EHCP": (send(primary_need="NSA"), "/details"),
    "unknown SEN need": (send(primary_need="XYZ"), "/details/primary_need"),
    "care ends before it starts": (social_care(end_date="2025-08-01"), "/details"),
    "unknown involvement": (social_care(involvement="adopted"), "/details/involvement"),
    "consent as the condition": (ethnicity(article9_condition="9(2)(a)"), "/article9_condition"),
    "valid_to before valid_from": (ethnicity(valid_to="2025-01-01"), "/"),
    "unknown field": (ethnicity(notes="free text"), "/notes"),
    "unknown health category": (
        health(details={"description": "x", "need_category": "flu"}),
        "/details/need_category",
    ),
    "unknown category": ({**ethnicity(), "category": "religion"}, "/category"),
}


class TestValidation:
    async def test_invalid_entries_are_refused_without_echoing_them(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        for case, (body, pointer) in INVALID_ENTRIES.items():
            response = await client.post(url(pupil), json=body, headers=manager)
            problem = assert_problem(response, 422)
            errors = problem["errors"]
            assert isinstance(errors, list)
            assert pointer in [e["pointer"] for e in errors], (case, errors)
            for secret in ("XXXX", "free text", "adopted", "flu", "XYZ", "religion"):
                assert secret not in response.text, case
        assert await count_entries(session) == 0

    async def test_the_condition_must_be_the_purposes_own(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        legal = ethnicity(article9_condition="9(2)(f)")
        problem = assert_problem(await client.post(url(pupil), json=legal, headers=manager), 422)
        assert problem["errors"] == [
            {
                "location": "body",
                "pointer": "/article9_condition",
                "detail": "recorded for attendance_duty, which rests on Article 9(2)(g)",
                "code": "article9_condition_mismatch",
            }
        ]
        intervention = auth("attendance_manager", area_teams=("south",), purpose="intervention")
        refused = await client.post(url(pupil), json=legal, headers=intervention)
        assert_problem(refused, 422)
        created = await client.post(url(pupil), json=ethnicity(), headers=intervention)
        assert created.status_code == 201, created.text


class TestIdempotency:
    async def test_a_replay_returns_the_first_response_and_another_body_is_refused(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        headers = {**manager, "Idempotency-Key": "census-import-2026-spring-1"}
        first = await client.post(url(pupil), json=ethnicity(), headers=headers)
        again = await client.post(url(pupil), json=ethnicity(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotent-replayed"] == "true"
        other = await client.post(url(pupil), json=health(), headers=headers)
        assert_problem(other, 422)
        assert await count_entries(session) == 1


class TestWhoMay:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, pupil: Pupil) -> None:
        assert (await client.get(url(pupil))).status_code == 401
        assert (await client.post(url(pupil), json=ethnicity())).status_code == 401

    async def test_roles_without_a_rule_are_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, school: School, pupil: Pupil
    ) -> None:
        for role, purpose in (
            ("school_staff", "attendance_duty"),
            ("mis_integration", "attendance_duty"),
            ("admin", None),
            ("licensing_officer", "child_employment_licensing"),
        ):
            headers = auth(role, area_teams=("south",), school_urns=(school.urn,), purpose=purpose)
            for response in (
                await client.get(url(pupil), headers=headers),
                await client.post(url(pupil), json=ethnicity(), headers=headers),
            ):
                problem = assert_problem(response, 403)
                assert problem["policy"], role
        # An officer reads special category data only through one of their cases (none
        # here: not found), and never records it.
        officer = auth("attendance_officer", area_teams=("south",), purpose="attendance_duty")
        assert_problem(await client.get(url(pupil), headers=officer), 404)
        assert_problem(await client.post(url(pupil), json=ethnicity(), headers=officer), 403)

    async def test_governance_reads_under_a_governance_purpose_only(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await client.post(url(pupil), json=health(), headers=manager)
        rights = auth("information_governance", purpose="subject_rights")
        listed = await client.get(url(pupil), headers=rights)
        assert listed.status_code == 200, listed.text
        assert [e["id"] for e in listed.json()["items"]] == [created.json()["id"]]
        assert_problem(await client.post(url(pupil), json=ethnicity(), headers=rights), 403)
        inspection = auth("information_governance", purpose="statutory_inspection")
        refused = assert_problem(await client.get(url(pupil), headers=inspection), 403)
        assert refused["policy"]["rule"] == "purpose.not_allowed"  # type: ignore[index]
        # Rectification on a subject's request: governance may remove an entry.
        removed = await client.delete(
            created.headers["location"], headers={**rights, "If-Match": created.headers["etag"]}
        )
        assert removed.status_code == 204

    async def test_a_purpose_without_an_article9_condition_never_reaches_it(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        pupil: Pupil,
        manager: dict[str, str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Every purpose in the registry has an Article 9 condition today; take one away.
        spec = REGISTRY[Purpose.ATTENDANCE_DUTY]
        monkeypatch.setitem(
            REGISTRY, Purpose.ATTENDANCE_DUTY, replace(spec, article9=None, schedule1=())
        )
        engine = PolicyEngine()
        principal = Principal(
            subject="manager-1",
            roles=frozenset({Role.ATTENDANCE_MANAGER}),
            issuer="test",
            area_teams=frozenset({"south"}),
        )
        now = datetime.now(UTC)
        assert not engine.decide(
            principal, "pupil_sensitive", "read", spec.purpose, now=now
        ).allowed
        # The ordinary record stays reachable for that purpose, and another purpose with a
        # condition still reaches the special category data.
        assert engine.decide(principal, "pupil", "read", spec.purpose, now=now).allowed
        other = engine.decide(principal, "pupil_sensitive", "read", Purpose.INTERVENTION, now=now)
        assert other.allowed and other.special_category

        app.state.policy_engine = engine
        assert_problem(await client.get(url(pupil), headers=manager), 403)
        assert_problem(await client.post(url(pupil), json=ethnicity(), headers=manager), 403)


class TestSubjectState:
    async def test_a_restricted_pupil_is_hidden_even_from_a_named_legal_claims_purpose(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        subject = await session.get(DataSubject, pupil.subject_id)
        assert subject is not None
        subject.restricted_since = datetime.now(UTC)
        await session.flush()
        assert_problem(await client.get(url(pupil), headers=manager), 404)
        assert_problem(await client.post(url(pupil), json=ethnicity(), headers=manager), 404)
        # Naming prosecution is not a live legal claim for the person (UK GDPR Art 18(2)).
        prosecution = auth("attendance_manager", area_teams=("south",), purpose="prosecution")
        assert_problem(await client.get(url(pupil), headers=prosecution), 404)
        rights = auth("information_governance", purpose="subject_rights")
        assert (await client.get(url(pupil), headers=rights)).status_code == 200

    async def test_a_pupil_past_retention_is_hidden(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        school: School,
        manager: dict[str, str],
    ) -> None:
        pupil = await make_pupil(session, school=school, date_of_birth=date(1990, 1, 1))
        subject = await session.get(DataSubject, pupil.subject_id)
        assert subject is not None and subject.retain_until is not None
        assert subject.retain_until < date.today() - timedelta(days=1)
        assert_problem(await client.get(url(pupil), headers=manager), 404)
        rights = auth("information_governance", purpose="subject_rights")
        assert_problem(await client.get(url(pupil), headers=rights), 404)


class TestPartner:
    async def test_receives_only_what_its_agreement_covers_and_each_read_is_disclosed(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        await client.post(url(pupil), json=health(), headers=manager)
        hidden = await client.post(url(pupil), json=ethnicity(), headers=manager)
        recipient = await make_recipient(
            session, code="synthetic-health-partner", kind=RecipientKind.HEALTH
        )
        await make_agreement(
            session,
            recipient,
            purposes=(Purpose.INTERVENTION,),
            data_categories=(DataCategory.SPECIAL_CATEGORY_HEALTH,),
        )
        partner = auth("partner", org="synthetic-health-partner", purpose="intervention")

        listed = await client.get(url(pupil), headers=partner)
        assert listed.status_code == 200, listed.text
        assert [e["category"] for e in listed.json()["items"]] == ["health"]
        decision = uuid.UUID(listed.headers["kpas-decision-id"])
        disclosure = await session.scalar(
            select(Disclosure).where(Disclosure.decision_id == decision)
        )
        assert disclosure is not None
        assert disclosure.content_sha256 == hashlib.sha256(listed.content).hexdigest()
        assert disclosure.data_categories == ["special_category_health"]
        assert disclosure.recipient_id == recipient.id
        subjects = (
            await session.scalars(
                select(DisclosureSubject.subject_id).where(
                    DisclosureSubject.disclosure_id == disclosure.id
                )
            )
        ).all()
        assert subjects == [pupil.subject_id]

        assert_problem(await client.get(hidden.headers["location"], headers=partner), 404)
        assert_problem(await client.post(url(pupil), json=health(), headers=partner), 403)
        # A purpose its agreement does not cover releases nothing.
        other = auth("partner", org="synthetic-health-partner", purpose="attendance_duty")
        assert_problem(await client.get(url(pupil), headers=other), 403)
