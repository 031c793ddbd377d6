"""Attendance: marks from schools' information systems, their history, the imports that
brought them, and the weekly tallies and alerts the worker keeps up to date (School Attendance
(Pupil Registration) (England) Regulations 2024, SI 2024/208; DfE, *Working together to improve
school attendance*, 2024).

Marks are the largest table KPAS holds (about 91 million a year), so a mark row is kept
narrow: it names the pupil, school, date, session and code, and the import that wrote it. On
PostgreSQL marks and their history are partitioned by school year of ``mark_date``
(``app.repositories.partitions``), so a date-bounded read touches that year's partition only.
Need-to-know, restriction and retention reach marks through their pupil (a mark is never read
except as part of a pupil's or a school's attendance), and a pupil's marks go with the pupil.

What alerts need is kept incrementally: an import queues the school weeks it touched
(``attendance_stale_weeks``); the worker recomputes the tallies of those weeks
(``attendance_pupil_weeks``, ``attendance_school_weeks``) and then the alerts of the pupils in
them, so reading alerts never scans a year of marks.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Base, JSONDocument, text_enum, utcnow
from app.models.people import Pupil
from app.models.schools import School
from app.models.subjects import PersonalRecord

SESSION_CHECK = "session IN ('AM', 'PM')"


class AttendanceMark(Base):
    """The current mark for one pupil, school, date and session."""

    __tablename__ = "attendance_marks"
    __table_args__ = (
        CheckConstraint(SESSION_CHECK, name="session_known"),
        # A school's marks for a period (summaries, the worker's weekly tallies).
        Index("ix_attendance_marks_school_date", "school_urn", "mark_date"),
    )

    #: Not foreign keys, here alone: an import matches every row to a live pupil on that
    #: school's roll in the same transaction before it writes, and a per-row key check would
    #: cost the bulk path as much again as writing the marks. A trigger on ``pupils``
    #: (migration 0006) deletes a pupil's marks with the pupil, so marks never outlive the
    #: pupil's retention.
    pupil_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    mark_date: Mapped[date] = mapped_column(Date, primary_key=True)
    session: Mapped[str] = mapped_column(String(2), primary_key=True)
    #: The school that recorded the mark (a dual-registered pupil has marks at two).
    school_urn: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: A 2024 national code (``app.rules.attendance``).
    code: Mapped[str] = mapped_column(String(2))
    #: The import that wrote this mark (import reports are kept as long as marks), and when.
    import_id: Mapped[uuid.UUID]
    recorded_at: Mapped[datetime]


class AttendanceMarkHistory(Base):
    """A mark that a later one replaced (a correction, often N becoming M or I)."""

    __tablename__ = "attendance_mark_history"
    __table_args__ = (
        CheckConstraint(SESSION_CHECK, name="session_known"),
        Index("ix_attendance_mark_history_pupil", "pupil_id", "mark_date", "session"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pupils.id", ondelete="CASCADE"))
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    #: In the key because PostgreSQL partitions the table by it (every unique constraint of a
    #: partitioned table must hold the partition key); ``id`` alone is unique in practice.
    mark_date: Mapped[date] = mapped_column(Date, primary_key=True)
    session: Mapped[str] = mapped_column(String(2))
    code: Mapped[str] = mapped_column(String(2))
    import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attendance_imports.id"))
    recorded_at: Mapped[datetime]
    #: When, and by which import, the mark was replaced.
    replaced_at: Mapped[datetime]
    replaced_by_import_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("attendance_imports.id"))


class ImportMode(StrEnum):
    ATOMIC = "atomic"  # every row valid, or nothing applied
    PARTIAL = "partial"  # valid rows applied, the rest reported


class ImportStatus(StrEnum):
    APPLIED = "applied"  # every row applied
    PARTIALLY_APPLIED = "partially_applied"  # partial mode: some rows refused
    REJECTED = "rejected"  # nothing applied


class AttendanceImport(Base):
    """One upload of marks, and its report. Holds no personal data: problems name a row,
    a field and what is wrong, never the value."""

    __tablename__ = "attendance_imports"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The client (token subject) that sent the import.
    submitted_by: Mapped[str] = mapped_column(String(200), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    mode: Mapped[ImportMode] = mapped_column(text_enum(ImportMode, "import_mode"))
    status: Mapped[ImportStatus] = mapped_column(text_enum(ImportStatus, "import_status"))
    media_type: Mapped[str] = mapped_column(String(40))
    #: SHA-256 of the body as received.
    content_sha256: Mapped[str] = mapped_column(String(64))
    #: Schools the import's rows named (that the caller may write for).
    school_urns: Mapped[list[int]] = mapped_column(JSONDocument)
    rows_received: Mapped[int] = mapped_column(Integer)
    rows_applied: Mapped[int] = mapped_column(Integer)
    rows_refused: Mapped[int] = mapped_column(Integer)
    marks_created: Mapped[int] = mapped_column(Integer)
    marks_replaced: Mapped[int] = mapped_column(Integer)
    marks_unchanged: Mapped[int] = mapped_column(Integer)
    #: ``[{"row": 3, "field": "code", "problem": "..."}]``, the first ``problems_kept``.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSONDocument)
    problem_count: Mapped[int] = mapped_column(Integer)


class AttendancePupilWeek(Base):
    """One pupil's sessions at one school in one week (Monday to Sunday), by category."""

    __tablename__ = "attendance_pupil_weeks"
    __table_args__ = (
        Index("ix_attendance_pupil_weeks_pupil", "pupil_id", "school_urn", "week_start"),
    )

    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True
    )
    possible: Mapped[int] = mapped_column(SmallInteger)
    present: Mapped[int] = mapped_column(SmallInteger)
    approved_activity: Mapped[int] = mapped_column(SmallInteger)
    authorised: Mapped[int] = mapped_column(SmallInteger)
    #: G, N, O and U sessions: what the penalty-notice threshold counts.
    unauthorised: Mapped[int] = mapped_column(SmallInteger)


class AttendanceSchoolWeek(Base):
    """A week with at least one possible session for the school: a school week (SI 2024/210
    national framework). Weeks with none (holidays, closures marked ``#``) have no row."""

    __tablename__ = "attendance_school_weeks"

    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    possible_sessions: Mapped[int] = mapped_column(Integer)


class AttendanceStaleWeek(Base):
    """A school week whose marks changed since its tallies were last computed."""

    __tablename__ = "attendance_stale_weeks"

    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    week_start: Mapped[date] = mapped_column(Date, primary_key=True)
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertKind(StrEnum):
    #: 10 sessions of G, N, O or U within a rolling 10 school weeks (SI 2024/210).
    PENALTY_THRESHOLD = "penalty_threshold"
    #: Absent for 10% or more of the school year's possible sessions so far.
    PERSISTENT_ABSENCE = "persistent_absence"
    #: Absent for 50% or more.
    SEVERE_ABSENCE = "severe_absence"


class AlertStatus(StrEnum):
    OPEN = "open"
    #: The marks no longer show it (a correction, or figures that recovered).
    WITHDRAWN = "withdrawn"


class AttendanceAlert(PersonalRecord, Base):
    """An alert about one pupil at one school: raised when the worker finds the threshold
    reached, withdrawn when corrected marks no longer show it."""

    __tablename__ = "attendance_alerts"
    __table_args__ = (
        *PersonalRecord.table_checks(),
        UniqueConstraint("pupil_id", "school_urn", "kind", "period_start"),
        Index("ix_attendance_alerts_school_status", "school_urn", "status", "kind"),
        # The list: newest first within a status.
        Index("ix_attendance_alerts_status_raised", "status", "raised_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pupil_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), index=True
    )
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"))
    kind: Mapped[AlertKind] = mapped_column(text_enum(AlertKind, "alert_kind"))
    status: Mapped[AlertStatus] = mapped_column(text_enum(AlertStatus, "alert_status"))
    #: Penalty threshold: the school week of the first session the event spent. Persistent
    #: and severe absence: the first day of the school year.
    period_start: Mapped[date] = mapped_column(Date)
    #: Penalty threshold: the school week in which the threshold was reached. Persistent and
    #: severe absence: the last day with a mark when the figures were last computed.
    period_end: Mapped[date] = mapped_column(Date)
    possible_sessions: Mapped[int] = mapped_column(Integer)
    attended_sessions: Mapped[int] = mapped_column(Integer)
    authorised_sessions: Mapped[int] = mapped_column(Integer)
    unauthorised_sessions: Mapped[int] = mapped_column(Integer)
    #: Penalty threshold: the date and session of the last session the event spent (each
    #: event spends the 10 sessions that reached the threshold; a later event needs sessions
    #: after these). None for other kinds.
    spent_through_date: Mapped[date | None] = mapped_column(Date)
    spent_through_session: Mapped[str | None] = mapped_column(String(2))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    withdrawn_at: Mapped[datetime | None]

    pupil: Mapped[Pupil] = relationship(lazy="raise")
    school: Mapped[School] = relationship(lazy="raise")

    # What the policy layer's conditions read in Python (needs ``school`` loaded).

    @property
    def school_area_team(self) -> str:
        return self.school.area_team

    @property
    def school_district(self) -> str:
        return self.school.district


class AttendanceWithheldPupil(Base):
    """A pupil whose alerts the worker did not compute at a school, because the pupil's data
    subject was restricted (UK GDPR Art 18) or had an upheld objection (Art 21) to the
    purposes alerts serve. Once neither holds, the worker queues the school's weeks from
    ``first_week`` again, so the alerts come back on the next pass."""

    __tablename__ = "attendance_withheld_pupils"

    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), primary_key=True)
    pupil_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("pupils.id", ondelete="CASCADE"), primary_key=True
    )
    #: The earliest week whose alerts were not computed (or were withdrawn) for the pupil.
    first_week: Mapped[date] = mapped_column(Date)
