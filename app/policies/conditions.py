"""Need-to-know conditions: small predicates with two faces.

Each condition answers the same question two ways, so the answer cannot drift between them:
``check`` on one record already in hand, and ``clause`` as a SQL filter that list queries put
inside their ``WHERE`` (correct pagination, no fetch-then-filter, nothing to leak).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true

from app.auth.principal import Principal


@dataclass(frozen=True, slots=True)
class Attribute:
    """How a condition reads one attribute of a resource, in Python and in SQL.

    ``get`` returns a value or an iterable of values (a pupil may be on several rolls);
    ``within`` builds the SQL for "the attribute takes one of these values".
    """

    get: Callable[[Any], Any]
    within: Callable[[frozenset[Any]], ColumnElement[bool]]

    def values(self, record: Any) -> frozenset[Any]:
        value = self.get(record)
        if isinstance(value, str | int) or value is None:
            return frozenset() if value is None else frozenset({value})
        return frozenset(value)


def column_attribute(column: Any, name: str | None = None) -> Attribute:
    """An attribute that is one column of the resource's table."""
    key = name or column.key
    return Attribute(get=lambda record: getattr(record, key), within=column.in_)


class Binding(Protocol):
    def attribute(self, name: str) -> Attribute: ...


class Condition(Protocol):
    @property
    def name(self) -> str: ...

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool: ...

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]: ...


@dataclass(frozen=True, slots=True)
class Always:
    name: str = "always"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return True

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return true()


@dataclass(frozen=True, slots=True)
class Never:
    name: str = "never"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return False

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return false()


def _overlaps(allowed: frozenset[Any], attribute: Attribute, record: Any) -> bool:
    value = attribute.get(record)
    if isinstance(value, str | int):  # the common case: one value, no set to build
        return value in allowed
    if value is None:
        return False
    return not allowed.isdisjoint(value)


@dataclass(frozen=True, slots=True)
class InAreaTeams:
    """The record belongs to one of the caller's area teams."""

    attribute: str = "area_team"
    name: str = "in_area_teams"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return _overlaps(principal.area_teams, binding.attribute(self.attribute), record)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        if not principal.area_teams:
            return false()
        return binding.attribute(self.attribute).within(principal.area_teams)


@dataclass(frozen=True, slots=True)
class AtOwnSchools:
    """The record belongs to one of the caller's schools (``school_urns`` claim)."""

    attribute: str = "school_urn"
    name: str = "at_own_schools"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return _overlaps(principal.school_urns, binding.attribute(self.attribute), record)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        if not principal.school_urns:
            return false()
        return binding.attribute(self.attribute).within(principal.school_urns)


@dataclass(frozen=True, slots=True)
class InDistricts:
    """The record belongs to one of the districts the caller's sharing agreement covers."""

    attribute: str = "district"
    name: str = "in_agreement_districts"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return _overlaps(principal.districts, binding.attribute(self.attribute), record)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        if not principal.districts:
            return false()
        return binding.attribute(self.attribute).within(principal.districts)


def case_reach_of(principal: Principal) -> frozenset[str]:
    """The keys of the cases a caller works on: those assigned to them, and the unassigned
    cases of their area teams (triage). Compared with ``app.models.cases.case_reach_keys``."""
    return frozenset({f"officer:{principal.subject}"}) | frozenset(
        f"team:{team}" for team in principal.area_teams
    )


def split_case_reach(keys: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Officers and area teams named in case reach keys (for the SQL face)."""
    officers = frozenset(k.removeprefix("officer:") for k in keys if k.startswith("officer:"))
    teams = frozenset(k.removeprefix("team:") for k in keys if k.startswith("team:"))
    return officers, teams


@dataclass(frozen=True, slots=True)
class InOwnCases:
    """The record is (or is about a person in) a case assigned to the caller, or an unassigned
    case in one of their area teams (triage): an attendance officer's need to know."""

    attribute: str = "case_reach"
    name: str = "in_own_cases"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return _overlaps(case_reach_of(principal), binding.attribute(self.attribute), record)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return binding.attribute(self.attribute).within(case_reach_of(principal))


@dataclass(frozen=True, slots=True)
class OwnedByCaller:
    """The record names the caller (an assigned officer, the referrer)."""

    attribute: str
    name: str = "owned_by_caller"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return principal.subject in binding.attribute(self.attribute).values(record)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return binding.attribute(self.attribute).within(frozenset({principal.subject}))


@dataclass(frozen=True, slots=True)
class AnyOf:
    conditions: tuple[Condition, ...]
    name: str = "any_of"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return any(c.check(principal, record, binding) for c in self.conditions)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return or_(*(c.clause(principal, binding) for c in self.conditions))


@dataclass(frozen=True, slots=True)
class AllOf:
    conditions: tuple[Condition, ...]
    name: str = "all_of"

    def check(self, principal: Principal, record: Any, binding: Binding) -> bool:
        return all(c.check(principal, record, binding) for c in self.conditions)

    def clause(self, principal: Principal, binding: Binding) -> ColumnElement[bool]:
        return and_(*(c.clause(principal, binding) for c in self.conditions))


ALWAYS = Always()
NEVER = Never()
