"""The benchmark runner and report: sizes, the command line, and a run of some workloads
replacing their rows while keeping the others."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

import bench.__main__ as runner
from bench.harness import HEADER, Measurement, Result, Scale, merge_report, new_run, write_report


def result(
    workload: str, backend: str, subject: float, note: str = "", size: str = "full"
) -> Result:
    return Result(
        workload,
        backend,
        Measurement("subject", [subject] * 5),
        Measurement("baseline", [0.001] * 5),
        "ratio >= 0.5",
        note,
        size,
    )


def rows(text: str) -> list[list[str]]:
    lines = [line for line in text.splitlines() if line.startswith("| ") and line != HEADER]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in lines]


def run_lines(text: str) -> list[str]:
    section = text.split("## Runs", 1)[1].split("## Results", 1)[0]
    return [line for line in section.splitlines() if line.startswith("- **")]


def fake_workload(name: str, seen: list[Scale]) -> types.ModuleType:
    """A workload module that records the size it was asked for and measures nothing real."""
    module = types.ModuleType(f"bench.workloads.{name}", f"A stand-in called {name}.")

    async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
        seen.append(scale)
        return [result(f"{name} list", backend, 0.002, f"{name} note", size="")]

    module.run = run  # type: ignore[attr-defined]
    return module


def test_every_row_carries_its_figures_baseline_ratio_target_size_and_run(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    run = new_run("quick", [], "server 15.0")
    write_report([result("case list", "sqlite", 0.004, "cases", size="quick")], run, report)
    text = report.read_text()
    assert HEADER in text
    [row] = rows(text)
    assert row == [
        "case list",
        "sqlite",
        "quick",
        "4.000",
        "4.000",
        "1.000",
        "0.25",
        "ratio >= 0.5",
        run.stamp,
    ]
    [line] = run_lines(text)
    assert line.startswith(f"- **{run.stamp}**, quick size, every workload: ")
    for fact in ("cores", "GiB RAM", "Python ", "SQLite ", "PostgreSQL: server 15.0"):
        assert fact in line
    assert "- **case list** (sqlite, quick): cases" in text


def test_a_partial_run_replaces_its_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    first = new_run("full", [], "server 15.0")
    first.stamp = "2026-01-01 10:00:00 UTC"
    write_report(
        [
            result("case list", "sqlite", 0.002, "cases"),
            result("licence list", "sqlite", 0.004, "old licences"),
            result("licence list", "postgresql", 0.004),
        ],
        first,
        report,
    )
    second = new_run("full", ["licence_list"], "not run: no server configured")
    merge_report([result("licence list", "sqlite", 0.001, "new licences")], second, report)
    text = report.read_text()
    table = {(r[0], r[1]): r for r in rows(text)}
    assert len(table) == 3
    assert table["case list", "sqlite"][3] == "2.000"
    assert table["case list", "sqlite"][-1] == first.stamp
    assert table["licence list", "sqlite"][3] == "1.000"
    assert table["licence list", "sqlite"][-1] == second.stamp
    assert table["licence list", "postgresql"][3] == "4.000"
    assert "new licences" in text and "old licences" not in text and "cases" in text
    # Both runs are described: each row's machine, size and PostgreSQL are on its run's line.
    lines = run_lines(text)
    assert [line.split("**")[1] for line in lines] == [first.stamp, second.stamp]
    assert "PostgreSQL: not run: no server configured" in lines[1]


def test_a_quick_run_keeps_the_full_figures_of_the_same_workload(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    full = new_run("full", [], "server 15.0")
    full.stamp = "2026-01-01 10:00:00 UTC"
    write_report([result("case list", "sqlite", 0.002, "full cases")], full, report)
    quick = new_run("quick", [], "server 15.0")
    merge_report(
        [result("case list", "sqlite", 0.003, "quick cases", size="quick")],
        quick,
        report,
        replace_size="quick",
    )
    text = report.read_text()
    assert [(r[0], r[2], r[3]) for r in rows(text)] == [
        ("case list", "full", "2.000"),
        ("case list", "quick", "3.000"),
    ]
    assert "full cases" in text and "quick cases" in text
    assert len(run_lines(text)) == 2


def test_a_run_of_every_workload_drops_stale_rows_of_its_size_only(tmp_path: Path) -> None:
    report = tmp_path / "benchmarks.md"
    old = new_run("quick", [], "server 15.0")
    old.stamp = "2026-01-01 10:00:00 UTC"
    write_report(
        [
            result("renamed since", "sqlite", 0.002, "gone", size="quick"),
            result("case list", "sqlite", 0.002, size="full"),
        ],
        old,
        report,
    )
    new = new_run("quick", [], "server 15.0")
    new.stamp = "2026-01-02 10:00:00 UTC"
    merge_report(
        [result("case list", "sqlite", 0.003, size="quick")], new, report, replace_size="quick"
    )
    text = report.read_text()
    assert [(r[0], r[2]) for r in rows(text)] == [("case list", "full"), ("case list", "quick")]
    assert "gone" not in text
    # The old run's line stays while a row still comes from it.
    assert [line.split("**")[1] for line in run_lines(text)] == [old.stamp, new.stamp]

    newest = new_run("full", [], "server 15.0")
    merge_report([result("case list", "sqlite", 0.001)], newest, report, replace_size="full")
    assert [line.split("**")[1] for line in run_lines(report.read_text())] == [
        new.stamp,
        newest.stamp,
    ]


async def test_help_lists_workloads_sizes_and_settings_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Scale] = []
    monkeypatch.setattr(runner, "WORKLOADS", [*runner.WORKLOADS, fake_workload("probe", seen)])
    report = tmp_path / "benchmarks.md"
    with pytest.raises(SystemExit) as exit:
        await runner.main(["--help", "--output", str(report)])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for workload in runner.WORKLOADS:
        name = runner._name(workload)
        assert f"\n  {name}\n" in out
    assert "A stand-in called probe." in out
    assert "sizes: quick: 1,000 and 10,000 pupils; full: 10,000 and 240,000" in out
    for words in ("--quick", "--full", "--output", "KPAS_BENCH_POSTGRES_URL", "default"):
        assert words in out
    assert seen == [] and not report.exists()


def test_an_unknown_workload_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        runner.parse(["licence_list", "no_such_workload"])
    assert exit.value.code == 2
    assert "no workload named no_such_workload" in capsys.readouterr().err
    assert runner.parse(["licence_list"]).workloads == ["licence_list"]


def test_quick_is_the_default_size() -> None:
    assert runner.parse([]).scale is Scale.QUICK
    assert runner.parse(["--quick"]).scale is Scale.QUICK
    assert runner.parse(["--full"]).scale is Scale.FULL
    with pytest.raises(SystemExit):
        runner.parse(["--quick", "--full"])


async def test_a_run_passes_its_size_and_says_when_postgresql_did_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[Scale] = []
    monkeypatch.setattr(runner, "WORKLOADS", [fake_workload("probe", seen)])
    monkeypatch.setenv("KPAS_BENCH_POSTGRES_URL", "")  # empty: SQLite alone
    monkeypatch.setenv("KPAS_TEST_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")
    report = tmp_path / "benchmarks.md"
    assert await runner.main(["--output", str(report)]) == 0
    assert seen == [Scale.QUICK]
    text = report.read_text()
    assert [(r[0], r[1], r[2]) for r in rows(text)] == [("probe list", "sqlite", "quick")]
    [line] = run_lines(text)
    assert "quick size, every workload" in line
    assert "PostgreSQL: not run: no server configured" in line
    assert "probe list" in capsys.readouterr().out

    monkeypatch.setenv("KPAS_BENCH_POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert await runner.main(["--full", "--output", str(report), "probe"]) == 0
    assert seen == [Scale.QUICK, Scale.FULL]
    text = report.read_text()
    assert [(r[0], r[2]) for r in rows(text)] == [("probe list", "full"), ("probe list", "quick")]
    assert "PostgreSQL: not run: the server could not be reached" in run_lines(text)[1]
