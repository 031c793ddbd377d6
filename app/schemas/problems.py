"""The problem catalogue as JSON: what each problem type and ``errors[].code`` means."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from app.problems import ErrorCode, ProblemType

#: The catalogue's entry for a 409, as ``GET /v1/problems`` serves it.
_CONFLICT: JsonDict = {
    "type": "https://kpas.kent.gov.uk/problems/conflict",
    "slug": "conflict",
    "status": 409,
    "title": "Conflicts with the current state",
    "meaning": "The request clashes with the current state of the service: a record that must "
    "be unique already exists, the resource is in a state that does not allow this change, or "
    "a change this large must be confirmed first.",
    "fix": "Read `detail` and `errors`, fetch the resource's current state, and decide whether "
    "to send the change again (for a roll, with `expected_leavers` set as `detail` says).",
    "codes": [{"code": "school_closed", "meaning": "The school is closed: it takes no new roll."}],
}


class ErrorCodeRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "unknown_school",
                    "meaning": "No school has this URN.",
                }
            ]
        }
    )

    code: str = Field(description="The value of `errors[].code`.")
    meaning: str

    @classmethod
    def of(cls, entry: ErrorCode) -> ErrorCodeRead:
        return cls(code=entry.code, meaning=entry.meaning)


class ProblemTypeRead(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_CONFLICT]})

    type: str = Field(description="The problem's `type` URI, as problem bodies carry it.")
    slug: str
    status: int = Field(description="The HTTP status this problem is sent with.")
    title: str
    meaning: str = Field(description="What the problem means.")
    fix: str = Field(description="How a client gets past it.")
    codes: list[ErrorCodeRead] = Field(
        description="The `errors[].code` values that can appear with this type."
    )

    @classmethod
    def of(cls, problem: ProblemType) -> ProblemTypeRead:
        return cls(
            type=problem.uri,
            slug=problem.slug,
            status=problem.status,
            title=problem.title,
            meaning=problem.meaning,
            fix=problem.fix,
            codes=[ErrorCodeRead.of(entry) for entry in problem.codes],
        )


class ErrorCodeEntry(ErrorCodeRead):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": "unknown_school",
                    "meaning": "No school has this URN.",
                    "types": ["validation-failed"],
                }
            ]
        }
    )

    types: list[str] = Field(description="The slugs of the problem types it appears with.")

    @classmethod
    def of_entry(cls, entry: ErrorCode) -> ErrorCodeEntry:
        return cls(code=entry.code, meaning=entry.meaning, types=list(entry.types))


class ProblemCatalogue(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "problems": [_CONFLICT],
                    "codes": [
                        {
                            "code": "school_closed",
                            "meaning": "The school is closed: it takes no new roll.",
                            "types": ["conflict"],
                        }
                    ],
                }
            ]
        }
    )

    problems: list[ProblemTypeRead]
    codes: list[ErrorCodeEntry] = Field(description="Every `errors[].code` the service sends.")
