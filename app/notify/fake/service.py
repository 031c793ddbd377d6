"""The fake Notify's behaviour, apart from HTTP: authentication, sending, reading, statuses,
delivery receipts, the rate limit and the ledger.

Everything here runs on the fake server's event loop, one request at a time between awaits, so
the state needs no locks.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

import httpx
from jose import jws, jwt
from jose.exceptions import JOSEError

from app.log import get_logger
from app.notify.errors import ErrorType
from app.notify.fake.config import FakeNotifyConfig, FakeTemplate
from app.notify.fake.validation import (
    EMAIL_REQUEST,
    LETTER_REQUEST,
    PRECOMPILED_LETTER_REQUEST,
    SMS_MAX_CHARACTERS,
    SMS_REQUEST,
    Refusal,
    additional_properties,
    check_personalisation,
    check_schema,
    decode_pdf,
    render,
)
from app.notify.keys import TOKEN_ALGORITHM
from app.notify.recipients import (
    RecipientRefused,
    check_email_address,
    check_letter_address,
    check_phone_number,
)

__all__ = ["Caller", "FakeNotifyService", "LiveSettings"]

_log = get_logger("app.notify.fake")

Kind = Literal["sms", "email", "letter"]

DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
MALFORMED_JWT_MESSAGE = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
NOTIFICATION_STATUSES = (
    "cancelled", "created", "sending", "sent", "delivered", "pending", "failed",
    "technical-failure", "temporary-failure", "permanent-failure", "pending-virus-check",
    "validation-failed", "virus-scan-failed", "returned-letter", "accepted", "received",
)  # fmt: skip
FAILED = ("technical-failure", "temporary-failure", "permanent-failure")
TEMPLATE_TYPES = ("sms", "email", "letter")
PRECOMPILED_TEMPLATE_NAMESPACE = uuid.UUID("2e9e399f-301a-46cf-ba5c-a7ac246e8242")

#: Notify's simulated outcomes: the test numbers (any way of writing them) and addresses.
SIMULATED_SMS = {"7700900003": "temporary-failure", "7700900002": "permanent-failure"}
SIMULATED_EMAIL = {
    "temp-fail@simulator.notify": "temporary-failure",
    "perm-fail@simulator.notify": "permanent-failure",
}


def _stamp(moment: datetime | None) -> str | None:
    return moment.strftime(DATETIME_FORMAT) if moment else None


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveSettings:
    """The settings ``POST /_fake/config`` may change while the fake runs."""

    rate_limit: int
    rate_period_seconds: float
    daily_limit: int | None
    daily_limits: dict[str, int]
    callback_url: str | None
    callback_token: str | None = field(repr=False)
    delivery_delay_seconds: float
    callback_attempts: int
    callback_retry_seconds: float

    @classmethod
    def from_config(cls, config: FakeNotifyConfig) -> LiveSettings:
        return cls(
            rate_limit=config.rate_limit,
            rate_period_seconds=config.rate_period_seconds,
            daily_limit=config.daily_limit,
            daily_limits=dict(config.daily_limits),
            callback_url=config.callback_url,
            callback_token=config.callback_token,
            delivery_delay_seconds=config.delivery_delay_seconds,
            callback_attempts=config.callback_attempts,
            callback_retry_seconds=config.callback_retry_seconds,
        )

    def public(self) -> dict[str, Any]:
        """For ``GET /_fake/config``: the callback token is shown as set or not."""
        return {
            "rate_limit": self.rate_limit,
            "rate_period_seconds": self.rate_period_seconds,
            "daily_limit": self.daily_limit,
            "daily_limits": self.daily_limits,
            "callback_url": self.callback_url,
            "callback_token_set": self.callback_token is not None,
            "delivery_delay_seconds": self.delivery_delay_seconds,
            "callback_attempts": self.callback_attempts,
            "callback_retry_seconds": self.callback_retry_seconds,
        }


@dataclass(frozen=True)
class Caller:
    """Who a verified token belongs to: a service and one of its API keys."""

    service_id: str
    secret: str = field(repr=False)
    #: A test key: Notify's simulated numbers and addresses work only with one.
    test_key: bool = True


class TokenBucket:
    """``rate_limit`` tokens, refilled evenly over ``rate_period_seconds``; one per send."""

    def __init__(self, capacity: float, now: float) -> None:
        self.tokens = capacity
        self.updated = now

    def take(self, capacity: int, period: float, now: float) -> bool:
        self.tokens = min(capacity, self.tokens + (now - self.updated) * capacity / period)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class StoredNotification:
    id: uuid.UUID
    sequence: int
    service_id: str
    type: Kind
    template_id: str
    template_version: int
    template_name: str
    recipient: str | None
    personalisation: dict[str, Any]
    reference: str | None
    status: str
    body: str
    subject: str | None
    postage: str | None
    lines: list[str]
    final_status: str
    created_at: datetime
    sent_at: datetime | None = None
    completed_at: datetime | None = None
    precompiled: bool = False

    def to_json(self, base_url: str) -> dict[str, Any]:
        """Notify's ``GET /v2/notifications/{id}`` shape."""
        lines: list[str | None] = [*self.lines, *([None] * 7)][:7]
        serialised: dict[str, Any] = {
            "id": str(self.id),
            "reference": self.reference,
            "email_address": self.recipient if self.type == "email" else None,
            "phone_number": self.recipient if self.type == "sms" else None,
            **{f"line_{n}": lines[n - 1] for n in range(1, 8)},
            "postcode": self.personalisation.get("postcode") if self.type == "letter" else None,
            "postage": self.postage,
            "type": self.type,
            "status": self.status,
            "template": {
                "id": self.template_id,
                "version": self.template_version,
                "uri": f"{base_url}v2/template/{self.template_id}/version/{self.template_version}",
            },
            "body": self.body,
            "subject": self.subject,
            "created_at": _stamp(self.created_at),
            "created_by_name": None,
            "sent_at": _stamp(self.sent_at),
            "completed_at": _stamp(self.completed_at),
            "scheduled_for": None,
            "is_cost_data_ready": False,
            "cost_in_pounds": None,
            "cost_details": {},
        }
        if self.type == "email":
            serialised["one_click_unsubscribe"] = None
        return serialised

    def ledger_entry(self) -> dict[str, Any]:
        """Ids, reference and status: no recipient or content, even in a fake."""
        return {
            "id": str(self.id),
            "service_id": self.service_id,
            "reference": self.reference,
            "type": self.type,
            "template_id": self.template_id,
            "template_version": self.template_version,
            "precompiled": self.precompiled,
            "status": self.status,
            "created_at": _stamp(self.created_at),
        }


@dataclass
class CallbackRecord:
    notification_id: str
    reference: str | None
    status: str
    attempts: int = 0
    delivered: bool = False
    last_status_code: int | None = None
    last_failure: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "reference": self.reference,
            "status": self.status,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "last_status_code": self.last_status_code,
            "last_failure": self.last_failure,
        }


class FakeNotifyService:
    """Notify's API v2 behaviour over an in-memory store."""

    def __init__(self, config: FakeNotifyConfig) -> None:
        self.config = config
        self.live = LiveSettings.from_config(config)
        self.templates: dict[str, list[FakeTemplate]] = {}
        for template in sorted(config.templates, key=lambda t: t.version):
            self.templates.setdefault(template.id, []).append(template)
        self.started_at = _now()
        self._http: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.reset()

    def reset(self) -> None:
        """Forget every notification, bucket, receipt and count (not the live settings)."""
        for task in self._tasks:
            task.cancel()
        self._tasks = set()
        self.notifications: dict[uuid.UUID, StoredNotification] = {}
        self.accepted_by_reference: Counter[str] = Counter()
        self.sent_per_day: Counter[tuple[str, date, str]] = Counter()
        self.callbacks: list[CallbackRecord] = []
        self.buckets: dict[tuple[str, str], TokenBucket] = {}
        self.requests = 0
        self._sequence = itertools.count(1)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()

    # Authentication --------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> Caller:
        """Check the bearer token as Notify does; ``Refusal`` with Notify's AuthError otherwise."""
        if not authorization:
            raise Refusal.one(
                401, ErrorType.AUTH, "Unauthorized: authentication token must be provided"
            )
        if authorization[:7].title() != "Bearer ":
            raise Refusal.one(
                401, ErrorType.AUTH, "Unauthorized: authentication bearer scheme must be used"
            )
        token = authorization[7:].strip()
        try:
            claims = jwt.get_unverified_claims(token)
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise Refusal.one(403, ErrorType.AUTH, MALFORMED_JWT_MESSAGE) from None
        issuer = claims.get("iss")
        if issuer is None:
            raise Refusal.one(403, ErrorType.AUTH, "Invalid token: iss field not provided")
        try:
            service_id = str(uuid.UUID(str(issuer)))
        except ValueError:
            raise Refusal.one(
                403, ErrorType.AUTH, "Invalid token: service id is not the right data type"
            ) from None
        secrets = self.config.services.get(service_id)
        if secrets is None:
            raise Refusal.one(403, ErrorType.AUTH, "Invalid token: service not found")
        if service_id in self.config.archived_services:
            raise Refusal.one(403, ErrorType.AUTH, "Invalid token: service is archived")
        if not secrets:
            raise Refusal.one(403, ErrorType.AUTH, "Invalid token: service has no API keys")
        if header.get("alg") != TOKEN_ALGORITHM:
            raise Refusal.one(403, ErrorType.AUTH, "Invalid token: algorithm used is not HS256")
        for secret in secrets:
            try:
                jws.verify(token, secret, algorithms=[TOKEN_ALGORITHM])
            except JOSEError:
                continue  # signed with another key, perhaps: try the next one, as Notify does
            issued_at = claims.get("iat")
            if not isinstance(issued_at, int | float) or isinstance(issued_at, bool):
                break  # Notify treats a missing iat like a bad signature
            # Whole seconds, as Notify compares them.
            now, skew = int(time.time()), self.config.clock_skew_seconds
            if now > int(issued_at) + skew or int(issued_at) > now + skew:
                raise Refusal.one(
                    403,
                    ErrorType.AUTH,
                    f"Error: Your system clock must be accurate to within "
                    f"{self.config.clock_skew_seconds} seconds",
                )
            if secret in self.config.revoked_keys:
                raise Refusal.one(403, ErrorType.AUTH, "Invalid token: API key revoked")
            return Caller(
                service_id=service_id,
                secret=secret,
                test_key=secret not in self.config.live_keys,
            )
        raise Refusal.one(403, ErrorType.AUTH, "Invalid token: API key not found")

    # Sending ---------------------------------------------------------------------------------

    def send(self, caller: Caller, kind: Kind, body: Any, base_url: str) -> dict[str, Any]:
        """``POST /v2/notifications/{kind}``: the 201 body, or ``Refusal``."""
        if kind == "letter" and isinstance(body, dict) and "content" in body:
            return self._send_precompiled(caller, body)
        schema = {"sms": SMS_REQUEST, "email": EMAIL_REQUEST, "letter": LETTER_REQUEST}[kind]
        # Notify checks the rate limit and the daily limit before it reads the request.
        self._take_token(caller)
        self._check_daily_limit(caller, kind)
        form = check_schema(body, schema)
        template = self._template_for(form["template_id"], kind)
        personalisation: dict[str, Any] = form.get("personalisation") or {}
        check_personalisation(template, personalisation)
        self._check_sender(caller, form)
        lines: list[str] = []
        recipient: str | None = None
        postage: str | None = template.postage
        try:
            if kind == "sms":
                recipient = form["phone_number"]
                check_phone_number(
                    form["phone_number"],
                    international=self.config.international_sms,
                    uk_landlines=self.config.uk_landlines,
                )
            elif kind == "email":
                recipient = check_email_address(form["email_address"])
            else:
                address = check_letter_address(
                    personalisation, international=self.config.international_letters
                )
                lines = list(address.lines)
                postage = address.postage or postage
        except RecipientRefused as exc:
            raise Refusal.one(400, exc.error, exc.message) from None
        self._check_trial_mode(kind, recipient)
        content = render(template.body, personalisation) or ""
        subject = render(template.subject, personalisation)
        if kind == "sms" and len(content) > SMS_MAX_CHARACTERS:
            raise Refusal.one(
                400,
                ErrorType.BAD_REQUEST,
                f"Text messages cannot be longer than {SMS_MAX_CHARACTERS} characters. "
                f"Your message is {len(content)} characters long.",
            )
        self._count_against_daily_limit(caller, kind)
        notification = self._store(
            caller,
            kind=kind,
            template=template,
            recipient=recipient,
            personalisation=personalisation,
            reference=form.get("reference"),
            status="accepted" if kind == "letter" else "created",
            body=content,
            subject=subject if kind != "sms" else None,
            postage=postage,
            lines=lines,
        )
        answer: dict[str, Any] = {
            "id": str(notification.id),
            "reference": notification.reference,
            "uri": f"{base_url}v2/notifications/{notification.id}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": f"{base_url}services/{caller.service_id}/templates/{template.id}",
            },
            "scheduled_for": None,
        }
        if kind == "sms":
            answer["content"] = {"body": content, "from_number": self.config.sms_sender}
        elif kind == "email":
            answer["content"] = {
                "body": content,
                "subject": subject,
                "from_email": self.config.email_from,
                "one_click_unsubscribe_url": form.get("one_click_unsubscribe_url"),
            }
        else:
            answer["content"] = {"body": content, "subject": subject}
        return answer

    def _send_precompiled(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        self._take_token(caller)
        self._check_daily_limit(caller, "letter")
        form = check_schema(body, PRECOMPILED_LETTER_REQUEST)
        decode_pdf(form["content"])
        self._count_against_daily_limit(caller, "letter")
        template_id = str(uuid.uuid5(PRECOMPILED_TEMPLATE_NAMESPACE, caller.service_id))
        precompiled = FakeTemplate(
            id=template_id, name="Pre-compiled PDF", type="letter", subject="Pre-compiled PDF",
            body="",
        )  # fmt: skip
        notification = self._store(
            caller,
            kind="letter",
            template=precompiled,
            recipient=None,
            personalisation={},
            reference=form["reference"],
            status="pending-virus-check",
            body="",
            subject="Pre-compiled PDF",
            postage=form.get("postage", "second"),
            lines=[],
            precompiled=True,
        )
        return {
            "id": str(notification.id),
            "reference": notification.reference,
            "postage": notification.postage,
        }

    def _check_trial_mode(self, kind: str, recipient: str | None) -> None:
        """A service in trial mode sends no letters, and texts and emails only to its team."""
        if not self.config.restricted:
            return
        if kind == "letter":
            raise Refusal.one(
                403, ErrorType.BAD_REQUEST, "Cannot send letters when service is in trial mode"
            )
        team = {member.replace(" ", "").lower() for member in self.config.team}
        if (recipient or "").replace(" ", "").lower() not in team:
            raise Refusal.one(
                400,
                ErrorType.BAD_REQUEST,
                "Can\u2019t send to this recipient when service is in trial mode \u2013 see "
                "https://www.notifications.service.gov.uk/trial-mode",
            )

    def _take_token(self, caller: Caller) -> None:
        now = time.monotonic()
        key = (caller.service_id, caller.secret)
        bucket = self.buckets.setdefault(key, TokenBucket(self.live.rate_limit, now))
        if not bucket.take(self.live.rate_limit, self.live.rate_period_seconds, now):
            raise self.rate_limit_refusal()

    def rate_limit_refusal(self) -> Refusal:
        period = self.live.rate_period_seconds
        shown = int(period) if float(period).is_integer() else period
        return Refusal.one(
            429,
            ErrorType.RATE_LIMIT,
            f"Exceeded rate limit for key type LIVE of {self.live.rate_limit} requests per "
            f"{shown} seconds",
        )

    def _daily_refusal(self, caller: Caller, kind: str) -> Refusal | None:
        today = _now().date()
        by_kind = self.live.daily_limits.get(kind)
        if by_kind is not None and self.sent_per_day[(caller.service_id, today, kind)] >= by_kind:
            return Refusal.one(
                429,
                ErrorType.TOO_MANY_REQUESTS,
                f"Exceeded send limits ({kind}: {by_kind}) for today",
            )
        limit = self.live.daily_limit
        if limit is not None and self.sent_per_day[(caller.service_id, today, "")] >= limit:
            return Refusal.one(
                429, ErrorType.TOO_MANY_REQUESTS, f"Exceeded send limits ({limit}) for today"
            )
        return None

    def _check_daily_limit(self, caller: Caller, kind: str) -> None:
        refusal = self._daily_refusal(caller, kind)
        if refusal is not None:
            raise refusal

    def _count_against_daily_limit(self, caller: Caller, kind: str) -> None:
        self._check_daily_limit(caller, kind)
        today = _now().date()
        self.sent_per_day[(caller.service_id, today, "")] += 1
        self.sent_per_day[(caller.service_id, today, kind)] += 1

    def _template_for(self, template_id: str, kind: Kind) -> FakeTemplate:
        versions = self.templates.get(str(uuid.UUID(template_id)))
        if not versions:
            raise Refusal.one(400, ErrorType.BAD_REQUEST, "Template not found")
        template = versions[-1]
        if template.type != kind:
            raise Refusal.one(
                400,
                ErrorType.BAD_REQUEST,
                f"{template.type} template is not suitable for {kind} notification",
            )
        if template.archived:
            raise Refusal.one(400, ErrorType.BAD_REQUEST, "Template has been deleted")
        return template

    def _check_sender(self, caller: Caller, form: Mapping[str, Any]) -> None:
        """A reply-to address or text sender named by id must be one of the service's."""
        for name, known in (
            ("sms_sender_id", self.config.sms_sender_ids),
            ("email_reply_to_id", self.config.reply_to_ids),
        ):
            given = form.get(name)
            if given is not None and str(uuid.UUID(given)) not in known:
                raise Refusal.one(
                    400,
                    ErrorType.BAD_REQUEST,
                    f"{name} {given} does not exist in database for service id {caller.service_id}",
                )

    def _store(
        self,
        caller: Caller,
        *,
        kind: Kind,
        template: FakeTemplate,
        recipient: str | None,
        personalisation: dict[str, Any],
        reference: str | None,
        status: str,
        body: str,
        subject: str | None,
        postage: str | None,
        lines: list[str],
        precompiled: bool = False,
    ) -> StoredNotification:
        notification = StoredNotification(
            id=uuid.uuid4(),
            sequence=next(self._sequence),
            service_id=caller.service_id,
            type=kind,
            template_id=template.id,
            template_version=template.version,
            template_name=template.name,
            recipient=recipient,
            personalisation=dict(personalisation),
            reference=reference,
            status=status,
            body=body,
            subject=subject,
            postage=postage,
            lines=lines,
            final_status=self._outcome_for(kind, recipient, test_key=caller.test_key),
            created_at=_now(),
            precompiled=precompiled,
        )
        self.notifications[notification.id] = notification
        if reference is not None:
            self.accepted_by_reference[reference] += 1
        task = asyncio.get_running_loop().create_task(self._progress(notification))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        _log.info(
            "fake_notify_accepted",
            notification_id=str(notification.id),
            type=kind,
            reference=reference,
        )
        return notification

    @staticmethod
    def _outcome_for(kind: Kind, recipient: str | None, *, test_key: bool) -> str:
        if kind == "letter":
            return "received"
        if not test_key:
            return "delivered"  # simulated recipients are honoured with a test key only
        if kind == "sms" and recipient is not None:
            digits = "".join(ch for ch in recipient if ch.isdigit())
            for ending, status in SIMULATED_SMS.items():
                if digits.endswith(ending):
                    return status
        if kind == "email" and recipient is not None:
            return SIMULATED_EMAIL.get(recipient.lower(), "delivered")
        return "delivered"

    async def _progress(self, notification: StoredNotification) -> None:
        """created → sending → final (letters: accepted → received), then the receipt."""
        half = max(self.live.delivery_delay_seconds, 0.0) / 2
        await asyncio.sleep(half)
        if notification.type == "letter":
            notification.status = "accepted"
        else:
            notification.status = "sending"
        notification.sent_at = _now()
        await asyncio.sleep(half)
        notification.status = notification.final_status
        notification.completed_at = _now()
        # Notify sends delivery receipts for emails and text messages, not for letters.
        if notification.type != "letter" and self.live.callback_url:
            await self._send_receipt(notification)

    async def _send_receipt(self, notification: StoredNotification) -> None:
        record = CallbackRecord(str(notification.id), notification.reference, notification.status)
        self.callbacks.append(record)
        receipt = {
            "id": str(notification.id),
            "reference": notification.reference,
            "to": notification.recipient,
            "status": notification.status,
            "created_at": _stamp(notification.created_at),
            "completed_at": _stamp(notification.completed_at),
            "sent_at": _stamp(notification.sent_at),
            "notification_type": notification.type,
            "template_id": notification.template_id,
            "template_version": notification.template_version,
        }
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))
        delay = self.live.callback_retry_seconds
        while record.attempts < max(self.live.callback_attempts, 1):
            record.attempts += 1
            url, token = self.live.callback_url, self.live.callback_token
            if not url:
                return
            try:
                answer = await self._http.post(
                    url, json=receipt, headers={"Authorization": f"Bearer {token or ''}"}
                )
            except httpx.HTTPError as exc:
                record.last_failure = type(exc).__name__
            else:
                record.last_status_code = answer.status_code
                if answer.is_success:
                    record.delivered = True
                    return
                if answer.status_code < 500 and answer.status_code != 429:
                    return  # Notify does not retry a receipt the service refused
            await asyncio.sleep(delay)
            delay *= 2

    # Reading ---------------------------------------------------------------------------------

    def get_notification(
        self, caller: Caller, notification_id: str, base_url: str
    ) -> dict[str, Any]:
        try:
            key = uuid.UUID(notification_id)
        except ValueError:
            raise Refusal.one(
                400, ErrorType.VALIDATION, "notification_id is not a valid UUID"
            ) from None
        notification = self.notifications.get(key)
        if notification is None or notification.service_id != caller.service_id:
            raise Refusal.one(404, ErrorType.NO_RESULT_FOUND, "No result found")
        return notification.to_json(base_url)

    def list_notifications(
        self, caller: Caller, query: Sequence[tuple[str, str]], base_url: str
    ) -> dict[str, Any]:
        """``GET /v2/notifications``: newest first, a page at a time, paged by ``older_than``."""
        allowed = ("reference", "status", "template_type", "older_than", "include_jobs")
        problems: list[str] = []
        unexpected = sorted({name for name, _ in query if name not in allowed})
        if unexpected:
            problems.append(additional_properties(unexpected))
        params: dict[str, list[str]] = {}
        for name, value in query:
            params.setdefault(name, []).append(value)
        statuses = params.get("status", [])
        for status in statuses:
            if status not in NOTIFICATION_STATUSES:
                problems.append(
                    f"status {status} is not one of [{', '.join(NOTIFICATION_STATUSES)}]"
                )
        types = params.get("template_type", [])
        for kind in types:
            if kind not in TEMPLATE_TYPES:
                problems.append(f"template_type {kind} is not one of [{', '.join(TEMPLATE_TYPES)}]")
        older_than = params.get("older_than", [None])[0]
        older_key: uuid.UUID | None = None
        if older_than is not None:
            try:
                older_key = uuid.UUID(older_than)
            except ValueError:
                problems.append("older_than is not a valid UUID")
        if problems:
            raise Refusal(400, [(ErrorType.VALIDATION, problem) for problem in problems])

        wanted = set(statuses)
        if "failed" in wanted:
            wanted.update(FAILED)
        reference = params.get("reference", [None])[0]
        candidates = sorted(self.notifications.values(), key=lambda n: n.sequence, reverse=True)
        if older_key is not None:
            anchor = self.notifications.get(older_key)
            if anchor is None or anchor.service_id != caller.service_id:
                candidates = []
            else:
                candidates = [n for n in candidates if n.sequence < anchor.sequence]
        page = [
            n
            for n in candidates
            if n.service_id == caller.service_id
            and (reference is None or n.reference == reference)
            and (not wanted or n.status in wanted)
            and (not types or n.type in types)
        ][: self.config.page_size]

        kept = [(name, value) for name, value in query if name != "older_than"]
        links = {"current": str(httpx.URL(f"{base_url}v2/notifications", params=list(query)))}
        if page:
            after = [*kept, ("older_than", str(page[-1].id))]
            links["next"] = str(httpx.URL(f"{base_url}v2/notifications", params=after))
        return {"notifications": [n.to_json(base_url) for n in page], "links": links}

    def _template_json(self, template: FakeTemplate) -> dict[str, Any]:
        created = _stamp(self.started_at)
        return {
            "id": template.id,
            "name": template.name,
            "type": template.type,
            "created_at": created,
            "updated_at": created if template.version > 1 else None,
            "created_by": "notify-fake@example.gov.uk",
            "version": template.version,
            "body": template.body,
            "subject": template.subject,
            "letter_contact_block": template.letter_contact_block,
            "postage": template.postage,
        }

    def get_templates(self, query: Sequence[tuple[str, str]]) -> dict[str, Any]:
        params = dict(query)
        unexpected = sorted({name for name, _ in query if name != "type"})
        if unexpected:
            raise Refusal.one(400, ErrorType.VALIDATION, additional_properties(unexpected))
        kind = params.get("type")
        if kind is not None and kind not in TEMPLATE_TYPES:
            raise Refusal.one(
                400,
                ErrorType.VALIDATION,
                f"type {kind} is not one of [{', '.join(TEMPLATE_TYPES)}, broadcast]",
            )
        latest = [versions[-1] for versions in self.templates.values()]
        return {
            "templates": [self._template_json(t) for t in latest if kind is None or t.type == kind]
        }

    def get_template(self, template_id: str, version: int | None) -> dict[str, Any]:
        try:
            key = str(uuid.UUID(template_id))
        except ValueError:
            raise Refusal.one(
                400, ErrorType.VALIDATION, "template_id is not a valid UUID"
            ) from None
        versions = self.templates.get(key, [])
        chosen = versions[-1:] if version is None else [t for t in versions if t.version == version]
        if not chosen:
            raise Refusal.one(404, ErrorType.NO_RESULT_FOUND, "No result found")
        return self._template_json(chosen[0])

    # The ledger --------------------------------------------------------------------------------

    def ledger(self, faults_applied: Mapping[str, int]) -> dict[str, Any]:
        """What the fake accepted, in order, with the count of accepted sends per reference."""
        ordered = sorted(self.notifications.values(), key=lambda n: n.sequence)
        return {
            "notifications": [n.ledger_entry() for n in ordered],
            "accepted_by_reference": dict(self.accepted_by_reference),
            "duplicate_references": sorted(
                ref for ref, count in self.accepted_by_reference.items() if count > 1
            ),
            "callbacks": [record.to_json() for record in self.callbacks],
            "requests": self.requests,
            "faults_applied": dict(faults_applied),
        }
