"""The public intake: data-subject requests and complaints made by anyone, without a token.

The caller has no principal. The routes are public by declaration (``PUBLIC``, which the
route-policy tests hold to a known few), and what they may do is exactly one thing: record a
request or a complaint as it arrives. ``public_access`` builds the ``Access`` that does it, as
the outbox worker and the reminder loop act under names of their own: a fixed actor
(``public-form``), a decision allowing ``create`` on the one resource under
``subject_rights``, recorded in the audit trail like every decision, and nothing else. The
staff lifecycle records the rest under the governance officer's own token.

What the public is told is a reference and what happens next, the same for everyone: no
matching is done here and nothing is read back, so the answer never says whether the council
holds anything about the person. A request is recorded on the ``public_form`` channel by the
lifecycle's own ``record_request``: awaiting identity unless council policy says otherwise
(``Settings.public_request_identity_required``), with the identity request or acknowledgement
queued in the outbox. A complaint is recorded by ``record_complaint`` and acknowledged at
once. A request reference quoted with a complaint links it when a request has it; otherwise it
is kept as given for staff to read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.trail import PendingAuditEvent, record
from app.auth.principal import Principal
from app.errors import ValidationFailed, body_problem
from app.models.subject_requests import ChildCompetence, RequestChannel, RequesterKind
from app.policies import Access
from app.policies.conditions import ALWAYS
from app.policies.engine import Decision, PolicyEngine, new_decision_id
from app.policies.registry import REGISTRY, Purpose, decision_facts
from app.repositories.complaints import ComplaintRepository
from app.schemas.public import PublicComplaintCreate, PublicSubjectRequestCreate
from app.services import complaints, subject_requests
from app.services.subject_requests import Judgement, subject_is_child

#: Who the audit trail and the records name for what the public form records.
PUBLIC_ACTOR = "public-form"
#: The ``actor_role`` of its audit events (no token, so no role from one).
PUBLIC_ROLE = "public"
PUBLIC_ISSUER = "urn:kpas:public-intake"
#: The rules the public routes' decisions name (``PUBLIC`` routes, not rows of the rules table).
REQUEST_RULE = "subject_requests.public_form"
COMPLAINT_RULE = "complaints.public_form"

#: Recorded as the identity request's note on a request made through the public form.
IDENTITY_NOTE = (
    "Made through the public form: proof of the requester's identity, and for someone else's "
    "request of their authority, is asked for before the clock starts."
)

REQUEST_NEXT_STEPS_IDENTITY = (
    "We have received your request. We will write to you, by email if you gave us an "
    "address, to ask for proof of your identity (and, if you asked for someone else, of your "
    "authority to do so). The time we have to answer starts when it arrives. Quote this "
    "reference whenever you contact us."
)
REQUEST_NEXT_STEPS = (
    "We have received your request. We will write to you, by email if you gave us an "
    "address, to confirm it and to say by when we will answer. Quote this reference whenever "
    "you contact us."
)
COMPLAINT_NEXT_STEPS = (
    "We have received your complaint and are sending you an acknowledgement, by email if you "
    "gave us an address. We will tell you how it progresses and what we decide. Quote this "
    "reference whenever you contact us."
)


def public_access(
    session: AsyncSession, engine: PolicyEngine, *, resource: str, rule: str, now: datetime
) -> Access:
    """The access the public form records under: ``create`` on ``resource`` for
    ``subject_rights``, as the actor ``public-form``. Its decision is recorded in the audit
    trail now (a decision survives the request's rollback, so refused submissions are seen)."""
    purpose = Purpose.SUBJECT_RIGHTS
    basis = REGISTRY[purpose].basis_label
    principal = Principal(subject=PUBLIC_ACTOR, roles=frozenset(), issuer=PUBLIC_ISSUER)
    decision = Decision(
        new_decision_id(),
        True,
        rule,
        resource,
        "create",
        "allowed",
        purpose=purpose,
        basis=basis,
        condition=ALWAYS,
    )
    record(
        session,
        PendingAuditEvent(
            kind="decision",
            action=f"{resource}.create",
            outcome="allow",
            decision_id=decision.id,
            rule=rule,
            purpose=purpose.value,
            basis=basis,
            actor=PUBLIC_ACTOR,
            actor_role=PUBLIC_ROLE,
            resource_type=resource,
            details={"reason": "public_route", **decision_facts(purpose)},
        ),
    )
    return Access(engine=engine, decision=decision, principal=principal, session=session, now=now)


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


def _check_authority(kind: RequesterKind, evidence: str | None) -> None:
    """Someone else's request says what shows the requester may make it; one's own does
    not (the public's words for the lifecycle's rule and codes)."""
    if kind is RequesterKind.SUBJECT and evidence is not None:
        raise _refuse(
            "/authority_evidence",
            "You are asking about yourself: leave out `authority_evidence`, which is for a "
            "request made for someone else.",
            "authority_not_needed",
        )
    if kind is not RequesterKind.SUBJECT and evidence is None:
        raise _refuse(
            "/authority_evidence",
            "You are asking for someone else: say what shows you may (parental "
            "responsibility, a letter of authority, a court order).",
            "authority_evidence_required",
        )


async def submit_request(
    session: AsyncSession,
    access: Access,
    *,
    data: PublicSubjectRequestCreate,
    identity_required: bool,
    template_ids: Mapping[str, uuid.UUID],
) -> str:
    """Record a request made through the public form, received today, and queue the identity
    request (or, where policy needs none, the acknowledgement). Returns its reference.

    For a child subject the competence judgement is the council's to record: it is left for
    the governance officer, who records it before the request is answered."""
    _check_authority(data.requester.kind, data.authority_evidence)
    today = access.today
    details = data.subject_details.model_dump(mode="json")
    judgement: Judgement | None = (
        None if subject_is_child(details, today) else (ChildCompetence.NOT_A_CHILD, None)
    )
    view = await subject_requests.record_request(
        session,
        access,
        right=data.right,
        channel=RequestChannel.PUBLIC_FORM,
        received_on=today,
        description=data.description,
        requester=data.requester,
        subject_details=details,
        judgement=judgement,
        identity_note=IDENTITY_NOTE if identity_required else None,
        authority_evidence=data.authority_evidence,
        template_ids=template_ids,
    )
    return view.request.reference


async def submit_complaint(
    session: AsyncSession,
    access: Access,
    *,
    data: PublicComplaintCreate,
    template_ids: Mapping[str, uuid.UUID],
) -> str:
    """Record a complaint made through the public form, received today, and acknowledge it
    at once. A quoted request reference links the complaint to the request that has it;
    either way it is kept as given. Returns the complaint's reference."""
    request_id = None
    if data.request_reference is not None:
        quoted = data.request_reference.strip().upper()
        request_id = await ComplaintRepository(session).request_with_reference(quoted)
    complaint = await complaints.record_complaint(
        session,
        access,
        channel=RequestChannel.PUBLIC_FORM,
        received_on=access.today,
        complainant=data.complainant,
        description=data.description,
        request_id=request_id,
        request_reference_given=data.request_reference,
    )
    complaints.acknowledge_now(session, access, complaint, channel=None, template_ids=template_ids)
    await session.flush()
    return complaint.reference
