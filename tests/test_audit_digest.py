"""Signed head digests catch what verification alone cannot: a chain rewritten consistently."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.digest import check_against_digest, export_head_digest, read_signed_digest
from app.audit.trail import content_digest, link_hash
from app.audit.verification import verify_chain
from app.auth.keys import KeyRing, SigningKey, write_key
from tests.audit_support import build_chain, events_by_seq, raw
from tests.live import kpas, service_env

ISSUER = "https://kpas.kent.gov.uk"


@pytest.fixture
def ring(tmp_path: Path) -> KeyRing:
    return KeyRing([SigningKey.from_file(write_key(tmp_path / "keys", "ES256", development=True))])


async def rewrite_from(session: AsyncSession, seq: int) -> None:
    """Edit event ``seq`` and recompute every hash after it, and the head: a consistent fake."""
    rows = await events_by_seq(session)
    prev = rows[seq - 2]["hash"] if seq > 1 else "0" * 64
    for row in rows[seq - 1 :]:
        if row["seq"] == seq:
            row["actor"] = "someone-else"
        new_hash = link_hash(row["seq"], prev, content_digest(row))
        await raw(
            session,
            "UPDATE audit_events SET actor = :a, prev_hash = :p, hash = :h WHERE seq = :s",
            a=row["actor"],
            p=prev,
            h=new_hash,
            s=row["seq"],
        )
        prev = new_hash
    await raw(session, "UPDATE audit_chain_head SET hash = :h WHERE id = 1", h=prev)


async def test_an_untouched_chain_matches_its_digest(session: AsyncSession, ring: KeyRing) -> None:
    seqs = await build_chain(session, 3)
    digest = await export_head_digest(session, ring, issuer=ISSUER)
    assert digest.seq == seqs[-1]
    assert read_signed_digest(digest.signature, ring) == (digest.seq, digest.hash)
    await build_chain(session, 2)  # the chain grows after the export
    assert await check_against_digest(session, ring, digest.signature) is None


async def test_a_consistently_rewritten_chain_is_caught_by_the_digest(
    session: AsyncSession, ring: KeyRing
) -> None:
    seqs = await build_chain(session, 4)
    digest = await export_head_digest(session, ring, issuer=ISSUER)
    await rewrite_from(session, seqs[1])
    session.expire_all()
    assert (await verify_chain(session)).ok  # verification alone is fooled
    problem = await check_against_digest(session, ring, digest.signature)
    assert problem == f"event {seqs[-1]} differs from the digest (chain rewritten)"


async def test_a_truncated_chain_is_caught_by_the_digest(
    session: AsyncSession, ring: KeyRing
) -> None:
    seqs = await build_chain(session, 3)
    digest = await export_head_digest(session, ring, issuer=ISSUER)
    await raw(session, "DELETE FROM audit_events WHERE seq = :s", s=seqs[-1])
    last = await events_by_seq(session)
    await raw(
        session,
        "UPDATE audit_chain_head SET seq = :s, hash = :h WHERE id = 1",
        s=last[-1]["seq"],
        h=last[-1]["hash"],
    )
    problem = await check_against_digest(session, ring, digest.signature)
    assert problem == f"event {seqs[-1]} named by the digest is missing (chain truncated)"


async def test_a_forged_or_foreign_digest_is_refused(
    session: AsyncSession, ring: KeyRing, tmp_path: Path
) -> None:
    await build_chain(session, 1)
    digest = await export_head_digest(session, ring, issuer=ISSUER)
    header, payload, signature = digest.signature.split(".")
    forged = f"{header}.{payload[:-4]}AAAA.{signature}"
    with pytest.raises(ValueError):
        read_signed_digest(forged, ring)
    other = KeyRing(
        [SigningKey.from_file(write_key(tmp_path / "other", "ES256", development=True))]
    )
    with pytest.raises(ValueError, match="does not hold"):
        read_signed_digest(digest.signature, other)
    with pytest.raises(ValueError):
        read_signed_digest("not a jws", ring)


async def test_a_digest_is_not_an_access_token(
    app: FastAPI, client: httpx.AsyncClient, session: AsyncSession
) -> None:
    digest = await export_head_digest(session, app.state.identity.key_ring, issuer=ISSUER)
    response = await client.get(
        "/v1/audit/events", headers={"Authorization": f"Bearer {digest.signature}"}
    )
    assert response.status_code == 401


def test_cli_exports_and_checks_a_digest(tmp_path: Path) -> None:
    env = service_env(
        f"sqlite+aiosqlite:///{tmp_path / 'kpas.db'}", KPAS_SIGNING_KEYS_DIR=str(tmp_path / "k")
    )
    kpas("migrate", env=env)
    digest_file = tmp_path / "head.json"
    kpas("audit", "export-head", "--output", str(digest_file), env=env)
    document = json.loads(digest_file.read_text())
    assert document["seq"] == 0
    assert {"hash", "exported_at", "signature"} <= document.keys()
    result = kpas("audit", "verify", "--digest", str(digest_file), env=env)
    assert "matches the digest" in result.stdout
    digest_file.write_text(json.dumps({**document, "signature": "x.y.z"}))
    with pytest.raises(subprocess.CalledProcessError) as failed:
        kpas("audit", "verify", "--digest", str(digest_file), env=env)
    assert failed.value.returncode == 1
    assert "digest cannot be used" in failed.value.stderr
