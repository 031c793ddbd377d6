"""Attendance figures as the API computes them from stored marks: every 2024 code counted in
its figure, sessions that are not possible sessions left out of every percentage, and the
persistent (10%) and severe (50%) absence boundaries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Pupil, School
from app.rules.kent import District
from app.services.attendance_figures import Period, whole_weeks
from tests.attendance_support import school_days, sessions_of, write_marks
from tests.conftest import AuthHeaders
from tests.factories import make_pupil, make_school

#: Each 2024 code and the figure it counts in (SI 2024/208 reg 10; DfE, *Working together to
#: improve school attendance*, 2024), written out rather than derived from the code table, so
#: a misclassified code fails here. ``None``: not a possible session.
FIGURE_OF_CODE: dict[str, str | None] = {
    "/": "present",
    "\\": "present",
    "L": "present",
    "K": "approved_activity",
    "V": "approved_activity",
    "P": "approved_activity",
    "W": "approved_activity",
    "B": "approved_activity",
    "C1": "authorised",
    "M": "authorised",
    "J1": "authorised",
    "S": "authorised",
    "C2": "authorised",
    "C": "authorised",
    "T": "authorised",
    "R": "authorised",
    "I": "authorised",
    "E": "authorised",
    "G": "unauthorised",
    "N": "unauthorised",
    "O": "unauthorised",
    "U": "unauthorised",
    "D": None,
    "X": None,
    "Q": None,
    "Y1": None,
    "Y2": None,
    "Y3": None,
    "Y4": None,
    "Y5": None,
    "Y6": None,
    "Y7": None,
    "Z": None,
    "#": None,
}
CATEGORY_OF_FIGURE = {
    "present": "present",
    "approved_activity": "approved_educational_activity",
    "authorised": "authorised_absence",
    "unauthorised": "unauthorised_absence",
}
COUNTS = ("present", "approved_activity", "authorised", "unauthorised")
NOT_POSSIBLE = ["D", "X", "Q", "Y1", "Y2", "Y3", "Y4", "Y5", "Y6", "Y7", "Z", "#"]

#: A school year in the past, so no test depends on today's date.
TERM_START = date(2025, 9, 1)
TERM_END = date(2026, 7, 17)
PERIOD = {"from": "2025-08-01", "to": "2026-07-31"}


def manager(auth: AuthHeaders, purpose: str = "attendance_duty") -> dict[str, str]:
    return auth("attendance_manager", area_teams=("east",), purpose=purpose)


async def east_school(session: AsyncSession, **fields: Any) -> School:
    return await make_school(session, district=District.THANET, **fields)


async def give_marks(
    session: AsyncSession,
    pupil: Pupil,
    school: School,
    codes: Sequence[str],
    *,
    start: date = TERM_START,
) -> list[tuple[date, str]]:
    """Record ``codes`` for consecutive sessions of school days from ``start``; returns the
    sessions used."""
    slots = list(zip(sessions_of(school_days(start, TERM_END)), codes, strict=False))
    await write_marks(
        session,
        pupil_id=pupil.id,
        school_urn=school.urn,
        marks={slot: code for slot, code in slots},
    )
    return [slot for slot, _ in slots]


async def pupil_figures(
    client: httpx.AsyncClient, headers: dict[str, str], pupil_id: uuid.UUID, **params: str
) -> dict[str, Any]:
    response = await client.get(
        f"/v1/pupils/{pupil_id}/attendance", params={**PERIOD, **params}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def figures_of(
    *, present: int = 0, approved: int = 0, authorised: int = 0, unauthorised: int = 0
) -> dict[str, int]:
    return {
        "possible_sessions": present + approved + authorised + unauthorised,
        "present": present,
        "approved_activity": approved,
        "authorised": authorised,
        "unauthorised": unauthorised,
    }


def counts_of(figures: dict[str, Any]) -> dict[str, int]:
    return {name: figures[name] for name in ("possible_sessions", *COUNTS)}


@pytest.mark.parametrize(("code", "figure"), sorted(FIGURE_OF_CODE.items()))
async def test_every_code_is_counted_in_its_figure(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    code: str,
    figure: str | None,
) -> None:
    school = await east_school(session)
    pupil = await make_pupil(session, school=school)
    await give_marks(session, pupil, school, [code])
    body = await pupil_figures(client, manager(auth), pupil.id)
    expected = dict.fromkeys(COUNTS, 0)
    if figure is not None:
        expected[figure] = 1
    assert {name: body["figures"][name] for name in COUNTS} == expected
    assert body["figures"]["possible_sessions"] == (0 if figure is None else 1)
    [mark] = body["marks"]
    assert mark["code"] == code
    if figure is not None:
        assert mark["category"] == CATEGORY_OF_FIGURE[figure]
    else:
        assert mark["category"] == ("administrative" if code in {"Z", "#"} else "not_possible")


async def test_a_school_counts_every_code_as_a_pupil_does(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await east_school(session)
    pupil = await make_pupil(session, school=school)
    await give_marks(session, pupil, school, list(FIGURE_OF_CODE))
    expected = figures_of(present=3, approved=5, authorised=10, unauthorised=4)
    body = await pupil_figures(client, manager(auth), pupil.id)
    assert counts_of(body["figures"]) == expected
    assert len(body["marks"]) == len(FIGURE_OF_CODE)
    response = await client.get(
        f"/v1/schools/{school.urn}/attendance/summary", params=PERIOD, headers=manager(auth)
    )
    assert response.status_code == 200, response.text
    assert counts_of(response.json()["figures"]) == expected


async def test_sessions_that_are_not_possible_are_left_out_of_every_percentage(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await east_school(session)
    pupil = await make_pupil(session, school=school)
    codes = ["/"] * 6 + ["N", "N", "I", "I"] + NOT_POSSIBLE
    await give_marks(session, pupil, school, codes)
    figures = (await pupil_figures(client, manager(auth), pupil.id))["figures"]
    assert counts_of(figures) == figures_of(present=6, authorised=2, unauthorised=2)
    assert (figures["attendance_percent"], figures["absence_percent"]) == (60.0, 40.0)
    assert figures["persistent_absence"] is True
    assert figures["severe_absence"] is False


async def test_no_possible_session_means_no_percentage(
    client: httpx.AsyncClient, auth: AuthHeaders, session: AsyncSession
) -> None:
    school = await east_school(session)
    pupil = await make_pupil(session, school=school)
    await give_marks(session, pupil, school, ["#"] * 4 + ["Y4"] * 2)
    figures = (await pupil_figures(client, manager(auth), pupil.id))["figures"]
    assert figures["possible_sessions"] == 0
    assert (figures["attendance_percent"], figures["absence_percent"]) == (None, None)
    assert (figures["persistent_absence"], figures["severe_absence"]) == (False, False)


@pytest.mark.parametrize(
    ("absent", "possible", "absence_percent", "persistent", "severe"),
    [
        (1, 10, 10.0, True, False),  # exactly 10%
        (1, 11, 9.1, False, False),  # just below
        (10, 101, 9.9, False, False),  # just below, close enough to round near 10
        (5, 10, 50.0, True, True),  # exactly 50%
        (5, 11, 45.5, True, False),  # just below
        (50, 101, 49.5, True, False),
    ],
)
async def test_persistent_and_severe_absence_boundaries(
    client: httpx.AsyncClient,
    auth: AuthHeaders,
    session: AsyncSession,
    absent: int,
    possible: int,
    absence_percent: float,
    persistent: bool,
    severe: bool,
) -> None:
    school = await east_school(session)
    pupil = await make_pupil(session, school=school)
    # Sessions that are not possible sessions never move the boundary.
    codes = ["O"] * absent + ["/"] * (possible - absent) + ["D", "Y7", "#"]
    await give_marks(session, pupil, school, codes)
    figures = (await pupil_figures(client, manager(auth), pupil.id))["figures"]
    assert figures["possible_sessions"] == possible
    assert figures["absence_percent"] == absence_percent
    assert figures["attendance_percent"] == round(100 - absence_percent, 1)
    assert (figures["persistent_absence"], figures["severe_absence"]) == (persistent, severe)
    summary = await client.get(
        f"/v1/schools/{school.urn}/attendance/summary", params=PERIOD, headers=manager(auth)
    )
    listed = summary.json()
    assert [a["pupil"]["id"] for a in listed["persistent_absentees"]] == (
        [str(pupil.id)] if persistent else []
    )
    assert [a["pupil"]["id"] for a in listed["severe_absentees"]] == (
        [str(pupil.id)] if severe else []
    )


@pytest.mark.parametrize(
    ("first", "last", "weeks", "edges"),
    [
        # Monday to Sunday: all whole weeks.
        (date(2025, 9, 1), date(2025, 9, 14), (date(2025, 9, 1), date(2025, 9, 8)), []),
        # Wednesday to Tuesday: a partial week at each end.
        (
            date(2025, 9, 3),
            date(2025, 9, 23),
            (date(2025, 9, 8), date(2025, 9, 15)),
            [(date(2025, 9, 3), date(2025, 9, 7)), (date(2025, 9, 22), date(2025, 9, 23))],
        ),
        # Thirteen days: too short to be worth splitting.
        (date(2025, 9, 1), date(2025, 9, 13), None, [(date(2025, 9, 1), date(2025, 9, 13))]),
        # The ends of the calendar.
        (
            date.min,
            date(1, 1, 31),
            (date(1, 1, 1), date(1, 1, 22)),
            [(date(1, 1, 29), date(1, 1, 31))],
        ),
        (
            date(9999, 12, 1),
            date.max,
            (date(9999, 12, 6), date(9999, 12, 20)),
            [(date(9999, 12, 1), date(9999, 12, 5)), (date(9999, 12, 27), date.max)],
        ),
    ],
)
def test_a_period_splits_into_whole_weeks_and_the_days_outside_them(
    first: date,
    last: date,
    weeks: tuple[date, date] | None,
    edges: list[tuple[date, date]],
) -> None:
    assert whole_weeks(Period(first, last)) == (weeks, edges)
