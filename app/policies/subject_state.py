"""The states a data subject can be in, and what each allows (UK GDPR Art 18, Art 21, and
Art 5(1)(e) storage limitation).

- Restriction (Art 18): everything stops except storage, legal claims and subject rights.
- Objection (Art 21) to processing on 6(1)(e): pending suspends that purpose, upheld stops it.
- Past the retention date: invisible to everyone but retention management.

Like conditions, each rule here has a Python form (one subject in hand) and a SQL form (a list
filter), built from the same registry facts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from app.models.subjects import DataSubject, ObjectionStatus, SubjectObjection
from app.policies.registry import REGISTRY, Purpose

BLOCKING_OBJECTIONS = (ObjectionStatus.PENDING, ObjectionStatus.UPHELD)


@dataclass(frozen=True, slots=True)
class SubjectState:
    restricted: bool = False
    retain_until: date | None = None
    objections: Mapping[str, ObjectionStatus] = field(default_factory=dict)


def refusal(state: SubjectState, purpose: Purpose, today: date) -> str | None:
    """Why ``purpose`` may not touch this subject's records today, or None when it may."""
    spec = REGISTRY[purpose]
    if (
        purpose is not Purpose.RETENTION_MANAGEMENT
        and state.retain_until is not None
        and state.retain_until < today
    ):
        return "past_retention"
    if state.restricted and not spec.legal_claims:
        return "restricted"
    if spec.objection_applies and state.objections.get(purpose.value) in BLOCKING_OBJECTIONS:
        return "objection"
    return None


def visible_subjects(subject_id: Any, purpose: Purpose, today: date) -> ColumnElement[bool]:
    """SQL: the subject ``subject_id`` (a column) may be processed for ``purpose`` today."""
    spec = REGISTRY[purpose]
    subject_ok: list[ColumnElement[bool]] = [DataSubject.id == subject_id]
    if purpose is not Purpose.RETENTION_MANAGEMENT:
        subject_ok.append(
            or_(DataSubject.retain_until.is_(None), DataSubject.retain_until >= today)
        )
    if not spec.legal_claims:
        subject_ok.append(DataSubject.restricted_since.is_(None))
    clause: ColumnElement[bool] = exists(select(DataSubject.id).where(and_(*subject_ok)))
    if spec.objection_applies:
        objected = exists(
            select(SubjectObjection.id).where(
                SubjectObjection.subject_id == subject_id,
                SubjectObjection.purpose == purpose.value,
                SubjectObjection.status.in_(BLOCKING_OBJECTIONS),
            )
        )
        clause = and_(clause, not_(objected))
    return clause
