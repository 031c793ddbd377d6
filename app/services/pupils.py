"""Pupils: the children KPAS holds records about, their school enrolments and their carers.

Every read goes through the policy layer's SQL filter; a pupil the caller may not see is a
404. Partners and inspectors get a disclosure written for exactly what they were sent.
Changes are audited with ids only, and flushed (the request commits).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.people import (
    Carer,
    CarerRelationship,
    Enrolment,
    EnrolmentSource,
    Pupil,
)
from app.models.sharing import DataCategory
from app.models.subjects import DataSubject
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.people import (
    CarerRepository,
    NamePrefix,
    PupilQuery,
    PupilRepository,
)
from app.repositories.schools import SchoolRepository
from app.rules.names import name_key
from app.rules.retention import pupil_retain_until
from app.schemas.people import (
    CarerLink,
    PupilCreate,
    PupilMerge,
    PupilUpdate,
    RelationshipUpdate,
)
from app.services import duplicates, pupil_merge
from app.services.concurrency import IfMatch, etag_for
from app.services.people import new_carer, new_pupil, rename_pupil
from app.services.retention_periods import (
    PUPIL_LINKED,
    set_retention_dates,
    years_in_force,
)

#: What a pupil or carer record is, as sharing agreements and inspection grants name it.
IDENTITY_CONTACT = frozenset({DataCategory.IDENTITY_CONTACT.value})

#: Fields whose change may make (or unmake) a possible duplicate.
DUPLICATE_FIELDS = frozenset(
    {"upn", "legal_forename", "legal_surname", "date_of_birth", "postcode"}
)


@dataclass(frozen=True, slots=True)
class PupilRecord:
    """A pupil with their retention date (held on their data subject)."""

    pupil: Pupil
    retain_until: date | None


def pupil_etag(pupil: Pupil) -> str:
    return etag_for(pupil.id, pupil.version, pupil.created_at)


def relationship_etag(relationship: CarerRelationship) -> str:
    return etag_for(relationship.id, relationship.version, relationship.created_at)


def name_prefix(text: str) -> NamePrefix:
    """A name search as keys: one word is the start of a surname; several are a forename and
    the start of a surname ("Zoe Ok")."""
    first, _, rest = text.strip().partition(" ")
    forename, surname = name_key(first), name_key(rest)
    if forename and surname:
        return NamePrefix(surname=surname, forename=forename)
    return NamePrefix(surname=name_key(text))


def record_release(
    access: Access,
    *,
    subject_ids: Iterable[uuid.UUID],
    content: bytes,
    resource_id: object | None = None,
) -> None:
    """Write the disclosure for a partner's or inspector's read of people's records (nothing
    for callers inside KPAS, or when nothing about anyone is sent)."""
    subjects = set(subject_ids)
    if access.release is None or not subjects:
        return
    access.record_release(
        subject_ids=subjects,
        categories=access.releasable(IDENTITY_CONTACT),
        content=content,
        resource_id=resource_id,
    )


# --- reading --------------------------------------------------------------------------------


async def list_pupils(
    session: AsyncSession,
    access: Access,
    *,
    query: PupilQuery,
    page: PageRequest,
) -> tuple[list[PupilRecord], str | None]:
    found, next_cursor = await PupilRepository(session).page_with_retention(
        query, page=page, visible=access.filter()
    )
    access.touched(subject_ids=[pupil.subject_id for pupil, _ in found])
    return [PupilRecord(pupil, retain_until) for pupil, retain_until in found], next_cursor


async def get_pupil(session: AsyncSession, access: Access, *, pupil_id: uuid.UUID) -> Pupil:
    pupil = await PupilRepository(session).get(pupil_id, visible=access.filter())
    if pupil is None:
        raise access.not_found(pupil_id, "No pupil with that id.")
    access.touched(subject_ids=[pupil.subject_id], resource_id=pupil.id)
    return pupil


async def _record(session: AsyncSession, pupil: Pupil) -> PupilRecord:
    retention = await PupilRepository(session).retention_dates([pupil.subject_id])
    return PupilRecord(pupil, retention.get(pupil.subject_id))


async def get_pupil_record(
    session: AsyncSession, access: Access, *, pupil_id: uuid.UUID
) -> PupilRecord:
    return await _record(session, await get_pupil(session, access, pupil_id=pupil_id))


# --- creating and changing ------------------------------------------------------------------


async def create_pupil(session: AsyncSession, access: Access, *, data: PupilCreate) -> PupilRecord:
    """A new pupil on one school's roll. The caller must be able to see the pupil they create
    (a manager in the school's area team, governance), or nothing is written."""
    school = await SchoolRepository(session).get(data.enrolment.school_urn)
    problems = []
    if school is None:
        problems.append(
            body_problem("/enrolment/school_urn", "no school has this URN", "unknown_school")
        )
    if data.enrolment.on_roll_from < data.date_of_birth:
        problems.append(
            body_problem(
                "/enrolment/on_roll_from", "cannot be before the date of birth", "before_birth"
            )
        )
    if problems or school is None:
        raise ValidationFailed(f"{len(problems)} field(s) failed validation.", errors=problems)
    contact = data.model_dump(
        exclude={
            "upn",
            "legal_forename",
            "legal_surname",
            "date_of_birth",
            "gender",
            "enrolment",
        }
    )
    pupil = new_pupil(
        session,
        retain_years=await years_in_force(session, PUPIL_LINKED),
        upn=data.upn,
        legal_forename=data.legal_forename,
        legal_surname=data.legal_surname,
        date_of_birth=data.date_of_birth,
        gender=data.gender,
        **contact,
    )
    enrolment = Enrolment(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        school_urn=school.urn,
        on_roll_from=data.enrolment.on_roll_from,
        source=EnrolmentSource.MANUAL,
    )
    enrolment.school = school
    pupil.enrolments = [enrolment]
    if not access.permits(pupil):
        raise access.refuse(
            "the new pupil's school is outside the caller's reach", code="condition_not_met"
        )
    session.add(enrolment)
    await session.flush()
    flagged = await duplicates.flag_pupil_duplicates(session, [pupil.id])
    access.record_change(
        "pupil.created",
        resource_id=pupil.id,
        subject_id=pupil.subject_id,
        details={"school_urn": school.urn, "possible_duplicates": flagged},
    )
    return await _record(session, pupil)


def _not_merged(record: Pupil | Carer) -> None:
    if record.merged_into_id is not None:
        raise Conflict(
            "This record was merged into another; change the surviving record "
            f"({record.merged_into_id})."
        )


async def update_pupil(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    changes: PupilUpdate,
    if_match: IfMatch,
) -> PupilRecord:
    pupil = await get_pupil(session, access, pupil_id=pupil_id)
    if_match.require(pupil_etag(pupil))
    _not_merged(pupil)
    fields: dict[str, Any] = changes.changes()
    if not fields:
        return await _record(session, pupil)
    changed = frozenset(fields)
    forename = fields.pop("legal_forename", None)
    surname = fields.pop("legal_surname", None)
    if forename is not None or surname is not None:
        rename_pupil(
            pupil,
            legal_forename=forename or pupil.legal_forename,
            legal_surname=surname or pupil.legal_surname,
        )
    for field, value in fields.items():
        setattr(pupil, field, value)
    if "date_of_birth" in changed:
        subject = await PupilRepository(session).subject(pupil.subject_id)
        subject.retain_until = pupil_retain_until(
            pupil.date_of_birth, await years_in_force(session, PUPIL_LINKED)
        )
        await session.flush()
        carers = await CarerRepository(session).relationships_of_pupil_unfiltered(pupil.id)
        await refresh_carer_retention(session, [r.carer_id for r in carers])
    await session.flush()
    if changed & DUPLICATE_FIELDS:
        await duplicates.flag_pupil_duplicates(session, [pupil.id])
    access.record_change(
        "pupil.updated",
        resource_id=pupil.id,
        subject_id=pupil.subject_id,
        details={"fields": ",".join(sorted(changed))},
    )
    return await _record(session, pupil)


async def refresh_carer_retention(session: AsyncSession, carer_ids: Iterable[uuid.UUID]) -> int:
    """Carer records are pupil-linked: each is kept as long as the longest-kept of their
    pupils. A carer left with no pupils keeps the date they had. How many dates moved."""
    latest = await CarerRepository(session).latest_pupil_retention(set(carer_ids))
    moved = 0
    for subject, retain_until in latest.values():
        if subject.retain_until != retain_until:
            subject.retain_until = retain_until
            moved += 1
    await session.flush()
    return moved


_RECOMPUTE_BATCH = 1000


async def recompute_pupil_retention(session: AsyncSession, years: int) -> int:
    """Every pupil's retention date from their date of birth under a new ``pupil_linked``
    period, then every carer's from their pupils (``refresh_carer_retention``); how many
    dates moved. A batch at a time, in the caller's transaction."""
    moved = 0
    after: uuid.UUID | None = None
    while True:
        stmt = (
            select(Pupil.id, Pupil.subject_id, Pupil.date_of_birth, DataSubject.retain_until)
            .join(DataSubject, DataSubject.id == Pupil.subject_id)
            .order_by(Pupil.id)
            .limit(_RECOMPUTE_BATCH)
        )
        if after is not None:
            stmt = stmt.where(Pupil.id > after)
        rows = (await session.execute(stmt)).all()
        if not rows:
            break
        after = rows[-1][0]
        changes = [
            {"id": subject_id, "retain_until": until}
            for _, subject_id, born, kept in rows
            if (until := pupil_retain_until(born, years)) != kept
        ]
        moved += await set_retention_dates(session, changes)
    after = None
    while True:
        carers = select(Carer.id).order_by(Carer.id).limit(_RECOMPUTE_BATCH)
        if after is not None:
            carers = carers.where(Carer.id > after)
        ids = list((await session.scalars(carers)).all())
        if not ids:
            break
        after = ids[-1]
        moved += await refresh_carer_retention(session, ids)
    return moved


# --- carers of a pupil ----------------------------------------------------------------------


async def list_pupil_carers(
    session: AsyncSession, access: Access, *, pupil_id: uuid.UUID
) -> tuple[Pupil, list[CarerRelationship]]:
    """A pupil's carers, first contact first. Carers this caller may not process for the
    purpose (restricted, objected to, past retention) are left out."""
    pupil = await get_pupil(session, access, pupil_id=pupil_id)
    relationships = await CarerRepository(session).relationships_of_pupil(
        pupil.id, carer_visible=access.related_filter("carer", "list")
    )
    access.touched(subject_ids=[r.carer.subject_id for r in relationships])
    return pupil, relationships


async def get_pupil_carer(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    carer_id: uuid.UUID,
    carer_action: str = "read",
) -> tuple[Pupil, CarerRelationship]:
    pupil = await get_pupil(session, access, pupil_id=pupil_id)
    relationship = await CarerRepository(session).relationship(
        pupil.id, carer_id, carer_visible=access.related_filter("carer", carer_action)
    )
    if relationship is None:
        raise access.not_found(carer_id, "No carer with that id is linked to this pupil.")
    access.touched(subject_ids=[relationship.carer.subject_id])
    return pupil, relationship


def _one_carer(data: CarerLink) -> None:
    if (data.carer_id is None) == (data.carer is None):
        detail = "give either carer_id (an existing carer) or carer (a new one)"
        raise ValidationFailed(
            "Name an existing carer or describe a new one, not both.",
            errors=[
                body_problem("/carer_id", detail, "one_carer"),
                body_problem("/carer", detail, "one_carer"),
            ],
        )


async def link_carer(
    session: AsyncSession, access: Access, *, pupil_id: uuid.UUID, data: CarerLink
) -> CarerRelationship:
    """Link an existing carer, or a new one, to a pupil."""
    _one_carer(data)
    pupil = await get_pupil(session, access, pupil_id=pupil_id)
    _not_merged(pupil)
    carers = CarerRepository(session)
    created = False
    if data.carer_id is not None:
        carer = await carers.find(data.carer_id, visible=access.related_filter("carer", "update"))
        if carer is None:
            raise access.not_found(data.carer_id, "No carer with that id.")
        _not_merged(carer)
        if await carers.relationship(pupil.id, carer.id) is not None:
            raise Conflict("This carer is already linked to this pupil.")
    else:
        assert data.carer is not None  # _one_carer
        retention = await PupilRepository(session).retention_dates([pupil.subject_id])
        carer = new_carer(
            session,
            retain_until=retention.get(pupil.subject_id),
            **data.carer.model_dump(),
        )
        await session.flush()
        created = True
    relationship = CarerRelationship(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        carer_id=carer.id,
        relationship_type=data.relationship_type,
        parental_responsibility=data.parental_responsibility,
        lives_with=data.lives_with,
        contact_priority=data.contact_priority,
    )
    await carers.add_relationship(relationship)
    await refresh_carer_retention(session, [carer.id])
    if created:
        access.record_change("carer.created", resource_id=carer.id, subject_id=carer.subject_id)
    access.record_change(
        "pupil.carer_linked",
        resource_id=pupil.id,
        subject_id=pupil.subject_id,
        details={"carer_id": str(carer.id), "new_carer": created},
    )
    linked = await carers.relationship(pupil.id, carer.id)
    assert linked is not None
    return linked


async def update_relationship(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    carer_id: uuid.UUID,
    changes: RelationshipUpdate,
    if_match: IfMatch,
) -> CarerRelationship:
    pupil, relationship = await get_pupil_carer(
        session, access, pupil_id=pupil_id, carer_id=carer_id, carer_action="update"
    )
    if_match.require(relationship_etag(relationship))
    fields = changes.changes()
    if not fields:
        return relationship
    for field, value in fields.items():
        setattr(relationship, field, value)
    await session.flush()
    access.record_change(
        "pupil.carer_relationship_updated",
        resource_id=pupil.id,
        subject_id=pupil.subject_id,
        details={"carer_id": str(carer_id), "fields": ",".join(sorted(fields))},
    )
    return relationship


async def unlink_carer(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    carer_id: uuid.UUID,
    if_match: IfMatch,
) -> None:
    pupil, relationship = await get_pupil_carer(
        session, access, pupil_id=pupil_id, carer_id=carer_id, carer_action="update"
    )
    if_match.require(relationship_etag(relationship))
    await CarerRepository(session).delete_relationship(relationship)
    await refresh_carer_retention(session, [carer_id])
    access.record_change(
        "pupil.carer_unlinked",
        resource_id=pupil.id,
        subject_id=pupil.subject_id,
        details={"carer_id": str(carer_id)},
    )


# --- merging duplicates ---------------------------------------------------------------------


async def merge_pupils(
    session: AsyncSession,
    access: Access,
    *,
    pupil_id: uuid.UUID,
    data: PupilMerge,
    if_match: IfMatch,
) -> PupilRecord:
    """Merge ``data.merge_from`` into this pupil, resolving their open possible duplicate.

    The survivor takes the other record's enrolments (an open enrolment at a school where the
    survivor is also on roll is folded into the survivor's, keeping the earlier on-roll date),
    carer links (unless the carer is already linked to the survivor), special category
    entries and documents. Its cases, penalty notices, exclusions, attendance marks (with
    their history) and alerts move too, and the school weeks of the moved marks are queued for
    the worker (``app.services.pupil_merge`` has the rules); where both records have an open
    case of the same type the merge is refused (409) and nothing is written. The other record
    is kept, marked as merged into the survivor, so its history and audit trail stay findable
    under its own id.
    """
    if data.merge_from == pupil_id:
        raise ValidationFailed(
            "A pupil cannot be merged into itself.",
            errors=[body_problem("/merge_from", "must be another pupil", "same_pupil")],
        )
    survivor = await get_pupil(session, access, pupil_id=pupil_id)
    if_match.require(pupil_etag(survivor))
    other = await get_pupil(session, access, pupil_id=data.merge_from)
    _not_merged(survivor)
    _not_merged(other)
    duplicate = await duplicates.open_pupil_duplicate(
        session, duplicate_id=data.duplicate_id, pupil_ids=(survivor.id, other.id)
    )
    await pupil_merge.refuse_open_case_clashes(session, access, survivor=survivor, merged=other)
    await pupil_merge.hold_schools(session, merged=other)
    pupils = PupilRepository(session)

    # Enrolments.
    open_at = {e.school_urn: e for e in survivor.enrolments if e.off_roll_on is None}
    moved_enrolments = folded = 0
    for enrolment in list(other.enrolments):
        kept = open_at.get(enrolment.school_urn) if enrolment.off_roll_on is None else None
        if kept is not None:
            kept.on_roll_from = min(kept.on_roll_from, enrolment.on_roll_from)
            await pupils.delete_enrolment(enrolment)
            folded += 1
        else:
            enrolment.pupil_id = survivor.id
            moved_enrolments += 1
    await session.flush()

    # Carer links.
    carers = CarerRepository(session)
    linked = {r.carer_id for r in await carers.relationships_of_pupil_unfiltered(survivor.id)}
    moved_carers: list[uuid.UUID] = []
    for relationship in await carers.relationships_of_pupil_unfiltered(other.id):
        if relationship.carer_id not in linked:
            relationship.pupil_id = survivor.id
            moved_carers.append(relationship.carer_id)
    await session.flush()

    # Special category data moves to the survivor's data subject, so rights and retention
    # apply to it there. Documents keep their data subject: their ciphertext is bound to that
    # subject's key, and re-encrypting them is the documents' own operation.
    entries = await pupils.sensitive_entries(other.id)
    for entry in entries:
        entry.pupil_id = survivor.id
        entry.subject_id = survivor.subject_id
    documents = await pupils.documents(other.id)
    for document in documents:
        document.pupil_id = survivor.id
    await session.flush()

    # Casework and attendance.
    moved = await pupil_merge.move_records(session, access, survivor=survivor, merged=other)

    other.merged_into_id = survivor.id
    survivor.updated_at = access.now  # a new version, so the survivor's ETag changes
    await session.flush()
    await refresh_carer_retention(session, moved_carers)
    await duplicates.resolve_as_merged(session, access, duplicate, survivor_id=survivor.id)

    access.record_change(
        "pupil.merged",
        resource_id=survivor.id,
        subject_id=survivor.subject_id,
        details={
            "merged_from": str(other.id),
            "duplicate_id": str(duplicate.id),
            "enrolments_moved": moved_enrolments,
            "enrolments_folded": folded,
            "carers_moved": len(moved_carers),
            "sensitive_entries_moved": len(entries),
            "documents_moved": len(documents),
            **moved.audit_details(),
        },
    )
    access.record_change(
        "pupil.merged_into",
        resource_id=other.id,
        subject_id=other.subject_id,
        details={"survivor_id": str(survivor.id), "duplicate_id": str(duplicate.id)},
    )
    session.expire(survivor, ["enrolments"])
    session.expire(other, ["enrolments"])
    reloaded = await pupils.get(survivor.id)
    assert reloaded is not None
    return await _record(session, reloaded)
