"""`/v1/schools`: The school roll pushed by a school's information system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import PROBLEM_MEDIA_TYPE
from app.policies import Access, Policy
from app.routers.deps import IdempotencyDep
from app.routers.route import BODY_LIMIT_SETTING, KpasRoute, content_type_of, problem_response
from app.routers.v1 import PREFIX
from app.routers.v1.schools import UrnPath
from app.schemas.common import CalendarDate
from app.schemas.roll import (
    CSV_CARERS,
    MAX_ROLL_PUPILS,
    RollProblem,
    RollSummary,
    read_csv_roll,
    read_json_roll,
    roll_request_body,
)
from app.services import roll

router = APIRouter(prefix=f"{PREFIX}/schools", tags=["school roll"], route_class=KpasRoute)

ROLL_MEDIA_TYPES = ["application/json", "text/csv"]

DESCRIPTION = f"""
Replace the school's whole roll: for the school's information system, for its own school.

All or nothing. Every row is checked first; if any is refused, nothing is changed and the 422
lists each problem with its `row` (array index + 1; in CSV, 1 is the first row after the
header), `field` (or CSV column) and `problem`. A closed school's roll is refused (409).

Pupils are matched by UPN. A pupil on this school's roll alone has changed fields updated (a
field left out keeps its stored value; `null` or an empty CSV cell clears it); carers are
matched by name among the pupil's carers, else created and linked. A UPN on no roll here
joins it: the record KPAS holds when it has the row's date of birth and legal forename and
surname (case and accents aside) and is on no other school's roll, else a new record, which a
person at the council then reviews against the one KPAS holds. For a pupil on another school's
roll as well, the row's dates apply and its changes to the pupil and their carers are held for
review. Pupils on this school's roll whom the roll leaves out come off it on `as_of`.
Pushing the same roll again changes nothing. Repeat a push safely with `Idempotency-Key`.
The response counts what happened; it carries no personal data.

**JSON**: `{{"as_of": "2026-11-30", "pupils": [...]}}`; an empty `pupils` list takes every
pupil off roll. At most {MAX_ROLL_PUPILS} pupils.

**CSV** (`text/csv`, UTF-8, a byte order mark and CRLF line endings allowed): `as_of` is a
query parameter; a header row names the columns (any order, case-insensitive), then one row
per pupil. Required columns: `upn`, `legal_forename`, `legal_surname`, `date_of_birth`,
`gender`, `on_roll_from`. Optional: `legal_middle_names`, `preferred_forename`,
`preferred_surname`, `address_line_1` to `address_line_6`, `postcode`, `phone`, `email`.
Carers ({CSV_CARERS} per row), for `n` in 1 and 2: `carer_n_forename`, `carer_n_surname`,
`carer_n_title`, `carer_n_relationship`, `carer_n_parental_responsibility`,
`carer_n_lives_with`, `carer_n_contact_priority`, `carer_n_address_line_1` to
`carer_n_address_line_6`, `carer_n_postcode`, `carer_n_phone`, `carer_n_email`; a carer whose
cells are all empty is not given. Dates are `YYYY-MM-DD`; `gender` is `female`, `male`,
`not_known` or the CBDS letters `F`, `M`, `U`; yes/no columns take `true`/`false`,
`yes`/`no` or `1`/`0`. Unknown columns are refused.
"""

ROLL_PROBLEM: dict[str, Any] = {
    "model": RollProblem,
    "description": "The roll was refused and nothing changed; `errors` lists each problem "
    "with its row and field.",
    "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/RollProblem"}}},
}


@router.put(
    "/{urn}/roll",
    name="school_roll_replace",
    response_model=RollSummary,
    description=DESCRIPTION,
    responses={
        404: problem_response("No school with that URN."),
        409: problem_response("The school is closed: its roll cannot be replaced."),
        422: ROLL_PROBLEM,
    },
    openapi_extra={
        "x-kpas-media-types": ROLL_MEDIA_TYPES,
        "requestBody": roll_request_body(),
        BODY_LIMIT_SETTING: "roll_max_body_bytes",
    },
)
async def replace_roll(
    access: Annotated[Access, Policy("school_roll", "replace")],
    urn: UrnPath,
    request: Request,
    session: SessionDep,
    idempotency: IdempotencyDep,
    as_of: Annotated[
        CalendarDate | None,
        Query(description="The date a CSV roll describes (a JSON roll gives it in the body)."),
    ] = None,
) -> JSONResponse:
    school = await roll.school_for_roll(session, access, urn=urn)
    raw = await request.body()
    media, charset = content_type_of(request.headers.get("content-type", ""))
    if media == "text/csv":
        pushed = read_csv_roll(raw, charset=charset, as_of_query=as_of, today=access.today)
    else:
        pushed = read_json_roll(raw, as_of_query=as_of, today=access.today)

    async def apply() -> RollSummary:
        return await roll.replace_roll(session, access, school=school, roll=pushed)

    return await idempotency.run_ok(
        access, pushed.model_dump(mode="json", exclude_unset=True), apply
    )
