"""`/v1/subject-requests/{id}/...`: answering a data-subject request from the data itself:
searching every module for the person, confirming or rejecting what matched, answering each
record, and building and releasing the access bundle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.errors import NotAcceptable
from app.models.licences import Person
from app.models.people import Carer, Pupil
from app.models.subject_requests import SubjectRequestItem
from app.policies import Access, Policy
from app.routers.deps import IfMatchDep
from app.routers.paging import PagingDep
from app.routers.params import SubjectRequestIdPath, SubjectRequestMatchIdPath
from app.routers.problems import preferred
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.subject_request_answers import (
    BundleFormat,
    BundleQuery,
    BundleRead,
    ItemDecisionRead,
    ItemDecisionsCreate,
    ItemDecisionsRead,
    MatchDecisionCreate,
    MatchedRecordRead,
    MatchFilters,
    MatchPage,
    MatchRead,
    MatchRecordType,
    SearchRead,
    SubjectSearchCreate,
)
from app.services import subject_bundle, subject_matching
from app.services.subject_bundle import provision
from app.services.subject_bundle_page import PAGE_POLICY, render_html
from app.services.subject_matching import MATCH_NOT_FOUND, MatchView, SearchView, strength
from app.services.subject_requests import NOT_FOUND as REQUEST_NOT_FOUND
from app.services.subject_requests import request_etag

router = APIRouter(
    prefix=f"{PREFIX}/subject-requests", tags=["subject requests"], route_class=KpasRoute
)

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: problem_response(REQUEST_NOT_FOUND)}
CLOSED: Responses = {
    409: problem_response("The request is closed (`rule`: `request_open`); it changes no more.")
}
JSON = "application/json"
HTML = "text/html"
#: The header naming the SHA-256 of a released bundle's JSON document.
SHA256_HEADER = "KPAS-Bundle-SHA256"
BUNDLE_CONTENT: Responses = {
    200: {
        "description": "The bundle: JSON, or a readable HTML page (by `format`, else `Accept`).",
        "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/BundleRead"}},
            HTML: {"schema": {"type": "string"}},
        },
    },
    406: problem_response("Neither JSON nor HTML is acceptable."),
}


# --- shaping answers -------------------------------------------------------------------------


def _record(view: MatchView) -> MatchedRecordRead | None:
    record = view.record
    if isinstance(record, Pupil):
        names = (record.legal_forename, record.legal_middle_names, record.legal_surname)
        return MatchedRecordRead(
            name=" ".join(n for n in names if n),
            date_of_birth=record.date_of_birth,
            upn=record.upn,
            postcode=record.postcode,
            school_urns=sorted({e.school_urn for e in record.enrolments}),
            description="Pupil",
        )
    if isinstance(record, Carer):
        return MatchedRecordRead(
            name=f"{record.forename} {record.surname}",
            date_of_birth=None,
            upn=None,
            postcode=record.postcode,
            school_urns=[],
            description="Parent or carer",
        )
    if isinstance(record, Person):
        return MatchedRecordRead(
            name=f"{record.legal_forename} {record.legal_surname}",
            date_of_birth=record.date_of_birth,
            upn=None,
            postcode=record.postcode,
            school_urns=[],
            description=f"Person on a licence ({record.person_type.value})",
        )
    return None


def _match(view: MatchView) -> MatchRead:
    match = view.match
    return MatchRead(
        id=match.id,
        request_id=match.request_id,
        subject_id=match.subject_id,
        record_type=MatchRecordType(match.record_type),
        record_id=match.record_id,
        status=match.status,
        matched_on=list(match.matched_on),
        strength=strength(match.matched_on),
        record=_record(view),
        decided_by=match.decided_by,
        decided_at=match.decided_at,
    )


def _search(view: SearchView) -> SearchRead:
    return SearchRead(
        request_id=view.request.id,
        searched_on=view.searched_on,
        searched_by=view.searched_by,
        modules=list(subject_matching.SEARCHED_MODULES),
        found=view.found,
        added=view.added,
        limit_reached=view.limit_reached,
        search_record_written=view.search_record_written,
        matches=[_match(m) for m in view.matches],
    )


def _item(item: SubjectRequestItem) -> ItemDecisionRead:
    return ItemDecisionRead(
        id=item.id,
        resource_type=item.resource_type,
        resource_id=item.resource_id,
        subject_id=item.subject_id,
        decision=item.decision,
        exemption=item.exemption,
        provision=provision(item.exemption),
        reason=item.reason,
        decided_by=item.decided_by,
        decided_at=item.decided_at,
    )


def _format(request: Request, query: BundleQuery) -> BundleFormat:
    if query.format is not None:
        return query.format
    chosen = preferred(request.headers.get("accept"), (JSON, HTML))
    if chosen is None:
        raise NotAcceptable(f"The bundle is served as {JSON} or {HTML}.")
    return BundleFormat.HTML if chosen == HTML else BundleFormat.JSON


# --- finding the subject ---------------------------------------------------------------------


@router.post(
    "/{request_id}/searches",
    name="subject_requests_search",
    summary="Search every module for the request's subject",
    response_model=SearchRead,
    responses={**NOT_FOUND, **CLOSED},
)
async def search_for_subject(
    access: Annotated[Access, Policy("subject_request", "match")],
    request_id: SubjectRequestIdPath,
    body: SubjectSearchCreate,
    session: SessionDep,
) -> SearchRead:
    """Search pupils, carers and people on licences by the request's identifiers: the UPN,
    legal and other names, date of birth, postcode and school from `subject_details`; for the
    subject's own request the requester's email address and phone number; and any email
    address or phone number given here. Names are compared as name keys (accents and case
    folded), as the duplicate checks compare them.

    Each record that matches is recorded as a `possible` match with what agreed
    (`matched_on`) and how strongly (`strength`): none is confirmed by the search, not even
    a UPN match, and a name alone stays possible until a person decides. A record already
    matched keeps its match and decision. The search is recorded as the request's
    `search_record` when it has none (what was searched, by which identifiers, never their
    values). The subject-rights purpose searches the whole of KPAS: never the caller's own
    reach. Every record found is named in the audit trail."""
    view = await subject_matching.search(session, access, request_id=request_id, data=body)
    return _search(view)


@router.get(
    "/{request_id}/matches",
    name="subject_requests_matches_list",
    summary="List the records a request may be about",
    response_model=MatchPage,
    responses=NOT_FOUND,
)
async def list_matches(
    access: Annotated[Access, Policy("subject_request", "read")],
    request_id: SubjectRequestIdPath,
    session: SessionDep,
    filters: Annotated[MatchFilters, Query()],
    paging: PagingDep,
) -> MatchPage:
    """The request's matches (pupils, carers, people on licences), each with what matched,
    the record as held now (names, date of birth, UPN, postcode, schools) so a person can
    judge it, and the decision on it (who, when). Filter by `status`."""
    found, next_cursor = await subject_matching.list_matches(
        session,
        access,
        request_id=request_id,
        status=filters.status,
        page=paging.page(access, filters),
    )
    return MatchPage(items=[_match(m) for m in found], next_cursor=next_cursor)


@router.post(
    "/{request_id}/matches/{match_id}/decision",
    name="subject_requests_matches_decide",
    summary="Confirm or reject a match",
    response_model=MatchRead,
    responses={**CLOSED, 404: problem_response(f"{REQUEST_NOT_FOUND} Or: {MATCH_NOT_FOUND}")},
)
async def decide_match(
    access: Annotated[Access, Policy("subject_request", "match")],
    request_id: SubjectRequestIdPath,
    match_id: SubjectRequestMatchIdPath,
    body: MatchDecisionCreate,
    session: SessionDep,
) -> MatchRead:
    """Confirm that the matched record is the subject's (`confirmed`: its records go into the
    bundle) or reject it (`rejected`: they never do), recorded with who decided and when. A
    decision may be changed while the request is open; a bundle already released stays as
    released, and a new release reflects the change."""
    view = await subject_matching.decide_match(
        session, access, request_id=request_id, match_id=match_id, data=body
    )
    return _match(view)


# --- answering record by record ----------------------------------------------------------------


@router.post(
    "/{request_id}/items",
    name="subject_requests_items_decide",
    summary="Answer items of the access bundle",
    response_model=ItemDecisionsRead,
    responses={
        **NOT_FOUND,
        **CLOSED,
        422: problem_response(
            "Invalid fields, or an answer that does not fit its item (`errors` points at each): "
            "no such item in the bundle (`unknown_item`), a restriction of a record not held "
            "for law enforcement (`not_law_enforcement`), or a UK GDPR exemption for a record "
            "held for law enforcement alone (`part3_restriction`). Nothing is recorded."
        ),
    },
)
async def decide_items(
    access: Annotated[Access, Policy("subject_request", "answer")],
    request_id: SubjectRequestIdPath,
    body: ItemDecisionsCreate,
    session: SessionDep,
) -> ItemDecisionsRead:
    """Record the answer for items of the bundle, named by `resource_type` and
    `resource_id` as the bundle shows them: `released`; `withheld` with the exemption
    (crime and taxation, DPA 2018 Sch 2 para 2; third-party data, Sch 2 paras 16-17; the
    serious-harm tests for social work and education data, Sch 3 Parts 3 and 4; legal
    professional privilege, Sch 2 para 19); `restricted` (a record held for prosecution,
    DPA 2018 s45(4): where access would prejudice an investigation or prosecution); or
    `third_party_review`. Every answer but a release says why, in words the requester can
    be told. All the answers given are recorded, or none; a later answer for an item
    replaces the earlier, and the audit trail keeps each."""
    answered = await subject_bundle.decide_items(session, access, request_id=request_id, data=body)
    return ItemDecisionsRead(items=[_item(item) for item in answered])


# --- the bundle -------------------------------------------------------------------------------


@router.get(
    "/{request_id}/bundle",
    name="subject_requests_bundle",
    summary="Build the access bundle",
    response_model=BundleRead,
    responses={**BUNDLE_CONTENT, **NOT_FOUND},
)
async def get_bundle(
    access: Annotated[Access, Policy("subject_request", "bundle")],
    request_id: SubjectRequestIdPath,
    request: Request,
    query: Annotated[BundleQuery, Query()],
    session: SessionDep,
) -> Response:
    """The access bundle as it stands, built under the subject-rights purpose over every
    module (never the caller's own reach): for every confirmed match, every record about the
    person (their record, enrolments, family links, special category data, documents listed
    by what they are, attendance marks and figures, alerts, exclusions, cases with their
    chronology, documents, meetings, contracts and notices, penalty notices and
    prosecutions, licences and their documents, messages sent, every disclosure in the
    disclosure log, partner API reads included, and the audit trail's reads of their
    records: who, when, under which purpose).

    Each item carries its purposes, lawful bases, data categories, retention period and
    date, source, whether it is held for prosecution (DPA 2018 Part 3), the answer of every
    right on each basis with its reason, whether it holds someone else's data, and its
    answer. Items holding third-party data are flagged `third_party_review` automatically.

    `format=json` (the default) or `format=html` (one self-contained, printable page, every
    value escaped); without `format`, by `Accept`. Every data subject whose data the bundle
    holds is named in the audit trail."""
    output = _format(request, query)
    bundle = await subject_bundle.get_bundle(session, access, request_id=request_id)
    if output is BundleFormat.HTML:
        return HTMLResponse(
            render_html(bundle),
            headers={"Vary": "Accept", "Content-Security-Policy": PAGE_POLICY},
        )
    return Response(bundle.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})


@router.post(
    "/{request_id}/bundle/release",
    name="subject_requests_bundle_release",
    summary="Release the access bundle to the requester",
    response_model=BundleRead,
    responses={
        **BUNDLE_CONTENT,
        **NOT_FOUND,
        409: problem_response(
            "The bundle cannot be released (`rule` names why): the request is closed "
            "(`request_open`) or for another right (`access_request_only`); identity "
            "(`identity_confirmed`) or the requester's authority (`authority_accepted`) is "
            "not confirmed; no match is confirmed (`match_confirmed`) or one is still "
            "possible (`matches_decided`); or items await third-party review "
            "(`third_party_reviewed`)."
        ),
        412: problem_response("If-Match does not match the request's current ETag."),
        428: problem_response("If-Match is missing."),
    },
)
async def release_bundle(
    access: Annotated[Access, Policy("subject_request", "bundle")],
    request_id: SubjectRequestIdPath,
    request: Request,
    query: Annotated[BundleQuery, Query()],
    if_match: IfMatchDep,
    session: SessionDep,
) -> Response:
    """Release the bundle to the requester, with `If-Match` (the request's ETag). The
    released bundle holds the items released; those withheld or restricted are listed in
    `not_released` with their exemption and reason. Its JSON document is hashed (SHA-256),
    a disclosure to the requester is written in the disclosure log with that hash, and the
    request's `bundle_sha256` is set, so the request can be closed with its answer.

    The answer is exactly the JSON document released (its SHA-256 is the
    `KPAS-Bundle-SHA256` header and the disclosure's `content_sha256`), or with
    `format=html` / `Accept: text/html` the readable page of that same document, which
    names the hash. The request's new ETag is in `ETag`. A bundle may be released again
    while the request is open: each release is a disclosure of its own."""
    output = _format(request, query)
    released = await subject_bundle.release(
        session, access, request_id=request_id, if_match=if_match
    )
    headers = {
        "ETag": request_etag(released.request),
        SHA256_HEADER: released.sha256,
        "Vary": "Accept",
    }
    if output is BundleFormat.HTML:
        return HTMLResponse(
            render_html(released.bundle, sha256=released.sha256),
            headers={**headers, "Content-Security-Policy": PAGE_POLICY},
        )
    return Response(released.content, media_type=JSON, headers=headers)
