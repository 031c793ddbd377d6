"""Reading an attendance import as it streams in: rows come out the same however the body is
cut into chunks (inside a row, a token, a quoted cell or a multi-byte character), numbered as
the report numbers them, and a body that is not an import is refused without repeating it."""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import InvalidRequest, ValidationFailed
from app.services.attendance_rows import (
    MAX_ROW_CHARS,
    MISSING,
    NOT_AN_OBJECT,
    UNKNOWN_FIELD,
    CsvMarkReader,
    JsonMarkReader,
    RawMark,
)

Reader = JsonMarkReader | CsvMarkReader


def read(reader: Reader, chunks: list[bytes]) -> list[RawMark]:
    rows: list[RawMark] = []
    for chunk in chunks:
        rows += reader.feed(chunk)
    return rows + reader.close()


def split_at(body: bytes, *cuts: int) -> list[bytes]:
    edges = [0, *sorted(cuts), len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


def mark(n: int, **overrides: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "school_urn": 118950 + n,
        "upn": f"A8862000120{n:02d}",
        "date": "2025-11-24",
        "session": "AM" if n % 2 else "PM",
        "code": "/",
    }
    value.update(overrides)
    return value


def as_row(number: int, value: dict[str, Any]) -> RawMark:
    return (
        number,
        value["school_urn"],
        value["upn"],
        value["date"],
        value["session"],
        value["code"],
        (),
    )


# --- JSON ---------------------------------------------------------------------------------

DOCUMENT = json.dumps(
    {
        "marks": [
            mark(1),
            mark(2, upn="Zoë ☃ \U0001f600"),  # two-, three- and four-byte characters
            mark(3, code="\\", session=" am\t"),
            mark(4, school_urn=118950.0),
        ]
    },
    ensure_ascii=False,
    indent=1,
).encode()


def test_json_rows_are_numbered_by_their_place_in_the_array() -> None:
    rows = read(JsonMarkReader(), [DOCUMENT])
    assert [row[0] for row in rows] == [1, 2, 3, 4]
    assert rows[1][2] == "Zoë ☃ \U0001f600"
    assert rows[2][5] == "\\" and rows[2][4] == " am\t"


def test_json_chunks_split_anywhere_give_the_same_rows() -> None:
    whole = read(JsonMarkReader(), [DOCUMENT])
    for cut in range(1, len(DOCUMENT)):
        assert read(JsonMarkReader(), split_at(DOCUMENT, cut)) == whole, cut
    assert read(JsonMarkReader(), [bytes([b]) for b in DOCUMENT]) == whole


def test_json_split_inside_a_multi_byte_character() -> None:
    body = json.dumps({"marks": [mark(1, upn="☃")]}, ensure_ascii=False).encode()
    snowman = body.index("☃".encode())
    for cut in (snowman + 1, snowman + 2):
        rows = read(JsonMarkReader(), split_at(body, cut))
        assert rows[0][2] == "☃"


def test_a_number_at_the_end_of_a_chunk_waits_for_its_last_digits() -> None:
    body = json.dumps({"marks": [12345, mark(1)]}).encode()
    rows = read(JsonMarkReader(), split_at(body, body.index(b"345")))
    assert rows[0] == (1, MISSING, MISSING, MISSING, MISSING, MISSING, NOT_AN_OBJECT)
    assert rows[1] == as_row(2, mark(1))


def test_json_elements_that_are_not_marks_keep_their_row_number() -> None:
    body = json.dumps({"marks": [[1], None, {"upn": "x", "note": 1, "school_urn": 5}]}).encode()
    rows = read(JsonMarkReader(), [body])
    assert rows[0] == (1, MISSING, MISSING, MISSING, MISSING, MISSING, NOT_AN_OBJECT)
    assert rows[1][0] == 2 and rows[1][6] == NOT_AN_OBJECT
    assert rows[2] == (3, 5, "x", MISSING, MISSING, MISSING, (("note", UNKNOWN_FIELD),))


def test_json_rows_come_out_as_they_arrive() -> None:
    reader = JsonMarkReader()
    first = json.dumps(mark(1))
    assert reader.feed(b'{"marks": [' + first.encode() + b", ") == [as_row(1, mark(1))]
    assert reader.feed(json.dumps(mark(2)).encode()[:20]) == []
    assert reader.rows == 1


def test_empty_arrays_and_whitespace_are_read() -> None:
    assert read(JsonMarkReader(), [b' \r\n{ "marks" :\t[ ] } \n']) == []
    assert read(JsonMarkReader(), [b"{}"]) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b'{"marks": [',
        b'{"marks": [{"school_urn": 1}',
        b'{"marks": [{"school_urn": 1},]}',
        b'{"marks": [] trailing',
        b'{"marks": []} {}',
        b'{"marks" []}',
        b'{"marks": [{"a": 1} {"b": 2}]}',
        b"<marks/>",
        b'{"marks": [' + b"[" * 3000 + b"]" * 3000 + b"]}",
        b"\xff",
        b'{"marks": ["\xc3"]}',
    ],
)
def test_bodies_that_are_not_json_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidRequest) as refused:
        read(JsonMarkReader(), [body])
    assert "not valid" in refused.value.detail


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        (b"[]", ""),
        (b'"marks"', ""),
        (b'{"marks": {}}', "/marks"),
        (b'{"marks": 5}', "/marks"),
        (b'{"as_of": "2025-11-24", "marks": []}', "/as_of"),
        (b'{"marks": [], "marks": []}', "/marks"),
    ],
)
def test_json_that_is_not_an_import_is_refused_with_where(body: bytes, pointer: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read(JsonMarkReader(), [body])
    assert refused.value.errors is not None
    assert refused.value.errors[0]["pointer"] == pointer


def test_a_json_element_longer_than_any_mark_is_refused_before_the_body_ends() -> None:
    reader = JsonMarkReader()
    reader.feed(b'{"marks": [{"upn": "')
    with pytest.raises(InvalidRequest):
        for _ in range(MAX_ROW_CHARS // 1000 + 2):
            reader.feed(b"x" * 1000)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3),
    max_leaves=5,
)
json_marks = st.lists(
    st.dictionaries(
        st.sampled_from(["school_urn", "upn", "date", "session", "code", "extra"]),
        json_values,
    )
    | json_values,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(marks=json_marks, cuts=st.lists(st.integers(min_value=0), max_size=6), indent=st.booleans())
def test_any_document_cut_anywhere_reads_as_its_parse(
    marks: list[Any], cuts: list[int], indent: bool
) -> None:
    body = json.dumps({"marks": marks}, ensure_ascii=False, indent=1 if indent else None).encode()
    rows = read(JsonMarkReader(), split_at(body, *(c % (len(body) + 1) for c in cuts)))
    assert [row[0] for row in rows] == list(range(1, len(marks) + 1))
    for row, value in zip(rows, marks, strict=True):
        if isinstance(value, dict):
            fields = ("school_urn", "upn", "date", "session", "code")
            assert row[1:6] == tuple(value.get(name, MISSING) for name in fields)
            assert row[6] == ((("extra", UNKNOWN_FIELD),) if "extra" in value else ())
        else:
            assert row[6] == NOT_AN_OBJECT


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=60), cut=st.integers(min_value=0))
def test_any_bytes_are_read_or_refused_never_crash(body: bytes, cut: int) -> None:
    chunks = split_at(body, cut % (len(body) + 1))
    with contextlib.suppress(InvalidRequest, ValidationFailed):
        read(JsonMarkReader(), chunks)
    with contextlib.suppress(InvalidRequest, ValidationFailed):
        read(CsvMarkReader(), chunks)


# --- CSV ----------------------------------------------------------------------------------

CSV = (
    "\ufeffCode,SESSION, upn ,date,school_urn\r\n"
    "/,AM,A886200012001,2025-11-24,118950\r\n"
    "\r\n"
    '"\\",PM,"Zoë ☃",2025-11-24,118950\r\n'
    '"N, with ""quotes""\r\nand a line break",AM,A886200012001,2025-11-25,118950\r\n'
    "L,AM,A886200012001,2025-11-26,118950"  # no line break at the end
).encode()


def test_csv_columns_in_any_order_and_case_blank_lines_not_numbered() -> None:
    rows = read(CsvMarkReader(), [CSV])
    assert rows == [
        (1, "118950", "A886200012001", "2025-11-24", "AM", "/", ()),
        (2, "118950", "Zoë ☃", "2025-11-24", "PM", "\\", ()),
        (
            3,
            "118950",
            "A886200012001",
            "2025-11-25",
            "AM",
            'N, with "quotes"\r\nand a line break',
            (),
        ),
        (4, "118950", "A886200012001", "2025-11-26", "AM", "L", ()),
    ]


def test_csv_chunks_split_anywhere_give_the_same_rows() -> None:
    whole = read(CsvMarkReader(), [CSV])
    for cut in range(1, len(CSV)):
        assert read(CsvMarkReader(), split_at(CSV, cut)) == whole, cut
    for cut in range(1, len(CSV) - 7, 5):
        assert read(CsvMarkReader(), split_at(CSV, cut, cut + 7)) == whole, cut
    assert read(CsvMarkReader(), [bytes([b]) for b in CSV]) == whole


def test_csv_rows_with_the_wrong_number_of_cells_are_reported_by_row() -> None:
    body = b"school_urn,upn,date,session,code\n1,2,3\n1,2,3,4,5\n1,2,3,4,5,6\n"
    rows = read(CsvMarkReader(), [body])
    assert rows[0] == (
        1,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        MISSING,
        ((None, "3 cells where the header has 5"),),
    )
    assert rows[1][1:6] == ("1", "2", "3", "4", "5")
    assert rows[2][6] == ((None, "6 cells where the header has 5"),)


@pytest.mark.parametrize(
    ("header", "problems"),
    [
        ("school_urn,upn,date,session", {("code", "missing_column")}),
        (
            "school_urn,upn,date,session,code,code,notes",
            {("code", "duplicate_column"), ("notes", "unknown_column")},
        ),
        ("", None),
    ],
)
def test_a_bad_csv_header_is_refused(header: str, problems: set[tuple[str, str]] | None) -> None:
    with pytest.raises(ValidationFailed) as refused:
        read(CsvMarkReader(), [(header + "\r\n").encode()])
    if problems is not None:
        assert refused.value.errors is not None
        assert {(e["field"], e["code"]) for e in refused.value.errors} == problems


@pytest.mark.parametrize(
    "body",
    [
        b'school_urn,upn,date,session,code\n"never closed,1,2,3,4\n',
        b"school_urn,upn,date,session,code\n\xff\xfe,1,2,3,4\n",
        b"school_urn,upn,date,session,code\n1,2,3,4,\xe2\x98",
    ],
)
def test_csv_that_cannot_be_read_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidRequest):
        read(CsvMarkReader(), [body])


def test_a_csv_row_longer_than_any_mark_is_refused_before_the_body_ends() -> None:
    reader = CsvMarkReader()
    reader.feed(b"school_urn,upn,date,session,code\n")
    with pytest.raises(InvalidRequest):
        for _ in range(MAX_ROW_CHARS // 1000 + 2):
            reader.feed(b"x" * 1000)


def test_csv_rows_come_out_as_their_lines_end() -> None:
    reader = CsvMarkReader()
    assert reader.feed(b"school_urn,upn,date,session,code\r\n1,2,3,4,5\r") == [
        (1, "1", "2", "3", "4", "5", ())
    ]
    assert reader.feed(b"\n1,2,3,4") == []
    short = ((None, "4 cells where the header has 5"),)
    assert reader.close() == [(2, MISSING, MISSING, MISSING, MISSING, MISSING, short)]
