"""The benchmark harness.

A workload pairs a *subject* (what the service does) with a *baseline* (the least the same
job could cost). Both run interleaved in the same process, so machine noise hits both alike,
and the report gives the ratio of their throughputs. No speed claim is an absolute number.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

Op = Callable[[], Awaitable[object]]


class Scale(StrEnum):
    """How big a run's databases are. ``full`` (the default) is the size the targets are set
    at; ``quick`` is a smaller run of the same comparisons, for a check during development.
    A workload that takes ``scale`` in its ``run`` sizes itself by it; the others have one
    size."""

    QUICK = "quick"
    FULL = "full"


def sized(scale: Scale, *, quick: int, full: int) -> int:
    """The count for ``scale``: workloads say their two sizes in one place with this."""
    return quick if scale is Scale.QUICK else full


@dataclass(slots=True)
class Measurement:
    label: str
    samples: list[float] = field(default_factory=list)  # seconds per operation

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]

    @property
    def per_second(self) -> float:
        return 1.0 / self.median if self.median else float("inf")


@dataclass(slots=True)
class Result:
    workload: str
    backend: str
    subject: Measurement
    baseline: Measurement
    target: str
    note: str = ""
    size: str = ""  # the Scale it ran at; set by the runner

    @property
    def ratio(self) -> float:
        """Subject throughput as a fraction of the baseline's (1.0 = as fast as the baseline)."""
        return self.baseline.median / self.subject.median


@dataclass(slots=True)
class Workload:
    name: str
    subject: Op
    baseline: Op
    target: str
    note: str = ""


async def measure(
    workload: Workload, backend: str, *, rounds: int = 200, warmup: int = 20
) -> Result:
    for _ in range(warmup):
        await workload.baseline()
        await workload.subject()
    subject = Measurement("subject")
    baseline = Measurement("baseline")
    for _ in range(rounds):  # interleaved, so drift affects both sides alike
        started = time.perf_counter()
        await workload.baseline()
        baseline.samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        await workload.subject()
        subject.samples.append(time.perf_counter() - started)
    return Result(workload.name, backend, subject, baseline, workload.target, workload.note)


async def measure_concurrent(
    workload: Workload,
    backend: str,
    *,
    clients: int = 32,
    ops_per_client: int = 25,
    rounds: int = 8,
    warmup: int = 1,
) -> Result:
    """Throughput with ``clients`` concurrent callers, subject against baseline.

    Each round runs ``clients`` tasks doing ``ops_per_client`` operations each, baseline and
    subject alternately; a sample is the round's wall time divided by its operations, so the
    medians are amortised seconds per operation and the ratio compares throughputs.
    """

    async def burst(op: Op) -> float:
        async def caller() -> None:
            for _ in range(ops_per_client):
                await op()

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(clients)))
        return (time.perf_counter() - started) / (clients * ops_per_client)

    for _ in range(warmup):
        await burst(workload.baseline)
        await burst(workload.subject)
    subject = Measurement("subject")
    baseline = Measurement("baseline")
    for _ in range(rounds):
        baseline.samples.append(await burst(workload.baseline))
        subject.samples.append(await burst(workload.subject))
    return Result(workload.name, backend, subject, baseline, workload.target, workload.note)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.3f}"


@dataclass(slots=True)
class Run:
    """One ``python -m bench`` invocation: when, at which size, which workloads, on what.

    Rows name their run by ``stamp``; the report lists every run a row still comes from, so a
    partial run never leaves the header describing a machine or size a row was not measured on.
    """

    stamp: str
    size: str
    workloads: str  # "every workload" or the names given
    machine: str
    postgresql: str  # the server version, or why there are no PostgreSQL rows

    def line(self) -> str:
        return (
            f"- **{self.stamp}**, {self.size} size, {self.workloads}: {self.machine}; "
            f"PostgreSQL: {self.postgresql}"
        )


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory() -> str:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return "RAM unknown"
    return f"{total / 2**30:.1f} GiB RAM"


def _os() -> str:
    name = platform.system()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return f"{name} (kernel {platform.release()})" if platform.system() == "Linux" else name


def machine() -> str:
    """The machine a run's figures belong to: CPU, cores, memory, OS, Python, SQLite."""
    return (
        f"{_cpu_model()}, {os.cpu_count()} cores, {_memory()}; {_os()}; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}"
    )


def new_run(size: str, workloads: Sequence[str], postgresql: str) -> Run:
    return Run(
        stamp=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        size=size,
        workloads=", ".join(workloads) if workloads else "every workload",
        machine=machine(),
        postgresql=postgresql,
    )


HEADER = (
    "| workload | backend | size | median ms | p95 ms | baseline median ms | ratio | target | run |"
)
_RUN_PREFIX = "- **"
_RUNS_HEADING = "## Runs"
_NOTES_HEADING = "## What each workload measures"


def _row_key(workload: str, backend: str, size: str) -> str:
    return f"| {workload} | {backend} | {size} |"


def _note_key(workload: str, backend: str, size: str) -> str:
    return f"- **{workload}** ({backend}, {size}):"


def _row(r: Result, run: Run) -> str:
    return (
        f"{_row_key(r.workload, r.backend, r.size)} {_ms(r.subject.median)} "
        f"| {_ms(r.subject.p95)} | {_ms(r.baseline.median)} | {r.ratio:.2f} | {r.target} "
        f"| {run.stamp} |"
    )


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def render(
    results: list[Result],
    run: Run,
    *,
    kept_rows: Sequence[str] = (),
    kept_notes: Sequence[str] = (),
    kept_runs: Sequence[str] = (),
) -> str:
    """The report: this run's rows and those kept from the report before (``kept_rows``,
    ``kept_notes``), full-size rows first, and a line for every run a row comes from."""
    rows = [*kept_rows, *(_row(r, run) for r in results)]
    rows.sort(key=lambda row: _cells(row)[2] != Scale.FULL)  # stable: order kept within a size
    stamps = {_cells(row)[-1] for row in rows}
    runs = [line for line in kept_runs if line[len(_RUN_PREFIX) :].split("**", 1)[0] in stamps]
    if run.stamp in stamps or not rows:
        runs.append(run.line())
    notes = [
        *kept_notes,
        *(f"{_note_key(r.workload, r.backend, r.size)} {r.note}" for r in results if r.note),
    ]
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench --help` lists the workloads, sizes and",
        "settings). Each workload runs interleaved with its baseline in the same process;",
        "**ratio** is the workload's throughput as a fraction of the baseline's. **size** is",
        "the setting the row ran at: `full` is the size the targets are set for (the published",
        "figures), `quick` a smaller run of the same comparison for development. **run** names",
        "the run below that measured the row, and the machine it ran on.",
        "",
        _RUNS_HEADING,
        "",
        *runs,
        "",
        "## Results",
        "",
        HEADER,
        "|---|---|---|---:|---:|---:|---:|---|---|",
        *rows,
    ]
    if notes:
        lines += ["", _NOTES_HEADING, "", *dict.fromkeys(notes)]
    return "\n".join(lines) + "\n"


def write_report(results: list[Result], run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(results, run))


def merge_report(
    results: list[Result], run: Run, path: Path, *, replace_size: str | None = None
) -> None:
    """Write ``results`` into the report at ``path``. Rows (and notes) of every workload,
    backend and size this run did not measure are kept, with the lines of the runs they came
    from; ``replace_size`` (a run of every workload) also drops the other rows of that size,
    so a workload renamed or removed since leaves no stale row behind."""
    if not path.exists():
        write_report(results, run, path)
        return
    old = path.read_text().splitlines()
    measured = {(r.workload, r.backend, r.size) for r in results}

    def kept(workload: str, backend: str, size: str) -> bool:
        return (workload, backend, size) not in measured and size != replace_size

    rows = [
        line
        for line in old
        if line.startswith("| ")
        and line != HEADER
        and len(cells := _cells(line)) == 9
        and kept(*cells[:3])
    ]
    notes = []
    section = ""
    for line in old:
        if line.startswith("## "):
            section = line
        elif section == _NOTES_HEADING and line.startswith(_RUN_PREFIX):
            workload, _, rest = line[len(_RUN_PREFIX) :].partition("** (")
            backend, _, rest = rest.partition(", ")
            size = rest.split("):", 1)[0]
            if kept(workload, backend, size):
                notes.append(line)
    in_runs = False
    runs = []
    for line in old:
        if line.startswith("## "):
            in_runs = line == _RUNS_HEADING
        elif in_runs and line.startswith(_RUN_PREFIX):
            runs.append(line)
    # Two runs within a second: the new one gets its own name, so rows keep their own runs.
    stamps = {line[len(_RUN_PREFIX) :].split("**", 1)[0] for line in runs}
    stamp, serial = run.stamp, 1
    while run.stamp in stamps:
        serial += 1
        run.stamp = f"{stamp} ({serial})"
    path.write_text(render(results, run, kept_rows=rows, kept_notes=notes, kept_runs=runs))


def short(count: int) -> str:
    """A size as workload names give it: 1M, 240k, 10k, 500."""
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1_000 and count % 1_000 == 0:
        return f"{count // 1_000}k"
    return str(count)
