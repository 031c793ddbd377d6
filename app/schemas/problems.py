"""The problem catalogue as JSON: what each problem type and ``errors[].code`` means."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.problems import ErrorCode, ProblemType


class ErrorCodeRead(BaseModel):
    code: str = Field(description="The value of `errors[].code`.")
    meaning: str

    @classmethod
    def of(cls, entry: ErrorCode) -> ErrorCodeRead:
        return cls(code=entry.code, meaning=entry.meaning)


class ProblemTypeRead(BaseModel):
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
    types: list[str] = Field(description="The slugs of the problem types it appears with.")

    @classmethod
    def of_entry(cls, entry: ErrorCode) -> ErrorCodeEntry:
        return cls(code=entry.code, meaning=entry.meaning, types=list(entry.types))


class ProblemCatalogue(BaseModel):
    problems: list[ProblemTypeRead]
    codes: list[ErrorCodeEntry] = Field(description="Every `errors[].code` the service sends.")
