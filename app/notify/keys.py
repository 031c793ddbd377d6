"""GOV.UK Notify API keys and the per-request token Notify expects.

An API key reads ``{key_name}-{service_id}-{secret}``: the service id is the UUID before the
last one, the secret is the last 36 characters (the key name may itself contain dashes, so the
key is read from the right, as Notify's own clients do). Every request carries a fresh JWT, signed
with HS256 using the secret, whose claims are exactly ``iss`` (the service id) and ``iat`` (now, in
whole epoch seconds). Notify refuses a token whose ``iat`` is more than 30 seconds away from its
own clock, so tokens are never cached or reused.

The secret never appears in ``repr`` or in error messages.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from jose import jwt

__all__ = [
    "TOKEN_ALGORITHM",
    "TOKEN_CLOCK_SKEW_SECONDS",
    "ApiKey",
    "InvalidApiKey",
]

#: The only signing algorithm Notify accepts.
TOKEN_ALGORITHM = "HS256"  # noqa: S105 - an algorithm name, not a secret
#: How far ``iat`` may be from Notify's clock, either way, in seconds.
TOKEN_CLOCK_SKEW_SECONDS = 30

_UUID_LENGTH = 36


class InvalidApiKey(ValueError):
    """The text is not a Notify API key. The message never repeats the key."""


def _checked_uuid(text: str, part: str) -> str:
    """``text`` unchanged if it is a UUID in its usual written form."""
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        raise InvalidApiKey(f"the {part} part of the Notify API key is not a UUID") from None
    if str(parsed) != text.lower():
        raise InvalidApiKey(f"the {part} part of the Notify API key is not a UUID")
    return text


@dataclass(frozen=True)
class ApiKey:
    """A parsed Notify API key: its name, the service it belongs to and its signing secret."""

    name: str
    service_id: str
    secret: str = field(repr=False)

    @classmethod
    def parse(cls, value: str) -> ApiKey:
        """Read ``{name}-{service_id}-{secret}``; raise ``InvalidApiKey`` if it is not one."""
        text = value.strip()
        # name (at least one character), "-", 36-character service id, "-", 36-character secret
        if len(text) < 2 * _UUID_LENGTH + 3:
            raise InvalidApiKey("a Notify API key reads {name}-{service_id}-{secret}")
        secret = text[-_UUID_LENGTH:]
        service_id = text[-2 * _UUID_LENGTH - 1 : -_UUID_LENGTH - 1]
        if text[-_UUID_LENGTH - 1] != "-" or text[-2 * _UUID_LENGTH - 2] != "-":
            raise InvalidApiKey("a Notify API key reads {name}-{service_id}-{secret}")
        name = text[: -2 * _UUID_LENGTH - 2]
        # The secret is the signing key: it is used exactly as written.
        return cls(
            name=name,
            service_id=_checked_uuid(service_id, "service id").lower(),
            secret=_checked_uuid(secret, "secret"),
        )

    @classmethod
    def generate(cls, name: str, service_id: str | None = None) -> ApiKey:
        """A new random key (for the fake Notify and tests; real keys come from Notify)."""
        return cls(
            name=name,
            service_id=_checked_uuid(service_id or str(uuid.uuid4()), "service id").lower(),
            secret=str(uuid.uuid4()),
        )

    def formatted(self) -> str:
        """The key as Notify shows it, secret included: for configuration, never for logs."""
        return f"{self.name}-{self.service_id}-{self.secret}"

    def token(self, *, clock: Callable[[], float] = time.time) -> str:
        """A fresh signed JWT for one request: ``{"iss": service_id, "iat": now}``, HS256."""
        claims = {"iss": self.service_id, "iat": int(clock())}
        token: str = jwt.encode(claims, self.secret, algorithm=TOKEN_ALGORITHM)
        return token

    def authorization(self, *, clock: Callable[[], float] = time.time) -> str:
        """The ``Authorization`` header value for one request."""
        return f"Bearer {self.token(clock=clock)}"
