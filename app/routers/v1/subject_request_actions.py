"""`/v1/subject-requests/{request_id}/applicability` and `.../actions`: which right applies
to each record held about the person a request is about, and the actions that answer it
(rectification, restriction, objection, erasure), as information governance takes them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import ActionableSubjectRequestIdPath, SubjectRequestActionIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.rules.subject_rights import is_law_enforcement
from app.schemas.subject_request_actions import (
    ActionFilters,
    ApplicabilityRead,
    BasisApplicabilityRead,
    ErasedRecordRead,
    FieldChangeRead,
    MatchApplicabilityRead,
    RecipientToTellRead,
    RecordApplicabilityRead,
    SubjectRequestActionCreate,
    SubjectRequestActionPage,
    SubjectRequestActionRead,
)
from app.schemas.subject_requests import QueuedMessageRead
from app.services import subject_request_actions
from app.services.subject_request_actions import (
    ACTION_NOT_FOUND,
    ActionView,
    ApplicabilityView,
    changes_digest,
)
from app.services.subject_requests import NOT_FOUND as REQUEST_NOT_FOUND

router = APIRouter(
    prefix=f"{PREFIX}/subject-requests", tags=["subject requests"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(REQUEST_NOT_FOUND)}


def _action(view: ActionView) -> SubjectRequestActionRead:
    action = view.action
    stored = action.changes
    return SubjectRequestActionRead(
        id=action.id,
        request_id=action.request_id,
        kind=action.kind,
        subject_id=action.subject_id,
        resource_type=action.resource_type,
        resource_id=action.resource_id,
        fields=list(action.fields),
        changes=[
            FieldChangeRead(field=name, before=values["before"], after=values["after"])
            for name, values in sorted(stored["fields"].items())
        ]
        if stored
        else None,
        changes_sha256=changes_digest(stored) if stored else None,
        ground=action.ground,
        purpose=action.purpose,
        objection_outcome=action.objection_outcome,
        erased=[ErasedRecordRead.model_validate(entry) for entry in action.erased]
        if action.erased is not None
        else None,
        recipients_to_tell=[
            RecipientToTellRead(
                recipient_id=r.recipient_id,
                name=r.name,
                kind=r.kind,
                disclosures=r.disclosures,
                last_disclosed_at=r.last_disclosed_at,
            )
            for r in view.recipients
        ],
        reasons=action.reason,
        message_id=action.message_id,
        messages=[
            QueuedMessageRead(message_type=m.message_type, channel=m.channel.value, id=m.id)
            for m in view.messages
        ],
        performed_by=action.performed_by,
        performed_at=action.performed_at,
    )


def _applicability(view: ApplicabilityView) -> ApplicabilityRead:
    return ApplicabilityRead(
        request_id=view.request.id,
        right=view.request.right,
        matches=[
            MatchApplicabilityRead(
                match_id=answers.match.id,
                subject_id=answers.match.subject_id,
                record_type=answers.match.record_type,
                record_id=answers.match.record_id,
                records=[
                    RecordApplicabilityRead(
                        resource_type=item.record.resource_type,
                        resource_id=item.record.resource_id,
                        lawful_basis=item.record.lawful_basis,
                        law_enforcement=is_law_enforcement(item.record.lawful_basis),
                        purposes=item.purposes,
                        applies=item.answer.applies,
                        conditional=item.answer.conditional,
                        provision=item.answer.provision,
                        reason=item.answer.reason,
                    )
                    for item in answers.records
                ],
            )
            for answers in view.matches
        ],
        bases=[
            BasisApplicabilityRead(
                lawful_basis=basis.lawful_basis,
                law_enforcement=is_law_enforcement(basis.lawful_basis),
                records=basis.records,
                applies=basis.answer.applies,
                conditional=basis.answer.conditional,
                provision=basis.answer.provision,
                reason=basis.answer.reason,
            )
            for basis in view.bases
        ],
    )


@router.get(
    "/{request_id}/applicability",
    name="subject_requests_applicability",
    summary="Which right applies to each record",
    response_model=ApplicabilityRead,
    responses=NOT_FOUND,
)
async def get_applicability(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: ActionableSubjectRequestIdPath,
    session: SessionDep,
) -> ApplicabilityRead:
    """For every confirmed match of the request, every record held about the person (pupil,
    carer, casework, documents, licences, messages, ...), the lawful basis it is held on, and
    whether the request's right applies to it, with the provision and the reason in plain
    English for the response letter: erasure is refused under 6(1)(c) and generally under
    6(1)(e) (UK GDPR Art 17(3)(b)); portability applies to neither (Art 20); objection only
    to 6(1)(e) (Art 21(1)); restriction to both (Art 18); law enforcement records carry the
    Part 3 rights (DPA 2018 ss45-47). `conditional`: it applies only in the circumstances the
    reason names. `bases` gives the same answer per basis. Read under `subject_rights`, not
    the requester's view."""
    view = await subject_request_actions.applicability_of(session, access, request_id=request_id)
    return _applicability(view)


@router.post(
    "/{request_id}/actions",
    name="subject_requests_actions_create",
    summary="Act on a request",
    status_code=201,
    response_model=SubjectRequestActionRead,
    responses={
        **NOT_FOUND,
        403: problem_response(
            "Not allowed; or, for a rectification, the rules do not let you correct the "
            "matched record (`policy` names the rule)."
        ),
        409: problem_response(
            "Refused (`rule` names which, `source` the provision): the request is closed "
            "(`request_open`), awaits identity (`identity_confirmed`), or is for another right "
            "(`action_fits_right`); the match is not confirmed (`match_confirmed`); erasure "
            "does not reach a record (`erasure_applies`, UK GDPR Art 17(3)(b)) or is not done "
            "here for its type (`erasure_supported`); objection does not reach the purpose "
            "(`objection_applies`, Art 21(1)), is recorded already (`objection_once`), none is "
            "recorded (`objection_recorded`) or it was decided (`objection_decided_once`); "
            "already restricted (`restriction_once`) or not restricted (`restriction_in_force`)."
        ),
        412: problem_response("`record_etag` is not the rectified record's current ETag."),
        422: problem_response(
            "Invalid fields: an unknown match (`unknown_match`), changes under another record "
            "type than the match's (`not_the_matched_record`), a correction that changes "
            "nothing (`unchanged`), a record the person does not have (`unknown_record`), or a "
            "requester the letter or email cannot reach."
        ),
    },
)
async def create_action(
    access: Annotated[Access, Policy("subject_request", "act")],
    request_id: ActionableSubjectRequestIdPath,
    body: SubjectRequestActionCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Act on an open request, on one of its confirmed matches (`match_id`); `kind` decides
    the rest of the body:

    - `rectified`: correct the matched pupil, carer or person with a merge patch under its
      record type and `record_etag`; its own checks apply. The values before and after are
      kept on the action (the audit trail names the fields and a digest); the recipients the
      person's data was disclosed to are listed to be told (Art 19).
    - `restricted` / `restriction_lifted`: restrict processing of everything about the
      person (Art 18(1) `ground`), enforced at once: their data is refused for ordinary
      purposes and served for a live legal claim, their own requests and retention. Lifting
      needs reasons and queues the letter or email telling the requester (Art 18(3)).
    - `objection_recorded` / `objection_decided`: an objection to one purpose, where records
      for it are held on 6(1)(e) (Art 21(1)), and its decision with reasons.
    - `erased`: erase the records named, where erasure reaches them; what was erased is
      recorded by type, id and row counts, never the data.

    Every action is recorded with an audit event. Information governance, under
    `subject_rights`. Send an `Idempotency-Key` to retry safely."""

    async def create() -> Created:
        view = await subject_request_actions.act(
            session,
            access,
            request_id=request_id,
            data=body.root,
            template_ids=settings.notify_templates,
        )
        return Created(
            _action(view),
            location=f"{PREFIX}/subject-requests/{request_id}/actions/{view.action.id}",
        )

    return await idempotency.run(access, body, create)


@router.get(
    "/{request_id}/actions",
    name="subject_requests_actions_list",
    summary="List the actions taken on a request",
    response_model=SubjectRequestActionPage,
    responses=NOT_FOUND,
)
async def list_actions(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: ActionableSubjectRequestIdPath,
    session: SessionDep,
    filters: Annotated[ActionFilters, Query()],
    paging: PagingDep,
) -> SubjectRequestActionPage:
    """The actions taken on a request, in the order they were taken, each with the
    recipients to tell (Art 19), a rectification's values before and after, and what an
    erasure erased."""
    found, next_cursor = await subject_request_actions.list_actions(
        session, access, request_id=request_id, page=paging.page(access, filters)
    )
    return SubjectRequestActionPage(items=[_action(v) for v in found], next_cursor=next_cursor)


@router.get(
    "/{request_id}/actions/{action_id}",
    name="subject_requests_actions_get",
    summary="Get an action taken on a request",
    response_model=SubjectRequestActionRead,
    responses={404: problem_response(f"{REQUEST_NOT_FOUND} Or: {ACTION_NOT_FOUND}")},
)
async def get_action(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: ActionableSubjectRequestIdPath,
    action_id: SubjectRequestActionIdPath,
    session: SessionDep,
) -> SubjectRequestActionRead:
    """One action taken on a request."""
    view = await subject_request_actions.get_action(
        session, access, request_id=request_id, action_id=action_id
    )
    return _action(view)
