"""CSV for people to open in a spreadsheet: every CSV the service exports is written here.

Each cell that a spreadsheet would run as a formula (text beginning with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return; see ``app.rules.formulas``) is written with a single quote
in front, as OWASP advises, so it opens as the text it is. Cells that are not text (numbers,
dates, booleans) are written as they are: a negative number stays a number. So a value that
must stay numeric is passed as a number, never as text; text that merely looks like a number
(a phone number in E.164, ``+44...``) gains the quote like any other text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from app.rules.formulas import is_formula_like

#: Excel reads a UTF-8 file as UTF-8 only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"
#: Rows per chunk when streaming a file.
CHUNK_ROWS = 500


class _TextSink(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: object) -> object:
    """``value`` as it may be written to a spreadsheet: formula-like text gets a leading
    single quote; anything that is not text is returned unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


class SpreadsheetWriter:
    """``csv.writer`` (RFC 4180: comma, double quotes, CRLF) that neutralises every cell,
    header included."""

    def __init__(self, sink: _TextSink) -> None:
        self._writer = csv.writer(sink, lineterminator="\r\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(header: Sequence[str], rows: Iterable[Iterable[object]]) -> str:
    """A whole CSV file as text (no byte order mark), for small exports and tests."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_chunks(
    header: Sequence[str], rows: Iterable[Iterable[object]], *, bom: bool = True
) -> Iterator[bytes]:
    """A CSV file as UTF-8 chunks of ``CHUNK_ROWS`` rows, for a streamed response: memory stays
    flat however many rows. Starts with a byte order mark unless ``bom`` is false."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    if bom:
        buffer.write(UTF8_BOM)
    writer.writerow(header)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending == CHUNK_ROWS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail.encode("utf-8")
