"""Signed head digests: the chain head, exported and signed, to check the chain against later.

Verification alone cannot catch someone who rewrites the chain from some event onwards,
recomputing every later hash and the head: the result is a consistent chain. A digest exported
earlier (and kept outside the database: a ticket, an email to information governance, object
storage) pins what the chain was at that moment; a rewritten chain no longer has the digested
hash at the digested ``seq``.

The signature is a compact JWS by the service's newest signing key (``app.auth.keys``), so
anyone with the published JWKS (``/.well-known/jwks.json``) can check it. Its claims carry no
audience, subject or expiry, so it can never pass as an access token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from jose import jws
from jose.exceptions import JOSEError
from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.keys import KeyRing
from app.models.audit import AuditChainHead, AuditEvent

DIGEST_TYPE: Final = "kpas-audit-head"

_HEAD = cast(Table, AuditChainHead.__table__)


@dataclass(frozen=True, slots=True)
class HeadDigest:
    seq: int
    hash: str
    exported_at: datetime
    signature: str  # compact JWS over the same values

    def document(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "hash": self.hash,
            "exported_at": self.exported_at.isoformat(timespec="microseconds"),
            "signature": self.signature,
        }


async def export_head_digest(session: AsyncSession, ring: KeyRing, *, issuer: str) -> HeadDigest:
    """Read the chain head and sign it."""
    head = (await session.execute(select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1))).one()
    exported_at = datetime.now(UTC)
    claims = {
        "typ": DIGEST_TYPE,
        "iss": issuer,
        "seq": head.seq,
        "hash": head.hash,
        "exported_at": exported_at.isoformat(timespec="microseconds"),
    }
    return HeadDigest(head.seq, head.hash, exported_at, ring.sign(claims))


def read_signed_digest(signature: str, ring: KeyRing) -> tuple[int, str]:
    """The ``(seq, hash)`` a digest's signature vouches for; ``ValueError`` if it does not.

    Only the signed claims count: the plain ``seq`` and ``hash`` beside them are a convenience.
    """
    try:
        kid = jws.get_unverified_header(signature).get("kid")
    except JOSEError as exc:
        raise ValueError("the signature is not a JWS") from exc
    key = ring.find(kid) if isinstance(kid, str) else None
    if key is None:
        raise ValueError("the digest was signed by a key this service does not hold")
    try:
        payload = jws.verify(signature, key.key, algorithms=[key.algorithm])
    except JOSEError as exc:
        raise ValueError("the digest's signature does not verify") from exc
    claims = json.loads(payload)
    seq, digest_hash = claims.get("seq"), claims.get("hash")
    if (
        claims.get("typ") != DIGEST_TYPE
        or not isinstance(seq, int)
        or not isinstance(digest_hash, str)
    ):
        raise ValueError("the signed document is not an audit head digest")
    return seq, digest_hash


async def check_against_digest(session: AsyncSession, ring: KeyRing, signature: str) -> str | None:
    """``None`` if the chain still holds the digested event; otherwise what is wrong.

    Run it with :func:`app.audit.verification.verify_chain`: together they show the chain is
    intact *and* is the chain that was exported.
    """
    seq, digest_hash = read_signed_digest(signature, ring)
    if seq == 0:
        return None  # exported while the chain was empty: nothing to pin
    stored = await session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == seq))
    if stored is None:
        return f"event {seq} named by the digest is missing (chain truncated)"
    if stored != digest_hash:
        return f"event {seq} differs from the digest (chain rewritten)"
    return None
