"""Attendance imports: the marks a school's information system sends after registration.

An import is read as it streams in (``receive_import``) and applied in the request's
transaction (``apply_import``):

- each row is checked in Python as it arrives: the school is one the caller may write for,
  the UPN is valid, the date is a real day neither in the future nor before the 2024 code set
  came into force, the session is AM or PM and the code is a 2024 national code. Each check is
  made once per distinct value sent, not once per row;
- rows that pass are staged in batches in a temporary table; then, set-based, each is matched
  to a live pupil with that UPN on that school's roll on that day, and a row for the same
  pupil, date, session and school as an earlier row is refused;
- the daily import, new marks only (no stored mark of its schools and sessions in its days,
  looked for under the schools' locks), is written from the staged rows into the marks in
  one statement that matches each row on the way. Should a row match no pupil or two rows be
  one mark, that statement is undone and the import takes the matching path, which reports
  them; corrections always take it (it finds the marks they replace);
- atomic (the default): any problem and nothing is written but the import's report. Partial:
  the valid rows are applied and the rest reported;
- applying writes the replaced marks to history, the new and changed marks, and queues the
  school weeks they fall in for the worker. A mark sent again with the same code writes
  nothing;
- validating only (``validate_import``) applies the import for real inside a savepoint that is
  then rolled back: the answer is the one the import would get, and nothing is kept.

The report keeps the first problems by row (row, field, what is wrong: never the value) and
their total. Memory stays flat however long the import: only batches, and one cache entry per
distinct value, are held.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import islice
from typing import IO, Any, Final, NamedTuple

from sqlalchemy.ext.asyncio import AsyncSession, AsyncTransaction

from app.db import rehearsal
from app.errors import Conflict, PayloadTooLarge, ValidationFailed
from app.log import get_logger
from app.models.attendance import AttendanceImport, ImportMode, ImportStatus
from app.models.base import utcnow
from app.models.schools import School
from app.policies import Access
from app.repositories.attendance_imports import AttendanceImportRepository, ImportQuery
from app.repositories.attendance_marks import (
    AttendanceMarksRepository,
    MarkEncoder,
    Outcome,
    RollEntry,
    StagedRow,
    Staging,
)
from app.repositories.pagination import PageRequest
from app.repositories.partitions import hold_partitions_steady
from app.rules.attendance import (
    CODES_IN_FORCE_FROM,
    RETIRED_CODES,
    CodeProblem,
    classify,
    normal_code,
    normal_session,
    week_start,
)
from app.rules.upn import InvalidUpn, validate_upn
from app.schemas.attendance_imports import MAX_KEPT_PROBLEMS, AttendanceImportCheck, ImportRejection
from app.services.attendance_rows import FIELDS, MISSING, CsvMarkReader, JsonMarkReader, RawMark

log = get_logger("kpas.attendance")

CSV_MEDIA_TYPE = "text/csv"
JSON_MEDIA_TYPE = "application/json"
#: Staged rows sent to the database at once.
STAGE_BATCH = 25_000
#: Distinct values remembered per field; beyond it a cache starts again (bounds memory when
#: every row sends something new).
CACHE_LIMIT = 250_000
#: Bytes of a body written directly that are kept in memory (beyond them, in a temporary
#: file) while it may have to be read again, and read back at once.
KEPT_IN_MEMORY = 8 << 20
KEPT_BLOCK = 1 << 20
#: Rows of an import written directly that are handed to the COPY at once.
DIRECT_BATCH = 10_000
#: Rows read ahead when an import written directly stops for a look-up (see ``_look_up``).
LOOK_AHEAD = 50_000
#: Six-digit URNs, as the schools register holds them.
URN_RANGE = range(100_000, 1_000_000)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_FIELD_ORDER: Final = {name: order for order, name in enumerate(FIELDS, start=1)}


class Refusal(NamedTuple):
    """Why a value (or a row) is refused: for programs, and in words."""

    code: str
    problem: str


REQUIRED: Final = Refusal("required", "required")
NOT_ON_ROLL: Final = Refusal(
    "not_on_roll", "no pupil with this UPN is on this school's roll on this date"
)
NO_SUCH_SCHOOL: Final = Refusal("unknown_school", "no school with this URN")
NOT_OWN_SCHOOL: Final = Refusal("not_own_school", "not one of your schools")
BAD_URN: Final = Refusal("invalid_urn", "a URN is a six-digit number")
BAD_DATE: Final = Refusal("invalid_date", "a date is YYYY-MM-DD")
NO_SUCH_DAY: Final = Refusal("invalid_date", "not a day of the calendar")
FUTURE_DATE: Final = Refusal("future_date", "in the future")
BEFORE_CODE_SET: Final = Refusal(
    "before_code_set",
    f"before {CODES_IN_FORCE_FROM.day} {CODES_IN_FORCE_FROM:%B %Y}, when the 2024 attendance "
    "codes came into force (SI 2024/208): KPAS takes marks under the 2024 code set only",
)
BAD_SESSION: Final = Refusal("invalid_session", "AM or PM")
NOT_TEXT: Final = Refusal("invalid_type", "must be text")


# --- the report ---------------------------------------------------------------------------


@dataclass(slots=True)
class ImportProblems:
    """Problems found so far: the first ``MAX_KEPT_PROBLEMS`` by row, and how many in all."""

    #: ``(row, field order, field name, field, code, problem)``: sorted and trimmed by
    #: ``tidy``. The row's own problems come first, then its fields in their usual order.
    kept: list[tuple[int, int, str, str | None, str, str]] = field(default_factory=list)
    count: int = 0
    #: Rows with at least one problem.
    rows: int = 0

    def add(self, row: int, column: str | None, refusal: Refusal) -> None:
        self.count += 1
        order = _FIELD_ORDER.get(column, len(FIELDS) + 1) if column is not None else 0
        self.kept.append((row, order, column or "", column, *refusal))

    def add_rows(self, listed: list[tuple[int, str | None, Refusal]], total: int) -> None:
        """``total`` refused rows with one problem each, of which ``listed`` are the first."""
        for row, column, refusal in listed:
            self.add(row, column, refusal)
        self.count += total - len(listed)
        self.rows += total
        self.tidy()

    def tidy(self) -> None:
        if len(self.kept) > MAX_KEPT_PROBLEMS:
            self.kept.sort()
            del self.kept[MAX_KEPT_PROBLEMS:]

    def report(self) -> list[dict[str, Any]]:
        self.kept.sort()
        del self.kept[MAX_KEPT_PROBLEMS:]
        return [
            {"row": row, "field": column, "code": code, "problem": problem}
            for row, _, _, column, code, problem in self.kept
        ]


# --- checking rows ------------------------------------------------------------------------


class _Checks:
    """Checks rows as they arrive, remembering the verdict on each distinct value."""

    def __init__(
        self, repo: AttendanceMarksRepository, access: Access, *, text_values: bool
    ) -> None:
        self.repo = repo
        self.access = access
        self.today = access.today
        #: CSV cells are text; JSON values have types of their own.
        self.text_values = text_values
        # Values that passed, by the value as sent ...
        self.urns: dict[Any, int] = {}
        self.upns: dict[Any, str] = {}
        self.days: dict[Any, tuple[date, date]] = {}
        self.sessions: dict[Any, str] = {}
        self.codes: dict[Any, str] = {}
        # ... and those refused, with why (by the field's place in a row).
        self.refused: dict[int, dict[Any, Refusal]] = {i: {} for i in range(1, 6)}
        #: The verdict on each school the rows named: ``None`` where the caller may write.
        self.schools: dict[int, Refusal | None] = {}
        #: Schools the rows named that the caller may write for.
        self.permitted: set[int] = set()
        #: The first and last days, and the sessions, of the rows that passed.
        self.first_day = date.max
        self.last_day = date.min
        self.session_names: set[str] = set()
        self.problems = ImportProblems()

    def check(self, rows: list[RawMark], staged: list[StagedRow]) -> list[RawMark]:
        """Stage the rows that pass and report the others; hand back the rows naming a school
        not yet decided (``check_deferred`` decides them once the school is looked up)."""
        urns, upns, days, sessions, codes = (
            self.urns,
            self.upns,
            self.days,
            self.sessions,
            self.codes,
        )
        stage = staged.append
        deferred: list[RawMark] = []
        for row in rows:
            try:
                if row[6]:
                    raise KeyError
                day = days[row[3]]
                urn, upn, session, code = (
                    urns[row[1]],
                    upns[row[2]],
                    sessions[row[4]],
                    codes[row[5]],
                )
                stage((row[0], urn, upn, day[0], session, code, day[1]))
            except (KeyError, TypeError):
                # A value not seen before (or a refused one): decide it now, unless its school
                # must be looked up first.
                if self._school_decided(row[1]):
                    self._check_one(row, staged)
                else:
                    deferred.append(row)
        self._tidy()
        return deferred

    async def check_deferred(self, rows: list[RawMark], staged: list[StagedRow]) -> None:
        """The rows ``check`` handed back: look their schools up, then check them."""
        await self._learn_schools(rows)
        self.check(rows, staged)  # every school is decided now: nothing is handed back

    def _school_decided(self, raw: Any) -> bool:
        try:
            if raw in self.urns or raw in self.refused[1]:
                return True
        except TypeError:
            return True  # an unhashable value is no URN
        number = self._urn_number(raw)
        return number is None or number in self.schools

    def _tidy(self) -> None:
        self.problems.tidy()
        caches: list[dict[Any, Any]] = [self.urns, self.upns, self.days, self.sessions]
        caches += [self.codes, self.schools, *self.refused.values()]
        for cache in caches:
            if len(cache) > CACHE_LIMIT:
                cache.clear()

    def _check_one(self, row: RawMark, staged: list[StagedRow]) -> None:
        number, shape = row[0], row[6]
        problems = self.problems
        found = problems.count
        readable = True
        for column, problem in shape:
            problems.add(
                number, column, Refusal("unknown_field" if column else "invalid_row", problem)
            )
            readable = readable and column is not None
        if readable:
            urn = self._value(row, 1, self.urns, self._urn)
            upn = self._value(row, 2, self.upns, _upn)
            day = self._value(row, 3, self.days, self._day)
            session = self._value(row, 4, self.sessions, self._session)
            code = self._value(row, 5, self.codes, _code)
            if problems.count == found:
                stage: StagedRow = (number, urn, upn, day[0], session, code, day[1])
                staged.append(stage)
        if problems.count != found:
            problems.rows += 1

    def _value(
        self,
        row: RawMark,
        index: int,
        passed: dict[Any, Any],
        decide: Callable[[Any], Any],
    ) -> Any:
        """The checked value of one field of the row, or ``None`` once its problem is
        reported."""
        raw = row[index]
        try:
            return passed[raw]
        except KeyError:
            refusal = self.refused[index].get(raw)
        except TypeError:  # an unhashable JSON value (an array or an object)
            refusal = NOT_TEXT if index != 1 else BAD_URN
        if refusal is None:
            if raw is MISSING or raw is None or (isinstance(raw, str) and not raw.strip()):
                refusal = REQUIRED
            else:
                verdict = decide(raw)
                if not isinstance(verdict, Refusal):
                    passed[raw] = verdict
                    return verdict
                refusal = verdict
            self.refused[index][raw] = refusal
        self.problems.add(row[0], FIELDS[index - 1], refusal)
        return None

    # Each check returns the value to stage, or a ``Refusal``.

    def _urn_number(self, raw: Any) -> int | None:
        if self.text_values:
            text = raw.strip() if isinstance(raw, str) else ""
            number = int(text) if text.isascii() and text.isdigit() else None
        elif isinstance(raw, int) and not isinstance(raw, bool):
            number = raw
        elif isinstance(raw, float) and raw.is_integer():
            number = int(raw)
        else:
            number = None
        return number if number is not None and number in URN_RANGE else None

    async def _learn_schools(self, rows: list[RawMark]) -> None:
        """Decide once per school the rows name whether the caller may write marks for it
        (the policy's condition, on the school's record)."""
        unknown: set[int] = set()
        for row in rows:
            number = self._urn_number(row[1])
            if number is not None and number not in self.schools:
                unknown.add(number)
        if not unknown:
            return
        found = {school.urn: school for school in await self.repo.schools(unknown)}
        for number in unknown:
            school: School | None = found.get(number)
            if school is None:
                self.schools[number] = NO_SUCH_SCHOOL
            elif self.access.permits(school):
                self.schools[number] = None
                self.permitted.add(number)
            else:
                self.schools[number] = NOT_OWN_SCHOOL

    def _urn(self, raw: Any) -> int | Refusal:
        number = self._urn_number(raw)
        if number is None:
            return BAD_URN
        refusal = self.schools[number]  # decided by ``_learn_schools`` for these rows
        return number if refusal is None else refusal

    def _day(self, raw: Any) -> tuple[date, date] | Refusal:
        if not isinstance(raw, str):
            return BAD_DATE
        text = raw.strip()
        if not _ISO_DATE.fullmatch(text):
            return BAD_DATE
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return NO_SUCH_DAY
        if day > self.today:
            return FUTURE_DATE
        if day < CODES_IN_FORCE_FROM:
            return BEFORE_CODE_SET
        self.first_day = min(self.first_day, day)
        self.last_day = max(self.last_day, day)
        return day, week_start(day)

    def _session(self, raw: Any) -> str | Refusal:
        verdict = _session(raw)
        if not isinstance(verdict, Refusal):
            self.session_names.add(verdict)
        return verdict


def _upn(raw: Any) -> str | Refusal:
    if not isinstance(raw, str):
        return NOT_TEXT
    try:
        return validate_upn(raw)
    except InvalidUpn as exc:
        return Refusal("invalid_upn", str(exc))


def _session(raw: Any) -> str | Refusal:
    if not isinstance(raw, str):
        return NOT_TEXT
    try:
        return normal_session(raw).value
    except ValueError:
        return BAD_SESSION


def _code(raw: Any) -> str | Refusal:
    if not isinstance(raw, str):
        return NOT_TEXT
    code = normal_code(raw)
    try:
        classify(code)
    except CodeProblem as exc:
        return Refusal("retired_code" if code in RETIRED_CODES else "unknown_code", str(exc))
    return code


# --- receiving ----------------------------------------------------------------------------


@dataclass(slots=True)
class WrittenMarks:
    """The marks of an import written straight into the marks as it streamed in, inside a
    savepoint that ``apply_import`` releases (or ``discard_import`` rolls back)."""

    import_id: uuid.UUID
    now: datetime
    savepoint: AsyncTransaction
    #: The school weeks the marks fall in, for the worker's queue.
    weeks: set[tuple[int, date]]


@dataclass(slots=True)
class ReceivedImport:
    """An import read to its end and checked row by row, its valid rows staged (or, for an
    import of new marks only on PostgreSQL, already written: ``written``)."""

    media_type: str
    content_sha256: str
    rows: int
    staged: int
    school_urns: frozenset[int]
    #: The first and last days, and the sessions, of the rows that passed.
    days: tuple[date, date]
    sessions: frozenset[str]
    problems: ImportProblems
    staging: Staging
    written: WrittenMarks | None = None


class _Body:
    """The request body as it streams in: its size held to the limit and its digest taken
    once, however often it is read. While an import is written directly (``keep``), what
    was read is kept aside (in memory, then a temporary file), so the import can be read
    again from its start should it have to take the staged path after all."""

    def __init__(self, chunks: AsyncIterator[bytes], max_bytes: int, *, keep: bool) -> None:
        self._source = aiter(chunks)
        self.max_bytes = max_bytes
        self.size = 0
        self.digest = hashlib.sha256()
        self._kept: IO[bytes] | None = (
            # Closed by ``chunks`` or ``close``.
            tempfile.SpooledTemporaryFile(max_size=KEPT_IN_MEMORY)  # noqa: SIM115
            if keep
            else None
        )

    async def next(self) -> bytes | None:
        """The next chunk of the body, or None at its end."""
        try:
            chunk = await anext(self._source)
        except StopAsyncIteration:
            return None
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise PayloadTooLarge(f"The request body exceeds the limit of {self.max_bytes} bytes.")
        self.digest.update(chunk)
        if self._kept is not None:
            self._kept.write(chunk)
        return chunk

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body from its start: what was kept aside, then the rest as it arrives."""
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.seek(0)
            while block := kept.read(KEPT_BLOCK):
                yield block
            kept.close()
        while (chunk := await self.next()) is not None:
            yield chunk

    def close(self) -> None:
        if self._kept is not None:
            self._kept.close()
            self._kept = None


async def receive_import(
    session: AsyncSession,
    access: Access,
    *,
    chunks: AsyncIterator[bytes],
    media_type: str,
    max_bytes: int,
    direct: bool = False,
) -> ReceivedImport:
    """Read the body as it streams in, check each row and stage the valid ones. Raises for a
    body that cannot be read as an import at all (nothing is kept of it) and for one over
    ``max_bytes`` (413).

    ``direct`` (an import to be applied, not only validated): on PostgreSQL the rows are
    written straight into the marks as they arrive, for as long as every row is a new mark
    of a pupil on that school's roll (``_DirectWrite``). At the first row that is not, the
    marks written are rolled back and the import is read again from its start and staged,
    exactly as without ``direct``."""
    repo = AttendanceMarksRepository(session)
    await hold_partitions_steady(session)
    body = _Body(chunks, max_bytes, keep=direct and repo.dialect == "postgresql")
    try:
        if direct and repo.dialect == "postgresql":
            written = await _DirectWrite(repo, access, body, media_type).run()
            if written is not None:
                return written
        return await _receive_staged(repo, access, body, media_type)
    finally:
        body.close()


async def _receive_staged(
    repo: AttendanceMarksRepository, access: Access, body: _Body, media_type: str
) -> ReceivedImport:
    reader = _reader(media_type)
    checks = _Checks(repo, access, text_values=media_type == CSV_MEDIA_TYPE)
    staging = await repo.open_staging()
    staged = 0
    batch: list[StagedRow] = []

    async def take(rows: list[RawMark], *, last: bool = False) -> None:
        nonlocal batch, staged
        deferred = checks.check(rows, batch)
        if deferred:
            await checks.check_deferred(deferred, batch)
        if len(batch) >= STAGE_BATCH or last:
            await repo.stage(staging, batch)
            staged += len(batch)
            batch = []

    async for chunk in body.chunks():
        rows = reader.feed(chunk)
        if rows:
            await take(rows)
    await take(reader.close(), last=True)
    if reader.rows == 0:
        raise ValidationFailed("The import has no marks: send at least one row.")
    return ReceivedImport(
        media_type=media_type,
        content_sha256=body.digest.hexdigest(),
        rows=reader.rows,
        staged=staged,
        school_urns=frozenset(checks.permitted),
        days=(checks.first_day, checks.last_day),
        sessions=frozenset(checks.session_names),
        problems=checks.problems,
        staging=staging,
    )


def _reader(media_type: str) -> CsvMarkReader | JsonMarkReader:
    return CsvMarkReader() if media_type == CSV_MEDIA_TYPE else JsonMarkReader()


#: Why a direct write stopped short of a row: it needs the database first (a school or a
#: day not met yet), or the row cannot be written directly at all.
_NEEDS_LOOKUP: Final = "needs_lookup"
_NOT_DIRECT: Final = "not_direct"
_UNDECIDED: Final[Any] = object()


class _DirectWrite:
    """An import written straight into the marks as it streams in (PostgreSQL): each row is
    checked, matched to its pupil on the school's roll (held in memory, one school at a time
    as rows name it) and handed to one binary ``COPY`` while the next rows are read, so
    reading and checking the import overlaps the server's writing of it.

    It holds for the daily import alone, every row a new mark of a pupil on that school's
    roll: schools are locked and their rolls read the first time a row names them, and
    KPAS's marks are looked up the first time a row names a school, day and session
    (found: the import corrects marks, and takes the staged path). A COPY lasts until a row
    needs such a look-up; then the next starts. Everything is written inside a savepoint:
    at the first row that is refused for any reason (a check, no pupil on the roll, a
    school locked by another writer out of URN order), or should the mark's key refuse a
    row (two rows for one mark), the savepoint is rolled back and ``run`` answers None: the
    import is then read again from its start and staged (``_receive_staged``), which finds
    and reports what is wrong as it always has."""

    def __init__(
        self, repo: AttendanceMarksRepository, access: Access, body: _Body, media_type: str
    ) -> None:
        self.repo = repo
        self.body = body
        self.media_type = media_type
        self.reader = _reader(media_type)
        self.checks = _Checks(repo, access, text_values=media_type == CSV_MEDIA_TYPE)
        self.import_id = uuid.uuid4()
        self.now = utcnow()
        self.encoder = MarkEncoder(self.import_id, self.now)
        #: The locked schools' rolls: UPN (also as sent, once seen) -> the roll's entries
        #: for it, the oldest record first.
        self.rolls: dict[int, dict[Any, list[RollEntry]]] = {}
        #: (school, day, session) with no stored mark, checked, and its piece of a row ...
        self.clear: dict[tuple[int, date, str], bytes] = {}
        #: ... those with one ...
        self.held: set[tuple[int, date, str]] = set()
        #: ... and by (school, date as sent, session as sent), once a row was written there:
        #: the day and that piece.
        self.approved: dict[tuple[int, Any, Any], tuple[date, bytes]] = {}
        #: The last piece of a row by the code as sent.
        self.tails: dict[Any, bytes] = {}
        #: Rows read and not yet written.
        self.pending: list[RawMark] = []
        self.read_all = False
        self.done = False
        self.stopped: str | None = None
        self.written = 0
        #: A problem with the body itself, raised once the COPY has ended.
        self.failure: Exception | None = None

    async def run(self) -> ReceivedImport | None:
        # A savepoint of the connection's own (releasing it is no commit of the session's).
        savepoint = await (await self.repo.session.connection()).begin_nested()
        try:
            written = await self._write()
        except BaseException:
            if savepoint.is_active:
                await savepoint.rollback()
            raise
        if not written:
            await savepoint.rollback()
            return None
        checks = self.checks
        return ReceivedImport(
            media_type=self.media_type,
            content_sha256=self.body.digest.hexdigest(),
            rows=self.reader.rows,
            staged=self.written,
            school_urns=frozenset(checks.permitted),
            days=(checks.first_day, checks.last_day),
            sessions=frozenset(checks.session_names),
            problems=checks.problems,
            staging=Staging(),
            written=WrittenMarks(self.import_id, self.now, savepoint, self._weeks()),
        )

    def _weeks(self) -> set[tuple[int, date]]:
        """The school weeks the marks written fall in."""
        return {(urn, week_start(day)) for (urn, _, _), (day, _) in self.approved.items()}

    async def _write(self) -> bool:
        while True:
            self.stopped = None
            if not await self.repo.copy_marks(self._rows()):
                return False  # the mark's key refused a row
            if self.failure is not None:
                raise self.failure
            if self.done:
                if self.reader.rows == 0:
                    raise ValidationFailed("The import has no marks: send at least one row.")
                return True
            if self.stopped == _NOT_DIRECT or not await self._look_up():
                return False

    async def _rows(self) -> AsyncIterator[bytes]:
        """The marks of the rows as they are read, a few thousand at a time, until a row
        needs a look-up (or cannot be written directly, or the body ends)."""
        while True:
            if not self.pending:
                if self.read_all:
                    self.done = True
                    return
                try:
                    await self._read()
                except Exception as exc:  # raised once the COPY has ended
                    self.failure = exc
                    return
            pending = self.pending
            for first in range(0, len(pending), DIRECT_BATCH):
                pieces, stop = self._convert(pending, first, first + DIRECT_BATCH)
                self.written += len(pieces) // 4
                if pieces:
                    yield b"".join(pieces)
                if stop is not None:
                    self.pending = pending[stop:]
                    return
            self.pending = []

    def _convert(self, rows: list[RawMark], first: int, end: int) -> tuple[list[bytes], int | None]:
        """The marks of ``rows[first:end]`` as COPY pieces (four a row), up to the first
        row that needs a look-up or cannot be written directly (its index; None when every
        row gave a mark). The hot path: a few dictionary look-ups per row of values met
        before."""
        urns, approved, rolls, tails = self.checks.urns, self.approved, self.rolls, self.tails
        start = MarkEncoder.ROW_START
        pieces: list[bytes] = []
        append = pieces.append
        for index, row in enumerate(islice(rows, first, end), first):
            try:
                if row[6]:
                    raise KeyError
                urn = urns[row[1]]
                day, place = approved[urn, row[3], row[4]]
                for entry in rolls[urn][row[2]]:
                    if entry[1] <= day and (entry[2] is None or day < entry[2]):
                        break
                else:
                    raise KeyError
                tail = tails[row[5]]
                append(start)
                append(entry[0].bytes)
                append(place)
                append(tail)
            except (KeyError, TypeError):
                if not self._one(row, append):
                    return pieces, index
        return pieces, None

    def _one(self, row: RawMark, append: Callable[[bytes], None]) -> bool:
        """Append the mark of a row ``_convert`` could not take at once (a value not met
        before); False, with ``stopped`` saying why, when it cannot be written yet."""
        checks = self.checks
        if row[6] or not checks._school_decided(row[1]):
            self.stopped = _NOT_DIRECT if row[6] else _NEEDS_LOOKUP
            return False
        staged: list[StagedRow] = []
        checks._check_one(row, staged)
        if not staged:
            self.stopped = _NOT_DIRECT  # refused: the staged path reports why
            return False
        _, urn, upn, day, session, code, _ = staged[0]
        place = self.clear.get((urn, day, session))
        if place is None:
            # A mark already held there: the import corrects marks (the staged path).
            held = (urn, day, session) in self.held
            self.stopped = _NOT_DIRECT if held else _NEEDS_LOOKUP
            return False
        self.approved[urn, row[3], row[4]] = (day, place)
        if row[5] not in self.tails:
            self.tails[row[5]] = self.encoder.code(code)
        roll = self.rolls[urn]
        for pupil, start, end in roll.get(upn, ()):
            if start <= day and (end is None or day < end):
                roll[row[2]] = roll[upn]  # the UPN as sent, met again
                append(MarkEncoder.ROW_START)
                append(pupil.bytes)
                append(place)
                append(self.tails[row[5]])
                return True
        self.stopped = _NOT_DIRECT  # on no roll: the staged path reports it
        return False

    async def _look_up(self) -> bool:
        """What the pending rows need before they are written: their schools decided (and
        those the caller may write for locked, their rolls read), and KPAS's marks looked
        for on their days and sessions not met yet. False when the import cannot be written
        directly: a school another writer holds, met out of URN order. (A row where KPAS
        holds a mark already is found when it is met: ``_one``.)"""
        # Read ahead, so that one look-up serves the rows to come too (each look-up stops
        # the COPY: the fewer, the less the server waits).
        while len(self.pending) < LOOK_AHEAD and not self.read_all:
            await self._read()
        rows, checks = self.pending, self.checks
        named: list[tuple[Any, Any, Any]] = []
        try:
            named = list({(row[1], row[3], row[4]) for row in rows})
        except TypeError:  # an unhashable JSON value: its row is refused when met
            named = [key for row in rows if _hashable(key := (row[1], row[3], row[4]))]
        schools = {urn for urn, _, _ in named}
        await checks._learn_schools([(0, urn, None, None, None, None, ()) for urn in schools])
        new = sorted(checks.permitted - self.rolls.keys())
        if new:
            # Schools are locked in URN order; one below a school already held is not waited
            # for (two imports waiting on each other's schools would deadlock).
            held = max(self.rolls, default=0)
            if not await self.repo.lock_schools(new, nowait=new[0] < held):
                return False
            self.rolls.update(await self.repo.rolls(new))
        # KPAS's marks are looked for on every day and session the rows name, at every
        # school held, in one go: a new day, or a new school, stops the COPY once.
        days = {day for _, raw, _ in named if (day := self._day(raw)) is not None}
        sessions = {name for _, _, raw in named if (name := self._session(raw)) is not None}
        wanted = {
            (school, day, session) for school in self.rolls for day in days for session in sessions
        }
        wanted -= self.clear.keys() | self.held
        if wanted:
            found = await self.repo.marks_held_at(wanted)
            self.held |= found
            for school, day, session in wanted - found:
                self.clear[school, day, session] = self.encoder.place(day, session, school)
        return True

    async def _read(self) -> None:
        """The rows of the body's next chunk, added to those pending (the last at its end)."""
        chunk = await self.body.next()
        if chunk is None:
            self.read_all = True
            self.pending.extend(self.reader.close())
        else:
            self.pending.extend(self.reader.feed(chunk))

    # The checked value of a field as sent, as ``_Checks`` would give it, or None.

    def _urn(self, raw: Any) -> int | None:
        checks = self.checks
        if raw in checks.urns:
            return checks.urns[raw]
        number = checks._urn_number(raw)
        if number is None or checks.schools.get(number, _UNDECIDED) is not None:
            return None
        checks.urns[raw] = number
        return number

    def _day(self, raw: Any) -> date | None:
        verdict = _remembered(self.checks.days, raw, self.checks._day)
        return None if verdict is None else verdict[0]

    def _session(self, raw: Any) -> str | None:
        session: str | None = _remembered(self.checks.sessions, raw, self.checks._session)
        return session


def _remembered(cache: dict[Any, Any], raw: Any, check: Callable[[Any], Any]) -> Any:
    """``check``'s verdict on ``raw``, remembered in ``cache``; None for a refusal (which is
    not remembered: the row is refused when it is met)."""
    if raw not in cache:
        verdict = check(raw)
        if isinstance(verdict, Refusal):
            return None
        cache[raw] = verdict
    return cache[raw]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


async def discard_import(session: AsyncSession, received: ReceivedImport) -> None:
    """Drop what was staged (or undo what was written) for an import that is not applied
    (an idempotent replay)."""
    written, received.written = received.written, None
    if written is not None and written.savepoint.is_active:
        await written.savepoint.rollback()
    await AttendanceMarksRepository(session).close_staging(received.staging)


# --- applying -----------------------------------------------------------------------------


async def validate_import(
    session: AsyncSession,
    access: Access,
    received: ReceivedImport,
    *,
    mode: ImportMode,
    instance: str,
) -> AttendanceImportCheck | ImportRejection:
    """What ``apply_import`` would do, with nothing kept: no mark, no history, no queued week,
    no report, no change event (the policy decision is recorded as for any request). The
    import is applied in a savepoint that is rolled back, so the answer is the real one: the
    counts and problems, or the 422 of an import that would be rejected."""
    if received.written is not None:
        raise ValueError("An import received to be written directly cannot be validated.")
    staged_before = list(received.staging.created)
    answer: AttendanceImportCheck | ImportRejection
    async with rehearsal(session):
        record = await apply_import(session, access, received, mode=mode, validate_only=True)
        if record.status is ImportStatus.REJECTED:
            answer = ImportRejection.of_check(record, instance=instance)
        else:
            answer = AttendanceImportCheck.of(record)
    # The rollback brought back the staging tables the import dropped: drop them again.
    received.staging.created[:] = staged_before
    await discard_import(session, received)
    return answer


async def apply_import(
    session: AsyncSession,
    access: Access,
    received: ReceivedImport,
    *,
    mode: ImportMode,
    validate_only: bool = False,
) -> AttendanceImport:
    """Check the staged rows against the schools' rolls and each other, keep the import's
    report, and apply the marks unless the import is rejected. Audited once.
    (``validate_only`` only names the log line: ``validate_import`` undoes the rest.)"""
    repo = AttendanceMarksRepository(session)
    staging = received.staging
    problems = received.problems
    urns = sorted(received.school_urns)
    import_id, now = uuid.uuid4(), utcnow()
    await repo.lock_schools(urns)
    matched = 0
    new_marks_written = all_new = False
    written, received.written = received.written, None
    # The daily import: marks for a registration KPAS holds nothing of yet. Decided under the
    # schools' locks, so no other import can add a mark there before this one writes.
    daily = received.staged and not problems.count
    if written is not None:
        # Written as it streamed in (``_DirectWrite``), the schools held since.
        import_id, now = written.import_id, written.now
        await written.savepoint.commit()
        await repo.queue_weeks(written.weeks, now=now)
        all_new, matched = True, received.staged
    elif daily and not await repo.any_marks(urns, received.days, received.sessions):
        all_new = await repo.insert_all_new(
            staging, urns, staged=received.staged, import_id=import_id, now=now
        )
        matched = received.staged if all_new else 0
    if received.staged and not all_new:
        matched = await repo.match_pupils(staging, urns, received.days)
        if matched < received.staged:
            listed = await repo.unmatched(staging, limit=MAX_KEPT_PROBLEMS)
            unmatched = received.staged - matched
            problems.add_rows([(row, "upn", NOT_ON_ROLL) for row in listed], unmatched)
        clean = not problems.count and not await repo.any_stored_repeats(staging)
        if clean:
            # The usual import, every row good so far: write its new marks at once. Rows
            # repeating each other for a new mark fail on the mark's key; only then are
            # repeats looked for, a pass over the whole import a clean import is spared.
            new_marks_written = await repo.insert_new_marks(staging, import_id=import_id, now=now)
        if not new_marks_written:
            repeated, repeats = await repo.remove_repeats(staging, limit=MAX_KEPT_PROBLEMS)
            if clean and not repeated:
                raise Conflict("Marks of this import were written meanwhile; send it again.")
            problems.add_rows([(row, None, _repeat_of(first)) for row, first in repeats], repeated)
            matched -= repeated
    if not problems.count:
        status = ImportStatus.APPLIED
    elif mode is ImportMode.PARTIAL and matched:
        status = ImportStatus.PARTIALLY_APPLIED
    else:
        status = ImportStatus.REJECTED
    applying = status is not ImportStatus.REJECTED
    if all_new:
        outcome = Outcome(created=matched, replaced=0, unchanged=0)
    else:
        outcome = await repo.outcome(staging) if applying else Outcome(0, 0, 0)
    record = await repo.add_import(
        AttendanceImport(
            id=import_id,
            submitted_by=access.principal.subject,
            received_at=access.now,
            mode=mode,
            status=status,
            media_type=received.media_type,
            content_sha256=received.content_sha256,
            school_urns=urns,
            rows_received=received.rows,
            rows_applied=matched if applying else 0,
            rows_refused=problems.rows,
            marks_created=outcome.created,
            marks_replaced=outcome.replaced,
            marks_unchanged=outcome.unchanged,
            problems=problems.report(),
            problem_count=problems.count,
        )
    )
    written_now = outcome.created and not (new_marks_written or all_new)
    if written_now and not await repo.insert_new_marks(staging, import_id=import_id, now=now):
        raise Conflict("Marks of this import were written meanwhile; send it again.")
    if applying and not all_new:
        await repo.apply_changes(staging, outcome, import_id=import_id, now=now)
    await repo.close_staging(staging)
    counts: dict[str, str | int | bool | None] = {
        "status": status.value,
        "mode": mode.value,
        "schools": len(urns),
        "rows_received": received.rows,
        "rows_applied": record.rows_applied,
        "rows_refused": problems.rows,
        "marks_created": outcome.created,
        "marks_replaced": outcome.replaced,
        "marks_unchanged": outcome.unchanged,
        "problem_count": problems.count,
    }
    access.record_change("attendance_marks.imported", resource_id=import_id, details=counts)
    if validate_only:
        log.info("attendance_import_validated", **counts)
    else:
        log.info("attendance_import", import_id=str(import_id), **counts)
    return record


def _repeat_of(first: int) -> Refusal:
    return Refusal("repeated_row", f"same pupil, date and session as row {first}")


async def get_import(
    session: AsyncSession, access: Access, *, import_id: uuid.UUID
) -> AttendanceImport:
    """An import's report, for those the ``attendance_imports.*`` rules let see it (404 for
    anyone else)."""
    record = await AttendanceMarksRepository(session).get_import(import_id, visible=access.filter())
    if record is None:
        raise access.not_found(import_id, f"No attendance import with id {import_id}.")
    return record


async def list_imports(
    session: AsyncSession, access: Access, *, query: ImportQuery, page: PageRequest
) -> tuple[list[AttendanceImport], str | None]:
    """Past imports the caller may see, newest first: the decision's filter travels into the
    one query, so another school's imports are never read."""
    return await AttendanceImportRepository(session).page(query, page=page, visible=access.filter())
