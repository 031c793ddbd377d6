"""The penalty notice letter: one GOV.UK Notify template for a first notice (£80 within 21 days,
else £160 within 28) and a second within 3 years of a first (£160 within 28 days, no reduced
rate), Education (Penalty Notices) (England) Regulations 2007 as amended by SI 2024/210."""

from __future__ import annotations

from typing import Any

import pytest

from app.messages.templates import (
    MESSAGE_TYPES,
    PersonalisationError,
    default_template_id,
    demo_templates,
    render_personalisation,
)
from app.models.messages import Channel
from app.notify.fake.config import FakeTemplate
from app.notify.fake.validation import check_personalisation, render
from app.rules.attendance import penalty_terms

LETTER = MESSAGE_TYPES["penalty_notice_letter"]


def template() -> FakeTemplate:
    wanted = default_template_id(LETTER.code, Channel.LETTER)
    for template_id, name, channel, body, subject in demo_templates():
        if template_id == wanted:
            return FakeTemplate(
                id=str(template_id),
                name=name,
                type=channel.value,
                body=body,
                subject=subject,
                postage="second",
            )
    raise AssertionError("no penalty notice template")


def notice(*, second: bool) -> dict[str, Any]:
    terms = penalty_terms(second_within_three_years=second)
    values: dict[str, Any] = {
        "pupil_name": "Alex Example",
        "notice_number": "PN/2026/7",
        "full_amount": terms.full_pounds * 100,
        "full_by": "2026-12-31",
    }
    if terms.reduced_pounds is not None:
        values["reduced_amount"] = terms.reduced_pounds * 100
        values["reduced_by"] = "2026-12-24"
    return values


def test_the_template_has_no_placeholder_only_a_first_notice_fills() -> None:
    assert template().placeholders == [
        "pupil_name",
        "notice_number",
        "first_notice",
        "second_notice",
        "full_amount",
        "full_by",
    ]


def test_a_first_notice_shows_the_reduced_rate() -> None:
    personalisation = render_personalisation(LETTER, notice(second=False))
    check_personalisation(template(), personalisation)
    letter = render(template().body, personalisation)
    assert letter is not None
    assert "If you pay within 21 days of receiving this notice, the penalty is £80.00." in letter
    assert "payable within 28 days" in letter
    assert "no reduced rate" not in letter
    assert "Pay £160.00 by 31 December 2026." in letter
    assert "((" not in letter


def test_a_second_notice_within_three_years_is_160_pounds_flat() -> None:
    personalisation = render_personalisation(LETTER, notice(second=True))
    check_personalisation(template(), personalisation)
    letter = render(template().body, personalisation)
    assert letter is not None
    assert "£80" not in letter
    assert "21 days" not in letter
    assert "second penalty notice for your child within 3 years of a first" in letter
    assert "no reduced rate: the penalty is £160.00, payable within 28 days" in letter
    assert "Pay £160.00 by 31 December 2026." in letter
    assert "((" not in letter


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reduced_amount": 6000}, "reduced_amount"),
        ({"full_amount": 12000}, "full_amount"),
        ({"reduced_by": None}, "reduced_by"),
    ],
)
def test_amounts_are_the_regulations_own(changes: dict[str, Any], field: str) -> None:
    values = notice(second=False)
    for name, value in changes.items():
        if value is None:
            del values[name]
        else:
            values[name] = value
    with pytest.raises(PersonalisationError) as refused:
        render_personalisation(LETTER, values)
    assert set(refused.value.problems) == {field}
