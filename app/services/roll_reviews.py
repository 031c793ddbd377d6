"""Roll reviews: what a school's roll sent about a dual-registered pupil, held for a person.

A pupil on two schools' rolls is neither school's alone to change, so the roll push
(``app.services.roll``) keeps what one school's roll would change about the pupil's identity,
contact details and carers in a review. Attendance managers of that school's area team and
information governance read it (what was sent next to what KPAS holds), then:

- accept it: the held changes are applied through the roll's own code path
  (``app.services.roll_changes``), unless the record changed since in a field the review
  would change (then 409: reject it, and the school's next roll holds what still differs);
- or reject it: nothing changes.

Either way the review is kept, resolved, with who resolved it and when.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models.people import Carer, Pupil
from app.models.roll_reviews import RollReview, RollReviewStatus
from app.policies import Access
from app.repositories.pagination import PageRequest
from app.repositories.people import PupilRepository
from app.repositories.roll import CarerLink, RollRepository
from app.repositories.roll_reviews import RollReviewQuery, RollReviewRepository
from app.rules.retention import pupil_retain_until
from app.schemas.roll import RollCarer
from app.services.duplicates import flag_pupil_duplicates
from app.services.retention_periods import PUPIL_LINKED, years_in_force
from app.services.roll import processable
from app.services.roll_changes import (
    apply_carer_changes,
    apply_pupil_changes,
    as_json,
    carer_key,
    carer_value,
    carers_by_name,
    link_new_carer,
    move_retention,
    sent_carer_value,
    sent_new_carer,
    sent_pupil_value,
)


@dataclass(frozen=True, slots=True)
class HeldField:
    field: str
    #: What the school's roll sent.
    sent: Any
    #: What KPAS held when the roll was pushed (None for a carer KPAS did not hold).
    held_then: Any
    #: What KPAS holds now.
    held_now: Any


@dataclass(frozen=True, slots=True)
class HeldCarer:
    #: None: a carer the roll named who is not linked to the pupil.
    carer_id: uuid.UUID | None
    forename: str | None
    surname: str | None
    fields: list[HeldField]


@dataclass(frozen=True, slots=True)
class RollReviewView:
    """A review with what it would change next to what KPAS holds now."""

    review: RollReview
    pupil: list[HeldField]
    carers: list[HeldCarer]


@dataclass(slots=True)
class _Plan:
    """What accepting a review writes."""

    pupil: dict[str, Any] = field(default_factory=dict)
    carers: list[tuple[CarerLink, dict[str, Any]]] = field(default_factory=list)
    new_carers: list[RollCarer] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)


# --- reading --------------------------------------------------------------------------------


async def list_reviews(
    session: AsyncSession,
    access: Access,
    *,
    query: RollReviewQuery,
    page: PageRequest,
) -> tuple[list[RollReview], str | None]:
    """Reviews the caller may see, oldest first."""
    found, next_cursor = await RollReviewRepository(session).page(
        query, page, visible=access.filter()
    )
    access.touched(subject_ids=[r.subject_id for r in found])
    return found, next_cursor


async def get_review(
    session: AsyncSession, access: Access, *, review_id: uuid.UUID
) -> RollReviewView:
    review = await _review(session, access, review_id)
    pupil, links = await _subjects_of(session, access, review)
    return _view(review, pupil, links)


async def _review(
    session: AsyncSession, access: Access, review_id: uuid.UUID, *, for_update: bool = False
) -> RollReview:
    review = await RollReviewRepository(session).get(
        review_id, visible=access.filter(), for_update=for_update
    )
    if review is None:
        raise access.not_found(review_id, "No roll review with that id.")
    return review


async def _subjects_of(
    session: AsyncSession, access: Access, review: RollReview
) -> tuple[Pupil, dict[uuid.UUID, CarerLink]]:
    """The review's pupil (its data subject is the review's, so the review's own filter
    decided on it) and the pupil's carers, with whether each may be processed."""
    pupil = await RollReviewRepository(session).pupil(review.pupil_id)
    assert pupil is not None  # the review goes with its pupil
    carer_ok = processable(access, Carer.subject_id, Carer.purposes_mask)
    links = await RollRepository(session).carer_links([pupil.id], processable=carer_ok)
    access.touched(
        subject_ids=[review.subject_id, *(link.carer.subject_id for link in links)],
        resource_id=review.id,
    )
    return pupil, {link.carer.id: link for link in links}


def _carer_id(entry: Mapping[str, Any]) -> uuid.UUID | None:
    value = entry.get("carer_id")
    return None if value is None else uuid.UUID(str(value))


def _view(review: RollReview, pupil: Pupil, links: Mapping[uuid.UUID, CarerLink]) -> RollReviewView:
    pupil_fields = [
        HeldField(name, change["sent"], change["held"], as_json(getattr(pupil, name)))
        for name, change in sorted(review.pupil_changes.items())
    ]
    carers: list[HeldCarer] = []
    for entry in review.carer_changes:
        carer_id = _carer_id(entry)
        if carer_id is None:
            sent = entry["new_carer"]
            carers.append(
                HeldCarer(
                    None,
                    sent.get("forename"),
                    sent.get("surname"),
                    [
                        HeldField(name, value, None, None)
                        for name, value in sent.items()
                        if name not in ("forename", "surname")
                    ],
                )
            )
            continue
        # A carer no longer linked, or not to be processed now, shows only what the review
        # itself holds.
        link = links.get(carer_id)
        shown = link if link is not None and link.processable else None
        carers.append(
            HeldCarer(
                carer_id,
                shown.carer.forename if shown else None,
                shown.carer.surname if shown else None,
                [
                    HeldField(
                        name,
                        change["sent"],
                        change["held"],
                        as_json(carer_value(shown, name)) if shown else None,
                    )
                    for name, change in sorted(entry["changes"].items())
                ],
            )
        )
    return RollReviewView(review, pupil_fields, carers)


# --- resolving ------------------------------------------------------------------------------


def _still_open(review: RollReview) -> None:
    if review.status is not RollReviewStatus.OPEN:
        raise Conflict(f"This roll review is already {review.status.value}.")


def _plan(review: RollReview, pupil: Pupil, links: Mapping[uuid.UUID, CarerLink]) -> _Plan:
    """The changes still to write, or the fields that changed since the roll was pushed.

    A field now holding what the roll sent needs nothing; one still holding what KPAS held
    then takes the roll's value; any other value means someone changed it since: a conflict.
    """
    plan = _Plan()
    try:
        for name, change in review.pupil_changes.items():
            now = as_json(getattr(pupil, name))
            if now == change["sent"]:
                continue
            if now != change["held"]:
                plan.conflicts.add(name)
                continue
            plan.pupil[name] = sent_pupil_value(name, change["sent"])
        linked = carers_by_name(links.values())
        for entry in review.carer_changes:
            carer_id = _carer_id(entry)
            if carer_id is None:
                carer = sent_new_carer(entry["new_carer"])
                if carer_key(carer) in linked:
                    plan.conflicts.add("carers")  # linked to the pupil since
                else:
                    plan.new_carers.append(carer)
                continue
            link = links.get(carer_id)
            if link is None or not link.processable:
                plan.conflicts.add("carers")  # unlinked, merged or not to be changed now
                continue
            changes: dict[str, Any] = {}
            for name, change in entry["changes"].items():
                now = as_json(carer_value(link, name))
                if now == change["sent"]:
                    continue
                if now != change["held"]:
                    plan.conflicts.add(f"carers.{name}")
                    continue
                changes[name] = sent_carer_value(name, change["sent"])
            if changes:
                plan.carers.append((link, changes))
    except ValidationError:
        # A value the roll's rules accepted then and refuse now: a person decides afresh.
        plan.conflicts.add("no_longer_valid")
    return plan


def _resolve(review: RollReview, access: Access, status: RollReviewStatus) -> None:
    review.status = status
    review.resolved_at = access.now
    review.resolved_by = access.principal.subject


async def accept_review(
    session: AsyncSession, access: Access, *, review_id: uuid.UUID
) -> RollReviewView:
    """Apply the review's held changes to the pupil and their carers, as the roll would
    have, and resolve it as accepted. 409 when it is resolved already, or when the record
    changed since in a field it would change (nothing is written then)."""
    review = await _review(session, access, review_id, for_update=True)
    _still_open(review)
    pupil, links = await _subjects_of(session, access, review)
    if pupil.merged_into_id is not None:
        raise Conflict(
            "The pupil's record was merged into another since the roll was pushed: reject "
            "this review; the school's next roll holds what still differs."
        )
    plan = _plan(review, pupil, links)
    if plan.conflicts:
        raise Conflict(
            "The pupil's record changed since the roll was pushed, in "
            f"{', '.join(sorted(plan.conflicts))}: nothing was applied. Reject this review; "
            "the school's next roll holds what still differs."
        )
    born = pupil.date_of_birth
    apply_pupil_changes(pupil, plan.pupil)
    for link, changes in plan.carers:
        apply_carer_changes(link, changes)
    retain_until: date | None
    if pupil.date_of_birth == born:
        kept = await PupilRepository(session).retention_dates([pupil.subject_id])
        retain_until = kept.get(pupil.subject_id)
    else:
        retain_until = pupil_retain_until(
            pupil.date_of_birth, await years_in_force(session, PUPIL_LINKED)
        )
        await move_retention(
            RollRepository(session), [(pupil, retain_until)], {pupil.id: list(links.values())}
        )
    for carer in plan.new_carers:
        link_new_carer(session, pupil, carer, retain_until)
    _resolve(review, access, RollReviewStatus.ACCEPTED)
    await session.flush()
    if plan.pupil:
        await flag_pupil_duplicates(session, [pupil.id])
    access.record_change(
        "roll_review.accepted",
        resource_id=review.id,
        subject_id=review.subject_id,
        details={
            "pupil_id": str(pupil.id),
            "school_urn": review.school_urn,
            "pupil_fields": ",".join(sorted(plan.pupil)),
            "carers_updated": len(plan.carers),
            "carers_created": len(plan.new_carers),
        },
    )
    pupil, links = await _subjects_of(session, access, review)
    return _view(review, pupil, links)


async def reject_review(
    session: AsyncSession, access: Access, *, review_id: uuid.UUID
) -> RollReviewView:
    """Resolve the review as rejected: nothing it holds is applied. 409 when it is resolved
    already."""
    review = await _review(session, access, review_id, for_update=True)
    _still_open(review)
    _resolve(review, access, RollReviewStatus.REJECTED)
    await session.flush()
    access.record_change(
        "roll_review.rejected",
        resource_id=review.id,
        subject_id=review.subject_id,
        details={"pupil_id": str(review.pupil_id), "school_urn": review.school_urn},
    )
    pupil, links = await _subjects_of(session, access, review)
    return _view(review, pupil, links)
