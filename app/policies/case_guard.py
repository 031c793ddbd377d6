"""The policy dependency of routes on one case: a case fixes its purpose.

``CasePolicy("penalty_notice", "create")`` decides like ``Policy`` does, with one difference:
a request that states no ``KPAS-Purpose`` is decided under the purpose the resource fixes
(penalty notices and prosecutions: ``prosecution``; School Attendance Orders:
``school_attendance_order``), or else the case's own (an attendance case's
``attendance_duty``). Whether the caller may see the case is decided afterwards, under that
purpose, exactly as if they had stated it; an unknown case id falls back to no purpose, which
is refused like any request that states none.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from sqlalchemy import select

from app.auth.dependencies import current_principal
from app.db import SessionDep
from app.models.cases import Case
from app.policies.guard import (
    ALL_PURPOSES,
    PURPOSE_HEADER,
    PURPOSE_MAX_LENGTH,
    Access,
    BearerDep,
    PersonalDataGuard,
    PolicyDeclaration,
    _decide,
)
from app.policies.resources import RESOURCES


def _case_id(request: Request) -> uuid.UUID | None:
    """The route's ``case_id`` (validated and documented by the route itself; a malformed one
    is the route's 422, so here it only means "no case to take a purpose from")."""
    try:
        return uuid.UUID(str(request.path_params.get("case_id", "")))
    except ValueError:
        return None


class CaseGuard(PersonalDataGuard):
    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        _bearer: BearerDep,
        _purpose: Annotated[
            str | None,
            Header(
                alias=PURPOSE_HEADER,
                json_schema_extra={"enum": list(ALL_PURPOSES), "maxLength": PURPOSE_MAX_LENGTH},
                description="Why you need this data: a purpose code from the registry "
                "(`GET /v1/purposes`), sent once. Leave out to use the purpose the record "
                "fixes: `prosecution` for penalty notices and prosecutions, "
                "`school_attendance_order` for orders, else the case's own.",
                examples=["attendance_duty"],
            ),
        ] = None,
    ) -> Access:
        principal = await current_principal(request)
        case_id = _case_id(request)
        purposes = request.headers.getlist(PURPOSE_HEADER)
        unstated = not purposes or (len(purposes) == 1 and not purposes[0].strip())
        if principal is not None and unstated:
            fixed = RESOURCES[self.declaration.resource].default_purpose
            if fixed is not None:
                purposes = [fixed.value]
            elif case_id is not None:
                own = await session.scalar(select(Case.purpose).where(Case.id == case_id))
                purposes = [own] if own else []
        return await _decide(
            self.declaration,
            request,
            session,
            principal,
            purposes,
            case_id=None if case_id is None else str(case_id),
        )


def CasePolicy(resource: str, action: str) -> Any:  # noqa: N802 - reads as a declaration
    """Declare the policy of a route on one case (``/v1/cases/{case_id}/...``)."""
    binding = RESOURCES.get(resource)
    if binding is None or not binding.personal_data:
        raise ValueError(f"no personal-data policy resource named {resource!r}")
    return Depends(CaseGuard(PolicyDeclaration(resource, action)))
