"""The school roll a school's information system pushes: its shapes, and how a JSON or CSV
roll is read and checked before anything is written.

Every row is checked, and every problem reported with its row and field, before the service
touches the database: a roll is applied whole or not at all. Problems never repeat the value
that was sent (it may be personal data).
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, TypeAdapter, ValidationError

from app.contract import component_ref
from app.errors import InvalidRequest, ValidationFailed
from app.models.people import Gender, RelationshipType
from app.rules.names import name_key
from app.rules.retention import PUPIL_RECORD_YEARS, birthday
from app.schemas.common import (
    NOT_FORMULA,
    PRINTABLE,
    UTF8_CHARSETS,
    CalendarDate,
    Input,
    Output,
    PolicyRefusal,
    bounded,
)
from app.schemas.contact import AddressLines, Email, MiddleNames, PersonName, Phone, Postcode, Upn

#: More pupils than any school in Kent has on roll; the body limit bounds a roll first.
MAX_ROLL_PUPILS = 5000
#: Carers a roll may give for one pupil (the CSV has columns for two).
MAX_ROLL_CARERS = 6
CSV_CARERS = 2
ADDRESS_LINES = 6
#: A refused roll reports at most this many problems (the total is in ``detail``).
MAX_REPORTED_PROBLEMS = 500

Title = Annotated[str, bounded(20), PRINTABLE, NOT_FORMULA]


def _examples(make: Callable[[], list[Any]]) -> Callable[[dict[str, Any]], None]:
    """A schema's ``examples``, made when the schema is (the examples are defined below)."""

    def add(schema: dict[str, Any]) -> None:
        schema["examples"] = make()

    return add


class RollCarer(Input):
    """A parent or carer of the pupil, and how they are related to them.

    Matched to the pupil's carers by name; fields left out keep their stored value, and
    ``null`` clears an optional field.
    """

    model_config = ConfigDict(
        json_schema_extra=_examples(lambda: [EXAMPLE_ROLL["pupils"][0]["carers"][0]])
    )

    forename: PersonName
    surname: PersonName
    title: Title | None = None
    relationship: RelationshipType
    parental_responsibility: bool
    lives_with: bool
    contact_priority: int | None = Field(
        default=None, ge=1, le=9, description="1 is contacted first."
    )
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None


class RollPupil(Input):
    """One pupil on the roll. Optional fields left out keep their stored value; ``null``
    clears them."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_ROLL["pupils"][0]]))

    upn: Upn
    legal_forename: PersonName
    legal_middle_names: MiddleNames | None = None
    legal_surname: PersonName
    preferred_forename: PersonName | None = None
    preferred_surname: PersonName | None = None
    date_of_birth: CalendarDate
    gender: Gender
    address_lines: AddressLines | None = None
    postcode: Postcode | None = None
    phone: Phone | None = None
    email: Email | None = None
    on_roll_from: CalendarDate = Field(description="The first day on this school's roll.")
    carers: list[RollCarer] = Field(default_factory=list, max_length=MAX_ROLL_CARERS)


class RollPush(Input):
    """The school's whole roll on one date. Pupils on the school's roll who are not in it
    come off roll on ``as_of``; an empty ``pupils`` list takes everyone off roll."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_ROLL]))

    as_of: CalendarDate = Field(description="The date the roll describes; not in the future.")
    pupils: list[RollPupil] = Field(max_length=MAX_ROLL_PUPILS)


class RollSummary(Output):
    """What a roll push did. Counts only: the response carries no personal data, and counts
    a row alike whatever KPAS holds about the UPN elsewhere."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_SUMMARY]))

    as_of: date
    pupils_on_roll: int = Field(description="Rows in the roll.")
    joined: int = Field(
        description="Rows for pupils who were not on this school's roll before this push: "
        "now on it."
    )
    updated: int = Field(
        description="Rows for pupils already on this school's roll that changed something: "
        "the pupil's record, their place on the roll, or their carers."
    )
    unchanged: int = Field(
        description="Rows for pupils already on this school's roll that changed nothing: the "
        "stored records already matched, or may not be changed at present."
    )
    held_for_review: int = Field(
        description="Rows held for a person at the council to review before KPAS relies on "
        "them: changes to a pupil's record that are not applied until reviewed, and rows "
        "whose match to a record KPAS holds is to be confirmed (these pupils are on the roll "
        "and counted in `joined` too)."
    )
    left: int = Field(description="Pupils taken off this school's roll on `as_of`.")
    carers_created: int = Field(description="Carers added for this school's pupils.")
    carers_updated: int = Field(description="Carers whose record or relationship changed.")


class RollCheck(RollSummary):
    """What a roll push would do (`validate_only=true`): nothing was changed."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_CHECK]))

    validate_only: bool = Field(
        default=True,
        description="Always true: the push was only validated and nothing was changed; the "
        "counts say what it would do.",
    )
    leavers: list[uuid.UUID] = Field(
        description="The ids of the pupils the push would take off this school's roll (as "
        "many as `left`)."
    )


class RollFieldError(BaseModel):
    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_FIELD_ERROR]))

    location: str = Field(description="Where the problem is: body, query, header or path.")
    pointer: str = Field(
        description="JSON pointer into the roll as JSON (a CSV row n is `/pupils/{n-1}`)."
    )
    detail: str
    code: str
    row: int | None = Field(
        default=None,
        description="The data row: array index + 1 in JSON; in CSV, 1 is the row after the "
        "header. Null or absent for problems outside the rows (the header, `as_of`, a query "
        "parameter).",
    )
    field: str | None = Field(
        default=None, description="The field (JSON) or column (CSV); absent outside the rows."
    )
    problem: str | None = Field(
        default=None, description="The problem in words; absent outside the rows."
    )


class RollProblem(BaseModel):
    """RFC 9457 problem details for a refused roll: one entry per problem."""

    model_config = ConfigDict(json_schema_extra=_examples(lambda: [EXAMPLE_PROBLEM]))

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[RollFieldError] | None = None
    policy: PolicyRefusal | None = None


# --- reading ------------------------------------------------------------------------------

_PUPIL = TypeAdapter(RollPupil)
_AS_OF: TypeAdapter[date] = TypeAdapter(CalendarDate)


@dataclass(slots=True)
class _Problems:
    """Problems found so far, in the order found."""

    items: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        *,
        location: str,
        pointer: str,
        code: str,
        problem: str,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        where = ", ".join(part for part in (f"Row {row}" if row else None, field) if part)
        self.items.append(
            {
                "location": location,
                "pointer": pointer,
                "detail": f"{where or 'Roll'}: {problem}.",
                "code": code,
                "row": row,
                "field": field,
                "problem": problem,
            }
        )

    def raise_if_any(self) -> None:
        if not self.items:
            return
        total = len(self.items)
        shown = self.items[:MAX_REPORTED_PROBLEMS]
        more = f" (the first {len(shown)} are listed)" if total > len(shown) else ""
        raise ValidationFailed(
            f"The roll was not applied: {total} problem(s){more}. Nothing was changed.",
            errors=shown,
        )


def _message(error: Mapping[str, Any]) -> str:
    text = str(error.get("msg", "invalid"))
    for prefix in ("Value error, ", "Assertion failed, "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text.rstrip(".")


def _pointer(parts: Iterable[object]) -> str:
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(slots=True)
class _Row:
    """One row as sent, and how to name its fields in problems."""

    number: int
    data: Any
    #: CSV only: the column each field came from, by its path in the JSON shape.
    columns: dict[tuple[object, ...], str] | None = None

    def field_name(self, loc: tuple[object, ...]) -> str:
        if self.columns is not None:
            for size in range(len(loc), 0, -1):
                column = self.columns.get(loc[:size])
                if column is not None:
                    return column
        return ".".join(str(p) for p in loc)


def _report(
    problems: _Problems, row: _Row, loc: tuple[object, ...], code: str, problem: str
) -> None:
    problems.add(
        location="body",
        pointer=_pointer(("pupils", row.number - 1, *loc)),
        code=code,
        problem=problem,
        row=row.number,
        field=row.field_name(loc) if loc else None,
    )


def _check_rows(rows: list[_Row], *, as_of: date | None, problems: _Problems) -> list[RollPupil]:
    """Validate each row, then the rules across rows and against ``as_of``."""
    pupils: list[RollPupil] = []
    first_row_of_upn: dict[str, int] = {}
    for row in rows:
        try:
            pupil = _PUPIL.validate_python(row.data)
        except ValidationError as exc:
            for error in exc.errors(include_url=False, include_input=False):
                code = str(error.get("type", "invalid"))
                _report(problems, row, tuple(error.get("loc", ())), code, _message(error))
            continue
        pupils.append(pupil)
        first = first_row_of_upn.setdefault(pupil.upn, row.number)
        if first != row.number:
            _report(problems, row, ("upn",), "duplicate_upn", f"the same UPN is in row {first}")
        for loc, code, problem in _date_problems(pupil, as_of):
            _report(problems, row, loc, code, problem)
        seen_carers: set[tuple[str, str]] = set()
        for index, carer in enumerate(pupil.carers):
            key = (name_key(carer.forename), name_key(carer.surname))
            if key in seen_carers:
                loc = ("carers", index, "forename")
                _report(problems, row, loc, "duplicate_carer", "the same carer twice")
            seen_carers.add(key)
    return pupils


def _date_problems(
    pupil: RollPupil, as_of: date | None
) -> list[tuple[tuple[object, ...], str, str]]:
    """Dates no pupil on a roll can have."""
    found: list[tuple[tuple[object, ...], str, str]] = []
    if pupil.on_roll_from < pupil.date_of_birth:
        found.append((("on_roll_from",), "before_birth", "on roll before the date of birth"))
    if as_of is None:
        return found
    if pupil.date_of_birth > as_of:
        found.append((("date_of_birth",), "impossible_date", "after the roll's as_of date"))
    elif birthday(pupil.date_of_birth, PUPIL_RECORD_YEARS) <= as_of:
        # Pupil records are kept until the 25th birthday: an older "pupil" is a wrong date.
        found.append(
            (
                ("date_of_birth",),
                "impossible_date",
                f"the pupil would be {PUPIL_RECORD_YEARS} or older on the roll's as_of date",
            )
        )
    if pupil.on_roll_from > as_of:
        found.append(
            (
                ("on_roll_from",),
                "after_as_of",
                "after the roll's as_of date (a roll lists the pupils on roll on that date)",
            )
        )
    return found


def _check_as_of(value: Any, *, today: date, location: str, problems: _Problems) -> date | None:
    def report(code: str, problem: str) -> None:
        problems.add(location=location, pointer="/as_of", code=code, problem=problem, field="as_of")

    try:
        as_of = _AS_OF.validate_python(value)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False)[0]
        report(str(error.get("type", "invalid")), _message(error))
        return None
    if as_of > today:
        report("future_date", "in the future")
        return None
    return as_of


def read_json_roll(raw: bytes, *, as_of_query: date | None, today: date) -> RollPush:
    """The roll from a JSON body, or the problems that refuse it (all of them at once)."""
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    problems = _Problems()
    if as_of_query is not None:
        problems.add(
            location="query",
            pointer="/as_of",
            code="extra_forbidden",
            problem="a JSON roll gives as_of in its body, not in the query",
            field="as_of",
        )
    if not isinstance(document, dict):
        problems.add(location="body", pointer="", code="model_type", problem="not an object")
        problems.raise_if_any()
        raise AssertionError("unreachable")
    for name in sorted(set(document) - {"as_of", "pupils"}):
        problems.add(
            location="body",
            pointer=_pointer((name,)),
            code="extra_forbidden",
            problem="not a field of a roll",
            field=name,
        )
    as_of: date | None = None
    if "as_of" in document:
        as_of = _check_as_of(document["as_of"], today=today, location="body", problems=problems)
    else:
        problems.add(
            location="body",
            pointer="/as_of",
            code="missing",
            problem="Field required",
            field="as_of",
        )
    rows = document.get("pupils")
    if not isinstance(rows, list):
        problems.add(
            location="body",
            pointer="/pupils",
            code="missing" if rows is None else "list_type",
            problem="a list of pupils is required (an empty list takes everyone off roll)",
            field="pupils",
        )
        rows = []
    elif len(rows) > MAX_ROLL_PUPILS:
        problems.add(
            location="body",
            pointer="/pupils",
            code="too_long",
            problem=f"at most {MAX_ROLL_PUPILS} pupils",
            field="pupils",
        )
        rows = []
    pupils = _check_rows(
        [_Row(number, data) for number, data in enumerate(rows, start=1)],
        as_of=as_of,
        problems=problems,
    )
    problems.raise_if_any()
    assert as_of is not None
    return RollPush.model_construct(as_of=as_of, pupils=pupils)


# --- CSV ----------------------------------------------------------------------------------

_PUPIL_TEXT = (
    "upn",
    "legal_forename",
    "legal_middle_names",
    "legal_surname",
    "preferred_forename",
    "preferred_surname",
    "date_of_birth",
    "gender",
)
_CONTACT = ("postcode", "phone", "email")
_CARER_TEXT = (
    "forename",
    "surname",
    "title",
    "relationship",
    "parental_responsibility",
    "lives_with",
    "contact_priority",
)
_ADDRESS = tuple(f"address_line_{n}" for n in range(1, ADDRESS_LINES + 1))

PUPIL_COLUMNS = (*_PUPIL_TEXT, *_ADDRESS, *_CONTACT, "on_roll_from")
REQUIRED_COLUMNS = frozenset(
    {"upn", "legal_forename", "legal_surname", "date_of_birth", "gender", "on_roll_from"}
)


def _carer_columns(n: int) -> tuple[str, ...]:
    return tuple(f"carer_{n}_{name}" for name in (*_CARER_TEXT, *_ADDRESS, *_CONTACT))


CSV_COLUMNS = (
    *PUPIL_COLUMNS,
    *(column for n in range(1, CSV_CARERS + 1) for column in _carer_columns(n)),
)
CARER_REQUIRED = ("forename", "surname", "relationship", "parental_responsibility", "lives_with")
#: CBDS gender codes, as school census files carry them.
CBDS_GENDER = {"F": Gender.FEMALE.value, "M": Gender.MALE.value, "U": Gender.NOT_KNOWN.value}


def _fields(
    cells: Mapping[str, str],
    header: frozenset[str],
    prefix: str,
    names: Iterable[str],
    path: tuple[object, ...],
    columns: dict[tuple[object, ...], str],
) -> dict[str, Any]:
    """The JSON-shaped fields of one pupil or carer from its cells. A column left out of the
    header leaves the field out (stored value kept); an empty cell is null (cleared)."""
    out: dict[str, Any] = {}
    for name in names:
        column = prefix + name
        if column not in header:
            continue
        columns[(*path, name)] = column
        value = cells[column].strip()
        out[name] = value or None
    address_columns = [prefix + line for line in _ADDRESS if prefix + line in header]
    if address_columns:
        lines: list[str] = []
        for column in address_columns:
            value = cells[column].strip()
            if value:
                columns[(*path, "address_lines", len(lines))] = column
                lines.append(value)
        columns[(*path, "address_lines")] = address_columns[0]
        out["address_lines"] = lines or None
    return out


def _row_from_cells(cells: Mapping[str, str], header: frozenset[str], number: int) -> _Row:
    columns: dict[tuple[object, ...], str] = {}
    pupil = _fields(cells, header, "", (*_PUPIL_TEXT, *_CONTACT, "on_roll_from"), (), columns)
    # A required field's empty cell is missing ("Field required"), not null.
    for name in REQUIRED_COLUMNS:
        if pupil.get(name) is None:
            pupil.pop(name, None)
    gender = pupil.get("gender")
    if isinstance(gender, str):
        pupil["gender"] = CBDS_GENDER.get(gender.upper(), gender.lower())
    carers: list[dict[str, Any]] = []
    for n in range(1, CSV_CARERS + 1):
        prefix = f"carer_{n}_"
        if not any(cells[c].strip() for c in _carer_columns(n) if c in header):
            continue
        index = len(carers)
        path: tuple[object, ...] = ("carers", index)
        columns[path] = f"carer_{n}"
        carer = _fields(cells, header, prefix, (*_CARER_TEXT, *_CONTACT), path, columns)
        for name in CARER_REQUIRED:
            if carer.get(name) is None:
                carer.pop(name, None)
        relationship = carer.get("relationship")
        if isinstance(relationship, str):
            carer["relationship"] = relationship.lower()
        carers.append(carer)
    if carers:
        pupil["carers"] = carers
    return _Row(number, pupil, columns)


def _check_header(header: list[str], problems: _Problems) -> None:
    if not header:
        problems.add(location="body", pointer="", code="missing", problem="no header row")
        return
    for name in sorted(set(header) - set(CSV_COLUMNS)):
        problems.add(
            location="body",
            pointer="",
            code="unknown_column",
            problem="not a column of a roll",
            field=name,
        )
    for name in sorted(n for n, times in Counter(header).items() if times > 1):
        problems.add(
            location="body", pointer="", code="duplicate_column", problem="twice", field=name
        )
    for name in sorted(REQUIRED_COLUMNS - set(header)):
        problems.add(
            location="body", pointer="", code="missing_column", problem="missing", field=name
        )


def read_csv_roll(
    raw: bytes, *, charset: str | None, as_of_query: date | None, today: date
) -> RollPush:
    """The roll from a CSV body (UTF-8, a byte order mark allowed, CRLF or LF line endings),
    or the problems that refuse it."""
    if charset is not None and charset.lower() not in UTF8_CHARSETS:
        raise InvalidRequest("Send the CSV roll encoded as UTF-8.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("The CSV roll is not valid UTF-8.") from None
    try:
        records = [r for r in csv.reader(io.StringIO(text, newline=""), strict=True) if r]
    except csv.Error:
        raise InvalidRequest("The request body is not a readable CSV file.") from None
    problems = _Problems()
    as_of: date | None = None
    if as_of_query is None:
        problems.add(
            location="query",
            pointer="/as_of",
            code="missing",
            problem="a CSV roll needs the as_of query parameter",
            field="as_of",
        )
    else:
        as_of = _check_as_of(as_of_query, today=today, location="query", problems=problems)
    header = [name.strip().lower() for name in records[0]] if records else []
    _check_header(header, problems)
    if any(p["location"] == "body" for p in problems.items):
        problems.raise_if_any()
    data = records[1:]
    if len(data) > MAX_ROLL_PUPILS:
        problems.add(
            location="body",
            pointer="/pupils",
            code="too_long",
            problem=f"at most {MAX_ROLL_PUPILS} pupils",
        )
        problems.raise_if_any()
    columns = frozenset(header)
    rows: list[_Row] = []
    for number, record in enumerate(data, start=1):
        if len(record) != len(header):
            problems.add(
                location="body",
                pointer=_pointer(("pupils", number - 1)),
                code="cell_count",
                problem=f"{len(record)} cells where the header has {len(header)}",
                row=number,
            )
            continue
        rows.append(_row_from_cells(dict(zip(header, record, strict=True)), columns, number))
    pupils = _check_rows(rows, as_of=as_of, problems=problems)
    problems.raise_if_any()
    assert as_of is not None
    return RollPush.model_construct(as_of=as_of, pupils=pupils)


# --- documentation --------------------------------------------------------------------------


#: The roll the documentation offers: the whole roll of the demo school Hopgarden Primary School
#: (synthetic), URN 990028, on 1 December 2026, as ``samples/roll.json`` has it. Every person
#: is made up and every UPN carries LA number 999, which no authority has. It restates every
#: pupil the demo holds on that roll, so pushed there it takes nobody off roll: it updates
#: their addresses and carers' details and adds nothing else.
EXAMPLE_ROLL: dict[str, Any] = {
    "as_of": "2026-12-01",
    "pupils": [
        {
            "upn": "P999000026313",
            "legal_forename": "Isla",
            "legal_surname": "Tillbrook",
            "date_of_birth": "2016-09-29",
            "gender": "not_known",
            "address_lines": ["7 Orchard Close", "Canterbury", "Kent"],
            "postcode": "CT1 4XT",
            "on_roll_from": "2023-09-01",
            "carers": [
                {
                    "forename": "Evie",
                    "surname": "Tillbrook",
                    "title": "Ms",
                    "relationship": "mother",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900346",
                    "email": "evie.tillbrook@example.org",
                }
            ],
        },
        {
            "upn": "D999000026314",
            "legal_forename": "Ravi",
            "legal_surname": "Northam",
            "date_of_birth": "2020-02-28",
            "gender": "female",
            "address_lines": ["23 Hop Garden Way", "Canterbury", "Kent"],
            "postcode": "CT1 1JG",
            "on_roll_from": "2025-09-01",
            "carers": [
                {
                    "forename": "Ravi",
                    "surname": "Northam",
                    "title": "Mr",
                    "relationship": "step_parent",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900478",
                    "email": "ravi.northam@example.org",
                }
            ],
        },
        {
            "upn": "T999000026315",
            "legal_forename": "Amelia",
            "legal_surname": "Fairleigh",
            "date_of_birth": "2020-08-09",
            "gender": "not_known",
            "address_lines": ["41 Chapel Lane", "Thanington", "Canterbury", "Kent"],
            "postcode": "CT1 3TE",
            "on_roll_from": "2024-09-01",
            "carers": [
                {
                    "forename": "Aarav",
                    "surname": "Fairleigh",
                    "title": "Mr",
                    "relationship": "grandparent",
                    "parental_responsibility": False,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900414",
                    "email": "aarav.fairleigh@example.org",
                },
                {
                    "forename": "Oscar",
                    "surname": "Fairleigh",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": False,
                    "contact_priority": 2,
                    "phone": "+447700900919",
                    "email": "oscar.fairleigh@example.org",
                },
            ],
        },
        {
            "upn": "G999000026316",
            "legal_forename": "Fatima",
            "legal_surname": "Rushworth",
            "date_of_birth": "2019-04-16",
            "gender": "male",
            "address_lines": ["9 Stour View", "Canterbury", "Kent"],
            "postcode": "CT1 7RS",
            "on_roll_from": "2023-09-01",
            "carers": [
                {
                    "forename": "Oliver",
                    "surname": "Rushworth",
                    "title": "Mr",
                    "relationship": "step_parent",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900698",
                    "email": "oliver.rushworth@example.org",
                }
            ],
        },
        {
            "upn": "W999000026317",
            "legal_forename": "Ravi",
            "legal_surname": "Northam",
            "date_of_birth": "2018-09-25",
            "gender": "male",
            "address_lines": ["Flat 2", "16 Whitstable Road", "Canterbury", "Kent"],
            "postcode": "CT1 7TQ",
            "on_roll_from": "2023-09-01",
            "carers": [
                {
                    "forename": "Oliver",
                    "surname": "Northam",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900069",
                    "email": "oliver.northam@example.org",
                }
            ],
        },
        {
            "upn": "K999000026318",
            "legal_forename": "Mia",
            "legal_surname": "Nowak",
            "date_of_birth": "2015-09-07",
            "gender": "not_known",
            "address_lines": ["58 Cherry Tree Avenue", "Canterbury", "Kent"],
            "postcode": "CT1 3FY",
            "on_roll_from": "2023-09-01",
            "carers": [
                {
                    "forename": "Mateo",
                    "surname": "Nowak",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900179",
                    "email": "mateo.nowak@example.org",
                },
                {
                    "forename": "George",
                    "surname": "Nowak",
                    "title": "Mr",
                    "relationship": "step_parent",
                    "parental_responsibility": True,
                    "lives_with": False,
                    "contact_priority": 2,
                    "phone": "+447700900920",
                    "email": "george.nowak@example.org",
                },
            ],
        },
        {
            "upn": "Z999000026319",
            "legal_forename": "Jack",
            "legal_surname": "Rushworth",
            "date_of_birth": "2019-12-29",
            "gender": "male",
            "address_lines": ["3 Pilgrims Court", "Canterbury", "Kent"],
            "postcode": "CT1 5ZR",
            "on_roll_from": "2025-09-01",
            "carers": [
                {
                    "forename": "George",
                    "surname": "Rushworth",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900554",
                    "email": "george.rushworth@example.org",
                }
            ],
        },
        {
            "upn": "K999000026320",
            "legal_forename": "Harry",
            "legal_surname": "Nowak",
            "date_of_birth": "2020-07-10",
            "gender": "not_known",
            "address_lines": ["112 Wincheap Green", "Canterbury", "Kent"],
            "postcode": "CT1 9ZX",
            "on_roll_from": "2024-09-01",
            "carers": [
                {
                    "forename": "Harry",
                    "surname": "Nowak",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900785",
                    "email": "harry.nowak@example.org",
                }
            ],
        },
        {
            "upn": "Z999000026321",
            "legal_forename": "Zoë",
            "legal_surname": "Ockley",
            "date_of_birth": "2019-09-14",
            "gender": "female",
            "address_lines": ["27 Meadow Bank", "Harbledown", "Canterbury", "Kent"],
            "postcode": "CT1 5BL",
            "on_roll_from": "2024-09-01",
            "carers": [
                {
                    "forename": "Mateo",
                    "surname": "Ockley",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900832",
                    "email": "mateo.ockley@example.org",
                },
                {
                    "forename": "Zoë",
                    "surname": "Ockley",
                    "title": "Mrs",
                    "relationship": "grandparent",
                    "parental_responsibility": False,
                    "lives_with": False,
                    "contact_priority": 2,
                    "phone": "+447700900204",
                    "email": "zoe.ockley@example.org",
                },
            ],
        },
        {
            "upn": "N999000026322",
            "legal_forename": "Mateo",
            "legal_surname": "Tillbrook",
            "date_of_birth": "2019-04-29",
            "gender": "not_known",
            "address_lines": ["66 Oast House Lane", "Canterbury", "Kent"],
            "postcode": "CT1 8BP",
            "on_roll_from": "2025-09-01",
            "carers": [
                {
                    "forename": "Lily",
                    "surname": "Tillbrook",
                    "title": "Mrs",
                    "relationship": "mother",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900547",
                    "email": "lily.tillbrook@example.org",
                }
            ],
        },
        {
            "upn": "C999000026323",
            "legal_forename": "Noah",
            "legal_surname": "Nowak",
            "date_of_birth": "2021-10-20",
            "gender": "male",
            "address_lines": ["18 Kingsmead Road", "Canterbury", "Kent"],
            "postcode": "CT1 7SU",
            "on_roll_from": "2025-09-01",
            "carers": [
                {
                    "forename": "Oscar",
                    "surname": "Nowak",
                    "title": "Mr",
                    "relationship": "father",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900801",
                    "email": "oscar.nowak@example.org",
                }
            ],
        },
        {
            "upn": "R999000026324",
            "legal_forename": "Aarav",
            "legal_surname": "Lanyon",
            "date_of_birth": "2019-02-09",
            "gender": "male",
            "address_lines": ["5 Rosemary Gardens", "Canterbury", "Kent"],
            "postcode": "CT1 5TJ",
            "on_roll_from": "2024-09-01",
            "carers": [
                {
                    "forename": "Evie",
                    "surname": "Lanyon",
                    "title": "Ms",
                    "relationship": "mother",
                    "parental_responsibility": True,
                    "lives_with": True,
                    "contact_priority": 1,
                    "phone": "+447700900302",
                    "email": "evie.lanyon@example.org",
                },
                {
                    "forename": "Arthur",
                    "surname": "Lanyon",
                    "title": "Mr",
                    "relationship": "grandparent",
                    "parental_responsibility": False,
                    "lives_with": False,
                    "contact_priority": 2,
                    "phone": "+447700900699",
                    "email": "arthur.lanyon@example.org",
                },
            ],
        },
    ],
}

#: The CSV roll's columns, in the order the example uses.
_EXAMPLE_CSV_COLUMNS = [
    "upn",
    "legal_forename",
    "legal_surname",
    "date_of_birth",
    "gender",
    *(f"address_line_{n}" for n in range(1, 5)),
    "postcode",
    "on_roll_from",
    *(
        f"carer_{n}_{name}"
        for n in range(1, CSV_CARERS + 1)
        for name in (
            "forename",
            "surname",
            "title",
            "relationship",
            "parental_responsibility",
            "lives_with",
            "contact_priority",
            "phone",
            "email",
        )
    ),
]
_GENDER_LETTERS = {"female": "F", "male": "M", "not_known": "U"}


def _csv_cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _example_csv_roll(roll: dict[str, Any]) -> str:
    """``roll`` as CSV: its pupils, one row each, with up to two carers (``as_of`` is then a
    query parameter)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_EXAMPLE_CSV_COLUMNS)
    for pupil in roll["pupils"]:
        row: dict[str, object] = {
            key: value for key, value in pupil.items() if key not in {"address_lines", "carers"}
        }
        row["gender"] = _GENDER_LETTERS[pupil["gender"]]
        for n, line in enumerate(pupil.get("address_lines") or [], start=1):
            row[f"address_line_{n}"] = line
        for n, carer in enumerate(pupil.get("carers") or [], start=1):
            row.update({f"carer_{n}_{key}": value for key, value in carer.items()})
        writer.writerow([_csv_cell(row.get(column)) for column in _EXAMPLE_CSV_COLUMNS])
    return out.getvalue()


#: The same roll as CSV, as ``samples/roll.csv`` has it (send ``as_of=2026-12-01``).
EXAMPLE_CSV_ROLL = _example_csv_roll(EXAMPLE_ROLL)


#: What pushing the example roll to the demo school does: all twelve pupils are already on
#: its roll; their records take the example's addresses and their carers its details.
EXAMPLE_SUMMARY: dict[str, Any] = {
    "as_of": "2026-12-01",
    "pupils_on_roll": 12,
    "joined": 0,
    "updated": 12,
    "unchanged": 0,
    "held_for_review": 0,
    "left": 0,
    "carers_created": 0,
    "carers_updated": 16,
}
EXAMPLE_CHECK: dict[str, Any] = {**EXAMPLE_SUMMARY, "validate_only": True, "leavers": []}
EXAMPLE_FIELD_ERROR: dict[str, Any] = {
    "location": "body",
    "pointer": "/pupils/2/upn",
    "detail": "Row 3, upn: the UPN's check letter does not match its digits.",
    "code": "value_error",
    "row": 3,
    "field": "upn",
    "problem": "the UPN's check letter does not match its digits",
}
EXAMPLE_PROBLEM: dict[str, Any] = {
    "type": "https://kpas.kent.gov.uk/problems/validation-failed",
    "title": "The request has invalid fields",
    "status": 422,
    "detail": "The roll was not applied: 1 problem(s). Nothing was changed.",
    "instance": "/v1/schools/990028/roll",
    "errors": [EXAMPLE_FIELD_ERROR],
}


class RollCsv(RootModel[str]):
    """A roll as CSV (``text/csv``, UTF-8): a header row naming the columns, then one row per
    pupil; ``as_of`` is a query parameter. The operation's description lists the columns."""

    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CSV_ROLL]})


def roll_request_body() -> dict[str, Any]:
    """The operation's ``requestBody``: a JSON roll, or a CSV roll with one row per pupil."""
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": component_ref(RollPush),
                "example": EXAMPLE_ROLL,
            },
            "text/csv": {
                "schema": component_ref(RollCsv),
                "example": EXAMPLE_CSV_ROLL,
            },
        },
    }
