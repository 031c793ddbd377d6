"""What can go wrong when talking to GOV.UK Notify, classified for the outbox worker.

Notify answers a failure with ``{"status_code": 400, "errors": [{"error": "ValidationError",
"message": "..."}]}``. The classification below uses the HTTP status and the ``error`` types only,
never the message text (which Notify rewords, and which may repeat what was sent).

::

    NotifyError                     every failure; .status_code, .error_types, .retryable
    ├── NotifyRejected              4xx except 429: permanent, the same request fails again
    │   └── NotifyNotFound          404: no such notification or template for this service
    ├── NotifyRateLimited           429: retry later with backoff (Notify sends no Retry-After)
    ├── NotifyServerError           5xx, or an unreadable answer to a read: retry with backoff
    ├── NotifyUnreachable           the request never reached Notify (refused, DNS, connect
    │                               timeout), or a read failed in transit: safe to repeat
    └── NotifyOutcomeUnknown        a send that may have reached Notify (read timeout, connection
                                    dropped after the request was written, unreadable 201)

How the worker should treat them:

- ``retryable`` is False only for ``NotifyRejected``: mark the message failed (the error types
  say why). ``NotifyRejected.is_auth_error`` (401/403) means our key or clock is wrong, not the
  message: stop sending and alert rather than failing every message in the outbox.
- ``may_have_been_accepted`` is True for ``NotifyOutcomeUnknown`` and for a 5xx answer to a
  send (a proxy's 502/504 can follow a send Notify accepted). Notify has no idempotency key, so
  before sending such a message again, list notifications by its ``reference``
  (``NotifyClient.find_by_reference``); if one exists, adopt its id instead of resending.
- ``NotifyRateLimited.daily_limit_reached`` (``TooManyRequestsError``) will not clear within
  the minute: back off until tomorrow rather than for seconds.

``messages`` holds Notify's message texts for operators. Do not log them: a validation message
can repeat a value from the request.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

__all__ = [
    "ErrorType",
    "NotifyError",
    "NotifyNotFound",
    "NotifyOutcomeUnknown",
    "NotifyRateLimited",
    "NotifyRejected",
    "NotifyServerError",
    "NotifyUnreachable",
    "error_from_response",
]


class ErrorType(StrEnum):
    """The ``error`` values Notify's API v2 uses."""

    AUTH = "AuthError"
    BAD_REQUEST = "BadRequestError"
    VALIDATION = "ValidationError"
    RATE_LIMIT = "RateLimitError"
    TOO_MANY_REQUESTS = "TooManyRequestsError"
    NO_RESULT_FOUND = "NoResultFound"
    EXCEPTION = "Exception"


class NotifyError(Exception):
    """A request to Notify that did not succeed."""

    retryable: bool = True

    def __init__(
        self,
        summary: str,
        *,
        status_code: int | None = None,
        error_types: tuple[str, ...] = (),
        messages: tuple[str, ...] = (),
        may_have_been_accepted: bool = False,
    ) -> None:
        super().__init__(summary)
        self.status_code = status_code
        self.error_types = error_types
        self.messages = messages
        self.may_have_been_accepted = may_have_been_accepted

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, "
            f"error_types={self.error_types!r}, "
            f"may_have_been_accepted={self.may_have_been_accepted!r})"
        )


class NotifyRejected(NotifyError):
    """Notify refused the request (4xx other than 429). Sending it again will not help."""

    retryable = False

    @property
    def is_auth_error(self) -> bool:
        """Our API key or our clock is wrong (``AuthError``, or a 401), not the message. A 403
        of another type (a trial-mode service sending letters, a team key) is about what was
        sent, not the key."""
        if ErrorType.AUTH in self.error_types or self.status_code == 401:
            return True
        return self.status_code == 403 and not self.error_types

    @property
    def reason(self) -> str | None:
        """Why Notify refused a message, as a short code (never Notify's text), when the
        refusal is about the service's state rather than the message itself."""
        text = " ".join(self.messages).lower()
        for needle, code in _SERVICE_REFUSALS:
            if needle in text:
                return code
        return None

    @property
    def service_not_ready(self) -> bool:
        """Refused because of how the service is set up (trial mode, a team key, a missing
        permission): the same message can go once that is fixed."""
        return self.reason in _PARKING_REASONS


#: Phrases of Notify's refusals that are about the service, and our codes for them.
_SERVICE_REFUSALS = (
    ("trial mode", "trial_mode"),
    ("team api key", "team_key"),
    ("team-only api key", "team_key"),
    ("service is not allowed to send", "not_permitted"),
    ("template has been deleted", "template_archived"),
    ("template not found", "template_not_found"),
    ("does not exist in database for service", "sender_not_found"),
)


#: Refusals that fixing the service (not the message) cures.
_PARKING_REASONS = frozenset({"trial_mode", "team_key", "not_permitted"})


class NotifyNotFound(NotifyRejected):
    """No such notification or template for this service (404)."""


class NotifyRateLimited(NotifyError):
    """Over the per-key rate limit or the service's daily limit (429)."""

    @property
    def daily_limit_reached(self) -> bool:
        """The daily sending limit, which resets at midnight, rather than the per-minute one."""
        return ErrorType.TOO_MANY_REQUESTS in self.error_types

    @property
    def daily_limit_channel(self) -> str | None:
        """Which daily limit was hit (``sms``, ``email``, ``letter``; international texts count
        as ``sms``), from Notify's "Exceeded send limits (sms: 250) for today"; None if the
        answer does not say."""
        for message in self.messages:
            match = re.search(r"\(([a-z_]+):\s*\d+\)", message)
            if match:
                name = match.group(1)
                return "sms" if name == "international_sms" else name
        return None

    @property
    def implied_rate(self) -> tuple[int, float] | None:
        """``(requests, seconds)`` from Notify's "Exceeded rate limit for key type LIVE of 3000
        requests per 60 seconds", if the answer says so."""
        for message in self.messages:
            match = re.search(r"of (\d+) requests per (\d+(?:\.\d+)?) seconds", message)
            if match and int(match.group(1)) > 0 and float(match.group(2)) > 0:
                return int(match.group(1)), float(match.group(2))
        return None


class NotifyServerError(NotifyError):
    """Notify (or something in front of it) failed: 5xx, or an unreadable answer."""


class NotifyUnreachable(NotifyError):
    """The request did not complete in a way that could have changed anything at Notify."""


class NotifyOutcomeUnknown(NotifyError):
    """A send may or may not have been accepted: reconcile by reference before resending."""

    def __init__(self, summary: str, *, status_code: int | None = None) -> None:
        super().__init__(summary, status_code=status_code, may_have_been_accepted=True)


def _errors_of(payload: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The ``error`` types and ``message`` texts of a Notify error body, if it is one."""
    if not isinstance(payload, dict):
        return (), ()
    entries = payload.get("errors")
    if not isinstance(entries, list):
        return (), ()
    types: list[str] = []
    messages: list[str] = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        kind = entry.get("error")
        if isinstance(kind, str):
            types.append(kind)
        message = entry.get("message")
        if isinstance(message, str):
            messages.append(message)
    return tuple(types), tuple(messages)


def error_from_response(status_code: int, payload: Any, *, sending: bool) -> NotifyError:
    """The error for a non-success answer: by status, then by Notify's error types.

    ``payload`` is the decoded JSON body, or None when the body was not JSON (a proxy's HTML page).
    ``sending`` says whether the request created a notification, which decides whether a 5xx
    leaves the outcome in doubt.
    """
    types, messages = _errors_of(payload)
    described = ", ".join(types) or "no Notify error body"
    common: dict[str, Any] = {
        "status_code": status_code,
        "error_types": types,
        "messages": messages,
    }
    if status_code == 429:
        return NotifyRateLimited(f"Notify rate limit: {status_code} ({described})", **common)
    if status_code >= 500:
        return NotifyServerError(
            f"Notify failed: {status_code} ({described})",
            may_have_been_accepted=sending,
            **common,
        )
    if status_code == 404:
        return NotifyNotFound(f"Notify found nothing: {status_code} ({described})", **common)
    # Other 4xx, and statuses Notify never sends (a redirect means a wrong base URL): permanent.
    return NotifyRejected(f"Notify refused the request: {status_code} ({described})", **common)
