"""`/v1/schools`: The school roll pushed by a school's information system."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.db import SessionDep
from app.errors import PROBLEM_MEDIA_TYPE
from app.policies import Access, Policy
from app.routers.deps import IdempotencyDep, SettingsDep
from app.routers.params import UrnPath
from app.routers.route import (
    BODY_LIMIT_SETTING,
    KpasRoute,
    content_type_of,
    problem_response,
)
from app.routers.v1 import PREFIX
from app.schemas.common import CalendarDate
from app.schemas.roll import (
    CSV_CARERS,
    MAX_ROLL_PUPILS,
    RollCheck,
    RollProblem,
    RollSummary,
    read_csv_roll,
    read_json_roll,
    roll_request_body,
)
from app.services import roll
from app.services.roll import LeaversGuard

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

**Leavers on a large scale must be confirmed.** A roll that would take more than a share of
the pupils on the school's roll off it (10% by default), or more than a number of pupils (20
by default), whichever is fewer, is refused (409, nothing changed) unless `expected_leavers`
states how many it takes off; an empty roll always needs it. When given, `expected_leavers`
must equal the number the roll takes off, or the roll is refused. The 409 says how many that
would be.

**Validate only**: with `validate_only=true` the push is checked and applied exactly as it
would be (every row, the identity matching, the leavers and their confirmation) inside a
transaction that is then rolled back. Nothing is changed; the answer is the one the push
would give, with `validate_only: true` and `leavers`, the ids of the pupils it would take
off roll. An `Idempotency-Key` is neither used nor remembered for it.

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

**The examples** are the whole roll of the demo school Hopgarden Primary School (synthetic),
URN 990028, as `samples/roll.json` and `samples/roll.csv` hold it: every pupil the demo has
on that roll, so pushed there it takes nobody off roll (`expected_leavers=0` says so) and
only updates their addresses and their carers' details.
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
    summary="Replace a school's roll",
    response_model=RollSummary,
    description=DESCRIPTION,
    responses={
        200: {
            "description": "What the push did; with `validate_only=true`, what it would do "
            "(`RollCheck`: `validate_only` and `leavers` besides the counts).",
            "model": RollCheck,
        },
        404: problem_response("No school with that URN."),
        409: problem_response(
            "The school is closed: its roll cannot be replaced; or the roll would take many "
            "pupils off roll and `expected_leavers` does not confirm how many."
        ),
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
    settings: SettingsDep,
    as_of: Annotated[
        CalendarDate | None,
        Query(
            description="The date a CSV roll describes (a JSON roll gives it in the body).",
            examples=["2026-12-01"],
        ),
    ] = None,
    expected_leavers: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_ROLL_PUPILS,
            description="How many pupils the roll takes off this school's roll. Needed when "
            "that is many (see above); when given it must be exact.",
            examples=[0],
        ),
    ] = None,
    validate_only: Annotated[
        bool,
        Query(
            description="Check the roll and answer what the push would do; change nothing.",
            examples=[False],
        ),
    ] = False,
) -> JSONResponse:
    school = await roll.school_for_roll(session, access, urn=urn)
    raw = await request.body()
    media, charset = content_type_of(request.headers.get("content-type", ""))
    if media == "text/csv":
        pushed = read_csv_roll(raw, charset=charset, as_of_query=as_of, today=access.today)
    else:
        pushed = read_json_roll(raw, as_of_query=as_of, today=access.today)

    guard = LeaversGuard(
        expected=expected_leavers,
        over_percent=settings.roll_leavers_confirm_over_percent,
        over=settings.roll_leavers_confirm_over,
    )
    if validate_only:
        summary = await roll.replace_roll(
            session, access, school=school, roll=pushed, guard=guard, validate_only=True
        )
        return JSONResponse(jsonable_encoder(summary))

    async def apply() -> RollSummary:
        return await roll.replace_roll(session, access, school=school, roll=pushed, guard=guard)

    return await idempotency.run_ok(
        access, pushed.model_dump(mode="json", exclude_unset=True), apply
    )
