"""Creating the people KPAS holds data about: each gets a data subject (whose restriction,
objections and retention the policy layer applies) in the same transaction as their record.

Shared by the pupils and carers API, the school roll push and the demo data, so a pupil is
made one way wherever it comes from.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, Gender, Pupil
from app.models.subjects import DataSubject, SubjectKind
from app.policies.registry import LawfulBasis, Purpose, purposes_mask
from app.rules.names import name_key
from app.rules.retention import PUPIL_RECORD_YEARS, pupil_retain_until

#: What roll, pupil and carer records are collected for: the work that creates them, the
#: attendance duty and the interventions around it (UK GDPR Art 5(1)(b), purpose limitation).
#: ``prosecution`` and ``school_attendance_order`` attach to the people of a case at that
#: stage, never to everyone on a roll.
PEOPLE_PURPOSES = (Purpose.ATTENDANCE_DUTY, Purpose.INTERVENTION)
PEOPLE_PURPOSES_MASK = purposes_mask(PEOPLE_PURPOSES)
#: Article 6(1)(c) legal obligation and 6(1)(e) public task (privacy notice, "Lawful basis").
PEOPLE_BASIS = f"{LawfulBasis.LEGAL_OBLIGATION.value},{LawfulBasis.PUBLIC_TASK.value}"


def new_subject(session: AsyncSession, kind: SubjectKind, retain_until: date | None) -> DataSubject:
    subject = DataSubject(id=uuid.uuid4(), kind=kind, retain_until=retain_until)
    session.add(subject)
    return subject


def new_pupil(
    session: AsyncSession,
    *,
    legal_forename: str,
    legal_surname: str,
    date_of_birth: date,
    gender: Gender,
    upn: str | None = None,
    purposes_mask: int = PEOPLE_PURPOSES_MASK,
    lawful_basis: str = PEOPLE_BASIS,
    retain_years: int = PUPIL_RECORD_YEARS,
    **fields: object,
) -> Pupil:
    """A pupil and their data subject, retained until the 25th birthday, or the birthday
    ``retain_years`` (the registry's ``pupil_linked`` period in force) names (not yet
    flushed)."""
    subject = new_subject(
        session, SubjectKind.PUPIL, pupil_retain_until(date_of_birth, retain_years)
    )
    pupil = Pupil(
        id=uuid.uuid4(),
        subject=subject,
        subject_id=subject.id,
        upn=upn,
        legal_forename=legal_forename,
        legal_surname=legal_surname,
        date_of_birth=date_of_birth,
        gender=gender,
        surname_key=name_key(legal_surname),
        forename_key=name_key(legal_forename),
        purposes_mask=purposes_mask,
        lawful_basis=lawful_basis,
        **fields,
    )
    session.add(pupil)
    return pupil


def rename_pupil(pupil: Pupil, *, legal_forename: str, legal_surname: str) -> None:
    """Change legal names and their search keys together."""
    pupil.legal_forename = legal_forename
    pupil.legal_surname = legal_surname
    pupil.forename_key = name_key(legal_forename)
    pupil.surname_key = name_key(legal_surname)


def new_carer(
    session: AsyncSession,
    *,
    forename: str,
    surname: str,
    retain_until: date | None,
    purposes_mask: int = PEOPLE_PURPOSES_MASK,
    lawful_basis: str = PEOPLE_BASIS,
    **fields: object,
) -> Carer:
    """A carer and their data subject. Carer records are pupil-linked: they are kept as long
    as the longest-kept of their pupils (the caller passes that date)."""
    subject = new_subject(session, SubjectKind.CARER, retain_until)
    carer = Carer(
        id=uuid.uuid4(),
        subject=subject,
        subject_id=subject.id,
        forename=forename,
        surname=surname,
        surname_key=name_key(surname),
        forename_key=name_key(forename),
        purposes_mask=purposes_mask,
        lawful_basis=lawful_basis,
        **fields,
    )
    session.add(carer)
    return carer


def rename_carer(carer: Carer, *, forename: str, surname: str) -> None:
    carer.forename = forename
    carer.surname = surname
    carer.forename_key = name_key(forename)
    carer.surname_key = name_key(surname)
