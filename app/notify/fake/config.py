"""What the fake Notify knows: its services and keys, its templates, and how it behaves."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Self
from uuid import UUID

from app.notify.keys import TOKEN_CLOCK_SKEW_SECONDS, ApiKey

__all__ = [
    "DEMO_API_KEY",
    "DEMO_TEMPLATES",
    "FakeNotifyConfig",
    "FakeTemplate",
    "load_templates",
]

TemplateType = Literal["sms", "email", "letter"]
LetterPostage = Literal["first", "second", "economy"]

#: The fake's development key. It works against the fake only; never configure it for real Notify.
DEMO_API_KEY = "kpas_demo-f2ae7c86-db15-404a-9040-1a9a2d03102c-bfe8fe7c-4de1-4db9-8925-d1e234420408"

_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")


@dataclass(frozen=True)
class FakeTemplate:
    """A template as a Notify service would hold it. ``((name))`` marks a placeholder;
    ``((name??text))`` shows ``text`` when ``name`` is yes/true."""

    id: str
    name: str
    type: TemplateType
    body: str
    subject: str | None = None
    version: int = 1
    postage: LetterPostage | None = None
    letter_contact_block: str | None = None
    #: Deleted in Notify's admin: sending with it is refused.
    archived: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(UUID(self.id)))
        if self.type != "sms" and not self.subject:
            raise ValueError(f"template {self.id}: {self.type} templates need a subject")
        if self.type == "letter" and self.postage is None:
            object.__setattr__(self, "postage", "second")
        if self.type != "letter" and self.postage is not None:
            raise ValueError(f"template {self.id}: only letters have postage")
        if self.version < 1:
            raise ValueError(f"template {self.id}: versions start at 1")

    @property
    def placeholders(self) -> list[str]:
        """Placeholder names in order of first use (subject first), as Notify lists them."""
        names: list[str] = []
        for text in (self.subject or "", self.body):
            for match in _PLACEHOLDER.finditer(text):
                name = match.group(1).split("??", 1)[0].strip()
                if name and name not in names:
                    names.append(name)
        return names


DEMO_TEMPLATES: tuple[FakeTemplate, ...] = (
    FakeTemplate(
        id="f7ed5e76-b4a8-407c-bf06-6784da83585d",
        name="KPAS text message",
        type="sms",
        body="Kent County Council: ((message))",
    ),
    FakeTemplate(
        id="8b60760f-52dc-4b7e-833e-b6966178ec6b",
        name="KPAS email",
        type="email",
        subject="((subject))",
        body="((body))\n\nKent PRU and Attendance Service",
    ),
    FakeTemplate(
        id="d451ff0d-9ec9-41f9-9030-b4965c49d153",
        name="KPAS letter",
        type="letter",
        subject="((heading))",
        body="((body))",
        postage="second",
        letter_contact_block="Kent County Council\nSessions House\nMaidstone\nME14 1XQ",
    ),
)


def load_templates(path: Path) -> tuple[FakeTemplate, ...]:
    """Templates from a JSON file: a list of objects with the fields of ``FakeTemplate``."""
    entries = json.loads(path.read_text())
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a JSON list of templates")
    return tuple(FakeTemplate(**entry) for entry in entries)


def _secrets_by_service(keys: Sequence[ApiKey]) -> dict[str, tuple[str, ...]]:
    services: dict[str, tuple[str, ...]] = {}
    for key in keys:
        services[key.service_id] = (*services.get(key.service_id, ()), key.secret)
    return services


@dataclass(frozen=True)
class FakeNotifyConfig:
    """How the fake behaves. The settings marked *live* can also be changed while it runs
    (``POST /_fake/config``).

    - ``services``: service id → the secrets of its API keys (a token must be signed by one).
    - ``templates``: shared by every service (a real Notify service has its own).
    - ``rate_limit`` / ``rate_period_seconds`` (*live*): a token bucket per API key over sends,
      Notify's 3,000 per 60 s by default; an empty bucket answers 429 ``RateLimitError``.
    - ``daily_limit`` (*live*): sends per service per UTC day, then 429 ``TooManyRequestsError``.
    - ``daily_limits`` (*live*): the same per notification type (``{"sms": 250}``), as Notify
      keeps a separate daily limit for texts, emails and letters.
    - ``archived_services`` (service ids) and ``revoked_keys`` (secrets): refused with
      Notify's ``AuthError``s. ``live_keys`` (secrets): keys of type live, with which the
      simulated numbers and addresses are ordinary recipients (other keys are test keys).
    - ``sms_sender_ids`` / ``reply_to_ids``: the service's text senders and reply-to
      addresses, by id; a send naming another is refused.
    - ``restricted`` / ``team``: a service in trial mode sends no letters (403) and texts and
      emails only to its team (phone numbers and email addresses, as given).
    - ``international_sms`` / ``uk_landlines`` / ``international_letters``: the service's
      permissions to text abroad, text UK landlines and post letters abroad (all off, as for a
      new service).
    - ``callback_url`` / ``callback_token`` (*live*): where delivery receipts for texts and emails
      are POSTed, with ``Authorization: Bearer <callback_token>``; no receipts when unset.
    - ``delivery_delay_seconds`` (*live*): from accepted to final status.
    - ``callback_attempts`` / ``callback_retry_seconds`` (*live*): a receipt that fails (connection
      error, 5xx, 429) is tried again after ``callback_retry_seconds``, doubling, this many times.
    - ``clock_skew_seconds``: how far a token's ``iat`` may be from the fake's clock.
    - ``page_size``: notifications per page of ``GET /v2/notifications`` (Notify: 250).
    - ``random_seed``: makes probabilistic faults repeatable.
    """

    services: Mapping[str, tuple[str, ...]]
    templates: tuple[FakeTemplate, ...] = DEMO_TEMPLATES
    rate_limit: int = 3000
    rate_period_seconds: float = 60.0
    daily_limit: int | None = None
    daily_limits: Mapping[str, int] = field(default_factory=dict)
    restricted: bool = False
    archived_services: tuple[str, ...] = ()
    revoked_keys: tuple[str, ...] = field(default=(), repr=False)
    live_keys: tuple[str, ...] = field(default=(), repr=False)
    sms_sender_ids: tuple[str, ...] = ()
    reply_to_ids: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    international_sms: bool = False
    uk_landlines: bool = False
    international_letters: bool = False
    callback_url: str | None = None
    callback_token: str | None = field(default=None, repr=False)
    delivery_delay_seconds: float = 1.0
    callback_attempts: int = 5
    callback_retry_seconds: float = 1.0
    clock_skew_seconds: int = TOKEN_CLOCK_SKEW_SECONDS
    page_size: int = 250
    random_seed: int | None = None
    sms_sender: str = "KentCC"
    email_from: str = "kpas.attendance@notifications.service.gov.uk"

    def __post_init__(self) -> None:
        services = {str(UUID(sid)): tuple(secrets) for sid, secrets in self.services.items()}
        object.__setattr__(self, "services", services)
        if self.rate_limit < 1 or self.rate_period_seconds <= 0:
            raise ValueError("the rate limit needs at least 1 request in a positive period")
        if self.page_size < 1:
            raise ValueError("page_size must be at least 1")
        ids = [(template.id, template.version) for template in self.templates]
        if len(ids) != len(set(ids)):
            raise ValueError("two templates share an id and version")

    @classmethod
    def for_keys(cls, *api_keys: str | ApiKey, **options: Any) -> Self:
        """A configuration that accepts these API keys (``DEMO_API_KEY`` when none are given)."""
        given = api_keys or (DEMO_API_KEY,)
        keys = [k if isinstance(k, ApiKey) else ApiKey.parse(k) for k in given]
        return cls(services=_secrets_by_service(keys), **options)

    def with_options(self, **options: Any) -> Self:
        return replace(self, **options)
