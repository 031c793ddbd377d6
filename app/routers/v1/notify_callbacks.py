"""`/v1/notify/callbacks`: GOV.UK Notify's delivery receipts.

Notify authenticates with the bearer token we set in its service settings
(``KPAS_NOTIFY_CALLBACK_TOKEN``), not with a user's token, so the route is outside the policy
layer (``PUBLIC``) and checks that token itself, in constant time, before the body is used.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.db import SessionDep
from app.errors import Unauthenticated
from app.notify.schemas import DeliveryReceipt
from app.policies import PUBLIC
from app.routers.deps import SettingsDep
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.services import messages

router = APIRouter(prefix=f"{PREFIX}/notify", tags=["notify"], route_class=KpasRoute)

notify_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="notify_callback_token",
    description="The token this service gave GOV.UK Notify for its delivery receipts "
    "(`KPAS_NOTIFY_CALLBACK_TOKEN`).",
)


def require_notify_token(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(notify_bearer)],
) -> None:
    """401 unless the request carries our callback token. Both sides are hashed first, so the
    comparison takes the same time whatever the token's length or content."""
    expected = hashlib.sha256(settings.notify_callback_token.get_secret_value().encode()).digest()
    given = credentials.credentials if credentials is not None else ""
    if credentials is None or not hmac.compare_digest(
        hashlib.sha256(given.encode()).digest(), expected
    ):
        raise Unauthenticated("Delivery receipts need the callback token given to Notify.")


@router.post(
    "/callbacks",
    name="notify_callbacks_receive",
    status_code=204,
    response_class=Response,
    dependencies=[PUBLIC, Depends(require_notify_token)],
    responses={401: problem_response("Missing or wrong callback token.")},
)
async def receive_receipt(receipt: DeliveryReceipt, session: SessionDep) -> Response:
    """A delivery receipt for a text message or email. It updates the message's status
    (never a final one); a receipt for a notification we do not know, for a letter (Notify
    sends none) or of another type than the message is accepted and ignored, and a repeated
    receipt changes nothing."""
    await messages.record_receipt(session, receipt, now=datetime.now(UTC))
    return Response(status_code=204)
