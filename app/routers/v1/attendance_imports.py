"""``/v1/attendance/imports``: attendance marks from schools' information systems."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import (
    PROBLEM_MEDIA_TYPE,
    InvalidRequest,
    PayloadTooLarge,
)
from app.models.attendance import AttendanceImport, ImportMode, ImportStatus
from app.policies import Access, Policy
from app.repositories.attendance_imports import ImportQuery
from app.routers.deps import IdempotencyDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import ImportIdPath
from app.routers.route import (
    BODY_LIMIT_SETTING,
    STREAMED_BODY,
    KpasRoute,
    content_type_of,
    problem_response,
)
from app.routers.v1 import PREFIX
from app.schemas.attendance_imports import (
    MAX_KEPT_PROBLEMS,
    AttendanceImportCheck,
    AttendanceImportFilters,
    AttendanceImportPage,
    AttendanceImportRead,
    AttendanceImportSummary,
    ImportRejection,
    import_request_body,
)
from app.schemas.common import UTF8_CHARSETS
from app.services import attendance_imports
from app.services.attendance_imports import CSV_MEDIA_TYPE, JSON_MEDIA_TYPE
from app.services.idempotency import StoredResponse

IMPORT_MEDIA_TYPES = [JSON_MEDIA_TYPE, CSV_MEDIA_TYPE]


router = APIRouter(
    prefix=f"{PREFIX}/attendance/imports", tags=["attendance"], route_class=KpasRoute
)


DESCRIPTION = f"""
Send attendance marks: for a school's information system, for its own schools.

**Atomic** by default: every row is checked, and if any is refused no mark is written; the
import is kept as `rejected` with its report, and the 422 names it (`import_id`) and lists the
problems. With `mode=partial` the valid rows are applied and the rest reported (201,
`partially_applied`). Each problem gives its `row` (array index + 1; in CSV, 1 is the first row
after the header), `field` (or column) and `problem`, never the value sent. The report keeps
the first {MAX_KEPT_PROBLEMS} problems by row; `problem_count` counts them all.

A row is refused when its school is not one of yours (or there is no school with that URN),
its UPN is not valid, its date is not a day, is in the future or is before 19 August 2024 (the
2024 code set), its session is not `AM` or `PM`, its code is not a 2024 national code (the
withdrawn `H`, `F`, `J` and `Y` are refused with the code to use instead), no pupil with that
UPN is on that school's roll on that date, or an earlier row of the import has the same pupil,
date and session.

A mark for a pupil, school, date and session already marked replaces the earlier one, which is
kept in the mark's history (`marks_replaced`); the same code again changes nothing
(`marks_unchanged`). Repeat an import safely with `Idempotency-Key`: a replay returns the
first response, including a rejection's 422.

**Validate only**: with `validate_only=true` every check runs and the import is applied exactly
as it would be (the matching to rolls, repeats, corrections) inside a transaction that is then
rolled back. Nothing is written and no report is kept. The answer is 200 with what the import
would do (`validate_only: true`, the counts of marks created, replaced and unchanged, and the
problems), or the 422 an import that would be rejected gets (with `validate_only: true` and no
`import_id`). An `Idempotency-Key` is neither used nor remembered for it.

**JSON**: `{{"marks": [{{"school_urn": 118950, "upn": "...", "date": "2026-11-27",
"session": "AM", "code": "/"}}, ...]}}`.

**CSV** (`text/csv`, UTF-8; a byte order mark and CRLF line endings allowed): a header row
naming `school_urn`, `upn`, `date`, `session` and `code` (any order, any case), then one row
per mark.

The body is read as it arrives: send it streamed, as large as the limit allows.
"""

IMPORT_REJECTED: dict[str, Any] = {
    "model": ImportRejection,
    "description": "The import was refused. A rejected import (atomic mode with any problem, "
    "or no valid row) is kept: `import_id` names its report, and `errors` lists the problems "
    "with their row and field. A body that cannot be read as an import is not kept.",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ImportRejection"}}},
}


def _location(record: AttendanceImport) -> str:
    return f"{PREFIX}/attendance/imports/{record.id}"


def _response(record: AttendanceImport, instance: str) -> StoredResponse:
    if record.status is not ImportStatus.REJECTED:
        body = jsonable_encoder(AttendanceImportRead.of(record))
        return StoredResponse(201, body, {"Location": _location(record)})
    rejection = ImportRejection.of(record, instance=instance, location=_location(record))
    return StoredResponse(
        422,
        jsonable_encoder(rejection),
        {"Content-Type": PROBLEM_MEDIA_TYPE},
    )


@router.post(
    "",
    name="attendance_imports_create",
    summary="Send attendance marks",
    status_code=201,
    response_model=AttendanceImportRead,
    description=DESCRIPTION,
    responses={
        200: {
            "description": "Validate only: what the import would do; nothing was written.",
            "model": AttendanceImportCheck,
        },
        201: {
            "description": "The import was applied (all its rows, or in partial mode the "
            "valid ones); the body is its report.",
            "headers": {
                "Location": {"description": "The import's report.", "schema": {"type": "string"}}
            },
        },
        422: IMPORT_REJECTED,
    },
    openapi_extra={
        "x-kpas-media-types": IMPORT_MEDIA_TYPES,
        "requestBody": import_request_body(),
        BODY_LIMIT_SETTING: "attendance_import_max_body_bytes",
        STREAMED_BODY: True,
    },
)
async def create_import(
    access: Annotated[Access, Policy("attendance_marks", "import")],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
    mode: Annotated[
        ImportMode,
        Query(
            description="`atomic`: all rows or none; `partial`: the valid rows.",
            examples=["atomic"],
        ),
    ] = ImportMode.ATOMIC,
    validate_only: Annotated[
        bool,
        Query(
            description="Check the import and answer what it would do; write nothing.",
            examples=[False],
        ),
    ] = False,
) -> JSONResponse:
    media_type, charset = content_type_of(request.headers.get("content-type", ""))
    if charset is not None and charset not in UTF8_CHARSETS:
        raise InvalidRequest("Send the import encoded as UTF-8.")
    limit = settings.attendance_import_max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
    received = await attendance_imports.receive_import(
        session,
        access,
        chunks=request.stream(),
        media_type=media_type,
        max_bytes=limit,
        direct=not validate_only,
    )
    if validate_only:
        answer = await attendance_imports.validate_import(
            session, access, received, mode=mode, instance=request.url.path
        )
        if isinstance(answer, ImportRejection):
            return JSONResponse(
                jsonable_encoder(answer), status_code=422, media_type=PROBLEM_MEDIA_TYPE
            )
        return JSONResponse(jsonable_encoder(answer))
    applied = False

    async def apply() -> StoredResponse:
        nonlocal applied
        applied = True
        record = await attendance_imports.apply_import(session, access, received, mode=mode)
        return _response(record, request.url.path)

    fingerprint = {
        "content_sha256": received.content_sha256,
        "media_type": media_type,
        "mode": mode.value,
    }
    response = await idempotency.run_response(access, fingerprint, apply)
    if not applied:  # a replay: the first response stands, and nothing is written
        await attendance_imports.discard_import(session, received)
    return response


@router.get(
    "",
    name="attendance_imports_list",
    summary="List attendance imports",
    response_model=AttendanceImportPage,
)
async def list_imports(
    access: Annotated[Access, Policy("attendance_import", "list")],
    session: SessionDep,
    filters: Annotated[AttendanceImportFilters, Query()],
    paging: PagingDep,
) -> AttendanceImportPage:
    """Past imports, most recently received first: each one's status, mode, schools and
    counts, without its problems (read one import for those). An information system sees the
    imports it sent and those naming its schools; school staff the imports naming their
    school; attendance managers those naming a school in their area teams. Anyone else's
    list is empty: the list filters, it never refuses a school."""
    query = ImportQuery(
        school_urn=filters.school_urn,
        status=filters.status,
        received_since=filters.received_since,
        received_before=filters.received_before,
    )
    records, next_cursor = await attendance_imports.list_imports(
        session, access, query=query, page=paging.page(access, filters)
    )
    return AttendanceImportPage(
        items=[AttendanceImportSummary.of(r) for r in records], next_cursor=next_cursor
    )


@router.get(
    "/{import_id}",
    name="attendance_imports_get",
    summary="Get an attendance import's report",
    response_model=AttendanceImportRead,
    responses={404: problem_response("No import with that id that you may see.")},
)
async def get_import(
    access: Annotated[Access, Policy("attendance_import", "read")],
    import_id: ImportIdPath,
    session: SessionDep,
) -> AttendanceImportRead:
    """One import's report: its status (`applied`, `partially_applied` or `rejected`), mode,
    schools, the counts of rows received, applied and refused and of marks created, replaced
    and unchanged, and its problems (each with its row, field and problem, never the value
    sent). An information system reads the imports it sent and those naming its schools;
    school staff those naming their school; attendance managers those naming a school in
    their area teams. Any other import, or an id that names none, is 404."""
    record = await attendance_imports.get_import(session, access, import_id=import_id)
    return AttendanceImportRead.of(record)
