"""Queries over cases and their parts. Every read of a case takes the policy layer's SQL
filter; a case's parts are read only after their case was (the case decides)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from app.models.cases import (
    AttendanceContract,
    Case,
    CaseEvent,
    CaseParty,
    CaseStage,
    CaseType,
    ContractStatus,
    NoticeToImprove,
    NoticeToImproveStatus,
    PenaltyNotice,
    PenaltyNoticeStatus,
    Prosecution,
    ProsecutionStatus,
    SaoStatus,
    SchoolAttendanceOrder,
)
from app.models.exclusions import Exclusion
from app.models.subjects import LegalClaimKind, SubjectLegalClaim
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """An officer's filters over the cases they may see."""

    #: Assigned to this officer (the caller's own subject for "mine").
    officer: str | None = None
    #: Not assigned to anyone (a team's triage queue).
    unassigned: bool = False
    stage: CaseStage | None = None
    case_type: CaseType | None = None
    school_urn: int | None = None
    district: str | None = None
    pupil_id: uuid.UUID | None = None
    #: Open cases whose next action was due before this day.
    overdue_before: date | None = None
    include_closed: bool = False


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, case: Case) -> None:
        self.session.add(case)

    async def get(
        self, case_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> Case | None:
        """The case with its parties, if visible; ``for_update`` locks the row until the
        transaction ends, so two changes to one case are served one after the other."""
        stmt = (
            select(Case)
            .where(Case.id == case_id, visible)
            .options(selectinload(Case.parties))
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update(of=Case)
        return await self.session.scalar(stmt)

    async def purpose_of(self, case_id: uuid.UUID) -> str | None:
        """The purpose a case serves (routes on it default to it). Only the purpose: whether
        the caller may see the case is decided afterwards, under it."""
        purpose: str | None = await self.session.scalar(
            select(Case.purpose).where(Case.id == case_id)
        )
        return purpose

    def _filtered(self, query: CaseQuery, visible: ColumnElement[bool]) -> Select[Any]:
        stmt = select(Case).where(visible)
        if not query.include_closed:
            stmt = stmt.where(Case.closed_at.is_(None))
        if query.officer is not None:
            stmt = stmt.where(Case.assigned_officer == query.officer)
        if query.unassigned:
            stmt = stmt.where(Case.assigned_officer.is_(None))
        if query.stage is not None:
            stmt = stmt.where(Case.stage == query.stage)
        if query.case_type is not None:
            stmt = stmt.where(Case.case_type == query.case_type)
        if query.school_urn is not None:
            stmt = stmt.where(Case.school_urn == query.school_urn)
        if query.district is not None:
            stmt = stmt.where(Case.district == query.district)
        if query.pupil_id is not None:
            stmt = stmt.where(Case.pupil_id == query.pupil_id)
        if query.overdue_before is not None:
            stmt = stmt.where(Case.closed_at.is_(None), Case.next_action_on < query.overdue_before)
        return stmt

    async def page(
        self, query: CaseQuery, page: PageRequest, *, visible: ColumnElement[bool]
    ) -> tuple[list[Case], str | None]:
        """Cases newest first (by when they opened, then id)."""
        stmt = self._filtered(query, visible).options(selectinload(Case.parties))
        keys = (Case.created_at, Case.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)

    async def open_case_of_type(self, pupil_id: uuid.UUID, case_type: CaseType) -> Case | None:
        """The pupil's open case of this type, if any (one at a time per type)."""
        case: Case | None = await self.session.scalar(
            select(Case).where(
                Case.pupil_id == pupil_id,
                Case.case_type == case_type,
                Case.closed_at.is_(None),
            )
        )
        return case

    # --- chronology ------------------------------------------------------------------------

    def add_event(self, event: CaseEvent) -> None:
        self.session.add(event)

    async def events_page(
        self, case_id: uuid.UUID, page: PageRequest, *, kinds: Iterable[str] | None = None
    ) -> tuple[list[CaseEvent], str | None]:
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
        if kinds is not None:
            stmt = stmt.where(CaseEvent.kind.in_(sorted(kinds)))
        keys = (CaseEvent.occurred_at, CaseEvent.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def all_events(self, case_id: uuid.UUID) -> list[CaseEvent]:
        rows = await self.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case_id)
            .order_by(CaseEvent.occurred_at, CaseEvent.id)
        )
        return list(rows.all())

    async def event(self, case_id: uuid.UUID, event_id: uuid.UUID) -> CaseEvent | None:
        event: CaseEvent | None = await self.session.scalar(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.id == event_id)
        )
        return event

    # --- what the ladder's guards need ---------------------------------------------------

    async def facts(self, case_id: uuid.UUID, today: date) -> dict[str, Any]:
        """Counts and dates of a case's parts, for ``app.rules.casework.CaseFacts``."""
        session = self.session

        async def count(stmt: Any) -> int:
            return int(await session.scalar(stmt) or 0)

        active_contract = await count(
            select(func.count(AttendanceContract.id)).where(
                AttendanceContract.case_id == case_id,
                AttendanceContract.status == ContractStatus.ACTIVE,
            )
        )
        ntis = (
            await session.execute(
                select(NoticeToImprove.status, NoticeToImprove.period_ends_on).where(
                    NoticeToImprove.case_id == case_id,
                    NoticeToImprove.status != NoticeToImproveStatus.WITHDRAWN,
                )
            )
        ).all()
        notices = await count(
            select(func.count(PenaltyNotice.id)).where(
                PenaltyNotice.case_id == case_id,
                PenaltyNotice.status != PenaltyNoticeStatus.WITHDRAWN,
            )
        )
        prosecution = (
            await session.execute(
                select(Prosecution.evidence, Prosecution.lay_by)
                .where(
                    Prosecution.case_id == case_id,
                    Prosecution.status.in_((ProsecutionStatus.PREPARING, ProsecutionStatus.LAID)),
                )
                .order_by(Prosecution.created_at.desc())
                .limit(1)
            )
        ).first()
        order = await session.scalar(
            select(SchoolAttendanceOrder)
            .where(
                SchoolAttendanceOrder.case_id == case_id,
                SchoolAttendanceOrder.status.not_in((SaoStatus.SATISFIED, SaoStatus.REVOKED)),
            )
            .order_by(SchoolAttendanceOrder.notice_served_on.desc())
            .limit(1)
        )
        return {
            "active_contract": active_contract > 0,
            "notice_to_improve_issued": bool(ntis),
            "notice_to_improve_failed": any(
                status is NoticeToImproveStatus.NOT_IMPROVED
                or (status is NoticeToImproveStatus.ISSUED and ends < today)
                for status, ends in ntis
            ),
            "penalty_notice_issued": notices > 0,
            "prosecution_recorded": prosecution is not None,
            "evidence_items": len(prosecution[0]) if prosecution is not None else 0,
            "lay_by": prosecution[1] if prosecution is not None else None,
            "sao_notice_served": order is not None,
            "sao_notice_period_over": order is not None and order.notice_deadline < today,
            "sao_intention_served": order is not None and order.intention_served_on is not None,
            "sao_intention_period_over": order is not None
            and order.intention_deadline is not None
            and order.intention_deadline < today,
            "sao_order_made": order is not None and order.order_made_on is not None,
            "sao_order_breached": order is not None and order.status is SaoStatus.BREACHED,
        }

    # --- legal claims (purpose binding) -----------------------------------------------------

    async def case_claims(self, case_id: uuid.UUID) -> list[SubjectLegalClaim]:
        rows = await self.session.scalars(
            select(SubjectLegalClaim).where(
                SubjectLegalClaim.kind == LegalClaimKind.CASE,
                SubjectLegalClaim.reference == str(case_id),
                SubjectLegalClaim.closed_at.is_(None),
            )
        )
        return list(rows.all())

    def add_claim(self, claim: SubjectLegalClaim) -> None:
        self.session.add(claim)

    async def parties(self, case_id: uuid.UUID) -> list[CaseParty]:
        rows = await self.session.scalars(
            select(CaseParty).where(CaseParty.case_id == case_id).order_by(CaseParty.added_at)
        )
        return list(rows.all())

    # --- merging two records of one pupil ------------------------------------------------

    async def open_type_clashes(
        self, first: uuid.UUID, second: uuid.UUID
    ) -> list[tuple[Case, Case]]:
        """Pairs of open cases of one type, one about each pupil (``first``'s, ``second``'s)."""
        other = aliased(Case, name="other_case")
        rows = await self.session.execute(
            select(Case, other)
            .join(
                other,
                (other.case_type == Case.case_type)
                & (other.pupil_id == second)
                & other.closed_at.is_(None),
            )
            .where(Case.pupil_id == first, Case.closed_at.is_(None))
            .order_by(Case.case_type, Case.id, other.id)
        )
        return [(row[0], row[1]) for row in rows]

    async def visible_ids(
        self, case_ids: Iterable[uuid.UUID], *, visible: ColumnElement[bool]
    ) -> set[uuid.UUID]:
        """Which of these cases the filter lets the caller see."""
        wanted = list(case_ids)
        if not wanted:
            return set()
        rows = await self.session.scalars(select(Case.id).where(Case.id.in_(wanted), visible))
        return set(rows.all())

    async def cases_of_pupil(self, pupil_id: uuid.UUID) -> list[Case]:
        """Every case about the pupil, open or closed, with its parties, locked for a change
        (no filter: for moving a pupil's records, which the caller was allowed to merge)."""
        rows = await self.session.scalars(
            select(Case)
            .where(Case.pupil_id == pupil_id)
            .options(selectinload(Case.parties))
            .order_by(Case.opened_on, Case.id)
            .with_for_update(of=Case)
        )
        return list(rows.all())

    async def penalty_notices_of_pupil(self, pupil_id: uuid.UUID) -> list[PenaltyNotice]:
        """Every penalty notice about the pupil (to any parent), locked for a change."""
        rows = await self.session.scalars(
            select(PenaltyNotice)
            .where(PenaltyNotice.pupil_id == pupil_id)
            .order_by(PenaltyNotice.issued_on, PenaltyNotice.id)
            .with_for_update()
        )
        return list(rows.all())

    async def exclusions_of_pupil(self, pupil_id: uuid.UUID) -> list[Exclusion]:
        """Every suspension and exclusion reported for the pupil, locked for a change."""
        rows = await self.session.scalars(
            select(Exclusion)
            .where(Exclusion.pupil_id == pupil_id)
            .order_by(Exclusion.starts_on, Exclusion.id)
            .with_for_update()
        )
        return list(rows.all())
