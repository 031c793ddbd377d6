"""The states a data subject can be in, and what each allows (UK GDPR Art 18, Art 21, DPA 2018
Sch 1 para 8(5), and Art 5(1)(e) storage limitation).

- Restriction (Art 18): everything stops except storage and the Art 18(2) grounds a purpose
  records (``PurposeSpec.restriction_ground``). A legal claim counts only where one is live for
  that person and purpose (``SubjectLegalClaim``): naming the purpose is not enough.
- Objection (Art 21) to processing on 6(1)(e): upheld stops the purpose except what its legal
  obligation requires (``PurposeSpec.obligation_continues``); pending suspends it only where
  the subject also asked for restriction while it is decided (Art 18(1)(d)); compelling
  legitimate grounds recorded by information governance, or a rejection, let it continue.
  A written notice to stop (Sch 1 para 8(5)) is honoured as soon as it is received.
- Past the retention date: invisible to everyone but retention management.

Like conditions, each rule here has a Python form (one subject in hand) and a SQL form (a list
filter), built from the same registry facts.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.subjects import (
    DataSubject,
    LegalClaimKind,
    ObjectionStatus,
    SubjectLegalClaim,
    SubjectObjection,
)
from app.policies.registry import (
    REGISTRY,
    Purpose,
    PurposeSpec,
    RestrictionGround,
    continues_under_objection,
)

#: Objection outcomes that stop the purpose.
STOPPING_OBJECTIONS = (ObjectionStatus.UPHELD,)
#: A written notice to stop (Sch 1 para 8(5)) stops the purpose once received.
NOTICE_TO_STOP = (ObjectionStatus.PENDING, ObjectionStatus.UPHELD)
#: Kept for callers that name it: the outcomes that stop a purpose.
BLOCKING_OBJECTIONS = STOPPING_OBJECTIONS


@dataclass(frozen=True, slots=True)
class Objection:
    status: ObjectionStatus
    #: Art 18(1)(d): restriction asked for while the objection is decided.
    restrict_pending: bool = False


@dataclass(frozen=True, slots=True)
class SubjectState:
    restricted: bool = False
    retain_until: date | None = None
    objections: Mapping[str, ObjectionStatus | Objection] = field(default_factory=dict)
    #: Purposes with a live legal claim for this subject (a case at that stage, a legal hold).
    live_claims: frozenset[str] = frozenset()
    #: Purposes a case at that stage binds this subject to (``case`` claims only).
    case_claims: frozenset[str] = frozenset()


def _objection(value: ObjectionStatus | Objection | None) -> Objection | None:
    if value is None or isinstance(value, Objection):
        return value
    return Objection(value)


def restriction_ground(spec: PurposeSpec, live_claims: frozenset[str]) -> RestrictionGround | None:
    """The Art 18(2) ground on which ``spec``'s purpose may touch a restricted subject, or None."""
    ground = spec.restriction_ground
    if ground is RestrictionGround.LEGAL_CLAIM and spec.purpose.value not in live_claims:
        return None
    return ground


def objection_stops(
    spec: PurposeSpec, objection: Objection | None, resource: str | None = None
) -> bool:
    """This objection stops processing of ``resource`` for the purpose."""
    if objection is None or not spec.objection_applies:
        return False
    if spec.honours_notice_to_stop:
        return objection.status in NOTICE_TO_STOP
    if continues_under_objection(spec.purpose, resource):
        return False
    if objection.status is ObjectionStatus.UPHELD:
        return True
    return objection.status is ObjectionStatus.PENDING and objection.restrict_pending


def refusal(
    state: SubjectState, purpose: Purpose, today: date, resource: str | None = None
) -> str | None:
    """Why ``purpose`` may not touch this subject's records today, or None when it may."""
    spec = REGISTRY[purpose]
    if (
        purpose is not Purpose.RETENTION_MANAGEMENT
        and state.retain_until is not None
        and state.retain_until < today
    ):
        return "past_retention"
    if state.restricted and restriction_ground(spec, state.live_claims) is None:
        return "restricted"
    if objection_stops(spec, _objection(state.objections.get(purpose.value)), resource):
        return "objection"
    return None


def live_claim_clause(
    subject_id: Any, purpose: Purpose, kinds: Collection[LegalClaimKind] | None = None
) -> ColumnElement[bool]:
    """SQL: a live legal claim for this subject and purpose exists (of these kinds only, where
    given: purpose binding counts cases, not legal holds)."""
    query = select(SubjectLegalClaim.id).where(
        SubjectLegalClaim.subject_id == subject_id,
        SubjectLegalClaim.purpose == purpose.value,
        SubjectLegalClaim.closed_at.is_(None),
    )
    if kinds is not None:
        query = query.where(SubjectLegalClaim.kind.in_(sorted(kinds)))
    return exists(query)


def bound_through_case(subject_id: Any, purpose: Purpose) -> ColumnElement[bool]:
    """SQL: a case at a stage that uses ``purpose`` is open for this subject (purpose
    binding for ``case_bound`` purposes)."""
    return live_claim_clause(subject_id, purpose, (LegalClaimKind.CASE,))


def _objection_clause(
    subject_id: Any, spec: PurposeSpec, resource: str | None
) -> ColumnElement[bool] | None:
    """SQL: an objection stops the purpose for this subject (None: none can)."""
    if not spec.objection_applies:
        return None
    mine = (
        SubjectObjection.subject_id == subject_id,
        SubjectObjection.purpose == spec.purpose.value,
    )
    if spec.honours_notice_to_stop:
        stops: ColumnElement[bool] = SubjectObjection.status.in_(NOTICE_TO_STOP)
    elif continues_under_objection(spec.purpose, resource):
        return None
    else:
        stops = or_(
            SubjectObjection.status.in_(STOPPING_OBJECTIONS),
            and_(
                SubjectObjection.status == ObjectionStatus.PENDING,
                SubjectObjection.restrict_pending.is_(True),
            ),
        )
    return exists(select(SubjectObjection.id).where(*mine, stops))


def visible_subjects(
    subject_id: Any, purpose: Purpose, today: date, resource: str | None = None
) -> ColumnElement[bool]:
    """SQL: the subject ``subject_id`` (a column) may be processed for ``purpose`` today (for
    ``resource``, where the purpose's legal obligation continues under an objection)."""
    spec = REGISTRY[purpose]
    subject_ok: list[ColumnElement[bool]] = [DataSubject.id == subject_id]
    if purpose is not Purpose.RETENTION_MANAGEMENT:
        subject_ok.append(
            or_(DataSubject.retain_until.is_(None), DataSubject.retain_until >= today)
        )
    unrestricted = DataSubject.restricted_since.is_(None)
    if spec.restriction_ground is None:
        subject_ok.append(unrestricted)
    elif spec.restriction_ground is RestrictionGround.LEGAL_CLAIM:
        # Correlated with the data subject row of this query (its id is ``subject_id``).
        subject_ok.append(or_(unrestricted, live_claim_clause(DataSubject.id, purpose)))
    clause: ColumnElement[bool] = exists(select(DataSubject.id).where(and_(*subject_ok)))
    objected = _objection_clause(subject_id, spec, resource)
    if objected is not None:
        clause = and_(clause, not_(objected))
    return clause


#: Audit detail keys for a restricted subject's processing: the Art 18(2) ground relied on,
#: and the restricted subjects it was relied on for.
RESTRICTION_GROUND = "restriction_ground"
RESTRICTED_SUBJECT_IDS = "restricted_subject_ids"

_RESTRICTED_CHUNK = 500


async def restricted_subjects(
    session: AsyncSession, subject_ids: Collection[uuid.UUID]
) -> frozenset[uuid.UUID]:
    """Of these data subjects, those under restriction (Art 18) now."""
    ordered = sorted(subject_ids)
    found: set[uuid.UUID] = set()
    for start in range(0, len(ordered), _RESTRICTED_CHUNK):
        rows = await session.scalars(
            select(DataSubject.id).where(
                DataSubject.id.in_(ordered[start : start + _RESTRICTED_CHUNK]),
                DataSubject.restricted_since.is_not(None),
            )
        )
        found.update(rows.all())
    return frozenset(found)
