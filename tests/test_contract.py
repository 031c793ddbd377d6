"""Schemathesis over the whole OpenAPI document, against the live service on loopback.

All checks, positive and negative data, every phase (examples, coverage, fuzzing, stateful;
the coverage phase on PostgreSQL only, where the service runs in production), as a caller
whose roles reach every route (who may do what is the authorisation matrix's job),
stating a purpose those roles may use.
The seed is fixed so a failure reproduces; set ``KPAS_CONTRACT_SEED`` to explore others and
``KPAS_CONTRACT_EXAMPLES`` for a deeper run (by default 8 generated cases per operation on
PostgreSQL, 5 on the embedded SQLite, which runs the same phases but the coverage one: the
coverage phase's boundary and negative cases of every parameter do most of the work, and the
whole suite must fit in ten minutes on two cores). The document runs in two halves, each
against its own server, so the halves run side by side on a test process each; together
they are every operation.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import PROJECT_ROOT
from tests.databases import fresh_database
from tests.live import kpas, live_server, service_env

ALL_PHASES = "examples,coverage,fuzzing,stateful"
EMBEDDED_PHASES = "examples,fuzzing,stateful"

#: The document in two halves of about a hundred operations each, split by resource (the
#: first path segment) so that the links the stateful phase follows, from a create to its
#: reads and updates, stay within one half. Each half runs against a server and a database
#: of its own, so the two can run side by side.
FIRST_HALF = (
    r"^/v1/(attendance|audit|breaches|carers|cases|chaperones|clients|complaints|disclosures"
    r"|exclusions|inspection-grants|legal-holds|licences|licensed-absences)(/|$)"
)
HALVES = {
    "first-half": ["--include-path-regex", FIRST_HALF],
    "second-half": ["--exclude-path-regex", FIRST_HALF],
}


@pytest.mark.parametrize("half", sorted(HALVES))
async def test_schemathesis_finds_no_failures(backend: str, half: str, tmp_path: Path) -> None:
    async with fresh_database(backend, tmp_path) as url:
        env = service_env(url)
        kpas("migrate", env=env)
        kpas("seed-demo", env=env)
        # One caller holding the roles that reach every route, so the run gets past 401/403.
        token = kpas(
            "token",
            "--sub",
            "contract-tester",
            "--role",
            "admin",
            "--role",
            "information_governance",
            "--ttl",
            "3600",
            env=env,
        ).stdout.strip()
        with live_server(env, tmp_path / "server.log") as base:
            result = subprocess.run(  # noqa: S603 - fixed argv
                [
                    str(Path(sys.executable).parent / "schemathesis"),
                    "run",
                    f"{base}/openapi.json",
                    "--checks",
                    "all",
                    "--mode",
                    "all",
                    "--max-examples",
                    os.environ.get(
                        "KPAS_CONTRACT_EXAMPLES", "8" if backend == "postgresql" else "5"
                    ),
                    # The coverage phase (every boundary and negative case of every parameter,
                    # several thousand requests) runs against the production database; the
                    # embedded one gets the examples, fuzzing and stateful phases.
                    "--phases",
                    ALL_PHASES if backend == "postgresql" else EMBEDDED_PHASES,
                    "--seed",
                    os.environ.get("KPAS_CONTRACT_SEED", "20240819"),
                    "--no-color",
                    "--header",
                    f"Authorization: Bearer {token}",
                    # Personal-data routes need a purpose; subject rights is one governance
                    # may state everywhere it reads (a refusal elsewhere is an expected 403).
                    "--header",
                    "KPAS-Purpose: subject_rights",
                    *HALVES[half],
                    "--report-dir",
                    str(tmp_path / "report"),
                ],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
        server_log = (tmp_path / "server.log").read_text()
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    assert '"status": 500' not in server_log
