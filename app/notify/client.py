"""An async client for GOV.UK Notify's API v2.

One ``NotifyClient`` holds one ``httpx.AsyncClient`` (a connection pool): create it once per
process or worker, share it between tasks, and close it with ``aclose()`` (or ``async with``).
Every request carries a fresh HS256 token (``app.notify.keys``). Timeouts are always set.

Each method returns a typed model from ``app.notify.schemas`` or raises one of the errors in
``app.notify.errors``; nothing here retries, because the outbox worker owns retries (with backoff,
jitter and a record of attempts) and must reconcile before resending. In outline::

    async with NotifyClient(base_url, api_key) as notify:
        try:
            sent = await notify.send_sms(
                phone_number=..., template_id=..., reference=str(message.id),
                personalisation={...},
            )
        except NotifyRejected:          # permanent: mark failed (is_auth_error: stop and alert)
            ...
        except NotifyError as exc:      # retryable; if exc.may_have_been_accepted, first:
            found = await notify.find_by_reference(str(message.id))

``reference`` is required on every send: it is how a message is found again when the answer to
a send was lost. It must be an opaque id, never personal data (Notify shows it in its dashboard).

Logs carry the operation, status, Notify error types, notification id and reference, and time
taken: never recipients, personalisation, message bodies or Notify's error messages.
"""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from functools import cache
from types import TracebackType
from typing import Any, Literal, Self, TypeVar, cast
from uuid import UUID

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from app import __version__
from app.log import get_logger
from app.notify.errors import (
    NotifyError,
    NotifyOutcomeUnknown,
    NotifyServerError,
    NotifyUnreachable,
    error_from_response,
)
from app.notify.keys import ApiKey
from app.notify.schemas import (
    Notification,
    NotificationType,
    Personalisation,
    Sent,
    SentEmail,
    SentLetter,
    SentPrecompiledLetter,
    SentSms,
    Template,
)

__all__ = ["DEFAULT_LIMITS", "DEFAULT_TIMEOUT", "NotificationPage", "NotifyClient"]

#: Connect quickly or give up; Notify answers a send in well under a second when healthy.
DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=10.0, write=10.0, pool=5.0)
DEFAULT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10)
USER_AGENT = f"kpas-platform-api/{__version__} (Kent PRU and Attendance Service; httpx)"

_log = get_logger("app.notify.client")

_Model = TypeVar("_Model", bound=BaseModel)
_Sent = TypeVar("_Sent", bound=Sent)
_NOTIFICATIONS = TypeAdapter(list[Notification])
_TEMPLATES = TypeAdapter(list[Template])

# Failures before any byte of the request left this process: nothing can have happened at Notify.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


@dataclass(frozen=True)
class NotificationPage:
    """One page of ``GET /v2/notifications`` (newest first) and where the next page starts."""

    notifications: list[Notification]
    next_older_than: UUID | None


@cache
def _tls() -> ssl.SSLContext:
    """One certificate-verifying TLS context for every client: building one reads the CA bundle,
    which is slow, and a context can be shared."""
    return httpx.create_ssl_context()


def _uuid_text(value: UUID | str, what: str) -> str:
    """A UUID for a URL path; refuse anything else rather than let it change the path."""
    try:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    except ValueError:
        raise ValueError(f"{what} must be a UUID") from None


def _older_than_from(link: object) -> UUID | None:
    """The ``older_than`` of Notify's ``links.next`` URL (read as a parameter, not by pattern)."""
    if not isinstance(link, str) or not link:
        return None
    value = httpx.URL(link).params.get("older_than")
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


class NotifyClient:
    """GOV.UK Notify API v2: send texts, emails and letters; read notifications and templates."""

    def __init__(
        self,
        base_url: str,
        api_key: str | ApiKey,
        *,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` gives the ``iat`` of each token (epoch seconds); tests move it."""
        self._key = api_key if isinstance(api_key, ApiKey) else ApiKey.parse(api_key)
        self._clock = clock
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            timeout=timeout,
            limits=limits,
            transport=transport,
            verify=_tls(),
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    @property
    def service_id(self) -> str:
        return self._key.service_id

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    # Sending -------------------------------------------------------------------------------

    async def send_sms(
        self,
        *,
        phone_number: str,
        template_id: UUID | str,
        reference: str,
        personalisation: Personalisation | None = None,
        sms_sender_id: UUID | str | None = None,
    ) -> SentSms:
        """``POST /v2/notifications/sms``."""
        body: dict[str, Any] = {"phone_number": phone_number, "template_id": str(template_id)}
        body.update(self._common(reference, personalisation))
        if sms_sender_id is not None:
            body["sms_sender_id"] = str(sms_sender_id)
        return await self._send("send_sms", "/v2/notifications/sms", body, SentSms)

    async def send_email(
        self,
        *,
        email_address: str,
        template_id: UUID | str,
        reference: str,
        personalisation: Personalisation | None = None,
        email_reply_to_id: UUID | str | None = None,
        one_click_unsubscribe_url: str | None = None,
    ) -> SentEmail:
        """``POST /v2/notifications/email``."""
        body: dict[str, Any] = {"email_address": email_address, "template_id": str(template_id)}
        body.update(self._common(reference, personalisation))
        if email_reply_to_id is not None:
            body["email_reply_to_id"] = str(email_reply_to_id)
        if one_click_unsubscribe_url is not None:
            body["one_click_unsubscribe_url"] = one_click_unsubscribe_url
        return await self._send("send_email", "/v2/notifications/email", body, SentEmail)

    async def send_letter(
        self,
        *,
        template_id: UUID | str,
        personalisation: Personalisation,
        reference: str,
    ) -> SentLetter:
        """``POST /v2/notifications/letter`` from a letter template.

        ``personalisation`` holds ``address_line_1..7`` (see
        ``app.notify.schemas.address_personalisation``) and the template's placeholders. The
        postage is the template's.
        """
        body: dict[str, Any] = {"template_id": str(template_id)}
        body.update(self._common(reference, personalisation))
        return await self._send("send_letter", "/v2/notifications/letter", body, SentLetter)

    async def send_precompiled_letter(
        self,
        *,
        reference: str,
        pdf: bytes,
        postage: Literal["first", "second"] | None = None,
    ) -> SentPrecompiledLetter:
        """``POST /v2/notifications/letter`` with a ready-made PDF (the address is read from it)."""
        body: dict[str, Any] = {
            "reference": self._checked_reference(reference),
            "content": base64.b64encode(pdf).decode("ascii"),
        }
        if postage is not None:
            body["postage"] = postage
        return await self._send(
            "send_precompiled_letter", "/v2/notifications/letter", body, SentPrecompiledLetter
        )

    # Reading -------------------------------------------------------------------------------

    async def get_notification(self, notification_id: UUID | str) -> Notification:
        """``GET /v2/notifications/{id}``; ``NotifyNotFound`` if this service has no such one."""
        path = f"/v2/notifications/{_uuid_text(notification_id, 'notification_id')}"
        payload = await self._request("get_notification", "GET", path, sending=False)
        return self._parse(Notification, payload, operation="get_notification", sending=False)

    async def list_notifications_page(
        self,
        *,
        reference: str | None = None,
        status: str | Sequence[str] | None = None,
        template_type: NotificationType | None = None,
        older_than: UUID | str | None = None,
    ) -> NotificationPage:
        """One page (Notify: up to 250, newest first) of ``GET /v2/notifications``."""
        params: dict[str, str | list[str]] = {}
        if reference is not None:
            params["reference"] = reference
        if status is not None:
            params["status"] = [status] if isinstance(status, str) else list(status)
        if template_type is not None:
            params["template_type"] = template_type
        if older_than is not None:
            params["older_than"] = _uuid_text(older_than, "older_than")
        payload = await self._request(
            "list_notifications", "GET", "/v2/notifications", params=params, sending=False
        )
        try:
            notifications = _NOTIFICATIONS.validate_python(payload["notifications"])
            links = payload.get("links") or {}
            return NotificationPage(notifications, _older_than_from(links.get("next")))
        except (ValidationError, KeyError, TypeError, AttributeError) as exc:
            raise self._unreadable("list_notifications", sending=False) from exc

    async def list_notifications(
        self,
        *,
        reference: str | None = None,
        status: str | Sequence[str] | None = None,
        template_type: NotificationType | None = None,
        older_than: UUID | str | None = None,
    ) -> AsyncIterator[Notification]:
        """Every matching notification within Notify's retention, newest first, page by page."""
        cursor: UUID | str | None = older_than
        while True:
            page = await self.list_notifications_page(
                reference=reference, status=status, template_type=template_type, older_than=cursor
            )
            for notification in page.notifications:
                yield notification
            if not page.notifications or page.next_older_than in (None, cursor):
                return
            cursor = page.next_older_than

    async def find_by_reference(self, reference: str) -> list[Notification]:
        """All notifications sent with ``reference``, newest first: how a lost send is found."""
        return [n async for n in self.list_notifications(reference=reference)]

    async def get_templates(self, template_type: NotificationType | None = None) -> list[Template]:
        """``GET /v2/templates`` (latest version of each), optionally of one type."""
        params = {"type": template_type} if template_type else None
        payload = await self._request(
            "get_templates", "GET", "/v2/templates", params=params, sending=False
        )
        try:
            return _TEMPLATES.validate_python(payload["templates"])
        except (ValidationError, KeyError, TypeError) as exc:
            raise self._unreadable("get_templates", sending=False) from exc

    async def get_template(
        self, template_id: UUID | str, *, version: int | None = None
    ) -> Template:
        """``GET /v2/template/{id}`` (latest) or ``/v2/template/{id}/version/{version}``."""
        path = f"/v2/template/{_uuid_text(template_id, 'template_id')}"
        if version is not None:
            path += f"/version/{int(version)}"
        payload = await self._request("get_template", "GET", path, sending=False)
        return self._parse(Template, payload, operation="get_template", sending=False)

    # Plumbing ------------------------------------------------------------------------------

    @staticmethod
    def _checked_reference(reference: str) -> str:
        if not reference or not reference.strip():
            raise ValueError("every send needs a reference, to find the message again")
        return reference

    def _common(self, reference: str, personalisation: Personalisation | None) -> dict[str, Any]:
        body: dict[str, Any] = {"reference": self._checked_reference(reference)}
        if personalisation is not None:
            body["personalisation"] = {
                key: list(value) if isinstance(value, list | tuple) else value
                for key, value in personalisation.items()
            }
        return body

    async def _send(
        self, operation: str, path: str, body: dict[str, Any], model: type[_Sent]
    ) -> _Sent:
        payload = await self._request(
            operation, "POST", path, json=body, sending=True, reference=body.get("reference")
        )
        sent = self._parse(model, payload, operation=operation, sending=True)
        _log.info(
            "notify_accepted",
            operation=operation,
            notification_id=str(sent.id),
            reference=body.get("reference"),
        )
        return sent

    def _parse(self, model: type[_Model], payload: Any, *, operation: str, sending: bool) -> _Model:
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            if sending and issubclass(model, Sent):
                # A 201 with Notify's id is an accepted send, whatever else it lacks: never
                # "outcome unknown" for it (that would send it again after a lookup).
                try:
                    accepted = Sent.model_validate(payload)
                except ValidationError:
                    raise self._unreadable(operation, sending=sending) from exc
                _log.warning("notify_answer_incomplete", operation=operation)
                return cast(
                    _Model, model.model_construct(id=accepted.id, reference=accepted.reference)
                )
            raise self._unreadable(operation, sending=sending) from exc

    def _unreadable(self, operation: str, *, sending: bool) -> NotifyError:
        _log.warning("notify_unreadable_answer", operation=operation)
        if sending:
            return NotifyOutcomeUnknown(f"{operation}: Notify's answer could not be read")
        return NotifyServerError(
            f"{operation}: Notify's answer could not be read", error_types=("InvalidResponse",)
        )

    async def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        sending: bool,
        json: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        reference: str | None = None,
    ) -> Any:
        headers = {"Authorization": self._key.authorization(clock=self._clock)}
        started = time.perf_counter()
        try:
            response = await self._http.request(
                method, path, json=json, params=params, headers=headers
            )
        except _NOT_SENT as exc:
            _log.warning(
                "notify_unreachable",
                operation=operation,
                failure=type(exc).__name__,
                reference=reference,
            )
            raise NotifyUnreachable(f"{operation}: Notify could not be reached") from exc
        except httpx.RequestError as exc:
            # The request may have been written: a send may have landed. A read is safe to repeat.
            _log.warning(
                "notify_no_answer",
                operation=operation,
                failure=type(exc).__name__,
                reference=reference,
            )
            if sending:
                raise NotifyOutcomeUnknown(
                    f"{operation}: no answer from Notify after the request was sent"
                ) from exc
            raise NotifyUnreachable(f"{operation}: no answer from Notify") from exc
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.is_success:
            _log.debug(
                "notify_request",
                operation=operation,
                status=response.status_code,
                elapsed_ms=elapsed_ms,
            )
            if payload is None:
                raise self._unreadable(operation, sending=sending)
            return payload
        error = error_from_response(response.status_code, payload, sending=sending)
        _log.warning(
            "notify_refused",
            operation=operation,
            status=response.status_code,
            error_types=list(error.error_types),
            reference=reference,
            elapsed_ms=elapsed_ms,
        )
        raise error
