"""The OpenAPI document is a contract an integrator can build on from `/docs` alone: every
operation has a written summary and description, and every example it shows is valid."""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import jsonschema_rs
import pytest
import pytest_asyncio
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import func, select, table
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

import app.demo
import app.schemas
from app.auth.principal import Role
from app.cli import render_openapi
from app.demo import (
    DEMO_MARKS_IMPORT_ID,
    DEMO_MIS_CLIENT_ID,
    demo_agreements,
    demo_carer_id,
    demo_duplicate_id,
    demo_pupil_id,
    demo_schools,
)
from app.demo_breaches import LETTER_BREACH, SPREADSHEET_BREACH
from app.main import V1_ROUTERS
from app.models.base import Base
from app.policies import PolicyDeclaration, declared_policies
from app.policies.registry import Purpose
from app.policies.rules import RULES
from app.routers import params
from app.routers.params import (
    EXAMPLE_AGREEMENT_ID,
    EXAMPLE_BREACH_ID,
    EXAMPLE_CARER_ID,
    EXAMPLE_CLIENT_ID,
    EXAMPLE_CONTAINED_BREACH_ID,
    EXAMPLE_DUPLICATE_ID,
    EXAMPLE_IMPORT_ID,
    EXAMPLE_MERGE_FROM_ID,
    EXAMPLE_PUPIL_ID,
    EXAMPLE_RECIPIENT_ID,
    EXAMPLE_SURVIVOR_ID,
    EXAMPLE_URN,
)
from app.rules.kent import AreaTeam
from tests.conftest import build_app
from tests.demo_support import demo_engine_on

METHODS = frozenset({"get", "post", "put", "patch", "delete"})

Document = dict[str, Any]


@pytest.fixture(scope="module")
def document() -> Document:
    loaded: Document = json.loads(render_openapi())
    return loaded


def operations(document: Document) -> Iterator[tuple[str, str, Document]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def generated_summary(operation_id: str) -> str:
    """What FastAPI writes when a route has no summary: its name in title case."""
    return operation_id.replace("_", " ").title()


def validator(document: Document, schema: Document) -> jsonschema_rs.Validator:
    """A validator for ``schema`` that resolves the document's component references."""
    return jsonschema_rs.Draft202012Validator(
        {**schema, "components": document["components"]}, validate_formats=True
    )


def assert_valid(document: Document, schema: Document, example: object, where: str) -> None:
    errors = [e.message for e in validator(document, schema).iter_errors(example)]
    assert not errors, f"{where}: example {example!r} is invalid: {errors}"


def schema_models() -> dict[str, type[BaseModel]]:
    """Every pydantic model in ``app.schemas``, by class name (its component name)."""
    models: dict[str, type[BaseModel]] = {}
    for module_info in pkgutil.iter_modules(app.schemas.__path__):
        module = importlib.import_module(f"app.schemas.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                models.setdefault(value.__name__, value)
    return models


def test_every_operation_has_a_written_summary_and_description(document: Document) -> None:
    missing = []
    for path, method, operation in operations(document):
        operation_id = operation["operationId"]
        summary = operation.get("summary", "")
        if not summary or summary == generated_summary(operation_id):
            missing.append(f"{method.upper()} {path}: no written summary")
        if not operation.get("description", "").strip():
            missing.append(f"{method.upper()} {path}: no description")
    assert not missing, "\n".join(missing)


def test_summaries_are_short_and_distinct(document: Document) -> None:
    summaries = [op["summary"] for _, _, op in operations(document) if "summary" in op]
    assert len(summaries) == len(set(summaries))
    assert all(len(summary) <= 60 for summary in summaries)


def test_schema_and_property_examples_validate(document: Document) -> None:
    checked = 0
    for name, schema in document["components"]["schemas"].items():
        for example in schema.get("examples", []):
            assert_valid(document, schema, example, name)
            checked += 1
        for field, prop in schema.get("properties", {}).items():
            for example in prop.get("examples", []):
                assert_valid(document, prop, example, f"{name}.{field}")
                checked += 1
    assert checked > 0


def test_parameter_examples_validate(document: Document) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter.get("schema", {})
            examples = list(schema.get("examples", []))
            if "example" in parameter:
                examples.append(parameter["example"])
            examples += [e["value"] for e in parameter.get("examples", {}).values() if "value" in e]
            for example in examples:
                where = f"{method.upper()} {path} {parameter['in']} {parameter['name']}"
                assert_valid(document, schema, example, where)


def test_request_body_examples_validate_against_the_schema_and_the_model(
    document: Document,
) -> None:
    models = schema_models()
    for path, method, operation in operations(document):
        for media_type, content in operation.get("requestBody", {}).get("content", {}).items():
            schema = content.get("schema", {})
            ref = schema.get("$ref", "")
            name = ref.rsplit("/", 1)[-1] if ref else None
            component = document["components"]["schemas"].get(name, {}) if name else {}
            examples = list(component.get("examples", [])) + list(schema.get("examples", []))
            if "example" in content:
                examples.append(content["example"])
            examples += [e["value"] for e in content.get("examples", {}).values() if "value" in e]
            for example in examples:
                where = f"{method.upper()} {path} ({media_type})"
                assert_valid(document, schema, example, where)
                if media_type == "application/json" and name in models:
                    models[name].model_validate(example)


#: Component schemas FastAPI writes itself for its own validation errors, if present.
FASTAPI_OWN_SCHEMAS = frozenset({"HTTPValidationError", "ValidationError"})

#: Parameters documented without a literal example, and why.
PARAMETERS_WITHOUT_EXAMPLE = {
    "cursor": "a cursor is opaque, sealed to the list, caller and filters that issued it, and "
    "short-lived: any literal would be refused; its description says where one comes from",
}


def test_every_component_schema_carries_an_example(document: Document) -> None:
    """Enums excepted: their schema lists every value they take."""
    missing = [
        name
        for name, schema in document["components"]["schemas"].items()
        if name not in FASTAPI_OWN_SCHEMAS and "enum" not in schema and not schema.get("examples")
    ]
    assert not missing, "component schemas without an example: " + ", ".join(sorted(missing))


def parameter_examples(parameter: Document) -> list[object]:
    examples = list(parameter.get("schema", {}).get("examples", []))
    if "example" in parameter:
        examples.append(parameter["example"])
    examples += [e["value"] for e in parameter.get("examples", {}).values() if "value" in e]
    return examples


def test_every_parameter_carries_an_example(document: Document) -> None:
    missing = []
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            name = parameter["name"]
            if name in PARAMETERS_WITHOUT_EXAMPLE:
                assert "description" in json.dumps(parameter), f"{method.upper()} {path} {name}"
                continue
            if not parameter_examples(parameter):
                missing.append(f"{method.upper()} {path} {parameter['in']} {name}")
    assert not missing, f"{len(missing)} parameters without an example:\n" + "\n".join(missing)


# --- the request examples, sent --------------------------------------------------------------
#
# Each operation with a JSON request body example is called as its examples describe it: the
# path, query and header parameters' examples and the body example, by a caller the route's
# policy lets make the call, against the demo data `make run` serves. It must be accepted, and
# change what it says it changes and nothing more.

#: Query parameters not sent with a JSON body, and why.
NOT_SENT_WITH_JSON = {
    ("school_roll_replace", "as_of"): "a JSON roll gives `as_of` in its body; the query "
    "parameter is for a CSV roll, and a JSON roll with both is refused",
}
#: Operations with a JSON body example that are not sent here, and why.
NOT_SENT = {
    "notify_callbacks_receive": "GOV.UK Notify's delivery receipt for a message KPAS sent, "
    "authenticated by the receipt token KPAS gave Notify, not by a role; "
    "tests/test_notify_callbacks.py sends receipts",
    "notify_returned_letters_receive": "GOV.UK Notify's report of a returned letter, "
    "authenticated by the token KPAS gave Notify, not by a role",
    "public_subject_requests_create": "a public route takes no token; "
    "tests/test_public_intake_api.py sends its published example",
    "public_complaints_create": "a public route takes no token; "
    "tests/test_public_intake_api.py sends its published example",
    "messages_returned": "a return is recorded on a letter KPAS has dispatched, and the demo "
    "data sends none; tests/test_messages_api.py records returns",
    "legal_holds_lift": "a hold is lifted once placed, and the demo data places none; "
    "tests/test_legal_holds_api.py lifts holds",
}
#: Tables that record how a request was handled rather than what it changed: the audit trail,
#: idempotency records, the worker's queue of weeks to recompute, and the migrations.
BOOKKEEPING_TABLES = frozenset(
    {
        "alembic_version",
        "audit_events",
        "audit_events_pending",
        "audit_event_subjects",
        "audit_chain_head",
        "idempotency_records",
        "attendance_stale_weeks",
    }
)
#: Roles tried, in order, for the caller: the first any rule lets make the call.
CALLER_ROLES = (
    Role.MIS_INTEGRATION,
    Role.ADMIN,
    Role.ATTENDANCE_MANAGER,
    Role.INFORMATION_GOVERNANCE,
    Role.ATTENDANCE_OFFICER,
    Role.SCHOOL_STAFF,
    Role.LICENSING_OFFICER,
)

Counts = dict[str, int]

#: The caller's area teams: every one, so that each demo record an example names (the survivor
#: of a merge is at another school than URN 990028) is within an attendance manager's reach.
EXAMPLE_AREA_TEAMS = tuple(team.value for team in AreaTeam)


def _roll_changes(body: Document) -> Counts:
    created = body["carers_created"]
    return {
        "pupils": body["joined"],
        "data_subjects": body["joined"] + created,
        "pupil_enrolments": body["joined"],
        "carers": created,
        "pupil_carers": created,
    }


def _import_changes(body: Document) -> Counts:
    return {
        "attendance_imports": 1,
        "attendance_marks": body["marks_created"],
        "attendance_mark_history": body["marks_replaced"],
    }


def _rows(**counts: int) -> Callable[[Document], Counts]:
    return lambda _: counts


def _disclosure_changes(body: Document) -> Counts:
    return {"disclosures": 1, "disclosure_subjects": len(body.get("subjects", [])) or 1}


#: What each operation's example changes, in rows per table, from its response body. An update
#: changes rows in place: it adds and removes none.
EXPECTED_CHANGES: dict[str, Callable[[Document], Counts]] = {
    "school_roll_replace": _roll_changes,
    "attendance_imports_create": _import_changes,
    "carers_update": _rows(),
    "clients_create": _rows(api_clients=1),
    "clients_update": _rows(),
    "disclosures_create": _disclosure_changes,
    "inspection_grants_create": _rows(inspection_grants=1),
    "messages_create": _rows(outbound_messages=1),
    "pupils_create": _rows(pupils=1, data_subjects=1, pupil_enrolments=1),
    "pupils_update": _rows(),
    "pupils_carers_link": _rows(carers=1, data_subjects=1, pupil_carers=1),
    "pupils_carers_update": _rows(),
    # The demo's second record is on the same school's roll: the merge keeps one enrolment.
    "pupils_merge": _rows(pupil_enrolments=-1),
    "pupils_sensitive_create": _rows(pupil_sensitive_entries=1),
    "recipients_create": _rows(recipients=1),
    "recipients_update": _rows(),
    "schools_create": _rows(schools=1),
    "schools_update": _rows(),
    "sharing_agreements_create": _rows(sharing_agreements=1),
    "sharing_agreements_update": _rows(),
    # Casework: every step writes its chronology entry; a letter is queued (an outbound
    # message, and a chronology entry saying so) by the steps that send one.
    "cases_create": _rows(cases=1, case_parties=1, case_events=1),
    "cases_update": _rows(),
    "cases_assign": _rows(case_events=1),
    "cases_transition": _rows(case_events=1),
    # The enforcement case binds its people to prosecution: the new parent gets that claim.
    "cases_parties_add": _rows(case_parties=1, case_events=1, subject_legal_claims=1),
    "cases_events_create": _rows(case_events=1),
    "cases_meetings_create": _rows(case_meetings=1, case_events=2, outbound_messages=1),
    "cases_meetings_update": _rows(case_events=1),
    "cases_contracts_create": _rows(attendance_contracts=1, case_events=1),
    "cases_contracts_update": _rows(case_events=1),
    "notices_to_improve_create": _rows(notices_to_improve=1, case_events=2, outbound_messages=1),
    "notices_to_improve_update": _rows(case_events=1),
    "penalty_notices_create": _rows(penalty_notices=1, case_events=2, outbound_messages=1),
    "penalty_notices_payment": _rows(case_events=1),
    "penalty_notices_withdraw": _rows(case_events=1),
    "school_attendance_orders_create": _rows(
        school_attendance_orders=1, case_events=2, outbound_messages=1
    ),
    "school_attendance_orders_satisfied": _rows(case_events=1),
    "school_attendance_orders_intention": _rows(case_events=2, outbound_messages=1),
    "school_attendance_orders_make": _rows(case_events=2, outbound_messages=1),
    "school_attendance_orders_amend": _rows(case_events=2, outbound_messages=1),
    "school_attendance_orders_revoke": _rows(case_events=1),
    "school_attendance_orders_breach": _rows(case_events=1),
    "prosecutions_create": _rows(prosecutions=1, case_events=1),
    "prosecutions_update": _rows(case_events=1),
    "prosecutions_approve": _rows(case_events=1),
    "prosecutions_lay": _rows(case_events=1),
    "prosecutions_outcome": _rows(case_events=1),
    # The court bundle is a disclosure to HMCTS about the parent and the child.
    "prosecutions_court_disclosure": _rows(case_events=1, disclosures=1, disclosure_subjects=2),
    "referrals_create": _rows(cases=1, case_parties=1, case_events=1),
    # Isla has no open exclusion-support case for the suspension to join.
    "exclusions_create": _rows(exclusions=1),
    "exclusions_update": _rows(),
    # Licensing. A new child is a person with a data subject of their own.
    "people_create": _rows(people=1, data_subjects=1),
    "people_update": _rows(),
    "productions_create": _rows(productions=1),
    "productions_update": _rows(),
    "licences_create": _rows(licences=1),
    "licences_update": _rows(),
    # A grant or revocation emails the employer (the parent has no email: a letter).
    "licences_decide": _rows(outbound_messages=2),
    "licences_revoke": _rows(outbound_messages=1),
    # Subject requests. The requester is a data subject of their own; the acknowledgement
    # (with the due date) is queued at once.
    "subject_requests_create": _rows(subject_requests=1, data_subjects=1, outbound_messages=1),
    "subject_requests_update": _rows(),
    # Asking for a clarification stops the clock and queues the letter that asks.
    "subject_requests_clock": _rows(subject_request_clock_events=1, outbound_messages=1),
    "subject_requests_extend": _rows(outbound_messages=1),
    "subject_requests_close": _rows(outbound_messages=1),
    "subject_requests_reviews_create": _rows(subject_request_reviews=1),
    "subject_requests_reviews_decide": _rows(outbound_messages=1),
    # Answering an access request: a search records the records it newly matched; a match
    # decision and the search record change rows in place; each item answered is a row.
    "complaints_create": _rows(complaints=1, data_subjects=1),
    # Retention: a change to a rule is a new version kept in its history; a hold opens the
    # legal claim the restriction rules read; the run example is a dry run, which keeps its
    # run record and destroys nothing.
    "retention_policies_update": _rows(retention_policy_versions=1),
    "legal_holds_create": _rows(legal_holds=1, subject_legal_claims=1),
    "retention_runs_create": _rows(retention_runs=1),
    "complaints_update": _rows(),
    "complaints_acknowledge": _rows(complaint_updates=1, outbound_messages=1),
    "complaints_progress": _rows(complaint_updates=1, outbound_messages=1),
    "complaints_close": _rows(complaint_updates=1, outbound_messages=1),
    "subject_requests_actions_create": _rows(subject_request_actions=1),
    "subject_requests_search": lambda body: {"subject_request_matches": body["added"]},
    "subject_requests_matches_decide": _rows(),
    "subject_requests_items_decide": lambda body: {"subject_request_items": len(body["items"])},
    # The breach register. The example names two people affected (the demo's Isla Tillbrook
    # and her mother); telling the people affected queues one message for each of them the
    # council can reach, once.
    "breaches_create": _rows(breaches=1, breach_subjects=2),
    "breaches_update": _rows(),
    "breaches_containment_create": _rows(breach_containment_actions=1),
    "breaches_ico_notification": _rows(),
    "breaches_individual_notifications": lambda body: {"outbound_messages": len(body["messages"])},
    "breaches_close": _rows(),
}


def body_example(document: Document, content: Document) -> Any:
    if "example" in content:
        return content["example"]
    for example in content.get("examples", {}).values():
        if "value" in example:
            return example["value"]
    schema = content.get("schema", {})
    ref = schema.get("$ref", "")
    component = document["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    examples = list(schema.get("examples", [])) or list(component.get("examples", []))
    return examples[0] if examples else None


def json_body_operations(document: Document) -> list[tuple[str, str, Document, object]]:
    found = []
    for path, method, operation in operations(document):
        content = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if content is None:
            continue
        found.append((path, method, operation, body_example(document, content)))
    return found


def caller_for(resource: str, action: str) -> tuple[Role, list[Purpose]] | None:
    for role in CALLER_ROLES:
        rules = [
            rule
            for rule in RULES
            if role in rule.roles and rule.resource == resource and action in rule.actions
        ]
        if rules:
            return role, sorted({purpose for rule in rules for purpose in rule.purposes})
    return None


async def row_counts(conn: AsyncConnection) -> Counts:
    """Rows per table (bookkeeping aside), in one statement: a scalar count per table.

    The tables are the models' (a partitioned table's rows are counted once, on its parent,
    not again on the PostgreSQL partition that holds them)."""
    names = await conn.run_sync(lambda sync: sa_inspect(sync).get_table_names())
    counted = sorted((set(names) & set(Base.metadata.tables)) - BOOKKEEPING_TABLES)
    statement = select(
        *(select(func.count()).select_from(table(name)).scalar_subquery() for name in counted)
    )
    row = (await conn.execute(statement)).one()
    return dict(zip(counted, (int(value) for value in row), strict=True))


def changes(before: Counts, after: Counts) -> Counts:
    return {
        name: after.get(name, 0) - before.get(name, 0)
        for name in sorted(set(before) | set(after))
        if after.get(name, 0) != before.get(name, 0)
    }


@pytest_asyncio.fixture(scope="module")
async def demo_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    """A database holding what ``kpas seed-demo`` loads (marks aside), built once here."""
    async with demo_engine_on(backend, tmp_path_factory.mktemp(f"examples-{backend}")) as engine:
        yield engine


@dataclass
class Sent:
    """One operation's example request, as sent."""

    where: str
    response: httpx.Response
    changed: Counts


#: One app per demo database: a new app compiles each route again on its first request,
#: which would be most of this module's time. Each example binds its own transaction.
_APPS: dict[int, FastAPI] = {}


def _app_for(engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession]) -> FastAPI:
    app = _APPS.get(id(engine))
    if app is None:
        app = _APPS[id(engine)] = build_app(engine, sessions)
    app.state.database.sessions = sessions
    return app


async def send_example(
    engine: AsyncEngine, path: str, method: str, operation: Document, body: object
) -> Sent:
    operation_id = operation["operationId"]
    where = f"{method.upper()} {path} ({operation_id})"
    route = next(
        r
        for router in V1_ROUTERS
        for r in router.routes
        if isinstance(r, APIRoute) and r.name == operation_id
    )
    declared = [d for d in declared_policies(route.endpoint, route.dependencies)]
    assert len(declared) == 1 and isinstance(declared[0], PolicyDeclaration), where
    caller = caller_for(declared[0].resource, declared[0].action)
    assert caller is not None, f"{where}: no rule lets any staff or system role call it"
    role, purposes = caller
    url, query, headers = path, {}, {}
    for parameter in operation.get("parameters", []):
        name, place = parameter["name"], parameter["in"]
        examples = parameter_examples(parameter)
        if place == "header" and name == "If-Match":
            continue  # the current ETag, read below
        if place == "header" and name == "KPAS-Purpose":
            value = examples[0] if examples else (purposes[0].value if purposes else None)
            if value is not None:
                headers[name] = str(value)
            continue
        if not examples or (operation_id, name) in NOT_SENT_WITH_JSON:
            assert place != "path" and parameter.get("required") is not True, (
                f"{where}: required {place} parameter {name} has no example"
            )
            continue
        value = examples[0]
        text_value = json.dumps(value) if isinstance(value, bool) else str(value)
        if place == "path":
            url = url.replace("{" + name + "}", text_value)
        elif place == "query":
            query[name] = text_value
        elif place == "header":
            headers[name] = text_value
    async with engine.connect() as conn:
        transaction = await conn.begin()
        try:
            sessions = async_sessionmaker(
                bind=conn, expire_on_commit=False, join_transaction_mode="create_savepoint"
            )
            app = _app_for(engine, sessions)
            token = app.state.token_issuer.issue(
                subject="examples-caller",
                roles=[role],
                school_urns=(EXAMPLE_URN,),
                area_teams=EXAMPLE_AREA_TEAMS,
            ).access_token
            headers["Authorization"] = f"Bearer {token}"
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
            async with httpx.AsyncClient(transport=transport, base_url="http://kpas.test") as c:
                if any(p["name"] == "If-Match" for p in operation.get("parameters", [])):
                    # The ETag of the resource the operation changes: at its own path, or
                    # (an action such as a merge) at the resource's.
                    current = await c.get(url, headers=headers)
                    if current.status_code == 405:
                        current = await c.get(url.rsplit("/", 1)[0], headers=headers)
                    if current.status_code != 200:
                        return Sent(f"{where}, reading its ETag", current, {})
                    headers["If-Match"] = current.headers["ETag"]
                before = await row_counts(conn)
                response = await c.request(method, url, params=query, headers=headers, json=body)
                after = await row_counts(conn)
        finally:
            await transaction.rollback()
    return Sent(where, response, changes(before, after))


async def test_request_examples_are_accepted_and_change_what_they_say(
    document: Document, demo_engine: AsyncEngine
) -> None:
    failures = []
    sent = []
    for path, method, operation, body in json_body_operations(document):
        operation_id = operation["operationId"]
        if operation_id in NOT_SENT:
            continue
        if body is None:
            failures.append(f"{method.upper()} {path} ({operation_id}): no JSON body example")
            continue
        result = await send_example(demo_engine, path, method, operation, body)
        sent.append(operation_id)
        if not result.response.is_success:
            failures.append(
                f"{result.where}: {result.response.status_code} {result.response.text[:500]}"
            )
            continue
        expected = EXPECTED_CHANGES.get(operation_id)
        if expected is None:
            failures.append(f"{result.where}: changed {result.changed}; no expectation declared")
            continue
        wanted = {k: v for k, v in expected(result.response.json()).items() if v}
        if result.changed != wanted:
            failures.append(f"{result.where}: changed {result.changed}, expected {wanted}")
    assert {"school_roll_replace", "attendance_imports_create"} <= set(sent)
    assert not failures, "\n".join(failures)


#: The casework records the path examples name, each the demo record of that name.
CASEWORK_EXAMPLES = {
    name: getattr(params, f"EXAMPLE_{name}")
    for name in (
        "CASE_ID",
        "ENFORCEMENT_CASE_ID",
        "SAO_CASE_ID",
        "REFERRAL_ID",
        "MEETING_ID",
        "CONTRACT_ID",
        "NOTICE_TO_IMPROVE_ID",
        "SUPPORT_CASE_ID",
        "PENALTY_NOTICE_ID",
        "SAO_ORDER_ID",
        "SAO_NEW_CASE_ID",
        "SAO_INTENTION_CASE_ID",
        "SAO_INTENTION_ORDER_ID",
        "SAO_ORDER_CASE_ID",
        "SAO_MADE_ORDER_ID",
        "PROSECUTION_NEW_CASE_ID",
        "PROSECUTION_CASE_ID",
        "PROSECUTION_ID",
        "APPROVED_CASE_ID",
        "APPROVED_PROSECUTION_ID",
        "COURT_CASE_ID",
        "LAID_PROSECUTION_ID",
        "EXCLUSION_ID",
    )
}


#: Reads whose path examples are demo records but which the caller cannot make, and why.
PATH_EXAMPLES_NOT_READ = {
    "referrals_get": "the first caller role a rule lets read a referral is the MIS "
    "integration, which reads back only the referrals it made itself (rule referrals.mis); "
    "the demo referral is a school staff member's. tests/test_referrals_api.py reads referrals",
}


async def test_path_examples_name_records_the_demo_holds(
    document: Document, demo_engine: AsyncEngine
) -> None:
    """Every read whose path examples are demo records ("Try it out" against `make run`)
    finds them. Ids given as examples of the format only are not tried."""
    demo_records = {
        str(value)
        for value in (
            EXAMPLE_URN,
            EXAMPLE_PUPIL_ID,
            EXAMPLE_CARER_ID,
            EXAMPLE_AGREEMENT_ID,
            EXAMPLE_RECIPIENT_ID,
            EXAMPLE_SURVIVOR_ID,
            EXAMPLE_DUPLICATE_ID,
            EXAMPLE_BREACH_ID,
            EXAMPLE_CONTAINED_BREACH_ID,
            *CASEWORK_EXAMPLES.values(),
        )
    }
    failures, tried = [], 0
    for path, method, operation in operations(document):
        path_parameters = [p for p in operation.get("parameters", []) if p["in"] == "path"]
        if method != "get" or not path_parameters or not path.startswith("/v1/"):
            continue
        if operation["operationId"] in PATH_EXAMPLES_NOT_READ:
            continue
        if not all(
            str(next(iter(parameter_examples(p)), None)) in demo_records for p in path_parameters
        ):
            continue
        result = await send_example(demo_engine, path, method, operation, None)
        tried += 1
        if result.response.status_code != 200:
            failures.append(f"{result.where}: {result.response.status_code}")
    assert tried >= 5
    assert not failures, "\n".join(failures)


def test_example_ids_are_the_demo_ids() -> None:
    """The ids the examples name are those the demo seeds (uuid5 of fixed keys)."""
    agreements = {agreement.key: agreement.id for agreement in demo_agreements()}
    assert demo_pupil_id(313) == EXAMPLE_PUPIL_ID  # Isla Tillbrook, on URN 990028's roll
    assert demo_carer_id(313, 1) == EXAMPLE_CARER_ID
    assert demo_pupil_id(1) == EXAMPLE_SURVIVOR_ID
    assert demo_pupil_id(1, again=True) == EXAMPLE_MERGE_FROM_ID
    assert demo_duplicate_id(EXAMPLE_SURVIVOR_ID, EXAMPLE_MERGE_FROM_ID) == EXAMPLE_DUPLICATE_ID
    assert EXAMPLE_IMPORT_ID == DEMO_MARKS_IMPORT_ID
    assert agreements["kent-police-kmisa"] == EXAMPLE_AGREEMENT_ID
    assert any(school.urn == EXAMPLE_URN for school in demo_schools())
    assert EXAMPLE_CLIENT_ID == DEMO_MIS_CLIENT_ID
    assert (EXAMPLE_BREACH_ID, EXAMPLE_CONTAINED_BREACH_ID) == (SPREADSHEET_BREACH, LETTER_BREACH)
    for name, example in CASEWORK_EXAMPLES.items():
        seeded = "DEMO_REFERRAL_ID" if name == "REFERRAL_ID" else f"DEMO_{name}"
        assert getattr(app.demo, seeded) == example, name
