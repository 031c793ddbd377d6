"""Queries over what is recorded on a case: its meetings, attendance contracts, documents and
the messages sent on it. Each is read only after its case was (the case's decision decides
whether the caller may see it), so every query here is scoped by the case's id."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from app.models.cases import AttendanceContract, CaseDocument, CaseMeeting, ContractStatus
from app.models.messages import MessageStatus, OutboundMessage
from app.models.people import Carer
from app.repositories.pagination import PageRequest, keyset_page

#: Listing documents never reads their (possibly large) ciphertext, and nothing can lazily.
DOCUMENT_METADATA_ONLY = defer(CaseDocument.ciphertext, raiseload=True)


class CaseMeetingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, meeting: CaseMeeting) -> None:
        self.session.add(meeting)

    async def page(
        self, case_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[CaseMeeting], str | None]:
        """A case's meetings in the order they were (or are) due."""
        stmt = select(CaseMeeting).where(CaseMeeting.case_id == case_id)
        keys = (CaseMeeting.scheduled_for, CaseMeeting.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def get(self, case_id: uuid.UUID, meeting_id: uuid.UUID) -> CaseMeeting | None:
        meeting: CaseMeeting | None = await self.session.scalar(
            select(CaseMeeting)
            .where(CaseMeeting.case_id == case_id, CaseMeeting.id == meeting_id)
            .execution_options(populate_existing=True)
        )
        return meeting


class AttendanceContractRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, contract: AttendanceContract) -> None:
        self.session.add(contract)

    async def page(
        self, case_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[AttendanceContract], str | None]:
        """A case's contracts, oldest agreement first."""
        stmt = select(AttendanceContract).where(AttendanceContract.case_id == case_id)
        keys = (AttendanceContract.agreed_on, AttendanceContract.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def get(self, case_id: uuid.UUID, contract_id: uuid.UUID) -> AttendanceContract | None:
        contract: AttendanceContract | None = await self.session.scalar(
            select(AttendanceContract)
            .where(AttendanceContract.case_id == case_id, AttendanceContract.id == contract_id)
            .execution_options(populate_existing=True)
        )
        return contract

    async def active(self, case_id: uuid.UUID) -> AttendanceContract | None:
        """The case's active contract, if any (at most one: a unique partial index)."""
        contract: AttendanceContract | None = await self.session.scalar(
            select(AttendanceContract).where(
                AttendanceContract.case_id == case_id,
                AttendanceContract.status == ContractStatus.ACTIVE,
            )
        )
        return contract


class CaseDocumentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, document: CaseDocument) -> None:
        self.session.add(document)
        await self.session.flush()

    async def page(
        self, case_id: uuid.UUID, page: PageRequest
    ) -> tuple[list[CaseDocument], str | None]:
        """A case's documents in the order they were stored: metadata only."""
        stmt = (
            select(CaseDocument)
            .where(CaseDocument.case_id == case_id)
            .options(DOCUMENT_METADATA_ONLY)
        )
        keys = (CaseDocument.created_at, CaseDocument.id)
        return await keyset_page(self.session, stmt, keys, page)

    async def get(
        self, case_id: uuid.UUID, document_id: uuid.UUID, *, with_content: bool = False
    ) -> CaseDocument | None:
        """One document; its ciphertext only when ``with_content``."""
        stmt = select(CaseDocument).where(
            CaseDocument.case_id == case_id, CaseDocument.id == document_id
        )
        if not with_content:
            stmt = stmt.options(DOCUMENT_METADATA_ONLY)
        document: CaseDocument | None = await self.session.scalar(stmt)
        return document


class CaseMessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self,
        case_id: uuid.UUID,
        page: PageRequest,
        *,
        visible: ColumnElement[bool],
        status: MessageStatus | None = None,
    ) -> tuple[list[OutboundMessage], str | None]:
        """The messages sent on a case, newest first; ``visible`` narrows them to the
        recipients the decision may process."""
        stmt = select(OutboundMessage).where(OutboundMessage.case_id == case_id, visible)
        if status is not None:
            stmt = stmt.where(OutboundMessage.status == status)
        keys = (OutboundMessage.created_at, OutboundMessage.id)
        return await keyset_page(self.session, stmt, keys, page, descending=True)


class CasePeopleRepository:
    """The people a case's export names: read only after the case was."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def carers(self, carer_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Carer]:
        wanted = sorted(set(carer_ids))
        if not wanted:
            return {}
        rows = await self.session.scalars(select(Carer).where(Carer.id.in_(wanted)))
        return {carer.id: carer for carer in rows}
