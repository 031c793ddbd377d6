"""The policy as routes meet it: ``Policy(resource, action)`` and ``PUBLIC``.

A route declares its policy where it is defined::

    async def list_schools(access: Annotated[Access, Policy("school", "list")], ...)

The dependency authenticates (401 without a principal), resolves the purpose (the
``KPAS-Purpose`` header, or the resource's default), asks the engine, records the decision in
the audit trail (allow and deny), adds its id to the ``KPAS-Decision-Id`` response header, and
refuses (403, or 400 for a missing, unknown, malformed or repeated purpose) before the route
runs. What it returns, ``Access``, carries the decision into the service: its SQL filter for
queries, its per-record check, and the 404 for a record the caller may not see.
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Header, Request, Security
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from app.audit.trail import (
    PendingAuditEvent,
    amend_decision,
    attach_subjects,
    before_seal,
    decision_subjects,
    record,
    with_subjects,
)
from app.auth.dependencies import current_principal
from app.auth.principal import Principal
from app.db import SessionDep
from app.errors import Forbidden, InvalidRequest, NotFound, Unauthenticated
from app.policies import release as releases
from app.policies.engine import Decision, PolicyEngine, new_decision_id
from app.policies.registry import REGISTRY, Purpose, RestrictionGround, decision_facts
from app.policies.release import Release
from app.policies.subject_state import (
    RESTRICTED_SUBJECT_IDS,
    RESTRICTION_GROUND,
    SubjectState,
    restricted_subjects,
    visible_subjects,
)
from app.rules.calendar import LONDON

PURPOSE_HEADER = "KPAS-Purpose"
#: The longest ``KPAS-Purpose`` value read as a purpose code (the registry's are far shorter).
PURPOSE_MAX_LENGTH = 60
ALL_PURPOSES = tuple(sorted(p.value for p in Purpose))
DECISION_HEADER = "KPAS-Decision-Id"

PrincipalDep = Annotated[Principal | None, Depends(current_principal)]


class _DocumentedBearer(HTTPBearer):
    """The bearer scheme as OpenAPI documents it. It reads nothing: the guard verifies the
    token itself (``current_principal``), so parsing the header here too would be wasted."""

    async def __call__(self, request: HTTPConnection) -> HTTPAuthorizationCredentials | None:
        return None


#: Documents the bearer scheme in OpenAPI (Swagger UI's "Authorize"); verification itself
#: is ``current_principal``'s.
bearer_scheme = _DocumentedBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token from the council identity provider (staff) or from "
    "`POST /v1/oauth/token` (machine clients).",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


def local_today(now: datetime) -> date:
    """Retention dates and deadlines are English calendar dates."""
    return now.astimezone(LONDON).date()


@dataclass(frozen=True, slots=True)
class PolicyDeclaration:
    resource: str
    action: str


class Access:
    """An allowed decision, carried into the service that acts on it."""

    __slots__ = ("case_id", "decision", "engine", "now", "principal", "release", "session")

    def __init__(
        self,
        *,
        engine: PolicyEngine,
        decision: Decision,
        principal: Principal,
        session: AsyncSession,
        now: datetime,
        release: Release | None = None,
        case_id: str | None = None,
    ) -> None:
        self.engine = engine
        self.decision = decision
        self.principal = principal
        self.session = session
        self.now = now
        #: Set when the caller is outside KPAS (a partner or an inspector): what may be
        #: released to them, and the agreement or grant that allows it.
        self.release = release
        #: The case a route on one case serves: named in its decision events under a law
        #: enforcement purpose (DPA 2018 s62(3)).
        self.case_id = case_id

    @property
    def purpose(self) -> Purpose | None:
        return self.decision.purpose

    @property
    def special_category(self) -> bool:
        """Special category fields may be served under this decision."""
        return self.decision.special_category

    def filter(self, through: str | None = None) -> ColumnElement[bool]:
        """The SQL filter every query for this resource must carry. ``through`` names another
        resource the decision reaches (e.g. the pupil a message is about): the same tests,
        on that resource's table."""
        return self.engine.visible(
            self.decision, self.principal, today=local_today(self.now), through=through
        )

    def permits(self, item: Any, subject_state: SubjectState | None = None) -> bool:
        return self.engine.permits(
            self.decision,
            self.principal,
            item,
            subject_state=subject_state,
            today=local_today(self.now),
        )

    @property
    def today(self) -> date:
        return local_today(self.now)

    def visible_subjects(self, subject_column: Any) -> ColumnElement[bool]:
        """SQL: the data subjects in ``subject_column`` may be processed for this purpose today
        (for personal data reached through another record, e.g. a pupil's carers)."""
        if self.decision.purpose is None:
            raise ValueError("subject filters apply to personal-data decisions only")
        return visible_subjects(
            subject_column, self.decision.purpose, self.today, self.decision.resource
        )

    def releasable(self, categories: frozenset[str]) -> frozenset[str]:
        """Of these data categories, those this caller may receive (all, inside KPAS)."""
        return categories if self.release is None else categories & self.release.categories

    def touched(
        self, *, subject_ids: Iterable[uuid.UUID | None], resource_id: object | None = None
    ) -> None:
        """Record what this allowed request is about to return: the data subjects of every
        record it loaded (every row of a list page), and the record's id for a single read.

        Services call it after loading the rows they return, before the request commits. The
        ids join the request's allow event, so one event says who saw whose data. Call it
        again to add more (a pupil and their carers): the subjects accumulate.
        """
        subjects = [s for s in subject_ids if s is not None]
        resource = None if resource_id is None else str(resource_id)
        if not subjects and resource is None:
            return
        if subjects and self._restriction_ground is not None:
            before_seal(
                self.session, f"restriction-ground:{self.decision.id}", self._ground_relied_on
            )
        if attach_subjects(
            self.session, self.decision.id, resource_id=resource, subject_ids=subjects
        ):
            return
        # The allow event is already sealed (a service that sealed mid-request): a companion
        # event of the same decision carries the ids instead.
        record(
            self.session,
            with_subjects(
                _decision_event(
                    self.principal,
                    self.decision,
                    outcome="allow",
                    rule=self.decision.rule,
                    reason="touched",
                    case_id=self.case_id,
                ),
                resource_id=resource,
                subject_ids=subjects,
            ),
        )

    @property
    def _restriction_ground(self) -> RestrictionGround | None:
        purpose = self.decision.purpose
        return None if purpose is None else REGISTRY[purpose].restriction_ground

    async def _ground_relied_on(self, session: AsyncSession) -> None:
        """Name, in the allow event, the Art 18(2) ground this request relied on and the
        restricted subjects it relied on it for: only when it touched one."""
        ground = self._restriction_ground
        subjects = decision_subjects(session, self.decision.id)
        if ground is None or not subjects:
            return
        restricted = await restricted_subjects(session, subjects)
        if restricted:
            amend_decision(
                session,
                self.decision.id,
                {
                    RESTRICTION_GROUND: ground.value,
                    RESTRICTED_SUBJECT_IDS: tuple(sorted(str(s) for s in restricted)),
                },
            )

    def record_release(
        self,
        *,
        subject_ids: Iterable[uuid.UUID],
        categories: Iterable[str],
        content: bytes,
        resource_id: object | None = None,
    ) -> None:
        """Write the disclosure for what a partner or inspector is about to receive (a no-op
        for callers inside KPAS). ``content`` is exactly the bytes released."""
        if self.release is None:
            return
        subject_ids = list(subject_ids)
        self.touched(subject_ids=subject_ids, resource_id=resource_id)
        releases.record_release(
            self.session,
            release=self.release,
            decision=self.decision,
            principal=self.principal,
            subject_ids=subject_ids,
            categories=categories,
            content=content,
            resource_id=None if resource_id is None else str(resource_id),
            now=self.now,
        )

    def related_filter(
        self, resource: str, action: str, *, purpose: Purpose | None = None
    ) -> ColumnElement[bool]:
        """SQL filter for records of another kind reached from this route's record (a pupil's
        carers, a carer's pupils, the two records of a possible duplicate): what the rules let
        this caller do to that resource for the same purpose (or for ``purpose``, where the
        route's record names its own, as a recorded disclosure does), subjects' restriction,
        objections and retention included. It only ever narrows what the route shows, so it is
        not audited as a decision of its own."""
        decision = self.engine.decide(
            self.principal, resource, action, purpose or self.purpose, now=self.now
        )
        return self.engine.visible(decision, self.principal, today=self.today)

    def parts_filter(self) -> ColumnElement[bool]:
        """SQL over the schools table: the schools whose parts of this resource's record (a
        pupil's attendance marks) the decision serves. Queries for the parts keep only those
        a school in this filter recorded; figures are computed from them alone."""
        return self.engine.visible_parts(self.decision, self.principal)

    def refuse(self, reason: str, *, code: str, resource_id: object | None = None) -> Forbidden:
        """Record that the decision's condition refused this record and return the 403 to
        raise (for records the caller may know exist; otherwise use ``not_found``). The
        refusal is a decision, so its audit event survives the request's rollback."""
        _audit_decision(
            self.session,
            self.principal,
            self.decision,
            outcome="deny",
            rule=self.decision.rule,
            reason=code,
            resource_id=None if resource_id is None else str(resource_id),
            case_id=self.case_id,
        )
        return Forbidden(
            f"Refused by rule {self.decision.rule}: {reason}.",
            policy={
                "rule": self.decision.rule,
                "purpose": self.decision.purpose.value if self.decision.purpose else None,
                "reason": reason,
            },
        )

    def not_found(self, resource_id: object, detail: str) -> NotFound:
        """Record that a record was withheld and return the 404 to raise.

        A record the caller may not see and one that does not exist look the same from outside.
        """
        self.withheld(resource_id)
        return NotFound(detail)

    def withheld(self, resource_id: object) -> None:
        """Record that an id the request named was not visible to the caller, or not there
        (the caller is told the same for both: an unknown id). The record is a decision, so
        it survives the request's rollback."""
        _audit_decision(
            self.session,
            self.principal,
            self.decision,
            outcome="deny",
            rule=self.decision.rule,
            reason="not_visible_or_absent",
            resource_id=str(resource_id),
            case_id=self.case_id,
        )

    def record_change(
        self,
        action: str,
        *,
        resource_id: object,
        subject_id: uuid.UUID | None = None,
        details: dict[str, str | int | bool | None] | None = None,
    ) -> None:
        """Record a change made under this decision, in the same transaction as the change."""
        record(
            self.session,
            PendingAuditEvent(
                kind="change",
                action=action,
                decision_id=self.decision.id,
                rule=self.decision.rule,
                purpose=self.decision.purpose.value if self.decision.purpose else None,
                basis=self.decision.basis,
                actor=self.principal.subject,
                actor_role=self.decision.role.value if self.decision.role else None,
                resource_type=self.decision.resource,
                resource_id=str(resource_id),
                subject_id=subject_id,
                details=details or {},
            ),
        )


def _audit_decision(
    session: AsyncSession,
    principal: Principal,
    decision: Decision,
    *,
    outcome: str,
    rule: str,
    reason: str,
    resource_id: str | None = None,
    case_id: str | None = None,
) -> None:
    record(
        session,
        _decision_event(
            principal,
            decision,
            outcome=outcome,
            rule=rule,
            reason=reason,
            resource_id=resource_id,
            case_id=case_id,
        ),
    )


def _decision_event(
    principal: Principal,
    decision: Decision,
    *,
    outcome: str,
    rule: str,
    reason: str,
    resource_id: str | None = None,
    case_id: str | None = None,
) -> PendingAuditEvent:
    role = decision.role.value if decision.role else ",".join(sorted(principal.roles))
    return PendingAuditEvent(
        kind="decision",
        action=f"{decision.resource}.{decision.action}",
        outcome=outcome,
        decision_id=decision.id,
        rule=rule,
        purpose=decision.purpose.value if decision.purpose else None,
        basis=decision.basis,
        actor=principal.subject,
        actor_role=role[:40],
        resource_type=decision.resource,
        resource_id=resource_id,
        details={"reason": reason, **decision_facts(decision.purpose, case_id)},
    )


def _remember_decision(request: Request, decision: Decision) -> None:
    ids: list[str] = getattr(request.state, "decision_ids", None) or []
    ids.append(str(decision.id))
    request.state.decision_ids = ids


def _refusal(decision: Decision) -> dict[str, Any]:
    policy: dict[str, Any] = {
        "rule": decision.rule,
        "purpose": decision.purpose.value if decision.purpose else None,
        "reason": decision.reason,
    }
    if decision.allowed_purposes:
        policy["allowed_purposes"] = list(decision.allowed_purposes)
    return policy


def engine_of(request: Request) -> PolicyEngine:
    engine: PolicyEngine = request.app.state.policy_engine
    return engine


@dataclass(frozen=True, slots=True)
class PurposeProblem:
    """Why the stated purpose cannot be used: the rule that refuses it, and what to tell the
    caller (never the value they sent)."""

    rule: str
    reason: str
    detail: str


PURPOSE_REPEATED = PurposeProblem(
    "purpose.repeated",
    "more than one purpose stated",
    f"State one purpose: send the {PURPOSE_HEADER} header once.",
)
PURPOSE_INVALID = PurposeProblem(
    "purpose.invalid",
    "not a purpose code",
    f"{PURPOSE_HEADER} is not a purpose code (at most {PURPOSE_MAX_LENGTH} characters).",
)
PURPOSE_UNKNOWN = PurposeProblem(
    "purpose.unknown", "unknown purpose", f"{PURPOSE_HEADER} names no known purpose."
)


def stated_purpose(values: Sequence[str]) -> Purpose | PurposeProblem | None:
    """The purpose a request states in its ``KPAS-Purpose`` header(s): None when it states
    none (an absent or empty header), else the purpose, or what is wrong with the header."""
    if len(values) > 1:
        return PURPOSE_REPEATED
    if not values or not values[0].strip():
        return None
    if len(values[0]) > PURPOSE_MAX_LENGTH:
        return PURPOSE_INVALID
    try:
        return Purpose(values[0].strip())
    except ValueError:
        return PURPOSE_UNKNOWN


def _refuse_purpose(
    declaration: PolicyDeclaration,
    request: Request,
    session: AsyncSession,
    principal: Principal,
    problem: PurposeProblem,
) -> InvalidRequest:
    """Record the refusal of a request whose purpose header cannot be used, and return the
    400 to raise. Like every refusal it is a decision, so its record survives the rollback."""
    decision = Decision(
        new_decision_id(),
        False,
        problem.rule,
        declaration.resource,
        declaration.action,
        problem.reason,
        allowed_purposes=ALL_PURPOSES,
    )
    _audit_decision(
        session, principal, decision, outcome="deny", rule=problem.rule, reason=problem.reason
    )
    _remember_decision(request, decision)
    return InvalidRequest(problem.detail, policy=_refusal(decision))


async def _decide(
    declaration: PolicyDeclaration,
    request: Request,
    session: AsyncSession,
    principal: Principal | None,
    purpose_values: Sequence[str] = (),
    case_id: str | None = None,
) -> Access:
    if principal is None:
        raise Unauthenticated("A bearer token is required.")
    engine = engine_of(request)
    binding = engine.binding(declaration.resource)
    purpose: Purpose | None = None
    if binding.personal_data:
        stated = stated_purpose(purpose_values)
        if isinstance(stated, PurposeProblem):
            raise _refuse_purpose(declaration, request, session, principal, stated)
        purpose = stated or binding.default_purpose
    now = datetime.now(UTC)
    decision = engine.decide(principal, declaration.resource, declaration.action, purpose, now=now)
    release: Release | None = None
    if decision.allowed and releases.needs_release(decision, binding):
        resolved = await releases.resolve(
            session, principal, decision, binding, now, local_today(now)
        )
        if isinstance(resolved, releases.Refused):
            decision = replace(decision, allowed=False, rule=resolved.rule, reason=resolved.reason)
        else:
            principal, release = resolved
    _audit_decision(
        session,
        principal,
        decision,
        outcome=decision.outcome,
        rule=decision.rule,
        reason=decision.reason if not decision.allowed else "allowed",
        case_id=case_id,
    )
    _remember_decision(request, decision)
    if not decision.allowed:
        if decision.rule == "purpose.required":
            raise InvalidRequest(
                f"State the purpose of this request in the {PURPOSE_HEADER} header.",
                policy=_refusal(decision),
            )
        raise Forbidden(
            f"Refused by rule {decision.rule}: {decision.reason}.", policy=_refusal(decision)
        )
    return Access(
        engine=engine,
        decision=decision,
        principal=principal,
        session=session,
        now=now,
        release=release,
        case_id=case_id,
    )


class Guard:
    """The dependency behind ``Policy`` for resources that hold no personal data."""

    def __init__(self, declaration: PolicyDeclaration) -> None:
        self.declaration = declaration

    async def __call__(self, request: Request, session: SessionDep, _bearer: BearerDep) -> Access:
        # The caller is verified here rather than in a dependency of its own: one layer fewer
        # for FastAPI to resolve on every request (``current_principal`` keeps its result on
        # the request, so a route that also takes ``PrincipalDep`` does not verify twice).
        principal = await current_principal(request)
        return await _decide(self.declaration, request, session, principal)


class PersonalDataGuard(Guard):
    """The dependency behind ``Policy`` for personal data: it also takes the purpose."""

    async def __call__(
        self,
        request: Request,
        session: SessionDep,
        _bearer: BearerDep,
        _purpose: Annotated[
            str | None,
            Header(
                alias=PURPOSE_HEADER,
                # Documented here; read and checked by the policy layer (every header sent,
                # so a repeated one is refused, not silently reduced to its first), so that
                # a bad header is refused by a rule and recorded like any other refusal.
                json_schema_extra={
                    "enum": list(ALL_PURPOSES),
                    "maxLength": PURPOSE_MAX_LENGTH,
                },
                description="Why you need this data: a purpose code from the registry "
                "(`GET /v1/purposes`), sent once. Routes whose resource fixes the purpose "
                "default to it.",
                examples=["attendance_duty"],
            ),
        ] = None,
    ) -> Access:
        principal = await current_principal(request)
        purposes = request.headers.getlist(PURPOSE_HEADER)
        return await _decide(self.declaration, request, session, principal, purposes)


def Policy(resource: str, action: str) -> Any:  # noqa: N802 - reads as a declaration
    """Declare a route's policy: ``access: Annotated[Access, Policy("school", "list")]``."""
    from app.policies.resources import RESOURCES

    declaration = PolicyDeclaration(resource, action)
    binding = RESOURCES.get(resource)
    if binding is None:
        raise ValueError(f"no policy resource named {resource!r}")
    guard = (PersonalDataGuard if binding.personal_data else Guard)(declaration)
    return Depends(guard)


class PublicRoute:
    """Marks a /v1 route that is public by design (token endpoint, public intake)."""

    def __call__(self) -> None:
        return None


PUBLIC = Depends(PublicRoute())


def declared_policies(
    endpoint: Callable[..., Any], dependencies: list[Any] | None = None
) -> Iterator[PolicyDeclaration | str]:
    """The policies a route declares in its signature or ``dependencies`` (``"public"``)."""
    candidates: list[Any] = list(dependencies or [])
    for parameter in inspect.signature(endpoint, eval_str=True).parameters.values():
        annotation = parameter.annotation
        if get_origin(annotation) is Annotated:
            candidates.extend(get_args(annotation)[1:])
        candidates.append(parameter.default)
    for candidate in candidates:
        if isinstance(candidate, DependsParam):
            call = candidate.dependency
            if isinstance(call, Guard):
                yield call.declaration
            elif isinstance(call, PublicRoute):
                yield "public"
