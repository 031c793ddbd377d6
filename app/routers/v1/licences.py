"""`/v1/licences`, `/v1/chaperones` and `/v1/licensed-absences`: children in employment and
entertainment (work permits, performance licences, chaperone approvals) and the absences
granted licences give schools."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.db import SessionDep
from app.models.licences import Licence, LicenceKind, LicenceStatus, LicensedAbsence
from app.policies import Access, Policy
from app.repositories.licences import AbsenceQuery, LicenceQuery
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.params import GrantedLicenceIdPath, LicenceIdPath
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.rules.licensing import Severity
from app.schemas.licences import (
    AbsenceFilters,
    AbsencePage,
    AbsenceRead,
    ChaperoneFilters,
    ChaperonePage,
    ChaperoneRead,
    DecisionCreate,
    DecisionRead,
    FindingRead,
    LicenceCreate,
    LicenceFilters,
    LicenceNeedRead,
    LicencePage,
    LicenceRead,
    LicenceSummary,
    LicenceUpdate,
    MessageQueuedRead,
    RevocationCreate,
    RevocationRead,
)
from app.services import licences
from app.services.licences import LicenceView, effective_status, licence_etag

router = APIRouter(prefix=f"{PREFIX}/licences", tags=["licences"], route_class=KpasRoute)
chaperones = APIRouter(prefix=f"{PREFIX}/chaperones", tags=["licences"], route_class=KpasRoute)
absences = APIRouter(
    prefix=f"{PREFIX}/licensed-absences", tags=["attendance"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response("No licence with that id that you may see.")}
PRECONDITIONS: Responses = {
    412: problem_response("If-Match does not match the current ETag."),
    428: problem_response("If-Match is missing."),
}
UNCHECKABLE: Responses = {
    422: problem_response(
        "The application cannot be checked (reversed, overlapping or past-midnight times), or "
        "names a holder, employer, production or chaperone that does not exist or that you "
        "may not see; `errors` points at each."
    )
}


def _absence(absence: LicensedAbsence, reference: str) -> AbsenceRead:
    return AbsenceRead(
        id=absence.id,
        licence_id=absence.licence_id,
        licence_reference=reference,
        pupil_id=absence.pupil_id,
        school_urn=absence.school_urn,
        days=[date.fromisoformat(d) for d in absence.days],
        first_day=absence.first_day,
        last_day=absence.last_day,
        attendance_code=absence.attendance_code,
        notified_at=absence.notified_at,
        cancelled_at=absence.cancelled_at,
    )


def _read(access: Access, view: LicenceView) -> LicenceRead:
    licence = view.licence
    particulars = dict(licence.particulars)
    blocks: dict[str, dict[str, Any] | None] = {
        "work_permit": None,
        "performance": None,
        "chaperone": None,
    }
    if licence.kind is LicenceKind.PERFORMANCE_LICENCE:
        particulars["days"] = [
            {
                "on": d.on.isoformat(),
                "at_venue_from": d.at_venue_from.strftime("%H:%M"),
                "at_venue_until": d.at_venue_until.strftime("%H:%M"),
                "performing_minutes": d.performing_minutes,
                "longest_continuous_minutes": d.longest_continuous_minutes,
                "school_day": d.school_day,
                "absent_from_school": d.absent_from_school,
                "tutor_minutes": d.tutor_minutes,
            }
            for d in sorted(licence.days, key=lambda d: d.on)
        ]
    blocks[licences.BLOCK[licence.kind]] = particulars
    need = view.need
    return LicenceRead(
        id=licence.id,
        reference=licence.reference,
        kind=licence.kind,
        status=effective_status(licence, access.today),
        pupil_id=licence.pupil_id,
        person_id=licence.person_id,
        subject_id=licence.subject_id,
        forename=licence.forename,
        surname=licence.surname,
        date_of_birth=licence.date_of_birth,
        parent_id=licence.parent_id,
        school_urn=licence.school_urn,
        received_on=licence.received_on,
        starts_on=licence.starts_on,
        ends_on=licence.ends_on,
        expires_on=licence.expires_on,
        work_permit=blocks["work_permit"],
        performance=blocks["performance"],
        chaperone=blocks["chaperone"],
        health_needs=licence.health_needs if access.special_category else None,
        licence_need=LicenceNeedRead(
            needed=need.needed,
            exemption=need.exemption,
            reasons=list(need.reasons),
            source=need.source,
        )
        if need is not None
        else None,
        findings=[FindingRead.model_validate(f) for f in licence.findings],
        decision=DecisionRead(
            outcome=LicenceStatus.REFUSED.value
            if licence.status is LicenceStatus.REFUSED
            else LicenceStatus.GRANTED.value,
            decided_by=licence.decided_by,
            decided_at=licence.decided_at,
            reasons=licence.decision_reasons or "",
            acknowledged=list(licence.acknowledged or []),
        )
        if licence.decided_by is not None and licence.decided_at is not None
        else None,
        revocation=RevocationRead(
            ground=licence.revocation_ground,
            revoked_by=licence.revoked_by,
            revoked_at=licence.revoked_at,
            reasons=licence.revocation_reasons or "",
        )
        if licence.revocation_ground is not None
        and licence.revoked_by is not None
        and licence.revoked_at is not None
        else None,
        absence=_absence(view.absence, licence.reference) if view.absence is not None else None,
        messages=[
            MessageQueuedRead(
                person_id=m.person_id, channel=m.channel.value, message_id=m.message_id
            )
            for m in view.messages
        ],
    )


def _summary(access: Access, licence: Licence) -> LicenceSummary:
    stopping = sum(1 for f in licence.findings if f["severity"] == Severity.BLOCKING.value)
    return LicenceSummary(
        id=licence.id,
        reference=licence.reference,
        kind=licence.kind,
        status=effective_status(licence, access.today),
        pupil_id=licence.pupil_id,
        person_id=licence.person_id,
        subject_id=licence.subject_id,
        forename=licence.forename,
        surname=licence.surname,
        employer_id=licence.employer_id,
        production_id=licence.production_id,
        received_on=licence.received_on,
        starts_on=licence.starts_on,
        ends_on=licence.ends_on,
        expires_on=licence.expires_on,
        blocking_findings=stopping,
        warnings=len(licence.findings) - stopping,
    )


def _respond(access: Access, view: LicenceView, response: Response) -> LicenceRead:
    response.headers["ETag"] = licence_etag(view.licence)
    return _read(access, view)


@router.post(
    "",
    name="licences_create",
    summary="Apply for a licence, permit or approval",
    status_code=201,
    response_model=LicenceRead,
    responses=UNCHECKABLE,
)
async def create_licence(
    access: Annotated[Access, Policy("licence", "create")],
    body: LicenceCreate,
    session: SessionDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Record an application and check every rule for its kind; the answer lists the findings
    (each with its rule id, severity, source and a plain-English message) and, for a
    performance, whether a licence is needed at all. Findings never refuse an application:
    they decide whether it can be granted.

    Name the holder once: `pupil` (a child on a Kent roll: UPN, legal surname and date of
    birth must all match) or `person_id` (a child or, for a chaperone approval, an adult from
    `/v1/people`). Licensing officers, under `KPAS-Purpose: child_employment_licensing` (the
    default). Send an `Idempotency-Key` to retry safely.
    """

    async def create() -> Created:
        view = await licences.create_licence(session, access, data=body)
        return Created(
            _read(access, view),
            location=f"{PREFIX}/licences/{view.licence.id}",
            etag=licence_etag(view.licence),
        )

    return await idempotency.run(access, body, create)


@router.get("", name="licences_list", summary="List licences", response_model=LicencePage)
async def list_licences(
    access: Annotated[Access, Policy("licence", "list")],
    session: SessionDep,
    filters: Annotated[LicenceFilters, Query()],
    paging: PagingDep,
) -> LicencePage:
    """Applications and licences, latest start first, filtered by kind, status (`granted` is in
    force today, `expired` granted and past its expiry), child (`pupil_id` or `person_id`),
    employer, production or start date. Licensing officers; information governance under a
    governance purpose. Attendance staff and schools see none (a school sees the absences a
    licence gives it, at `/v1/licensed-absences`).
    """
    query = LicenceQuery(
        kind=filters.kind,
        pupil_id=filters.pupil_id,
        person_id=filters.person_id,
        employer_id=filters.employer_id,
        production_id=filters.production_id,
        starts_from=filters.from_date,
        starts_to=filters.to_date,
        **licences.status_query(filters.status, access.today),
    )
    found, next_cursor = await licences.list_licences(
        session, access, query=query, page=paging.page(access, filters)
    )
    return LicencePage(items=[_summary(access, item) for item in found], next_cursor=next_cursor)


@router.get(
    "/{licence_id}",
    name="licences_get",
    summary="Get a licence",
    response_model=LicenceRead,
    responses=NOT_FOUND,
)
async def get_licence(
    access: Annotated[Access, Policy("licence", "read")],
    licence_id: LicenceIdPath,
    session: SessionDep,
    response: Response,
) -> LicenceRead:
    """One application or licence with its particulars, findings, decision, revocation and the
    absence it gave a school, with its `ETag`. The child's health needs are served only under
    a purpose with an Article 9 condition for your role."""
    view = await licences.get_licence(session, access, licence_id=licence_id)
    return _respond(access, view, response)


@router.patch(
    "/{licence_id}",
    name="licences_update",
    summary="Amend an application",
    response_model=LicenceRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        **UNCHECKABLE,
        409: problem_response("The licence has been decided; it is no longer amended."),
    },
)
async def update_licence(
    access: Annotated[Access, Policy("licence", "update")],
    licence_id: LicenceIdPath,
    body: LicenceUpdate,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> LicenceRead:
    """Amend an undecided application, with `If-Match`: the fields sent replace what is held
    (a block whole), and every rule is checked again. This is how a blocking finding is
    resolved."""
    view = await licences.update_licence(
        session, access, licence_id=licence_id, data=body, if_match=if_match
    )
    return _respond(access, view, response)


@router.post(
    "/{licence_id}/decision",
    name="licences_decide",
    summary="Grant or refuse a licence",
    response_model=LicenceRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response(
            "Already decided; or a grant while a blocking finding stands (`findings` lists "
            "them with their rule and regulation) or a warning is not acknowledged "
            "(`unacknowledged`)."
        ),
    },
)
async def decide_licence(
    access: Annotated[Access, Policy("licence", "decide")],
    licence_id: LicenceIdPath,
    body: DecisionCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> LicenceRead:
    """Grant or refuse with reasons, with `If-Match`. The rules run again first (another
    licence may since have filled the chaperone's capacity). A grant sets the expiry (a work
    permit at the end of compulsory school age at the latest; a chaperone approval for three
    years), gives the pupil's Kent school the days to record as C1 where the child misses
    school, and queues the decision letter or email to the parent, employer or producer, and
    the chaperone."""
    view = await licences.decide(
        session,
        access,
        licence_id=licence_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


@router.post(
    "/{licence_id}/revocation",
    name="licences_revoke",
    summary="Revoke a licence",
    response_model=LicenceRead,
    responses={
        **NOT_FOUND,
        **PRECONDITIONS,
        409: problem_response("The licence is not in force (never granted, expired or revoked)."),
    },
)
async def revoke_licence(
    access: Annotated[Access, Policy("licence", "revoke")],
    licence_id: GrantedLicenceIdPath,
    body: RevocationCreate,
    if_match: IfMatchDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> LicenceRead:
    """Revoke a licence in force with its ground and reasons (where the work is unlawful or
    harms the child's health, welfare or education, or the conditions are broken), with
    `If-Match`. The school's absence notice is cancelled and the people on the licence are
    told."""
    view = await licences.revoke(
        session,
        access,
        licence_id=licence_id,
        data=body,
        if_match=if_match,
        template_ids=settings.notify_templates,
    )
    return _respond(access, view, response)


# --- chaperones ---------------------------------------------------------------------------


def _chaperone(access: Access, licence: Licence) -> ChaperoneRead:
    assert licence.person_id is not None
    granted = licence.status is not LicenceStatus.APPLIED and licence.expires_on is not None
    return ChaperoneRead(
        licence_id=licence.id,
        reference=licence.reference,
        person_id=licence.person_id,
        subject_id=licence.subject_id,
        forename=licence.forename,
        surname=licence.surname,
        status=effective_status(licence, access.today),
        approved_on=licence.decided_at.date() if granted and licence.decided_at else None,
        expires_on=licence.expires_on,
        reminder_queued_on=licence.reminder_queued_on,
    )


@chaperones.get(
    "", name="chaperones_list", summary="List chaperone approvals", response_model=ChaperonePage
)
async def list_chaperones(
    access: Annotated[Access, Policy("chaperone", "list")],
    session: SessionDep,
    filters: Annotated[ChaperoneFilters, Query()],
    paging: PagingDep,
) -> ChaperonePage:
    """The adults approved (or applying) to supervise children in performances, with each
    approval's expiry (three years from the grant). `expiring_before` lists the approvals in
    force that expire before a day: the reminders list. Licensing officers; information
    governance under a governance purpose."""
    found, next_cursor = await licences.list_chaperones(
        session,
        access,
        status=filters.status,
        expiring_before=filters.expiring_before,
        person_id=filters.person_id,
        page=paging.page(access, filters),
    )
    return ChaperonePage(
        items=[_chaperone(access, item) for item in found], next_cursor=next_cursor
    )


# --- absences ----------------------------------------------------------------------------


@absences.get(
    "",
    name="licensed_absences_list",
    summary="List absences granted by licences",
    response_model=AbsencePage,
)
async def list_absences(
    access: Annotated[Access, Policy("licensed_absence", "list")],
    session: SessionDep,
    filters: Annotated[AbsenceFilters, Query()],
    paging: PagingDep,
) -> AbsencePage:
    """The school days a granted performance licence takes a pupil out of school, to record
    with code C1 (SI 2024/208 reg 10: leave for a regulated performance), latest first. School
    staff see their own schools' pupils under `KPAS-Purpose: attendance_duty`; attendance
    managers their area teams'; attendance officers those of pupils in their cases; licensing
    officers all. A revoked licence's absence shows as cancelled (`include_cancelled`)."""
    found, references, next_cursor = await licences.list_absences(
        session,
        access,
        query=AbsenceQuery(
            school_urn=filters.school_urn,
            pupil_id=filters.pupil_id,
            ends_from=filters.from_date,
            starts_to=filters.to_date,
            include_cancelled=filters.include_cancelled,
        ),
        page=paging.page(access, filters),
    )
    return AbsencePage(
        items=[_absence(a, references.get(a.licence_id, "")) for a in found],
        next_cursor=next_cursor,
    )
