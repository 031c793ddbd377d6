"""Queries over data subjects: the people KPAS holds records about (pupils and carers), the
live legal claims for each (UK GDPR Art 18(2)), and the outcome of their objections (Art 21)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Carer, Pupil
from app.models.subjects import ObjectionStatus, SubjectLegalClaim, SubjectObjection

#: Outcomes information governance records on an objection, and whether each needs a reason.
OBJECTION_OUTCOMES: dict[ObjectionStatus, bool] = {
    ObjectionStatus.UPHELD: False,
    ObjectionStatus.REJECTED: True,
    ObjectionStatus.COMPELLING_GROUNDS: True,
}


class SubjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def visible_people(
        self,
        subject_ids: Iterable[uuid.UUID],
        *,
        pupils: ColumnElement[bool],
        carers: ColumnElement[bool],
    ) -> set[uuid.UUID]:
        """Of these data subject ids, those of a pupil that passes ``pupils`` or a carer that
        passes ``carers``. An id that names nobody, or somebody the filters leave out, is not
        among them, and the two cannot be told apart."""
        ids = sorted(set(subject_ids))
        if not ids:
            return set()
        found: set[uuid.UUID] = set()
        for model, visible in ((Pupil, pupils), (Carer, carers)):
            rows = await self.session.scalars(
                select(model.subject_id).where(model.subject_id.in_(ids), visible)
            )
            found.update(rows.all())
        return found

    async def live_legal_claims(self, subject_id: uuid.UUID) -> frozenset[str]:
        """The purposes for which a legal claim is live for this person (a case at that stage,
        a legal hold). Casework opens and closes claims; until it does, there are none."""
        rows = await self.session.scalars(
            select(SubjectLegalClaim.purpose).where(
                SubjectLegalClaim.subject_id == subject_id,
                SubjectLegalClaim.closed_at.is_(None),
            )
        )
        return frozenset(rows.all())

    async def decide_objection(
        self,
        objection: SubjectObjection,
        *,
        outcome: ObjectionStatus,
        reason: str | None,
        decided_by: str,
        now: datetime,
    ) -> None:
        """Record information governance's decision on an objection. Compelling legitimate
        grounds (Art 21(1)) and a rejection are recorded with their reason."""
        if outcome not in OBJECTION_OUTCOMES:
            raise ValueError(f"{outcome} is not a decision on an objection")
        if OBJECTION_OUTCOMES[outcome] and not (reason and reason.strip()):
            raise ValueError(f"{outcome} is recorded with its reason")
        objection.status = outcome
        objection.outcome_reason = reason
        objection.decided_by = decided_by
        objection.decided_at = now
        objection.restrict_pending = False
        await self.session.flush()
