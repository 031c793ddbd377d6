"""``/v1/schools`` end to end: the pattern every later resource follows."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import IdempotencyRecord, School
from app.rules.kent import District
from tests.conftest import AuthHeaders
from tests.factories import make_school, school_body

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def as_admin(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    """These tests exercise the resource's HTTP behaviour as the role that may do it all;
    who may do what is pinned down in tests/test_schools_policy.py."""
    client.headers.update(auth("admin"))


async def count_schools(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(School)) or 0)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert {"type", "title", "detail", "instance"} <= body.keys()
    assert "Traceback" not in response.text
    return body


class TestCreate:
    async def test_creates_and_returns_location_and_etag(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        response = await client.post("/v1/schools", json=school_body(118800))
        assert response.status_code == 201, response.text
        assert response.headers["location"] == "/v1/schools/118800"
        assert response.headers["etag"].startswith('"')
        body = response.json()
        assert body["area_team"] == "east"  # Thanet is served by the East team
        assert body["status"] == "open"
        assert await session.get(School, 118800) is not None

    async def test_duplicate_urn_is_a_conflict(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118801)
        response = await client.post("/v1/schools", json=school_body(118801))
        assert_problem(response, 409)

    @pytest.mark.parametrize("urn", [99999, 1000000, -1, "118800a", None, 1.5])
    async def test_invalid_urn_is_refused_and_nothing_changes(
        self, client: httpx.AsyncClient, session: AsyncSession, urn: object
    ) -> None:
        before = await count_schools(session)
        response = await client.post("/v1/schools", json={**school_body(0), "urn": urn})
        body = assert_problem(response, 422)
        assert any(e["pointer"] == "/urn" for e in body["errors"])  # type: ignore[union-attr]
        assert await count_schools(session) == before

    async def test_unknown_fields_are_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/schools", json=school_body(118802, headteacher="X"))
        body = assert_problem(response, 422)
        assert body["errors"] == [  # the value itself is never echoed back
            {
                "location": "body",
                "pointer": "/headteacher",
                "detail": "Extra inputs are not permitted",
                "code": "extra_forbidden",
            }
        ]

    @pytest.mark.parametrize("name", ["", "   ", "x" * 201, "Bad\x00Name", "Line\nbreak"])
    async def test_bad_names_are_refused(self, client: httpx.AsyncClient, name: str) -> None:
        response = await client.post("/v1/schools", json=school_body(118803, name=name))
        assert_problem(response, 422)

    async def test_unknown_district_is_refused(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/v1/schools", json=school_body(118804, district="medway"))
        assert_problem(response, 422)

    async def test_malformed_json_is_a_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/schools", content=b'{"urn": 1', headers={"content-type": "application/json"}
        )
        body = assert_problem(response, 400)
        assert "JSON" in str(body["detail"])

    async def test_wrong_media_type_is_a_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/schools", content=b"urn=1", headers={"content-type": "text/plain"}
        )
        assert_problem(response, 415)

    async def test_oversized_body_is_a_413(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        before = await count_schools(session)
        huge = school_body(118805, name="x" * 2_000_000)
        response = await client.post("/v1/schools", json=huge)
        assert_problem(response, 413)
        assert await count_schools(session) == before

    async def test_oversized_streamed_body_is_a_413(self, client: httpx.AsyncClient) -> None:
        async def chunks():  # no Content-Length: the limit is enforced while reading
            yield b'{"urn": 118806, "name": "'
            for _ in range(40):
                yield b"x" * 65536
            yield b'"}'

        response = await client.post(
            "/v1/schools", content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(response, 413)


class TestIdempotency:
    async def test_replay_returns_the_first_response(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        headers = {"Idempotency-Key": "roll-2026-11-29-a"}
        first = await client.post("/v1/schools", json=school_body(118810), headers=headers)
        second = await client.post("/v1/schools", json=school_body(118810), headers=headers)
        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second.headers["location"] == first.headers["location"]
        assert second.headers["idempotent-replayed"] == "true"
        assert await count_schools(session) == 1

    async def test_same_key_with_another_body_is_422(self, client: httpx.AsyncClient) -> None:
        headers = {"Idempotency-Key": "roll-2026-11-29-b"}
        await client.post("/v1/schools", json=school_body(118811), headers=headers)
        response = await client.post("/v1/schools", json=school_body(118812), headers=headers)
        body = assert_problem(response, 422)
        assert str(body["type"]).endswith("idempotency-key-reused")

    async def test_failed_request_is_not_remembered(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118813)
        headers = {"Idempotency-Key": "roll-2026-11-29-c"}
        response = await client.post("/v1/schools", json=school_body(118813), headers=headers)
        assert response.status_code == 409
        stored = await session.scalar(select(func.count()).select_from(IdempotencyRecord))
        assert stored == 0

    @pytest.mark.parametrize("key", ["", "has space", "x" * 256])
    async def test_malformed_key_is_refused(self, client: httpx.AsyncClient, key: str) -> None:
        response = await client.post(
            "/v1/schools", json=school_body(118814), headers={"Idempotency-Key": key}
        )
        assert_problem(response, 422)


class TestRead:
    async def test_get_returns_school_with_etag(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118820, name="Hopgarden Primary School")
        response = await client.get("/v1/schools/118820")
        assert response.status_code == 200
        assert response.json()["name"] == "Hopgarden Primary School"
        assert response.headers["etag"]

    async def test_missing_school_is_a_404_problem(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/schools/999998"), 404)

    async def test_invalid_urn_in_path_is_a_422(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get("/v1/schools/12"), 422)
        assert_problem(await client.get("/v1/schools/abc"), 422)

    async def test_unsupported_method_lists_allowed_methods(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.put("/v1/schools/118820", json={})
        assert_problem(response, 405)
        assert response.headers["allow"] == "DELETE, GET, PATCH"


class TestList:
    async def test_pages_through_everything_exactly_once(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        urns = {(await make_school(session, urn=200000 + i)).urn for i in range(23)}
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, str | int] = {"limit": 5}
            if cursor:
                params["cursor"] = cursor
            response = await client.get("/v1/schools", params=params)
            assert response.status_code == 200
            page = response.json()
            seen.extend(item["urn"] for item in page["items"])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(urns)

    async def test_filters_combine(self, client: httpx.AsyncClient, session: AsyncSession) -> None:
        await make_school(session, urn=300001, name="Kestrel Down Academy", district=District.DOVER)
        await make_school(session, urn=300002, name="Kestrel Primary", district=District.THANET)
        await make_school(session, urn=300003, name="Fernhill Primary", district=District.DOVER)
        response = await client.get("/v1/schools", params={"district": "dover", "name": "kestrel"})
        assert [s["urn"] for s in response.json()["items"]] == [300001]
        response = await client.get("/v1/schools", params={"area_team": "east"})
        assert [s["urn"] for s in response.json()["items"]] == [300002]

    async def test_name_filter_treats_wildcards_literally(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=300010, name="Saltmarsh Primary")
        response = await client.get("/v1/schools", params={"name": "%"})
        assert response.json()["items"] == []

    @pytest.mark.parametrize(
        "params",
        [{"limit": 0}, {"limit": 201}, {"cursor": "not-a-cursor"}, {"cursor": "W10"}, {"x": 1}],
    )
    async def test_bad_query_parameters_are_422(
        self, client: httpx.AsyncClient, params: dict[str, object]
    ) -> None:
        assert_problem(await client.get("/v1/schools", params=params), 422)


class TestUpdate:
    async def test_patch_with_current_etag_updates(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118830, district=District.DOVER)
        etag = (await client.get("/v1/schools/118830")).headers["etag"]
        response = await client.patch(
            "/v1/schools/118830",
            json={"district": "maidstone", "status": "proposed_to_close"},
            headers={"If-Match": etag, "content-type": "application/merge-patch+json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["area_team"] == "west"
        assert response.headers["etag"] != etag

    async def test_stale_etag_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118831, name="Original Name")
        etag = (await client.get("/v1/schools/118831")).headers["etag"]
        first = await client.patch(
            "/v1/schools/118831", json={"name": "First Edit"}, headers={"If-Match": etag}
        )
        assert first.status_code == 200
        lost = await client.patch(
            "/v1/schools/118831", json={"name": "Second Edit"}, headers={"If-Match": etag}
        )
        assert_problem(lost, 412)
        assert (await client.get("/v1/schools/118831")).json()["name"] == "First Edit"

    async def test_missing_if_match_is_428(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118832)
        assert_problem(await client.patch("/v1/schools/118832", json={"name": "X"}), 428)

    async def test_null_for_required_field_is_refused(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118833)
        etag = (await client.get("/v1/schools/118833")).headers["etag"]
        response = await client.patch(
            "/v1/schools/118833", json={"name": None}, headers={"If-Match": etag}
        )
        assert_problem(response, 422)

    async def test_weak_etag_never_matches(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118834)
        etag = (await client.get("/v1/schools/118834")).headers["etag"]
        response = await client.patch(
            "/v1/schools/118834", json={"name": "X"}, headers={"If-Match": f"W/{etag}"}
        )
        assert_problem(response, 412)


class TestDelete:
    async def test_delete_with_etag_removes(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118840)
        etag = (await client.get("/v1/schools/118840")).headers["etag"]
        response = await client.delete("/v1/schools/118840", headers={"If-Match": etag})
        assert response.status_code == 204
        assert_problem(await client.get("/v1/schools/118840"), 404)

    async def test_delete_without_if_match_is_428(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        await make_school(session, urn=118841)
        assert_problem(await client.delete("/v1/schools/118841"), 428)
        assert (await client.get("/v1/schools/118841")).status_code == 200

    async def test_recreated_school_has_a_new_etag(
        self, client: httpx.AsyncClient, session: AsyncSession
    ) -> None:
        created = await client.post("/v1/schools", json=school_body(118842))
        old_etag = created.headers["etag"]
        await client.delete("/v1/schools/118842", headers={"If-Match": old_etag})
        recreated = await client.post("/v1/schools", json=school_body(118842))
        assert recreated.headers["etag"] != old_etag
