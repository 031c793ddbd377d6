"""Attendance imports: the marks a school's information system sends, and the report KPAS
keeps of each import. Reports hold row numbers, fields and what was wrong, never a value."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

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


# MarkIn and MarksIn document the JSON body; the import reads it as it streams in
# (``app.services.attendance_rows``), never whole.


class MarkIn(Input):
    """One attendance mark, as a school's information system records it."""

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

    marks: list[MarkIn]


class ImportProblem(BaseModel):
    """One thing wrong with one row."""

    row: int = Field(
        description="The row: array index + 1 in JSON; in CSV, 1 is the first row after the header."
    )
    field: str | None = Field(description="The field (JSON) or column (CSV); null for the row.")
    code: str = Field(description="What kind of problem, for programs: `invalid_upn`, ...")
    problem: str = Field(description="What is wrong, in words. Never the value sent.")


class AttendanceImportRead(Output):
    """An import's report: what it applied, and what it refused and why."""

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
    pass


class AttendanceImportFilters(Input):
    """Query parameters of ``GET /v1/attendance/imports``."""

    school_urn: URN | None = Field(default=None, description="Only imports naming this school.")
    status: ImportStatus | None = None
    received_since: Timestamp | None = Field(
        default=None, description="Only imports received at or after this moment."
    )
    received_before: Timestamp | None = Field(
        default=None, description="Only imports received before this moment."
    )
    limit: int = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: Cursor | None = None


class ImportFieldError(BaseModel):
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


#: The import the documentation offers: a day's marks for the two made-up pupils of the roll's
#: example (UPNs with LA number 999, which no authority has) at one school. Valid as sent;
#: refused row by row wherever those pupils are not on that school's roll.
EXAMPLE_IMPORT: dict[str, Any] = {
    "marks": [
        {"school_urn": 118950, "upn": upn, "date": "2026-11-27", "session": session, "code": code}
        for upn, session, code in (
            ("F999401220101", "AM", "/"),
            ("F999401220101", "PM", "\\"),
            ("V999401220102", "AM", "L"),
            ("V999401220102", "PM", "I"),
        )
    ]
}
EXAMPLE_CSV_IMPORT = "school_urn,upn,date,session,code\r\n" + "".join(
    f"{m['school_urn']},{m['upn']},{m['date']},{m['session']},{m['code']}\r\n"
    for m in EXAMPLE_IMPORT["marks"]
)


def import_request_body() -> dict[str, Any]:
    """The operation's ``requestBody``: a JSON object of marks, or CSV with one row per mark."""
    schema = MarksIn.model_json_schema()
    schema["properties"]["marks"]["items"] = schema.pop("$defs")["MarkIn"]
    return {
        "required": True,
        "content": {
            "application/json": {"schema": schema, "example": EXAMPLE_IMPORT},
            "text/csv": {
                "schema": {
                    "type": "string",
                    "description": "A header row naming school_urn, upn, date, session and "
                    "code (any order, any case), then one row per mark.",
                },
                "example": EXAMPLE_CSV_IMPORT,
            },
        },
    }
