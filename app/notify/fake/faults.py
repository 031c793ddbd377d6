"""Fault injection for the fake Notify: the failures a sender must survive, on request.

A rule fires on a matching request (``scope``: sends, reads or both) with its ``probability``,
for its next ``times`` matches (or until the rules are replaced). ``stage`` says when:

- ``before``: as a load balancer or a failing Notify would, before the request is looked at, so
  nothing is recorded (a slow ``before`` rule delays and then processes the request normally);
- ``after``: once the request has succeeded, so a send is recorded and its answer is then lost
  (``drop``), delayed (``slow``, for a client timeout), or replaced by a 5xx or 429. This is the
  case a sender must reconcile by reference: the message landed but the answer never arrived.

Kinds: ``error`` (``status`` 500 with Notify's body, or 502/503/504 with a gateway's HTML page),
``rate_limit`` (429 with Notify's ``RateLimitError`` body), ``slow`` (``delay_seconds``) and
``drop`` (the connection is closed without any answer). A ``rate_limit`` rule is ``before``
only, because Notify applies its limit before recording a send.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["FaultPlan", "FaultRule", "Faults"]

Stage = Literal["before", "after"]
Scope = Literal["send", "read", "any"]


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["error", "rate_limit", "slow", "drop"]
    stage: Stage = "before"
    scope: Scope = "send"
    status: Literal[500, 502, 503, 504] = 500
    delay_seconds: float = Field(default=0.0, ge=0, le=600)
    times: int | None = Field(default=None, ge=1)
    probability: float = Field(default=1.0, ge=0, le=1)

    @model_validator(mode="after")
    def _as_notify_could_fail(self) -> FaultRule:
        # Notify decides its rate limit before it records anything: a 429 never follows a send.
        if self.kind == "rate_limit" and self.stage == "after":
            raise ValueError("a rate limit answer comes before a send is recorded, never after")
        return self


class FaultPlan(BaseModel):
    """The body of ``POST /_fake/faults``: these rules replace the current ones."""

    model_config = ConfigDict(extra="forbid")

    rules: list[FaultRule]


@dataclass
class _Active:
    rule: FaultRule
    remaining: int | None


class Faults:
    """The current rules and a count of the faults applied."""

    def __init__(self, seed: int | None = None) -> None:
        self._random = random.Random(seed)  # noqa: S311 - test faults, not security
        self._active: list[_Active] = []
        self.applied: Counter[str] = Counter()

    def replace(self, rules: list[FaultRule]) -> None:
        self._active = [_Active(rule, rule.times) for rule in rules]

    def clear(self) -> None:
        self._active = []
        self.applied.clear()

    def describe(self) -> list[dict[str, object]]:
        return [
            {**active.rule.model_dump(), "remaining": active.remaining} for active in self._active
        ]

    def pick(self, *, stage: Stage, scope: Literal["send", "read"]) -> FaultRule | None:
        """The first rule that fires for this request at this stage, if any (and count it)."""
        for active in self._active:
            rule = active.rule
            if rule.stage != stage or rule.scope not in (scope, "any"):
                continue
            if active.remaining == 0:
                continue
            if rule.probability < 1 and self._random.random() >= rule.probability:
                continue
            if active.remaining is not None:
                active.remaining -= 1
            self.applied[f"{rule.kind}:{rule.stage}"] += 1
            return rule
        return None
