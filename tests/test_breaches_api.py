"""``/v1/breaches``: the personal data breach register (UK GDPR Arts 33 and 34) as information
governance keeps it: the Commissioner's deadline exactly 72 hours after awareness, whatever the
clocks do; reasons for a late notification; the people affected told of a high-risk breach
through the Notify outbox, each once; lists of what is overdue or due soon; and seen by no one
else.

The API runs on the real clock, so breaches here are dated back from now; the clock-change
cases use the most recent last Sundays of March and October.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import OutboundMessage
from app.models.audit import AuditEventSubject
from app.models.breaches import (
    Breach,
    BreachContainmentAction,
    BreachSubject,
    Likelihood,
    RiskLevel,
    Severity,
)
from app.rules.breaches import assess_risk, ico_deadline, in_london, notified_late
from tests.conftest import AuthHeaders
from tests.factories import assert_problem, make_carer, make_pupil

LONDON = ZoneInfo("Europe/London")
IG = "information_governance"
URL = "/v1/breaches"
NOW = datetime.now(UTC)


def ig(auth: AuthHeaders, subject: str = "governance-1") -> dict[str, str]:
    return auth(IG, subject=subject)


def with_etag(headers: dict[str, str], etag: str) -> dict[str, str]:
    return {**headers, "If-Match": etag}


def breach_body(**fields: Any) -> dict[str, Any]:
    """A breach the council became aware of two hours ago, risk not yet assessed."""
    body: dict[str, Any] = {
        "aware_at": (NOW - timedelta(hours=2)).isoformat(),
        "description": "A spreadsheet of absentees was emailed to the wrong school.",
        "data_categories": ["identity_contact", "attendance"],
    }
    body.update(fields)
    return body


HIGH = {"likelihood": "likely", "severity": "severe", "risk_reasons": "Health data, shared on."}
SOME = {"likelihood": "possible", "severity": "significant", "risk_reasons": "Names, a school."}
UNLIKELY = {"likelihood": "remote", "severity": "minimal", "risk_reasons": "Recalled unread."}


async def record(
    client: httpx.AsyncClient, auth: AuthHeaders, **fields: Any
) -> tuple[dict[str, Any], str]:
    response = await client.post(URL, json=breach_body(**fields), headers=ig(auth))
    assert response.status_code == 201, response.text
    return response.json(), response.headers["ETag"]


async def count(session: AsyncSession, model: type[Any]) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def breach_messages(session: AsyncSession) -> list[tuple[uuid.UUID, str]]:
    rows = await session.execute(
        select(OutboundMessage.subject_id, OutboundMessage.channel).where(
            OutboundMessage.message_type == "breach_notification"
        )
    )
    return sorted((subject, channel.value) for subject, channel in rows)


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def latest_past_last_sunday(month: int) -> date:
    """The most recent last Sunday of ``month`` at least four days ago (so a deadline from it
    has passed and the API accepts the awareness as past)."""
    year = NOW.year
    while last_sunday(year, month) > NOW.date() - timedelta(days=4):
        year -= 1
    return last_sunday(year, month)


# --- the 72 hours ------------------------------------------------------------------------------


def _local(day: date, hour: int, minute: int, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON, fold=fold)


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_the_deadline_is_72_hours_of_elapsed_time_across_both_clock_changes(year: int) -> None:
    # Last Sunday of October, 01:30 on the London clock: it happens twice (BST, then GMT).
    october = last_sunday(year, 10)
    first = _local(october, 1, 30, fold=0)  # 01:30 BST = 00:30 UTC
    second = _local(october, 1, 30, fold=1)  # 01:30 GMT = 01:30 UTC
    for aware in (first, second):
        deadline = ico_deadline(aware)
        assert deadline - aware.astimezone(UTC) == timedelta(hours=72)
        assert deadline.tzinfo is UTC
    # The clocks went back inside the 72 hours: the deadline reads an hour earlier on the wall.
    assert in_london(ico_deadline(first)).replace(tzinfo=None) == datetime(
        october.year, october.month, october.day, 0, 30
    ) + timedelta(days=3)
    assert in_london(ico_deadline(second)).replace(tzinfo=None) == datetime(
        october.year, october.month, october.day, 1, 30
    ) + timedelta(days=3)
    # Last Sunday of March: 01:30 on the London clock never happens (01:00 GMT becomes 02:00
    # BST); 00:30 GMT does, and the deadline reads an hour later on the wall.
    march = last_sunday(year, 3)
    before = datetime(march.year, march.month, march.day, 0, 30, tzinfo=UTC)
    assert ico_deadline(before) - before == timedelta(hours=72)
    local = in_london(ico_deadline(before))
    assert (local.hour, local.minute, local.utcoffset()) == (1, 30, timedelta(hours=1))
    at_change = datetime(march.year, march.month, march.day, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert ico_deadline(at_change) == at_change + timedelta(hours=72)
    assert in_london(ico_deadline(at_change)).hour == 2


@pytest.mark.parametrize(
    ("aware", "deadline"),
    [
        # Across a year's end, in London's winter (GMT = UTC).
        ("2026-12-31T23:30:00+00:00", "2027-01-03T23:30:00+00:00"),
        ("2026-12-30T12:00:00+00:00", "2027-01-02T12:00:00+00:00"),
        # Across the end of a common February and of a leap-year February.
        ("2027-02-27T09:00:00+00:00", "2027-03-02T09:00:00+00:00"),
        ("2028-02-27T09:00:00+00:00", "2028-03-01T09:00:00+00:00"),
        # Across a 30-day month's end in summer, given with its BST offset.
        ("2026-06-29T18:15:00+01:00", "2026-07-02T17:15:00+00:00"),
    ],
)
def test_the_deadline_across_month_and_year_ends(aware: str, deadline: str) -> None:
    assert ico_deadline(datetime.fromisoformat(aware)) == datetime.fromisoformat(deadline)


def test_a_time_without_its_offset_has_no_deadline() -> None:
    with pytest.raises(ValueError, match="offset"):
        ico_deadline(datetime(2026, 12, 1, 9, 0))


def test_late_is_after_the_72nd_hour_not_at_it() -> None:
    aware = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert not notified_late(aware, aware + timedelta(hours=72))
    assert notified_late(aware, aware + timedelta(hours=72, seconds=1))


@pytest.mark.parametrize(
    ("likelihood", "severity", "risk"),
    [
        (Likelihood.REMOTE, Severity.MINIMAL, RiskLevel.UNLIKELY),
        (Likelihood.POSSIBLE, Severity.SIGNIFICANT, RiskLevel.RISK),
        (Likelihood.LIKELY, Severity.MINIMAL, RiskLevel.RISK),
        (Likelihood.POSSIBLE, Severity.SEVERE, RiskLevel.HIGH_RISK),
        (Likelihood.LIKELY, Severity.SIGNIFICANT, RiskLevel.HIGH_RISK),
    ],
)
def test_the_risk_follows_likelihood_and_severity(
    likelihood: Likelihood, severity: Severity, risk: RiskLevel
) -> None:
    assert assess_risk(likelihood, severity) is risk


@pytest.mark.parametrize("month", [3, 10])
async def test_the_api_shows_the_deadline_as_an_instant_and_on_the_london_clock(
    client: httpx.AsyncClient, auth: AuthHeaders, month: int
) -> None:
    day = latest_past_last_sunday(month)
    # 01:30 on the London clock that day (in March, given in GMT: the clock jumped past it).
    aware = (
        datetime(day.year, day.month, day.day, 1, 30, tzinfo=UTC)
        if month == 3
        else _local(day, 1, 30)
    )
    read, _ = await record(client, auth, aware_at=aware.isoformat())
    ico = read["ico_notification"]
    deadline = datetime.fromisoformat(ico["deadline"])
    assert deadline - aware == timedelta(hours=72)
    local = datetime.fromisoformat(ico["deadline_local"])
    assert local == deadline
    assert local.utcoffset() == (timedelta(hours=1) if month == 3 else timedelta(0))
    assert ico["overdue"] is True and ico["decision"] is None
    assert read["reference"] == f"BR-{day.year}-{read['reference'][-4:]}"


# --- recording ---------------------------------------------------------------------------------


async def test_a_recorded_breach_names_its_people_and_deadline(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session)
    carer = await make_carer(session, pupil=pupil, email="sam.example@example.org")
    aware = NOW - timedelta(hours=30)
    read, etag = await record(
        client,
        auth,
        aware_at=aware.isoformat(),
        occurred_at=(aware - timedelta(days=1)).isoformat(),
        subjects=[
            {"record_type": "pupil", "record_id": str(pupil.id)},
            {"record_type": "carer", "record_id": str(carer.id)},
        ],
        unidentified_count=4,
        **SOME,
    )
    assert read["status"] == "open" and etag.startswith('"')
    assert read["reference"].startswith(f"BR-{in_london(aware).year}-")
    assert {(s["record_type"], s["subject_id"]) for s in read["subjects"]} == {
        ("pupil", str(pupil.subject_id)),
        ("carer", str(carer.subject_id)),
    }
    assert read["unidentified_count"] == 4
    assert read["risk_assessment"]["risk"] == "risk"
    assert datetime.fromisoformat(read["ico_notification"]["deadline"]) == ico_deadline(aware)
    assert read["ico_notification"]["overdue"] is False
    assert read["individuals"]["required"] is False
    # The next breach of the year takes the next number.
    second, _ = await record(client, auth, aware_at=aware.isoformat())
    year = in_london(aware).year
    assert int(second["reference"].rsplit("-", 1)[1]) == int(read["reference"][-4:]) + 1
    assert second["reference"].startswith(f"BR-{year}-")
    # A read names the people affected in the audit trail.
    got = await client.get(f"{URL}/{read['id']}", headers=ig(auth))
    assert got.status_code == 200
    named = set(
        await session.scalars(
            select(AuditEventSubject.subject_id).where(
                AuditEventSubject.subject_id.in_([pupil.subject_id, carer.subject_id])
            )
        )
    )
    assert named == {pupil.subject_id, carer.subject_id}


async def test_bad_input_is_refused_and_changes_nothing(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await count(session, Breach)
    pupil = await make_pupil(session)
    aware = NOW - timedelta(hours=3)
    for body, code in [
        (breach_body(aware_at=(NOW + timedelta(hours=1)).isoformat()), "in_future"),
        (
            breach_body(
                aware_at=aware.isoformat(), occurred_at=(aware + timedelta(hours=1)).isoformat()
            ),
            "value_error",
        ),
        (
            breach_body(subjects=[{"record_type": "pupil", "record_id": str(uuid.uuid4())}]),
            "unknown_breach_subject",
        ),
        (
            # A carer's id given as a pupil's.
            breach_body(subjects=[{"record_type": "carer", "record_id": str(pupil.id)}]),
            "unknown_breach_subject",
        ),
        (breach_body(aware_at="2026-12-01T09:00:00"), "timezone_aware"),
        (breach_body(data_categories=["gossip"]), "enum"),
        (breach_body(data_categories=[]), "too_short"),
        (breach_body(likelihood="likely"), "value_error"),
        (breach_body(unidentified_count=-1), "greater_than_equal"),
    ]:
        response = await client.post(URL, json=body, headers=ig(auth))
        problem = assert_problem(response, 422)
        assert code in str(problem["errors"]), (code, response.text)
    assert await count(session, Breach) == before
    reversed_range = await client.get(
        URL,
        params={"aware_from": NOW.isoformat(), "aware_to": (NOW - timedelta(days=1)).isoformat()},
        headers=ig(auth),
    )
    assert_problem(reversed_range, 422)
    assert_problem(await client.get(f"{URL}/{uuid.uuid4()}", headers=ig(auth)), 404)


async def test_amendments_need_the_current_etag_and_keep_times_in_order(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth)
    url = f"{URL}/{read['id']}"
    assert_problem(await client.patch(url, json={"status": "contained"}, headers=ig(auth)), 428)
    late = await client.patch(
        url,
        json={"occurred_at": NOW.isoformat()},
        headers=with_etag(ig(auth), etag),
    )
    assert "occurred_after_awareness" in str(assert_problem(late, 422)["errors"])
    half = await client.patch(url, json={"likelihood": "likely"}, headers=with_etag(ig(auth), etag))
    assert_problem(half, 422)
    earlier = NOW - timedelta(days=2)
    response = await client.patch(
        url,
        json={"status": "contained", "aware_at": earlier.isoformat(), **HIGH},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "contained"
    assert datetime.fromisoformat(body["ico_notification"]["deadline"]) == ico_deadline(earlier)
    assert body["risk_assessment"]["risk"] == "high_risk"
    assert body["individuals"]["required"] is True
    stale = await client.patch(url, json={"status": "open"}, headers=with_etag(ig(auth), etag))
    assert_problem(stale, 412)
    closing = await client.patch(
        url, json={"status": "closed"}, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert_problem(closing, 422)


async def test_containment_actions_are_kept_in_order_with_who_and_when(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, etag = await record(client, auth)
    url = f"{URL}/{read['id']}/containment-actions"
    later = {
        "action": "Reset the shared mailbox's password.",
        "taken_at": (NOW - timedelta(minutes=10)).isoformat(),
        "taken_by": "ICT service desk",
    }
    sooner = {
        "action": "Asked the recipient to delete the email.",
        "taken_at": (NOW - timedelta(hours=1)).isoformat(),
        "taken_by": "Attendance team leader",
    }
    response = await client.post(url, json=later, headers=with_etag(ig(auth), etag))
    assert response.status_code == 200, response.text
    response = await client.post(
        url, json=sooner, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert response.status_code == 200, response.text
    actions = response.json()["containment_actions"]
    assert [a["taken_by"] for a in actions] == ["Attendance team leader", "ICT service desk"]
    assert {a["recorded_by"] for a in actions} == {"governance-1"}
    future = {**sooner, "taken_at": (NOW + timedelta(hours=2)).isoformat()}
    refused = await client.post(
        url, json=future, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert "in_future" in str(assert_problem(refused, 422)["errors"])
    assert await count(session, BreachContainmentAction) >= 2


# --- the Commissioner (Art 33) -----------------------------------------------------------------


async def test_a_late_notification_needs_its_reasons(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth, aware_at=(NOW - timedelta(days=4)).isoformat(), **SOME)
    url = f"{URL}/{read['id']}/ico-notification"
    told = {"decision": "notified", "ico_reference": "IC-123456-AB12"}
    refused = await client.post(url, json=told, headers=with_etag(ig(auth), etag))
    problem = assert_problem(refused, 422)
    assert "ico_late_reasons_required" in str(problem["errors"])
    assert (problem["rule"], problem["source"]) == (
        "ico_late_reasons_required",
        "UK GDPR Art 33(1)",
    )
    unchanged = await client.get(f"{URL}/{read['id']}", headers=ig(auth))
    assert unchanged.headers["ETag"] == etag
    assert unchanged.json()["ico_notification"]["decision"] is None
    response = await client.post(
        url,
        json={**told, "late_reasons": "The officer who found it was on leave until Monday."},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    ico = response.json()["ico_notification"]
    assert (ico["decision"], ico["late"], ico["overdue"]) == ("notified", True, False)
    assert ico["ico_reference"] == "IC-123456-AB12"
    assert ico["late_reasons"].startswith("The officer")
    again = await client.post(url, json=told, headers=with_etag(ig(auth), response.headers["ETag"]))
    assert assert_problem(again, 409)["rule"] == "breach_ico_notified_once"


async def test_a_notification_in_time_needs_no_reasons_and_not_before_awareness(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    aware = NOW - timedelta(hours=71)
    read, etag = await record(client, auth, aware_at=aware.isoformat(), **SOME)
    url = f"{URL}/{read['id']}/ico-notification"
    early = await client.post(
        url,
        json={
            "decision": "notified",
            "ico_reference": "IC-1",
            "notified_at": (aware - timedelta(minutes=1)).isoformat(),
        },
        headers=with_etag(ig(auth), etag),
    )
    assert "before_awareness" in str(assert_problem(early, 422)["errors"])
    response = await client.post(
        url,
        json={"decision": "notified", "ico_reference": "IC-1", "notified_at": aware.isoformat()},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    ico = response.json()["ico_notification"]
    assert (ico["late"], ico["late_reasons"]) == (False, None)


async def test_not_notifying_is_for_a_breach_unlikely_to_result_in_a_risk(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    decision = {"decision": "not_notified", "reasons": "Recalled unread within minutes."}
    unassessed, etag = await record(client, auth)
    response = await client.post(
        f"{URL}/{unassessed['id']}/ico-notification",
        json=decision,
        headers=with_etag(ig(auth), etag),
    )
    assert assert_problem(response, 409)["rule"] == "breach_risk_assessed_first"

    risky, etag = await record(client, auth, **SOME)
    response = await client.post(
        f"{URL}/{risky['id']}/ico-notification", json=decision, headers=with_etag(ig(auth), etag)
    )
    assert assert_problem(response, 422)["rule"] == "ico_notification_required"

    unlikely, etag = await record(client, auth, **UNLIKELY)
    response = await client.post(
        f"{URL}/{unlikely['id']}/ico-notification",
        json=decision,
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    ico = response.json()["ico_notification"]
    assert (ico["decision"], ico["reasons"], ico["notified_at"]) == (
        "not_notified",
        decision["reasons"],
        None,
    )
    # Reassessed as a risk, the decision not to notify no longer stands.
    reassessed = await client.patch(
        f"{URL}/{unlikely['id']}", json=SOME, headers=with_etag(ig(auth), response.headers["ETag"])
    )
    assert reassessed.json()["ico_notification"]["decision"] is None
    missing = await client.post(
        f"{URL}/{unlikely['id']}/ico-notification",
        json={"decision": "not_notified"},
        headers=with_etag(ig(auth), reassessed.headers["ETag"]),
    )
    assert_problem(missing, 422)


# --- the people affected (Art 34) --------------------------------------------------------------

TELL = {
    "decision": "told",
    "what_happened": "A council email with your child's attendance went to another parent.",
    "likely_consequences": "Another parent may know of your child's absences.",
    "measures_taken": "The email was deleted and recipients are now checked before sending.",
}


async def test_only_a_high_risk_breach_is_told_to_the_people_affected(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, address_lines=["1 Example Road", "Dover"])
    subjects = [{"record_type": "pupil", "record_id": str(pupil.id)}]
    for risk in ({}, SOME, UNLIKELY):
        read, etag = await record(client, auth, subjects=subjects, **risk)
        for body in (TELL, {"decision": "exception", "exception": "art_34_3_a", "reasons": "x"}):
            response = await client.post(
                f"{URL}/{read['id']}/individual-notifications",
                json=body,
                headers=with_etag(ig(auth), etag),
            )
            assert assert_problem(response, 409)["rule"] == "art34_high_risk_only"
    assert [s for s, _ in await breach_messages(session) if s == pupil.subject_id] == []


async def test_the_people_affected_are_told_through_the_outbox_exactly_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, address_lines=["1 Example Road", "Dover"])
    carer = await make_carer(session, pupil=pupil, email="sam.example@example.org")
    unreachable = await make_carer(session, pupil=pupil, forename="Lee", contact_priority=2)
    read, etag = await record(
        client,
        auth,
        subjects=[
            {"record_type": "pupil", "record_id": str(pupil.id)},
            {"record_type": "carer", "record_id": str(carer.id)},
            {"record_type": "carer", "record_id": str(unreachable.id)},
        ],
        **HIGH,
    )
    url = f"{URL}/{read['id']}/individual-notifications"
    response = await client.post(url, json=TELL, headers=with_etag(ig(auth), etag))
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(m["channel"] for m in body["messages"]) == ["email", "letter"]
    assert {m["message_type"] for m in body["messages"]} == {"breach_notification"}
    assert body["not_contactable"] == [str(unreachable.id)]
    assert body["individuals"]["decision"] == "told"
    assert body["individuals"]["told_at"] is not None
    told = {s["record_id"]: s for s in body["subjects"]}
    assert told[str(pupil.id)]["message_id"] is not None
    assert told[str(unreachable.id)]["told_at"] is None
    expected = sorted([(pupil.subject_id, "letter"), (carer.subject_id, "email")])
    assert await breach_messages(session) == expected
    stored = await session.scalar(
        select(OutboundMessage).where(OutboundMessage.subject_id == carer.subject_id)
    )
    assert stored is not None and stored.purpose == "breach_management"
    assert stored.personalisation["breach_reference"] == read["reference"]

    # Sent again: no one is told twice.
    again = await client.post(url, json=TELL, headers=with_etag(ig(auth), response.headers["ETag"]))
    assert again.status_code == 200, again.text
    assert again.json()["messages"] == []
    assert await breach_messages(session) == expected
    # An exception cannot follow telling them; and a person told stays on the list.
    exception = {"decision": "exception", "exception": "art_34_3_b", "reasons": "Recovered."}
    refused = await client.post(
        url, json=exception, headers=with_etag(ig(auth), again.headers["ETag"])
    )
    assert assert_problem(refused, 409)["rule"] == "breach_individuals_told"
    dropped = await client.patch(
        f"{URL}/{read['id']}",
        json={"subjects": [{"record_type": "carer", "record_id": str(unreachable.id)}]},
        headers=with_etag(ig(auth), again.headers["ETag"]),
    )
    assert assert_problem(dropped, 409)["rule"] == "breach_told_subject_kept"
    assert await count(session, BreachSubject) >= 3


async def test_an_art_34_3_exception_is_recorded_with_its_reasons(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    pupil = await make_pupil(session, address_lines=["1 Example Road", "Dover"])
    read, etag = await record(
        client, auth, subjects=[{"record_type": "pupil", "record_id": str(pupil.id)}], **HIGH
    )
    url = f"{URL}/{read['id']}/individual-notifications"
    incomplete = await client.post(
        url,
        json={"decision": "exception", "exception": "art_34_3_a"},
        headers=with_etag(ig(auth), etag),
    )
    assert_problem(incomplete, 422)
    response = await client.post(
        url,
        json={
            "decision": "exception",
            "exception": "art_34_3_a",
            "reasons": "The laptop was encrypted and the key was not lost with it.",
        },
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    individuals = response.json()["individuals"]
    assert (individuals["decision"], individuals["exception"]) == ("exception", "art_34_3_a")
    assert response.json()["messages"] == []
    assert await breach_messages(session) == []


# --- closure -----------------------------------------------------------------------------------


async def test_closing_needs_the_decisions_and_happens_once(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    read, etag = await record(client, auth, **HIGH)
    url = f"{URL}/{read['id']}"
    closure = {"outcome": "confirmed", "summary": "Contained; lessons shared with the team."}
    early = await client.post(f"{url}/closure", json=closure, headers=with_etag(ig(auth), etag))
    assert assert_problem(early, 409)["rule"] == "breach_ico_decided_first"
    told = await client.post(
        f"{url}/ico-notification",
        json={"decision": "notified", "ico_reference": "IC-77"},
        headers=with_etag(ig(auth), etag),
    )
    etag = told.headers["ETag"]
    early = await client.post(f"{url}/closure", json=closure, headers=with_etag(ig(auth), etag))
    assert assert_problem(early, 409)["rule"] == "breach_individuals_decided_first"
    exception = await client.post(
        f"{url}/individual-notifications",
        json={"decision": "exception", "exception": "art_34_3_b", "reasons": "Recovered."},
        headers=with_etag(ig(auth), etag),
    )
    etag = exception.headers["ETag"]
    closed = await client.post(f"{url}/closure", json=closure, headers=with_etag(ig(auth), etag))
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert body["status"] == "closed"
    assert body["outcome"]["outcome"] == "confirmed"
    assert body["outcome"]["closed_by"] == "governance-1"
    etag = closed.headers["ETag"]
    for path, payload in [
        ("closure", closure),
        ("containment-actions", {"action": "More.", "taken_at": NOW.isoformat(), "taken_by": "x"}),
        ("ico-notification", {"decision": "notified", "ico_reference": "IC-78"}),
    ]:
        refused = await client.post(
            f"{url}/{path}", json=payload, headers=with_etag(ig(auth), etag)
        )
        assert assert_problem(refused, 409)["rule"] == "breach_open", path
    patched = await client.patch(url, json={"status": "open"}, headers=with_etag(ig(auth), etag))
    assert assert_problem(patched, 409)["rule"] == "breach_open"
    after = await client.get(url, headers=ig(auth))
    assert after.headers["ETag"] == etag


async def test_a_suspected_breach_found_not_to_be_one_closes_without_decisions(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, etag = await record(client, auth)
    response = await client.post(
        f"{URL}/{read['id']}/closure",
        json={"outcome": "not_a_breach", "summary": "The recipient was the school's own DSL."},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text
    assert response.json()["ico_notification"]["overdue"] is False


# --- lists ---------------------------------------------------------------------------------------


async def test_the_list_finds_overdue_and_due_soon_decisions(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    overdue, _ = await record(client, auth, aware_at=(NOW - timedelta(hours=80)).isoformat())
    soon, _ = await record(client, auth, aware_at=(NOW - timedelta(hours=60)).isoformat())
    fresh, _ = await record(client, auth, aware_at=(NOW - timedelta(hours=1)).isoformat())
    decided, etag = await record(
        client, auth, aware_at=(NOW - timedelta(hours=90)).isoformat(), **UNLIKELY
    )
    response = await client.post(
        f"{URL}/{decided['id']}/ico-notification",
        json={"decision": "not_notified", "reasons": "Recalled unread."},
        headers=with_etag(ig(auth), etag),
    )
    assert response.status_code == 200, response.text

    async def ids(**params: str) -> list[str]:
        response = await client.get(URL, params={"limit": "200", **params}, headers=ig(auth))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    late = await ids(due="overdue")
    assert overdue["id"] in late
    assert soon["id"] not in late and fresh["id"] not in late and decided["id"] not in late
    due = await ids(due="due_within_24_hours")
    assert soon["id"] in due
    assert overdue["id"] not in due and fresh["id"] not in due
    window = await ids(
        aware_from=(NOW - timedelta(hours=85)).isoformat(),
        aware_to=(NOW - timedelta(hours=30)).isoformat(),
    )
    assert overdue["id"] in window and soon["id"] in window
    assert fresh["id"] not in window and decided["id"] not in window
    everything = await ids(status="open")
    assert (
        everything.index(decided["id"])
        < everything.index(overdue["id"])
        < everything.index(soon["id"])
        < everything.index(fresh["id"])
    )
    items = (await client.get(URL, params={"due": "overdue"}, headers=ig(auth))).json()["items"]
    summary = next(item for item in items if item["id"] == overdue["id"])
    assert summary["ico_overdue"] is True and summary["subject_count"] == 0

    text = (await client.get("/metrics")).text
    assert "kpas_breaches_open" in text
    line = next(
        line for line in text.splitlines() if line.startswith("kpas_breaches_ico_decision_overdue")
    )
    assert float(line.rsplit(" ", 1)[1]) >= 1


async def test_the_list_pages_with_a_cursor(client: httpx.AsyncClient, auth: AuthHeaders) -> None:
    made = [
        (await record(client, auth, aware_at=(NOW - timedelta(hours=h)).isoformat()))[0]["id"]
        for h in (5, 4, 3)
    ]
    seen: list[str] = []
    params: dict[str, str] = {"limit": "1", "status": "open"}
    for _ in range(200):
        response = await client.get(URL, params=params, headers=ig(auth))
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [item["id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert [i for i in seen if i in made] == made
    assert len(seen) == len(set(seen))


# --- who may see the register --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "claims"),
    [
        (("attendance_officer",), {"area_teams": ("east",)}),
        (("attendance_manager",), {"area_teams": ("east",)}),
        (("licensing_officer",), {}),
        (("school_staff",), {"school_urns": (990028,)}),
        (("partner",), {"org": "kent-police"}),
        (("admin",), {}),
        (("inspector",), {}),
        (("mis_integration",), {"school_urns": (990028,)}),
    ],
)
async def test_no_one_but_information_governance_sees_or_writes_breaches(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    roles: tuple[str, ...],
    claims: dict[str, Any],
) -> None:
    read, etag = await record(client, auth, **HIGH)
    before = await count(session, Breach)
    other = auth(*roles, **claims)
    url = f"{URL}/{read['id']}"
    assert (await client.get(url, headers=other)).status_code in (403, 404)
    assert (await client.get(URL, headers=other)).status_code == 403
    assert (await client.post(URL, json=breach_body(), headers=other)).status_code == 403
    for method, path, body in [
        ("PATCH", url, {"status": "contained"}),
        (
            "POST",
            f"{url}/containment-actions",
            {"action": "x", "taken_at": NOW.isoformat(), "taken_by": "x"},
        ),
        ("POST", f"{url}/ico-notification", {"decision": "notified", "ico_reference": "IC-1"}),
        ("POST", f"{url}/individual-notifications", TELL),
        ("POST", f"{url}/closure", {"outcome": "not_a_breach", "summary": "x"}),
    ]:
        response = await client.request(method, path, json=body, headers=with_etag(other, etag))
        assert response.status_code in (403, 404), (method, path, response.text)
    assert await count(session, Breach) == before
    still = await client.get(url, headers=ig(auth))
    assert (still.json()["status"], still.headers["ETag"]) == ("open", etag)


async def test_information_governance_reads_the_register_only_for_breach_management(
    client: httpx.AsyncClient, auth: AuthHeaders
) -> None:
    read, _ = await record(client, auth)
    wrong = auth(IG, purpose="subject_rights")
    assert_problem(await client.get(f"{URL}/{read['id']}", headers=wrong), 403)
    assert_problem(await client.get(URL, headers=wrong), 403)
    right = auth(IG, purpose="breach_management")
    assert (await client.get(f"{URL}/{read['id']}", headers=right)).status_code == 200


async def test_an_anonymous_caller_is_refused(client: httpx.AsyncClient) -> None:
    for method, url in [("GET", URL), ("POST", URL), ("GET", f"{URL}/{uuid.uuid4()}")]:
        response = await client.request(method, url, json=breach_body())
        assert_problem(response, 401)


async def test_a_create_retried_with_its_idempotency_key_records_one_breach(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    before = await count(session, Breach)
    headers = {**ig(auth), "Idempotency-Key": str(uuid.uuid4())}
    body = breach_body()
    first = await client.post(URL, json=body, headers=headers)
    second = await client.post(URL, json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert await count(session, Breach) == before + 1
