"""School rolls: a school's information system replaces its whole roll in one request.

The roll is applied in the request's transaction, all of it or nothing:

- pupils are matched by UPN among live (unmerged) pupils, created when unknown, and updated
  where the roll differs (a field the roll leaves out keeps its stored value);
- each is on this school's roll from their ``on_roll_from`` (an enrolment is reopened when
  the roll puts back a pupil it left out by mistake);
- pupils on this school's roll whom the roll leaves out come off it on ``as_of``;
- carers are matched by name among the pupil's own carers, else created and linked. A carer
  the roll no longer names stays linked: the roll does not remove what KPAS staff recorded;
- pupils and carers whose processing is restricted, objected to or past retention are held
  as they are (storage only), not changed. The school is told only that the row changed
  nothing; the audit event counts them.

Pushing the same roll twice changes nothing the second time: only fields that differ are
written, so the version (and ETag) of an unchanged record does not move.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, CarerRelationship, Enrolment, EnrolmentSource, Pupil
from app.models.schools import School
from app.policies import Access
from app.policies.registry import PURPOSE_BITS, REGISTRY
from app.repositories.roll import CarerLink, KnownPupil, OpenEnrolment, RollRepository
from app.rules.names import name_key
from app.rules.retention import pupil_retain_until
from app.schemas.roll import RollCarer, RollPupil, RollPush, RollSummary
from app.services.changes import set_changed
from app.services.duplicates import flag_pupil_duplicates
from app.services.people import new_carer, new_pupil, rename_carer, rename_pupil

#: Pupil fields a roll sets directly (legal names go through ``rename_pupil``).
PUPIL_FIELDS = (
    "legal_middle_names",
    "preferred_forename",
    "preferred_surname",
    "date_of_birth",
    "gender",
    "address_lines",
    "postcode",
    "phone",
    "email",
)
CARER_FIELDS = ("title", "address_lines", "postcode", "phone", "email")


@dataclass(slots=True)
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Rows and leavers whose processing is restricted, objected to or past retention.
    held_rows: int = 0
    held_leavers: int = 0
    left: int = 0
    carers_created: int = 0
    carers_updated: int = 0


async def school_for_roll(session: AsyncSession, access: Access, *, urn: int) -> School:
    """The school whose roll this caller may replace: 404 when there is no such school, 403
    when it is not one of the caller's (schools are public, so the refusal hides nothing)."""
    school = await RollRepository(session).school_for_update(urn)
    if school is None:
        raise access.not_found(urn, f"No school with URN {urn}.")
    if not access.permits(school):
        raise access.refuse(
            "the school is not one of the caller's schools",
            code="not_own_school",
            resource_id=urn,
        )
    return school


def _processable(access: Access, subject_column: Any, mask_column: Any) -> ColumnElement[bool]:
    """SQL: the record may be processed for this push's purpose today (its subject is not
    restricted, objecting or past retention, and it was collected for the purpose)."""
    purpose = access.purpose
    assert purpose is not None  # the roll is personal data: the decision has a purpose
    collected: ColumnElement[bool] = (
        true() if REGISTRY[purpose].governance else mask_column.op("&")(PURPOSE_BITS[purpose]) != 0
    )
    return and_(access.visible_subjects(subject_column), collected)


def _given(model: RollPupil | RollCarer, names: Iterable[str]) -> dict[str, Any]:
    """The fields the roll gave (a field left out keeps its stored value)."""
    return {name: getattr(model, name) for name in names if name in model.model_fields_set}


def _choose(candidates: list[KnownPupil], on_roll_here: set[uuid.UUID]) -> KnownPupil:
    """Of live pupils sharing a UPN (possible duplicates), the one already on this roll, else
    the oldest record."""
    for candidate in candidates:
        if candidate.pupil.id in on_roll_here:
            return candidate
    return candidates[0]


class _RollApplier:
    """Applies one validated roll to one school, set-based: everything it needs is loaded up
    front, changes are made on the loaded records, and one flush writes them."""

    def __init__(self, session: AsyncSession, access: Access, school: School, as_of: date):
        self.session = session
        self.access = access
        self.school = school
        self.as_of = as_of
        self.repo = RollRepository(session)
        self.counts = _Counts()
        self.changed_pupils: list[uuid.UUID] = []
        self.moved_retention: list[tuple[Pupil, date]] = []

    async def apply(self, pupils: list[RollPupil]) -> _Counts:
        pupil_ok = _processable(self.access, Pupil.subject_id, Pupil.purposes_mask)
        carer_ok = _processable(self.access, Carer.subject_id, Carer.purposes_mask)
        urn = self.school.urn

        open_here = {
            o.enrolment.pupil_id: o
            for o in await self.repo.open_enrolments(urn, processable=pupil_ok)
        }
        by_upn: dict[str, list[KnownPupil]] = {}
        for candidate in await self.repo.live_pupils_by_upn(
            {p.upn for p in pupils}, processable=pupil_ok
        ):
            assert candidate.pupil.upn is not None
            by_upn.setdefault(candidate.pupil.upn, []).append(candidate)
        on_roll_here = set(open_here)
        matched = {upn: _choose(candidates, on_roll_here) for upn, candidates in by_upn.items()}
        ids = [k.pupil.id for k in matched.values() if k.processable]
        closed_here: dict[uuid.UUID, list[Enrolment]] = {}
        for enrolment in await self.repo.closed_enrolments(urn, ids):
            closed_here.setdefault(enrolment.pupil_id, []).append(enrolment)
        links: dict[uuid.UUID, list[CarerLink]] = {}
        for link in await self.repo.carer_links(ids, processable=carer_ok):
            links.setdefault(link.relationship.pupil_id, []).append(link)

        on_roll: set[uuid.UUID] = set()
        for row in pupils:
            known = matched.get(row.upn)
            if known is None:
                on_roll.add(self._create(row).id)
                continue
            on_roll.add(known.pupil.id)
            if not known.processable:
                self.counts.held_rows += 1
            elif self._apply_row(
                known,
                row,
                open_here.get(known.pupil.id),
                closed_here.get(known.pupil.id, []),
                links.get(known.pupil.id, []),
            ):
                self.counts.updated += 1
            else:
                self.counts.unchanged += 1

        self._leavers(open_here.values(), on_roll)
        await self._move_retention(links)
        await self.session.flush()
        await flag_pupil_duplicates(self.session, self.changed_pupils)
        return self.counts

    def _apply_row(
        self,
        known: KnownPupil,
        row: RollPupil,
        open_here: OpenEnrolment | None,
        closed_here: list[Enrolment],
        links: list[CarerLink],
    ) -> bool:
        """Bring a known pupil, their place on this roll and their carers in line with the
        row; True when anything changed."""
        born = known.pupil.date_of_birth
        changed = self._update(known, row)
        changed |= self._enrol(
            known.pupil, row, open_here.enrolment if open_here else None, closed_here
        )
        retain_until = (
            known.retain_until
            if known.pupil.date_of_birth == born
            else pupil_retain_until(known.pupil.date_of_birth)
        )
        changed |= self._carers(known.pupil, row, links, retain_until)
        return changed

    # --- pupils -----------------------------------------------------------------------------

    def _create(self, row: RollPupil) -> Pupil:
        contact = {
            name: getattr(row, name)
            for name in PUPIL_FIELDS
            if name not in ("date_of_birth", "gender")
        }
        pupil = new_pupil(
            self.session,
            legal_forename=row.legal_forename,
            legal_surname=row.legal_surname,
            date_of_birth=row.date_of_birth,
            gender=row.gender,
            upn=row.upn,
            **contact,
        )
        self.session.add(
            Enrolment(
                id=uuid.uuid4(),
                pupil_id=pupil.id,
                school_urn=self.school.urn,
                on_roll_from=row.on_roll_from,
                source=EnrolmentSource.ROLL,
            )
        )
        retain_until = pupil_retain_until(row.date_of_birth)
        for carer in row.carers:
            self._link_new_carer(pupil, carer, retain_until)
        self.counts.created += 1
        self.changed_pupils.append(pupil.id)
        return pupil

    def _update(self, known: KnownPupil, row: RollPupil) -> bool:
        pupil = known.pupil
        changed = False
        if (pupil.legal_forename, pupil.legal_surname) != (row.legal_forename, row.legal_surname):
            rename_pupil(pupil, legal_forename=row.legal_forename, legal_surname=row.legal_surname)
            changed = True
        old_birth = pupil.date_of_birth
        changed |= set_changed(pupil, _given(row, PUPIL_FIELDS))
        if pupil.date_of_birth != old_birth:
            self.moved_retention.append((pupil, pupil_retain_until(pupil.date_of_birth)))
        if changed:
            self.changed_pupils.append(pupil.id)
        return changed

    def _enrol(
        self,
        pupil: Pupil,
        row: RollPupil,
        open_enrolment: Enrolment | None,
        closed: list[Enrolment],
    ) -> bool:
        """Put the pupil on this school's roll from the roll's date; True when that changed
        anything."""
        if open_enrolment is not None:
            return set_changed(open_enrolment, {"on_roll_from": row.on_roll_from})
        for enrolment in closed:
            if enrolment.on_roll_from == row.on_roll_from:
                # Left out of an earlier roll and back on this one: the same stay, reopened.
                enrolment.off_roll_on = None
                return True
        self.session.add(
            Enrolment(
                id=uuid.uuid4(),
                pupil_id=pupil.id,
                school_urn=self.school.urn,
                on_roll_from=row.on_roll_from,
                source=EnrolmentSource.ROLL,
            )
        )
        return True

    def _leavers(
        self, on_roll_before: Iterable[OpenEnrolment], on_roll_now: set[uuid.UUID]
    ) -> None:
        """Pupils on the school's roll whom this roll leaves out come off it on ``as_of``
        (never before they joined)."""
        for item in on_roll_before:
            enrolment = item.enrolment
            if enrolment.pupil_id in on_roll_now:
                continue
            if not item.processable:
                self.counts.held_leavers += 1
                continue
            enrolment.off_roll_on = max(self.as_of, enrolment.on_roll_from)
            self.counts.left += 1

    # --- carers -----------------------------------------------------------------------------

    def _carers(
        self,
        pupil: Pupil,
        row: RollPupil,
        links: list[CarerLink],
        retain_until: date | None,
    ) -> bool:
        by_name: dict[tuple[str, str], CarerLink] = {}
        for link in links:
            by_name.setdefault((link.carer.forename_key, link.carer.surname_key), link)
        changed = False
        for given in row.carers:
            found = by_name.get((name_key(given.forename), name_key(given.surname)))
            if found is None:
                self._link_new_carer(pupil, given, retain_until)
                changed = True
            elif found.processable and self._update_carer(found, given):
                self.counts.carers_updated += 1
                changed = True
        return changed

    def _link_new_carer(self, pupil: Pupil, given: RollCarer, retain_until: date | None) -> None:
        carer = new_carer(
            self.session,
            forename=given.forename,
            surname=given.surname,
            retain_until=retain_until,
            **{name: getattr(given, name) for name in CARER_FIELDS},
        )
        self.session.add(
            CarerRelationship(
                id=uuid.uuid4(),
                pupil_id=pupil.id,
                carer_id=carer.id,
                relationship_type=given.relationship,
                parental_responsibility=given.parental_responsibility,
                lives_with=given.lives_with,
                contact_priority=given.contact_priority,
            )
        )
        self.counts.carers_created += 1

    def _update_carer(self, link: CarerLink, given: RollCarer) -> bool:
        carer = link.carer
        changed = False
        if (carer.forename, carer.surname) != (given.forename, given.surname):
            rename_carer(carer, forename=given.forename, surname=given.surname)
            changed = True
        changed |= set_changed(carer, _given(given, CARER_FIELDS))
        relationship = {
            "relationship_type": given.relationship,
            "parental_responsibility": given.parental_responsibility,
            "lives_with": given.lives_with,
        }
        if "contact_priority" in given.model_fields_set:
            relationship["contact_priority"] = given.contact_priority
        changed |= set_changed(link.relationship, relationship)
        return changed

    # --- retention --------------------------------------------------------------------------

    async def _move_retention(self, links: dict[uuid.UUID, list[CarerLink]]) -> None:
        """A corrected date of birth moves the pupil's retention date; their carers are kept
        at least as long."""
        if not self.moved_retention:
            return
        pupil_until = {pupil.subject_id: until for pupil, until in self.moved_retention}
        carer_until: dict[uuid.UUID, date] = {}
        for pupil, until in self.moved_retention:
            for link in links.get(pupil.id, []):
                kept = link.retain_until
                if link.processable and kept is not None and kept < until:
                    carer = link.carer.subject_id
                    carer_until[carer] = max(until, carer_until.get(carer, until))
        for subject in await self.repo.subjects({*pupil_until, *carer_until}):
            until = pupil_until.get(subject.id) or carer_until[subject.id]
            set_changed(subject, {"retain_until": until})


async def replace_roll(
    session: AsyncSession, access: Access, *, school: School, roll: RollPush
) -> RollSummary:
    """Apply a validated roll to ``school`` (from ``school_for_roll``) and audit it once."""
    counts = await _RollApplier(session, access, school, roll.as_of).apply(roll.pupils)
    summary = RollSummary(
        as_of=roll.as_of,
        pupils_on_roll=len(roll.pupils),
        created=counts.created,
        updated=counts.updated,
        # Held rows are reported as unchanged: whether a pupil's processing is restricted or
        # objected to is not the school's to learn. The audit event keeps them apart.
        unchanged=counts.unchanged + counts.held_rows,
        left=counts.left,
        carers_created=counts.carers_created,
        carers_updated=counts.carers_updated,
    )
    access.record_change(
        "school_roll.replaced",
        resource_id=school.urn,
        details={
            "as_of": roll.as_of.isoformat(),
            **summary.model_dump(exclude={"as_of", "unchanged"}),
            "unchanged": counts.unchanged,
            "held": counts.held_rows + counts.held_leavers,
        },
    )
    return summary
