"""`/v1/public`: the public intake. Anyone may make a data-subject request or a complaint here,
without a token (the routes are ``PUBLIC``; ``app.services.public_intake`` says what they may
do and how the audit trail names them).

Because anyone may call them, every request is first counted against a limit per client
address, shared by the public routes (``KPAS_PUBLIC_INTAKE_REQUESTS_PER_ADDRESS`` in any
``KPAS_PUBLIC_INTAKE_WINDOW_SECONDS``; 429 with ``Retry-After`` beyond, the refused request not
counted), and its body is held to ``KPAS_PUBLIC_INTAKE_MAX_BODY_BYTES`` (413) before anything
else reads it. Both happen in the route class, so a malformed or oversized body counts too.
The counts live in each API process, as the token endpoint's do (``app.auth.rate_limits``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Message, Receive

from app.auth.rate_limits import SlidingWindow
from app.db import SessionDep
from app.errors import PayloadTooLarge, TooManyRequests
from app.log import get_logger
from app.policies import PUBLIC
from app.policies.guard import engine_of
from app.routers.deps import SettingsDep
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.public import PublicComplaintCreate, PublicReceipt, PublicSubjectRequestCreate
from app.services import public_intake
from app.settings import Settings

log = get_logger("kpas.routers.public")


class PublicIntakeLimit:
    """The public routes' limit: at most ``per_address`` requests from one client address in
    any ``window_seconds`` (a sliding window; a refused request is not counted)."""

    def __init__(self, *, per_address: int, window_seconds: float) -> None:
        self.per_address = SlidingWindow(per_address, window=window_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> PublicIntakeLimit:
        return cls(
            per_address=settings.public_intake_requests_per_address,
            window_seconds=settings.public_intake_window_seconds,
        )

    def check(self, address: str) -> None:
        """Count a request from ``address``; ``TooManyRequests`` over the limit."""
        wait = self.per_address.hit(address)
        if wait is None:
            return
        retry_after = max(1, math.ceil(wait))
        # The address is personal data: it is not logged.
        log.warning("public_intake_limited", limit=self.per_address.limit, retry_after=retry_after)
        raise TooManyRequests(
            f"Too many submissions from this address: at most {self.per_address.limit} in "
            f"{_duration(self.per_address.window)}. Try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def _duration(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return "a minute" if minutes == 1 else f"{minutes} minutes"
    return f"{seconds:g} seconds"


def public_intake_limit_of(app: Any) -> PublicIntakeLimit:
    """The application's public intake limit, made from its settings on first use."""
    limit: PublicIntakeLimit | None = getattr(app.state, "public_intake_limit", None)
    if limit is None:
        limit = PublicIntakeLimit.from_settings(app.state.settings)
        app.state.public_intake_limit = limit
    return limit


def _limited_receive(receive: Receive, limit: int) -> Receive:
    """``receive``, refusing (413) once the body read passes ``limit`` bytes."""
    received = 0

    async def limited() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
        return message

    return limited


class PublicIntakeRoute(KpasRoute):
    """A public route: counted against the per-address limit, then its body held to the
    public limit, before the usual checks (query parameters, media type) and the handler."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            settings: Settings = request.app.state.settings
            public_intake_limit_of(request.app).check(
                request.client.host if request.client else "unknown"
            )
            limit = settings.public_intake_max_body_bytes
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
            return await handler(Request(request.scope, _limited_receive(request.receive, limit)))

        return guarded


router = APIRouter(prefix=f"{PREFIX}/public", tags=["public"], route_class=PublicIntakeRoute)

TOO_MANY_REQUESTS = problem_response(
    "Too many submissions from this address (`KPAS_PUBLIC_INTAKE_REQUESTS_PER_ADDRESS` in "
    "`KPAS_PUBLIC_INTAKE_WINDOW_SECONDS`, the public routes together); `Retry-After` says how "
    "many seconds to wait."
) | {
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before sending again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
}
TOO_LARGE = problem_response(
    "The body is over the public intake's limit (`KPAS_PUBLIC_INTAKE_MAX_BODY_BYTES`)."
)


@router.post(
    "/subject-requests",
    name="public_subject_requests_create",
    summary="Make a data-subject request",
    status_code=202,
    response_model=PublicReceipt,
    dependencies=[PUBLIC],
    responses={
        413: TOO_LARGE,
        422: problem_response(
            "Invalid fields, no way to answer you (an email address or a postal address), "
            "`authority_evidence` missing for someone else's request "
            "(`authority_evidence_required`) or given for your own (`authority_not_needed`), "
            "a date of birth in the future, or an address the letter or email cannot be sent "
            "to (`requester_message_refused`); `errors` points at each. Nothing is recorded."
        ),
        429: TOO_MANY_REQUESTS,
    },
)
async def create_public_subject_request(
    request: Request, body: PublicSubjectRequestCreate, session: SessionDep, settings: SettingsDep
) -> PublicReceipt:
    """Ask the council to act on a data protection right (UK GDPR Arts 15-22): a copy of
    the information it holds about you or someone you act for, or its correction, erasure,
    restriction, and the rest. No token is needed.

    The answer is a reference and what happens next, and nothing more: it is the same whether
    or not the council holds information about the person. The council then writes to you,
    by email if you gave an address, else by letter: under its policy, to ask for proof of
    your identity (and, for someone else's request, of your authority) before the one-month
    time limit starts. Submissions are limited per address (429 with `Retry-After`) and in
    size (413)."""
    access = public_intake.public_access(
        session,
        engine_of(request),
        resource="subject_request",
        rule=public_intake.REQUEST_RULE,
        now=datetime.now(UTC),
    )
    identity_required = settings.public_request_identity_required
    reference = await public_intake.submit_request(
        session,
        access,
        data=body,
        identity_required=identity_required,
        template_ids=settings.notify_templates,
    )
    return PublicReceipt(
        reference=reference,
        next_steps=public_intake.REQUEST_NEXT_STEPS_IDENTITY
        if identity_required
        else public_intake.REQUEST_NEXT_STEPS,
    )


@router.post(
    "/complaints",
    name="public_complaints_create",
    summary="Complain about the use of personal data",
    status_code=202,
    response_model=PublicReceipt,
    dependencies=[PUBLIC],
    responses={
        413: TOO_LARGE,
        422: problem_response(
            "Invalid fields, no way to answer you (an email address or a postal address), or "
            "an address the acknowledgement cannot be sent to (`complainant_message_refused`); "
            "`errors` points at each. Nothing is recorded."
        ),
        429: TOO_MANY_REQUESTS,
    },
)
async def create_public_complaint(
    request: Request, body: PublicComplaintCreate, session: SessionDep, settings: SettingsDep
) -> PublicReceipt:
    """Complain to the council, as controller of your personal information, about how it
    has used it or answered a request about it (Data Protection Act 2018 s164A). No token is
    needed.

    The answer is the complaint's reference and what happens next. The acknowledgement goes
    to you at once, by email if you gave an address, else by letter; the council then tells
    you how your complaint progresses and its outcome. Give `request_reference` if the
    complaint is about a request you made. Submissions are limited per address (429 with
    `Retry-After`) and in size (413)."""
    access = public_intake.public_access(
        session,
        engine_of(request),
        resource="complaint",
        rule=public_intake.COMPLAINT_RULE,
        now=datetime.now(UTC),
    )
    reference = await public_intake.submit_complaint(
        session, access, data=body, template_ids=settings.notify_templates
    )
    return PublicReceipt(reference=reference, next_steps=public_intake.COMPLAINT_NEXT_STEPS)
