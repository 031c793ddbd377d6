"""``/v1/processing-record``: the record of processing, the notice's lists and the drift report,
rendered from the registry, the recipients and agreements in force, and the retention registry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.models import Recipient
from app.models.audit import AuditEvent, AuditEventSubject
from app.models.disclosures import Disclosure, DisclosureChannel
from app.models.sharing import DataCategory, RecipientKind, london_today
from app.notice import LIBRARY, NoticeVersion, RecipientClaim, notice_library
from app.policies.registry import REGISTRY, Purpose
from app.rules.retention_schedule import SCHEDULE
from tests.conftest import AuthHeaders
from tests.factories import make_agreement, make_recipient

RECORD = "/v1/processing-record"
DRIFT = "/v1/processing-record/drift"
NOTICE = "/v1/processing-record/notice"
READERS = (Role.INFORMATION_GOVERNANCE, Role.ADMIN)


async def _mentoring(session: AsyncSession) -> Recipient:
    """A recipient the published notice does not name, with an agreement in force today."""
    recipient = await make_recipient(
        session,
        code="north-kent-mentoring",
        name="North Kent Mentoring",
        kind=RecipientKind.COMMISSIONED_PROVIDER,
        notice_wording="mentoring providers commissioned by the council",
    )
    await make_agreement(
        session,
        recipient,
        name="Mentoring referrals",
        purposes=(Purpose.INTERVENTION,),
        data_categories=(DataCategory.IDENTITY_CONTACT, DataCategory.ATTENDANCE),
        starts_on=london_today() - timedelta(days=30),
    )
    return recipient


Publish = Callable[[NoticeVersion], None]


@pytest.fixture
def publish(app: FastAPI) -> Iterator[Publish]:
    """Publish a further version of the notice, for this test only."""

    def add(version: NoticeVersion) -> None:
        library = LIBRARY.with_version(version)
        app.dependency_overrides[notice_library] = lambda: library

    yield add
    app.dependency_overrides.pop(notice_library, None)


def _codes(report: dict[str, object]) -> set[tuple[str, str]]:
    items = report["items"]
    assert isinstance(items, list)
    return {(item["about"], item["code"]) for item in items}


@pytest.mark.parametrize("role", READERS)
async def test_record_lists_every_purpose_and_active_recipient(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, role: Role
) -> None:
    recipient = await _mentoring(session)
    retired = await make_recipient(session, code="retired-provider", active=False)
    await make_agreement(session, retired, starts_on=london_today() - timedelta(days=400))

    response = await client.get(RECORD, headers=auth(role))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    record = response.json()

    assert record["controller"]["name"] == "Kent County Council"
    assert record["controller"]["contact_email"] == "data.protection@kent.gov.uk"
    assert {p["code"] for p in record["purposes"]} == {p.value for p in REGISTRY}
    attendance = next(p for p in record["purposes"] if p["code"] == "attendance_duty")
    assert attendance["lawful_bases"] == ["6(1)(c)", "6(1)(e)"]
    assert [(c["schedule"], c["paragraph"]) for c in attendance["conditions"]] == [(1, 6), (1, 18)]
    assert attendance["conditions"][0]["policy_document"]["reference"] == "KCC-APD-SCH1"

    active = set(
        (await session.scalars(select(Recipient.code).where(Recipient.active.is_(True)))).all()
    )
    listed = {r["code"]: r for r in record["recipients"]}
    assert set(listed) == active
    assert "retired-provider" not in listed
    mentoring = listed[recipient.code]
    assert [a["name"] for a in mentoring["agreements"]] == ["Mentoring referrals"]
    assert mentoring["agreements"][0]["purposes"] == ["intervention"]

    assert {c["code"] for c in record["data_categories"]} == {c.value for c in DataCategory}
    assert {"pupil", "carer", "licensing_adult"} <= {s["code"] for s in record["data_subjects"]}
    assert [r["record_type"] for r in record["retention"]] == [r.record_type for r in SCHEDULE]
    pupil_linked = next(r for r in record["retention"] if r["record_type"] == "pupil_linked")
    assert (pupil_linked["starts"], pupil_linked["years"]) == ("date_of_birth", 25)
    assert record["international_transfers"]["transfers"] == []
    measures = {m["code"] for m in record["security_measures"]}
    assert {"document_encryption", "audit_chain", "signed_tokens", "transport"} <= measures

    [part3] = record["law_enforcement"]
    assert part3["purpose"] == "prosecution"
    assert [(c["schedule"], c["paragraph"]) for c in part3["sensitive_processing"]] == [(8, 1)]
    assert part3["sensitive_processing"][0]["policy_document"]["reference"] == "KCC-APD-PART3"
    assert {x["operation"] for x in part3["logging"]} == {
        "collection",
        "alteration",
        "consultation",
        "disclosure",
        "combination",
        "erasure",
    }


async def test_record_follows_the_retention_registry(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    record = (await client.get(RECORD, headers=auth("information_governance"))).json()
    assert record["retention_source"] == "registry"
    assert all(r["policy_version"] >= 1 for r in record["retention"])


async def test_the_page_escapes_everything(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    recipient = await make_recipient(
        session,
        code="escape-test",
        name="<script>alert('x')</script> & Co",
        notice_wording='"><img src=x onerror=alert(1)>',
    )
    await make_agreement(
        session, recipient, name="<b>bold</b>", starts_on=london_today() - timedelta(days=1)
    )
    headers = auth("information_governance")

    page = await client.get(RECORD, headers={**headers, "Accept": "text/html"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["vary"] == "Accept"
    text = page.text
    assert "<script>" not in text and "<img" not in text and "<b>bold" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; Co" in text
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in text
    assert "&lt;b&gt;bold&lt;/b&gt;" in text
    assert "Record of processing activities: Kent County Council" in text
    assert "DPA 2018 Sch 8 para 1" in text

    by_query = await client.get(RECORD, params={"format": "html"}, headers=headers)
    assert by_query.headers["content-type"].startswith("text/html")
    json_anyway = await client.get(
        RECORD, params={"format": "json"}, headers={**headers, "Accept": "text/html"}
    )
    assert json_anyway.headers["content-type"].startswith("application/json")
    refused = await client.get(RECORD, headers={**headers, "Accept": "image/png"})
    assert refused.status_code == 406
    assert refused.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("path", [RECORD, DRIFT, NOTICE])
async def test_only_governance_and_administrators_read_it(
    client: httpx.AsyncClient, auth: AuthHeaders, path: str
) -> None:
    assert (await client.get(path)).status_code == 401
    for role in Role:
        response = await client.get(
            path, headers=auth(role, area_teams=("north",), school_urns=(118950,))
        )
        expected = 200 if role in READERS else 403
        assert response.status_code == expected, (role, response.text)


async def test_a_read_is_a_decision_in_the_audit_trail_without_subjects(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """No personal data, so no purpose and no subject index; the decision is still recorded."""
    assert (await client.get(DRIFT, headers=auth("admin", subject="admin-7"))).status_code == 200
    refused = await client.get(RECORD, headers=auth("attendance_manager", subject="manager-3"))
    assert refused.status_code == 403
    events = {
        e.actor: e
        for e in await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "processing_record.read")
        )
    }
    assert events["admin-7"].outcome == "allow"
    assert events["admin-7"].rule == "processing_record.read"
    assert events["admin-7"].purpose is None
    assert events["manager-3"].outcome == "deny"
    subjects = await session.scalar(
        select(func.count())
        .select_from(AuditEventSubject)
        .where(AuditEventSubject.event_id.in_([e.id for e in events.values()]))
    )
    assert subjects == 0


async def test_known_drift_is_reported(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    response = await client.get(DRIFT, headers=auth("information_governance"))
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["notice_version"] == 1
    assert report["notice_published_on"] == "2024-09-01"
    codes = _codes(report)
    # Sch 1 para 8 named for casework that decides about individuals.
    for purpose in ("attendance_duty", "intervention", "exclusion_support"):
        assert (purpose, "notice_condition_drift") in codes
    # Silence on law enforcement processing.
    assert ("prosecution", "notice_regime_drift") in codes
    # Silence on international transfers.
    assert ("international_transfers", "notice_silent_on_transfers") in codes
    condition = next(
        item
        for item in report["items"]
        if item["about"] == "intervention" and item["code"] == "notice_condition_drift"
    )
    assert "para 8" in condition["notice_says"]
    assert "para 6" in condition["processing_does"] and "para 18" in condition["processing_does"]
    assert "8(3)" in condition["processing_does"]
    assert condition["severity"] == "high"
    # What the service collects or keeps that the notice does not say.
    assert ("licensing", "category_not_listed") in codes
    assert ("licensing_adult", "retention_not_stated") in codes
    assert ("equality_monitoring", "purpose_not_stated") in codes
    assert ("portability", "notice_right_drift") in codes
    # What the notice already says right is not reported.
    assert not any(about == "pupil_linked" for about, _ in codes)
    assert not any(code == "recipient_not_named" for _, code in codes)
    for item in report["items"]:
        assert item["notice_says"] and item["processing_does"] and item["source"]


async def test_a_new_recipient_shows_until_the_notice_names_it(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    publish: Publish,
) -> None:
    headers = auth("information_governance")
    recipient = await _mentoring(session)

    report = (await client.get(DRIFT, headers=headers)).json()
    assert (recipient.code, "recipient_not_named") in _codes(report)
    finding = next(i for i in report["items"] if i["about"] == recipient.code)
    assert "North Kent Mentoring" in finding["notice_says"]
    assert "Mentoring referrals" in finding["processing_does"]
    assert finding["source"] == "sharing agreements"
    lists = (await client.get(NOTICE, headers=headers)).json()
    listed = {r["code"]: r for r in lists["recipients"]}
    assert listed[recipient.code]["under_agreement"] is True

    current = LIBRARY.versions[-1]
    amended = current.model_copy(
        update={
            "version": current.version + 1,
            "published_on": london_today(),
            "recipients": (
                *current.recipients,
                RecipientClaim(code=recipient.code, wording="mentoring providers"),
            ),
        }
    )
    publish(NoticeVersion.model_validate(amended.model_dump()))
    report = (await client.get(DRIFT, headers=headers)).json()
    assert report["notice_version"] == current.version + 1
    assert not any(about == recipient.code for about, _ in _codes(report))
    # The rest of the drift is unchanged by naming the recipient.
    assert ("prosecution", "notice_regime_drift") in _codes(report)


async def test_an_agreement_not_in_force_is_not_drift(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    recipient = await make_recipient(session, code="ended-provider")
    await make_agreement(
        session,
        recipient,
        starts_on=london_today() - timedelta(days=400),
        ends_on=london_today() - timedelta(days=1),
    )
    future = await make_recipient(session, code="future-provider")
    await make_agreement(session, future, starts_on=london_today() + timedelta(days=1))
    report = (await client.get(DRIFT, headers=auth("admin"))).json()
    abouts = {about for about, _ in _codes(report)}
    assert "ended-provider" not in abouts and "future-provider" not in abouts


async def test_a_release_to_a_recipient_the_notice_does_not_name_is_drift(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    """Data that went to a recipient the notice does not name is drift, with or without an
    agreement; a release before the notice in force was published is not."""
    recipient = await make_recipient(session, code="youth-offending-team", name="Youth team")
    earlier = await make_recipient(session, code="before-the-notice", name="Earlier body")
    now = datetime.now(UTC)
    for to, when in (
        (recipient, now - timedelta(days=2)),
        (earlier, datetime(2024, 1, 5, tzinfo=UTC)),
    ):
        session.add(
            Disclosure(
                recipient_id=to.id,
                purpose=Purpose.CRIME_PREVENTION_DISCLOSURE.value,
                lawful_basis="6(1)(e)",
                data_categories=[DataCategory.ATTENDANCE.value],
                channel=DisclosureChannel.SECURE_EMAIL,
                automatic=False,
                approved_by="ig-officer-1",
                recorded_by="ig-officer-1",
                disclosed_at=when,
                content_sha256="0" * 64,
                request_reference="KP-2026-0042",
            )
        )
    await session.flush()
    report = (await client.get(DRIFT, headers=auth("information_governance"))).json()
    finding = next(i for i in report["items"] if i["about"] == "youth-offending-team")
    assert finding["code"] == "recipient_not_named"
    assert finding["source"] == "disclosure log"
    assert "1 time(s)" in finding["processing_does"]
    assert "crime_prevention_disclosure" in finding["processing_does"]
    assert not any(i["about"] == "before-the-notice" for i in report["items"])


async def test_a_notice_that_matches_the_service_quiets_the_drift(
    client: httpx.AsyncClient, auth: AuthHeaders, publish: Publish
) -> None:
    """A notice written from the notice's lists leaves no regime, condition or transfer drift."""
    headers = auth("information_governance")
    current = LIBRARY.versions[-1]
    purposes = [
        {
            "code": spec.purpose.value,
            "wording": spec.wording,
            "regime": spec.regime.value,
            "lawful_bases": [b.value for b in spec.bases],
            "schedule1_paragraphs": list(spec.schedule1),
            "schedule8_paragraphs": list(spec.schedule8),
        }
        for spec in REGISTRY.values()
        if not spec.governance
    ]
    data = current.model_dump(mode="json") | {
        "version": current.version + 1,
        "published_on": london_today().isoformat(),
        "regimes": ["uk_gdpr", "dpa2018_part3"],
        "lawful_bases": ["6(1)(c)", "6(1)(e)", "s35(2)(b)"],
        "schedule1_paragraphs": [6, 10, 18],
        "schedule8_paragraphs": [1],
        "purposes": purposes,
        "international_transfers": "We do not transfer your information outside the UK.",
    }
    publish(NoticeVersion.model_validate(data))
    codes = _codes((await client.get(DRIFT, headers=headers)).json())
    kinds = {code for _, code in codes}
    assert "notice_regime_drift" not in kinds
    assert "notice_silent_on_transfers" not in kinds
    assert "purpose_not_stated" not in kinds
    assert not any(
        about in {"attendance_duty", "intervention", "prosecution"}
        for about, code in codes
        if code == "notice_condition_drift"
    )


async def test_the_notice_lists_come_from_the_registry(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    response = await client.get(NOTICE, headers=auth("admin"))
    assert response.status_code == 200, response.text
    lists = response.json()
    purposes = {p["code"]: p for p in lists["purposes"]}
    assert set(purposes) == {p.value for p in REGISTRY}
    assert "Sch 1 para 6" in purposes["intervention"]["special_category"]
    assert "Part 3" in purposes["prosecution"]["lawful_basis"]
    assert "Sch 8 para 1" in purposes["prosecution"]["special_category"]
    assert {"user"}.isdisjoint({s["code"] for s in lists["data_subjects"]})
    pupil_linked = next(r for r in lists["retention"] if r["record_type"] == "pupil_linked")
    assert "25th birthday" in pupil_linked["wording"]
    assert lists["international_transfers"].startswith("No personal data")
    regimes = {group["regime"] for group in lists["rights"]}
    assert regimes == {"uk_gdpr", "dpa2018_part3"}
