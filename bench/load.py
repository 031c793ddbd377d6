"""``python -m bench.load``: a load test of the real service on loopback, bounded in requests
and seconds, that stops by itself and writes ``docs/load.md``.

It creates its own PostgreSQL database (``KPAS_BENCH_POSTGRES_URL`` or
``KPAS_TEST_POSTGRES_URL``), migrates it, loads the demo data, and starts what a deployment
runs: ``kpas serve`` (one process, and then two behind the client when ``--processes`` says
so), the outbox worker, and the fake GOV.UK Notify the worker sends to. It then builds a scene
through the API itself (school rolls pushed by their information systems, cases opened by a
manager and assigned to officers, an employer for work permits) and runs a realistic mix of
operations at each concurrency in turn, each client holding the tokens of the people it acts
as and picking only records those people may see. Beside the mix, at the same concurrency,
the least the same server can do (``GET /healthz``) gives the baseline.

One asyncio process with one HTTP/1.1 keep-alive pool as large as the concurrency generates
the load. It shares the machine with the server, the worker and PostgreSQL, so its own CPU
use is reported beside the server's: a run is only worth reading while the generator is not
the busiest process.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

#: Single-record reads: the target is p99 under 100 ms at 32 clients.
READS = ("case read", "pupil read", "school read", "licence read", "subject request read")
#: Writes: the target is p99 under 250 ms at 32 clients.
WRITES = (
    "case update",
    "case record",
    "person create",
    "licence apply",
    "licence decision",
    "subject request create",
    "attendance import",
    "roll push",
)
TARGET_CLIENTS = 32
READ_P99_MS = 100.0
WRITE_P99_MS = 250.0
#: A level whose p99 over the whole mix passes this, or that answers any 5xx, is where latency
#: broke: no higher concurrency is tried (beyond the 32 clients the targets are judged at).
BREAK_P99_MS = 2000.0
#: A request the server answered with a 5xx, in its JSON log.
SERVER_ERROR = re.compile(r'"status": 5\d\d\b')
#: Any single request waits at most this long; the run's own bound is its seconds.
REQUEST_TIMEOUT = 30.0


# --- figures --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0-100) by nearest rank: the smallest value with at least
    ``q`` per cent of the values at or below it. NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(slots=True)
class OpStats:
    """Every request of one operation at one level: its latency and status."""

    latencies: list[float] = field(default_factory=list)  # seconds
    statuses: Counter[int] = field(default_factory=Counter)  # 0: no answer (transport error)

    def add(self, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        self.statuses[status] += 1

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def errors(self) -> int:
        """Answers that were not a success (any 4xx or 5xx, and no answer at all)."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 400)

    @property
    def server_errors(self) -> int:
        """5xx answers and requests that got no answer."""
        return sum(n for status, n in self.statuses.items() if status >= 500 or status == 0)

    def ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def merge(self, other: OpStats) -> None:
        self.latencies.extend(other.latencies)
        self.statuses.update(other.statuses)


@dataclass(slots=True)
class LevelResult:
    processes: int
    clients: int
    seconds: float  # wall time of the mix
    ops: dict[str, OpStats]
    baseline: OpStats
    baseline_seconds: float
    server_cpu: float  # the server processes' CPU seconds per wall second during the mix
    generator_cpu: float  # this process's CPU seconds per wall second during the mix
    rss_peak_kib: int
    machine_cpu: float = math.nan  # the whole machine's busy CPU seconds per wall second
    load_average: float = math.nan  # the 1-minute load average as the mix ended

    @property
    def total(self) -> OpStats:
        merged = OpStats()
        for stats in self.ops.values():
            merged.merge(stats)
        return merged

    @property
    def per_second(self) -> float:
        return self.total.count / self.seconds if self.seconds else 0.0

    @property
    def baseline_per_second(self) -> float:
        return self.baseline.count / self.baseline_seconds if self.baseline_seconds else 0.0

    @property
    def server_cpu_per_request_ms(self) -> float:
        return 1000 * self.server_cpu / self.per_second if self.per_second else math.nan

    @property
    def broke(self) -> bool:
        total = self.total
        return total.server_errors > 0 or total.ms(99) > BREAK_P99_MS


# --- the bounded run ------------------------------------------------------------------------


class Budget:
    """How many requests a level may still start, and until when. Every client asks before
    each operation, so the level ends by itself once either bound is reached."""

    def __init__(self, seconds: float, requests: int) -> None:
        self.deadline = time.monotonic() + seconds
        self.left = requests

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


class Caller:
    """One simulated client: its HTTP pool, its random stream, and where its figures go."""

    def __init__(
        self, index: int, http: httpx.AsyncClient, stats: dict[str, OpStats], budget: Budget
    ) -> None:
        self.index = index
        self.http = http
        self.stats = stats
        self.budget = budget
        self.rng = random.Random(index)

    async def call(self, op: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """One request, timed and counted under ``op``; None when it got no answer."""
        started = time.perf_counter()
        try:
            response = await self.http.request(method, url, **kwargs)
        except httpx.TransportError:
            self.stats.setdefault(op, OpStats()).add(time.perf_counter() - started, 0)
            return None
        self.stats.setdefault(op, OpStats()).add(
            time.perf_counter() - started, response.status_code
        )
        return response


Operation = Callable[[Caller], Awaitable[None]]


async def run_bounded(
    bases: Sequence[str],
    clients: int,
    choose: Callable[[Caller], Operation],
    *,
    seconds: float,
    requests: int,
) -> tuple[dict[str, OpStats], float]:
    """Run ``clients`` callers, each doing the operation ``choose`` picks for it, one after
    another, until ``seconds`` have passed or ``requests`` operations have started. Client
    ``i`` talks to ``bases[i % len(bases)]``. Returns the figures and the wall time."""
    stats: dict[str, OpStats] = {}
    pools = [
        httpx.AsyncClient(
            base_url=base,
            timeout=REQUEST_TIMEOUT,
            limits=httpx.Limits(
                max_connections=clients, max_keepalive_connections=clients, keepalive_expiry=60
            ),
        )
        for base in bases
    ]

    async def client(index: int) -> None:
        caller = Caller(index, pools[index % len(pools)], stats, budget)
        while budget.take():
            await choose(caller)(caller)

    budget = Budget(seconds, requests)
    started = time.perf_counter()
    try:
        # An operation in flight when the time is up finishes (each request is bounded by
        # its timeout); this bound only guards against an operation that never returns.
        await asyncio.wait_for(
            asyncio.gather(*(client(i) for i in range(clients))),
            timeout=seconds + 4 * REQUEST_TIMEOUT,
        )
    finally:
        elapsed = time.perf_counter() - started
        for pool in pools:
            await pool.aclose()
    return stats, elapsed


# --- the machine and the server's processes -------------------------------------------------


def machine() -> dict[str, str]:
    """Cores, CPU model and RAM, from /proc where there is one."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cores": f"{usable} usable of {os.cpu_count()}",
        "cpu": model,
        "memory": memory,
        "python": f"Python {platform.python_version()} on {platform.system()}",
    }


def rss_kib(pid: int) -> int:
    """The resident set size of process ``pid`` (VmRSS), in KiB; 0 once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def cpu_seconds(pid: int) -> float:
    """User and system CPU time process ``pid`` has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (every core, every process) since boot."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load_average() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return math.nan


class MemoryWatch:
    """Samples the servers' summed RSS every 0.2 s while a level runs."""

    def __init__(self, pids: Sequence[int]) -> None:
        self.pids = list(pids)
        self.start = self.now()
        self.peak = self.start

    def now(self) -> int:
        return sum(rss_kib(pid) for pid in self.pids)

    async def sample(self, stop: asyncio.Event) -> int:
        """Sample until ``stop`` is set; the peak seen meanwhile."""
        peak = self.now()
        while not stop.is_set():
            peak = max(peak, self.now())
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
        self.peak = max(self.peak, peak)
        return peak


# --- the service ----------------------------------------------------------------------------


@dataclass(slots=True)
class Service:
    bases: list[str]
    pids: list[int]
    env: dict[str, str]
    logs: list[Path]


@contextmanager
def running_service(url: str, workdir: Path, processes: int) -> Iterator[Service]:
    """``processes`` API servers, the outbox worker and the fake Notify on loopback, on the
    migrated and seeded database at ``url``. Each server is its own ``kpas serve``: the
    load generator spreads its clients over them, as a load balancer would."""
    from tests.live import free_port, running_process, service_env, wait_until_answering

    ports = [free_port() for _ in range(processes)]
    notify_port = free_port()
    env = service_env(
        url,
        KPAS_NOTIFY_BASE_URL=f"http://127.0.0.1:{notify_port}",
        KPAS_LOG_FORMAT="json",
    )
    logs = [workdir / f"server-{n}.log" for n in range(processes)]
    with ExitStack() as stack:
        stack.enter_context(
            running_process(
                [
                    "fake-notify",
                    "--port",
                    str(notify_port),
                    "--delivery-delay",
                    "0.2",
                    "--callback-url",
                    f"http://127.0.0.1:{ports[0]}/v1/notify/callbacks",
                ],
                env,
                workdir / "fake-notify.log",
            )
        )
        servers = [
            stack.enter_context(running_process(["serve", "--port", str(port)], env, log))
            for port, log in zip(ports, logs, strict=True)
        ]
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base, server, log in zip(bases, servers, logs, strict=True):
            wait_until_answering(f"{base}/readyz", server, within=60, log_path=log)
        stack.enter_context(running_process(["worker"], env, workdir / "worker.log"))
        yield Service(bases, [s.pid for s in servers], env, logs)


# --- the scene ------------------------------------------------------------------------------


@dataclass(slots=True)
class MisSchool:
    urn: int
    headers: dict[str, str]
    roll: dict[str, Any]
    upns: list[str]
    pupil_ids: list[str] = field(default_factory=list)
    next_day: int = 0


@dataclass(slots=True)
class Officer:
    headers: dict[str, str]
    cases: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Scene:
    schools: list[MisSchool]
    officers: list[Officer]
    manager: dict[str, str]
    licensing: dict[str, str]
    governance: dict[str, str]
    employer_id: str
    days: list[date]
    licences: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def _headers(token: str, purpose: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if purpose:
        headers["KPAS-Purpose"] = purpose
    return headers


def recent_school_days(today: date, count: int) -> list[date]:
    """The ``count`` weekdays before ``today``, oldest first."""
    days: list[date] = []
    day = today
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return days[::-1]


def _expect(response: httpx.Response, *statuses: int) -> httpx.Response:
    if response.status_code not in statuses:
        raise RuntimeError(
            f"building the scene: {response.request.method} {response.request.url.path} "
            f"answered {response.status_code}: {response.text[:500]}"
        )
    return response


def _roll_sizes(pupils: int) -> list[dict[str, Any]]:
    from bench.workloads.roll_push import synthetic_roll

    return synthetic_roll(pupils)


async def _pupils_at(http: httpx.AsyncClient, urn: int, headers: dict[str, str]) -> list[str]:
    """The ids of the pupils on ``urn``'s roll, as the manager sees them."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"school_urn": urn, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        body = _expect(await http.get("/v1/pupils", params=params, headers=headers), 200).json()
        ids += [pupil["id"] for pupil in body["items"]]
        cursor = body.get("next_cursor")
        if not cursor:
            return ids


async def build_scene(
    base: str, url: str, *, schools: int, pupils: int, officers: int, cases_per_officer: int
) -> Scene:
    """Tokens for everyone the clients act as, and through the API: each information system
    pushes its school's roll, a manager opens cases for pupils on those rolls and assigns them
    to the officers, a licensing officer records an employer."""
    from app.auth.identity import development_token
    from app.auth.principal import Role
    from tests.conftest import make_settings

    settings = make_settings(url)

    def token(subject: str, roles: list[Role], **claims: Any) -> str:
        return development_token(
            settings, subject=subject, roles=roles, ttl_seconds=12 * 3600, **claims
        )

    manager = _headers(
        token("load-manager", [Role.ATTENDANCE_MANAGER], area_teams=["east"]), "attendance_duty"
    )
    licensing = _headers(
        token("load-licensing", [Role.LICENSING_OFFICER]), "child_employment_licensing"
    )
    governance = _headers(token("load-governance", [Role.INFORMATION_GOVERNANCE]))
    today = datetime.now(UTC).date()
    async with httpx.AsyncClient(base_url=base, timeout=120) as http:
        listed = _expect(
            await http.get(
                "/v1/schools",
                params={"area_team": "east", "status": "open", "limit": schools},
                headers=manager,
            ),
            200,
        ).json()["items"]
        if len(listed) < schools:
            raise RuntimeError(f"only {len(listed)} open schools in the east area team")
        scene_schools: list[MisSchool] = []
        for school in listed:
            urn = int(school["urn"])
            roll = _roll_sizes(pupils)
            mis = MisSchool(
                urn=urn,
                headers=_headers(
                    token(f"load-mis-{urn}", [Role.MIS_INTEGRATION], school_urns=[urn])
                ),
                roll={"as_of": (today - timedelta(days=1)).isoformat(), "pupils": roll},
                upns=[row["upn"] for row in roll],
            )
            # The first push replaces the demo roll: its leavers are confirmed, as a school
            # whose roll really changed would.
            leavers = len(await _pupils_at(http, urn, manager))
            _expect(
                await http.put(
                    f"/v1/schools/{urn}/roll",
                    params={"expected_leavers": leavers},
                    json=mis.roll,
                    headers=mis.headers,
                ),
                200,
            )
            mis.pupil_ids = await _pupils_at(http, urn, manager)
            scene_schools.append(mis)
        scene_officers = [
            Officer(
                _headers(
                    token(f"load-officer-{n}", [Role.ATTENDANCE_OFFICER], area_teams=["east"]),
                    "attendance_duty",
                )
            )
            for n in range(officers)
        ]
        # Round the schools, so each officer's cases are spread over them.
        candidates = [
            (school.urn, pid)
            for row in zip(*(school.pupil_ids for school in scene_schools), strict=False)
            for school, pid in zip(scene_schools, row, strict=True)
        ]
        wanted = officers * cases_per_officer
        if len(candidates) < wanted:
            raise RuntimeError(f"{len(candidates)} pupils on the rolls, {wanted} cases wanted")
        for serial, (urn, pupil_id) in enumerate(candidates[:wanted]):
            officer = serial % officers
            created = _expect(
                await http.post(
                    "/v1/cases",
                    json={
                        "case_type": "attendance",
                        "pupil_id": pupil_id,
                        "school_urn": urn,
                        "assigned_officer": f"load-officer-{officer}",
                        "next_action": "Call the school",
                        "next_action_on": (today + timedelta(days=7)).isoformat(),
                    },
                    headers=manager,
                ),
                201,
            )
            scene_officers[officer].cases.append(created.json()["id"])
        employer = _expect(
            await http.post(
                "/v1/people",
                json={
                    "person_type": "adult",
                    "legal_forename": "Pat",
                    "legal_surname": "Newsagent",
                    "organisation": "Synthetic News Ltd",
                    "email": "shop@example.com",
                },
                headers=licensing,
            ),
            201,
        ).json()["id"]
    return Scene(
        schools=scene_schools,
        officers=scene_officers,
        manager=manager,
        licensing=licensing,
        governance=governance,
        employer_id=employer,
        days=recent_school_days(today, 20),
    )


# --- the mix --------------------------------------------------------------------------------


class Mix:
    """The operations and their weights. Client ``i`` acts as officer ``i mod officers`` on
    its own share of that officer's cases (so two clients never race to update one case), and
    as the information system of school ``i mod schools``."""

    def __init__(self, scene: Scene, clients: int) -> None:
        self.scene = scene
        self.clients = clients
        self.weights: list[tuple[Operation, int]] = [
            (self.case_list, 10),
            (self.case_read, 14),
            (self.case_update, 6),
            (self.case_record, 6),
            (self.pupil_read, 12),
            (self.school_read, 6),
            (self.licence, 3),
            (self.licence_read, 4),
            (self.subject_request_create, 3),
            (self.subject_request_list, 4),
            (self.subject_request_read, 8),
            (self.attendance_import, 3),
            (self.roll_push, 1),
        ]
        self._ops = [op for op, _ in self.weights]
        self._cumulative = []
        total = 0
        for _, weight in self.weights:
            total += weight
            self._cumulative.append(total)

    def choose(self, caller: Caller) -> Operation:
        return caller.rng.choices(self._ops, cum_weights=self._cumulative)[0]

    def _officer(self, caller: Caller) -> tuple[Officer, list[str]]:
        officers = self.scene.officers
        officer = officers[caller.index % len(officers)]
        sharing = max(1, math.ceil(self.clients / len(officers)))
        share = officer.cases[(caller.index // len(officers)) % sharing :: sharing]
        return officer, share or officer.cases

    def _school(self, caller: Caller) -> MisSchool:
        return self.scene.schools[caller.index % len(self.scene.schools)]

    async def case_list(self, caller: Caller) -> None:
        officer, _ = self._officer(caller)
        await caller.call(
            "case list", "GET", "/v1/cases", params={"limit": 50}, headers=officer.headers
        )

    async def case_read(self, caller: Caller) -> None:
        officer, cases = self._officer(caller)
        await caller.call(
            "case read", "GET", f"/v1/cases/{caller.rng.choice(cases)}", headers=officer.headers
        )

    async def case_update(self, caller: Caller) -> None:
        officer, cases = self._officer(caller)
        case_id = caller.rng.choice(cases)
        read = await caller.call(
            "case read", "GET", f"/v1/cases/{case_id}", headers=officer.headers
        )
        if read is None or read.status_code != 200:
            return
        on = datetime.now(UTC).date() + timedelta(days=caller.rng.randrange(1, 28))
        await caller.call(
            "case update",
            "PATCH",
            f"/v1/cases/{case_id}",
            json={"next_action": f"Review attendance on {on:%d %B}", "next_action_on": str(on)},
            headers={**officer.headers, "If-Match": read.headers["ETag"]},
        )

    async def case_record(self, caller: Caller) -> None:
        officer, cases = self._officer(caller)
        occurred = datetime.now(UTC) - timedelta(seconds=5)
        await caller.call(
            "case record",
            "POST",
            f"/v1/cases/{caller.rng.choice(cases)}/events",
            json={
                "kind": caller.rng.choice(["phone_call", "note", "school_contact"]),
                "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
                "text": "Spoke to the parent about this week's attendance; agreed to review.",
            },
            headers=officer.headers,
        )

    async def pupil_read(self, caller: Caller) -> None:
        school = self._school(caller)
        await caller.call(
            "pupil read",
            "GET",
            f"/v1/pupils/{caller.rng.choice(school.pupil_ids)}",
            headers=self.scene.manager,
        )

    async def school_read(self, caller: Caller) -> None:
        officer, _ = self._officer(caller)
        await caller.call(
            "school read", "GET", f"/v1/schools/{self._school(caller).urn}", headers=officer.headers
        )

    async def licence(self, caller: Caller) -> None:
        """A work permit from application to grant: the child, the application, the decision
        (which queues the employer's email for the worker)."""
        headers = self.scene.licensing
        serial = uuid.uuid4().hex[:8]
        child = await caller.call(
            "person create",
            "POST",
            "/v1/people",
            json={
                "person_type": "child",
                "legal_forename": "Maisie",
                "legal_surname": f"Example{serial}",
                "date_of_birth": "2013-05-02",
                "education": "independent_school",
            },
            headers=headers,
        )
        if child is None or child.status_code != 201:
            return
        applied = await caller.call(
            "licence apply",
            "POST",
            "/v1/licences",
            json={
                "kind": "work_permit",
                "person_id": child.json()["id"],
                "received_on": str(datetime.now(UTC).date() - timedelta(days=2)),
                "work_permit": {
                    "employer_id": self.scene.employer_id,
                    "job": "Newspaper delivery",
                    "starts_on": str(datetime.now(UTC).date() + timedelta(days=7)),
                    "school_starts": "08:40",
                    "school_ends": "15:10",
                    "shifts": [{"weeks": "term", "weekday": 5, "starts": "07:30", "ends": "09:00"}],
                },
            },
            headers=headers,
        )
        if applied is None or applied.status_code != 201:
            return
        licence_id = applied.json()["id"]
        decided = await caller.call(
            "licence decision",
            "POST",
            f"/v1/licences/{licence_id}/decision",
            json={"outcome": "granted", "reasons": "Within the hours for the child's age."},
            headers={**headers, "If-Match": applied.headers["ETag"]},
        )
        if decided is not None and decided.status_code < 300:
            self.scene.licences.append(licence_id)

    async def licence_read(self, caller: Caller) -> None:
        if not self.scene.licences:
            await self.licence(caller)
            return
        await caller.call(
            "licence read",
            "GET",
            f"/v1/licences/{caller.rng.choice(self.scene.licences)}",
            headers=self.scene.licensing,
        )

    async def subject_request_create(self, caller: Caller) -> None:
        name = f"Hale{uuid.uuid4().hex[:6]}"
        created = await caller.call(
            "subject request create",
            "POST",
            "/v1/subject-requests",
            json={
                "right": "access",
                "channel": "email",
                "received_on": str(datetime.now(UTC).date() - timedelta(days=3)),
                "description": "Please send me a copy of the records you hold about me.",
                "requester": {
                    "kind": "subject",
                    "name": f"Morgan {name}",
                    "email": "morgan.hale@example.org",
                    "address_lines": ["12 Example Street", "Maidstone"],
                    "postcode": "ME14 1XX",
                },
                "subject_details": {
                    "forename": "Morgan",
                    "surname": name,
                    "date_of_birth": "1985-03-14",
                },
                "identity_required": False,
                "identity_method": "Email address matches the one held on the carer record",
            },
            headers=self.scene.governance,
        )
        if created is not None and created.status_code == 201:
            self.scene.requests.append(created.json()["id"])

    async def subject_request_list(self, caller: Caller) -> None:
        await caller.call(
            "subject request list",
            "GET",
            "/v1/subject-requests",
            params={"limit": 50},
            headers=self.scene.governance,
        )

    async def subject_request_read(self, caller: Caller) -> None:
        if not self.scene.requests:
            await self.subject_request_create(caller)
            return
        await caller.call(
            "subject request read",
            "GET",
            f"/v1/subject-requests/{caller.rng.choice(self.scene.requests)}",
            headers=self.scene.governance,
        )

    async def attendance_import(self, caller: Caller) -> None:
        """A school's daily push: both sessions of one day for every pupil on its roll."""
        school = self._school(caller)
        day = self.scene.days[school.next_day % len(self.scene.days)]
        school.next_day += 1
        marks = [
            {
                "school_urn": school.urn,
                "upn": upn,
                "date": day.isoformat(),
                "session": session,
                "code": mark if serial % 23 else "N",
            }
            for serial, upn in enumerate(school.upns)
            for session, mark in (("AM", "/"), ("PM", "\\"))
        ]
        await caller.call(
            "attendance import",
            "POST",
            "/v1/attendance/imports",
            json={"marks": marks},
            headers=school.headers,
        )

    async def roll_push(self, caller: Caller) -> None:
        school = self._school(caller)
        await caller.call(
            "roll push",
            "PUT",
            f"/v1/schools/{school.urn}/roll",
            json=school.roll,
            headers=school.headers,
        )


async def _healthz(caller: Caller) -> None:
    await caller.call("healthz", "GET", "/healthz")


# --- one whole run --------------------------------------------------------------------------


@dataclass(slots=True)
class Settings:
    scale: str
    concurrency: list[int]
    seconds: float
    requests: int
    processes: list[int]
    schools: int
    pupils: int
    officers: int
    cases_per_officer: int
    output: Path | None = None


@dataclass(slots=True)
class ProcessRun:
    processes: int
    levels: list[LevelResult]
    rss_idle_kib: int
    rss_scene_kib: int
    rss_peak_kib: int
    rss_end_kib: int
    server_errors_logged: int


def _cpu(pids: Sequence[int]) -> float:
    return sum(cpu_seconds(pid) for pid in pids)


async def run_level(
    service: Service, mix: Mix, clients: int, settings: Settings, memory: MemoryWatch
) -> LevelResult:
    stop = asyncio.Event()
    sampler = asyncio.create_task(memory.sample(stop))
    server_before, own_before = _cpu(service.pids), time.process_time()
    machine_before = machine_busy_seconds()
    ops, elapsed = await run_bounded(
        service.bases, clients, mix.choose, seconds=settings.seconds, requests=settings.requests
    )
    server_cpu = (_cpu(service.pids) - server_before) / elapsed
    own_cpu = (time.process_time() - own_before) / elapsed
    machine_cpu = (machine_busy_seconds() - machine_before) / elapsed
    loaded = load_average()
    stop.set()
    peak = await sampler
    # The baseline: the least this server does for a request, at the same concurrency.
    baseline, baseline_seconds = await run_bounded(
        service.bases,
        clients,
        lambda _caller: _healthz,
        seconds=max(2.0, settings.seconds / 3),
        requests=settings.requests,
    )
    return LevelResult(
        processes=len(service.bases),
        clients=clients,
        seconds=elapsed,
        ops=dict(sorted(ops.items())),
        baseline=baseline.get("healthz", OpStats()),
        baseline_seconds=baseline_seconds,
        server_cpu=server_cpu,
        generator_cpu=own_cpu,
        rss_peak_kib=peak,
        machine_cpu=machine_cpu,
        load_average=loaded,
    )


async def run_processes(settings: Settings, processes: int, workdir: Path) -> ProcessRun:
    from tests.databases import fresh_database
    from tests.live import kpas, service_env

    async with fresh_database("postgresql", workdir) as url:
        env = service_env(url)
        kpas("migrate", env=env)
        kpas("seed-demo", env=env)
        with running_service(url, workdir, processes) as service:
            idle = MemoryWatch(service.pids).now()
            scene = await build_scene(
                service.bases[0],
                url,
                schools=settings.schools,
                pupils=settings.pupils,
                officers=settings.officers,
                cases_per_officer=settings.cases_per_officer,
            )
            memory = MemoryWatch(service.pids)
            levels: list[LevelResult] = []
            for clients in settings.concurrency:
                level = await run_level(service, Mix(scene, clients), clients, settings, memory)
                levels.append(level)
                print(render_level(level), flush=True)
                # The targets are judged at TARGET_CLIENTS, so the levels up to it always run.
                if level.broke and clients >= TARGET_CLIENTS:
                    break
            end = memory.now()
            logged = sum(len(SERVER_ERROR.findall(log.read_text())) for log in service.logs)
    return ProcessRun(processes, levels, idle, memory.start, memory.peak, end, logged)


# --- the report -----------------------------------------------------------------------------


def _f(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def render_level(level: LevelResult) -> str:
    lines = [
        f"#### {level.clients} clients, {level.processes} server process"
        + ("es" if level.processes > 1 else ""),
        "",
        "| operation | requests | per second | p50 ms | p95 ms | p99 ms | errors | 5xx "
        "| error rate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, stats in [*level.ops.items(), ("all operations", level.total)]:
        lines.append(
            f"| {name} | {stats.count} | {stats.count / level.seconds:.1f} | {_f(stats.ms(50))} "
            f"| {_f(stats.ms(95))} | {_f(stats.ms(99))} | {stats.errors} | {stats.server_errors} "
            f"| {100 * stats.errors / max(1, stats.count):.1f}% |"
        )
    base = level.baseline
    lines.append(
        f"| baseline: GET /healthz | {base.count} | {level.baseline_per_second:.1f} "
        f"| {_f(base.ms(50))} | {_f(base.ms(95))} | {_f(base.ms(99))} | {base.errors} "
        f"| {base.server_errors} | {100 * base.errors / max(1, base.count):.1f}% |"
    )
    codes = Counter[int]()
    for stats in level.ops.values():
        codes.update({s: n for s, n in stats.statuses.items() if not 200 <= s < 400})
    if codes:
        lines += [
            "",
            "Failed answers by status: "
            + ", ".join(f"{s or 'no answer'}: {n}" for s, n in sorted(codes.items())),
        ]
    return "\n".join(lines) + "\n"


def summary_table(runs: Sequence[ProcessRun]) -> list[str]:
    lines = [
        "| server processes | clients | API requests/s | /healthz requests/s "
        "| API as share of /healthz | p50 ms | p95 ms | p99 ms | errors | 5xx | server CPU "
        "| server CPU ms per request | generator CPU | machine CPU busy | load average "
        "| server RSS peak |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in runs:
        for level in run.levels:
            total = level.total
            share = level.per_second / level.baseline_per_second if level.baseline_per_second else 0
            lines.append(
                f"| {run.processes} | {level.clients} | {level.per_second:.1f} "
                f"| {level.baseline_per_second:.1f} | {share:.2f} | {_f(total.ms(50))} "
                f"| {_f(total.ms(95))} | {_f(total.ms(99))} | {total.errors} "
                f"| {total.server_errors} | {level.server_cpu:.2f} cores "
                f"| {_f(level.server_cpu_per_request_ms)} "
                f"| {level.generator_cpu:.2f} cores | {_f(level.machine_cpu, 2)} cores "
                f"| {_f(level.load_average, 2)} | {_mib(level.rss_peak_kib)} |"
            )
    return lines


def verdicts(runs: Sequence[ProcessRun]) -> list[str]:
    """Each target, met or not, at 32 clients on one server process (and two, if run)."""
    lines: list[str] = []
    for run in runs:
        level = next((lv for lv in run.levels if lv.clients == TARGET_CLIENTS), None)
        where = f"{run.processes} server process" + ("es" if run.processes > 1 else "")
        if level is None:
            reached = max((lv.clients for lv in run.levels), default=0)
            lines.append(
                f"- {where}: **not measured** at {TARGET_CLIENTS} clients (the run stopped at "
                f"{reached}); no target can be judged."
            )
            continue
        fives = level.total.server_errors
        lines.append(
            f"- {where}, zero 5xx at {TARGET_CLIENTS} clients: "
            + ("**met**" if fives == 0 else f"**not met** ({fives} 5xx or unanswered)")
        )
        for label, names, limit in (
            ("single-record reads", READS, READ_P99_MS),
            ("writes", WRITES, WRITE_P99_MS),
        ):
            over = [
                f"{name} {level.ops[name].ms(99):.0f} ms"
                for name in names
                if name in level.ops and level.ops[name].ms(99) >= limit
            ]
            measured = [n for n in names if n in level.ops]
            worst = max((level.ops[n].ms(99) for n in measured), default=math.nan)
            lines.append(
                f"- {where}, p99 under {limit:.0f} ms for {label} at {TARGET_CLIENTS} clients: "
                + (
                    f"**met** (worst {worst:.0f} ms)"
                    if not over
                    else "**not met** (" + ", ".join(over) + ")"
                )
            )
    return lines


def stopped(run: ProcessRun, settings: Settings) -> str:
    """Which levels ran on ``run``, and why no more did."""
    ran = [level.clients for level in run.levels]
    where = f"- {run.processes} server process" + ("es" if run.processes > 1 else "")
    if ran == settings.concurrency:
        return f"{where}: every level ran ({', '.join(map(str, ran))} clients)."
    last = run.levels[-1]
    total = last.total
    why = (
        f"{total.server_errors} 5xx or unanswered"
        if total.server_errors
        else f"p99 {total.ms(99):.0f} ms over the whole mix, past {BREAK_P99_MS:.0f} ms"
    )
    return (
        f"{where}: ran {', '.join(map(str, ran))} clients and stopped there, where latency "
        f"broke ({why})."
    )


def render_section(settings: Settings, runs: Sequence[ProcessRun]) -> str:
    facts = machine()
    lines = [
        f"<!-- load:{settings.scale} -->",
        f"## {settings.scale.capitalize()} run",
        "",
        f"- Run: {datetime.now(UTC):%Y-%m-%d %H:%M UTC}, `python -m bench.load --{settings.scale}"
        f" --concurrency {','.join(map(str, settings.concurrency))} --seconds "
        f"{settings.seconds:g} --requests {settings.requests} --processes "
        f"{','.join(map(str, settings.processes))}`",
        f"- Machine: {facts['cores']} cores, {facts['cpu']}, {facts['memory']} RAM; "
        f"{facts['python']}; PostgreSQL on the same machine",
        f"- Scene: the demo data, then {settings.schools} schools' rolls of {settings.pupils} "
        f"pupils pushed by their information systems, {settings.officers} officers with "
        f"{settings.cases_per_officer} cases each",
        "",
        *(stopped(run, settings) for run in runs),
        "",
        "### Targets (32 clients, mixed load, PostgreSQL)",
        "",
        *verdicts(runs),
        "",
        "### Throughput and latency by concurrency",
        "",
        *summary_table(runs),
        "",
        "### Server memory (RSS, summed over the server processes)",
        "",
        "| server processes | idle after start | after the scene | peak under load | end |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {run.processes} | {_mib(run.rss_idle_kib)} | {_mib(run.rss_scene_kib)} "
            f"| {_mib(run.rss_peak_kib)} | {_mib(run.rss_end_kib)} |"
            for run in runs
        ),
        "",
        *(
            f"Server logs: {run.server_errors_logged} requests logged with a 5xx "
            f"({run.processes} process{'es' if run.processes > 1 else ''})."
            for run in runs
        ),
        "",
        "### Each operation at each concurrency",
        "",
    ]
    for run in runs:
        for level in run.levels:
            lines.append(render_level(level))
    lines.append(f"<!-- /load:{settings.scale} -->")
    return "\n".join(lines) + "\n"


HEADER = """# Load test

Generated by `make load` (`python -m bench.load`). The real service on loopback, on
PostgreSQL, under a realistic mix of operations at increasing concurrency, until latency
breaks; each level is bounded in seconds and requests and stops by itself.

## How to run it

```
KPAS_BENCH_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/postgres make load
make load LOAD=--quick                    # the same, at the quick setting
python -m bench.load --quick              # 1, 8 and 32 clients, 5 s each: a check
python -m bench.load --full               # 1 to 64 clients, 20 s each (the default)
python -m bench.load --concurrency 1,4,8,16,32,64 --seconds 20 --requests 20000 --processes 1,2
```

It needs `KPAS_BENCH_POSTGRES_URL` (or `KPAS_TEST_POSTGRES_URL`): a PostgreSQL server on
which it may create a database. It creates its own, migrates it, loads the demo data, and
drops it at the end. `--quick` and `--full` each rewrite their own section of this file.

## What it measures

- **The service as deployed**: `kpas serve` as a subprocess, the outbox worker (which sends
  the letters and emails the writes queue, and recomputes attendance after imports) and the
  fake GOV.UK Notify it sends to, all on loopback. The test keys sign the tokens; every
  request carries one and goes through the token check, the policy decision, the audit trail
  and the database as a real one would.
- **A scene built through the API**: on top of the demo data, the information systems of a
  few schools in the east area team push their rolls, a manager opens cases for pupils on
  those rolls and assigns them to officers, and a licensing officer records an employer.
- **The mix** (weights in brackets): an officer's case list (10), case reads (14), case
  updates with `If-Match` after reading the case (6), records added to a case's chronology
  (6); a manager's pupil reads (12); school reads (6); a work permit from application to
  grant, which records the child, applies and decides (3), and licence reads (4); a subject
  request recorded (3), the request list (4) and request reads (8); a school's daily
  attendance import, two sessions for every pupil on its roll (3), and its whole roll pushed
  again (1). Client *i* acts as officer *i* mod the officers, on its own share of that
  officer's cases (no two clients race to update one case), and as the information system of
  school *i* mod the schools. Every id a client sends is one the person it acts as may see.
- **Per operation**: throughput, p50/p95/p99 latency, and failed answers (any 4xx or 5xx;
  a request that got no answer counts as a 5xx). Percentiles are by nearest rank: for an
  operation with fewer than 100 requests at a level, its p99 is its slowest request.
- **The baseline**: `GET /healthz` on the same server at the same concurrency, just after
  each level: the API's throughput as a share of what the server does for the least request.
- **Server memory**: the RSS (`VmRSS` in `/proc/<pid>/status`) of the server processes, idle,
  after the scene, at its peak under load (sampled every 0.2 s) and at the end.
- **CPU**: the server processes' and the load generator's own CPU (cores busy on average
  over the level), the whole machine's (every process: PostgreSQL, the worker, and anything
  else running) and the 1-minute load average as the level ended. The generator is one
  asyncio process with one HTTP/1.1 keep-alive pool sized to the concurrency. **It shares the
  machine's cores with the server, the worker and PostgreSQL**, so every figure here is for
  all of them together on those cores; the generator would be what saturates only if its CPU
  approached a whole core. Where the machine is much busier than the server, the generator
  and PostgreSQL account for, something else was running and the figures are pessimistic.
  The server's CPU per request (its CPU seconds over the requests it answered) depends far
  less on what else runs: a core's worth of it is what one server process could answer.
- **Two server processes**: `kpas serve` runs one uvicorn process; for two, two are started
  on their own ports and the generator spreads its clients over them, as a load balancer
  would.
- **Where latency breaks**: a level whose p99 over the whole mix passes 2 s, or that answers
  any 5xx, is the last one run, except that the levels up to 32 clients (where the targets
  are judged) always run.

## Reading the figures

The clients have no think time: each sends its next request as soon as its last is answered.
Once the server is saturated, adding clients adds only waiting: the latency of a request is
then about the number of clients over the throughput (Little's law), whatever the operation.
So a p99 at 32 clients well under 100 ms needs the mix served at several hundred requests a
second; the server's CPU per request says how far one process is from that on a core of its
own. The machine figures (its busy CPU and load average) say whether the run had the cores
to itself.

## Targets

Under mixed load at 32 concurrent clients on 2 cores with PostgreSQL: **zero 5xx**, **p99
under 100 ms for single-record reads** (case, pupil, school, licence and subject request
reads) and **p99 under 250 ms for writes** (case updates and records, people, licence
applications and decisions, subject requests, attendance imports and roll pushes). Each run
says which were met.

"""


def write_report(path: Path, section: str, scale: str) -> None:
    """Rewrite ``path`` with the header and this run's section, keeping the other setting's."""
    kept: list[str] = []
    if path.exists():
        text = path.read_text()
        for other in ("quick", "full"):
            if other == scale:
                continue
            start, end = f"<!-- load:{other} -->", f"<!-- /load:{other} -->"
            if start in text and end in text:
                kept.append(text[text.index(start) : text.index(end) + len(end)] + "\n")
    sections = [section, *kept]
    sections.sort(key=lambda s: 0 if s.startswith("<!-- load:full") else 1)
    path.write_text(HEADER + "\n".join(sections))


# --- the command ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scale:
    concurrency: tuple[int, ...]
    seconds: float
    processes: tuple[int, ...]


SCALES = {
    "quick": Scale(concurrency=(1, 8, 32), seconds=5.0, processes=(1,)),
    "full": Scale(concurrency=(1, 4, 8, 16, 32, 64), seconds=20.0, processes=(1, 2)),
}


def _counts(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("a comma-separated list of whole numbers") from exc
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("at least one number, each 1 or more")
    return values


def _positive(kind: type[float] | type[int]) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"not a number: {text}") from exc
        if value <= 0:
            raise argparse.ArgumentTypeError("must be more than 0")
        return value

    return parse


def parse(argv: Sequence[str]) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load",
        description="Load-test the real service on loopback (PostgreSQL from "
        "KPAS_BENCH_POSTGRES_URL or KPAS_TEST_POSTGRES_URL), at increasing concurrency until "
        "latency breaks, against /healthz on the same server; print the figures and write "
        "them into docs/load.md.",
    )
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument(
        "--quick",
        dest="scale",
        action="store_const",
        const="quick",
        help="1, 8 and 32 clients for 5 s each, one server process",
    )
    sizes.add_argument(
        "--full",
        dest="scale",
        action="store_const",
        const="full",
        help="1, 4, 8, 16, 32 and 64 clients for 20 s each, one server process then two "
        "(the default)",
    )
    parser.set_defaults(scale="full")
    parser.add_argument(
        "--concurrency", type=_counts, help="clients at each level, e.g. 1,4,8,16,32,64"
    )
    parser.add_argument("--seconds", type=_positive(float), help="the longest each level runs")
    parser.add_argument(
        "--requests",
        type=_positive(int),
        default=20_000,
        help="the most operations each level starts (default 20000)",
    )
    parser.add_argument("--processes", type=_counts, help="server processes to measure, e.g. 1,2")
    parser.add_argument(
        "--output",
        type=Path,
        help="write the report here instead of docs/load.md (for a run that is not the "
        "project's record)",
    )
    args = parser.parse_args(argv)
    scale = SCALES[args.scale]
    concurrency = args.concurrency or scale.concurrency
    return Settings(
        scale=args.scale,
        concurrency=sorted(set(concurrency)),
        seconds=args.seconds or scale.seconds,
        requests=args.requests,
        processes=sorted(set(args.processes or scale.processes)),
        schools=8,
        pupils=60 if args.scale == "quick" else 150,
        officers=8,
        cases_per_officer=16 if args.scale == "quick" else 32,
        output=args.output,
    )


async def main(argv: Sequence[str] | None = None) -> int:
    from app.db import normalise_database_url
    from app.settings import PROJECT_ROOT

    settings = parse(sys.argv[1:] if argv is None else argv)
    server = os.environ.get("KPAS_BENCH_POSTGRES_URL") or os.environ.get("KPAS_TEST_POSTGRES_URL")
    if not server:
        print(
            "python -m bench.load: set KPAS_BENCH_POSTGRES_URL (or KPAS_TEST_POSTGRES_URL) to a "
            "PostgreSQL server where it may create a database",
            file=sys.stderr,
        )
        return 2
    os.environ["KPAS_TEST_POSTGRES_URL"] = normalise_database_url(server)
    runs: list[ProcessRun] = []
    with tempfile.TemporaryDirectory() as workdir:
        for processes in settings.processes:
            runs.append(await run_processes(settings, processes, Path(workdir)))
    section = render_section(settings, runs)
    write_report(settings.output or PROJECT_ROOT / "docs" / "load.md", section, settings.scale)
    sys.stdout.write("\n" + section)
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
