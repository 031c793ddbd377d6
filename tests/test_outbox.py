"""Putting messages in the outbox: recipients validated first, references opaque, and the
message written in the caller's transaction (there if it commits, gone if it rolls back)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.messages.templates import MESSAGE_TYPES, default_template_id, demo_templates
from app.models.messages import Channel, MessageStatus, OutboundMessage
from app.models.subjects import SubjectKind
from app.policies.registry import Purpose
from app.services.outbox import Addressee, OutboxRefusal, enqueue, new_reference
from app.services.people import PEOPLE_BASIS, PEOPLE_PURPOSES_MASK, new_subject
from tests.messages_support import CONCERN

NOW = datetime(2026, 11, 29, 9, 30, tzinfo=UTC)


async def queue(
    session: AsyncSession,
    channel: Channel,
    to: Addressee,
    *,
    message_type: str = "attendance_concern",
    personalisation: dict[str, Any] | None = None,
    purpose: Purpose = Purpose.ATTENDANCE_DUTY,
    **options: Any,
) -> OutboundMessage:
    subject = new_subject(session, SubjectKind.CARER, None)
    await session.flush()
    message = enqueue(
        session,
        message_type_code=message_type,
        channel=channel,
        to=to,
        personalisation=CONCERN if personalisation is None else personalisation,
        purpose=purpose,
        subject_id=subject.id,
        purposes_mask=PEOPLE_PURPOSES_MASK,
        lawful_basis=PEOPLE_BASIS,
        created_by="tester-1",
        now=NOW,
        **options,
    )
    await session.flush()
    return message


def refusal(problem: pytest.ExceptionInfo[OutboxRefusal]) -> dict[str, str]:
    return problem.value.problems


async def test_texts_go_to_uk_mobiles_only(session: AsyncSession) -> None:
    message = await queue(session, Channel.SMS, Addressee(phone="07700 900123"))
    assert message.recipient == "+447700900123"
    assert message.status is MessageStatus.QUEUED
    assert (message.attempts, message.next_attempt_at) == (0, NOW)
    for phone, why in (
        (None, "no mobile number to text"),
        (
            "01227 763763",
            "this is a UK landline number: texts go to mobile numbers only "
            "(Notify: Not a UK mobile number)",
        ),
        (
            "not a number",
            "a phone number may only contain digits, spaces and ( ) + - "
            "(Notify: phone_number Must not contain letters or symbols)",
        ),
        (
            "+33 6 12 34 56 78",
            "texts go to UK mobile numbers only "
            "(Notify: Cannot send to international mobile numbers)",
        ),
    ):
        with pytest.raises(OutboxRefusal) as refused:
            await queue(session, Channel.SMS, Addressee(phone=phone))
        assert refusal(refused) == {"recipient": why}


async def test_emails_must_be_addresses(session: AsyncSession) -> None:
    message = await queue(session, Channel.EMAIL, Addressee(email="Carer@Example.org"))
    assert message.recipient is not None and message.recipient.endswith("@example.org")
    for email in (None, "carer@", "carer at example.org"):
        with pytest.raises(OutboxRefusal) as refused:
            await queue(session, Channel.EMAIL, Addressee(email=email))
        assert set(refusal(refused)) == {"recipient"}


async def test_letters_need_three_to_seven_lines_ending_in_a_uk_postcode(
    session: AsyncSession,
) -> None:
    lines = ["Sam Example", "  1 High Street ", "", "Maidstone", "me14 1xq"]
    message = await queue(session, Channel.LETTER, Addressee(address_lines=lines))
    assert message.recipient is None
    assert message.personalisation == {
        **CONCERN,
        "address_line_1": "Sam Example",
        "address_line_2": "1 High Street",
        "address_line_3": "Maidstone",
        "address_line_4": "ME14 1XQ",
    }
    seven = [f"Line {n}" for n in range(1, 7)] + ["CT9 1AA"]
    assert await queue(session, Channel.LETTER, Addressee(address_lines=seven))
    for bad, notify_says in (
        (["Sam Example", "ME14 1XQ"], "Address must be at least 3 lines"),
        ([*seven[:-1], "Extra", "CT9 1AA"], "Address must be no more than 7 lines"),
        (["Sam Example", "1 High Street", "Maidstone"], "Must be a real UK postcode"),
        (
            ["Sam Example", "=HYPERLINK(1)", "ME14 1XQ"],
            "Address lines must not start with any of the following characters: "
            "@ ( ) = [ ] \u201d \\ / , < >",
        ),
    ):
        with pytest.raises(OutboxRefusal) as refused:
            await queue(session, Channel.LETTER, Addressee(address_lines=bad))
        assert set(refusal(refused)) == {"address"}
        assert refusal(refused)["address"].endswith(f"(Notify: {notify_says})")


async def test_personalisation_is_checked_against_the_message_type(
    session: AsyncSession,
) -> None:
    with pytest.raises(OutboxRefusal) as refused:
        await queue(
            session,
            Channel.LETTER,
            Addressee(address_lines=["A Parent", "1 High Street", "ME14 1XQ"]),
            message_type="penalty_notice_letter",
            purpose=Purpose.PROSECUTION,
            personalisation={
                "pupil_name": "Alex Example",
                "notice_number": "PN/2026/1",
                "reduced_amount": "eighty",
                "reduced_by": "2026-13-01",
                "full_amount": 16000,
                "nickname": "Al",
            },
        )
    assert refusal(refused) == {
        "personalisation.reduced_amount": "expected a whole number of pence",
        "personalisation.reduced_by": "expected an ISO date",
        "personalisation.full_by": "required",
        "personalisation.nickname": "not a field of this message type",
    }
    letter = await queue(
        session,
        Channel.LETTER,
        Addressee(address_lines=["A Parent", "1 High Street", "ME14 1XQ"]),
        message_type="penalty_notice_letter",
        purpose=Purpose.PROSECUTION,
        personalisation={
            "pupil_name": "Alex Example",
            "notice_number": "PN/2026/1",
            "reduced_amount": 8000,
            "reduced_by": "2026-12-20",
            "full_amount": 16000,
            "full_by": "2026-12-27",
        },
    )
    assert letter.personalisation is not None
    assert (letter.personalisation["reduced_amount"], letter.personalisation["full_by"]) == (
        "£80.00",
        "27 December 2026",
    )


async def test_type_channel_and_purpose_must_match_the_registry(session: AsyncSession) -> None:
    to = Addressee(phone="07700 900123")
    for changes, field in (
        ({"message_type": "no_such_type"}, "message_type"),
        ({"message_type": "notice_to_improve"}, "channel"),  # letters only
        ({"purpose": Purpose.CHILD_EMPLOYMENT_LICENSING}, "purpose"),
    ):
        with pytest.raises(OutboxRefusal) as refused:
            await queue(session, Channel.SMS, to, **changes)
        assert set(refusal(refused)) == {field}


async def test_references_are_opaque_and_unique(session: AsyncSession) -> None:
    to = Addressee(phone="07700 900123")
    first = await queue(session, Channel.SMS, to)
    second = await queue(session, Channel.SMS, to)
    for message in (first, second):
        assert re.fullmatch(r"kpas-[0-9a-f]{32}", message.reference)
        assert "900123" not in message.reference
    assert first.reference != second.reference
    assert len({new_reference() for _ in range(1000)}) == 1000


async def test_template_ids_come_from_configuration_or_the_demo_defaults(
    session: AsyncSession,
) -> None:
    to = Addressee(phone="07700 900123")
    configured = uuid.uuid4()
    message = await queue(
        session, Channel.SMS, to, template_ids={"attendance_concern.sms": configured}
    )
    assert message.template_id == configured
    default = await queue(session, Channel.SMS, to)
    assert default.template_id == default_template_id("attendance_concern", Channel.SMS)
    # Every registered type and channel has a demo template the offline fake holds.
    held = {template_id for template_id, *_ in demo_templates()}
    for spec in MESSAGE_TYPES.values():
        for channel in spec.channels:
            assert default_template_id(spec.code, channel) in held


async def test_the_message_lives_and_dies_with_the_callers_transaction(
    session: AsyncSession,
) -> None:
    savepoint = await session.begin_nested()
    message = await queue(session, Channel.SMS, Addressee(phone="07700 900123"))
    await savepoint.rollback()
    count = select(func.count()).select_from(OutboundMessage)
    assert await session.scalar(count.where(OutboundMessage.id == message.id)) == 0
    kept = await queue(session, Channel.SMS, Addressee(phone="07700 900123"))
    assert await session.scalar(count.where(OutboundMessage.id == kept.id)) == 1
