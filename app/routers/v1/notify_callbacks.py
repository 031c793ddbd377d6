"""`/v1/notify/callbacks`: GOV.UK Notify's delivery receipts and returned-letter callbacks
(both of Notify's callback URLs point here; the body says which it is).

Notify authenticates with the bearer token we set in its service settings
(``KPAS_NOTIFY_CALLBACK_TOKEN``), not with a user's token, so the route is outside the policy
layer (``PUBLIC``) and checks that token itself, in constant time, before the body is used.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security.utils import get_authorization_scheme_param

from app.db import SessionDep
from app.errors import Unauthenticated
from app.notify.schemas import DeliveryReceipt, ReturnedLetter
from app.policies import PUBLIC
from app.routers.deps import SettingsDep
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.services import messages

router = APIRouter(prefix=f"{PREFIX}/notify", tags=["notify"], route_class=KpasRoute)


def require_notify_token(settings: SettingsDep, request: Request) -> None:
    """401 unless the request carries our callback token. Both sides are hashed first, so the
    comparison takes the same time whatever the token's length or content.

    The header is read here rather than through a security scheme: a scheme would be offered
    by the API docs' "Authorize" to every client, and this token is Notify's alone (the
    operation's description documents it)."""
    expected = hashlib.sha256(settings.notify_callback_token.get_secret_value().encode()).digest()
    scheme, given = get_authorization_scheme_param(request.headers.get("authorization"))
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), expected
    ):
        raise Unauthenticated("Delivery receipts need the callback token given to Notify.")


@router.post(
    "/callbacks",
    name="notify_callbacks_receive",
    summary="Receive a Notify delivery receipt or returned letter",
    status_code=204,
    response_class=Response,
    dependencies=[PUBLIC, Depends(require_notify_token)],
    responses={401: problem_response("Missing or wrong callback token.")},
)
async def receive_receipt(
    receipt: DeliveryReceipt | ReturnedLetter, session: SessionDep
) -> Response:
    """GOV.UK Notify's delivery receipt for a text message or email, or its returned-letter
    callback for a letter Royal Mail sent back (a body with `notification_id`). Authenticated
    by the bearer token this service gave Notify, not by a user's token: 401 without it.

    A receipt updates the message's status (never a final one); a returned letter makes the
    letter's message `returned`. A notification KPAS does not know, a receipt for a letter or
    of another type than the message, and a repeat are accepted and change nothing.
    """
    now = datetime.now(UTC)
    if isinstance(receipt, ReturnedLetter):
        await messages.record_returned_letter(session, receipt, now=now)
    else:
        await messages.record_receipt(session, receipt, now=now)
    return Response(status_code=204)
