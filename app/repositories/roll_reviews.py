"""Queries over roll reviews. List and single-record reads take the policy layer's SQL filter."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.people import Pupil
from app.models.roll_reviews import RollReview, RollReviewStatus
from app.repositories.pagination import PageRequest, keyset_page


@dataclass(frozen=True, slots=True)
class RollReviewQuery:
    status: RollReviewStatus | None = None
    school_urn: int | None = None


@dataclass(frozen=True, slots=True)
class OpenReview:
    review: RollReview
    #: The pupil's data subject may be processed for the push's purpose today.
    processable: bool


class RollReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def open_at_school(
        self, urn: int, *, processable: ColumnElement[bool]
    ) -> list[OpenReview]:
        """The school's open reviews (a school has few), with whether each pupil may be
        processed."""
        rows = await self.session.execute(
            select(RollReview, processable.label("processable"))
            .join(Pupil, Pupil.id == RollReview.pupil_id)
            .where(RollReview.school_urn == urn, RollReview.status == RollReviewStatus.OPEN)
        )
        return [OpenReview(review, bool(ok)) for review, ok in rows]

    def add(self, review: RollReview) -> None:
        self.session.add(review)

    async def page(
        self,
        query: RollReviewQuery,
        page: PageRequest,
        *,
        visible: ColumnElement[bool],
    ) -> tuple[list[RollReview], str | None]:
        """Reviews oldest first (the order a person works through them)."""
        stmt = select(RollReview).where(visible)
        if query.status is not None:
            stmt = stmt.where(RollReview.status == query.status)
        if query.school_urn is not None:
            stmt = stmt.where(RollReview.school_urn == query.school_urn)
        keys = (RollReview.detected_at, RollReview.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def get(
        self, review_id: uuid.UUID, *, visible: ColumnElement[bool], for_update: bool = False
    ) -> RollReview | None:
        """The review, if visible; ``for_update`` locks it until the transaction ends, so two
        people resolving it at once are served one after the other."""
        stmt = select(RollReview).where(RollReview.id == review_id, visible)
        if for_update:
            stmt = stmt.with_for_update(of=RollReview)
        return await self.session.scalar(stmt)

    async def pupil(self, pupil_id: uuid.UUID) -> Pupil | None:
        """The pupil a review is about (the review's own filter has already decided on the
        pupil's data subject)."""
        return await self.session.scalar(select(Pupil).where(Pupil.id == pupil_id))
