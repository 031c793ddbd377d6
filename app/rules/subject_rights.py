"""Data-subject rights: the statutory clock, extensions, and which right applies to a record
held on which basis.

Sources:

- The clock (UK GDPR Art 12(3) and, from 5 February 2026, Art 12A inserted by the Data (Use
  and Access) Act 2025 s76, commenced by SI 2026/82 reg 2; DPA 2018 s54 for law enforcement
  requests; ICO, "Time limits for responding to data protection rights requests"): one month
  beginning with the day the clock starts, that day being day 1, so a request received on
  3 September is due on 3 October; where the later month has no such date, its last day
  (``app.rules.calendar.one_calendar_month_from``); a deadline on a weekend or an England and
  Wales bank holiday moves to the next working day (ICO guidance).
- The clock starts on receipt, or, where the council reasonably asked for information to
  confirm the requester's identity, when that information arrives (Art 12A(2); s54(3)).
- Stopping the clock for a clarification: from 5 February 2026, where the council reasonably
  requires further information to identify what a request relates to, the period from the day
  it asks to the day it receives the answer, both included, does not count towards the time
  to respond nor towards the month in which an extension must be decided (Art 12A; the same
  words are in DPA 2018 s54(3C) for Part 3 requests). Before then the ICO's guidance allowed a
  pause where the council processes a large amount of information about the person, "for the
  number of days it takes the data subject to respond": counted here as the days from the
  request to the answer, the day of the answer counting again. ``clock_rule`` chooses the
  rule by the date the request was received.
- Extension (Art 12(3); Art 12A; s54(3A)-(3B)): by up to two further months where
  necessary because of the complexity or number of the person's requests, decided and told
  with reasons before the end of the first month (stopped days excluded). The first month's
  end is not moved for a weekend: the notice must be given within the month itself.
- Applicability by lawful basis: erasure does not apply to processing necessary for a legal
  obligation or a public task (Art 17(3)(b)): never for 6(1)(c), and for 6(1)(e) only where
  the data are no longer needed for the task or were processed unlawfully (Art 17(1)(a),
  (d)); portability applies to neither (Art 20(1)(a) needs consent or contract, Art 20(3));
  objection applies to 6(1)(e) only (Art 21(1)); restriction to both (Art 18). Law
  enforcement records (DPA 2018 Part 3, basis s35(2)(b)) carry the Part 3 rights instead:
  access (s45, restrictable where it would prejudice an investigation or prosecution,
  s45(4)), rectification (s46), erasure and restriction (s47), automated decisions (ss49-50);
  no portability and no objection.
- Complaints to the controller (DPA 2018 s164A(3), inserted by the DUAA 2025 s103, in force
  19 June 2026 by SI 2026/82 reg 3): acknowledged within 30 days beginning with the day the
  complaint is received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from app.models.subject_requests import RequestRight
from app.rules.calendar import add_calendar_months, next_working_day

#: UK GDPR Art 12A (DUAA 2025 s76) in force: SI 2026/82 reg 2.
ART_12A_COMMENCED = date(2026, 2, 5)
#: DPA 2018 s164A (DUAA 2025 s103) in force: SI 2026/82 reg 3.
COMPLAINTS_DUTY_COMMENCED = date(2026, 6, 19)
#: s164A(3): acknowledge within 30 days beginning with the day of receipt.
COMPLAINT_ACKNOWLEDGEMENT_DAYS = 30
#: Art 12(3): at most two further months.
MAX_EXTENSION_MONTHS = 2


class ClockRule(StrEnum):
    #: Requests received before 5 February 2026: Art 12(3) and the ICO's guidance.
    ICO_GUIDANCE = "ico_guidance"
    #: Requests received from 5 February 2026: Art 12A (and DPA 2018 s54 as amended).
    ART_12A = "uk_gdpr_art_12a"


CLOCK_RULE_SOURCES: dict[ClockRule, str] = {
    ClockRule.ICO_GUIDANCE: (
        "UK GDPR Art 12(3); ICO guidance on time limits (stopping the clock while a "
        "clarification is awaited, where a large amount of information is held)"
    ),
    ClockRule.ART_12A: (
        "UK GDPR Art 12A (Data (Use and Access) Act 2025 s76; SI 2026/82 reg 2, from "
        "5 February 2026); DPA 2018 s54(3)-(3D) for law enforcement requests"
    ),
}


def clock_rule(received_on: date) -> ClockRule:
    """The clock rule in force on the day the request was received."""
    return ClockRule.ART_12A if received_on >= ART_12A_COMMENCED else ClockRule.ICO_GUIDANCE


@dataclass(frozen=True, slots=True)
class Pause:
    """A clarification the council asked for (``asked_on``) and its answer (``answered_on``,
    None while awaited)."""

    asked_on: date
    answered_on: date | None = None


@dataclass(frozen=True, slots=True)
class Clock:
    received_on: date
    #: The council asked for information to confirm the requester's identity on this day.
    identity_asked_on: date | None = None
    #: ... and it arrived on this day.
    identity_received_on: date | None = None
    pauses: tuple[Pause, ...] = ()
    extension_months: int = 0

    @property
    def rule(self) -> ClockRule:
        return clock_rule(self.received_on)


def started_on(clock: Clock) -> date | None:
    """The day the clock started (day 1), or None while identity information asked for has
    not arrived."""
    if clock.identity_asked_on is None:
        return clock.received_on
    if clock.identity_received_on is None:
        return None
    return max(clock.received_on, clock.identity_received_on)


def paused_days(clock: Clock) -> int | None:
    """Days that do not count, over every answered clarification (None while one is awaited).
    A pause counts only from the day the clock started."""
    start = started_on(clock)
    total = 0
    for pause in clock.pauses:
        if pause.answered_on is None:
            return None
        if start is None:
            continue
        first = max(pause.asked_on, start)
        if pause.answered_on < first:
            continue
        days = (pause.answered_on - first).days
        if clock.rule is ClockRule.ART_12A:
            days += 1  # "beginning with the day ... and ending with the day": both excluded
        total += days
    return total


def _month_end(clock: Clock, months: int) -> date | None:
    start = started_on(clock)
    paused = paused_days(clock)
    if start is None or paused is None:
        return None
    # Day 1 is the start day: one month later is the corresponding date (3 Sep -> 3 Oct).
    return add_calendar_months(start, months) + timedelta(days=paused)


def due_on(clock: Clock) -> date | None:
    """The response deadline, or None while the clock has not started or is stopped."""
    end = _month_end(clock, 1 + clock.extension_months)
    return None if end is None else next_working_day(end)


def extension_deadline(clock: Clock) -> date | None:
    """The last day on which an extension may be decided and told to the requester: the end
    of the first month, stopped days excluded, not moved for a weekend or holiday."""
    return _month_end(clock, 1)


def extension_refusal(clock: Clock, months: int, decided_on: date) -> str | None:
    """Why an extension of ``months`` decided on ``decided_on`` is not allowed (None: it is)."""
    if not 1 <= months <= MAX_EXTENSION_MONTHS:
        return "An extension is by one or two further months (UK GDPR Art 12(3))."
    if months < clock.extension_months:
        return "An extension, once told to the requester, is not shortened."
    start = started_on(clock)
    if start is None:
        return "The clock has not started: the identity information asked for has not arrived."
    last = extension_deadline(clock)
    if last is None:
        return "The clock is stopped: a clarification asked for has not arrived."
    if decided_on < start:
        return "An extension cannot be decided before the clock started."
    if decided_on > last:
        return (
            f"An extension must be decided and told within the first month, by {last} "
            "(UK GDPR Art 12(3); DPA 2018 s54(3B))."
        )
    return None


def complaint_acknowledge_by(received_on: date) -> date:
    """The last day to acknowledge a complaint: 30 days beginning with the day of receipt
    (that day is day 1; days, not working days)."""
    return received_on + timedelta(days=COMPLAINT_ACKNOWLEDGEMENT_DAYS - 1)


# --- Which right applies to which record ---------------------------------------------------

LEGAL_OBLIGATION = "6(1)(c)"
PUBLIC_TASK = "6(1)(e)"
BOTH = "6(1)(c),6(1)(e)"
LAW_ENFORCEMENT = "s35(2)(b)"
BASES = (LEGAL_OBLIGATION, PUBLIC_TASK, BOTH, LAW_ENFORCEMENT)


@dataclass(frozen=True, slots=True)
class Applicability:
    """Whether a right applies to a record held on a basis, the provision that says so, and
    the reason in plain English for the response letter. ``conditional``: it applies only
    in the circumstances the reason names (a person decides, and records why)."""

    applies: bool
    provision: str
    reason: str
    conditional: bool = False


_ACCESS = Applicability(
    True,
    "UK GDPR Art 15",
    "You have the right to a copy of this information, and to be told why we hold it, who we "
    "have shared it with and how long we keep it.",
)
_RECTIFY = Applicability(
    True,
    "UK GDPR Art 16",
    "You have the right to have this information corrected if it is wrong, or completed if "
    "it is incomplete.",
)
_RESTRICT = Applicability(
    True,
    "UK GDPR Art 18",
    "You can ask us to limit what we do with this information while its accuracy or our use "
    "of it is checked, or where you need it kept for a legal claim.",
)
_NO_PORTABILITY = Applicability(
    False,
    "UK GDPR Art 20",
    "The right to data portability applies only to information processed by consent or for "
    "a contract. We hold this information to carry out our legal duties and public tasks, "
    "so the right does not apply; you can still have a copy through a subject access request.",
)
_AUTOMATED = Applicability(
    True,
    "UK GDPR Arts 22A-22D",
    "We do not make decisions about you based solely on automated processing: an officer "
    "reviews every alert and decides what happens. You can ask us to explain any decision and "
    "to have a person reconsider it.",
)

_APPLICABILITY: dict[tuple[RequestRight, str], Applicability] = {}
for _basis in (LEGAL_OBLIGATION, PUBLIC_TASK, BOTH):
    _APPLICABILITY[(RequestRight.ACCESS, _basis)] = _ACCESS
    _APPLICABILITY[(RequestRight.RECTIFICATION, _basis)] = _RECTIFY
    _APPLICABILITY[(RequestRight.RESTRICTION, _basis)] = _RESTRICT
    _APPLICABILITY[(RequestRight.PORTABILITY, _basis)] = _NO_PORTABILITY
    _APPLICABILITY[(RequestRight.AUTOMATED_DECISIONS, _basis)] = _AUTOMATED

_APPLICABILITY[(RequestRight.ERASURE, LEGAL_OBLIGATION)] = Applicability(
    False,
    "UK GDPR Art 17(3)(b)",
    "We must keep this information to comply with a legal obligation, so the right to erasure "
    "does not apply to it.",
)
_APPLICABILITY[(RequestRight.ERASURE, BOTH)] = _APPLICABILITY[
    (RequestRight.ERASURE, LEGAL_OBLIGATION)
]
_APPLICABILITY[(RequestRight.ERASURE, PUBLIC_TASK)] = Applicability(
    False,
    "UK GDPR Art 17(3)(b)",
    "We hold this information to carry out a task in the public interest, so the right to "
    "erasure generally does not apply. We will erase it if we no longer need it for that task "
    "or should not have held it.",
    conditional=True,
)
_APPLICABILITY[(RequestRight.OBJECTION, LEGAL_OBLIGATION)] = Applicability(
    False,
    "UK GDPR Art 21(1)",
    "We hold this information because the law requires it, so the right to object does not "
    "apply to it.",
)
_APPLICABILITY[(RequestRight.OBJECTION, PUBLIC_TASK)] = Applicability(
    True,
    "UK GDPR Art 21(1)",
    "You can object to our use of this information because of your particular situation. We "
    "will stop unless we have compelling legitimate grounds that override your interests.",
)
_APPLICABILITY[(RequestRight.OBJECTION, BOTH)] = Applicability(
    True,
    "UK GDPR Art 21(1)",
    "You can object to the part of our use of this information that is a public task. What "
    "the law requires us to do with it continues.",
    conditional=True,
)
# Law enforcement processing (DPA 2018 Part 3).
_APPLICABILITY.update(
    {
        (RequestRight.ACCESS, LAW_ENFORCEMENT): Applicability(
            True,
            "DPA 2018 s45",
            "This information is held for investigating or prosecuting an offence. You have "
            "the right to access it, but we may restrict access where it would prejudice an "
            "investigation or prosecution (section 45(4)); if we do, we will tell you unless "
            "that itself would cause the prejudice.",
            conditional=True,
        ),
        (RequestRight.RECTIFICATION, LAW_ENFORCEMENT): Applicability(
            True,
            "DPA 2018 s46",
            "You have the right to have this information corrected if it is wrong. Where it "
            "must be kept as evidence, we will restrict its use instead of changing it.",
        ),
        (RequestRight.ERASURE, LAW_ENFORCEMENT): Applicability(
            False,
            "DPA 2018 s47(1)",
            "This information is held for investigating or prosecuting an offence. We must "
            "erase it only if holding it breaks the data protection principles or the law "
            "requires us to erase it.",
            conditional=True,
        ),
        (RequestRight.RESTRICTION, LAW_ENFORCEMENT): Applicability(
            True,
            "DPA 2018 s47(2)",
            "Where you dispute its accuracy, or it must be kept as evidence, we restrict its "
            "use instead of erasing it.",
            conditional=True,
        ),
        (RequestRight.OBJECTION, LAW_ENFORCEMENT): Applicability(
            False,
            "DPA 2018 Part 3",
            "There is no right to object to processing for investigating or prosecuting an "
            "offence.",
        ),
        (RequestRight.PORTABILITY, LAW_ENFORCEMENT): Applicability(
            False,
            "DPA 2018 Part 3",
            "There is no right to data portability for information held for investigating or "
            "prosecuting an offence.",
        ),
        (RequestRight.AUTOMATED_DECISIONS, LAW_ENFORCEMENT): Applicability(
            True,
            "DPA 2018 ss49-50",
            "We do not take decisions about you based solely on automated processing for "
            "investigating or prosecuting an offence.",
        ),
    }
)


def applicability(right: RequestRight, basis: str) -> Applicability:
    """Whether ``right`` applies to a record held on ``basis`` (``BASES``), with its reason."""
    try:
        return _APPLICABILITY[(right, basis)]
    except KeyError:
        raise ValueError(f"no lawful basis {basis!r}: expected one of {BASES}") from None


def is_law_enforcement(basis: str) -> bool:
    return basis == LAW_ENFORCEMENT
