"""One policy decision, rule lookup and record predicate included, against a bare dict lookup.

Each timed operation is a batch of decisions, so the timer's own cost does not swamp a
microsecond-scale operation; the report divides back to one decision.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.auth.principal import Principal, Role
from app.policies.engine import PolicyEngine
from app.policies.registry import Purpose, purposes_mask
from bench.harness import Result, Scale, Workload, measure, sized
from tests.policy_probe import ProbeRecord, probe_engine

BATCH = 1000
NOW = datetime(2026, 11, 29, 10, tzinfo=UTC)
TODAY = date(2026, 11, 29)


async def run(backend: str, url: str, scale: Scale = Scale.FULL) -> list[Result]:
    if backend != "sqlite":  # in-process only: one run is enough
        return []
    engine: PolicyEngine = probe_engine()
    officer = Principal(
        subject="officer-1",
        roles=frozenset({Role.ATTENDANCE_OFFICER}),
        issuer="https://kpas.test",
        area_teams=frozenset({"east"}),
    )
    record = ProbeRecord(
        school_urn=118800, area_team="east", purposes_mask=purposes_mask([Purpose.INTERVENTION])
    )
    table = {(Role.ATTENDANCE_OFFICER, "probe", "read"): True}

    async def decide_batch() -> object:
        allowed = 0
        for _ in range(BATCH):
            decision = engine.decide(officer, "probe", "read", Purpose.INTERVENTION, now=NOW)
            allowed += engine.permits(decision, officer, record, today=TODAY)
        assert allowed == BATCH
        return allowed

    async def lookup_batch() -> object:
        hits = 0
        for _ in range(BATCH):
            hits += table.get((Role.ATTENDANCE_OFFICER, "probe", "read"), False)
        return hits

    result = await measure(
        Workload(
            name=f"policy decision (batches of {BATCH})",
            subject=decide_batch,
            baseline=lookup_batch,
            target="median < 10 µs per decision",
            note="PolicyEngine.decide (rule lookup, purpose, basis, decision id) plus the "
            "record predicate (area team, collected-for purpose), against a bare dict lookup. "
            f"Divide the median by {BATCH} for one decision.",
        ),
        "in-process",
        rounds=sized(scale, quick=30, full=100),
        warmup=10,
    )
    return [result]
