"""The retention registry and legal holds, as information governance runs them.

The registry starts from the schedule the service ships with
(``app.rules.retention_schedule``, seeded by migration 0020). A change is a new version of the
record type's rule: the row is updated (with ``If-Match``) and the version it becomes is kept
whole in the history, so a destruction record's policy version can always be read back.

A legal hold stops destruction of a data subject's records, or a case's (its subject and the
people party to it), until lifted. It also opens a ``legal_hold`` claim for the subject
(``SubjectLegalClaim``), so a restricted subject's records stay usable for the claim the hold
is for (UK GDPR Art 18(2)).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict, ValidationFailed, body_problem
from app.models.retention import (
    LegalHold,
    LegalHoldKind,
    RetentionPolicy,
    RetentionPolicyVersion,
    RetentionRun,
)
from app.models.subjects import LegalClaimKind, SubjectLegalClaim
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.pagination import PageRequest
from app.repositories.retention import HoldQuery, RetentionRepository
from app.schemas.retention import LegalHoldCreate, RetentionPolicyChange, RetentionRunCreate
from app.services.changes import set_changed
from app.services.concurrency import IfMatch, etag_for
from app.services.retention import SweepOptions, sweep
from app.services.retention_periods import DATED_RULES, recompute_retention

POLICY_NOT_FOUND = "No retention rule for this record type."
HOLD_NOT_FOUND = "No legal hold with this id."
RUN_NOT_FOUND = "No retention run with this id."

#: The purpose a hold's claim is pursued for, by kind of hold.
HOLD_PURPOSES: dict[LegalHoldKind, Purpose] = {
    LegalHoldKind.PROCEEDINGS: Purpose.PROSECUTION,
    LegalHoldKind.SUBJECT_REQUEST: Purpose.SUBJECT_RIGHTS,
    LegalHoldKind.BREACH_INVESTIGATION: Purpose.BREACH_MANAGEMENT,
}


def policy_etag(policy: RetentionPolicy) -> str:
    return etag_for(policy.id, policy.version, policy.created_at)


def hold_etag(hold: LegalHold) -> str:
    return etag_for(hold.id, hold.version, hold.created_at)


# --- the registry ----------------------------------------------------------------------------


async def list_policies(session: AsyncSession, access: Access) -> list[RetentionPolicy]:
    return await RetentionRepository(session).policies()


async def get_policy(
    session: AsyncSession, access: Access, record_type: str, *, for_update: bool = False
) -> RetentionPolicy:
    policy = await RetentionRepository(session).policy(record_type, for_update=for_update)
    if policy is None:
        raise access.not_found(record_type, POLICY_NOT_FOUND)
    return policy


@dataclass(slots=True)
class PolicyHistory:
    policy: RetentionPolicy
    versions: list[RetentionPolicyVersion]


async def policy_history(session: AsyncSession, access: Access, record_type: str) -> PolicyHistory:
    policy = await get_policy(session, access, record_type)
    return PolicyHistory(policy, await RetentionRepository(session).history(policy.id))


async def change_policy(
    session: AsyncSession,
    access: Access,
    *,
    record_type: str,
    data: RetentionPolicyChange,
    if_match: IfMatch,
) -> RetentionPolicy:
    """Make a new version of the record type's rule (If-Match), kept in its history and
    recorded in the audit trail."""
    policy = await get_policy(session, access, record_type, for_update=True)
    if_match.require(policy_etag(policy))
    changes = data.changes()
    if not changes:
        raise ValidationFailed(
            "Nothing to change: give at least one of description, years, action, reason, source.",
            errors=[body_problem("", "No field of the rule given.", "nothing_to_change")],
        )
    before = policy.version
    changed = sorted(name for name, value in changes.items() if getattr(policy, name) != value)
    if not changed:
        raise Conflict(
            "The rule already says this: no new version was made.",
            extra={"rule": "retention_policy_changed", "source": "council practice"},
        )
    set_changed(policy, {name: changes[name] for name in changed})
    policy.changed_by = access.principal.subject
    policy.change_reason = data.change_reason
    await session.flush()
    RetentionRepository(session).add(
        RetentionPolicyVersion(
            id=uuid.uuid4(),
            policy_id=policy.id,
            version=policy.version,
            record_type=policy.record_type,
            description=policy.description,
            starts=policy.starts,
            years=policy.years,
            action=policy.action,
            reason=policy.reason,
            source=policy.source,
            changed_by=policy.changed_by,
            changed_at=access.now,
            change_reason=policy.change_reason,
        )
    )
    await session.flush()
    # A period counted from a date of birth or a licence moves the retention dates it
    # governs, in this transaction: the new period applies from now.
    moved = 0
    if "years" in changed and policy.record_type in DATED_RULES:
        moved = await recompute_retention(session, policy.record_type, policy.years)
    access.record_change(
        "retention_policy.changed",
        resource_id=policy.record_type,
        details={
            "from_version": before,
            "to_version": policy.version,
            "fields": ",".join(changed),
            "years": policy.years,
            "action": policy.action.value,
            "retention_dates_moved": moved,
        },
    )
    return policy


# --- legal holds -----------------------------------------------------------------------------


def _refuse(pointer: str, detail: str, code: str) -> ValidationFailed:
    return ValidationFailed(detail, errors=[body_problem(pointer, detail, code)])


async def place_hold(session: AsyncSession, access: Access, *, data: LegalHoldCreate) -> LegalHold:
    """Place a hold on a data subject or a case; nothing it covers is destroyed until it is
    lifted."""
    repository = RetentionRepository(session)
    if data.case_id is not None:
        subject_id = await repository.case_subject(data.case_id)
        if subject_id is None:
            raise _refuse("/case_id", "No case with this id.", "unknown_case")
    else:
        assert data.subject_id is not None
        subject_id = data.subject_id
        if not await repository.subject_exists(subject_id):
            raise _refuse("/subject_id", "No data subject with this id.", "unknown_subject")
        destroyed = await repository.destroyed(subject_id)
        if destroyed is not None:
            raise Conflict(
                "This person's records were destroyed under the retention schedule: there is "
                "nothing left to hold.",
                extra={"rule": "not_destroyed", "source": "UK GDPR Art 5(1)(e)"},
            )
    hold = LegalHold(
        id=uuid.uuid4(),
        kind=data.kind,
        subject_id=subject_id,
        case_id=data.case_id,
        reason=data.reason,
        reference=data.reference,
        placed_by=access.principal.subject,
        placed_at=access.now,
    )
    repository.add(hold)
    repository.add(
        SubjectLegalClaim(
            id=uuid.uuid4(),
            subject_id=subject_id,
            purpose=HOLD_PURPOSES[data.kind].value,
            kind=LegalClaimKind.LEGAL_HOLD,
            reference=str(hold.id),
            opened_at=access.now,
        )
    )
    await session.flush()
    access.record_change(
        "legal_hold.placed",
        resource_id=hold.id,
        subject_id=subject_id,
        details={
            "kind": data.kind.value,
            "case_id": str(data.case_id) if data.case_id else None,
        },
    )
    return hold


async def get_hold(
    session: AsyncSession, access: Access, hold_id: uuid.UUID, *, for_update: bool = False
) -> LegalHold:
    hold = await RetentionRepository(session).hold(hold_id, for_update=for_update)
    if hold is None:
        raise access.not_found(hold_id, HOLD_NOT_FOUND)
    access.touched(subject_ids=[hold.subject_id], resource_id=hold.id)
    return hold


async def list_holds(
    session: AsyncSession, access: Access, *, query: HoldQuery, page: PageRequest
) -> tuple[list[LegalHold], str | None]:
    found, next_cursor = await RetentionRepository(session).hold_page(query, page)
    access.touched(subject_ids=[hold.subject_id for hold in found])
    return found, next_cursor


async def lift_hold(
    session: AsyncSession,
    access: Access,
    *,
    hold_id: uuid.UUID,
    reason: str,
    if_match: IfMatch,
) -> LegalHold:
    """Lift a hold (If-Match; 409 if lifted already), with the reason, audited; the claim it
    opened closes with it."""
    hold = await get_hold(session, access, hold_id, for_update=True)
    if_match.require(hold_etag(hold))
    if hold.lifted_at is not None:
        raise Conflict(
            "The hold was lifted already.",
            extra={"rule": "legal_hold_live", "source": "council practice"},
        )
    hold.lifted_at = access.now
    hold.lifted_by = access.principal.subject
    hold.lift_reason = reason
    await session.execute(
        update(SubjectLegalClaim)
        .where(
            SubjectLegalClaim.kind == LegalClaimKind.LEGAL_HOLD,
            SubjectLegalClaim.reference == str(hold.id),
            SubjectLegalClaim.closed_at.is_(None),
        )
        .values(closed_at=access.now)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    access.record_change(
        "legal_hold.lifted",
        resource_id=hold.id,
        subject_id=hold.subject_id,
        details={"kind": hold.kind.value},
    )
    return hold


# --- runs ------------------------------------------------------------------------------------


@dataclass(slots=True)
class RunView:
    run: RetentionRun


async def start_run(
    session: AsyncSession, access: Access, *, data: RetentionRunCreate, grace_days: int
) -> RetentionRun:
    """Run a sweep as of today: a dry run lists what would go and destroys nothing (its run
    record is kept, as the record that it was run); a real run destroys subject by subject,
    each in its own transaction."""
    options = SweepOptions(
        as_of=access.today,
        grace_days=grace_days,
        dry_run=data.dry_run,
        actor=access.principal.subject,
        actor_role=access.decision.role.value if access.decision.role else "",
    )
    outcome = await sweep(session, options)
    run = outcome.run
    if data.dry_run:
        session.add(run)
        await session.flush()
        access.record_change(
            "retention.dry_run",
            resource_id=run.id,
            details={"due": run.due, "held": run.held, "would_destroy": len(outcome.would_destroy)},
        )
    return run


async def get_run(session: AsyncSession, access: Access, run_id: uuid.UUID) -> RetentionRun:
    run = await RetentionRepository(session).run(run_id)
    if run is None:
        raise access.not_found(run_id, RUN_NOT_FOUND)
    return run


async def list_runs(
    session: AsyncSession, access: Access, *, dry_run: bool | None, page: PageRequest
) -> tuple[list[RetentionRun], str | None]:
    return await RetentionRepository(session).run_page(page, dry_run=dry_run)
