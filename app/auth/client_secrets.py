"""Machine clients' secrets: generated here, shown once, stored only as an Argon2id hash.

Argon2id with OWASP's baseline parameters (19 MiB, 2 passes, 1 lane): a secret here is 256
random bits, not a password a person chose, so a heavier setting would buy no resistance to
guessing and would only make every token request dearer (argon2-cffi's RFC 9106 default costs
about 300 ms of CPU per check on a small server). Hashing and checking run in a worker thread,
off the event loop. An unknown client is checked against a dummy hash, so the response time
does not say whether a client id exists. Hashes made with other parameters are upgraded on
the next successful check.
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: Prefix that secret scanners (and people) can recognise in a leaked config file.
SECRET_PREFIX = "kpas_cs_"  # noqa: S105 - a label, not a secret
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def generate_secret() -> str:
    """A new client secret: 256 random bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


async def hash_secret(secret: str) -> str:
    return await asyncio.to_thread(_hasher.hash, secret)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(32))


def _check(secret_hash: str | None, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash or _dummy_hash(), secret) and secret_hash is not None
    except (VerificationError, InvalidHashError):
        return False


async def check_secret(secret_hash: str | None, secret: str) -> bool:
    """Whether ``secret`` matches ``secret_hash``; with no hash (unknown client), the same
    work is done and the answer is no."""
    return await asyncio.to_thread(_check, secret_hash, secret)


def needs_rehash(secret_hash: str) -> bool:
    """True when the hash was made with older parameters than the current ones."""
    return _hasher.check_needs_rehash(secret_hash)
