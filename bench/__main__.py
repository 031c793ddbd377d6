"""``python -m bench``: run every workload on SQLite (and PostgreSQL when configured) and
write ``docs/benchmarks.md``.

PostgreSQL comes from ``KPAS_BENCH_POSTGRES_URL`` or ``KPAS_TEST_POSTGRES_URL``; each run
creates its own database there and drops it afterwards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

from app.db import normalise_database_url
from app.settings import PROJECT_ROOT
from bench.harness import Result, render, write_report
from bench.workloads import (
    attendance_import,
    attendance_reads,
    audit_chain,
    audited_list,
    audited_read,
    case_list,
    notify_outbox,
    policy_decision,
    pupil_search,
    roll_push,
    schools_list,
    token_verification,
)
from tests.databases import fresh_database

WORKLOADS = [
    schools_list,
    token_verification,
    policy_decision,
    audited_read,
    audit_chain,
    pupil_search,
    audited_list,
    roll_push,
    notify_outbox,
    attendance_import,
    attendance_reads,
    case_list,
]


async def main() -> int:
    server = os.environ.get("KPAS_BENCH_POSTGRES_URL") or os.environ.get("KPAS_TEST_POSTGRES_URL")
    backends = ["sqlite"] + (["postgresql"] if server else [])
    if server:
        os.environ["KPAS_TEST_POSTGRES_URL"] = normalise_database_url(server)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for workload in WORKLOADS:
                async with fresh_database(backend, Path(workdir)) as url:
                    results.extend(await workload.run(backend, url))
    output = PROJECT_ROOT / "docs" / "benchmarks.md"
    write_report(results, output)
    sys.stdout.write(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
