"""Need-to-know outside KPAS, end to end: a partner sees what an active sharing agreement and
a purpose allow, an inspector only what their grant covers, and every release is written down
as a disclosure of exactly the bytes sent. A read nothing covers is refused, never served and
logged.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import InspectionGrant as GrantClaims
from app.models import (
    AuditEvent,
    Carer,
    DataCategory,
    Disclosure,
    DisclosureChannel,
    DisclosureSubject,
    InspectionGrant,
    Pupil,
    Recipient,
    School,
    SensitiveCategory,
    SensitiveEntry,
    SharingAgreement,
)
from app.models.sharing import london_today
from app.policies.registry import REGISTRY, Purpose
from app.rules.kent import District
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_carer, make_pupil, make_recipient, make_school

RECIPIENTS = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
OFSTED = uuid.uuid5(RECIPIENTS, "ofsted")
PARTNER_ORG = "synthetic-mentoring"
INSPECTOR = "ofsted-inspector-7"
IDENTITY = DataCategory.IDENTITY_CONTACT
HEALTH = DataCategory.SPECIAL_CATEGORY_HEALTH


class World:
    """Two districts: Dover (X, which the partner's agreement covers) and Thanet (Y)."""

    school_x: School
    school_y: School
    in_x: list[Pupil]
    in_y: Pupil
    carer_x: Carer
    partner: Recipient
    agreement: SharingAgreement


@pytest.fixture
async def world(session: AsyncSession) -> World:
    w = World()
    w.school_x = await make_school(session, urn=118970, district=District.DOVER)
    w.school_y = await make_school(session, urn=118971, district=District.THANET)
    w.in_x = [
        await make_pupil(session, school=w.school_x, legal_surname="Dovera"),
        await make_pupil(session, school=w.school_x, legal_surname="Doverb"),
    ]
    w.in_y = await make_pupil(session, school=w.school_y, legal_surname="Thanet")
    w.carer_x = await make_carer(session, pupil=w.in_x[0], surname="Carerx")
    await make_carer(session, pupil=w.in_y, surname="Carery")
    details = {
        SensitiveCategory.HEALTH: {"description": "Synthetic need", "need_category": "other"},
        SensitiveCategory.SEND: {"status": "sen_support", "primary_need": "SLCN"},
    }
    for pupil in (w.in_x[0], w.in_y):
        for category in (SensitiveCategory.HEALTH, SensitiveCategory.SEND):
            session.add(
                SensitiveEntry(
                    pupil_id=pupil.id,
                    subject_id=pupil.subject_id,
                    purposes_mask=PEOPLE_PURPOSES_MASK,
                    lawful_basis=PEOPLE_BASIS,
                    category=category,
                    details=details[category],
                    source="synthetic school census",
                    article9_condition="9(2)(g)",
                    recorded_by="manager-1",
                )
            )
    w.partner = await make_recipient(session, code=PARTNER_ORG)
    w.agreement = await agreement_for(w.partner, session, categories=(IDENTITY, HEALTH))
    return w


async def agreement_for(
    recipient: Recipient,
    session: AsyncSession,
    *,
    categories: tuple[DataCategory, ...],
    districts: tuple[District, ...] = (District.DOVER,),
    starts_in: int = -30,
    ends_in: int | None = 30,
) -> SharingAgreement:
    today = london_today()
    agreement = await make_agreement(
        session,
        recipient,
        purposes=[Purpose.INTERVENTION],
        data_categories=categories,
        starts_on=today + timedelta(days=starts_in),
        ends_on=None if ends_in is None else today + timedelta(days=ends_in),
    )
    agreement.districts = [d.value for d in districts]
    await session.flush()
    return agreement


def partner(auth: AuthHeaders, purpose: str = "intervention") -> dict[str, str]:
    return auth("partner", subject="mentor-9", org=PARTNER_ORG, purpose=purpose)


async def disclosures(session: AsyncSession) -> list[tuple[Disclosure, set[uuid.UUID]]]:
    rows = list(await session.scalars(select(Disclosure).order_by(Disclosure.recorded_at)))
    out = []
    for row in rows:
        subjects = set(
            await session.scalars(
                select(DisclosureSubject.subject_id).where(
                    DisclosureSubject.disclosure_id == row.id
                )
            )
        )
        out.append((row, subjects))
    return out


async def count_disclosures(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Disclosure)) or 0)


def assert_refused(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 403, response.text
    assert response.json()["policy"]["rule"] == rule


def assert_disclosed(
    disclosure: Disclosure,
    subjects: set[uuid.UUID],
    response: httpx.Response,
    *,
    expected_subjects: set[uuid.UUID],
    categories: list[str],
    purpose: Purpose,
) -> None:
    assert disclosure.content_sha256 == hashlib.sha256(response.content).hexdigest()
    assert subjects == expected_subjects
    assert disclosure.data_categories == categories
    assert (disclosure.purpose, disclosure.lawful_basis) == (
        purpose.value,
        REGISTRY[purpose].basis_label,
    )
    assert (disclosure.channel, disclosure.automatic) == (DisclosureChannel.API, True)
    assert disclosure.decision_id == uuid.UUID(response.headers["kpas-decision-id"])


class TestPartner:
    async def test_reads_within_the_agreement_each_write_one_disclosure(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, world: World
    ) -> None:
        headers = partner(auth)
        listed = await client.get("/v1/pupils", headers=headers)
        assert listed.status_code == 200, listed.text
        assert {p["id"] for p in listed.json()["items"]} == {str(p.id) for p in world.in_x}

        one = await client.get(f"/v1/pupils/{world.in_x[0].id}", headers=headers)
        assert one.status_code == 200, one.text
        hidden = await client.get(f"/v1/pupils/{world.in_y.id}", headers=headers)
        assert hidden.status_code == 404, hidden.text

        carers = await client.get("/v1/carers", headers=headers)
        assert carers.status_code == 200, carers.text
        assert [c["surname"] for c in carers.json()["items"]] == ["Carerx"]

        written = await disclosures(session)
        assert len(written) == 3  # the 404 released nothing and wrote nothing
        for (disclosure, subjects), response, expected in zip(
            written,
            (listed, one, carers),
            (
                {p.subject_id for p in world.in_x},
                {world.in_x[0].subject_id},
                {world.carer_x.subject_id},
            ),
            strict=True,
        ):
            assert_disclosed(
                disclosure,
                subjects,
                response,
                expected_subjects=expected,
                categories=[IDENTITY.value],
                purpose=Purpose.INTERVENTION,
            )
            assert (disclosure.recipient_id, disclosure.agreement_id) == (
                world.partner.id,
                world.agreement.id,
            )
            assert disclosure.inspection_grant_id is None
            assert disclosure.recorded_by == "mentor-9"
        assert written[1][0].resource_id == str(world.in_x[0].id)

        # Governance finds them by the person they were about (a subject access request).
        about = await client.get(
            "/v1/disclosures",
            params={"subject_id": str(world.in_x[0].subject_id), "automatic": "true"},
            headers=auth("information_governance"),
        )
        assert {d["id"] for d in about.json()["items"]} == {str(d.id) for d, _ in written[:2]}

    async def test_sensitive_entries_are_only_the_agreed_categories(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, world: World
    ) -> None:
        headers = partner(auth)
        pupil = world.in_x[0]
        response = await client.get(f"/v1/pupils/{pupil.id}/sensitive", headers=headers)
        assert response.status_code == 200, response.text
        assert {e["category"] for e in response.json()["items"]} == {"health"}
        outside = await client.get(f"/v1/pupils/{world.in_y.id}/sensitive", headers=headers)
        assert outside.status_code == 404, outside.text
        [(disclosure, subjects)] = await disclosures(session)
        assert_disclosed(
            disclosure,
            subjects,
            response,
            expected_subjects={pupil.subject_id},
            categories=[HEALTH.value],
            purpose=Purpose.INTERVENTION,
        )

    async def test_a_purpose_the_agreement_lacks_is_refused_and_nothing_disclosed(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, world: World
    ) -> None:
        response = await client.get("/v1/pupils", headers=partner(auth, "prosecution"))
        assert_refused(response, "sharing.no_agreement")
        assert await count_disclosures(session) == 0
        refusal = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.decision_id == uuid.UUID(response.headers["kpas-decision-id"])
            )
        )
        assert refusal is not None
        assert (refusal.outcome, refusal.rule) == ("deny", "sharing.no_agreement")

    @pytest.mark.parametrize("state", ["ended", "not_started", "recipient_inactive", "other_org"])
    async def test_no_active_agreement_no_data(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        world: World,
        state: str,
    ) -> None:
        headers = partner(auth)
        if state == "ended":
            world.agreement.ends_on = london_today() - timedelta(days=1)
        elif state == "not_started":
            world.agreement.starts_on = london_today() + timedelta(days=1)
            world.agreement.ends_on = None
        elif state == "recipient_inactive":
            world.partner.active = False
        else:
            headers = auth("partner", org="synthetic-someone-else", purpose="intervention")
        await session.flush()
        for path in ("/v1/pupils", f"/v1/pupils/{world.in_x[0].id}"):
            assert_refused(await client.get(path, headers=headers), "sharing.no_agreement")
        assert await count_disclosures(session) == 0

    async def test_an_agreement_without_identity_data_releases_no_pupils(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, world: World
    ) -> None:
        world.agreement.data_categories = [HEALTH.value]
        await session.flush()
        headers = partner(auth)
        assert_refused(await client.get("/v1/pupils", headers=headers), "sharing.no_agreement")
        assert_refused(await client.get("/v1/carers", headers=headers), "sharing.no_agreement")
        sensitive = await client.get(f"/v1/pupils/{world.in_x[0].id}/sensitive", headers=headers)
        assert sensitive.status_code == 200, sensitive.text
        assert await count_disclosures(session) == 1

    async def test_agreements_are_not_merged(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, world: World
    ) -> None:
        """Identity data for Dover and health data county-wide never add up to identity data
        county-wide: one agreement decides each read, and the disclosure names it."""
        world.agreement.data_categories = [IDENTITY.value]
        county_health = await agreement_for(
            world.partner, session, categories=(HEALTH,), districts=()
        )
        headers = partner(auth)
        listed = await client.get("/v1/pupils", headers=headers)
        assert {p["id"] for p in listed.json()["items"]} == {str(p.id) for p in world.in_x}
        health = await client.get(f"/v1/pupils/{world.in_y.id}/sensitive", headers=headers)
        assert health.status_code == 200, health.text
        assert {e["category"] for e in health.json()["items"]} == {"health"}
        agreements = [d.agreement_id for d, _ in await disclosures(session)]
        assert agreements == [world.agreement.id, county_health.id]


class TestInspector:
    @pytest.fixture
    async def grant(self, session: AsyncSession, world: World) -> InspectionGrant:
        now = datetime.now(UTC)
        grant = InspectionGrant(
            recipient_id=OFSTED,
            inspector=INSPECTOR,
            reference="ILACS-2026-KENT",
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=8),
            school_urns=[world.school_x.urn],
            data_categories=[IDENTITY.value],
            granted_by="ig-officer-1",
        )
        session.add(grant)
        await session.flush()
        return grant

    def inspector(
        self, auth: AuthHeaders, grant: InspectionGrant, subject: str = INSPECTOR
    ) -> dict[str, str]:
        claims = GrantClaims(str(grant.id), grant.starts_at, grant.ends_at)
        return auth("inspector", subject=subject, inspection=claims, purpose="statutory_inspection")

    async def test_reads_the_grant_schools_and_each_read_is_disclosed(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        world: World,
        grant: InspectionGrant,
    ) -> None:
        headers = self.inspector(auth, grant)
        listed = await client.get("/v1/pupils", headers=headers)
        assert listed.status_code == 200, listed.text
        assert {p["id"] for p in listed.json()["items"]} == {str(p.id) for p in world.in_x}
        assert (await client.get(f"/v1/pupils/{world.in_y.id}", headers=headers)).status_code == 404
        sensitive = await client.get(f"/v1/pupils/{world.in_x[0].id}/sensitive", headers=headers)
        assert_refused(sensitive, "inspection.not_covered")

        [(disclosure, subjects)] = await disclosures(session)
        assert_disclosed(
            disclosure,
            subjects,
            listed,
            expected_subjects={p.subject_id for p in world.in_x},
            categories=[IDENTITY.value],
            purpose=Purpose.STATUTORY_INSPECTION,
        )
        assert (disclosure.recipient_id, disclosure.inspection_grant_id) == (OFSTED, grant.id)
        assert disclosure.agreement_id is None

        # Revocation takes effect at once, whatever the token says.
        governance = auth("information_governance")
        path = f"/v1/inspection-grants/{grant.id}"
        etag = (await client.get(path, headers=governance)).headers["etag"]
        revoked = await client.post(f"{path}/revocation", headers={**governance, "If-Match": etag})
        assert revoked.status_code == 200, revoked.text
        assert_refused(await client.get("/v1/pupils", headers=headers), "inspection.no_grant")
        assert await count_disclosures(session) == 1

    @pytest.mark.parametrize("case", ["ended", "someone_else", "unknown_grant", "claims_expired"])
    async def test_no_open_grant_of_their_own_no_data(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        world: World,
        grant: InspectionGrant,
        case: str,
    ) -> None:
        headers = self.inspector(auth, grant)
        rule = "inspection.no_grant"
        if case == "ended":
            grant.ends_at = datetime.now(UTC) - timedelta(minutes=1)
            await session.flush()
        elif case == "someone_else":
            headers = self.inspector(auth, grant, subject="another-inspector")
        elif case == "unknown_grant":
            claims = GrantClaims(str(uuid.uuid4()), grant.starts_at, grant.ends_at)
            headers = auth(
                "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
            )
        else:
            past = datetime.now(UTC) - timedelta(days=2)
            claims = GrantClaims(str(grant.id), past, past + timedelta(hours=1))
            headers = auth(
                "inspector", subject=INSPECTOR, inspection=claims, purpose="statutory_inspection"
            )
            rule = "inspection.inactive"
        assert_refused(await client.get("/v1/pupils", headers=headers), rule)
        assert await count_disclosures(session) == 0

    async def test_inspectors_never_write(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        world: World,
        grant: InspectionGrant,
    ) -> None:
        headers = {**self.inspector(auth, grant), "If-Match": "*"}
        pupil = world.in_x[0]
        for method, path, body in (
            ("POST", "/v1/pupils", {}),
            ("PATCH", f"/v1/pupils/{pupil.id}", {"preferred_forename": "X"}),
            ("POST", f"/v1/pupils/{pupil.id}/sensitive", {}),
            ("POST", "/v1/disclosures", {}),
            ("POST", "/v1/inspection-grants", {}),
        ):
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == 403, (method, path, response.text)
        deleted = await client.delete(f"/v1/pupils/{pupil.id}", headers=headers)
        assert deleted.status_code in {403, 405}
        assert await count_disclosures(session) == 0
