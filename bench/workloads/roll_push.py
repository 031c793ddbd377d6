"""A full-roll push for a 2,000-pupil secondary school against bulk inserts of the same rows.

Subject: ``PUT /v1/schools/{urn}/roll`` with 2,000 pupils and one or two carers each, through
the app: token, policy decision, validation of every row, matching, the writes, duplicate
flagging, the audit event and the commit. Measured twice: the first push of a school's roll
(every pupil and carer created) and the same roll pushed again (nothing changes).
Baseline: the same number of data subjects, pupils, enrolments, carers and carer links
inserted with bulk Core INSERTs in one transaction, with no validation, matching or audit.
"""

from __future__ import annotations

import gc
import itertools
import json
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
from sqlalchemy import Table, insert

from app.auth.principal import Role
from app.db import Database
from app.main import create_app
from app.models.people import Carer, CarerRelationship, Enrolment, Pupil
from app.models.schools import School, SchoolPhase, SchoolStatus
from app.models.subjects import DataSubject
from app.rules.kent import District, area_team_for
from app.rules.names import name_key
from app.rules.retention import pupil_retain_until
from app.rules.upn import check_letter
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK
from bench.harness import Result, Scale, Workload, measure
from tests.conftest import make_settings

PUPILS = 2000
#: Pupils on the roll and measured pushes, by scale.
SIZES = {Scale.QUICK: (500, 3), Scale.FULL: (PUPILS, 5)}
WARMUP = 1
AS_OF = date(2026, 11, 27)
FIRST_URN = 880000

FORENAMES = ("Amelia", "Oliver", "Isla", "Noah", "Ava", "Leo", "Mia", "Arthur", "Ivy", "Theo")
SURNAMES = ("Synthetic", "Example", "Sample", "Placeholder", "Fictional", "Madeup", "Testcase")
POSTCODES = ("CT16 1AA", "CT17 9BB", "ME14 1XQ", "CT9 1DA", "TN23 1PL", "DA11 0BS")

_serials = itertools.count(1)


def _upn(serial: int) -> str:
    body = f"886{2000 + serial // 1000:04d}12{serial % 1000:03d}"
    return check_letter(body) + body


def _born(serial: int) -> date:
    return date(2009, 9, 1) + timedelta(days=serial * 7919 % 2550)


def synthetic_roll(pupils: int = PUPILS) -> list[dict[str, Any]]:
    """A clearly fake roll: fresh UPNs, one or two carers per pupil."""
    rows = []
    for _ in range(pupils):
        n = next(_serials)
        surname = f"{SURNAMES[n % len(SURNAMES)]}{n % 89}"
        carers = [
            {
                "forename": FORENAMES[(n + 3) % len(FORENAMES)],
                "surname": surname,
                "title": "Ms",
                "relationship": "mother",
                "parental_responsibility": True,
                "lives_with": True,
                "contact_priority": 1,
                "phone": f"07700 900{n % 1000:03d}",
                "email": f"carer{n}@example.org",
            }
        ]
        if n % 2:
            carers.append(
                {
                    "forename": FORENAMES[(n + 5) % len(FORENAMES)],
                    "surname": surname,
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": False,
                    "contact_priority": 2,
                    "phone": f"07700 900{(n + 1) % 1000:03d}",
                }
            )
        rows.append(
            {
                "upn": _upn(n),
                "legal_forename": FORENAMES[n % len(FORENAMES)],
                "legal_surname": surname,
                "date_of_birth": _born(n).isoformat(),
                "gender": ("female", "male", "not_known")[n % 3],
                "address_lines": [f"{n % 200 + 1} Synthetic Road", "Dover"],
                "postcode": POSTCODES[n % len(POSTCODES)],
                "on_roll_from": "2024-09-01",
                "carers": carers,
            }
        )
    return rows


def baseline_rows(roll: list[dict[str, Any]], urn: int) -> dict[str, list[dict[str, Any]]]:
    """The rows a roll becomes, ready for bulk inserts (what the push writes, unchecked)."""
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    personal = {"purposes_mask": PEOPLE_PURPOSES_MASK, "lawful_basis": PEOPLE_BASIS}
    out: dict[str, list[dict[str, Any]]] = {
        "subjects": [],
        "pupils": [],
        "enrolments": [],
        "carers": [],
        "links": [],
    }
    for row in roll:
        born = date.fromisoformat(row["date_of_birth"])
        pupil_id, subject_id = uuid.uuid4(), uuid.uuid4()
        out["subjects"].append(
            {"id": subject_id, "kind": "pupil", "retain_until": pupil_retain_until(born), **stamps}
        )
        out["pupils"].append(
            {
                "id": pupil_id,
                "subject_id": subject_id,
                "upn": row["upn"],
                "legal_forename": row["legal_forename"],
                "legal_surname": row["legal_surname"],
                "date_of_birth": born,
                "gender": row["gender"],
                "surname_key": name_key(row["legal_surname"]),
                "forename_key": name_key(row["legal_forename"]),
                "address_lines": row["address_lines"],
                "postcode": row["postcode"],
                **personal,
                **stamps,
            }
        )
        out["enrolments"].append(
            {
                "id": uuid.uuid4(),
                "pupil_id": pupil_id,
                "school_urn": urn,
                "on_roll_from": date.fromisoformat(row["on_roll_from"]),
                "source": "roll",
                "created_at": now,
                "updated_at": now,
            }
        )
        for carer in row["carers"]:
            carer_id, carer_subject = uuid.uuid4(), uuid.uuid4()
            out["subjects"].append(
                {
                    "id": carer_subject,
                    "kind": "carer",
                    "retain_until": pupil_retain_until(born),
                    **stamps,
                }
            )
            out["carers"].append(
                {
                    "id": carer_id,
                    "subject_id": carer_subject,
                    "forename": carer["forename"],
                    "surname": carer["surname"],
                    "forename_key": name_key(carer["forename"]),
                    "surname_key": name_key(carer["surname"]),
                    "title": carer.get("title"),
                    "phone": carer["phone"],
                    "email": carer.get("email"),
                    **personal,
                    **stamps,
                }
            )
            out["links"].append(
                {
                    "id": uuid.uuid4(),
                    "pupil_id": pupil_id,
                    "carer_id": carer_id,
                    "relationship_type": carer["relationship"],
                    "parental_responsibility": carer["parental_responsibility"],
                    "lives_with": carer["lives_with"],
                    "contact_priority": carer["contact_priority"],
                    **stamps,
                }
            )
    return out


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    pupils, rounds = SIZES[scale]
    keys = Path(tempfile.mkdtemp(prefix="kpas-bench-keys-"))
    settings = make_settings(url, log_level="WARNING", signing_keys_dir=keys)
    database = Database.from_settings(settings)
    await database.upgrade()
    pushes = WARMUP + rounds
    urns = [FIRST_URN + i for i in range(3 * pushes)]
    async with database.sessions() as session, session.begin():
        session.add_all(
            School(
                urn=urn,
                name=f"Synthetic Secondary School {urn}",
                phase=SchoolPhase.SECONDARY,
                district=District.DOVER,
                area_team=area_team_for(District.DOVER),
                status=SchoolStatus.OPEN,
            )
            for urn in urns
        )
    app = create_app(settings, database)
    push_urns, baseline_urns = urns[:pushes], urns[pushes:]
    token = app.state.token_issuer.issue(
        subject="bench-mis",
        roles=[Role.MIS_INTEGRATION],
        school_urns=tuple(push_urns),
        ttl_seconds=3600,
    ).access_token
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    # Every body and every row is built before the clock starts.
    bodies = [
        json.dumps({"as_of": AS_OF.isoformat(), "pupils": synthetic_roll(pupils)}).encode()
        for _ in push_urns
    ]
    inserts = [baseline_rows(synthetic_roll(pupils), urn) for urn in baseline_urns]
    first_pushes: Iterator[tuple[int, bytes]] = iter(zip(push_urns, bodies, strict=True))
    second_pushes: Iterator[tuple[int, bytes]] = iter(zip(push_urns, bodies, strict=True))
    baselines = iter(inserts)
    summaries: list[dict[str, Any]] = []
    # The prepared rows are many small objects: keep them out of the garbage collector's
    # scans, or every collection during a push would pay for the benchmark's own data.
    gc.collect()
    gc.freeze()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", timeout=120
    ) as client:

        async def push(pushed: Iterator[tuple[int, bytes]]) -> object:
            urn, body = next(pushed)
            response = await client.put(f"/v1/schools/{urn}/roll", content=body, headers=headers)
            assert response.status_code == 200, response.text
            summaries.append(response.json())
            return response

        async def first_push() -> object:
            return await push(first_pushes)

        async def second_push() -> object:
            return await push(second_pushes)

        async def bulk_insert() -> object:
            rows = next(baselines)
            async with database.sessions() as session, session.begin():
                for table, key in (
                    (DataSubject, "subjects"),
                    (Pupil, "pupils"),
                    (Enrolment, "enrolments"),
                    (Carer, "carers"),
                    (CarerRelationship, "links"),
                ):
                    await session.execute(insert(cast(Table, table.__table__)), rows[key])
            return rows

        note = (
            f"PUT /v1/schools/{{urn}}/roll, {pupils} pupils with 1-2 carers each (JSON), "
            "through the ASGI app: token, policy decision, every row validated, matching by "
            "UPN, writes, duplicate flagging, one audit event and the commit; against bulk "
            "Core INSERTs of as many subjects, pupils, enrolments, carers and links in one "
            "transaction with no validation. One operation is one whole roll."
        )
        first = await measure(
            Workload(
                name=f"roll push, first ({pupils} pupils created)",
                subject=first_push,
                baseline=bulk_insert,
                target="report only",
                note=note,
            ),
            backend,
            rounds=rounds,
            warmup=WARMUP,
        )
        assert all(s["joined"] == pupils for s in summaries), summaries
        summaries.clear()
        second = await measure(
            Workload(
                name=f"roll push, again ({pupils} unchanged)",
                subject=second_push,
                baseline=bulk_insert,
                target="report only",
                note=note,
            ),
            backend,
            rounds=rounds,
            warmup=WARMUP,
        )
        assert all(s["unchanged"] == pupils for s in summaries), summaries
    gc.unfreeze()
    await database.dispose()
    return [first, second]
