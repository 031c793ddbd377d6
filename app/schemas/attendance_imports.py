"""Attendance imports: the marks a school's information system sends, and the report KPAS
keeps of each import. Reports hold row numbers, fields and what was wrong, never a value."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel

from app.contract import component_ref
from app.errors import ValidationFailed
from app.models.attendance import AttendanceImport, ImportMode, ImportStatus
from app.schemas.common import (
    PAGE_LIMIT_DEFAULT,
    PAGE_LIMIT_MAX,
    Cursor,
    Input,
    Output,
    Page,
    Timestamp,
)
from app.schemas.schools import URN

#: Problems a report keeps (the total is in ``problem_count``).
MAX_KEPT_PROBLEMS = 1000


def _examples(make: Callable[[], list[Any]]) -> Callable[[dict[str, Any]], None]:
    """A schema's ``examples``, made when the schema is (the examples are defined below)."""

    def add(schema: dict[str, Any]) -> None:
        schema["examples"] = make()

    return add


# MarkIn and MarksIn document the JSON body; the import reads it as it streams in
# (``app.services.attendance_rows``), never whole.


class MarkIn(Input):
    """One attendance mark, as a school's information system records it."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_IMPORT["marks"][0]]))

    school_urn: int = Field(description="The URN of the school that recorded the mark.")
    upn: str = Field(description="The pupil's Unique Pupil Number.")
    date: dt.date = Field(description="The day of the session (YYYY-MM-DD); not in the future.")
    session: str = Field(description="`AM` or `PM`.")
    code: str = Field(
        description="A code of the 2024 national set (SI 2024/208), such as `/`, `\\`, `L`, "
        "`N`, `I` or `Y1`. Withdrawn codes (`H`, `F`, `J`, `Y`) are refused."
    )


class MarksIn(Input):
    """A JSON import: the marks, in any order."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_IMPORT]))

    marks: list[MarkIn]


class ImportProblem(BaseModel):
    """One thing wrong with one row."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_PROBLEM]))

    row: int = Field(
        description="The row: array index + 1 in JSON; in CSV, 1 is the first row after the header."
    )
    field: str | None = Field(description="The field (JSON) or column (CSV); null for the row.")
    code: str = Field(description="What kind of problem, for programs: `invalid_upn`, ...")
    problem: str = Field(description="What is wrong, in words. Never the value sent.")


class AttendanceImportRead(Output):
    """An import's report: what it applied, and what it refused and why."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_REPORT]))

    id: uuid.UUID
    status: ImportStatus = Field(
        description="`applied`: every row; `partially_applied`: the valid rows (partial mode); "
        "`rejected`: nothing."
    )
    mode: ImportMode
    media_type: str
    content_sha256: str = Field(description="SHA-256 of the body as received (hex).")
    received_at: dt.datetime
    school_urns: list[int] = Field(description="The caller's schools the rows named.")
    rows_received: int
    rows_applied: int = Field(description="Rows applied: created, replaced or unchanged marks.")
    rows_refused: int
    marks_created: int = Field(description="Marks new to KPAS.")
    marks_replaced: int = Field(
        description="Marks whose code changed; the replaced code is kept in the mark's history."
    )
    marks_unchanged: int = Field(description="Marks sent again with the same code.")
    problem_count: int = Field(description="Problems found in all; `problems` lists the first.")
    problems: list[ImportProblem] = Field(
        description=f"The first {MAX_KEPT_PROBLEMS} problems, by row."
    )

    @classmethod
    def of(cls, record: AttendanceImport) -> AttendanceImportRead:
        return cls.model_validate(record)


class AttendanceImportCheck(Output):
    """What an import would do (`validate_only=true`): nothing was written, and no report is
    kept. An import that would be rejected is answered with the 422 it would get instead."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_CHECK]))

    validate_only: bool = Field(
        default=True, description="Always true: nothing was written; the counts say what would be."
    )
    status: ImportStatus = Field(
        description="What the import would be: `applied` (every row) or `partially_applied` "
        "(the valid rows, partial mode)."
    )
    mode: ImportMode
    media_type: str
    content_sha256: str = Field(description="SHA-256 of the body as received (hex).")
    school_urns: list[int] = Field(description="The caller's schools the rows named.")
    rows_received: int
    rows_applied: int = Field(description="Rows that would be applied.")
    rows_refused: int
    marks_created: int = Field(description="Marks that would be new to KPAS.")
    marks_replaced: int = Field(description="Marks whose code would change (corrections).")
    marks_unchanged: int = Field(description="Marks sent again with the same code.")
    problem_count: int = Field(description="Problems found in all; `problems` lists the first.")
    problems: list[ImportProblem] = Field(
        description=f"The first {MAX_KEPT_PROBLEMS} problems, by row."
    )

    @classmethod
    def of(cls, record: AttendanceImport) -> AttendanceImportCheck:
        return cls.model_validate(record)


class AttendanceImportSummary(Output):
    """An import as the list shows it: its report's counts, without the problems themselves
    (`GET /v1/attendance/imports/{id}` lists them)."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_SUMMARY]))

    id: uuid.UUID
    status: ImportStatus
    mode: ImportMode
    media_type: str
    received_at: dt.datetime = Field(description="When the import was received.")
    submitted_by: str = Field(description="The client id of the information system that sent it.")
    school_urns: list[int] = Field(description="The schools the import's rows named.")
    rows_received: int
    rows_applied: int
    rows_refused: int
    marks_created: int
    marks_replaced: int
    marks_unchanged: int
    problem_count: int = Field(description="Problems found in all.")

    @classmethod
    def of(cls, record: AttendanceImport) -> AttendanceImportSummary:
        return cls.model_validate(record)


class AttendanceImportPage(Page[AttendanceImportSummary]):
    model_config = ConfigDict(
        json_schema_extra=_examples(
            lambda: [{"items": [EXAMPLE_SUMMARY], "next_cursor": EXAMPLE_NEXT_CURSOR}]
        )
    )


class AttendanceImportFilters(Input):
    """Query parameters of ``GET /v1/attendance/imports``."""

    school_urn: URN | None = Field(
        default=None, description="Only imports naming this school.", examples=[990028]
    )
    status: ImportStatus | None = Field(
        default=None, description="Only imports with this status.", examples=["applied"]
    )
    received_since: Timestamp | None = Field(
        default=None,
        description="Only imports received at or after this moment.",
        examples=["2026-11-01T00:00:00Z"],
    )
    received_before: Timestamp | None = Field(
        default=None,
        description="Only imports received before this moment.",
        examples=["2026-12-01T00:00:00Z"],
    )
    limit: int = Field(
        default=PAGE_LIMIT_DEFAULT,
        ge=1,
        le=PAGE_LIMIT_MAX,
        description="The most imports to return on this page.",
        examples=[20],
    )
    cursor: Cursor | None = Field(
        default=None,
        description="The `next_cursor` of the previous page, as it was given: opaque and "
        "sealed to this list, this caller and these filters, and valid for a limited time. "
        "Leave it out for the first page.",
    )


class ImportFieldError(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_FIELD_ERROR]))

    location: str = Field(description="Where the problem is: body, query, header or path.")
    pointer: str = Field(
        description="JSON pointer into the import as JSON (a CSV row n is `/marks/{n-1}`)."
    )
    detail: str
    code: str
    row: int | None = Field(default=None, description="The row, as in the import's report.")
    field: str | None = Field(default=None, description="The field (JSON) or column (CSV).")
    problem: str | None = None

    @classmethod
    def of(cls, problem: dict[str, Any]) -> ImportFieldError:
        """A problem of an import's report, as an entry of a problem document's ``errors``."""
        row, column = problem["row"], problem["field"]
        pointer = f"/marks/{row - 1}"
        if column is not None:
            pointer += "/" + column.replace("~", "~0").replace("/", "~1")
        where = f"Row {row}, {column}" if column is not None else f"Row {row}"
        return cls(
            location="body",
            pointer=pointer,
            detail=f"{where}: {problem['problem']}.",
            code=problem["code"],
            row=row,
            field=column,
            problem=problem["problem"],
        )


class ImportRejection(BaseModel):
    """RFC 9457 problem details for an import that was refused. A rejected import is kept:
    `import_id` names its report (`GET /v1/attendance/imports/{id}`)."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_REJECTION]))

    type: str
    title: str
    status: int
    detail: str
    instance: str
    import_id: uuid.UUID | None = Field(
        default=None, description="The rejected import's report (absent if none was kept)."
    )
    problem_count: int | None = Field(default=None, description="Problems found in all.")
    errors: list[ImportFieldError] | None = None
    validate_only: bool = Field(
        default=False,
        description="True: the import was only validated (`validate_only=true`); it would be "
        "rejected, and no report was kept.",
    )

    @classmethod
    def of(cls, record: AttendanceImport, *, instance: str, location: str) -> ImportRejection:
        """The 422 for a rejected import, naming the report kept at ``location``."""
        count, shown = record.problem_count, len(record.problems)
        listed = f"; the first {shown} are listed" if count > shown else ""
        return cls(
            type=ValidationFailed.type_uri(),
            title=ValidationFailed.title,
            status=ValidationFailed.status,
            detail=f"The import was rejected: {count} problem(s){listed}. No mark was "
            f"written; the import's report is at {location}.",
            instance=instance,
            import_id=record.id,
            problem_count=count,
            errors=[ImportFieldError.of(problem) for problem in record.problems],
        )

    @classmethod
    def of_check(cls, record: AttendanceImport, *, instance: str) -> ImportRejection:
        """The 422 for an import that was only validated and would be rejected."""
        count, shown = record.problem_count, len(record.problems)
        listed = f"; the first {shown} are listed" if count > shown else ""
        return cls(
            type=ValidationFailed.type_uri(),
            title=ValidationFailed.title,
            status=ValidationFailed.status,
            detail=f"The import would be rejected: {count} problem(s){listed}. It was only "
            "validated: nothing was written and no report was kept.",
            instance=instance,
            problem_count=count,
            errors=[ImportFieldError.of(problem) for problem in record.problems],
            validate_only=True,
        )


#: The import the documentation offers: Monday 30 November 2026's marks for the twelve pupils
#: of the demo school Hopgarden Primary School (synthetic), URN 990028, as
#: ``samples/attendance.json`` has them. Every pupil is made up (UPNs with LA number 999, which
#: no authority has). Sent to the demo, each row replaces or repeats that day's demo mark.
EXAMPLE_IMPORT: dict[str, Any] = {
    "marks": [
        {"school_urn": 990028, "upn": upn, "date": "2026-11-30", "session": session, "code": code}
        for upn, am, pm in (
            ("P999000026313", "/", "\\"),
            ("D999000026314", "/", "\\"),
            ("T999000026315", "/", "\\"),
            ("G999000026316", "L", "\\"),
            ("W999000026317", "/", "\\"),
            ("K999000026318", "/", "\\"),
            ("Z999000026319", "/", "\\"),
            ("K999000026320", "I", "I"),
            ("Z999000026321", "M", "\\"),
            ("N999000026322", "/", "\\"),
            ("C999000026323", "/", "\\"),
            ("R999000026324", "/", "\\"),
        )
        for session, code in (("AM", am), ("PM", pm))
    ]
}
#: The same marks as CSV.
EXAMPLE_CSV_IMPORT = "school_urn,upn,date,session,code\r\n" + "".join(
    f"{m['school_urn']},{m['upn']},{m['date']},{m['session']},{m['code']}\r\n"
    for m in EXAMPLE_IMPORT["marks"]
)
#: What a ``next_cursor`` looks like: opaque, sealed by the service to the list, caller and
#: filters it was issued for, and valid for a limited time (this one has long expired).
EXAMPLE_NEXT_CURSOR = "AZc3kQ8uX2v9yLmN4pTq7rWs1aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789-_"
_EXAMPLE_REPORT_ID = "6b0f3c52-8d1e-4f7a-9b2c-3d4e5f6a7b8c"
_EXAMPLE_SHA256 = "9f2c4b1e7d3a5c8e0b6f1a2d4c7e9b3f5a8d0c2e4b6f8a1c3e5d7b9f0a2c4e6d"
EXAMPLE_PROBLEM: dict[str, Any] = {
    "row": 7,
    "field": "upn",
    "code": "not_on_roll",
    "problem": "no pupil with this UPN is on this school's roll on this date",
}
_EXAMPLE_COUNTS: dict[str, Any] = {
    "mode": "partial",
    "media_type": "application/json",
    "school_urns": [990028],
    "rows_received": 24,
    "rows_applied": 23,
    "rows_refused": 1,
    "marks_created": 2,
    "marks_replaced": 3,
    "marks_unchanged": 18,
    "problem_count": 1,
}
EXAMPLE_REPORT: dict[str, Any] = {
    "id": _EXAMPLE_REPORT_ID,
    "status": "partially_applied",
    **_EXAMPLE_COUNTS,
    "content_sha256": _EXAMPLE_SHA256,
    "received_at": "2026-11-30T16:05:12Z",
    "problems": [EXAMPLE_PROBLEM],
}
EXAMPLE_CHECK: dict[str, Any] = {
    "validate_only": True,
    "status": "partially_applied",
    **_EXAMPLE_COUNTS,
    "content_sha256": _EXAMPLE_SHA256,
    "problems": [EXAMPLE_PROBLEM],
}
EXAMPLE_SUMMARY: dict[str, Any] = {
    "id": _EXAMPLE_REPORT_ID,
    "status": "partially_applied",
    **_EXAMPLE_COUNTS,
    "received_at": "2026-11-30T16:05:12Z",
    "submitted_by": "0c9d8e7f-6a5b-4c3d-8e2f-1a0b9c8d7e6f",
}
EXAMPLE_FIELD_ERROR: dict[str, Any] = {
    "location": "body",
    "pointer": "/marks/6/upn",
    "detail": "Row 7, upn: no pupil with this UPN is on this school's roll on this date.",
    "code": "not_on_roll",
    "row": 7,
    "field": "upn",
    "problem": "no pupil with this UPN is on this school's roll on this date",
}
EXAMPLE_REJECTION: dict[str, Any] = {
    "type": "https://kpas.kent.gov.uk/problems/validation-failed",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "The import was rejected: 1 problem(s). No mark was written; the import's "
    f"report is at /v1/attendance/imports/{_EXAMPLE_REPORT_ID}.",
    "instance": "/v1/attendance/imports",
    "import_id": _EXAMPLE_REPORT_ID,
    "problem_count": 1,
    "errors": [EXAMPLE_FIELD_ERROR],
    "validate_only": False,
}


class MarksCsv(RootModel[str]):
    """An import as CSV (``text/csv``, UTF-8): a header row naming ``school_urn``, ``upn``,
    ``date``, ``session`` and ``code`` (any order, any case), then one row per mark."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_CSV_IMPORT]))


def import_request_body() -> dict[str, Any]:
    """The operation's ``requestBody``: a JSON object of marks, or CSV with one row per mark."""
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": component_ref(MarksIn),
                "example": EXAMPLE_IMPORT,
            },
            "text/csv": {
                "schema": component_ref(MarksCsv),
                "example": EXAMPLE_CSV_IMPORT,
            },
        },
    }
