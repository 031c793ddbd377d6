"""List cursors are opaque, sealed and bound: a cursor this service did not issue to this
caller, for this list and these filters, is the one same 422, never a page and never a 500;
and the next page is a comparison with the last row's sort values inside the caller's own
query, so no cursor can tell anything about a row the caller may not see."""

from __future__ import annotations

import base64
import json
import os
import re
import stat
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from app.auth.principal import Role
from app.crypto.cursors import (
    CURSOR_LIFETIME,
    KEY_FILE,
    MAX_CURSOR_CHARS,
    CursorKey,
    CursorKeyError,
    CursorSeal,
    load_cursor_key,
)
from app.errors import ValidationFailed
from app.models.audit import AuditEvent
from app.models.cases import CaseStage, CaseType
from app.models.messages import OutboundMessage
from app.models.people import Pupil, SensitiveCategory, SensitiveEntry
from app.models.schools import School, SchoolStatus
from app.policies import PolicyDeclaration
from app.policies.registry import Purpose
from app.policies.resources import RESOURCES
from app.repositories.pagination import INT64_MAX, PageRequest
from app.routers.paging import Paging
from app.rules.kent import District
from app.schemas.people import PupilFilters
from tests.case_support import make_case
from tests.conftest import AuthHeaders, make_settings
from tests.factories import make_carer, make_pupil, make_school
from tests.licence_support import make_licence, make_person
from tests.test_messages_api import family, queued_about
from tests.test_route_policies import (
    ENGINE,
    PARTNER_ORG,
    SAMPLE_URN,
    county_wide_agreement,
    declaration_of,
    inspection_grant,
    purpose_for,
)
from tests.test_subject_requests_api import request_body

#: The one answer to every cursor that is refused, whatever the reason.
BAD_CURSOR_ERRORS = [
    {"location": "query", "pointer": "/cursor", "detail": "invalid cursor", "code": "cursor"}
]
KEY = CursorKey(bytes(range(32)))
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
BINDING = b'{"list":"pupils","caller":"staff-a"}'
PUPIL_KEYS = (Pupil.surname_key, Pupil.forename_key, Pupil.id)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64_json(value: object) -> str:
    return b64(json.dumps(value).encode())


def sealer(*, key: CursorKey = KEY, binding: bytes = BINDING, now: datetime = NOW) -> CursorSeal:
    return CursorSeal(key, binding, now=now)


def start(cursor: str | None, **seal: Any) -> PageRequest:
    return PageRequest.start(limit=2, cursor=cursor, seal=sealer(**seal))


def issued(values: list[Any], **seal: Any) -> str:
    """A real cursor, as a page ending on a row with these sort values would give it."""
    return start(None, **seal).next_cursor(values)


def assert_refused(cursor: str, keys: tuple[Any, ...] = PUPIL_KEYS, **seal: Any) -> None:
    """Refused with the one 422, whether on opening or on typing its values as ``keys``."""
    with pytest.raises(ValidationFailed) as caught:
        start(cursor, **seal).position(keys)
    assert caught.value.status == 422
    assert caught.value.errors == BAD_CURSOR_ERRORS


def assert_bad_cursor(response: httpx.Response) -> None:
    assert response.status_code == 422, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith("/validation-failed") and body["status"] == 422
    assert body["errors"] == BAD_CURSOR_ERRORS


# --- the codec ----------------------------------------------------------------------------


class TestCodec:
    def test_a_cursor_opens_to_the_sort_values_it_was_issued_for(self) -> None:
        pupil_id = uuid.uuid4()
        cursor = issued(["ashdown", "alex", pupil_id])
        page = start(cursor)
        assert page.after == ("ashdown", "alex", str(pupil_id))
        assert page.position(PUPIL_KEYS) == ("ashdown", "alex", pupil_id)
        assert start(None).position(PUPIL_KEYS) is None

    def test_every_kind_of_key_comes_back_as_its_column_type(self) -> None:
        moment = datetime(2026, 11, 30, 23, 59, 59, 123456, tzinfo=UTC)
        some_id = uuid.uuid4()
        cases = [
            ((OutboundMessage.created_at, OutboundMessage.id), (moment, some_id)),
            ((Pupil.date_of_birth, Pupil.id), (date(2014, 5, 17), some_id)),
            ((AuditEvent.seq,), (INT64_MAX,)),
            ((School.urn,), (118950,)),
            ((SensitiveEntry.category, SensitiveEntry.id), (SensitiveCategory.HEALTH, some_id)),
        ]
        for keys, values in cases:
            position = start(issued(list(values))).position(keys)
            assert position == values
            assert [type(v) for v in position or ()] == [type(v) for v in values]

    def test_the_sort_values_are_encrypted_not_just_signed(self) -> None:
        cursor = issued(["ashdown", "alexandra", uuid.uuid4()])
        raw = unb64(cursor)
        assert b"ashdown" not in raw and b"alexandra" not in raw
        assert "ashdown" not in cursor
        # and a second cursor for the same row is not the same text (a fresh nonce)
        assert issued(["ashdown", "alexandra", uuid.uuid4()]) != cursor

    def test_every_single_bit_flip_is_refused(self) -> None:
        raw = unb64(issued(["ashdown", "alex", uuid.uuid4()]))
        for index in range(len(raw)):
            for bit in range(8):
                altered = bytearray(raw)
                altered[index] ^= 1 << bit
                assert_refused(b64(bytes(altered)))

    def test_every_truncation_and_extension_is_refused(self) -> None:
        cursor = issued(["ashdown", "alex", uuid.uuid4()])
        for length in range(len(cursor)):
            assert_refused(cursor[:length])
        for tail in ("A", "AA", "AAAA", "_", "="):
            assert_refused(cursor + tail)

    def test_a_second_spelling_of_the_same_bytes_is_refused(self) -> None:
        cursor = issued(["ashdown", "alex", uuid.uuid4()])
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        if len(unb64(cursor)) % 3:  # the last character has unused bits: vary them
            last = alphabet.index(cursor[-1])
            twins = {c for c in alphabet if unb64(cursor[:-1] + c) == unb64(cursor)}
            assert alphabet[last] in twins
            for twin in twins - {cursor[-1]}:
                assert_refused(cursor[:-1] + twin)
        assert_refused(cursor + "==")
        standard_alphabet = cursor.replace("-", "+").replace("_", "/")
        if standard_alphabet != cursor:  # only a cursor with - or _ has a second spelling
            assert_refused(standard_alphabet)

    @pytest.mark.parametrize(
        "cursor",
        [
            "",
            " ",
            "not-a-cursor",
            "bm90LWEtY3Vyc29y",
            "%00",
            "\x00",
            "é",
            "A" * (MAX_CURSOR_CHARS + 1),
            b64(b"[0]"),
            b64_json([2**70]),
            b64_json([-(2**70)]),
            b64(b"{}"),
            b64(b"[]"),
            b64(b"null"),
            b64_json(["5f0c2a52-3d1e-4c8b-9a61-0e2f7b9d4c13"]),  # the old format: a row id
            b64_json(
                ["ashdown", "alex", "9b7e4f10-6a2d-4e55-8c3b-71d0a9e6f284"]
            ),  # sort values in the clear
            b64(b"\x01" + bytes(12) + bytes(8) + bytes(16)),  # the right shape, no key
            b64(bytes(range(64))),
        ],
    )
    def test_garbage_and_hand_made_cursors_are_refused(self, cursor: str) -> None:
        assert_refused(cursor)

    def test_a_cursor_sealed_under_another_key_is_refused(self) -> None:
        other = CursorKey(os.urandom(32))
        assert_refused(issued(["ashdown", "alex", uuid.uuid4()], key=other))

    def test_a_cursor_for_another_binding_is_refused(self) -> None:
        cursor = issued(["ashdown", "alex", uuid.uuid4()])
        assert_refused(cursor, binding=BINDING.replace(b"staff-a", b"staff-b"))
        assert_refused(cursor, binding=BINDING.replace(b"pupils", b"carers"))
        assert_refused(cursor, binding=b"")

    def test_a_cursor_lasts_its_lifetime_and_no_longer(self) -> None:
        cursor = issued(["ashdown", "alex", uuid.uuid4()])
        last_moment = NOW + CURSOR_LIFETIME - timedelta(seconds=1)
        assert start(cursor, now=last_moment).after is not None
        assert_refused(cursor, now=NOW + CURSOR_LIFETIME)
        assert_refused(cursor, now=NOW + timedelta(days=365))

    @pytest.mark.parametrize(
        ("values", "keys"),
        [
            ([2**70], (AuditEvent.seq,)),
            ([INT64_MAX + 1], (AuditEvent.seq,)),
            (["7"], (AuditEvent.seq,)),
            (["not-a-uuid"], (Pupil.id,)),
            ([7], (Pupil.id,)),
            (["2026-12-01T09:30:00"], (OutboundMessage.created_at,)),  # no offset
            (["yesterday"], (OutboundMessage.created_at,)),
            (["2026-02-30"], (Pupil.date_of_birth,)),
            (["no_such_category"], (SensitiveEntry.category,)),
            ([1, 2], (AuditEvent.seq,)),
            (["ashdown", "alex"], PUPIL_KEYS),
        ],
    )
    def test_sealed_values_of_the_wrong_type_or_range_are_refused(
        self, values: list[object], keys: tuple[Any, ...]
    ) -> None:
        """Even a properly sealed cursor (another list's, or a build with other keys) is
        typed by the list's own key columns, and refused if its values do not fit them."""
        cursor = sealer().seal(json.dumps(values).encode())
        assert_refused(cursor, keys)

    @pytest.mark.parametrize(
        "payload", [b"", b"{}", b"[]", b"[true]", b"[1.5]", b"[null]", b"\xff", b"[[1]]"]
    )
    def test_sealed_payloads_that_are_not_sort_values_are_refused(self, payload: bytes) -> None:
        assert_refused(sealer().seal(payload))

    def test_an_open_failure_says_nothing_of_why(self) -> None:
        seal = sealer()
        cursor = seal.seal(b"[1]")
        assert seal.open(cursor) == b"[1]"
        for bad in (cursor[:-2], issued([1], key=CursorKey(os.urandom(32))), "!"):
            assert seal.open(bad) is None


# --- the binding ----------------------------------------------------------------------------


def paging(
    *,
    route: str = "/v1/pupils",
    method: str = "GET",
    path_params: dict[str, str] | None = None,
    key: CursorKey = KEY,
) -> Paging:
    scope = {
        "type": "http",
        "method": method,
        "path": route,
        "path_params": path_params or {},
        "query_string": b"",
        "headers": [],
        "app": SimpleNamespace(state=SimpleNamespace(cursor_key=key)),
        "route": SimpleNamespace(path=route),
    }
    return Paging(Request(scope))


def access(
    *,
    issuer: str = "https://kpas.kent.gov.uk",
    subject: str = "staff-a",
    resource: str = "pupil",
    action: str = "list",
    purpose: Purpose | None = Purpose.ATTENDANCE_DUTY,
    now: datetime = NOW,
) -> Any:
    return SimpleNamespace(
        decision=SimpleNamespace(resource=resource, action=action),
        principal=SimpleNamespace(issuer=issuer, subject=subject),
        purpose=purpose,
        now=now,
    )


class TestBinding:
    """``Paging`` binds every cursor to the list, the caller, the purpose and the filters."""

    def issue(self) -> str:
        filters = PupilFilters(name="Ash", limit=1)
        return paging().page(access(), filters).next_cursor(["ashdown", "alex", uuid.uuid4()])

    def test_the_same_list_caller_and_filters_accept_it_at_any_page_size(self) -> None:
        cursor = self.issue()
        again = paging().page(access(), PupilFilters(name="Ash", limit=50, cursor=cursor))
        assert again.after is not None and again.limit == 50

    @pytest.mark.parametrize(
        ("where", "changes"),
        [
            ("another issuer, same subject", {"access": {"issuer": "https://idp.example"}}),
            ("another caller", {"access": {"subject": "staff-b"}}),
            ("another purpose", {"access": {"purpose": Purpose.INTERVENTION}}),
            ("another policy", {"access": {"resource": "carer"}}),
            ("another action", {"access": {"action": "read"}}),
            ("another route", {"paging": {"route": "/v1/carers"}}),
            ("another pupil", {"paging": {"path_params": {"pupil_id": "x"}}}),
            ("another filter", {"filters": {"name": "Bra"}}),
            ("a filter dropped", {"filters": {"name": None}}),
            ("a filter added", {"filters": {"include_merged": True}}),
            ("another key", {"paging": {"key": CursorKey(os.urandom(32))}}),
            ("expired", {"access": {"now": NOW + CURSOR_LIFETIME}}),
        ],
    )
    def test_anything_else_refuses_it(self, where: str, changes: dict[str, Any]) -> None:
        cursor = self.issue()
        filters = PupilFilters(**{"name": "Ash", **changes.get("filters", {}), "cursor": cursor})
        with pytest.raises(ValidationFailed) as caught:
            paging(**changes.get("paging", {})).page(access(**changes.get("access", {})), filters)
        assert caught.value.errors == BAD_CURSOR_ERRORS, where


# --- the key ----------------------------------------------------------------------------------


class TestKey:
    def test_created_owner_only_and_reused(self, tmp_path: Path) -> None:
        settings = make_settings(signing_keys_dir=tmp_path / "keys")
        key = CursorKey.from_settings(settings)
        (path,) = (tmp_path / "keys").iterdir()
        assert path.name == KEY_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(base64.b64decode(path.read_text())) == 32
        assert CursorKey.from_settings(settings) == key

    def test_racing_processes_all_keep_one_key(self, tmp_path: Path) -> None:
        path = tmp_path / KEY_FILE
        barrier = threading.Barrier(8)
        keys: list[CursorKey] = []

        def race() -> None:
            barrier.wait()
            keys.append(load_cursor_key(path))

        threads = [threading.Thread(target=race) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == 8 and len(set(keys)) == 1
        assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE]  # no partial files left

    @pytest.mark.parametrize("content", ["", "not base64!", base64.b64encode(bytes(16)).decode()])
    def test_a_file_that_is_not_a_key_stops_the_start(self, tmp_path: Path, content: str) -> None:
        (tmp_path / KEY_FILE).write_text(content)
        with pytest.raises(CursorKeyError, match=KEY_FILE):
            load_cursor_key(tmp_path / KEY_FILE)

    def test_neither_key_ring_takes_it_for_one_of_its_own(self) -> None:
        assert not KEY_FILE.endswith((".pem", ".key"))


# --- every list, over HTTP -----------------------------------------------------------------


def query_names(route: APIRoute) -> set[str]:
    """The query parameters a route takes, the fields of its query models included."""
    names: set[str] = set()
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        dependants.extend(dependant.dependencies)
        for field in dependant.query_params:
            annotation = field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                names.update(f.alias or name for name, f in annotation.model_fields.items())
            else:
                names.add(field.alias)
    return names


def cursor_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    """Every GET route of the app that takes a ``cursor`` (its full path, and the route): a
    new list is covered unasked."""
    return [
        (context.path, route)
        for context in iter_route_contexts(app.routes)
        if isinstance(route := context.original_route, APIRoute)
        and context.path
        and "GET" in (context.methods or ())
        and "cursor" in query_names(route)
    ]


def test_the_lists_are_all_found(app: FastAPI) -> None:
    paths = {path for path, _ in cursor_routes(app)}
    assert {
        "/v1/schools",
        "/v1/clients",
        "/v1/recipients",
        "/v1/sharing-agreements",
        "/v1/inspection-grants",
        "/v1/disclosures",
        "/v1/pupils",
        "/v1/carers",
        "/v1/possible-duplicates",
        "/v1/messages",
        "/v1/audit/events",
        "/v1/attendance/alerts",
        "/v1/attendance/imports",
        "/v1/roll-pushes",
        "/v1/pupils/{pupil_id}/sensitive",
        "/v1/pupils/{pupil_id}/documents",
        "/v1/licences",
        "/v1/chaperones",
        "/v1/licensed-absences",
        "/v1/people",
        "/v1/productions",
        "/v1/licences/{licence_id}/documents",
    } <= paths, paths


@pytest.fixture
async def callers(
    app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> list[tuple[str, dict[str, str]]]:
    """For every list: a concrete path and the headers of a caller it answers 200 (the first
    role, in the roles' order, that some rule allows and that gets a first page)."""
    school = await make_school(session, urn=SAMPLE_URN, district=District.THANET)
    await county_wide_agreement(session)
    grant = await inspection_grant(session, "cursor-caller")
    pupil = await make_pupil(session, school=school)
    # A case at prosecution stage (its penalty notices and prosecutions are reachable under
    # `prosecution`), and a School Attendance Order case for the orders.
    enforcement = await make_case(
        session, school=school, pupil=pupil, stage=CaseStage.PROSECUTION, officer="cursor-caller"
    )
    sao = await make_case(
        session,
        school=school,
        pupil=pupil,
        carer=enforcement.carer,
        case_type=CaseType.SCHOOL_ATTENDANCE_ORDER,
        stage=CaseStage.SAO_ORDER,
        officer="cursor-caller",
    )
    child = await make_person(session)
    licence = await make_licence(session, child)
    request = await client.post(
        "/v1/subject-requests",
        json=request_body(),
        headers=auth("information_governance", subject="cursor-caller"),
    )
    assert request.status_code == 201, request.text
    breach = await client.post(
        "/v1/breaches",
        json={
            "aware_at": datetime.now(UTC).isoformat(),
            "description": "A spreadsheet of absentees was emailed to the wrong school.",
            "data_categories": ["attendance"],
            "subjects": [{"record_type": "pupil", "record_id": str(pupil.id)}],
        },
        headers=auth("information_governance", subject="cursor-caller"),
    )
    assert breach.status_code == 201, breach.text
    samples = {
        "pupil_id": str(pupil.id),
        "case_id": str(enforcement.case.id),
        "licence_id": str(licence.id),
        "request_id": request.json()["id"],
        "breach_id": breach.json()["id"],
    }
    found: list[tuple[str, dict[str, str]]] = []
    missing: list[str] = []
    for template, route in cursor_routes(app):
        declaration = declaration_of(route)
        assert isinstance(declaration, PolicyDeclaration), f"{template} is a public list"
        unknown = set(re.findall(r"\{(\w+)", template)) - set(samples)
        assert not unknown, f"{template}: give this test a sample for {unknown}"
        own = {"case_id": str(sao.case.id)} if "school-attendance-orders" in template else {}
        path = template.format(**{**samples, **own})
        permitted = ENGINE.permitted(declaration.resource, declaration.action)
        personal = RESOURCES[declaration.resource].personal_data
        for role in (r for r in Role if r in permitted):
            purpose = purpose_for(role, declaration.resource, declaration.action)
            headers = auth(
                role,
                subject="cursor-caller",
                area_teams=("east",),
                school_urns=(SAMPLE_URN,),
                org=PARTNER_ORG if role is Role.PARTNER else None,
                inspection=grant if role is Role.INSPECTOR else None,
                purpose=purpose.value if personal and purpose else None,
            )
            if (await client.get(path, headers=headers)).status_code == 200:
                found.append((path, headers))
                break
        else:
            missing.append(template)
    assert not missing, f"no role configured here gets a first page of {missing}"
    return found


def garbage_cursors() -> st.SearchStrategy[str]:
    json_values = st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=8,
    )
    base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=MAX_CURSOR_CHARS + 100),
        st.text(base64url, max_size=300),
        st.binary(max_size=300).map(b64),
        json_values.map(b64_json),
        st.lists(st.integers(), min_size=1, max_size=3).map(b64_json),
        st.lists(st.uuids().map(str), min_size=1, max_size=3).map(b64_json),
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cursor=garbage_cursors())
@example(cursor=b64(b"[0]"))
@example(cursor=b64_json([2**70]))
@example(cursor=b64(b"{}"))
@example(cursor="")
@example(cursor="A" * (MAX_CURSOR_CHARS + 1))
async def test_no_list_answers_a_forged_cursor_with_anything_but_the_422(
    client: httpx.AsyncClient, callers: list[tuple[str, dict[str, str]]], cursor: str
) -> None:
    for path, headers in callers:
        response = await client.get(path, params={"cursor": cursor}, headers=headers)
        assert_bad_cursor(response)


# --- the old oracle, and walking lists to the end -----------------------------------------------


async def walk(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], **params: object
) -> tuple[list[str], list[str]]:
    """Every id of a list, page after page, and the cursors it was given on the way."""
    seen: list[str] = []
    cursors: list[str] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = await client.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen, cursors
        cursors.append(cursor)


def staff(auth: AuthHeaders, school: School, subject: str = "staff-a") -> dict[str, str]:
    return auth("school_staff", subject=subject, school_urns=(school.urn,), purpose="intervention")


@pytest.fixture
async def schools(session: AsyncSession) -> tuple[School, School]:
    return (
        await make_school(session, district=District.THANET),
        await make_school(session, district=District.MAIDSTONE),
    )


async def pupils_named(
    session: AsyncSession, school: School, names: list[tuple[str, str]]
) -> list[Pupil]:
    return [
        await make_pupil(session, school=school, legal_surname=surname, legal_forename=forename)
        for surname, forename in names
    ]


def in_name_order(pupils: list[Pupil]) -> list[str]:
    ordered = sorted(pupils, key=lambda p: (p.surname_key, p.forename_key, p.id))
    return [str(p.id) for p in ordered]


class TestNoOracle:
    async def test_a_cursor_naming_a_hidden_record_is_the_same_422(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        schools: tuple[School, School],
    ) -> None:
        mine, theirs = schools
        visible = await make_pupil(session, school=mine, legal_surname="Ashdown")
        hidden = await make_pupil(session, school=theirs, legal_surname="Ashdown")
        hidden_carer = await make_carer(session, pupil=hidden)
        headers = staff(auth, mine)
        attempts = [
            b64_json([str(hidden.id)]),  # the old cursor: the row's id
            b64_json([hidden.surname_key, hidden.forename_key, str(hidden.id)]),
            b64_json({"id": str(hidden.id)}),
            b64_json([str(visible.id)]),  # the old format is dead for visible rows too
            b64_json([str(uuid.uuid4())]),  # and an id that names nothing: the same answer
            issued([hidden.surname_key, hidden.forename_key, hidden.id]),  # another key's seal
        ]
        for path, record in (("/v1/pupils", hidden), ("/v1/carers", hidden_carer)):
            for cursor in [*attempts, b64_json([str(record.id)])]:
                assert_bad_cursor(
                    await client.get(path, params={"cursor": cursor}, headers=headers)
                )
        manager = auth("attendance_manager", area_teams=("east",), purpose="attendance_duty")
        for path in ("/v1/messages", "/v1/possible-duplicates"):
            for cursor in attempts:
                assert_bad_cursor(
                    await client.get(path, params={"cursor": cursor}, headers=manager)
                )

    @pytest.mark.parametrize("limit", [1, 2, 3])
    async def test_walking_pupils_gives_exactly_the_visible_ones_in_name_order(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        schools: tuple[School, School],
        limit: int,
    ) -> None:
        mine, theirs = schools
        # Ties on the first key and on the first two, hidden pupils sorting among them.
        visible = await pupils_named(
            session,
            mine,
            [("Ashdown", "Alex")] * 3
            + [("Ashdown", "Bea"), ("Brambleby", "Alex"), ("Chalcott", "Dee")],
        )
        await pupils_named(
            session, theirs, [("Ashdown", "Alex"), ("Ashdown", "Ann"), ("Brambleby", "Alex")]
        )
        seen, cursors = await walk(client, "/v1/pupils", staff(auth, mine), limit=limit)
        assert seen == in_name_order(visible)
        assert len(cursors) == (len(visible) - 1) // limit

    async def test_walking_messages_newest_first_with_tied_times(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        schools: tuple[School, School],
    ) -> None:
        east, west = schools
        moment = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        visible: list[OutboundMessage] = []
        for index in range(7):
            pupil, carer = await family(session, east)
            message = await queued_about(session, pupil, carer)
            message.created_at = moment if index < 4 else moment - timedelta(minutes=index)
            visible.append(message)
        for _ in range(3):
            pupil, carer = await family(session, west)
            (await queued_about(session, pupil, carer)).created_at = moment
        await session.flush()
        manager = auth("attendance_manager", area_teams=("east",), purpose="attendance_duty")
        expected = [
            str(m.id) for m in sorted(visible, key=lambda m: (m.created_at, m.id), reverse=True)
        ]
        for limit in (1, 3):
            seen, _ = await walk(client, "/v1/messages", manager, limit=limit)
            assert seen == expected


# --- bound to the caller, the list and the filters ------------------------------------------


class TestBoundOverHttp:
    async def test_another_callers_cursor_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        schools: tuple[School, School],
    ) -> None:
        mine, theirs = schools
        await pupils_named(session, mine, [("Ashdown", "Alex"), ("Brambleby", "Bea")])
        await pupils_named(session, theirs, [("Ashdown", "Ann"), ("Chalcott", "Cy")])
        a = staff(auth, mine, subject="staff-a")
        cursor = (await client.get("/v1/pupils", params={"limit": 1}, headers=a)).json()[
            "next_cursor"
        ]
        assert cursor
        ok = await client.get("/v1/pupils", params={"cursor": cursor}, headers=a)
        assert ok.status_code == 200
        for other in (
            staff(auth, theirs, subject="staff-b"),  # same role, other school
            staff(auth, mine, subject="staff-c"),  # same role, same school, someone else
            {**a, "KPAS-Purpose": "attendance_duty"},  # the same caller, another purpose
        ):
            assert_bad_cursor(
                await client.get("/v1/pupils", params={"cursor": cursor}, headers=other)
            )

    async def test_another_lists_cursor_is_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        schools: tuple[School, School],
    ) -> None:
        mine, _ = schools
        for surname in ("Ashdown", "Brambleby"):
            pupil = await make_pupil(session, school=mine, legal_surname=surname)
            await make_carer(session, pupil=pupil, surname=surname)
        headers = staff(auth, mine)
        pupils = await client.get("/v1/pupils", params={"limit": 1}, headers=headers)
        carers = await client.get("/v1/carers", params={"limit": 1}, headers=headers)
        pupil_cursor, carer_cursor = pupils.json()["next_cursor"], carers.json()["next_cursor"]
        assert pupil_cursor and carer_cursor
        # Both lists sort by name keys and id, so only the binding tells them apart.
        assert_bad_cursor(
            await client.get("/v1/carers", params={"cursor": pupil_cursor}, headers=headers)
        )
        assert_bad_cursor(
            await client.get("/v1/pupils", params={"cursor": carer_cursor}, headers=headers)
        )

    async def test_another_filters_cursor_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        for status in (SchoolStatus.OPEN, SchoolStatus.OPEN, SchoolStatus.CLOSED):
            await make_school(session, status=status)
        admin = auth("admin")
        first = await client.get(
            "/v1/schools", params={"status": "open", "limit": 1}, headers=admin
        )
        cursor = first.json()["next_cursor"]
        assert cursor
        same = {"status": "open", "limit": 5, "cursor": cursor}
        assert (await client.get("/v1/schools", params=same, headers=admin)).status_code == 200
        for params in (
            {"status": "closed", "cursor": cursor},
            {"cursor": cursor},
            {"status": "open", "name": "Test", "cursor": cursor},
        ):
            assert_bad_cursor(await client.get("/v1/schools", params=params, headers=admin))

    async def test_a_new_key_ends_the_cursors_already_issued(
        self, app: FastAPI, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        for _ in range(2):
            await make_school(session)
        admin = auth("admin")
        cursor = (await client.get("/v1/schools", params={"limit": 1}, headers=admin)).json()[
            "next_cursor"
        ]
        app.state.cursor_key = CursorKey(os.urandom(32))
        assert_bad_cursor(await client.get("/v1/schools", params={"cursor": cursor}, headers=admin))
