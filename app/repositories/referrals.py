"""Queries over referrals: the cases schools opened by referring a pupil, as the referring
school sees them. Every read takes the policy layer's SQL filter (the referral decision is
decided on the case row), and only school referrals are ever referrals: a case the council
opened about a school's pupil is not the school's to follow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.cases import Case, CaseStage, ReferralSource
from app.models.people import Enrolment
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class ReferralQuery:
    school_urn: int | None = None
    #: The stages behind one school-facing status (``app.services.referrals.STATUS_STAGES``).
    stages: frozenset[CaseStage] | None = None
    #: True: open only; False: closed only; None: both.
    open: bool | None = None


class ReferralRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _referrals(self, visible: ColumnElement[bool]) -> Select[Any]:
        return select(Case).where(visible, Case.referral_source == ReferralSource.SCHOOL)

    async def get(self, referral_id: uuid.UUID, *, visible: ColumnElement[bool]) -> Case | None:
        """The school referral with this id (its case's id), if visible."""
        case: Case | None = await self.session.scalar(
            self._referrals(visible).where(Case.id == referral_id)
        )
        return case

    async def page(
        self, query: ReferralQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[Case], str | None]:
        """Referrals newest first (by when they were made, then id)."""
        stmt = self._referrals(visible)
        if query.school_urn is not None:
            stmt = stmt.where(Case.school_urn == query.school_urn)
        if query.stages is not None:
            stmt = stmt.where(Case.stage.in_(sorted(query.stages)))
        if query.open is True:
            stmt = stmt.where(Case.closed_at.is_(None))
        elif query.open is False:
            stmt = stmt.where(Case.closed_at.is_not(None))
        return await keyset_page(
            self.session, stmt, (Case.created_at, Case.id), page, descending=True
        )


async def on_roll(session: AsyncSession, pupil_id: uuid.UUID, school_urn: int, today: date) -> bool:
    """The pupil is on the school's roll today: an enrolment there that has begun and is not
    closed (``off_roll_on`` is the first day off roll)."""
    found: bool | None = await session.scalar(
        select(
            exists().where(
                Enrolment.pupil_id == pupil_id,
                Enrolment.school_urn == school_urn,
                Enrolment.on_roll_from <= today,
                or_(Enrolment.off_roll_on.is_(None), Enrolment.off_roll_on > today),
            )
        )
    )
    return bool(found)
