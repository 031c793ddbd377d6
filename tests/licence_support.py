"""Licensing test data: people, productions and approved chaperones written straight to the
database, and the headers a licensing officer sends."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.licences import (
    ChildEducation,
    Licence,
    LicenceKind,
    LicenceStatus,
    Person,
    PersonType,
    Production,
    ProductionKind,
)
from app.rules.names import name_key
from app.services.licences import new_reference
from app.services.licensing_people import LICENSING_BASIS, LICENSING_MASK, new_person
from tests.conftest import AuthHeaders

LICENSING_OFFICER = "licensing-1"


def licensing_headers(auth: AuthHeaders, subject: str = LICENSING_OFFICER) -> dict[str, str]:
    return auth("licensing_officer", subject=subject, purpose="child_employment_licensing")


async def make_person(
    session: AsyncSession,
    *,
    person_type: PersonType = PersonType.CHILD,
    forename: str = "Maisie",
    surname: str = "Example",
    date_of_birth: date | None = date(2013, 5, 2),
    email: str | None = None,
    address_lines: list[str] | None = None,
    postcode: str | None = None,
    organisation: str | None = None,
) -> Person:
    child = person_type is PersonType.CHILD
    person = new_person(
        session,
        person_type=person_type,
        legal_forename=forename,
        legal_surname=surname,
        date_of_birth=date_of_birth,
        created_by=LICENSING_OFFICER,
        organisation=organisation,
        education=ChildEducation.INDEPENDENT_SCHOOL if child else None,
        email=email,
        address_lines=address_lines,
        postcode=postcode,
    )
    await session.flush()
    return person


async def make_adult(session: AsyncSession, **fields: Any) -> Person:
    fields.setdefault("forename", "Sam")
    fields.setdefault("surname", "Adult")
    fields.setdefault("date_of_birth", date(1980, 1, 1))
    return await make_person(session, person_type=PersonType.ADULT, **fields)


async def make_production(
    session: AsyncSession,
    producer: Person,
    *,
    charge_made: bool = True,
    bopa: str | None = None,
) -> Production:
    production = Production(
        id=uuid.uuid4(),
        title="Winter Pantomime",
        title_key=name_key("Winter Pantomime"),
        kind=ProductionKind.THEATRE,
        company="Example Theatre Company",
        producer_id=producer.id,
        venue="Example Theatre, Canterbury",
        charge_made=charge_made,
        licensed_premises=False,
        broadcast_or_recorded=False,
        body_of_persons_approval=bopa,
        created_by="licensing-1",
    )
    session.add(production)
    await session.flush()
    return production


async def make_approved_chaperone(
    session: AsyncSession, *, approved_on: date, expires_on: date
) -> Licence:
    """A granted chaperone approval for a new adult."""
    adult = await make_adult(session, forename="Chris", surname="Chaperone")
    licence = Licence(
        id=uuid.uuid4(),
        reference=new_reference(approved_on),
        kind=LicenceKind.CHAPERONE_APPROVAL,
        status=LicenceStatus.GRANTED,
        person_id=adult.id,
        forename=adult.legal_forename,
        surname=adult.legal_surname,
        date_of_birth=adult.date_of_birth,
        received_on=approved_on,
        starts_on=approved_on,
        expires_on=expires_on,
        particulars={
            "dbs_certificate_number": "001234567890",
            "dbs_issued_on": approved_on.isoformat(),
            "update_service_checked_on": approved_on.isoformat(),
            "references_received": 2,
            "training_completed_on": approved_on.isoformat(),
        },
        findings=[],
        decided_by="licensing-1",
        subject_id=adult.subject_id,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by="licensing-1",
    )
    session.add(licence)
    await session.flush()
    return licence


async def make_licence(
    session: AsyncSession,
    holder: Person,
    *,
    status: LicenceStatus = LicenceStatus.APPLIED,
    received_on: date = date(2026, 11, 30),
) -> Licence:
    """A work permit application for ``holder`` (a child person), in ``status``."""
    licence = Licence(
        id=uuid.uuid4(),
        reference=new_reference(received_on),
        kind=LicenceKind.WORK_PERMIT,
        status=status,
        person_id=holder.id,
        forename=holder.legal_forename,
        surname=holder.legal_surname,
        date_of_birth=holder.date_of_birth,
        received_on=received_on,
        starts_on=received_on,
        particulars={},
        findings=[],
        subject_id=holder.subject_id,
        purposes_mask=LICENSING_MASK,
        lawful_basis=LICENSING_BASIS,
        created_by=LICENSING_OFFICER,
    )
    session.add(licence)
    await session.flush()
    return licence
