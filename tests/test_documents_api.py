"""``/v1/pupils/{id}/documents``: identification documents and photographs, sniffed on upload,
encrypted at rest with the pupil's own key, and shredded with it."""

from __future__ import annotations

import hashlib
import struct
import tempfile
import uuid
import zlib
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.crypto import KeyEncryptionKeys, destroy_subject_key, write_kek
from app.crypto.keyring import read_keks
from app.db import Database
from app.main import create_app
from app.models import (
    AuditEvent,
    DataCategory,
    Disclosure,
    Pupil,
    PupilDocument,
    RecipientKind,
    School,
    SubjectKey,
)
from app.policies.registry import Purpose
from tests.conftest import AuthHeaders, make_settings
from tests.factories import (
    assert_problem,
    make_agreement,
    make_pupil,
    make_recipient,
    make_school,
    manager_headers,
)

KEYS_DIR = Path(tempfile.mkdtemp(prefix="kpas-test-document-keys-"))
#: Small limits keep the tests fast; the ordinary body limit is below the file limit, so an
#: upload passing here proves the upload route's own allowance.
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


# --- small, well-formed files ------------------------------------------------------------


def png(width: int = 1, height: int = 1) -> bytes:
    """An 8-bit greyscale PNG (stored, uncompressed: size grows with the picture)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + bytes((x * 7 + y) % 256 for x in range(width)) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 0))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    """A baseline JPEG: one 8x8 mid-grey block (JFIF, one quantisation table of ones,
    one-code Huffman tables, a DC difference of 0 and an end-of-block)."""
    segments = [
        b"\xff\xd8",  # SOI
        b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",  # APP0
        b"\xff\xdb\x00\x43\x00" + b"\x01" * 64,  # DQT
        b"\xff\xc0\x00\x0b\x08\x00\x08\x00\x08\x01\x01\x11\x00",  # SOF0: 8x8, 1 component
        b"\xff\xc4\x00\x14\x00" + b"\x01" + b"\x00" * 15 + b"\x00",  # DHT DC: code 0 -> 0
        b"\xff\xc4\x00\x14\x10" + b"\x01" + b"\x00" * 15 + b"\x00",  # DHT AC: code 0 -> EOB
        b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00",  # SOS
        b"\x3f",  # bits 0 (DC diff 0), 0 (EOB), padded with ones
        b"\xff\xd9",  # EOI
    ]
    return b"".join(segments)


def pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


# --- helpers -------------------------------------------------------------------------------


def form(
    kind: str = "passport", source: str = "seen by attendance officer", condition: str = "9(2)(g)"
) -> dict[str, str]:
    return {"kind": kind, "source": source, "article9_condition": condition}


def upload_files(content: bytes, media_type: str = "", name: str = "scan") -> dict[str, object]:
    return {"file": (name, content, media_type) if media_type else (name, content)}


@pytest.fixture
async def school(session: AsyncSession) -> School:
    return await make_school(session)  # Dover: the South area team


@pytest.fixture
async def pupil(session: AsyncSession, school: School) -> Pupil:
    return await make_pupil(session, school=school)


@pytest.fixture
def manager(auth: AuthHeaders) -> dict[str, str]:
    return manager_headers(auth, area_team="south")


def url(pupil: Pupil, *rest: object) -> str:
    return "/".join([f"/v1/pupils/{pupil.id}/documents", *(str(r) for r in rest)])


async def count(session: AsyncSession, table: type[PupilDocument] | type[SubjectKey]) -> int:
    return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def assert_nothing_stored(session: AsyncSession) -> None:
    assert await count(session, PupilDocument) == 0
    assert await count(session, SubjectKey) == 0


async def upload(
    client: httpx.AsyncClient,
    pupil: Pupil,
    headers: dict[str, str],
    content: bytes,
    media_type: str = "",
    **fields: str,
) -> httpx.Response:
    return await client.post(
        url(pupil), data=form(**fields), files=upload_files(content, media_type), headers=headers
    )


# --- tests ---------------------------------------------------------------------------------


class TestUpload:
    async def test_jpeg_png_and_pdf_are_stored_encrypted_and_read_back(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        files = {
            "image/jpeg": (jpeg(), "photograph", "image/jpeg"),
            "image/png": (png(48, 48), "passport", ""),  # undeclared: the content decides
            "application/pdf": (pdf(), "birth_certificate", "application/octet-stream"),
        }
        assert len(files["image/png"][0]) > MAX_BODY  # over the ordinary body limit
        for media_type, (content, kind, declared) in files.items():
            created = await upload(client, pupil, manager, content, declared, kind=kind)
            assert created.status_code == 201, created.text
            document = created.json()
            assert created.headers["location"] == url(pupil, document["id"])
            assert created.headers["etag"] and created.headers["cache-control"] == "no-store"
            assert document["media_type"] == media_type and document["kind"] == kind
            assert document["size_bytes"] == len(content)
            assert document["sha256"] == hashlib.sha256(content).hexdigest()
            assert document["content_status"] == "available"

            stored = await session.get(PupilDocument, uuid.UUID(document["id"]))
            assert stored is not None and stored.subject_id == pupil.subject_id
            assert content not in stored.ciphertext and content[16:48] not in stored.ciphertext
            assert len(stored.ciphertext) == len(content) + 16

            read = await client.get(url(pupil, document["id"], "content"), headers=manager)
            assert read.status_code == 200, read.text
            assert read.content == content
            assert read.headers["content-type"] == media_type
            assert read.headers["cache-control"] == "no-store"
            assert read.headers["x-content-type-options"] == "nosniff"
            assert read.headers["content-disposition"].startswith("attachment; filename=")
            assert str(pupil.id) not in read.headers["content-disposition"]

        assert await count(session, SubjectKey) == 1  # one key for the pupil, all documents
        listed = await client.get(url(pupil), headers=manager)
        assert listed.status_code == 200
        assert sorted(d["kind"] for d in listed.json()["items"]) == [
            "birth_certificate",
            "passport",
            "photograph",
        ]
        uploaded = (
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "pupil_document.uploaded")
            )
        ).all()
        assert uploaded == [{"pupil_id": str(pupil.id)}] * 3  # ids only

    async def test_content_that_is_not_what_it_claims_is_refused_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        cases = {  # what is sent, declared as, as which kind -> what the refusal says
            "a PNG declared as a PDF": (
                png(),
                "application/pdf",
                "passport",
                "is image/png, not application/pdf",
            ),
            "an executable": (EXECUTABLE, "image/jpeg", "passport", "application/x-msdownload"),
            "an HTML page": (HTML, "", "passport", "no recognised type"),
            "HTML behind a PNG signature": (
                b"\x89PNG\r\n\x1a\n" + HTML,
                "image/png",
                "passport",
                "not a complete PNG",
            ),
            "a PDF as a photograph": (
                pdf(),
                "application/pdf",
                "photograph",
                "must be a JPEG, PNG or HEIC",
            ),
        }
        for case, (content, declared, kind, says) in cases.items():
            response = await upload(client, pupil, manager, content, declared, kind=kind)
            problem = assert_problem(response, 415)
            assert says in str(problem["detail"]), case
        await assert_nothing_stored(session)

    async def test_an_oversized_file_is_413_and_nothing_is_stored(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        over = png(130, 128)  # just over the file limit, within the route's body allowance
        far_over = png(160, 128)  # over the body allowance too: refused before it is read
        assert MAX_FILE < len(over) < MAX_FILE + MAX_BODY < len(far_over)
        for content in (over, far_over):
            response = await upload(client, pupil, manager, content, "image/png")
            assert "limit" in str(assert_problem(response, 413)["detail"])

        request = httpx.Request("POST", "/", data=form(), files=upload_files(over, "image/png"))
        body = request.read()

        async def chunks():  # no Content-Length: the limit holds while reading
            for start in range(0, len(body), 4096):
                yield body[start : start + 4096]

        streamed = await client.post(
            url(pupil),
            content=chunks(),
            headers={**manager, "content-type": request.headers["content-type"]},
        )
        assert_problem(streamed, 413)
        await assert_nothing_stored(session)

    async def test_invalid_fields_are_422(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        cases: dict[str, tuple[dict[str, str], dict[str, object], str]] = {
            "an empty file": (form(), upload_files(b""), "/file"),
            "an unknown kind": (form(kind="selfie"), upload_files(png()), "/kind"),
            "consent": (form(condition="9(2)(a)"), upload_files(png()), "/article9_condition"),
            "an unknown field": ({**form(), "notes": "free text"}, upload_files(png()), "/notes"),
            "a long source": (form(source="x" * 201), upload_files(png()), "/source"),
        }
        responses = {
            case: await client.post(url(pupil), data=data, files=files, headers=manager)
            for case, (data, files, _) in cases.items()
        }
        boundary = "synthetic-boundary"  # a multipart body with no file part at all
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in form().items()
        ]
        responses["no file"] = await client.post(
            url(pupil),
            content=("".join(parts) + f"--{boundary}--\r\n").encode(),
            headers={**manager, "content-type": f"multipart/form-data; boundary={boundary}"},
        )
        pointers = {case: pointer for case, (_, _, pointer) in cases.items()} | {"no file": "/file"}
        for case, response in responses.items():
            problem = assert_problem(response, 422)
            errors = problem["errors"]
            assert isinstance(errors, list)
            assert pointers[case] in [e["pointer"] for e in errors], (case, problem)
            assert "free text" not in response.text and "selfie" not in response.text
        assert await count(session, PupilDocument) == 0

    async def test_a_body_that_is_not_a_multipart_form_is_refused(
        self, client: httpx.AsyncClient, pupil: Pupil, manager: dict[str, str]
    ) -> None:
        assert_problem(await client.post(url(pupil), json=form(), headers=manager), 415)
        broken = await client.post(
            url(pupil),
            content=b"--xyz\r\nContent-Disposition: form-data; name=kind\r\n\r\npassport",
            headers={**manager, "content-type": "multipart/form-data; boundary=xyz"},
        )
        assert_problem(broken, 400)

    async def test_a_replayed_upload_returns_the_first_response(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        headers = {**manager, "Idempotency-Key": "passport-scan-0001"}
        first = await upload(client, pupil, headers, pdf())
        again = await upload(client, pupil, headers, pdf())
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        other = await upload(client, pupil, headers, png())
        assert_problem(other, 422)
        assert await count(session, PupilDocument) == 1


class TestCryptoShredding:
    async def test_after_the_key_is_destroyed_content_is_gone_and_metadata_says_so(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await upload(client, pupil, manager, jpeg(), "image/jpeg")
        document_url = created.headers["location"]
        assert await destroy_subject_key(session, pupil.subject_id)
        await session.flush()

        gone = assert_problem(await client.get(f"{document_url}/content", headers=manager), 410)
        assert "destroyed" in str(gone["detail"])
        metadata = await client.get(document_url, headers=manager)
        assert metadata.status_code == 200
        assert metadata.json()["content_status"] == "destroyed"
        assert metadata.json()["content_destroyed_at"]
        listed = await client.get(url(pupil), headers=manager)
        assert [d["content_status"] for d in listed.json()["items"]] == ["destroyed"]
        assert_problem(await upload(client, pupil, manager, png()), 409)

    async def test_a_missing_key_encryption_key_is_a_server_fault_not_a_leak(
        self,
        client: httpx.AsyncClient,
        app: FastAPI,
        pupil: Pupil,
        manager: dict[str, str],
        tmp_path: Path,
    ) -> None:
        created = await upload(client, pupil, manager, pdf())
        write_kek(tmp_path, development=True)
        app.state.document_keys = KeyEncryptionKeys(read_keks(tmp_path))  # another key only
        response = await client.get(f"{created.headers['location']}/content", headers=manager)
        problem = assert_problem(response, 500)
        assert "encryption keys" in str(problem["detail"])
        assert b"%PDF" not in response.content

    async def test_ciphertext_moved_to_another_document_is_refused(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        first = (await upload(client, pupil, manager, pdf())).json()["id"]
        second = (await upload(client, pupil, manager, png())).json()["id"]
        a = await session.get(PupilDocument, uuid.UUID(first))
        b = await session.get(PupilDocument, uuid.UUID(second))
        assert a is not None and b is not None
        b.nonce, b.ciphertext = (
            a.nonce,
            a.ciphertext,
        )  # same subject, same key: only the AAD differs
        await session.flush()
        response = await client.get(url(pupil, second, "content"), headers=manager)
        assert_problem(response, 500)
        assert b"%PDF" not in response.content


class TestWhoMay:
    async def test_anonymous_is_401(self, client: httpx.AsyncClient, pupil: Pupil) -> None:
        assert (await client.get(url(pupil))).status_code == 401
        response = await client.post(url(pupil), data=form(), files=upload_files(png()))
        assert response.status_code == 401

    async def test_roles_without_a_rule_are_refused(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        school: School,
        pupil: Pupil,
    ) -> None:
        for role, purpose in (
            ("school_staff", "attendance_duty"),
            ("mis_integration", "attendance_duty"),
            ("admin", None),
        ):
            headers = auth(role, area_teams=("south",), school_urns=(school.urn,), purpose=purpose)
            assert_problem(await client.get(url(pupil), headers=headers), 403)
            assert_problem(await upload(client, pupil, headers, png()), 403)
        # An officer reads a pupil's documents only through one of their cases (none here:
        # not found), and never uploads them.
        officer = auth("attendance_officer", area_teams=("south",), purpose="attendance_duty")
        assert_problem(await client.get(url(pupil), headers=officer), 404)
        assert_problem(await upload(client, pupil, officer, png()), 403)
        assert await count(session, PupilDocument) == 0

    async def test_a_manager_of_another_area_finds_nothing(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await upload(client, pupil, manager, png())
        north = auth("attendance_manager", area_teams=("north",), purpose="attendance_duty")
        assert_problem(await client.get(url(pupil), headers=north), 404)
        assert_problem(
            await client.get(f"{created.headers['location']}/content", headers=north), 404
        )
        assert_problem(await upload(client, pupil, north, png()), 404)
        assert await count(session, PupilDocument) == 1

    async def test_delete_needs_a_current_etag_and_is_audited(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await upload(client, pupil, manager, png())
        document_url = created.headers["location"]
        assert_problem(await client.delete(document_url, headers=manager), 428)
        assert_problem(
            await client.delete(document_url, headers={**manager, "If-Match": '"old-1"'}), 412
        )
        deleted = await client.delete(
            document_url, headers={**manager, "If-Match": created.headers["etag"]}
        )
        assert deleted.status_code == 204
        assert_problem(await client.get(document_url, headers=manager), 404)
        assert await count(session, PupilDocument) == 0
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "pupil_document.deleted")
        )
        assert event is not None and event.resource_id == created.json()["id"]
        assert event.subject_id == pupil.subject_id

    async def test_a_partner_receives_documents_only_under_an_agreement_that_covers_them(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        pupil: Pupil,
        manager: dict[str, str],
    ) -> None:
        created = await upload(client, pupil, manager, pdf())
        content_url = f"{created.headers['location']}/content"
        police = await make_recipient(session, code="synthetic-police", kind=RecipientKind.POLICE)
        await make_agreement(
            session,
            police,
            purposes=(Purpose.INTERVENTION,),
            data_categories=(DataCategory.IDENTIFICATION_DOCUMENTS,),
        )
        partner = auth("partner", org="synthetic-police", purpose="intervention")
        read = await client.get(content_url, headers=partner)
        assert read.status_code == 200 and read.content == pdf()
        disclosure = await session.scalar(
            select(Disclosure).where(
                Disclosure.decision_id == uuid.UUID(read.headers["kpas-decision-id"])
            )
        )
        assert disclosure is not None
        assert disclosure.content_sha256 == hashlib.sha256(pdf()).hexdigest()
        assert disclosure.data_categories == ["identification_documents"]
        assert disclosure.resource_id == created.json()["id"]

        health = await make_recipient(session, code="synthetic-nhs", kind=RecipientKind.HEALTH)
        await make_agreement(
            session,
            health,
            purposes=(Purpose.INTERVENTION,),
            data_categories=(DataCategory.SPECIAL_CATEGORY_HEALTH,),
        )
        nhs = auth("partner", org="synthetic-nhs", purpose="intervention")
        assert_problem(await client.get(content_url, headers=nhs), 404)
        assert_problem(await client.get(url(pupil), headers=nhs), 404)
