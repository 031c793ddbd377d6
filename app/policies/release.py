"""Reads by people outside KPAS: partners under a sharing agreement, inspectors under a grant.

A rule may let a partner read pupils for a purpose, but the rule alone never releases
anything: an *active* agreement between KPAS and the partner's organisation must cover that
purpose and the resource's data categories today, and it decides the districts the partner
reaches. Likewise an inspector's token names a grant, and the grant (active, not revoked,
theirs) decides which schools and categories the inspection covers. What either may see is
then written down as a disclosure in the same transaction as the read.

A read that no agreement or grant covers is refused (and audited as a refusal); it is never
served and logged as a disclosure.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, Role
from app.models.disclosures import Disclosure, DisclosureChannel, DisclosureSubject, InspectionGrant
from app.models.sharing import Recipient, SharingAgreement
from app.policies.engine import Decision
from app.policies.resources import ResourceBinding
from app.rules.kent import District


@dataclass(frozen=True, slots=True)
class Release:
    """What a partner or inspector read may release, and the authority for it."""

    recipient_id: uuid.UUID
    #: ``DataCategory`` codes the agreement or grant covers.
    categories: frozenset[str]
    agreement_id: uuid.UUID | None = None
    inspection_grant_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Refused:
    rule: str
    reason: str


ALL_DISTRICTS = frozenset(d.value for d in District)


def needs_release(decision: Decision, binding: ResourceBinding) -> bool:
    return binding.personal_data and decision.role in (Role.PARTNER, Role.INSPECTOR)


async def resolve(
    session: AsyncSession,
    principal: Principal,
    decision: Decision,
    binding: ResourceBinding,
    now: datetime,
    today: date,
) -> tuple[Principal, Release] | Refused:
    """The principal as the agreement or grant scopes it, and what may be released."""
    if decision.role is Role.PARTNER:
        return await _partner(session, principal, decision, binding, today)
    return await _inspector(session, principal, binding, now)


async def _partner(
    session: AsyncSession,
    principal: Principal,
    decision: Decision,
    binding: ResourceBinding,
    today: date,
) -> tuple[Principal, Release] | Refused:
    if not principal.org:
        return Refused("sharing.no_agreement", "the token names no partner organisation")
    if decision.purpose is None:
        return Refused("sharing.no_agreement", "a partner read must state its purpose")
    rows = await session.scalars(
        select(SharingAgreement)
        .join(Recipient, Recipient.id == SharingAgreement.recipient_id)
        .where(
            Recipient.code == principal.org,
            Recipient.active.is_(True),
            SharingAgreement.starts_on <= today,
            (SharingAgreement.ends_on.is_(None)) | (SharingAgreement.ends_on >= today),
        )
        .order_by(SharingAgreement.starts_on, SharingAgreement.id)
    )
    covering = [
        agreement
        for agreement in rows
        if decision.purpose.value in agreement.purposes
        and binding.data_categories & set(agreement.data_categories)
    ]
    if not covering:
        return Refused(
            "sharing.no_agreement",
            f"no active sharing agreement covers {decision.purpose.value} for this data",
        )
    agreement = max(covering, key=lambda a: _reach(a, binding))
    districts = frozenset(agreement.districts) or ALL_DISTRICTS
    release = Release(
        recipient_id=agreement.recipient_id,
        categories=frozenset(agreement.data_categories) & binding.data_categories,
        agreement_id=agreement.id,
    )
    return replace(principal, districts=districts), release


def _reach(agreement: SharingAgreement, binding: ResourceBinding) -> tuple[int, int, date, str]:
    """How much of this resource an agreement releases: categories first, then districts
    (county-wide is all twelve), then the most recent agreement; the id breaks ties.

    One agreement decides a read, and the disclosure names it. Agreements are not merged:
    the categories of one and the districts of another would together release what neither
    allows (identity data county-wide when only health data was agreed county-wide).
    """
    categories = len(binding.data_categories & set(agreement.data_categories))
    districts = len(agreement.districts) or len(ALL_DISTRICTS)
    return categories, districts, agreement.starts_on, str(agreement.id)


async def _inspector(
    session: AsyncSession, principal: Principal, binding: ResourceBinding, now: datetime
) -> tuple[Principal, Release] | Refused:
    claimed = principal.inspection
    grant: InspectionGrant | None = None
    if claimed is not None:
        try:
            grant_id = uuid.UUID(claimed.grant_id)
        except ValueError:
            grant_id = None
        if grant_id is not None:
            # The grant as it is now (a revocation takes effect at once), and only while the
            # inspectorate it was issued to is still an active recipient.
            grant = await session.scalar(
                select(InspectionGrant)
                .join(Recipient, Recipient.id == InspectionGrant.recipient_id)
                .where(InspectionGrant.id == grant_id, Recipient.active.is_(True))
                .execution_options(populate_existing=True)
            )
    if grant is None or grant.inspector != principal.subject or not grant.active_at(now):
        return Refused("inspection.no_grant", "no active inspection grant for this inspector")
    categories = frozenset(grant.data_categories) & binding.data_categories
    if not categories:
        return Refused("inspection.not_covered", "the inspection does not cover this data")
    release = Release(
        recipient_id=grant.recipient_id, categories=categories, inspection_grant_id=grant.id
    )
    return replace(principal, school_urns=frozenset(grant.school_urns)), release


def record_release(
    session: AsyncSession,
    *,
    release: Release,
    decision: Decision,
    principal: Principal,
    subject_ids: Iterable[uuid.UUID],
    categories: Iterable[str],
    content: bytes,
    resource_id: str | None,
    now: datetime,
) -> Disclosure:
    """Write the disclosure for a read (in the read's transaction).

    Releasing a category the agreement or grant does not cover is a programming error, and
    fails the request (nothing is released) rather than being recorded as if allowed.
    """
    released = frozenset(categories)
    beyond = released - release.categories
    if beyond:
        raise ValueError(f"release of categories not covered: {sorted(beyond)}")
    disclosure = Disclosure(
        id=uuid.uuid4(),
        recipient_id=release.recipient_id,
        agreement_id=release.agreement_id,
        inspection_grant_id=release.inspection_grant_id,
        purpose=decision.purpose.value if decision.purpose else "",
        lawful_basis=decision.basis or "",
        data_categories=sorted(released),
        channel=DisclosureChannel.API,
        automatic=True,
        recorded_by=principal.subject,
        disclosed_at=now,
        recorded_at=now,
        content_sha256=hashlib.sha256(content).hexdigest(),
        resource_type=decision.resource,
        resource_id=resource_id,
        decision_id=decision.id,
    )
    session.add(disclosure)
    session.add_all(
        DisclosureSubject(disclosure_id=disclosure.id, subject_id=subject_id)
        for subject_id in sorted(set(subject_ids))
    )
    return disclosure
