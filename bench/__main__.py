"""``python -m bench [WORKLOAD ...]``: run the workloads on SQLite (and PostgreSQL when
configured) and write ``docs/benchmarks.md``.

With no names every workload runs and the report is rewritten; with names only those run and
their rows replace the same rows of the report, the rest kept. PostgreSQL comes from
``KPAS_BENCH_POSTGRES_URL`` or ``KPAS_TEST_POSTGRES_URL``; each run creates its own database
there and drops it afterwards. ``--quick`` runs the workloads that have sizes at a smaller
size (``--full``, the default, at the size their targets are set for).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import os
import sys
import tempfile
from pathlib import Path

from app.db import normalise_database_url
from app.settings import PROJECT_ROOT
from bench.harness import Result, Scale, merge_report, render, write_report
from bench.workloads import (
    attendance_import,
    attendance_reads,
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
    case_list,
    licence_checks,
    licence_list,
    subject_bundle,
    retention_sweep,
]


def _name(workload: object) -> str:
    return str(getattr(workload, "__name__", "")).rsplit(".", 1)[-1]


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure each workload against its baseline in the same run, on SQLite "
        "and (with KPAS_BENCH_POSTGRES_URL) PostgreSQL, and write docs/benchmarks.md.",
    )
    parser.add_argument(
        "workloads",
        nargs="*",
        metavar="WORKLOAD",
        help="run only these (their rows replace the report's; the rest are kept): "
        + ", ".join(_name(w) for w in WORKLOADS),
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const=Scale.QUICK,
        help="run the workloads that have sizes at their smaller, quick size",
    )
    sizes.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const=Scale.FULL,
        help="run every workload at the size its target is set for (the default)",
    )
    parser.set_defaults(scale=Scale.FULL)
    args = parser.parse_args(argv)
    unknown = sorted(set(args.workloads) - {_name(w) for w in WORKLOADS})
    if unknown:
        parser.error(f"no workload named {', '.join(unknown)}")
    return args


async def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    chosen = [w for w in WORKLOADS if not args.workloads or _name(w) in args.workloads]
    server = os.environ.get("KPAS_BENCH_POSTGRES_URL") or os.environ.get("KPAS_TEST_POSTGRES_URL")
    backends = ["sqlite"] + (["postgresql"] if server else [])
    if server:
        os.environ["KPAS_TEST_POSTGRES_URL"] = normalise_database_url(server)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as workdir:
        for backend in backends:
            for workload in chosen:
                sized = "scale" in inspect.signature(workload.run).parameters
                options = {"scale": args.scale} if sized else {}
                async with fresh_database(backend, Path(workdir)) as url:
                    results.extend(await workload.run(backend, url, **options))
    output = PROJECT_ROOT / "docs" / "benchmarks.md"
    if args.workloads:
        merge_report(results, output)
    else:
        write_report(results, output)
    sys.stdout.write(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
