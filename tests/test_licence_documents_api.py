"""``/v1/licences/{id}/documents``: documents on a licence, checked as case documents are,
encrypted at rest with the holder's own key, and served back as opaque attachments to
licensing officers (information governance reads them; attendance staff and schools do not)."""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import cast

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.crypto import destroy_subject_key
from app.db import Database
from app.main import create_app
from app.models import AuditEvent, AuditEventSubject
from app.models.licences import Licence, LicenceDocument, LicenceStatus, Person
from tests.conftest import AuthHeaders, make_settings
from tests.factories import assert_problem
from tests.licence_support import licensing_headers, make_licence, make_person
from tests.test_case_documents_api import DOCX, TEXT, docx
from tests.test_documents_api import EXECUTABLE, jpeg, pdf, png

KEYS_DIR = Path(tempfile.mkdtemp(prefix="kpas-test-licence-document-keys-"))
MAX_BODY = 2048
MAX_FILE = 16 * 1024


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


@pytest.fixture
async def child(session: AsyncSession) -> Person:
    return await make_person(session)


@pytest.fixture
async def licence(session: AsyncSession, child: Person) -> Licence:
    return await make_licence(session, child)


@pytest.fixture
def officer(auth: AuthHeaders) -> dict[str, str]:
    return licensing_headers(auth)


def url(licence: Licence, *rest: object) -> str:
    return "/".join([f"/v1/licences/{licence.id}/documents", *(str(r) for r in rest)])


async def upload(
    client: httpx.AsyncClient,
    licence: Licence,
    headers: dict[str, str],
    content: bytes,
    media_type: str = "",
    *,
    kind: str = "dbs_certificate",
    title: str = "Enhanced DBS certificate",
    name: str = "Maisie Example scan",  # no extension: httpx would declare a type
) -> httpx.Response:
    part = (name, content, media_type) if media_type else (name, content)
    return await client.post(
        url(licence), data={"kind": kind, "title": title}, files={"file": part}, headers=headers
    )


async def stored(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(LicenceDocument)) or 0)


async def reads_naming(session: AsyncSession, subject_id: uuid.UUID) -> int:
    """Allowed reads of licence documents whose audit event names ``subject_id``."""
    return int(
        await session.scalar(
            select(func.count())
            .select_from(AuditEventSubject)
            .join(AuditEvent, AuditEvent.id == AuditEventSubject.event_id)
            .where(
                AuditEventSubject.subject_id == subject_id,
                AuditEvent.resource_type == "licence_document",
                AuditEvent.action == "licence_document.read",
                AuditEvent.outcome == "allow",
            )
        )
        or 0
    )


class TestUpload:
    async def test_each_accepted_type_round_trips_encrypted_and_the_sniffed_type_wins(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        child: Person,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        files = {  # sniffed type: (content, declared type)
            "application/pdf": (pdf(), "application/pdf"),
            "image/png": (png(4, 4), ""),  # undeclared: the content decides
            "image/jpeg": (jpeg(), "image/jpg"),
            "text/plain": (TEXT, "text/plain"),
            DOCX: (docx(), "application/octet-stream"),
        }
        for media_type, (content, declared) in files.items():
            created = await upload(client, licence, officer, content, declared)
            assert created.status_code == 201, created.text
            document = created.json()
            assert created.headers["location"] == url(licence, document["id"])
            assert created.headers["etag"]
            assert document["licence_id"] == str(licence.id)
            assert document["media_type"] == media_type
            assert document["kind"] == "dbs_certificate"
            assert document["sha256"] == hashlib.sha256(content).hexdigest()
            assert document["size_bytes"] == len(content)
            assert document["content_status"] == "available"

            row = await session.get(LicenceDocument, uuid.UUID(document["id"]))
            assert row is not None and row.subject_id == child.subject_id
            assert content not in row.ciphertext

            read = await client.get(url(licence, document["id"], "content"), headers=officer)
            assert read.status_code == 200, read.text
            assert read.content == content
            assert read.headers["content-type"].split(";")[0] == media_type
            disposition = read.headers["content-disposition"]
            assert disposition.startswith('attachment; filename="licence-document-')
            assert "Example" not in disposition and "dbs" not in disposition.lower()
            assert "sandbox" in read.headers["content-security-policy"]
            assert read.headers["etag"] == created.headers["etag"]

            meta = await client.get(url(licence, document["id"]), headers=officer)
            assert meta.json() == document
            assert meta.headers["etag"] == created.headers["etag"]

        listed = await client.get(url(licence), headers=officer)
        assert listed.status_code == 200, listed.text
        assert sorted(d["media_type"] for d in listed.json()["items"]) == sorted(files)

    async def test_an_upload_is_audited_by_ids_naming_the_holder(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        child: Person,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, licence, officer, pdf())
        document_id = created.json()["id"]
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "licence_document.uploaded")
            )
        ).all()
        assert len(events) == 1
        assert events[0].subject_id == child.subject_id
        assert events[0].resource_id == document_id
        assert events[0].details == {"licence_id": str(licence.id), "kind": "dbs_certificate"}

        before = await reads_naming(session, child.subject_id)
        read = await client.get(url(licence, document_id, "content"), headers=officer)
        assert read.status_code == 200
        assert await reads_naming(session, child.subject_id) == before + 1

    async def test_a_retry_with_the_same_key_stores_one_document(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        headers = {**officer, "Idempotency-Key": "licence-document-upload-1"}
        first = await upload(client, licence, headers, pdf())
        again = await upload(client, licence, headers, pdf())
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert await stored(session) == 1
        other = await upload(client, licence, headers, png())
        assert_problem(other, 422)  # the key reused for another upload

    async def test_a_wrong_type_is_refused_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        refused = {  # what is sent, declared as, as kind -> what the refusal says
            "an executable": (EXECUTABLE, "application/pdf", "other", "application/x-msdownload"),
            "a PNG declared as a PDF": (png(), "application/pdf", "other", "not what its part"),
            "a truncated PDF": (pdf()[:-10], "application/pdf", "other", "not a complete PDF"),
            "binary that is not text": (b"\x00\x01\x02binary", "", "other", "no recognised"),
            "a photograph that is a PDF": (pdf(), "", "photograph", "must be a PNG or JPEG"),
        }
        for case, (content, declared, kind, says) in refused.items():
            response = await upload(client, licence, officer, content, declared, kind=kind)
            problem = assert_problem(response, 415)
            assert says in str(problem["detail"]), case
        wrong_kind = await client.post(
            url(licence),
            data={"kind": "passport", "title": "A title"},
            files={"file": ("x", pdf())},
            headers=officer,
        )
        problem = assert_problem(wrong_kind, 422)
        errors = cast(list[dict[str, str]], problem["errors"])
        assert "/kind" in {e["pointer"] for e in errors}
        assert_problem(await client.post(url(licence), json={}, headers=officer), 415)
        assert await stored(session) == 0
        photo = await upload(client, licence, officer, jpeg(), kind="photograph")
        assert photo.status_code == 201, photo.text

    async def test_a_refused_or_revoked_licence_still_takes_evidence(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        child: Person,
        officer: dict[str, str],
    ) -> None:
        for status in (LicenceStatus.REFUSED, LicenceStatus.REVOKED):
            licence = await make_licence(session, child, status=status)
            created = await upload(client, licence, officer, pdf(), kind="reference")
            assert created.status_code == 201, created.text

    async def test_an_unknown_licence_is_404_before_the_body_is_read(
        self, client: httpx.AsyncClient, officer: dict[str, str]
    ) -> None:
        response = await client.post(
            f"/v1/licences/{uuid.uuid4()}/documents",
            data={"kind": "contract", "title": "Contract"},
            files={"file": ("x", pdf())},
            headers=officer,
        )
        assert_problem(response, 404)


class TestReading:
    async def test_another_licences_document_is_404(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        child: Person,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, licence, officer, pdf())
        other = await make_licence(session, await make_person(session, forename="Alfie"))
        for path in (url(other, created.json()["id"]), url(other, created.json()["id"], "content")):
            assert_problem(await client.get(path, headers=officer), 404)
        assert (await client.get(url(other), headers=officer)).json()["items"] == []

    async def test_attendance_staff_and_schools_are_refused_and_governance_only_reads(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, licence, officer, pdf())
        document_id = created.json()["id"]
        reads = (url(licence), url(licence, document_id), url(licence, document_id, "content"))
        for headers in (
            auth("attendance_officer", subject="officer-1", area_teams=("east",)),
            auth("attendance_manager", subject="manager-1", area_teams=("east",)),
            auth("school_staff", school_urns=(118981,), purpose="attendance_duty"),
        ):
            for path in reads:
                response = await client.get(path, headers=headers)
                assert response.status_code in {400, 403, 404}, (path, response.text)
            refused = await upload(client, licence, headers, pdf())
            assert refused.status_code in {400, 403, 404}, refused.text
        governance = auth("information_governance", purpose="subject_rights")
        for path in reads:
            response = await client.get(path, headers=governance)
            assert response.status_code == 200, (path, response.text)
        assert_problem(await upload(client, licence, governance, pdf()), 403)

    async def test_after_the_holders_key_is_destroyed_content_is_gone(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        child: Person,
        licence: Licence,
        officer: dict[str, str],
    ) -> None:
        created = await upload(client, licence, officer, pdf())
        assert await destroy_subject_key(session, child.subject_id)
        await session.flush()
        gone = await client.get(url(licence, created.json()["id"], "content"), headers=officer)
        assert_problem(gone, 410)
        meta = await client.get(url(licence, created.json()["id"]), headers=officer)
        assert meta.json()["content_status"] == "destroyed"
        refused = await upload(client, licence, officer, pdf())
        assert "licence holder's documents" in str(assert_problem(refused, 409)["detail"])
