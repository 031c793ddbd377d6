"""Queries the record of processing and the drift report are rendered from: the active
recipients, the sharing agreements in force, the retention registry's current rules, and the
releases in the disclosure log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.disclosures import Disclosure
from app.models.retention import RetentionPolicy
from app.models.sharing import Recipient, SharingAgreement
from app.repositories.sharing import in_force_on


@dataclass(frozen=True, slots=True)
class Releases:
    """What the disclosure log holds for one recipient over a period."""

    recipient: Recipient
    count: int
    last: datetime
    purposes: tuple[str, ...]


class ProcessingRecordRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def active_recipients(self) -> list[Recipient]:
        stmt = select(Recipient).where(Recipient.active.is_(True)).order_by(Recipient.code)
        return list((await self.session.scalars(stmt)).all())

    async def agreements_in_force(self, day: date) -> list[SharingAgreement]:
        """Agreements in force on ``day`` (start and end days included, recipient active)."""
        stmt = (
            select(SharingAgreement)
            .where(in_force_on(day))
            .order_by(SharingAgreement.starts_on, SharingAgreement.id)
        )
        return list((await self.session.scalars(stmt)).unique().all())

    async def retention_policies(self) -> list[RetentionPolicy]:
        """The retention registry's current rule for each record type."""
        stmt = select(RetentionPolicy).order_by(RetentionPolicy.record_type)
        return list((await self.session.scalars(stmt)).all())

    async def releases_since(self, start: datetime) -> dict[uuid.UUID, Releases]:
        """Releases the disclosure log records from ``start``, by recipient."""
        counts = (
            await self.session.execute(
                select(
                    Disclosure.recipient_id,
                    func.count(Disclosure.id),
                    func.max(Disclosure.disclosed_at),
                )
                .where(Disclosure.disclosed_at >= start)
                .group_by(Disclosure.recipient_id)
            )
        ).all()
        if not counts:
            return {}
        purposes: dict[uuid.UUID, set[str]] = {}
        pairs = await self.session.execute(
            select(Disclosure.recipient_id, Disclosure.purpose)
            .where(Disclosure.disclosed_at >= start)
            .distinct()
        )
        for recipient_id, purpose in pairs.all():
            purposes.setdefault(recipient_id, set()).add(purpose)
        found = await self.session.scalars(
            select(Recipient).where(Recipient.id.in_([row[0] for row in counts]))
        )
        recipients = {r.id: r for r in found.all()}
        return {
            recipient_id: Releases(
                recipient=recipients[recipient_id],
                count=int(count),
                last=last,
                purposes=tuple(sorted(purposes.get(recipient_id, ()))),
            )
            for recipient_id, count, last in counts
        }
