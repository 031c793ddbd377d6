"""Reading attendance marks from an import body as it streams in, JSON or CSV.

A reader is fed the body chunk by chunk (``feed``) and hands back the rows completed so far;
``close`` ends the body. Chunks may split a row, a token or a multi-byte character anywhere.
Only the unfinished tail of the body is held, never the rows already handed back, so memory
stays flat however long the import.

Rows are plain tuples, ``(number, school_urn, upn, date, session, code, shape)``: they are
the hot path of an import, and a tuple costs least. ``number`` is the row's place in the
import (the array index + 1 in JSON; in CSV, 1 is the first row after the header). A field
the row leaves out is ``MISSING``. ``shape`` lists what is wrong with the row's form as
``(field, problem)`` pairs, usually none: a field that is not a field of a mark, or (with
field ``None``) a row that cannot be read as a mark at all, whose values are then all
``MISSING``. Values are as sent: checking them is the import's job. Problems with the body as
a whole (not JSON, no ``marks`` array, a bad CSV header) are raised at once, and never repeat
what was sent.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import json.scanner
import re
from collections import Counter
from collections.abc import Callable
from typing import Any, Final, cast

from app.errors import InvalidRequest, ValidationFailed, body_problem

#: The fields of a mark, in the order of a row's values.
FIELDS: Final = ("school_urn", "upn", "date", "session", "code")
CSV_COLUMNS: Final = frozenset(FIELDS)


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: A field the row leaves out (a JSON key not given).
MISSING: Final[Any] = _Missing()

#: What is wrong with a row's form: ``(field, problem)`` pairs; field ``None`` for the row.
Shape = tuple[tuple[str | None, str], ...]
#: One row: ``(number, school_urn, upn, date, session, code, shape)``.
RawMark = tuple[int, Any, Any, Any, Any, Any, Shape]

_WELL_FORMED: Final[Shape] = ()
NOT_AN_OBJECT: Final[Shape] = (
    (None, "not an object with school_urn, upn, date, session and code"),
)
UNKNOWN_FIELD = "not a field of a mark"
_NO_VALUES: Final = (MISSING,) * len(FIELDS)

#: A JSON mark is about 100 characters, a CSV row about 40: anything this long is refused
#: rather than held while waiting for its end.
MAX_ROW_CHARS = 16_384
_NOT_WHITESPACE = re.compile(r"[^ \t\n\r]")
_SPACES = frozenset(" \t\n\r")
#: A value that starts like JSON (so a body that is JSON, but not an object).
_JSON_START = frozenset('["-0123456789tfn')


def _not_json(detail: str = "") -> InvalidRequest:
    return InvalidRequest(f"The request body is not valid JSON{detail}.")


class JsonMarkReader:
    """Reads ``{"marks": [{...}, ...]}`` as it arrives.

    The document's frame (the object, its one key, the array and its commas) is followed
    here; each element is decoded whole by the standard library's C scanner, which is about
    three times faster than an event-by-event streaming parser for rows this small.
    """

    # What the reader expects next.
    _OPEN = "open"  # the document's "{"
    _KEY = "key"  # a key, or "}" of an empty object
    _COLON = "colon"
    _ARRAY = "array"  # "[" of the marks
    _FIRST = "first"  # the first element, or "]"
    _ELEMENT = "element"  # an element after a comma
    _COMMA = "comma"  # "," or "]"
    _AFTER = "after"  # "," (another key) or "}" after the marks
    _END = "end"  # nothing but whitespace

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        # The decoder's C scanner itself: ``raw_decode`` wraps it in Python, which costs more
        # than the scan for values this small. It raises StopIteration where no value starts.
        self._scan: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
            cast(Any, json.JSONDecoder())  # the stub's parameter type is wrong
        )
        self._text = ""
        self._state = self._OPEN
        self._rows = 0
        self._seen_marks = False
        #: Characters of the unfinished value that must be held before scanning it again.
        self._retry_at = 0
        #: Characters already consumed before ``_text`` (for error offsets).
        self._consumed = 0

    @property
    def rows(self) -> int:
        """Rows read so far."""
        return self._rows

    def feed(self, chunk: bytes) -> list[RawMark]:
        try:
            decoded = self._decoder.decode(chunk)
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not valid UTF-8.") from None
        self._text = self._text + decoded if self._text else decoded
        return self._read(final=False)

    def close(self) -> list[RawMark]:
        try:
            tail = self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidRequest("The request body is not valid UTF-8.") from None
        self._text += tail
        rows = self._read(final=True)
        if self._state == self._OPEN:
            raise _not_json(": the body is empty")
        if self._state != self._END:
            raise _not_json(": it ends before the document does")
        return rows

    def _read(self, *, final: bool) -> list[RawMark]:
        rows: list[RawMark] = []
        text = self._text
        size = len(text)
        pos = 0
        if self._retry_at and size < self._retry_at and not final:
            return rows  # still waiting for the end of a value
        self._retry_at = 0
        skip = _NOT_WHITESPACE.search
        scan = self._scan
        state = self._state
        append = rows.append
        number = self._rows
        while True:
            found = skip(text, pos)
            if found is None:
                pos = size
                break
            pos = found.start()
            if state == self._FIRST and text[pos] == "]":
                state = self._AFTER
                pos += 1
            elif state == self._ELEMENT or state == self._FIRST:
                # The marks, one after another (the hot path): each is scanned whole and the
                # comma after it taken at once.
                while True:
                    try:
                        value, end = scan(text, pos)
                    except (StopIteration, ValueError, RecursionError):
                        end = -1
                    if end < 0 or (end >= size and not final):
                        # Unfinished (or a bare number that may go on): wait for more, unless
                        # the value is already longer than any mark can be.
                        if final or size - pos > MAX_ROW_CHARS:
                            self._fail(pos, final)
                        self._retry_at = min(2 * (size - pos), MAX_ROW_CHARS) + 1
                        state = self._ELEMENT
                        break
                    number += 1
                    append(_json_row(number, value))
                    pos = end
                    state = self._COMMA
                    if end < size and text[end] == ",":
                        pos = end + 1
                        state = self._ELEMENT
                        if pos < size and text[pos] not in _SPACES:
                            continue
                    break
                if self._retry_at:
                    break
            elif state == self._COMMA:
                char = text[pos]
                if char == ",":
                    state = self._ELEMENT
                elif char == "]":
                    state = self._AFTER
                else:
                    self._fail(pos, True)
                pos += 1
            else:
                self._state, self._rows = state, number
                pos = self._frame(text, pos, final)
                state, number = self._state, self._rows
                if pos < 0:
                    pos = -pos - 1
                    break
        self._state = state
        self._rows = number
        self._consumed += pos
        self._text = text[pos:]
        return rows

    def _frame(self, text: str, pos: int, final: bool) -> int:
        """One step through the document's frame at ``pos`` (not whitespace): the position
        after it, or ``-(pos + 1)`` when more text is needed first."""
        char = text[pos]
        state = self._state
        if state == self._OPEN:
            if char != "{":
                if char in _JSON_START:
                    raise _top_level("The body must be a JSON object with a `marks` array.")
                self._fail(pos, True)
            self._state = self._KEY
            return pos + 1
        if state == self._KEY:
            if char == "}" and not self._seen_marks:
                self._state = self._END
                return pos + 1
            if char != '"':
                self._fail(pos, True)
            try:
                key, end = self._scan(text, pos)
            except (StopIteration, ValueError, RecursionError):
                if final or len(text) - pos > MAX_ROW_CHARS:
                    self._fail(pos, final)
                return -(pos + 1)
            if key != "marks":
                raise _top_level("Not a field of an import.", pointer="/" + _escape(key))
            if self._seen_marks:
                raise _top_level("`marks` is given twice.", pointer="/marks")
            self._seen_marks = True
            self._state = self._COLON
            return end
        if state == self._COLON:
            if char != ":":
                self._fail(pos, True)
            self._state = self._ARRAY
            return pos + 1
        if state == self._ARRAY:
            if char != "[":
                raise _top_level("`marks` must be an array of marks.", pointer="/marks")
            self._state = self._FIRST
            return pos + 1
        if state == self._AFTER:
            if char == "}":
                self._state = self._END
            elif char == ",":
                self._state = self._KEY
            else:
                self._fail(pos, True)
            return pos + 1
        # _END: only whitespace may follow the document.
        self._fail(pos, True)
        raise AssertionError("unreachable")

    def _fail(self, pos: int, final: bool) -> None:
        where = f" (near character {self._consumed + pos + 1})"
        if not final:
            raise _not_json(f", or a mark is over {MAX_ROW_CHARS} characters{where}")
        raise _not_json(where)


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")[:100]


def _top_level(problem: str, *, pointer: str = "") -> ValidationFailed:
    return ValidationFailed(
        f"The import was not read: {problem}",
        errors=[body_problem(pointer, problem, "invalid_import")],
    )


def _json_row(number: int, value: Any) -> RawMark:
    if type(value) is dict:
        if len(value) == 5:
            try:
                return (
                    number,
                    value["school_urn"],
                    value["upn"],
                    value["date"],
                    value["session"],
                    value["code"],
                    _WELL_FORMED,
                )
            except KeyError:
                pass
        get = value.get
        return (
            number,
            get("school_urn", MISSING),
            get("upn", MISSING),
            get("date", MISSING),
            get("session", MISSING),
            get("code", MISSING),
            tuple((key[:100], UNKNOWN_FIELD) for key in value if key not in CSV_COLUMNS),
        )
    return (number, *_NO_VALUES, NOT_AN_OBJECT)


class CsvMarkReader:
    """Reads a CSV import as it arrives: UTF-8 (a byte order mark allowed), a header row
    naming ``school_urn, upn, date, session, code`` in any order and any case, then one row
    per mark. CRLF, LF or CR line endings; blank lines are skipped and not numbered."""

    def __init__(self) -> None:
        # ``utf-8-sig`` drops a byte order mark, even one split across chunks.
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._pending = ""
        self._columns: tuple[int, int, int, int, int] | None = None
        self._width = 0
        self._rows = 0

    @property
    def rows(self) -> int:
        return self._rows

    def feed(self, chunk: bytes) -> list[RawMark]:
        try:
            text = self._pending + self._decoder.decode(chunk)
        except UnicodeDecodeError:
            raise InvalidRequest("The CSV import is not valid UTF-8.") from None
        cut = _complete_records(text)
        self._pending = text[cut:]
        if len(self._pending) > MAX_ROW_CHARS:
            raise InvalidRequest(
                f"A CSV row is over {MAX_ROW_CHARS} characters, or a quoted cell is never closed."
            )
        return self._records(text[:cut]) if cut else []

    def close(self) -> list[RawMark]:
        try:
            text = self._pending + self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidRequest("The CSV import is not valid UTF-8.") from None
        self._pending = ""
        rows = self._records(text) if text else []
        if self._columns is None:
            raise _top_level("The CSV import has no header row.")
        return rows

    def _records(self, text: str) -> list[RawMark]:
        rows: list[RawMark] = []
        append = rows.append
        records = csv.reader(io.StringIO(text, newline=""), strict=True)
        number = self._rows
        try:
            if self._columns is None:
                for record in records:
                    if record:
                        self._columns = _header(record)
                        self._width = len(record)
                        break
            if self._columns is not None:
                urn_at, upn_at, date_at, session_at, code_at = self._columns
                width = self._width
                for record in records:
                    if len(record) == width:
                        number += 1
                        append(
                            (
                                number,
                                record[urn_at],
                                record[upn_at],
                                record[date_at],
                                record[session_at],
                                record[code_at],
                                _WELL_FORMED,
                            )
                        )
                    elif record:  # a blank line is no row
                        number += 1
                        problem = f"{len(record)} cells where the header has {width}"
                        append((number, *_NO_VALUES, ((None, problem),)))
        except csv.Error:
            raise InvalidRequest(
                f"The request body is not a readable CSV file (after row {number})."
            ) from None
        self._rows = number
        return rows

    @property
    def width(self) -> int:
        """Cells in the header row."""
        return self._width


def _complete_records(text: str) -> int:
    """Where the last complete record of ``text`` ends: after a line break outside quotes.

    A line break inside a quoted cell does not end the record. Quotes inside a quoted cell
    are doubled, so the break is outside quotes exactly when the quotes before it are even.
    """
    cut = max(text.rfind("\n"), text.rfind("\r")) + 1
    quotes = text.count('"')
    if not quotes:
        return cut
    after = text.count('"', cut)
    while cut > 0 and (quotes - after) % 2:
        earlier = max(text.rfind("\n", 0, cut - 1), text.rfind("\r", 0, cut - 1)) + 1
        after += text.count('"', earlier, cut)
        cut = earlier
    return cut


def _header(record: list[str]) -> tuple[int, int, int, int, int]:
    """Where each field's column is, in the order of ``FIELDS``."""
    names = [name.strip().lower() for name in record]
    errors = []
    for name in sorted(set(names) - CSV_COLUMNS):
        errors.append(_column_problem(name, "not a column of an import", "unknown_column"))
    for name in sorted(n for n, times in Counter(names).items() if times > 1):
        errors.append(_column_problem(name, "twice in the header", "duplicate_column"))
    for name in sorted(CSV_COLUMNS - set(names)):
        errors.append(_column_problem(name, "missing from the header", "missing_column"))
    if errors:
        raise ValidationFailed(
            "The CSV header must name the columns school_urn, upn, date, session and code.",
            errors=errors,
        )
    urn_at, upn_at, date_at, session_at, code_at = (names.index(name) for name in FIELDS)
    return urn_at, upn_at, date_at, session_at, code_at


def _column_problem(name: str, problem: str, code: str) -> dict[str, Any]:
    # A column name is not personal data, but an unknown one may be anything: bound it.
    column = name[:60]
    return {**body_problem("", f"Column {column!r}: {problem}.", code), "field": column}
