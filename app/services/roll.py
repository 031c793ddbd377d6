"""School rolls: a school's information system replaces its whole roll in one request.

The roll is applied in the request's transaction, all of it or nothing. A UPN follows a child
from school to school, so it finds candidates among live (unmerged) pupils county-wide; but a
school's roll never takes over a record that is not already the school's. Each row is one of:

- **own**: the pupil is on this school's roll and no other. The row is applied: changed
  fields updated (a field the roll leaves out keeps its stored value), carers matched by name
  among the pupil's own carers and updated, or created and linked;
- **dual registration**: the pupil is on this school's roll and another's. The enrolment's
  dates apply; what the row would change about the pupil (names, date of birth, gender,
  contact details) and their carers is held in a roll review for a person to accept or reject;
- **transfer in**: the pupil is on no roll here, a record with the UPN has the row's date of
  birth and legal forename and surname (compared by name key, so case and accents do not
  matter), and it is on no other open school's roll (a closed school sends no more rolls). It
  joins this roll (a stay closed by mistake is reopened) and the row is applied as for an own
  pupil;
- **unconfirmed**: the UPN is known, but no record with it matches the row's identity, or the
  one that does is on another school's roll (or may not be changed at present). That record is
  not touched: the row becomes a new record on this roll, flagged as a possible duplicate of
  each record with the UPN for a person to merge or dismiss;
- **new**: the UPN is unknown; a new record joins the roll.

Pupils on this school's roll whom the roll leaves out come off it on ``as_of``. A roll that
would take a large share of the school off roll (or an empty roll, which takes everyone off) is
refused unless the request states how many leavers it expects (``LeaversGuard``): a roll sent
by mistake (half a file, the wrong school's, a documentation example) cannot empty a school.
A push may be rehearsed (``validate_only``): it is applied for real inside a savepoint that is
then rolled back, so the answer is the one the push would give, and nothing is kept. Pupils and
carers whose processing is restricted, objected to or past retention are held as they are
(storage only), not changed. The response counts rows alike wherever the school could not
already see the record, so it never tells a school whether a UPN is known elsewhere; the
audit event counts each kind.

Pushing the same roll twice changes nothing the second time: only fields that differ are
written, so the version (and ETag) of an unchanged record does not move.
"""

from __future__ import annotations

import uuid
from collections.abc import Container, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import rehearsal
from app.errors import Conflict
from app.models.people import (
    Carer,
    DuplicateReason,
    Enrolment,
    EnrolmentSource,
    Pupil,
)
from app.models.roll_reviews import RollReview, RollReviewReason, RollReviewStatus
from app.models.schools import School, SchoolStatus
from app.policies import Access
from app.policies.registry import PURPOSE_BITS, REGISTRY
from app.repositories.roll import CarerLink, KnownPupil, OpenEnrolment, RollRepository
from app.repositories.roll_reviews import OpenReview, RollReviewRepository
from app.rules.names import name_key
from app.rules.retention import PUPIL_RECORD_YEARS, pupil_retain_until
from app.schemas.roll import RollCheck, RollPupil, RollPush, RollSummary
from app.services.changes import set_changed
from app.services.duplicates import flag_pupil_duplicates, flag_pupil_pairs
from app.services.people import new_pupil
from app.services.retention_periods import PUPIL_LINKED, years_in_force
from app.services.roll_changes import (
    PUPIL_FIELDS,
    apply_carer_changes,
    apply_pupil_changes,
    carer_changes,
    carer_key,
    carers_by_name,
    held_carer,
    held_new_carer,
    held_pupil,
    link_new_carer,
    move_retention,
    pupil_changes,
)


class RowKind(StrEnum):
    """How a row relates to the records KPAS holds (see the module's docstring)."""

    OWN = "own"
    DUAL_REGISTRATION = "dual_registration"
    TRANSFER_IN = "transfer_in"
    UNCONFIRMED = "unconfirmed"
    NEW = "new"


@dataclass(slots=True)
class _Counts:
    joined: int = 0
    updated: int = 0
    unchanged: int = 0
    held_for_review: int = 0
    #: Rows and leavers whose processing is restricted, objected to or past retention.
    held_rows: int = 0
    held_leavers: int = 0
    left: int = 0
    carers_created: int = 0
    carers_updated: int = 0
    reviews_opened: int = 0
    reviews_replaced: int = 0
    reviews_withdrawn: int = 0
    possible_duplicates: int = 0


@dataclass(frozen=True, slots=True)
class LeaversGuard:
    """When a roll's leavers must be confirmed: more than ``over_percent`` of the pupils on the
    roll before the push, or more than ``over`` pupils, whichever is fewer; and always for an
    empty roll. ``expected`` is the number the request states; when given it must be exact."""

    expected: int | None
    over_percent: float
    over: int

    def check(self, *, leaving: int, on_roll_before: int, empty_roll: bool) -> None:
        """Raise the 409 that refuses the roll, or return when it may go ahead."""
        if self.expected is not None:
            if self.expected != leaving:
                raise self._refusal(
                    f"The roll would take {leaving} pupil(s) off the school's roll, not the "
                    f"{self.expected} stated in expected_leavers.",
                    leaving,
                    "leavers_mismatch",
                )
            return
        limit = min(on_roll_before * self.over_percent / 100, self.over)
        if leaving and (leaving > limit or empty_roll):
            reason = (
                "an empty roll takes every pupil off roll"
                if empty_roll
                else f"more than {self.over_percent:g}% of the {on_roll_before} on roll or more "
                f"than {self.over}, whichever is fewer"
            )
            raise self._refusal(
                f"The roll would take {leaving} pupil(s) off the school's roll ({reason}): "
                "leavers on that scale must be confirmed.",
                leaving,
                "leavers_unconfirmed",
            )

    @staticmethod
    def _refusal(what: str, leaving: int, code: str) -> Conflict:
        return Conflict(
            f"{what} Nothing was changed. If the roll is right, send it again with "
            f"expected_leavers={leaving} (add validate_only=true to list the leavers first).",
            errors=[
                {
                    "location": "query",
                    "pointer": "/expected_leavers",
                    "detail": f"the roll would take {leaving} pupil(s) off roll",
                    "code": code,
                }
            ],
        )


@dataclass(frozen=True, slots=True)
class _Row:
    row: RollPupil
    kind: RowKind
    #: The record the row applies to (own, dual registration, transfer in).
    known: KnownPupil | None = None


async def school_for_roll(session: AsyncSession, access: Access, *, urn: int) -> School:
    """The school whose roll this caller may replace: 404 when there is no such school, 403
    when it is not one of the caller's (schools are public, so the refusal hides nothing), 409
    when it is closed (a closed school has no pupils on roll to send)."""
    school = await RollRepository(session).school_for_update(urn)
    if school is None:
        raise access.not_found(urn, f"No school with URN {urn}.")
    if not access.permits(school):
        raise access.refuse(
            "the school is not one of the caller's schools",
            code="not_own_school",
            resource_id=urn,
        )
    if school.status is SchoolStatus.CLOSED:
        raise Conflict(
            f"School {urn} is closed: its roll cannot be replaced. Nothing was changed.",
            errors=[
                {
                    "location": "path",
                    "pointer": "/urn",
                    "detail": "the school is closed",
                    "code": "school_closed",
                }
            ],
        )
    return school


def processable(access: Access, subject_column: Any, mask_column: Any) -> ColumnElement[bool]:
    """SQL: the record may be processed for the decision's purpose today (its subject is not
    restricted, objecting or past retention, and it was collected for the purpose)."""
    purpose = access.purpose
    assert purpose is not None  # the roll is personal data: the decision has a purpose
    collected: ColumnElement[bool] = (
        true() if REGISTRY[purpose].governance else mask_column.op("&")(PURPOSE_BITS[purpose]) != 0
    )
    return and_(access.visible_subjects(subject_column), collected)


def corroborates(pupil: Pupil, row: RollPupil) -> bool:
    """The row names the record's child: the same date of birth, and the same legal forename
    and surname by name key (case and accents aside)."""
    return (
        pupil.date_of_birth == row.date_of_birth
        and pupil.forename_key == name_key(row.legal_forename)
        and pupil.surname_key == name_key(row.legal_surname)
    )


def _classify(
    row: RollPupil,
    candidates: list[KnownPupil],
    on_roll_here: Container[uuid.UUID],
    on_other_rolls: set[uuid.UUID],
) -> _Row:
    """What the row is to this school's roll. ``candidates`` are the live pupils with its
    UPN, oldest first."""
    if not candidates:
        return _Row(row, RowKind.NEW)
    for candidate in candidates:
        if candidate.pupil.id in on_roll_here:
            dual = candidate.pupil.id in on_other_rolls
            return _Row(row, RowKind.DUAL_REGISTRATION if dual else RowKind.OWN, candidate)
    for candidate in candidates:
        if (
            candidate.processable
            and candidate.pupil.id not in on_other_rolls
            and corroborates(candidate.pupil, row)
        ):
            return _Row(row, RowKind.TRANSFER_IN, candidate)
    return _Row(row, RowKind.UNCONFIRMED)


class _RollApplier:
    """Applies one validated roll to one school, set-based: everything it needs is loaded up
    front, changes are made on the loaded records, and one flush writes them."""

    def __init__(
        self,
        session: AsyncSession,
        access: Access,
        school: School,
        as_of: date,
        guard: LeaversGuard,
    ):
        self.session = session
        self.guard = guard
        self.access = access
        self.school = school
        self.as_of = as_of
        self.repo = RollRepository(session)
        self.reviews = RollReviewRepository(session)
        self.counts = _Counts()
        self.kinds: dict[RowKind, int] = dict.fromkeys(RowKind, 0)
        self.changed_pupils: list[uuid.UUID] = []
        self.moved_retention: list[tuple[Pupil, date]] = []
        self.roll_pairs: list[tuple[uuid.UUID, uuid.UUID, DuplicateReason]] = []
        self.leavers: list[uuid.UUID] = []
        #: The registry's ``pupil_linked`` period in force (loaded by ``apply``).
        self.pupil_years = PUPIL_RECORD_YEARS

    async def apply(self, pupils: list[RollPupil]) -> _Counts:
        self.pupil_years = await years_in_force(self.session, PUPIL_LINKED)
        pupil_ok = processable(self.access, Pupil.subject_id, Pupil.purposes_mask)
        carer_ok = processable(self.access, Carer.subject_id, Carer.purposes_mask)
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
        on_other_rolls = await self.repo.on_other_rolls(
            urn, {c.pupil.id for candidates in by_upn.values() for c in candidates}
        )
        rows = [_classify(p, by_upn.get(p.upn, []), open_here, on_other_rolls) for p in pupils]
        # Before anything is written: a roll that would empty the school by mistake stops here.
        staying = {r.known.pupil.id for r in rows if r.known is not None}
        self.guard.check(
            leaving=sum(1 for pid, o in open_here.items() if pid not in staying and o.processable),
            on_roll_before=len(open_here),
            empty_roll=not pupils,
        )

        applied = [r.known.pupil.id for r in rows if r.known is not None and r.known.processable]
        joining = [r.known.pupil.id for r in rows if r.kind is RowKind.TRANSFER_IN and r.known]
        closed_here: dict[uuid.UUID, list[Enrolment]] = {}
        for enrolment in await self.repo.closed_enrolments(urn, joining):
            closed_here.setdefault(enrolment.pupil_id, []).append(enrolment)
        links: dict[uuid.UUID, list[CarerLink]] = {}
        for link in await self.repo.carer_links(applied, processable=carer_ok):
            links.setdefault(link.relationship.pupil_id, []).append(link)
        open_reviews = {
            o.review.pupil_id: o
            for o in await self.reviews.open_at_school(urn, processable=pupil_ok)
        }

        on_roll: set[uuid.UUID] = set()
        held: set[uuid.UUID] = set()
        for item in rows:
            self.kinds[item.kind] += 1
            row, known = item.row, item.known
            if known is None:
                on_roll.add(self._join_as_new(row, item.kind, by_upn.get(row.upn, [])))
                continue
            pupil = known.pupil
            on_roll.add(pupil.id)
            pupil_links = links.get(pupil.id, [])
            if item.kind is RowKind.TRANSFER_IN:
                self._apply_row(known, row, None, closed_here.get(pupil.id, []), pupil_links)
                self.counts.joined += 1
                continue
            here = open_here[pupil.id]  # own or dual registration: on this roll
            if not known.processable:
                self.counts.held_rows += 1
                held.add(pupil.id)
            elif item.kind is RowKind.OWN:
                self._count(self._apply_row(known, row, here.enrolment, [], pupil_links))
            else:
                moved = self._enrol(pupil, row, here.enrolment, [])
                if self._hold(known, row, pupil_links, open_reviews.get(pupil.id)):
                    held.add(pupil.id)
                    self.counts.held_for_review += 1
                else:
                    self._count(moved)

        self._withdraw(open_reviews.values(), held)
        self._leavers(open_here.values(), on_roll)
        await move_retention(self.repo, self.moved_retention, links)
        await self.session.flush()
        self.counts.possible_duplicates = await flag_pupil_pairs(self.session, self.roll_pairs)
        self.counts.possible_duplicates += await flag_pupil_duplicates(
            self.session, self.changed_pupils
        )
        return self.counts

    def _count(self, changed: bool) -> None:
        """Count a row of a pupil already on this roll."""
        if changed:
            self.counts.updated += 1
        else:
            self.counts.unchanged += 1

    def _apply_row(
        self,
        known: KnownPupil,
        row: RollPupil,
        open_enrolment: Enrolment | None,
        closed_here: list[Enrolment],
        links: list[CarerLink],
    ) -> bool:
        """Bring a pupil, their place on this roll and their carers in line with the row;
        True when anything changed."""
        pupil = known.pupil
        born = pupil.date_of_birth
        changed = apply_pupil_changes(pupil, pupil_changes(pupil, row))
        if pupil.date_of_birth != born:
            self.moved_retention.append(
                (pupil, pupil_retain_until(pupil.date_of_birth, self.pupil_years))
            )
        if changed:
            self.changed_pupils.append(pupil.id)
        changed |= self._enrol(pupil, row, open_enrolment, closed_here)
        retain_until = (
            known.retain_until
            if pupil.date_of_birth == born
            else pupil_retain_until(pupil.date_of_birth, self.pupil_years)
        )
        changed |= self._carers(pupil, row, links, retain_until)
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
            retain_years=self.pupil_years,
            legal_forename=row.legal_forename,
            legal_surname=row.legal_surname,
            date_of_birth=row.date_of_birth,
            gender=row.gender,
            upn=row.upn,
            **contact,
        )
        self._new_enrolment(pupil, row)
        retain_until = pupil_retain_until(row.date_of_birth, self.pupil_years)
        for carer in row.carers:
            link_new_carer(self.session, pupil, carer, retain_until)
            self.counts.carers_created += 1
        self.changed_pupils.append(pupil.id)
        return pupil

    def _join_as_new(
        self, row: RollPupil, kind: RowKind, candidates: list[KnownPupil]
    ) -> uuid.UUID:
        """A new record from the row, on this roll. Where the UPN is known (unconfirmed), the
        records with it are not touched: the new one is flagged as a possible duplicate of
        each, for a person to merge or dismiss."""
        created = self._create(row)
        self.counts.joined += 1
        if kind is RowKind.UNCONFIRMED:
            self.counts.held_for_review += 1
            for candidate in candidates:
                reason = (
                    DuplicateReason.ROLL_IDENTITY_MATCHED
                    if corroborates(candidate.pupil, row)
                    else DuplicateReason.ROLL_IDENTITY_UNCONFIRMED
                )
                self.roll_pairs.append((created.id, candidate.pupil.id, reason))
        return created.id

    def _new_enrolment(self, pupil: Pupil, row: RollPupil) -> None:
        self.session.add(
            Enrolment(
                id=uuid.uuid4(),
                pupil_id=pupil.id,
                school_urn=self.school.urn,
                on_roll_from=row.on_roll_from,
                source=EnrolmentSource.ROLL,
            )
        )

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
        self._new_enrolment(pupil, row)
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
            self.leavers.append(enrolment.pupil_id)

    # --- carers -----------------------------------------------------------------------------

    def _carers(
        self,
        pupil: Pupil,
        row: RollPupil,
        links: list[CarerLink],
        retain_until: date | None,
    ) -> bool:
        """Carers are matched by name among the pupil's own carers, else created and linked.
        A carer the roll no longer names stays linked: the roll does not remove what KPAS
        staff recorded."""
        by_name = carers_by_name(links)
        changed = False
        for given in row.carers:
            found = by_name.get(carer_key(given))
            if found is None:
                link_new_carer(self.session, pupil, given, retain_until)
                self.counts.carers_created += 1
                changed = True
            elif found.processable and apply_carer_changes(found, carer_changes(found, given)):
                self.counts.carers_updated += 1
                changed = True
        return changed

    # --- held for review --------------------------------------------------------------------

    def _hold(
        self,
        known: KnownPupil,
        row: RollPupil,
        links: list[CarerLink],
        review: OpenReview | None,
    ) -> bool:
        """Keep what the row would change about a dual-registered pupil and their carers in
        the pupil's open review for this school (opened, or its content replaced); True when
        anything differs."""
        pupil = known.pupil
        pupil_held = held_pupil(pupil, pupil_changes(pupil, row))
        carers_held: list[dict[str, Any]] = []
        by_name = carers_by_name(links)
        for given in row.carers:
            found = by_name.get(carer_key(given))
            if found is None:
                carers_held.append(held_new_carer(given))
            elif found.processable:
                changes = carer_changes(found, given)
                if changes:
                    carers_held.append(held_carer(found, changes))
        if not pupil_held and not carers_held:
            return False
        content = {"pupil_changes": pupil_held, "carer_changes": carers_held}
        if review is not None:
            if set_changed(review.review, content):
                self.counts.reviews_replaced += 1
                self._audit_review("roll_review.replaced", review.review)
            return True
        opened = RollReview(
            id=uuid.uuid4(),
            subject_id=pupil.subject_id,
            purposes_mask=pupil.purposes_mask,
            lawful_basis=pupil.lawful_basis,
            school_urn=self.school.urn,
            pupil_id=pupil.id,
            reason=RollReviewReason.DUAL_REGISTRATION,
            status=RollReviewStatus.OPEN,
            detected_at=self.access.now,
            **content,
        )
        self.reviews.add(opened)
        self.counts.reviews_opened += 1
        self._audit_review("roll_review.opened", opened)
        return True

    def _audit_review(self, action: str, review: RollReview) -> None:
        """Each review is recorded against the pupil's data subject (a subject access request
        finds it), with field names only."""
        self.access.record_change(
            action,
            resource_id=review.id,
            subject_id=review.subject_id,
            details={
                "pupil_id": str(review.pupil_id),
                "school_urn": review.school_urn,
                "pupil_fields": ",".join(sorted(review.pupil_changes)),
                "carers": len(review.carer_changes),
            },
        )

    def _withdraw(self, reviews: Iterable[OpenReview], held: set[uuid.UUID]) -> None:
        """Open reviews whose changes this roll no longer sends (or whose pupil it no longer
        lists, or applied directly) are withdrawn; those of pupils held as they are stay."""
        for item in reviews:
            review = item.review
            if review.pupil_id in held or not item.processable:
                continue
            review.status = RollReviewStatus.WITHDRAWN
            review.resolved_at = self.access.now
            review.resolved_by = self.access.principal.subject
            self.counts.reviews_withdrawn += 1
            self._audit_review("roll_review.withdrawn", review)


async def replace_roll(
    session: AsyncSession,
    access: Access,
    *,
    school: School,
    roll: RollPush,
    guard: LeaversGuard,
    validate_only: bool = False,
) -> RollSummary | RollCheck:
    """Apply a validated roll to ``school`` (from ``school_for_roll``) and audit it once; 409
    when ``guard`` refuses its leavers.

    ``validate_only``: the same push, applied in a savepoint that is rolled back; the summary
    says what it would do and lists the leavers' pupil ids. Nothing is kept: no record, no
    enrolment, no change event (the policy decision is recorded as for any request).
    """
    if not validate_only:
        summary, _ = await _replace(session, access, school=school, roll=roll, guard=guard)
        return summary
    async with rehearsal(session):
        summary, leavers = await _replace(session, access, school=school, roll=roll, guard=guard)
    return RollCheck(**summary.model_dump(), leavers=leavers)


async def _replace(
    session: AsyncSession, access: Access, *, school: School, roll: RollPush, guard: LeaversGuard
) -> tuple[RollSummary, list[uuid.UUID]]:
    """The roll applied and audited: its summary, and the pupils it took off roll."""
    applier = _RollApplier(session, access, school, roll.as_of, guard)
    counts = await applier.apply(roll.pupils)
    summary = RollSummary(
        as_of=roll.as_of,
        pupils_on_roll=len(roll.pupils),
        joined=counts.joined,
        updated=counts.updated,
        # Held rows are reported as unchanged: whether a pupil's processing is restricted or
        # objected to is not the school's to learn. The audit event keeps them apart.
        unchanged=counts.unchanged + counts.held_rows,
        held_for_review=counts.held_for_review,
        left=counts.left,
        carers_created=counts.carers_created,
        carers_updated=counts.carers_updated,
    )
    details: dict[str, str | int | bool | None] = {
        "as_of": roll.as_of.isoformat(),
        **summary.model_dump(include=_AUDITED_COUNTS),
        "unchanged": counts.unchanged,
        "held_rows": counts.held_rows,
        "held": counts.held_rows + counts.held_leavers,
        **{f"rows_{kind.value}": n for kind, n in applier.kinds.items()},
        "reviews_opened": counts.reviews_opened,
        "reviews_replaced": counts.reviews_replaced,
        "reviews_withdrawn": counts.reviews_withdrawn,
        "possible_duplicates": counts.possible_duplicates,
    }
    access.record_change("school_roll.replaced", resource_id=school.urn, details=details)
    return summary, applier.leavers


#: The summary's counts the audit event repeats (``unchanged`` is recorded apart from held rows).
_AUDITED_COUNTS: set[str] = {
    "pupils_on_roll",
    "joined",
    "updated",
    "held_for_review",
    "left",
    "carers_created",
    "carers_updated",
}
