"""Prometheus metrics, one registry per app so tests and several apps never share counters.

Besides request counts and durations, the registry reports how the council answers
data-subject requests: requests closed on time and late (closed on or before the due date),
and open requests past or near it; and the breach register: breaches open, and those past
the Information Commissioner's 72 hours with no decision recorded. Those figures come from
the database, not from this process's memory, so every replica reports the same numbers and a
restart loses nothing; they are read with one aggregate query at most every
``SUBJECT_REQUESTS_MAX_AGE`` seconds, however often the endpoint is scraped. They carry no
personal data.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from app.db import Database
from app.log import get_logger
from app.policies.guard import local_today
from app.repositories.breaches import BreachFigures, BreachRepository
from app.repositories.subject_requests import SubjectRequestRepository, Timeliness

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

#: How long the subject-request figures are reused before the database is asked again.
SUBJECT_REQUESTS_MAX_AGE = 30.0

log = get_logger("kpas.metrics")


class SubjectRequestTimeliness(Collector):
    """The on-time figures for data-subject requests, from the last ``refresh``."""

    def __init__(self, max_age: float = SUBJECT_REQUESTS_MAX_AGE) -> None:
        self.max_age = max_age
        self.figures: Timeliness | None = None
        self._read_at = float("-inf")

    async def refresh(self, database: Database) -> None:
        """Read the figures again if they are older than ``max_age``. A database that does not
        answer leaves the last figures in place (and the request metrics still served)."""
        now = time.monotonic()
        if now - self._read_at < self.max_age:
            return
        try:
            async with database.sessions() as session:
                figures = await SubjectRequestRepository(session).timeliness(
                    local_today(datetime.now(UTC))
                )
        except Exception as exc:
            log.warning("metrics_subject_requests_unavailable", error_class=type(exc).__name__)
            return
        self.figures = figures
        self._read_at = now

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        if figures is None:
            return
        closed = GaugeMetricFamily(
            "kpas_subject_requests_closed",
            "Data-subject requests closed, by whether they were answered on or before the due "
            "date (no_deadline: closed before the clock started).",
            labels=["timeliness"],
        )
        closed.add_metric(["on_time"], figures.closed_on_time)
        closed.add_metric(["late"], figures.closed_late)
        closed.add_metric(["no_deadline"], figures.closed_without_deadline)
        yield closed
        answered = figures.closed_on_time + figures.closed_late
        if answered:
            yield GaugeMetricFamily(
                "kpas_subject_requests_on_time_ratio",
                "Of the data-subject requests closed with a due date, the share closed on or "
                "before it (all time; use the closed counts for a window).",
                value=figures.closed_on_time / answered,
            )
        open_ = GaugeMetricFamily(
            "kpas_subject_requests_open",
            "Open data-subject requests: all, overdue (due date passed) and due within 7 days "
            "(due today or in the next seven days).",
            labels=["deadline"],
        )
        open_.add_metric(["all"], figures.open_total)
        open_.add_metric(["overdue"], figures.open_overdue)
        open_.add_metric(["due_within_7_days"], figures.open_due_soon)
        yield open_


class BreachRegister(Collector):
    """Breaches not closed, and those with no decision on telling the Information
    Commissioner although the 72 hours since awareness have run (UK GDPR Art 33(1)), from the
    last ``refresh`` (read as the subject-request figures are, at most every ``max_age``)."""

    def __init__(self, max_age: float = SUBJECT_REQUESTS_MAX_AGE) -> None:
        self.max_age = max_age
        self.figures: BreachFigures | None = None
        self._read_at = float("-inf")

    async def refresh(self, database: Database) -> None:
        now = time.monotonic()
        if now - self._read_at < self.max_age:
            return
        try:
            async with database.sessions() as session:
                figures = await BreachRepository(session).figures(datetime.now(UTC))
        except Exception as exc:
            log.warning("metrics_breaches_unavailable", error_class=type(exc).__name__)
            return
        self.figures = figures
        self._read_at = now

    def collect(self) -> Iterator[Metric]:
        figures = self.figures
        if figures is None:
            return
        yield GaugeMetricFamily(
            "kpas_breaches_open",
            "Personal data breaches in the register not yet closed.",
            value=figures.open_total,
        )
        yield GaugeMetricFamily(
            "kpas_breaches_ico_decision_overdue",
            "Breaches not closed with no decision on telling the ICO, 72 hours after awareness.",
            value=figures.ico_overdue,
        )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "kpas_http_requests_total",
            "HTTP requests by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "kpas_http_request_duration_seconds",
            "HTTP request duration by method and route template.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.subject_requests = SubjectRequestTimeliness()
        self.registry.register(self.subject_requests)
        self.breaches = BreachRegister()
        self.registry.register(self.breaches)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.duration.labels(method, route).observe(seconds)

    async def refresh(self, database: Database) -> None:
        """Bring the figures read from the database up to date (cheaply: see the module)."""
        await self.subject_requests.refresh(database)
        await self.breaches.refresh(database)

    def render(self) -> bytes:
        rendered: bytes = generate_latest(self.registry)
        return rendered
