"""Disclosures: every release of personal data outside KPAS (UK GDPR Art 5(2),
accountability; for law enforcement processing, DPA 2018 s62 logging).

Partner and inspector reads through the API write theirs automatically, in the read's
transaction (``app.policies.release``). Releases made any other way (a court bundle, a reply
to a police request) are recorded here by the member of staff who made or approved them.
Disclosures are records of fact: they are never changed or deleted.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Role
from app.errors import ValidationFailed, body_problem
from app.models.disclosures import Disclosure, DisclosureChannel, DisclosureGround
from app.policies import Access
from app.policies.guard import local_today
from app.policies.registry import REGISTRY, Purpose
from app.policies.rules import ATTENDANCE_PURPOSES
from app.repositories.disclosures import DisclosureQuery, DisclosureRepository
from app.repositories.pagination import PageRequest
from app.repositories.sharing import AgreementRepository, RecipientRepository
from app.repositories.subjects import SubjectRepository
from app.rules.calendar import LONDON
from app.schemas.disclosures import DisclosureCreate, DisclosureFilters
from app.services.concurrency import etag_for

#: Purposes a release recorded by hand may name: the notice's own purposes (not equality
#: monitoring, which releases figures, never a record about a person), and the governance
#: purposes under which KPAS gives data to someone outside it (a statutory inspection; a court
#: or an enactment that requires it; a police or other authority's request, decided per
#: request). Subject rights, breach and retention work release nothing to a recipient.
RECORDABLE_PURPOSES = frozenset(
    {
        purpose
        for purpose, spec in REGISTRY.items()
        if not spec.governance and not spec.aggregate_only
    }
    | {
        Purpose.STATUTORY_INSPECTION,
        Purpose.COURT_DISCLOSURE,
        Purpose.CRIME_PREVENTION_DISCLOSURE,
    }
)

#: Releases decided on request name the ground they were decided on, from those the
#: purpose's DPA 2018 Sch 2 exemption gives (para 5 for courts and enactments, para 2 for a
#: police or other authority's request), and the requester's reference.
REQUEST_GROUNDS: dict[Purpose, frozenset[DisclosureGround]] = {
    Purpose.COURT_DISCLOSURE: frozenset(
        {
            DisclosureGround.REQUIRED_BY_ENACTMENT,
            DisclosureGround.COURT_ORDER,
            DisclosureGround.LEGAL_PROCEEDINGS,
        }
    ),
    Purpose.CRIME_PREVENTION_DISCLOSURE: frozenset(
        {
            DisclosureGround.PREVENTION_OR_DETECTION_OF_CRIME,
            DisclosureGround.APPREHENSION_OR_PROSECUTION,
        }
    ),
}

#: Which of them each role that records disclosures may name. Information governance records
#: any release; attendance managers the releases of their own casework.
RECORDING_PURPOSES: dict[Role, frozenset[Purpose]] = {
    Role.INFORMATION_GOVERNANCE: RECORDABLE_PURPOSES,
    Role.ATTENDANCE_MANAGER: RECORDABLE_PURPOSES & ATTENDANCE_PURPOSES,
}

#: Recording a release is limited to the pupils and carers the caller may see. A manager may
#: name those they may see for the release's own purpose. Information governance records
#: releases made by anyone, for purposes it does not itself process records under, so the
#: people it names are those its subject-rights work reaches (the record of a release is part
#: of what a subject access request answers).
SUBJECTS_SEEN_FOR: dict[Role, Purpose] = {Role.INFORMATION_GOVERNANCE: Purpose.SUBJECT_RIGHTS}

#: Allowance for the caller's clock when checking that a release is not in the future.
CLOCK_SKEW = timedelta(minutes=5)


def disclosure_etag(disclosure: Disclosure) -> str:
    return etag_for(disclosure.id, 1, disclosure.recorded_at)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(), LONDON)


def list_query(filters: DisclosureFilters) -> DisclosureQuery:
    """The repository query for the list's filters (days are Europe/London days)."""
    before = None
    if filters.disclosed_to is not None and filters.disclosed_to < date.max:
        before = _day_start(filters.disclosed_to + timedelta(days=1))
    return DisclosureQuery(
        recipient_id=filters.recipient_id,
        agreement_id=filters.agreement_id,
        inspection_grant_id=filters.inspection_grant_id,
        purpose=filters.purpose,
        subject_id=filters.subject_id,
        automatic=filters.automatic,
        disclosed_from=(
            _day_start(filters.disclosed_from) if filters.disclosed_from is not None else None
        ),
        disclosed_before=before,
    )


async def list_disclosures(
    session: AsyncSession,
    access: Access,
    *,
    query: DisclosureQuery,
    page: PageRequest,
) -> tuple[list[tuple[Disclosure, int]], str | None]:
    """A page of the disclosures the caller may see, newest first, each with how many data
    subjects it was about."""
    disclosures = DisclosureRepository(session)
    items, next_cursor = await disclosures.page(query, page=page, visible=access.filter())
    counts = await disclosures.subject_counts(d.id for d in items)
    return [(d, counts.get(d.id, 0)) for d in items], next_cursor


async def get_disclosure(
    session: AsyncSession, access: Access, *, disclosure_id: uuid.UUID
) -> tuple[Disclosure, list[uuid.UUID]]:
    """A disclosure the caller may see, and the data subjects it was about."""
    disclosures = DisclosureRepository(session)
    disclosure = await disclosures.get(disclosure_id, visible=access.filter())
    if disclosure is None:
        raise access.not_found(disclosure_id, f"No disclosure with id {disclosure_id}.")
    subject_ids = await disclosures.subject_ids(disclosure_id)
    access.touched(subject_ids=subject_ids, resource_id=disclosure.id)
    return disclosure, subject_ids


async def record_disclosure(
    session: AsyncSession, access: Access, *, data: DisclosureCreate
) -> tuple[Disclosure, list[uuid.UUID]]:
    """Record a release made outside the API. Every problem with the body is reported at
    once (422), and nothing is written unless all is well. The data subjects named must be
    pupils or carers the caller may see; any other id is reported as unknown."""
    errors = await _problems(session, access, data)
    if errors:
        raise ValidationFailed("The disclosure cannot be recorded as given.", errors=errors)
    spec = REGISTRY[data.purpose]
    subject_ids = sorted(set(data.subject_ids))
    disclosure = Disclosure(
        id=uuid.uuid4(),
        recipient_id=data.recipient_id,
        agreement_id=data.agreement_id,
        purpose=data.purpose.value,
        lawful_basis=data.lawful_basis.value,
        data_categories=list(dict.fromkeys(c.value for c in data.data_categories)),
        channel=DisclosureChannel(data.channel.value),
        automatic=False,
        approved_by=data.approved_by,
        recorded_by=access.principal.subject,
        disclosed_at=data.disclosed_at,
        recorded_at=access.now,
        content_sha256=data.content_sha256,
        request_reference=data.request_reference,
        ground=data.ground.value if data.ground is not None else None,
    )
    await DisclosureRepository(session).add(disclosure, subject_ids)
    access.record_change(
        "disclosure.recorded",
        resource_id=disclosure.id,
        details={
            "recipient_id": str(data.recipient_id),
            "purpose": data.purpose.value,
            "basis": data.lawful_basis.value,
            "article9": spec.article9.value if spec.article9 else None,
            "schedule1": ",".join(str(p) for p in spec.schedule1) or None,
            "exemption": spec.schedule2_exemption,
            "ground": data.ground.value if data.ground is not None else None,
            "channel": data.channel.value,
            "subjects": len(subject_ids),
        },
    )
    return disclosure, subject_ids


async def _problems(
    session: AsyncSession, access: Access, data: DisclosureCreate
) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    role = access.decision.role
    allowed = RECORDING_PURPOSES.get(role, frozenset()) if role is not None else frozenset()
    if data.purpose not in allowed:
        errors.append(
            body_problem(
                "/purpose",
                "this purpose cannot be named by your role on a recorded release; allowed: "
                + ", ".join(sorted(p.value for p in allowed)),
                "purpose_not_recordable",
            )
        )
    spec = REGISTRY[data.purpose]
    if data.lawful_basis not in spec.bases:
        errors.append(
            body_problem(
                "/lawful_basis",
                f"the registry gives {data.purpose.value} the basis {spec.basis_label} only",
                "basis_not_allowed",
            )
        )
    grounds = REQUEST_GROUNDS.get(data.purpose)
    if grounds is None and data.ground is not None:
        errors.append(
            body_problem(
                "/ground", f"{data.purpose.value} is not decided on request", "ground_not_allowed"
            )
        )
    elif grounds is not None:
        if data.ground is None or data.ground not in grounds:
            errors.append(
                body_problem(
                    "/ground",
                    f"a release for {data.purpose.value} names the ground it was decided on: "
                    + ", ".join(sorted(g.value for g in grounds)),
                    "ground_required",
                )
            )
        if data.request_reference is None:
            errors.append(
                body_problem(
                    "/request_reference",
                    f"a release for {data.purpose.value} names the request it answers",
                    "reference_required",
                )
            )
    if data.disclosed_at > access.now + CLOCK_SKEW:
        errors.append(body_problem("/disclosed_at", "must not be in the future", "future"))

    recipient = await RecipientRepository(session).get(data.recipient_id)
    if recipient is None:
        errors.append(body_problem("/recipient_id", "no such recipient", "unknown_recipient"))
    elif not recipient.active:
        errors.append(
            body_problem("/recipient_id", "the recipient is not active", "inactive_recipient")
        )

    if data.agreement_id is not None:
        agreement = await AgreementRepository(session).get(data.agreement_id)
        day = local_today(min(data.disclosed_at, access.now))
        if agreement is None or agreement.recipient_id != data.recipient_id:
            errors.append(
                body_problem(
                    "/agreement_id", "no such agreement with this recipient", "unknown_agreement"
                )
            )
        elif not (
            agreement.starts_on <= day and (agreement.ends_on is None or day <= agreement.ends_on)
        ):
            errors.append(
                body_problem(
                    "/agreement_id",
                    "the agreement was not in force on the day of the release",
                    "agreement_not_in_force",
                )
            )
        else:
            if data.purpose.value not in agreement.purposes:
                errors.append(
                    body_problem(
                        "/agreement_id",
                        "the agreement does not cover this purpose",
                        "agreement_purpose",
                    )
                )
            outside = [
                i
                for i, category in enumerate(data.data_categories)
                if category.value not in agreement.data_categories
            ]
            errors.extend(
                body_problem(
                    f"/data_categories/{i}",
                    "the agreement does not cover this category",
                    "agreement_category",
                )
                for i in outside
            )

    if data.purpose in allowed:
        errors.extend(await _subject_problems(session, access, data))
    return errors


async def _subject_problems(
    session: AsyncSession, access: Access, data: DisclosureCreate
) -> list[dict[str, Any]]:
    """A problem for each named subject the caller may not see for the release: the same
    problem whether the id names somebody they may not see or nobody at all (and each is
    recorded as withheld)."""
    role = access.decision.role
    purpose = SUBJECTS_SEEN_FOR.get(role, data.purpose) if role is not None else data.purpose
    visible = await SubjectRepository(session).visible_people(
        data.subject_ids,
        pupils=access.related_filter("pupil", "read", purpose=purpose),
        carers=access.related_filter("carer", "read", purpose=purpose),
    )
    errors = []
    for i, subject_id in enumerate(data.subject_ids):
        if subject_id not in visible:
            access.withheld(subject_id)
            errors.append(
                body_problem(f"/subject_ids/{i}", "no such data subject", "unknown_subject")
            )
    return errors
