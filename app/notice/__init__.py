"""The published privacy notice, held as a versioned record of what it claims.

Each published version is one data file in ``versions/`` (``v<number>.json``), validated
against ``NoticeVersion`` when the service starts. The newest version published on or before
today is the notice in force; the drift report compares it with what the service really does.
A new version of the notice is published by adding its file, never by editing an earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib import resources
from itertools import pairwise

from app.notice.schema import (
    CategoryClaim,
    DataSubjectCategory,
    NoticeRight,
    NoticeVersion,
    PurposeClaim,
    RecipientClaim,
    RetentionClaim,
    RightClaim,
    SubjectClaim,
)

__all__ = [
    "LIBRARY",
    "CategoryClaim",
    "DataSubjectCategory",
    "NoticeLibrary",
    "NoticeRight",
    "NoticeVersion",
    "PurposeClaim",
    "RecipientClaim",
    "RetentionClaim",
    "RightClaim",
    "SubjectClaim",
    "load_versions",
    "notice_library",
]


def load_versions() -> tuple[NoticeVersion, ...]:
    """Every version file shipped with the service, validated, oldest first."""
    folder = resources.files(__package__).joinpath("versions")
    found = [
        NoticeVersion.model_validate_json(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    return NoticeLibrary(found).versions


class NoticeLibrary:
    """The published versions of the notice. Version numbers are unique and publication dates
    follow them: a later version is never published before an earlier one."""

    def __init__(self, versions: Iterable[NoticeVersion]) -> None:
        ordered = tuple(sorted(versions, key=lambda v: v.version))
        if not ordered:
            raise ValueError("at least one version of the notice must be held")
        numbers = [v.version for v in ordered]
        if len(numbers) != len(set(numbers)):
            raise ValueError("notice version numbers must be unique")
        for earlier, later in pairwise(ordered):
            if later.published_on < earlier.published_on:
                raise ValueError(
                    f"version {later.version} is published before version {earlier.version}"
                )
        self.versions = ordered

    def with_version(self, version: NoticeVersion) -> NoticeLibrary:
        """The library with ``version`` published too (it must be the next number)."""
        expected = self.versions[-1].version + 1
        if version.version != expected:
            raise ValueError(f"the next version of the notice is {expected}")
        return NoticeLibrary((*self.versions, version))

    def in_force(self, on: date) -> NoticeVersion:
        """The newest version published on or before ``on`` (the first if none was yet)."""
        published = [v for v in self.versions if v.published_on <= on]
        return published[-1] if published else self.versions[0]

    def get(self, number: int) -> NoticeVersion | None:
        return next((v for v in self.versions if v.version == number), None)


#: The versions the service ships with.
LIBRARY = NoticeLibrary(load_versions())


def notice_library() -> NoticeLibrary:
    """The published versions, as a request dependency (a test publishes a version by
    overriding it)."""
    return LIBRARY
