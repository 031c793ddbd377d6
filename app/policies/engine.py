"""Decisions: pure functions over the rules, the registry, a principal and (for records) a row.

``PolicyEngine.decide`` answers "may this caller do this action on this kind of resource for
this purpose?" with a ``Decision`` that names its rule, purpose and basis. The decision's
condition then answers, per record or as SQL, "which records?". No I/O happens here.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, or_, true

from app.auth.principal import Principal, Role
from app.policies.conditions import ALWAYS, NEVER, Condition
from app.policies.registry import PURPOSE_BITS, REGISTRY, Purpose
from app.policies.resources import RESOURCES, ResourceBinding
from app.policies.rules import RULES, Rule, validate
from app.policies.subject_state import (
    SubjectState,
    bound_through_case,
    refusal,
    visible_subjects,
)


class _DecisionIds:
    """Unique decision ids without a system call per decision.

    A random 64-bit prefix per process (re-drawn in a forked child) and a counter: unique
    across processes and restarts, and cheap enough for the hot path. Decision ids identify;
    they are not secrets.
    """

    def __init__(self) -> None:
        self.reset()
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self.prefix = int.from_bytes(os.urandom(8), "big") << 64
        self.counter = itertools.count(int.from_bytes(os.urandom(4), "big"))

    def next(self) -> uuid.UUID:
        return uuid.UUID(int=self.prefix | (next(self.counter) & 0xFFFF_FFFF_FFFF_FFFF))


new_decision_id = _DecisionIds().next

#: How many built SQL filters an engine keeps (a few per caller active at once).
_FILTERS_KEPT = 1024


class Outcome:
    ALLOW = "allow"
    DENY = "deny"


@dataclass(slots=True)
class Decision:
    """A policy decision. Treat as immutable (not frozen only because frozen dataclasses are
    several times slower to build, and one is built per request)."""

    id: uuid.UUID
    allowed: bool
    rule: str
    resource: str
    action: str
    reason: str
    role: Role | None = None
    purpose: Purpose | None = None
    basis: str | None = None
    condition: Condition = NEVER
    special_category: bool = False
    #: On refusal: the purposes the caller could have used for this action.
    allowed_purposes: tuple[str, ...] = ()
    #: Which parts of the record are served (see ``Rule.parts``).
    parts: Condition = ALWAYS

    @property
    def outcome(self) -> str:
        return Outcome.ALLOW if self.allowed else Outcome.DENY


class _Allowance(NamedTuple):
    rule: Rule
    basis: str | None
    special_category: bool


class PolicyEngine:
    """The rules, indexed once so a decision is a few dictionary lookups."""

    def __init__(
        self,
        rules: tuple[Rule, ...] = RULES,
        resources: dict[str, ResourceBinding] | None = None,
    ) -> None:
        validate(rules)
        self.rules = rules
        self.resources = dict(RESOURCES if resources is None else resources)
        by_action: dict[tuple[Role, str, str], list[Rule]] = defaultdict(list)
        for rule in rules:
            if rule.resource not in self.resources:
                raise ValueError(f"rule {rule.id} names unknown resource {rule.resource!r}")
            if rule.parts is not ALWAYS and self.resources[rule.resource].parts is None:
                raise ValueError(f"rule {rule.id} narrows parts, but {rule.resource!r} has none")
            for role in rule.roles:
                for action in rule.actions:
                    by_action[(role, rule.resource, action)].append(rule)
        self._by_action = {key: tuple(value) for key, value in by_action.items()}
        # SQL filters already built, by everything they are built from (see ``visible``).
        self._filters: dict[tuple[Any, ...], ColumnElement[bool]] = {}
        # (role, resource, action, purpose) -> the first rule that allows it. Purpose None
        # stands for resources without personal data, where rules carry no purposes.
        # Each entry also carries what the decision will say, computed once here.
        self._by_purpose: dict[tuple[Role, str, str, Purpose | None], _Allowance] = {}
        for (role, resource, action), matching in self._by_action.items():
            special_only = self.resources[resource].special_category_only
            for rule in matching:
                for purpose in rule.purposes or (None,):
                    spec = REGISTRY[purpose] if purpose is not None else None
                    # Fail closed: special category data only under a purpose whose recorded
                    # conditions all cover decisions about a person (DPA 2018 Sch 1 para 8(3)).
                    special = (
                        rule.special_category
                        and spec is not None
                        and spec.special_category_for_individuals
                    )
                    if special_only and not special:
                        continue  # no Article 9 condition: nothing of this resource is reachable
                    self._by_purpose.setdefault(
                        (role, resource, action, purpose),
                        _Allowance(rule, spec.basis_label if spec is not None else None, special),
                    )

    def binding(self, resource: str) -> ResourceBinding:
        return self.resources[resource]

    def permitted(self, resource: str, action: str) -> frozenset[Role]:
        """Roles that some rule lets do ``action`` on ``resource`` (for the route matrix)."""
        return frozenset(
            role for (role, res, act) in self._by_action if res == resource and act == action
        )

    def decide(
        self,
        principal: Principal,
        resource: str,
        action: str,
        purpose: Purpose | None,
        *,
        now: datetime,
    ) -> Decision:
        binding = self.resources[resource]
        key_purpose = purpose if binding.personal_data else None
        inactive_grant = False
        if key_purpose is not None or not binding.personal_data:
            for role in principal.roles:
                allowance = self._by_purpose.get((role, resource, action, key_purpose))
                if allowance is None:
                    continue
                if role is Role.INSPECTOR and not (
                    principal.inspection is not None and principal.inspection.active_at(now)
                ):
                    inactive_grant = True
                    continue
                return Decision(
                    new_decision_id(),
                    True,
                    allowance.rule.id,
                    resource,
                    action,
                    "allowed",
                    role,
                    purpose,
                    allowance.basis,
                    allowance.rule.condition,
                    allowance.special_category,
                    parts=allowance.rule.parts,
                )
        return self._refusal(principal, resource, action, purpose, binding, inactive_grant)

    def _refusal(
        self,
        principal: Principal,
        resource: str,
        action: str,
        purpose: Purpose | None,
        binding: ResourceBinding,
        inactive_grant: bool,
    ) -> Decision:
        """Explain a refusal: the slow path, taken only when nothing allowed."""
        candidates = [
            rule
            for role in principal.roles
            for rule in self._by_action.get((role, resource, action), ())
        ]

        def deny(rule: str, reason: str, allowed: tuple[str, ...] = ()) -> Decision:
            return Decision(
                new_decision_id(),
                False,
                rule,
                resource,
                action,
                reason,
                purpose=purpose,
                allowed_purposes=allowed,
            )

        if inactive_grant:
            return deny("inspection.inactive", "the inspection grant is not active")
        if not candidates:
            return deny("default.deny", f"no rule lets these roles {action} {resource}")
        allowed = tuple(sorted({p.value for rule in candidates for p in rule.purposes}))
        if binding.personal_data and purpose is None:
            return deny("purpose.required", "a purpose is required", allowed)
        return deny("purpose.not_allowed", f"{purpose} is not allowed here", allowed)

    # --- records ---------------------------------------------------------------------

    def permits(
        self,
        decision: Decision,
        principal: Principal,
        record: Any,
        *,
        subject_state: SubjectState | None = None,
        today: date,
    ) -> bool:
        """The decision applies to this record (condition, collected-for purpose, subject)."""
        if not decision.allowed:
            return False
        binding = self.resources[decision.resource]
        if not decision.condition.check(principal, record, binding):
            return False
        if decision.purpose is not None and binding.purposes_column is not None:
            mask = getattr(record, binding.purposes_column.key)
            # Only a case-bound purpose is reached through an open case (as in SQL below).
            bound = (
                subject_state is not None
                and REGISTRY[decision.purpose].case_bound
                and decision.purpose in subject_state.case_claims
            )
            if not (_collected_for(mask, decision.purpose) or bound):
                return False
        if decision.purpose is not None and subject_state is not None:
            return refusal(subject_state, decision.purpose, today, decision.resource) is None
        return True

    def visible(
        self,
        decision: Decision,
        principal: Principal,
        *,
        today: date,
        through: str | None = None,
    ) -> ColumnElement[bool]:
        """The same test as ``permits``, as a SQL filter for list and single-record queries.

        ``through`` names another resource whose records this decision reaches (a message's
        pupil): the same condition, purpose and subject tests, on that resource's table.
        """
        # A filter is a pure function of these, and a caller repeats the same request (the
        # next page, the same search): building the clause costs more than the query's own
        # statement, so the built clause is kept and shared (SQL expressions are immutable).
        key = (
            decision.allowed,
            decision.resource,
            decision.condition,
            decision.purpose,
            principal,
            today,
            through,
        )
        try:
            return self._filters[key]
        except KeyError:
            pass
        except TypeError:  # a condition that cannot be hashed: build it every time
            return self._visible(decision, principal, today=today, through=through)
        clause = self._visible(decision, principal, today=today, through=through)
        if len(self._filters) >= _FILTERS_KEPT:
            self._filters.clear()  # start again: a refill costs one build per live caller
        self._filters[key] = clause
        return clause

    def _visible(
        self, decision: Decision, principal: Principal, *, today: date, through: str | None
    ) -> ColumnElement[bool]:
        binding = self.resources[through or decision.resource]
        if not decision.allowed:
            return NEVER.clause(principal, binding)
        clauses = [decision.condition.clause(principal, binding)]
        if decision.purpose is not None:
            if binding.purposes_column is not None:
                clauses.append(_collected_for_clause(binding, decision.purpose))
            if binding.subject_column is not None:
                clauses.append(
                    # The processing is the decision's, whichever table carries the subject.
                    visible_subjects(
                        binding.subject_column, decision.purpose, today, decision.resource
                    )
                )
        return and_(*clauses)

    def visible_parts(self, decision: Decision, principal: Principal) -> ColumnElement[bool]:
        """SQL over the schools table: the schools whose parts of the record (a pupil's marks)
        this decision serves. Only for resources made of parts (``ResourceBinding.parts``)."""
        parts = self.resources[decision.resource].parts
        if parts is None:
            raise ValueError(f"resource {decision.resource!r} is not made of parts")
        if not decision.allowed:
            return NEVER.clause(principal, parts)
        return decision.parts.clause(principal, parts)


def _collected_for(mask: int, purpose: Purpose) -> bool:
    """Governance purposes reach every record; others only what it was collected for."""
    spec = REGISTRY[purpose]
    return spec.governance or bool(mask & PURPOSE_BITS[purpose])


def _collected_for_clause(binding: ResourceBinding, purpose: Purpose) -> ColumnElement[bool]:
    """SQL: the record was collected for ``purpose``, or (purpose binding) a case at a stage
    that uses it is open for the record's data subject."""
    spec = REGISTRY[purpose]
    if spec.governance:
        return true()
    clause = binding.collected_for(PURPOSE_BITS[purpose])
    if clause is None:
        return true()
    if spec.case_bound and binding.subject_column is not None:
        return or_(clause, bound_through_case(binding.subject_column, purpose))
    return clause
