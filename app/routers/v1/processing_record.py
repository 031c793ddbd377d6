"""``/v1/processing-record``: the record of processing (UK GDPR Art 30; DPA 2018 s61), the
privacy notice's lists, and the drift between the published notice and real processing, all
rendered from the live registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.db import SessionDep
from app.errors import NotAcceptable
from app.notice import NoticeLibrary, notice_library
from app.policies import Access, Policy
from app.routers.problems import preferred
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.processing_record import (
    DriftReportRead,
    NoticeListsRead,
    ProcessingRecordRead,
    RecordFormat,
    RecordQuery,
)
from app.services import processing_record
from app.services.processing_record_page import PAGE_POLICY, render_html

NoticesDep = Annotated[NoticeLibrary, Depends(notice_library)]

router = APIRouter(
    prefix=f"{PREFIX}/processing-record", tags=["processing record"], route_class=KpasRoute
)

JSON = "application/json"
HTML = "text/html"
RECORD_CONTENT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The record: JSON, or a readable HTML page (by `format`, else `Accept`).",
        "content": {
            JSON: {"schema": {"$ref": "#/components/schemas/ProcessingRecordRead"}},
            HTML: {"schema": {"type": "string"}},
        },
    },
    406: problem_response("Neither JSON nor HTML is acceptable."),
}


def _format(request: Request, query: RecordQuery) -> RecordFormat:
    if query.format is not None:
        return query.format
    chosen = preferred(request.headers.get("accept"), (JSON, HTML))
    if chosen is None:
        raise NotAcceptable(f"The record is served as {JSON} or {HTML}.")
    return RecordFormat.HTML if chosen == HTML else RecordFormat.JSON


@router.get(
    "",
    name="processing_record_read",
    summary="Read the record of processing",
    response_model=ProcessingRecordRead,
    responses=RECORD_CONTENT,
)
async def read_record(
    access: Annotated[Access, Policy("processing_record", "read")],
    request: Request,
    query: Annotated[RecordQuery, Query()],
    session: SessionDep,
    notices: NoticesDep,
) -> Response:
    """The record of processing activities (UK GDPR Art 30(1)), rendered from the live
    registry: the controller and Data Protection Officer as the published notice gives them;
    every purpose with its regime, lawful bases, Art 9 condition and DPA 2018 Sch 1 or Sch 8
    conditions with their appropriate policy documents, and legislation; the categories of
    data and of data subjects; every active recipient with its sharing agreements in force
    today; the retention of each record type (the retention registry's current versions);
    international transfers (none); the security measures the service implements; and, for
    law enforcement processing (DPA 2018 Part 3), the record s61 requires and the logging
    s62 requires.

    `format=json` (the default) or `format=html` (one self-contained, printable page, every
    value escaped); without `format`, by `Accept`. Information governance and administrators
    only: it holds no personal data, but it is not public.
    """
    output = _format(request, query)
    sources = await processing_record.load_sources(session, notices=notices, now=access.now)
    record = processing_record.processing_record(sources)
    if output is RecordFormat.HTML:
        return HTMLResponse(
            render_html(record),
            headers={"Vary": "Accept", "Content-Security-Policy": PAGE_POLICY},
        )
    return Response(record.model_dump_json(), media_type=JSON, headers={"Vary": "Accept"})


@router.get(
    "/notice",
    name="processing_record_notice",
    summary="Read the privacy notice's lists",
    response_model=NoticeListsRead,
)
async def read_notice_lists(
    access: Annotated[Access, Policy("processing_record", "read")],
    session: SessionDep,
    notices: NoticesDep,
) -> NoticeListsRead:
    """What the privacy notice should list, from the same registry as the record: each
    purpose in the notice's words with its lawful basis and special category condition, the
    categories of data and the people they are about, every active recipient as the notice
    names it (and whether an agreement with it is in force), how long each kind of record is
    kept, international transfers, and the rights people have, grouped by the purposes that
    give the same ones. The next version of the notice is written from this.

    Information governance and administrators only.
    """
    sources = await processing_record.load_sources(session, notices=notices, now=access.now)
    return processing_record.notice_lists(sources)


@router.get(
    "/drift",
    name="processing_record_drift",
    summary="Read where the privacy notice differs from real processing",
    response_model=DriftReportRead,
)
async def read_drift(
    access: Annotated[Access, Policy("processing_record", "read")],
    session: SessionDep,
    notices: NoticesDep,
) -> DriftReportRead:
    """Everything real processing does that the privacy notice in force does not say, or says
    wrongly, each finding with what the notice says, what the service does, where that comes
    from and how serious it is: a recipient with a sharing agreement in force that the notice
    does not name (`recipient_not_named`); a purpose not listed (`purpose_not_stated`) or
    worded differently; a regime, lawful basis or special category condition that differs
    (`notice_regime_drift`, `notice_basis_drift`, `notice_condition_drift`, the codes of
    `GET /v1/purposes/findings`); a category of data or of people collected but not listed
    (`category_not_listed`, `data_subjects_not_listed`); a retention rule that differs or is
    not stated (`retention_differs`, `retention_not_stated`); silence on international
    transfers (`notice_silent_on_transfers`); a right described that never applies
    (`notice_right_drift`).

    The registry records what the council relies on: each finding is for the notice to be
    corrected. When a new version of the notice is published, the report compares against it.
    Information governance and administrators only.
    """
    sources = await processing_record.load_sources(session, notices=notices, now=access.now)
    return processing_record.drift_report(sources)
