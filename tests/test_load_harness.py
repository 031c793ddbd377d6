"""The load test's own pieces: its percentiles, its counting, its verdicts, its report, and a
bounded run against the live service that stops by itself (under the ``resilience`` marker:
starting the server is most of its time)."""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load import (
    Budget,
    Caller,
    LevelResult,
    OpStats,
    ProcessRun,
    Settings,
    percentile,
    run_bounded,
    stopped,
    verdicts,
    write_report,
)
from tests.live import running_server, service_env


def test_percentiles_are_by_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, in no helpful order
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile(values, 0) == 1
    # Ten values: p95 and p99 are both the largest (rank 10), p50 the fifth.
    ten = [0.010, 0.002, 0.009, 0.001, 0.003, 0.008, 0.004, 0.007, 0.005, 0.006]
    assert percentile(ten, 50) == 0.005
    assert percentile(ten, 90) == 0.009
    assert percentile(ten, 95) == percentile(ten, 99) == 0.010
    assert percentile([0.25], 99) == 0.25
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_failures_are_counted_by_kind() -> None:
    stats = OpStats()
    for status in (200, 201, 304, 404, 409, 500, 503, 0):
        stats.add(0.01, status)
    assert stats.count == 8
    assert stats.errors == 5  # 404, 409, 500, 503 and the request that got no answer
    assert stats.server_errors == 3  # 500, 503 and no answer


def test_a_budget_stops_at_its_requests_or_its_time() -> None:
    counted = Budget(seconds=60, requests=3)
    assert [counted.take() for _ in range(5)] == [True, True, True, False, False]
    timed = Budget(seconds=0.05, requests=1_000_000)
    assert timed.take()
    time.sleep(0.06)
    assert not timed.take()


def _level(clients: int, statuses: dict[str, tuple[float, int]]) -> LevelResult:
    ops = {}
    for name, (seconds, status) in statuses.items():
        stats = OpStats()
        for _ in range(100):
            stats.add(seconds, status)
        ops[name] = stats
    return LevelResult(
        processes=1,
        clients=clients,
        seconds=10.0,
        ops=ops,
        baseline=OpStats(),
        baseline_seconds=2.0,
        server_cpu=1.0,
        generator_cpu=0.1,
        rss_peak_kib=200_000,
    )


def test_each_target_is_judged_at_32_clients() -> None:
    met = _level(32, {"case read": (0.040, 200), "case update": (0.120, 200)})
    missed = _level(
        32, {"case read": (0.150, 200), "case update": (0.300, 200), "roll push": (0.05, 503)}
    )
    lines = verdicts(
        [
            ProcessRun(1, [_level(8, {}), met], 1, 1, 1, 1, 0),
            ProcessRun(2, [missed], 1, 1, 1, 1, 0),
        ]
    )
    assert lines[0].endswith("**met**") and "1 server process," in lines[0]
    assert "**met** (worst 40 ms)" in lines[1]
    assert "**met** (worst 120 ms)" in lines[2]
    assert "**not met** (100 5xx or unanswered)" in lines[3]
    assert "**not met** (case read 150 ms)" in lines[4]
    assert "**not met** (case update 300 ms)" in lines[5]
    unreached = verdicts([ProcessRun(1, [_level(16, {})], 1, 1, 1, 1, 0)])
    assert unreached == [
        "- 1 server process: **not measured** at 32 clients (the run stopped at 16); "
        "no target can be judged."
    ]


def test_the_report_says_where_the_levels_stopped_and_why() -> None:
    settings = Settings("full", [1, 32, 64], 20.0, 1000, [1], 8, 150, 8, 32)
    slow = _level(32, {"case read": (2.5, 200)})
    assert stopped(ProcessRun(1, [_level(1, {}), slow], 1, 1, 1, 1, 0), settings) == (
        "- 1 server process: ran 1, 32 clients and stopped there, where latency broke "
        "(p99 2500 ms over the whole mix, past 2000 ms)."
    )
    failing = _level(32, {"case read": (0.01, 502)})
    assert "(100 5xx or unanswered)" in stopped(ProcessRun(2, [failing], 1, 1, 1, 1, 0), settings)
    every = [_level(n, {}) for n in (1, 32, 64)]
    assert stopped(ProcessRun(1, every, 1, 1, 1, 1, 0), settings) == (
        "- 1 server process: every level ran (1, 32, 64 clients)."
    )


def test_a_run_rewrites_its_own_section_and_keeps_the_other(tmp_path: Path) -> None:
    report = tmp_path / "load.md"
    write_report(report, "<!-- load:full -->\nfull one\n<!-- /load:full -->\n", "full")
    write_report(report, "<!-- load:quick -->\nquick one\n<!-- /load:quick -->\n", "quick")
    write_report(report, "<!-- load:quick -->\nquick two\n<!-- /load:quick -->\n", "quick")
    text = report.read_text()
    assert text.startswith("# Load test")
    assert "full one" in text and "quick two" in text and "quick one" not in text
    assert text.index("full one") < text.index("quick two")


@pytest.fixture(scope="module")
def live_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``kpas serve`` on loopback; ``/healthz`` needs no database, so none is migrated."""
    workdir = tmp_path_factory.mktemp("load")
    env = service_env(f"sqlite+aiosqlite:///{workdir / 'empty.db'}")
    with running_server(env, workdir / "server.log", ready_path="/healthz") as (base, _):
        yield base


async def _healthz(caller: Caller) -> None:
    await caller.call("healthz", "GET", "/healthz")


# Starting the server takes a few seconds on two busy cores: these run under `make resilience`.
@pytest.mark.resilience
async def test_a_bounded_run_stops_by_itself_when_its_time_is_up(live_base: str) -> None:
    started = time.monotonic()
    stats, elapsed = await run_bounded(
        [live_base], 2, lambda _caller: _healthz, seconds=2.0, requests=1_000_000
    )
    took = time.monotonic() - started
    assert 1.95 <= elapsed < 3.0 and took < 3.5
    healthz = stats["healthz"]
    assert healthz.count > 20
    assert healthz.statuses == Counter({200: healthz.count})
    assert 0 < healthz.ms(50) <= healthz.ms(99) < 2000


@pytest.mark.resilience
async def test_a_bounded_run_stops_by_itself_at_its_requests(live_base: str) -> None:
    stats, elapsed = await run_bounded(
        [live_base], 2, lambda _caller: _healthz, seconds=60.0, requests=7
    )
    assert stats["healthz"].count == 7
    assert elapsed < 5
