"""``/v1/recipients`` and ``/v1/sharing-agreements`` end to end, and ``active_agreements``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Recipient, SharingAgreement
from app.models.sharing import london_today
from app.policies.registry import Purpose
from app.repositories.sharing import AgreementQuery, AgreementRepository
from app.rules.kent import District
from app.services.sharing import active_agreements
from tests.conftest import AuthHeaders
from tests.factories import agreement_body, make_agreement, make_recipient, recipient_body

PROBLEM = "application/problem+json"

NOTICE_CODES = [
    "schools",
    "kcc-children-young-people-teams",
    "stls",
    "ess",
    "virtual-school-kent",
    "kent-police",
    "the-education-people",
    "nhs-kent-medway",
    "gov-uk-notify",
    "ofsted",
    "hmip",
    "hmcts",
    "law-enforcement-other",
]


@pytest.fixture(autouse=True)
def as_admin(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    """HTTP behaviour as the role that may do it all; who may do what is in
    tests/test_sharing_policy.py."""
    client.headers.update(auth("admin"))


async def count(session: AsyncSession, model: type[object]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


async def police_id(client: httpx.AsyncClient) -> str:
    response = await client.get("/v1/recipients", params={"code": "kent-police"})
    items = response.json()["items"]
    assert len(items) == 1
    return str(items[0]["id"])


class TestSeededRecipients:
    @pytest.mark.parametrize("code", NOTICE_CODES)
    async def test_every_recipient_of_the_notice_is_present(
        self, client: httpx.AsyncClient, code: str
    ) -> None:
        response = await client.get("/v1/recipients", params={"code": code})
        assert response.status_code == 200, response.text
        [item] = response.json()["items"]
        assert item["active"] is True
        assert item["notice_wording"]

    async def test_ids_are_stable(self, client: httpx.AsyncClient) -> None:
        namespace = uuid.UUID("6b1f8a52-3c1e-5d0a-9f47-2a7c0e5b9d31")
        assert await police_id(client) == str(uuid.uuid5(namespace, "kent-police"))

    async def test_kinds(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/recipients", params={"kind": "inspectorate"})
        assert {r["code"] for r in response.json()["items"]} >= {"ofsted", "hmip"}
        response = await client.get("/v1/recipients", params={"kind": "processor"})
        assert {r["code"] for r in response.json()["items"]} >= {"gov-uk-notify"}


class TestRecipients:
    async def test_create_read_update_delete(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        created = await client.post("/v1/recipients", json=recipient_body("synthetic-mentors"))
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/recipients/{body['id']}"
        assert body["active"] is True and body["kind"] == "commissioned_provider"

        got = await client.get(f"/v1/recipients/{body['id']}")
        assert got.status_code == 200
        etag = got.headers["etag"]
        assert etag == created.headers["etag"]

        patched = await client.patch(
            f"/v1/recipients/{body['id']}",
            json={"active": False, "name": "Renamed"},
            headers={"If-Match": etag, "content-type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["active"], patched.json()["name"]) == (False, "Renamed")
        assert patched.headers["etag"] != etag

        listed = await client.get("/v1/recipients", params={"active": "false"})
        assert [r["id"] for r in listed.json()["items"]] == [body["id"]]

        deleted = await client.delete(
            f"/v1/recipients/{body['id']}", headers={"If-Match": patched.headers["etag"]}
        )
        assert deleted.status_code == 204
        assert_problem(await client.get(f"/v1/recipients/{body['id']}"), 404)

    async def test_duplicate_code_is_a_conflict(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        before = await count(session, Recipient)
        assert_problem(await client.post("/v1/recipients", json=recipient_body("kent-police")), 409)
        assert await count(session, Recipient) == before

    @pytest.mark.parametrize(
        "override",
        [
            {"code": "Kent Police"},
            {"code": "x"},
            {"kind": "charity"},
            {"name": ""},
            {"notice_wording": "line\nbreak"},
            {"registered_charity": "123"},
        ],
    )
    async def test_invalid_bodies_are_refused(
        self, client: httpx.AsyncClient, session: AsyncSession, override: dict[str, object]
    ) -> None:
        before = await count(session, Recipient)
        body = {**recipient_body("synthetic-bad"), **override}
        assert_problem(await client.post("/v1/recipients", json=body), 422)
        assert await count(session, Recipient) == before

    async def test_code_cannot_be_patched(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session)
        etag = (await client.get(f"/v1/recipients/{recipient.id}")).headers["etag"]
        response = await client.patch(
            f"/v1/recipients/{recipient.id}", json={"code": "other"}, headers={"If-Match": etag}
        )
        assert_problem(response, 422)

    async def test_stale_etag_is_412_and_missing_is_428(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session, name="Original")
        path = f"/v1/recipients/{recipient.id}"
        etag = (await client.get(path)).headers["etag"]
        assert (await client.patch(path, json={"name": "A"}, headers={"If-Match": etag})).is_success
        assert_problem(
            await client.patch(path, json={"name": "B"}, headers={"If-Match": etag}), 412
        )
        assert_problem(await client.patch(path, json={"name": "C"}), 428)
        assert_problem(await client.delete(path, headers={"If-Match": etag}), 412)
        assert_problem(await client.delete(path), 428)
        assert (await client.get(path)).json()["name"] == "A"

    async def test_recipient_with_agreements_cannot_be_deleted(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session)
        await make_agreement(session, recipient)
        path = f"/v1/recipients/{recipient.id}"
        etag = (await client.get(path)).headers["etag"]
        assert_problem(await client.delete(path, headers={"If-Match": etag}), 409)
        assert (await client.get(path)).status_code == 200

    async def test_idempotent_replay(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        before = await count(session, Recipient)
        headers = {"Idempotency-Key": "recipient-2026-11-29-a"}
        body = recipient_body("synthetic-replay")
        first = await client.post("/v1/recipients", json=body, headers=headers)
        second = await client.post("/v1/recipients", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await count(session, Recipient) == before + 1

    async def test_pages_through_everything_exactly_once(self, client: httpx.AsyncClient) -> None:
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 4}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/recipients", params=params)).json()
            seen.extend(item["code"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == len(set(seen)) and set(NOTICE_CODES) <= set(seen)

    async def test_unknown_id_is_404_and_malformed_is_422(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(f"/v1/recipients/{uuid.uuid4()}"), 404)
        assert_problem(await client.get("/v1/recipients/not-a-uuid"), 422)


class TestAgreements:
    async def test_create_read_update_delete(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await police_id(client)
        created = await client.post("/v1/sharing-agreements", json=agreement_body(recipient))
        assert created.status_code == 201, created.text
        body = created.json()
        assert created.headers["location"] == f"/v1/sharing-agreements/{body['id']}"
        assert body["purposes"] == ["prosecution", "crime_prevention_disclosure"]
        assert body["data_categories"] == ["identity_contact", "attendance"]
        assert (body["ends_on"], body["active"]) == (None, True)

        path = f"/v1/sharing-agreements/{body['id']}"
        etag = (await client.get(path)).headers["etag"]
        yesterday = (london_today() - timedelta(days=1)).isoformat()
        patched = await client.patch(
            path,
            json={"ends_on": yesterday, "purposes": ["crime_prevention_disclosure"]},
            headers={"If-Match": etag},
        )
        assert patched.status_code == 200, patched.text
        assert patched.json()["active"] is False
        assert patched.json()["purposes"] == ["crime_prevention_disclosure"]

        reopened = await client.patch(
            path, json={"ends_on": None}, headers={"If-Match": patched.headers["etag"]}
        )
        assert reopened.status_code == 200, reopened.text
        assert reopened.json()["ends_on"] is None

        deleted = await client.delete(path, headers={"If-Match": reopened.headers["etag"]})
        assert deleted.status_code == 204
        assert_problem(await client.get(path), 404)

    @pytest.mark.parametrize(
        "override",
        [
            {"purposes": ["prosecution", "marketing"]},
            {"purposes": []},
            {"data_categories": ["shoe_size"]},
            {"starts_on": "2026-06-01", "ends_on": "2026-05-31"},
            {"starts_on": "2026-13-01"},
            {"starts_on": 0},
            {"starts_on": "20260101"},
            {"name": None},
            {"recipient_id": "not-a-uuid"},
            {"approved_by": "someone"},
        ],
    )
    async def test_invalid_bodies_are_refused_and_nothing_is_written(
        self, client: httpx.AsyncClient, session: AsyncSession, override: dict[str, object]
    ) -> None:
        recipient = await police_id(client)
        before = await count(session, SharingAgreement)
        body = {**agreement_body(recipient), **override}
        assert_problem(await client.post("/v1/sharing-agreements", json=body), 422)
        assert await count(session, SharingAgreement) == before

    async def test_unknown_recipient_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        body = agreement_body(uuid.uuid4())
        problem = assert_problem(await client.post("/v1/sharing-agreements", json=body), 422)
        assert any(e["pointer"] == "/recipient_id" for e in problem["errors"])  # type: ignore[union-attr]
        assert await count(session, SharingAgreement) == 0

    async def test_patch_cannot_end_before_the_start(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session)
        agreement = await make_agreement(session, recipient, starts_on=date(2026, 6, 1))
        path = f"/v1/sharing-agreements/{agreement.id}"
        etag = (await client.get(path)).headers["etag"]
        response = await client.patch(
            path, json={"ends_on": "2026-05-31"}, headers={"If-Match": etag}
        )
        assert_problem(response, 422)
        assert (await client.get(path)).json()["ends_on"] is None

    async def test_duplicates_in_lists_are_collapsed(self, client: httpx.AsyncClient) -> None:
        body = agreement_body(
            await police_id(client),
            purposes=["prosecution", "prosecution", "crime_prevention_disclosure"],
        )
        response = await client.post("/v1/sharing-agreements", json=body)
        assert response.json()["purposes"] == ["prosecution", "crime_prevention_disclosure"]

    async def test_stale_etag_is_412_and_missing_is_428(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        agreement = await make_agreement(session, await make_recipient(session))
        path = f"/v1/sharing-agreements/{agreement.id}"
        etag = (await client.get(path)).headers["etag"]
        assert (await client.patch(path, json={"name": "A"}, headers={"If-Match": etag})).is_success
        assert_problem(
            await client.patch(path, json={"name": "B"}, headers={"If-Match": etag}), 412
        )
        assert_problem(await client.patch(path, json={"name": "C"}), 428)
        assert_problem(await client.delete(path, headers={"If-Match": etag}), 412)
        assert_problem(await client.delete(path), 428)

    async def test_idempotent_replay(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        headers = {"Idempotency-Key": "agreement-2026-11-29-a"}
        body = agreement_body(await police_id(client))
        first = await client.post("/v1/sharing-agreements", json=body, headers=headers)
        second = await client.post("/v1/sharing-agreements", json=body, headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["idempotent-replayed"] == "true"
        assert await count(session, SharingAgreement) == 1

    async def test_filters(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        police, nhs = await make_recipient(session), await make_recipient(session)
        a = await make_agreement(session, police, purposes=[Purpose.PROSECUTION])
        b = await make_agreement(session, nhs, purposes=[Purpose.INTERVENTION])

        async def ids(**params: str) -> set[str]:
            response = await client.get("/v1/sharing-agreements", params=params)
            assert response.status_code == 200, response.text
            return {item["id"] for item in response.json()["items"]}

        assert await ids(recipient_id=str(police.id)) == {str(a.id)}
        assert await ids(purpose="intervention") == {str(b.id)}
        assert await ids(purpose="prosecution", recipient_id=str(nhs.id)) == set()
        assert_problem(await client.get("/v1/sharing-agreements", params={"purpose": "x"}), 422)
        for day in ("0", "20260101", "tomorrow"):
            response = await client.get("/v1/sharing-agreements", params={"active_on": day})
            assert_problem(response, 422)

    async def test_active_on_includes_start_and_end_days(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session)
        agreement = await make_agreement(
            session, recipient, starts_on=date(2026, 4, 1), ends_on=date(2026, 6, 30)
        )

        async def active_on(day: str) -> bool:
            response = await client.get(
                "/v1/sharing-agreements",
                params={"active_on": day, "recipient_id": str(recipient.id)},
            )
            assert response.status_code == 200, response.text
            return [i["id"] for i in response.json()["items"]] == [str(agreement.id)]

        assert not await active_on("2026-03-31")
        assert await active_on("2026-04-01")
        assert await active_on("2026-06-30")
        assert not await active_on("2026-07-01")

    async def test_inactive_recipient_has_no_active_agreements(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session, active=False)
        agreement = await make_agreement(session, recipient, starts_on=date(2020, 1, 1))
        response = await client.get(
            "/v1/sharing-agreements", params={"active_on": london_today().isoformat()}
        )
        assert str(agreement.id) not in {i["id"] for i in response.json()["items"]}
        got = await client.get(f"/v1/sharing-agreements/{agreement.id}")
        assert got.json()["active"] is False

    async def test_pages_through_everything_exactly_once(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        recipient = await make_recipient(session)
        made = {str((await make_agreement(session, recipient)).id) for _ in range(7)}
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 3}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/v1/sharing-agreements", params=params)).json()
            seen.extend(item["id"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(made) and len(seen) == len(set(seen))


class TestActiveAgreements:
    async def test_by_recipient_purpose_and_day(self, session: AsyncSession) -> None:
        police = await make_recipient(session, code="synthetic-police")
        other = await make_recipient(session, code="synthetic-other")
        current = await make_agreement(
            session,
            police,
            purposes=[Purpose.PROSECUTION, Purpose.CRIME_PREVENTION_DISCLOSURE],
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 31),
        )
        await make_agreement(  # another purpose
            session, police, purposes=[Purpose.INTERVENTION], starts_on=date(2026, 1, 1)
        )
        await make_agreement(  # ended
            session,
            police,
            purposes=[Purpose.PROSECUTION],
            starts_on=date(2025, 1, 1),
            ends_on=date(2025, 12, 31),
        )
        await make_agreement(session, other, purposes=[Purpose.PROSECUTION])

        async def found(purpose: Purpose, on: date, code: str = "synthetic-police") -> list[object]:
            agreements = await active_agreements(
                session, recipient_code=code, purpose=purpose, on=on
            )
            return [a.id for a in agreements]

        assert await found(Purpose.PROSECUTION, date(2026, 1, 1)) == [current.id]
        assert await found(Purpose.CRIME_PREVENTION_DISCLOSURE, date(2026, 12, 31)) == [current.id]
        assert await found(Purpose.PROSECUTION, date(2027, 1, 1)) == []
        assert await found(Purpose.SUBJECT_RIGHTS, date(2026, 6, 1)) == []
        assert await found(Purpose.PROSECUTION, date(2026, 6, 1), "nobody") == []

        police.active = False
        await session.flush()
        assert await found(Purpose.PROSECUTION, date(2026, 6, 1)) == []


class TestDistricts:
    async def test_districts_are_validated_distinct_and_patchable(
        self, client: httpx.AsyncClient
    ) -> None:
        recipient = await police_id(client)
        county = await client.post("/v1/sharing-agreements", json=agreement_body(recipient))
        assert county.json()["districts"] == []  # the whole county

        body = agreement_body(recipient, districts=["thanet", "dover", "thanet"])
        created = await client.post("/v1/sharing-agreements", json=body)
        assert created.status_code == 201, created.text
        assert created.json()["districts"] == ["thanet", "dover"]
        path = f"/v1/sharing-agreements/{created.json()['id']}"
        assert (await client.get(path)).json()["districts"] == ["thanet", "dover"]

        for districts in (["medway"], ["Dover"], "dover", [None]):
            bad = agreement_body(recipient, districts=districts)
            assert_problem(await client.post("/v1/sharing-agreements", json=bad), 422)
        etag = created.headers["etag"]
        assert_problem(
            await client.patch(path, json={"districts": None}, headers={"If-Match": etag}), 422
        )
        assert_problem(
            await client.patch(path, json={"districts": ["kent"]}, headers={"If-Match": etag}),
            422,
        )
        widened = await client.patch(path, json={"districts": []}, headers={"If-Match": etag})
        assert widened.status_code == 200, widened.text
        assert widened.json()["districts"] == []
        narrowed = await client.patch(
            path,
            json={"districts": ["swale", "swale"]},
            headers={"If-Match": widened.headers["etag"]},
        )
        assert narrowed.json()["districts"] == ["swale"]

        # The list filter: agreements reaching a district are county-wide ones and those
        # naming it.
        reaching = await client.get("/v1/sharing-agreements", params={"district": "swale"})
        ids = {a["id"] for a in reaching.json()["items"]}
        assert {county.json()["id"], created.json()["id"]} <= ids
        elsewhere = await client.get("/v1/sharing-agreements", params={"district": "dover"})
        ids = {a["id"] for a in elsewhere.json()["items"]}
        assert county.json()["id"] in ids and created.json()["id"] not in ids
        assert_problem(
            await client.get("/v1/sharing-agreements", params={"district": "medway"}), 422
        )

    async def test_agreements_reaching_a_district(self, session: AsyncSession) -> None:
        recipient = await make_recipient(session)
        county = await make_agreement(session, recipient)
        east = await make_agreement(session, recipient)
        east.districts = [District.THANET.value, District.SWALE.value]
        west = await make_agreement(session, recipient)
        west.districts = [District.MAIDSTONE.value]
        await session.flush()

        async def reaching(district: District) -> set[uuid.UUID]:
            query = AgreementQuery(recipient_id=recipient.id, district=district)
            return {a.id for a in await AgreementRepository(session).all(query)}

        assert await reaching(District.THANET) == {county.id, east.id}
        assert await reaching(District.MAIDSTONE) == {county.id, west.id}
        assert await reaching(District.DOVER) == {county.id}
