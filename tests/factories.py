"""Test data builders and the request helpers the API tests share. Builders flush, never commit:
the test's transaction is rolled back."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from datetime import date

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import (
    Carer,
    CarerRelationship,
    Enrolment,
    EnrolmentSource,
    Gender,
    Pupil,
    RelationshipType,
)
from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.sharing import DataCategory, Recipient, RecipientKind, SharingAgreement
from app.policies.registry import Purpose
from app.rules.kent import District, area_team_for
from app.rules.retention import pupil_retain_until
from app.rules.upn import check_letter
from app.services.people import new_carer, new_pupil
from tests.conftest import AuthHeaders

_urns = itertools.count(400000)
_codes = itertools.count(1)


async def make_school(
    session: AsyncSession,
    *,
    urn: int | None = None,
    name: str = "Test Primary School",
    phase: SchoolPhase = SchoolPhase.PRIMARY,
    district: District = District.DOVER,
    status: SchoolStatus = SchoolStatus.OPEN,
) -> School:
    school = School(
        urn=urn if urn is not None else next(_urns),
        name=name,
        phase=phase,
        district=district,
        area_team=area_team_for(district),
        status=status,
    )
    session.add(school)
    await session.flush()
    return school


def school_body(urn: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "urn": urn,
        "name": "Larkspur Primary School",
        "phase": "primary",
        "district": "thanet",
    }
    body.update(overrides)
    return body


async def make_recipient(
    session: AsyncSession,
    *,
    code: str | None = None,
    name: str = "Test Recipient",
    kind: RecipientKind = RecipientKind.COMMISSIONED_PROVIDER,
    notice_wording: str = "commissioned providers of local authority services",
    active: bool = True,
) -> Recipient:
    recipient = Recipient(
        code=code if code is not None else f"test-recipient-{next(_codes)}",
        name=name,
        kind=kind,
        notice_wording=notice_wording,
        active=active,
    )
    session.add(recipient)
    await session.flush()
    return recipient


async def make_agreement(
    session: AsyncSession,
    recipient: Recipient,
    *,
    name: str = "Kent and Medway Information Sharing Agreement",
    purposes: Sequence[Purpose] = (Purpose.PROSECUTION, Purpose.CRIME_PREVENTION_DISCLOSURE),
    data_categories: Sequence[DataCategory] = (DataCategory.ATTENDANCE,),
    starts_on: date = date(2026, 1, 1),
    ends_on: date | None = None,
    districts: Sequence[District] = (),
) -> SharingAgreement:
    """An agreement with ``recipient``; no districts means county-wide."""
    agreement = SharingAgreement(
        recipient=recipient,
        name=name,
        purposes=[p.value for p in purposes],
        data_categories=[c.value for c in data_categories],
        districts=[d.value for d in districts],
        starts_on=starts_on,
        ends_on=ends_on,
    )
    session.add(agreement)
    await session.flush()
    return agreement


def recipient_body(code: str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "code": code,
        "name": "Synthetic Mentoring Provider",
        "kind": "commissioned_provider",
        "notice_wording": "commissioned providers of local authority services",
    }
    body.update(overrides)
    return body


def agreement_body(recipient_id: uuid.UUID | str, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "recipient_id": str(recipient_id),
        "name": "Kent and Medway Information Sharing Agreement",
        "reference": "KMISA-2026",
        "purposes": ["prosecution", "crime_prevention_disclosure"],
        "data_categories": ["identity_contact", "attendance"],
        "starts_on": "2026-01-01",
    }
    body.update(overrides)
    return body


# People

_serials = itertools.count(1)


def make_upn(la: int = 886, establishment: int = 2000, year: int = 12) -> str:
    """A fresh valid UPN (Kent is LA 886), unique within the test run."""
    serial = next(_serials)
    body = f"{la:03d}{establishment + serial // 1000:04d}{year:02d}{serial % 1000:03d}"
    return check_letter(body) + body


async def make_pupil(
    session: AsyncSession,
    *,
    school: School | None = None,
    on_roll_from: date = date(2024, 9, 1),
    off_roll_on: date | None = None,
    legal_forename: str = "Alex",
    legal_surname: str = "Example",
    date_of_birth: date = date(2014, 5, 17),
    gender: Gender = Gender.NOT_KNOWN,
    upn: str | None = "",
    postcode: str | None = "CT16 1AA",
    **fields: object,
) -> Pupil:
    """A pupil (with a fresh valid UPN unless one is given; None for none), enrolled at
    ``school`` when one is given."""
    pupil = new_pupil(
        session,
        legal_forename=legal_forename,
        legal_surname=legal_surname,
        date_of_birth=date_of_birth,
        gender=gender,
        upn=make_upn() if upn == "" else upn,
        postcode=postcode,
        **fields,
    )
    await session.flush()
    if school is not None:
        session.add(
            Enrolment(
                pupil_id=pupil.id,
                school_urn=school.urn,
                on_roll_from=on_roll_from,
                off_roll_on=off_roll_on,
                source=EnrolmentSource.MANUAL,
            )
        )
        await session.flush()
    return pupil


async def make_carer(
    session: AsyncSession,
    *,
    pupil: Pupil | None = None,
    forename: str = "Sam",
    surname: str = "Example",
    relationship: RelationshipType = RelationshipType.MOTHER,
    parental_responsibility: bool = True,
    lives_with: bool = True,
    contact_priority: int | None = 1,
    **fields: object,
) -> Carer:
    """A carer, linked to ``pupil`` when one is given."""
    carer = new_carer(
        session,
        forename=forename,
        surname=surname,
        retain_until=pupil_retain_until(pupil.date_of_birth) if pupil else None,
        **fields,
    )
    await session.flush()
    if pupil is not None:
        session.add(
            CarerRelationship(
                pupil_id=pupil.id,
                carer_id=carer.id,
                relationship_type=relationship,
                parental_responsibility=parental_responsibility,
                lives_with=lives_with,
                contact_priority=contact_priority,
            )
        )
        await session.flush()
    return carer


# Requests and responses

PROBLEM = "application/problem+json"


def manager_headers(
    auth: AuthHeaders, purpose: str = "attendance_duty", *, area_team: str = "east"
) -> dict[str, str]:
    """Headers of an attendance manager for one area team."""
    return auth("attendance_manager", area_teams=(area_team,), purpose=purpose)


def problem_body(response: httpx.Response, status: int) -> dict[str, object]:
    """The problem document of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, object] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """As ``problem_body``, and the document's own ``status`` must match too."""
    body = problem_body(response, status)
    assert body["status"] == status
    return body
