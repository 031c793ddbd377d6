"""`/v1/cases`: Notices to improve and penalty notices on a case."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.models.cases import NoticeToImproveStatus
from app.policies import Access
from app.policies.case_guard import CasePolicy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import (
    EXAMPLE_NOTICE_TO_IMPROVE_ID,
    CaseIdPath,
    EnforcementCaseIdPath,
    PenaltyNoticeIdPath,
    SupportCaseIdPath,
)
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.penalty_notices import (
    NoticeFilters,
    NoticeToImproveCreate,
    NoticeToImproveOutcome,
    NoticeToImprovePage,
    NoticeToImproveRead,
    PenaltyNoticeCreate,
    PenaltyNoticePage,
    PenaltyNoticePayment,
    PenaltyNoticeRead,
    PenaltyNoticeWithdrawal,
)
from app.services import penalty_notices
from app.services.penalty_notices import notice_to_improve_etag, penalty_notice_etag

router = APIRouter(prefix=f"{PREFIX}/cases", tags=["cases"], route_class=KpasRoute)

NoticeIdPath = Annotated[
    uuid.UUID, Path(description="The notice's id.", examples=[str(EXAMPLE_NOTICE_TO_IMPROVE_ID)])
]

Responses = dict[int | str, dict[str, Any]]
CASE_NOT_FOUND: Responses = {404: problem_response("No case with that id that you may see.")}
NOTICE_NOT_FOUND: Responses = {
    404: problem_response("No such case that you may see, or no such notice on it.")
}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the notice's current ETag."),
    428: problem_response("If-Match is missing."),
}
STAGE: Responses = {
    409: problem_response(
        "The case is not at the penalty_notice stage or a later prosecution stage (purpose "
        "binding), or is closed."
    )
}

NTI_PATH = "/{case_id}/notices-to-improve"
PN_PATH = "/{case_id}/penalty-notices"


# --- notices to improve --------------------------------------------------------------------


@router.post(
    NTI_PATH,
    name="notices_to_improve_create",
    summary="Issue a notice to improve",
    status_code=201,
    response_model=NoticeToImproveRead,
    responses={
        **CASE_NOT_FOUND,
        409: problem_response(
            "The case is closed or not an attendance case, or the parent has a notice to "
            "improve whose outcome is not recorded."
        ),
    },
)
async def create_notice_to_improve(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: SupportCaseIdPath,
    body: NoticeToImproveCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Issue a notice to improve to a parent with parental responsibility on an open attendance
    case: an improvement period of 3 to 6 weeks (DfE national framework, 2024), whose last day
    is computed. The `notice_to_improve` letter to that parent is queued in the same
    transaction and the case's chronology records both.

    Attendance officers (their cases) and managers (their area teams) under the case's own
    purpose (`attendance_duty` unless you state another). Returns the notice with `ETag` and
    `Location`; send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        view = await penalty_notices.issue_notice_to_improve(
            session,
            access,
            case_id=case_id,
            carer_id=body.carer_id,
            improvement_weeks=body.improvement_weeks,
            issued_on=body.issued_on,
            template_ids=settings.notify_templates,
        )
        return Created(
            NoticeToImproveRead.of(view),
            location=f"{PREFIX}/cases/{case_id}/notices-to-improve/{view.notice.id}",
            etag=notice_to_improve_etag(view.notice),
        )

    return await idempotency.run(access, body, create)


@router.get(
    NTI_PATH,
    name="notices_to_improve_list",
    summary="List a case's notices to improve",
    response_model=NoticeToImprovePage,
    responses=CASE_NOT_FOUND,
)
async def list_notices_to_improve(
    access: Annotated[Access, CasePolicy("case", "list")],
    case_id: CaseIdPath,
    session: SessionDep,
    filters: Annotated[NoticeFilters, Query()],
    paging: PagingDep,
) -> NoticeToImprovePage:
    """The case's notices to improve, newest first. Whoever may read the case, under its own
    purpose (`attendance_duty` unless you state another); 404 for a case you may not see.
    """
    views, next_cursor = await penalty_notices.list_notices_to_improve(
        session, access, case_id=case_id, page=paging.page(access, filters)
    )
    return NoticeToImprovePage(
        items=[NoticeToImproveRead.of(v) for v in views], next_cursor=next_cursor
    )


@router.get(
    NTI_PATH + "/{notice_id}",
    name="notices_to_improve_get",
    summary="Get a notice to improve",
    response_model=NoticeToImproveRead,
    responses=NOTICE_NOT_FOUND,
)
async def get_notice_to_improve(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    notice_id: NoticeIdPath,
    session: SessionDep,
    response: Response,
) -> NoticeToImproveRead:
    """One notice to improve with its `ETag`. Whoever may read the case, under its own
    purpose; 404 for a case you may not see or a notice not on it.
    """
    view = await penalty_notices.get_notice_to_improve(
        session, access, case_id=case_id, notice_id=notice_id
    )
    response.headers["ETag"] = notice_to_improve_etag(view.notice)
    return NoticeToImproveRead.of(view)


@router.patch(
    NTI_PATH + "/{notice_id}",
    name="notices_to_improve_update",
    summary="Record a notice to improve's outcome",
    response_model=NoticeToImproveRead,
    responses={
        **NOTICE_NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The outcome is recorded already, the case is closed, or `not_improved` before the "
            "improvement period has ended."
        ),
    },
)
async def record_notice_to_improve_outcome(
    access: Annotated[Access, CasePolicy("case", "record")],
    case_id: CaseIdPath,
    notice_id: NoticeIdPath,
    body: NoticeToImproveOutcome,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> NoticeToImproveRead:
    """Record how the improvement period went, with `If-Match`: `improved`, `not_improved`
    (only once the period has ended: 409 naming the rule) or `withdrawn`; once only. Attendance
    officers and managers, under the case's own purpose.
    """
    view = await penalty_notices.record_notice_to_improve_outcome(
        session,
        access,
        case_id=case_id,
        notice_id=notice_id,
        outcome=NoticeToImproveStatus(body.outcome),
        outcome_on=body.outcome_on,
        if_match=if_match,
    )
    response.headers["ETag"] = notice_to_improve_etag(view.notice)
    return NoticeToImproveRead.of(view)


# --- penalty notices -----------------------------------------------------------------------


@router.post(
    PN_PATH,
    name="penalty_notices_create",
    summary="Issue a penalty notice",
    status_code=201,
    response_model=PenaltyNoticeRead,
    responses={
        **CASE_NOT_FOUND,
        409: problem_response(
            "The case is not at the penalty_notice stage or later, a notice in force already "
            "covers the offence period, or it would be a third notice to the parent for the "
            "child within three years (prosecution is the tool instead)."
        ),
    },
)
async def create_penalty_notice(
    access: Annotated[Access, CasePolicy("penalty_notice", "create")],
    case_id: EnforcementCaseIdPath,
    body: PenaltyNoticeCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Issue a penalty notice (Education Act 1996 s444A) to one parent with parental
    responsibility for the case's pupil. Attendance managers only (their area teams): issuing is
    the manager's approval, recorded on the notice. Processed under `prosecution` (the default),
    so the case must be at the `penalty_notice` stage or a later prosecution stage.

    The rules compute when it is taken as received (by hand: that day; first class post: the
    second working day after posting), the tier from every notice to that parent for that child
    in the three years ending with the issue date (on any case; withdrawn ones do not count):
    £80 within 21 days else £160 within 28, or £160 flat for a second; a third is refused with
    409. The `penalty_notice_letter` is queued to the parent in the same transaction. Returns
    the notice with `ETag` and `Location`; send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        view = await penalty_notices.issue_penalty_notice(
            session,
            access,
            case_id=case_id,
            carer_id=body.carer_id,
            ground=body.ground,
            offence_from=body.offence_from,
            offence_to=body.offence_to,
            issued_on=body.issued_on,
            service_method=body.service_method,
            served_on=body.served_on,
            alert_id=body.alert_id,
            template_ids=settings.notify_templates,
        )
        return Created(
            PenaltyNoticeRead.of(view),
            location=f"{PREFIX}/cases/{case_id}/penalty-notices/{view.notice.id}",
            etag=penalty_notice_etag(view.notice),
        )

    return await idempotency.run(access, body, create)


@router.get(
    PN_PATH,
    name="penalty_notices_list",
    summary="List a case's penalty notices",
    response_model=PenaltyNoticePage,
    responses={**CASE_NOT_FOUND, **STAGE},
)
async def list_penalty_notices(
    access: Annotated[Access, CasePolicy("penalty_notice", "list")],
    case_id: EnforcementCaseIdPath,
    session: SessionDep,
    filters: Annotated[NoticeFilters, Query()],
    paging: PagingDep,
) -> PenaltyNoticePage:
    """The case's penalty notices, newest first, each with where it stands today. Attendance
    officers (their cases) and managers (their area teams) under `prosecution` (the default),
    on a case at the `penalty_notice` stage or later; information governance under a governance
    purpose.
    """
    views, next_cursor = await penalty_notices.list_penalty_notices(
        session, access, case_id=case_id, page=paging.page(access, filters)
    )
    return PenaltyNoticePage(
        items=[PenaltyNoticeRead.of(v) for v in views], next_cursor=next_cursor
    )


@router.get(
    PN_PATH + "/{notice_id}",
    name="penalty_notices_get",
    summary="Get a penalty notice",
    response_model=PenaltyNoticeRead,
    responses={**NOTICE_NOT_FOUND, **STAGE},
)
async def get_penalty_notice(
    access: Annotated[Access, CasePolicy("penalty_notice", "read")],
    case_id: EnforcementCaseIdPath,
    notice_id: PenaltyNoticeIdPath,
    session: SessionDep,
    response: Response,
) -> PenaltyNoticeRead:
    """One penalty notice with its `ETag`, every computed date with the rule behind it, and
    `status_today` (`prosecute_or_withdraw` once the payment period has ended unpaid). The same
    callers as listing.
    """
    view = await penalty_notices.get_penalty_notice(
        session, access, case_id=case_id, notice_id=notice_id
    )
    response.headers["ETag"] = penalty_notice_etag(view.notice)
    return PenaltyNoticeRead.of(view)


@router.post(
    PN_PATH + "/{notice_id}/payment",
    name="penalty_notices_payment",
    summary="Record a penalty notice payment",
    response_model=PenaltyNoticeRead,
    responses={
        **NOTICE_NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The notice is paid or withdrawn already, the case is not at the stage, or the "
            "payment was made after the payment period (prosecute or withdraw)."
        ),
    },
)
async def record_payment(
    access: Annotated[Access, CasePolicy("penalty_notice", "update")],
    case_id: EnforcementCaseIdPath,
    notice_id: PenaltyNoticeIdPath,
    body: PenaltyNoticePayment,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PenaltyNoticeRead:
    """Record the parent's payment, with `If-Match`: the amount must be exactly what the rules
    make due on the day paid (422 naming it); a payment after the 28-day period is refused with
    409. Attendance officers and managers under `prosecution`.
    """
    view = await penalty_notices.record_payment(
        session,
        access,
        case_id=case_id,
        notice_id=notice_id,
        paid_on=body.paid_on,
        amount_pence=body.amount_pence,
        if_match=if_match,
    )
    response.headers["ETag"] = penalty_notice_etag(view.notice)
    return PenaltyNoticeRead.of(view)


@router.post(
    PN_PATH + "/{notice_id}/withdrawal",
    name="penalty_notices_withdraw",
    summary="Withdraw a penalty notice",
    response_model=PenaltyNoticeRead,
    responses={
        **NOTICE_NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "The notice is paid or withdrawn already, or the case is not at the stage."
        ),
    },
)
async def withdraw_penalty_notice(
    access: Annotated[Access, CasePolicy("penalty_notice", "update")],
    case_id: EnforcementCaseIdPath,
    notice_id: PenaltyNoticeIdPath,
    body: PenaltyNoticeWithdrawal,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> PenaltyNoticeRead:
    """Withdraw the notice, with the date and the reason, and `If-Match`. A withdrawn notice no
    longer counts towards the three-year limit. Attendance officers and managers under
    `prosecution`.
    """
    view = await penalty_notices.withdraw_penalty_notice(
        session,
        access,
        case_id=case_id,
        notice_id=notice_id,
        withdrawn_on=body.withdrawn_on,
        reason=body.reason,
        if_match=if_match,
    )
    response.headers["ETag"] = penalty_notice_etag(view.notice)
    return PenaltyNoticeRead.of(view)
