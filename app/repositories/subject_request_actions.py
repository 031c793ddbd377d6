"""Queries behind acting on a data-subject request: the request's confirmed matches, every
record held about a matched person (with the lawful basis it is held on), the recipients
their data was disclosed to (Art 19), objections, the actions taken, and erasure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.attendance import AttendanceAlert
from app.models.cases import (
    AttendanceContract,
    Case,
    CaseDocument,
    CaseEvent,
    CaseMeeting,
    CaseParty,
    NoticeToImprove,
    PenaltyNotice,
    Prosecution,
    SchoolAttendanceOrder,
)
from app.models.disclosures import Disclosure, DisclosureSubject
from app.models.exclusions import Exclusion
from app.models.licences import Licence, LicenceDocument, LicensedAbsence, Person
from app.models.messages import OutboundMessage
from app.models.people import Carer, Pupil, PupilDocument, SensitiveEntry
from app.models.roll_reviews import RollReview
from app.models.sharing import Recipient
from app.models.subject_requests import SubjectRequestAction, SubjectRequestMatch
from app.models.subjects import (
    DataSubject,
    LegalClaimKind,
    SubjectLegalClaim,
    SubjectObjection,
)
from app.repositories.pagination import PageRequest, keyset_page

#: Every kind of record that holds a person's data, by the policy layer's resource name. A
#: request's subject is matched by data subject id: each of these names one.
PERSONAL_RECORDS: dict[str, Any] = {
    "pupil": Pupil,
    "carer": Carer,
    "person": Person,
    "pupil_sensitive": SensitiveEntry,
    "pupil_document": PupilDocument,
    "attendance_alert": AttendanceAlert,
    "case": Case,
    "case_document": CaseDocument,
    "penalty_notice": PenaltyNotice,
    "exclusion": Exclusion,
    "licence": Licence,
    "licence_document": LicenceDocument,
    "licensed_absence": LicensedAbsence,
    "message": OutboundMessage,
    "roll_review": RollReview,
}

#: A case's parts, deleted with it, in an order no foreign key objects to (a prosecution
#: names its penalty notice).
CASE_PARTS: tuple[Any, ...] = (
    Prosecution,
    PenaltyNotice,
    SchoolAttendanceOrder,
    NoticeToImprove,
    AttendanceContract,
    CaseMeeting,
    CaseDocument,
    CaseEvent,
    CaseParty,
)


#: The recipient kind of a released access bundle: the person themselves (or whoever asked
#: for them), never a recipient to be told of a change under Art 19.
SELF_RECIPIENT = "data_subject"


@dataclass(frozen=True, slots=True)
class HeldRecord:
    """One record about a person: what it is, and the footing it is held on."""

    resource_type: str
    resource_id: uuid.UUID
    subject_id: uuid.UUID
    lawful_basis: str
    purposes_mask: int


@dataclass(frozen=True, slots=True)
class RecipientTold:
    """A recipient the person's data was disclosed to: how often, and when last."""

    recipient_id: uuid.UUID
    name: str
    kind: str
    disclosures: int
    last_disclosed_at: datetime


def _deleted(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class SubjectRequestActionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: object) -> None:
        self.session.add(record)

    # --- matches and the records they reach -----------------------------------------------

    async def match(self, request_id: uuid.UUID, match_id: uuid.UUID) -> SubjectRequestMatch | None:
        return await self.session.scalar(
            select(SubjectRequestMatch).where(
                SubjectRequestMatch.request_id == request_id, SubjectRequestMatch.id == match_id
            )
        )

    async def matches(
        self, request_id: uuid.UUID, *, statuses: Collection[str]
    ) -> list[SubjectRequestMatch]:
        """The request's matches of these statuses, in a stable order."""
        rows = await self.session.scalars(
            select(SubjectRequestMatch)
            .where(
                SubjectRequestMatch.request_id == request_id,
                SubjectRequestMatch.status.in_(sorted(statuses)),
            )
            .order_by(SubjectRequestMatch.record_type, SubjectRequestMatch.id)
        )
        return list(rows.all())

    async def records_of(
        self,
        subject_ids: Iterable[uuid.UUID],
        *,
        visible: Callable[[Any], ColumnElement[bool]],
    ) -> list[HeldRecord]:
        """Every record about these people, of every kind, that ``visible`` (a filter on a
        record's subject column) lets through; by kind, then id."""
        ids = sorted(set(subject_ids))
        if not ids:
            return []
        found: list[HeldRecord] = []
        for resource_type, model in PERSONAL_RECORDS.items():
            rows = await self.session.execute(
                select(model.id, model.subject_id, model.lawful_basis, model.purposes_mask)
                .where(model.subject_id.in_(ids), visible(model.subject_id))
                .order_by(model.id)
            )
            found += [HeldRecord(resource_type, *row) for row in rows.all()]
        return found

    async def record(self, resource_type: str, record_id: uuid.UUID) -> Any | None:
        model = PERSONAL_RECORDS.get(resource_type)
        return None if model is None else await self.session.get(model, record_id)

    # --- the data subject -----------------------------------------------------------------

    async def subject(self, subject_id: uuid.UUID, *, for_update: bool = False) -> DataSubject:
        stmt = (
            select(DataSubject)
            .where(DataSubject.id == subject_id)
            .execution_options(populate_existing=True)
        )
        if for_update:
            stmt = stmt.with_for_update()
        return (await self.session.scalars(stmt)).one()

    async def objection(
        self, subject_id: uuid.UUID, purpose: str, *, for_update: bool = False
    ) -> SubjectObjection | None:
        stmt = select(SubjectObjection).where(
            SubjectObjection.subject_id == subject_id, SubjectObjection.purpose == purpose
        )
        if for_update:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    # --- who received the person's data (Art 19) ------------------------------------------

    async def recipients_of(
        self, subject_ids: Collection[uuid.UUID], *, until: datetime | None = None
    ) -> dict[uuid.UUID, list[RecipientTold]]:
        """By person: the recipients their data was disclosed to (the disclosure log), with
        how many disclosures and the last; only those made by ``until`` where given. The
        person's own access bundles are not disclosures to a recipient to tell."""
        ids = sorted(set(subject_ids))
        if not ids:
            return {}
        stmt = (
            select(
                DisclosureSubject.subject_id,
                Recipient.id,
                Recipient.name,
                Recipient.kind,
                func.count(Disclosure.id),
                func.max(Disclosure.disclosed_at),
            )
            .join(Disclosure, Disclosure.id == DisclosureSubject.disclosure_id)
            .join(Recipient, Recipient.id == Disclosure.recipient_id)
            .where(DisclosureSubject.subject_id.in_(ids), Recipient.kind != SELF_RECIPIENT)
            .group_by(DisclosureSubject.subject_id, Recipient.id, Recipient.name, Recipient.kind)
            .order_by(DisclosureSubject.subject_id, Recipient.name, Recipient.id)
        )
        if until is not None:
            stmt = stmt.where(Disclosure.disclosed_at <= until)
        found: dict[uuid.UUID, list[RecipientTold]] = {}
        rows = (await self.session.execute(stmt)).all()
        for subject_id, recipient_id, name, kind, count, last in rows:
            found.setdefault(subject_id, []).append(
                RecipientTold(recipient_id, name, str(kind), int(count), last)
            )
        return found

    # --- actions --------------------------------------------------------------------------

    async def action(
        self, request_id: uuid.UUID, action_id: uuid.UUID
    ) -> SubjectRequestAction | None:
        return await self.session.scalar(
            select(SubjectRequestAction).where(
                SubjectRequestAction.request_id == request_id,
                SubjectRequestAction.id == action_id,
            )
        )

    async def action_page(
        self, request_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[SubjectRequestAction], str | None]:
        """A request's actions in the order they were taken."""
        stmt = select(SubjectRequestAction).where(SubjectRequestAction.request_id == request_id)
        keys = (SubjectRequestAction.performed_at, SubjectRequestAction.id)
        return await keyset_page(self.session, stmt, keys, page)

    # --- erasure --------------------------------------------------------------------------

    async def delete_case(self, case_id: uuid.UUID) -> dict[str, int]:
        """Delete a case and every part of it; rows deleted per table. Its legal claims go
        with it; messages and exclusions that named it stay, no longer linked (``SET NULL``)."""
        rows: dict[str, int] = {}
        for model in CASE_PARTS:
            result = await self.session.execute(delete(model).where(model.case_id == case_id))
            count = _deleted(result)
            if count:
                rows[model.__tablename__] = count
        claims = _deleted(
            await self.session.execute(
                delete(SubjectLegalClaim).where(
                    SubjectLegalClaim.kind == LegalClaimKind.CASE,
                    SubjectLegalClaim.reference == str(case_id),
                )
            )
        )
        if claims:
            rows[SubjectLegalClaim.__tablename__] = claims
        rows[Case.__tablename__] = _deleted(
            await self.session.execute(delete(Case).where(Case.id == case_id))
        )
        return rows

    async def delete_record(self, resource_type: str, record_id: uuid.UUID) -> dict[str, int]:
        """Delete one record that has no parts of its own; rows deleted per table."""
        model = PERSONAL_RECORDS[resource_type]
        count = _deleted(await self.session.execute(delete(model).where(model.id == record_id)))
        return {model.__tablename__: count}
