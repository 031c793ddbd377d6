"""Merging two records of one pupil moves their casework and their attendance: cases (with a
chronology entry and their legal claims), penalty notices, exclusions, marks and their
history, and alerts, and queues the moved weeks for the worker, which then recomputes the
survivor's figures without raising an alert twice."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import (
    AuditEvent,
    CarerRelationship,
    DuplicateReason,
    Enrolment,
    PersonKind,
    PossibleDuplicate,
    Pupil,
    School,
)
from app.models.attendance import (
    AlertKind,
    AlertStatus,
    AttendanceAlert,
    AttendanceMark,
    AttendanceMarkHistory,
    AttendancePupilWeek,
    AttendanceStaleWeek,
    AttendanceWithheldPupil,
)
from app.models.cases import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStage,
    CaseType,
    NoticeGround,
    PenaltyNotice,
    PenaltyNoticeStatus,
    ServiceMethod,
)
from app.models.exclusions import Exclusion, ExclusionKind
from app.models.subjects import SubjectLegalClaim
from app.policies.registry import LawfulBasis, Purpose, purposes_mask
from app.rules.kent import District
from app.services.attendance_recompute import RecomputeCounts, recompute
from app.services.cases import case_basis
from app.services.pupil_merge import ONE_OPEN_CASE_RULE
from tests.attendance_support import AM, PM, make_import, school_days, sessions_of, write_marks
from tests.case_support import make_case
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school, manager_headers, problem_body

#: The first Monday of the 2024/25 autumn term.
AUTUMN_2024 = date(2024, 9, 2)


def monday(n: int) -> date:
    return AUTUMN_2024 + timedelta(weeks=n)


def week_marks(week: date, codes: Sequence[str] = ()) -> dict[tuple[date, str], str]:
    """The week's ten sessions from Monday morning: ``codes`` first, then present."""
    marks: dict[tuple[date, str], str] = {}
    days = school_days(week, week + timedelta(days=4))
    for index, (day, name) in enumerate(sessions_of(days)):
        marks[(day, name)] = codes[index] if index < len(codes) else ("/" if name == AM else "\\")
    return marks


async def drain(session: AsyncSession) -> RecomputeCounts:
    """Worker passes until the stale-week queue is empty."""
    total = RecomputeCounts()
    while True:
        counts = await recompute(session)
        total.add(counts)
        if not counts.weeks:
            return total


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


@pytest.fixture
async def other_east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Harbour Primary School")


@pytest.fixture
async def west(session: AsyncSession) -> School:
    return await make_school(session, district=District.MAIDSTONE, name="Weald Primary School")


async def flag(session: AsyncSession, first: Pupil, second: Pupil) -> PossibleDuplicate:
    a, b = sorted((first.id, second.id))
    duplicate = PossibleDuplicate(
        kind=PersonKind.PUPIL, first_id=a, second_id=b, reason=DuplicateReason.SAME_UPN
    )
    session.add(duplicate)
    await session.flush()
    return duplicate


async def merge(
    client: httpx.AsyncClient,
    headers: Mapping[str, str],
    survivor: Pupil,
    other: Pupil,
    duplicate: PossibleDuplicate,
) -> httpx.Response:
    return await client.post(
        f"/v1/pupils/{survivor.id}/merge",
        json={"duplicate_id": str(duplicate.id), "merge_from": str(other.id)},
        headers={**headers, "If-Match": "*"},
    )


async def merge_details(session: AsyncSession, survivor: Pupil) -> dict[str, Any]:
    event = await session.scalar(
        select(AuditEvent).where(
            AuditEvent.kind == "change",
            AuditEvent.action == "pupil.merged",
            AuditEvent.resource_id == str(survivor.id),
        )
    )
    assert event is not None
    return dict(event.details)


async def penalty_notice(
    session: AsyncSession, case: Case, carer_id: uuid.UUID, carer_subject: uuid.UUID, **fields: Any
) -> PenaltyNotice:
    issued = date(2025, 1, 6)
    notice = PenaltyNotice(
        id=uuid.uuid4(),
        reference=f"PN-2025-{uuid.uuid4().hex[:8].upper()}",
        case_id=case.id,
        pupil_id=case.pupil_id,
        pupil_subject_id=case.subject_id,
        carer_id=carer_id,
        subject_id=carer_subject,
        purposes_mask=purposes_mask({Purpose.PROSECUTION}),
        lawful_basis=LawfulBasis.LAW_ENFORCEMENT_TASK.value,
        ground=NoticeGround.IRREGULAR_ATTENDANCE,
        offence_from=date(2024, 9, 2),
        offence_to=date(2024, 11, 15),
        sequence=1,
        issued_on=issued,
        service_method=ServiceMethod.HAND,
        served_on=issued,
        received_on=issued,
        reduced_amount_pence=8000,
        reduced_due_on=issued + timedelta(days=21),
        full_amount_pence=16000,
        full_due_on=issued + timedelta(days=28),
        approved_by="manager-1",
        status=PenaltyNoticeStatus.ISSUED,
        recorded_by="manager-1",
        **fields,
    )
    session.add(notice)
    await session.flush()
    return notice


async def exclusion_of(session: AsyncSession, pupil: Pupil, school: School) -> Exclusion:
    exclusion = Exclusion(
        id=uuid.uuid4(),
        pupil_id=pupil.id,
        subject_id=pupil.subject_id,
        purposes_mask=purposes_mask({Purpose.EXCLUSION_SUPPORT}),
        lawful_basis=case_basis(CaseType.EXCLUSION_SUPPORT),
        school_urn=school.urn,
        kind=ExclusionKind.SUSPENSION,
        starts_on=date(2024, 10, 7),
        school_days=2,
        notified_on=date(2024, 10, 4),
        reasons=["PA"],
        reported_by="school-1",
        reported_at=datetime(2024, 10, 4, 12, tzinfo=UTC),
    )
    session.add(exclusion)
    await session.flush()
    return exclusion


async def fresh(session: AsyncSession, model: Any, *where: Any) -> list[Any]:
    rows = await session.scalars(
        select(model).where(*where).execution_options(populate_existing=True)
    )
    return list(rows.all())


class TestCasework:
    async def test_cases_notices_and_exclusions_move_with_a_chronology_entry_and_claims(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        survivor = await make_pupil(session, school=east)
        other = await make_pupil(session, school=east)
        # The other record's attendance case is at penalty notice stage (bound to
        # prosecution: live legal claims for its people); the survivor's own is closed.
        world = await make_case(session, school=east, pupil=other, stage=CaseStage.PENALTY_NOTICE)
        closed = await make_case(session, school=east, pupil=survivor, stage=CaseStage.CLOSED)
        notice = await penalty_notice(session, world.case, world.carer.id, world.carer.subject_id)
        exclusion = await exclusion_of(session, other, east)
        duplicate = await flag(session, survivor, other)

        response = await merge(client, manager_headers(auth), survivor, other, duplicate)
        assert response.status_code == 200, response.text

        (case,) = await fresh(session, Case, Case.id == world.case.id)
        assert (case.pupil_id, case.subject_id) == (survivor.id, survivor.subject_id)
        (kept,) = await fresh(session, Case, Case.id == closed.case.id)
        assert kept.pupil_id == survivor.id
        merged_events = await fresh(
            session,
            CaseEvent,
            CaseEvent.case_id == case.id,
            CaseEvent.kind == CaseEventKind.MERGED,
        )
        assert [(e.details, e.recorded_by) for e in merged_events] == [
            ({"merged_from": str(other.id), "survivor_id": str(survivor.id)}, "tester-1")
        ]
        claims = await fresh(
            session, SubjectLegalClaim, SubjectLegalClaim.reference == str(case.id)
        )
        live = {(c.subject_id, c.purpose) for c in claims if c.closed_at is None}
        gone = {(c.subject_id, c.purpose) for c in claims if c.closed_at is not None}
        prosecution = Purpose.PROSECUTION.value
        assert live == {(survivor.subject_id, prosecution), (world.carer.subject_id, prosecution)}
        assert gone == {(other.subject_id, prosecution)}

        (moved_notice,) = await fresh(session, PenaltyNotice, PenaltyNotice.id == notice.id)
        assert (moved_notice.pupil_id, moved_notice.pupil_subject_id) == (
            survivor.id,
            survivor.subject_id,
        )
        assert moved_notice.subject_id == world.carer.subject_id  # still the parent's notice
        (moved_exclusion,) = await fresh(session, Exclusion, Exclusion.id == exclusion.id)
        assert (moved_exclusion.pupil_id, moved_exclusion.subject_id) == (
            survivor.id,
            survivor.subject_id,
        )
        details = await merge_details(session, survivor)
        assert {k: details[k] for k in ("cases_moved", "marks_moved", "alerts_moved")} == {
            "cases_moved": 1,
            "marks_moved": 0,
            "alerts_moved": 0,
        }
        case_changes = await fresh(
            session,
            AuditEvent,
            AuditEvent.action == "case.pupil_merged",
            AuditEvent.resource_id == str(case.id),
        )
        assert [e.subject_id for e in case_changes] == [survivor.subject_id]

    async def test_two_open_cases_of_one_type_refuse_the_merge_and_change_nothing(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        west: School,
    ) -> None:
        survivor = await make_pupil(session, school=east)
        other = await make_pupil(session, school=east)
        # The survivor's open case is at a west school: outside an east manager's reach.
        theirs = await make_case(session, school=west, pupil=survivor)
        ours = await make_case(session, school=east, pupil=other)
        await make_case(
            session,
            school=east,
            pupil=other,
            carer=ours.carer,
            case_type=CaseType.EXCLUSION_SUPPORT,
        )
        await write_marks(
            session,
            pupil_id=other.id,
            school_urn=east.urn,
            marks=week_marks(monday(0), ["N", "N"]),
        )
        duplicate = await flag(session, survivor, other)
        before = await snapshot(session, survivor, other)

        response = await merge(client, manager_headers(auth), survivor, other, duplicate)
        body = problem_body(response, 409)
        assert ONE_OPEN_CASE_RULE in str(body["detail"])
        assert body["rule"] == ONE_OPEN_CASE_RULE
        assert body["clashes"] == [
            {"case_type": "attendance", "survivor_case": None, "merged_case": ours.case.reference}
        ]
        assert await snapshot(session, survivor, other) == before

        # Information governance may read every case: both references are named.
        governance = auth("information_governance", purpose="subject_rights")
        body = problem_body(await merge(client, governance, survivor, other, duplicate), 409)
        assert body["clashes"] == [
            {
                "case_type": "attendance",
                "survivor_case": theirs.case.reference,
                "merged_case": ours.case.reference,
            }
        ]
        assert await snapshot(session, survivor, other) == before


async def snapshot(session: AsyncSession, *pupils: Pupil) -> dict[str, object]:
    """What a merge of these pupils could change, read afresh."""
    ids = [p.id for p in pupils]

    async def count(model: Any, *where: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

    cases = await session.execute(
        select(Case.id, Case.pupil_id, Case.subject_id, Case.version).where(Case.pupil_id.in_(ids))
    )
    pupil_rows = await session.execute(
        select(Pupil.id, Pupil.merged_into_id, Pupil.updated_at).where(Pupil.id.in_(ids))
    )
    enrolments = await session.execute(
        select(Enrolment.pupil_id, Enrolment.school_urn, Enrolment.on_roll_from).where(
            Enrolment.pupil_id.in_(ids)
        )
    )
    duplicates = await session.execute(select(PossibleDuplicate.id, PossibleDuplicate.status))
    return {
        "cases": sorted(map(tuple, cases.all()), key=str),
        "pupils": sorted(map(tuple, pupil_rows.all()), key=str),
        "enrolments": sorted(map(tuple, enrolments.all()), key=str),
        "duplicates": sorted(map(tuple, duplicates.all()), key=str),
        "events": await count(CaseEvent),
        "claims": await count(SubjectLegalClaim, SubjectLegalClaim.closed_at.is_(None)),
        "carer_links": await count(CarerRelationship, CarerRelationship.pupil_id.in_(ids)),
        "marks": [
            await count(AttendanceMark, AttendanceMark.pupil_id == pupil_id) for pupil_id in ids
        ],
        "history": await count(AttendanceMarkHistory),
        "stale": await count(AttendanceStaleWeek),
        "changes": await count(AuditEvent, AuditEvent.kind == "change"),
    }


class TestAttendance:
    async def test_marks_move_a_colliding_mark_becomes_history_and_the_weeks_are_queued(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        survivor = await make_pupil(session, school=east)
        other = await make_pupil(session, school=east)
        monday_am, monday_pm = (monday(1), AM), (monday(1), PM)
        await write_marks(
            session, pupil_id=other.id, school_urn=east.urn, marks=week_marks(monday(0))
        )
        await write_marks(session, pupil_id=other.id, school_urn=east.urn, marks={monday_am: "N"})
        await write_marks(
            session,
            pupil_id=survivor.id,
            school_urn=east.urn,
            marks={monday_am: "/", monday_pm: "\\"},
        )
        # A correction the other record already had.
        earlier_import = await make_import(session)
        session.add(
            AttendanceMarkHistory(
                pupil_id=other.id,
                school_urn=east.urn,
                mark_date=monday(0),
                session=AM,
                code="N",
                import_id=earlier_import,
                recorded_at=datetime(2024, 9, 2, 9, tzinfo=UTC),
                replaced_at=datetime(2024, 9, 3, 9, tzinfo=UTC),
                replaced_by_import_id=earlier_import,
            )
        )
        await drain(session)
        assert await fresh(session, AttendancePupilWeek, AttendancePupilWeek.pupil_id == other.id)
        other_monday = await session.get(AttendanceMark, (other.id, *monday_am, east.urn))
        standing = await session.get(AttendanceMark, (survivor.id, *monday_am, east.urn))
        assert other_monday is not None and standing is not None
        superseded_import = other_monday.import_id
        duplicate = await flag(session, survivor, other)

        response = await merge(client, manager_headers(auth), survivor, other, duplicate)
        assert response.status_code == 200, response.text

        assert await fresh(session, AttendanceMark, AttendanceMark.pupil_id == other.id) == []
        marks = {
            (m.mark_date, m.session): m.code
            for m in await fresh(session, AttendanceMark, AttendanceMark.pupil_id == survivor.id)
        }
        assert marks == {**week_marks(monday(0)), monday_am: "/", monday_pm: "\\"}
        history = await fresh(
            session, AttendanceMarkHistory, AttendanceMarkHistory.pupil_id == survivor.id
        )
        assert sorted((h.mark_date, h.session, h.code, h.import_id) for h in history) == sorted(
            [(monday(0), AM, "N", earlier_import), (*monday_am, "N", superseded_import)]
        )
        (superseded,) = [h for h in history if h.import_id == superseded_import]
        assert superseded.replaced_by_import_id == standing.import_id
        assert superseded.recorded_at == other_monday.recorded_at
        assert (
            await fresh(session, AttendanceMarkHistory, AttendanceMarkHistory.pupil_id == other.id)
            == []
        )
        queued = await session.execute(
            select(AttendanceStaleWeek.school_urn, AttendanceStaleWeek.week_start)
        )
        assert {tuple(row) for row in queued} == {(east.urn, monday(0)), (east.urn, monday(1))}
        assert (
            await fresh(session, AttendancePupilWeek, AttendancePupilWeek.pupil_id == other.id)
            == []
        )
        details = await merge_details(session, survivor)
        assert (details["marks_moved"], details["marks_superseded"]) == (10, 1)

        await drain(session)
        tallies = {
            row.week_start: (row.possible, row.present, row.unauthorised)
            for row in await fresh(
                session, AttendancePupilWeek, AttendancePupilWeek.pupil_id == survivor.id
            )
        }
        assert tallies == {monday(0): (10, 10, 0), monday(1): (2, 2, 0)}

    async def test_alerts_move_or_are_withdrawn_and_the_worker_raises_none_twice(
        self,
        client: httpx.AsyncClient,
        auth: AuthHeaders,
        session: AsyncSession,
        east: School,
        other_east: School,
    ) -> None:
        survivor = await make_pupil(session, school=east)
        other = await make_pupil(session, school=east)
        for pupil in (survivor, other):
            session.add(
                Enrolment(
                    pupil_id=pupil.id,
                    school_urn=other_east.urn,
                    on_roll_from=date(2024, 9, 1),
                    source="manual",
                )
            )
        await session.flush()
        absent = week_marks(monday(0), ["N"] * 10)
        # At the first school only the other record has the absences; at the second both
        # records were sent the same ones.
        await write_marks(session, pupil_id=other.id, school_urn=east.urn, marks=absent)
        for pupil in (survivor, other):
            await write_marks(session, pupil_id=pupil.id, school_urn=other_east.urn, marks=absent)
        await drain(session)
        moving = {a.kind: a for a in await alerts_of(session, other, east)}
        assert set(moving) == set(AlertKind)  # 10 of 10 sessions missed: all three kinds
        staying = {a.id for a in await alerts_of(session, other, other_east)}
        survivors_own = {a.id for a in await alerts_of(session, survivor, other_east)}
        assert len(staying) == len(survivors_own) == 3
        # A case and a penalty notice that follow the other record's threshold alert.
        threshold = moving[AlertKind.PENALTY_THRESHOLD]
        world = await make_case(session, school=east, pupil=other, stage=CaseStage.PENALTY_NOTICE)
        world.case.alert_id = threshold.id
        notice = await penalty_notice(
            session, world.case, world.carer.id, world.carer.subject_id, alert_id=threshold.id
        )
        session.add_all(
            [
                AttendanceWithheldPupil(
                    school_urn=east.urn, pupil_id=other.id, first_week=monday(3)
                ),
                AttendanceWithheldPupil(
                    school_urn=other_east.urn, pupil_id=other.id, first_week=monday(1)
                ),
                AttendanceWithheldPupil(
                    school_urn=other_east.urn, pupil_id=survivor.id, first_week=monday(5)
                ),
            ]
        )
        await session.flush()
        duplicate = await flag(session, survivor, other)

        response = await merge(client, manager_headers(auth), survivor, other, duplicate)
        assert response.status_code == 200, response.text

        moved = await alerts_of(session, survivor, east)
        assert {a.id for a in moved} == {a.id for a in moving.values()}
        assert {(a.subject_id, a.status) for a in moved} == {
            (survivor.subject_id, AlertStatus.OPEN)
        }
        left = await alerts_of(session, other)
        assert {a.id for a in left} == staying
        assert all(a.status is AlertStatus.WITHDRAWN and a.withdrawn_at for a in left)
        assert {a.id for a in await alerts_of(session, survivor, other_east)} == survivors_own
        (case,) = await fresh(session, Case, Case.id == world.case.id)
        (moved_notice,) = await fresh(session, PenaltyNotice, PenaltyNotice.id == notice.id)
        assert (case.pupil_id, case.alert_id) == (survivor.id, threshold.id)
        assert (moved_notice.pupil_id, moved_notice.alert_id) == (survivor.id, threshold.id)
        markers = await fresh(session, AttendanceWithheldPupil)
        assert {(m.school_urn, m.pupil_id, m.first_week) for m in markers} == {
            (east.urn, survivor.id, monday(3)),
            (other_east.urn, survivor.id, monday(1)),
        }
        details = await merge_details(session, survivor)
        assert (details["alerts_moved"], details["alerts_withdrawn"]) == (3, 3)
        assert (details["marks_moved"], details["marks_superseded"]) == (10, 10)

        counts = await drain(session)
        assert counts.raised == 0
        after = await alerts_of(session, survivor)
        assert sorted((a.school_urn, a.kind, a.status) for a in after) == sorted(
            (school.urn, kind, AlertStatus.OPEN)
            for school in (east, other_east)
            for kind in AlertKind
        )
        assert {a.id for a in after} == {a.id for a in moving.values()} | survivors_own
        assert {a.id for a in await alerts_of(session, other)} == staying


async def alerts_of(
    session: AsyncSession, pupil: Pupil, school: School | None = None
) -> list[AttendanceAlert]:
    where = [AttendanceAlert.pupil_id == pupil.id]
    if school is not None:
        where.append(AttendanceAlert.school_urn == school.urn)
    return await fresh(session, AttendanceAlert, *where)
