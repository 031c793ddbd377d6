"""Demo entries in the breach register: clearly fake, with fixed ids (``app.routers.params``
names the same ones), timed back from the moment the demo is loaded so their deadlines are
live:

- BR-2026-0014: a letter about a pupil's attendance went to a parent's former address, which
  the school had been told not to use. Assessed as a high risk; the letter was retrieved
  unopened; the Commissioner was told within the 72 hours and the family by telephone and
  letter. Contained, ready to close (Sam Okafor's complaint is about it).
- BR-2026-0015: a spreadsheet of persistent absentees with health notes on two pupils was
  emailed to a parent instead of the school's attendance lead, 50 hours ago. Isla Tillbrook
  and her mother are among the people affected. Assessed as a high risk; the email was
  deleted at the council's request; the Commissioner has not yet been told (due within 24
  hours) and nor have the people affected.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.demo import DEMO_AGREEMENT_NAMESPACE, demo_carer_id, demo_pupil_id
from app.models.breaches import (
    AffectedRecordType,
    Breach,
    BreachContainmentAction,
    BreachStatus,
    BreachSubject,
    IcoDecision,
    IndividualsDecision,
    Likelihood,
    Severity,
)
from app.models.people import Carer, Pupil
from app.rules.breaches import assess_risk, ico_deadline

DEMO_BREACHES_NAMESPACE = uuid.uuid5(DEMO_AGREEMENT_NAMESPACE, "breaches")
GOVERNANCE_OFFICER = "governance-1"


def demo_breach_id(name: str) -> uuid.UUID:
    return uuid.uuid5(DEMO_BREACHES_NAMESPACE, name)


#: The contained breach (ready to close) and the open one (the Commissioner still to be told).
LETTER_BREACH = demo_breach_id("breach-letter")
SPREADSHEET_BREACH = demo_breach_id("breach-spreadsheet")
LETTER_BREACH_REFERENCE = "BR-2026-0014"


def _hour(instant: datetime) -> datetime:
    return instant.replace(minute=0, second=0, microsecond=0)


async def seed_demo_breaches(session: AsyncSession, now: datetime | None = None) -> int:
    """Add the demo breaches (skipped when they exist); returns how many were added."""
    if await session.get(Breach, LETTER_BREACH) is not None:
        return 0
    now = now or datetime.now(UTC)
    aware = _hour(now - timedelta(days=12))
    letter = Breach(
        id=LETTER_BREACH,
        reference=LETTER_BREACH_REFERENCE,
        status=BreachStatus.CONTAINED,
        aware_at=aware,
        occurred_at=aware - timedelta(hours=20),
        description="A letter about a pupil's attendance was posted to a parent's former "
        "address, which the school had been told not to use.",
        data_categories=["identity_contact", "attendance"],
        unidentified_count=2,
        likelihood=Likelihood.LIKELY,
        severity=Severity.SIGNIFICANT,
        risk=assess_risk(Likelihood.LIKELY, Severity.SIGNIFICANT),
        risk_reasons="The former partner is subject to a non-molestation order; the letter "
        "gives the child's school and absences.",
        ico_deadline=ico_deadline(aware),
        ico_decision=IcoDecision.NOTIFIED,
        ico_notified_at=aware + timedelta(hours=30),
        ico_reference="IC-DEMO-0014",
        ico_decided_by=GOVERNANCE_OFFICER,
        ico_decided_at=aware + timedelta(hours=30),
        individuals_decision=IndividualsDecision.TOLD,
        individuals_told_at=aware + timedelta(hours=6),
        individuals_decided_by=GOVERNANCE_OFFICER,
        created_by=GOVERNANCE_OFFICER,
        created_at=aware + timedelta(minutes=40),
    )
    aware = _hour(now - timedelta(hours=50))
    spreadsheet = Breach(
        id=SPREADSHEET_BREACH,
        reference="BR-2026-0015",
        status=BreachStatus.OPEN,
        aware_at=aware,
        occurred_at=aware - timedelta(hours=16),
        description="An attendance officer emailed a spreadsheet of one school's persistent "
        "absentees, with notes on two pupils' health, to a parent instead of the school's "
        "attendance lead.",
        data_categories=["identity_contact", "attendance", "special_category_health"],
        unidentified_count=0,
        likelihood=Likelihood.LIKELY,
        severity=Severity.SIGNIFICANT,
        risk=assess_risk(Likelihood.LIKELY, Severity.SIGNIFICANT),
        risk_reasons="Health information about named children reached a parent at the same "
        "school; it may be shared further.",
        ico_deadline=ico_deadline(aware),
        created_by=GOVERNANCE_OFFICER,
        created_at=aware + timedelta(minutes=25),
    )
    session.add_all([letter, spreadsheet])
    await session.flush()
    session.add_all(
        [
            BreachContainmentAction(
                id=demo_breach_id("action-letter-retrieved"),
                breach_id=letter.id,
                action="The letter was collected unopened from the former address by a school "
                "officer and destroyed; the address was removed from the school's record.",
                taken_at=letter.aware_at + timedelta(hours=4),
                taken_by="School business manager",
                recorded_by=GOVERNANCE_OFFICER,
                recorded_at=letter.aware_at + timedelta(hours=5),
            ),
            BreachContainmentAction(
                id=demo_breach_id("action-recall"),
                breach_id=spreadsheet.id,
                action="Asked the recipient by telephone to delete the email and any copies; "
                "they confirmed in writing that they had.",
                taken_at=spreadsheet.aware_at + timedelta(hours=2),
                taken_by="Attendance team leader, West Kent",
                recorded_by=GOVERNANCE_OFFICER,
                recorded_at=spreadsheet.aware_at + timedelta(hours=3),
            ),
        ]
    )
    isla = await session.get(Pupil, demo_pupil_id(313))
    evie = await session.get(Carer, demo_carer_id(313, 1))
    if isla is not None and evie is not None:
        for record_type, record in (
            (AffectedRecordType.PUPIL, isla),
            (AffectedRecordType.CARER, evie),
        ):
            session.add(
                BreachSubject(
                    id=demo_breach_id(f"subject-spreadsheet-{record.id}"),
                    breach_id=spreadsheet.id,
                    subject_id=record.subject_id,
                    record_type=record_type,
                    record_id=record.id,
                )
            )
    await session.flush()
    return 2
