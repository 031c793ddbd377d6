"""`/v1/cases`: Cases: attendance, exclusion-support and School Attendance Order casework."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.models.cases import Case
from app.policies import Access, Policy
from app.policies.case_guard import CasePolicy
from app.repositories.cases import CaseQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import CarerIdPath, CaseIdPath, EnforcementCaseIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.cases import (
    AssignmentRead,
    AssignmentUpdate,
    CaseCreate,
    CaseFilters,
    CasePage,
    CaseRead,
    CaseSummary,
    CaseUpdate,
    PartyCreate,
    TransitionCreate,
)
from app.services import cases
from app.services.cases import case_etag

router = APIRouter(prefix=f"{PREFIX}/cases", tags=["cases"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No case with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
CONFLICT: Responses = {
    409: problem_response(
        "The case's state does not allow it (closed, or a step whose guards do not hold: "
        "`unmet` names each with its source)."
    )
}


async def _read(session: SessionDep, access: Access, case: Case) -> Response:
    steps = await cases.steps_of(session, case, access.today)
    body = CaseRead.of_case(
        case,
        today=access.today,
        purposes=[p.value for p in cases.purposes_for(case)],
        steps=steps,
    )
    return Response(
        body.model_dump_json(), media_type="application/json", headers={"ETag": case_etag(case)}
    )


@router.get("", name="cases_list", summary="List cases", response_model=CasePage)
async def list_cases(
    access: Annotated[Access, Policy("case", "list")],
    session: SessionDep,
    filters: Annotated[CaseFilters, Query()],
    paging: PagingDep,
) -> CasePage:
    """Open cases you may see for the stated purpose, newest first: attendance officers the
    cases assigned to them and their area teams' unassigned cases (triage); attendance managers
    every case in their area teams; information governance any case under a governance purpose.

    Send `KPAS-Purpose`: a case is listed under the purposes it serves (`attendance_duty` for
    attendance cases, `exclusion_support`, `school_attendance_order`; `prosecution` only for
    cases at a stage that uses it). Filters: `mine`, `unassigned`, stage, type, school,
    district, pupil, `overdue` (next action due before today), `include_closed`.
    """
    query = CaseQuery(
        officer=access.principal.subject if filters.mine else None,
        unassigned=filters.unassigned,
        stage=filters.stage,
        case_type=filters.case_type,
        school_urn=filters.school_urn,
        district=filters.district.value if filters.district else None,
        pupil_id=filters.pupil_id,
        overdue_before=access.today if filters.overdue else None,
        include_closed=filters.include_closed,
    )
    found, next_cursor = await cases.list_cases(
        session, access, query=query, page=paging.page(access, filters)
    )
    return CasePage(
        items=[CaseSummary.of(case, access.today) for case in found], next_cursor=next_cursor
    )


@router.post(
    "",
    name="cases_create",
    summary="Open a case",
    status_code=201,
    response_model=CaseRead,
    responses={409: problem_response("The pupil already has an open case of this type.")},
)
async def create_case(
    access: Annotated[Access, Policy("case", "create")],
    body: CaseCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Open a case from an attendance alert (attendance officers and managers, for alerts in
    their area teams), or for a pupil an attendance manager may see. The case starts at
    triage in the school's area team, unassigned unless you assign it (an officer only to
    themselves). One open case per pupil and type. Send `KPAS-Purpose`: the case type's
    purpose (`attendance_duty` or `intervention` for attendance cases). Returns the case with
    `ETag` and `Location`; send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        case = await cases.create_case(
            session,
            access,
            case_type=body.case_type,
            alert_id=body.alert_id,
            pupil_id=body.pupil_id,
            school_urn=body.school_urn,
            carer_ids=body.carer_ids,
            assigned_officer=body.assigned_officer,
            next_action_on=body.next_action_on,
            next_action=body.next_action,
        )
        steps = await cases.steps_of(session, case, access.today)
        read = CaseRead.of_case(
            case,
            today=access.today,
            purposes=[p.value for p in cases.purposes_for(case)],
            steps=steps,
        )
        return Created(read, location=f"/v1/cases/{case.id}", etag=case_etag(case))

    return await idempotency.run(access, body, create)


@router.get(
    "/{case_id}",
    name="cases_get",
    summary="Get a case",
    response_model=CaseRead,
    responses=NOT_FOUND,
)
async def get_case(
    access: Annotated[Access, CasePolicy("case", "read")],
    case_id: CaseIdPath,
    session: SessionDep,
) -> Response:
    """One case with its parties, its stage and every step open to it (each with the guards
    that still stop it), with its `ETag`. Without `KPAS-Purpose` the case's own purpose is
    used. A case you may not see is a 404, as is one that does not exist.
    """
    case = await cases.load_case(session, access, case_id)
    return await _read(session, access, case)


@router.patch(
    "/{case_id}",
    name="cases_update",
    summary="Update a case",
    response_model=CaseRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **CONFLICT},
)
async def update_case(
    access: Annotated[Access, CasePolicy("case", "update")],
    case_id: CaseIdPath,
    body: CaseUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Change the case's next action and its date (a JSON merge patch), with `If-Match`. Its
    stage changes only through transitions."""
    case = await cases.update_case(
        session, access, case_id=case_id, changes=body.changes(), if_match=if_match
    )
    return await _read(session, access, case)


@router.post(
    "/{case_id}/transitions",
    name="cases_transition",
    summary="Move a case to another stage",
    response_model=CaseRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **CONFLICT},
)
async def transition_case(
    access: Annotated[Access, CasePolicy("case", "transition")],
    case_id: CaseIdPath,
    body: TransitionCreate,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Move the case along its ladder (support first: attendance contract, notice to improve,
    penalty notice, education supervision order considered, prosecution preparation,
    prosecution), back to support, or close it with an outcome, with `If-Match`.

    Every guard the law, the guidance or council practice sets is checked; a step whose guards
    do not hold is a 409 whose `unmet` names each with its source (for example, no
    prosecution without an education supervision order considered, Education Act 1996 s447).
    Moving to `eso_considered` records the consideration given in `eso`. A move to a stage
    that uses `prosecution` or `school_attendance_order` opens that purpose for the case's
    people (purpose binding); moving back or closing ends it.
    """
    eso = (
        (body.eso.decision, body.eso.considered_on, body.eso.reason)
        if body.eso is not None
        else None
    )
    case = await cases.transition_case(
        session,
        access,
        case_id=case_id,
        to=body.to,
        if_match=if_match,
        ground=body.ground,
        eso=eso,
        outcome=body.outcome,
        outcome_summary=body.outcome_summary,
        note=body.note,
    )
    return await _read(session, access, case)


@router.put(
    "/{case_id}/assignment",
    name="cases_assign",
    summary="Assign a case",
    response_model=AssignmentRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **CONFLICT},
)
async def assign_case(
    access: Annotated[Access, CasePolicy("case", "assign")],
    case_id: CaseIdPath,
    body: AssignmentUpdate,
    if_match: IfMatchDep,
    response: Response,
    session: SessionDep,
) -> AssignmentRead:
    """Assign the case to an officer (their token subject), or return it to the area team's
    triage queue with `null`: attendance managers, for cases in their area teams, with the
    case's `If-Match`. The response carries the case's new `ETag`."""
    case = await cases.assign_case(
        session, access, case_id=case_id, officer=body.officer, if_match=if_match
    )
    response.headers["ETag"] = case_etag(case)
    return AssignmentRead(officer=case.assigned_officer, assigned_at=case.assigned_at)


@router.post(
    "/{case_id}/parties",
    name="cases_parties_add",
    summary="Add a carer to a case",
    response_model=CaseRead,
    responses={**NOT_FOUND, **PRECONDITIONS, **CONFLICT},
)
async def add_party(
    access: Annotated[Access, CasePolicy("case", "update")],
    case_id: EnforcementCaseIdPath,
    body: PartyCreate,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Involve one of the pupil's carers in the case, with the case's `If-Match`. Only a
    carer linked to the pupil; penalty notices and prosecutions need one with parental
    responsibility."""
    case = await cases.add_party(
        session, access, case_id=case_id, carer_id=body.carer_id, if_match=if_match
    )
    return await _read(session, access, case)


@router.delete(
    "/{case_id}/parties/{carer_id}",
    name="cases_parties_remove",
    summary="Remove a carer from a case",
    status_code=204,
    responses={**NOT_FOUND, **PRECONDITIONS, **CONFLICT},
)
async def remove_party(
    access: Annotated[Access, CasePolicy("case", "update")],
    case_id: CaseIdPath,
    carer_id: CarerIdPath,
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Stop involving a carer in the case, with the case's `If-Match` (the chronology keeps
    that they were). The response carries the case's new `ETag`."""
    case = await cases.remove_party(
        session, access, case_id=case_id, carer_id=carer_id, if_match=if_match
    )
    return Response(status_code=204, headers={"ETag": case_etag(case)})
