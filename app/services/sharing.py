"""Recipients and sharing agreements: who the notice says we share with, and under which
agreement each may receive which purposes and data categories, and when. Maintained by
administrators; read by staff who decide on disclosures."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed
from app.models.sharing import Recipient, SharingAgreement
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.pagination import PageRequest
from app.repositories.sharing import (
    AgreementQuery,
    AgreementRepository,
    RecipientQuery,
    RecipientRepository,
)
from app.schemas.sharing import (
    RecipientCreate,
    RecipientUpdate,
    SharingAgreementCreate,
    SharingAgreementUpdate,
)
from app.services.concurrency import IfMatch, etag_for


def recipient_etag(recipient: Recipient) -> str:
    return etag_for(recipient.id, recipient.version, recipient.created_at)


def agreement_etag(agreement: SharingAgreement) -> str:
    return etag_for(agreement.id, agreement.version, agreement.created_at)


async def active_agreements(
    session: AsyncSession, *, recipient_code: str, purpose: Purpose, on: date
) -> list[SharingAgreement]:
    """The agreements under which ``recipient_code`` may receive data for ``purpose`` on ``on``
    (start and end days included; none if the recipient is inactive or unknown)."""
    query = AgreementQuery(recipient_code=recipient_code, purpose=purpose, active_on=on)
    return await AgreementRepository(session).all(query)


# Recipients


async def list_recipients(
    session: AsyncSession, access: Access, *, query: RecipientQuery, page: PageRequest
) -> tuple[list[Recipient], str | None]:
    return await RecipientRepository(session).page(query, page=page, visible=access.filter())


async def get_recipient(
    session: AsyncSession, access: Access, *, recipient_id: uuid.UUID
) -> Recipient:
    recipient = await RecipientRepository(session).get(recipient_id, visible=access.filter())
    if recipient is None:
        raise access.not_found(recipient_id, f"No recipient with id {recipient_id}.")
    return recipient


async def create_recipient(
    session: AsyncSession, access: Access, *, data: RecipientCreate
) -> Recipient:
    recipients = RecipientRepository(session)
    if await recipients.by_code(data.code) is not None:
        raise Conflict(f"A recipient with code {data.code} already exists.")
    recipient = Recipient(
        code=data.code,
        name=data.name,
        kind=data.kind,
        notice_wording=data.notice_wording,
        active=data.active,
    )
    await recipients.add(recipient)
    access.record_change("recipient.created", resource_id=recipient.id)
    return recipient


async def update_recipient(
    session: AsyncSession,
    access: Access,
    *,
    recipient_id: uuid.UUID,
    changes: RecipientUpdate,
    if_match: IfMatch,
) -> Recipient:
    recipient = await get_recipient(session, access, recipient_id=recipient_id)
    if_match.require(recipient_etag(recipient))
    fields = changes.changes()
    if not fields:
        return recipient
    for field, value in fields.items():
        setattr(recipient, field, value)
    await session.flush()
    access.record_change(
        "recipient.updated", resource_id=recipient_id, details={"fields": ",".join(sorted(fields))}
    )
    return recipient


async def delete_recipient(
    session: AsyncSession, access: Access, *, recipient_id: uuid.UUID, if_match: IfMatch
) -> None:
    """Remove a recipient entered in error. One with agreements is made inactive instead."""
    recipients = RecipientRepository(session)
    recipient = await get_recipient(session, access, recipient_id=recipient_id)
    if_match.require(recipient_etag(recipient))
    if await recipients.has_agreements(recipient_id):
        raise Conflict("Sharing agreements still name this recipient; make it inactive instead.")
    await recipients.delete(recipient)
    access.record_change("recipient.deleted", resource_id=recipient_id)


# Sharing agreements


def _dates_refused() -> ValidationFailed:
    return ValidationFailed(
        "An agreement cannot end before it starts.",
        errors=[
            {
                "location": "body",
                "pointer": "/ends_on",
                "detail": "ends_on must be on or after starts_on",
                "code": "date_order",
            }
        ],
    )


async def list_agreements(
    session: AsyncSession, access: Access, *, query: AgreementQuery, page: PageRequest
) -> tuple[list[SharingAgreement], str | None]:
    return await AgreementRepository(session).page(query, page=page, visible=access.filter())


async def get_agreement(
    session: AsyncSession, access: Access, *, agreement_id: uuid.UUID
) -> SharingAgreement:
    agreement = await AgreementRepository(session).get(agreement_id, visible=access.filter())
    if agreement is None:
        raise access.not_found(agreement_id, f"No sharing agreement with id {agreement_id}.")
    return agreement


async def create_agreement(
    session: AsyncSession, access: Access, *, data: SharingAgreementCreate
) -> SharingAgreement:
    recipient = await RecipientRepository(session).get(data.recipient_id)
    if recipient is None:
        raise ValidationFailed(
            f"No recipient with id {data.recipient_id}.",
            errors=[
                {
                    "location": "body",
                    "pointer": "/recipient_id",
                    "detail": "no such recipient",
                    "code": "unknown_recipient",
                }
            ],
        )
    agreement = SharingAgreement(
        recipient=recipient,
        name=data.name,
        reference=data.reference,
        purposes=[p.value for p in data.purposes],
        data_categories=[c.value for c in data.data_categories],
        districts=[d.value for d in data.districts],
        starts_on=data.starts_on,
        ends_on=data.ends_on,
    )
    await AgreementRepository(session).add(agreement)
    access.record_change("sharing_agreement.created", resource_id=agreement.id)
    return agreement


async def update_agreement(
    session: AsyncSession,
    access: Access,
    *,
    agreement_id: uuid.UUID,
    changes: SharingAgreementUpdate,
    if_match: IfMatch,
) -> SharingAgreement:
    agreement = await get_agreement(session, access, agreement_id=agreement_id)
    if_match.require(agreement_etag(agreement))
    fields = changes.changes()
    if not fields:
        return agreement
    starts_on = fields.get("starts_on", agreement.starts_on)
    ends_on = fields.get("ends_on", agreement.ends_on)
    if ends_on is not None and ends_on < starts_on:
        raise _dates_refused()
    for field, value in fields.items():
        if field in {"purposes", "data_categories", "districts"}:
            value = [str(v) for v in value]
        setattr(agreement, field, value)
    await session.flush()
    access.record_change(
        "sharing_agreement.updated",
        resource_id=agreement_id,
        details={"fields": ",".join(sorted(fields))},
    )
    return agreement


async def delete_agreement(
    session: AsyncSession, access: Access, *, agreement_id: uuid.UUID, if_match: IfMatch
) -> None:
    """Remove an agreement entered in error; one that has ended is given an ``ends_on``."""
    agreement = await get_agreement(session, access, agreement_id=agreement_id)
    if_match.require(agreement_etag(agreement))
    await AgreementRepository(session).delete(agreement)
    access.record_change("sharing_agreement.deleted", resource_id=agreement_id)
