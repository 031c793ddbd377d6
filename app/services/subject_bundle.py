"""The access bundle: every record in every module about the people confirmed as a request's
subjects, with what the council must tell them about each (UK GDPR Art 15(1)-(2); DPA 2018
s45(2)), the answer for each item, and its release.

The bundle is built under the request's own decision, ``subject_rights`` over the whole of
KPAS: never the requester's view and never the calling officer's ordinary reach (their cases,
their area team), so nothing the council holds about the person is left out because of who
asked or who answers. The only filter is the policy layer's subject state for that purpose
(``Access.visible_subjects``), applied to the confirmed people themselves.

The records themselves, each as an item, are gathered by
``app.services.subject_bundle_records``. For each item the bundle gives: its purposes (the
purposes mask, and for a case the purposes its stage binds its people to), its lawful bases,
whether it is held for ``prosecution`` (DPA 2018 Part 3: the Part 3 rights apply and access
may be restricted item by item, s45(4)), its data categories, its retention period and date,
its source, and the answer of every right on every basis it is held on
(``app.rules.subject_rights.applicability``), in plain English.

Third-party personal data is flagged for review automatically: an item that links another
person (a carer, another child, a parent on a licence, a message to a parent) or whose words
name someone KPAS knows around the subject. Names KPAS does not hold cannot be found this way,
so the bundle is read in full before release. The bundle is not released while any
item awaits review.

Releasing renders the bundle as one JSON document (the items released; those withheld or
restricted listed with their exemption and reason), hashes it (SHA-256), writes a disclosure
to the requester with that hash, and sets the request's ``bundle_sha256`` and
``bundle_disclosure_id``, which its closure needs. Documents are listed by what they are;
their content is not decrypted into the bundle.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.disclosures import Disclosure, DisclosureChannel
from app.models.subject_requests import (
    Exemption,
    ItemDecision,
    MatchStatus,
    RequesterKind,
    RequestRight,
    RequestStatus,
    SubjectRequest,
    SubjectRequestItem,
    SubjectRequestMatch,
)
from app.policies import Access
from app.policies.registry import REGISTRY
from app.repositories.subject_records import SubjectRecordRepository
from app.rules.subject_rights import LAW_ENFORCEMENT, applicability
from app.schemas.subject_request_answers import (
    BuiltUnderRead,
    BundleDecisionRead,
    BundleItemRead,
    BundlePurposeRead,
    BundleRead,
    BundleRecipientRead,
    BundleResourceType,
    BundleSubjectRead,
    ComplaintRoutesRead,
    ItemDecisionInput,
    ItemDecisionKind,
    ItemDecisionsCreate,
    MatchRecordType,
    NotReleasedRead,
    ReleaseRead,
    RetentionRead,
    RightRead,
    ThirdPartyRead,
)
from app.services.concurrency import IfMatch
from app.services.subject_bundle_records import Collector, Item, named
from app.services.subject_requests import (
    REQUESTER_BASIS,
    SUBJECT_RIGHTS,
    _open,
    load_request,
    request_etag,
)

R = BundleResourceType

CONTROLLER = "Kent County Council"
#: The recipient every released bundle is disclosed to (seeded by migration 0019).
DATA_SUBJECT_RECIPIENT = "data-subject"
BUNDLE_SOURCE = "UK GDPR Art 15; DPA 2018 s45"
COMPLAINTS = ComplaintRoutesRead(
    council="Write to Kent County Council's Information Resilience and Transparency Team at "
    "data.protection@kent.gov.uk. We acknowledge a complaint within 30 days and tell you the "
    "outcome (Data Protection Act 2018 section 164A).",
    ico="You can complain to the Information Commissioner's Office: "
    "https://ico.org.uk/make-a-complaint/, telephone 0303 123 1113, or Wycliffe House, Water "
    "Lane, Wilmslow, Cheshire SK9 5AF.",
    data_protection_officer="Benjamin Watts",
)

#: What each exemption or restriction is, by provision.
PROVISIONS: dict[Exemption, str] = {
    Exemption.CRIME_AND_TAXATION: "DPA 2018 Sch 2 para 2",
    Exemption.THIRD_PARTY: "DPA 2018 Sch 2 paras 16-17",
    Exemption.SOCIAL_WORK_SERIOUS_HARM: "DPA 2018 Sch 3 Part 3",
    Exemption.EDUCATION_SERIOUS_HARM: "DPA 2018 Sch 3 Part 4",
    Exemption.LEGAL_PROFESSIONAL_PRIVILEGE: "DPA 2018 Sch 2 para 19",
    Exemption.PART3_PREJUDICE: "DPA 2018 s45(4)",
}
THIRD_PARTY_PROVISION = PROVISIONS[Exemption.THIRD_PARTY]
THIRD_PARTY_REASON = (
    "Holds personal data of someone other than the subject: a person reviews it before release."
)
RELEASED_REASON = "Released in full."


def provision(exemption: Exemption | None) -> str | None:
    return None if exemption is None else PROVISIONS[exemption]


# --- what every item carries ------------------------------------------------------------------


@dataclass(slots=True)
class Built:
    """A bundle as built now: its items with their answers, ready to render."""

    request: SubjectRequest
    subjects: list[BundleSubjectRead]
    items: list[BundleItemRead]
    recipients: list[BundleRecipientRead]
    possible_matches: int
    #: Every data subject whose data is in the bundle (the subjects and those linked).
    subject_ids: set[uuid.UUID]
    generated_at: datetime
    #: By item: the other people whose data it holds.
    others: dict[tuple[str, str], set[uuid.UUID]] = field(default_factory=dict)

    @property
    def awaiting_review(self) -> int:
        return sum(1 for i in self.items if i.decision.decision is ItemDecision.THIRD_PARTY_REVIEW)

    def index(self) -> dict[tuple[str, str], BundleItemRead]:
        return {(i.resource_type.value, i.resource_id): i for i in self.items}


def _rights(bases: Sequence[str]) -> list[RightRead]:
    return [
        RightRead(
            right=right,
            basis=basis,
            applies=answer.applies,
            conditional=answer.conditional,
            provision=answer.provision,
            reason=answer.reason,
        )
        for basis in bases
        for right in RequestRight
        for answer in (applicability(right, basis),)
    ]


def _decision(
    item: Item, third_party: bool, recorded: SubjectRequestItem | None
) -> BundleDecisionRead:
    if recorded is not None:
        return BundleDecisionRead(
            decision=recorded.decision,
            exemption=recorded.exemption,
            provision=provision(recorded.exemption)
            or (
                THIRD_PARTY_PROVISION
                if recorded.decision is ItemDecision.THIRD_PARTY_REVIEW
                else None
            ),
            reason=recorded.reason,
            decided_by=recorded.decided_by,
            decided_at=recorded.decided_at,
            automatic=False,
        )
    if third_party:
        return BundleDecisionRead(
            decision=ItemDecision.THIRD_PARTY_REVIEW,
            exemption=None,
            provision=THIRD_PARTY_PROVISION,
            reason=THIRD_PARTY_REASON,
            decided_by=None,
            decided_at=None,
            automatic=True,
        )
    return BundleDecisionRead(
        decision=ItemDecision.RELEASED,
        exemption=None,
        provision=None,
        reason=None,
        decided_by=None,
        decided_at=None,
        automatic=True,
    )


async def _confirmed(
    repository: SubjectRecordRepository, access: Access, request: SubjectRequest
) -> tuple[list[SubjectRequestMatch], int]:
    """The request's confirmed matches the purpose may reach today, and how many matches are
    still possible."""
    matches = await repository.matches(request.id)
    confirmed = [m for m in matches if m.status is MatchStatus.CONFIRMED]
    reachable = await repository.visible_subject_ids(
        [m.subject_id for m in confirmed], visible=access.visible_subjects
    )
    possible = sum(1 for m in matches if m.status is MatchStatus.POSSIBLE)
    return [m for m in confirmed if m.subject_id in reachable], possible


async def build(session: AsyncSession, access: Access, request: SubjectRequest) -> Built:
    """The bundle of a request as its records and answers stand now."""
    repository = SubjectRecordRepository(session)
    confirmed, possible = await _confirmed(repository, access, request)
    collector = Collector(repository, confirmed)
    if confirmed:
        await collector.collect()
    recorded = {(r.resource_type, r.resource_id): r for r in await repository.items(request.id)}
    people = list(collector.known.values())
    own = frozenset(collector.surnames)
    retention = await repository.subjects(
        {i.retention_subject for i in collector.items if i.retention_subject} - collector.subjects
    )
    retention.update(await repository.subjects(collector.subjects))
    items: list[BundleItemRead] = []
    everyone: set[uuid.UUID] = set(collector.subjects)
    linked: dict[tuple[str, str], set[uuid.UUID]] = {}
    for item in collector.items:
        others = dict(item.linked)
        if item.scan:
            for subject_id, why in named(item.data, people, own).items():
                others.setdefault(subject_id, why)
        everyone |= set(others)
        linked[item.key] = set(others)
        footing = item.footing
        subject = retention.get(item.retention_subject) if item.retention_subject else None
        items.append(
            BundleItemRead(
                resource_type=item.resource_type,
                resource_id=item.resource_id,
                subject_id=item.subject_id,
                title=item.title,
                recorded_at=item.recorded_at,
                data=item.data,
                purposes=[
                    BundlePurposeRead(code=p.value, wording=REGISTRY[p].wording)
                    for p in footing.purposes
                ],
                lawful_basis=footing.bases,
                law_enforcement=footing.law_enforcement,
                categories=item.categories,
                special_category=item.special_category,
                retention=RetentionRead(
                    period=item.period, retain_until=subject.retain_until if subject else None
                ),
                source=item.source,
                rights=_rights(footing.bases),
                third_party=ThirdPartyRead(
                    present=bool(others), reasons=sorted(set(others.values()))
                ),
                decision=_decision(item, bool(others), recorded.get(item.key)),
            )
        )
    subjects = [
        BundleSubjectRead(
            subject_id=m.subject_id,
            record_type=MatchRecordType(m.record_type),
            record_id=m.record_id,
            name=collector.names.get(m.subject_id, ""),
            matched_on=list(m.matched_on),
            confirmed_by=m.decided_by,
            confirmed_at=m.decided_at,
        )
        for m in confirmed
    ]
    return Built(
        request=request,
        subjects=subjects,
        items=items,
        recipients=_recipients(items),
        possible_matches=possible,
        subject_ids=everyone,
        generated_at=access.now,
        others=linked,
    )


def _recipients(items: Sequence[BundleItemRead]) -> list[BundleRecipientRead]:
    """The recipients in the disclosure log, each release counted once however many of the
    subjects it was about."""
    releases: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.resource_type is R.DISCLOSURE:
            releases.setdefault(item.resource_id.split(":", 1)[0], item.data)
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for data in releases.values():
        grouped[data["recipient_id"]].append(data)
    found = []
    for recipient_id, rows in grouped.items():
        times = sorted(datetime.fromisoformat(r["disclosed_at"]) for r in rows)
        found.append(
            BundleRecipientRead(
                recipient_id=uuid.UUID(recipient_id),
                name=rows[0]["recipient"],
                kind=rows[0]["recipient_kind"],
                disclosures=len(rows),
                first_disclosed_at=times[0],
                last_disclosed_at=times[-1],
                purposes=sorted({r["purpose"] for r in rows}),
                through_the_api=sum(1 for r in rows if r["through_the_api"]),
            )
        )
    return sorted(found, key=lambda r: (r.name, str(r.recipient_id)))


def document(built: Built, *, released: ReleaseRead | None = None) -> BundleRead:
    """The bundle as a JSON document: a preview (every item, with its answer), or the
    released bundle (the items released; the rest listed in ``not_released``)."""
    request = built.request
    items = built.items
    not_released: list[NotReleasedRead] = []
    if released is not None:
        kept = []
        for item in items:
            if item.decision.decision is ItemDecision.RELEASED:
                kept.append(item)
            else:
                not_released.append(
                    NotReleasedRead(
                        resource_type=item.resource_type,
                        resource_id=item.resource_id,
                        decision=item.decision.decision,
                        exemption=item.decision.exemption,
                        provision=item.decision.provision,
                        reason=item.decision.reason,
                    )
                )
        items = kept
    else:
        not_released = [
            NotReleasedRead(
                resource_type=item.resource_type,
                resource_id=item.resource_id,
                decision=item.decision.decision,
                exemption=item.decision.exemption,
                provision=item.decision.provision,
                reason=item.decision.reason,
            )
            for item in items
            if item.decision.decision in (ItemDecision.WITHHELD, ItemDecision.RESTRICTED)
        ]
    return BundleRead(
        request_id=request.id,
        reference=request.reference,
        right=request.right,
        received_on=request.received_on,
        due_on=request.due_on,
        status="released" if released is not None else "preview",
        generated_at=built.generated_at,
        built_under=BuiltUnderRead(
            purpose=SUBJECT_RIGHTS.value, basis=REQUESTER_BASIS, view="system_wide"
        ),
        controller=CONTROLLER,
        subjects=built.subjects,
        items=items,
        recipients=built.recipients,
        not_released=not_released,
        awaiting_review=built.awaiting_review,
        released_sha256=None if released is not None else request.bundle_sha256,
        complaints=COMPLAINTS,
        release=released,
    )


# --- use cases ---------------------------------------------------------------------------------


async def get_bundle(session: AsyncSession, access: Access, *, request_id: uuid.UUID) -> BundleRead:
    """The bundle as it stands (a preview: every item with its answer). Every data subject
    whose data it holds is named in the audit trail."""
    request = await load_request(session, access, request_id)
    built = await build(session, access, request)
    access.touched(subject_ids=sorted(built.subject_ids), resource_id=request.id)
    return document(built)


def _refuse(pointer: str, detail: str, code: str) -> dict[str, Any]:
    return body_problem(pointer, detail, code)


def _item_problems(
    data: ItemDecisionsCreate, index: Mapping[tuple[str, str], BundleItemRead]
) -> list[dict[str, Any]]:
    problems = []
    for n, given in enumerate(data.items):
        item = index.get((given.resource_type.value, given.resource_id))
        if item is None:
            problems.append(
                _refuse(
                    f"/items/{n}/resource_id",
                    "No such item in the request's bundle (confirmed matches only).",
                    "unknown_item",
                )
            )
            continue
        if given.decision is ItemDecisionKind.RESTRICTED and not item.law_enforcement:
            problems.append(
                _refuse(
                    f"/items/{n}/decision",
                    "Only a record held for law enforcement (prosecution, DPA 2018 Part 3) is "
                    "restricted under s45(4); withhold this one under an exemption instead.",
                    "not_law_enforcement",
                )
            )
        if given.decision is ItemDecisionKind.WITHHELD and item.lawful_basis == [LAW_ENFORCEMENT]:
            problems.append(
                _refuse(
                    f"/items/{n}/decision",
                    "The record is held for law enforcement alone (DPA 2018 Part 3): the UK "
                    "GDPR exemptions do not apply to it; restrict access under s45(4).",
                    "part3_restriction",
                )
            )
    return problems


def _exemption(given: ItemDecisionInput) -> Exemption | None:
    if given.decision is ItemDecisionKind.RESTRICTED:
        return Exemption.PART3_PREJUDICE
    return Exemption(given.exemption.value) if given.exemption is not None else None


async def decide_items(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, data: ItemDecisionsCreate
) -> list[SubjectRequestItem]:
    """Record the answer for each item given (all or none: 422 naming each item that cannot
    be answered so). A later answer for an item replaces the earlier; the audit trail keeps
    every one."""
    request = await load_request(session, access, request_id, for_update=True)
    _open(request)
    built = await build(session, access, request)
    index = built.index()
    problems = _item_problems(data, index)
    if problems:
        raise ValidationFailed("The answers cannot be recorded as given.", errors=problems)
    repository = SubjectRecordRepository(session)
    held = {(r.resource_type, r.resource_id): r for r in await repository.items(request.id)}
    answered: list[SubjectRequestItem] = []
    for given in data.items:
        key = (given.resource_type.value, given.resource_id)
        item = index[key]
        row = held.get(key)
        if row is None:
            row = SubjectRequestItem(
                id=uuid.uuid4(),
                request_id=request.id,
                resource_type=key[0],
                resource_id=key[1],
            )
            repository.add(row)
        row.subject_id = item.subject_id
        row.decision = ItemDecision(given.decision.value)
        row.exemption = _exemption(given)
        row.reason = given.reason or RELEASED_REASON
        row.decided_by = access.principal.subject
        row.decided_at = access.now
        answered.append(row)
    await session.flush()
    for row in answered:
        access.record_change(
            "subject_request.item_decided",
            resource_id=request.id,
            subject_id=row.subject_id,
            details={
                "resource_type": row.resource_type,
                "resource_id": row.resource_id,
                "decision": row.decision.value,
                "exemption": row.exemption.value if row.exemption else None,
            },
        )
    access.touched(subject_ids=sorted({r.subject_id for r in answered}), resource_id=request.id)
    return answered


@dataclass(slots=True)
class Released:
    request: SubjectRequest
    bundle: BundleRead
    #: Exactly the JSON released, and its SHA-256 (hex).
    content: bytes
    sha256: str


def _release_conflict(detail: str, rule: str, **extra: Any) -> Conflict:
    return Conflict(detail, extra={"rule": rule, "source": BUNDLE_SOURCE, **extra})


def _check_releasable(request: SubjectRequest) -> None:
    if request.right is not RequestRight.ACCESS:
        raise _release_conflict(
            f"The request is for {request.right.value}: a bundle is the answer to an access "
            "request.",
            "access_request_only",
        )
    if request.status is RequestStatus.AWAITING_IDENTITY:
        raise _release_conflict(
            "The identity information asked for has not arrived: nothing is released until the "
            "council is sure who it is answering (UK GDPR Art 12(6)).",
            "identity_confirmed",
        )
    if (
        request.requester_kind is not RequesterKind.SUBJECT
        and request.authority_accepted_at is None
    ):
        raise _release_conflict(
            "The requester asks for someone else: accept their evidence of authority before "
            "releasing the person's data to them.",
            "authority_accepted",
        )


async def release(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, if_match: IfMatch
) -> Released:
    """Release the bundle to the requester (If-Match on the request): render it as JSON, hash
    it, write the disclosure with the hash, and set the request's ``bundle_sha256`` and
    ``bundle_disclosure_id``. Refused (409, naming the rule) for another right, before
    identity or authority is confirmed, with no confirmed match, with a match still possible,
    or while an item awaits third-party review. A bundle may be released again while the
    request is open (after a review of an item, say): each release is its own disclosure."""
    request = await load_request(session, access, request_id, for_update=True)
    if_match.require(request_etag(request))
    _open(request)
    _check_releasable(request)
    built = await build(session, access, request)
    if not built.subjects:
        raise _release_conflict(
            "No match is confirmed: confirm whom the request is about first, or close it as "
            "`no_data_held` if the council holds nothing about them.",
            "match_confirmed",
        )
    if built.possible_matches:
        raise _release_conflict(
            f"{built.possible_matches} match(es) are still possible: confirm or reject each, "
            "so the bundle holds everything about the subject and nothing about anyone else.",
            "matches_decided",
            possible_matches=built.possible_matches,
        )
    if built.awaiting_review:
        raise _release_conflict(
            f"{built.awaiting_review} item(s) hold third-party personal data and await review "
            "(DPA 2018 Sch 2 paras 16-17): release, withhold or restrict each first.",
            "third_party_reviewed",
            awaiting_review=built.awaiting_review,
        )
    repository = SubjectRecordRepository(session)
    recipient = await repository.recipient(DATA_SUBJECT_RECIPIENT)
    if recipient is None or not recipient.active:
        raise _release_conflict(
            "The data subject is not an active recipient in the disclosure log.",
            "recipient_active",
        )
    disclosure_id = uuid.uuid4()
    who = access.principal.subject
    released = document(
        built,
        released=ReleaseRead(disclosure_id=disclosure_id, released_at=access.now, released_by=who),
    )
    content = released.model_dump_json().encode("utf-8")
    sha256 = hashlib.sha256(content).hexdigest()
    released_subjects: set[uuid.UUID] = set()
    for item in released.items:
        released_subjects.add(item.subject_id)
        released_subjects |= built.others.get((item.resource_type.value, item.resource_id), set())
    categories = sorted({c for i in released.items for c in i.categories})
    disclosure = Disclosure(
        id=disclosure_id,
        recipient_id=recipient.id,
        purpose=SUBJECT_RIGHTS.value,
        lawful_basis=REQUESTER_BASIS,
        data_categories=categories,
        channel=DisclosureChannel.SECURE_EMAIL
        if request.requester_email
        else DisclosureChannel.POST,
        automatic=False,
        approved_by=who,
        recorded_by=who,
        disclosed_at=access.now,
        recorded_at=access.now,
        content_sha256=sha256,
        request_reference=request.reference,
        resource_type="subject_request",
        resource_id=str(request.id),
        decision_id=access.decision.id,
    )
    await repository.add_disclosure(disclosure, sorted(released_subjects))
    request.bundle_sha256 = sha256
    request.bundle_disclosure_id = disclosure.id
    request.updated_at = access.now
    await session.flush()
    access.touched(subject_ids=sorted(built.subject_ids), resource_id=request.id)
    access.record_change(
        "subject_request.bundle_released",
        resource_id=request.id,
        subject_id=request.subject_id,
        details={
            "disclosure_id": str(disclosure.id),
            "sha256": sha256,
            "items": len(released.items),
            "not_released": len(released.not_released),
            "subjects": len(built.subjects),
        },
    )
    return Released(request, released, content, sha256)
