"""The benchmark report: a run of some workloads replaces their rows and keeps the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import parse
from bench.harness import Measurement, Result, merge_report, write_report


def result(workload: str, backend: str, subject: float, note: str = "") -> Result:
    return Result(
        workload,
        backend,
        Measurement("subject", [subject] * 5),
        Measurement("baseline", [0.001] * 5),
        "report",
        note,
    )


def test_a_partial_run_replaces_its_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    write_report(
        [
            result("case list", "sqlite", 0.002, "cases"),
            result("licence list", "sqlite", 0.004, "old licences"),
            result("licence list", "postgresql", 0.004),
        ],
        report,
    )
    merge_report([result("licence list", "sqlite", 0.001, "new licences")], report)
    text = report.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and "workload" not in line]
    assert len(rows) == 3
    assert any(r.startswith("| case list | sqlite | 2.00") for r in rows)
    assert any(r.startswith("| licence list | sqlite | 1.00") for r in rows)
    assert any(r.startswith("| licence list | postgresql | 4.00") for r in rows)
    assert "new licences" in text and "old licences" not in text and "cases" in text
    assert "- Other rows: the full run of" in text


def test_unknown_workloads_are_refused() -> None:
    with pytest.raises(SystemExit):
        parse(["no_such_workload"])
    assert parse(["licence_list"]).workloads == ["licence_list"]
