"""Acting on a data-subject request: which right applies to each record held about the
person, and the actions that answer a request.

Applicability is computed record by record from the lawful basis each is held on
(``app.rules.subject_rights.applicability``), for every confirmed match of the request, under
the request's own purpose (``subject_rights``), never the requester's view.

Each action names a confirmed match, writes a ``SubjectRequestAction`` and an audit event in
the request's transaction, and changes the state the policy layer already enforces, so the
change holds for every route at once:

- ``rectified``: the matched pupil, carer or person is corrected through that record's own
  update service (its checks, its ETag, its audit event), under the caller's own decision
  for that record (``*.governance.rectify``). The audit trail names the fields and carries a
  digest of the values; the values before and after are kept on the action (see
  ``SubjectRequestAction``). The recipients who received the person's data are listed from
  the disclosure log, to be told (Art 19).
- ``restricted`` / ``restriction_lifted``: ``DataSubject.restricted_since`` is set or cleared
  (Art 18); the policy layer then refuses the person's data except on the Art 18(2) grounds.
  Lifting queues the letter or email that tells the requester, in the same transaction
  (Art 18(3)).
- ``objection_recorded`` / ``objection_decided``: a ``SubjectObjection`` for one purpose
  (Art 21(1)), only where the person's records for it are held on 6(1)(e).
- ``erased``: only records whose basis lets the right reach them (Art 17(3)(b)); each is
  deleted with its parts, and the action records types, ids and row counts.

Services never commit: a failure anywhere leaves nothing written.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record
from app.errors import Conflict, Forbidden, ValidationFailed, body_problem
from app.models.messages import Channel
from app.models.subject_requests import (
    ActionKind,
    MatchStatus,
    RequestRight,
    RequestStatus,
    SubjectRequest,
    SubjectRequestAction,
    SubjectRequestMatch,
)
from app.models.subjects import ObjectionStatus, SubjectObjection
from app.policies import Access
from app.policies.registry import PURPOSE_BITS, REGISTRY, decision_facts, purposes_of
from app.repositories.pagination import PageRequest
from app.repositories.subject_request_actions import (
    HeldRecord,
    RecipientTold,
    SubjectRequestActionRepository,
)
from app.repositories.subjects import SubjectRepository
from app.rules.subject_rights import BASES, Applicability, applicability
from app.schemas.subject_request_actions import (
    AnyActionCreate,
    ErasedCreate,
    ObjectionDecidedCreate,
    ObjectionRecordedCreate,
    RectifiedCreate,
    RestrictedCreate,
    RestrictionLiftedCreate,
    TellBy,
)
from app.services import carers, licensing_people, pupils
from app.services.concurrency import IfMatch
from app.services.subject_requests import QueuedMessage, _open, _tell, load_request

ACTION_NOT_FOUND = "No action with that id on this request."

#: The rights each action answers. Restriction also answers a rectification (Art 18(1)(a):
#: while accuracy is checked), an objection (Art 18(1)(d): while it is decided) and an
#: erasure request (Art 18(1)(b), (c): restriction instead of erasure).
_RESTRICTION_RIGHTS = frozenset(
    {
        RequestRight.RESTRICTION,
        RequestRight.RECTIFICATION,
        RequestRight.OBJECTION,
        RequestRight.ERASURE,
    }
)
ACTION_RIGHTS: Mapping[ActionKind, frozenset[RequestRight]] = {
    ActionKind.RECTIFIED: frozenset({RequestRight.RECTIFICATION}),
    ActionKind.RESTRICTED: _RESTRICTION_RIGHTS,
    ActionKind.RESTRICTION_LIFTED: _RESTRICTION_RIGHTS,
    ActionKind.OBJECTION_RECORDED: frozenset({RequestRight.OBJECTION}),
    ActionKind.OBJECTION_DECIDED: frozenset({RequestRight.OBJECTION}),
    ActionKind.ERASED: frozenset({RequestRight.ERASURE}),
}

RECTIFICATION_SOURCE = "UK GDPR Art 16; DPA 2018 s46"
RESTRICTION_SOURCE = "UK GDPR Art 18; DPA 2018 s47(2)"
OBJECTION_SOURCE = "UK GDPR Art 21(1)"
#: What the requester is told before a restriction is lifted, unless the action says more.
LIFTING_TOLD = (
    "We are lifting the restriction on our use of the personal information your request is "
    "about. Contact us straight away if you disagree."
)


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _conflict(detail: str, rule: str, source: str, **extra: str) -> Conflict:
    return Conflict(detail, extra={"rule": rule, "source": source, **extra})


@dataclass(slots=True)
class ActionView:
    """An action with the recipients it lists (Art 19) and the message it queued."""

    action: SubjectRequestAction
    recipients: list[RecipientTold] = field(default_factory=list)
    #: Letters and emails this call queued.
    messages: list[QueuedMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RecordAnswer:
    record: HeldRecord
    answer: Applicability

    @property
    def purposes(self) -> list[str]:
        return [p.value for p in purposes_of(self.record.purposes_mask)]


@dataclass(frozen=True, slots=True)
class MatchAnswers:
    match: SubjectRequestMatch
    records: list[RecordAnswer]


@dataclass(frozen=True, slots=True)
class BasisAnswer:
    lawful_basis: str
    records: int
    answer: Applicability


@dataclass(frozen=True, slots=True)
class ApplicabilityView:
    request: SubjectRequest
    matches: list[MatchAnswers]
    bases: list[BasisAnswer]


def changes_digest(changes: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a rectification's stored values: JSON with sorted keys and no
    whitespace, as the audit event records it."""
    text = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


# --- applicability ---------------------------------------------------------------------------


async def _held(
    repository: SubjectRequestActionRepository, access: Access, subject_ids: Sequence[uuid.UUID]
) -> list[HeldRecord]:
    """Every record about these people the request's purpose may reach (all of them, but
    those past their retention date, which only retention management sees)."""
    return await repository.records_of(subject_ids, visible=access.visible_subjects)


async def applicability_of(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID
) -> ApplicabilityView:
    """For every confirmed match, every record held about the person, with whether the
    request's right applies to it, the provision and the reason in plain English; and the
    same answer per lawful basis, for the response letter."""
    request = await load_request(session, access, request_id)
    repository = SubjectRequestActionRepository(session)
    matches = await repository.matches(request.id, statuses={MatchStatus.CONFIRMED})
    held = await _held(repository, access, [m.subject_id for m in matches])
    by_subject: dict[uuid.UUID, list[HeldRecord]] = {}
    for item in held:
        by_subject.setdefault(item.subject_id, []).append(item)
    answers = [
        MatchAnswers(
            match,
            [
                RecordAnswer(item, applicability(request.right, item.lawful_basis))
                for item in by_subject.get(match.subject_id, [])
            ],
        )
        for match in matches
    ]
    counts: dict[str, int] = {}
    for item in held:
        counts[item.lawful_basis] = counts.get(item.lawful_basis, 0) + 1
    bases = [
        BasisAnswer(basis, counts[basis], applicability(request.right, basis))
        for basis in BASES
        if basis in counts
    ]
    access.touched(subject_ids=[m.subject_id for m in matches], resource_id=request.id)
    return ApplicabilityView(request, answers, bases)


# --- reading actions -------------------------------------------------------------------------


async def _views(
    repository: SubjectRequestActionRepository, actions: Sequence[SubjectRequestAction]
) -> list[ActionView]:
    views = []
    for action in actions:
        recipients: list[RecipientTold] = []
        if action.recipients_to_tell:
            found = await repository.recipients_of([action.subject_id], until=action.performed_at)
            named = set(action.recipients_to_tell)
            recipients = [
                r for r in found.get(action.subject_id, []) if str(r.recipient_id) in named
            ]
        views.append(ActionView(action, recipients))
    return views


async def list_actions(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, page: PageRequest
) -> tuple[list[ActionView], str | None]:
    """A request's actions in the order they were taken."""
    request = await load_request(session, access, request_id)
    repository = SubjectRequestActionRepository(session)
    found, next_cursor = await repository.action_page(request.id, page)
    access.touched(subject_ids=[a.subject_id for a in found], resource_id=request.id)
    return await _views(repository, found), next_cursor


async def get_action(
    session: AsyncSession, access: Access, *, request_id: uuid.UUID, action_id: uuid.UUID
) -> ActionView:
    request = await load_request(session, access, request_id)
    repository = SubjectRequestActionRepository(session)
    action = await repository.action(request.id, action_id)
    if action is None:
        raise access.not_found(action_id, ACTION_NOT_FOUND)
    access.touched(subject_ids=[action.subject_id], resource_id=request.id)
    return (await _views(repository, [action]))[0]


# --- acting ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Acting:
    """What every action works with."""

    session: AsyncSession
    access: Access
    request: SubjectRequest
    match: SubjectRequestMatch
    repository: SubjectRequestActionRepository
    template_ids: Mapping[str, uuid.UUID]

    def action(self, kind: ActionKind, reasons: str, **fields: Any) -> SubjectRequestAction:
        values: dict[str, Any] = {"fields": [], "recipients_to_tell": [], **fields}
        action = SubjectRequestAction(
            id=uuid.uuid4(),
            request_id=self.request.id,
            kind=kind,
            subject_id=self.match.subject_id,
            resource_type=self.match.record_type,
            resource_id=str(self.match.record_id),
            reason=reasons,
            performed_by=self.access.principal.subject,
            performed_at=self.access.now,
            **values,
        )
        self.repository.add(action)
        return action

    def audit(self, action: SubjectRequestAction, **details: str | int | bool | None) -> None:
        self.access.record_change(
            f"subject_request.{action.kind.value}",
            resource_id=self.request.id,
            subject_id=self.match.subject_id,
            details={
                "action_id": str(action.id),
                "record_type": self.match.record_type,
                "record_id": str(self.match.record_id),
                **details,
            },
        )

    async def recipients(self) -> list[RecipientTold]:
        found = await self.repository.recipients_of([self.match.subject_id])
        return found.get(self.match.subject_id, [])


async def _confirmed(
    repository: SubjectRequestActionRepository, request: SubjectRequest, match_id: uuid.UUID
) -> SubjectRequestMatch:
    match = await repository.match(request.id, match_id)
    if match is None:
        raise _refuse("/match_id", "No match with this id on this request.", "unknown_match")
    if match.status is not MatchStatus.CONFIRMED:
        raise _conflict(
            f"The match is {match.status.value}: only a person confirmed as the one the request "
            "is about is acted on.",
            "match_confirmed",
            "UK GDPR Art 12(2), (6)",
        )
    return match


def record_access(access: Access, resource: str, action: str) -> Access:
    """The caller's own decision to ``action`` a record of ``resource`` under the request's
    purpose (for rectification, the ``*.governance.rectify`` rules), recorded in the audit
    trail as a decision of its own; 403 naming the rule when the rules refuse it."""
    decision = access.engine.decide(
        access.principal, resource, action, access.purpose, now=access.now
    )
    principal = access.principal
    role = decision.role.value if decision.role else ",".join(sorted(principal.roles))
    record(
        access.session,
        PendingAuditEvent(
            kind="decision",
            action=f"{resource}.{action}",
            outcome=decision.outcome,
            decision_id=decision.id,
            rule=decision.rule,
            purpose=decision.purpose.value if decision.purpose else None,
            basis=decision.basis,
            actor=principal.subject,
            actor_role=role[:40],
            resource_type=resource,
            details={
                "reason": "allowed" if decision.allowed else decision.reason,
                **decision_facts(decision.purpose),
            },
        ),
    )
    if not decision.allowed:
        raise Forbidden(
            f"Refused by rule {decision.rule}: {decision.reason}.",
            policy={
                "rule": decision.rule,
                "purpose": decision.purpose.value if decision.purpose else None,
                "reason": decision.reason,
            },
        )
    return Access(
        engine=access.engine,
        decision=decision,
        principal=principal,
        session=access.session,
        now=access.now,
    )


# --- rectification ---------------------------------------------------------------------------

#: The records a rectification corrects, each through its own update service, and the
#: policy action the caller's rules must allow on it: governance updates pupils and carers
#: (``*.governance.rectify``); a person on a licence it corrects only in answer to a request
#: (``people.governance.rectify``: ``rectify``, which no other route takes).
RECTIFIABLE: Mapping[str, str] = {"pupil": "update", "carer": "update", "person": "rectify"}


async def _update(
    session: AsyncSession, access: Access, record_id: uuid.UUID, data: RectifiedCreate
) -> None:
    """Correct the record through its own update service: its checks, its ETag (412 when
    ``record_etag`` is not current) and its own audit event."""
    tag = IfMatch.parse(data.record_etag)
    if data.pupil is not None:
        await pupils.update_pupil(
            session, access, pupil_id=record_id, changes=data.pupil, if_match=tag
        )
    elif data.carer is not None:
        await carers.update_carer(
            session, access, carer_id=record_id, changes=data.carer, if_match=tag
        )
    elif data.person is not None:
        await licensing_people.update_person(
            session, access, person_id=record_id, changes=data.person, if_match=tag
        )


async def _rectify(acting: _Acting, data: RectifiedCreate) -> ActionView:
    match = acting.match
    if data.record_type != match.record_type:
        raise _refuse(
            f"/{data.record_type}",
            f"The match is a {match.record_type} record: give the changes under "
            f"`{match.record_type}`.",
            "not_the_matched_record",
        )
    if match.record_type not in RECTIFIABLE:
        raise _conflict(
            f"A {match.record_type} record is not corrected through this action.",
            "rectification_supported",
            RECTIFICATION_SOURCE,
        )
    held = await acting.repository.record(match.record_type, match.record_id)
    names = sorted(data.changes())
    before = {name: to_jsonable_python(getattr(held, name, None)) for name in names}
    record_acting = record_access(acting.access, match.record_type, RECTIFIABLE[match.record_type])
    await _update(acting.session, record_acting, match.record_id, data)
    held = await acting.repository.record(match.record_type, match.record_id)
    after = {name: to_jsonable_python(getattr(held, name, None)) for name in names}
    changed = [name for name in names if before[name] != after[name]]
    if not changed:
        raise _refuse(
            f"/{match.record_type}",
            "The record already holds these values: there is nothing to correct.",
            "unchanged",
        )
    changes = {
        "salt": secrets.token_hex(16),
        "fields": {name: {"before": before[name], "after": after[name]} for name in changed},
    }
    recipients = await acting.recipients()
    action = acting.action(
        ActionKind.RECTIFIED,
        data.reasons,
        fields=changed,
        changes=changes,
        recipients_to_tell=[str(r.recipient_id) for r in recipients],
    )
    await acting.session.flush()
    acting.audit(
        action,
        fields=",".join(changed),
        changes_sha256=changes_digest(changes),
        recipients_to_tell=len(recipients),
    )
    return ActionView(action, recipients)


# --- restriction -----------------------------------------------------------------------------


async def _restrict(acting: _Acting, data: RestrictedCreate) -> ActionView:
    subject = await acting.repository.subject(acting.match.subject_id, for_update=True)
    if subject.restricted_since is not None:
        raise _conflict(
            f"Processing of this person's data is already restricted (since "
            f"{subject.restricted_since:%Y-%m-%d}).",
            "restriction_once",
            RESTRICTION_SOURCE,
        )
    subject.restricted_since = acting.access.now
    recipients = await acting.recipients()
    action = acting.action(
        ActionKind.RESTRICTED,
        data.reasons,
        ground=data.ground.value,
        recipients_to_tell=[str(r.recipient_id) for r in recipients],
    )
    await acting.session.flush()
    acting.audit(action, ground=data.ground.value, recipients_to_tell=len(recipients))
    return ActionView(action, recipients)


def _tell_channel(request: SubjectRequest, chosen: TellBy | None) -> Channel:
    if chosen is TellBy.EMAIL or (chosen is None and request.requester_email):
        if not request.requester_email:
            raise _refuse(
                "/tell_by", "No email address is held for the requester.", "no_email_address"
            )
        return Channel.EMAIL
    if not request.requester_address:
        raise _refuse(
            "/tell_by", "No postal address is held for the requester.", "no_postal_address"
        )
    return Channel.LETTER


async def _lift(acting: _Acting, data: RestrictionLiftedCreate) -> ActionView:
    channel = _tell_channel(acting.request, data.tell_by)
    subject = await acting.repository.subject(acting.match.subject_id, for_update=True)
    if subject.restricted_since is None:
        raise _conflict(
            "Processing of this person's data is not restricted: there is nothing to lift.",
            "restriction_in_force",
            RESTRICTION_SOURCE,
        )
    subject.restricted_since = None
    action = acting.action(ActionKind.RESTRICTION_LIFTED, data.reasons)
    await acting.session.flush()
    # Art 18(3): the requester is told before the restriction is lifted. The letter or
    # email is queued in this transaction: if it cannot be sent, nothing is lifted.
    told = _tell(
        acting.session,
        acting.access,
        acting.request,
        "subject_request_response",
        {"request_reference": acting.request.reference, "outcome": data.told or LIFTING_TOLD},
        acting.template_ids,
        channel=channel,
        pointer="/tell_by",
    )
    action.message_id = told.id
    await acting.session.flush()
    acting.audit(action, message_id=str(told.id), channel=channel.value)
    return ActionView(action, [], [told])


# --- objections ------------------------------------------------------------------------------


async def _object(acting: _Acting, data: ObjectionRecordedCreate) -> ActionView:
    purpose = data.purpose
    spec = REGISTRY[purpose]
    held = await _held(acting.repository, acting.access, [acting.match.subject_id])
    reached = [
        item
        for item in held
        if item.purposes_mask & PURPOSE_BITS[purpose]
        and applicability(RequestRight.OBJECTION, item.lawful_basis).applies
    ]
    if not spec.objection_applies:
        raise _conflict(
            f"The right to object does not reach {purpose.value}: it rests on "
            f"{spec.basis_label}"
            + (f" and {spec.schedule2_exemption}" if spec.schedule2_exemption else "")
            + ", not on a public task alone (Art 21(1) reaches processing on 6(1)(e)).",
            "objection_applies",
            OBJECTION_SOURCE,
        )
    if not reached and not spec.honours_notice_to_stop:
        raise _conflict(
            f"No record of this person is held for {purpose.value} on a basis the right to "
            "object reaches (6(1)(e)).",
            "objection_applies",
            OBJECTION_SOURCE,
        )
    if await acting.repository.objection(acting.match.subject_id, purpose.value) is not None:
        raise _conflict(
            f"An objection to {purpose.value} is already recorded for this person: decide it "
            "(`objection_decided`).",
            "objection_once",
            OBJECTION_SOURCE,
        )
    objection = SubjectObjection(
        id=uuid.uuid4(),
        subject_id=acting.match.subject_id,
        purpose=purpose.value,
        status=ObjectionStatus.PENDING,
        restrict_pending=data.restrict_pending,
    )
    acting.repository.add(objection)
    action = acting.action(ActionKind.OBJECTION_RECORDED, data.reasons, purpose=purpose.value)
    await acting.session.flush()
    acting.audit(
        action,
        objection_id=str(objection.id),
        purpose=purpose.value,
        restrict_pending=data.restrict_pending,
    )
    return ActionView(action)


async def _decide(acting: _Acting, data: ObjectionDecidedCreate) -> ActionView:
    purpose = data.purpose.value
    objection = await acting.repository.objection(acting.match.subject_id, purpose, for_update=True)
    if objection is None:
        raise _conflict(
            f"No objection to {purpose} is recorded for this person: record it first "
            "(`objection_recorded`).",
            "objection_recorded",
            OBJECTION_SOURCE,
        )
    if objection.status is not ObjectionStatus.PENDING:
        raise _conflict(
            f"The objection to {purpose} was decided ({objection.status.value}).",
            "objection_decided_once",
            OBJECTION_SOURCE,
        )
    outcome = ObjectionStatus(data.outcome.value)
    await SubjectRepository(acting.session).decide_objection(
        objection,
        outcome=outcome,
        reason=data.reasons,
        decided_by=acting.access.principal.subject,
        now=acting.access.now,
    )
    action = acting.action(
        ActionKind.OBJECTION_DECIDED, data.reasons, purpose=purpose, objection_outcome=outcome
    )
    await acting.session.flush()
    acting.audit(action, objection_id=str(objection.id), purpose=purpose, outcome=outcome.value)
    return ActionView(action)


# --- erasure ---------------------------------------------------------------------------------

#: Records the service erases itself, and how: a case with every part of it; a document or
#: an exclusion on its own. Other kinds are held on bases erasure never reaches here.
ERASABLE = ("case_document", "exclusion", "case")


async def _erase(acting: _Acting, data: ErasedCreate) -> ActionView:
    held = {
        (item.resource_type, item.resource_id): item
        for item in await _held(acting.repository, acting.access, [acting.match.subject_id])
    }
    chosen: list[tuple[HeldRecord, Applicability]] = []
    for index, ref in enumerate(data.records):
        item = held.get((ref.resource_type.value, ref.resource_id))
        if item is None:
            raise _refuse(
                f"/records/{index}",
                "The matched person has no such record.",
                "unknown_record",
            )
        answer = applicability(RequestRight.ERASURE, item.lawful_basis)
        if not (answer.applies or answer.conditional):
            raise _conflict(
                f"The {item.resource_type} {item.resource_id} is held on {item.lawful_basis}: "
                f"{answer.reason} ({answer.provision})",
                "erasure_applies",
                answer.provision,
                resource_type=item.resource_type,
                resource_id=str(item.resource_id),
                lawful_basis=item.lawful_basis,
            )
        if item.resource_type not in ERASABLE:
            raise _conflict(
                f"A {item.resource_type} record is not erased through this action; the records "
                f"erased here are: {', '.join(ERASABLE)}.",
                "erasure_supported",
                answer.provision,
                resource_type=item.resource_type,
                resource_id=str(item.resource_id),
            )
        chosen.append((item, answer))
    # A case's documents go with it: documents and exclusions first, then cases.
    chosen.sort(key=lambda pair: ERASABLE.index(pair[0].resource_type))
    erased: list[dict[str, Any]] = []
    for item, answer in chosen:
        if item.resource_type == "case":
            rows = await acting.repository.delete_case(item.resource_id)
        else:
            rows = await acting.repository.delete_record(item.resource_type, item.resource_id)
        erased.append(
            {
                "resource_type": item.resource_type,
                "resource_id": str(item.resource_id),
                "lawful_basis": item.lawful_basis,
                "provision": answer.provision,
                "method": "deleted",
                "rows": rows,
            }
        )
    recipients = await acting.recipients()
    action = acting.action(
        ActionKind.ERASED,
        data.reasons,
        ground=data.ground.value,
        erased=erased,
        recipients_to_tell=[str(r.recipient_id) for r in recipients],
    )
    await acting.session.flush()
    acting.audit(
        action,
        ground=data.ground.value,
        erased=",".join(f"{e['resource_type']}:{e['resource_id']}" for e in erased),
        rows=sum(sum(e["rows"].values()) for e in erased),
        recipients_to_tell=len(recipients),
    )
    return ActionView(action, recipients)


async def act(
    session: AsyncSession,
    access: Access,
    *,
    request_id: uuid.UUID,
    data: AnyActionCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> ActionView:
    """Take one action in answer to an open request, on one of its confirmed matches. 409 on
    a closed request (``request_open``), before identity is confirmed, for an action that
    does not answer the request's right, or where the rules refuse it (``rule`` names which)."""
    request = await load_request(session, access, request_id, for_update=True)
    _open(request)
    if request.status is RequestStatus.AWAITING_IDENTITY:
        raise _conflict(
            "The identity information asked for has not arrived: nothing is done on the "
            "request until it has.",
            "identity_confirmed",
            "UK GDPR Art 12(6); Art 12A",
        )
    kind = ActionKind(data.kind)
    if request.right not in ACTION_RIGHTS[kind]:
        rights = ", ".join(sorted(r.value for r in ACTION_RIGHTS[kind]))
        raise _conflict(
            f"A {request.right.value} request is not answered by `{kind.value}` (it answers: "
            f"{rights}).",
            "action_fits_right",
            "UK GDPR Arts 16-21",
        )
    repository = SubjectRequestActionRepository(session)
    acting = _Acting(
        session=session,
        access=access,
        request=request,
        match=await _confirmed(repository, request, data.match_id),
        repository=repository,
        template_ids=template_ids,
    )
    if isinstance(data, RectifiedCreate):
        view = await _rectify(acting, data)
    elif isinstance(data, RestrictedCreate):
        view = await _restrict(acting, data)
    elif isinstance(data, RestrictionLiftedCreate):
        view = await _lift(acting, data)
    elif isinstance(data, ObjectionRecordedCreate):
        view = await _object(acting, data)
    elif isinstance(data, ObjectionDecidedCreate):
        view = await _decide(acting, data)
    else:
        view = await _erase(acting, data)
    access.touched(subject_ids=[acting.match.subject_id], resource_id=request.id)
    return view
