"""``/v1/cases/{id}/documents``: documents on a case, sniffed on upload, encrypted at rest with
the pupil's own key (so they are shredded with it), and served back as opaque attachments."""

from __future__ import annotations

import hashlib
import io
import tempfile
import uuid
import zipfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.crypto import destroy_subject_key
from app.db import Database
from app.main import create_app
from app.models import AuditEvent
from app.models.cases import CaseDocument, CaseEvent, CaseEventKind
from app.rules.kent import District
from tests.case_support import CASE_URN, CaseWorld, make_case, officer_headers
from tests.conftest import AuthHeaders, make_settings
from tests.factories import assert_problem, make_school
from tests.test_documents_api import EXECUTABLE, jpeg, pdf, png

KEYS_DIR = Path(tempfile.mkdtemp(prefix="kpas-test-case-document-keys-"))
MAX_BODY = 2048
MAX_FILE = 16 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def app(migrated_engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    settings = make_settings(
        str(migrated_engine.url),
        document_keys_dir=KEYS_DIR,
        document_max_bytes=MAX_FILE,
        max_body_bytes=MAX_BODY,
    )
    database = Database(migrated_engine, sessions, migrations_dir=settings.migrations_dir)
    return create_app(settings, database)


def docx() -> bytes:
    """The smallest zip a Word document sniffs as: its content types and main part."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return out.getvalue()


TEXT = b"Notes of the call, 3 December.\r\nMum: Isla will be back on Monday.\n"


@pytest.fixture
async def world(session: AsyncSession) -> CaseWorld:
    school = await make_school(session, urn=CASE_URN, district=District.THANET)
    return await make_case(session, school=school)


@pytest.fixture
def officer(auth: AuthHeaders) -> dict[str, str]:
    return officer_headers(auth)


def url(world: CaseWorld, *rest: object) -> str:
    return "/".join([f"/v1/cases/{world.case.id}/documents", *(str(r) for r in rest)])


async def upload(
    client: httpx.AsyncClient,
    world: CaseWorld,
    headers: dict[str, str],
    content: bytes,
    media_type: str = "",
    *,
    kind: str = "evidence",
    title: str = "Evidence from the school",
    name: str = "Isla Tillbrook private scan",  # no extension: httpx would declare a type
) -> httpx.Response:
    part = (name, content, media_type) if media_type else (name, content)
    return await client.post(
        url(world), data={"kind": kind, "title": title}, files={"file": part}, headers=headers
    )


async def stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(CaseDocument)) or 0)


class TestUpload:
    async def test_each_accepted_type_round_trips_encrypted(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        files = {
            "application/pdf": (pdf(), "application/pdf"),
            "image/png": (png(4, 4), ""),  # undeclared: the content decides
            "image/jpeg": (jpeg(), "image/jpg"),
            "text/plain": (TEXT, "text/plain"),
            DOCX: (docx(), "application/octet-stream"),
        }
        for media_type, (content, declared) in files.items():
            created = await upload(client, world, officer, content, declared)
            assert created.status_code == 201, created.text
            document = created.json()
            assert created.headers["location"] == url(world, document["id"])
            assert created.headers["etag"]
            assert document["media_type"] == media_type
            assert document["title"] == "Evidence from the school"
            assert document["sha256"] == hashlib.sha256(content).hexdigest()
            assert document["size_bytes"] == len(content)

            row = await session.get(CaseDocument, uuid.UUID(document["id"]))
            assert row is not None and row.subject_id == world.pupil.subject_id
            assert content not in row.ciphertext

            read = await client.get(url(world, document["id"], "content"), headers=officer)
            assert read.status_code == 200, read.text
            assert read.content == content
            assert read.headers["content-type"].split(";")[0] == media_type
            disposition = read.headers["content-disposition"]
            assert disposition.startswith('attachment; filename="case-document-')
            assert "Tillbrook" not in disposition and "evidence" not in disposition.lower()
            assert read.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in read.headers["content-security-policy"]

            meta = await client.get(url(world, document["id"]), headers=officer)
            assert meta.json() == document

        listed = await client.get(url(world), headers=officer)
        assert sorted(d["media_type"] for d in listed.json()["items"]) == sorted(files)
        events = (
            await session.scalars(
                select(CaseEvent.details).where(
                    CaseEvent.case_id == world.case.id, CaseEvent.kind == CaseEventKind.DOCUMENT
                )
            )
        ).all()
        assert len(events) == len(files)
        audited = (
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "case_document.uploaded")
            )
        ).all()
        assert audited == [{"case_id": str(world.case.id), "kind": "evidence"}] * len(files)

    async def test_a_wrong_type_is_refused_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        refused = {  # what is sent, declared as -> what the refusal says
            "an executable": (EXECUTABLE, "application/pdf", "application/x-msdownload"),
            "a zip that is no Word document": (plain_zip(), "", "application/zip"),
            "a zip posing as a Word document": (docx()[:-30], DOCX, "not a complete DOCX"),
            "a PNG declared as a PDF": (png(), "application/pdf", "not what its part declares"),
            "text declared as HTML": (TEXT, "text/html", "not what its part declares"),
            "binary that is not text": (b"\x00\x01\x02binary", "", "no recognised type"),
            "a truncated PDF": (pdf()[:-10], "application/pdf", "not a complete PDF"),
        }
        for case, (content, declared, says) in refused.items():
            response = await upload(client, world, officer, content, declared)
            problem = assert_problem(response, 415)
            assert says in str(problem["detail"]), case
        for fields, pointer in (
            ({"kind": "evidence"}, "/title"),
            ({"kind": "passport", "title": "A title"}, "/kind"),
        ):
            response = await client.post(
                url(world), data=fields, files={"file": ("x", pdf())}, headers=officer
            )
            problem = assert_problem(response, 422)
            assert pointer in {e["pointer"] for e in problem["errors"]}  # type: ignore[union-attr]
        empty = await upload(client, world, officer, b"")
        assert assert_problem(empty, 422)["errors"][0]["code"] == "empty"  # type: ignore[index]
        assert await stored(session) == 0

    async def test_an_oversized_file_is_413(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        response = await upload(client, world, officer, b"a" * (MAX_FILE + 1), "text/plain")
        assert "limit" in str(assert_problem(response, 413)["detail"])
        assert await stored(session) == 0

    async def test_a_json_body_is_415(
        self, client: httpx.AsyncClient, world: CaseWorld, officer: dict[str, str]
    ) -> None:
        response = await client.post(url(world), json={"kind": "letter"}, headers=officer)
        assert_problem(response, 415)


class TestReading:
    async def test_the_referring_school_cannot_read_documents(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, world, officer, pdf())
        school = auth("school_staff", school_urns=(world.school.urn,), purpose="attendance_duty")
        for path in (url(world), url(world, created.json()["id"], "content")):
            response = await client.get(path, headers=school)
            assert assert_problem(response, 403)["policy"]

    async def test_another_teams_officer_gets_404(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, world, officer, pdf())
        stranger = officer_headers(auth, subject="officer-9", area_team="west")
        for path in (url(world), url(world, created.json()["id"], "content")):
            assert_problem(await client.get(path, headers=stranger), 404)
        assert_problem(await upload(client, world, stranger, pdf()), 404)

    async def test_after_the_pupils_key_is_destroyed_content_is_gone(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        world: CaseWorld,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, world, officer, pdf())
        assert await destroy_subject_key(session, world.pupil.subject_id)
        await session.flush()
        gone = await client.get(url(world, created.json()["id"], "content"), headers=officer)
        assert_problem(gone, 410)
        meta = await client.get(url(world, created.json()["id"]), headers=officer)
        assert meta.json()["content_status"] == "destroyed"
        assert_problem(await upload(client, world, officer, pdf()), 409)
