"""What merging two records of one pupil moves beyond the record itself: casework and
attendance.

``merge_pupils`` (``app.services.pupils``) calls ``refuse_open_case_clashes`` and
``hold_schools`` before it writes anything, then ``move_records`` in the same transaction,
after it has moved enrolments, carers, special category entries and documents. The rules:

- **Cases** (``Case.pupil_id`` and its data subject), **penalty notices**
  (``PenaltyNotice.pupil_id``, ``pupil_subject_id``; the row's own subject stays the parent
  it was issued to) and **exclusions** (``Exclusion.pupil_id``, ``subject_id``) move to the
  survivor and its data subject. Each moved case gets a ``merged`` chronology event (the
  merged record's and the survivor's ids) and an audit change, and its legal claims are
  synced again (``app.services.cases.sync_claims``): the survivor's subject gets the claims
  the case's stage binds, the merged record's subject's claims for that case close. A case's
  documents keep their data subject: their ciphertext is bound to that subject's key.
- **One open case per pupil and type**: where both records have an open case of the same
  type, the whole merge is refused (409) before anything is written, naming the rule and the
  two cases' references that the caller may see (under the merge's purpose or the case's
  own). Which case goes on is a person's decision: close or resolve one first.
- **Attendance marks** move to the survivor, except where the survivor already has a mark for
  that date, session and school: the survivor's stays, and the merged record's is kept as the
  survivor's mark history, as a correction writes it (replaced now, by the import that wrote
  the mark that stands), then removed. The merged record's mark history moves too. All of it
  is set-based (a pupil can have thousands of marks). Every school week the merged record
  had marks in is queued for the worker (``attendance_stale_weeks``, as an import queues
  them), and the merged record's weekly tallies for those weeks are removed, so the worker's
  next pass recounts the survivor's weeks and recomputes its alerts.
- **Alerts** move to the survivor (ids kept, so a case or penalty notice that points at one
  still does, and the worker finds it rather than raising it again) and are held on the
  survivor's footing, unless the survivor has one of its own for the same school, kind and
  period start: the merged record's then stays where it is, withdrawn. Markers of alerts
  withheld for the merged record (restriction, objection) move to the survivor, or fold into
  the survivor's at the same school keeping the earlier first week.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Conflict
from app.models.cases import Case, CaseEventKind
from app.models.people import Pupil
from app.policies import Access
from app.policies.registry import Purpose
from app.repositories.attendance_alerts import AttendanceAlertRepository
from app.repositories.attendance_marks import AttendanceMarksRepository
from app.repositories.attendance_tallies import AttendanceTallyRepository
from app.repositories.cases import CaseRepository
from app.rules.attendance import week_start
from app.services.cases import add_event, sync_claims

#: The rule a merge of two records with open cases of one type breaks.
ONE_OPEN_CASE_RULE = "one open case per pupil and type: close or resolve one first"


@dataclass(slots=True)
class MergedRecords:
    """What moving a merged record's casework and attendance did (ids and counts only)."""

    cases_moved: int = 0
    penalty_notices_moved: int = 0
    exclusions_moved: int = 0
    marks_moved: int = 0
    marks_superseded: int = 0
    alerts_moved: int = 0
    alerts_withdrawn: int = 0

    def audit_details(self) -> dict[str, str | int | bool | None]:
        """The counts the ``pupil.merged`` audit change carries."""
        return {
            "cases_moved": self.cases_moved,
            "marks_moved": self.marks_moved,
            "marks_superseded": self.marks_superseded,
            "alerts_moved": self.alerts_moved,
            "alerts_withdrawn": self.alerts_withdrawn,
        }


async def refuse_open_case_clashes(
    session: AsyncSession, access: Access, *, survivor: Pupil, merged: Pupil
) -> None:
    """A 409 when both records have an open case of the same type (one open case per pupil
    and type), naming the rule and each case's reference only if the caller may see that
    case. Reads only: call it before the merge writes anything."""
    cases = CaseRepository(session)
    clashes = await cases.open_type_clashes(survivor.id, merged.id)
    if not clashes:
        return
    visible = await _visible_cases(cases, access, [case for pair in clashes for case in pair])
    types = ", ".join(sorted({kept.case_type.value for kept, _ in clashes}))
    raise Conflict(
        f"Both records have an open {types} case; {ONE_OPEN_CASE_RULE}.",
        extra={
            "rule": ONE_OPEN_CASE_RULE,
            "clashes": [
                {
                    "case_type": kept.case_type.value,
                    "survivor_case": kept.reference if kept.id in visible else None,
                    "merged_case": other.reference if other.id in visible else None,
                }
                for kept, other in clashes
            ],
        },
    )


async def _visible_cases(
    cases: CaseRepository, access: Access, found: list[Case]
) -> set[uuid.UUID]:
    """The cases the caller may read, under the merge's purpose or the case's own (an
    exclusion-support case is read under its purpose, not the attendance duty's)."""
    own = {Purpose(case.purpose) for case in found} - {access.purpose}
    visible = or_(
        access.related_filter("case", "read"),
        *(access.related_filter("case", "read", purpose=purpose) for purpose in sorted(own)),
    )
    return await cases.visible_ids((case.id for case in found), visible=visible)


async def hold_schools(session: AsyncSession, *, merged: Pupil) -> None:
    """Hold the schools the merged record is on roll at or has marks from until the merge
    commits, as imports do (in URN order), so that no import writes marks to it while they
    move: one in flight finishes first, one that follows finds the record merged. Call it
    before the merged record's enrolments move (they are read from the loaded record)."""
    marks = AttendanceMarksRepository(session)
    urns = {enrolment.school_urn for enrolment in merged.enrolments}
    urns |= {school_urn for school_urn, _ in await marks.mark_days(merged.id)}
    await marks.lock_schools(urns)


async def move_records(
    session: AsyncSession, access: Access, *, survivor: Pupil, merged: Pupil
) -> MergedRecords:
    """Move the merged record's casework, marks and alerts to the survivor (the rules are in
    the module docstring), in the request's transaction. Returns what moved."""
    moved = MergedRecords()
    await _move_casework(session, access, survivor=survivor, merged=merged, moved=moved)
    await _move_marks(session, access, survivor=survivor, merged=merged, moved=moved)
    alerts = AttendanceAlertRepository(session)
    moved.alerts_withdrawn = await alerts.withdraw_clashing(
        from_pupil=merged.id, to_pupil=survivor.id, now=access.now
    )
    moved.alerts_moved = await alerts.move_alerts(
        from_pupil=merged.id, to_pupil=survivor.id, now=access.now
    )
    await alerts.fold_withheld(from_pupil=merged.id, to_pupil=survivor.id)
    return moved


async def _move_casework(
    session: AsyncSession,
    access: Access,
    *,
    survivor: Pupil,
    merged: Pupil,
    moved: MergedRecords,
) -> None:
    repository = CaseRepository(session)
    details: dict[str, str | int | bool | None] = {
        "merged_from": str(merged.id),
        "survivor_id": str(survivor.id),
    }
    cases = await repository.cases_of_pupil(merged.id)
    for case in cases:
        case.pupil_id = survivor.id
        case.subject_id = survivor.subject_id
    await session.flush()
    for case in cases:
        add_event(
            session,
            case,
            CaseEventKind.MERGED,
            by=access.principal.subject,
            now=access.now,
            details=dict(details),
        )
        # The survivor's subject now has the case: claims follow it, the merged record's
        # subject's close.
        await sync_claims(session, case, access.now)
        access.record_change(
            "case.pupil_merged", resource_id=case.id, subject_id=case.subject_id, details=details
        )
    moved.cases_moved = len(cases)
    notices = await repository.penalty_notices_of_pupil(merged.id)
    for notice in notices:
        notice.pupil_id = survivor.id
        notice.pupil_subject_id = survivor.subject_id
    moved.penalty_notices_moved = len(notices)
    exclusions = await repository.exclusions_of_pupil(merged.id)
    for exclusion in exclusions:
        exclusion.pupil_id = survivor.id
        exclusion.subject_id = survivor.subject_id
    moved.exclusions_moved = len(exclusions)
    await session.flush()


async def _move_marks(
    session: AsyncSession,
    access: Access,
    *,
    survivor: Pupil,
    merged: Pupil,
    moved: MergedRecords,
) -> None:
    marks = AttendanceMarksRepository(session)
    weeks: dict[int, set[date]] = defaultdict(set)
    for school_urn, day in await marks.mark_days(merged.id):
        weeks[school_urn].add(week_start(day))
    await marks.move_history(from_pupil=merged.id, to_pupil=survivor.id)
    moved.marks_moved = await marks.move_marks(from_pupil=merged.id, to_pupil=survivor.id)
    moved.marks_superseded = await marks.supersede_marks(
        from_pupil=merged.id, to_pupil=survivor.id, now=access.now
    )
    tallies = AttendanceTallyRepository(session)
    for school_urn, school_weeks in sorted(weeks.items()):
        await tallies.queue(school_urn, school_weeks, access.now)
        await tallies.delete_pupil_weeks(merged.id, school_urn, school_weeks)
