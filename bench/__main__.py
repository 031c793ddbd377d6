"""``python -m bench [--quick|--full] [--output PATH] [WORKLOAD ...]``: run the workloads on
SQLite and PostgreSQL and write ``docs/benchmarks.md``.

Every workload runs against its baseline in the same process. ``--quick`` (the default) runs
each at its quick size, a few minutes for the whole suite on a two-core machine; ``--full`` at
the size its target is set for (the published figures). Rows are keyed by workload, backend
and size: a run replaces the rows it measured and keeps the others, so a quick run never
overwrites the published full-size figures. PostgreSQL comes from ``KPAS_BENCH_POSTGRES_URL``
or ``KPAS_TEST_POSTGRES_URL``; each run creates its own database there and drops it
afterwards. Without a server, or when it cannot be reached, the report says so in the run's
line rather than leaving the PostgreSQL rows silently out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.db import normalise_database_url
from app.settings import PROJECT_ROOT
from bench.harness import Result, Scale, merge_report, new_run, render
from bench.workloads import (
    attendance_import,
    attendance_reads,
    attendance_recompute,
    attendance_scale,
    audit_chain,
    audited_list,
    audited_read,
    case_list,
    licence_checks,
    licence_list,
    notify_outbox,
    policy_decision,
    pupil_search,
    retention_sweep,
    roll_push,
    schools_list,
    subject_bundle,
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
    attendance_recompute,
    attendance_scale,
    case_list,
    licence_checks,
    licence_list,
    subject_bundle,
    retention_sweep,
]


#: The two sizes of each workload, for ``--help``.
SIZES = {
    "schools_list": "quick: 50 rounds; full: 200",
    "token_verification": "quick: 1,000 and 300 rounds; full: 5,000 and 1,500",
    "policy_decision": "quick: 30 batches; full: 100",
    "audited_read": "32 clients; quick: 3 rounds of 10 reads each; full: 6 of 20",
    "audit_chain": "quick: 60 appends, 3 concurrent rounds; full: 200 and 8",
    "pupil_search": "quick: 10,000 and 40,000 pupils; full: 10,000 and 240,000",
    "audited_list": "10,000 pupils; quick: 30 rounds; full: 100",
    "roll_push": "quick: a 500-pupil roll, 3 rounds; full: 2,000 pupils, 5 rounds",
    "notify_outbox": "quick: 1,000 texts; full: 10,000",
    "attendance_import": "quick: 20,000 marks (SQLite), 100,000 (PostgreSQL); "
    "full: 200,000 and 1,000,000",
    "attendance_reads": "quick: 100,000 marks (SQLite), 300,000 (PostgreSQL); "
    "full: 1,000,000 and 10,000,000",
    "attendance_recompute": "quick: 60 schools; full: 600 (300 pupils each)",
    "attendance_scale": "quick: 1M and 5M marks (PostgreSQL), 50,000 and 250,000 (SQLite); "
    "full: 10M and 50M, 200,000 and 1M",
    "case_list": "quick: 1,000 and 50,000 cases; full: 10,000 and 1,000,000",
    "licence_checks": "quick: 50 rounds; full: 200",
    "licence_list": "quick: 1,000 and 20,000 licences; full: 10,000 and 200,000",
    "subject_bundle": "quick: 1,000 and 10,000 pupils; full: 10,000 and 240,000",
    "retention_sweep": "quick: 10,000 and 100,000 subjects; full: 100,000 and 1,000,000",
}

ENVIRONMENT = """environment:
  KPAS_BENCH_POSTGRES_URL  PostgreSQL server where each run creates (and drops) its own
                           database, e.g. postgresql://postgres@127.0.0.1:5432/test;
                           `make bench` defaults it to that local development server.
                           Set it empty to run on SQLite alone (the report says so).
  KPAS_TEST_POSTGRES_URL   used when KPAS_BENCH_POSTGRES_URL is not set.
"""


def _name(workload: object) -> str:
    return str(getattr(workload, "__name__", "")).rsplit(".", 1)[-1]


def _summary(workload: object) -> str:
    doc = (getattr(workload, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n", 1)[0].split())


def _epilog() -> str:
    lines = ["workloads (run all when none is named):"]
    for workload in WORKLOADS:
        name = _name(workload)
        lines.append(f"  {name}")
        lines.append(f"      {_summary(workload)}")
        if name in SIZES:
            lines.append(f"      sizes: {SIZES[name]}")
    return "\n".join(lines) + "\n\n" + ENVIRONMENT


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Measure each workload against its baseline in the same run, on SQLite\n"
        "and PostgreSQL, and write the report (docs/benchmarks.md). Rows are kept per\n"
        "workload, backend and size: a run replaces the rows it measures and keeps the\n"
        "others, so a quick run never overwrites the published full-size figures.",
        epilog=_epilog(),
    )
    parser.add_argument(
        "workloads",
        nargs="*",
        metavar="WORKLOAD",
        help="run only these (listed below); their rows replace the report's, the rest are kept",
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const=Scale.QUICK,
        help="the default: every workload at its quick size (the whole suite in a few "
        "minutes on two cores)",
    )
    sizes.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const=Scale.FULL,
        help="every workload at the size its target is set for: the published figures "
        "(hours for the whole suite)",
    )
    parser.set_defaults(scale=Scale.QUICK)
    parser.add_argument(
        "--output",
        type=Path,
        default=PROJECT_ROOT / "docs" / "benchmarks.md",
        metavar="PATH",
        help="the report to write or update (default: docs/benchmarks.md)",
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.workloads) - {_name(w) for w in WORKLOADS})
    if unknown:
        parser.error(f"no workload named {', '.join(unknown)}")
    return args


async def _server_version(server: str) -> str:
    engine = create_async_engine(server)
    try:
        async with engine.connect() as conn:
            return str(await conn.scalar(text("SHOW server_version")))
    finally:
        await engine.dispose()


async def _postgresql() -> tuple[str | None, str]:
    """The server to run on (or None) and what the report says about PostgreSQL."""
    # Set but empty means SQLite alone, even when the test suite's server is configured.
    server = os.environ.get("KPAS_BENCH_POSTGRES_URL", os.environ.get("KPAS_TEST_POSTGRES_URL"))
    if not server:
        sys.stderr.write("PostgreSQL not configured (KPAS_BENCH_POSTGRES_URL): SQLite alone\n")
        return None, (
            "not run: no server configured (set KPAS_BENCH_POSTGRES_URL); "
            "this run has SQLite rows only"
        )
    server = normalise_database_url(server)
    try:
        version = await _server_version(server)
    except Exception as exc:  # any failure to connect means no PostgreSQL rows, said plainly
        sys.stderr.write(f"PostgreSQL not reachable, running on SQLite alone: {exc}\n")
        return None, (
            f"not run: the server could not be reached ({type(exc).__name__}); "
            "this run has SQLite rows only"
        )
    return server, f"server {version}"


async def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    chosen = [w for w in WORKLOADS if not args.workloads or _name(w) in args.workloads]
    server, postgresql = await _postgresql()
    backends = ["sqlite"] + (["postgresql"] if server else [])
    if server:
        os.environ["KPAS_TEST_POSTGRES_URL"] = server
    run = new_run(args.scale.value, args.workloads, postgresql)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for workload in chosen:
                started = time.perf_counter()
                async with fresh_database(backend, Path(workdir)) as url:
                    measured = await workload.run(backend, url, scale=args.scale)
                sys.stderr.write(
                    f"{backend} {_name(workload)} ({args.scale.value}): "
                    f"{time.perf_counter() - started:.0f} s\n"
                )
                for result in measured:
                    result.size = args.scale.value
                results.extend(measured)
    merge_report(
        results, run, args.output, replace_size=None if args.workloads else args.scale.value
    )
    sys.stdout.write(render(results, run))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
