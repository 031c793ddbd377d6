"""The published privacy notice held as data: every version file is valid, and the library
keeps versions in order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from app.notice import LIBRARY, NoticeLibrary, NoticeVersion, load_versions
from app.policies.registry import REGISTRY, Regime
from tests.test_sharing_api import NOTICE_CODES


def test_every_version_file_is_valid() -> None:
    versions = load_versions()
    assert [v.version for v in versions] == list(range(1, len(versions) + 1))
    assert LIBRARY.versions == versions


def test_the_first_version_records_what_the_notice_published_in_september_2024_claims() -> None:
    first = LIBRARY.get(1)
    assert first is not None
    assert first.published_on == date(2024, 9, 1)
    assert first.controller == "Kent County Council"
    assert first.regimes == (Regime.UK_GDPR,)
    assert first.schedule1_paragraphs == (8,)
    assert first.international_transfers is None
    # Its purposes are the registry's own wording, and its recipients the register's.
    for claim in first.purposes:
        assert claim.wording == REGISTRY[claim.code].wording
    assert [r.code for r in first.recipients] == NOTICE_CODES
    assert {t for r in first.retention for t in r.record_types} == {
        "pupil_linked",
        "licensed_child",
    }


def test_the_version_in_force_is_the_newest_published() -> None:
    first = LIBRARY.versions[0]
    second = first.model_copy(update={"version": 2, "published_on": date(2027, 1, 1)})
    library = LIBRARY.with_version(NoticeVersion.model_validate(second.model_dump()))
    assert library.in_force(date(2026, 12, 31)).version == 1
    assert library.in_force(date(2027, 1, 1)).version == 2
    assert library.in_force(first.published_on - timedelta(days=1)).version == 1


def test_versions_are_numbered_and_dated_in_order() -> None:
    first = LIBRARY.versions[0]
    with pytest.raises(ValueError, match="next version"):
        LIBRARY.with_version(first)
    earlier = first.model_copy(update={"version": 2, "published_on": date(2020, 1, 1)})
    with pytest.raises(ValueError, match="published before"):
        NoticeLibrary((first, earlier))
    with pytest.raises(ValueError, match="at least one"):
        NoticeLibrary(())


def test_a_claim_the_service_cannot_recognise_is_refused() -> None:
    data = LIBRARY.versions[0].model_dump(mode="json")
    for change in (
        {"purposes": [{"code": "marketing", "wording": "send offers"}]},
        {"retention": [{**data["retention"][0], "record_types": ["unheard_of"]}]},
        {"categories": [data["categories"][0], data["categories"][0]]},
        {"unexpected": True},
    ):
        with pytest.raises(ValidationError):
            NoticeVersion.model_validate(data | change)
