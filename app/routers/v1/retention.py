"""`/v1/retention`: the retention registry (every record type's rule, versioned, changed only
by information governance) and retention runs (the sweep that destroys what is past retention,
or a dry run that lists what would go)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from app.db import SessionDep
from app.models.retention import RetentionPolicy, RetentionPolicyVersion, RetentionRun
from app.policies import Access, Policy
from app.routers.deps import Created, IdempotencyDep, IfMatchDep, SettingsDep
from app.routers.paging import PagingDep
from app.routers.route import KpasRoute, problem_response
from app.routers.v1 import PREFIX
from app.schemas.retention import (
    RetentionPolicyChange,
    RetentionPolicyHistory,
    RetentionPolicyList,
    RetentionPolicyRead,
    RetentionPolicyVersionRead,
    RetentionRunCreate,
    RetentionRunFilters,
    RetentionRunPage,
    RetentionRunRead,
    RetentionRunSummary,
)
from app.services import retention_registry as registry
from app.services.retention_registry import policy_etag

router = APIRouter(prefix=f"{PREFIX}/retention", tags=["retention"], route_class=KpasRoute)

Responses = dict[int | str, dict[str, Any]]
RecordTypePath = Annotated[
    str,
    Path(
        pattern=r"^[a-z_]{1,40}$",
        description="The record type (`pupil_linked`, `outbound_message`, ...).",
        examples=["outbound_message"],
    ),
]
RunIdPath = Annotated[
    uuid.UUID,
    Path(description="The run's id.", examples=["7d2f4c1e-8a3b-4e6f-9c0d-1b2a3c4d5e6f"]),
]


def _policy(policy: RetentionPolicy) -> RetentionPolicyRead:
    return RetentionPolicyRead(
        record_type=policy.record_type,
        description=policy.description,
        starts=policy.starts,
        years=policy.years,
        action=policy.action,
        reason=policy.reason,
        source=policy.source,
        version=policy.version,
        changed_by=policy.changed_by,
        changed_at=policy.updated_at,
        change_reason=policy.change_reason,
    )


def _version(version: RetentionPolicyVersion) -> RetentionPolicyVersionRead:
    return RetentionPolicyVersionRead(
        record_type=version.record_type,
        description=version.description,
        starts=version.starts,
        years=version.years,
        action=version.action,
        reason=version.reason,
        source=version.source,
        version=version.version,
        changed_by=version.changed_by,
        changed_at=version.changed_at,
        change_reason=version.change_reason,
    )


def _summary_fields(run: RetentionRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "dry_run": run.dry_run,
        "status": run.status,
        "as_of": run.as_of,
        "grace_days": run.grace_days,
        "started_by": run.started_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "past_retention": run.past_retention,
        "due": run.due,
        "held": run.held,
        "destroyed": run.destroyed,
        "policy_versions": dict(run.policy_versions),
        "counts": dict(run.counts),
        "records": dict(run.records or {}),
    }


def _run(run: RetentionRun) -> RetentionRunRead:
    ids = (run.subject_ids or {}).get("would_destroy") if run.dry_run else None
    return RetentionRunRead(
        **_summary_fields(run),
        would_destroy=[uuid.UUID(value) for value in ids] if ids is not None else None,
    )


# --- the registry ----------------------------------------------------------------------------


@router.get(
    "/policies",
    name="retention_policies_list",
    summary="List the retention rules",
    response_model=RetentionPolicyList,
)
async def list_policies(
    access: Annotated[Access, Policy("retention_policy", "list")], session: SessionDep
) -> RetentionPolicyList:
    """Every record type's retention rule as it stands: what it covers, what the period is
    counted from and how long, what destruction does (delete or anonymise), why, and the
    registry version in force. Information governance and administrators."""
    return RetentionPolicyList(
        items=[_policy(p) for p in await registry.list_policies(session, access)]
    )


@router.get(
    "/policies/{record_type}",
    name="retention_policies_get",
    summary="Get a retention rule",
    response_model=RetentionPolicyRead,
    responses={404: problem_response(registry.POLICY_NOT_FOUND)},
)
async def get_policy(
    access: Annotated[Access, Policy("retention_policy", "read")],
    record_type: RecordTypePath,
    session: SessionDep,
    response: Response,
) -> RetentionPolicyRead:
    """One record type's rule with its `ETag` (send it as `If-Match` to change the rule)."""
    policy = await registry.get_policy(session, access, record_type)
    response.headers["ETag"] = policy_etag(policy)
    return _policy(policy)


@router.get(
    "/policies/{record_type}/versions",
    name="retention_policies_versions",
    summary="A retention rule's history",
    response_model=RetentionPolicyHistory,
    responses={404: problem_response(registry.POLICY_NOT_FOUND)},
)
async def policy_versions(
    access: Annotated[Access, Policy("retention_policy", "read")],
    record_type: RecordTypePath,
    session: SessionDep,
) -> RetentionPolicyHistory:
    """Every version of the record type's rule, newest first: what it said, who changed it,
    when and why. A destruction record names the version it was made under."""
    history = await registry.policy_history(session, access, record_type)
    return RetentionPolicyHistory(
        record_type=history.policy.record_type,
        versions=[_version(v) for v in history.versions],
    )


@router.patch(
    "/policies/{record_type}",
    name="retention_policies_update",
    summary="Change a retention rule",
    response_model=RetentionPolicyRead,
    responses={
        404: problem_response(registry.POLICY_NOT_FOUND),
        409: problem_response("The rule already says this (`rule`: `retention_policy_changed`)."),
        412: problem_response("If-Match does not match the current ETag."),
        428: problem_response("If-Match is missing."),
        422: problem_response("Invalid fields, or nothing to change (`nothing_to_change`)."),
    },
)
async def change_policy(
    access: Annotated[Access, Policy("retention_policy", "update")],
    record_type: RecordTypePath,
    body: RetentionPolicyChange,
    if_match: IfMatchDep,
    session: SessionDep,
    response: Response,
) -> RetentionPolicyRead:
    """Change a record type's rule, with `If-Match` and the reason for the change: the rule
    becomes a new version, the old one stays in its history, and the change is recorded in
    the audit trail. The next sweep applies it. Information governance only."""
    policy = await registry.change_policy(
        session, access, record_type=record_type, data=body, if_match=if_match
    )
    response.headers["ETag"] = policy_etag(policy)
    return _policy(policy)


# --- runs ------------------------------------------------------------------------------------


@router.post(
    "/runs",
    name="retention_runs_create",
    summary="Run the retention sweep (or a dry run)",
    status_code=201,
    response_model=RetentionRunRead,
    responses={422: problem_response("Invalid fields.")},
)
async def create_run(
    access: Annotated[Access, Policy("retention_run", "create")],
    body: RetentionRunCreate,
    session: SessionDep,
    settings: SettingsDep,
    idempotency: IdempotencyDep,
) -> Response:
    """Sweep as of today. Subjects past their retention date by more than the grace period
    (`KPAS_RETENTION_GRACE_DAYS`) are destroyed unless a live legal hold covers them, one
    subject per transaction, each with a destruction record. With `dry_run` (the default)
    nothing is destroyed: the run lists the subjects that would be (ids only) and the rows by
    record type. Information governance only; send an `Idempotency-Key` to retry safely."""

    async def create() -> Created:
        run = await registry.start_run(
            session, access, data=body, grace_days=settings.retention_grace_days
        )
        return Created(_run(run), location=f"{PREFIX}/retention/runs/{run.id}")

    return await idempotency.run(access, body, create)


@router.get(
    "/runs",
    name="retention_runs_list",
    summary="List retention runs",
    response_model=RetentionRunPage,
)
async def list_runs(
    access: Annotated[Access, Policy("retention_run", "list")],
    session: SessionDep,
    filters: Annotated[RetentionRunFilters, Query()],
    paging: PagingDep,
) -> RetentionRunPage:
    """Sweeps and dry runs, newest first, with what each found and destroyed."""
    found, next_cursor = await registry.list_runs(
        session, access, dry_run=filters.dry_run, page=paging.page(access, filters)
    )
    return RetentionRunPage(
        items=[RetentionRunSummary(**_summary_fields(r)) for r in found], next_cursor=next_cursor
    )


@router.get(
    "/runs/{run_id}",
    name="retention_runs_get",
    summary="Get a retention run",
    response_model=RetentionRunRead,
    responses={404: problem_response(registry.RUN_NOT_FOUND)},
)
async def get_run(
    access: Annotated[Access, Policy("retention_run", "read")],
    run_id: RunIdPath,
    session: SessionDep,
) -> RetentionRunRead:
    """One run: what it found and destroyed, by record type, under which registry versions;
    for a dry run, the subjects that would go."""
    return _run(await registry.get_run(session, access, run_id))
