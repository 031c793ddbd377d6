"""Every CSV the service exports is safe to open in a spreadsheet: formula-like text gains a
leading single quote (OWASP), everything else is written as it is."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from app.exports.spreadsheets import (
    CHUNK_ROWS,
    UTF8_BOM,
    SpreadsheetWriter,
    csv_chunks,
    csv_text,
    safe_cell,
)


def read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://attacker.example")', '\'=HYPERLINK("http://attacker.example")'),
        ("+447700900123", "'+447700900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("Zoë O\u2019Keeffe", "Zoë O\u2019Keeffe"),
        ("1 High Street", "1 High Street"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_like_text_is_quoted_and_other_text_is_not(cell: str, written: str) -> None:
    assert safe_cell(cell) == written


@pytest.mark.parametrize("value", [-5, -2.5, 0, Decimal("-1.10"), date(2026, 1, 5), True, None])
def test_cells_that_are_not_text_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) is value


def test_a_file_reads_back_with_every_formula_neutralised() -> None:
    text = csv_text(
        ["name", "address", "sessions missed", "=header"],
        [
            ["=cmd|' /C calc'!A0", '-1 Nowhere, "Quoted"\nTown', -3, "x"],
            ["Ada Synthetic", "@home", 12, None],
        ],
    )
    assert text.endswith("\r\n")
    assert read_back(text) == [
        ["name", "address", "sessions missed", "'=header"],
        ["'=cmd|' /C calc'!A0", '\'-1 Nowhere, "Quoted"\nTown', "-3", "x"],
        ["Ada Synthetic", "'@home", "12", ""],
    ]


def test_the_writer_works_on_any_text_stream() -> None:
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)
    writer.writerows([["+1"], [1]])
    assert buffer.getvalue() == "'+1\r\n1\r\n"


def test_streamed_chunks_are_the_same_file_with_a_byte_order_mark() -> None:
    rows = [[f"=row {n}", n] for n in range(CHUNK_ROWS * 2 + 7)]
    chunks = list(csv_chunks(["name", "n"], rows))
    assert len(chunks) == 3
    streamed = b"".join(chunks).decode("utf-8")
    assert streamed == UTF8_BOM + csv_text(["name", "n"], rows)
    without = b"".join(csv_chunks(["name"], [["Zoë"]], bom=False)).decode("utf-8")
    assert without == "name\r\nZoë\r\n"
