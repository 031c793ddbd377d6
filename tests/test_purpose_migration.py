"""Revision 0010 moves stored data to the corrected purposes: roll records lose the
prosecution and School Attendance Order purposes they were never collected for, and the
retired ``legal_disclosure`` purpose becomes ``court_disclosure`` or
``crime_prevention_disclosure`` (its bit is never reused)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from app.db import create_engine, run_migrations
from app.policies.registry import PURPOSE_BITS, Purpose
from tests.conftest import make_settings
from tests.databases import fresh_database

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TYPES: dict[str, Any] = {
    "id": sa.Uuid(),
    "subject": sa.Uuid(),
    "recipient": sa.Uuid(),
    "now": sa.DateTime(timezone=True),
    "purposes": JSON_DOCUMENT,
    "categories": JSON_DOCUMENT,
    "districts": JSON_DOCUMENT,
}


def typed(sql: str) -> sa.TextClause:
    """``sql`` with its parameters bound as the columns they fill."""
    clause = text(sql)
    names = [name for name in TYPES if f":{name}" in sql]
    return clause.bindparams(*(sa.bindparam(name, type_=TYPES[name]) for name in names))


ROLL_MASK_BEFORE = 0b11111  # attendance_duty, intervention, prosecution, SAO, exclusion_support
PROSECUTION_ONLY = 1 << 2


async def _seed(conn: AsyncConnection) -> dict[str, uuid.UUID]:
    ids = {name: uuid.uuid4() for name in ("subject", "roll", "case", "agreement", "d1", "d2")}
    police = (
        await conn.execute(
            text("SELECT id FROM recipients WHERE code = 'kent-police'").columns(id=sa.Uuid())
        )
    ).scalar_one()
    await conn.execute(
        typed(
            "INSERT INTO data_subjects (id, kind, created_at, updated_at, version) "
            "VALUES (:id, 'pupil', :now, :now, 1)"
        ),
        {"id": ids["subject"], "now": NOW},
    )
    for key, mask in (("roll", ROLL_MASK_BEFORE), ("case", PROSECUTION_ONLY)):
        await conn.execute(
            typed(
                "INSERT INTO pupils (id, legal_forename, legal_surname, date_of_birth, gender, "
                "surname_key, forename_key, purposes_mask, lawful_basis, subject_id, "
                "created_at, updated_at, version) VALUES (:id, 'Alex', 'Example', '2014-05-17', "
                "'not_known', 'EXAMPLE', 'ALEX', :mask, '6(1)(c),6(1)(e)', :subject, :now, "
                ":now, 1)"
            ),
            {"id": ids[key], "mask": mask, "subject": ids["subject"], "now": NOW},
        )
    await conn.execute(
        typed(
            "INSERT INTO sharing_agreements (id, recipient_id, name, purposes, data_categories, "
            "starts_on, districts, created_at, updated_at, version) VALUES (:id, :recipient, "
            "'KMISA', :purposes, :categories, '2024-04-01', :districts, :now, :now, 1)"
        ),
        {
            "id": ids["agreement"],
            "recipient": police,
            "purposes": ["prosecution", "legal_disclosure"],
            "categories": ["attendance"],
            "districts": [],
            "now": NOW,
        },
    )
    for key, channel in (("d1", "court_bundle"), ("d2", "secure_email")):
        await conn.execute(
            typed(
                "INSERT INTO disclosures (id, recipient_id, purpose, lawful_basis, "
                "data_categories, channel, automatic, approved_by, recorded_by, disclosed_at, "
                "recorded_at, content_sha256) VALUES (:id, :recipient, 'legal_disclosure', "
                "'6(1)(c)', :categories, :channel, :automatic, 'approver', 'recorder', :now, "
                ":now, :sha)"
            ),
            {
                "id": ids[key],
                "recipient": police,
                "categories": ["attendance"],
                "channel": channel,
                "automatic": False,
                "now": NOW,
                "sha": "0" * 64,
            },
        )
    return ids


async def test_stored_purposes_move_to_the_corrected_registry(backend: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        settings = make_settings(url)
        engine = create_engine(settings)
        try:
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "0009")
                ids = await _seed(conn)
            async with engine.begin() as conn:
                await run_migrations(conn, settings.migrations_dir, "0010")
            async with engine.connect() as conn:
                masks: dict[uuid.UUID, int] = dict(
                    (
                        await conn.execute(
                            text("SELECT id, purposes_mask FROM pupils").columns(
                                id=sa.Uuid(), purposes_mask=sa.Integer()
                            )
                        )
                    ).all()
                )
                purposes = (
                    await conn.execute(
                        typed("SELECT purposes FROM sharing_agreements WHERE id = :id").columns(
                            purposes=JSON_DOCUMENT
                        ),
                        {"id": ids["agreement"]},
                    )
                ).scalar_one()
                released: dict[uuid.UUID, str] = dict(
                    (
                        await conn.execute(
                            text("SELECT id, purpose FROM disclosures").columns(
                                id=sa.Uuid(), purpose=sa.String()
                            )
                        )
                    ).all()
                )
        finally:
            await engine.dispose()
    case_bits = PURPOSE_BITS[Purpose.PROSECUTION] | PURPOSE_BITS[Purpose.SCHOOL_ATTENDANCE_ORDER]
    assert masks[ids["roll"]] == ROLL_MASK_BEFORE & ~case_bits
    assert masks[ids["case"]] == PROSECUTION_ONLY  # collected for prosecution and nothing else
    if isinstance(purposes, str):
        purposes = json.loads(purposes)
    assert purposes == ["prosecution", "crime_prevention_disclosure"]
    assert released == {ids["d1"]: "court_disclosure", ids["d2"]: "crime_prevention_disclosure"}
